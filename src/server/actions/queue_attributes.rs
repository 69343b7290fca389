//! GetQueueAttributes, SetQueueAttributes and ListDeadLetterSourceQueues.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::time::Duration;

use super::queues::{check_redrive_target, page};
use crate::server::attributes::{self, ALL, FIFO_ONLY};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// GetQueueAttributes.
///
/// # Errors
/// InvalidAttributeName for an unknown name, QueueDoesNotExist.
pub fn get_queue_attributes(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let names = input.str_list("AttributeNames")?;
    let queue = state.queue_mut(ctx, input, now)?;
    for name in &names {
        if name != "All" && !attributes::is_known(name) {
            return Err(SqsError::invalid_attribute_name(format!(
                "Unknown Attribute {name}."
            )));
        }
    }
    let wanted: Vec<&str> = if names.iter().any(|n| n == "All") {
        ALL.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    let counts = queue.counts(now.at);
    let mut out = BTreeMap::new();
    for name in wanted {
        // [U] FIFO-only names asked of a standard queue are left out rather than rejected, so
        // a client can ask any queue whether it is FIFO.
        if !queue.config.fifo && FIFO_ONLY.contains(&name) {
            continue;
        }
        let value = match name {
            "ApproximateNumberOfMessages" => Some(counts.visible.to_string()),
            "ApproximateNumberOfMessagesNotVisible" | "ApproximateNumberOfMessagesInFlight" => {
                Some(counts.in_flight.to_string())
            }
            "ApproximateNumberOfMessagesDelayed" => Some(counts.delayed.to_string()),
            "CreatedTimestamp" => Some(queue.created_s.to_string()),
            "LastModifiedTimestamp" => Some(queue.modified_s.to_string()),
            "QueueArn" => Some(queue.key.arn()),
            other => queue.config.render(other),
        };
        if let Some(value) = value {
            out.insert(name.to_string(), value);
        }
    }
    // An empty map stays in the answer, as recorded on AWS over JSON (`"Attributes": {}`
    // once RemovePermission took the last statement); over Query it renders as nothing.
    Ok(json!({ "Attributes": out }))
}

/// SetQueueAttributes. A FIFO queue's DelaySeconds applies retroactively to messages not yet
/// received; a standard queue's only to later sends.
///
/// # Errors
/// Attribute validation, QueueDoesNotExist.
pub fn set_queue_attributes(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let attributes = input.str_map("Attributes")?;
    let config = state
        .queue_mut(ctx, input, now)?
        .config
        .for_update(&attributes)?;
    check_redrive_target(state, &config)?;
    let queue = state.queue_mut(ctx, input, now)?;
    if config.fifo && config.delay_seconds != queue.config.delay_seconds {
        let delay = Duration::from_secs(u64::from(config.delay_seconds));
        for message in queue.messages.values_mut() {
            if message.receipt.is_none() && !message.ghost {
                message.visible_at = message.enqueued_at + delay;
            }
        }
    }
    queue.config = config;
    queue.housekeeping_due = None;
    queue.modified_s = now.epoch_ms / 1000;
    queue.notify.notify_waiters();
    Ok(json!({}))
}

/// ListDeadLetterSourceQueues: queues whose RedrivePolicy targets this one (`queueUrls`).
///
/// # Errors
/// QueueDoesNotExist, pagination errors.
pub fn list_dead_letter_source_queues(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let arn = state.queue_mut(ctx, input, now)?.key.arn();
    let sources = state
        .queues
        .values()
        .filter(|q| {
            q.config
                .redrive_policy
                .as_ref()
                .is_some_and(|p| p.target_arn == arn)
        })
        .map(|q| q.key.clone())
        .collect();
    page(ctx, sources, input, "queueUrls")
}
