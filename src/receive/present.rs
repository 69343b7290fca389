//! The line presenter (plain or JSON): writes each delivery, flushes per line, then tells the
//! receiver how many it wrote. Stops on `--count`, `--idle`, cancellation or a closed channel.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::FixedOffset;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::format;
use super::{Batch, Limits};
use crate::tracker::{Stats, Tracker};

/// Which line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// [`format::plain`].
    Plain {
        /// ANSI colour for the marks.
        color: bool,
        /// The time zone of the time column (`Config::local_offset`).
        offset: FixedOffset,
    },
    /// [`format::json`].
    Json,
}

/// Presents batches until a limit, cancellation or the end of the channel; cancels `cancel`
/// when it stops. Returns the tracker's figures.
///
/// # Errors
/// Writing failed (a broken pipe included: the caller's exit mapping makes that a success).
pub async fn present(
    mut batches: mpsc::Receiver<Batch>,
    limits: Limits,
    cancel: CancellationToken,
    out: &mut (dyn Write + Send),
    line_format: LineFormat,
) -> Result<Stats> {
    let mut tracker = Tracker::new();
    let mut seen: u64 = 0;
    let mut last_message = Instant::now();
    let reached = |seen: u64| limits.count.is_some_and(|count| seen >= count);
    let outcome = loop {
        if reached(seen) {
            break Ok(());
        }
        let idle = async {
            match limits.idle {
                Some(idle) => tokio::time::sleep_until((last_message + idle).into()).await,
                None => std::future::pending().await,
            }
        };
        let batch = tokio::select! {
            () = cancel.cancelled() => break Ok(()),
            () = idle => break Ok(()),
            batch = batches.recv() => match batch {
                Some(batch) => batch,
                None => break Ok(()),
            },
        };
        let mut shown = 0;
        let mut written = Ok(());
        for delivery in &batch.deliveries {
            if reached(seen) {
                break;
            }
            let marks = tracker.observe(delivery);
            let line = match line_format {
                LineFormat::Plain { color, offset } => {
                    format::plain(delivery, marks, color, offset)
                }
                LineFormat::Json => format::json(delivery, marks),
            };
            written = writeln!(out, "{line}").and_then(|()| out.flush());
            if written.is_err() {
                break;
            }
            shown += 1;
            seen += 1;
        }
        // The receiver may be gone already (cancelled); then nothing is deleted anyway.
        let _ = batch.shown.send(shown);
        if !batch.deliveries.is_empty() {
            last_message = Instant::now();
        }
        if let Err(error) = written {
            break Err(error).context("writing to stdout");
        }
    };
    cancel.cancel();
    outcome.map(|()| tracker.stats())
}
