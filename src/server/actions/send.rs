//! SendMessage and SendMessageBatch: body, attribute and size rules, delays, FIFO groups,
//! deduplication and sequence numbers.

use std::collections::BTreeMap;

use serde_json::Value;
use tokio::time::Duration;

use super::Action;
use super::batch;
use crate::rules::{DEDUP_WINDOW, content_dedup_id};
use crate::server::answer::{self, Batch, SendResult};
use crate::server::attributes::QueueConfig;
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::md5::{MessageAttribute, md5_of_attributes, md5_of_body};
use crate::server::queue::{DedupRecord, Message, QueueKey};
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// The whole-batch size limit.
const BATCH_LIMIT: usize = 1_048_576;

/// SendMessage.
#[derive(Debug)]
pub struct SendMessageRequest {
    /// The queue.
    key: QueueKey,
    /// The SenderId to record.
    sender_id: String,
    /// The message.
    message: Outgoing,
}

impl Action for SendMessageRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, validation errors.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let config = state.queue(&key)?.config();
        if config.fifo {
            fifo_group_and_dedup(config, input, false)?;
        }
        let message = Outgoing::parse(config, ctx, input, false)?;
        Ok(Self {
            key,
            sender_id: ctx.sender_id.clone(),
            message,
        })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        enqueue(state, &self.key, &self.sender_id, self.message, now)
            .map(|sent| answer::to_value(&sent))
    }
}

/// SendMessageBatch.
#[derive(Debug)]
pub struct SendMessageBatchRequest {
    /// The queue.
    key: QueueKey,
    /// The SenderId to record.
    sender_id: String,
    /// The entries, in order.
    entries: Vec<SendEntry>,
}

/// One entry of a SendMessageBatch.
#[derive(Debug)]
struct SendEntry {
    /// The entry's `Id`.
    id: String,
    /// FIFO: the entry's MessageGroupId (a failed entry fails the later ones of its group).
    group: Option<String>,
    /// The message, or why this entry fails.
    message: Result<Outgoing, SqsError>,
}

impl Action for SendMessageBatchRequest {
    type Output = Batch<SendResult>;

    /// # Errors
    /// QueueDoesNotExist, whole-request errors; per-entry ones go in `Failed`.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let config = state.queue(&key)?.config();
        let entries = input.list("Entries")?;
        let ids = batch::check_entries(&entries, "SendMessageBatchRequestEntry")?;
        let total: usize = entries.iter().map(raw_size).sum();
        if total > BATCH_LIMIT {
            return Err(SqsError::batch_request_too_long(BATCH_LIMIT, total));
        }
        if config.fifo {
            for entry in &entries {
                fifo_group_and_dedup(config, entry, true)?;
            }
        }
        let entries = ids
            .into_iter()
            .zip(entries)
            .map(|(id, entry)| {
                let group = config
                    .fifo
                    .then(|| entry.str_opt("MessageGroupId").ok().flatten())
                    .flatten()
                    .map(str::to_string);
                let message = Outgoing::parse(config, ctx, &entry, true);
                SendEntry { id, group, message }
            })
            .collect();
        Ok(Self {
            key,
            sender_id: ctx.sender_id.clone(),
            entries,
        })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Batch<SendResult>, SqsError> {
        state.queue_mut(&self.key, now)?;
        let mut successful = Vec::with_capacity(self.entries.len());
        let mut failed = Vec::new();
        // FIFO order holds across a failure: once an entry of a group fails, the later entries
        // of that group in this batch fail too, so a sender that retries the failed ones keeps
        // its order. [U] SQS does not document this case; it is the only behaviour that keeps
        // the in-group order guarantee.
        let mut failed_groups: Vec<String> = Vec::new();
        for SendEntry { id, group, message } in self.entries {
            if group
                .as_ref()
                .is_some_and(|g| failed_groups.iter().any(|f| f == g))
            {
                failed.push(batch::injected_failure(&id));
                continue;
            }
            let outcome = if state.entry_fails() {
                Err(batch::injected_failure(&id))
            } else {
                message
                    .and_then(|message| enqueue(state, &self.key, &self.sender_id, message, now))
                    .map_err(|error| batch::failed(&id, &error))
            };
            match outcome {
                Ok(mut sent) => {
                    sent.id = Some(id);
                    successful.push(sent);
                }
                Err(failure) => {
                    if let Some(group) = group {
                        failed_groups.push(group);
                    }
                    failed.push(failure);
                }
            }
        }
        Ok(Batch { failed, successful })
    }
}
/// Bytes an entry counts toward the batch limit: body plus attribute names, types, values.
fn raw_size(input: &Input<'_>) -> usize {
    let body = input
        .str_opt("MessageBody")
        .ok()
        .flatten()
        .map_or(0, str::len);
    let attributes = input
        .get("MessageAttributes")
        .and_then(Value::as_object)
        .map_or(0, |map| {
            map.iter()
                .map(|(name, spec)| {
                    let field = |f: &str| spec.get(f).and_then(Value::as_str).map_or(0, str::len);
                    name.len()
                        + field("DataType")
                        + field("StringValue")
                        + field("BinaryValue") * 3 / 4
                })
                .sum()
        });
    body + attributes
}

