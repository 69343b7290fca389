//! Engine semantics through [`Engine::dispatch`] with JSON inputs: the real engine, paused
//! tokio time, `advance_clock` instead of sleeps.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Engine, RequestContext};
use crate::server::ServeOptions;
use crate::server::error::SqsError;

fn options(ordered: bool) -> ServeOptions {
    ServeOptions {
        queues: Vec::new(),
        seed: Some(6400),
        servers: 5,
        duplicate_rate: 0.0,
        ordered,
        latency: Duration::ZERO,
        fail_rate: 0.0,
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        region: "us-east-1".into(),
        account: "000000000000".into(),
        host: "127.0.0.1:4566".into(),
        path_queue: None,
        trace_header: None,
        sender_id: "AIDATESTSENDER".into(),
    }
}

async fn call(engine: &Engine, action: &str, input: Value) -> Result<Value, SqsError> {
    engine.dispatch(&ctx(), action, input).await
}

async fn ok(engine: &Engine, action: &str, input: Value) -> Value {
    match call(engine, action, input).await {
        Ok(v) => v,
        Err(e) => panic!("{action} failed: {e}"),
    }
}

async fn create(engine: &Engine, name: &str, attributes: Value) -> String {
    let out = ok(
        engine,
        "CreateQueue",
        json!({"QueueName": name, "Attributes": attributes}),
    )
    .await;
    out["QueueUrl"].as_str().unwrap_or_default().to_string()
}

async fn send(engine: &Engine, url: &str, body: &str) -> Value {
    ok(
        engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": body}),
    )
    .await
}

async fn send_group(engine: &Engine, url: &str, body: &str, group: &str) -> Value {
    ok(
        engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group}),
    )
    .await
}

async fn receive(engine: &Engine, url: &str, max: u32, wait: u32) -> Vec<Value> {
    let out = ok(
        engine,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": max, "WaitTimeSeconds": wait,
               "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}),
    )
    .await;
    out["Messages"].as_array().cloned().unwrap_or_default()
}

