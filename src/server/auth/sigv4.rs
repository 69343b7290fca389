//! Checking one request's SigV4 signature by recomputing it: the claim (access key, credential
//! scope, signed headers, signature, date) from the `Authorization` header or a presigned URL's
//! `X-Amz-*` parameters; the canonical request rebuilt from what arrived (method, path, sorted
//! query, the signed headers only, the body's SHA-256); the signature computed with
//! `aws-sigv4`'s own key derivation and HMAC, and compared in constant time.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use axum::http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::Key;

/// The one algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a signed request's date may be from the server's clock.
pub(super) const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest `X-Amz-Expires` SigV4 allows (7 days).
const MAX_EXPIRES_SECS: u64 = 604_800;
/// The payload hash of a request whose body is not signed.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The services whose scope this server accepts: SQS, and SNS on the same port.
const SERVICES: &[&str] = &["sqs", "sns"];

/// Why a request is not served, each answered as AWS answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Denied {
    /// No signature at all.
    Missing,
    /// A signature that is malformed, with AWS's explanation.
    Incomplete(String),
    /// An access key that is not listed, or a session token that does not go with it.
    InvalidToken,
    /// Signed too long ago (or too far ahead), or a presigned URL past its expiry.
    Expired,
    /// The signature is not the one the key gives.
    Mismatch,
}

/// What a request says about its signature.
#[derive(Debug)]
struct Claim {
    access_key_id: String,
    scope_date: String,
    region: String,
    service: String,
    /// As the client listed them (`host;x-amz-date`).
    signed_headers: String,
    signature: String,
    /// `YYYYMMDDTHHMMSSZ`.
    amz_date: String,
    /// Seconds a presigned URL stays valid; `None` for a signed header.
    expires: Option<String>,
    security_token: Option<String>,
}

/// Checks the request's signature with the key `lookup` finds for its access key id.
pub(super) fn verify<'k>(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
    lookup: impl Fn(&str) -> Option<&'k Key>,
) -> Result<(), Denied> {
    let params = url_params(uri);
    let claim = match headers.get("authorization") {
        Some(value) => from_header(&String::from_utf8_lossy(value.as_bytes()), headers)?,
        None => from_query(&params)?.ok_or(Denied::Missing)?,
    };
    let signed: Vec<&str> = claim.signed_headers.split(';').collect();
    if !signed.iter().any(|name| name.eq_ignore_ascii_case("host")) {
        return Err(Denied::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ));
    }
    let key = lookup(&claim.access_key_id).ok_or(Denied::InvalidToken)?;
    if !token_matches(
        key.session_token.as_deref(),
        claim.security_token.as_deref(),
    ) {
        return Err(Denied::InvalidToken);
    }
    let signed_at = parse_amz_date(&claim.amz_date).ok_or_else(|| {
        Denied::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'.",
            claim.amz_date
        ))
    })?;
    check_time(signed_at, claim.expires.as_deref(), now)?;
    if claim.scope_date != claim.amz_date[..8] || !SERVICES.contains(&claim.service.as_str()) {
        return Err(Denied::Mismatch);
    }
    let scope_day =
        parse_amz_date(&format!("{}T000000Z", claim.scope_date)).ok_or(Denied::Mismatch)?;
    let signing_key = generate_signing_key(&key.secret, scope_day, &claim.region, &claim.service);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        claim.scope_date, claim.region, claim.service
    );
    let presigned = claim.expires.is_some();
    let mut matched = false;
    for payload_hash in payload_hashes(headers, body, presigned)? {
        let canonical = canonical_request(
            method,
            uri,
            headers,
            &signed,
            &claim.signed_headers,
            presigned,
            &payload_hash,
        )
        .ok_or(Denied::Mismatch)?;
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{scope}\n{}",
            claim.amz_date,
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let expected = calculate_signature(&signing_key, string_to_sign.as_bytes());
        matched |= bool::from(expected.as_bytes().ct_eq(claim.signature.as_bytes()));
    }
    if matched {
        Ok(())
    } else {
        Err(Denied::Mismatch)
    }
}

