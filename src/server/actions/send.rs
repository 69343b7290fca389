//! SendMessage and SendMessageBatch: body, attribute and size rules, delays, FIFO groups,
//! deduplication and sequence numbers.

use rand::rngs::StdRng;
use serde_json::{Map, Value, json};
use tokio::time::Duration;

use super::batch;
use crate::rules::{DEDUP_WINDOW, content_dedup_id};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::fifo;
use crate::server::md5::{MessageAttribute, md5_of_attributes, md5_of_body};
use crate::server::queue::{DedupRecord, Message, Queue, QueueKey};
use crate::server::standard;
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// The whole-batch size limit.
const BATCH_LIMIT: usize = 1_048_576;

/// SendMessage.
///
/// # Errors
/// Validation errors, QueueDoesNotExist.
pub fn send_message(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let fifo = state.queues.get(&key).is_some_and(|q| q.config.fifo);
    if fifo {
        fifo_group_and_dedup(state, &key, input, false)?;
    }
    enqueue(state, &key, ctx, input, now, false)
}

/// SendMessageBatch.
///
/// # Errors
/// Whole-request errors; per-entry ones go in `Failed`.
pub fn send_message_batch(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let entries = input.list("Entries")?;
    let ids = batch::check_entries(entries, "SendMessageBatchRequestEntry")?;
    let total: usize = entries.iter().map(raw_size).sum();
    if total > BATCH_LIMIT {
        return Err(SqsError::batch_request_too_long(BATCH_LIMIT, total));
    }
    let fifo = state.queues.get(&key).is_some_and(|q| q.config.fifo);
    if fifo {
        for entry in entries {
            fifo_group_and_dedup(state, &key, &Input::new(entry), true)?;
        }
    }
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    // FIFO order holds across a failure: once an entry of a group fails, the later entries of
    // that group in this batch fail too, so a sender that retries the failed ones keeps its
    // order. [U] SQS does not document this case; it is the only behaviour that keeps the
    // in-group order guarantee.
    let mut failed_groups: Vec<String> = Vec::new();
    for (id, entry) in ids.iter().zip(entries) {
        let group = fifo
            .then(|| entry.get("MessageGroupId").and_then(Value::as_str))
            .flatten();
        if group.is_some_and(|g| failed_groups.iter().any(|f| f == g)) {
            failed.push(batch::injected_failure(id));
            continue;
        }
        let outcome = if state.chance(state.sim.fail_rate) {
            Err(batch::injected_failure(id))
        } else {
            enqueue(state, &key, ctx, &Input::new(entry), now, true)
                .map_err(|error| batch::failed(id, &error))
        };
        match outcome {
            Ok(mut value) => {
                if let Some(map) = value.as_object_mut() {
                    map.insert("Id".into(), Value::String(id.clone()));
                }
                successful.push(value);
            }
            Err(failure) => {
                if let Some(group) = group {
                    failed_groups.push(group.to_string());
                }
                failed.push(failure);
            }
        }
    }
    Ok(batch::result(successful, failed))
}

