//! Helpers for the server's unit tests: an [`Engine`] with fixed options, a request context,
//! and one-line calls of the actions through [`Engine::dispatch`] with JSON inputs.

use std::time::Duration;

use serde_json::{Value, json};

use super::ServeOptions;
use super::engine::{DEFAULT_ACCOUNT, Engine, RequestContext};
use super::error::SqsError;
use crate::rules::DEFAULT_REGION;

/// Deterministic options (seed 6400, no queues, no duplicates or failures), in strict order
/// or not.
pub(crate) fn options(ordered: bool) -> ServeOptions {
    ServeOptions {
        ordered,
        ..ServeOptions::deterministic(6400)
    }
}

/// A request from the default account and region, addressed to `127.0.0.1:4566`.
pub(crate) fn ctx() -> RequestContext {
    RequestContext {
        region: DEFAULT_REGION.into(),
        account: DEFAULT_ACCOUNT.into(),
        host: "127.0.0.1:4566".into(),
        path_queue: None,
        trace_header: None,
        sender_id: "AIDATESTSENDER".into(),
    }
}

/// Runs `action` with a JSON `input`.
pub(crate) async fn call(engine: &Engine, action: &str, input: Value) -> Result<Value, SqsError> {
    engine.dispatch(&ctx(), action, input).await
}

/// Runs `action` and panics if it fails.
pub(crate) async fn ok(engine: &Engine, action: &str, input: Value) -> Value {
    match call(engine, action, input).await {
        Ok(v) => v,
        Err(e) => panic!("{action} failed: {e}"),
    }
}

/// CreateQueue; returns the URL.
pub(crate) async fn create(engine: &Engine, name: &str, attributes: Value) -> String {
    let out = ok(
        engine,
        "CreateQueue",
        json!({"QueueName": name, "Attributes": attributes}),
    )
    .await;
    out["QueueUrl"].as_str().unwrap_or_default().to_string()
}

/// CreateQueue of a FIFO queue with content-based deduplication; returns the URL.
pub(crate) async fn create_fifo(engine: &Engine, name: &str) -> String {
    let attributes = json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"});
    create(engine, name, attributes).await
}

/// SendMessage to `url` with these parameters (the body among them).
pub(crate) async fn send_with(
    engine: &Engine,
    url: &str,
    mut parameters: Value,
) -> Result<Value, SqsError> {
    parameters["QueueUrl"] = json!(url);
    call(engine, "SendMessage", parameters).await
}

/// SendMessageBatch to `url` of these entries.
pub(crate) async fn send_batch(
    engine: &Engine,
    url: &str,
    entries: Value,
) -> Result<Value, SqsError> {
    let input = json!({"QueueUrl": url, "Entries": entries});
    call(engine, "SendMessageBatch", input).await
}

/// SendMessage of `body`.
pub(crate) async fn send(engine: &Engine, url: &str, body: &str) -> Value {
    ok(
        engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": body}),
    )
    .await
}

/// SendMessage of `body` in message group `group`.
pub(crate) async fn send_group(engine: &Engine, url: &str, body: &str, group: &str) -> Value {
    ok(
        engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}),
    )
    .await
}

/// ReceiveMessage of up to `max`, waiting up to `wait` s, with every attribute.
pub(crate) async fn receive(engine: &Engine, url: &str, max: u32, wait: u32) -> Vec<Value> {
    let out = ok(
        engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": max, "WaitTimeSeconds": wait,
               "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
    )
    .await;
    out["Messages"].as_array().cloned().unwrap_or_default()
}

/// The bodies of received messages.
pub(crate) fn bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["Body"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// DeleteMessage with the message's receipt handle.
pub(crate) async fn delete(engine: &Engine, url: &str, message: &Value) -> Result<Value, SqsError> {
    call(
        engine,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": message["ReceiptHandle"]}),
    )
    .await
}

/// One queue attribute's value (empty when absent).
pub(crate) async fn attribute(engine: &Engine, url: &str, name: &str) -> String {
    let out = ok(
        engine,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": [name]}),
    )
    .await;
    out["Attributes"][name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Sends `send_count` messages to a new standard queue in batches of 10 and drains them with 10-message long polls, deleting
/// each; returns the order received (duplicates included).
pub(crate) async fn drain_run(options: &ServeOptions, send_count: usize) -> Vec<usize> {
    let engine = Engine::new(options);
    let url = create(&engine, "s", json!({})).await;
    for batch in 0..send_count / 10 {
        let entries: Vec<Value> = (0..10)
            .map(|i| json!({"Id": format!("e{i}"), "MessageBody": format!("Message {}", batch * 10 + i)}))
            .collect();
        ok(
            &engine,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )
        .await;
    }
    let mut order = Vec::new();
    let mut idle = 0;
    while idle < 3 {
        let got = receive(&engine, &url, 10, 1).await;
        if got.is_empty() {
            idle += 1;
            // Let resurrected duplicates (a few seconds) come back.
            engine.advance_clock(Duration::from_secs(6));
            continue;
        }
        idle = 0;
        for message in &got {
            let n = message["Body"]
                .as_str()
                .and_then(|b| b.strip_prefix("Message "))
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            order.push(n);
            delete(&engine, &url, message).await.unwrap();
        }
    }
    order
}

/// The fraction of deliveries that came after a higher-numbered message.
pub(crate) fn late_fraction(order: &[usize]) -> f64 {
    let mut highest = None;
    let mut late = 0;
    for n in order {
        if highest.is_some_and(|h| *n < h) {
            late += 1;
        }
        highest = highest.max(Some(*n));
    }
    f64::from(late) / order.len().max(1) as f64
}
