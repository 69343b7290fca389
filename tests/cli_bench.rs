//! `queue bench` through the built binary against the embedded server: every message counted
//! once, the temporary queue deleted, FIFO order kept per group, other messages left alone,
//! and nothing sent to a remote endpoint before a large run is confirmed.

use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::ServeOptions;
use serde_json::Value;

use crate::util::binary::{TempDir, command, json_lines, run};
use crate::util::cli::Cli;
use crate::util::sdk::attributes;

/// `queue bench ARGS --output json` at a fresh ordered server: its interval lines and summary.
fn bench(cli: &Cli, args: &[&str]) -> (Vec<Value>, Value) {
    let run = cli.run(&[&["bench", "--output", "json"], args].concat());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut lines = json_lines(&run.stdout);
    let summary = lines.pop().expect("a summary line");
    assert_eq!(summary["type"], "summary", "{summary}");
    (lines, summary)
}

/// Checks the summary's counters named in `expected`.
fn assert_counts(summary: &Value, expected: &[(&str, u64)]) {
    for (key, value) in expected {
        assert_eq!(summary[key], *value, "{key} in {summary}");
    }
}

fn queue_count(cli: &Cli) -> usize {
    let sqs = cli.server.sqs();
    cli.server.block_on(async {
        let answer = sqs.client.list_queues().send().await.expect("list queues");
        answer.queue_urls().len()
    })
}

#[test]
fn a_counted_run_receives_every_message_once_and_deletes_its_queue() {
    let cli = Cli::start(ServeOptions::deterministic(1));
    let (_, summary) = bench(
        &cli,
        &["--count", "2000", "--producers", "2", "--consumers", "2"],
    );
    assert_counts(
        &summary,
        &[
            ("sent", 2000),
            ("received", 2000),
            ("deleted", 2000),
            ("duplicates", 0),
            ("errors", 0),
            ("not_received", 0),
        ],
    );
    assert_eq!(summary["requests"]["send"], 200, "batches of 10: {summary}");
    assert_eq!(summary["send_latency_ms"]["count"], 200, "{summary}");
    assert_eq!(summary["e2e_latency_ms"]["count"], 2000, "{summary}");
    let e2e = &summary["e2e_latency_ms"];
    for (low, high) in [
        ("p50", "p95"),
        ("p95", "p99"),
        ("p99", "p999"),
        ("p999", "max"),
    ] {
        assert!(
            e2e[low].as_f64() <= e2e[high].as_f64(),
            "{low} <= {high}: {e2e}"
        );
    }
    assert!(summary["cost_usd"].as_f64().unwrap() > 0.0, "{summary}");
    assert_eq!(queue_count(&cli), 0, "the temporary queue is deleted");
}

#[test]
fn the_sdk_client_counts_the_same() {
    let cli = Cli::start(ServeOptions::deterministic(7));
    let (_, summary) = bench(
        &cli,
        &["--client", "sdk", "--count", "500", "--delete", "single"],
    );
    assert_counts(&summary, &[("received", 500), ("deleted", 500)]);
    assert_eq!(
        summary["requests"]["delete"], 500,
        "one request per message: {summary}"
    );
    assert_eq!(summary["errors"], 0, "{summary}");
}