/// The FIFO checks that fail a whole request: a group id, and a dedup id or content-based
/// deduplication.
fn fifo_group_and_dedup(
    config: &QueueConfig,
    input: &Input<'_>,
    batch: bool,
) -> Result<(), SqsError> {
    let group = input.str_opt("MessageGroupId")?;
    if group.is_none() {
        return Err(if batch {
            SqsError::invalid_parameter_value(
                "The request must contain the parameter MessageGroupId.",
            )
        } else {
            SqsError::missing_parameter("MessageGroupId")
        });
    }
    if input.str_opt("MessageDeduplicationId")?.is_none() && !config.content_based_deduplication {
        return Err(SqsError::invalid_parameter_value(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(())
}

/// One message to send, checked against its queue's settings.
#[derive(Debug)]
struct Outgoing {
    /// The body.
    body: String,
    /// MD5 of the body.
    md5_body: String,
    /// User attributes.
    attributes: BTreeMap<String, MessageAttribute>,
    /// MD5 of the user attributes, if any.
    md5_attributes: Option<String>,
    /// MD5 of the system attributes, if any.
    md5_system: Option<String>,
    /// `AWSTraceHeader`: the system attribute, else the request's X-Amzn-Trace-Id.
    trace_header: Option<String>,
    /// DelaySeconds (the queue's unless the message sets one; FIFO: always the queue's).
    delay: Duration,
    /// MessageGroupId.
    group: Option<String>,
    /// FIFO: MessageDeduplicationId, explicit or content-based.
    dedup_id: Option<String>,
}

impl Outgoing {
    /// Checks one message (body, attributes, size, delay, group and dedup ids) against the
    /// queue's settings.
    fn parse(
        config: &QueueConfig,
        ctx: &RequestContext,
        input: &Input<'_>,
        in_batch: bool,
    ) -> Result<Self, SqsError> {
        let body = input.str_opt("MessageBody")?.unwrap_or("");
        if body.is_empty() {
            return Err(SqsError::missing_parameter("MessageBody"));
        }
        validate::body_chars(body)?;
        let attributes = validate::message_attributes(input.get("MessageAttributes"), false)?;
        let system = validate::message_attributes(input.get("MessageSystemAttributes"), true)?;
        let size = body.len() + attributes.iter().map(|(n, a)| a.size(n)).sum::<usize>();
        if size > config.maximum_message_size as usize {
            let verb = if in_batch {
                "cannot be validated"
            } else {
                "are invalid"
            };
            return Err(SqsError::invalid_parameter_value(format!(
                "One or more parameters {verb}. Reason: Message must be shorter than {} bytes.",
                config.maximum_message_size
            )));
        }
        let delay = match input.int_opt("DelaySeconds")? {
            None => u64::from(config.delay_seconds),
            Some(d) if config.fifo => {
                if d != 0 {
                    return Err(SqsError::invalid_parameter_value(format!(
                        "Value {d} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
                    )));
                }
                u64::from(config.delay_seconds)
            }
            Some(d) => {
                if !(0..=900).contains(&d) {
                    return Err(SqsError::invalid_parameter_value(format!(
                        "Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
                    )));
                }
                d.unsigned_abs()
            }
        };
        let group = input.str_opt("MessageGroupId")?;
        if let Some(group) = group {
            validate::fifo_token("MessageGroupId", group)?;
        }
        let explicit_dedup = input.str_opt("MessageDeduplicationId")?;
        if let Some(id) = explicit_dedup {
            if !config.fifo {
                // [U] AWS text unrecorded; LocalStack and ElasticMQ reject it like this.
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {id} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type."
                )));
            }
            validate::fifo_token("MessageDeduplicationId", id)?;
        }
        let trace_header = match system.get("AWSTraceHeader") {
            Some(MessageAttribute {
                value: crate::server::md5::AttributeValue::Text(t),
                ..
            }) => Some(t.clone()),
            _ => ctx.trace_header.clone(),
        };
        Ok(Self {
            body: body.to_string(),
            md5_body: md5_of_body(body),
            md5_attributes: md5_of_attributes(&attributes),
            md5_system: md5_of_attributes(&system),
            attributes,
            trace_header,
            delay: Duration::from_secs(delay),
            group: group.map(str::to_string),
            dedup_id: config
                .fifo
                .then(|| explicit_dedup.map_or_else(|| content_dedup_id(body), str::to_string)),
        })
    }
}

