//! The answer on the wire: a success or an error rendered as JSON 1.0 (`__type` and `message`,
//! plus the `x-amzn-query-error` header), as Query XML, or, for a Query request that accepts
//! JSON, as the Query protocol's JSON (`query_json`); always with `x-amzn-RequestId`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::request::Protocol;
use crate::server::answer::Answer;
use crate::server::error::SqsError;
use crate::server::{query_json, xml};

/// The whole body of SQS's answer to a Query request on a queue URL without an `Action`.
const UNKNOWN_OPERATION_BODY: &str = "<UnknownOperationException/>";
/// `Content-Type` of JSON 1.0 answers.
pub(super) const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// `Content-Type` of Query (XML) answers.
pub(super) const XML_CONTENT_TYPE: &str = "text/xml";

/// The HTTP response for an outcome, in the protocol the client understands.
pub(super) fn render(
    protocol: Protocol,
    answer_json: bool,
    outcome: Result<(String, Answer), SqsError>,
    request_id: &str,
) -> Response {
    let query_json = answer_json && protocol == Protocol::Query;
    let (status, content_type, body, query_error) = match (outcome, answer_json) {
        (Err(error), _) if error.is_unknown_operation() => (
            error_status(&error),
            XML_CONTENT_TYPE,
            UNKNOWN_OPERATION_BODY.as_bytes().to_vec(),
            None,
        ),
        (Ok((action, output)), true) if query_json => (
            StatusCode::OK,
            query_json::CONTENT_TYPE,
            json_bytes(&query_json::success(
                &action,
                output.into_value(),
                request_id,
            )),
            None,
        ),
        (Ok((_, output)), true) => (
            StatusCode::OK,
            JSON_CONTENT_TYPE,
            output.to_json_bytes(),
            None,
        ),
        (Ok((action, output)), false) => (
            StatusCode::OK,
            XML_CONTENT_TYPE,
            xml::success(&action, &output.into_value(), request_id).into_bytes(),
            None,
        ),
        (Err(error), true) => (
            error_status(&error),
            if query_json {
                query_json::CONTENT_TYPE
            } else {
                JSON_CONTENT_TYPE
            },
            if query_json {
                json_bytes(&query_json::error(&error, request_id))
            } else {
                json_bytes(&json_error_body(&error))
            },
            Some(format!("{};{}", error.code, error.fault())),
        ),
        (Err(error), false) => (
            error_status(&error),
            XML_CONTENT_TYPE,
            xml::error(&error, request_id).into_bytes(),
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

/// The error's HTTP status (400 if it names none that HTTP knows).
fn error_status(error: &SqsError) -> StatusCode {
    StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST)
}

/// `{"__type": "com.amazonaws.sqs#<shape>", "message": …}`.
fn json_error_body(error: &SqsError) -> Value {
    serde_json::json!({
        "__type": format!("com.amazonaws.sqs#{}", error.shape),
        "message": error.message,
    })
}

/// `value` as compact JSON, the bytes `Value`'s `Display` writes, serialized straight into a
/// buffer rather than through a formatter.
fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

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

        // A Query request that accepts JSON gets the Query protocol's JSON, in Query wording.
        let (status, headers, body) = parts(render(Protocol::Query, true, missing(), id)).await;
        assert_eq!(status, 400);
        assert_eq!(headers["content-type"], query_json::CONTENT_TYPE);
        assert_eq!(
            headers["x-amzn-query-error"],
            "AWS.SimpleQueueService.NonExistentQueue;Sender"
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["Error"]["Code"],
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(body["RequestId"], id);

        // No Action on a queue URL: a bare 404, in XML even when JSON was asked for.
        for (protocol, json) in [(Protocol::Query, true), (Protocol::Query, false)] {
            let unknown = Err(SqsError::unknown_operation());
            let (status, headers, body) = parts(render(protocol, json, unknown, id)).await;
            assert_eq!(
                (status, body.as_str()),
                (404, "<UnknownOperationException/>")
            );
            assert_eq!(headers["content-type"], XML_CONTENT_TYPE);
            assert_eq!(headers["x-amzn-requestid"], id);
        }

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
        let ok = |output: Value| Ok(("DeleteQueue".to_string(), output.into()));
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
        let listed = Ok(("ListQueues".to_string(), serde_json::json!({}).into()));
        let (status, headers, body) = parts(render(Protocol::Query, true, listed, id)).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], query_json::CONTENT_TYPE);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["ListQueuesResponse"]["ResponseMetadata"]["RequestId"],
            id
        );
    }
}
