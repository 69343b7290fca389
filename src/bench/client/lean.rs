//! The lean SQS client behind `queue bench --client lean`: the three data-plane calls over one
//! pooled HTTP/1.1 client, AWS JSON 1.0 bodies written and read with serde, SigV4-signed by
//! the SDK's own signer (`aws-sigv4`) with the SDK's credentials. It talks to real SQS as to
//! `queue serve`; what it leaves out is the SDK's per-request orchestration (interceptors,
//! config bags, retries), which costs more CPU than the server it measures.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CallError, FailedEntry, Failures, Received, SendEntry};

/// Credentials are fetched again when they expire within this long.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// How long a call may take beyond its long-poll wait.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The JSON protocol's content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

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
    region: Arc<str>,
    provider: Option<SharedCredentialsProvider>,
    cached: Arc<Mutex<Option<Credentials>>>,
}

/// A message's fields, in SendMessage and in each SendMessageBatch entry.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Message<'a> {
    message_body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_deduplication_id: Option<&'a str>,
}

impl<'a> From<&'a SendEntry> for Message<'a> {
    fn from(entry: &'a SendEntry) -> Self {
        Self {
            message_body: &entry.body,
            message_group_id: entry.group.as_deref(),
            message_deduplication_id: entry.dedup.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessage<'a> {
    queue_url: &'a str,
    #[serde(flatten)]
    message: Message<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BatchEntry<'a> {
    id: String,
    #[serde(flatten)]
    message: Message<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessageBatch<'a> {
    queue_url: &'a str,
    entries: Vec<BatchEntry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReceiveMessage<'a> {
    queue_url: &'a str,
    max_number_of_messages: i32,
    wait_time_seconds: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteMessage<'a> {
    queue_url: &'a str,
    receipt_handle: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteEntry<'a> {
    id: String,
    receipt_handle: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteMessageBatch<'a> {
    queue_url: &'a str,
    entries: Vec<DeleteEntry<'a>>,
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
        Ok(Self {
            http,
            uri,
            host,
            region: region.into(),
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
        input: &impl Serialize,
        wait: Duration,
    ) -> Result<T, CallError> {
        let body =
            serde_json::to_vec(input).map_err(|error| CallError::fatal(error.to_string()))?;
        let mut request = Request::post(self.uri.clone())
            .header(http::header::HOST, self.host.clone())
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-target", format!("AmazonSQS.{target}"))
            .body(Full::new(Bytes::new()))
            .map_err(|error| CallError::fatal(error.to_string()))?;
        if let Some(credentials) = self.credentials().await? {
            self.sign(&mut request, &body, credentials)
                .map_err(CallError::fatal)?;
        }
        *request.body_mut() = Full::new(Bytes::from(body));
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

    fn sign(
        &self,
        request: &mut Request<Full<Bytes>>,
        body: &[u8],
        credentials: Credentials,
    ) -> Result<(), String> {
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("sqs")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| error.to_string())?
            .into();
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        let uri = self.uri.to_string();
        let signable = SignableRequest::new("POST", uri, headers, SignableBody::Bytes(body))
            .map_err(|error| error.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|error| error.to_string())?
            .into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
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
            let input = SendMessage {
                queue_url,
                message: entry.into(),
            };
            let _: Ignored = self.call("SendMessage", &input, Duration::ZERO).await?;
            return Ok(Failures::none());
        }
        let input = SendMessageBatch {
            queue_url,
            entries: entries
                .iter()
                .enumerate()
                .map(|(index, entry)| BatchEntry {
                    id: index.to_string(),
                    message: entry.into(),
                })
                .collect(),
        };
        let answer: BatchAnswer = self
            .call("SendMessageBatch", &input, Duration::ZERO)
            .await?;
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
        let input = ReceiveMessage {
            queue_url,
            max_number_of_messages: max,
            wait_time_seconds: wait,
        };
        let wait = Duration::from_secs(u64::try_from(wait).unwrap_or(0));
        let answer: ReceiveAnswer = self.call("ReceiveMessage", &input, wait).await?;
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
        let input = DeleteMessageBatch {
            queue_url,
            entries: handles
                .iter()
                .enumerate()
                .map(|(index, handle)| DeleteEntry {
                    id: index.to_string(),
                    receipt_handle: handle,
                })
                .collect(),
        };
        let answer: BatchAnswer = self
            .call("DeleteMessageBatch", &input, Duration::ZERO)
            .await?;
        Ok(answer.into())
    }

    /// DeleteMessage.
    ///
    /// # Errors
    /// The request failed.
    pub async fn delete(&self, queue_url: &str, handle: &str) -> Result<(), CallError> {
        let input = DeleteMessage {
            queue_url,
            receipt_handle: handle,
        };
        let _: Ignored = self.call("DeleteMessage", &input, Duration::ZERO).await?;
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
        let mut request = Request::post(lean.uri.clone())
            .header(http::header::HOST, lean.host.clone())
            .body(Full::new(Bytes::new()))
            .unwrap();
        lean.sign(&mut request, b"{}", credentials).unwrap();
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
            authorization.contains("SignedHeaders=host;x-amz-date"),
            "{authorization}"
        );
        assert_eq!(header("x-amz-security-token"), "token");
    }
}
