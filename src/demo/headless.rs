//! The demo without a terminal (`--output plain|json`, or stdout not a terminal): runs the
//! rounds, waits for both queues to drain, prints the figures.

use std::io::Write;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::rounds::{self, Receivers, SendDone};
use super::setup::Target;
use super::state::{DemoState, Figures, QueueKind};
use super::ui::caption_text;
use crate::cli::OutputMode;
use crate::server::LocalServer;

/// A round that has not drained by then is reported as it stands, with a warning.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the drain condition is checked.
const CHECK_PERIOD: Duration = Duration::from_millis(50);

/// How the rounds are sent and received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every sender and both receivers at once, as in a classroom.
    Concurrent,
    /// One request at a time in a fixed order, then one queue drained after the other, and
    /// the embedded server's clock moved on until every late duplicate copy has come: with
    /// a seeded server the figures repeat exactly (`drain_ms` aside).
    Reproducible,
}

/// How far the embedded server's clock is moved so that copies left by a delete that missed
/// a replica (delivered again 2 to 5 seconds later) come within the round.
pub const DUPLICATE_SWEEP: Duration = Duration::from_secs(6);

/// Runs `rounds` rounds (the second and later re-send the same bodies) and prints one table
/// row or JSON object per queue and round to `out`.
///
/// # Errors
/// A sender or receiver failed, or `out` could not be written.
pub async fn run(
    state: &mut DemoState,
    target: &Target,
    server: Option<&LocalServer>,
    schedule: Schedule,
    rounds: u32,
    output: OutputMode,
    out: &mut dyn Write,
) -> Result<()> {
    if output != OutputMode::Json {
        writeln!(out, "{}", table_header())?;
    }
    let mut receivers =
        (schedule == Schedule::Concurrent).then(|| Receivers::spawn(target, &target.kinds));
    let mut outcome = Ok(());
    for _ in 0..rounds {
        state.next_round();
        let drained = match receivers.as_mut() {
            Some(receivers) => {
                let mut sends = JoinSet::new();
                rounds::start_round(state, target, &mut sends, SystemTime::now());
                wait_drained(state, target, receivers, &mut sends, &target.kinds).await
            }
            None => reproducible_round(state, target, server).await,
        };
        match drained {
            Ok(true) => {}
            Ok(false) => crate::exit::note(format_args!(
                "queue: round {}: the queues had not drained after {}s; figures are partial",
                state.round,
                ROUND_TIMEOUT.as_secs()
            )),
            Err(error) => {
                outcome = Err(error);
                break;
            }
        }
        print_round(state, output, out)?;
    }
    if let Some(receivers) = receivers {
        receivers.stop().await;
    }
    outcome
}

async fn reproducible_round(
    state: &mut DemoState,
    target: &Target,
    server: Option<&LocalServer>,
) -> Result<bool> {
    rounds::send_round_in_order(state, target, SystemTime::now()).await?;
    let mut drained = true;
    for kind in target.kinds {
        // Everything is sent by now: drain time counts from when this queue's receiver starts.
        state.pane_mut(kind).restart_clock(SystemTime::now());
        let mut receivers = Receivers::spawn(target, &[kind]);
        let outcome = drain_one(state, target, &mut receivers, kind, server).await;
        receivers.stop().await;
        drained &= outcome?;
    }
    Ok(drained)
}

/// Drains one queue; on a standard queue, then moves the server clock on until no late
/// copy turns up any more.
async fn drain_one(
    state: &mut DemoState,
    target: &Target,
    receivers: &mut Receivers,
    kind: QueueKind,
    server: Option<&LocalServer>,
) -> Result<bool> {
    let mut sends = JoinSet::new();
    if !wait_drained(state, target, receivers, &mut sends, &[kind]).await? {
        return Ok(false);
    }
    let Some(server) = server.filter(|_| !kind.is_fifo()) else {
        return Ok(true);
    };
    loop {
        let before = state.pane_mut(kind).stats().received;
        server.advance_clock(DUPLICATE_SWEEP);
        if !wait_drained(state, target, receivers, &mut sends, &[kind]).await? {
            return Ok(false);
        }
        if state.pane_mut(kind).stats().received == before {
            return Ok(true);
        }
    }
}

