//! `queue bench` through the built binary against the embedded server: every message counted
//! once, the temporary queue deleted, FIFO order kept per group, other messages left alone,
//! and nothing sent to a remote endpoint before a large run is confirmed. Failed sends are
//! sent again, `--verify` fails a run that lost or picked up messages, the drain waits as
//! long as `--drain-timeout` says, and a run rides through `queue serve` killed and restarted.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::ServeOptions;
use serde_json::Value;

use crate::util::binary::{TempDir, command, json_lines, queue, run, std_command};
use crate::util::cli::Cli;
use crate::util::sdk::{attributes, queue_attribute};
use crate::util::serve_process::ServeProcess;

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
fn failed_sends_are_sent_again_and_every_message_is_received() {
    let cli = Cli::start(ServeOptions {
        fail_rate: 0.2,
        ..ServeOptions::deterministic(8)
    });
    let (_, summary) = bench(&cli, &["--count", "1000", "--verify"]);
    assert!(summary["errors"].as_u64().unwrap() > 100, "{summary}");
    assert!(
        !summary["first_errors"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert_counts(
        &summary,
        &[
            ("sent", 1000),
            ("received", 1000),
            ("sent_received", 1000),
            ("lost", 0),
            ("unacknowledged", 0),
            ("unacknowledged_received", 0),
            ("unexpected", 0),
            ("foreign", 0),
        ],
    );
    assert!(
        summary["requests"]["send"].as_u64().unwrap() > 150,
        "failed requests and entries were sent again: {summary}"
    );
}

#[test]
fn verify_fails_a_run_that_received_a_message_it_did_not_send() {
    let cli = Cli::start(ServeOptions::deterministic(9));
    let url = cli
        .server
        .create_queue("orders", &[("VisibilityTimeout", "0")]);
    let sqs = cli.server.sqs();
    cli.server.block_on(async {
        let send = sqs.client.send_message().queue_url(&url);
        send.message_body("a real order")
            .send()
            .await
            .expect("send");
    });
    let args = ["bench", "--name", "orders", "--count", "100", "--verify"];
    let run = cli.run(&[&args[..], &["--output", "json"]].concat());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let summary = json_lines(&run.stdout).pop().expect("a summary");
    assert_counts(&summary, &[("sent", 100), ("lost", 0)]);
    assert!(summary["foreign"].as_u64().unwrap() >= 1, "{summary}");
    // The other message shows again at once (visibility timeout 0): each delivery counts.
    let foreign = summary["foreign"].as_u64().unwrap();
    assert!(
        run.stderr.contains(&format!(
            "queue: verify failed: 0 of 100 acknowledged messages lost, {foreign} other messages, 0 bench messages this run never sent"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_fails_a_run_that_lost_messages_and_the_drain_timeout_ends_the_wait() {
    let cli = Cli::start(ServeOptions::deterministic(10));
    cli.server.create_queue("slow", &[("DelaySeconds", "900")]);
    let started = Instant::now();
    let run = cli.run(&[
        "bench",
        "--name",
        "slow",
        "--count",
        "50",
        "--verify",
        "--drain-timeout",
        "1",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let summary = json_lines(&run.stdout).pop().expect("a summary");
    assert_counts(&summary, &[("sent", 50), ("received", 0), ("lost", 50)]);
    assert!(
        run.stderr
            .contains("queue: verify failed: 50 of 50 acknowledged messages lost"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_drain_waits_up_to_the_drain_timeout_for_late_messages() {
    let cli = Cli::start(ServeOptions::deterministic(11));
    // Each message shows 5 s after its send: longer than the default drain's quiet time
    // (--wait 1 + 3 s), shorter than --drain-timeout.
    // A queue each: the messages the first run gives up on would reach the second (which
    // would count them as unexpected).
    for name in ["late", "later"] {
        cli.server.create_queue(name, &[("DelaySeconds", "5")]);
    }
    let late = ["--count", "40", "--wait", "1"];
    let (_, summary) = bench(&cli, &[&late[..], &["--name", "late"]].concat());
    assert_counts(&summary, &[("sent", 40), ("lost", 40)]);
    let patient = ["--name", "later", "--drain-timeout", "20", "--verify"];
    let (_, summary) = bench(&cli, &[&late[..], &patient].concat());
    assert_counts(
        &summary,
        &[
            ("sent", 40),
            ("sent_received", 40),
            ("lost", 0),
            ("unexpected", 0),
        ],
    );
}

#[test]
fn the_created_queue_gets_the_visibility_timeout() {
    let cli = Cli::start(ServeOptions::deterministic(12));
    let mut child = cli.spawn(&[
        "bench",
        "--name",
        "visible",
        "--create",
        "--visibility-timeout",
        "7",
        "--duration",
        "3",
        "--rate",
        "20",
    ]);
    let sqs = cli.server.sqs();
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        let found = cli.server.block_on(async {
            let answer = sqs
                .client
                .get_queue_url()
                .queue_name("visible")
                .send()
                .await;
            answer.ok().and_then(|answer| answer.queue_url)
        });
        if let Some(url) = found {
            break url;
        }
        assert!(Instant::now() < deadline, "bench never created its queue");
        std::thread::sleep(Duration::from_millis(50));
    };
    let timeout = cli.server.block_on(queue_attribute(
        &sqs.client,
        &url,
        QueueAttributeName::VisibilityTimeout,
    ));
    assert_eq!(timeout, "7");
    assert!(child.wait().expect("bench ends").success());
}

/// A free loopback port (bound, read and released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// `queue serve --bind 127.0.0.1:PORT --queue soak --ordered`, once it accepts connections.
fn serve_on(port: u16) -> ServeProcess {
    let bind = format!("127.0.0.1:{port}");
    let child = queue()
        .args(["serve", "--bind", &bind, "--queue", "soak", "--ordered"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn queue serve");
    let server = ServeProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&bind).is_err() {
        assert!(Instant::now() < deadline, "queue serve never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

fn wait_output(child: Child) -> (Option<i32>, String, String) {
    let output = child.wait_with_output().expect("bench ends");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_run_rides_through_a_server_killed_and_restarted() {
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut server = serve_on(port);
    let dir = TempDir::new();
    let mut bench = std_command(&dir);
    bench.args([
        "bench",
        "--name",
        "soak",
        "--duration",
        "6",
        "--rate",
        "500",
        "--wait",
        "5",
        "--drain-timeout",
        "5",
        "--output",
        "json",
        "--endpoint-url",
        endpoint.as_str(),
    ]);
    let bench = bench
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bench");
    std::thread::sleep(Duration::from_secs(2));
    server.0.kill().expect("kill -9");
    let _ = server.0.wait();
    std::thread::sleep(Duration::from_millis(300));
    let _restarted = serve_on(port);
    let (code, stdout, stderr) = wait_output(bench);
    assert_eq!(code, Some(0), "{stderr}");
    let mut lines = json_lines(&stdout);
    let summary = lines.pop().expect("a summary");
    assert!(summary["errors"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(
        summary["unacknowledged"], 0,
        "sends refused while the server was down were sent again: {summary}"
    );
    // The in-memory server lost what it held; everything sent after the restart arrived.
    let after_restart: Vec<&Value> = lines
        .iter()
        .filter(|line| (4.0..6.0).contains(&line["elapsed_s"].as_f64().unwrap()))
        .collect();
    assert!(!after_restart.is_empty(), "{lines:?}");
    for line in after_restart {
        assert!(line["sent_per_s"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["received_per_s"].as_f64().unwrap() > 0.0, "{line}");
    }
    let lost = summary["lost"].as_u64().unwrap();
    assert!(lost < summary["sent"].as_u64().unwrap() / 2, "{summary}");
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
        &["bench", "--verify", "--consumers", "0"],
        &["bench", "--name", "orders", "--visibility-timeout", "5"],
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
