//! `queue demo` end to end through the built binary: the embedded server, the real SDK, the
//! sender and the receiver, with the figures read back from `--output json`.

use std::ffi::OsStr;
use std::process::Output;
use std::time::Duration;

use queue::server::LocalServer;
use serde_json::Value;

use crate::util::binary::{TempDir, bare_command, command, json_lines};
use crate::util::server::as_shipped;

/// Runs the binary with `args` (dummy credentials, a region) in a fresh directory, isolated
/// from the caller's AWS settings and env files.
fn demo<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    let dir = TempDir::new();
    command(&dir)
        .args(args)
        .timeout(DEMO_TIMEOUT)
        .output()
        .unwrap()
}

/// [`demo`] with no credentials anywhere.
fn demo_without_credentials<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    let dir = TempDir::new();
    bare_command(&dir)
        .env("AWS_REGION", "us-east-1")
        .args(args)
        .timeout(DEMO_TIMEOUT)
        .output()
        .unwrap()
}

const DEMO_TIMEOUT: Duration = Duration::from_secs(120);

/// The JSON lines `output` printed.
fn json_rows(output: &Output) -> Vec<Value> {
    json_lines(&String::from_utf8_lossy(&output.stdout))
}

fn row<'a>(rows: &'a [Value], round: u64, queue: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["round"] == round && r["queue"] == queue)
        .unwrap_or_else(|| panic!("no row for round {round} {queue} in {rows:?}"))
}