fn bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["Body"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn delete(engine: &Engine, url: &str, message: &Value) -> Result<Value, SqsError> {
    call(
        engine,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": message["ReceiptHandle"]}),
    )
    .await
}

async fn attribute(engine: &Engine, url: &str, name: &str) -> String {
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

#[tokio::test(start_paused = true)]
async fn queue_urls_arns_idempotency_and_listing() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "orders", json!({"DelaySeconds": "5"})).await;
    assert_eq!(
        url,
        "http://sqs.us-east-1.localhost:4566/000000000000/orders"
    );
    assert_eq!(create(&engine, "orders", json!({})).await, url);
    assert_eq!(
        create(&engine, "orders", json!({"DelaySeconds": "5"})).await,
        url
    );
    let err = call(
        &engine,
        "CreateQueue",
        json!({"QueueName": "orders", "Attributes": {"DelaySeconds": "6"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "QueueAlreadyExists");
    assert!(err.message.ends_with("attribute DelaySeconds"));
    assert_eq!(
        attribute(&engine, &url, "QueueArn").await,
        "arn:aws:sqs:us-east-1:000000000000:orders"
    );
    // Any host resolves by path; the region comes from a sqs.<region>. prefix.
    let got = ok(
        &engine,
        "GetQueueAttributes",
        json!({"QueueUrl": "http://localhost:9/000000000000/orders", "AttributeNames": ["All"]}),
    )
    .await;
    assert_eq!(got["Attributes"]["DelaySeconds"], "5");
    assert_eq!(got["Attributes"].as_object().map(|m| m.len()), Some(12));
    for name in ["a1", "a2", "a3"] {
        create(&engine, name, json!({})).await;
    }
    let page = ok(
        &engine,
        "ListQueues",
        json!({"QueueNamePrefix": "a", "MaxResults": 2}),
    )
    .await;
    assert_eq!(page["QueueUrls"].as_array().map(Vec::len), Some(2));
    let rest = ok(
        &engine,
        "ListQueues",
        json!({"QueueNamePrefix": "a", "MaxResults": 2, "NextToken": page["NextToken"]}),
    )
    .await;
    assert_eq!(rest["QueueUrls"].as_array().map(Vec::len), Some(1));
    assert!(rest.get("NextToken").is_none());

    ok(&engine, "DeleteQueue", json!({"QueueUrl": url})).await;
    let err = call(&engine, "GetQueueUrl", json!({"QueueName": "orders"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "AWS.SimpleQueueService.NonExistentQueue");
    let err = call(&engine, "CreateQueue", json!({"QueueName": "orders"}))
        .await
        .unwrap_err();
    assert_eq!(err.shape, "QueueDeletedRecently");
    engine.advance_clock(Duration::from_secs(61));
    create(&engine, "orders", json!({})).await;
    let err = call(&engine, "NoSuchAction", json!({})).await.unwrap_err();
    assert_eq!(err.shape, "UnsupportedOperation");
}

#[tokio::test(start_paused = true)]
async fn visibility_timeout_redelivers_with_a_new_handle() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "q", json!({"VisibilityTimeout": "10"})).await;
    send(&engine, &url, "hello").await;
    let first = receive(&engine, &url, 1, 0).await;
    assert_eq!(bodies(&first), ["hello"]);
    assert_eq!(first[0]["Attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(first[0]["Attributes"]["SenderId"], "AIDATESTSENDER");
    assert_eq!(first[0]["MD5OfBody"], "5d41402abc4b2a76b9719d911017c592");
    assert!(receive(&engine, &url, 1, 0).await.is_empty());
    assert_eq!(
        attribute(&engine, &url, "ApproximateNumberOfMessagesNotVisible").await,
        "1"
    );
    engine.advance_clock(Duration::from_secs(11));
    let second = receive(&engine, &url, 1, 0).await;
    assert_eq!(second[0]["Attributes"]["ApproximateReceiveCount"], "2");
    assert_ne!(second[0]["ReceiptHandle"], first[0]["ReceiptHandle"]);
    assert_eq!(
        second[0]["Attributes"]["ApproximateFirstReceiveTimestamp"],
        first[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
    );
    // The stale handle succeeds without deleting; the latest one deletes.
    delete(&engine, &url, &first[0]).await.unwrap();
    assert_eq!(
        attribute(&engine, &url, "ApproximateNumberOfMessagesNotVisible").await,
        "1"
    );
    delete(&engine, &url, &second[0]).await.unwrap();
    delete(&engine, &url, &second[0]).await.unwrap();
    engine.advance_clock(Duration::from_secs(60));
    assert!(receive(&engine, &url, 1, 0).await.is_empty());
    let err = call(
        &engine,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status, 404);
    assert_eq!(
        err.message,
        "The input receipt handle \"garbage\" is not a valid receipt handle."
    );
    let err = call(
        &engine,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": second[0]["ReceiptHandle"], "VisibilityTimeout": 5}),
    )
    .await
    .unwrap_err();
    assert!(err.message.contains("Message does not exist"));
}

#[tokio::test(start_paused = true)]
async fn change_visibility_and_counters() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "q", json!({})).await;
    send(&engine, &url, "a").await;
    ok(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "late", "DelaySeconds": 30}),
    )
    .await;
    send(&engine, &url, "b").await;
    let got = receive(&engine, &url, 1, 0).await;
    let counts = ok(
        &engine,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]}),
    )
    .await;
    assert_eq!(
        counts["Attributes"],
        json!({"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "1",
               "ApproximateNumberOfMessagesDelayed": "1"})
    );
    ok(
        &engine,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0}),
    )
    .await;
    let both = receive(&engine, &url, 10, 0).await;
    assert_eq!(bodies(&both), ["a", "b"]);
    for message in &both {
        delete(&engine, &url, message).await.unwrap();
    }
    engine.advance_clock(Duration::from_secs(31));
    assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["late"]);
    let err = call(
        &engine,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 43_201}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
}

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
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": big, "MessageAttributes": {
            "General": {"DataType": "String", "StringValue": "Kenobi"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    );
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": ""}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
}

