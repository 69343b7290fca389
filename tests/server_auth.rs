//! `queue serve --auth`: the real SDK with listed, wrong and unknown keys and session tokens;
//! raw requests signed by `aws-sigv4` (as the SDK signs them) and then tampered with, replayed
//! after the 15-minute window, or presigned into a URL; unsigned requests in both protocols;
//! the built binary's banner and its errors for an unusable `--auth` file.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use queue::server::{Keys, LocalServer, ServeOptions};

use crate::util::binary::{TempDir, queue};
use crate::util::http::{RawResponse, raw, xml_text};
use crate::util::serve_process;
use crate::util::server::{SEED, start_with};

/// The `--auth` file of these tests: two long-term keys and one with a session token.
const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDAUTHTEST
aws_secret_access_key = right-secret

[ci]
aws_access_key_id = AKIDSECOND
aws_secret_access_key = second/secret+key

[temporary]
aws_access_key_id = ASIATEMPORARY
aws_secret_access_key = temporary-secret
aws_session_token = the-session-token
";

/// The message SQS gives for a signature that does not match.
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

async fn start_signed() -> LocalServer {
    start_with(ServeOptions {
        auth: Some(Arc::new(Keys::parse(CREDENTIALS).expect("test keys"))),
        ..ServeOptions::deterministic(SEED)
    })
    .await
}

/// A real SDK client for `server` signing with this key, without retries.
fn client_signing(server: &LocalServer, key: &str, secret: &str, token: Option<&str>) -> Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_string),
            None,
            "auth-tests",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn sns_requests_are_held_to_the_same_keys() {
    use crate::util::sns::{client_signing as sns_signing, code_and_message};
    let server = start_signed().await;
    let right = sns_signing(&server, "AKIDAUTHTEST", "right-secret");
    right
        .create_topic()
        .name("t")
        .send()
        .await
        .expect("signed for sns with a listed key");
    let wrong = sns_signing(&server, "AKIDAUTHTEST", "wrong-secret");
    let error = wrong.list_topics().send().await.unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("SignatureDoesNotMatch".to_string(), MISMATCH.to_string())
    );
}

#[tokio::test]
async fn listed_keys_send_and_receive_over_the_sdk() {
    let server = start_signed().await;
    for (key, secret, token) in [
        ("AKIDAUTHTEST", "right-secret", None),
        ("AKIDSECOND", "second/secret+key", None),
        (
            "ASIATEMPORARY",
            "temporary-secret",
            Some("the-session-token"),
        ),
    ] {
        let sqs = client_signing(&server, key, secret, token);
        let url = sqs
            .create_queue()
            .queue_name(format!("signed-{}", key.to_lowercase()))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .unwrap();
        sqs.send_message()
            .queue_url(&url)
            .message_body("signed hello")
            .send()
            .await
            .expect("send");
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        assert_eq!(received.messages()[0].body(), Some("signed hello"), "{key}");
    }
}

#[tokio::test]
async fn wrong_secrets_unknown_keys_and_missing_tokens_are_refused() {
    let server = start_signed().await;
    let cases = [
        (
            ("AKIDAUTHTEST", "wrong-secret", None),
            "SignatureDoesNotMatch",
        ),
        (
            ("AKIDUNKNOWN", "right-secret", None),
            "InvalidClientTokenId",
        ),
        (
            ("ASIATEMPORARY", "temporary-secret", None),
            "InvalidClientTokenId",
        ),
        (
            ("ASIATEMPORARY", "temporary-secret", Some("another-token")),
            "InvalidClientTokenId",
        ),
        (
            ("AKIDAUTHTEST", "right-secret", Some("a-token-it-has-not")),
            "InvalidClientTokenId",
        ),
    ];
    for ((key, secret, token), code) in cases {
        let sqs = client_signing(&server, key, secret, token);
        let error = sqs.list_queues().send().await.unwrap_err();
        let status = error.raw_response().map(|r| r.status().as_u16());
        assert_eq!(
            (error.code(), status),
            (Some(code), Some(403)),
            "{key} {secret} {token:?}"
        );
        if code == "SignatureDoesNotMatch" {
            assert_eq!(error.message(), Some(MISMATCH));
        } else {
            assert_eq!(
                error.message(),
                Some("The security token included in the request is invalid.")
            );
        }
    }
}

