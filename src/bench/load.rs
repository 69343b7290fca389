//! The load itself: producer tasks that send stamped bodies (paced when `--rate` is set),
//! consumer tasks that long-poll, record and delete, and the coordinator that moves the run
//! through warm-up, sending and draining, and ticks the reporter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::client::{Client, Failures, SendEntry};
use super::payload::{self, Stamp};
use super::plan::{Budget, Plan, billed_requests};
use super::report::Reporter;
use super::stats::{Kind, Recorder};
use crate::cli::DeleteMode;
use crate::sqs::QueueInfo;

/// Pause after a failed request, so a dead endpoint is not hammered.
const ERROR_PAUSE: Duration = Duration::from_millis(100);
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
        let entries: Vec<SendEntry> = (seq..seq + messages as u64)
            .map(|seq| entry(&shared, &stamp(seq), lane))
            .collect();
        seq += messages as u64;
        let billed = billed_requests(entries.iter().map(|entry| entry.body.len()).sum());
        let started = Instant::now();
        match shared.client.send(&shared.queue.url, entries).await {
            Ok(failures) => {
                shared.note_failures(Kind::Send, &failures);
                shared.recorder.sent(
                    started.elapsed(),
                    messages as u64 - failures.count,
                    failures.count,
                    billed,
                    warmup,
                );
            }
            Err(error) => {
                shared.recorder.failed(Kind::Send, &error);
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }
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
    loop {
        let receive = shared.client.receive(&shared.queue.url, max, plan.wait);
        let answer = tokio::select! {
            answer = receive => answer,
            () = shared.stop_receiving.cancelled() => break,
        };
        let messages = match answer {
            Ok(messages) => messages,
            Err(error) => {
                shared.recorder.failed(Kind::Receive, &error);
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
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

/// Deletes what was received, as `--delete` says.
async fn delete(shared: &Shared, handles: Vec<String>) {
    let url = &shared.queue.url;
    match shared.plan.delete {
        DeleteMode::Batch => match shared.client.delete_batch(url, &handles).await {
            Ok(failures) => {
                shared.note_failures(Kind::Delete, &failures);
                shared
                    .recorder
                    .deleted(handles.len() as u64 - failures.count, failures.count);
            }
            Err(error) => shared.recorder.failed(Kind::Delete, &error),
        },
        DeleteMode::Single => {
            let deletes = handles.iter().map(|handle| async move {
                match shared.client.delete(url, handle).await {
                    Ok(()) => shared.recorder.deleted(1, 0),
                    Err(error) => shared.recorder.failed(Kind::Delete, &error),
                }
            });
            futures::future::join_all(deletes).await;
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
            let counts = recorder.counts();
            let quiet_since = recorder.last_receive().unwrap_or(ended).max(ended);
            if plan.consumers == 0 || counts.in_flight() == 0 || now >= quiet_since + drain_idle {
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
