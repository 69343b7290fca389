//! The demo's live screen on the shared event loop ([`crate::tui::event_loop`]): its key
//! table ([`KEYS`]: `s` sends the same messages again, `p` sends with a new prefix, `r`
//! resets the figures, `q` quits, Ctrl-C exits with 130), and its news: both receivers'
//! batches and the senders finishing.

use std::future::Future;
use std::io;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Result;
use crossterm::event::{Event, EventStream, KeyCode};
use futures::Stream;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal};
use tokio::task::{JoinError, JoinSet};

use super::rounds::{self, Receivers, SendDone};
use super::setup::Target;
use super::state::{DemoState, QueueKind};
use super::ui;
use crate::exit::{self, INTERRUPTED};
use crate::receive::Batch;
use crate::tui::TerminalGuard;
use crate::tui::event_loop::{self, Applied, Confirm, Flow, Screen};
use crate::tui::keys::Binding;

/// What the demo's own keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoAction {
    /// Send the same bodies again (the FIFO queue drops them as repeats).
    SendAgain,
    /// Send with a new prefix (both queues take them).
    NewPrefix,
    /// Forget the figures.
    Reset,
}

/// The demo's keys; the footer's hint is drawn from this table.
pub const KEYS: &[Binding<DemoAction>] = &[
    Binding::hinted(
        &[KeyCode::Char('s'), KeyCode::Char('S')],
        "s send again",
        DemoAction::SendAgain,
    ),
    Binding::hinted(
        &[KeyCode::Char('p'), KeyCode::Char('P')],
        "p new prefix",
        DemoAction::NewPrefix,
    ),
    Binding::hinted(
        &[KeyCode::Char('r'), KeyCode::Char('R')],
        "r reset",
        DemoAction::Reset,
    ),
    Binding::quit(),
];

/// Runs the live screen until `q` or Ctrl-C; the terminal is restored on every path.
///
/// # Errors
/// Terminal I/O, or a receiver failed.
pub async fn run(
    state: &mut DemoState,
    target: &Target,
    receivers: &mut Receivers,
) -> Result<ExitCode> {
    let (guard, mut terminal) = TerminalGuard::enter()?;
    let outcome = run_loop(&mut terminal, EventStream::new(), state, target, receivers).await;
    drop(guard);
    outcome
}

/// Starts round 1 and runs the screen on the shared event loop, generic over the backend and
/// the event source so tests can drive it. SIGTERM (`docker stop`) or a SIGINT from outside
/// the terminal stops it with exit code 130.
///
/// # Errors
/// Drawing or reading terminal events failed, or a receiver failed.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    events: E,
    state: &mut DemoState,
    target: &Target,
    receivers: &mut Receivers,
) -> Result<ExitCode>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let interrupted = async {
        exit::interrupted().await;
        ExitCode::from(INTERRUPTED)
    };
    let mut screen = DemoScreen {
        state,
        target,
        receivers,
        sends: JoinSet::new(),
    };
    rounds::start_round(screen.state, target, &mut screen.sends, SystemTime::now());
    event_loop::run(terminal, &mut screen, events, interrupted).await
}

/// The demo as the event loop sees it.
struct DemoScreen<'a> {
    state: &'a mut DemoState,
    target: &'a Target,
    receivers: &'a mut Receivers,
    sends: JoinSet<SendDone>,
}

/// News from the demo's sources.
enum News {
    /// A receiver's next batch (`None`: it stopped).
    Batch(QueueKind, Option<Batch>),
    /// A sender finished.
    Sent(Option<Result<SendDone, JoinError>>),
}

impl Screen for DemoScreen<'_> {
    type Action = DemoAction;
    type News = News;

    fn keys(&self) -> &'static [Binding<DemoAction>] {
        KEYS
    }

    fn render(&self, frame: &mut Frame, now: SystemTime) {
        ui::render(self.state, frame, now);
    }

    fn act(&mut self, action: DemoAction, _area: Rect) {
        let state = &mut *self.state;
        match action {
            DemoAction::Reset => {
                state.note =
                    (!state.reset()).then(|| "still sending; reset when this round is out".into());
            }
            DemoAction::SendAgain | DemoAction::NewPrefix if state.sending() => {
                state.note = Some("still sending; try again when this round is out".into());
            }
            DemoAction::SendAgain => {
                rounds::start_round(state, self.target, &mut self.sends, SystemTime::now());
            }
            DemoAction::NewPrefix => {
                state.generation += 1;
                rounds::start_round(state, self.target, &mut self.sends, SystemTime::now());
            }
        }
    }

    fn tick(&mut self) -> Flow {
        Flow::Continue
    }

    fn news(&mut self) -> impl Future<Output = News> {
        let receivers = &mut *self.receivers;
        let sends = &mut self.sends;
        async move {
            tokio::select! {
                (kind, batch) = receivers.next_batch() => News::Batch(kind, batch),
                done = sends.join_next(), if !sends.is_empty() => News::Sent(done),
            }
        }
    }

    async fn apply(&mut self, news: News) -> Result<Applied> {
        match news {
            News::Batch(kind, None) => Err(self.receivers.failure(kind).await),
            News::Batch(kind, Some(batch)) => {
                // Drawn before it is confirmed, so only drawn messages are deleted.
                let shown = rounds::apply(self.state, kind, &batch);
                Ok(Applied {
                    confirm: Some(Confirm {
                        reply: batch.shown,
                        shown,
                    }),
                    flow: Flow::Continue,
                })
            }
            News::Sent(done) => {
                match done {
                    Some(Ok(done)) => {
                        if let Some(problem) = rounds::sender_done(self.state, done) {
                            self.state.note = Some(problem);
                        }
                    }
                    Some(Err(error)) => self.state.note = Some(format!("a sender failed: {error}")),
                    None => {}
                }
                Ok(Applied {
                    confirm: None,
                    flow: Flow::Continue,
                })
            }
        }
    }
}