#[test]
fn injected_failures_are_counted_and_no_message_is_lost() {
    let cli = Cli::start(ServeOptions {
        fail_rate: 0.05,
        ..ServeOptions::deterministic(8)
    });
    let (_, summary) = bench(&cli, &["--count", "1000"]);
    assert!(summary["errors"].as_u64().unwrap() > 0, "{summary}");
    assert!(
        !summary["first_errors"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    let sent = summary["sent"].as_u64().unwrap();
    assert!(
        sent < 1000,
        "failed sends are not counted as sent: {summary}"
    );
    assert_eq!(summary["received"], sent, "{summary}");
}

#[test]
fn a_timed_run_prints_interval_lines_then_the_summary() {
    let cli = Cli::start(ServeOptions::deterministic(2));
    let (intervals, summary) = bench(
        &cli,
        &["--duration", "2", "--interval", "0.5", "--rate", "400"],
    );
    assert!(intervals.len() >= 3, "{intervals:?}");
    for line in &intervals {
        assert_eq!(line["type"], "interval");
        for key in [
            "elapsed_s",
            "sent_per_s",
            "received_per_s",
            "empty_receives",
            "errors",
            "in_flight",
        ] {
            assert!(line[key].is_number(), "{key} in {line}");
        }
        assert!(line["e2e_latency_ms"]["p99"].is_number(), "{line}");
    }
    let sent = summary["sent"].as_u64().unwrap();
    // 400 msg/s for 2 s, give or take the pacer's first and last batch.
    assert!((700..=900).contains(&sent), "{summary}");
    assert_eq!(summary["received"], sent, "{summary}");
    let rate = summary["sent_per_s"].as_f64().unwrap();
    assert!((300.0..=500.0).contains(&rate), "{summary}");
}

#[test]
fn plain_output_is_lines_for_people() {
    let cli = Cli::start(ServeOptions::deterministic(3));
    let run = cli.run(&["bench", "--count", "300", "--interval", "0.2"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("sent 300 in "), "{}", run.stdout);
    assert!(
        run.stdout.contains("end-to-end latency ms:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("p99.9"), "{}", run.stdout);
    assert!(
        run.stdout.contains("billed requests cost $"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("bench: 2 producers, 4 consumers on queue-bench-"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fifo_run_keeps_each_group_in_order() {
    let cli = Cli::start(ServeOptions::deterministic(4));
    let (_, summary) = bench(
        &cli,
        &[
            "--fifo",
            "--fifo-groups",
            "4",
            "--count",
            "600",
            "--producers",
            "2",
            "--consumers",
            "1",
            "--batch",
            "5",
        ],
    );
    assert_counts(
        &summary,
        &[("received", 600), ("out_of_order", 0), ("duplicates", 0)],
    );
    assert_eq!(queue_count(&cli), 0, "the temporary FIFO queue is deleted");
}

#[test]
fn a_named_queue_is_kept_and_its_other_messages_left_alone() {
    let cli = Cli::start(ServeOptions::deterministic(5));
    let url = cli
        .server
        .create_queue("orders", &[("VisibilityTimeout", "0")]);
    let sqs = cli.server.sqs();
    cli.server.block_on(async {
        let send = sqs
            .client
            .send_message()
            .queue_url(&url)
            .message_body("a real order");
        send.send().await.expect("send");
    });
    let (_, summary) = bench(
        &cli,
        &["--name", "orders", "--count", "100", "--consumers", "1"],
    );
    assert_eq!(summary["received"], 100, "{summary}");
    assert!(summary["foreign"].as_u64().unwrap() >= 1, "{summary}");
    assert_eq!(queue_count(&cli), 1, "the named queue stays");
    let attributes = cli
        .server
        .block_on(attributes(&sqs.client, &url, QueueAttributeName::All));
    let count = |name| attributes[&name].parse::<u64>().unwrap();
    let left = count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
    assert_eq!(left, 1, "only the bench's own messages are deleted");
}

#[test]
fn a_large_run_to_a_remote_endpoint_asks_before_sending_anything() {
    let dir = TempDir::new();
    // TEST-NET-1: nothing answers there, so a request would fail, not be refused.
    let remote = "http://192.0.2.1:9";
    for args in [
        &["bench", "--name", "q", "--duration", "60"][..],
        &["bench", "--name", "q", "--count", "20000"],
    ] {
        let run = run(command(&dir), &[args, &["--endpoint-url", remote]].concat());
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr.contains("not sending without confirmation"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("hint: add --yes"), "{}", run.stderr);
    }
}

#[test]
fn runs_that_cannot_work_are_usage_errors() {
    let cli = Cli::start(ServeOptions::deterministic(6));
    for args in [
        &["bench", "--producers", "0", "--consumers", "0"][..],
        &["bench", "--name", "orders", "--fifo"],
        &["bench", "--create", "--name", "plain", "--fifo"],
        &["bench", "--batch", "0"],
    ] {
        let run = cli.run(args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr
                .lines()
                .filter(|l| l.starts_with("queue:") || l.starts_with("error:"))
                .count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
    }
}
