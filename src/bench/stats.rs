//! What a bench run measured: request and message counters, HDR histograms of send and
//! end-to-end latency, duplicate and order tracking per producer, and the run's own books on
//! its messages ([`Ledger`]). Every worker records into one [`Recorder`]; the reporter takes
//! [`Snapshot`]s of it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::ledger::{Bits, Ledger};
use super::payload::Stamp;

/// Highest latency the histograms hold exactly (an hour, in microseconds); slower ones are
/// counted at this value.
const HIGHEST_US: u64 = 3_600_000_000;
/// Significant figures of every histogram (0.1% precision).
const SIGNIFICANT_FIGURES: u8 = 3;

/// Which request an error or a count belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SendMessage / SendMessageBatch.
    Send,
    /// ReceiveMessage.
    Receive,
    /// DeleteMessage / DeleteMessageBatch.
    Delete,
}

/// Running totals. Message counts cover measured messages only (not the warm-up's); request
/// counts cover every request made, since every one is billed.
///
/// Every distinct message received is one of: acknowledged by the queue (`sent_received`),
/// attempted but never acknowledged ([`Counts::unacknowledged_received`]), or never attempted
/// by this run (`unexpected`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct messages the queue acknowledged.
    pub sent: u64,
    /// Distinct bench messages received (of any run).
    pub received: u64,
    /// Acknowledged messages received at least once.
    pub sent_received: u64,
    /// Attempted messages the producers gave up on without an acknowledgement (after their
    /// retries, or because sending ended).
    pub unacknowledged: u64,
    /// Bench messages received that this run never attempted (another run's).
    pub unexpected: u64,
    /// Deliveries of a message already received.
    pub duplicates: u64,
    /// First deliveries that came after a later message of the same producer.
    pub out_of_order: u64,
    /// Receives that returned no message.
    pub empty_receives: u64,
    /// Messages deleted.
    pub deleted: u64,
    /// Failed requests and failed batch entries.
    pub errors: u64,
    /// Messages that are not bench messages (left on the queue).
    pub foreign: u64,
    /// Send requests made.
    pub send_requests: u64,
    /// Receive requests made.
    pub receive_requests: u64,
    /// Delete requests made.
    pub delete_requests: u64,
    /// Requests as SQS bills them: one per 64 KiB chunk of payload.
    pub billed_requests: u64,
}

impl Counts {
    /// Acknowledged messages not (yet) received: in flight during the run, lost at its end.
    #[must_use]
    pub fn not_received(&self) -> u64 {
        self.sent.saturating_sub(self.sent_received)
    }

    /// Messages received whose send was attempted but never acknowledged (the queue may have
    /// stored one before its answer was lost). Exact once the producers have stopped.
    #[must_use]
    pub fn unacknowledged_received(&self) -> u64 {
        self.received
            .saturating_sub(self.sent_received)
            .saturating_sub(self.unexpected)
    }
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    /// How many values.
    pub count: u64,
    /// Mean.
    pub avg: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    fn of(histogram: &Histogram<u64>) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let ms = |us: u64| us as f64 / 1000.0;
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            avg: histogram.mean() / 1000.0,
            p50: ms(histogram.value_at_quantile(0.50)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        }
    }
}

/// The figures at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Totals so far.
    pub counts: Counts,
    /// End-to-end latency since the previous [`Recorder::interval`] (or the start).
    pub e2e_interval: Percentiles,
}

/// Which numbers of one producer have been received, and the highest of each lane (order is
/// kept per FIFO message group, so it is judged per lane).
#[derive(Debug, Default)]
struct Seen {
    received: Bits,
    highest: HashMap<u32, u64>,
}

/// The numbers one send request of a producer got acknowledged.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// The producer.
    pub producer: u16,
    /// Its numbers the queue acknowledged.
    pub acknowledged: &'a [u64],
}

/// Everything behind the lock.
struct Inner {
    /// Request and delivery counters; the message accounting is in `ledger`.
    counts: Counts,
    ledger: Ledger,
    send_latency: Histogram<u64>,
    e2e: Histogram<u64>,
    e2e_interval: Histogram<u64>,
    seen: HashMap<(u32, u16), Seen>,
    first_errors: Vec<(Kind, String)>,
    last_receive: Option<Instant>,
}

