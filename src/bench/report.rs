//! What `queue bench` prints: a line per interval and the summary, for people (aligned
//! lines) or machines (one JSON object per line), on stdout; the progress bar on stderr
//! stays out of the way of both.

use std::io::Write;
use std::time::Duration;

use indicatif::ProgressBar;
use serde_json::{Value, json};

use super::plan::{FIFO_PRICE_PER_MILLION, STANDARD_PRICE_PER_MILLION, cost_usd};
use super::stats::{Counts, Percentiles, Snapshot};
use crate::cli::BenchOutput;

/// The figures of a whole run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Totals.
    pub counts: Counts,
    /// From the end of the warm-up until the producers stopped.
    pub send_window: Duration,
    /// From the end of the warm-up until the last message arrived.
    pub receive_window: Duration,
    /// Per send request.
    pub send_latency: Percentiles,
    /// Per message, from its send to its receipt.
    pub e2e_latency: Percentiles,
    /// A FIFO queue (priced as one).
    pub fifo: bool,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// The first error of each kind.
    pub first_errors: Vec<String>,
}

impl Summary {
    /// Messages sent per second.
    #[must_use]
    pub fn sent_per_s(&self) -> f64 {
        per_second(self.counts.sent, self.send_window)
    }

    /// Distinct messages received per second.
    #[must_use]
    pub fn received_per_s(&self) -> f64 {
        per_second(self.counts.received, self.receive_window)
    }

    /// What the run's requests would cost on AWS.
    #[must_use]
    pub fn cost_usd(&self) -> f64 {
        cost_usd(self.counts.billed_requests, self.fifo)
    }
}

#[allow(clippy::cast_precision_loss)]
fn per_second(count: u64, window: Duration) -> f64 {
    let seconds = window.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `12,345`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn rate(per_second: f64) -> String {
    thousands(per_second.round() as u64)
}

/// Rounds to 3 decimals for JSON (microsecond precision of milliseconds).
fn ms(value: f64) -> Value {
    json!((value * 1000.0).round() / 1000.0)
}

fn latency_json(latency: &Percentiles) -> Value {
    json!({
        "count": latency.count,
        "avg": ms(latency.avg),
        "p50": ms(latency.p50),
        "p95": ms(latency.p95),
        "p99": ms(latency.p99),
        "p999": ms(latency.p999),
        "max": ms(latency.max),
    })
}

fn latency_line(latency: &Percentiles) -> String {
    if latency.count == 0 {
        return "none measured".to_string();
    }
    format!(
        "avg {:.2}  p50 {:.2}  p95 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        latency.avg, latency.p50, latency.p95, latency.p99, latency.p999, latency.max
    )
}

/// Writes the lines, through the progress bar when one is shown.
pub struct Reporter {
    output: BenchOutput,
    bar: Option<ProgressBar>,
    /// The bar counts messages sent (`--count`), else seconds.
    bar_counts_messages: bool,
    previous: (Duration, Counts),
    /// The first failed write (a closed stdout), reported when the run ends.
    failure: Option<std::io::Error>,
}

impl Reporter {
    /// A reporter writing `output` and moving `bar` (by messages sent when
    /// `bar_counts_messages`, else by seconds).
    #[must_use]
    pub fn new(output: BenchOutput, bar: ProgressBar, bar_counts_messages: bool) -> Self {
        Self {
            output,
            bar: Some(bar),
            bar_counts_messages,
            previous: (Duration::ZERO, Counts::default()),
            failure: None,
        }
    }

    fn write(&mut self, line: &str) {
        if self.failure.is_some() {
            return;
        }
        let write = || writeln!(std::io::stdout().lock(), "{line}");
        let result = match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        if let Err(error) = result {
            self.failure = Some(error);
        }
    }

    /// One interval's line: rates since the previous line, totals, and the interval's
    /// end-to-end latency.
    pub fn interval(&mut self, snapshot: &Snapshot, elapsed: Duration) {
        let (before, last) = std::mem::replace(&mut self.previous, (elapsed, snapshot.counts));
        let now = snapshot.counts;
        let window = elapsed.saturating_sub(before);
        let sent_per_s = per_second(now.sent - last.sent, window);
        let received_per_s = per_second(now.received - last.received, window);
        if let Some(bar) = &self.bar {
            bar.set_position(if self.bar_counts_messages {
                now.sent
            } else {
                elapsed.as_secs()
            });
            bar.set_message(format!(
                "{} sent, {} received",
                thousands(now.sent),
                thousands(now.received)
            ));
        }
        let line = match self.output {
            BenchOutput::Json => json!({
                "type": "interval",
                "elapsed_s": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                "sent": now.sent,
                "received": now.received,
                "sent_per_s": sent_per_s.round(),
                "received_per_s": received_per_s.round(),
                "empty_receives": now.empty_receives - last.empty_receives,
                "errors": now.errors - last.errors,
                "in_flight": now.not_received(),
                "duplicates": now.duplicates,
                "e2e_latency_ms": {
                    "p50": ms(snapshot.e2e_interval.p50),
                    "p99": ms(snapshot.e2e_interval.p99),
                },
            })
            .to_string(),
            BenchOutput::Plain => format!(
                "{:>7.1}s  sent {:>9}/s  received {:>9}/s  empty {:>6}  errors {:>4}  in flight {:>9}  e2e p50 {:>8.2} ms  p99 {:>8.2} ms",
                elapsed.as_secs_f64(),
                rate(sent_per_s),
                rate(received_per_s),
                thousands(now.empty_receives - last.empty_receives),
                thousands(now.errors - last.errors),
                thousands(now.not_received()),
                snapshot.e2e_interval.p50,
                snapshot.e2e_interval.p99,
            ),
        };
        self.write(&line);
    }

    /// The summary; the first failed write, if any, as an error.
    ///
    /// # Errors
    /// stdout could not be written (a closed pipe).
    pub fn summary(mut self, summary: &Summary) -> std::io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let lines = match self.output {
            BenchOutput::Json => vec![summary_json(summary).to_string()],
            BenchOutput::Plain => summary_lines(summary),
        };
        for line in lines {
            self.write(&line);
        }
        self.failure.map_or(Ok(()), Err)
    }
}

