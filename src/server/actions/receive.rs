//! ReceiveMessage: parameter rules, choosing messages (standard or FIFO), redrive to the
//! dead-letter queue, new receipt handles, attribute filters and ReceiveRequestAttemptId.
//! The waiting part of a long poll lives in the engine (`engine.rs`); this file answers one
//! attempt at a time.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use tokio::time::{Duration, Instant};

use crate::rules::{DEDUP_WINDOW, MAX_VISIBILITY_SECS};
use crate::server::answer::{Answer, Received, ReceivedMessage};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::md5::md5_of_attributes;
use crate::server::queue::{Attempt, Message, QueueKey, Receipt};
use crate::server::receipt::ReceiptRef;
use crate::server::standard::{self, Sweep};
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input, render_attributes};

/// System attribute names a receive may ask for.
const SYSTEM_NAMES: [&str; 9] = [
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
];

/// A validated ReceiveMessage.
#[derive(Debug, Clone)]
pub struct ReceiveMessageRequest {
    /// The queue.
    pub key: QueueKey,
    /// 1–10.
    pub max: usize,
    /// Seconds to wait (explicit, else the queue's ReceiveMessageWaitTimeSeconds).
    pub wait: u64,
    /// Visibility timeout for the returned messages, else the queue's.
    pub visibility: Option<u64>,
    /// System attributes wanted (union of AttributeNames and MessageSystemAttributeNames).
    pub system: BTreeSet<String>,
    /// MessageAttributeNames filters.
    pub attribute_filters: Vec<String>,
    /// FIFO ReceiveRequestAttemptId.
    pub attempt_id: Option<String>,
}

/// What one receive attempt came to: an answer, or what to wait for before trying again.
pub enum ReceiveStep {
    /// Answer now.
    Done(Answer),
    /// Nothing yet: wait for a wake or until `wake_at` (a delay or visibility expiry).
    Wait {
        /// Next time something becomes visible.
        wake_at: Option<Instant>,
    },
}

impl ReceiveMessageRequest {
    /// Validates a ReceiveMessage and resolves its queue: [`Action::parse`]'s rule, although
    /// a receive is no [`Action`] (a long poll attempts it more than once, see [`attempt`]).
    ///
    /// [`Action::parse`]: super::Action::parse
    /// [`Action`]: super::Action
    ///
    /// # Errors
    /// QueueDoesNotExist, range errors.
    pub fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let queue = state.queue(&key)?;
        let max = match input.int_opt("MaxNumberOfMessages")? {
            None => 1,
            Some(n) if (1..=10).contains(&n) => n.unsigned_abs(),
            Some(n) => {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
                )));
            }
        };
        let wait = match input.int_opt("WaitTimeSeconds")? {
            None => u64::from(queue.config().receive_message_wait_time_seconds),
            Some(n) if (0..=20).contains(&n) => n.unsigned_abs(),
            Some(n) => {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {n} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
                )));
            }
        };
        let visibility = input
            .int_opt("VisibilityTimeout")?
            .map(|v| validate::int_in_range("VisibilityTimeout", v, 0, MAX_VISIBILITY_SECS))
            .transpose()?
            .map(i64::unsigned_abs);
        let mut system = BTreeSet::new();
        for name in input
            .str_list("AttributeNames")?
            .into_iter()
            .chain(input.str_list("MessageSystemAttributeNames")?)
        {
            if name == "All" {
                system.extend(SYSTEM_NAMES.iter().map(|s| (*s).to_string()));
            } else if SYSTEM_NAMES.contains(&name.as_str()) {
                system.insert(name);
            }
            // [U] Unknown names are ignored, as for MessageAttributeNames.
        }
        let attempt_id = input.str_opt("ReceiveRequestAttemptId")?;
        if let Some(id) = attempt_id {
            validate::fifo_token("ReceiveRequestAttemptId", id)?;
        }
        Ok(Self {
            key,
            max: usize::try_from(max).unwrap_or(10),
            wait,
            visibility,
            system,
            attribute_filters: input.str_list("MessageAttributeNames")?,
            attempt_id: attempt_id.map(str::to_string),
        })
    }
}

