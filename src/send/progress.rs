//! The sender's progress bar: count, rate and elapsed time on stderr. indicatif hides it by
//! itself when stderr is not a terminal, so piped or captured runs print nothing here.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How often the bar redraws on its own (the spinner and elapsed time).
const TICK: Duration = Duration::from_millis(100);

/// A bar for `total` messages.
#[must_use]
pub fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {pos}/{len} [{bar:30}] {per_sec:>12} {elapsed_precise}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(TICK);
    bar
}
