//! `queue redrive` through the built binary against the embedded server: dead letters go back
//! to their source (or `--to`), a queue that is no DLQ or does not exist is one line and a
//! hint, and Ctrl-C cancels the move task.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::util::binary::{TempDir, command, run, std_command};
use crate::util::server::{BlockingServer, practical};

/// A server with `orders` dead-lettering into `orders-dlq` after one receive, and `bodies`
/// already in the DLQ.
fn with_dead_letters(bodies: &[&str]) -> BlockingServer {
    let server = BlockingServer::start(practical(7));
    let dlq = server.create_queue("orders-dlq", &[]);
    let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:orders-dlq","maxReceiveCount":"1"}"#;
    let source = server.create_queue("orders", &[("RedrivePolicy", policy)]);
    let sqs = server.sqs();
    server.block_on(async {
        for body in bodies {
            sqs.client
                .send_message()
                .queue_url(&source)
                .message_body(*body)
                .send()
                .await
                .unwrap();
        }
        for _ in 0..bodies.len() * 2 {
            sqs.client
                .receive_message()
                .queue_url(&source)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
    });
    assert_eq!(visible(&server, &dlq), bodies.len() as u64);
    server
}

fn visible(server: &BlockingServer, url: &str) -> u64 {
    let sqs = server.sqs();
    server.block_on(async {
        sqs.client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&QueueAttributeName::ApproximateNumberOfMessages]
            .parse()
            .unwrap()
    })
}

fn url(server: &BlockingServer, name: &str) -> String {
    let sqs = server.sqs();
    server.block_on(async {
        sqs.client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap()
    })
}

#[test]
fn redrive_moves_dead_letters_back_to_their_source() {
    let server = with_dead_letters(&["m0", "m1", "m2"]);
    let dir = TempDir::new();
    let done = run(
        command(&dir),
        &[
            "redrive",
            "--name",
            "orders-dlq",
            "--endpoint-url",
            &server.endpoint,
        ],
    );
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
    assert_eq!(visible(&server, &url(&server, "orders")), 3);
    assert_eq!(visible(&server, &url(&server, "orders-dlq")), 0);
}

#[test]
fn redrive_to_another_queue_at_a_rate() {
    let server = with_dead_letters(&["m0", "m1"]);
    let elsewhere = server.create_queue("elsewhere", &[]);
    let dir = TempDir::new();
    let done = run(
        command(&dir),
        &[
            "redrive",
            "--name",
            "orders-dlq",
            "--to",
            "elsewhere",
            "--rate",
            "50",
            "--no-banner",
            "--endpoint-url",
            &server.endpoint,
        ],
    );
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(!done.stderr.contains("redriving"), "{}", done.stderr);
    assert!(
        done.stderr
            .contains("moved 2 of 2 messages from orders-dlq to elsewhere"),
        "{}",
        done.stderr
    );
    assert_eq!(visible(&server, &elsewhere), 2);
}

#[test]
fn redrive_explains_a_queue_that_is_no_dlq_or_does_not_exist() {
    let server = with_dead_letters(&["m0"]);
    let dir = TempDir::new();
    let not_dlq = run(
        command(&dir),
        &[
            "redrive",
            "--name",
            "orders",
            "--endpoint-url",
            &server.endpoint,
        ],
    );
    assert_eq!(not_dlq.code, Some(1), "{}", not_dlq.stderr);
    let lines: Vec<&str> = not_dlq.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "queue: orders is not a dead-letter queue: no queue's RedrivePolicy points at it"
    );
    assert!(lines[1].starts_with("hint: "), "{}", not_dlq.stderr);

    let missing = run(
        command(&dir),
        &[
            "redrive",
            "--name",
            "orders-dlg",
            "--endpoint-url",
            &server.endpoint,
        ],
    );
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

    let usage = run(
        command(&dir),
        &[
            "redrive",
            "--name",
            "orders-dlq",
            "--rate",
            "0",
            "--endpoint-url",
            &server.endpoint,
        ],
    );
    assert_eq!(usage.code, Some(2), "{}", usage.stderr);
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_move_task() {
    let server = with_dead_letters(&["m0", "m1", "m2", "m3", "m4"]);
    let dir = TempDir::new();
    let mut child = std_command(&dir)
        .args([
            "redrive",
            "--name",
            "orders-dlq",
            "--rate",
            "1",
            "--endpoint-url",
            &server.endpoint,
        ])
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
    assert_eq!(visible(&server, &url(&server, "orders-dlq")), 5 - moved);
    let sqs = server.sqs();
    let status = server.block_on(async {
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
