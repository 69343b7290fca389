//! The demo's live screen: one event loop over keys, a tick, both receivers and the senders.
//! Keys: `s` sends the same messages again, `p` sends with a new prefix, `r` resets the
//! figures, `q` quits (Ctrl-C: exit code 130).

use std::io;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::rounds::{self, Receivers, SendDone};
use super::setup::Target;
use super::state::{DemoState, QueueKind};
use super::ui;
use crate::exit::{self, INTERRUPTED};
use crate::receive::Batch;
use crate::tui::{TICK_PERIOD, TerminalGuard};

/// What a key asks for.
enum Action {
    Nothing,
    SendAgain,
    NewPrefix,
    Reset,
    Quit(u8),
}

fn action(key: KeyEvent) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::Nothing;
    }
    match key.code {
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            Action::Quit(INTERRUPTED)
        }
        KeyCode::Char('q' | 'Q') | KeyCode::Esc => Action::Quit(0),
        KeyCode::Char('s' | 'S') => Action::SendAgain,
        KeyCode::Char('p' | 'P') => Action::NewPrefix,
        KeyCode::Char('r' | 'R') => Action::Reset,
        _ => Action::Nothing,
    }
}

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

/// The event loop, generic over the backend and the event source so tests can drive it.
///
/// # Errors
/// Drawing or reading terminal events failed, or a receiver failed.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    mut events: E,
    state: &mut DemoState,
    target: &Target,
    receivers: &mut Receivers,
) -> Result<ExitCode>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut tick = tokio::time::interval(TICK_PERIOD);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut sends: JoinSet<SendDone> = JoinSet::new();
    // SIGTERM (`docker stop`) or a SIGINT from outside the terminal.
    let interrupted = exit::interrupted();
    tokio::pin!(interrupted);
    rounds::start_round(state, target, &mut sends, SystemTime::now());
    loop {
        terminal.draw(|frame| ui::render(state, frame, SystemTime::now()))?;
        tokio::select! {
            _ = tick.tick() => {}
            () = &mut interrupted => return Ok(ExitCode::from(INTERRUPTED)),
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => match action(key) {
                    Action::Quit(code) => return Ok(ExitCode::from(code)),
                    Action::Reset => {
                        state.note = (!state.reset())
                            .then(|| "still sending; reset when this round is out".into());
                    }
                    Action::SendAgain | Action::NewPrefix if state.sending() => {
                        state.note = Some("still sending; try again when this round is out".into());
                    }
                    Action::SendAgain => {
                        rounds::start_round(state, target, &mut sends, SystemTime::now());
                    }
                    Action::NewPrefix => {
                        state.generation += 1;
                        rounds::start_round(state, target, &mut sends, SystemTime::now());
                    }
                    Action::Nothing => {}
                },
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error).context("reading the terminal failed"),
                None => return Ok(ExitCode::SUCCESS),
            },
            batch = rounds::next(&mut receivers.standard) => {
                let Some(batch) = batch else {
                    return Err(receivers.failure(QueueKind::Standard).await);
                };
                show(terminal, state, QueueKind::Standard, batch)?;
            }
            batch = rounds::next(&mut receivers.fifo) => {
                let Some(batch) = batch else {
                    return Err(receivers.failure(QueueKind::Fifo).await);
                };
                show(terminal, state, QueueKind::Fifo, batch)?;
            }
            done = sends.join_next(), if !sends.is_empty() => {
                match done {
                    Some(Ok(done)) => {
                        if let Some(problem) = rounds::sender_done(state, done) {
                            state.note = Some(problem);
                        }
                    }
                    Some(Err(error)) => state.note = Some(format!("a sender failed: {error}")),
                    None => {}
                }
            }
        }
    }
}

/// Applies a batch, draws it, and only then confirms it (so only drawn messages are deleted).
fn show<B>(
    terminal: &mut Terminal<B>,
    state: &mut DemoState,
    kind: QueueKind,
    batch: Batch,
) -> Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let shown = rounds::apply(state, kind, &batch);
    terminal.draw(|frame| ui::render(state, frame, SystemTime::now()))?;
    let _ = batch.shown.send(shown);
    Ok(())
}
