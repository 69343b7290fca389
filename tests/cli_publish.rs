//! `queue publish` through the built binary against the embedded server: fan-out to a queue
//! that gets SNS envelopes and one with raw delivery (receive shows the inner messages either
//! way), a FIFO topic's order, and a missing topic's one-line error.

use serde_json::Value;

use crate::util::binary::{Run, json_lines, numbers};
use crate::util::cli::Cli;

/// `queue ARGS` at the server, which must succeed.
pub fn ok(cli: &Cli, args: &[&str]) -> Run {
    let run = cli.run(args);
    assert_eq!(run.code, Some(0), "queue {args:?}: {}", run.stderr);
    run
}

/// Everything `queue receive --output json` gets from `queue` until it is idle for 2 s.
pub fn received(cli: &Cli, queue: &str) -> Vec<Value> {
    let run = cli.receive(queue, &["--idle", "2", "--output", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    json_lines(&run.stdout)
}

#[test]
fn publish_fans_out_to_an_enveloped_and_a_raw_queue() {
    let cli = Cli::ordered();
    let subscribed = ok(
        &cli,
        &["subscribe", "--topic", "fan", "--queue", "env", "--create"],
    );
    assert!(
        subscribed.stdout.trim().starts_with("arn:aws:sns:"),
        "the subscription ARN on stdout: {}",
        subscribed.stdout
    );
    ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "fan",
            "--queue",
            "raw",
            "--raw",
            "--create",
        ],
    );
    let published = ok(
        &cli,
        &[
            "publish",
            "--topic",
            "fan",
            "--count",
            "25",
            "--client-name",
            "Client 1",
        ],
    );
    assert!(published.stderr.contains("sent 25"), "{}", published.stderr);
    assert!(published.stdout.is_empty());

    for (queue, topic) in [("env", Value::from("fan")), ("raw", Value::Null)] {
        let lines = received(&cli, queue);
        let mut got = numbers(&lines);
        got.sort_unstable();
        assert_eq!(
            got,
            (0..25).collect::<Vec<_>>(),
            "{queue}: every message once"
        );
        for line in &lines {
            assert_eq!(line["client"], "Client 1", "{queue}: {line}");
            assert_eq!(line["topic"], topic, "{queue}: {line}");
            assert_eq!(line["duplicate"], false, "{queue}: {line}");
            assert!(
                line["body"].as_str().unwrap().starts_with("Message "),
                "{line}"
            );
            assert!(line["sent_at"].is_string(), "sent_at travels: {line}");
        }
    }
}

#[test]
fn plain_lines_name_the_topic_of_an_enveloped_message() {
    let cli = Cli::ordered();
    ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "news",
            "--queue",
            "inbox",
            "--create",
        ],
    );
    ok(
        &cli,
        &[
            "publish",
            "--topic",
            "news",
            "--count",
            "3",
            "--prepend",
            "A-",
        ],
    );
    let run = cli.receive("inbox", &["--idle", "2", "--color", "never"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines
            .iter()
            .all(|line| line.contains("  Client 1  A-Message ")
                && line.ends_with("  via topic news")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_fifo_topic_keeps_order_into_a_fifo_queue() {
    let cli = Cli::ordered();
    ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "orders.fifo",
            "--queue",
            "orders.fifo",
            "--create",
        ],
    );
    let published = ok(
        &cli,
        &[
            "publish",
            "--topic",
            "orders.fifo",
            "--count",
            "35",
            "--group",
            "g1",
        ],
    );
    assert!(published.stderr.contains("FIFO"), "{}", published.stderr);
    let lines = received(&cli, "orders.fifo");
    assert_eq!(numbers(&lines), (0..35).collect::<Vec<_>>(), "in order");
    assert!(lines.iter().all(|line| line["group_id"] == "g1"));
    assert!(lines.iter().all(|line| line["out_of_order"] == false));
    // The same bodies again within 5 minutes: the FIFO topic drops them.
    ok(
        &cli,
        &[
            "publish",
            "--topic",
            "orders.fifo",
            "--count",
            "35",
            "--group",
            "g1",
        ],
    );
    assert!(received(&cli, "orders.fifo").is_empty(), "deduplicated");
}

#[test]
fn a_missing_topic_is_one_line_with_a_hint() {
    let cli = Cli::ordered();
    ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "events.fifo",
            "--queue",
            "e.fifo",
            "--create",
        ],
    );
    for (topic, hint) in [
        ("nowhere", "--create"),
        ("events", "did you mean --topic events.fifo?"),
        ("arn:aws:sns:us-east-1:000000000000:nowhere", "--create"),
    ] {
        let run = cli.run(&["publish", "--topic", topic, "--count", "1"]);
        assert_eq!(run.code, Some(1), "{topic}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{topic}: {}", run.stderr);
        assert!(
            lines[0].contains("not found in region us-east-1"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("hint:") && lines[1].contains(hint),
            "{}",
            lines[1]
        );
    }
}
