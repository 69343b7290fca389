//! One round of sending and the receivers that run for the whole demo: every message goes
//! through [`crate::send::send_messages_until`] and [`crate::receive::receive_loop`], the same
//! code `queue send` (`queue publish` with `--fanout`) and `queue receive` use.

use std::time::{Duration, SystemTime};

use anyhow::{Result, anyhow};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::send::Destination;

use super::setup::Target;
use super::state::{DemoState, QueueKind, client_name, prefix};
use crate::cli::DedupMode;
use crate::receive::{self, Batch, ReceiveOptions};
use crate::send::{self, SendPlan, SendReport};

/// Batches buffered between each receiver and the screen (backpressure beyond this).
const BATCH_CHANNEL: usize = 8;
/// How long stopping waits for a receiver before giving up on it.
const RECEIVER_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A sender finished.
#[derive(Debug)]
pub struct SendDone {
    /// Its queue (with `--fanout`, the left one: the topic delivers to both).
    pub kind: QueueKind,
    /// The client (0 = A).
    pub client: u32,
    /// Messages it meant to send.
    pub planned: u64,
    /// The FIFO queue was expected to drop this round as a repeat.
    pub fifo_repeat: bool,
    /// What happened.
    pub outcome: Result<SendReport>,
}

/// What client `index` sends in prefix generation `generation`; `one_by_one` sends one
/// message per request, one request at a time (the reproducible schedule).
#[must_use]
pub fn plan(index: u32, generation: u32, count: u32, one_by_one: bool) -> SendPlan {
    let name = client_name(index);
    SendPlan {
        group: name.replace(' ', "-"),
        client_name: name,
        count: u64::from(count),
        prepend: prefix(index, generation),
        dedup: DedupMode::Auto,
        one_by_one,
        rate: None,
        // Each client's batches go one after another, so any reordering on screen is the
        // queue's doing, not the sender's (parallel requests arrive in any order).
        in_flight: 1,
    }
}

/// Starts the next round at `now`: one sender per client on each queue, all at once.
pub fn start_round(
    state: &mut DemoState,
    target: &Target,
    sends: &mut JoinSet<SendDone>,
    now: SystemTime,
) {
    let fifo_repeat = state.start_round(now);
    for (kind, to) in target.senders() {
        for index in 0..state.info.clients {
            let plan = plan(index, state.generation, state.info.count, false);
            let to = to.clone();
            sends.spawn(async move {
                let outcome = send_all(&to, &plan).await;
                SendDone {
                    kind,
                    client: index,
                    planned: plan.count,
                    fifo_repeat: fifo_repeat && kind == QueueKind::Fifo,
                    outcome,
                }
            });
        }
    }
}

/// Starts the next round at `now` and sends it in a fixed order, one request at a time:
/// each queue in turn, client after client. With a seeded server nothing else touches its
/// random stream meanwhile, so the run repeats exactly.
///
/// # Errors
/// A sender failed.
pub async fn send_round_in_order(
    state: &mut DemoState,
    target: &Target,
    now: SystemTime,
) -> Result<()> {
    let fifo_repeat = state.start_round(now);
    for (kind, to) in target.senders() {
        for index in 0..state.info.clients {
            let plan = plan(index, state.generation, state.info.count, true);
            let outcome = send_all(&to, &plan).await;
            let done = SendDone {
                kind,
                client: index,
                planned: plan.count,
                fifo_repeat: fifo_repeat && kind == QueueKind::Fifo,
                outcome,
            };
            if let Some(problem) = sender_done(state, done) {
                anyhow::bail!(problem);
            }
        }
    }
    Ok(())
}

/// Sends every message of `plan` to `to`.
async fn send_all(to: &Destination, plan: &SendPlan) -> Result<SendReport> {
    send::send_messages_until(to, plan, &|_| {}, CancellationToken::new()).await
}

