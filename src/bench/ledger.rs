//! This run's own books on its measured messages: which numbers each producer attempted, which
//! the queue acknowledged, which it gave up on, and which came back. From them the summary says
//! exactly how many acknowledged messages never arrived (lost), how many unacknowledged ones
//! arrived anyway, and how many arrivals this run never sent (what `--verify` checks).
//!
//! A message can arrive before its sender has read the acknowledgement, so nothing is judged
//! on arrival alone: both events are booked, and a message counts as "acknowledged and
//! received" on whichever comes second.

use std::collections::HashMap;

use super::payload::Stamp;

/// A set of message numbers, one bit each.
#[derive(Debug, Default)]
pub struct Bits(Vec<u64>);

impl Bits {
    fn place(number: u64) -> (usize, u64) {
        let word = usize::try_from(number / 64).unwrap_or(usize::MAX);
        (word, 1 << (number % 64))
    }

    /// Adds `number`; whether it was already there.
    pub fn insert(&mut self, number: u64) -> bool {
        let (word, mask) = Self::place(number);
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let already = self.0[word] & mask != 0;
        self.0[word] |= mask;
        already
    }

    /// Whether `number` is there.
    #[must_use]
    pub fn contains(&self, number: u64) -> bool {
        let (word, mask) = Self::place(number);
        self.0.get(word).is_some_and(|bits| bits & mask != 0)
    }
}

/// One producer's numbers.
#[derive(Debug, Default)]
struct Producer {
    /// Every number below this has been attempted (numbers are handed out in order).
    attempted_below: u64,
    acknowledged: Bits,
    received: Bits,
}

/// The totals the books give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Distinct messages the queue acknowledged.
    pub acknowledged: u64,
    /// Acknowledged messages received at least once.
    pub acknowledged_received: u64,
    /// Attempted messages the producers gave up on without an acknowledgement.
    pub unacknowledged: u64,
    /// Bench messages received that this run never attempted: another run's, or numbers no
    /// producer of this run had handed out.
    pub unexpected: u64,
}

/// The books of run `run`. Warm-up messages stay out of them.
#[derive(Debug)]
pub struct Ledger {
    run: u32,
    producers: HashMap<u16, Producer>,
    tally: Tally,
}

impl Ledger {
    /// Empty books for run `run`.
    #[must_use]
    pub fn new(run: u32) -> Self {
        Self {
            run,
            producers: HashMap::new(),
            tally: Tally::default(),
        }
    }

    /// Producer `producer` is about to send its numbers below `below`.
    pub fn attempting(&mut self, producer: u16, below: u64) {
        let books = self.producers.entry(producer).or_default();
        books.attempted_below = books.attempted_below.max(below);
    }

    /// The queue acknowledged number `seq` of `producer`; whether it had not before.
    pub fn acknowledged(&mut self, producer: u16, seq: u64) -> bool {
        let books = self.producers.entry(producer).or_default();
        if books.acknowledged.insert(seq) {
            return false;
        }
        self.tally.acknowledged += 1;
        if books.received.contains(seq) {
            self.tally.acknowledged_received += 1;
        }
        true
    }

    /// The producers gave up on `count` attempted messages.
    pub fn gave_up(&mut self, count: u64) {
        self.tally.unacknowledged += count;
    }

    /// The first delivery of the measured bench message `stamp` (of any run).
    pub fn first_delivery(&mut self, stamp: &Stamp) {
        if stamp.run != self.run {
            self.tally.unexpected += 1;
            return;
        }
        let books = self.producers.entry(stamp.producer).or_default();
        if stamp.seq >= books.attempted_below {
            self.tally.unexpected += 1;
            return;
        }
        books.received.insert(stamp.seq);
        if books.acknowledged.contains(stamp.seq) {
            self.tally.acknowledged_received += 1;
        }
    }

    /// The totals now.
    #[must_use]
    pub fn tally(&self) -> Tally {
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(run: u32, producer: u16, seq: u64) -> Stamp {
        Stamp {
            run,
            warmup: false,
            producer,
            lane: 0,
            seq,
            sent_us: 1,
        }
    }

    #[test]
    fn bits_hold_numbers_across_words() {
        let mut bits = Bits::default();
        assert!(!bits.insert(0));
        assert!(!bits.insert(200));
        assert!(bits.insert(200));
        assert!(bits.contains(0) && bits.contains(200));
        assert!(!bits.contains(1) && !bits.contains(10_000));
    }

    #[test]
    fn acknowledgement_and_arrival_match_in_either_order() {
        let mut ledger = Ledger::new(7);
        ledger.attempting(0, 3);
        ledger.first_delivery(&stamp(7, 0, 0));
        assert_eq!(
            ledger.tally().acknowledged_received,
            0,
            "not acknowledged yet"
        );
        assert!(ledger.acknowledged(0, 0));
        assert!(ledger.acknowledged(0, 1));
        assert!(!ledger.acknowledged(0, 1), "an acknowledgement counts once");
        ledger.first_delivery(&stamp(7, 0, 1));
        let tally = ledger.tally();
        assert_eq!(tally.acknowledged, 2);
        assert_eq!(tally.acknowledged_received, 2);
        assert_eq!(tally.unexpected, 0);
    }

    #[test]
    fn arrivals_never_attempted_are_unexpected() {
        let mut ledger = Ledger::new(7);
        ledger.attempting(0, 10);
        ledger.first_delivery(&stamp(8, 0, 0));
        ledger.first_delivery(&stamp(7, 0, 10));
        ledger.first_delivery(&stamp(7, 1, 0));
        ledger.first_delivery(&stamp(7, 0, 9));
        assert_eq!(
            ledger.tally().unexpected,
            3,
            "another run, past the last, no producer"
        );
    }

    #[test]
    fn given_up_sends_are_unacknowledged() {
        let mut ledger = Ledger::new(7);
        ledger.attempting(0, 10);
        ledger.gave_up(4);
        ledger.first_delivery(&stamp(7, 0, 2));
        let tally = ledger.tally();
        assert_eq!(tally.unacknowledged, 4);
        assert_eq!(tally.acknowledged_received, 0);
        assert_eq!(tally.unexpected, 0, "attempted: it may have been stored");
    }
}
