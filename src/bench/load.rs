//! The load itself: producer tasks that send stamped bodies (paced when `--rate` is set),
//! consumer tasks that long-poll, record and delete, and the coordinator that moves the run
//! through warm-up, sending and draining, and ticks the reporter.
//!
//! Like a real client, every worker rides through failures: a refused or reset connection, a
//! 5xx or a throttle is counted as an error, waited out ([`Backoff`]) and retried, so a run
//! survives a server that is killed and restarted. A producer sends a batch's failed entries
//! again (the same bodies) until the queue acknowledges them, sending ends or
//! [`SEND_RETRY_FOR`] has passed; the ones it gives up on are booked as unacknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::client::{Client, Failures, SendEntry};
use super::payload::{self, Stamp};
use super::plan::{Budget, Plan, billed_requests};
use super::report::Reporter;
use super::retry::Backoff;
use super::stats::{Kind, Recorder, Sent};
use crate::cli::DeleteMode;
use crate::sqs::QueueInfo;

/// How long a producer keeps sending a message the queue has not acknowledged.
const SEND_RETRY_FOR: Duration = Duration::from_secs(10);
/// How long a consumer keeps deleting a message the queue has not deleted.
const DELETE_RETRY_FOR: Duration = Duration::from_secs(10);
/// How often the coordinator checks whether a phase is over.
const CHECK_PERIOD: Duration = Duration::from_millis(20);
/// Draining ends when nothing has arrived for this long past the long-poll wait.
const DRAIN_GRACE: Duration = Duration::from_secs(3);

/// How a run ended.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Measuring started (after the warm-up).
    pub measured_from: Instant,
    /// The producers stopped.
    pub sending_ended: Instant,
    /// Ctrl-C or SIGTERM stopped it.
    pub interrupted: bool,
}

/// What every task shares.
struct Shared {
    client: Client,
    queue: QueueInfo,
    plan: Plan,
    run: u32,
    recorder: Arc<Recorder>,
    warming: AtomicBool,
    /// Measured messages claimed by producers (for `--count`).
    claimed: AtomicU64,
    stop_sending: CancellationToken,
    stop_receiving: CancellationToken,
    /// Ctrl-C: retries stop too.
    abort: CancellationToken,
}

impl Shared {
    /// How many messages a producer may send next: a full batch, or what is left of
    /// `--count` (0 when it is all claimed).
    fn claim(&self) -> usize {
        let batch = self.plan.batch as u64;
        match self.plan.budget {
            Budget::Duration(_) => self.plan.batch,
            Budget::Count(_) if self.warming.load(Ordering::Relaxed) => self.plan.batch,
            Budget::Count(count) => {
                let before = self.claimed.fetch_add(batch, Ordering::Relaxed);
                usize::try_from(count.saturating_sub(before).min(batch)).unwrap_or(0)
            }
        }
    }

    /// Counts a batch answer's failed entries' first error.
    fn note_failures(&self, kind: Kind, failures: &Failures) {
        if let Some(first) = &failures.first {
            self.recorder.entry_error(kind, first);
        }
    }
}

/// Spaces one producer's requests evenly at its share of `--rate`.
struct Pacer {
    per_message: Option<Duration>,
    next: Instant,
}

impl Pacer {
    fn new(rate: Option<f64>, producers: u16) -> Self {
        Self {
            per_message: rate.map(|rate| Duration::from_secs_f64(f64::from(producers) / rate)),
            next: Instant::now(),
        }
    }

    /// Waits until `messages` more may go; a producer that fell behind by over a second
    /// does not burst to catch up.
    async fn wait(&mut self, messages: usize) {
        let Some(per_message) = self.per_message else {
            return;
        };
        let now = Instant::now();
        if self.next + Duration::from_secs(1) < now {
            self.next = now;
        }
        tokio::time::sleep_until(self.next.into()).await;
        self.next += per_message * u32::try_from(messages).unwrap_or(u32::MAX);
    }
}