fn print_round(state: &DemoState, output: OutputMode, out: &mut dyn Write) -> Result<()> {
    for pane in [&state.left, &state.right] {
        let figures = pane.figures(state.round);
        if output == OutputMode::Json {
            writeln!(out, "{}", serde_json::to_string(&figures)?)?;
        } else {
            writeln!(out, "{}", table_row(&figures))?;
        }
    }
    if output != OutputMode::Json {
        for pane in [&state.left, &state.right] {
            writeln!(out, "  {}", caption_text(pane))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Waits until the panes of `kinds` have every expected message and the queues have been
/// quiet for `target.quiet`; `false` when [`ROUND_TIMEOUT`] came first.
async fn wait_drained(
    state: &mut DemoState,
    target: &Target,
    receivers: &mut Receivers,
    sends: &mut JoinSet<SendDone>,
    kinds: &[QueueKind],
) -> Result<bool> {
    let deadline = Instant::now() + ROUND_TIMEOUT;
    let mut last_news = Instant::now();
    let mut check = tokio::time::interval(CHECK_PERIOD);
    check.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            (kind, batch) = receivers.next_batch() => {
                let Some(batch) = batch else {
                    return Err(receivers.failure(kind).await);
                };
                let shown = rounds::apply(state, kind, &batch);
                let _ = batch.shown.send(shown);
                last_news = Instant::now();
            }
            done = sends.join_next(), if !sends.is_empty() => {
                match done {
                    Some(Ok(done)) => {
                        if let Some(problem) = rounds::sender_done(state, done) {
                            anyhow::bail!(problem);
                        }
                    }
                    Some(Err(error)) => return Err(error).context("a sender task failed"),
                    None => {}
                }
                last_news = Instant::now();
            }
            _ = check.tick() => {
                let drained = kinds.iter().all(|&kind| state.pane_mut(kind).drained());
                if drained && last_news.elapsed() >= target.quiet {
                    return Ok(true);
                }
                if Instant::now() >= deadline {
                    return Ok(false);
                }
            }
        }
    }
}

const COLUMNS: [(&str, usize); 10] = [
    ("round", 5),
    ("queue", 10),
    ("sent", 6),
    ("received", 8),
    ("unique", 6),
    ("duplicates", 10),
    ("out_of_order", 12),
    ("inversions", 10),
    ("max_displacement", 16),
    ("drain_ms", 8),
];

fn table_header() -> String {
    COLUMNS
        .iter()
        .map(|(name, width)| format!("{name:>width$}"))
        .collect::<Vec<_>>()
        .join("  ")
}

fn table_row(f: &Figures) -> String {
    let values = [
        f.round.to_string(),
        f.queue.label().to_string(),
        f.sent.to_string(),
        f.stats.received.to_string(),
        f.stats.unique.to_string(),
        f.stats.duplicates.to_string(),
        f.stats.out_of_order.to_string(),
        f.stats.inversions.to_string(),
        f.stats.max_displacement.to_string(),
        f.drain_ms.to_string(),
    ];
    values
        .iter()
        .zip(COLUMNS)
        .map(|(value, (_, width))| format!("{value:>width$}"))
        .collect::<Vec<_>>()
        .join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::Stats;

    #[test]
    fn table_columns_line_up() {
        let row = table_row(&Figures {
            round: 1,
            queue: QueueKind::Standard,
            sent: 200,
            stats: Stats {
                received: 201,
                unique: 200,
                duplicates: 1,
                out_of_order: 23,
                inversions: 57,
                max_displacement: 9,
            },
            drain_ms: 412,
        });
        assert_eq!(row.len(), table_header().len());
        assert!(row.contains("standard") && row.ends_with("412"));
    }
}
