//! Snapshot tests of the demo screen at 120x40 and 80x24, from hand-made deliveries with
//! fixed times, and the state's round bookkeeping.

use std::time::{Duration, SystemTime};

use chrono::FixedOffset;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::state::{DemoInfo, DemoState, QueueKind, client_name, prefix};
use super::ui;
use crate::message::{Delivery, body, parse_body};

/// 2026-11-21 10:00:00 UTC.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_255_200)
}

fn info() -> DemoInfo {
    DemoInfo {
        endpoint: "http://127.0.0.1:40123".into(),
        embedded: true,
        seed: Some(7),
        clients: 2,
        count: 100,
        fanout: None,
    }
}

fn new_state() -> DemoState {
    DemoState::new(
        info(),
        ["csse6400_prac", "csse6400_prac.fifo"],
        FixedOffset::east_opt(0).unwrap(),
        false,
    )
}

/// (client index, number) in the order both clients' sends interleave.
fn interleaved(count: u64) -> Vec<(u32, u64)> {
    (0..count).flat_map(|n| [(0, n), (1, n)]).collect()
}

/// A standard queue's shuffle: every 13th message is held back a few places.
fn reordered(mut order: Vec<(u32, u64)>) -> Vec<(u32, u64)> {
    let mut k = 5;
    while k + 9 < order.len() {
        let held = order.remove(k);
        order.insert(k + 2 + k % 7, held);
        k += 13;
    }
    order
}

fn delivery(round: u32, client: u32, n: u64, at: SystemTime) -> Delivery {
    let text = body(&prefix(client, 0), n);
    Delivery {
        message_id: format!("r{round}-{client}-{n}"),
        receipt_handle: format!("rh-{round}-{client}-{n}"),
        parsed: parse_body(&text),
        body: text,
        client: Some(client_name(client)),
        run: Some(format!("run{round}-{client}")),
        group_id: None,
        sequence_number: None,
        receive_count: 1,
        notification: None,
        sent_at: Some(at - Duration::from_millis(20)),
        received_at: at,
    }
}

fn feed(
    state: &mut DemoState,
    kind: QueueKind,
    round: u32,
    order: &[(u32, u64)],
    start: SystemTime,
) {
    for (i, &(client, n)) in order.iter().enumerate() {
        let at = start + Duration::from_millis(40 + 3 * i as u64);
        state
            .pane_mut(kind)
            .observe(&delivery(round, client, n, at));
    }
}

fn senders_done(state: &mut DemoState, fifo_repeat: bool) {
    for kind in QueueKind::BOTH {
        for _ in 0..2 {
            state
                .pane_mut(kind)
                .sender_done(100, 100, fifo_repeat && kind == QueueKind::Fifo);
        }
    }
}

/// Round 1 (standard reordered, one duplicate; FIFO in order), then `s`: the same bodies
/// again, which only the standard queue takes.
fn two_rounds() -> DemoState {
    let mut state = new_state();
    assert!(!state.start_round(t0()), "round 1 is not a repeat");
    senders_done(&mut state, false);
    let order = reordered(interleaved(100));
    feed(&mut state, QueueKind::Standard, 1, &order, t0());
    feed(&mut state, QueueKind::Fifo, 1, &interleaved(100), t0());
    let again = t0() + Duration::from_millis(900);
    state
        .pane_mut(QueueKind::Standard)
        .observe(&delivery(1, 0, 10, again));
    let round2 = t0() + Duration::from_secs(20);
    assert!(state.start_round(round2), "same bodies within 5 minutes");
    senders_done(&mut state, true);
    feed(
        &mut state,
        QueueKind::Standard,
        2,
        &reordered(interleaved(100)),
        round2,
    );
    state
}

fn draw(state: &DemoState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| ui::render(state, frame, t0() + Duration::from_secs(30)))
        .unwrap();
    terminal
}

#[test]
fn round_bookkeeping_matches_the_queues() {
    let state = two_rounds();
    let standard = state.left.figures(state.round);
    assert_eq!(
        (
            standard.sent,
            standard.stats.unique,
            standard.stats.duplicates
        ),
        (400, 400, 1)
    );
    assert!(standard.stats.out_of_order > 0);
    let fifo = state.right.figures(state.round);
    assert_eq!(
        (fifo.sent, fifo.stats.unique, fifo.stats.out_of_order),
        (400, 200, 0)
    );
    assert!(state.right.drained() && state.left.drained());
    assert_eq!(state.right.dropped(), Some(200));
    assert_eq!(
        state.right.drain_time(),
        Duration::ZERO,
        "round 2 brought nothing"
    );
}

#[test]
fn demo_screen_120x40() {
    assert_snapshot!(draw(&two_rounds(), 120, 40).backend());
}

#[test]
fn demo_screen_80x24() {
    assert_snapshot!(draw(&two_rounds(), 80, 24).backend());
}

