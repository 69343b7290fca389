//! The load itself: producer tasks that send stamped bodies (paced when `--rate` is set),
//! consumer tasks that long-poll, record and delete, and the coordinator that moves the run
//! through warm-up, sending and draining, and ticks the reporter.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::payload::{self, Stamp};
use super::plan::{Budget, Plan, billed_requests};
use super::report::Reporter;
use super::stats::{Kind, Recorder};
use crate::cli::DeleteMode;
use crate::sqs::{QueueInfo, Sqs};

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
    sqs: Sqs,
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

    fn error_text<E>(&self, error: &aws_sdk_sqs::error::SdkError<E>) -> String
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.sqs.friendly(error, Some(&self.queue.name)).message
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
        let bodies: Vec<String> = (seq..seq + messages as u64)
            .map(|seq| payload::body(&stamp(seq), plan.size))
            .collect();
        seq += messages as u64;
        let billed = billed_requests(bodies.iter().map(String::len).sum());
        let started = Instant::now();
        let failed = if plan.batch == 1 {
            send_one(&shared, bodies, lane).await
        } else {
            send_batch(&shared, bodies, lane).await
        };
        match failed {
            Ok(failed) => shared.recorder.sent(
                started.elapsed(),
                messages as u64 - failed,
                failed,
                billed,
                warmup,
            ),
            Err(error) => {
                shared.recorder.failed(Kind::Send, &error);
                tokio::time::sleep(ERROR_PAUSE).await;
            }
        }
    }
}

/// The FIFO group and deduplication id of a body sent to lane `lane`.
fn fifo_ids(shared: &Shared, body: &str, lane: u32) -> (Option<String>, Option<String>) {
    if !shared.queue.fifo {
        return (None, None);
    }
    // The stamp (run, producer, lane, number) is unique, so it is the deduplication id.
    let stamp: String = body.split(' ').take(6).collect::<Vec<_>>().join("-");
    (Some(format!("bench-{lane}")), Some(stamp))
}

/// Sends one body with SendMessage; the failed entries (0) or the request's error.
async fn send_one(shared: &Shared, mut bodies: Vec<String>, lane: u32) -> Result<u64, String> {
    let body = bodies.pop().unwrap_or_default();
    let (group, dedup) = fifo_ids(shared, &body, lane);
    shared
        .sqs
        .client
        .send_message()
        .queue_url(&shared.queue.url)
        .message_body(body)
        .set_message_group_id(group)
        .set_message_deduplication_id(dedup)
        .send()
        .await
        .map(|_| 0)
        .map_err(|error| shared.error_text(&error))
}

/// Sends the bodies with one SendMessageBatch; how many entries failed, or the request's
/// error.
async fn send_batch(shared: &Shared, bodies: Vec<String>, lane: u32) -> Result<u64, String> {
    let entries = bodies
        .into_iter()
        .enumerate()
        .map(|(index, body)| {
            let (group, dedup) = fifo_ids(shared, &body, lane);
            SendMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .message_body(body)
                .set_message_group_id(group)
                .set_message_deduplication_id(dedup)
                .build()
                .expect("id and body are set")
        })
        .collect();
    let answer = shared
        .sqs
        .client
        .send_message_batch()
        .queue_url(&shared.queue.url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|error| shared.error_text(&error))?;
    if let Some(failure) = answer.failed().first() {
        let text = failure.message().unwrap_or(failure.code());
        shared.recorder.entry_error(Kind::Send, text);
    }
    Ok(answer.failed().len() as u64)
}

async fn consume(shared: Arc<Shared>) {
    let plan = &shared.plan;
    let max = i32::try_from(plan.batch).unwrap_or(10);
    loop {
        let receive = shared
            .sqs
            .client
            .receive_message()
            .queue_url(&shared.queue.url)
            .max_number_of_messages(max)
            .wait_time_seconds(plan.wait)
            .send();
        let answer = tokio::select! {
            answer = receive => answer,
            () = shared.stop_receiving.cancelled() => break,
        };
        let messages = match answer {
            Ok(answer) => answer.messages.unwrap_or_default(),
            Err(error) => {
                shared
                    .recorder
                    .failed(Kind::Receive, &shared.error_text(&error));
                tokio::time::sleep(ERROR_PAUSE).await;
                continue;
            }
        };
        let now_us = payload::now_us();
        let stamps: Vec<Option<Stamp>> = messages
            .iter()
            .map(|message| message.body().and_then(payload::parse))
            .collect();
        let bytes = messages
            .iter()
            .map(|message| message.body().map_or(0, str::len))
            .sum();
        shared
            .recorder
            .received(&stamps, now_us, billed_requests(bytes));
        // Only bench messages are deleted; anything else stays on the queue.
        let handles: Vec<String> = messages
            .into_iter()
            .zip(&stamps)
            .filter(|(_, stamp)| stamp.is_some())
            .filter_map(|(message, _)| message.receipt_handle)
            .collect();
        if !handles.is_empty() {
            delete(&shared, handles).await;
        }
    }
}

/// Deletes what was received, as `--delete` says.
async fn delete(shared: &Shared, handles: Vec<String>) {
    match shared.plan.delete {
        DeleteMode::Batch => delete_batch(shared, handles).await,
        DeleteMode::Single => {
            futures::future::join_all(handles.into_iter().map(|handle| async move {
                let answer = shared
                    .sqs
                    .client
                    .delete_message()
                    .queue_url(&shared.queue.url)
                    .receipt_handle(handle)
                    .send()
                    .await;
                match answer {
                    Ok(_) => shared.recorder.deleted(1, 0),
                    Err(error) => shared
                        .recorder
                        .failed(Kind::Delete, &shared.error_text(&error)),
                }
            }))
            .await;
        }
    }
}

async fn delete_batch(shared: &Shared, handles: Vec<String>) {
    let count = handles.len() as u64;
    let entries = handles
        .into_iter()
        .enumerate()
        .map(|(index, handle)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .receipt_handle(handle)
                .build()
                .expect("id and receipt handle are set")
        })
        .collect();
    let answer = shared
        .sqs
        .client
        .delete_message_batch()
        .queue_url(&shared.queue.url)
        .set_entries(Some(entries))
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let failed = answer.failed().len() as u64;
            if let Some(failure) = answer.failed().first() {
                let text = failure.message().unwrap_or(failure.code());
                shared.recorder.entry_error(Kind::Delete, text);
            }
            shared.recorder.deleted(count - failed, failed);
        }
        Err(error) => shared
            .recorder
            .failed(Kind::Delete, &shared.error_text(&error)),
    }
}

/// Runs the load on `queue` as `plan` says, reporting every interval through `reporter`.
pub async fn run(
    sqs: Sqs,
    queue: QueueInfo,
    plan: Plan,
    run: u32,
    recorder: Arc<Recorder>,
    reporter: &mut Reporter,
) -> Outcome {
    let shared = Arc::new(Shared {
        sqs,
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