/// The session token a key requires against the one the request carries, compared in constant
/// time; a key without one accepts no token.
fn token_matches(wanted: Option<&str>, given: Option<&str>) -> bool {
    match (wanted, given) {
        (None, None) => true,
        (Some(wanted), Some(given)) => bool::from(wanted.as_bytes().ct_eq(given.as_bytes())),
        _ => false,
    }
}

/// Within the skew either way for a signed header; for a presigned URL, not signed in the
/// future beyond the skew and not past `X-Amz-Expires`.
fn check_time(signed_at: SystemTime, expires: Option<&str>, now: SystemTime) -> Result<(), Denied> {
    let ahead = signed_at.duration_since(now).unwrap_or_default();
    let behind = now.duration_since(signed_at).unwrap_or_default();
    if ahead > MAX_SKEW {
        return Err(Denied::Expired);
    }
    match expires {
        None if behind > MAX_SKEW => Err(Denied::Expired),
        None => Ok(()),
        Some(expires) => {
            let seconds: u64 = expires.parse().map_err(|_| {
                Denied::Incomplete(format!(
                    "X-Amz-Expires should be a number of seconds, not '{expires}'."
                ))
            })?;
            if seconds > MAX_EXPIRES_SECS {
                return Err(Denied::Incomplete(format!(
                    "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECS}"
                )));
            }
            if behind > Duration::from_secs(seconds) {
                Err(Denied::Expired)
            } else {
                Ok(())
            }
        }
    }
}

/// The claim in `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn from_header(authorization: &str, headers: &HeaderMap) -> Result<Claim, Denied> {
    let authorization = authorization.trim();
    let (algorithm, rest) = authorization.split_once(' ').unwrap_or((authorization, ""));
    if algorithm != ALGORITHM {
        return Err(Denied::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'."
        )));
    }
    let field = |name: &str| {
        rest.split(',')
            .filter_map(|part| part.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim().to_string())
            .filter(|value| !value.is_empty())
    };
    let (credential, signed_headers, signature) = (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    );
    let missing: String = [
        ("Credential", credential.is_none()),
        ("Signature", signature.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
    ]
    .iter()
    .filter(|(_, missing)| *missing)
    .map(|(name, _)| format!("Authorization header requires '{name}' parameter. "))
    .collect();
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_string())
    };
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Denied::Incomplete(missing.trim_end().to_string()));
    };
    let Some(amz_date) = header("x-amz-date") else {
        return Err(Denied::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_string(),
        ));
    };
    claim(
        &credential,
        signed_headers,
        signature,
        amz_date,
        None,
        header("x-amz-security-token"),
    )
}

/// The claim in a presigned URL's `X-Amz-*` parameters; `None` when the URL has none of them.
fn from_query(params: &[(String, String)]) -> Result<Option<Claim>, Denied> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let names = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ];
    let values: Vec<Option<String>> = names.iter().map(|name| param(name)).collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ] = <[Option<String>; 6]>::try_from(values).unwrap_or_default()
    else {
        return Err(Denied::Incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.".to_string(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(Denied::Incomplete(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    claim(
        &credential,
        signed_headers,
        signature,
        date,
        Some(expires),
        param("X-Amz-Security-Token"),
    )
    .map(Some)
}

