//! Reading a request far enough to dispatch it: which protocol it speaks (AWS JSON 1.0 by
//! `X-Amz-Target`, Query by `Action=`), the action name, and its input decoded from a JSON body
//! or from the URL's query string and a form body into the JSON-protocol shape. A Query request
//! sent to a queue's URL is held to what SQS serves there: no `Action` is an unknown operation
//! (404), CreateQueue, ListQueues and unknown actions are not valid for that endpoint.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri, header};
use serde_json::{Map, Value};

use crate::server::actions;
use crate::server::error::SqsError;
use crate::server::input::{self, RequestInput};
use crate::server::{query, queue_url};

/// A backstop: the body guard (`limits.rs`) has already held the body to `Limits`.
pub(super) const BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;
/// `X-Amz-Target` prefix of every SQS JSON operation.
const TARGET_PREFIX: &str = "AmazonSQS.";

/// Which protocol a request spoke, which decides how the answer is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    Json,
    Query,
}

/// A request understood far enough to dispatch (or to answer with the error it deserves).
pub(super) struct Request {
    pub(super) protocol: Protocol,
    /// Render the answer as JSON (JSON requests, and Query requests that accept JSON).
    pub(super) answer_json: bool,
    /// The action and its input, or why there is none.
    pub(super) call: Result<(String, RequestInput), SqsError>,
    /// Query parameters from the URL and form body (signature parameters included).
    pub(super) params: Vec<(String, String)>,
}

/// Reads the body (up to [`BODY_LIMIT_BYTES`]) and [`parse`]s the request; a body that cannot
/// be read is an `InvalidParameterValue`, in JSON when the request named an `X-Amz-Target`.
pub(super) async fn read(method: &Method, uri: &Uri, headers: &HeaderMap, body: Body) -> Request {
    match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(body) => parse(method, uri, headers, &body),
        Err(_) => Request {
            protocol: Protocol::Json,
            answer_json: header_str(headers, "x-amz-target").is_some(),
            call: Err(SqsError::invalid_parameter_value(format!(
                "The request body is unreadable or larger than {BODY_LIMIT_BYTES} bytes."
            ))),
            params: Vec::new(),
        },
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
    let to_queue = queue_url::from_request(None, uri.path()).is_some();
    match action {
        Some(action) if !action.is_empty() => Request {
            protocol: Protocol::Query,
            answer_json: accepts_json,
            call: valid_for_endpoint(&action, to_queue)
                .and_then(|()| query::to_json(&action, &params))
                .map(|input| (action, RequestInput::Value(input))),
            params,
        },
        _ if is_json_body => Request {
            protocol: Protocol::Json,
            answer_json: true,
            call: Err(SqsError::missing_action()),
            params,
        },
        _ if to_queue => Request {
            protocol: Protocol::Query,
            answer_json: false,
            call: Err(SqsError::unknown_operation()),
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

/// A queue's URL is the endpoint of the actions on that queue (and of GetQueueUrl): a Query
/// request to it for CreateQueue, ListQueues or an action SQS does not have is "not valid for
/// this endpoint", as SQS answers it.
fn valid_for_endpoint(action: &str, to_queue: bool) -> Result<(), SqsError> {
    const NEED_NO_QUEUE: [&str; 2] = ["CreateQueue", "ListQueues"];
    if to_queue && (NEED_NO_QUEUE.contains(&action) || !actions::exists(action)) {
        Err(SqsError::invalid_action(action))
    } else {
        Ok(())
    }
}

/// `AmazonSQS.<Action>` and a JSON object body (empty means `{}`), read into fields when it is
/// a hot action's and reads cleanly (`input.rs`), else into a value.
fn json_call(target: &str, body: &[u8]) -> Result<(String, RequestInput), SqsError> {
    let target = target.trim();
    if target.is_empty() {
        return Err(SqsError::missing_action());
    }
    let Some(action) = target.strip_prefix(TARGET_PREFIX).filter(|a| !a.is_empty()) else {
        return Err(SqsError::unsupported_operation(target));
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((
            action.to_string(),
            RequestInput::Value(Value::Object(Map::new())),
        ));
    }
    if let Some(fields) = input::typed(action, body) {
        return Ok((action.to_string(), RequestInput::Fields(Box::new(fields))));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Ok((
            action.to_string(),
            RequestInput::Value(Value::Object(members)),
        )),
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

/// A header's value, if present and visible ASCII.
pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    /// The input of a call that went down the value route.
    fn value(call: Result<(String, RequestInput), SqsError>) -> (String, Value) {
        match call.unwrap() {
            (action, RequestInput::Value(value)) => (action, value),
            (action, RequestInput::Fields(_)) => panic!("{action}: read into fields"),
        }
    }

    #[test]
    fn json_targets_and_bodies() {
        let (action, input) = value(json_call("AmazonSQS.ListQueues", b""));
        assert_eq!(
            (action.as_str(), input),
            ("ListQueues", serde_json::json!({}))
        );
        let (_, input) = value(json_call(
            "AmazonSQS.GetQueueUrl",
            br#"{"QueueName":"q","Extra":1}"#,
        ));
        assert_eq!(input["Extra"], 1);
        let hot = json_call("AmazonSQS.DeleteMessageBatch", br#"{"QueueUrl":"u"}"#);
        assert!(matches!(hot, Ok((_, RequestInput::Fields(_)))));
        // Not an object, or a number as a string: the value route, and its answers.
        let (_, input) = value(json_call(
            "AmazonSQS.ReceiveMessage",
            br#"{"MaxNumberOfMessages":"5"}"#,
        ));
        assert_eq!(input["MaxNumberOfMessages"], "5");
        assert_eq!(
            json_call("AmazonSQS.ReceiveMessage", b"[\"q\"]")
                .unwrap_err()
                .message,
            "The request body must be a JSON object."
        );
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

    /// Headers with only this `Content-Type`.
    fn content_type(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn protocol_detection() {
        let post = Method::POST;
        let root: Uri = "/".parse().unwrap();
        let form = content_type("application/x-www-form-urlencoded");
        let query = parse(&post, &root, &form, b"Action=ListQueues&Version=2012-11-05");
        assert_eq!(query.protocol, Protocol::Query);
        assert!(!query.answer_json);
        assert_eq!(query.call.unwrap().0, "ListQueues");

        let get: Uri = "/000000000000/q?Action=ReceiveMessage".parse().unwrap();
        let request = parse(&Method::GET, &get, &HeaderMap::new(), b"");
        assert_eq!(request.call.unwrap().0, "ReceiveMessage");

        let mut json = content_type("application/x-amz-json-1.0");
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
