//! The standard queue's realism, calibrated on SQS: with the defaults (not `--ordered`), on
//! every one of 20 seeds, a small queue behaves exactly as SQS was recorded to — short polls
//! straight after a send, visibility timeouts, a batch drained one message at a time, a
//! dead-letter queue after `maxReceiveCount` receives — over the SDK and the Query protocol;
//! a sequential send/receive/delete is never duplicated; a busy queue still reorders.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{Message, MessageAttributeValue, QueueAttributeName};
use queue::server::{LocalServer, ServeOptions};

use crate::util::http::{query, query_send, xml_all, xml_text};
use crate::util::requests::{send_batch_of, send_message};
use crate::util::sdk;
use crate::util::server::{as_shipped, client, create_queue, create_queue_with, start_with};

/// Seeds every randomised case runs with.
const SEEDS: std::ops::Range<u64> = 0..20;

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages.iter().filter_map(Message::body).collect()
}

async fn send(client: &Client, url: &str, body: &str) -> String {
    sdk::send(client, url, body)
        .await
        .message_id
        .expect("message id")
}

/// A server with the realism `queue serve` ships with, on `seed`, a client, and one queue:
/// its URL third.
async fn shipped_with_queue(seed: u64, name: &str) -> (LocalServer, Client, String) {
    start_with_queue_in(as_shipped(seed), name).await
}

/// A server with `options`, a client, and one queue: its URL third.
async fn start_with_queue_in(options: ServeOptions, name: &str) -> (LocalServer, Client, String) {
    let server = start_with(options).await;
    let client = client(&server);
    let url = create_queue(&client, name).await;
    (server, client, url)
}

