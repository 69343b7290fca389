//! Cases recorded on SQS, over the SDK and the Query protocol: the receipt handle of an
//! earlier receive still changes visibility, an empty RedrivePolicy removes it, attribute names
//! in any script, PurgeQueue forgets FIFO deduplication ids, and a FIFO queue keeps the
//! deduplication scope it was created with.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use queue::server::LocalServer;

use crate::util::http::{RawResponse, query, query_attributes, query_send, xml_all, xml_text};
use crate::util::requests::send_message;
use crate::util::sdk::{self, attributes, dead_letter_sources, set_attributes};
use crate::util::server::{create_queue, create_queue_with, rejected, start_and_connect};

async fn redrive_policy(sqs: &Client, url: &str) -> Option<String> {
    attributes(sqs, url, QueueAttributeName::All)
        .await
        .remove(&QueueAttributeName::RedrivePolicy)
}

async fn set_redrive_policy(sqs: &Client, url: &str, policy: &str) {
    set_attributes(sqs, url, &[(QueueAttributeName::RedrivePolicy, policy)]).await;
}

#[tokio::test]
async fn an_earlier_receipt_handle_still_changes_visibility() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "earlier").await;
    sdk::send(&sqs, &url, "test").await;
    let first = sdk::short_poll(&sqs, &url, 1, Some(0)).await;
    let second = sdk::short_poll(&sqs, &url, 1, Some(30)).await;
    assert_eq!(second.len(), 1);
    assert_ne!(first[0].receipt_handle(), second[0].receipt_handle());
    // The earlier handle is accepted.
    sdk::change_visibility(&sqs, &url, first[0].receipt_handle().unwrap_or_default(), 0).await;
    let again = sdk::short_poll(&sqs, &url, 1, None).await;
    assert_eq!(again.len(), 1, "the change took effect");
    // Over the Query protocol too, with the first handle once more.
    let answer = query(
        &server,
        &[
            ("Action", "ChangeMessageVisibility"),
            ("QueueUrl", &url),
            (
                "ReceiptHandle",
                first[0].receipt_handle().unwrap_or_default(),
            ),
            ("VisibilityTimeout", "0"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("<ChangeMessageVisibilityResponse"),
        "{}",
        answer.body
    );
    // A deleted message still refuses, with SQS's words.
    let handle = again[0].receipt_handle().unwrap_or_default();
    sdk::delete(&sqs, &url, handle).await;
    let err = rejected(
        sqs.change_message_visibility()
            .queue_url(&url)
            .receipt_handle(handle)
            .visibility_timeout(5)
            .send(),
    )
    .await;
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    let expected = format!(
        "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist \
         or is not available for visibility timeout change."
    );
    assert_eq!(err.message(), Some(expected.as_str()));
}

#[tokio::test]
async fn an_empty_redrive_policy_removes_it() {
    let (server, sqs) = start_and_connect().await;
    let dlq = create_queue(&sqs, "dead").await;
    let arn = sdk::queue_attribute(&sqs, &dlq, QueueAttributeName::QueueArn).await;
    let policy = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":1}}"#);
    let redrive = [(QueueAttributeName::RedrivePolicy, policy.as_str())];
    let url = create_queue_with(&sqs, "source", &redrive).await;
    assert_eq!(redrive_policy(&sqs, &url).await, Some(policy.clone()));
    set_redrive_policy(&sqs, &url, "").await;
    assert_eq!(redrive_policy(&sqs, &url).await, None);
    let asked = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .expect("get");
    // AWS answers an empty map here (recorded after the last permission is removed).
    assert_eq!(
        asked.attributes,
        Some(Default::default()),
        "nothing to report"
    );
    // The queue no longer lists as a source of the DLQ.
    let sources = dead_letter_sources(&sqs, &dlq).await;
    assert!(sources.is_empty());
    // Query protocol: set again, remove with an empty Attribute.1.Value.
    set_redrive_policy(&sqs, &url, &policy).await;
    let answer = query(
        &server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &url),
            ("Attribute.1.Name", "RedrivePolicy"),
            ("Attribute.1.Value", ""),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let got = query_attributes(&server, &url, "All").await;
    assert!(
        !xml_all(&got.body, "Name")
            .iter()
            .any(|n| n == "RedrivePolicy"),
        "{}",
        got.body
    );
    assert!(
        xml_all(&got.body, "Name").iter().any(|n| n == "QueueArn"),
        "{}",
        got.body
    );
}

fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .expect("attribute")
}

/// A Query-protocol SendMessage of `q` with one String message attribute.
async fn query_send_attribute(
    server: &LocalServer,
    url: &str,
    name: &str,
    value: &str,
) -> RawResponse {
    let attribute = [
        ("MessageAttribute.1.Name", name),
        ("MessageAttribute.1.Value.DataType", "String"),
        ("MessageAttribute.1.Value.StringValue", value),
    ];
    query_send(server, url, "q", &attribute).await
}

