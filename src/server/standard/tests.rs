//! The realism model through [`Engine::dispatch`] under tokio's paused clock, in default mode
//! (not `--ordered`) over 20 seeds: quiet queues exact, busy ones partial, a waiting long poll
//! woken from the servers it listens to, and the classroom run of the practical's handout with
//! its late share and duplicates (the figures `docs/serve.md` quotes).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::BUSY_BACKLOG;
use crate::server::ServeOptions;
use crate::server::engine::Engine;
use crate::server::test_support::{
    bodies, create, delete, drain_run, late_fraction, ok, receive, send,
};

/// Seeds every randomised case runs with.
const SEEDS: std::ops::Range<u64> = 0..20;

/// `queue serve`'s defaults (realism on, 1% duplicate rate) with this seed, no queues.
fn as_shipped(seed: u64) -> ServeOptions {
    ServeOptions {
        queues: Vec::new(),
        seed: Some(seed),
        ..ServeOptions::default()
    }
}

/// Mean, min and max of `values`.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    (mean, min, max)
}

#[tokio::test(start_paused = true)]
async fn a_quiet_queue_answers_short_polls_exactly_and_a_busy_one_partially() {
    let mut partial = 0;
    for seed in SEEDS {
        let engine = Engine::new(&as_shipped(seed));
        let url = create(&engine, "sp", json!({"VisibilityTimeout": "0"})).await;
        send(&engine, &url, "only").await;
        for _ in 0..20 {
            assert_eq!(
                bodies(&receive(&engine, &url, 10, 0).await),
                ["only"],
                "seed {seed}"
            );
        }
        for i in 0..BUSY_BACKLOG + 30 {
            send(&engine, &url, &format!("m{i}")).await;
        }
        for _ in 0..20 {
            let got = receive(&engine, &url, 10, 0).await;
            if got.len() < 10 || bodies(&got)[0] != "only" {
                partial += 1;
            }
        }
    }
    println!("busy queue: {partial} of 400 short polls partial or not oldest first");
    assert!(partial > 40, "{partial}");
}

#[tokio::test(start_paused = true)]
async fn send_then_drain_is_exact_on_a_quiet_queue_and_reorders_a_little_on_a_busy_one() {
    for seed in SEEDS {
        let order = drain_run(&as_shipped(seed), BUSY_BACKLOG).await;
        assert_eq!(order, (0..BUSY_BACKLOG).collect::<Vec<_>>(), "seed {seed}");
    }
    let mut fractions = Vec::new();
    let mut duplicates = 0;
    for seed in SEEDS {
        let order = drain_run(&as_shipped(seed), 100).await;
        let distinct: BTreeSet<usize> = order.iter().copied().collect();
        assert_eq!(distinct.len(), 100, "every message delivered (seed {seed})");
        duplicates += order.len() - 100;
        fractions.push(late_fraction(&order));
    }
    let (mean, min, max) = spread(&fractions);
    println!(
        "send 100 then drain, 20 seeds: late mean {:.1}% (min {:.1}%, max {:.1}%), duplicates {duplicates} in {} deliveries",
        mean * 100.0,
        min * 100.0,
        max * 100.0,
        2_000 + duplicates
    );
    assert!(mean > 0.03 && mean < 0.35, "mean late fraction {mean}");
    assert!(duplicates > 0 && duplicates < 100, "{duplicates}");
}

#[tokio::test(start_paused = true)]
async fn a_fixed_seed_reproduces_a_run() {
    let options = as_shipped(42);
    assert_eq!(drain_run(&options, 50).await, drain_run(&options, 50).await);
    let (first, _) = classroom(&options, 1, 30).await;
    let (second, _) = classroom(&options, 1, 30).await;
    assert_eq!(first, second);
}

