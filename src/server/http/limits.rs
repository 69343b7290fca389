//! The body guard in front of the handler: a body larger than [`Limits::max_body_bytes`] is
//! a 413 (refused from its `Content-Length` before any of it is read, or cut off once a chunked
//! body passes the limit) and a body slower than [`Limits::body_timeout`] a 408, each an SQS
//! error in the client's protocol that closes the connection. A body within the limits reaches
//! the handler whole.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use super::request::{Protocol, header_str};
use super::response;
use crate::server::error::SqsError;
use crate::server::limits::Limits;

/// The request with its body read whole within the limits, or the answer refusing it.
pub(super) async fn read_body(limits: Limits, request: Request) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let declared = header_str(&parts.headers, header::CONTENT_LENGTH.as_str())
        .and_then(|length| length.trim().parse::<u64>().ok());
    let limit = limits.max_body_bytes;
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(refuse(&parts.headers, too_large(limit)));
    }
    let read = Limited::new(body, limit).collect();
    let body = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            return Err(refuse(&parts.headers, too_large(limit)));
        }
        Ok(Err(_)) => {
            return Err(refuse(
                &parts.headers,
                SqsError::invalid_parameter_value("The request body could not be read."),
            ));
        }
        Err(_) => return Err(refuse(&parts.headers, too_slow(limits))),
    };
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// The error in the protocol the request spoke, closing the connection (the rest of the body
/// is never read).
fn refuse(headers: &HeaderMap, error: SqsError) -> Response {
    let json_target = header_str(headers, "x-amz-target").is_some();
    let (protocol, answer_json) = if json_target {
        (Protocol::Json, true)
    } else {
        let accept = header_str(headers, header::ACCEPT.as_str()).unwrap_or_default();
        (Protocol::Query, accept.contains("json"))
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = response::render(protocol, answer_json, Err(error), &request_id);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 413: the body is over the limit. Built here rather than in `error.rs` as it belongs to the
/// HTTP layer, not to an action.
fn too_large(limit: usize) -> SqsError {
    SqsError {
        shape: "RequestEntityTooLarge",
        code: "RequestEntityTooLarge",
        message: format!("The request body is larger than {limit} bytes."),
        status: 413,
        sender_fault: true,
    }
}

/// 408: the body did not arrive in time.
fn too_slow(limits: Limits) -> SqsError {
    SqsError {
        shape: "RequestTimeout",
        code: "RequestTimeout",
        message: format!(
            "The request body did not arrive within {} ms.",
            limits.body_timeout.as_millis()
        ),
        status: 408,
        sender_fault: true,
    }
}
