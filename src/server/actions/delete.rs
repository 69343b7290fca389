//! DeleteMessage and DeleteMessageBatch: receipt-handle rules (latest handle deletes; stale
//! ones succeed without deleting; FIFO handles expire with their visibility timeout) and the
//! missed replica that makes a standard queue deliver a deleted message again.

use serde_json::{Value, json};

use super::batch;
use crate::server::dispatch::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::standard;
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// DeleteMessage.
///
/// # Errors
/// ReceiptHandleIsInvalid, an expired FIFO handle, QueueDoesNotExist.
pub fn delete_message(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let handle = input.str_req("ReceiptHandle")?;
    delete_one(state, &key, handle, now)?;
    Ok(json!({}))
}

/// DeleteMessageBatch.
///
/// # Errors
/// Whole-request batch errors; per-entry ones go in `Failed`.
pub fn delete_message_batch(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    state.queue_mut(ctx, input, now)?;
    let entries = input.list("Entries")?;
    let ids = batch::check_entries(entries, "DeleteMessageBatchRequestEntry")?;
    Ok(batch::each(state, &ids, entries, |state, entry| {
        let handle = entry.str_req("ReceiptHandle")?;
        delete_one(state, &key, handle, now)
    }))
}

fn delete_one(state: &mut State, key: &QueueKey, handle: &str, now: Now) -> Result<(), SqsError> {
    let r = state.decode_handle(handle, key)?;
    let duplicate_rate = if state.sim.ordered {
        0.0
    } else {
        state.sim.duplicate_rate
    };
    let State { queues, rng, .. } = state;
    let Some(queue) = queues.get_mut(key) else {
        return Err(SqsError::queue_does_not_exist());
    };
    let fifo = queue.config.fifo;
    let Some(message) = queue.messages.get_mut(&r.message) else {
        // Already deleted: repeating a delete succeeds silently.
        return Ok(());
    };
    let current = message.receipt.is_some_and(|x| x.serial == r.serial);
    if fifo {
        if !current || message.is_visible(now.at) {
            return Err(SqsError::receipt_handle_expired(handle));
        }
    } else if !current {
        // [U] A handle from an older receive "succeeds but might not delete": once a newer
        // receive happened, we do not delete.
        return Ok(());
    }
    if !fifo
        && !message.ghost
        && message.raced
        && duplicate_rate > 0.0
        && rand::Rng::random_bool(rng, duplicate_rate.min(1.0))
    {
        // A replica missed the delete: that copy is delivered again later.
        message.ghost = true;
        message.receipt = None;
        message.settling = false;
        message.visible_at = now.at + standard::duplicate_delay(rng);
        queue.waiters.wake_all();
        return Ok(());
    }
    queue.messages.remove(&r.message);
    Ok(())
}