#[tokio::test(start_paused = true)]
async fn a_waiting_poll_gets_a_message_sent_to_an_idle_queue() {
    let mut at_once = 0;
    for seed in SEEDS {
        let engine = Engine::new(&as_shipped(seed));
        let url = create(&engine, "idle", json!({})).await;
        let waiter = tokio::spawn({
            let (engine, url) = (engine.clone(), url.clone());
            async move {
                let got = receive(&engine, &url, 10, 20).await;
                (bodies(&got), Instant::now())
            }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        send(&engine, &url, "hello").await;
        let sent = Instant::now();
        let (got, answered) = waiter.await.expect("waiter");
        assert_eq!(got, ["hello"], "seed {seed}");
        let waited = answered - sent;
        // At once from a server it listens to, else once the message has settled.
        assert!(waited <= Duration::from_secs(3), "seed {seed}: {waited:?}");
        if waited.is_zero() {
            at_once += 1;
        }
    }
    println!("a send to an idle queue woke the waiting poll at once on {at_once} of 20 seeds");
    assert!((5..20).contains(&at_once), "{at_once}");
}

#[tokio::test(start_paused = true)]
async fn any_wake_but_a_send_sweeps_every_server() {
    for seed in SEEDS {
        let engine = Engine::new(&as_shipped(seed));
        let url = create(&engine, "sweep", json!({})).await;
        send(&engine, &url, "held").await;
        let held = receive(&engine, &url, 1, 0).await;
        let waiter = tokio::spawn({
            let (engine, url) = (engine.clone(), url.clone());
            async move {
                (
                    bodies(&receive(&engine, &url, 10, 20).await),
                    Instant::now(),
                )
            }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        ok(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": held[0]["ReceiptHandle"], "VisibilityTimeout": 0}),
        )
        .await;
        let changed = Instant::now();
        let (got, answered) = waiter.await.expect("waiter");
        assert_eq!(got, ["held"], "seed {seed}");
        assert_eq!(
            answered, changed,
            "at once, whatever it listens to (seed {seed})"
        );
    }
}

/// The practical's handout run: `senders` clients each send `per_sender` messages one at a
/// time, 0.76 s apart; one receiver long-polls meanwhile (wait 1 s, up to 10) and deletes what
/// it got, until 8 s after the last send. Returns `(sender, number)` in delivery order and the
/// number of duplicate deliveries.
async fn classroom(
    options: &ServeOptions,
    senders: usize,
    per_sender: usize,
) -> (Vec<(usize, usize)>, usize) {
    let engine = Engine::new(options);
    let url = create(&engine, "class", json!({})).await;
    let sending: Vec<_> = (0..senders)
        .map(|sender| {
            let (engine, url) = (engine.clone(), url.clone());
            tokio::spawn(async move {
                // The second sender starts a little later, out of step with the first.
                tokio::time::sleep(Duration::from_millis(330 * sender as u64 + 10)).await;
                for number in 0..per_sender {
                    send(&engine, &url, &format!("{sender}-{number}")).await;
                    tokio::time::sleep(Duration::from_millis(760)).await;
                }
            })
        })
        .collect();
    let end = Instant::now() + Duration::from_millis(760 * per_sender as u64 + 8_000);
    let mut order = Vec::new();
    while Instant::now() < end {
        for message in receive(&engine, &url, 10, 1).await {
            order.push(label(&message));
            delete(&engine, &url, &message).await.expect("delete");
        }
    }
    for task in sending {
        task.await.expect("sender");
    }
    let distinct: BTreeSet<_> = order.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        senders * per_sender,
        "every message delivered"
    );
    let duplicates = order.len() - distinct.len();
    (order, duplicates)
}

fn label(message: &Value) -> (usize, usize) {
    let body = message["Body"].as_str().unwrap_or_default();
    let (sender, number) = body.split_once('-').unwrap_or_default();
    (
        sender.parse().unwrap_or(usize::MAX),
        number.parse().unwrap_or(usize::MAX),
    )
}

/// Share of deliveries that came after a higher number from the same sender.
fn late_share(order: &[(usize, usize)]) -> f64 {
    let mut highest: HashMap<usize, usize> = HashMap::new();
    let mut late = 0;
    for (sender, number) in order {
        let high = highest.entry(*sender).or_insert(*number);
        if number < high {
            late += 1;
        }
        *high = (*high).max(*number);
    }
    f64::from(late) / order.len().max(1) as f64
}

#[tokio::test(start_paused = true)]
async fn the_classroom_run_reorders_and_duplicates_a_little() {
    for senders in [1, 2] {
        let mut shares = Vec::new();
        let mut duplicates = 0;
        let mut deliveries = 0;
        for seed in SEEDS {
            let (order, twice) = classroom(&as_shipped(seed), senders, 100 / senders).await;
            if seed == 0 {
                let first: Vec<usize> = order.iter().take(20).map(|(_, n)| *n).collect();
                println!("seed 0, {senders} sender(s), first deliveries: {first:?}");
            }
            let share = late_share(&order);
            assert!(share > 0.0, "a class sees reordering (seed {seed})");
            shares.push(share);
            duplicates += twice;
            deliveries += order.len();
        }
        let (mean, min, max) = spread(&shares);
        println!(
            "classroom run, {senders} sender(s) x 100 messages, 20 seeds: late mean {:.1}% (min {:.1}%, max {:.1}%), duplicates {duplicates} in {deliveries} deliveries",
            mean * 100.0,
            min * 100.0,
            max * 100.0
        );
        assert!(mean > 0.10 && mean < 0.40, "mean late share {mean}");
        assert!(max < 0.50, "{max}");
        assert!(
            duplicates > 0 && duplicates * 20 < deliveries,
            "{duplicates} duplicates in {deliveries}"
        );
    }
}
