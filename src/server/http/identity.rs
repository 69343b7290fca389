//! Who sent a request and how it was addressed: the region from the SigV4 credential scope, a
//! sender id derived from the access key, the `/<account>/<queue>` path, the host and the trace
//! header, gathered into the engine's [`RequestContext`].

use axum::http::{HeaderMap, Uri, header};
use sha2::{Digest, Sha256};

use super::request::header_str;
use crate::rules::DEFAULT_REGION;
use crate::server::engine::{DEFAULT_ACCOUNT, RequestContext};

/// Who sent the request and how it was addressed.
pub(super) fn context(
    uri: &Uri,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> RequestContext {
    let credential = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(credential_from_authorization)
        .or_else(|| {
            params
                .iter()
                .find(|(name, _)| name == "X-Amz-Credential")
                .map(|(_, value)| value.as_str())
        });
    let (access_key, region) = credential.map_or((None, None), |scope| {
        let mut parts = scope.split('/');
        let key = parts.next().filter(|k| !k.is_empty());
        let region = parts.nth(1).filter(|r| !r.is_empty());
        (key, region)
    });
    let access_key = access_key.or_else(|| {
        params
            .iter()
            .find(|(name, _)| name == "AWSAccessKeyId")
            .map(|(_, value)| value.as_str())
    });
    let host = header_str(headers, header::HOST.as_str())
        .map(str::to_string)
        .or_else(|| uri.authority().map(ToString::to_string))
        .unwrap_or_else(|| "127.0.0.1".to_string());
    RequestContext {
        region: region.unwrap_or(DEFAULT_REGION).to_string(),
        account: DEFAULT_ACCOUNT.to_string(),
        host,
        path_queue: path_queue(uri.path()),
        trace_header: header_str(headers, "x-amzn-trace-id").map(str::to_string),
        sender_id: sender_id(access_key.unwrap_or_default()),
    }
}

/// The credential scope `AKID/date/region/sqs/aws4_request` of a SigV4 `Authorization` header.
fn credential_from_authorization(authorization: &str) -> Option<&str> {
    let start = authorization.find("Credential=")? + "Credential=".len();
    let rest = &authorization[start..];
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `/<account>/<name>` addressing (trailing slash allowed).
fn path_queue(path: &str) -> Option<(String, String)> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let account = segments.next()?;
    let name = segments.next()?;
    if segments.next().is_some() {
        return None;
    }
    Some((account.to_string(), name.to_string()))
}

/// A stable IAM-user-like id (`AIDA` + 17 characters) derived from the access key id, so
/// different clients show different `SenderId`s without echoing the key itself.
fn sender_id(access_key: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(access_key.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|byte| char::from(ALPHABET[usize::from(byte % 32)]))
        .collect();
    format!("AIDA{tail}")
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn credential_scope_from_sigv4_header() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-2/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(
            credential_from_authorization(auth),
            Some("AKIDEXAMPLE/20240101/eu-west-2/sqs/aws4_request")
        );
        assert_eq!(credential_from_authorization("Bearer x"), None);
    }

    #[test]
    fn context_region_from_header_or_presigned_param() {
        let uri: Uri = "/000000000000/q".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("localhost:1234"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20240101/ap-southeast-2/sqs/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        headers.insert("X-Amzn-Trace-Id", HeaderValue::from_static("Root=1-a"));
        let ctx = context(&uri, &headers, &[]);
        assert_eq!(ctx.region, "ap-southeast-2");
        assert_eq!(ctx.host, "localhost:1234");
        assert_eq!(ctx.account, DEFAULT_ACCOUNT);
        assert_eq!(
            ctx.path_queue,
            Some(("000000000000".to_string(), "q".to_string()))
        );
        assert_eq!(ctx.trace_header.as_deref(), Some("Root=1-a"));
        assert_eq!(ctx.sender_id, sender_id("AKID"));
        assert!(!ctx.sender_id.contains("AKID"));

        let params = vec![(
            "X-Amz-Credential".to_string(),
            "OTHER/20240101/eu-central-1/sqs/aws4_request".to_string(),
        )];
        let ctx = context(&"/".parse().unwrap(), &HeaderMap::new(), &params);
        assert_eq!(ctx.region, "eu-central-1");
        assert_eq!(ctx.path_queue, None);
        assert_ne!(ctx.sender_id, sender_id("AKID"));

        let ctx = context(&"/".parse().unwrap(), &HeaderMap::new(), &[]);
        assert_eq!(ctx.region, DEFAULT_REGION);
    }

    #[test]
    fn sender_id_looks_like_an_iam_user_id() {
        let id = sender_id("test");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(id, sender_id("test"));
    }

    #[test]
    fn path_addressing() {
        assert_eq!(
            path_queue("/000000000000/a.fifo/"),
            Some(("000000000000".to_string(), "a.fifo".to_string()))
        );
        assert_eq!(path_queue("/"), None);
        assert_eq!(path_queue("/a"), None);
        assert_eq!(path_queue("/a/b/c"), None);
    }
}
