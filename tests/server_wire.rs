//! The wire around every action: injected failures and latency, stop ending long polls,
//! request ids, JSON error shapes and headers, the target header, the region taken from the
//! signature, and odd inputs that must never cause a server error.

use std::time::Duration;

use aws_sdk_sqs::error::ProvideErrorMetadata;

use queue::server::ServeOptions;

use crate::util::http::{json_call, json_post, query, raw, xml_all, xml_text};
use crate::util::is_request_id;
use crate::util::server::{SEED, client, client_with, start, start_with, start_with_queue};

#[tokio::test]
async fn fail_rate_answers_with_retryable_errors() {
    let server = start_with(ServeOptions {
        fail_rate: 1.0,
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let sqs = client(&server);
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let error = sqs.list_queues().send().await.unwrap_err();
        let error = error.into_service_error();
        codes.insert(error.code().unwrap_or("none").to_string());
    }
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["InternalFailure", "RequestThrottled"]
    );

    // With retries, a flaky server still gets every request through.
    let flaky = start_with(ServeOptions {
        fail_rate: 0.3,
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let sqs = client_with(
        &flaky,
        "us-east-1",
        aws_sdk_sqs::config::retry::RetryConfig::standard()
            .with_max_attempts(20)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(2)),
    );
    for _ in 0..10 {
        sqs.list_queues().send().await.unwrap();
    }
}

#[tokio::test]
async fn latency_delays_every_response() {
    let server = start_with(ServeOptions {
        latency: Duration::from_millis(80),
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let started = std::time::Instant::now();
    let response = json_call(&server, "ListQueues", "{}").await;
    assert_eq!(response.status, 200);
    let error = json_call(&server, "Nope", "{}").await;
    assert_eq!(error.status, 400);
    assert!(started.elapsed() >= Duration::from_millis(160));
}

#[tokio::test]
async fn stop_ends_waiting_long_polls() {
    let (server, sqs, url) = start_with_queue("longpoll").await;
    let poll = tokio::spawn(async move {
        sqs.receive_message()
            .queue_url(&url)
            .wait_time_seconds(20)
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop does not wait for the long poll")
        .unwrap();
    let received = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll ends with the server")
        .unwrap()
        .unwrap();
    assert!(received.messages().is_empty());
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let server = start().await;
    let ok = json_call(&server, "ListQueues", "").await;
    let bad = raw(&server, "GET", "/favicon.ico", &[], b"").await;
    let query = query(&server, &[("Action", "ListQueues")]).await;
    for response in [&ok, &bad, &query] {
        let id = response.header("x-amzn-RequestId").unwrap();
        assert!(is_request_id(id), "{response:?}");
    }
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert!(ok.json().is_object());
    // Query's RequestId is the same as the header's.
    assert_eq!(
        xml_text(&query.body, "RequestId").as_deref(),
        query.header("x-amzn-requestid")
    );
}

#[tokio::test]
async fn json_errors_carry_type_message_and_query_error_header() {
    let server = start().await;
    let missing = json_call(&server, "GetQueueUrl", r#"{"QueueName":"nope"}"#).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    assert_eq!(
        missing.json(),
        serde_json::json!({
            "__type": "com.amazonaws.sqs#QueueDoesNotExist",
            "message": "The specified queue does not exist.",
        })
    );

    let malformed = json_call(&server, "CreateQueue", "{not json").await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["__type"]
            .as_str()
            .unwrap()
            .starts_with("com.amazonaws.sqs#")
    );
    assert!(
        malformed
            .header("x-amzn-query-error")
            .unwrap()
            .ends_with(";Sender")
    );

    let unknown = json_call(&server, "Frobnicate", "{}").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.json()["__type"],
        "com.amazonaws.sqs#UnsupportedOperation"
    );
    assert_eq!(
        unknown.header("x-amzn-query-error"),
        Some("AWS.SimpleQueueService.UnsupportedOperation;Sender")
    );

    let wrong_service = raw(
        &server,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(wrong_service.status, 400);
    let no_target = raw(
        &server,
        "POST",
        "/",
        &[("Content-Type", "application/x-amz-json-1.0")],
        b"{}",
    )
    .await;
    assert_eq!(no_target.status, 400);
    assert_eq!(
        no_target.header("x-amzn-query-error"),
        Some("MissingAction;Sender")
    );
}

#[tokio::test]
async fn json_target_header_is_case_insensitive_and_unknown_members_are_ignored() {
    let server = start().await;
    let response = raw(
        &server,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.CreateQueue"),
        ],
        br#"{"QueueName":"lower","Bogus":1,"AttributeName.1":"ApproximateReceiveCount"}"#,
    )
    .await;
    assert_eq!(response.status, 200, "{response:?}");
    assert!(
        response.json()["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/000000000000/lower")
    );
}

#[tokio::test]
async fn region_comes_from_the_signature() {
    let server = start().await;
    let east = json_call(&server, "CreateQueue", r#"{"QueueName":"r"}"#).await;
    let south = json_post(
        &server,
        "CreateQueue",
        "ap-southeast-2",
        r#"{"QueueName":"r"}"#,
    )
    .await;
    assert_eq!(east.status, 200);
    assert_eq!(south.status, 200);
    let east_url = east.json()["QueueUrl"].as_str().unwrap().to_string();
    let south_url = south.json()["QueueUrl"].as_str().unwrap().to_string();
    assert_ne!(east_url, south_url);
    let listed = json_post(&server, "ListQueues", "ap-southeast-2", "{}").await;
    assert_eq!(listed.json()["QueueUrls"], serde_json::json!([south_url]));
    // Unsigned requests are in us-east-1.
    let unsigned = query(&server, &[("Action", "ListQueues")]).await;
    assert_eq!(xml_all(&unsigned.body, "QueueUrl"), [east_url]);
}

#[tokio::test]
async fn odd_inputs_never_cause_a_server_error() {
    let (server, _, url) = start_with_queue("odd").await;
    let json_bodies = [
        "null",
        "\"text\"",
        "[]",
        "{\"QueueUrl\": 5, \"MessageBody\": 5}",
        "{\"QueueUrl\": null, \"MessageBody\": null}",
        "{\"QueueName\": {\"nested\": true}}",
        "{\"MaxNumberOfMessages\": \"ten\"}",
        "{\"MaxNumberOfMessages\": 1e99}",
        "{\"Entries\": {\"not\": \"a list\"}}",
        "{\"Entries\": [1, \"two\", null]}",
        "{\"Attributes\": [\"list\"]}",
        "{\"MessageAttributes\": {\"a\": \"not an object\"}}",
        "{\"AttributeNames\": \"All\"}",
        "{\"tags\": {\"k\": 1}}",
        &"[".repeat(1000),
    ];
    let actions = [
        "CreateQueue",
        "GetQueueUrl",
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
        "GetQueueAttributes",
        "SetQueueAttributes",
        "TagQueue",
        "ListQueues",
    ];
    for action in actions {
        for body in json_bodies {
            let response = json_call(&server, action, body).await;
            assert!(
                response.status < 500,
                "{action} {body}: {} {}",
                response.status,
                response.body
            );
            if response.status >= 400 {
                let error = response.json();
                assert!(
                    error["__type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("com.amazonaws.sqs#")),
                    "{action} {body}: {error}"
                );
                assert!(response.header("x-amzn-query-error").is_some());
            }
        }
    }
    let forms: [&[(&str, &str)]; 8] = [
        &[("Action", "SendMessage"), ("QueueUrl", &url)],
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "x"),
            ("MessageAttribute.1.Value", "v"),
        ],
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "x"),
            ("MessageAttribute.1.Name", "n"),
        ],
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1", "x"),
        ],
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.99999999999.Id", "x"),
        ],
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "odd2"),
            ("Attribute.1.Value", "30"),
        ],
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("MaxNumberOfMessages", ""),
        ],
        &[("Action", ""), ("QueueUrl", &url)],
    ];
    for form in forms {
        let response = query(&server, form).await;
        assert!(response.status < 500, "{form:?}: {response:?}");
        if response.status >= 400 {
            assert!(
                response.body.contains("<ErrorResponse"),
                "{form:?}: {response:?}"
            );
        }
    }
    let garbage = raw(
        &server,
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &[0xff, 0xfe, b'=', 0x00, b'&', b'%', b'z'],
    )
    .await;
    assert_eq!(garbage.status, 400, "{garbage:?}");
}
