//! ChangeMessageVisibility and its batch: a new timeout from now, capped at 12 hours after the
//! receive, for the latest receipt handle.

use serde_json::{Value, json};
use tokio::time::Duration;

use super::batch;
use crate::server::dispatch::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// The longest a message can stay invisible after one receive.
const MAX_VISIBILITY: Duration = Duration::from_secs(43_200);

/// ChangeMessageVisibility.
///
/// # Errors
/// ReceiptHandleIsInvalid, InvalidParameterValue (range, deleted or expired), QueueDoesNotExist.
pub fn change_message_visibility(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let handle = input.str_req("ReceiptHandle")?;
    let timeout = timeout_of(input)?;
    change_one(state, &key, handle, timeout, now)?;
    Ok(json!({}))
}

/// ChangeMessageVisibilityBatch.
///
/// # Errors
/// Whole-request batch errors; per-entry ones go in `Failed`.
pub fn change_message_visibility_batch(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let entries = input.list("Entries")?;
    let ids = batch::check_entries(entries, "ChangeMessageVisibilityBatchRequestEntry")?;
    Ok(batch::each(state, &ids, entries, |state, entry| {
        let handle = entry.str_req("ReceiptHandle")?;
        let timeout = timeout_of(entry)?;
        change_one(state, &key, handle, timeout, now)
    }))
}

fn timeout_of(input: &Input<'_>) -> Result<Duration, SqsError> {
    let seconds = input
        .int_opt("VisibilityTimeout")?
        .ok_or_else(|| SqsError::missing_parameter("VisibilityTimeout"))?;
    let seconds = validate::int_in_range("VisibilityTimeout", seconds, 0, 43_200)?;
    Ok(Duration::from_secs(seconds.unsigned_abs()))
}

fn change_one(
    state: &mut State,
    key: &QueueKey,
    handle: &str,
    timeout: Duration,
    now: Now,
) -> Result<(), SqsError> {
    let r = state.decode_handle(handle, key)?;
    let Some(queue) = state.queues.get_mut(key) else {
        return Err(SqsError::queue_does_not_exist());
    };
    let fifo = queue.config.fifo;
    let missing = || {
        SqsError::invalid_parameter_value(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        ))
    };
    let Some(message) = queue.messages.get_mut(&r.message) else {
        return Err(missing());
    };
    let Some(receipt) = message.receipt.filter(|x| x.serial == r.serial) else {
        if fifo {
            return Err(SqsError::receipt_handle_expired(handle));
        }
        // [U] A stale handle (a newer receive happened, or a resurrected duplicate): the newer
        // receiver owns the message; we report it as not available.
        return Err(missing());
    };
    if fifo && message.is_visible(now.at) {
        return Err(SqsError::receipt_handle_expired(handle));
    }
    if now.at + timeout > receipt.received_at + MAX_VISIBILITY {
        // [U] SQS refuses rather than clamps; exact text unrecorded.
        return Err(SqsError::invalid_parameter_value(format!(
            "Value {} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            timeout.as_secs()
        )));
    }
    message.visible_at = now.at + timeout;
    queue.waiters.wake_all();
    Ok(())
}
