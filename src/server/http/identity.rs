//! Who sent a request and how it was addressed: the queue URL it was sent to (its queue and,
//! for `/queue/<region>/…`, its region), else the region from the SigV4 credential scope; a
//! sender id derived from the access key; the host the client used, for the queue URLs it is
//! given; and the trace header. All gathered into the engine's [`RequestContext`].

use std::cell::RefCell;

use axum::http::{HeaderMap, Uri, header};
use sha2::{Digest, Sha256};

use super::request::header_str;
use crate::rules::DEFAULT_REGION;
use crate::server::engine::{DEFAULT_ACCOUNT, RequestContext};
use crate::server::queue_url;

/// Host for queue URLs when the request names none that can be used (HTTP/1.0 without `Host`).
const FALLBACK_HOST: &str = "127.0.0.1";

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
    let host = [
        header_str(headers, header::HOST.as_str()).map(str::trim),
        uri.authority().map(|a| a.as_str()),
    ]
    .into_iter()
    .flatten()
    .find(|host| queue_url::is_usable_host(host))
    .unwrap_or(FALLBACK_HOST)
    .to_string();
    let path_queue = queue_url::from_request(Some(&host), uri.path());
    let region = path_queue
        .as_ref()
        .and_then(|address| address.region.as_deref())
        .or(region)
        .unwrap_or(DEFAULT_REGION);
    RequestContext {
        region: region.to_string(),
        account: DEFAULT_ACCOUNT.to_string(),
        host,
        path_queue,
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

/// [`derive_sender_id`], remembered per thread for the last access key seen: a client signs
/// every request with the same key, so the digest is not worked out again for each.
fn sender_id(access_key: &str) -> String {
    thread_local! {
        static LAST: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((key, id)) if key == access_key => id.clone(),
        _ => {
            let id = derive_sender_id(access_key);
            *last = Some((access_key.to_string(), id.clone()));
            id
        }
    })
}

/// A stable IAM-user-like id (`AIDA` + 17 characters) derived from the access key id, so
/// different clients show different `SenderId`s without echoing the key itself.
fn derive_sender_id(access_key: &str) -> String {
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
        let addressed = ctx.path_queue.unwrap();
        assert_eq!(
            (addressed.account.as_deref(), addressed.name.as_str()),
            (Some("000000000000"), "q")
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
    fn the_remembered_sender_id_follows_the_key() {
        for key in ["a", "b", "a", "", "b"] {
            assert_eq!(sender_id(key), derive_sender_id(key), "{key:?}");
        }
        assert_ne!(sender_id("a"), sender_id("b"));
    }

    #[test]
    fn a_queue_url_with_a_region_sets_the_region() {
        let signed = |uri: &str, host: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_static(host));
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_static(
                    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-west-2/sqs/aws4_request, SignedHeaders=host, Signature=x",
                ),
            );
            context(&uri.parse().unwrap(), &headers, &[])
        };
        let ctx = signed("/queue/eu-north-1/000000000000/q?Action=X", "queue:9324");
        assert_eq!(ctx.region, "eu-north-1");
        assert_eq!(ctx.path_queue.unwrap().name, "q");
        let ctx = signed("/000000000000/q", "sqs.ap-south-1.localhost:9324");
        assert_eq!(ctx.region, "ap-south-1");
        assert_eq!(ctx.host, "sqs.ap-south-1.localhost:9324");
        // A path without a region keeps the signature's.
        assert_eq!(signed("/000000000000/q", "queue:9324").region, "us-west-2");
        assert_eq!(signed("/", "queue:9324").path_queue, None);
        assert_eq!(signed("/a/b/c", "queue:9324").path_queue, None);
    }

    #[test]
    fn the_host_for_urls_is_one_that_can_stand_in_a_url() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("bad/host"));
        let ctx = context(&"/".parse().unwrap(), &headers, &[]);
        assert_eq!(ctx.host, FALLBACK_HOST);
        let ctx = context(&"http://queue:9324/".parse().unwrap(), &headers, &[]);
        assert_eq!(ctx.host, "queue:9324");
    }
}
