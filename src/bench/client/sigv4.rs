//! SigV4 for the lean client's one request shape: a JSON 1.0 POST to the endpoint, signed over
//! `content-type`, `host`, `x-amz-date`, `x-amz-security-token` (with a session token) and
//! `x-amz-target`. The signing key is derived once a day and the date formatted once a second,
//! instead of per request, and the canonical request is written into one buffer: `aws-sigv4`'s
//! general signer spent a fifth of the bench client's CPU on these requests, mostly formatting.
//! The tests hold every header to what `aws-sigv4` makes of the same request.

use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use sha2::{Digest, Sha256};

/// The service every request is signed for.
const SERVICE: &str = "sqs";

/// The headers a signature adds to a request.
pub struct Signature {
    /// `x-amz-date`: when it was signed, `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// `authorization`.
    pub authorization: String,
}

/// Signs requests to one endpoint in one region.
pub struct Signer {
    region: String,
    /// The endpoint's authority, as the `host` header carries it.
    host: String,
    /// The endpoint's path as SigV4 encodes it (normalised, then URI-encoded again).
    canonical_path: String,
    /// The endpoint's query as SigV4 encodes it (empty for an endpoint without one).
    canonical_query: String,
    content_type: &'static str,
    cache: Mutex<Cache>,
}

/// What stays the same from request to request.
#[derive(Default)]
struct Cache {
    /// The second `amz_date` was formatted for.
    second: u64,
    amz_date: String,
    /// The signing key of a day (`YYYYMMDD`), for one secret.
    key: Option<DayKey>,
}

struct DayKey {
    date: String,
    secret: String,
    key: [u8; 32],
}

impl Signer {
    /// A signer for requests to `host` (the authority) at `path` and `query`, of type
    /// `content_type`.
    #[must_use]
    pub fn new(
        region: &str,
        host: &str,
        (path, query): (&str, &str),
        content_type: &'static str,
    ) -> Self {
        let (canonical_path, canonical_query) =
            crate::server::canonical_path_and_query(path, query);
        Self {
            region: region.to_string(),
            host: host.to_string(),
            canonical_path,
            canonical_query,
            content_type,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The signature of a POST of `body` for `target` (`AmazonSQS.SendMessage`) at `now`.
    #[must_use]
    pub fn sign(
        &self,
        credentials: &Credentials,
        target: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Signature {
        let (amz_date, key) = self.date_and_key(credentials, now);
        let date = &amz_date[..8];
        let token = credentials.session_token();
        let mut canonical = String::with_capacity(400);
        canonical.push_str("POST\n");
        canonical.push_str(&self.canonical_path);
        canonical.push('\n');
        canonical.push_str(&self.canonical_query);
        canonical.push('\n');
        let _ = write!(
            canonical,
            "content-type:{}\nhost:{}\nx-amz-date:{amz_date}\n",
            self.content_type, self.host
        );
        if let Some(token) = token {
            // As `aws-sigv4` signs it: as it is (a token has no spaces).
            let _ = writeln!(canonical, "x-amz-security-token:{token}");
        }
        let _ = writeln!(canonical, "x-amz-target:{target}\n");
        let signed_headers = if token.is_some() {
            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        } else {
            "content-type;host;x-amz-date;x-amz-target"
        };
        canonical.push_str(signed_headers);
        canonical.push('\n');
        canonical.push_str(&hex::encode(Sha256::digest(body)));
        let scope = format!("{date}/{}/{SERVICE}/aws4_request", self.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let signature = calculate_signature(key, string_to_sign.as_bytes());
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id()
        );
        Signature {
            amz_date,
            authorization,
        }
    }

    /// `x-amz-date` for `now`, and the signing key of its day for the credentials' secret.
    fn date_and_key(&self, credentials: &Credentials, now: SystemTime) -> (String, [u8; 32]) {
        let second = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.amz_date.is_empty() || cache.second != second {
            cache.second = second;
            cache.amz_date = chrono::DateTime::<chrono::Utc>::from(now)
                .format("%Y%m%dT%H%M%SZ")
                .to_string();
        }
        let amz_date = cache.amz_date.clone();
        let secret = credentials.secret_access_key();
        let date = &amz_date[..8];
        let key = match &cache.key {
            Some(day) if day.date == date && day.secret == secret => day.key,
            _ => {
                let mut key = [0; 32];
                key.copy_from_slice(
                    generate_signing_key(secret, now, &self.region, SERVICE).as_ref(),
                );
                cache.key = Some(DayKey {
                    date: date.to_string(),
                    secret: secret.to_string(),
                    key,
                });
                key
            }
        };
        (amz_date, key)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    use super::*;

    /// The headers `aws-sigv4` adds to the same request.
    fn reference(
        credentials: &Credentials,
        region: &str,
        endpoint: &str,
        target: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let identity: Identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("sqs")
            .time(now)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let uri: http::Uri = endpoint.parse().unwrap();
        let host = uri.authority().unwrap().as_str().to_string();
        let headers = [
            ("host", host.as_str()),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target),
        ];
        let signable = SignableRequest::new(
            "POST",
            endpoint,
            headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (headers, _) = instructions.into_parts();
        headers
            .into_iter()
            .map(|header| (header.name().to_string(), header.value().to_string()))
            .collect()
    }

    fn ours(
        signer: &Signer,
        credentials: &Credentials,
        target: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let signature = signer.sign(credentials, target, body, now);
        let mut headers = vec![
            ("x-amz-date".to_string(), signature.amz_date),
            ("authorization".to_string(), signature.authorization),
        ];
        if let Some(token) = credentials.session_token() {
            headers.push(("x-amz-security-token".to_string(), token.to_string()));
        }
        headers
    }

    fn sorted(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
        headers.sort();
        headers
    }

    #[test]
    fn signatures_match_the_sdks_signer() {
        let plain = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", None, None, "t");
        let session = Credentials::new(
            "ASIAEXAMPLE",
            "another secret",
            Some("IQoJb3JpZ2luX2VjE//token+/=".into()),
            None,
            "t",
        );
        let start = UNIX_EPOCH + Duration::from_secs(1_764_633_599); // 2025-12-01T23:59:59Z
        for endpoint in [
            "http://127.0.0.1:9324",
            "https://sqs.eu-west-2.amazonaws.com/",
            "http://localhost:4566/some/path/",
            "http://localhost:4566/a%20b/./c/../d~e%2F",
            "http://localhost:4566/?b=2&a=1&c=x%20y",
        ] {
            let uri: http::Uri = endpoint.parse().unwrap();
            let signer = Signer::new(
                "eu-west-2",
                uri.authority().unwrap().as_str(),
                (uri.path(), uri.query().unwrap_or_default()),
                "application/x-amz-json-1.0",
            );
            // Across a second and a day, with the key and the date cached in between, and a
            // change of credentials.
            for (offset, credentials) in [(0, &plain), (0, &session), (1, &session), (1, &plain)] {
                let now = start + Duration::from_millis(offset * 1_500);
                for (target, body) in [
                    ("AmazonSQS.SendMessageBatch", &br#"{"QueueUrl":"q"}"#[..]),
                    ("AmazonSQS.ReceiveMessage", b""),
                ] {
                    assert_eq!(
                        sorted(ours(&signer, credentials, target, body, now)),
                        sorted(reference(
                            credentials,
                            "eu-west-2",
                            endpoint,
                            target,
                            body,
                            now
                        )),
                        "{endpoint} {target} at +{offset}"
                    );
                }
            }
        }
    }
}
