//! The SDK request shapes the server tests repeat, each written once: send one message (in a
//! group or not) or a batch, receive with the queue's defaults, with (max, wait) or with a
//! visibility timeout, delete (one or a batch), change visibility, set or read queue
//! attributes, list queues and dead-letter sources, dead-letter messages, and the URL of a
//! queue that does (or does not) exist.

use std::collections::HashMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::operation::list_queues::ListQueuesOutput;
use aws_sdk_sqs::operation::send_message::SendMessageOutput;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use queue::server::LocalServer;

use super::server::ACCOUNT;

/// Sends one message with `body`.
pub async fn send(client: &Client, url: &str, body: impl Into<String>) -> SendMessageOutput {
    client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .expect("send")
}

/// Sends one message with `body` in message group `group`.
pub async fn send_to_group(
    client: &Client,
    url: &str,
    body: &str,
    group: &str,
) -> SendMessageOutput {
    client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .send()
        .await
        .expect("send")
}

/// One ReceiveMessage that leaves every parameter to the queue: one message at most, the
/// queue's visibility timeout and wait.
pub async fn receive_once(client: &Client, url: &str) -> Vec<Message> {
    client
        .receive_message()
        .queue_url(url)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

/// A receive that leaves WaitTimeSeconds to the queue (a short poll on a default queue), with
/// every message attribute and, when given, this visibility timeout.
pub async fn short_poll(
    client: &Client,
    url: &str,
    max: i32,
    visibility: Option<i32>,
) -> Vec<Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .set_visibility_timeout(visibility)
        .message_attribute_names("All")
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

/// Sends `bodies` as one SendMessageBatch with entry ids `e0`, `e1`, …
pub async fn send_batch(
    client: &Client,
    url: &str,
    bodies: impl IntoIterator<Item = String>,
) -> SendMessageBatchOutput {
    let mut request = client.send_message_batch().queue_url(url);
    for (i, body) in bodies.into_iter().enumerate() {
        let entry = SendMessageBatchRequestEntry::builder().id(format!("e{i}"));
        request = request.entries(entry.message_body(body).build().expect("entry"));
    }
    request.send().await.expect("send batch")
}

/// Up to `max` messages, waiting up to `wait` seconds, with every system attribute.
pub async fn receive(client: &Client, url: &str, max: i32, wait: i32) -> Vec<Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .wait_time_seconds(wait)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

/// One receive with the queue's defaults but for its visibility timeout (seconds).
pub async fn receive_hidden_for(client: &Client, url: &str, visibility: i32) -> Vec<Message> {
    client
        .receive_message()
        .queue_url(url)
        .visibility_timeout(visibility)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
}

/// Deletes the message with receipt handle `handle`.
pub async fn delete(client: &Client, url: &str, handle: &str) {
    client
        .delete_message()
        .queue_url(url)
        .receipt_handle(handle)
        .send()
        .await
        .expect("delete");
}

/// Deletes `messages` in one DeleteMessageBatch with entry ids `d0`, `d1`, …
pub async fn delete_batch(client: &Client, url: &str, messages: &[Message]) {
    let entries = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .build()
                .expect("entry")
        })
        .collect::<Vec<_>>();
    client
        .delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("delete");
}

/// Sets the visibility timeout of the message with receipt handle `handle`.
pub async fn change_visibility(client: &Client, url: &str, handle: &str, seconds: i32) {
    client
        .change_message_visibility()
        .queue_url(url)
        .receipt_handle(handle)
        .visibility_timeout(seconds)
        .send()
        .await
        .expect("change visibility");
}

/// SetQueueAttributes with these attributes.
pub async fn set_attributes(client: &Client, url: &str, attributes: &[(QueueAttributeName, &str)]) {
    let mut request = client.set_queue_attributes().queue_url(url);
    for (name, value) in attributes {
        request = request.attributes(name.clone(), *value);
    }
    request.send().await.expect("set queue attributes");
}

/// The URL a queue named `missing` would have on `server`, where there is none.
#[must_use]
pub fn missing_queue(server: &LocalServer) -> String {
    format!("{}/{ACCOUNT}/missing", server.endpoint())
}

/// The attributes GetQueueAttributes answers when asked for `name` (`All`, say); the map
/// must be in the answer, empty or not.
pub async fn attributes(
    client: &Client,
    url: &str,
    name: QueueAttributeName,
) -> HashMap<QueueAttributeName, String> {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name)
        .send()
        .await
        .expect("get queue attributes")
        .attributes
        .expect("attributes")
}

/// One attribute of a queue, as GetQueueAttributes answers it.
pub async fn queue_attribute(client: &Client, url: &str, name: QueueAttributeName) -> String {
    let mut answered = attributes(client, url, name.clone()).await;
    answered.remove(&name).expect("the attribute asked for")
}

/// The queue's ApproximateNumberOfMessages.
pub async fn visible(client: &Client, url: &str) -> u64 {
    queue_attribute(client, url, QueueAttributeName::ApproximateNumberOfMessages)
        .await
        .parse()
        .expect("a count")
}

/// ListQueues of the queues whose names start with `prefix`.
pub async fn list_queues(client: &Client, prefix: &str) -> ListQueuesOutput {
    client
        .list_queues()
        .queue_name_prefix(prefix)
        .send()
        .await
        .expect("list queues")
}

/// The queues ListDeadLetterSourceQueues names for the dead-letter queue at `dlq`.
pub async fn dead_letter_sources(client: &Client, dlq: &str) -> Vec<String> {
    client
        .list_dead_letter_source_queues()
        .queue_url(dlq)
        .send()
        .await
        .expect("list dead-letter source queues")
        .queue_urls
}

/// The URL GetQueueUrl answers for `name`.
pub async fn queue_url(client: &Client, name: &str) -> String {
    client
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .expect("get queue url")
        .queue_url
        .expect("url")
}

/// A RedrivePolicy that dead-letters into `dlq_arn` after one receive.
#[must_use]
pub fn redrive_after_one_receive(dlq_arn: &str) -> String {
    format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}"#)
}

/// Sends `bodies` to `source` and receives each twice (visibility 0), so that a source with
/// [`redrive_after_one_receive`] moves each to its DLQ.
pub async fn dead_letter(client: &Client, source: &str, bodies: &[&str]) {
    for body in bodies {
        send(client, source, *body).await;
    }
    for _ in 0..bodies.len() * 2 {
        receive_hidden_for(client, source, 0).await;
    }
}
