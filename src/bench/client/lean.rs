//! The lean SQS client behind `queue bench --client lean`: the three data-plane calls over one
//! pooled HTTP/1.1 client, AWS JSON 1.0 bodies written straight into bytes (`wire.rs`) and read
//! with serde, SigV4-signed (`sigv4.rs`, held to `aws-sigv4`'s signatures) with the SDK's
//! credentials. It talks to real SQS as to `queue serve`; what it leaves out is the SDK's
//! per-request orchestration (interceptors, config bags, retries), which costs more CPU than
//! the server it measures.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::sigv4::Signer;
use super::wire;
use super::{CallError, FailedEntry, Failures, Received, SendEntry};

/// Credentials are fetched again when they expire within this long.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// How long a call may take beyond its long-poll wait.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The JSON protocol's content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Header names, made once rather than parsed per request.
const AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
const AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// The connection pool: plain HTTP (`queue serve`, LocalStack) needs no TLS set-up, and so no
/// CA certificates.
#[derive(Clone)]
enum Pool {
    Plain(HttpClient<HttpConnector, Full<Bytes>>),
    Tls(HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>),
}

impl Pool {
    async fn request(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        match self {
            Self::Plain(client) => client.request(request).await,
            Self::Tls(client) => client.request(request).await,
        }
    }
}

/// A pooled, signing SQS client for one endpoint and region.
#[derive(Clone)]
pub struct Lean {
    http: Pool,
    uri: Uri,
    host: HeaderValue,
    signer: Arc<Signer>,
    provider: Option<SharedCredentialsProvider>,
    cached: Arc<Mutex<Option<Credentials>>>,
}

