//! The one event loop every live screen runs: draw, then wait for a key, a tick, news from
//! the screen's own sources, or the outside `stop`; keys go through the screen's table
//! ([`super::keys`]), and news that carries a confirmation is drawn before it is confirmed.

use std::future::Future;
use std::io;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal};
use tokio::sync::oneshot;
use tokio::time::MissedTickBehavior;

use super::TICK_PERIOD;
use super::keys::{Binding, KeyAction, lookup};
use crate::exit::INTERRUPTED;

/// Whether the loop goes on.
#[derive(Debug, PartialEq)]
pub enum Flow {
    /// Redraw and carry on.
    Continue,
    /// Stop with this exit code.
    Stop(ExitCode),
}

/// A receiver waiting to hear how many messages of its batch are on screen.
#[derive(Debug)]
pub struct Confirm {
    /// Where the receiver waits.
    pub reply: oneshot::Sender<usize>,
    /// How many were applied (from the front of the batch).
    pub shown: usize,
}

/// What applying news asks of the loop.
#[derive(Debug)]
pub struct Applied {
    /// Draw, then send this (so only drawn messages are ever deleted).
    pub confirm: Option<Confirm>,
    /// Whether to go on.
    pub flow: Flow,
}

/// A live screen: its keys, its drawing, and its own sources of news.
pub trait Screen {
    /// What this screen's keys do (the `A` of its [`Binding`]s).
    type Action: Copy + 'static;
    /// One piece of news from the screen's sources (a batch, a finished sender).
    type News;

    /// The screen's key table.
    fn keys(&self) -> &'static [Binding<Self::Action>];
    /// Draws the whole screen at `now`.
    fn render(&self, frame: &mut Frame, now: SystemTime);
    /// Does what a key of the table asks; `area` is the terminal's size.
    fn act(&mut self, action: Self::Action, area: Rect);
    /// Called every [`TICK_PERIOD`] (idle limits, clocks).
    fn tick(&mut self) -> Flow;
    /// Waits for the next piece of news.
    fn news(&mut self) -> impl Future<Output = Self::News>;
    /// Applies news.
    ///
    /// # Errors
    /// A source failed for good (a receiver stopped).
    fn apply(&mut self, news: Self::News) -> impl Future<Output = Result<Applied>>;
}

/// Runs `screen` until a quit key (exit code 0), Ctrl-C (130), the end of `events` (0),
/// `stop` (its code), or the screen stopping itself. Generic over the backend and the event
/// source so tests can drive it.
///
/// # Errors
/// Drawing or reading terminal events failed, or applying news failed.
pub async fn run<B, E, S>(
    terminal: &mut Terminal<B>,
    screen: &mut S,
    mut events: E,
    stop: impl Future<Output = ExitCode>,
) -> Result<ExitCode>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
    S: Screen,
{
    let mut tick = tokio::time::interval(TICK_PERIOD);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(stop);
    loop {
        terminal.draw(|frame| screen.render(frame, SystemTime::now()))?;
        tokio::select! {
            code = &mut stop => return Ok(code),
            _ = tick.tick() => {
                if let Flow::Stop(code) = screen.tick() {
                    return Ok(code);
                }
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => match lookup(screen.keys(), key) {
                    Some(KeyAction::Interrupt) => return Ok(ExitCode::from(INTERRUPTED)),
                    Some(KeyAction::Quit) => return Ok(ExitCode::SUCCESS),
                    Some(KeyAction::Screen(action)) => screen.act(action, terminal.size()?.into()),
                    None => {}
                },
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error).context("reading the terminal failed"),
                None => return Ok(ExitCode::SUCCESS),
            },
            news = screen.news() => {
                let applied = screen.apply(news).await?;
                if let Some(confirm) = applied.confirm {
                    terminal.draw(|frame| screen.render(frame, SystemTime::now()))?;
                    // The receiver may have stopped waiting; then nothing is deleted, which is safe.
                    let _ = confirm.reply.send(confirm.shown);
                }
                if let Flow::Stop(code) = applied.flow {
                    return Ok(code);
                }
            }
        }
    }
}