/// A message SNS hands to a queue it delivers to, checked by SNS already.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The body (the published message, or its JSON envelope).
    pub body: String,
    /// Message attributes (raw delivery only).
    pub attributes: BTreeMap<String, MessageAttribute>,
    /// MessageGroupId (FIFO topics to FIFO queues; fair standard queues).
    pub group: Option<String>,
    /// FIFO queues: the deduplication id SNS passes on.
    pub dedup_id: Option<String>,
}

/// Stores a message SNS delivers, held to the queue's own rules (its size limit, FIFO's
/// group, its delay); answers the queue's MessageId.
///
/// # Errors
/// The queue does not exist or refuses the message.
pub fn deliver(
    state: &mut State,
    key: &QueueKey,
    sender_id: &str,
    delivery: Delivery,
    now: Now,
) -> Result<String, SqsError> {
    let config = state.queue(key)?.config();
    let size = delivery.body.len()
        + delivery
            .attributes
            .iter()
            .map(|(n, a)| a.size(n))
            .sum::<usize>();
    if size > config.maximum_message_size as usize {
        return Err(SqsError::invalid_parameter_value(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
            config.maximum_message_size
        )));
    }
    if config.fifo && delivery.group.is_none() {
        return Err(SqsError::missing_parameter("MessageGroupId"));
    }
    let dedup_id = config.fifo.then(|| {
        delivery
            .dedup_id
            .unwrap_or_else(|| content_dedup_id(&delivery.body))
    });
    let outgoing = Outgoing {
        md5_body: md5_of_body(&delivery.body),
        md5_attributes: md5_of_attributes(&delivery.attributes),
        md5_system: None,
        body: delivery.body,
        attributes: delivery.attributes,
        trace_header: None,
        delay: Duration::from_secs(u64::from(config.delay_seconds)),
        group: delivery.group,
        dedup_id,
    };
    enqueue(state, key, sender_id, outgoing, now).map(|sent| sent.message_id)
}