/// What a batch answer says failed (the successes are not needed).
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct BatchAnswer {
    #[serde(default)]
    failed: Vec<BatchFailure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchFailure {
    #[serde(default)]
    id: String,
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    sender_fault: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReceiveAnswer {
    #[serde(default)]
    messages: Vec<Received>,
}

/// Any answer whose content does not matter.
#[derive(Deserialize)]
struct Ignored {}

/// An error answer: `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "…"}`.
#[derive(Deserialize)]
struct ErrorAnswer {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(alias = "Message", default)]
    message: String,
}

impl From<BatchAnswer> for Failures {
    fn from(answer: BatchAnswer) -> Self {
        let first = answer.failed.first();
        Self::new(
            answer
                .failed
                .iter()
                .map(|failure| FailedEntry::new(&failure.id, &failure.code, failure.sender_fault))
                .collect(),
            first.map(|failure| (failure.code.as_str(), failure.message.as_deref())),
        )
    }
}

impl Lean {
    /// A client for `endpoint` (`http://…` or `https://…`) in `region`, signing with what
    /// `provider` gives (unsigned without one), keeping up to `connections` idle connections.
    ///
    /// # Errors
    /// The endpoint is not a URL, or HTTPS is asked for and no CA certificates are found.
    pub fn new(
        endpoint: &str,
        region: &str,
        provider: Option<SharedCredentialsProvider>,
        connections: usize,
    ) -> Result<Self> {
        let uri: Uri = endpoint
            .parse()
            .with_context(|| format!("not an endpoint URL: {endpoint}"))?;
        let authority = uri
            .authority()
            .with_context(|| format!("no host in the endpoint URL {endpoint}"))?;
        let host = HeaderValue::from_str(authority.as_str())?;
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        let mut builder = HttpClient::builder(TokioExecutor::new());
        builder.pool_max_idle_per_host(connections);
        let http = if uri.scheme_str() == Some("https") {
            tcp.enforce_http(false);
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .context(
                    "no CA certificates found for HTTPS (install the ca-certificates package)",
                )?
                .https_only()
                .enable_http1()
                .wrap_connector(tcp);
            Pool::Tls(builder.build(connector))
        } else {
            Pool::Plain(builder.build(tcp))
        };
        let path_and_query = (uri.path(), uri.query().unwrap_or_default());
        let signer = Signer::new(region, authority.as_str(), path_and_query, CONTENT_TYPE);
        Ok(Self {
            http,
            uri,
            host,
            signer: Arc::new(signer),
            provider,
            cached: Arc::new(Mutex::new(None)),
        })
    }

    async fn credentials(&self) -> Result<Option<Credentials>, CallError> {
        let Some(provider) = &self.provider else {
            return Ok(None);
        };
        let fresh = |credentials: &Credentials| {
            credentials
                .expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + REFRESH_BEFORE)
        };
        if let Some(credentials) = self
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|credentials| fresh(credentials))
        {
            return Ok(Some(credentials.clone()));
        }
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|error| CallError::fatal(format!("no credentials: {error}")))?;
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some(credentials.clone());
        Ok(Some(credentials))
    }

    /// Signs and posts one call; its answer parsed, or the error as "Code: message". No
    /// answer (refused, reset, cut short, too slow) and a 5xx are worth retrying.
    async fn call<T: DeserializeOwned>(
        &self,
        target: &str,
        body: Vec<u8>,
        wait: Duration,
    ) -> Result<T, CallError> {
        let credentials = self.credentials().await?;
        let request = self.request(target, body, credentials.as_ref())?;
        let call = async {
            let answer = self
                .http
                .request(request)
                .await
                .map_err(|error| format!("{}: {error}", self.uri))?;
            let status = answer.status();
            let bytes = answer
                .into_body()
                .collect()
                .await
                .map_err(|error| error.to_string())?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(wait + CALL_TIMEOUT, call).await {
            Ok(answer) => answer.map_err(CallError::transient)?,
            Err(_) => {
                let limit = wait + CALL_TIMEOUT;
                return Err(CallError::transient(format!(
                    "no answer from {} in {limit:?}",
                    self.uri
                )));
            }
        };
        if status != StatusCode::OK {
            return Err(error_answer(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| CallError::fatal(format!("unreadable answer: {error}")))
    }

    /// The HTTP request for a call of `target` (`SendMessage`) with `body`, signed with
    /// `credentials` when there are some.
    fn request(
        &self,
        target: &str,
        body: Vec<u8>,
        credentials: Option<&Credentials>,
    ) -> Result<Request<Full<Bytes>>, CallError> {
        let target = format!("AmazonSQS.{target}");
        let mut request = Request::post(self.uri.clone())
            .header(http::header::HOST, self.host.clone())
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE),
            );
        if let Some(credentials) = credentials {
            let signature = self
                .signer
                .sign(credentials, &target, &body, SystemTime::now());
            request = request
                .header(AMZ_DATE, signature.amz_date)
                .header(http::header::AUTHORIZATION, signature.authorization);
            if let Some(token) = credentials.session_token() {
                request = request.header(AMZ_SECURITY_TOKEN, token);
            }
        }
        request
            .header(AMZ_TARGET, target)
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| CallError::fatal(error.to_string()))
    }

    /// SendMessage or SendMessageBatch (more than one entry); the failed entries.
    ///
    /// # Errors
    /// The request failed as a whole.
    pub async fn send(
        &self,
        queue_url: &str,
        entries: &[SendEntry],
    ) -> Result<Failures, CallError> {
        if let [entry] = entries {
            let body = wire::send_message(queue_url, entry);
            let _: Ignored = self.call("SendMessage", body, Duration::ZERO).await?;
            return Ok(Failures::none());
        }
        let body = wire::send_message_batch(queue_url, entries);
        let answer: BatchAnswer = self.call("SendMessageBatch", body, Duration::ZERO).await?;
        Ok(answer.into())
    }

    /// ReceiveMessage.
    ///
    /// # Errors
    /// The request failed.
    pub async fn receive(
        &self,
        queue_url: &str,
        max: i32,
        wait: i32,
    ) -> Result<Vec<Received>, CallError> {
        let body = wire::receive_message(queue_url, max, wait);
        let wait = Duration::from_secs(u64::try_from(wait).unwrap_or(0));
        let answer: ReceiveAnswer = self.call("ReceiveMessage", body, wait).await?;
        Ok(answer.messages)
    }

    /// DeleteMessageBatch.
    ///
    /// # Errors
    /// The request failed as a whole.
    pub async fn delete_batch(
        &self,
        queue_url: &str,
        handles: &[String],
    ) -> Result<Failures, CallError> {
        let body = wire::delete_message_batch(queue_url, handles);
        let answer: BatchAnswer = self
            .call("DeleteMessageBatch", body, Duration::ZERO)
            .await?;
        Ok(answer.into())
    }

    /// DeleteMessage.
    ///
    /// # Errors
    /// The request failed.
    pub async fn delete(&self, queue_url: &str, handle: &str) -> Result<(), CallError> {
        let body = wire::delete_message(queue_url, handle);
        let _: Ignored = self.call("DeleteMessage", body, Duration::ZERO).await?;
        Ok(())
    }
}

