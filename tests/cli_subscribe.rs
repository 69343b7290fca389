//! `queue subscribe` through the built binary against the embedded server: a filter policy
//! that lets one client through (on attributes and on the body), and the one-line errors.

use crate::cli_publish::{ok, received};
use crate::util::binary::numbers;
use crate::util::cli::Cli;

#[test]
fn a_filter_policy_lets_one_clients_messages_through() {
    let cli = Cli::ordered();
    ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "t",
            "--queue",
            "only-a",
            "--raw",
            "--create",
            "--filter",
            r#"{"client":["Client A"]}"#,
        ],
    );
    ok(
        &cli,
        &["subscribe", "--topic", "t", "--queue", "all", "--create"],
    );
    for (client, prefix) in [("Client A", "A-"), ("Client B", "B-")] {
        ok(
            &cli,
            &[
                "publish",
                "--topic",
                "t",
                "--count",
                "12",
                "--client-name",
                client,
                "--prepend",
                prefix,
            ],
        );
    }
    let only_a = received(&cli, "only-a");
    assert_eq!(only_a.len(), 12);
    assert!(only_a.iter().all(|line| line["client"] == "Client A"));
    assert_eq!(
        received(&cli, "all").len(),
        24,
        "the other subscriber gets everything"
    );
}

#[test]
fn a_body_scope_filter_is_accepted_and_said() {
    let cli = Cli::ordered();
    let run = ok(
        &cli,
        &[
            "subscribe",
            "--topic",
            "t",
            "--queue",
            "orders",
            "--create",
            "--filter-scope",
            "body",
            "--filter",
            r#"{"kind": [{"prefix": "order-"}]}"#,
        ],
    );
    assert!(
        run.stderr
            .contains(r#"filter on body: {"kind":[{"prefix":"order-"}]}"#),
        "{}",
        run.stderr
    );
    // Our bodies are not JSON, so a body filter lets none of them through.
    ok(&cli, &["publish", "--topic", "t", "--count", "3"]);
    assert!(numbers(&received(&cli, "orders")).is_empty());
}

#[test]
fn errors_are_one_line_with_a_hint() {
    let cli = Cli::ordered();
    ok(
        &cli,
        &["subscribe", "--topic", "plain", "--queue", "q1", "--create"],
    );
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "subscribe",
                "--topic",
                "plain",
                "--queue",
                "q1",
                "--filter",
                "{client",
            ],
            "--filter is not valid JSON",
        ),
        (
            &["subscribe", "--topic", "plain", "--queue", "missing"],
            "queue missing not found",
        ),
        (
            &["subscribe", "--topic", "absent", "--queue", "q1"],
            "topic absent not found",
        ),
        (
            &[
                "subscribe",
                "--topic",
                "plain",
                "--queue",
                "f.fifo",
                "--create",
            ],
            "FIFO queues only from FIFO topics",
        ),
    ];
    for (args, words) in cases {
        let run = cli.run(args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", run.stderr);
        assert!(lines[0].contains(words), "{args:?}: {}", lines[0]);
        assert!(lines[1].starts_with("hint:"), "{args:?}: {}", lines[1]);
        assert!(run.stdout.is_empty());
    }
    let run = cli.run(&["subscribe", "--topic", "plain", "--queue", "missing"]);
    assert!(
        run.stderr.contains("--queue") && !run.stderr.contains("--name"),
        "{}",
        run.stderr
    );
}
