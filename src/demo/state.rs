//! The demo's state: one [`Pane`] per queue (tracker, log, chart points, round bookkeeping)
//! and the [`DemoState`] around them: a standard and a FIFO queue, or (`--fanout`) two
//! queues subscribed to one topic, the second through a filter policy. Changes come in as deliveries and send results; no I/O
//! and no clock reads (times are passed in).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use chrono::FixedOffset;
use serde::Serialize;

use crate::message::Delivery;
use crate::rules::DEDUP_WINDOW;
use crate::tracker::{MAX_REMEMBERED_IDS, Marks, Stats, Tracker};
use crate::tui::log::{LogBuffer, LogLine};
use crate::tui::theme::Theme;

/// Log lines each pane keeps.
pub const PANE_LOG_CAPACITY: usize = 2_000;
/// Chart points each pane keeps (later deliveries are counted but not plotted).
pub const MAX_CHART_POINTS: usize = 20_000;

/// Which of the two queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    /// The standard queue (left).
    Standard,
    /// The FIFO queue (right).
    Fifo,
    /// `--fanout`: the standard queue subscribed to the topic, taking every message (left).
    Subscriber,
    /// `--fanout`: the queue subscribed through the filter policy (right).
    Filtered,
}

impl QueueKind {
    /// The queue demo's two, left to right.
    pub const BOTH: [Self; 2] = [Self::Standard, Self::Fifo];
    /// The fan-out demo's two, left to right.
    pub const FANOUT: [Self; 2] = [Self::Subscriber, Self::Filtered];

    /// `standard` / `fifo` / `subscriber` / `filtered`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Fifo => "fifo",
            Self::Subscriber => "subscriber",
            Self::Filtered => "filtered",
        }
    }

    /// A FIFO queue (the others reorder and duplicate).
    #[must_use]
    pub const fn is_fifo(self) -> bool {
        matches!(self, Self::Fifo)
    }
}

/// One row of the demo's figures (the JSON line of `--output json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Round number, from 1.
    pub round: u32,
    /// Which queue.
    pub queue: QueueKind,
    /// Messages the queue accepted.
    pub sent: u64,
    /// The round's delivery figures, late copies of earlier rounds counted as duplicates
    /// ([`Pane::stats`]); their fields stand in the JSON line beside these.
    #[serde(flatten)]
    pub stats: Stats,
    /// From the start of sending (with `--seed` and no terminal: of receiving) to the
    /// delivery that completed the round; 0 when the round brought nothing new.
    pub drain_ms: u64,
}

/// One queue's live figures, log and chart.
#[derive(Debug)]
pub struct Pane {
    /// Which queue.
    pub kind: QueueKind,
    /// Its name.
    pub name: String,
    pub(super) tracker: Tracker,
    pub(super) log: LogBuffer,
    /// Chart points per client: (arrival position, message number).
    pub(super) series: BTreeMap<String, Vec<(f64, f64)>>,
    /// Chart points of duplicate deliveries.
    pub(super) duplicate_points: Vec<(f64, f64)>,
    pub(super) points: usize,
    pub(super) highest_number: u64,
    /// Deliveries since the last reset (the chart's x).
    pub(super) arrivals: u64,
    /// Messages accepted by the queue since the last reset.
    pub(super) sent: u64,
    /// Distinct messages the rounds so far should bring (since the last reset).
    pub(super) expected: u64,
    /// Senders still running.
    pub(super) sending: usize,
    pub(super) round_started: Option<SystemTime>,
    pub(super) last_arrival: Option<SystemTime>,
    /// When the delivery that completed the round arrived (late duplicates come after it).
    pub(super) drained_at: Option<SystemTime>,
    /// Message ids of earlier rounds (since the last reset): a late copy of one of them is a
    /// duplicate even though this round's tracker has never seen it.
    earlier_ids: HashSet<String>,
    /// Message ids of this round.
    round_ids: Vec<String>,
    /// Deliveries of messages from earlier rounds (not given to this round's tracker).
    late_copies: u64,
    /// `--fanout`, filtered queue: messages the topic took that its filter policy kept away.
    pub(super) filtered_out: u64,
}