/// An error answer as a [`CallError`]: worth retrying after a 5xx or a throttling code.
fn error_answer(status: StatusCode, body: &[u8]) -> CallError {
    let text = error_text(status, body);
    let code = text.split(':').next().unwrap_or_default();
    CallError {
        retryable: status.is_server_error() || super::failure::is_transient_code(code),
        text,
    }
}

/// "Code: message" from an error answer, else the status and the start of the body.
fn error_text(status: StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorAnswer>(body) {
        Ok(error) if !error.kind.is_empty() => {
            let code = error.kind.rsplit('#').next().unwrap_or(&error.kind);
            format!("{code}: {}", error.message)
        }
        _ => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            format!("HTTP {status}: {text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_code_and_message() {
        let body = br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;
        assert_eq!(
            error_text(StatusCode::BAD_REQUEST, body),
            "QueueDoesNotExist: The specified queue does not exist."
        );
        let query_style =
            br#"{"__type":"AWS.SimpleQueueService.NonExistentQueue","Message":"gone"}"#;
        assert_eq!(
            error_text(StatusCode::BAD_REQUEST, query_style),
            "AWS.SimpleQueueService.NonExistentQueue: gone"
        );
        assert_eq!(
            error_text(StatusCode::BAD_GATEWAY, b"<html>proxy</html>"),
            "HTTP 502 Bad Gateway: <html>proxy</html>"
        );
    }

    #[test]
    fn throttling_and_5xx_answers_are_retryable() {
        let throttled =
            br#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}"#;
        assert!(error_answer(StatusCode::FORBIDDEN, throttled).retryable);
        let internal = br#"{"__type":"com.amazonaws.sqs#InternalFailure","message":"oops"}"#;
        assert!(error_answer(StatusCode::INTERNAL_SERVER_ERROR, internal).retryable);
        assert!(error_answer(StatusCode::BAD_GATEWAY, b"<html>proxy</html>").retryable);
        let missing = br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}"#;
        assert!(!error_answer(StatusCode::BAD_REQUEST, missing).retryable);
    }

    #[test]
    fn batch_failures_name_their_entries() {
        let answer: BatchAnswer = serde_json::from_slice(
            br#"{"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"again"},{"Id":"2","SenderFault":true,"Code":"InvalidParameterValue"}]}"#,
        )
        .unwrap();
        let failures = Failures::from(answer);
        assert_eq!(failures.count(), 2);
        assert!(failures.retryable(1) && failures.failed(2) && !failures.retryable(2));
        assert_eq!(failures.first.as_deref(), Some("InternalError: again"));
    }

    #[tokio::test]
    async fn requests_are_signed_for_sqs_in_the_region() {
        let credentials =
            Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "test");
        let lean = Lean::new(
            "http://127.0.0.1:9324",
            "eu-west-2",
            Some(SharedCredentialsProvider::new(credentials.clone())),
            1,
        )
        .unwrap();
        let request = lean
            .request("ReceiveMessage", b"{}".to_vec(), Some(&credentials))
            .unwrap();
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_string();
        let authorization = header("authorization");
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{authorization}"
        );
        assert!(
            authorization.contains("/eu-west-2/sqs/aws4_request"),
            "{authorization}"
        );
        assert!(
            authorization.contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"
            ),
            "{authorization}"
        );
        assert_eq!(header("x-amz-security-token"), "token");
        assert_eq!(header("x-amz-target"), "AmazonSQS.ReceiveMessage");
        assert_eq!(header("host"), "127.0.0.1:9324");
    }
}