#[test]
fn demo_screen_while_sending_80x24() {
    let mut state = new_state();
    state.start_round(t0());
    let order = reordered(interleaved(100));
    feed(&mut state, QueueKind::Standard, 1, &order[..60], t0());
    feed(
        &mut state,
        QueueKind::Fifo,
        1,
        &interleaved(100)[..40],
        t0(),
    );
    assert!(state.sending() && !state.right.drained());
    assert_snapshot!(draw(&state, 80, 24).backend());
}

#[test]
fn reset_waits_until_the_round_is_sent() {
    let mut state = new_state();
    state.start_round(t0());
    let first_half: Vec<_> = interleaved(100).into_iter().take(100).collect();
    feed(&mut state, QueueKind::Fifo, 1, &first_half, t0());
    assert!(
        !state.reset(),
        "senders still running: nothing is forgotten"
    );
    senders_done(&mut state, false);
    let rest: Vec<_> = interleaved(100).into_iter().skip(100).collect();
    feed(&mut state, QueueKind::Fifo, 1, &rest, t0());
    assert_eq!(state.right.dropped(), None, "nothing was dropped");
    assert!(state.reset());
    assert_eq!(state.right.figures(state.round).stats.received, 0);
    assert!(!ui::caption_text(&state.right).contains("dropped"));
}

#[test]
fn the_pitfall_hint_names_the_prefixes_in_use() {
    let mut state = new_state();
    state.generation = 1;
    let screen = draw(&state, 120, 40).backend().to_string();
    assert!(
        screen.contains("prefixes its bodies (A2-, B2-)"),
        "{screen}"
    );
}

#[test]
fn prefixes_are_per_client_and_generation() {
    assert_eq!(prefix(0, 0), "A-");
    assert_eq!(prefix(1, 0), "B-");
    assert_eq!(prefix(1, 1), "B2-");
    assert_eq!(client_name(2), "Client C");
}

#[test]
fn a_late_copy_from_an_earlier_round_is_a_duplicate() {
    let mut state = new_state();
    state.start_round(t0());
    feed(&mut state, QueueKind::Standard, 1, &[(0, 0), (0, 1)], t0());
    state.next_round();
    state.start_round(t0() + Duration::from_secs(5));
    let late = delivery(1, 0, 1, t0() + Duration::from_secs(6));
    assert!(state.pane_mut(QueueKind::Standard).observe(&late).duplicate);
    let stats = state.left.stats();
    assert_eq!((stats.received, stats.unique, stats.duplicates), (1, 0, 1));
}

#[test]
fn tiny_terminals_do_not_panic() {
    let state = two_rounds();
    for (width, height) in [(1, 1), (20, 5), (40, 12), (60, 30), (250, 80)] {
        let screen = draw(&state, width, height).backend().to_string();
        // The header always starts with the title, cut to the width.
        let title: String = " queue demo ".chars().take(usize::from(width)).collect();
        assert!(
            screen.starts_with(&format!("\"{title}")),
            "{width}x{height}: {screen}"
        );
        if width >= 60 {
            assert!(
                screen.contains("Standard queue") && screen.contains("FIFO queue"),
                "{width}x{height}: {screen}"
            );
        }
    }
}

#[test]
fn fanout_counts_every_publish_on_the_left_and_one_client_on_the_right() {
    use super::state::Fanout;
    let mut state = DemoState::new(
        DemoInfo {
            fanout: Some(Fanout::new("csse6400_prac_topic")),
            ..info()
        },
        ["csse6400_prac", "csse6400_prac_subscriber"],
        FixedOffset::east_opt(0).unwrap(),
        false,
    );
    assert_eq!(state.kinds(), QueueKind::FANOUT);
    assert!(!state.start_round(t0()), "no FIFO queue drops a repeat");
    assert_eq!(state.left.expected, 200);
    assert_eq!(state.right.expected, 100, "only Client A passes the filter");
    // One publisher per client, counted on the left pane: the topic delivers to both.
    state.sender_done(QueueKind::Subscriber, 0, 100, 100, false);
    state.sender_done(QueueKind::Subscriber, 1, 100, 100, false);
    assert!(!state.sending());
    assert_eq!((state.left.sent, state.right.sent), (200, 100));
    assert_eq!(state.right.filtered_out, 100);
    let all = interleaved(100);
    feed(
        &mut state,
        QueueKind::Subscriber,
        1,
        &reordered(all.clone()),
        t0(),
    );
    let only_a: Vec<(u32, u64)> = all.into_iter().filter(|(client, _)| *client == 0).collect();
    feed(&mut state, QueueKind::Filtered, 1, &only_a, t0());
    assert!(state.left.drained() && state.right.drained());
    let left = state.left.figures(state.round);
    assert_eq!((left.stats.unique, left.stats.duplicates), (200, 0));
    assert!(left.stats.out_of_order > 0);
    assert_eq!(state.right.figures(state.round).stats.out_of_order, 0);
    let caption = ui::caption_text(&state.right);
    assert!(
        caption.contains("kept 100 of other clients away"),
        "{caption}"
    );
    assert_eq!(
        serde_json::to_value(state.right.figures(1)).unwrap()["queue"],
        "filtered"
    );
}
