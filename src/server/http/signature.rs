//! `--auth` on the wire: buffers the body of a request to a server with keys and checks its
//! signature before anything is dispatched, handing the body on for the request to be read.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri};

use super::request::BODY_LIMIT_BYTES;
use crate::server::Keys;
use crate::server::error::SqsError;

/// The body to read the request from, and the error to answer instead when `keys` are set and
/// the request is not signed with one of them.
pub(super) async fn check(
    keys: Option<&Keys>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> (Body, Option<SqsError>) {
    let Some(keys) = keys else {
        return (body, None);
    };
    match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(bytes) => {
            let denied = keys
                .verify(method, uri, headers, &bytes, SystemTime::now())
                .err();
            (Body::from(bytes), denied)
        }
        Err(_) => (
            Body::empty(),
            Some(SqsError::invalid_parameter_value(format!(
                "The request body is unreadable or larger than {BODY_LIMIT_BYTES} bytes."
            ))),
        ),
    }
}
