//! FIFO delivery rules: order within a message group, group locking while a message is in
//! flight, filling a receive from one group first, and the deduplication keys.

use std::collections::{HashMap, HashSet};

use tokio::time::Instant;

use super::attributes::QueueConfig;
use super::queue::Queue;

/// Keys of receivable messages, in the order a receive takes them.
///
/// Within a group only the visible messages *before* the first non-visible one (in flight or
/// delayed) can be received: a group is blocked from its first in-flight message on, so a
/// later message that reappears while an earlier one is in flight stays blocked, while earlier
/// ones whose timeout ran out are receivable again. The group holding the oldest receivable
/// message comes first, then the other groups by their oldest receivable message.
///
/// The scan stops once `limit` receivable messages are found, so a huge backlog of many
/// interleaved groups fills "mostly" from one group, as SQS says it tries to.
#[must_use]
pub fn candidates(queue: &Queue, now: Instant, limit: usize) -> Vec<u64> {
    let mut found = 0;
    let mut blocked: HashSet<&str> = HashSet::new();
    let mut order: Vec<&str> = Vec::new();
    let mut lists: HashMap<&str, Vec<u64>> = HashMap::new();
    for (key, message) in &queue.messages {
        if found >= limit {
            break;
        }
        let group = message.group_id.as_deref().unwrap_or("");
        if blocked.contains(group) {
            continue;
        }
        if message.is_visible(now) {
            lists
                .entry(group)
                .or_insert_with(|| {
                    order.push(group);
                    Vec::new()
                })
                .push(*key);
            found += 1;
        } else {
            blocked.insert(group);
        }
    }
    order
        .into_iter()
        .flat_map(|g| lists.remove(g).unwrap_or_default())
        .collect()
}

/// The dedup-window key for a send, by the queue's DeduplicationScope.
#[must_use]
pub fn dedup_key(config: &QueueConfig, group: &str, dedup_id: &str) -> String {
    if config.dedup_per_group {
        format!("{group}\u{0}{dedup_id}")
    } else {
        format!("\u{0}{dedup_id}")
    }
}