/// One attempt: returns messages if any are receivable (or `last` is set), else says what to
/// wait for. `sweep` says which simulated servers a standard queue reads. An answer counts
/// toward the queue's `NumberOfMessagesReceived` or `NumberOfEmptyReceives`.
///
/// # Errors
/// None today beyond a vanished queue answering empty; kept fallible for symmetry.
pub fn attempt(
    state: &mut State,
    req: &ReceiveMessageRequest,
    now: Now,
    long_poll: bool,
    sweep: Sweep,
    last: bool,
) -> Result<ReceiveStep, SqsError> {
    let step = look(state, req, now, long_poll, sweep, last)?;
    if let ReceiveStep::Done(answer) = &step
        && state.queue(&req.key).is_ok()
    {
        state
            .metrics_mut()
            .received(&req.key, answer.delivered(), now.epoch_ms);
    }
    Ok(step)
}

/// [`attempt`] without the counting.
fn look(
    state: &mut State,
    req: &ReceiveMessageRequest,
    now: Now,
    long_poll: bool,
    sweep: Sweep,
    last: bool,
) -> Result<ReceiveStep, SqsError> {
    let Ok(queue) = state.queue_mut(&req.key, now) else {
        // [U] The queue was deleted while we waited: answer empty.
        return Ok(ReceiveStep::Done(empty()));
    };
    let fifo = queue.config().fifo;
    if fifo && let Some(answer) = replay_attempt(state, req, now) {
        return Ok(ReceiveStep::Done(Answer::Value(answer)));
    }
    let dlq = dead_letter_target(state, &req.key);
    // Enough candidates to fill the answer even if some are moved to the dead-letter queue;
    // without one, every candidate is delivered, so the answer's size is enough (a deep queue
    // is then read no further than the answer).
    let limit = if dlq.is_some() {
        req.max * 20 + 100
    } else {
        req.max
    };
    let Ok(queue) = state.queue(&req.key) else {
        return Ok(ReceiveStep::Done(empty()));
    };
    let replicated = !fifo && queue.server_weights().len() > 1;
    // Whether a full sweep finds the queue busy: worked out once, for `raced` and the choice.
    let busy = replicated && sweep == Sweep::Full && standard::is_busy(queue, now.at);
    // A standard message received in a race with a send, or from a busy queue, may come back
    // after its delete (a replica missed it).
    let raced = replicated && (matches!(sweep, Sweep::Listening(_)) || busy);
    let candidates = state.candidates(&req.key, now.at, long_poll, sweep, busy, limit);
    let Ok(queue) = state.queue_mut(&req.key, now) else {
        return Ok(ReceiveStep::Done(empty()));
    };
    let mut chosen = Vec::new();
    let mut moved = Vec::new();
    for key in candidates {
        if chosen.len() >= req.max {
            break;
        }
        let Some(message) = queue.message(key) else {
            continue;
        };
        // A message moved here from a dead-letter source is delivered here at least once
        // before it can move on, so a redrive cycle cannot bounce it forever.
        let just_moved = message.dlq_source_arn.is_some() && message.receipt.is_none();
        if let Some((_, max_receives)) = &dlq
            && message.receive_count >= *max_receives
            && !just_moved
        {
            if let Some(message) = queue.remove(key) {
                moved.push(message);
            }
            continue;
        }
        chosen.push(key);
    }
    if !moved.is_empty()
        && let Some((dlq_key, _)) = &dlq
    {
        move_to_dlq(state, &req.key, dlq_key, moved, now);
    }
    if chosen.is_empty() {
        let Ok(queue) = state.queue(&req.key) else {
            return Ok(ReceiveStep::Done(empty()));
        };
        if last {
            return Ok(ReceiveStep::Done(empty()));
        }
        return Ok(ReceiveStep::Wait {
            wake_at: queue.next_change(now.at),
        });
    }
    let answer = deliver(state, req, &chosen, raced, now);
    Ok(ReceiveStep::Done(answer))
}

