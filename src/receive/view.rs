//! The live terminal view of `queue receive`: the view's state ([`app`]), its drawing
//! ([`ui`]), and the glue that runs it on the shared event loop
//! ([`crate::tui::event_loop`]), confirming to the receiver only what it has drawn.

pub mod app;
pub mod ui;

use std::future::Future;
use std::io;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use crossterm::event::{Event, EventStream};
use futures::Stream;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Batch, Limits};
use crate::tui::TerminalGuard;
use crate::tui::event_loop::{self, Applied, Confirm, Flow, Screen};
use crate::tui::keys::Binding;
use app::{App, KEYS, ViewAction};

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
    /// The local time zone (`Config::local_offset`): times are shown in it.
    pub offset: chrono::FixedOffset,
}

/// Runs the receive view until `q`, Ctrl-C, a limit, or the receiver ends; restores the
/// terminal on every path. Cancels `cancel` when it stops.
///
/// # Errors
/// Terminal I/O failures.
pub async fn run(
    header: ViewHeader,
    options: ViewOptions,
    mut batches: mpsc::Receiver<Batch>,
    limits: Limits,
    cancel: CancellationToken,
) -> Result<ExitCode> {
    let _stop_receiver = cancel.clone().drop_guard();
    let mut app = App::new(header, options, limits);
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

/// The view on the shared event loop, generic over the backend and the event source so tests
/// can drive it.
///
/// Each batch is applied, drawn, and only then confirmed with the number applied. While
/// paused, batches are left in the channel: nothing undisplayed is confirmed or deleted.
///
/// # Errors
/// Drawing or reading terminal events failed.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: E,
    batches: &mut mpsc::Receiver<Batch>,
    cancel: &CancellationToken,
) -> Result<ExitCode>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut screen = ReceiveScreen {
        app,
        batches,
        last_activity: Instant::now(),
    };
    let stop = async {
        cancel.cancelled().await;
        ExitCode::SUCCESS
    };
    event_loop::run(terminal, &mut screen, events, stop).await
}

/// The view as the event loop sees it: the state, its one source of batches, and when the
/// last batch (or pause) was (for `--idle`).
struct ReceiveScreen<'a> {
    app: &'a mut App,
    batches: &'a mut mpsc::Receiver<Batch>,
    last_activity: Instant,
}

impl Screen for ReceiveScreen<'_> {
    type Action = ViewAction;
    type News = Option<Batch>;

    fn keys(&self) -> &'static [Binding<ViewAction>] {
        KEYS
    }

    fn render(&self, frame: &mut Frame, now: SystemTime) {
        ui::render(self.app, frame, now);
    }

    fn act(&mut self, action: ViewAction, area: Rect) {
        self.app.act(action, ui::log_rows(area));
    }

    fn tick(&mut self) -> Flow {
        if self.app.paused() {
            self.last_activity = Instant::now();
        }
        let idle = self
            .app
            .limits
            .idle
            .is_some_and(|idle| self.last_activity.elapsed() >= idle);
        if idle {
            Flow::Stop(ExitCode::SUCCESS)
        } else {
            Flow::Continue
        }
    }

    fn news(&mut self) -> impl Future<Output = Option<Batch>> {
        // Paused: take nothing, so nothing undisplayed is confirmed or deleted.
        let paused = self.app.paused();
        let batches = &mut *self.batches;
        async move {
            if paused {
                std::future::pending().await
            } else {
                batches.recv().await
            }
        }
    }

    async fn apply(&mut self, batch: Option<Batch>) -> Result<Applied> {
        let Some(batch) = batch else {
            return Ok(Applied {
                confirm: None,
                flow: Flow::Stop(ExitCode::SUCCESS),
            });
        };
        let shown = self.app.apply(&batch.deliveries);
        self.last_activity = Instant::now();
        let flow = if self.app.limit_reached() {
            Flow::Stop(ExitCode::SUCCESS)
        } else {
            Flow::Continue
        };
        Ok(Applied {
            confirm: Some(Confirm {
                reply: batch.shown,
                shown,
            }),
            flow,
        })
    }
}

#[cfg(test)]
mod tests;