/// Where every worker records. Cheap to share (`Arc`); one short lock per request.
pub struct Recorder {
    inner: Mutex<Inner>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_FIGURES)
        .expect("1 µs to an hour at 3 significant figures is a valid histogram")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Inner {
    /// The counters with the ledger's accounting.
    fn counts(&self) -> Counts {
        let tally = self.ledger.tally();
        Counts {
            sent: tally.acknowledged,
            sent_received: tally.acknowledged_received,
            unacknowledged: tally.unacknowledged,
            unexpected: tally.unexpected,
            ..self.counts
        }
    }
}

impl Recorder {
    /// An empty recorder for run `run` (whose messages it keeps books on).
    #[must_use]
    pub fn new(run: u32) -> Self {
        Self {
            inner: Mutex::new(Inner {
                counts: Counts::default(),
                ledger: Ledger::new(run),
                send_latency: histogram(),
                e2e: histogram(),
                e2e_interval: histogram(),
                seen: HashMap::new(),
                first_errors: Vec::new(),
                last_receive: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A worker that panicked mid-record leaves counters that are still counters.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Producer `producer` is about to send its numbers below `below` (before the request
    /// goes, so that no arrival can precede it).
    pub fn attempting(&self, producer: u16, below: u64) {
        self.lock().ledger.attempting(producer, below);
    }

    /// A send request of `producer` that took `took`: the numbers it acknowledged, `failed`
    /// entries refused, `billed` requests as SQS bills them. Warm-up sends count as requests
    /// only.
    pub fn sent(&self, took: Duration, sent: Sent<'_>, failed: u64, billed: u64, warmup: bool) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        inner.counts.send_requests += 1;
        inner.counts.billed_requests += billed;
        inner.counts.errors += failed;
        if !warmup {
            for &seq in sent.acknowledged {
                inner.ledger.acknowledged(sent.producer, seq);
            }
            inner.send_latency.saturating_record(micros(took));
        }
    }

    /// A producer gave up on `count` messages without an acknowledgement.
    pub fn gave_up(&self, count: u64, warmup: bool) {
        if !warmup {
            self.lock().ledger.gave_up(count);
        }
    }

    /// A receive that returned these stamps (`None` for a message that is not a bench
    /// message), read at `now_us`, `billed` requests as SQS bills them. Bench messages of any
    /// run count, so one `queue bench --consumers 0` can fill a queue that another
    /// `queue bench --producers 0` drains.
    pub fn received(&self, stamps: &[Option<Stamp>], now_us: u64, billed: u64) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        inner.counts.receive_requests += 1;
        inner.counts.billed_requests += billed;
        if stamps.is_empty() {
            inner.counts.empty_receives += 1;
            return;
        }
        inner.last_receive = Some(Instant::now());
        for stamp in stamps {
            let Some(stamp) = stamp else {
                inner.counts.foreign += 1;
                continue;
            };
            if stamp.warmup {
                continue;
            }
            let seen = inner.seen.entry((stamp.run, stamp.producer)).or_default();
            if seen.received.insert(stamp.seq) {
                inner.counts.duplicates += 1;
                continue;
            }
            inner.ledger.first_delivery(stamp);
            let highest = seen.highest.entry(stamp.lane).or_insert(stamp.seq);
            if stamp.seq < *highest {
                inner.counts.out_of_order += 1;
            }
            *highest = (*highest).max(stamp.seq);
            inner.counts.received += 1;
            let latency = now_us.saturating_sub(stamp.sent_us).max(1);
            inner.e2e.saturating_record(latency);
            inner.e2e_interval.saturating_record(latency);
        }
    }

    /// A delete request: `deleted` messages gone, `failed` entries refused.
    pub fn deleted(&self, deleted: u64, failed: u64) {
        let mut inner = self.lock();
        inner.counts.delete_requests += 1;
        inner.counts.billed_requests += 1;
        inner.counts.deleted += deleted;
        inner.counts.errors += failed;
    }

    /// A request of `kind` that failed as a whole (its error text kept once per kind).
    pub fn failed(&self, kind: Kind, error: &str) {
        let mut inner = self.lock();
        match kind {
            Kind::Send => inner.counts.send_requests += 1,
            Kind::Receive => inner.counts.receive_requests += 1,
            Kind::Delete => inner.counts.delete_requests += 1,
        }
        inner.counts.errors += 1;
        if !inner.first_errors.iter().any(|(seen, _)| *seen == kind) {
            inner.first_errors.push((kind, error.to_string()));
        }
    }

    /// An error of a batch entry (its text kept once per kind); counted by the caller.
    pub fn entry_error(&self, kind: Kind, error: &str) {
        let mut inner = self.lock();
        if !inner.first_errors.iter().any(|(seen, _)| *seen == kind) {
            inner.first_errors.push((kind, error.to_string()));
        }
    }

    /// The totals now.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.lock().counts()
    }

    /// The figures now, starting a new interval for the end-to-end percentiles.
    #[must_use]
    pub fn interval(&self) -> Snapshot {
        let mut inner = self.lock();
        let e2e_interval = Percentiles::of(&inner.e2e_interval);
        inner.e2e_interval.reset();
        Snapshot {
            counts: inner.counts(),
            e2e_interval,
        }
    }

    /// Send latency (per request) and end-to-end latency (per message) over the whole run.
    #[must_use]
    pub fn latencies(&self) -> (Percentiles, Percentiles) {
        let inner = self.lock();
        (
            Percentiles::of(&inner.send_latency),
            Percentiles::of(&inner.e2e),
        )
    }

    /// When the last message was received.
    #[must_use]
    pub fn last_receive(&self) -> Option<Instant> {
        self.lock().last_receive
    }

    /// The first error of each kind, as "send: …".
    #[must_use]
    pub fn first_errors(&self) -> Vec<String> {
        first_errors(&self.lock())
    }
}

fn first_errors(inner: &Inner) -> Vec<String> {
    inner
        .first_errors
        .iter()
        .map(|(kind, error)| {
            let kind = match kind {
                Kind::Send => "send",
                Kind::Receive => "receive",
                Kind::Delete => "delete",
            };
            format!("{kind}: {error}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(producer: u16, seq: u64) -> Option<Stamp> {
        Some(Stamp {
            run: 9,
            warmup: false,
            producer,
            lane: 0,
            seq,
            sent_us: 1_000,
        })
    }

    #[test]
    fn duplicates_and_late_messages_are_counted_per_producer() {
        let recorder = Recorder::new(9);
        recorder.received(&[stamp(0, 0), stamp(0, 2), stamp(1, 0)], 3_000, 1);
        recorder.received(&[stamp(0, 1), stamp(0, 2), stamp(1, 1)], 5_000, 1);
        let counts = recorder.counts();
        assert_eq!(counts.received, 5);
        assert_eq!(counts.duplicates, 1, "0/2 came twice");
        assert_eq!(counts.out_of_order, 1, "0/1 came after 0/2");
        let (_, e2e) = recorder.latencies();
        assert_eq!(e2e.count, 5);
        assert!((e2e.p50 - 2.0).abs() < 0.01, "{e2e:?}");
        assert!((e2e.max - 4.0).abs() < 0.01, "{e2e:?}");
    }

    #[test]
    fn order_is_judged_per_lane() {
        let recorder = Recorder::new(9);
        let in_lane = |lane, seq| {
            Some(Stamp {
                lane,
                ..stamp(0, seq).unwrap()
            })
        };
        recorder.received(&[in_lane(1, 1), in_lane(0, 0), in_lane(1, 3)], 2_000, 1);
        assert_eq!(recorder.counts().out_of_order, 0, "groups may interleave");
        recorder.received(&[in_lane(1, 2)], 2_000, 1);
        assert_eq!(recorder.counts().out_of_order, 1);
    }

    #[test]
    fn foreign_and_warmup_messages_are_not_measured() {
        let recorder = Recorder::new(9);
        let other_run = Stamp {
            run: 8,
            ..stamp(0, 0).unwrap()
        };
        let warm = Stamp {
            warmup: true,
            ..stamp(0, 5).unwrap()
        };
        recorder.received(&[None, Some(other_run), Some(warm), stamp(0, 0)], 2_000, 1);
        recorder.received(&[], 2_000, 1);
        let counts = recorder.counts();
        assert_eq!(counts.foreign, 1, "the body without a stamp");
        assert_eq!(counts.received, 2, "producer 0 of two runs are two senders");
        assert_eq!(counts.duplicates, 0);
        assert_eq!(counts.empty_receives, 1);
        assert_eq!(counts.receive_requests, 2);
    }

    #[test]
    fn an_interval_resets_only_the_interval_histogram() {
        let recorder = Recorder::new(9);
        recorder.received(&[stamp(0, 0)], 11_000, 1);
        assert_eq!(recorder.interval().e2e_interval.count, 1);
        assert_eq!(recorder.interval().e2e_interval.count, 0);
        assert_eq!(recorder.latencies().1.count, 1);
    }

    fn acknowledged(seqs: &[u64]) -> Sent<'_> {
        Sent {
            producer: 0,
            acknowledged: seqs,
        }
    }

    #[test]
    fn warmup_sends_are_requests_but_not_messages() {
        let recorder = Recorder::new(9);
        recorder.attempting(0, 20);
        let warm: Vec<u64> = (0..10).collect();
        recorder.sent(Duration::from_millis(2), acknowledged(&warm), 0, 1, true);
        let measured: Vec<u64> = (10..19).collect();
        recorder.sent(
            Duration::from_millis(4),
            acknowledged(&measured),
            1,
            1,
            false,
        );
        recorder.failed(Kind::Send, "boom");
        recorder.failed(Kind::Send, "again");
        let counts = recorder.counts();
        assert_eq!(counts.sent, 9);
        assert_eq!(counts.send_requests, 4, "two answered, two failed");
        assert_eq!(counts.errors, 3, "one failed entry and two failed requests");
        assert_eq!(recorder.latencies().0.count, 1);
        assert_eq!(recorder.first_errors(), vec!["send: boom".to_string()]);
    }

    #[test]
    fn every_message_received_is_accounted_for_once() {
        let recorder = Recorder::new(9);
        recorder.attempting(0, 6);
        // 0 arrives before its acknowledgement is read; 1 is acknowledged and arrives twice;
        // 2 is acknowledged and never arrives; 3 and 4 were refused and given up on, and 3
        // arrives anyway; 7 was never attempted; one comes from another run.
        recorder.received(&[stamp(0, 0), stamp(0, 1)], 2_000, 1);
        recorder.sent(
            Duration::from_millis(1),
            acknowledged(&[0, 1, 2, 5]),
            2,
            1,
            false,
        );
        recorder.gave_up(2, false);
        let other_run = Stamp {
            run: 8,
            ..stamp(0, 3).unwrap()
        };
        recorder.received(
            &[
                stamp(0, 1),
                stamp(0, 3),
                stamp(0, 5),
                stamp(0, 7),
                Some(other_run),
                None,
            ],
            3_000,
            1,
        );
        let counts = recorder.counts();
        assert_eq!(counts.sent, 4);
        assert_eq!(counts.received, 6, "0, 1, 3, 5, 7 and the other run's");
        assert_eq!(counts.sent_received, 3, "0, 1 and 5");
        assert_eq!(counts.not_received(), 1, "2 is lost");
        assert_eq!(counts.unacknowledged, 2);
        assert_eq!(counts.unacknowledged_received(), 1, "3");
        assert_eq!(counts.unexpected, 2, "7 and the other run's");
        assert_eq!(counts.foreign, 1);
        assert_eq!(counts.duplicates, 1);
        assert_eq!(
            counts.received,
            counts.sent_received + counts.unacknowledged_received() + counts.unexpected
        );
    }
}