/// A request signed by `aws-sigv4` as the SDK signs it, ready for [`raw`].
struct Signed {
    path_and_query: String,
    headers: Vec<(String, String)>,
}

impl Signed {
    fn headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    async fn send(&self, server: &LocalServer, method: &str, body: &[u8]) -> RawResponse {
        raw(server, method, &self.path_and_query, &self.headers(), body).await
    }
}

/// Signs `method path` with these headers and body for `server` with the `[default]` key, at
/// `time`, in the header or (`presign_for`) in the query.
fn sign_raw(
    server: &LocalServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    time: SystemTime,
    presign_for: Option<Duration>,
) -> Signed {
    let host = server.endpoint().trim_start_matches("http://").to_string();
    let uri = format!("http://{host}{path_and_query}");
    let mut request = http::Request::builder()
        .method(method)
        .uri(&uri)
        .header("host", &host);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).unwrap();
    let identity: Identity =
        Credentials::new("AKIDAUTHTEST", "right-secret", None, None, "auth-tests").into();
    let mut settings = SigningSettings::default();
    if let Some(expires) = presign_for {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sqs")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        &uri,
        request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Signed {
        path_and_query: request.uri().path_and_query().unwrap().to_string(),
        headers: request
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str() != "host")
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
            .collect(),
    }
}

const JSON_HEADERS: [(&str, &str); 2] = [
    ("content-type", "application/x-amz-json-1.0"),
    ("x-amz-target", "AmazonSQS.CreateQueue"),
];

fn assert_json_error(response: &RawResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(
        response.header("x-amzn-query-error"),
        Some(format!("{code};Sender").as_str())
    );
    assert_eq!(
        response.json()["__type"],
        format!("com.amazonaws.sqs#{code}")
    );
}

