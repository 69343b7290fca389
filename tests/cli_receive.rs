//! `queue receive` (and the original `--receive` form) through the built binary against the
//! embedded server: --count and --idle, plain and JSON shapes, foreign messages, and that only
//! what was written is deleted (on --count, broken pipe and SIGTERM).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use crate::util::binary::{json_lines, numbers};
use crate::util::cli::{Cli, sigterm};
use crate::util::sdk;
use crate::util::server::practical;

/// `queue send --count COUNT --client-name "Client 1"` into `queue`, which must succeed.
fn send(cli: &Cli, queue: &str, count: u32) {
    let count = count.to_string();
    let sent = cli.send(queue, &["--count", &count, "--client-name", "Client 1"]);
    assert_eq!(sent.code, Some(0), "{}", sent.stderr);
}

#[test]
fn count_stops_after_n_and_the_rest_stay_in_the_queue() {
    let cli = Cli::ordered();
    send(&cli, "csse6400_prac", 30);
    let first = cli.receive("csse6400_prac", &["--count", "12", "--output", "json"]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let lines = json_lines(&first.stdout);
    assert_eq!(lines.len(), 12);
    let rest = cli.receive("csse6400_prac", &["--idle", "1", "--output", "json"]);
    let mut all = numbers(&lines);
    all.extend(numbers(&json_lines(&rest.stdout)));
    all.sort_unstable();
    assert_eq!(
        all,
        (0..30).collect::<Vec<_>>(),
        "nothing lost, nothing deleted unseen"
    );
}

#[test]
fn idle_stops_an_empty_receive() {
    let cli = Cli::ordered();
    let started = Instant::now();
    let run = cli.receive("csse6400_prac", &["--idle", "1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn plain_output_is_one_line_per_message_without_a_terminal() {
    let cli = Cli::ordered();
    send(&cli, "csse6400_prac", 5);
    let run = cli.receive("csse6400_prac", &["--idle", "1", "--color", "never"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    for (i, line) in lines.iter().enumerate() {
        let (time, rest) = line.split_once("  ").expect("time first");
        assert_eq!(time.len(), "12:34:56.789".len(), "{line}");
        assert_eq!(rest, format!("Client 1  Message {i}"), "{line}");
    }
    assert!(run.stderr.contains("received 5"), "{}", run.stderr);

    send(&cli, "csse6400_prac", 2);
    let auto = cli.receive("csse6400_prac", &["--count", "1"]);
    assert!(
        !auto.stdout.contains('\x1b'),
        "no colour without a terminal"
    );
    let always = cli.receive("csse6400_prac", &["--count", "1", "--color", "always"]);
    assert!(
        always.stdout.contains("\x1b["),
        "colour on request: {}",
        always.stdout
    );
}

#[test]
fn json_output_has_the_documented_fields() {
    let cli = Cli::ordered();
    send(&cli, "csse6400_prac.fifo", 3);
    let run = cli.receive("csse6400_prac.fifo", &["--count", "3", "--output", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines = json_lines(&run.stdout);
    assert_eq!(numbers(&lines), vec![0, 1, 2]);
    for line in &lines {
        for field in [
            "body",
            "message_id",
            "received_at",
            "sent_at",
            "group_id",
            "sequence_number",
        ] {
            assert!(line[field].is_string(), "{field}: {line}");
        }
        assert_eq!(line["client"], "Client 1");
        assert_eq!(line["receive_count"], 1);
        assert_eq!(line["out_of_order"], false);
        assert_eq!(line["duplicate"], false);
        let received = line["received_at"].as_str().unwrap();
        assert!(
            received.ends_with('Z') && received.contains('T'),
            "RFC 3339: {received}"
        );
    }
}

#[test]
fn foreign_messages_are_shown_as_they_are() {
    let cli = Cli::ordered();
    let sqs = cli.server.sqs();
    let url = cli.server.create_queue("foreign", &[]);
    cli.server.block_on(async {
        for body in ["hello from the console", "Message x", "line one\nline two"] {
            sdk::send(&sqs.client, &url, body).await;
        }
    });
    let run = cli.receive("foreign", &["--count", "3", "--output", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines = json_lines(&run.stdout);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["client"].is_null() && l["number"].is_null())
    );
    assert_eq!(lines[2]["body"], "line one\nline two");
}

#[test]
fn broken_pipe_exits_0_and_deletes_only_what_was_written() {
    let cli = Cli::ordered();
    send(&cli, "csse6400_prac", 100);
    let mut child = cli.spawn(&[
        "receive",
        "--name",
        "csse6400_prac",
        "--wait",
        "1",
        "--max",
        "1",
    ]);
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("one line");
    drop(reader);
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(0), "broken pipe is a normal end");
    let rest = cli.receive("csse6400_prac", &["--idle", "1", "--output", "json"]);
    let left = json_lines(&rest.stdout).len();
    // The receiver stops at the first failed write: most messages are still queued.
    assert!(
        (50..100).contains(&left),
        "left {left}: the receiver stopped at the broken pipe"
    );
}

#[test]
fn original_receive_form_prints_plain_lines_until_sigterm_then_exits_130() {
    let cli = Cli::ordered();
    send(&cli, "csse6400_prac", 5);
    let mut child = cli.spawn(&["--name", "csse6400_prac", "--client-name", "x", "--receive"]);
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    for i in 0..5 {
        let mut line = String::new();
        reader.read_line(&mut line).expect("line");
        assert!(
            line.trim_end()
                .ends_with(&format!("  Client 1  Message {i}")),
            "{line}"
        );
    }
    assert!(sigterm(&child).success());
    let output = child.wait_with_output().expect("exit");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rest = cli.receive("csse6400_prac", &["--idle", "1"]);
    assert!(
        rest.stdout.is_empty(),
        "shown messages were deleted: {}",
        rest.stdout
    );
}

#[test]
fn a_reordering_standard_queue_gets_out_of_order_marks_and_loses_nothing() {
    let cli = Cli::start(queue::server::ServeOptions {
        ordered: false,
        ..practical(3)
    });
    send(&cli, "csse6400_prac", 200);
    let run = cli.receive("csse6400_prac", &["--idle", "2", "--output", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines = json_lines(&run.stdout);
    let mut got = numbers(&lines);
    let late = lines.iter().filter(|l| l["out_of_order"] == true).count();
    assert!(late > 0, "the simulated servers reorder: {}", run.stderr);
    assert!(got.windows(2).any(|w| w[0] > w[1]));
    got.sort_unstable();
    got.dedup();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
}
