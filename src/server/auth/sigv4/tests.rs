//! Requests signed by `aws-sigv4` (as the SDK signs them), verified here; AWS's own test-suite
//! canonical requests; every way a request is refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, Method, Request, Uri};

use super::*;

/// 2024-01-02T03:04:05Z.
fn signed_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_704_164_645)
}

fn key(secret: &str, token: Option<&str>) -> Key {
    Key {
        secret: secret.to_string(),
        session_token: token.map(str::to_string),
    }
}

/// How a test request is signed.
struct Signing<'a> {
    method: &'a str,
    uri: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
    access_key: &'a str,
    secret: &'a str,
    token: Option<&'a str>,
    time: SystemTime,
    presign_for: Option<Duration>,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Self {
            method: "POST",
            uri: "http://127.0.0.1:9324/",
            headers: &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "AmazonSQS.ListQueues"),
            ],
            body: b"{}",
            access_key: "AKIDTEST",
            secret: "right-secret",
            token: None,
            time: signed_at(),
            presign_for: None,
        }
    }
}

/// The request as a server receives it: origin-form URI, `Host` header.
struct Received {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn signed(signing: &Signing<'_>) -> Received {
    let mut request = Request::builder()
        .method(signing.method)
        .uri(signing.uri)
        .header("host", "127.0.0.1:9324");
    for (name, value) in signing.headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).unwrap();
    let identity: Identity = Credentials::new(
        signing.access_key,
        signing.secret,
        signing.token.map(str::to_string),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    if let Some(expires) = signing.presign_for {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sqs")
        .time(signing.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap()));
    let signable = SignableRequest::new(
        signing.method,
        signing.uri,
        headers,
        SignableBody::Bytes(signing.body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    let (parts, ()) = request.into_parts();
    let origin_form = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .unwrap();
    Received {
        method: parts.method,
        uri: origin_form,
        headers: parts.headers,
        body: signing.body.to_vec(),
    }
}

/// Verifies against the one key `AKIDTEST` with `right-secret` (and `token` if given).
fn check_with(received: &Received, now: SystemTime, token: Option<&str>) -> Result<(), Denied> {
    let known = key("right-secret", token);
    verify(
        &received.method,
        &received.uri,
        &received.headers,
        &received.body,
        now,
        |id| (id == "AKIDTEST").then_some(&known),
    )
}

fn check(received: &Received) -> Result<(), Denied> {
    check_with(received, signed_at() + Duration::from_secs(3), None)
}

#[test]
fn a_request_signed_in_the_header_verifies() {
    assert_eq!(check(&signed(&Signing::default())), Ok(()));
    let query = signed(&Signing {
        uri: "http://127.0.0.1:9324/000000000000/q%20x?Action=ReceiveMessage&b=c%2Fd&a=",
        headers: &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body: b"Action=SendMessage&MessageBody=hi%20there",
        ..Signing::default()
    });
    assert_eq!(check(&query), Ok(()));
}

#[test]
fn wrong_secret_unknown_key_and_tampering_are_refused() {
    let wrong = signed(&Signing {
        secret: "wrong-secret",
        ..Signing::default()
    });
    assert_eq!(check(&wrong), Err(Denied::Mismatch));
    let unknown = signed(&Signing {
        access_key: "AKIDOTHER",
        ..Signing::default()
    });
    assert_eq!(check(&unknown), Err(Denied::InvalidToken));

    let mut tampered = signed(&Signing::default());
    tampered.body = br#"{"QueueNamePrefix":"x"}"#.to_vec();
    assert_eq!(check(&tampered), Err(Denied::Mismatch));
    let mut retargeted = signed(&Signing::default());
    retargeted
        .headers
        .insert("x-amz-target", "AmazonSQS.PurgeQueue".parse().unwrap());
    assert_eq!(check(&retargeted), Err(Denied::Mismatch));
    // A declared payload hash must be the body's; a streaming (aws-chunked) one is refused.
    for declared in ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "00"] {
        let mut streaming = signed(&Signing::default());
        streaming
            .headers
            .insert("x-amz-content-sha256", declared.parse().unwrap());
        assert_eq!(check(&streaming), Err(Denied::Mismatch));
    }
    let mut moved = signed(&Signing::default());
    moved.uri = "/000000000000/q".parse().unwrap();
    assert_eq!(check(&moved), Err(Denied::Mismatch));
}

#[test]
fn the_date_must_be_within_15_minutes() {
    let received = signed(&Signing::default());
    let minutes = |m: u64| Duration::from_secs(m * 60);
    assert_eq!(
        check_with(&received, signed_at() + minutes(14), None),
        Ok(())
    );
    assert_eq!(
        check_with(&received, signed_at() + minutes(16), None),
        Err(Denied::Expired)
    );
    assert_eq!(
        check_with(&received, signed_at() - minutes(16), None),
        Err(Denied::Expired)
    );
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    let presigned = signed(&Signing {
        method: "GET",
        uri: "http://127.0.0.1:9324/000000000000/q?Action=ReceiveMessage",
        headers: &[],
        body: b"",
        presign_for: Some(Duration::from_secs(60)),
        ..Signing::default()
    });
    assert!(presigned.headers.get("authorization").is_none());
    assert!(presigned.uri.query().unwrap().contains("X-Amz-Signature="));
    assert_eq!(check(&presigned), Ok(()));
    assert_eq!(
        check_with(&presigned, signed_at() + Duration::from_secs(61), None),
        Err(Denied::Expired)
    );
    let mut tampered = signed(&Signing {
        method: "GET",
        uri: "http://127.0.0.1:9324/000000000000/q?Action=ReceiveMessage",
        headers: &[],
        body: b"",
        presign_for: Some(Duration::from_secs(60)),
        ..Signing::default()
    });
    let query = tampered
        .uri
        .to_string()
        .replace("ReceiveMessage", "PurgeQueue");
    tampered.uri = query.parse().unwrap();
    assert_eq!(check(&tampered), Err(Denied::Mismatch));
}

#[test]
fn a_session_token_must_come_with_its_key() {
    let now = signed_at() + Duration::from_secs(1);
    let with_token = signed(&Signing {
        token: Some("session-token"),
        ..Signing::default()
    });
    assert_eq!(check_with(&with_token, now, Some("session-token")), Ok(()));
    assert_eq!(
        check_with(&with_token, now, Some("other-token")),
        Err(Denied::InvalidToken)
    );
    // A token the key does not have, and a key used without its token.
    assert_eq!(
        check_with(&with_token, now, None),
        Err(Denied::InvalidToken)
    );
    let without = signed(&Signing::default());
    assert_eq!(
        check_with(&without, now, Some("session-token")),
        Err(Denied::InvalidToken)
    );
}

#[test]
fn unsigned_and_malformed_requests() {
    let mut unsigned = signed(&Signing::default());
    unsigned.headers.remove("authorization");
    assert_eq!(check(&unsigned), Err(Denied::Missing));

    let mut malformed = signed(&Signing::default());
    malformed.headers.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240102/us-east-1/sqs/aws4_request"
            .parse()
            .unwrap(),
    );
    assert_eq!(
        check(&malformed),
        Err(Denied::Incomplete(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.".to_string()
        ))
    );
    let mut other_algorithm = signed(&Signing::default());
    other_algorithm
        .headers
        .insert("authorization", "AWS AKIDTEST:abc".parse().unwrap());
    assert!(matches!(
        check(&other_algorithm),
        Err(Denied::Incomplete(_))
    ));

    let mut partial_query = signed(&Signing::default());
    partial_query.headers.remove("authorization");
    partial_query.uri = "/?X-Amz-Credential=AKIDTEST".parse().unwrap();
    assert!(matches!(check(&partial_query), Err(Denied::Incomplete(_))));
}

/// AWS's SigV4 test suite, `get-vanilla` and `get-vanilla-query-order-key-case`.
#[test]
fn canonical_requests_as_the_aws_test_suite_gives_them() {
    let mut headers = HeaderMap::new();
    headers.insert("host", "example.amazonaws.com".parse().unwrap());
    headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
    let empty = hex::encode(Sha256::digest(b""));
    let canonical = canonical_request(
        &Method::GET,
        &"/".parse().unwrap(),
        &headers,
        &["host", "x-amz-date"],
        "host;x-amz-date",
        false,
        &empty,
    )
    .unwrap();
    assert_eq!(
        canonical,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let scope_day = parse_amz_date("20150830T000000Z").unwrap();
    let key = generate_signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        scope_day,
        "us-east-1",
        "service",
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    assert_eq!(
        calculate_signature(key, string_to_sign.as_bytes()),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(
        canonical_query("Param2=value2&Param1=value1", false),
        "Param1=value1&Param2=value2"
    );
    assert_eq!(
        canonical_query("b=%2F+x&a=&X-Amz-Signature=s", true),
        "a=&b=%2F%20x"
    );
}

#[test]
fn paths_headers_and_dates_normalise() {
    assert_eq!(normalize_path(""), "/");
    assert_eq!(normalize_path("/a/./b/../c//d/"), "/a/c/d/");
    assert_eq!(normalize_path("/000000000000/q"), "/000000000000/q");
    let mut encoded = String::new();
    uri_encode("/a b/%41~", true, &mut encoded);
    assert_eq!(encoded, "/a%20b/%2541~");
    assert_eq!(trim_all("  a   b  c "), "a b c");
    assert_eq!(parse_amz_date("20240102T030405Z"), Some(signed_at()));
    assert_eq!(parse_amz_date("2024-01-02T03:04:05Z"), None);
    assert_eq!(parse_amz_date("20241302T030405Z"), None);
}
