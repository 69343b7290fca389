//! Order and duplicate bookkeeping for received messages, shared by every presenter (TUI,
//! plain, JSON) and the demo's figures.
//!
//! Messages are grouped into *streams*: one per (client, prefix, run). Within a stream, a
//! message is **out of order** when a higher number of the same stream arrived before it, and
//! a **duplicate** when its MessageId (the SNS one for an enveloped message), or its number,
//! was already seen. Memory is bounded:
//! at most [`MAX_STREAMS`] streams, [`MAX_REMEMBERED_IDS`] message ids and [`MAX_CLIENTS`]
//! client names are remembered.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use crate::message::Delivery;

/// Streams remembered at once; the least recently used is forgotten beyond this.
pub const MAX_STREAMS: usize = 256;
/// Message ids remembered for duplicate detection; the oldest are forgotten beyond this.
pub const MAX_REMEMBERED_IDS: usize = 100_000;
/// Client names with their own figures; later names are counted under [`OTHER_CLIENTS`].
pub const MAX_CLIENTS: usize = 64;
/// Where deliveries from clients beyond [`MAX_CLIENTS`] are counted.
pub const OTHER_CLIENTS: &str = "(other clients)";
/// Numbers remembered per stream (a stream longer than this stops counting inversions).
pub const MAX_NUMBERS_PER_STREAM: usize = 100_000;

/// What the tracker says about one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// A higher number of the same stream arrived earlier.
    pub out_of_order: bool,
    /// This message (same id, or same stream and number) was already delivered.
    pub duplicate: bool,
    /// For a late message: how many numbers behind the highest seen it is.
    pub displacement: u64,
    /// How many higher numbers of the same stream arrived before this one.
    pub inversions: u64,
}

/// Figures over every delivery observed since the last reset (serialized as the demo's JSON
/// line shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Stats {
    /// Deliveries, duplicates included.
    pub received: u64,
    /// Distinct messages.
    pub unique: u64,
    /// Deliveries of a message already seen.
    pub duplicates: u64,
    /// Unique messages that arrived after a higher number of their stream.
    pub out_of_order: u64,
    /// Pairs (a, b) of one stream where a arrived first but has the higher number.
    pub inversions: u64,
    /// The largest [`Marks::displacement`] seen.
    pub max_displacement: u64,
}

/// Per-client figures for the receive view's side panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientStats {
    /// Deliveries, duplicates included.
    pub received: u64,
    /// Out-of-order deliveries.
    pub out_of_order: u64,
    /// Duplicate deliveries.
    pub duplicates: u64,
    /// Sum of send-to-receive latencies, for the mean.
    pub latency_total: Duration,
    /// Deliveries with a known latency.
    pub latency_samples: u64,
    /// The latest latency seen.
    pub latency_last: Option<Duration>,
}