/// The FIFO groups (lanes) producer `producer` sends to, in turn.
fn lanes(producer: u16, producers: u16, groups: u32) -> Vec<u32> {
    let (producer, producers) = (u32::from(producer), u32::from(producers));
    if groups <= producers {
        return vec![producer % groups];
    }
    (producer..groups).step_by(producers as usize).collect()
}

async fn produce(shared: Arc<Shared>, producer: u16) {
    let plan = &shared.plan;
    let lanes = if shared.queue.fifo {
        lanes(producer, plan.producers, plan.fifo_groups)
    } else {
        vec![0]
    };
    let mut pacer = Pacer::new(plan.rate, plan.producers);
    let mut seq = 0_u64;
    for turn in 0_usize.. {
        if shared.stop_sending.is_cancelled() {
            break;
        }
        let warmup = shared.warming.load(Ordering::Relaxed);
        let messages = shared.claim();
        if messages == 0 {
            break;
        }
        tokio::select! {
            () = pacer.wait(messages) => {}
            () = shared.stop_sending.cancelled() => break,
        }
        let lane = lanes[turn % lanes.len()];
        let sent_us = payload::now_us();
        let stamp = |seq| Stamp {
            run: shared.run,
            warmup,
            producer,
            lane,
            seq,
            sent_us,
        };
        let numbers: Vec<u64> = (seq..seq + messages as u64).collect();
        let entries = numbers
            .iter()
            .map(|&seq| entry(&shared, &stamp(seq), lane))
            .collect();
        seq += messages as u64;
        shared.recorder.attempting(producer, seq);
        let batch = Outgoing {
            producer,
            numbers,
            entries,
            warmup,
        };
        send_until_acknowledged(&shared, batch).await;
    }
}

/// A batch of one producer's messages on its way: their numbers and entries, in step.
struct Outgoing {
    producer: u16,
    numbers: Vec<u64>,
    entries: Vec<SendEntry>,
    warmup: bool,
}

impl Outgoing {
    /// What `failures` leaves to send again (its retryable entries, in order), and how many
    /// failed beyond hope.
    fn retry(self, failures: &Failures) -> (Self, u64) {
        let mut hopeless = 0;
        let (numbers, entries) = self
            .numbers
            .into_iter()
            .zip(self.entries)
            .enumerate()
            .filter_map(|(index, pair)| {
                if failures.retryable(index) {
                    return Some(pair);
                }
                hopeless += u64::from(failures.failed(index));
                None
            })
            .unzip();
        let rest = Self {
            numbers,
            entries,
            ..self
        };
        (rest, hopeless)
    }
}

/// Sends `batch`, then again its entries that failed in a way worth retrying, in order (on a
/// FIFO queue `queue serve` fails the rest of a failed entry's group in the batch too, so the
/// group's order holds), until the queue has acknowledged all, sending ends or
/// [`SEND_RETRY_FOR`] has passed.
async fn send_until_acknowledged(shared: &Shared, mut batch: Outgoing) {
    let mut backoff = Backoff::for_at_most(SEND_RETRY_FOR);
    let warmup = batch.warmup;
    loop {
        let billed = billed_requests(batch.entries.iter().map(|entry| entry.body.len()).sum());
        let started = Instant::now();
        match shared.client.send(&shared.queue.url, &batch.entries).await {
            Ok(failures) => {
                shared.note_failures(Kind::Send, &failures);
                let acknowledged: Vec<u64> = batch
                    .numbers
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| !failures.failed(*index))
                    .map(|(_, &seq)| seq)
                    .collect();
                let sent = Sent {
                    producer: batch.producer,
                    acknowledged: &acknowledged,
                };
                let took = started.elapsed();
                shared
                    .recorder
                    .sent(took, sent, failures.count(), billed, warmup);
                let hopeless;
                (batch, hopeless) = batch.retry(&failures);
                shared.recorder.gave_up(hopeless, warmup);
            }
            Err(error) => {
                shared.recorder.failed(Kind::Send, &error.text);
                if !error.retryable {
                    // Given up, but not at once: the next batch would hammer the endpoint.
                    backoff.wait(&shared.stop_sending).await;
                    break;
                }
            }
        }
        if batch.entries.is_empty() || !backoff.wait(&shared.stop_sending).await {
            break;
        }
    }
    shared.recorder.gave_up(batch.entries.len() as u64, warmup);
}

