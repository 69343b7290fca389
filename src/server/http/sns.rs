//! SNS on the wire: which requests go to SNS (`sns::wants`), the XML answer or error with
//! `x-amzn-RequestId`, and the signing certificate served at its `SigningCertURL`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::response::XML_CONTENT_TYPE;
use crate::server::sns::{self, Output, SnsError};

/// The answer to an SNS action.
pub(super) fn render(
    action: &str,
    outcome: Result<Output, SnsError>,
    request_id: &str,
) -> Response {
    let (status, body) = match outcome {
        Ok(output) => (
            StatusCode::OK,
            sns::success_xml(action, &output, request_id),
        ),
        Err(error) => (
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
            sns::error_xml(&error, request_id),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(XML_CONTENT_TYPE),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// The PEM certificate, for `GET /SimpleNotificationService-<id>.pem`.
pub(super) fn certificate(pem: &'static str) -> Response {
    let mut response = Response::new(Body::from(pem));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-x509-ca-cert"),
    );
    response
}