/// Records a finished sender; returns a line to show when it failed.
pub fn sender_done(state: &mut DemoState, done: SendDone) -> Option<String> {
    let (kind, client, planned, fifo_repeat) =
        (done.kind, done.client, done.planned, done.fifo_repeat);
    match done.outcome {
        Ok(report) => {
            state.sender_done(kind, client, report.sent, planned, fifo_repeat);
            report.failed.first().map(|(number, error)| {
                format!(
                    "{} of {} messages not sent to the {} queue (message {number}: {error})",
                    report.failed.len(),
                    done.planned,
                    done.kind.label()
                )
            })
        }
        Err(error) => {
            state.sender_done(kind, client, 0, planned, fifo_repeat);
            Some(format!(
                "sending to the {} queue failed: {error:#}",
                done.kind.label()
            ))
        }
    }
}

/// The receivers (one per queue, or one at a time), each feeding its own channel.
pub struct Receivers {
    /// The two queues' kinds, left to right.
    kinds: [QueueKind; 2],
    /// Batches from the left queue, when it has a receiver.
    pub left: Option<mpsc::Receiver<Batch>>,
    /// Batches from the right queue, when it has a receiver.
    pub right: Option<mpsc::Receiver<Batch>>,
    tasks: Vec<(QueueKind, JoinHandle<Result<()>>)>,
    cancel: CancellationToken,
    /// Stops the receivers even when `stop` is never reached (an interrupted run).
    _cancel_on_drop: DropGuard,
}

impl Receivers {
    /// Starts a receiver on each of `kinds`.
    #[must_use]
    pub fn spawn(target: &Target, kinds: &[QueueKind]) -> Self {
        let options = ReceiveOptions {
            wait: target.wait,
            max: 10,
        };
        let cancel = CancellationToken::new();
        let mut receivers = Self {
            kinds: target.kinds,
            left: None,
            right: None,
            tasks: Vec::new(),
            cancel: cancel.clone(),
            _cancel_on_drop: cancel.clone().drop_guard(),
        };
        for &kind in kinds {
            let (tx, rx) = mpsc::channel(BATCH_CHANNEL);
            let sqs = target.sqs.clone();
            let queue = target.queue(kind).clone();
            let cancel = cancel.clone();
            let task = tokio::spawn(async move {
                receive::receive_loop(&sqs, &queue, options, tx, cancel).await
            });
            receivers.tasks.push((kind, task));
            *receivers.channel(kind) = Some(rx);
        }
        receivers
    }

    fn channel(&mut self, kind: QueueKind) -> &mut Option<mpsc::Receiver<Batch>> {
        if self.kinds[0] == kind {
            &mut self.left
        } else {
            &mut self.right
        }
    }

    /// The next batch from either queue, with its queue; `None` for a receiver that stopped
    /// (then [`Receivers::failure`] says why).
    pub async fn next_batch(&mut self) -> (QueueKind, Option<Batch>) {
        let [left, right] = self.kinds;
        tokio::select! {
            batch = next(&mut self.left) => (left, batch),
            batch = next(&mut self.right) => (right, batch),
        }
    }

    /// Why the receiver of `kind` stopped (its channel closed).
    pub async fn failure(&mut self, kind: QueueKind) -> anyhow::Error {
        *self.channel(kind) = None;
        let Some(at) = self.tasks.iter().position(|(k, _)| *k == kind) else {
            return anyhow!("the {} receiver stopped", kind.label());
        };
        let (_, task) = self.tasks.swap_remove(at);
        match task.await {
            Ok(Err(error)) => error.context(format!("receiving from the {} queue", kind.label())),
            Ok(Ok(())) => anyhow!("the {} receiver stopped", kind.label()),
            Err(error) => anyhow!("the {} receiver failed: {error}", kind.label()),
        }
    }

    /// Stops the receivers and waits for them. Batches not yet confirmed are not deleted.
    pub async fn stop(self) {
        self.cancel.cancel();
        drop(self.left);
        drop(self.right);
        for (_, task) in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(RECEIVER_STOP_TIMEOUT, task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

/// The next batch from `channel`; `None` when its receiver stopped. Never resolves without a
/// receiver, so it can sit in a `select!`.
async fn next(channel: &mut Option<mpsc::Receiver<Batch>>) -> Option<Batch> {
    match channel {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Applies a batch to the pane of `kind` and returns how many deliveries it held.
pub fn apply(state: &mut DemoState, kind: QueueKind, batch: &Batch) -> usize {
    let pane = state.pane_mut(kind);
    for delivery in &batch.deliveries {
        pane.observe(delivery);
    }
    batch.deliveries.len()
}