fn n(row: &Value, key: &str) -> u64 {
    row[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {row}"))
}

#[test]
fn two_rounds_show_reordering_and_fifo_deduplication() {
    let output = demo(["demo", "--output", "json", "--seed", "7", "--rounds", "2"]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 4, "one object per queue and round: {rows:?}");
    for r in &rows {
        for key in [
            "sent",
            "received",
            "unique",
            "duplicates",
            "out_of_order",
            "inversions",
            "max_displacement",
            "drain_ms",
        ] {
            n(r, key);
        }
    }

    let standard = row(&rows, 1, "standard");
    let fifo = row(&rows, 1, "fifo");
    for r in [standard, fifo] {
        assert_eq!(n(r, "sent"), 200, "{r}");
        assert_eq!(n(r, "unique"), 200, "every message arrived: {r}");
        assert!(n(r, "received") >= 200);
    }
    assert_eq!(n(fifo, "out_of_order"), 0, "FIFO keeps order: {fifo}");
    assert_eq!(n(fifo, "duplicates"), 0, "{fifo}");
    assert!(
        n(standard, "out_of_order") > 0,
        "seed 7 reorders the standard queue: {standard}"
    );
    assert!(n(standard, "inversions") >= n(standard, "out_of_order"));

    let standard = row(&rows, 2, "standard");
    let fifo = row(&rows, 2, "fifo");
    assert_eq!(n(fifo, "sent"), 200, "the FIFO queue accepted the re-send");
    assert_eq!(
        n(fifo, "received"),
        0,
        "but dropped it as duplicates: {fifo}"
    );
    assert_eq!(
        n(standard, "unique"),
        200,
        "the standard queue takes it again"
    );
}

#[test]
fn fanout_runs_headless_with_a_filtered_subscriber() {
    let output = demo([
        "demo", "--fanout", "--output", "json", "--count", "20", "--rounds", "2",
    ]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 4, "{rows:?}");
    for round in [1, 2] {
        let all = row(&rows, round, "subscriber");
        let filtered = row(&rows, round, "filtered");
        // Two clients publish 20 each; the filter lets only Client A's 20 through.
        assert_eq!((n(all, "sent"), n(all, "unique")), (40, 40), "{all}");
        assert_eq!(
            (n(filtered, "sent"), n(filtered, "unique")),
            (20, 20),
            "{filtered}"
        );
        assert!(n(all, "received") >= 40);
    }
    let plain = demo(["demo", "--fanout", "--output", "plain", "--count", "5"]);
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(text.contains("unwrapped from SNS envelopes"), "{text}");
    assert!(text.contains("kept 5 of other clients away"), "{text}");
}

#[test]
fn plain_output_is_a_table_with_captions() {
    let output = demo(["demo", "--output", "plain", "--seed", "7", "--count", "20"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("out_of_order") && lines[0].contains("drain_ms"),
        "{text}"
    );
    assert!(
        lines[1].contains("standard") && lines[2].contains("fifo"),
        "{text}"
    );
    assert!(text.contains("FIFO: every message in order"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_endpoint_needs_the_queues_or_create() {
    let server = LocalServer::start(as_shipped(1)).await.unwrap();
    let endpoint = server.endpoint();
    let args = |create: bool| {
        let mut args = vec![
            "demo",
            "--endpoint-url",
            endpoint.as_str(),
            "--output",
            "json",
            "--count",
            "10",
            "--standard",
            "lab",
            "--fifo",
            "lab.fifo",
        ];
        if create {
            args.push("--create");
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };

    let missing = tokio::task::spawn_blocking({
        let args = args(false);
        move || demo(args)
    })
    .await
    .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("standard queue lab not found") && stderr.contains("add --create"),
        "{stderr}"
    );

    // Without credentials the error is about credentials, not a missing queue.
    let no_credentials = tokio::task::spawn_blocking({
        let args = args(false);
        move || demo_without_credentials(args)
    })
    .await
    .unwrap();
    assert_eq!(no_credentials.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&no_credentials.stderr);
    assert!(
        stderr.contains("credentials") && !stderr.contains("--create"),
        "{stderr}"
    );

    let created = tokio::task::spawn_blocking({
        let args = args(true);
        move || demo(args)
    })
    .await
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let rows = json_rows(&created);
    assert_eq!(n(row(&rows, 1, "standard"), "unique"), 20);
    assert_eq!(n(row(&rows, 1, "fifo"), "unique"), 20);

    // A second run within the FIFO queue's 5-minute window still gets its messages through:
    // each run on another endpoint uses a fresh prefix.
    // (`--seed` cannot seed a server elsewhere, and says so.)
    let again = tokio::task::spawn_blocking({
        let args = args(false);
        move || demo(args.into_iter().chain(["--seed".into(), "5".into()]))
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("--seed seeds only the embedded server"),
        "{stderr}"
    );
    assert_eq!(n(row(&json_rows(&again), 1, "fifo"), "unique"), 20);
    server.stop().await.unwrap();
}

#[test]
fn a_seed_reproduces_the_figures() {
    let figures = || {
        let output = demo([
            "demo", "--output", "json", "--seed", "11", "--rounds", "2", "--count", "30",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        json_rows(&output)
            .into_iter()
            .map(|mut row| {
                row.as_object_mut().unwrap().remove("drain_ms");
                row
            })
            .collect::<Vec<_>>()
    };
    let first = figures();
    assert_eq!(first.len(), 4);
    assert_eq!(first, figures(), "same seed, same figures");
}

/// The live screen on a test backend against the embedded server: round 1 starts by
/// itself, `s` re-sends the same bodies (the FIFO queue drops them), `p` sends with a new
/// prefix (both take them), `q` quits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screen_keys_send_again_and_with_a_new_prefix() {
    use futures::channel::mpsc;
    use queue::cli::{
        DemoArgs, PRAC_FIFO_QUEUE, PRAC_STANDARD_QUEUE, PRAC_SUBSCRIBER_QUEUE, PRAC_TOPIC,
    };
    use queue::config::Config;
    use queue::demo::rounds::Receivers;
    use queue::demo::state::DemoState;
    use queue::demo::{screen, setup};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let args = DemoArgs {
        clients: 2,
        count: 10,
        seed: Some(3),
        standard: PRAC_STANDARD_QUEUE.into(),
        fifo: PRAC_FIFO_QUEUE.into(),
        create: false,
        aws: false,
        output: None,
        fanout: false,
        topic: PRAC_TOPIC.into(),
        subscriber: PRAC_SUBSCRIBER_QUEUE.into(),
        rounds: 1,
    };
    let setup = setup::setup(&args, &Config::default()).await.unwrap();
    let target = setup.target.clone();
    let mut state = DemoState::new(
        setup.info.clone(),
        [PRAC_STANDARD_QUEUE, PRAC_FIFO_QUEUE],
        chrono::FixedOffset::east_opt(0).unwrap(),
        false,
    );
    let mut receivers = Receivers::spawn(&target, &target.kinds);
    let (keys, key_events) = mpsc::unbounded();
    let typist = tokio::spawn(async move {
        for key in ['s', 'p', 'q'] {
            // Each round of 2 x 10 messages drains in well under a second, but a message that
            // landed where the waiting receiver was not listening settles for up to 3 s.
            let pause = if key == 'q' { 3_500 } else { 1_000 };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let event = crossterm::event::Event::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char(key),
            ));
            keys.unbounded_send(Ok(event)).unwrap();
        }
    });
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let code = screen::run_loop(
        &mut terminal,
        key_events,
        &mut state,
        &target,
        &mut receivers,
    )
    .await
    .unwrap();
    typist.await.unwrap();
    receivers.stop().await;
    if let Some(server) = setup.server {
        server.stop().await.unwrap();
    }

    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert_eq!(state.round, 3);
    let standard = state.left.figures(state.round);
    assert_eq!(
        (standard.sent, standard.stats.unique),
        (60, 60),
        "{standard:?}"
    );
    let fifo = state.right.figures(state.round);
    assert_eq!((fifo.sent, fifo.stats.unique), (60, 40), "{fifo:?}");
    assert_eq!(fifo.stats.out_of_order, 0);
    assert_eq!(state.right.dropped(), Some(20));
    let screen = terminal.backend().to_string();
    assert!(screen.contains("20 duplicates dropped"), "{screen}");
    assert!(
        screen.contains("A2-Message 9"),
        "the new prefix is on screen: {screen}"
    );
}
