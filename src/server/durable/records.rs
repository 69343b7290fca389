//! The records the data directory keeps, as serde types, and their conversion to and from the
//! engine's: a queue, a message, a FIFO deduplication record and the engine-wide counters.
//! Engine instants are kept as wall-clock epoch milliseconds, so time that passes while the
//! server is down counts (visibility timeouts end, delays pass, messages expire), as on SQS.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio::time::{Duration, Instant};

use crate::server::attributes::QueueConfig;
use crate::server::md5::MessageAttribute;
use crate::server::queue::{DedupRecord, Message, Queue, QueueKey, Receipt};
use crate::server::store::Now;

/// The layout of the records; a directory written by another layout is refused, not misread.
pub const FORMAT: u32 = 1;

/// Engine-wide values that must go on increasing (or stay) across a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counters {
    /// [`FORMAT`] of the directory.
    pub format: u32,
    /// Key of receipt handles: handles given out before a restart keep working.
    pub secret: [u8; 16],
    /// Next queue incarnation.
    pub next_incarnation: u64,
    /// Next receive serial.
    pub next_serial: u64,
    /// Last FIFO sequence number handed out.
    pub last_sequence: u128,
}

/// One queue's record (its messages and deduplication records are kept apart).
#[derive(Debug, Serialize, Deserialize)]
pub struct QueueRecord {
    /// Incarnation (the key of its messages on disk).
    pub incarnation: u64,
    /// Name, account, region.
    pub key: QueueKey,
    /// Settable attributes.
    pub config: QueueConfig,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Weights of the simulated storage servers, as the bits of each `f64` (exact, where
    /// JSON's decimal form might not read back to the same number).
    server_weights: Vec<u64>,
    /// `CreatedTimestamp` (epoch s).
    pub created_s: u64,
    /// `LastModifiedTimestamp` (epoch s).
    pub modified_s: u64,
    /// FIFO deduplication scope fixed at creation.
    pub dedup_per_group: bool,
}

impl QueueRecord {
    /// The record of `queue`.
    #[must_use]
    pub fn of(queue: &Queue) -> Self {
        Self {
            incarnation: queue.incarnation(),
            key: queue.key().clone(),
            config: queue.config().clone(),
            tags: queue.tags().clone(),
            server_weights: queue.server_weights().iter().map(|w| w.to_bits()).collect(),
            created_s: queue.created_s(),
            modified_s: queue.modified_s(),
            dedup_per_group: queue.dedup_per_group(),
        }
    }

    /// Weights of the simulated storage servers.
    #[must_use]
    pub fn server_weights(&self) -> Vec<f64> {
        self.server_weights
            .iter()
            .map(|&w| f64::from_bits(w))
            .collect()
    }
}

/// One message, instants as epoch milliseconds.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageRecord {
    id: String,
    body: String,
    md5_body: String,
    attributes: BTreeMap<String, MessageAttribute>,
    sender_id: String,
    sent_ms: u64,
    trace_header: Option<String>,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sequence_number: Option<String>,
    dlq_source_arn: Option<String>,
    enqueued_ms: i64,
    visible_ms: i64,
    receive_count: u32,
    first_receive_ms: Option<u64>,
    /// `(serial, received at)` of the latest receive.
    receipt: Option<(u64, i64)>,
    servers: u64,
    ghost: bool,
    raced: bool,
    settling: bool,
}

impl MessageRecord {
    /// The record of `m` at `now`.
    #[must_use]
    pub fn of(m: &Message, now: Now) -> Self {
        Self {
            id: m.id.clone(),
            body: m.body.clone(),
            md5_body: m.md5_body.clone(),
            attributes: m.attributes.clone(),
            sender_id: m.sender_id.clone(),
            sent_ms: m.sent_ms,
            trace_header: m.trace_header.clone(),
            group_id: m.group_id.clone(),
            dedup_id: m.dedup_id.clone(),
            sequence_number: m.sequence_number.clone(),
            dlq_source_arn: m.dlq_source_arn.clone(),
            enqueued_ms: epoch_ms(m.enqueued_at, now),
            visible_ms: epoch_ms(m.visible_at, now),
            receive_count: m.receive_count,
            first_receive_ms: m.first_receive_ms,
            receipt: m.receipt.map(|r| (r.serial, epoch_ms(r.received_at, now))),
            servers: m.servers,
            ghost: m.ghost,
            raced: m.raced,
            settling: m.settling,
        }
    }