/// The answer of a receive that delivers nothing: `{}`.
fn empty() -> Answer {
    Answer::Value(Value::Object(Map::new()))
}

/// The DLQ key and maxReceiveCount when the queue has a redrive policy whose target exists.
fn dead_letter_target(state: &State, key: &QueueKey) -> Option<(QueueKey, u32)> {
    let policy = state.queue(key).ok()?.config().redrive_policy.clone()?;
    let target = QueueKey::from_arn(&policy.target_arn)?;
    // [U] A policy pointing at a missing queue, or at the queue itself (moving a message into
    // its own queue would hide it for good and wake its long polls in a loop): messages are
    // delivered normally.
    (target != *key && state.queue(&target).is_ok()).then_some((target, policy.max_receive_count))
}

/// Moves messages whose receive count reached maxReceiveCount into the DLQ, keeping
/// MessageId, body, attributes and the receive count, and recording the source ARN. Standard
/// queues keep the original enqueue time for retention; FIFO resets it.
fn move_to_dlq(
    state: &mut State,
    source: &QueueKey,
    target: &QueueKey,
    moved: Vec<Message>,
    now: Now,
) {
    let source_arn = source.arn();
    let Ok(fifo) = state.queue(target).map(|dlq| dlq.config().fifo) else {
        return;
    };
    for mut message in moved {
        message.dlq_source_arn = Some(source_arn.clone());
        message.receipt = None;
        message.visible_at = now.at;
        message.ghost = false;
        message.raced = false;
        message.settling = false;
        if fifo {
            message.enqueued_at = now.at;
        } else {
            message.servers = state.place(target);
        }
        if let Ok(dlq) = state.queue_mut(target, now) {
            dlq.push(message);
        }
    }
    if let Ok(dlq) = state.queue_mut(target, now) {
        dlq.wake_waiters();
    }
}

/// FIFO: the stored answer for a repeated ReceiveRequestAttemptId, if nothing changed since
/// (every message still in flight from that receive); visibility is reset.
fn replay_attempt(state: &mut State, req: &ReceiveMessageRequest, now: Now) -> Option<Value> {
    let id = req.attempt_id.as_ref()?;
    let queue = state.queue_mut(&req.key, now).ok()?;
    let attempt = queue
        .attempt(id)
        .filter(|a| a.at + DEDUP_WINDOW > now.at)?
        .clone();
    let unchanged = attempt.messages.iter().all(|(key, serial)| {
        queue
            .message(*key)
            .and_then(|m| m.receipt)
            .is_some_and(|r| r.serial == *serial)
    });
    if !unchanged {
        return None;
    }
    let visibility = Duration::from_secs(
        req.visibility
            .unwrap_or(u64::from(queue.config().visibility_timeout)),
    );
    for (key, _) in &attempt.messages {
        if let Some(message) = queue.message_mut(*key) {
            message.visible_at = now.at + visibility;
        }
    }
    Some(attempt.response)
}

