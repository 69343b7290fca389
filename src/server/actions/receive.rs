//! ReceiveMessage: parameter rules, choosing messages (standard or FIFO), redrive to the
//! dead-letter queue, new receipt handles, attribute filters and ReceiveRequestAttemptId.
//! The waiting part of a long poll lives in the engine (`engine.rs`); this file answers one
//! attempt at a time.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use tokio::time::{Duration, Instant};

use crate::rules::{DEDUP_WINDOW, MAX_VISIBILITY_SECS};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::fifo;
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
pub struct ReceiveRequest {
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
    Done(Value),
    /// Nothing yet: wait for a wake or until `wake_at` (a delay or visibility expiry).
    Wait {
        /// Next time something becomes visible.
        wake_at: Option<Instant>,
    },
}

/// Validates a ReceiveMessage and resolves its queue.
///
/// # Errors
/// Range errors, QueueDoesNotExist.
pub fn parse(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<ReceiveRequest, SqsError> {
    let key = State::key_of(ctx, input)?;
    let queue = state.queue_mut(ctx, input, now)?;
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
        None => u64::from(queue.config.receive_message_wait_time_seconds),
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
    Ok(ReceiveRequest {
        key,
        max: usize::try_from(max).unwrap_or(10),
        wait,
        visibility,
        system,
        attribute_filters: input.str_list("MessageAttributeNames")?,
        attempt_id: attempt_id.map(str::to_string),
    })
}

/// One attempt: returns messages if any are receivable (or `last` is set), else says what to
/// wait for. `sweep` says which simulated servers a standard queue reads.
///
/// # Errors
/// None today beyond a vanished queue answering empty; kept fallible for symmetry.
pub fn attempt(
    state: &mut State,
    req: &ReceiveRequest,
    now: Now,
    long_poll: bool,
    sweep: Sweep,
    last: bool,
) -> Result<ReceiveStep, SqsError> {
    let Some(queue) = state.queues.get_mut(&req.key) else {
        // [U] The queue was deleted while we waited: answer empty.
        return Ok(ReceiveStep::Done(json!({})));
    };
    queue.expire(now.at);
    let fifo = queue.config.fifo;
    if fifo && let Some(answer) = replay_attempt(state, req, now) {
        return Ok(ReceiveStep::Done(answer));
    }
    let dlq = dead_letter_target(state, &req.key);
    let State { queues, rng, .. } = &mut *state;
    let Some(queue) = queues.get_mut(&req.key) else {
        return Ok(ReceiveStep::Done(json!({})));
    };
    // Enough candidates to fill the answer even if some are moved to the dead-letter queue.
    let limit = req.max * 20 + 100;
    // A standard message received in a race with a send, or from a busy queue, may come back
    // after its delete (a replica missed it).
    let raced = !fifo
        && queue.server_weights.len() > 1
        && (matches!(sweep, Sweep::Listening(_)) || standard::is_busy(queue, now.at));
    let candidates = if fifo {
        fifo::candidates(queue, now.at, limit)
    } else {
        standard::candidates(queue, rng, now.at, long_poll, sweep, limit)
    };
    let mut chosen = Vec::new();
    let mut moved = Vec::new();
    for key in candidates {
        if chosen.len() >= req.max {
            break;
        }
        let Some(message) = queue.messages.get(&key) else {
            continue;
        };
        // A message moved here from a dead-letter source is delivered here at least once
        // before it can move on, so a redrive cycle cannot bounce it forever.
        let just_moved = message.dlq_source_arn.is_some() && message.receipt.is_none();
        if let Some((_, max_receives)) = &dlq
            && message.receive_count >= *max_receives
            && !just_moved
        {
            if let Some(message) = queue.messages.remove(&key) {
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
        let Some(queue) = state.queues.get(&req.key) else {
            return Ok(ReceiveStep::Done(json!({})));
        };
        if last {
            return Ok(ReceiveStep::Done(json!({})));
        }
        return Ok(ReceiveStep::Wait {
            wake_at: queue.next_change(now.at),
        });
    }
    let answer = deliver(state, req, &chosen, raced, now);
    Ok(ReceiveStep::Done(answer))
}

/// The DLQ key and maxReceiveCount when the queue has a redrive policy whose target exists.
fn dead_letter_target(state: &State, key: &QueueKey) -> Option<(QueueKey, u32)> {
    let policy = state.queues.get(key)?.config.redrive_policy.clone()?;
    let target = QueueKey::from_arn(&policy.target_arn)?;
    // [U] A policy pointing at a missing queue, or at the queue itself (moving a message into
    // its own queue would hide it for good and wake its long polls in a loop): messages are
    // delivered normally.
    (target != *key && state.queues.contains_key(&target))
        .then_some((target, policy.max_receive_count))
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
    let State { queues, rng, .. } = state;
    let Some(dlq) = queues.get_mut(target) else {
        return;
    };
    for mut message in moved {
        message.dlq_source_arn = Some(source_arn.clone());
        message.receipt = None;
        message.visible_at = now.at;
        message.ghost = false;
        message.raced = false;
        message.settling = false;
        if dlq.config.fifo {
            message.enqueued_at = now.at;
        } else {
            message.servers = standard::place(rng, &dlq.server_weights);
        }
        dlq.push(message);
    }
    // A standard DLQ keeps the original enqueue time, which may expire sooner.
    dlq.housekeeping_due = None;
    dlq.waiters.wake_all();
}

/// FIFO: the stored answer for a repeated ReceiveRequestAttemptId, if nothing changed since
/// (every message still in flight from that receive); visibility is reset.
fn replay_attempt(state: &mut State, req: &ReceiveRequest, now: Now) -> Option<Value> {
    let id = req.attempt_id.as_ref()?;
    let queue = state.queues.get_mut(&req.key)?;
    let attempt = queue
        .attempts
        .get(id)
        .filter(|a| a.at + DEDUP_WINDOW > now.at)?
        .clone();
    let unchanged = attempt.messages.iter().all(|(key, serial)| {
        queue
            .messages
            .get(key)
            .and_then(|m| m.receipt)
            .is_some_and(|r| r.serial == *serial)
    });
    if !unchanged {
        return None;
    }
    let visibility = Duration::from_secs(
        req.visibility
            .unwrap_or(u64::from(queue.config.visibility_timeout)),
    );
    for (key, _) in &attempt.messages {
        if let Some(message) = queue.messages.get_mut(key) {
            message.visible_at = now.at + visibility;
        }
    }
    Some(attempt.response)
}

/// Marks the chosen messages received and renders the answer.
fn deliver(
    state: &mut State,
    req: &ReceiveRequest,
    chosen: &[u64],
    raced: bool,
    now: Now,
) -> Value {
    let mut rendered = Vec::new();
    let mut record = Vec::new();
    for key in chosen {
        let serial = state.next_serial();
        let Some(queue) = state.queues.get(&req.key) else {
            break;
        };
        let incarnation = queue.incarnation;
        let visibility = Duration::from_secs(
            req.visibility
                .unwrap_or(u64::from(queue.config.visibility_timeout)),
        );
        let handle = state.receipt_handle(ReceiptRef {
            incarnation,
            message: *key,
            serial,
        });
        let Some(message) = state
            .queues
            .get_mut(&req.key)
            .and_then(|q| q.messages.get_mut(key))
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
        rendered.push(render(message, &handle, req));
        // FIFO: the group goes to the back of the line once it is available again.
        if let Some(queue) = state.queues.get_mut(&req.key) {
            queue.touch_group(group.as_deref(), now.at);
        }
    }
    let answer = json!({ "Messages": rendered });
    if let (Some(id), Some(queue)) = (&req.attempt_id, state.queues.get_mut(&req.key))
        && queue.config.fifo
    {
        queue.attempts.insert(
            id.clone(),
            Attempt {
                at: now.at,
                messages: record,
                response: answer.clone(),
            },
        );
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

fn render(message: &Message, handle: &str, req: &ReceiveRequest) -> Value {
    let mut out = Map::new();
    out.insert("MessageId".into(), json!(message.id));
    out.insert("ReceiptHandle".into(), json!(handle));
    out.insert("MD5OfBody".into(), json!(message.md5_body));
    out.insert("Body".into(), json!(message.body));
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
    if !attributes.is_empty() {
        out.insert("Attributes".into(), Value::Object(attributes));
    }
    let selected: std::collections::BTreeMap<String, _> = message
        .attributes
        .iter()
        .filter(|(name, _)| wanted(name, &req.attribute_filters))
        .map(|(n, a)| (n.clone(), a.clone()))
        .collect();
    if let Some(md5) = md5_of_attributes(&selected) {
        out.insert("MD5OfMessageAttributes".into(), json!(md5));
        out.insert("MessageAttributes".into(), render_attributes(&selected));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
