//! ChangeMessageVisibility and its batch: a new timeout from now, capped at 12 hours after the
//! receive, for the latest receipt handle.

use serde_json::{Value, json};
use tokio::time::Duration;

use super::Action;
use super::batch;
use crate::rules::MAX_VISIBILITY_SECS;
use crate::server::answer::{Batch, EntryId};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// One visibility change: a receipt handle and the new timeout.
#[derive(Debug)]
pub struct Change {
    /// The receipt handle, as given.
    handle: String,
    /// The new timeout, from now (0–12 hours).
    timeout: Duration,
}

impl Change {
    /// Reads ReceiptHandle and VisibilityTimeout.
    fn parse(input: &Input<'_>) -> Result<Self, SqsError> {
        let handle = input.str_req("ReceiptHandle")?.to_string();
        let seconds = input
            .int_opt("VisibilityTimeout")?
            .ok_or_else(|| SqsError::missing_parameter("VisibilityTimeout"))?;
        let seconds = validate::int_in_range("VisibilityTimeout", seconds, 0, MAX_VISIBILITY_SECS)?;
        Ok(Self {
            handle,
            timeout: Duration::from_secs(seconds.unsigned_abs()),
        })
    }
}

/// ChangeMessageVisibility.
#[derive(Debug)]
pub struct ChangeMessageVisibilityRequest {
    /// The queue.
    key: QueueKey,
    /// The change.
    change: Change,
}

impl Action for ChangeMessageVisibilityRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, a missing handle, a timeout out of range.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let change = Change::parse(input)?;
        Ok(Self { key, change })
    }

    /// # Errors
    /// ReceiptHandleIsInvalid, InvalidParameterValue (deleted, stale or past 12 hours), an
    /// expired FIFO handle.
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.queue_mut(&self.key, now)?;
        change_one(state, &self.key, &self.change, now)?;
        Ok(json!({}))
    }
}

/// ChangeMessageVisibilityBatch.
#[derive(Debug)]
pub struct ChangeMessageVisibilityBatchRequest {
    /// The queue.
    key: QueueKey,
    /// Each entry's change.
    entries: Vec<batch::Entry<Change>>,
}

impl Action for ChangeMessageVisibilityBatchRequest {
    type Output = Batch<EntryId>;

    /// # Errors
    /// QueueDoesNotExist, whole-request batch errors; per-entry ones go in `Failed`.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let entries = batch::parse_entries(
            &input.list("Entries")?,
            "ChangeMessageVisibilityBatchRequestEntry",
            Change::parse,
        )?;
        Ok(Self { key, entries })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Batch<EntryId>, SqsError> {
        state.queue_mut(&self.key, now)?;
        Ok(batch::each(state, self.entries, |state, change| {
            change_one(state, &self.key, &change, now)
        }))
    }
}

/// A new timeout from now, capped at 12 hours after the receive, for the latest receipt
/// handle.
fn change_one(
    state: &mut State,
    key: &QueueKey,
    change: &Change,
    now: Now,
) -> Result<(), SqsError> {
    let Change { handle, timeout } = change;
    let r = state.decode_handle(handle, key)?;
    let queue = state.queue_mut(key, now)?;
    let fifo = queue.config().fifo;
    let missing = || {
        SqsError::invalid_parameter_value(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        ))
    };
    let Some(message) = queue.message_mut(r.message) else {
        return Err(missing());
    };
    // A standard queue accepts the handle of an earlier receive of a message that has been
    // received again since (recorded on SQS) and changes the message's visibility; a FIFO
    // queue only takes the latest handle.
    let Some(receipt) = message
        .receipt
        .filter(|x| x.serial == r.serial || (!fifo && x.serial > r.serial))
    else {
        if fifo {
            return Err(SqsError::receipt_handle_expired(handle));
        }
        // [U] A resurrected duplicate (no receipt since the delete): not available.
        return Err(missing());
    };
    if fifo && message.is_visible(now.at) {
        return Err(SqsError::receipt_handle_expired(handle));
    }
    if now.at + *timeout
        > receipt.received_at + Duration::from_secs(MAX_VISIBILITY_SECS.unsigned_abs())
    {
        // [U] SQS refuses rather than clamps; exact text unrecorded.
        return Err(SqsError::invalid_parameter_value(format!(
            "Value {} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY_SECS} seconds]",
            timeout.as_secs()
        )));
    }
    message.visible_at = now.at + *timeout;
    let group = message.group_id.clone();
    queue.touch_group(group.as_deref(), now.at);
    queue.wake_waiters();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{
        attribute, bodies, call, create, create_fifo, delete, ok, options, receive, send,
        send_group,
    };
    use serde_json::json;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn change_visibility_and_counters() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "q", json!({})).await;
        send(&engine, &url, "a").await;
        ok(
            &engine,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "late", "DelaySeconds": 30}),
        )
        .await;
        send(&engine, &url, "b").await;
        let got = receive(&engine, &url, 1, 0).await;
        let counts = ok(
            &engine,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]}),
        )
        .await;
        assert_eq!(
            counts["Attributes"],
            json!({"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "1",
                   "ApproximateNumberOfMessagesDelayed": "1"})
        );
        ok(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0}),
        )
        .await;
        let both = receive(&engine, &url, 10, 0).await;
        assert_eq!(bodies(&both), ["a", "b"]);
        for message in &both {
            delete(&engine, &url, message).await.unwrap();
        }
        engine.advance_clock(Duration::from_secs(31));
        assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["late"]);
        let err = call(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 43_201}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[tokio::test(start_paused = true)]
    async fn fifo_extended_message_keeps_later_ones_blocked() {
        let engine = Engine::new(&options(false));
        let url = create_fifo(&engine, "x.fifo").await;
        for body in ["m1", "m2", "m3"] {
            send_group(&engine, &url, body, "g").await;
        }
        let got = receive(&engine, &url, 10, 0).await;
        assert_eq!(bodies(&got), ["m1", "m2", "m3"]);
        ok(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 100}),
        )
        .await;
        engine.advance_clock(Duration::from_secs(31));
        // m1 (expired, earlier) is receivable again; m3 stays behind the in-flight m2.
        assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["m1"]);
        assert_eq!(
            attribute(&engine, &url, "ApproximateNumberOfMessages").await,
            "1",
            "m3 counts as visible although its group is blocked"
        );
    }
}