    /// The message this record keeps, on the engine clock reading `now`.
    #[must_use]
    pub fn into_message(self, now: Now) -> Message {
        Message {
            id: self.id,
            body: self.body,
            md5_body: self.md5_body,
            attributes: self.attributes,
            sender_id: self.sender_id,
            sent_ms: self.sent_ms,
            trace_header: self.trace_header,
            group_id: self.group_id,
            dedup_id: self.dedup_id,
            sequence_number: self.sequence_number,
            dlq_source_arn: self.dlq_source_arn,
            enqueued_at: instant(self.enqueued_ms, now),
            visible_at: instant(self.visible_ms, now),
            receive_count: self.receive_count,
            first_receive_ms: self.first_receive_ms,
            receipt: self.receipt.map(|(serial, at)| Receipt {
                serial,
                received_at: instant(at, now),
            }),
            servers: self.servers,
            ghost: self.ghost,
            raced: self.raced,
            settling: self.settling,
        }
    }
}

/// A FIFO deduplication record.
#[derive(Debug, Serialize, Deserialize)]
pub struct DedupRecordOnDisk {
    expires_ms: i64,
    message_id: String,
    sequence_number: String,
}

impl DedupRecordOnDisk {
    /// The record of `r` at `now`.
    #[must_use]
    pub fn of(r: &DedupRecord, now: Now) -> Self {
        Self {
            expires_ms: epoch_ms(r.expires, now),
            message_id: r.message_id.clone(),
            sequence_number: r.sequence_number.clone(),
        }
    }

    /// The deduplication record, on the engine clock reading `now`.
    #[must_use]
    pub fn into_record(self, now: Now) -> DedupRecord {
        DedupRecord {
            expires: instant(self.expires_ms, now),
            message_id: self.message_id,
            sequence_number: self.sequence_number,
        }
    }
}

/// Epoch milliseconds at engine instant `at`, counted from `now` (earlier instants too).
#[must_use]
pub fn epoch_ms(at: Instant, now: Now) -> i64 {
    let base = i64::try_from(now.epoch_ms).unwrap_or(i64::MAX);
    if at >= now.at {
        base.saturating_add(millis(at - now.at))
    } else {
        base.saturating_sub(millis(now.at - at))
    }
}

/// The engine instant at epoch milliseconds `ms`, counted from `now`. The monotonic clock
/// reaches far below its start (years), so only an absurd record would read as `now`.
#[must_use]
pub fn instant(ms: i64, now: Now) -> Instant {
    let base = i64::try_from(now.epoch_ms).unwrap_or(i64::MAX);
    let delta = Duration::from_millis(ms.abs_diff(base));
    if ms >= base {
        now.at.checked_add(delta)
    } else {
        now.at.checked_sub(delta)
    }
    .unwrap_or(now.at)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_through_epoch_milliseconds() {
        let now = Now {
            at: Instant::now(),
            epoch_ms: 1_800_000_000_000,
        };
        for offset_ms in [0_i64, 1, 999, 30_000, -1, -250, -60_000] {
            let at = if offset_ms >= 0 {
                now.at + Duration::from_millis(offset_ms.unsigned_abs())
            } else {
                now.at - Duration::from_millis(offset_ms.unsigned_abs())
            };
            let ms = epoch_ms(at, now);
            assert_eq!(ms, 1_800_000_000_000 + offset_ms);
            assert_eq!(instant(ms, now), at, "offset {offset_ms}");
        }
        // Read back after a restart 100 s later, on a new clock: 90 s ago.
        let later = Now {
            at: now.at + Duration::from_secs(3),
            epoch_ms: now.epoch_ms + 100_000,
        };
        let back = instant(1_800_000_000_000 + 10_000, later);
        assert_eq!(back, later.at - Duration::from_secs(90));
    }
}