impl Pane {
    /// An empty pane for queue `name`.
    #[must_use]
    pub fn new(kind: QueueKind, name: &str) -> Self {
        Self {
            kind,
            name: name.to_string(),
            tracker: Tracker::new(),
            log: LogBuffer::new(PANE_LOG_CAPACITY),
            series: BTreeMap::new(),
            duplicate_points: Vec::new(),
            points: 0,
            highest_number: 0,
            arrivals: 0,
            sent: 0,
            expected: 0,
            sending: 0,
            round_started: None,
            last_arrival: None,
            drained_at: None,
            earlier_ids: HashSet::new(),
            round_ids: Vec::new(),
            late_copies: 0,
            filtered_out: 0,
        }
    }

    /// Records a delivery: tracker, log line, chart point.
    pub fn observe(&mut self, delivery: &Delivery) -> Marks {
        let marks = if self.earlier_ids.contains(delivery.identity()) {
            self.late_copies += 1;
            Marks {
                duplicate: true,
                ..Marks::default()
            }
        } else {
            if self.round_ids.len() < MAX_REMEMBERED_IDS {
                self.round_ids.push(delivery.identity().to_string());
            }
            self.tracker.observe(delivery)
        };
        self.log.push(LogLine::new(delivery, marks));
        if let Some(number) = delivery
            .parsed
            .number
            .filter(|_| self.points < MAX_CHART_POINTS)
        {
            #[allow(clippy::cast_precision_loss)] // chart coordinates
            let point = (self.arrivals as f64, number as f64);
            if marks.duplicate {
                self.duplicate_points.push(point);
            } else {
                let client = delivery.client.clone().unwrap_or_default();
                self.series.entry(client).or_default().push(point);
            }
            self.points += 1;
            self.highest_number = self.highest_number.max(number);
        }
        self.arrivals += 1;
        self.last_arrival = Some(delivery.received_at);
        if self.drained_at.is_none() && self.round_started.is_some() && self.drained() {
            self.drained_at = Some(delivery.received_at);
        }
        marks
    }

    /// A round begins at `now`: `senders` senders will run and `expected_new` distinct
    /// messages should arrive.
    pub fn start_round(&mut self, now: SystemTime, senders: usize, expected_new: u64) {
        self.round_started = Some(now);
        self.last_arrival = None;
        self.drained_at = None;
        self.sending += senders;
        self.expected += expected_new;
    }

    /// Drain time counts from `now` (when every message was sent before receiving began).
    pub fn restart_clock(&mut self, now: SystemTime) {
        self.round_started = Some(now);
    }

    /// A sender finished; `accepted` messages were taken by the queue. `expected_new` is
    /// corrected when fewer were accepted than planned.
    pub fn sender_done(&mut self, accepted: u64, planned: u64, fifo_repeat: bool) {
        self.sending = self.sending.saturating_sub(1);
        self.sent += accepted;
        if !fifo_repeat {
            self.expected = self
                .expected
                .saturating_sub(planned.saturating_sub(accepted));
        }
        if self.drained_at.is_none() && self.drained() {
            self.drained_at = self.last_arrival;
        }
    }

    /// Every expected message has arrived and no sender is running.
    #[must_use]
    pub fn drained(&self) -> bool {
        self.sending == 0 && self.tracker.stats().unique >= self.expected
    }

    /// From the start of the round to the delivery that completed it (zero when nothing
    /// came); late duplicate copies do not count.
    #[must_use]
    pub fn drain_time(&self) -> Duration {
        match (self.round_started, self.drained_at) {
            (Some(start), Some(last)) => last.duration_since(start).unwrap_or_default(),
            _ => Duration::ZERO,
        }
    }