#[tokio::test]
async fn a_short_poll_with_visibility_zero_returns_the_message_again_on_every_seed() {
    for seed in SEEDS {
        let (server, client, url) = shipped_with_queue(seed, "vt0").await;
        send(&client, &url, "foobar").await;
        let first = sdk::short_poll(&client, &url, 1, Some(0)).await;
        let second = sdk::short_poll(&client, &url, 1, Some(0)).await;
        let third = sdk::short_poll(&client, &url, 1, None).await;
        assert_eq!(bodies(&first), ["foobar"], "seed {seed}");
        assert_eq!(bodies(&second), ["foobar"], "seed {seed}");
        assert_eq!(bodies(&third), ["foobar"], "seed {seed}");
        let handles: BTreeSet<_> = [&first[0], &second[0], &third[0]]
            .iter()
            .filter_map(|m| m.receipt_handle())
            .collect();
        assert_eq!(
            handles.len(),
            3,
            "a new receipt handle each time (seed {seed})"
        );
        assert!(
            sdk::short_poll(&client, &url, 1, None).await.is_empty(),
            "hidden (seed {seed})"
        );
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn a_batch_of_two_comes_back_one_by_one_in_order_on_every_seed() {
    for seed in SEEDS {
        let (server, client, url) = shipped_with_queue(seed, "batch").await;
        send_batch_of(&client, &url, &[("0", "message-0"), ("1", "message-1")])
            .send()
            .await
            .expect("batch");
        let got = [
            sdk::short_poll(&client, &url, 1, None).await,
            sdk::short_poll(&client, &url, 1, None).await,
            sdk::short_poll(&client, &url, 1, None).await,
        ];
        let got: Vec<Vec<&str>> = got.iter().map(|m| bodies(m)).collect();
        assert_eq!(
            got,
            [vec!["message-0"], vec!["message-1"], vec![]],
            "seed {seed}"
        );
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn a_message_back_from_its_visibility_timeout_comes_before_a_later_one_on_every_seed() {
    for seed in SEEDS {
        let (server, client, url) = shipped_with_queue(seed, "requeue").await;
        send(&client, &url, "test1").await;
        let first = sdk::short_poll(&client, &url, 1, Some(3)).await;
        server.advance_clock(Duration::from_millis(1_500));
        send(&client, &url, "test2").await;
        server.advance_clock(Duration::from_secs(3));
        let again = sdk::short_poll(&client, &url, 1, Some(3)).await;
        assert_eq!(bodies(&first), ["test1"], "seed {seed}");
        assert_eq!(bodies(&again), ["test1"], "seed {seed}");
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn a_short_poll_straight_after_a_send_gets_attributes_and_encoded_content_on_every_seed() {
    let bodies_sent = [
        "\"&quot;&quot;\r",
        "{\r\n\"machineID\" : \"d357006e26ff47439e1ef894225d4307\"}",
    ];
    for seed in SEEDS {
        let (server, client, url) = shipped_with_queue(seed, "content").await;
        let timestamp = MessageAttributeValue::builder()
            .data_type("Number")
            .string_value("1614717034367")
            .build()
            .expect("attribute");
        let sent = send_message(&client, &url, "test")
            .message_attributes("timestamp", timestamp.clone())
            .send()
            .await
            .expect("send");
        let got = sdk::short_poll(&client, &url, 1, None).await;
        assert_eq!(got.len(), 1, "seed {seed}");
        assert_eq!(got[0].message_id(), sent.message_id(), "seed {seed}");
        assert_eq!(
            got[0].message_attributes().and_then(|a| a.get("timestamp")),
            Some(&timestamp),
            "seed {seed}"
        );
        for body in bodies_sent {
            let sent = sdk::send(&client, &url, body).await;
            let got = sdk::short_poll(&client, &url, 1, None).await;
            assert_eq!(bodies(&got), [body], "seed {seed}");
            assert_eq!(
                got[0].md5_of_body(),
                sent.md5_of_message_body(),
                "seed {seed}"
            );
        }
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn a_dead_letter_queue_gets_the_message_after_max_receive_count_receives_on_every_seed() {
    for seed in SEEDS {
        let max_receives = 1 + seed % 3;
        let (server, client, dlq) = shipped_with_queue(seed, "dlq").await;
        let policy = format!(
            r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":{max_receives}}}"#
        );
        let redrive = [
            (QueueAttributeName::RedrivePolicy, policy.as_str()),
            (QueueAttributeName::VisibilityTimeout, "0"),
        ];
        let url = create_queue_with(&client, "source", &redrive).await;
        let id = send(&client, &url, "poison").await;
        for receive in 1..=max_receives {
            let got = sdk::short_poll(&client, &url, 1, None).await;
            assert_eq!(
                got.iter()
                    .filter_map(Message::message_id)
                    .collect::<Vec<_>>(),
                [id.as_str()],
                "receive {receive} of {max_receives} (seed {seed})"
            );
        }
        assert!(
            sdk::short_poll(&client, &url, 1, None).await.is_empty(),
            "moved (seed {seed})"
        );
        let moved = sdk::short_poll(&client, &dlq, 10, None).await;
        assert_eq!(
            moved
                .iter()
                .filter_map(Message::message_id)
                .collect::<Vec<_>>(),
            [id.as_str()],
            "once in the DLQ (seed {seed})"
        );
        server.stop().await.expect("stop");
    }
}

/// A Query-protocol ReceiveMessage of one message (form POST, XML answer): the bodies and the
/// receipt handles.
async fn query_receive(
    server: &LocalServer,
    url: &str,
    extra: &[(&str, &str)],
) -> (Vec<String>, Vec<String>) {
    let mut form = vec![("Action", "ReceiveMessage"), ("QueueUrl", url)];
    form.extend_from_slice(extra);
    let answer = query(server, &form).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (
        xml_all(&answer.body, "Body"),
        xml_all(&answer.body, "ReceiptHandle"),
    )
}

/// The small-queue cases over the Query protocol (form POSTs, XML answers).
#[tokio::test]
async fn the_small_queue_cases_hold_over_the_query_protocol_on_every_seed() {
    for seed in SEEDS {
        let server = start_with(as_shipped(seed)).await;
        let created = query(&server, &[("Action", "CreateQueue"), ("QueueName", "q")]).await;
        let url = xml_text(&created.body, "QueueUrl").expect("queue url");
        let sent = query(
            &server,
            &[
                ("Action", "SendMessageBatch"),
                ("QueueUrl", &url),
                ("SendMessageBatchRequestEntry.1.Id", "a"),
                ("SendMessageBatchRequestEntry.1.MessageBody", "message-0"),
                ("SendMessageBatchRequestEntry.2.Id", "b"),
                ("SendMessageBatchRequestEntry.2.MessageBody", "message-1"),
            ],
        )
        .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(query_receive(&server, &url, &[]).await.0);
        }
        assert_eq!(
            got,
            [vec!["message-0"], vec!["message-1"], vec![]],
            "seed {seed}"
        );

        // One message with encoded content: short polls with VisibilityTimeout=0 get it
        // again and again, a default receive hides it.
        let body = "\"&quot;&quot;\r";
        let sent = query_send(&server, &url, body, &[]).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        let mut handles = BTreeSet::new();
        for visibility in ["0", "0", "30"] {
            let (bodies, receipts) =
                query_receive(&server, &url, &[("VisibilityTimeout", visibility)]).await;
            assert_eq!(bodies, [body], "seed {seed}");
            handles.extend(receipts);
        }
        assert_eq!(
            handles.len(),
            3,
            "a new receipt handle each time (seed {seed})"
        );
        assert!(
            query_receive(&server, &url, &[]).await.0.is_empty(),
            "hidden (seed {seed})"
        );
        server.stop().await.expect("stop");
    }
}

#[tokio::test]
async fn sequential_send_receive_delete_is_never_duplicated_on_every_seed() {
    for seed in SEEDS {
        // Every delete that could miss a replica would. 20 messages: the most a quiet queue holds.
        let always_duplicated = ServeOptions {
            duplicate_rate: 1.0,
            ..as_shipped(seed)
        };
        let (server, client, url) = start_with_queue_in(always_duplicated, "seq").await;
        for i in 0..20 {
            send(&client, &url, &format!("m{i}")).await;
        }
        let mut order = Vec::new();
        loop {
            let got = sdk::short_poll(&client, &url, 10, None).await;
            if got.is_empty() {
                break;
            }
            for message in &got {
                order.push(message.body().unwrap_or_default().to_string());
                sdk::delete(&client, &url, message.receipt_handle().unwrap_or_default()).await;
            }
        }
        assert_eq!(
            order,
            (0..20).map(|i| format!("m{i}")).collect::<Vec<_>>(),
            "exact order (seed {seed})"
        );
        server.advance_clock(Duration::from_secs(60));
        assert!(
            sdk::short_poll(&client, &url, 10, None).await.is_empty(),
            "no copy comes back (seed {seed})"
        );
        server.stop().await.expect("stop");
    }
}