fn summary_json(summary: &Summary) -> Value {
    let counts = &summary.counts;
    json!({
        "type": "summary",
        "interrupted": summary.interrupted,
        "send_seconds": (summary.send_window.as_secs_f64() * 1000.0).round() / 1000.0,
        "sent": counts.sent,
        "received": counts.received,
        "sent_received": counts.sent_received,
        "lost": counts.not_received(),
        "unacknowledged": counts.unacknowledged,
        "unacknowledged_received": counts.unacknowledged_received(),
        "unexpected": counts.unexpected,
        "sent_per_s": summary.sent_per_s().round(),
        "received_per_s": summary.received_per_s().round(),
        "errors": counts.errors,
        "duplicates": counts.duplicates,
        "out_of_order": counts.out_of_order,
        "empty_receives": counts.empty_receives,
        "deleted": counts.deleted,
        "not_received": counts.not_received(),
        "foreign": counts.foreign,
        "requests": {
            "send": counts.send_requests,
            "receive": counts.receive_requests,
            "delete": counts.delete_requests,
            "billed": counts.billed_requests,
        },
        "cost_usd": summary.cost_usd(),
        "send_latency_ms": latency_json(&summary.send_latency),
        "e2e_latency_ms": latency_json(&summary.e2e_latency),
        "first_errors": summary.first_errors,
    })
}

/// Where every message went: the acknowledged ones received or lost, the unacknowledged ones
/// and those of them that arrived anyway, and arrivals this run never sent.
fn accounting_line(counts: &Counts) -> String {
    format!(
        "acknowledged {}: {} received, {} lost; unacknowledged {} ({} received anyway); unexpected {}",
        thousands(counts.sent),
        thousands(counts.sent_received),
        thousands(counts.not_received()),
        thousands(counts.unacknowledged),
        thousands(counts.unacknowledged_received()),
        thousands(counts.unexpected),
    )
}