#[tokio::test(start_paused = true)]
async fn batches_validate_and_report_per_entry() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "q", json!({"MaximumMessageSize": "1024"})).await;
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": []}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.shape, "EmptyBatchRequest");
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Id": format!("m{i}"), "MessageBody": "b"}))
        .collect();
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": eleven}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "Maximum number of entries per request are 11. You have sent 11."
            .replace("are 11", "are 10")
    );
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a:b", "MessageBody": "b"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.shape, "InvalidBatchEntryId");
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}, {"Id": "a", "MessageBody": "c"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.shape, "BatchEntryIdsNotDistinct");
    let out = ok(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "ok", "MessageBody": "fine"},
            {"Id": "big", "MessageBody": "y".repeat(2000)}]}),
    )
    .await;
    assert_eq!(out["Successful"][0]["Id"], "ok");
    assert_eq!(out["Failed"][0]["Id"], "big");
    assert_eq!(out["Failed"][0]["SenderFault"], true);
    assert_eq!(
        out["Failed"][0]["Message"],
        "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."
    );
    let got = receive(&engine, &url, 10, 0).await;
    let out = ok(
        &engine,
        "DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "1", "ReceiptHandle": got[0]["ReceiptHandle"]},
            {"Id": "2", "ReceiptHandle": "junk"}]}),
    )
    .await;
    assert_eq!(out["Successful"], json!([{"Id": "1"}]));
    assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
}

#[tokio::test(start_paused = true)]
async fn fail_rate_fails_entries_retryably() {
    let mut opts = options(true);
    opts.fail_rate = 1.0;
    let engine = Engine::new(&opts);
    let url = create(&engine, "q", json!({})).await;
    let out = ok(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "x"}]}),
    )
    .await;
    assert_eq!(out["Successful"], json!([]));
    assert_eq!(out["Failed"][0]["Code"], "InternalError");
    assert_eq!(out["Failed"][0]["SenderFault"], false);
}

#[tokio::test(start_paused = true)]
async fn fifo_batch_failures_keep_group_order_for_a_retrying_sender() {
    let mut opts = options(false);
    opts.fail_rate = 0.3;
    let engine = Engine::new(&opts);
    let url = create(
        &engine,
        "f.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
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
        let out = ok(
            &engine,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )
        .await;
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
async fn fifo_order_group_lock_and_fill_from_one_group() {
    let engine = Engine::new(&options(false));
    let url = create(
        &engine,
        "f.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
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
    engine.advance_clock(Duration::from_secs(31));
    // Group lock: with g1-m1 in flight nothing else of g1 comes out.
    let one = receive(&engine, &url, 1, 0).await;
    assert_eq!(bodies(&one), ["g1-m1"]);
    assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["g2-m1"]);
    assert!(receive(&engine, &url, 10, 0).await.is_empty());
    delete(&engine, &url, &one[0]).await.unwrap();
    assert_eq!(
        bodies(&receive(&engine, &url, 10, 0).await),
        ["g1-m2", "g1-m3"]
    );
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
async fn fifo_dedup_window_outlives_delete() {
    let engine = Engine::new(&options(false));
    let url = create(&engine, "d.fifo", json!({"FifoQueue": "true"})).await;
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "MissingParameter");
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g",
               "MessageDeduplicationId": "d", "DelaySeconds": 2}),
    )
    .await
    .unwrap_err();
    assert!(err.message.contains("not valid for this queue type"));
    let dedup = |body: &str, group: &str| json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group, "MessageDeduplicationId": "same"});
    let first = ok(&engine, "SendMessage", dedup("one", "g")).await;
    let got = receive(&engine, &url, 10, 0).await;
    delete(&engine, &url, &got[0]).await.unwrap();
    engine.advance_clock(Duration::from_secs(200));
    let again = ok(&engine, "SendMessage", dedup("two", "other")).await;
    assert_eq!(again["MessageId"], first["MessageId"]);
    assert_eq!(again["SequenceNumber"], first["SequenceNumber"]);
    assert!(receive(&engine, &url, 10, 0).await.is_empty());
    engine.advance_clock(Duration::from_secs(101));
    let fresh = ok(&engine, "SendMessage", dedup("three", "g")).await;
    assert_ne!(fresh["MessageId"], first["MessageId"]);
    assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["three"]);
}

