//! What the console charts and `GET /metrics` exposes: the metrics SQS publishes to
//! CloudWatch, per queue, per minute for the last hour (`NumberOfMessagesSent`,
//! `NumberOfMessagesReceived`, `NumberOfMessagesDeleted`, `NumberOfEmptyReceives`,
//! `SentMessageSize`, and the sampled `ApproximateNumberOfMessagesVisible`,
//! `ApproximateNumberOfMessagesNotVisible`, `ApproximateAgeOfOldestMessage`), with running
//! totals; and per action, request counts and latency histograms (`requests`). Rendering in
//! the Prometheus text format is `prometheus`.
//!
//! Counting is a few additions under the engine's lock; the gauges are sampled once a minute
//! and whenever a page or a scrape reads them.

pub mod prometheus;
pub mod requests;

use std::collections::VecDeque;

use foldhash::HashMap;

use super::queue::{Queue, QueueKey};

/// Minutes kept: the last hour.
pub const HOUR: usize = 60;

/// One minute of a queue's counters (CloudWatch's `Sum` for the minute).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Minute {
    /// Minutes since the Unix epoch.
    pub minute: u64,
    /// `NumberOfMessagesSent`.
    pub sent: u64,
    /// `NumberOfMessagesReceived`.
    pub received: u64,
    /// `NumberOfMessagesDeleted`.
    pub deleted: u64,
    /// `NumberOfEmptyReceives`.
    pub empty_receives: u64,
    /// Bytes of the messages sent (`SentMessageSize` is this over `sent`).
    pub sent_bytes: u64,
    /// The last gauges sampled in this minute, if any were.
    pub gauges: Option<Gauges>,
}

impl Minute {
    /// `SentMessageSize` for the minute (its average), if anything was sent.
    #[must_use]
    pub fn sent_message_size(&self) -> Option<u64> {
        (self.sent > 0).then(|| self.sent_bytes / self.sent)
    }
}

/// A queue's sampled gauges.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Gauges {
    /// `ApproximateNumberOfMessagesVisible`.
    pub visible: u64,
    /// `ApproximateNumberOfMessagesNotVisible` (in flight).
    pub not_visible: u64,
    /// `ApproximateNumberOfMessagesDelayed`.
    pub delayed: u64,
    /// `ApproximateAgeOfOldestMessage`, in seconds.
    pub oldest_age_s: u64,
}

impl Gauges {
    /// The gauges of `queue` at epoch milliseconds `epoch_ms` (engine instant `at`).
    #[must_use]
    pub fn of(queue: &Queue, at: tokio::time::Instant, epoch_ms: u64) -> Self {
        let counts = queue.counts(at);
        let oldest = queue.messages().values().map(|m| m.sent_ms).min();
        Self {
            visible: counts.visible as u64,
            not_visible: counts.in_flight as u64,
            delayed: counts.delayed as u64,
            oldest_age_s: oldest.map_or(0, |sent| epoch_ms.saturating_sub(sent) / 1000),
        }
    }
}

/// One queue's last hour and running totals.
#[derive(Debug, Default, Clone)]
pub struct QueueStats {
    /// The minutes with something in them, oldest first, at most [`HOUR`].
    minutes: VecDeque<Minute>,
    /// Everything since the queue was made (`minute` and `gauges` unused).
    totals: Minute,
}

impl QueueStats {
    /// The slot of the minute of `epoch_ms`, made if needed; minutes older than an hour go.
    fn at(&mut self, epoch_ms: u64) -> &mut Minute {
        let minute = epoch_ms / 60_000;
        if self.minutes.back().is_none_or(|m| m.minute < minute) {
            self.minutes.push_back(Minute {
                minute,
                ..Minute::default()
            });
        }
        while self
            .minutes
            .front()
            .is_some_and(|m| m.minute + HOUR as u64 <= minute)
        {
            self.minutes.pop_front();
        }
        // A clock set back lands in the newest slot rather than reordering the hour.
        let last = self.minutes.len() - 1;
        &mut self.minutes[last]
    }

    /// The totals since the queue was made.
    #[must_use]
    pub fn totals(&self) -> &Minute {
        &self.totals
    }