fn summary_lines(summary: &Summary) -> Vec<String> {
    let counts = &summary.counts;
    let price = if summary.fifo {
        FIFO_PRICE_PER_MILLION
    } else {
        STANDARD_PRICE_PER_MILLION
    };
    let mut lines = vec![
        format!(
            "{}sent {} in {:.1} s ({} msg/s), received {} ({} msg/s), {} not received",
            if summary.interrupted {
                "interrupted: "
            } else {
                ""
            },
            thousands(counts.sent),
            summary.send_window.as_secs_f64(),
            rate(summary.sent_per_s()),
            thousands(counts.received),
            rate(summary.received_per_s()),
            thousands(counts.not_received()),
        ),
        accounting_line(counts),
        format!(
            "duplicates {}, out of order {}, empty receives {}, errors {}{}",
            thousands(counts.duplicates),
            thousands(counts.out_of_order),
            thousands(counts.empty_receives),
            thousands(counts.errors),
            if counts.foreign > 0 {
                format!(
                    ", {} other messages left on the queue",
                    thousands(counts.foreign)
                )
            } else {
                String::new()
            }
        ),
        format!(
            "send latency ms (per request):  {}",
            latency_line(&summary.send_latency)
        ),
        format!(
            "end-to-end latency ms:          {}",
            latency_line(&summary.e2e_latency)
        ),
        format!(
            "requests: {} send, {} receive, {} delete; on AWS {} billed requests cost ${:.4} (${price:.2} per million, {})",
            thousands(counts.send_requests),
            thousands(counts.receive_requests),
            thousands(counts.delete_requests),
            thousands(counts.billed_requests),
            summary.cost_usd(),
            if summary.fifo { "FIFO" } else { "standard" },
        ),
    ];
    lines.extend(
        summary
            .first_errors
            .iter()
            .map(|error| format!("first error: {error}")),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary {
            counts: Counts {
                sent: 20_000,
                received: 19_993,
                sent_received: 19_990,
                unacknowledged: 5,
                unexpected: 1,
                duplicates: 3,
                out_of_order: 12,
                empty_receives: 4,
                deleted: 19_993,
                errors: 0,
                foreign: 0,
                send_requests: 2_000,
                receive_requests: 2_004,
                delete_requests: 2_000,
                billed_requests: 6_004,
            },
            send_window: Duration::from_secs(2),
            receive_window: Duration::from_secs(4),
            send_latency: Percentiles {
                count: 2_000,
                avg: 1.5,
                p50: 1.25,
                p95: 2.0,
                p99: 3.0,
                p999: 4.0,
                max: 5.0,
            },
            e2e_latency: Percentiles::default(),
            fifo: false,
            interrupted: false,
            first_errors: Vec::new(),
        }
    }

    #[test]
    fn the_json_summary_has_the_documented_keys() {
        let value = summary_json(&summary());
        assert_eq!(value["type"], "summary");
        assert_eq!(value["sent_per_s"], 10_000.0);
        assert_eq!(value["received_per_s"], 4_998.0);
        assert_eq!(value["duplicates"], 3);
        assert_eq!(value["not_received"], 10);
        assert_eq!(value["lost"], 10);
        assert_eq!(value["sent_received"], 19_990);
        assert_eq!(value["unacknowledged"], 5);
        assert_eq!(value["unacknowledged_received"], 2);
        assert_eq!(value["unexpected"], 1);
        assert_eq!(value["send_latency_ms"]["p999"], 4.0);
        assert_eq!(value["e2e_latency_ms"]["count"], 0);
        for key in ["p50", "p95", "p99", "p999", "max"] {
            assert!(value["e2e_latency_ms"][key].is_number(), "{key}");
        }
        let cost = value["cost_usd"].as_f64().unwrap();
        assert!((cost - 6_004.0 * 0.40 / 1e6).abs() < 1e-12, "{cost}");
    }

    #[test]
    fn the_plain_summary_reads_as_sentences() {
        let lines = summary_lines(&summary());
        assert_eq!(
            lines[0],
            "sent 20,000 in 2.0 s (10,000 msg/s), received 19,993 (4,998 msg/s), 10 not received"
        );
        assert_eq!(
            lines[1],
            "acknowledged 20,000: 19,990 received, 10 lost; unacknowledged 5 (2 received anyway); unexpected 1"
        );
        assert_eq!(
            lines[2],
            "duplicates 3, out of order 12, empty receives 4, errors 0"
        );
        assert!(lines[3].contains("p99.9 4.00"), "{}", lines[3]);
        assert!(lines[4].ends_with("none measured"), "{}", lines[4]);
        assert!(
            lines[5].contains("6,004 billed requests cost $0.0024"),
            "{}",
            lines[5]
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