impl ClientStats {
    /// Mean send-to-receive latency, when any was measured.
    #[must_use]
    pub fn latency_mean(&self) -> Option<Duration> {
        let samples = u32::try_from(self.latency_samples).ok()?;
        (samples > 0).then(|| self.latency_total / samples)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StreamKey {
    client: Option<String>,
    prefix: String,
    run: Option<String>,
}

#[derive(Debug, Default)]
struct Stream {
    /// Numbers seen, sorted, for duplicate checks and inversion counts.
    sorted: Vec<u64>,
    highest: Option<u64>,
    last_used: u64,
}

/// Observes deliveries and keeps the figures. See the module docs for the definitions.
#[derive(Debug, Default)]
pub struct Tracker {
    streams: HashMap<StreamKey, Stream>,
    ids: HashSet<String>,
    id_order: VecDeque<String>,
    clients: BTreeMap<String, ClientStats>,
    stats: Stats,
    tick: u64,
}

/// Name shown for deliveries without a `client` attribute.
pub const NO_CLIENT: &str = "(no client)";

impl Tracker {
    /// An empty tracker.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one delivery and says whether it was late or a duplicate.
    pub fn observe(&mut self, delivery: &Delivery) -> Marks {
        self.tick += 1;
        let mut marks = Marks::default();
        let id_seen = !self.remember_id(delivery.identity());
        if let Some(number) = delivery.parsed.number {
            let key = StreamKey {
                client: delivery.client.clone(),
                prefix: delivery.parsed.prefix.clone(),
                run: delivery.run.clone(),
            };
            let stream = self.stream(key);
            match stream.sorted.binary_search(&number) {
                Ok(_) => marks.duplicate = true,
                Err(at) => {
                    if !id_seen {
                        marks.inversions = (stream.sorted.len() - at) as u64;
                        if let Some(highest) = stream.highest.filter(|&h| h > number) {
                            marks.out_of_order = true;
                            marks.displacement = highest - number;
                        }
                        if stream.sorted.len() < MAX_NUMBERS_PER_STREAM {
                            stream.sorted.insert(at, number);
                        }
                        stream.highest = Some(stream.highest.map_or(number, |h| h.max(number)));
                    }
                }
            }
        }
        marks.duplicate |= id_seen;
        self.count(delivery, marks);
        marks
    }

    /// The figures since the last reset.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Per-client figures, by client name ([`NO_CLIENT`] for messages without one).
    #[must_use]
    pub fn clients(&self) -> &BTreeMap<String, ClientStats> {
        &self.clients
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    fn remember_id(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.id_order.len() >= MAX_REMEMBERED_IDS
            && let Some(old) = self.id_order.pop_front()
        {
            self.ids.remove(&old);
        }
        self.ids.insert(id.to_string());
        self.id_order.push_back(id.to_string());
        true
    }

    fn stream(&mut self, key: StreamKey) -> &mut Stream {
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            let oldest = self
                .streams
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.streams.remove(&oldest);
            }
        }
        let tick = self.tick;
        let stream = self.streams.entry(key).or_default();
        stream.last_used = tick;
        stream
    }

    fn count(&mut self, delivery: &Delivery, marks: Marks) {
        let stats = &mut self.stats;
        stats.received += 1;
        stats.inversions += marks.inversions;
        if marks.duplicate {
            stats.duplicates += 1;
        } else {
            stats.unique += 1;
        }
        if marks.out_of_order {
            stats.out_of_order += 1;
            stats.max_displacement = stats.max_displacement.max(marks.displacement);
        }
        let mut name = delivery.client.as_deref().unwrap_or(NO_CLIENT);
        if !self.clients.contains_key(name) && self.clients.len() >= MAX_CLIENTS {
            name = OTHER_CLIENTS;
        }
        let client = match self.clients.get_mut(name) {
            Some(client) => client,
            None => self.clients.entry(name.to_string()).or_default(),
        };
        client.received += 1;
        client.out_of_order += u64::from(marks.out_of_order);
        client.duplicates += u64::from(marks.duplicate);
        if let Some(latency) = delivery
            .sent_at
            .and_then(|sent| delivery.received_at.duration_since(sent).ok())
        {
            client.latency_total += latency;
            client.latency_samples += 1;
            client.latency_last = Some(latency);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{body, parse_body};
    use std::time::SystemTime;

    fn delivery(id: &str, client: &str, text: &str) -> Delivery {
        Delivery {
            message_id: id.to_string(),
            receipt_handle: format!("rh-{id}"),
            body: text.to_string(),
            client: Some(client.to_string()),
            run: Some("r1".to_string()),
            parsed: parse_body(text),
            group_id: None,
            sequence_number: None,
            receive_count: 1,
            notification: None,
            sent_at: None,
            received_at: SystemTime::UNIX_EPOCH,
        }
    }

    fn feed(tracker: &mut Tracker, client: &str, numbers: &[u64]) -> Vec<Marks> {
        numbers
            .iter()
            .map(|&n| tracker.observe(&delivery(&format!("{client}-{n}"), client, &body("", n))))
            .collect()
    }

    #[test]
    fn in_order_stream_has_no_marks() {
        let mut tracker = Tracker::new();
        let marks = feed(&mut tracker, "a", &[0, 1, 2, 3]);
        assert!(marks.iter().all(|m| *m == Marks::default()));
        assert_eq!(
            tracker.stats(),
            Stats {
                received: 4,
                unique: 4,
                ..Stats::default()
            }
        );
    }

    #[test]
    fn late_messages_are_out_of_order_with_inversions() {
        let mut tracker = Tracker::new();
        let marks = feed(&mut tracker, "a", &[0, 3, 1, 2, 4]);
        assert!(marks[2].out_of_order && marks[2].displacement == 2);
        assert!(marks[3].out_of_order && marks[3].displacement == 1);
        let stats = tracker.stats();
        assert_eq!(stats.out_of_order, 2);
        assert_eq!(stats.inversions, 2, "(3,1) and (3,2)");
        assert_eq!(stats.max_displacement, 2);
    }

    #[test]
    fn clients_and_prefixes_are_separate_streams() {
        let mut tracker = Tracker::new();
        feed(&mut tracker, "a", &[5]);
        let marks = feed(&mut tracker, "b", &[0]);
        assert!(!marks[0].out_of_order);
        let late = tracker.observe(&delivery("x", "a", "B-Message 0"));
        assert!(!late.out_of_order, "another prefix is another stream");
        assert_eq!(tracker.clients().len(), 2);
    }

    #[test]
    fn same_id_or_same_number_is_a_duplicate() {
        let mut tracker = Tracker::new();
        feed(&mut tracker, "a", &[0, 1]);
        let again = tracker.observe(&delivery("a-1", "a", &body("", 1)));
        assert!(again.duplicate && !again.out_of_order);
        let resent = tracker.observe(&delivery("other-id", "a", &body("", 0)));
        assert!(resent.duplicate);
        let foreign = tracker.observe(&delivery("a-0", "a", "not ours"));
        assert!(
            foreign.duplicate,
            "a redelivered id is a duplicate whatever its body"
        );
        let stats = tracker.stats();
        assert_eq!((stats.received, stats.unique, stats.duplicates), (5, 2, 3));
        assert_eq!(tracker.clients()["a"].duplicates, 3);
    }

    #[test]
    fn foreign_bodies_and_missing_clients_are_counted_not_judged() {
        let mut tracker = Tracker::new();
        let mut d = delivery("1", "a", "hello from the console");
        d.client = None;
        let marks = tracker.observe(&d);
        assert_eq!(marks, Marks::default());
        assert_eq!(tracker.clients()[NO_CLIENT].received, 1);
    }

    #[test]
    fn latency_is_measured_when_sent_at_is_known() {
        let mut tracker = Tracker::new();
        let mut d = delivery("1", "a", "Message 0");
        d.sent_at = Some(SystemTime::UNIX_EPOCH);
        d.received_at = SystemTime::UNIX_EPOCH + Duration::from_millis(40);
        tracker.observe(&d);
        assert_eq!(
            tracker.clients()["a"].latency_mean(),
            Some(Duration::from_millis(40))
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let mut tracker = Tracker::new();
        for s in 0..(MAX_STREAMS + 10) {
            tracker.observe(&delivery(&format!("id{s}"), &format!("c{s}"), "Message 1"));
        }
        assert!(tracker.streams.len() <= MAX_STREAMS);
        assert!(tracker.clients().len() <= MAX_CLIENTS + 1);
        assert_eq!(
            tracker.clients()[OTHER_CLIENTS].received,
            (MAX_STREAMS + 10 - MAX_CLIENTS) as u64
        );
    }
}
