//! The HTTP face of the server: one axum route for every method and path that recognises the
//! protocol (AWS JSON 1.0 by `X-Amz-Target`, Query by `Action=`), builds the
//! [`RequestContext`], applies `--latency` and `--fail-rate`, hands the action to
//! [`Engine::dispatch`] and renders the answer (JSON, or XML for Query unless the client accepts
//! JSON). Queue semantics live in the engine; this module only speaks the wire.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::ServeOptions;
use super::engine::{DEFAULT_ACCOUNT, Engine, RequestContext, probability};
use super::error::SqsError;
use super::{query, xml};
use crate::rules::DEFAULT_REGION;

/// Largest request body accepted (SQS's own limit is 1 MiB of payload; encodings add more).
const BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;
/// `X-Amz-Target` prefix of every SQS JSON operation.
const TARGET_PREFIX: &str = "AmazonSQS.";
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const XML_CONTENT_TYPE: &str = "text/xml";
/// Mixes the server seed so the wire's random stream differs from the engine's.
const WIRE_SEED_SALT: u64 = 0x5157_5f57_4952_4531;

/// Everything a request handler needs, shared by all connections.
#[derive(Clone)]
struct Wire {
    engine: Engine,
    /// Added to every response (`--latency`).
    latency: Duration,
    /// Fraction of requests answered with a retryable error (`--fail-rate`, as a probability).
    fail_rate: f64,
    /// Draws for `--fail-rate`, seeded from `--seed`.
    rng: Arc<Mutex<StdRng>>,
    /// Cancelled when the server shuts down: waiting long polls answer empty at once.
    shutdown: CancellationToken,
}

/// The server's router: every method and path goes to the one SQS handler; waiting long polls
/// end (empty) when `shutdown` is cancelled.
pub(crate) fn router_until(
    engine: Engine,
    options: &ServeOptions,
    shutdown: CancellationToken,
) -> Router {
    let rng = match options.seed {
        Some(seed) => StdRng::seed_from_u64(seed ^ WIRE_SEED_SALT),
        None => StdRng::from_os_rng(),
    };
    let wire = Wire {
        engine,
        latency: options.latency,
        fail_rate: probability(options.fail_rate),
        rng: Arc::new(Mutex::new(rng)),
        shutdown,
    };
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(wire)
}

/// Which protocol a request spoke, which decides how the answer is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
}

/// A request understood far enough to dispatch (or to answer with the error it deserves).
struct Request {
    protocol: Protocol,
    /// Render the answer as JSON (JSON requests, and Query requests that accept JSON).
    answer_json: bool,
    /// The action and its JSON-shaped input, or why there is none.
    call: Result<(String, Value), SqsError>,
    /// Query parameters from the URL and form body (signature parameters included).
    params: Vec<(String, String)>,
}

async fn handle(
    State(wire): State<Wire>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let request = match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(body) => parse(&method, &uri, &headers, &body),
        Err(_) => Request {
            protocol: Protocol::Json,
            answer_json: header_str(&headers, "x-amz-target").is_some(),
            call: Err(SqsError::invalid_parameter_value(format!(
                "The request body is unreadable or larger than {BODY_LIMIT_BYTES} bytes."
            ))),
            params: Vec::new(),
        },
    };
    let ctx = context(&uri, &headers, &request.params);
    let outcome = match request.call {
        Ok((action, input)) => wire
            .call(&ctx, &action, input)
            .await
            .map(|out| (action, out)),
        Err(error) => Err(error),
    };
    if !wire.latency.is_zero() {
        tokio::time::sleep(wire.latency).await;
    }
    render(request.protocol, request.answer_json, outcome, &request_id)
}

impl Wire {
    /// `--fail-rate`, then the engine (a long poll ends empty when the server shuts down).
    async fn call(
        &self,
        ctx: &RequestContext,
        action: &str,
        input: Value,
    ) -> Result<Value, SqsError> {
        if let Some(error) = self.injected_failure() {
            return Err(error);
        }
        tokio::select! {
            outcome = self.engine.dispatch(ctx, action, input) => outcome,
            () = self.shutdown.cancelled(), if action == "ReceiveMessage" => {
                Ok(Value::Object(Map::new()))
            }
        }
    }

    /// With probability `fail_rate`, one of SQS's retryable errors (half each).
    fn injected_failure(&self) -> Option<SqsError> {
        if self.fail_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        if !rng.random_bool(self.fail_rate) {
            return None;
        }
        Some(if rng.random_bool(0.5) {
            SqsError::internal_failure()
        } else {
            SqsError::request_throttled()
        })
    }
}

