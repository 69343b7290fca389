//! SDK requests built but not sent, for the tests that send them themselves: to see them
//! rejected ([`super::server::rejected`]) or to read the whole answer. Batches take their
//! entries as built by [`entry`], [`delete_entry`] and [`visibility_entry`].

use aws_sdk_sqs::Client;
use aws_sdk_sqs::operation::change_message_visibility_batch::builders::ChangeMessageVisibilityBatchFluentBuilder;
use aws_sdk_sqs::operation::delete_message_batch::builders::DeleteMessageBatchFluentBuilder;
use aws_sdk_sqs::operation::send_message::builders::SendMessageFluentBuilder;
use aws_sdk_sqs::operation::send_message_batch::builders::SendMessageBatchFluentBuilder;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    SendMessageBatchRequestEntry,
};

/// A SendMessage request of `body` to `url`.
pub fn send_message(
    client: &Client,
    url: &str,
    body: impl Into<String>,
) -> SendMessageFluentBuilder {
    client.send_message().queue_url(url).message_body(body)
}

/// A SendMessageBatch entry with this id and body.
#[must_use]
pub fn entry(id: &str, body: &str) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(body)
        .build()
        .expect("entry")
}

/// A SendMessageBatch request to `url` with these (id, body) entries.
pub fn send_batch_of(
    client: &Client,
    url: &str,
    entries: &[(&str, &str)],
) -> SendMessageBatchFluentBuilder {
    let entries = entries.iter().map(|(id, body)| entry(id, body)).collect();
    client
        .send_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
}

/// A DeleteMessageBatch entry with this id for receipt handle `handle`.
#[must_use]
pub fn delete_entry(id: &str, handle: &str) -> DeleteMessageBatchRequestEntry {
    DeleteMessageBatchRequestEntry::builder()
        .id(id)
        .receipt_handle(handle)
        .build()
        .expect("entry")
}

/// A DeleteMessageBatch request to `url` with these entries (none, to see it refused).
pub fn delete_batch_of(
    client: &Client,
    url: &str,
    entries: Vec<DeleteMessageBatchRequestEntry>,
) -> DeleteMessageBatchFluentBuilder {
    client
        .delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
}

/// A ChangeMessageVisibilityBatch entry with this id that hides `handle` for `seconds`.
#[must_use]
pub fn visibility_entry(
    id: &str,
    handle: &str,
    seconds: i32,
) -> ChangeMessageVisibilityBatchRequestEntry {
    ChangeMessageVisibilityBatchRequestEntry::builder()
        .id(id)
        .receipt_handle(handle)
        .visibility_timeout(seconds)
        .build()
        .expect("entry")
}

/// A ChangeMessageVisibilityBatch request to `url` with these entries (none, to see it
/// refused).
pub fn visibility_batch_of(
    client: &Client,
    url: &str,
    entries: Vec<ChangeMessageVisibilityBatchRequestEntry>,
) -> ChangeMessageVisibilityBatchFluentBuilder {
    client
        .change_message_visibility_batch()
        .queue_url(url)
        .set_entries(Some(entries))
}
