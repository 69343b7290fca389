//! Requests per action: how many, how many failed, and how long they took, as Prometheus
//! histograms (`queue_requests_total`, `queue_request_duration_seconds`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (long polls reach 20 s).
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 20.0,
];

/// One action's counts.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ActionStats {
    /// Requests answered.
    pub count: u64,
    /// Of those, answered with an error.
    pub errors: u64,
    /// Requests at or under each of [`BUCKETS`] (cumulative, as Prometheus has them).
    pub buckets: [u64; BUCKETS.len()],
    /// Seconds taken, summed.
    pub sum_s: f64,
}

/// Every action's counts, shared by all connections.
#[derive(Debug, Default)]
pub struct Requests {
    actions: Mutex<BTreeMap<String, ActionStats>>,
}

impl Requests {
    /// Counts one request to `action` that took `took`.
    pub fn record(&self, action: &str, took: Duration, failed: bool) {
        let mut actions = self
            .actions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = match actions.get_mut(action) {
            Some(stats) => stats,
            None => actions.entry(action.to_string()).or_default(),
        };
        let seconds = took.as_secs_f64();
        stats.count += 1;
        stats.errors += u64::from(failed);
        stats.sum_s += seconds;
        for (bound, bucket) in BUCKETS.iter().zip(&mut stats.buckets) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }

    /// A copy of every action's counts, by action name.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<String, ActionStats> {
        self.actions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_errors_counted() {
        let requests = Requests::default();
        requests.record("SendMessage", Duration::from_micros(300), false);
        requests.record("SendMessage", Duration::from_millis(30), true);
        requests.record("ReceiveMessage", Duration::from_secs(21), false);
        let all = requests.snapshot();
        let send = &all["SendMessage"];
        assert_eq!((send.count, send.errors), (2, 1));
        assert_eq!(send.buckets[0], 1, "0.3 ms is under 0.5 ms");
        assert_eq!(send.buckets[5], 1, "30 ms is over 25 ms");
        assert_eq!(send.buckets[6], 2, "both are under 50 ms");
        assert_eq!(
            all["ReceiveMessage"].buckets,
            [0; BUCKETS.len()],
            "over 20 s: +Inf only"
        );
    }
}