#[tokio::test]
async fn a_signed_raw_request_is_served_and_its_tampered_copy_is_not() {
    let server = start_signed().await;
    let body = br#"{"QueueName":"raw-signed"}"#;
    let signed = sign_raw(
        &server,
        "POST",
        "/",
        &JSON_HEADERS,
        body,
        SystemTime::now(),
        None,
    );
    let served = signed.send(&server, "POST", body).await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert!(
        served.json()["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/raw-signed")
    );

    let tampered = signed
        .send(&server, "POST", br#"{"QueueName":"raw-tamper"}"#)
        .await;
    assert_json_error(&tampered, 403, "SignatureDoesNotMatch");
    assert_eq!(tampered.json()["message"], MISMATCH);
}

#[tokio::test]
async fn a_request_signed_20_minutes_ago_has_expired() {
    let server = start_signed().await;
    let body = br#"{"QueueName":"replayed"}"#;
    let then = SystemTime::now() - Duration::from_secs(20 * 60);
    let replayed = sign_raw(&server, "POST", "/", &JSON_HEADERS, body, then, None)
        .send(&server, "POST", body)
        .await;
    assert_json_error(&replayed, 400, "RequestExpired");
    assert_eq!(replayed.json()["message"], "Request has expired.");
    let ahead = SystemTime::now() + Duration::from_secs(20 * 60);
    let early = sign_raw(&server, "POST", "/", &JSON_HEADERS, body, ahead, None)
        .send(&server, "POST", body)
        .await;
    assert_json_error(&early, 400, "RequestExpired");
}

#[tokio::test]
async fn unsigned_requests_miss_the_authentication_token() {
    let server = start_signed().await;
    let json = raw(&server, "POST", "/", &JSON_HEADERS, br#"{"QueueName":"x"}"#).await;
    assert_json_error(&json, 403, "MissingAuthenticationToken");
    assert_eq!(
        json.json()["message"],
        "Request is missing Authentication Token"
    );
    let query = raw(&server, "GET", "/?Action=ListQueues", &[], b"").await;
    assert_eq!(query.status, 403, "{}", query.body);
    assert_eq!(
        xml_text(&query.body, "Code").as_deref(),
        Some("MissingAuthenticationToken")
    );
    let malformed = raw(
        &server,
        "POST",
        "/",
        &[
            JSON_HEADERS[0],
            JSON_HEADERS[1],
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDAUTHTEST/20240101/us-east-1/sqs/aws4_request",
            ),
        ],
        b"{}",
    )
    .await;
    assert_json_error(&malformed, 400, "IncompleteSignature");
}

#[tokio::test]
async fn a_presigned_url_works_until_it_expires() {
    let server = start_signed().await;
    let create = sign_raw(
        &server,
        "GET",
        "/?Action=CreateQueue&QueueName=presigned",
        &[],
        b"",
        SystemTime::now(),
        Some(Duration::from_secs(300)),
    );
    assert!(create.path_and_query.contains("X-Amz-Signature="));
    assert!(
        create
            .headers
            .iter()
            .all(|(name, _)| name != "authorization")
    );
    let created = create.send(&server, "GET", b"").await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(
        xml_text(&created.body, "QueueUrl")
            .unwrap()
            .ends_with("/presigned")
    );

    let send = sign_raw(
        &server,
        "GET",
        "/000000000000/presigned?Action=SendMessage&MessageBody=hello%20presigned",
        &[],
        b"",
        SystemTime::now() - Duration::from_secs(120),
        Some(Duration::from_secs(60)),
    );
    let expired = send.send(&server, "GET", b"").await;
    assert_eq!(expired.status, 400, "{}", expired.body);
    assert_eq!(
        xml_text(&expired.body, "Code").as_deref(),
        Some("RequestExpired")
    );
    let changed = create.path_and_query.replace("presigned", "presigned-2");
    let tampered = raw(&server, "GET", &changed, &[], b"").await;
    assert_eq!(tampered.status, 403, "{}", tampered.body);
    assert_eq!(
        xml_text(&tampered.body, "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
}

#[test]
fn an_unusable_auth_file_is_one_line_with_a_hint_and_exit_1() {
    let dir = TempDir::new();
    let missing = dir.path().join("missing-credentials");
    dir.write("no-keys", "[sso]\nsso_start_url = https://example.com\n");
    let no_keys = dir.path().join("no-keys");
    for (file, says) in [
        (&missing, "cannot read --auth "),
        (
            &no_keys,
            "no profile has both aws_access_key_id and aws_secret_access_key",
        ),
    ] {
        let output = queue()
            .args(["serve", "--bind", "127.0.0.1:0", "--auth"])
            .arg(file)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.trim().lines().collect();
        assert_eq!(lines.len(), 2, "{stderr}");
        assert!(lines[0].starts_with("queue: "), "{stderr}");
        assert!(lines[0].contains(says), "{stderr}");
        assert!(lines[1].starts_with("hint: "), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[cfg(unix)]
#[test]
fn the_banner_counts_the_keys_and_never_shows_a_secret() {
    let dir = TempDir::new();
    dir.write("credentials", CREDENTIALS);
    let file = dir.path().join("credentials");
    let file = file.to_str().unwrap();
    let (child, banner) = serve_process::start(&["--auth", file]);
    let expected = format!(
        "auth: signatures checked (3 keys from {file}): only requests signed with one of them are served"
    );
    assert!(banner.contains(&expected), "{banner:?}");
    let text = banner.join("\n");
    for secret in [
        "right-secret",
        "second/secret+key",
        "temporary-secret",
        "the-session-token",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    serve_process::signal(&child, "TERM");
    let (code, stderr) = serve_process::wait(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn with_auth_a_non_loopback_bind_does_not_warn() {
    let dir = TempDir::new();
    dir.write("credentials", CREDENTIALS);
    let mut child = serve_process::ServeProcess(
        queue()
            .args(["serve", "--bind", "0.0.0.0:0", "--auth"])
            .arg(dir.path().join("credentials"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let stdout = BufReader::new(child.0.stdout.take().expect("stdout"));
    for line in stdout.lines().map_while(Result::ok) {
        if line.contains("Ctrl-C stops the server") {
            break;
        }
    }
    serve_process::signal(&child, "TERM");
    let (code, stderr) = serve_process::wait(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}
