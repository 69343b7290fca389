//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz; docs/serve.md says how to run
//! them): raw bytes as a request through the whole router, and into the units that take text
//! from clients. Each panics if the server would panic, hang or answer outside SQS's shapes.
//! Not an API: hidden from the docs, kept compiling and tested here so the targets do not rot.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::engine::Engine;
use super::{ServeOptions, http, query, receipt, xml};

/// Every action SQS has: the request target picks one by its second byte, and the property
/// tests draw from them too.
pub(crate) const ACTIONS: &[&str] = &[
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "PurgeQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "ListDeadLetterSourceQueues",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
    "AddPermission",
    "RemovePermission",
    "StartMessageMoveTask",
    "ListMessageMoveTasks",
    "CancelMessageMoveTask",
];

/// `data[0]` picks the protocol (JSON body, Query form body, Query string), `data[1]` the
/// action, and the rest is the body or query string, sent to a fresh server with a queue `q`.
/// The server is already stopping, so a long poll answers at once instead of waiting.
///
/// # Panics
/// A 5xx answer, a hang, a body that is not UTF-8, or JSON that does not parse.
pub fn request(data: &[u8]) {
    let [mode, action, rest @ ..] = data else {
        return;
    };
    let action = ACTIONS[usize::from(*action) % ACTIONS.len()];
    let built = match mode % 3 {
        0 => Request::post("/000000000000/q")
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AmazonSQS.{action}"))
            .body(Body::from(rest.to_vec())),
        1 => Request::post("/000000000000/q")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                [b"Action=", action.as_bytes(), b"&", rest].concat(),
            )),
        _ => {
            let Ok(query) = std::str::from_utf8(rest) else {
                return;
            };
            Request::get(format!("/000000000000/q?Action={action}&{query}")).body(Body::empty())
        }
    };
    let Ok(built) = built else { return };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let options = ServeOptions::deterministic(6400);
        let stopping = CancellationToken::new();
        stopping.cancel();
        let app = http::router(Engine::new(&options), &options, stopping);
        let create = Request::post("/")
            .header("x-amz-target", "AmazonSQS.CreateQueue")
            .body(Body::from(r#"{"QueueName":"q"}"#))
            .expect("CreateQueue");
        let created = app.clone().oneshot(create).await.expect("infallible");
        assert!(created.status().is_success());
        let response = tokio::time::timeout(Duration::from_secs(10), app.oneshot(built))
            .await
            .expect("answered within 10 s")
            .expect("infallible");
        let status = response.status();
        let json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().ends_with(b"json") || v.as_bytes().ends_with(b"1.0"));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = std::str::from_utf8(&body).expect("a UTF-8 body");
        assert!(!status.is_server_error(), "{status}: {body}");
        if json {
            serde_json::from_str::<serde_json::Value>(body).expect("JSON that parses");
        } else {
            assert!(body.starts_with('<'), "{body}");
            assert!(!body.contains(|c: char| c.is_control() && !"\t\n".contains(c)));
        }
    });
}

/// The text as a receipt handle, a Query form for every action, and XML text.
///
/// # Panics
/// Escaped text that still carries markup, or a Query rejection that is not an SQS 400.
pub fn units(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = receipt::decode(&[7; 16], &text);
    let escaped = xml::escape(&text);
    assert!(!escaped.contains(['<', '>', '"', '\r']), "{escaped:?}");
    let params: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    for action in ACTIONS {
        if let Err(error) = query::to_json(action, &params) {
            assert_eq!(error.status, 400, "{error}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_take_odd_inputs() {
        for data in [
            &b""[..],
            b"\0",
            b"\0\x08{\"QueueUrl\":\"/000000000000/q\",\"MessageBody\":\"hi\"}",
            b"\x01\x07MessageBody=hi&DelaySeconds=x",
            b"\x02\x09WaitTimeSeconds=20&MaxNumberOfMessages=10",
            b"\x02\x01%ff%fe",
            b"\x00\x02[[[[[[",
        ] {
            super::request(data);
            super::units(data);
        }
    }
}
