//! The *Send and receive* forms' posts: SendMessage (body, one attribute, FIFO group and
//! deduplication ids, delay), N numbered messages as `queue send` sends them (SendMessageBatch
//! in tens), ReceiveMessage (the page is shown again with the messages) and DeleteMessage.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::html::Flash;
use super::{Call, Console, html, key_from_form, not_found, queue_page, queue_path, redirect};
use crate::message::{CLIENT_ATTRIBUTE, SENT_AT_ATTRIBUTE, body, epoch_ms};
use crate::server::queue::QueueKey;
use crate::server::store::State;

/// Most numbered messages one form sends.
const MAX_COUNT: u64 = 1000;
/// SendMessageBatch's limit.
const BATCH: u64 = 10;

fn error(text: String) -> Flash {
    Flash {
        note: None,
        error: Some(text),
    }
}

fn note(text: String) -> Flash {
    Flash {
        note: Some(text),
        error: None,
    }
}

/// A number field: empty is `None`; anything else must be a whole number in `range`.
fn number(
    call: &Call<'_>,
    name: &str,
    label: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, String> {
    match call.param(name).trim() {
        "" => Ok(None),
        text => text
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "{label} must be a whole number from {} to {}, not “{text}”.",
                    range.start(),
                    range.end()
                )
            }),
    }
}

/// One message from the form, or `count` numbered ones when the form has a count.
pub(super) async fn send(console: &Console, call: &Call<'_>) -> Response {
    let key = match key_from_form(call) {
        Ok(key) => key,
        Err(text) => return redirect("/", &error(text)),
    };
    let back = queue_path(&key);
    let outcome = if call.params.iter().any(|(name, _)| name == "count") {
        send_numbered(console, call, &key).await
    } else {
        send_one(console, call, &key).await
    };
    redirect(&back, &outcome.map_or_else(error, note))
}

async fn send_one(console: &Console, call: &Call<'_>, key: &QueueKey) -> Result<String, String> {
    let mut input = Map::new();
    input.insert("QueueUrl".into(), json!(State::url(&call.ctx, key)));
    input.insert("MessageBody".into(), json!(call.param("body")));
    if let Some(delay) = number(call, "delay", "Delay", 0..=900)? {
        input.insert("DelaySeconds".into(), json!(delay));
    }
    for (field, member) in [
        ("group_id", "MessageGroupId"),
        ("dedup_id", "MessageDeduplicationId"),
    ] {
        let value = call.param(field).trim();
        if !value.is_empty() {
            input.insert(member.into(), json!(value));
        }
    }
    let name = call.param("attr_name").trim();
    if !name.is_empty() {
        let kind = if call.param("attr_type") == "Number" {
            "Number"
        } else {
            "String"
        };
        input.insert(
            "MessageAttributes".into(),
            json!({name: {"DataType": kind, "StringValue": call.param("attr_value")}}),
        );
    }
    let answer = console
        .sqs(&call.ctx, &key.region, "SendMessage", Value::Object(input))
        .await?;
    let id = answer
        .get("MessageId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(format!("Message sent (id {id})."))
}

async fn send_numbered(
    console: &Console,
    call: &Call<'_>,
    key: &QueueKey,
) -> Result<String, String> {
    let count = number(call, "count", "Count", 1..=MAX_COUNT)?.unwrap_or(1);
    let prepend = call.param("prepend");
    let client = match call.param("client").trim() {
        "" => "console",
        client => client,
    };
    let group = call.param("group_id").trim();
    let url = State::url(&call.ctx, key);
    let mut failed = Vec::new();
    let mut first = 1;
    while first <= count {
        let last = (first + BATCH - 1).min(count);
        let entries: Vec<Value> = (first..=last)
            .map(|i| {
                let mut entry = json!({
                    "Id": format!("m{i}"),
                    "MessageBody": body(prepend, i),
                    "MessageAttributes": {
                        CLIENT_ATTRIBUTE: {"DataType": "String", "StringValue": client},
                        SENT_AT_ATTRIBUTE: {"DataType": "Number", "StringValue": epoch_ms(std::time::SystemTime::now())},
                    },
                });
                if !group.is_empty() {
                    entry["MessageGroupId"] = json!(group);
                    entry["MessageDeduplicationId"] = json!(uuid::Uuid::new_v4().simple().to_string());
                }
                entry
            })
            .collect();
        let answer = console
            .sqs(
                &call.ctx,
                &key.region,
                "SendMessageBatch",
                json!({"QueueUrl": url, "Entries": entries}),
            )
            .await?;
        for failure in answer
            .get("Failed")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let message = failure
                .get("Message")
                .and_then(Value::as_str)
                .unwrap_or("failed");
            failed.push(message.to_string());
        }
        first = last + 1;
    }
    match failed.first() {
        None => Ok(format!("{count} numbered messages sent.")),
        Some(reason) => Err(format!(
            "{} of {count} messages were not sent: {reason}",
            failed.len()
        )),
    }
}

/// ReceiveMessage, then the queue's page with what it returned.
pub(super) async fn receive(console: &Console, call: &Call<'_>) -> Response {
    let key = match key_from_form(call) {
        Ok(key) => key,
        Err(text) => return redirect("/", &error(text)),
    };
    let max = number(call, "max", "Maximum messages", 1..=10);
    let wait = number(call, "wait", "Wait time", 0..=20);
    let (max, wait) = match (max, wait) {
        (Ok(max), Ok(wait)) => (max.unwrap_or(10), wait.unwrap_or(0)),
        (Err(text), _) | (_, Err(text)) => return redirect(&queue_path(&key), &error(text)),
    };
    let input = json!({
        "QueueUrl": State::url(&call.ctx, &key),
        "MaxNumberOfMessages": max,
        "WaitTimeSeconds": wait,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    });
    let (messages, flash) = match console
        .sqs(&call.ctx, &key.region, "ReceiveMessage", input)
        .await
    {
        Ok(answer) => (
            answer
                .get("Messages")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Flash::default(),
        ),
        Err(text) => (Vec::new(), error(format!("Cannot receive: {text}"))),
    };
    match queue_page::page(console, &call.ctx, &key, &flash, Some(&messages)).await {
        Some(page) => html(StatusCode::OK, &page),
        None => not_found(&format!("There is no queue {}.", key.name)),
    }
}

/// DeleteMessage with the receipt handle the form kept.
pub(super) async fn delete(console: &Console, call: &Call<'_>) -> Response {
    let key = match key_from_form(call) {
        Ok(key) => key,
        Err(text) => return redirect("/", &error(text)),
    };
    let input = json!({"QueueUrl": State::url(&call.ctx, &key), "ReceiptHandle": call.param("receipt_handle")});
    let flash = match console
        .sqs(&call.ctx, &key.region, "DeleteMessage", input)
        .await
    {
        Ok(_) => note("Message deleted.".to_string()),
        Err(text) => error(format!("Cannot delete the message: {text}")),
    };
    redirect(&queue_path(&key), &flash)
}
