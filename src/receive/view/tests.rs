//! Snapshot tests of the receive view at fixed sizes and times, and tests of the event loop
//! (draw before confirm, limits, pause, Ctrl-C) on a `TestBackend`.

use std::time::{Duration, SystemTime};

use chrono::FixedOffset;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::app::{App, KEYS, LOG_CAPACITY};
use super::{ViewHeader, ViewOptions, run_loop, ui};
use crate::message::{Delivery, body, parse_body};
use crate::receive::{Batch, Limits};
use crate::tui::keys::{KeyAction, lookup};

/// 2026-11-21 10:00:00 UTC: every time in these tests is relative to it.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_255_200)
}

fn at(ms: u64) -> SystemTime {
    t0() + Duration::from_millis(ms)
}

/// No colour: snapshots show text only, so marks must read without it.
const PLAIN: ViewOptions = ViewOptions {
    color: false,
    offset: UTC,
};

const UTC: FixedOffset = FixedOffset::east_opt(0).unwrap();

fn header(fifo: bool) -> ViewHeader {
    ViewHeader {
        queue: if fifo {
            "csse6400_prac.fifo"
        } else {
            "csse6400_prac"
        }
        .into(),
        fifo,
        endpoint: "http://127.0.0.1:9324".into(),
        region: "us-east-1".into(),
    }
}

pub(crate) fn delivery(id: &str, client: &str, prefix: &str, n: u64, received_ms: u64) -> Delivery {
    let text = body(prefix, n);
    Delivery {
        message_id: id.into(),
        receipt_handle: format!("rh-{id}"),
        parsed: parse_body(&text),
        body: text,
        client: Some(client.into()),
        run: Some("run1".into()),
        group_id: None,
        sequence_number: None,
        receive_count: 1,
        notification: None,
        sent_at: Some(at(received_ms.saturating_sub(12))),
        received_at: at(received_ms),
    }
}

/// Two clients; client 1's 2 arrives after its 3 and its 1 arrives twice.
fn mixed() -> Vec<Delivery> {
    vec![
        delivery("a0", "Client 1", "A-", 0, 100),
        delivery("b0", "Client 2", "B-", 0, 130),
        delivery("a1", "Client 1", "A-", 1, 180),
        delivery("a3", "Client 1", "A-", 3, 220),
        delivery("b1", "Client 2", "B-", 1, 260),
        delivery("a2", "Client 1", "A-", 2, 300),
        delivery("b2", "Client 2", "B-", 2, 340),
        delivery("a1", "Client 1", "A-", 1, 420),
        delivery("a4", "Client 1", "A-", 4, 460),
        delivery("b3", "Client 2", "B-", 3, 500),
    ]
}

fn draw(app: &App, width: u16, height: u16, now: SystemTime) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::render(app, frame, now)).unwrap();
    terminal
}

#[test]
fn empty_view_is_waiting() {
    let app = App::new(header(false), PLAIN, Limits::default());
    assert_snapshot!(draw(&app, 100, 16, t0()).backend());
}

#[test]
fn in_order_late_and_duplicate_lines_two_clients() {
    let mut app = App::new(header(false), PLAIN, Limits::default());
    assert_eq!(app.apply(&mixed()), 10);
    assert_snapshot!(draw(&app, 110, 26, at(600)).backend());
}

#[test]
fn narrow_terminal_fifo() {
    let mut app = App::new(header(true), PLAIN, Limits::default());
    app.apply(&mixed());
    assert_snapshot!(draw(&app, 80, 24, at(600)).backend());
}

#[test]
fn paused_and_scrolled() {
    let mut app = App::new(header(false), PLAIN, Limits::default());
    app.apply(&mixed());
    press_key(&mut app, KeyCode::Char('p'), 5);
    press_key(&mut app, KeyCode::Up, 5);
    press_key(&mut app, KeyCode::Up, 5);
    assert!(app.paused());
    assert_snapshot!(draw(&app, 100, 12, at(9_000)).backend());
}

#[test]
fn clear_forgets_lines_and_counts_but_not_the_limit() {
    let mut app = App::new(
        header(false),
        PLAIN,
        Limits {
            count: Some(12),
            idle: None,
        },
    );
    assert_eq!(app.apply(&mixed()), 10);
    press_key(&mut app, KeyCode::Char('c'), 5);
    assert_eq!(app.tracker.stats().received, 0);
    assert!(app.log.is_empty());
    assert_eq!(app.apply(&mixed()), 2, "only 2 left of --count 12");
    assert!(app.limit_reached());
}

