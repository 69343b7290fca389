//! ReceiveMessage through the engine: parameter rules, attribute filters, FIFO order and
//! attempt ids, redrive to the dead-letter queue, retention.

use crate::server::engine::Engine;
use crate::server::test_support::{
    attribute, bodies, call, create, create_fifo, delete, ok, options, receive, send, send_group,
    send_with,
};
use serde_json::json;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn receive_parameter_rules() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "q", json!({})).await;
    let err = call(
        &engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
    );
    let err = call(
        &engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "WaitTimeSeconds": 21}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
    );
    // kombu's Query-style key inside JSON is ignored.
    let out = ok(
        &engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "AttributeName.1": "ApproximateReceiveCount", "WaitTimeSeconds": 0}),
    )
    .await;
    assert!(out.get("Messages").is_none());
}

#[tokio::test(start_paused = true)]
async fn message_attributes_filters_and_digests() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "q", json!({})).await;
    let sent = ok(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageAttributes": {
            "General": {"DataType": "String", "StringValue": "Kenobi"},
            "Hello": {"DataType": "String", "StringValue": "There"},
            "Help.Me": {"DataType": "String", "StringValue": "Me"}}}),
    )
    .await;
    assert_eq!(
        sent["MD5OfMessageAttributes"],
        "4c360f3fdafd970e05fae2f149d997f5"
    );
    let out = ok(
        &engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MessageAttributeNames": ["Hel.*", "AWS.", "..foo"], "VisibilityTimeout": 0}),
    )
    .await;
    let message = &out["Messages"][0];
    assert_eq!(
        message["MD5OfMessageAttributes"],
        "83fee93c1bcd8b9a5a923ffacdc636c7"
    );
    assert_eq!(
        message["MessageAttributes"]["Hello"]["StringValue"],
        "There"
    );
    assert!(message.get("Attributes").is_none());
    let out = ok(
        &engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MessageAttributeNames": ["Nope"]}),
    )
    .await;
    assert!(out["Messages"][0].get("MD5OfMessageAttributes").is_none());
    let big = "x".repeat(1_048_570);
    let too_big = json!({"MessageBody": big, "MessageAttributes": {
        "General": {"DataType": "String", "StringValue": "Kenobi"}}});
    let err = send_with(&engine, &url, too_big).await.unwrap_err();
    assert_eq!(
        err.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    );
    let err = send_with(&engine, &url, json!({"MessageBody": ""}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
}

#[tokio::test(start_paused = true)]
async fn fifo_fills_from_one_group_numbers_in_send_order_and_expires_handles() {
    let engine = Engine::new(&options(false));
    let url = create_fifo(&engine, "f.fifo").await;
    for (body, group) in [
        ("g1-m1", "g1"),
        ("g2-m1", "g2"),
        ("g1-m2", "g1"),
        ("g1-m3", "g1"),
    ] {
        send_group(&engine, &url, body, group).await;
    }
    let all = receive(&engine, &url, 10, 0).await;
    assert_eq!(bodies(&all), ["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
    // Sequence numbers: 20 digits, increasing.
    let seqs: Vec<u128> = all
        .iter()
        .map(|m| {
            m["Attributes"]["SequenceNumber"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0)
        })
        .collect();
    assert!(seqs.iter().all(|s| s.to_string().len() == 20));
    // Delivery order g1-m1, g1-m2, g1-m3, g2-m1; send order g1-m1, g2-m1, g1-m2, g1-m3.
    assert!(seqs[0] < seqs[3] && seqs[3] < seqs[1] && seqs[1] < seqs[2]);
    // An expired FIFO handle cannot delete.
    engine.advance_clock(Duration::from_secs(31));
    let err = delete(&engine, &url, &all[1]).await.unwrap_err();
    assert!(
        err.message
            .ends_with("Reason: The receipt handle has expired.")
    );
}

#[tokio::test(start_paused = true)]
async fn fifo_receive_request_attempt_id_replays() {
    let engine = Engine::new(&options(false));
    let url = create_fifo(&engine, "r.fifo").await;
    send_group(&engine, &url, "a", "g").await;
    let ask =
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "try-1", "MaxNumberOfMessages": 10});
    let first = ok(&engine, "ReceiveMessage", ask.clone()).await;
    let second = ok(&engine, "ReceiveMessage", ask).await;
    assert_eq!(first, second);
    assert_eq!(first["Messages"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(start_paused = true)]
async fn redrive_moves_to_the_dead_letter_queue() {
    let engine = Engine::new(&options(true));
    let dlq = create(&engine, "dlq", json!({})).await;
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 2}).to_string();
    let src = create(
        &engine,
        "src",
        json!({"RedrivePolicy": policy, "VisibilityTimeout": "5"}),
    )
    .await;
    let sent = send(&engine, &src, "poison").await;
    for _ in 0..2 {
        assert_eq!(bodies(&receive(&engine, &src, 1, 0).await), ["poison"]);
        engine.advance_clock(Duration::from_secs(6));
    }
    assert!(receive(&engine, &src, 1, 0).await.is_empty());
    let moved = receive(&engine, &dlq, 1, 0).await;
    assert_eq!(moved[0]["MessageId"], sent["MessageId"]);
    assert_eq!(
        moved[0]["Attributes"]["DeadLetterQueueSourceArn"],
        "arn:aws:sqs:us-east-1:000000000000:src"
    );
    assert_eq!(moved[0]["Attributes"]["ApproximateReceiveCount"], "3");
    let sources = ok(
        &engine,
        "ListDeadLetterSourceQueues",
        json!({"QueueUrl": dlq}),
    )
    .await;
    assert_eq!(sources["queueUrls"], json!([src]));
}

#[tokio::test(start_paused = true)]
async fn retention_expires_messages_silently() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "short", json!({"MessageRetentionPeriod": "60"})).await;
    send(&engine, &url, "old").await;
    engine.advance_clock(Duration::from_secs(30));
    send(&engine, &url, "new").await;
    assert_eq!(
        attribute(&engine, &url, "ApproximateNumberOfMessages").await,
        "2"
    );
    engine.advance_clock(Duration::from_secs(31));
    assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["new"]);
    engine.advance_clock(Duration::from_secs(30));
    assert_eq!(
        attribute(&engine, &url, "ApproximateNumberOfMessagesNotVisible").await,
        "0"
    );
}
