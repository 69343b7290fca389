//! The body a bench message carries: which run and producer sent it, its number, whether it
//! was sent during the warm-up, and when it was sent (for end-to-end latency), padded to
//! `--size` bytes.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// First word of every bench body.
const MAGIC: &str = "qbench";

/// The padding, copied a slice at a time (a character at a time cost 3% of the client's CPU).
const DOTS: &str = "................................................................";

/// What a received body says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The run that sent it (a random id per `queue bench`).
    pub run: u32,
    /// Sent during the warm-up: deleted, not counted.
    pub warmup: bool,
    /// Index of the producer task.
    pub producer: u16,
    /// Which of the producer's streams it belongs to: the FIFO message group's number (order
    /// is kept per group), 0 on a standard queue.
    pub lane: u32,
    /// The producer's own message number, from 0.
    pub seq: u64,
    /// When it was sent, in microseconds since the Unix epoch.
    pub sent_us: u64,
}

/// Microseconds since the Unix epoch (0 for a clock set before 1970).
#[must_use]
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

/// The body for `stamp`, at least `size` bytes long (longer only when `size` is below the
/// stamp's own length).
#[must_use]
pub fn body(stamp: &Stamp, size: usize) -> String {
    let mut text = String::with_capacity(size.max(80));
    let phase = if stamp.warmup { 'w' } else { 'm' };
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{MAGIC} {:08x} {phase} {} {} {} {} ",
        stamp.run, stamp.producer, stamp.lane, stamp.seq, stamp.sent_us
    );
    let mut padding = size.saturating_sub(text.len());
    while padding > 0 {
        let dots = padding.min(DOTS.len());
        text.push_str(&DOTS[..dots]);
        padding -= dots;
    }
    text
}

/// Reads a bench body back; `None` for any other message.
#[must_use]
pub fn parse(body: &str) -> Option<Stamp> {
    let mut words = body.split(' ');
    if words.next()? != MAGIC {
        return None;
    }
    let run = u32::from_str_radix(words.next()?, 16).ok()?;
    let warmup = match words.next()? {
        "w" => true,
        "m" => false,
        _ => return None,
    };
    Some(Stamp {
        run,
        warmup,
        producer: words.next()?.parse().ok()?,
        lane: words.next()?.parse().ok()?,
        seq: words.next()?.parse().ok()?,
        sent_us: words.next()?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_back_and_has_the_asked_size() {
        let stamp = Stamp {
            run: 0xdead_beef,
            warmup: false,
            producer: 256,
            lane: 99_999,
            seq: u64::MAX,
            sent_us: now_us(),
        };
        for size in [80, 100, 1024, 262_144] {
            let body = body(&stamp, size);
            assert_eq!(
                body.len(),
                size,
                "the longest stamp fits in --size's minimum"
            );
            assert_eq!(parse(&body), Some(stamp));
        }
        let warm = Stamp {
            warmup: true,
            seq: 7,
            ..stamp
        };
        assert_eq!(parse(&body(&warm, 80)), Some(warm));
    }

    #[test]
    fn other_bodies_are_not_ours() {
        for body in [
            "",
            "Message 1",
            "qbench",
            "qbench zz m 1 0 2 3 ",
            "qbench 0000000a x 1 0 2 3 ",
            "qbench 0000000a m 1 0 2",
        ] {
            assert_eq!(parse(body), None, "{body:?}");
        }
    }
}
