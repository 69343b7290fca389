//! The live terminal view of `queue receive`: owns the terminal (ratatui init/restore), the
//! event loop, and confirms to the receiver what it has drawn.
//!
//! Shared with [`crate::demo`]: the log ring and its line rendering ([`log`]) and the styles
//! ([`theme`]).

pub mod app;
pub mod log;
pub mod theme;
pub mod ui;

use std::io;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use chrono::{FixedOffset, Local, Offset};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::receive::Batch;
use app::{App, KeyOutcome};

/// How often the view redraws without news (the clock in the status line, idle checks).
pub const TICK_PERIOD: Duration = Duration::from_millis(250);

/// What the header shows.
#[derive(Debug, Clone)]
pub struct ViewHeader {
    /// Queue name.
    pub queue: String,
    /// A FIFO queue.
    pub fifo: bool,
    /// Endpoint in use.
    pub endpoint: String,
    /// Region in use.
    pub region: String,
}

/// How the view looks.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions {
    /// Use colour (`Config::color`); without it marks are shown by bold/underline.
    pub color: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        Self { color: true }
    }
}

/// When the view exits by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// After this many messages.
    pub count: Option<u64>,
    /// After this long without a message.
    pub idle: Option<Duration>,
}

/// Restores the terminal when dropped, so every return path (errors included) leaves the
/// terminal usable; panics are covered by the hook `ratatui::try_init` installs.
pub(crate) struct TerminalGuard;

impl TerminalGuard {
    /// Enters raw mode and the alternate screen.
    pub(crate) fn enter() -> Result<(Self, ratatui::DefaultTerminal)> {
        let terminal =
            ratatui::try_init().context("could not set up the terminal (try --output plain)")?;
        Ok((Self, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The local time zone's current offset from UTC (times in the log are local).
pub(crate) fn local_offset() -> FixedOffset {
    Local::now().offset().fix()
}

/// Runs the receive view until `q`, Ctrl-C, a limit, or the receiver ends; restores the
/// terminal on every path. Cancels `cancel` when it stops. Colour as `options` says
/// (`--color`, `NO_COLOR`).
///
/// # Errors
/// Terminal I/O failures.
pub async fn run_receive_view(
    header: ViewHeader,
    options: ViewOptions,
    mut batches: mpsc::Receiver<Batch>,
    limits: Limits,
    cancel: CancellationToken,
) -> Result<ExitCode> {
    let _stop_receiver = cancel.clone().drop_guard();
    let mut app = App::new(header, options, limits, local_offset());
    let (guard, mut terminal) = TerminalGuard::enter()?;
    let outcome = run_loop(
        &mut terminal,
        &mut app,
        EventStream::new(),
        &mut batches,
        &cancel,
    )
    .await;
    drop(guard);
    outcome
}

/// The event loop, generic over the backend and the event source so tests can drive it.
///
/// Each batch is applied, drawn, and only then confirmed with the number applied. While
/// paused, batches are left in the channel: nothing undisplayed is confirmed or deleted.
///
/// # Errors
/// Drawing or reading terminal events failed.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: E,
    batches: &mut mpsc::Receiver<Batch>,
    cancel: &CancellationToken,
) -> Result<ExitCode>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut tick = tokio::time::interval(TICK_PERIOD);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_activity = Instant::now();
    loop {
        terminal.draw(|frame| ui::render(app, frame, SystemTime::now()))?;
        tokio::select! {
            () = cancel.cancelled() => return Ok(ExitCode::SUCCESS),
            _ = tick.tick() => {
                if app.paused() {
                    last_activity = Instant::now();
                }
                if limits_idle(app, last_activity) {
                    return Ok(ExitCode::SUCCESS);
                }
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    let page = ui::log_rows(terminal.size()?.into());
                    if let KeyOutcome::Quit(code) = app.on_key(key, page) {
                        return Ok(ExitCode::from(code));
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error).context("reading the terminal failed"),
                None => return Ok(ExitCode::SUCCESS),
            },
            batch = batches.recv(), if !app.paused() => {
                let Some(batch) = batch else {
                    return Ok(ExitCode::SUCCESS);
                };
                let shown = app.apply(&batch.deliveries);
                terminal.draw(|frame| ui::render(app, frame, SystemTime::now()))?;
                // The receiver may have stopped waiting; then nothing is deleted, which is safe.
                let _ = batch.shown.send(shown);
                last_activity = Instant::now();
                if app.limit_reached() {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    }
}

fn limits_idle(app: &App, last_activity: Instant) -> bool {
    app.limits
        .idle
        .is_some_and(|idle| last_activity.elapsed() >= idle)
}

#[cfg(test)]
mod tests;
