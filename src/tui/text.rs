//! Small text helpers every screen uses: clock times, durations and plurals.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, FixedOffset, Utc};

/// `HH:MM:SS[.mmm]` of `at` in the zone `offset`.
#[must_use]
pub fn clock(at: SystemTime, offset: FixedOffset, millis: bool) -> String {
    let at = DateTime::<Utc>::from(at).with_timezone(&offset);
    if millis {
        at.format("%H:%M:%S%.3f").to_string()
    } else {
        at.format("%H:%M:%S").to_string()
    }
}

/// `12ms`, `1.25s`.
#[must_use]
pub fn millis(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// `1 duplicate`, `2 duplicates`.
#[must_use]
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_uses_the_given_zone() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(3_723_045);
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(clock(at, utc, true), "01:02:03.045");
        let brisbane = FixedOffset::east_opt(10 * 3600).unwrap();
        assert_eq!(clock(at, brisbane, false), "11:02:03");
    }
}
