//! `GET /metrics`: the queues' CloudWatch figures and the per-action request counts and
//! latencies in the Prometheus text format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::requests::{ActionStats, BUCKETS};
use super::{Gauges, Minute};
use crate::server::queue::QueueKey;

/// `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One queue as a scrape sees it: its running totals and its gauges now.
#[derive(Debug, Clone)]
pub struct QueueFigures {
    /// The queue.
    pub key: QueueKey,
    /// Counters since it was made.
    pub totals: Minute,
    /// Gauges now.
    pub gauges: Gauges,
}

/// The whole scrape.
#[must_use]
pub fn render(queues: &[QueueFigures], requests: &BTreeMap<String, ActionStats>) -> String {
    let mut out = String::new();
    type Counter = fn(&QueueFigures) -> u64;
    let families: [(&str, &str, &str, Counter); 10] = [
        (
            "queue_sqs_messages_sent_total",
            "counter",
            "NumberOfMessagesSent: messages added to the queue.",
            |q| q.totals.sent,
        ),
        (
            "queue_sqs_messages_received_total",
            "counter",
            "NumberOfMessagesReceived: messages returned by ReceiveMessage.",
            |q| q.totals.received,
        ),
        (
            "queue_sqs_messages_deleted_total",
            "counter",
            "NumberOfMessagesDeleted: successful deletes.",
            |q| q.totals.deleted,
        ),
        (
            "queue_sqs_empty_receives_total",
            "counter",
            "NumberOfEmptyReceives: ReceiveMessage calls that returned no message (each is a billed request).",
            |q| q.totals.empty_receives,
        ),
        (
            "queue_sqs_sent_message_size_bytes_sum",
            "counter",
            "SentMessageSize: bytes of the messages sent (divide by messages sent for the average).",
            |q| q.totals.sent_bytes,
        ),
        (
            "queue_sqs_messages_visible",
            "gauge",
            "ApproximateNumberOfMessagesVisible.",
            |q| q.gauges.visible,
        ),
        (
            "queue_sqs_messages_not_visible",
            "gauge",
            "ApproximateNumberOfMessagesNotVisible: messages in flight.",
            |q| q.gauges.not_visible,
        ),
        (
            "queue_sqs_messages_delayed",
            "gauge",
            "ApproximateNumberOfMessagesDelayed.",
            |q| q.gauges.delayed,
        ),
        (
            "queue_sqs_age_of_oldest_message_seconds",
            "gauge",
            "ApproximateAgeOfOldestMessage.",
            |q| q.gauges.oldest_age_s,
        ),
        ("queue_sqs_queues", "gauge", "Queues (1 per queue).", |_| 1),
    ];
    for (name, kind, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for queue in queues {
            let key = &queue.key;
            let _ = writeln!(
                out,
                "{name}{{region=\"{}\",account=\"{}\",queue=\"{}\"}} {}",
                label(&key.region),
                label(&key.account),
                label(&key.name),
                value(queue)
            );
        }
    }
    write_requests(&mut out, requests);
    out
}

fn write_requests(out: &mut String, requests: &BTreeMap<String, ActionStats>) {
    let _ = writeln!(
        out,
        "# HELP queue_requests_total Requests answered, by action.\n# TYPE queue_requests_total counter"
    );
    for (action, stats) in requests {
        let _ = writeln!(
            out,
            "queue_requests_total{{action=\"{}\"}} {}",
            label(action),
            stats.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP queue_request_errors_total Requests answered with an error, by action.\n# TYPE queue_request_errors_total counter"
    );
    for (action, stats) in requests {
        let _ = writeln!(
            out,
            "queue_request_errors_total{{action=\"{}\"}} {}",
            label(action),
            stats.errors
        );
    }
    let name = "queue_request_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time to answer, by action (long polls included).\n# TYPE {name} histogram"
    );
    for (action, stats) in requests {
        let action = label(action);
        for (bound, count) in BUCKETS.iter().zip(stats.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{action=\"{action}\",le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{action=\"{action}\",le=\"+Inf\"}} {}\n{name}_sum{{action=\"{action}\"}} {}\n{name}_count{{action=\"{action}\"}} {}",
            stats.count, stats.sum_s, stats.count
        );
    }
}

/// A label value with `\`, `"` and line feeds escaped.
fn label(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_type_and_escaped_labels() {
        let queue = QueueFigures {
            key: QueueKey {
                account: "000000000000".into(),
                region: "us-east-1".into(),
                name: "q\"x".into(),
            },
            totals: Minute {
                sent: 3,
                sent_bytes: 30,
                ..Minute::default()
            },
            gauges: Gauges {
                visible: 2,
                ..Gauges::default()
            },
        };
        let requests = super::super::requests::Requests::default();
        requests.record("SendMessage", std::time::Duration::from_millis(2), false);
        let text = render(&[queue], &requests.snapshot());
        assert!(text.contains("# TYPE queue_sqs_messages_sent_total counter\n"));
        assert!(text.contains(
            "queue_sqs_messages_sent_total{region=\"us-east-1\",account=\"000000000000\",queue=\"q\\\"x\"} 3\n"
        ));
        assert!(text.contains("queue_sqs_messages_visible{region=\"us-east-1\",account=\"000000000000\",queue=\"q\\\"x\"} 2\n"));
        assert!(text.contains(
            "queue_request_duration_seconds_bucket{action=\"SendMessage\",le=\"0.0025\"} 1\n"
        ));
        assert!(text.contains(
            "queue_request_duration_seconds_bucket{action=\"SendMessage\",le=\"0.001\"} 0\n"
        ));
        assert!(text.contains("queue_request_duration_seconds_count{action=\"SendMessage\"} 1\n"));
        assert!(text.ends_with('\n'));
    }
}