#[test]
fn log_memory_is_bounded() {
    let mut app = App::new(header(false), PLAIN, Limits::default());
    for n in 0..(LOG_CAPACITY as u64 + 50) {
        app.apply(&[delivery(&format!("id{n}"), "c", "", n, n)]);
    }
    assert_eq!(app.log.len(), LOG_CAPACITY);
}

/// Presses a key of the view's table on `app`, with a log `page` rows high.
fn press_key(app: &mut App, code: KeyCode, page: usize) {
    if let Some(KeyAction::Screen(action)) = lookup(KEYS, KeyEvent::new(code, KeyModifiers::NONE)) {
        app.act(action, page);
    }
}

type Events = futures::channel::mpsc::UnboundedSender<std::io::Result<Event>>;

struct Harness {
    events: Events,
    batches: mpsc::Sender<Batch>,
    task: tokio::task::JoinHandle<(
        anyhow::Result<std::process::ExitCode>,
        Terminal<TestBackend>,
    )>,
}

fn start(limits: Limits) -> Harness {
    let (events, event_rx) = futures::channel::mpsc::unbounded();
    let (batches, mut batch_rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(100, 16)).unwrap();
        let mut app = App::new(header(false), PLAIN, limits);
        let cancel = CancellationToken::new();
        let outcome = run_loop(&mut terminal, &mut app, event_rx, &mut batch_rx, &cancel).await;
        (outcome, terminal)
    });
    Harness {
        events,
        batches,
        task,
    }
}

async fn send(h: &Harness, deliveries: Vec<Delivery>) -> oneshot::Receiver<usize> {
    let (shown, answer) = oneshot::channel();
    h.batches.send(Batch { deliveries, shown }).await.unwrap();
    answer
}

