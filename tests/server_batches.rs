//! Batch actions through the real `aws-sdk-sqs` client: SendMessageBatch,
//! DeleteMessageBatch and ChangeMessageVisibilityBatch, their per-entry failures and the
//! errors for the batch as a whole.

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    SendMessageBatchRequestEntry,
};

use crate::util::md5_hex;
use crate::util::server::{ACCOUNT, create_queue, rejected, start_and_connect};

fn entry(id: &str, body: &str) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(body)
        .build()
        .unwrap()
}

#[tokio::test]
async fn send_message_batch_and_its_errors() {
    let (server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "batch").await;
    let sent = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful().len(), 2);
    assert!(sent.failed().is_empty());
    let a = sent.successful().iter().find(|e| e.id() == "a").unwrap();
    assert_eq!(a.md5_of_message_body(), md5_hex("one"));

    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&url)
            .set_entries(Some(Vec::new()))
            .send(),
    )
    .await;
    assert!(error.is_empty_batch_request(), "{error:?}");

    let mut too_many = sqs.send_message_batch().queue_url(&url);
    for i in 0..11 {
        too_many = too_many.entries(entry(&format!("e{i}"), "x"));
    }
    let error = too_many.send().await.unwrap_err().into_service_error();
    assert!(error.is_too_many_entries_in_batch_request(), "{error:?}");

    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&url)
            .entries(entry("same", "1"))
            .entries(entry("same", "2"))
            .send(),
    )
    .await;
    assert!(error.is_batch_entry_ids_not_distinct(), "{error:?}");

    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&url)
            .entries(entry("bad:id", "1"))
            .send(),
    )
    .await;
    assert!(error.is_invalid_batch_entry_id(), "{error:?}");

    let big = "x".repeat(600_000);
    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&url)
            .entries(entry("a", &big))
            .entries(entry("b", &big))
            .send(),
    )
    .await;
    assert!(error.is_batch_request_too_long(), "{error:?}");

    let missing = format!("{}/{ACCOUNT}/missing", server.endpoint());
    let error = rejected(
        sqs.send_message_batch()
            .queue_url(&missing)
            .entries(entry("a", "1"))
            .send(),
    )
    .await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_and_change_visibility_batches_report_per_entry_failures() {
    let (_server, sqs) = start_and_connect().await;
    let url = create_queue(&sqs, "batches").await;
    sqs.send_message_batch()
        .queue_url(&url)
        .entries(entry("a", "one"))
        .entries(entry("b", "two"))
        .send()
        .await
        .unwrap();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 2);
    let handles: Vec<String> = received
        .messages()
        .iter()
        .map(|m| m.receipt_handle().unwrap().to_string())
        .collect();

    let changed = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("ok")
                .receipt_handle(&handles[0])
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("garbage")
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.successful().len(), 1);
    assert_eq!(changed.failed().len(), 1);
    assert_eq!(changed.failed()[0].id(), "bad");
    assert_eq!(changed.failed()[0].code(), "ReceiptHandleIsInvalid");
    assert!(changed.failed()[0].sender_fault());

    let deleted = sqs
        .delete_message_batch()
        .queue_url(&url)
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("one")
                .receipt_handle(&handles[0])
                .build()
                .unwrap(),
        )
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("two")
                .receipt_handle(&handles[1])
                .build()
                .unwrap(),
        )
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("garbage")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.successful().len(), 2);
    assert_eq!(deleted.failed().len(), 1);
    assert_eq!(deleted.failed()[0].code(), "ReceiptHandleIsInvalid");

    let error = rejected(
        sqs.delete_message_batch()
            .queue_url(&url)
            .set_entries(Some(Vec::new()))
            .send(),
    )
    .await;
    assert!(error.is_empty_batch_request(), "{error:?}");
    let error = rejected(
        sqs.change_message_visibility_batch()
            .queue_url(&url)
            .set_entries(Some(Vec::new()))
            .send(),
    )
    .await;
    assert!(error.is_empty_batch_request(), "{error:?}");
}
