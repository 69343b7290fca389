//! DeleteMessage and DeleteMessageBatch: receipt-handle rules (latest handle deletes; stale
//! ones succeed without deleting; FIFO handles expire with their visibility timeout) and the
//! missed replica that makes a standard queue deliver a deleted message again.

use serde_json::{Value, json};

use super::Action;
use super::batch;
use crate::server::answer::{Batch, EntryId};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// DeleteMessage.
#[derive(Debug)]
pub struct DeleteMessageRequest {
    /// The queue.
    key: QueueKey,
    /// The receipt handle, as given.
    handle: String,
}

impl Action for DeleteMessageRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, no ReceiptHandle.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let handle = input.str_req("ReceiptHandle")?.to_string();
        Ok(Self { key, handle })
    }

    /// # Errors
    /// ReceiptHandleIsInvalid, an expired FIFO handle.
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.queue_mut(&self.key, now)?;
        delete_one(state, &self.key, &self.handle, now)?;
        state.metrics_mut().deleted(&self.key, 1, now.epoch_ms);
        Ok(json!({}))
    }
}

/// DeleteMessageBatch.
#[derive(Debug)]
pub struct DeleteMessageBatchRequest {
    /// The queue.
    key: QueueKey,
    /// Each entry's receipt handle.
    entries: Vec<batch::Entry<String>>,
}

impl Action for DeleteMessageBatchRequest {
    type Output = Batch<EntryId>;

    /// # Errors
    /// QueueDoesNotExist, whole-request batch errors; per-entry ones go in `Failed`.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let entries = batch::parse_entries(
            &input.list("Entries")?,
            "DeleteMessageBatchRequestEntry",
            |entry| Ok(entry.str_req("ReceiptHandle")?.to_string()),
        )?;
        Ok(Self { key, entries })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Batch<EntryId>, SqsError> {
        state.queue_mut(&self.key, now)?;
        let answer = batch::each(state, self.entries, |state, handle| {
            delete_one(state, &self.key, &handle, now)
        });
        state
            .metrics_mut()
            .deleted(&self.key, answer.successful.len(), now.epoch_ms);
        Ok(answer)
    }
}

/// Deletes the message `handle` names: the latest handle deletes; a stale one succeeds
/// without deleting; a FIFO handle expires with its visibility timeout. A standard delete
/// may miss a replica, which delivers the message again later.
fn delete_one(state: &mut State, key: &QueueKey, handle: &str, now: Now) -> Result<(), SqsError> {
    let r = state.decode_handle(handle, key)?;
    let queue = state.queue(key)?;
    let fifo = queue.config().fifo;
    let Some(message) = queue.message(r.message) else {
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
    if !fifo && !message.ghost && message.raced && state.delete_misses_replica() {
        // A replica missed the delete: that copy is delivered again later.
        let visible_at = now.at + state.duplicate_delay();
        let queue = state.queue_mut(key, now)?;
        if let Some(message) = queue.message_mut(r.message) {
            message.ghost = true;
            message.receipt = None;
            message.settling = false;
            message.visible_at = visible_at;
        }
        queue.wake_waiters();
        return Ok(());
    }
    let queue = state.queue_mut(key, now)?;
    if let Some(message) = queue.remove(r.message)
        && fifo
    {
        // The group may be unlocked now: its next message is for a waiting long poll.
        queue.touch_group(message.group_id.as_deref(), now.at);
        queue.wake_waiters();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{
        attribute, bodies, call, create, delete, drain_run, options, receive, send,
    };
    use serde_json::json;
    use std::collections::BTreeSet;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn visibility_timeout_redelivers_with_a_new_handle() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "q", json!({"VisibilityTimeout": "10"})).await;
        send(&engine, &url, "hello").await;
        let first = receive(&engine, &url, 1, 0).await;
        assert_eq!(bodies(&first), ["hello"]);
        assert_eq!(first[0]["Attributes"]["ApproximateReceiveCount"], "1");
        assert_eq!(first[0]["Attributes"]["SenderId"], "AIDATESTSENDER");
        assert_eq!(first[0]["MD5OfBody"], "5d41402abc4b2a76b9719d911017c592");
        assert!(receive(&engine, &url, 1, 0).await.is_empty());
        assert_eq!(
            attribute(&engine, &url, "ApproximateNumberOfMessagesNotVisible").await,
            "1"
        );
        engine.advance_clock(Duration::from_secs(11));
        let second = receive(&engine, &url, 1, 0).await;
        assert_eq!(second[0]["Attributes"]["ApproximateReceiveCount"], "2");
        assert_ne!(second[0]["ReceiptHandle"], first[0]["ReceiptHandle"]);
        assert_eq!(
            second[0]["Attributes"]["ApproximateFirstReceiveTimestamp"],
            first[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
        );
        // The stale handle succeeds without deleting; the latest one deletes.
        delete(&engine, &url, &first[0]).await.unwrap();
        assert_eq!(
            attribute(&engine, &url, "ApproximateNumberOfMessagesNotVisible").await,
            "1"
        );
        delete(&engine, &url, &second[0]).await.unwrap();
        delete(&engine, &url, &second[0]).await.unwrap();
        engine.advance_clock(Duration::from_secs(60));
        assert!(receive(&engine, &url, 1, 0).await.is_empty());
        let err = call(
            &engine,
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status, 404);
        assert_eq!(
            err.message,
            "The input receipt handle \"garbage\" is not a valid receipt handle."
        );
        let err = call(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": second[0]["ReceiptHandle"], "VisibilityTimeout": 5}),
        )
        .await
        .unwrap_err();
        assert!(err.message.contains("Message does not exist"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_queue_sent_then_drained_never_duplicates() {
        for seed in 0..20 {
            let mut opts = options(false);
            opts.seed = Some(seed);
            // Every delete that could miss a replica would.
            opts.duplicate_rate = 1.0;
            let order = drain_run(&opts, 20).await;
            assert_eq!(order, (0..20).collect::<Vec<_>>(), "seed {seed}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn duplicates_come_back_after_delete_on_a_busy_queue() {
        let mut opts = options(false);
        opts.duplicate_rate = 0.5;
        let order = drain_run(&opts, 100).await;
        let distinct: BTreeSet<usize> = order.iter().copied().collect();
        assert_eq!(distinct.len(), 100);
        assert!(order.len() > 120, "{} deliveries", order.len());
    }
}
