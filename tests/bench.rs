//! Benchmarks: print figures, assert nothing about speed (shared, noisy machines). Compare the
//! ratios printed by one run.
//!
//! `cargo test --release --test integration -- --ignored --nocapture --test-threads 1 bench::`
//!
//! - `wire_figures`: SDK SendMessage round trip, batch and concurrent throughput, Query round trip.
//! - `send_receive_delete_throughput`: 4 batch senders, then one receiver draining with deletes.
//! - `long_poll_handover_and_idle_cpu`: how soon a waiting long poll gets a new message, and
//!   the CPU that idle long polls cost.
//! - `sender_batched_vs_one_by_one`: `queue send`'s batching against the original's pattern,
//!   near and far (the server's `latency` option).

use std::time::{Duration, Instant};

use queue::cli::DedupMode;
use queue::cli::defaults::PARALLEL;
use queue::send::{SendPlan, send_messages};
use queue::server::{LocalServer, ServeOptions};

use crate::util::http::query;
use crate::util::sdk::{delete, delete_batch, receive, send, send_batch};
use crate::util::server::{as_shipped, client, create_queue, start_with, start_with_queue};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

/// "p50 …, p90 …, p99 …" of sorted durations.
fn spread(sorted: &[Duration]) -> String {
    format!(
        "p50 {:?}, p90 {:?}, p99 {:?}",
        percentile(sorted, 0.5),
        percentile(sorted, 0.9),
        percentile(sorted, 0.99)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn wire_figures() {
    let (server, sqs, url) = start_with_queue("bench").await;

    // Warm up the connection pool.
    for _ in 0..50 {
        send(&sqs, &url, "warm").await;
    }
    let mut times = Vec::new();
    for i in 0..1000 {
        let started = Instant::now();
        send(&sqs, &url, format!("Message {i}")).await;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "SDK SendMessage round trip over loopback (1000 sequential): {}, max {:?}",
        spread(&times),
        times[times.len() - 1]
    );

    let url = create_queue(&sqs, "bench-batch").await;
    let batches = 300;
    let started = Instant::now();
    for b in 0..batches {
        send_batch(
            &sqs,
            &url,
            (0..10).map(|i| format!("Message {}", b * 10 + i)),
        )
        .await;
    }
    let elapsed = started.elapsed();
    println!(
        "SDK SendMessageBatch x10, sequential: {:.0} msgs/s ({} messages in {elapsed:?})",
        f64::from(batches * 10) / elapsed.as_secs_f64(),
        batches * 10
    );

    let url = create_queue(&sqs, "bench-concurrent").await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..4 {
        let sqs = sqs.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..500 {
                send(&sqs, &url, format!("t{t} {i}")).await;
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
        let response = query(
            &server,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints msgs/s"]
async fn send_receive_delete_throughput() {
    const MESSAGES: usize = 5_000;
    let server = start_with(as_shipped(1)).await;
    let client = client(&server);
    let url = create_queue(&client, "bench").await;
    let started = Instant::now();
    let senders: Vec<_> = (0..4)
        .map(|worker| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                for batch in 0..MESSAGES / 40 {
                    let bodies = (0..10).map(|i| format!("w{worker} b{batch} m{i}"));
                    send_batch(&client, &url, bodies).await;
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.expect("join");
    }
    let sent = started.elapsed();
    let started = Instant::now();
    let mut received = 0;
    while received < MESSAGES {
        let got = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            break;
        }
        delete_batch(&client, &url, &got).await;
        received += got.len();
    }
    let drained = started.elapsed();
    #[allow(clippy::cast_precision_loss)]
    let rate = |d: Duration| MESSAGES as f64 / d.as_secs_f64();
    println!(
        "send (4 workers, batches of 10): {:.0} msgs/s; receive+delete (1 worker, batches of 10): {:.0} msgs/s ({received} received)",
        rate(sent),
        rate(drained)
    );
    server.stop().await.expect("stop");
}

/// Process CPU time (user + system) so far, from /proc (Linux); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `state`.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn long_poll_handover_and_idle_cpu() {
    let (server, sqs, url) = start_with_queue("handover").await;

    // Handover: a receive waits (20 s long poll); we send; how long until it returns?
    let mut handover = Vec::new();
    let mut send_rtt = Vec::new();
    for i in 0..200 {
        let waiting = {
            let sqs = sqs.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let messages = receive(&sqs, &url, 1, 20).await;
                (Instant::now(), messages)
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let sent_at = Instant::now();
        send(&sqs, &url, format!("Message {i}")).await;
        send_rtt.push(sent_at.elapsed());
        let (received_at, messages) = waiting.await.unwrap();
        assert_eq!(messages.len(), 1, "the waiting poll got the message");
        handover.push(received_at.duration_since(sent_at));
        delete(&sqs, &url, messages[0].receipt_handle().unwrap_or_default()).await;
    }
    handover.sort();
    send_rtt.sort();
    println!(
        "long-poll handover (send start -> waiting receive returns, 200 runs): {}; a SendMessage alone: p50 {:?}",
        spread(&handover),
        percentile(&send_rtt, 0.5),
    );

    // Idle CPU: the process's CPU time over 3 s with nothing running, then over 3 s with 50 long
    // polls waiting on an empty queue (server and client both in this process).
    let window = Duration::from_secs(3);
    let (Some(before), ()) = (cpu_time(), tokio::time::sleep(window).await) else {
        println!("idle CPU: /proc/self/stat not available here");
        return;
    };
    let baseline = cpu_time().unwrap_or(before) - before;
    let polls: Vec<_> = (0..50)
        .map(|_| {
            let sqs = sqs.clone();
            let url = url.clone();
            tokio::spawn(async move {
                sqs.receive_message()
                    .queue_url(&url)
                    .wait_time_seconds(20)
                    .send()
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await; // let them all arrive and wait
    let start = cpu_time().unwrap_or_default();
    tokio::time::sleep(window).await;
    let idle = cpu_time().unwrap_or_default() - start;
    println!(
        "idle CPU of this process (server and 50 SDK clients) over {window:?}: {baseline:?} with nothing waiting, {idle:?} with 50 long polls waiting (10 ms resolution; measure `queue serve` alone for the server's share)"
    );
    server.stop().await.unwrap();
    for poll in polls {
        let _ = poll.await;
    }
}

async fn time_send(server: &LocalServer, queue_name: &str, one_by_one: bool) -> Duration {
    let sqs = queue::sqs::connect_local(&server.endpoint(), "us-east-1");
    let queue = sqs.queue(queue_name).await.unwrap();
    let plan = SendPlan {
        client_name: "bench".into(),
        count: 100,
        prepend: format!("{one_by_one}-"),
        group: "default".into(),
        dedup: DedupMode::Auto,
        one_by_one,
        rate: None,
        in_flight: usize::from(PARALLEL),
    };
    let started = Instant::now();
    let report = send_messages(&sqs, &queue, &plan, &|_| {}).await.unwrap();
    assert_eq!(report.sent, 100);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn sender_batched_vs_one_by_one() {
    for latency_ms in [0, 50, 200] {
        let server = start_with(ServeOptions {
            latency: Duration::from_millis(latency_ms),
            ..ServeOptions::default()
        })
        .await;
        for queue_name in ["csse6400_prac", "csse6400_prac.fifo"] {
            let batched = time_send(&server, queue_name, false).await;
            let single = time_send(&server, queue_name, true).await;
            println!(
                "100 messages to {queue_name} at {latency_ms} ms latency: batched {batched:?}, one by one {single:?} ({:.1}x faster)",
                single.as_secs_f64() / batched.as_secs_f64()
            );
        }
        server.stop().await.unwrap();
    }
}
