//! One round of sending and the receivers that run for the whole demo: every message goes
//! through [`crate::send::send_messages`] and [`crate::receive::receive_loop`], the same code
//! `queue send` and `queue receive` use.

use std::time::{Duration, SystemTime};

use anyhow::{Result, anyhow};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

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
    /// Its queue.
    pub kind: QueueKind,
    /// Messages it meant to send.
    pub planned: u64,
    /// The FIFO queue was expected to drop this round as a repeat.
    pub fifo_repeat: bool,
    /// What happened.
    pub outcome: Result<SendReport>,
}

/// What client `index` sends in prefix generation `generation`.
#[must_use]
pub fn plan(index: u32, generation: u32, count: u32) -> SendPlan {
    let name = client_name(index);
    SendPlan {
        group: name.replace(' ', "-"),
        client_name: name,
        count: u64::from(count),
        prepend: prefix(index, generation),
        dedup: DedupMode::Auto,
        one_by_one: false,
        rate: None,
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
    for kind in QueueKind::BOTH {
        for index in 0..state.info.clients {
            let plan = plan(index, state.generation, state.info.count);
            let sqs = target.sqs.clone();
            let queue = target.queue(kind).clone();
            sends.spawn(async move {
                let outcome = send::send_messages(&sqs, &queue, &plan, &|_| {}).await;
                SendDone {
                    kind,
                    planned: plan.count,
                    fifo_repeat: fifo_repeat && kind == QueueKind::Fifo,
                    outcome,
                }
            });
        }
    }
}

/// Records a finished sender; returns a line to show when it failed.
pub fn sender_done(state: &mut DemoState, done: SendDone) -> Option<String> {
    let pane = state.pane_mut(done.kind);
    match done.outcome {
        Ok(report) => {
            pane.sender_done(report.sent, done.planned, done.fifo_repeat);
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
            pane.sender_done(0, done.planned, done.fifo_repeat);
            Some(format!(
                "sending to the {} queue failed: {error:#}",
                done.kind.label()
            ))
        }
    }
}

/// One receiver per queue, feeding two channels.
pub struct Receivers {
    /// Batches from the standard queue.
    pub standard: mpsc::Receiver<Batch>,
    /// Batches from the FIFO queue.
    pub fifo: mpsc::Receiver<Batch>,
    tasks: Vec<(QueueKind, JoinHandle<Result<()>>)>,
    cancel: CancellationToken,
}

impl Receivers {
    /// Starts both receivers.
    #[must_use]
    pub fn spawn(target: &Target, cancel: CancellationToken) -> Self {
        let options = ReceiveOptions {
            wait: target.wait,
            max: 10,
        };
        let mut tasks = Vec::new();
        let mut channel = |kind: QueueKind| {
            let (tx, rx) = mpsc::channel(BATCH_CHANNEL);
            let sqs = target.sqs.clone();
            let queue = target.queue(kind).clone();
            let cancel = cancel.clone();
            let task = tokio::spawn(async move {
                receive::receive_loop(&sqs, &queue, options, tx, cancel).await
            });
            tasks.push((kind, task));
            rx
        };
        let standard = channel(QueueKind::Standard);
        let fifo = channel(QueueKind::Fifo);
        Self {
            standard,
            fifo,
            tasks,
            cancel,
        }
    }

    /// Why the receiver of `kind` stopped (its channel closed).
    pub async fn failure(&mut self, kind: QueueKind) -> anyhow::Error {
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

    /// Stops both receivers and waits for them. Batches not yet confirmed are not deleted.
    pub async fn stop(self) {
        self.cancel.cancel();
        drop(self.standard);
        drop(self.fifo);
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

/// Applies a batch to the pane of `kind` and returns how many deliveries it held.
pub fn apply(state: &mut DemoState, kind: QueueKind, batch: &Batch) -> usize {
    let pane = state.pane_mut(kind);
    for delivery in &batch.deliveries {
        pane.observe(delivery);
    }
    batch.deliveries.len()
}
