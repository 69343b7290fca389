//! Standard-queue delivery, modelled on SQS's documented mechanism and calibrated on what SQS
//! does: each message lives on a few of N simulated storage servers. A receive on a quiet queue
//! reads them all (exact, oldest first); on a busy one a short poll asks a weighted subset and a
//! long poll misses slow servers. A long poll that waits listens to half the servers: a message
//! arriving on one of them wakes it, one arriving elsewhere settles for a moment first. A
//! delete of a message that raced a waiting poll (or came from a busy queue) can miss a
//! replica, which then delivers it again.

use rand::Rng;
use rand::rngs::StdRng;
use tokio::time::{Duration, Instant};

use super::queue::Queue;

/// Copies kept of each message ("a few" servers; capped by the server count).
pub const REPLICAS: usize = 2;

/// Chance that a server is too slow to contribute to a long poll's answer on a busy queue. Its
/// messages wait for a later receive, which breaks runs of in-order messages.
pub const SLOW_SERVER_CHANCE: f64 = 0.35;

/// Most simulated servers a standard queue can have: each is one bit of [`Message::servers`].
///
/// [`Message::servers`]: super::queue::Message::servers
const MAX_SERVERS: u32 = 64;

/// `--servers` brought into 1–[`MAX_SERVERS`].
#[must_use]
pub fn server_count(requested: u32) -> u32 {
    requested.clamp(1, MAX_SERVERS)
}

/// Weights of `n` simulated servers (some take more traffic than others).
pub fn server_weights(rng: &mut StdRng, n: u32) -> Vec<f64> {
    (0..server_count(n))
        .map(|_| rng.random_range(1.0..3.0))
        .collect()
}

/// Picks `k` distinct servers, each draw weighted; returns them as a bit mask.
fn weighted_sample(rng: &mut StdRng, weights: &[f64], k: usize) -> u64 {
    let mut mask = 0_u64;
    for _ in 0..k.min(weights.len()) {
        let total: f64 = weights
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) == 0)
            .map(|(_, w)| w)
            .sum();
        let mut point = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        for (i, w) in weights.iter().enumerate() {
            if mask & (1 << i) != 0 {
                continue;
            }
            if point < *w {
                mask |= 1 << i;
                break;
            }
            point -= w;
        }
    }
    mask
}

/// The servers that will hold a new message.
pub fn place(rng: &mut StdRng, weights: &[f64]) -> u64 {
    let mask = weighted_sample(rng, weights, REPLICAS);
    if mask == 0 { 1 } else { mask }
}

/// A queue with more visible messages than this is *busy*: a receive no longer reads every
/// server (short polls sample about half of them, long polls miss slow ones), so answers are
/// partial and out of order. At or below it a receive reads every server and answers exactly,
/// oldest first, as SQS was recorded doing on small queues (those cases hold at most 20
/// messages). Higher values would leave the demo's concurrent run almost in order.
pub const BUSY_BACKLOG: usize = 20;

/// How a receive reads the simulated servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    /// Every server (a receive as it starts, a long poll's deadline, any wake but a send):
    /// exact unless the queue is busy.
    Full,
    /// Only these servers (bit mask): a waiting long poll woken by a message that arrived on
    /// one of them answers with what they hold.
    Listening(u64),
}

/// Whether more than [`BUSY_BACKLOG`] messages are visible.
#[must_use]
pub fn is_busy(queue: &Queue, now: Instant) -> bool {
    queue
        .messages()
        .values()
        .filter(|m| m.is_visible(now))
        .nth(BUSY_BACKLOG)
        .is_some()
}

/// The servers a long poll listens to while it waits: a weighted half of them, chosen when it
/// starts waiting. A message stored only on the others does not wake it.
pub fn listening(rng: &mut StdRng, weights: &[f64]) -> u64 {
    if weights.len() <= 1 {
        return u64::MAX;
    }
    weighted_sample(rng, weights, (weights.len() / 2).max(1))
}

/// How long a message that arrived while long polls waited, on servers none of them listens
/// to, stays out of sight before every receive can see it (the replicas are still being
/// written). Calibrated on the classroom run (see `docs/serve.md`).
pub fn settle_delay(rng: &mut StdRng) -> Duration {
    Duration::from_millis(rng.random_range(1_000..=3_000))
}

/// Keys of the messages this receive can see, oldest first, at most `limit` of them. `busy`
/// is [`is_busy`] for a full sweep (the caller has worked it out already).
pub fn candidates(
    queue: &Queue,
    rng: &mut StdRng,
    now: Instant,
    long_poll: bool,
    sweep: Sweep,
    busy: bool,
    limit: usize,
) -> Vec<u64> {
    let visible = || {
        queue
            .messages()
            .iter()
            .filter(move |(_, m)| m.is_visible(now))
    };
    let weights = queue.server_weights();
    if weights.len() <= 1 {
        return visible().map(|(k, _)| *k).take(limit).collect();
    }
    let answering = match sweep {
        Sweep::Listening(servers) => servers,
        Sweep::Full if !busy => u64::MAX,
        Sweep::Full if long_poll => (0..weights.len())
            .filter(|_| !rng.random_bool(SLOW_SERVER_CHANCE))
            .fold(0_u64, |mask, i| mask | (1 << i)),
        Sweep::Full => weighted_sample(rng, weights, (weights.len() / 2).max(1)),
    };
    let seen: Vec<u64> = visible()
        .filter(|(_, m)| m.servers & answering != 0)
        .map(|(k, _)| *k)
        .take(limit)
        .collect();
    if seen.is_empty() && long_poll && sweep == Sweep::Full {
        // A long poll waits for the slow servers rather than answer empty.
        return visible().map(|(k, _)| *k).take(limit).collect();
    }
    seen
}

/// How long after a delete that missed a replica the surviving copy is delivered again.
/// In SQS the copy reappears when the stale replica's visibility timer runs out; we use a few
/// seconds instead of the full timeout so a classroom demo actually shows the duplicate.
pub fn duplicate_delay(rng: &mut StdRng) -> Duration {
    Duration::from_millis(rng.random_range(2_000..=5_000))
}

#[cfg(test)]
mod tests;
