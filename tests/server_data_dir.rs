//! `queue serve --data-dir`: the built binary killed with SIGKILL keeps every message whose
//! send was answered; queues, attributes and messages survive a clean restart of the in-process
//! server; a second server on the same directory and an unusable directory are one-line errors.

use std::collections::BTreeSet;
use std::process::Stdio;

use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::{LocalServer, ServeOptions};

use crate::util::binary::{TempDir, queue};
use crate::util::sdk::{attributes, receive, send_batch};
use crate::util::serve_process::{endpoint, start};
use crate::util::server::{SEED, client, client_at, create_queue_with};

fn options(dir: &TempDir) -> ServeOptions {
    ServeOptions {
        data_dir: Some(dir.path().join("data")),
        ..ServeOptions::deterministic(SEED)
    }
}

/// Runs `queue serve --data-dir DIR`, which must fail with exit 1 and one line on stderr;
/// returns that line.
fn refused(dir: &std::path::Path) -> String {
    let output = queue()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run queue serve");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

/// Receives (and deletes) until a long poll comes back empty; returns every body seen.
async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let got = receive(client, url, 10, 1).await;
        if got.is_empty() {
            return bodies;
        }
        crate::util::sdk::delete_batch(client, url, &got).await;
        bodies.extend(got.into_iter().filter_map(|m| m.body));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_send_survives_kill_9() {
    let dir = TempDir::new();
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let (mut server, banner) = start(&["--data-dir", data, "--ordered"]);
    let client = client_at(&endpoint(&banner), "us-east-1");
    let url = create_queue_with(
        &client,
        "kept",
        &[(QueueAttributeName::VisibilityTimeout, "1")],
    )
    .await;
    // 40 batches of 10 at once: many requests share each disk sync.
    let sends = (0..40).map(|batch| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let bodies = (0..10).map(move |i| format!("m{}", batch * 10 + i));
            send_batch(&client, &url, bodies).await
        }
    });
    for answer in futures::future::join_all(sends).await {
        assert_eq!(answer.successful().len(), 10, "{answer:?}");
    }
    // Received but not deleted when the server dies: it comes back after its timeout.
    let in_flight = receive(&client, &url, 1, 0).await;
    assert_eq!(in_flight.len(), 1);

    // A second server on the same directory is refused while the first holds it.
    let stderr = refused(data.as_ref());
    assert!(
        stderr.contains("in use by another `queue serve`"),
        "{stderr}"
    );

    server.0.kill().expect("SIGKILL");
    server.0.wait().expect("reaped");
    let (_restarted, banner) = start(&["--data-dir", data, "--ordered"]);
    let client = client_at(&endpoint(&banner), "us-east-1");
    let url = crate::util::sdk::queue_url(&client, "kept").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let bodies = drain(&client, &url).await;
    let distinct: BTreeSet<&String> = bodies.iter().collect();
    assert_eq!(bodies.len(), 400, "each message once");
    assert_eq!(distinct.len(), 400);
}

#[tokio::test]
async fn queues_attributes_and_messages_survive_a_restart() {
    let dir = TempDir::new();
    let server = LocalServer::start(options(&dir)).await.expect("start");
    let sqs = client(&server);
    let url = create_queue_with(
        &sqs,
        "kept",
        &[
            (QueueAttributeName::VisibilityTimeout, "40"),
            (QueueAttributeName::DelaySeconds, "0"),
        ],
    )
    .await;
    send_batch(&sqs, &url, ["one", "two", "three"].map(String::from)).await;
    let taken = receive(&sqs, &url, 1, 0).await;
    crate::util::sdk::delete(&sqs, &url, taken[0].receipt_handle().expect("handle")).await;
    let created = attributes(&sqs, &url, QueueAttributeName::All).await;
    server.stop().await.expect("stop");

    let server = LocalServer::start(options(&dir)).await.expect("restart");
    let sqs = client(&server);
    let url = crate::util::sdk::queue_url(&sqs, "kept").await;
    let restored = attributes(&sqs, &url, QueueAttributeName::All).await;
    assert_eq!(restored, created, "attributes, timestamps and counts");
    let bodies = drain(&sqs, &url).await;
    assert_eq!(bodies, ["two", "three"]);
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn topics_subscriptions_and_fifo_dedup_survive_a_restart() {
    use crate::util::sns;
    let dir = TempDir::new();
    let server = LocalServer::start(options(&dir)).await.expect("start");
    let (sqs, topics) = (client(&server), sns::client(&server));
    let url = create_queue_with(&sqs, "kept.fifo", &[]).await;
    let topic = sns::create_topic(&topics, "kept.fifo", true).await;
    let queue_arn = "arn:aws:sqs:us-east-1:000000000000:kept.fifo";
    let filter = r#"{"client":["Client 1"]}"#;
    let sub = sns::subscribe(
        &topics,
        &topic,
        queue_arn,
        &[("RawMessageDelivery", "true"), ("FilterPolicy", filter)],
    )
    .await;
    let publish = |topics: &aws_sdk_sns::Client, body: &'static str, client_name: &'static str| {
        topics
            .publish()
            .topic_arn(&topic)
            .message(body)
            .message_group_id("g")
            .message_attributes(
                "client",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(client_name)
                    .build()
                    .expect("attribute"),
            )
            .send()
    };
    let first = publish(&topics, "Message 1", "Client 1")
        .await
        .expect("publish");
    let before = topics
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .expect("attributes")
        .attributes;
    server.stop().await.expect("stop");

    let server = LocalServer::start(options(&dir)).await.expect("restart");
    let (sqs, topics) = (client(&server), sns::client(&server));
    let after = topics
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .expect("the subscription is kept")
        .attributes;
    assert_eq!(after, before);
    // The deduplication window is kept: the same body is answered as the first publish.
    let again = publish(&topics, "Message 1", "Client 1")
        .await
        .expect("publish");
    assert_eq!(again.message_id(), first.message_id());
    assert_eq!(again.sequence_number(), first.sequence_number());
    // The filter is kept: Client 2's message is dropped, Client 1's delivered.
    publish(&topics, "Message 2", "Client 2")
        .await
        .expect("publish");
    let next = publish(&topics, "Message 3", "Client 1")
        .await
        .expect("publish");
    assert!(next.sequence_number() > first.sequence_number());
    assert_eq!(drain(&sqs, &url).await, ["Message 1", "Message 3"]);
    server.stop().await.expect("stop");
}

#[test]
fn a_data_dir_that_cannot_be_made_is_a_one_line_error() {
    let dir = TempDir::new();
    dir.write("file", "not a directory");
    let path = dir.path().join("file").join("data");
    let stderr = refused(&path);
    assert!(
        stderr.contains("cannot create the data directory"),
        "{stderr}"
    );
}