fn press(h: &Harness, code: KeyCode, modifiers: KeyModifiers) {
    h.events
        .unbounded_send(Ok(Event::Key(KeyEvent::new(code, modifiers))))
        .unwrap();
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

#[tokio::test(start_paused = true)]
async fn batches_are_drawn_then_confirmed() {
    let h = start(Limits::default());
    let answer = send(&h, mixed()).await;
    assert_eq!(answer.await.unwrap(), 10);
    press(&h, KeyCode::Char('q'), KeyModifiers::NONE);
    let (outcome, terminal) = h.task.await.unwrap();
    assert_eq!(outcome.unwrap(), std::process::ExitCode::SUCCESS);
    assert!(
        screen(&terminal).contains("B-Message 3"),
        "the batch was drawn"
    );
}

#[tokio::test(start_paused = true)]
async fn count_limit_confirms_only_what_fits_and_stops() {
    let h = start(Limits {
        count: Some(3),
        idle: None,
    });
    let answer = send(&h, mixed()).await;
    assert_eq!(answer.await.unwrap(), 3);
    let (outcome, terminal) = h.task.await.unwrap();
    assert_eq!(outcome.unwrap(), std::process::ExitCode::SUCCESS);
    let text = screen(&terminal);
    assert!(text.contains("A-Message 1") && !text.contains("A-Message 3"));
}

#[tokio::test(start_paused = true)]
async fn paused_view_takes_nothing_until_resumed() {
    let h = start(Limits::default());
    press(&h, KeyCode::Char('p'), KeyModifiers::NONE);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut answer = send(&h, mixed()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        matches!(answer.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
        "nothing may be confirmed while paused"
    );
    press(&h, KeyCode::Char('p'), KeyModifiers::NONE);
    assert_eq!(answer.await.unwrap(), 10);
    press(&h, KeyCode::Char('c'), KeyModifiers::CONTROL);
    let (outcome, _) = h.task.await.unwrap();
    assert_eq!(outcome.unwrap(), std::process::ExitCode::from(130));
}

#[tokio::test(start_paused = true)]
async fn idle_limit_stops_the_view() {
    let h = start(Limits {
        count: None,
        idle: Some(Duration::from_secs(2)),
    });
    let answer = send(&h, mixed()).await;
    assert_eq!(answer.await.unwrap(), 10);
    let (outcome, _) = h.task.await.unwrap();
    assert_eq!(outcome.unwrap(), std::process::ExitCode::SUCCESS);
    drop(h.events);
}

#[tokio::test(start_paused = true)]
async fn a_closed_receiver_ends_the_view() {
    let h = start(Limits::default());
    drop(h.batches);
    let (outcome, _) = h.task.await.unwrap();
    assert_eq!(outcome.unwrap(), std::process::ExitCode::SUCCESS);
    drop(h.events);
}

#[test]
fn marks_keep_their_meaning_with_and_without_colour() {
    use ratatui::style::{Color, Modifier};
    let style_of = |color: bool, text: &str| {
        let mut app = App::new(
            header(false),
            ViewOptions { color, offset: UTC },
            Limits::default(),
        );
        app.apply(&mixed());
        let terminal = draw(&app, 110, 26, at(600));
        let buffer = terminal.backend().buffer().clone();
        let area = buffer.area;
        (area.top()..area.bottom())
            .find_map(|y| {
                let row: String = (area.left()..area.right())
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect();
                row.find(text).map(|at| {
                    let x = u16::try_from(row[..at].chars().count()).unwrap();
                    buffer[(x, y)].style()
                })
            })
            .unwrap()
    };
    let late = style_of(true, "late by 1");
    assert_eq!(late.fg, Some(Color::Yellow));
    let dup = style_of(true, "duplicate");
    assert_eq!(dup.fg, Some(Color::Magenta));
    let late = style_of(false, "late by 1");
    assert!(
        matches!(late.fg, None | Some(Color::Reset)),
        "no colour when colour is off"
    );
    assert!(late.add_modifier.contains(Modifier::BOLD));
    let dup = style_of(false, "duplicate");
    assert!(dup.add_modifier.contains(Modifier::UNDERLINED));
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut app = App::new(header(true), PLAIN, Limits::default());
    app.apply(&mixed());
    // One row: only the status line's first character (of "10 received").
    assert_eq!(screen(&draw(&app, 1, 1, at(600))), "\"1\"\n");
    for (width, height) in [(20, 3), (59, 10), (250, 80)] {
        let screen = screen(&draw(&app, width, height, at(600)));
        // From three rows on, the header starts with the queue name.
        assert!(
            screen.starts_with("\" csse6400_prac.fifo "),
            "{width}x{height}: {screen}"
        );
    }
    // Without room for the per-client panel (under 60 columns) the log still shows messages.
    let narrow = screen(&draw(&app, 59, 10, at(600)));
    assert!(
        narrow.contains("B-Message 3") && !narrow.contains("Clients"),
        "{narrow}"
    );
    let wide = screen(&draw(&app, 250, 80, at(600)));
    assert!(
        wide.contains("Clients") && wide.contains("A-Message 0"),
        "{wide}"
    );
}

/// `(visible, in flight)` messages of a queue, as the server counts them.
async fn counts(sqs: &crate::sqs::Sqs, url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attributes = sqs
        .client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    let get = |name: A| attributes.get(&name).unwrap().parse::<u64>().unwrap();
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

/// The view on the real receiver and the embedded server: with `--count 12`, exactly the 12
/// messages drawn are deleted; the rest of the last batch goes back to the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_real_receiver_only_drawn_messages_are_deleted() {
    use crate::receive::test_queue;
    use crate::send::SendPlan;
    use crate::server::ServeOptions;

    let options = ServeOptions {
        queues: vec!["view".into()],
        seed: Some(5),
        duplicate_rate: 0.0,
        ..ServeOptions::default()
    };
    let plan = SendPlan::for_tests("Client 1", 30, "A-");
    let (server, sqs, queue, report) = test_queue::filled(options, "view", &plan).await;
    assert_eq!(report.sent, 30);

    let (mut rx, cancel, receiver) = test_queue::spawn_receiver(&sqs, &queue);
    let (_keys, events) = futures::channel::mpsc::unbounded();
    let mut terminal = Terminal::new(TestBackend::new(100, 16)).unwrap();
    let limits = Limits {
        count: Some(12),
        idle: None,
    };
    let mut app = App::new(header(false), PLAIN, limits);
    let code = run_loop(&mut terminal, &mut app, events, &mut rx, &cancel)
        .await
        .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    // The receiver finishes deleting and releasing the last batch, then sees the view gone.
    drop(rx);
    receiver.await.unwrap().unwrap();

    assert_eq!(app.tracker.stats().received, 12);
    assert_eq!(app.log.len(), 12);
    assert_eq!(
        counts(&sqs, &queue.url).await,
        (18, 0),
        "12 drawn and deleted, 18 back in the queue"
    );
    server.stop().await.unwrap();
}
