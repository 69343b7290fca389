//! The engine's clock: tokio time plus a manual offset, so tests and the demo can skip time
//! (visibility timeouts, delays, the dedup window) without sleeping.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Engine time. `now()` is `tokio::time::Instant::now()` plus everything passed to
/// [`Clock::advance`]; epoch timestamps are derived from the same reading.
#[derive(Debug)]
pub struct Clock {
    /// Tokio instant when the clock was made.
    start: Instant,
    /// Wall-clock milliseconds since the epoch at `start`.
    start_epoch_ms: u64,
    /// Total manual advance so far.
    offset: Mutex<Duration>,
}

impl Clock {
    /// A clock reading the real time.
    #[must_use]
    pub fn new() -> Self {
        let start_epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self {
            start: Instant::now(),
            start_epoch_ms,
            offset: Mutex::new(Duration::ZERO),
        }
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The engine's current instant.
    #[must_use]
    pub fn now(&self) -> Instant {
        let now = Instant::now();
        // An absurd advance saturates rather than overflow.
        now.checked_add(self.offset())
            .unwrap_or(now + Duration::from_secs(u64::from(u32::MAX)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset += by;
    }

    /// Milliseconds since the epoch at engine instant `at`.
    #[must_use]
    pub fn epoch_ms(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.start);
        self.start_epoch_ms + u64::try_from(since.as_millis()).unwrap_or(u64::MAX / 2)
    }

    /// The real tokio instant at which the engine clock will read `at` (for sleeping).
    #[must_use]
    pub fn to_tokio(&self, at: Instant) -> Instant {
        let offset = self.offset();
        at.checked_sub(offset).unwrap_or_else(Instant::now)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