    /// The figures, late copies of earlier rounds' messages counted as duplicates.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut stats = self.tracker.stats();
        stats.received += self.late_copies;
        stats.duplicates += self.late_copies;
        stats
    }

    /// Figures for round `round`.
    #[must_use]
    pub fn figures(&self, round: u32) -> Figures {
        Figures {
            round,
            queue: self.kind,
            sent: self.sent,
            stats: self.stats(),
            drain_ms: u64::try_from(self.drain_time().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Starts the figures afresh for a new round, remembering which messages were already
    /// delivered (the log and chart are kept).
    pub fn next_round(&mut self) {
        if self.earlier_ids.len() + self.round_ids.len() > MAX_REMEMBERED_IDS {
            self.earlier_ids.clear();
        }
        self.earlier_ids.extend(self.round_ids.drain(..));
        self.tracker.reset();
        self.late_copies = 0;
        self.sent = 0;
        self.expected = 0;
        self.filtered_out = 0;
    }

    /// Forgets figures, log and chart.
    fn reset(&mut self) {
        *self = Self::new(self.kind, &self.name);
    }

    /// Messages the queue accepted but never delivered (FIFO deduplication), once drained.
    #[must_use]
    pub fn dropped(&self) -> Option<u64> {
        (self.drained() && self.sent > self.stats().unique).then(|| self.sent - self.stats().unique)
    }
}

/// Where the demo runs, for the header.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    /// The endpoint.
    pub endpoint: String,
    /// The embedded server (else another endpoint or real SQS).
    pub embedded: bool,
    /// The embedded server's seed.
    pub seed: Option<u64>,
    /// Senders per queue.
    pub clients: u32,
    /// Messages per sender.
    pub count: u32,
    /// `--fanout`: the topic and the filter, else `None` (the queue demo).
    pub fanout: Option<Fanout>,
}

/// What `--fanout` publishes to and filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fanout {
    /// The topic's name.
    pub topic: String,
    /// The one client whose messages the filtered queue's policy lets through.
    pub client: String,
    /// That filter policy (JSON).
    pub filter: String,
}

impl Fanout {
    /// The fan-out of the topic `topic`, filtering on client `A` (the first).
    #[must_use]
    pub fn new(topic: &str) -> Self {
        let client = client_name(0);
        let filter =
            serde_json::json!({ crate::message::CLIENT_ATTRIBUTE: [client.as_str()] }).to_string();
        Self {
            topic: topic.to_string(),
            client,
            filter,
        }
    }
}

/// Everything the demo screen shows.
#[derive(Debug)]
pub struct DemoState {
    /// Where it runs.
    pub info: DemoInfo,
    /// Left pane: the standard queue, or the topic's subscriber taking every message.
    pub left: Pane,
    /// Right pane: the FIFO queue, or the topic's filtered subscriber.
    pub right: Pane,
    /// Rounds started (the first is 1).
    pub round: u32,
    /// Prefix generation: `p` moves to the next (`A-`, then `A2-`, ...).
    pub generation: u32,
    /// When each generation was last sent, for the FIFO deduplication window.
    sent_generations: HashMap<u32, SystemTime>,
    /// A line for the status bar (a failed send, say).
    pub note: Option<String>,
    pub(super) offset: FixedOffset,
    pub(super) theme: Theme,
}

/// The body prefix of client `index` (0 = `A`) in prefix generation `generation`.
#[must_use]
pub fn prefix(index: u32, generation: u32) -> String {
    let letter = char::from(b'A' + u8::try_from(index % 26).unwrap_or(0));
    if generation == 0 {
        format!("{letter}-")
    } else {
        format!("{letter}{}-", generation + 1)
    }
}

/// The `client` attribute of client `index`.
#[must_use]
pub fn client_name(index: u32) -> String {
    format!("Client {}", prefix(index, 0).trim_end_matches('-'))
}