#[tokio::test(start_paused = true)]
async fn fifo_receive_request_attempt_id_replays() {
    let engine = Engine::new(&options(false));
    let url = create(
        &engine,
        "r.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
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
async fn long_poll_wakes_on_send_and_on_visibility_expiry() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "lp", json!({"VisibilityTimeout": "3"})).await;
    let waiter = {
        let engine = engine.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let got = receive(&engine, &url, 10, 20).await;
            (bodies(&got), start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    send(&engine, &url, "wake").await;
    let (got, waited) = waiter.await.unwrap();
    assert_eq!(got, ["wake"]);
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    // Not deleted: a long poll returns when its visibility timeout ends.
    let start = tokio::time::Instant::now();
    assert_eq!(bodies(&receive(&engine, &url, 10, 20).await), ["wake"]);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    // advance_clock wakes waiters too.
    let waiter = {
        let engine = engine.clone();
        let url = url.clone();
        tokio::spawn(async move { receive(&engine, &url, 10, 20).await })
    };
    tokio::task::yield_now().await;
    engine.advance_clock(Duration::from_secs(4));
    assert_eq!(bodies(&waiter.await.unwrap()), ["wake"]);
    // Nothing at all: empty after the wait.
    let empty = create(&engine, "empty", json!({})).await;
    assert!(receive(&engine, &empty, 10, 1).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn purge_once_per_minute() {
    let engine = Engine::new(&options(true));
    let url = create(&engine, "p", json!({})).await;
    send(&engine, &url, "x").await;
    ok(&engine, "PurgeQueue", json!({"QueueUrl": url})).await;
    assert!(receive(&engine, &url, 10, 0).await.is_empty());
    let err = call(&engine, "PurgeQueue", json!({"QueueUrl": url}))
        .await
        .unwrap_err();
    assert_eq!(err.status, 403);
    assert_eq!(
        err.message,
        "Only one PurgeQueue operation on p is allowed every 60 seconds."
    );
    engine.advance_clock(Duration::from_secs(61));
    ok(&engine, "PurgeQueue", json!({"QueueUrl": url})).await;
}

#[tokio::test(start_paused = true)]
async fn tags_round_trip() {
    let engine = Engine::new(&options(true));
    let out = ok(
        &engine,
        "CreateQueue",
        json!({"QueueName": "t", "tags": {"team": "a"}}),
    )
    .await;
    let url = out["QueueUrl"].clone();
    ok(
        &engine,
        "TagQueue",
        json!({"QueueUrl": url, "Tags": {"env": "dev"}}),
    )
    .await;
    ok(
        &engine,
        "UntagQueue",
        json!({"QueueUrl": url, "TagKeys": ["team"]}),
    )
    .await;
    let tags = ok(&engine, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(tags, json!({"Tags": {"env": "dev"}}));
}

/// Sends 100 messages in batches of 10 and drains them with 10-message long polls, deleting
/// each; returns the order received (duplicates included).
async fn drain_run(options: &ServeOptions, send_count: usize) -> Vec<usize> {
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

fn late_fraction(order: &[usize]) -> f64 {
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

#[tokio::test(start_paused = true)]
async fn standard_defaults_reorder_a_little() {
    let mut fractions = Vec::new();
    let mut duplicates = 0;
    for seed in 0..20 {
        let opts = ServeOptions {
            queues: Vec::new(),
            seed: Some(seed),
            ..ServeOptions::default()
        };
        let order = drain_run(&opts, 100).await;
        if seed == 0 {
            println!("seed 0 delivery order: {order:?}");
        }
        let distinct: BTreeSet<usize> = order.iter().copied().collect();
        assert_eq!(distinct.len(), 100, "every message delivered at least once");
        duplicates += order.len() - 100;
        fractions.push(late_fraction(&order));
    }
    let mean = fractions.iter().sum::<f64>() / fractions.len() as f64;
    let (min, max) = fractions
        .iter()
        .fold((1.0_f64, 0.0_f64), |(lo, hi), f| (lo.min(*f), hi.max(*f)));
    println!(
        "standard defaults, 20 seeds x 100 messages: out-of-order mean {:.1}% (min {:.1}%, max {:.1}%), duplicates {duplicates}",
        mean * 100.0,
        min * 100.0,
        max * 100.0
    );
    assert!(mean > 0.03 && mean < 0.35, "mean late fraction {mean}");
}

#[tokio::test(start_paused = true)]
async fn ordered_mode_is_strict() {
    let order = drain_run(&options(true), 100).await;
    assert_eq!(order, (0..100).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn duplicates_come_back_after_delete() {
    let mut opts = options(false);
    opts.duplicate_rate = 0.5;
    let order = drain_run(&opts, 100).await;
    let distinct: BTreeSet<usize> = order.iter().copied().collect();
    assert_eq!(distinct.len(), 100);
    assert!(order.len() > 120, "{} deliveries", order.len());
}

#[tokio::test(start_paused = true)]
async fn short_polls_return_partial_answers() {
    let engine = Engine::new(&ServeOptions {
        queues: Vec::new(),
        seed: Some(1),
        ..ServeOptions::default()
    });
    let url = create(&engine, "sp", json!({"VisibilityTimeout": "0"})).await;
    send(&engine, &url, "only").await;
    let mut empties = 0;
    for _ in 0..100 {
        if receive(&engine, &url, 10, 0).await.is_empty() {
            empties += 1;
        }
    }
    println!("short poll of one message: {empties}% false empties");
    assert!(empties > 0 && empties < 100);
}

#[tokio::test(start_paused = true)]
async fn a_fixed_seed_reproduces_a_run() {
    let opts = ServeOptions {
        queues: Vec::new(),
        seed: Some(42),
        ..ServeOptions::default()
    };
    assert_eq!(drain_run(&opts, 50).await, drain_run(&opts, 50).await);
}

#[tokio::test(start_paused = true)]
async fn fifo_extended_message_keeps_later_ones_blocked() {
    let engine = Engine::new(&options(false));
    let url = create(
        &engine,
        "x.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
    for body in ["m1", "m2", "m3"] {
        send_group(&engine, &url, body, "g").await;
    }
    let got = receive(&engine, &url, 10, 0).await;
    assert_eq!(bodies(&got), ["m1", "m2", "m3"]);
    ok(
        &engine,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 100}),
    )
    .await;
    engine.advance_clock(Duration::from_secs(31));
    // m1 (expired, earlier) is receivable again; m3 stays behind the in-flight m2.
    assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["m1"]);
    assert_eq!(
        attribute(&engine, &url, "ApproximateNumberOfMessages").await,
        "1",
        "m3 counts as visible although its group is blocked"
    );
}

#[tokio::test(start_paused = true)]
async fn whole_batch_errors_for_size_and_fifo_groups() {
    let engine = Engine::new(&options(false));
    let url = create(&engine, "big", json!({})).await;
    let half = "z".repeat(600_000);
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": half}, {"Id": "b", "MessageBody": half}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "AWS.SimpleQueueService.BatchRequestTooLong");
    assert_eq!(
        err.message,
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
    );
    let fifo = create(
        &engine,
        "b.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
    let err = call(
        &engine,
        "SendMessageBatch",
        json!({"QueueUrl": fifo, "Entries": [{"Id": "a", "MessageBody": "x", "MessageGroupId": "g"},
            {"Id": "b", "MessageBody": "y"}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(
        err.message,
        "The request must contain the parameter MessageGroupId."
    );
    assert!(
        receive(&engine, &fifo, 10, 0).await.is_empty(),
        "nothing was sent"
    );
    let err = call(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
    // Fair queues: a group id on a standard queue is accepted and returned, no sequence number.
    let sent = ok(
        &engine,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "tenant"}),
    )
    .await;
    assert!(sent.get("SequenceNumber").is_none());
    let got = receive(&engine, &url, 10, 5).await;
    assert_eq!(got[0]["Attributes"]["MessageGroupId"], "tenant");
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

/// TEMP calibration: the handout's classroom run.
async fn classroom(seed: u64, senders: usize) -> (Vec<(usize, usize)>, usize) {
    let engine = Engine::new(&ServeOptions {
        queues: Vec::new(),
        seed: Some(seed),
        ..ServeOptions::default()
    });
    let url = create(&engine, "class", json!({})).await;
    let per = 100 / senders;
    let mut tasks = Vec::new();
    for s in 0..senders {
        let engine = engine.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300 * s as u64 + 10)).await;
            for i in 0..per {
                send(&engine, &url, &format!("{s}-{i}")).await;
                tokio::time::sleep(Duration::from_millis(760)).await;
            }
        }));
    }
    let receiver = {
        let engine = engine.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let mut order = Vec::new();
            let end = tokio::time::Instant::now() + Duration::from_millis(760 * per as u64 + 8000);
            while tokio::time::Instant::now() < end {
                for m in receive(&engine, &url, 10, 1).await {
                    let b = m["Body"].as_str().unwrap().to_string();
                    let (s, i) = b.split_once('-').unwrap();
                    order.push((s.parse().unwrap(), i.parse().unwrap()));
                    delete(&engine, &url, &m).await.unwrap();
                }
            }
            order
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    let order = receiver.await.unwrap();
    let distinct: BTreeSet<(usize, usize)> = order.iter().copied().collect();
    let dups = order.len() - distinct.len();
    (order, dups)
}

#[tokio::test(start_paused = true)]
async fn temp_classroom_figures() {
    for senders in [1, 2] {
        let mut lates = Vec::new();
        let mut dups = 0;
        for seed in 0..20 {
            let (order, d) = classroom(seed, senders).await;
            let mut hi: std::collections::HashMap<usize, usize> = Default::default();
            let mut late = 0;
            for (s, i) in &order {
                if hi.get(s).is_some_and(|h| i < h) { late += 1; }
                let e = hi.entry(*s).or_insert(*i); *e = (*e).max(*i);
            }
            if seed == 0 { println!("{:?}", order.iter().map(|x| x.1).collect::<Vec<_>>()); }
            lates.push(late as f64 / order.len() as f64);
            dups += d;
        }
        let mean = lates.iter().sum::<f64>() / 20.0;
        println!("senders {senders}: late mean {mean:.3} min {:.3} max {:.3} dups {dups}", lates.iter().cloned().fold(1.0, f64::min), lates.iter().cloned().fold(0.0, f64::max));
    }
}

#[tokio::test(start_paused = true)]
async fn temp_drain_figures() {
    for count in [100, 200, 300, 1000] {
        let mut lates = Vec::new();
        let mut dups = 0;
        for seed in 0..20 {
            let opts = ServeOptions { queues: Vec::new(), seed: Some(seed), ..ServeOptions::default() };
            let order = drain_run(&opts, count).await;
            let distinct: BTreeSet<usize> = order.iter().copied().collect();
            assert_eq!(distinct.len(), count);
            dups += order.len() - count;
            lates.push(late_fraction(&order));
        }
        let mean = lates.iter().sum::<f64>() / 20.0;
        println!("drain {count}: late mean {mean:.3} min {:.3} max {:.3} dups {dups}", lates.iter().cloned().fold(1.0, f64::min), lates.iter().cloned().fold(0.0, f64::max));
    }
}
