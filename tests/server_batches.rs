//! Batch actions through the real `aws-sdk-sqs` client: SendMessageBatch,
//! DeleteMessageBatch and ChangeMessageVisibilityBatch, their per-entry failures and the
//! errors for the batch as a whole.

use aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry;

use crate::util::md5_hex;
use crate::util::requests::{
    delete_batch_of, delete_entry, send_batch_of, visibility_batch_of, visibility_entry,
};
use crate::util::sdk::{missing_queue, receive};
use crate::util::server::{rejected, start_with_queue};

/// A ChangeMessageVisibilityBatch entry that hides the message for a minute.
fn hide_entry(id: &str, handle: &str) -> ChangeMessageVisibilityBatchRequestEntry {
    visibility_entry(id, handle, 60)
}

#[tokio::test]
async fn send_message_batch_and_its_errors() {
    let (server, sqs, url) = start_with_queue("batch").await;
    let sent = send_batch_of(&sqs, &url, &[("a", "one"), ("b", "two")])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful().len(), 2);
    assert!(sent.failed().is_empty());
    let a = sent.successful().iter().find(|e| e.id() == "a").unwrap();
    assert_eq!(a.md5_of_message_body(), md5_hex("one"));

    let error = rejected(send_batch_of(&sqs, &url, &[]).send()).await;
    assert!(error.is_empty_batch_request(), "{error:?}");

    let ids: Vec<String> = (0..11).map(|i| format!("e{i}")).collect();
    let too_many: Vec<(&str, &str)> = ids.iter().map(|id| (id.as_str(), "x")).collect();
    let error = send_batch_of(&sqs, &url, &too_many)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(error.is_too_many_entries_in_batch_request(), "{error:?}");

    let error = rejected(send_batch_of(&sqs, &url, &[("same", "1"), ("same", "2")]).send()).await;
    assert!(error.is_batch_entry_ids_not_distinct(), "{error:?}");

    let error = rejected(send_batch_of(&sqs, &url, &[("bad:id", "1")]).send()).await;
    assert!(error.is_invalid_batch_entry_id(), "{error:?}");

    let big = "x".repeat(600_000);
    let error = rejected(send_batch_of(&sqs, &url, &[("a", &big), ("b", &big)]).send()).await;
    assert!(error.is_batch_request_too_long(), "{error:?}");

    let missing = missing_queue(&server);
    let error = rejected(send_batch_of(&sqs, &missing, &[("a", "1")]).send()).await;
    assert!(error.is_queue_does_not_exist(), "{error:?}");
}

#[tokio::test]
async fn delete_and_change_visibility_batches_report_per_entry_failures() {
    let (_server, sqs, url) = start_with_queue("batches").await;
    send_batch_of(&sqs, &url, &[("a", "one"), ("b", "two")])
        .send()
        .await
        .unwrap();
    let received = receive(&sqs, &url, 10, 0).await;
    assert_eq!(received.len(), 2);
    let handles: Vec<String> = received
        .iter()
        .map(|m| m.receipt_handle().unwrap().to_string())
        .collect();

    let hide = vec![hide_entry("ok", &handles[0]), hide_entry("bad", "garbage")];
    let changed = visibility_batch_of(&sqs, &url, hide).send().await.unwrap();
    assert_eq!(changed.successful().len(), 1);
    assert_eq!(changed.failed().len(), 1);
    assert_eq!(changed.failed()[0].id(), "bad");
    assert_eq!(changed.failed()[0].code(), "ReceiptHandleIsInvalid");
    assert!(changed.failed()[0].sender_fault());

    let delete = vec![
        delete_entry("one", &handles[0]),
        delete_entry("two", &handles[1]),
        delete_entry("bad", "garbage"),
    ];
    let deleted = delete_batch_of(&sqs, &url, delete).send().await.unwrap();
    assert_eq!(deleted.successful().len(), 2);
    assert_eq!(deleted.failed().len(), 1);
    assert_eq!(deleted.failed()[0].code(), "ReceiptHandleIsInvalid");

    let error = rejected(delete_batch_of(&sqs, &url, Vec::new()).send()).await;
    assert!(error.is_empty_batch_request(), "{error:?}");
    let error = rejected(visibility_batch_of(&sqs, &url, Vec::new()).send()).await;
    assert!(error.is_empty_batch_request(), "{error:?}");
}