    /// The last hour ending at the minute of `epoch_ms`: [`HOUR`] minutes, oldest first,
    /// zero for minutes with nothing counted (and no gauges).
    #[must_use]
    pub fn hour(&self, epoch_ms: u64) -> Vec<Minute> {
        let last = epoch_ms / 60_000;
        (0..HOUR as u64)
            .rev()
            .map(|back| {
                let minute = last.saturating_sub(back);
                self.minutes
                    .iter()
                    .find(|m| m.minute == minute)
                    .copied()
                    .unwrap_or(Minute {
                        minute,
                        ..Minute::default()
                    })
            })
            .collect()
    }
}

/// Every queue's metrics, kept in the engine's state.
#[derive(Debug, Default)]
pub struct Metrics {
    queues: HashMap<QueueKey, QueueStats>,
}

impl Metrics {
    fn stats(&mut self, key: &QueueKey) -> &mut QueueStats {
        if !self.queues.contains_key(key) {
            self.queues.insert(key.clone(), QueueStats::default());
        }
        self.queues
            .get_mut(key)
            .unwrap_or_else(|| unreachable!("inserted above"))
    }

    /// A message of `bytes` (body and attributes) was sent to `key`.
    pub fn sent(&mut self, key: &QueueKey, bytes: usize, epoch_ms: u64) {
        let stats = self.stats(key);
        let minute = stats.at(epoch_ms);
        minute.sent += 1;
        minute.sent_bytes += bytes as u64;
        stats.totals.sent += 1;
        stats.totals.sent_bytes += bytes as u64;
    }

    /// A ReceiveMessage on `key` answered `count` messages (0: an empty receive).
    pub fn received(&mut self, key: &QueueKey, count: usize, epoch_ms: u64) {
        let stats = self.stats(key);
        let minute = stats.at(epoch_ms);
        if count == 0 {
            minute.empty_receives += 1;
            stats.totals.empty_receives += 1;
        } else {
            minute.received += count as u64;
            stats.totals.received += count as u64;
        }
    }

    /// `count` deletes on `key` succeeded.
    pub fn deleted(&mut self, key: &QueueKey, count: usize, epoch_ms: u64) {
        if count == 0 {
            return;
        }
        let stats = self.stats(key);
        stats.at(epoch_ms).deleted += count as u64;
        stats.totals.deleted += count as u64;
    }

    /// Records the gauges of `queue` now, in the current minute.
    pub fn sample(&mut self, queue: &Queue, at: tokio::time::Instant, epoch_ms: u64) {
        let gauges = Gauges::of(queue, at, epoch_ms);
        self.stats(queue.key()).at(epoch_ms).gauges = Some(gauges);
    }

    /// Drops a deleted queue's metrics (a queue made again with the name starts afresh).
    pub fn forget(&mut self, key: &QueueKey) {
        self.queues.remove(key);
    }

    /// The metrics of `key`, if anything was counted.
    #[must_use]
    pub fn of(&self, key: &QueueKey) -> Option<&QueueStats> {
        self.queues.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> QueueKey {
        QueueKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: "q".into(),
        }
    }

    #[test]
    fn minutes_count_separately_and_the_hour_rolls() {
        let mut metrics = Metrics::default();
        let t0 = 1_000 * 60_000;
        metrics.sent(&key(), 100, t0);
        metrics.sent(&key(), 300, t0 + 59_999);
        metrics.received(&key(), 2, t0 + 60_000);
        metrics.received(&key(), 0, t0 + 60_000);
        metrics.deleted(&key(), 2, t0 + 61_000);
        let stats = metrics.of(&key()).unwrap();
        let hour = stats.hour(t0 + 61_000);
        assert_eq!(hour.len(), HOUR);
        let (first, second) = (hour[HOUR - 2], hour[HOUR - 1]);
        assert_eq!((first.sent, first.sent_message_size()), (2, Some(200)));
        assert_eq!(
            (second.received, second.empty_receives, second.deleted),
            (2, 1, 2)
        );
        assert_eq!(stats.totals().sent, 2);
        // An hour later the first minutes are gone from the hour but not from the totals.
        metrics.sent(&key(), 10, t0 + 61 * 60_000);
        let stats = metrics.of(&key()).unwrap();
        let hour = stats.hour(t0 + 61 * 60_000);
        assert_eq!(hour.iter().map(|m| m.sent).sum::<u64>(), 1);
        assert_eq!(stats.minutes.len(), 1);
        assert_eq!(stats.totals().sent, 3);
        metrics.forget(&key());
        assert!(metrics.of(&key()).is_none());
    }
}