/// The message for `stamp`: its body, and on a FIFO queue its group (the lane's) and a
/// deduplication id (the stamp is unique, so it is one).
fn entry(shared: &Shared, stamp: &Stamp, lane: u32) -> SendEntry {
    SendEntry {
        body: payload::body(stamp, shared.plan.size),
        group: shared.queue.fifo.then(|| format!("bench-{lane}")),
        dedup: shared.queue.fifo.then(|| {
            format!(
                "{:08x}-{}-{}-{}",
                stamp.run, stamp.producer, stamp.lane, stamp.seq
            )
        }),
    }
}

async fn consume(shared: Arc<Shared>) {
    let plan = &shared.plan;
    let max = i32::try_from(plan.batch).unwrap_or(10);
    let mut backoff = Backoff::endless();
    loop {
        let receive = shared.client.receive(&shared.queue.url, max, plan.wait);
        let answer = tokio::select! {
            answer = receive => answer,
            () = shared.stop_receiving.cancelled() => break,
        };
        let messages = match answer {
            Ok(messages) => messages,
            Err(error) => {
                shared.recorder.failed(Kind::Receive, &error.text);
                if !backoff.wait(&shared.stop_receiving).await {
                    break;
                }
                continue;
            }
        };
        backoff.reset();
        let now_us = payload::now_us();
        let stamps: Vec<Option<Stamp>> = messages
            .iter()
            .map(|message| payload::parse(&message.body))
            .collect();
        let bytes = messages.iter().map(|message| message.body.len()).sum();
        shared
            .recorder
            .received(&stamps, now_us, billed_requests(bytes));
        // Only bench messages are deleted; anything else stays on the queue.
        let handles: Vec<String> = messages
            .into_iter()
            .zip(&stamps)
            .filter(|(_, stamp)| stamp.is_some())
            .map(|(message, _)| message.receipt_handle)
            .collect();
        if !handles.is_empty() {
            delete(&shared, handles).await;
        }
    }
}

/// Deletes what was received, as `--delete` says, retrying what failed in a way worth it for
/// up to [`DELETE_RETRY_FOR`] (a message not deleted comes back after its visibility timeout,
/// as a duplicate).
async fn delete(shared: &Shared, handles: Vec<String>) {
    match shared.plan.delete {
        DeleteMode::Batch => delete_batch(shared, handles).await,
        DeleteMode::Single => {
            let deletes = handles.iter().map(|handle| delete_one(shared, handle));
            futures::future::join_all(deletes).await;
        }
    }
}

async fn delete_batch(shared: &Shared, mut handles: Vec<String>) {
    let url = &shared.queue.url;
    let mut backoff = Backoff::for_at_most(DELETE_RETRY_FOR);
    loop {
        match shared.client.delete_batch(url, &handles).await {
            Ok(failures) => {
                shared.note_failures(Kind::Delete, &failures);
                shared.recorder.deleted(
                    (handles.len() as u64).saturating_sub(failures.count()),
                    failures.count(),
                );
                handles = handles
                    .into_iter()
                    .enumerate()
                    .filter(|(index, _)| failures.retryable(*index))
                    .map(|(_, handle)| handle)
                    .collect();
            }
            Err(error) => {
                shared.recorder.failed(Kind::Delete, &error.text);
                if !error.retryable {
                    return;
                }
            }
        }
        if handles.is_empty() || !backoff.wait(&shared.abort).await {
            return;
        }
    }
}

async fn delete_one(shared: &Shared, handle: &str) {
    let mut backoff = Backoff::for_at_most(DELETE_RETRY_FOR);
    loop {
        match shared.client.delete(&shared.queue.url, handle).await {
            Ok(()) => {
                shared.recorder.deleted(1, 0);
                return;
            }
            Err(error) => {
                shared.recorder.failed(Kind::Delete, &error.text);
                if !error.retryable || !backoff.wait(&shared.abort).await {
                    return;
                }
            }
        }
    }
}