/// Stores a checked message (or, for a FIFO duplicate, answers the original).
fn enqueue(
    state: &mut State,
    key: &QueueKey,
    sender_id: &str,
    outgoing: Outgoing,
    now: Now,
) -> Result<SendResult, SqsError> {
    let queue = state.queue_mut(key, now)?;
    let fifo = queue.config().fifo;
    let group = outgoing.group.as_deref().unwrap_or("");
    if let Some(dedup_id) = &outgoing.dedup_id
        && let Some(record) = queue.duplicate_of(group, dedup_id, now.at)
    {
        // [U] Duplicates are accepted and answered with the original MessageId and
        // SequenceNumber (what emulators say AWS does).
        return Ok(SendResult {
            id: None,
            md5_of_message_attributes: outgoing.md5_attributes,
            md5_of_message_body: outgoing.md5_body,
            md5_of_message_system_attributes: outgoing.md5_system,
            message_id: record.message_id.clone(),
            sequence_number: Some(record.sequence_number.clone()),
        });
    }
    let message_id = state.new_message_id();
    let sequence_number = fifo.then(|| state.next_sequence_number());
    let servers = if fifo { 1 } else { state.place(key) };
    let answer = SendResult {
        id: None,
        md5_of_message_attributes: outgoing.md5_attributes,
        md5_of_message_body: outgoing.md5_body.clone(),
        md5_of_message_system_attributes: outgoing.md5_system,
        message_id: message_id.clone(),
        sequence_number: sequence_number.clone(),
    };
    let mut message = Message {
        id: message_id,
        body: outgoing.body,
        md5_body: outgoing.md5_body,
        attributes: outgoing.attributes,
        sender_id: sender_id.to_string(),
        sent_ms: now.epoch_ms,
        trace_header: outgoing.trace_header,
        group_id: outgoing.group,
        dedup_id: outgoing.dedup_id,
        sequence_number,
        dlq_source_arn: None,
        enqueued_at: now.at,
        visible_at: now.at + outgoing.delay,
        receive_count: 0,
        first_receive_ms: None,
        receipt: None,
        servers,
        ghost: false,
        raced: false,
        settling: false,
    };
    let queue = state.queue_mut(key, now)?;
    if let (Some(dedup_id), Some(seq)) = (&message.dedup_id, &message.sequence_number) {
        queue.remember_send(
            message.group_id.as_deref().unwrap_or(""),
            dedup_id,
            DedupRecord {
                expires: now.at + DEDUP_WINDOW,
                message_id: message.id.clone(),
                sequence_number: seq.clone(),
            },
        );
    }
    announce(state, key, &mut message, now)?;
    let bytes = message.body.len()
        + message
            .attributes
            .iter()
            .map(|(n, a)| a.size(n))
            .sum::<usize>();
    state.queue_mut(key, now)?.push(message);
    state.metrics_mut().sent(key, bytes, now.epoch_ms);
    Ok(answer)
}

/// Tells the long polls waiting on queue `key` about a new message. A standard queue (realism
/// on) wakes one poll listening to a server that holds it; when none listens there, the
/// message settles for a moment before any receive sees it (see `standard.rs`). With one
/// server (`--ordered`) a visible message wakes a poll only when those already woken have no
/// room left for it; FIFO queues (whose groups may hold a message back) and a delayed message
/// wake every poll.
fn announce(
    state: &mut State,
    key: &QueueKey,
    message: &mut Message,
    now: Now,
) -> Result<(), SqsError> {
    let queue = state.queue_mut(key, now)?;
    if queue.waiters().is_empty() {
        return Ok(());
    }
    let visible = message.is_visible(now.at);
    if queue.server_weights().len() <= 1 && visible && !queue.config().fifo {
        queue.waiters().promise();
        return Ok(());
    }
    if queue.server_weights().len() <= 1 || !visible {
        queue.wake_waiters();
        return Ok(());
    }
    message.raced = true;
    if !queue.waiters().offer(message.servers) {
        message.settling = true;
        message.visible_at = now.at + state.settle_delay();
        // The waiting polls look again and learn when it becomes visible.
        state.queue_mut(key, now)?.wake_waiters();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