/// Recognises the protocol and extracts the action and its JSON-shaped input.
fn parse(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Request {
    let mut params = url_params(uri);
    if let Some(target) = header_str(headers, "x-amz-target") {
        return Request {
            protocol: Protocol::Json,
            answer_json: true,
            call: json_call(target, body),
            params,
        };
    }
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let is_json_body = content_type.starts_with("application/x-amz-json")
        || content_type.starts_with("application/json");
    let form = !is_json_body && method != Method::GET && !body.is_empty();
    if form {
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    let action = params
        .iter()
        .find(|(name, _)| name == "Action")
        .map(|(_, value)| value.clone());
    let accepts_json =
        header_str(headers, header::ACCEPT.as_str()).is_some_and(|accept| accept.contains("json"));
    let query = uri.query().unwrap_or_default().as_bytes();
    if !form_is_utf8(query) || (form && !form_is_utf8(body)) {
        // `form_urlencoded` decodes lossily; refuse rather than store a different body.
        return Request {
            protocol: Protocol::Query,
            answer_json: accepts_json,
            call: Err(SqsError::invalid_parameter_value(
                "The request contains percent-encoded bytes that are not valid UTF-8.",
            )),
            params,
        };
    }
    match action {
        Some(action) if !action.is_empty() => Request {
            protocol: Protocol::Query,
            answer_json: accepts_json,
            call: query::to_json(&action, &params).map(|input| (action, input)),
            params,
        },
        _ if is_json_body => Request {
            protocol: Protocol::Json,
            answer_json: true,
            call: Err(SqsError::missing_action()),
            params,
        },
        _ => Request {
            protocol: Protocol::Query,
            answer_json: accepts_json,
            call: Err(SqsError::missing_action()),
            params,
        },
    }
}

/// `AmazonSQS.<Action>` and a JSON object body (empty means `{}`).
fn json_call(target: &str, body: &[u8]) -> Result<(String, Value), SqsError> {
    let target = target.trim();
    if target.is_empty() {
        return Err(SqsError::missing_action());
    }
    let Some(action) = target.strip_prefix(TARGET_PREFIX).filter(|a| !a.is_empty()) else {
        return Err(SqsError::unsupported_operation(target));
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((action.to_string(), Value::Object(Map::new())));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Ok((action.to_string(), Value::Object(members))),
        Ok(_) => Err(SqsError::invalid_parameter_value(
            "The request body must be a JSON object.",
        )),
        Err(error) => Err(SqsError::invalid_parameter_value(format!(
            "The request body is not valid JSON: {error}."
        ))),
    }
}

/// Whether every name and value of an `application/x-www-form-urlencoded` string decodes to
/// UTF-8.
fn form_is_utf8(form: &[u8]) -> bool {
    form.split(|b| *b == b'&' || *b == b'=').all(|part| {
        let mut bytes = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let hex = part
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (part[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(byte)) => {
                    bytes.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    bytes.push(byte);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&bytes).is_ok()
    })
}

fn url_params(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Who sent the request and how it was addressed.
fn context(uri: &Uri, headers: &HeaderMap, params: &[(String, String)]) -> RequestContext {
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

/// The HTTP response for an outcome, in the protocol the client understands.
fn render(
    protocol: Protocol,
    answer_json: bool,
    outcome: Result<(String, Value), SqsError>,
    request_id: &str,
) -> Response {
    let (status, content_type, body, query_error) = match (outcome, answer_json) {
        (Ok((_, output)), true) => {
            let output = if output.is_null() {
                Value::Object(Map::new())
            } else {
                output
            };
            (StatusCode::OK, JSON_CONTENT_TYPE, output.to_string(), None)
        }
        (Ok((action, output)), false) => (
            StatusCode::OK,
            XML_CONTENT_TYPE,
            xml::success(&action, &output, request_id),
            None,
        ),
        (Err(error), true) => (
            error_status(&error),
            JSON_CONTENT_TYPE,
            json_error_body(&error, protocol),
            Some(format!("{};{}", error.code, error.fault())),
        ),
        (Err(error), false) => (
            error_status(&error),
            XML_CONTENT_TYPE,
            xml::error(&error, request_id),
            None,
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    if let Some(value) = query_error.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert("x-amzn-query-error", value);
    }
    response
}

fn error_status(error: &SqsError) -> StatusCode {
    StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST)
}

/// `{"__type": "com.amazonaws.sqs#<shape>", "message": …}`. A Query request that asked for
/// JSON gets the Query wording of the message.
fn json_error_body(error: &SqsError, protocol: Protocol) -> String {
    let message = if protocol == Protocol::Query {
        xml::query_message(error)
    } else {
        error.message.clone()
    };
    serde_json::json!({
        "__type": format!("com.amazonaws.sqs#{}", error.shape),
        "message": message,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn json_targets_and_bodies() {
        let (action, input) = json_call("AmazonSQS.ListQueues", b"").unwrap();
        assert_eq!(
            (action.as_str(), input),
            ("ListQueues", serde_json::json!({}))
        );
        let (_, input) =
            json_call("AmazonSQS.GetQueueUrl", br#"{"QueueName":"q","Extra":1}"#).unwrap();
        assert_eq!(input["Extra"], 1);
        assert_eq!(json_call("", b"{}").unwrap_err().code, "MissingAction");
        assert_eq!(
            json_call("DynamoDB_20120810.ListTables", b"{}")
                .unwrap_err()
                .shape,
            "UnsupportedOperation"
        );
        assert_eq!(
            json_call("AmazonSQS.ListQueues", b"{not json")
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
        assert_eq!(
            json_call("AmazonSQS.ListQueues", b"[1]").unwrap_err().code,
            "InvalidParameterValue"
        );
    }

    async fn parts(response: Response) -> (u16, HeaderMap, String) {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn errors_render_per_protocol() {
        let id = "11111111-2222-3333-4444-555555555555";
        let missing = || Err(SqsError::queue_does_not_exist());
        let (status, headers, body) = parts(render(Protocol::Json, true, missing(), id)).await;
        assert_eq!(status, 400);
        assert_eq!(headers["x-amzn-requestid"], id);
        assert_eq!(
            headers["x-amzn-query-error"],
            "AWS.SimpleQueueService.NonExistentQueue;Sender"
        );
        assert_eq!(headers["content-type"], JSON_CONTENT_TYPE);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            serde_json::json!({
                "__type": "com.amazonaws.sqs#QueueDoesNotExist",
                "message": "The specified queue does not exist.",
            })
        );

        let (status, headers, body) = parts(render(Protocol::Query, false, missing(), id)).await;
        assert_eq!(status, 400);
        assert_eq!(headers["content-type"], XML_CONTENT_TYPE);
        assert_eq!(headers["x-amzn-requestid"], id);
        assert!(headers.get("x-amzn-query-error").is_none());
        assert!(
            body.contains("does not exist for this wsdl version."),
            "{body}"
        );

        // A Query request that accepts JSON gets JSON, in Query wording.
        let (_, headers, body) = parts(render(Protocol::Query, true, missing(), id)).await;
        assert_eq!(headers["content-type"], JSON_CONTENT_TYPE);
        assert!(body.contains("for this wsdl version."), "{body}");

        let failure = Err(SqsError::internal_failure());
        let (status, headers, _) = parts(render(Protocol::Json, true, failure, id)).await;
        assert_eq!(status, 500);
        assert_eq!(headers["x-amzn-query-error"], "InternalFailure;Receiver");
        let throttled = Err(SqsError::request_throttled());
        let (status, headers, _) = parts(render(Protocol::Json, true, throttled, id)).await;
        assert_eq!(status, 403);
        assert_eq!(headers["x-amzn-query-error"], "RequestThrottled;Sender");
    }

    #[tokio::test]
    async fn successes_render_per_protocol() {
        let id = "11111111-2222-3333-4444-555555555555";
        let ok = |output: Value| Ok(("DeleteQueue".to_string(), output));
        let (status, _, body) = parts(render(Protocol::Json, true, ok(Value::Null), id)).await;
        assert_eq!((status, body.as_str()), (200, "{}"));
        let (status, headers, body) = parts(render(
            Protocol::Query,
            false,
            ok(serde_json::json!({})),
            id,
        ))
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], XML_CONTENT_TYPE);
        assert!(body.contains("<DeleteQueueResponse"), "{body}");
        assert!(
            body.contains(&format!("<RequestId>{id}</RequestId>")),
            "{body}"
        );
    }

    #[test]
    fn protocol_detection() {
        let post = Method::POST;
        let root: Uri = "/".parse().unwrap();
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let query = parse(&post, &root, &form, b"Action=ListQueues&Version=2012-11-05");
        assert_eq!(query.protocol, Protocol::Query);
        assert!(!query.answer_json);
        assert_eq!(query.call.unwrap().0, "ListQueues");

        let get: Uri = "/000000000000/q?Action=ReceiveMessage".parse().unwrap();
        let request = parse(&Method::GET, &get, &HeaderMap::new(), b"");
        assert_eq!(request.call.unwrap().0, "ReceiveMessage");

        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        let missing = parse(&post, &root, &json, b"{}");
        assert_eq!(missing.protocol, Protocol::Json);
        assert_eq!(missing.call.unwrap_err().code, "MissingAction");

        json.insert(
            "X-AMZ-TARGET",
            HeaderValue::from_static("AmazonSQS.ListQueues"),
        );
        let request = parse(&post, &root, &json, b"");
        assert_eq!(request.protocol, Protocol::Json);
        assert_eq!(request.call.unwrap().0, "ListQueues");

        let nothing = parse(&post, &root, &HeaderMap::new(), b"");
        assert_eq!(nothing.protocol, Protocol::Query);
        assert_eq!(nothing.call.unwrap_err().code, "MissingAction");
    }
}