/// Runs the load on `queue` as `plan` says, reporting every interval through `reporter`.
pub async fn run(
    client: Client,
    queue: QueueInfo,
    plan: Plan,
    run: u32,
    recorder: Arc<Recorder>,
    reporter: &mut Reporter,
) -> Outcome {
    let shared = Arc::new(Shared {
        client,
        queue,
        run,
        recorder: Arc::clone(&recorder),
        warming: AtomicBool::new(!plan.warmup.is_zero()),
        claimed: AtomicU64::new(0),
        stop_sending: CancellationToken::new(),
        stop_receiving: CancellationToken::new(),
        abort: CancellationToken::new(),
        plan,
    });
    let plan = &shared.plan;
    let mut producers = JoinSet::new();
    for producer in 0..plan.producers {
        producers.spawn(produce(Arc::clone(&shared), producer));
    }
    let mut consumers = JoinSet::new();
    for _ in 0..plan.consumers {
        consumers.spawn(consume(Arc::clone(&shared)));
    }

    let started = Instant::now();
    let mut measured_from = started + plan.warmup;
    let mut sending_ended = None;
    let mut interrupted = false;
    let interrupt = crate::exit::interrupted();
    tokio::pin!(interrupt);
    let mut ticks = tokio::time::interval_at((started + plan.interval).into(), plan.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut checks = tokio::time::interval(CHECK_PERIOD);
    let drain_idle = Duration::from_secs(u64::try_from(plan.wait).unwrap_or(0)) + DRAIN_GRACE;
    loop {
        tokio::select! {
            _ = ticks.tick() => reporter.interval(&recorder.interval(), started.elapsed()),
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                shared.abort.cancel();
                shared.stop_sending.cancel();
                shared.stop_receiving.cancel();
            }
            _ = checks.tick() => {}
        }
        let now = Instant::now();
        if shared.warming.load(Ordering::Relaxed) && now >= measured_from {
            // Messages stamped before this are warm-up ones; measuring starts now.
            shared.warming.store(false, Ordering::Relaxed);
            measured_from = now;
        }
        if !shared.warming.load(Ordering::Relaxed) && sending_ended.is_none() {
            let budget_spent = match plan.budget {
                Budget::Duration(duration) => now >= measured_from + duration,
                Budget::Count(_) => producers.is_empty() || all_done(&mut producers),
            };
            if budget_spent || interrupted {
                shared.stop_sending.cancel();
            }
        }
        if shared.stop_sending.is_cancelled() && sending_ended.is_none() {
            while producers.join_next().await.is_some() {}
            sending_ended = Some(Instant::now());
        }
        if let Some(ended) = sending_ended {
            let drained = plan.consumers == 0 || recorder.counts().not_received() == 0;
            let waited_enough = match plan.drain_timeout {
                Some(limit) => now >= ended + limit,
                None => {
                    let quiet_since = recorder.last_receive().unwrap_or(ended).max(ended);
                    now >= quiet_since + drain_idle
                }
            };
            if drained || waited_enough {
                shared.stop_receiving.cancel();
            }
        }
        if shared.stop_receiving.is_cancelled() {
            while consumers.join_next().await.is_some() {}
            break;
        }
    }
    Outcome {
        measured_from,
        sending_ended: sending_ended.unwrap_or(measured_from),
        interrupted,
    }
}

/// Whether every task of `set` has finished (reaping those that have).
fn all_done(set: &mut JoinSet<()>) -> bool {
    while set.try_join_next().is_some() {}
    set.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producers_share_fifo_groups_without_overlap() {
        assert_eq!(lanes(0, 4, 10), vec![0, 4, 8]);
        assert_eq!(lanes(3, 4, 10), vec![3, 7]);
        assert_eq!(lanes(5, 8, 2), vec![1]);
        assert_eq!(lanes(0, 1, 1), vec![0]);
        let all: Vec<u32> = (0..4).flat_map(|producer| lanes(producer, 4, 10)).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "every group used once");
    }
}
