//! `queue redrive` through the built binary against the embedded server: dead letters go back
//! to their source (or `--to`), a queue that is no DLQ or does not exist is one line and a
//! hint, and Ctrl-C cancels the move task.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::util::cli::Cli;
use crate::util::sdk::{self, dead_letter, queue_url, redrive_after_one_receive};
use crate::util::server::BlockingServer;

/// A server with `orders` dead-lettering into `orders-dlq` after one receive, and `bodies`
/// already in the DLQ.
fn with_dead_letters(bodies: &[&str]) -> Cli {
    let cli = Cli::ordered();
    let dlq = cli.server.create_queue("orders-dlq", &[]);
    let policy = redrive_after_one_receive("arn:aws:sqs:us-east-1:000000000000:orders-dlq");
    let source = cli
        .server
        .create_queue("orders", &[("RedrivePolicy", &policy)]);
    let sqs = cli.server.sqs();
    cli.server
        .block_on(dead_letter(&sqs.client, &source, bodies));
    assert_eq!(visible(&cli.server, &dlq), bodies.len() as u64);
    cli
}

fn visible(server: &BlockingServer, url: &str) -> u64 {
    let sqs = server.sqs();
    server.block_on(sdk::visible(&sqs.client, url))
}

fn url(server: &BlockingServer, name: &str) -> String {
    let sqs = server.sqs();
    server.block_on(queue_url(&sqs.client, name))
}

#[test]
fn redrive_moves_dead_letters_back_to_their_source() {
    let cli = with_dead_letters(&["m0", "m1", "m2"]);
    let done = cli.run(&["redrive", "--name", "orders-dlq"]);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stdout.is_empty(),
        "stdout stays clean: {}",
        done.stdout
    );
    assert!(
        done.stderr
            .contains("redriving orders-dlq to their source queues at http://127.0.0.1:"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("moved 3 of 3 messages from orders-dlq to their source queues"),
        "{}",
        done.stderr
    );
    assert_eq!(visible(&cli.server, &url(&cli.server, "orders")), 3);
    assert_eq!(visible(&cli.server, &url(&cli.server, "orders-dlq")), 0);
}

#[test]
fn redrive_to_another_queue_at_a_rate() {
    let cli = with_dead_letters(&["m0", "m1"]);
    let elsewhere = cli.server.create_queue("elsewhere", &[]);
    let done = cli.run(&[
        "redrive",
        "--name",
        "orders-dlq",
        "--to",
        "elsewhere",
        "--rate",
        "50",
        "--no-banner",
    ]);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(!done.stderr.contains("redriving"), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("moved 2 of 2 messages from orders-dlq to elsewhere"),
        "{}",
        done.stderr
    );
    assert_eq!(visible(&cli.server, &elsewhere), 2);
}

#[test]
fn redrive_explains_a_queue_that_is_no_dlq_or_does_not_exist() {
    let cli = with_dead_letters(&["m0"]);
    let not_dlq = cli.run(&["redrive", "--name", "orders"]);
    assert_eq!(not_dlq.code, Some(1), "{}", not_dlq.stderr);
    let lines: Vec<&str> = not_dlq.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "queue: orders is not a dead-letter queue: no queue's RedrivePolicy points at it"
    );
    assert!(lines[1].starts_with("hint: "), "{}", not_dlq.stderr);

    let missing = cli.run(&["redrive", "--name", "orders-dlg"]);
    assert_eq!(missing.code, Some(1), "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("queue orders-dlg not found in region us-east-1"),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("orders-dlq"),
        "similar names: {}",
        missing.stderr
    );

    let usage = cli.run(&["redrive", "--name", "orders-dlq", "--rate", "0"]);
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_move_task() {
    let cli = with_dead_letters(&["m0", "m1", "m2", "m3", "m4"]);
    let mut child = cli
        .command(&["redrive", "--name", "orders-dlq", "--rate", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap();
    assert!(banner.starts_with("redriving orders-dlq"), "{banner}");
    // The first message moves at once; the next not before a second has passed.
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    // On a busy machine a second may pass before the signal lands: count what moved.
    let moved: u64 = rest
        .split("interrupted: redrive cancelled after ")
        .nth(1)
        .and_then(|tail| tail.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cancel line: {rest}"));
    assert!((1..5).contains(&moved), "{rest}");
    assert!(
        rest.contains(&format!(
            "after {moved} of 5 messages; the rest stay in orders-dlq"
        )),
        "{rest}"
    );
    assert_eq!(
        visible(&cli.server, &url(&cli.server, "orders-dlq")),
        5 - moved
    );
    let sqs = cli.server.sqs();
    let status = cli.server.block_on(async {
        sqs.client
            .list_message_move_tasks()
            .source_arn("arn:aws:sqs:us-east-1:000000000000:orders-dlq")
            .send()
            .await
            .unwrap()
            .results
            .unwrap()[0]
            .status
            .clone()
    });
    assert_eq!(status.as_deref(), Some("CANCELLED"));
}