/// Marks the chosen messages received and renders the answer.
fn deliver(
    state: &mut State,
    req: &ReceiveMessageRequest,
    chosen: &[u64],
    raced: bool,
    now: Now,
) -> Answer {
    let mut rendered = Vec::with_capacity(chosen.len());
    let mut record = Vec::new();
    for key in chosen {
        let serial = state.next_serial();
        let Ok(queue) = state.queue(&req.key) else {
            break;
        };
        let incarnation = queue.incarnation();
        let visibility = Duration::from_secs(
            req.visibility
                .unwrap_or(u64::from(queue.config().visibility_timeout)),
        );
        let handle = state.receipt_handle(ReceiptRef {
            incarnation,
            message: *key,
            serial,
        });
        let Some(message) = state
            .queue_mut(&req.key, now)
            .ok()
            .and_then(|q| q.message_mut(*key))
        else {
            continue;
        };
        message.receive_count += 1;
        message.first_receive_ms.get_or_insert(now.epoch_ms);
        message.raced |= raced;
        message.settling = false;
        let group = message.group_id.clone();
        message.visible_at = now.at + visibility;
        message.receipt = Some(Receipt {
            serial,
            received_at: now.at,
        });
        record.push((*key, serial));
        rendered.push(render(message, handle, req));
        // FIFO: the group goes to the back of the line once it is available again.
        if let Ok(queue) = state.queue_mut(&req.key, now) {
            queue.touch_group(group.as_deref(), now.at);
        }
    }
    let answer = Answer::Received(Received { messages: rendered });
    if let (Some(id), Ok(queue)) = (&req.attempt_id, state.queue_mut(&req.key, now))
        && queue.config().fifo
    {
        // Kept as a value: a repeated attempt is answered the same, in any protocol.
        let answer = answer.into_value();
        queue.remember_attempt(
            id.clone(),
            Attempt {
                at: now.at,
                messages: record,
                response: answer.clone(),
            },
        );
        return Answer::Value(answer);
    }
    answer
}

/// Whether a user attribute name passes the MessageAttributeNames filters (`All`, `.*`, `*`,
/// `prefix.*`, exact names; anything else, even illegal names, just matches nothing).
fn wanted(name: &str, filters: &[String]) -> bool {
    filters.iter().any(|f| match f.as_str() {
        "All" | ".*" | "*" => true,
        f => f
            .strip_suffix(".*")
            .map_or(f == name, |prefix| name.starts_with(prefix)),
    })
}

/// The delivered message as the answer lists it: the system attributes asked for, and the
/// user attributes that pass the filters with their MD5.
fn render(message: &Message, handle: String, req: &ReceiveMessageRequest) -> ReceivedMessage {
    let mut attributes = Map::new();
    for name in &req.system {
        let value = match name.as_str() {
            "SenderId" => Some(message.sender_id.clone()),
            "SentTimestamp" => Some(message.sent_ms.to_string()),
            "ApproximateReceiveCount" => Some(message.receive_count.to_string()),
            "ApproximateFirstReceiveTimestamp" => message.first_receive_ms.map(|t| t.to_string()),
            "SequenceNumber" => message.sequence_number.clone(),
            "MessageDeduplicationId" => message.dedup_id.clone(),
            "MessageGroupId" => message.group_id.clone(),
            "AWSTraceHeader" => message.trace_header.clone(),
            "DeadLetterQueueSourceArn" => message.dlq_source_arn.clone(),
            _ => None,
        };
        if let Some(value) = value {
            attributes.insert(name.clone(), json!(value));
        }
    }
    let (md5_of_message_attributes, message_attributes) = if message.attributes.is_empty() {
        // Nothing to filter: no MD5, no map (the common case, worked out for free).
        (None, None)
    } else {
        let selected: std::collections::BTreeMap<String, _> = message
            .attributes
            .iter()
            .filter(|(name, _)| wanted(name, &req.attribute_filters))
            .map(|(n, a)| (n.clone(), a.clone()))
            .collect();
        match md5_of_attributes(&selected) {
            Some(md5) => (Some(md5), Some(render_attributes(&selected))),
            None => (None, None),
        }
    };
    ReceivedMessage {
        attributes: (!attributes.is_empty()).then_some(attributes),
        body: message.body.clone(),
        md5_of_body: message.md5_body.clone(),
        md5_of_message_attributes,
        message_attributes,
        message_id: message.id.clone(),
        receipt_handle: handle,
    }
}

#[cfg(test)]
mod tests;
