//! Cases recorded on SQS, over the SDK and the Query protocol: the receipt handle of an
//! earlier receive still changes visibility, an empty RedrivePolicy removes it, attribute names
//! in any script, PurgeQueue forgets FIFO deduplication ids, and a FIFO queue keeps the
//! deduplication scope it was created with.

use std::collections::HashMap;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};

use crate::util::http::{query_post, xml_all, xml_text};
use crate::util::sdk;
use crate::util::server::{create_queue, rejected, start_and_connect};

async fn redrive_policy(sqs: &Client, url: &str) -> Option<String> {
    attributes(sqs, url)
        .await
        .remove(&QueueAttributeName::RedrivePolicy)
}

async fn set_redrive_policy(sqs: &Client, url: &str, policy: &str) {
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .expect("set RedrivePolicy");
}

async fn attributes(sqs: &Client, url: &str) -> HashMap<QueueAttributeName, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default()
}

#[tokio::test]
async fn an_earlier_receipt_handle_still_changes_visibility() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "earlier").await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("test")
        .send()
        .await
        .expect("send");
    let first = sdk::short_poll(&sqs, &url, 1, Some(0)).await;
    let second = sdk::short_poll(&sqs, &url, 1, Some(30)).await;
    assert_eq!(second.len(), 1);
    assert_ne!(first[0].receipt_handle(), second[0].receipt_handle());
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(first[0].receipt_handle().unwrap_or_default())
        .visibility_timeout(0)
        .send()
        .await
        .expect("the earlier handle is accepted");
    let again = sdk::short_poll(&sqs, &url, 1, None).await;
    assert_eq!(again.len(), 1, "the change took effect");
    // Over the Query protocol too, with the first handle once more.
    let answer = query_post(
        &server,
        "/",
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
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(handle)
        .send()
        .await
        .expect("delete");
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
    let arn = attributes(&sqs, &dlq).await[&QueueAttributeName::QueueArn].clone();
    let policy = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":1}}"#);
    let url = sqs
        .create_queue()
        .queue_name("source")
        .attributes(QueueAttributeName::RedrivePolicy, &policy)
        .send()
        .await
        .expect("create")
        .queue_url
        .unwrap_or_default();
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
    let sources = sqs
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .send()
        .await
        .expect("sources");
    assert!(sources.queue_urls.is_empty());
    // Query protocol: set again, remove with an empty Attribute.1.Value.
    set_redrive_policy(&sqs, &url, &policy).await;
    let answer = query_post(
        &server,
        "/",
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &url),
            ("Attribute.1.Name", "RedrivePolicy"),
            ("Attribute.1.Value", ""),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let got = query_post(
        &server,
        "/",
        &[
            ("Action", "GetQueueAttributes"),
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
        ],
    )
    .await;
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

#[tokio::test]
async fn attribute_names_may_hold_letters_of_any_script() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "names").await;
    for name in ["attr.1øßä", "Ünïcödé-名前_1", &"ß".repeat(256)] {
        sqs.send_message()
            .queue_url(&url)
            .message_body("test")
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
            sqs.send_message()
                .queue_url(&url)
                .message_body("test")
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
    let answer = query_post(
        &server,
        "/",
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "q"),
            ("MessageAttribute.1.Name", "attr.1øßä"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "Valida"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        xml_text(&answer.body, "MD5OfMessageAttributes").is_some(),
        "{}",
        answer.body
    );
    let bad = query_post(
        &server,
        "/",
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "q"),
            ("MessageAttribute.1.Name", "Amazon.x"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "v"),
        ],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        xml_text(&bad.body, "Code").as_deref(),
        Some("InvalidParameterValue")
    );
}

async fn fifo_queue(sqs: &Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("create")
        .queue_url
        .unwrap_or_default()
}

async fn send(sqs: &Client, url: &str, body: &str, group: &str, dedup: &str) -> String {
    sqs.send_message()
        .queue_url(url)
        .message_body(body)
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
    let url = fifo_queue(&sqs, "purge.fifo").await;
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
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle().unwrap_or_default())
        .send()
        .await
        .expect("delete");
    send(&sqs, &url, "message-3", "g", "dedup").await;
    assert!(drain(&sqs, &url).await.is_empty());
}

#[tokio::test]
async fn switching_to_high_throughput_keeps_queue_wide_deduplication() {
    let (_server, sqs) = start_and_connect().await;
    let url = fifo_queue(&sqs, "switch.fifo").await;
    let old = send(&sqs, &url, "old-g1", "g1", "old").await;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("switch");
    let reported = attributes(&sqs, &url).await;
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
    let per_group = sqs
        .create_queue()
        .queue_name("per-group.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("create")
        .queue_url
        .unwrap_or_default();
    send(&sqs, &per_group, "a", "g1", "same").await;
    send(&sqs, &per_group, "b", "g2", "same").await;
    assert_eq!(drain(&sqs, &per_group).await, ["a", "b"]);
}