/// Bytes an entry counts toward the batch limit: body plus attribute names, types, values.
fn raw_size(entry: &Value) -> usize {
    let input = Input::new(entry);
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
    state: &State,
    key: &QueueKey,
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
    let cbd = state
        .queues
        .get(key)
        .is_some_and(|q| q.config.content_based_deduplication);
    if input.str_opt("MessageDeduplicationId")?.is_none() && !cbd {
        return Err(SqsError::invalid_parameter_value(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(())
}

/// Validates one message and stores it (or, for a FIFO duplicate, answers the original).
fn enqueue(
    state: &mut State,
    key: &QueueKey,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
    in_batch: bool,
) -> Result<Value, SqsError> {
    let Some(queue) = state.queues.get(key) else {
        return Err(SqsError::queue_does_not_exist());
    };
    let config = queue.config.clone();
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
    let md5_body = md5_of_body(body);
    let md5_attributes = md5_of_attributes(&attributes);
    let md5_system = md5_of_attributes(&system);
    let trace_header = match system.get("AWSTraceHeader") {
        Some(MessageAttribute {
            value: crate::server::md5::AttributeValue::Text(t),
            ..
        }) => Some(t.clone()),
        _ => ctx.trace_header.clone(),
    };

    let mut dedup = None;
    if config.fifo {
        let dedup_id = explicit_dedup.map_or_else(|| content_dedup_id(body), str::to_string);
        let per_group = state.queues.get(key).is_some_and(|q| q.dedup_per_group);
        let dedup_key = fifo::dedup_key(per_group, group.unwrap_or(""), &dedup_id);
        if let Some(record) = state
            .queues
            .get(key)
            .and_then(|q| q.dedup.get(&dedup_key))
            .filter(|r| r.expires > now.at)
        {
            // [U] Duplicates are accepted and answered with the original MessageId and
            // SequenceNumber (what emulators say AWS does).
            return Ok(send_result(
                &md5_body,
                md5_attributes.as_deref(),
                md5_system.as_deref(),
                &record.message_id,
                Some(&record.sequence_number),
            ));
        }
        dedup = Some((dedup_key, dedup_id));
    }

    let message_id = state.new_message_id();
    let sequence_number = config.fifo.then(|| state.next_sequence_number());
    let State { queues, rng, .. } = state;
    let Some(queue) = queues.get_mut(key) else {
        return Err(SqsError::queue_does_not_exist());
    };
    let servers = if config.fifo {
        1
    } else {
        standard::place(rng, &queue.server_weights)
    };
    let mut message = Message {
        id: message_id.clone(),
        body: body.to_string(),
        md5_body: md5_body.clone(),
        attributes,
        sender_id: ctx.sender_id.clone(),
        sent_ms: now.epoch_ms,
        trace_header,
        group_id: group.map(str::to_string),
        dedup_id: dedup.as_ref().map(|(_, id)| id.clone()),
        sequence_number: sequence_number.clone(),
        dlq_source_arn: None,
        enqueued_at: now.at,
        visible_at: now.at + Duration::from_secs(delay),
        receive_count: 0,
        first_receive_ms: None,
        receipt: None,
        servers,
        ghost: false,
        raced: false,
        settling: false,
    };
    if let (Some((dedup_key, _)), Some(seq)) = (dedup, &sequence_number) {
        queue.dedup.insert(
            dedup_key,
            DedupRecord {
                expires: now.at + DEDUP_WINDOW,
                message_id: message_id.clone(),
                sequence_number: seq.clone(),
            },
        );
    }
    announce(queue, &mut message, rng, now);
    queue.push(message);
    Ok(send_result(
        &md5_body,
        md5_attributes.as_deref(),
        md5_system.as_deref(),
        &message_id,
        sequence_number.as_deref(),
    ))
}

/// Tells the long polls waiting on `queue` about a new message. A standard queue (realism on)
/// wakes one poll listening to a server that holds it; when none listens there, the message
/// settles for a moment before any receive sees it (see `standard.rs`). FIFO queues and
/// `--ordered` wake every poll.
fn announce(queue: &mut Queue, message: &mut Message, rng: &mut StdRng, now: Now) {
    if queue.waiters.is_empty() {
        return;
    }
    if queue.server_weights.len() <= 1 || !message.is_visible(now.at) {
        queue.waiters.wake_all();
        return;
    }
    message.raced = true;
    if !queue.waiters.offer(message.servers) {
        message.settling = true;
        message.visible_at = now.at + standard::settle_delay(rng);
        // The waiting polls look again and learn when it becomes visible.
        queue.waiters.wake_all();
    }
}

fn send_result(
    md5_body: &str,
    md5_attributes: Option<&str>,
    md5_system: Option<&str>,
    message_id: &str,
    sequence_number: Option<&str>,
) -> Value {
    let mut out = Map::new();
    out.insert("MD5OfMessageBody".into(), json!(md5_body));
    if let Some(md5) = md5_attributes {
        out.insert("MD5OfMessageAttributes".into(), json!(md5));
    }
    if let Some(md5) = md5_system {
        out.insert("MD5OfMessageSystemAttributes".into(), json!(md5));
    }
    out.insert("MessageId".into(), json!(message_id));
    if let Some(seq) = sequence_number {
        out.insert("SequenceNumber".into(), json!(seq));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
