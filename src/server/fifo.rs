//! FIFO delivery rules: order within a message group, group locking while a message is in
//! flight, the line of groups a receive serves from the front, and the deduplication keys.

use foldhash::HashMap;
use tokio::time::Instant;

use super::queue::Queue;

/// Keys of receivable messages, in the order a receive takes them (at most `limit`).
///
/// Within a group only the visible messages *before* the first non-visible one (in flight or
/// delayed) can be received: a group is locked from its first in-flight message on. A later
/// message made visible again while an earlier one is in flight stays locked; an earlier one
/// whose timeout ran out (or was set to 0) is receivable again, as SQS recorded.
///
/// Groups wait in a line and a receive serves them from the front, each group's receivable
/// messages in one run. A group joins the back of the line when its first message arrives,
/// and again when it becomes available after being served or touched: its first message
/// visible again after a receive (at once with `VisibilityTimeout=0`), a delete or a
/// visibility change.
#[must_use]
pub fn candidates(queue: &Queue, now: Instant, limit: usize) -> Vec<u64> {
    let mut lanes: HashMap<&str, Lane> = HashMap::default();
    for (key, message) in queue.messages() {
        let group = message.group_id.as_deref().unwrap_or("");
        let lane = lanes.entry(group).or_insert(Lane {
            head_at: message.visible_at,
            head_key: *key,
            locked: false,
            keys: Vec::new(),
        });
        if lane.locked || lane.keys.len() >= limit {
            continue;
        }
        if message.is_visible(now) {
            lane.keys.push(*key);
        } else {
            lane.locked = true;
        }
    }
    let mut ready: Vec<((Instant, u64), Vec<u64>)> = lanes
        .into_iter()
        .filter(|(_, lane)| !lane.keys.is_empty())
        .map(|(group, lane)| {
            // Joined the back of the line: when the first message arrived (or became
            // visible), or when the group was last served or touched, whichever is later.
            let rank = queue
                .group_mark(group)
                .map_or((lane.head_at, lane.head_key), |mark| {
                    (mark.at.max(lane.head_at), mark.tick.max(lane.head_key))
                });
            (rank, lane.keys)
        })
        .collect();
    ready.sort_unstable_by_key(|(rank, _)| *rank);
    ready
        .into_iter()
        .flat_map(|(_, keys)| keys)
        .take(limit)
        .collect()
}

/// One group while [`candidates`] scans the queue.
struct Lane {
    /// When the group's first message became (or becomes) visible.
    head_at: Instant,
    /// The first message's key (arrival order).
    head_key: u64,
    /// A non-visible message was met: nothing after it is receivable.
    locked: bool,
    /// Receivable keys, in order.
    keys: Vec<u64>,
}

/// The dedup-window key for a send: per group when the queue was created with
/// `DeduplicationScope=messageGroup`, else queue-wide.
#[must_use]
pub fn dedup_key(per_group: bool, group: &str, dedup_id: &str) -> String {
    if per_group {
        format!("{group}\u{0}{dedup_id}")
    } else {
        format!("\u{0}{dedup_id}")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::server::engine::Engine;
    use crate::server::test_support::{
        bodies, create_fifo, delete, ok, options, receive, send_group,
    };

    #[tokio::test(start_paused = true)]
    async fn groups_served_together_rejoin_in_the_order_they_were_served() {
        let engine = Engine::new(&options(true));
        let url = create_fifo(&engine, "line.fifo").await;
        for (body, group) in [("b1", "b"), ("a1", "a"), ("c1", "c")] {
            send_group(&engine, &url, body, group).await;
        }
        // b then a are served in one receive; c waits at the front afterwards.
        assert_eq!(bodies(&receive(&engine, &url, 2, 0).await), ["b1", "a1"]);
        engine.advance_clock(Duration::from_secs(31));
        // Both became visible at the same instant: they rejoin in serve order, behind c.
        assert_eq!(
            bodies(&receive(&engine, &url, 10, 0).await),
            ["c1", "b1", "a1"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_that_emptied_rejoins_with_its_next_message() {
        let engine = Engine::new(&options(true));
        let url = create_fifo(&engine, "line.fifo").await;
        send_group(&engine, &url, "a1", "a").await;
        let got = receive(&engine, &url, 1, 0).await;
        delete(&engine, &url, &got[0]).await.unwrap();
        send_group(&engine, &url, "b1", "b").await;
        send_group(&engine, &url, "a2", "a").await;
        // Group a emptied; it rejoins the line when a2 arrives, after b1.
        assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["b1", "a2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_visibility_change_sends_the_group_to_the_back() {
        let engine = Engine::new(&options(true));
        let url = create_fifo(&engine, "line.fifo").await;
        for (body, group) in [("a1", "a"), ("b1", "b")] {
            send_group(&engine, &url, body, group).await;
        }
        let a = receive(&engine, &url, 1, 0).await;
        assert_eq!(bodies(&a), ["a1"]);
        ok(
            &engine,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": a[0]["ReceiptHandle"], "VisibilityTimeout": 0}),
        )
        .await;
        assert_eq!(bodies(&receive(&engine, &url, 10, 0).await), ["b1", "a1"]);
    }
}