/// A claim from its parts, with the credential `AKID/date/region/service/aws4_request` split.
fn claim(
    credential: &str,
    signed_headers: String,
    signature: String,
    amz_date: String,
    expires: Option<String>,
    security_token: Option<String>,
) -> Result<Claim, Denied> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = parts.as_slice() else {
        return Err(Denied::Incomplete(format!(
            "Credential should be scoped as <key>/<date>/<region>/<service>/aws4_request, not '{}'.",
            parts
                .get(1..)
                .map(|rest| rest.join("/"))
                .unwrap_or_default()
        )));
    };
    if *terminator != "aws4_request" {
        return Err(Denied::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if access_key_id.is_empty() || scope_date.len() != 8 || region.is_empty() {
        return Err(Denied::Incomplete(
            "Credential should be scoped to a valid region, date and access key.".to_string(),
        ));
    }
    Ok(Claim {
        access_key_id: (*access_key_id).to_string(),
        scope_date: (*scope_date).to_string(),
        region: (*region).to_string(),
        service: (*service).to_string(),
        signed_headers,
        signature,
        amz_date,
        expires,
        security_token,
    })
}

/// `YYYYMMDDTHHMMSSZ` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let digits_at = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(digits_at(0..4)?).ok()?,
        digits_at(4..6)?,
        digits_at(6..8)?,
    )?;
    let time = date.and_hms_opt(digits_at(9..11)?, digits_at(11..13)?, digits_at(13..15)?)?;
    let seconds = u64::try_from(time.and_utc().timestamp()).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The payload hashes the signature may cover: `x-amz-content-sha256` when sent (it must then
/// be the body's, unless `UNSIGNED-PAYLOAD`), else the body's SHA-256, and for a presigned URL
/// also `UNSIGNED-PAYLOAD`. A streaming (`aws-chunked`) payload is not supported.
fn payload_hashes(
    headers: &HeaderMap,
    body: &[u8],
    presigned: bool,
) -> Result<Vec<String>, Denied> {
    let body_hash = hex::encode(Sha256::digest(body));
    match headers.get("x-amz-content-sha256").map(|v| v.as_bytes()) {
        Some(b"UNSIGNED-PAYLOAD") => Ok(vec![UNSIGNED_PAYLOAD.to_string()]),
        Some(declared) if declared.eq_ignore_ascii_case(body_hash.as_bytes()) => {
            Ok(vec![String::from_utf8_lossy(declared).into_owned()])
        }
        Some(_) => Err(Denied::Mismatch),
        None if presigned => Ok(vec![body_hash, UNSIGNED_PAYLOAD.to_string()]),
        None => Ok(vec![body_hash]),
    }
}

/// The canonical request, or `None` when a signed header is missing.
fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed: &[&str],
    signed_headers: &str,
    presigned: bool,
    payload_hash: &str,
) -> Option<String> {
    let mut out = String::with_capacity(512);
    out.push_str(method.as_str());
    out.push('\n');
    out.push_str(&canonical_path(uri.path()));
    out.push('\n');
    out.push_str(&canonical_query(uri.query().unwrap_or_default(), presigned));
    out.push('\n');
    for name in signed {
        let name = name.to_ascii_lowercase();
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|value| trim_all(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        let value = if values.is_empty() {
            // HTTP/2's `:authority` stands in for `Host`.
            match (name.as_str(), uri.authority()) {
                ("host", Some(authority)) => authority.as_str().to_string(),
                _ => return None,
            }
        } else {
            values.join(",")
        };
        let _ = writeln!(out, "{name}:{value}");
    }
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(payload_hash);
    Some(out)
}

/// The query's parameters, decoded, each name and value encoded again as SigV4 does, sorted;
/// a presigned URL's own signature left out.
fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| !(presigned && name == "X-Amz-Signature"))
        .map(|(name, value)| {
            let (mut n, mut v) = (String::new(), String::new());
            uri_encode(&name, false, &mut n);
            uri_encode(&value, false, &mut v);
            (n, v)
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn url_params(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// A request path and query as SigV4 signs them (the bench client's signer uses them too): the
/// path normalised, then URI-encoded again; the query's parameters encoded and sorted.
pub(crate) fn canonical_path_and_query(path: &str, query: &str) -> (String, String) {
    (canonical_path(path), canonical_query(query, false))
}

fn canonical_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    uri_encode(&normalize_path(path), true, &mut out);
    out
}

/// SigV4's URI encoding: unreserved characters as they are, `/` kept in paths, every other
/// byte as `%XX`. Applied to a path as received, this is the double encoding of non-S3
/// services.
fn uri_encode(text: &str, keep_slash: bool, out: &mut String) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b'/' if keep_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// The path with empty, `.` and `..` segments resolved (RFC 3986 5.2.4), as the SDKs
/// normalise it before signing.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    if !(path.contains("/.") || path.contains("//")) {
        return path.to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    let directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if directory && !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// A header value with its outer spaces removed and inner runs of spaces made one.
fn trim_all(value: &str) -> String {
    value
        .split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