impl DemoState {
    /// A fresh demo; times are shown in the zone `offset`.
    #[must_use]
    pub fn new(info: DemoInfo, names: [&str; 2], offset: FixedOffset, color: bool) -> Self {
        let [left, right] = if info.fanout.is_some() {
            QueueKind::FANOUT
        } else {
            QueueKind::BOTH
        };
        Self {
            info,
            left: Pane::new(left, names[0]),
            right: Pane::new(right, names[1]),
            round: 0,
            generation: 0,
            sent_generations: HashMap::new(),
            note: None,
            offset,
            theme: Theme::new(color),
        }
    }

    /// The two panes' kinds, left to right.
    #[must_use]
    pub fn kinds(&self) -> [QueueKind; 2] {
        [self.left.kind, self.right.kind]
    }

    /// The pane of `kind` (the right one unless it is the left one's).
    pub fn pane_mut(&mut self, kind: QueueKind) -> &mut Pane {
        if self.left.kind == kind {
            &mut self.left
        } else {
            &mut self.right
        }
    }

    /// Senders are still running on either queue.
    #[must_use]
    pub fn sending(&self) -> bool {
        self.left.sending > 0 || self.right.sending > 0
    }

    /// Whether client `index`'s messages reach the pane of `kind` (`--fanout`: the filtered
    /// queue takes one client's only).
    #[must_use]
    pub fn reaches(&self, kind: QueueKind, index: u32) -> bool {
        match (kind, &self.info.fanout) {
            (QueueKind::Filtered, Some(fanout)) => client_name(index) == fanout.client,
            _ => true,
        }
    }

    /// Client `index`'s sender on `kind` finished: the queue (or the topic, delivering to
    /// both panes) accepted `accepted` of `planned` messages.
    pub fn sender_done(
        &mut self,
        kind: QueueKind,
        index: u32,
        accepted: u64,
        planned: u64,
        fifo_repeat: bool,
    ) {
        if self.info.fanout.is_none() {
            self.pane_mut(kind)
                .sender_done(accepted, planned, fifo_repeat);
            return;
        }
        for kind in self.kinds() {
            if self.reaches(kind, index) {
                self.pane_mut(kind).sender_done(accepted, planned, false);
            } else {
                self.pane_mut(kind).filtered_out += accepted;
            }
        }
    }

    /// Starts round `self.round + 1` at `now` with the current prefix generation; returns
    /// whether the FIFO queue will drop it as a repeat (same bodies within the window).
    pub fn start_round(&mut self, now: SystemTime) -> bool {
        self.round += 1;
        let fifo_repeat = self
            .sent_generations
            .get(&self.generation)
            .is_some_and(|at| now.duration_since(*at).unwrap_or_default() < DEDUP_WINDOW);
        self.sent_generations.insert(self.generation, now);
        for kind in self.kinds() {
            let senders = (0..self.info.clients)
                .filter(|&index| self.reaches(kind, index))
                .count();
            let messages = senders as u64 * u64::from(self.info.count);
            let expected = if kind.is_fifo() && fifo_repeat {
                0
            } else {
                messages
            };
            self.pane_mut(kind).start_round(now, senders, expected);
        }
        self.note = None;
        fifo_repeat && self.kinds().iter().any(|kind| kind.is_fifo())
    }

    /// Both panes' figures start afresh for the next round (without a terminal).
    pub fn next_round(&mut self) {
        self.left.next_round();
        self.right.next_round();
    }

    /// Both panes' figures, logs and charts forgotten (`r`); `false`, and nothing forgotten,
    /// while a round is being sent: its senders would then report messages sent before the
    /// reset, and the FIFO pane would count those as dropped duplicates.
    #[must_use]
    pub fn reset(&mut self) -> bool {
        if self.sending() {
            return false;
        }
        self.left.reset();
        self.right.reset();
        true
    }
}
