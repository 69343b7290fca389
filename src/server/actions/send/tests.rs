//! SendMessage and SendMessageBatch through the engine: FIFO batch failures, the dedup
//! window, whole-batch errors.

use crate::server::engine::Engine;
use crate::server::test_support::{
    create, create_fifo, delete, ok, options, receive, send_batch, send_with,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn fifo_batch_failures_keep_group_order_for_a_retrying_sender() {
    let mut opts = options(false);
    opts.fail_rate = 0.3;
    let engine = Engine::new(&opts);
    let url = create_fifo(&engine, "f.fifo").await;
    let mut pending: Vec<u32> = (0..40).collect();
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 200, "retries never got through");
        let chunk: Vec<u32> = pending.iter().copied().take(10).collect();
        let entries: Vec<Value> = chunk
            .iter()
            .map(|n| json!({"Id": format!("e{n}"), "MessageBody": format!("m{n:02}"), "MessageGroupId": "g"}))
            .collect();
        let out = send_batch(&engine, &url, json!(entries)).await.unwrap();
        let failed: BTreeSet<String> = out["Failed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["Id"].as_str().map(str::to_string))
            .collect();
        // A sender retries exactly the failed entries, in order.
        pending.retain(|n| !chunk.contains(n) || failed.contains(&format!("e{n}")));
    }
    let mut got = Vec::new();
    loop {
        let batch = receive(&engine, &url, 10, 0).await;
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            got.push(m["Body"].as_str().unwrap_or_default().to_string());
            ok(
                &engine,
                "DeleteMessage",
                json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}),
            )
            .await;
        }
    }
    let expected: Vec<String> = (0..40).map(|n| format!("m{n:02}")).collect();
    assert_eq!(
        got, expected,
        "in order, each once, despite {rounds} rounds of failures"
    );
}

#[tokio::test(start_paused = true)]
async fn fifo_dedup_window_outlives_delete() {
    let engine = Engine::new(&options(false));
    let url = create(&engine, "d.fifo", json!({"FifoQueue": "true"})).await;
    let without_dedup_id = json!({"MessageBody": "x", "MessageGroupId": "g"});
    let err = send_with(&engine, &url, without_dedup_id)
        .await
        .unwrap_err();
    assert_eq!(
        err.message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    let ungrouped = json!({"MessageBody": "x", "MessageDeduplicationId": "d"});
    let err = send_with(&engine, &url, ungrouped).await.unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    let delayed = json!({"MessageBody": "x", "MessageGroupId": "g",
                         "MessageDeduplicationId": "d", "DelaySeconds": 2});
    let err = send_with(&engine, &url, delayed).await.unwrap_err();
    assert!(err.message.contains("not valid for this queue type"));
    let dedup = |body: &str, group: &str| json!({"MessageBody": body, "MessageGroupId": group, "MessageDeduplicationId": "same"});
    let first = send_with(&engine, &url, dedup("one", "g")).await.unwrap();
    let got = receive(&engine, &url, 10, 0).await;
    delete(&engine, &url, &got[0]).await.unwrap();
    engine.advance_clock(Duration::from_secs(200));
    let again = send_with(&engine, &url, dedup("two", "other"))
        .await
        .unwrap();
    assert_eq!(again["MessageId"], first["MessageId"]);
    assert_eq!(again["SequenceNumber"], first["SequenceNumber"]);
    assert!(receive(&engine, &url, 10, 0).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn whole_batch_errors_for_size_and_fifo_groups() {
    let engine = Engine::new(&options(false));
    let url = create(&engine, "big", json!({})).await;
    let half = "z".repeat(600_000);
    let too_long = json!([{"Id": "a", "MessageBody": half}, {"Id": "b", "MessageBody": half}]);
    let err = send_batch(&engine, &url, too_long).await.unwrap_err();
    assert_eq!(err.code, "AWS.SimpleQueueService.BatchRequestTooLong");
    assert_eq!(
        err.message,
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
    );
    let fifo = create_fifo(&engine, "b.fifo").await;
    let one_ungrouped = json!([{"Id": "a", "MessageBody": "x", "MessageGroupId": "g"},
                               {"Id": "b", "MessageBody": "y"}]);
    let err = send_batch(&engine, &fifo, one_ungrouped).await.unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(
        err.message,
        "The request must contain the parameter MessageGroupId."
    );
    assert!(
        receive(&engine, &fifo, 10, 0).await.is_empty(),
        "nothing was sent"
    );
    let ungrouped = json!({"MessageBody": "x", "MessageDeduplicationId": "d"});
    let err = send_with(&engine, &url, ungrouped).await.unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    // Fair queues: a group id on a standard queue is accepted and returned, no sequence number.
    let grouped = json!({"MessageBody": "x", "MessageGroupId": "tenant"});
    let sent = send_with(&engine, &url, grouped).await.unwrap();
    assert!(sent.get("SequenceNumber").is_none());
    let got = receive(&engine, &url, 10, 5).await;
    assert_eq!(got[0]["Attributes"]["MessageGroupId"], "tenant");
}
