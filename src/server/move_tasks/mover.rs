//! Moving a task's messages: [`step`] moves, under the state lock, as many messages as the
//! task's rate allows by now and says when to come back; [`run`] is the task's background
//! runner, which sleeps on the engine's clock between steps (no polling, no CPU while idle).
//!
//! A moved message keeps its id, body, attributes, sender and sent time, and starts afresh in
//! its destination: visible at once, receive count 0, no `DeadLetterQueueSourceArn`.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Status;
use crate::server::engine::Engine;
use crate::server::queue::{Queue, QueueKey};
use crate::server::store::{Now, State};

/// Most messages moved under one hold of the lock (an unpaced task moves in such batches,
/// letting requests in between).
pub const BATCH: u64 = 100;

/// The failure reason SQS records when a queue the task needs is gone.
pub const QUEUE_GONE: &str = "AWS.SimpleQueueService.NonExistentQueue";

/// What the runner does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Come back at this engine instant (or when woken).
    Wait(Instant),
    /// The task has ended (completed, cancelled, failed, or forgotten).
    Finished,
}

/// Runs one step of task `id`.
pub fn step(state: &mut State, id: &str, now: Now) -> Step {
    let Some(task) = state.move_tasks_mut().get_mut(id) else {
        return Step::Finished;
    };
    match task.status {
        Status::Running => {}
        Status::Cancelling => {
            task.status = Status::Cancelled;
            return Step::Finished;
        }
        Status::Completed | Status::Cancelled | Status::Failed => return Step::Finished,
    }
    let source = task.source.clone();
    let incarnation = task.source_incarnation;
    let horizon = task.horizon;
    let destination = task.destination_arn.clone();
    let budget = budget(task.rate, task.started_at, task.moved, now.at);
    let mut moved = 0;
    let outcome = loop {
        let Some(queue) = state
            .queue_mut(&source, now)
            .ok()
            .filter(|q| q.incarnation() == incarnation)
        else {
            break Err(QUEUE_GONE);
        };
        let Some(key) = next_message(queue, horizon, now.at) else {
            break Ok(true);
        };
        if moved >= budget {
            break Ok(false);
        }
        let target = destination
            .clone()
            .or_else(|| queue.message(key).and_then(|m| m.dlq_source_arn.clone()))
            .and_then(|arn| QueueKey::from_arn(&arn))
            .filter(|target| state.queue(target).is_ok());
        let Some(target) = target else {
            // [U] A message sent straight to the DLQ has no source to go back to; SQS's
            // behaviour is unrecorded, we fail the task as for a deleted destination.
            break Err(QUEUE_GONE);
        };
        move_one(state, &source, key, &target, now);
        moved += 1;
    };
    let Some(task) = state.move_tasks_mut().get_mut(id) else {
        return Step::Finished;
    };
    task.moved += moved;
    match outcome {
        Err(reason) => {
            task.status = Status::Failed;
            task.failure_reason = Some(reason.to_string());
            Step::Finished
        }
        Ok(true) => {
            task.status = Status::Completed;
            Step::Finished
        }
        Ok(false) => Step::Wait(next_due(task.rate, task.started_at, task.moved, now.at)),
    }
}

/// How many messages may move now: all due by the rate (the first at once), at most
/// [`BATCH`].
fn budget(rate: Option<u32>, started: Instant, moved: u64, now: Instant) -> u64 {
    let Some(rate) = rate else {
        return BATCH;
    };
    let elapsed = now.saturating_duration_since(started).as_nanos();
    let due = elapsed * u128::from(rate) / 1_000_000_000 + 1;
    u64::try_from(due)
        .unwrap_or(u64::MAX)
        .saturating_sub(moved)
        .min(BATCH)
}

/// When message number `moved` (0-based) is due; unpaced tasks go on at once.
fn next_due(rate: Option<u32>, started: Instant, moved: u64, now: Instant) -> Instant {
    let Some(rate) = rate.filter(|r| *r > 0) else {
        return now;
    };
    let nanos = (u128::from(moved) * 1_000_000_000).div_ceil(u128::from(rate));
    started + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The oldest message stored before the task started that is visible now.
fn next_message(queue: &Queue, horizon: u64, now: Instant) -> Option<u64> {
    queue
        .messages()
        .range(..horizon)
        .find(|(_, message)| message.is_visible(now))
        .map(|(key, _)| *key)
}

/// Moves message `key` from `source` to `target` (both exist).
fn move_one(state: &mut State, source: &QueueKey, key: u64, target: &QueueKey, now: Now) {
    let fifo = state.queue(target).is_ok_and(|q| q.config().fifo);
    let sequence_number = fifo.then(|| state.next_sequence_number());
    let Some(mut message) = state
        .queue_mut(source, now)
        .ok()
        .and_then(|q| q.remove(key))
    else {
        return;
    };
    message.sequence_number = sequence_number;
    message.dlq_source_arn = None;
    message.receipt = None;
    message.receive_count = 0;
    message.first_receive_ms = None;
    message.enqueued_at = now.at;
    message.visible_at = now.at;
    message.ghost = false;
    message.raced = false;
    message.settling = false;
    message.servers = if fifo { 1 } else { state.place(target) };
    let Ok(queue) = state.queue_mut(target, now) else {
        return;
    };
    queue.push(message);
    // A message moved in wakes every waiting poll for a full sweep.
    queue.wake_waiters();
}

/// The background runner of task `id`: steps, then sleeps until the next message is due, the
/// clock is moved, the task is cancelled, or the server stops.
pub async fn run(engine: Engine, id: String, wake: CancellationToken, stop: CancellationToken) {
    loop {
        // Listen for clock moves before looking, so one between the look and the sleep
        // is not missed.
        let ticks = engine.ticks();
        let advanced = ticks.notified();
        tokio::pin!(advanced);
        advanced.as_mut().enable();
        let Step::Wait(at) = engine.with_state(|state, now| step(state, &id, now)) else {
            return;
        };
        tokio::select! {
            () = engine.sleep_until(at) => {}
            () = &mut advanced => {}
            () = wake.cancelled() => {}
            () = stop.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_spaces_messages_from_the_start() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(budget(Some(1), start, 0, start), 1, "the first at once");
        assert_eq!(budget(Some(1), start, 1, at(999)), 0);
        assert_eq!(budget(Some(1), start, 1, at(1000)), 1);
        assert_eq!(
            budget(Some(1), start, 1, at(3500)),
            3,
            "catches up after a clock move"
        );
        assert_eq!(budget(Some(500), start, 0, at(10_000)), BATCH);
        assert_eq!(budget(None, start, 7, start), BATCH);
        assert_eq!(next_due(Some(1), start, 1, start), at(1000));
        assert_eq!(
            next_due(Some(3), start, 1, start),
            start + Duration::from_nanos(333_333_334)
        );
        assert_eq!(next_due(None, start, 5, at(7)), at(7));
        // At its due instant a message is always within budget (no busy loop on rounding).
        for rate in [1, 3, 7, 500] {
            for moved in 1..50 {
                let due = next_due(Some(rate), start, moved, start);
                assert!(budget(Some(rate), start, moved, due) >= 1, "{rate} {moved}");
            }
        }
    }
}
