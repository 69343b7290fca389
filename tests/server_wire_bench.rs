//! Wire benchmark (prints figures, asserts nothing about speed): SendMessage round-trip latency
//! with the real SDK over loopback, SDK throughput with SendMessageBatch and with 4 concurrent
//! single senders, and the same round trip over the Query protocol.
//!
//! `cargo test --test server_wire_bench -- --ignored --nocapture` (add `--release` for
//! release figures).

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn wire_figures() {
    let server = common::start().await;
    let sqs = common::client(&server);
    let url = common::create_queue(&sqs, "bench").await;

    // Warm up the connection pool.
    for _ in 0..50 {
        sqs.send_message()
            .queue_url(&url)
            .message_body("warm")
            .send()
            .await
            .unwrap();
    }
    let mut times = Vec::new();
    for i in 0..1000 {
        let started = Instant::now();
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("Message {i}"))
            .send()
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "SDK SendMessage round trip over loopback (1000 sequential): p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );

    let url = common::create_queue(&sqs, "bench-batch").await;
    let batches = 300;
    let started = Instant::now();
    for b in 0..batches {
        let mut request = sqs.send_message_batch().queue_url(&url);
        for i in 0..10 {
            request = request.entries(
                SendMessageBatchRequestEntry::builder()
                    .id(format!("e{i}"))
                    .message_body(format!("Message {}", b * 10 + i))
                    .build()
                    .unwrap(),
            );
        }
        request.send().await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "SDK SendMessageBatch x10, sequential: {:.0} msgs/s ({} messages in {elapsed:?})",
        f64::from(batches * 10) / elapsed.as_secs_f64(),
        batches * 10
    );

    let url = common::create_queue(&sqs, "bench-concurrent").await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..4 {
        let sqs = sqs.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..500 {
                sqs.send_message()
                    .queue_url(&url)
                    .message_body(format!("t{t} {i}"))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "SDK SendMessage, 4 concurrent senders: {:.0} msgs/s (2000 in {elapsed:?})",
        2000.0 / elapsed.as_secs_f64()
    );

    let mut times = Vec::new();
    for i in 0..200 {
        let body = format!("Message {i}");
        let started = Instant::now();
        let response = common::query_post(
            &server,
            "/",
            &[
                ("Action", "SendMessage"),
                ("QueueUrl", &url),
                ("MessageBody", &body),
            ],
        )
        .await;
        times.push(started.elapsed());
        assert_eq!(response.status, 200);
    }
    times.sort();
    println!(
        "Query SendMessage, new connection each (200 sequential): p50 {:?}, p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    server.stop().await.unwrap();
}