#[tokio::test]
async fn attribute_names_may_hold_letters_of_any_script() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "names").await;
    for name in ["attr.1øßä", "Ünïcödé-名前_1", &"ß".repeat(256)] {
        send_message(&sqs, &url, "test")
            .message_attributes(name, string_attribute("Valida"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} is valid: {e:?}"));
    }
    let got = sdk::short_poll(&sqs, &url, 1, None).await;
    assert!(
        got[0]
            .message_attributes()
            .is_some_and(|a| a.contains_key("attr.1øßä"))
    );
    let long = "L".repeat(257);
    for name in [
        "aWs.-Invalid-attr",
        "AMAZON.-Invalid-attr",
        ".-Invalid-attr",
        "Invalid.",
        "Invalid..Name",
        "Invalid-!-attr",
        "Invalid-\"-attr",
        "Invalid-§-attr",
        "Invalid-(-attr",
        "Invalid-?-attr",
        long.as_str(),
    ] {
        let err = rejected(
            send_message(&sqs, &url, "test")
                .message_attributes(name, string_attribute("Valid"))
                .send(),
        )
        .await;
        assert_eq!(err.code(), Some("InvalidParameterValue"), "{name}");
        let message = err.message().unwrap_or_default().to_string();
        assert!(
            message.starts_with(&format!(
                "Message (user) attribute name '{name}' is invalid."
            )),
            "{message}"
        );
    }
    // Query protocol: the name travels form-encoded as UTF-8.
    let answer = query_send_attribute(&server, &url, "attr.1øßä", "Valida").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        xml_text(&answer.body, "MD5OfMessageAttributes").is_some(),
        "{}",
        answer.body
    );
    let bad = query_send_attribute(&server, &url, "Amazon.x", "v").await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        xml_text(&bad.body, "Code").as_deref(),
        Some("InvalidParameterValue")
    );
}

async fn send(sqs: &Client, url: &str, body: &str, group: &str, dedup: &str) -> String {
    send_message(sqs, url, body)
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .send()
        .await
        .expect("send")
        .message_id
        .unwrap_or_default()
}

async fn drain(sqs: &Client, url: &str) -> Vec<String> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn purge_forgets_fifo_deduplication_ids_and_delete_does_not() {
    let (_server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "purge.fifo").await;
    send(&sqs, &url, "message-1", "g", "dedup").await;
    sqs.purge_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("purge");
    send(&sqs, &url, "message-2", "g", "dedup").await;
    let got = sdk::short_poll(&sqs, &url, 1, None).await;
    assert_eq!(
        got.iter().filter_map(|m| m.body()).collect::<Vec<_>>(),
        ["message-2"]
    );
    // A delete keeps the window: the same id is still a duplicate.
    sdk::delete(&sqs, &url, got[0].receipt_handle().unwrap_or_default()).await;
    send(&sqs, &url, "message-3", "g", "dedup").await;
    assert!(drain(&sqs, &url).await.is_empty());
}

#[tokio::test]
async fn switching_to_high_throughput_keeps_queue_wide_deduplication() {
    let (_server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "switch.fifo").await;
    let old = send(&sqs, &url, "old-g1", "g1", "old").await;
    let high_throughput = [
        (QueueAttributeName::DeduplicationScope, "messageGroup"),
        (QueueAttributeName::FifoThroughputLimit, "perMessageGroupId"),
    ];
    set_attributes(&sqs, &url, &high_throughput).await;
    let reported = attributes(&sqs, &url, QueueAttributeName::All).await;
    assert_eq!(
        reported
            .get(&QueueAttributeName::DeduplicationScope)
            .map(String::as_str),
        Some("messageGroup")
    );
    assert_eq!(
        reported
            .get(&QueueAttributeName::FifoThroughputLimit)
            .map(String::as_str),
        Some("perMessageGroupId")
    );
    // An id seen before the switch still drops a message in another group...
    assert_eq!(send(&sqs, &url, "old-g2", "g2", "old").await, old);
    // ...and so does one first seen after it.
    let new = send(&sqs, &url, "new-g1", "g1", "new").await;
    assert_eq!(send(&sqs, &url, "new-g2", "g2", "new").await, new);
    assert_eq!(drain(&sqs, &url).await, ["old-g1", "new-g1"]);
    // A queue created with the per-group scope deduplicates per group.
    let per_group = create_queue_with(&sqs, "per-group.fifo", &high_throughput).await;
    send(&sqs, &per_group, "a", "g1", "same").await;
    send(&sqs, &per_group, "b", "g2", "same").await;
    assert_eq!(drain(&sqs, &per_group).await, ["a", "b"]);
}
