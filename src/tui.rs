//! The terminal toolkit the live screens share ([`crate::receive::view`] and
//! [`crate::demo::screen`]): the terminal guard, the styles ([`theme`]), the log widget
//! ([`log`]), text helpers ([`text`]), key tables ([`keys`]) and the one event loop
//! ([`event_loop`]) with its tick, q/Esc/Ctrl-C handling and "draw, then confirm".
//!
//! Knows nothing of receiving or of the demo: they depend on it, never the other way round.

pub mod event_loop;
pub mod keys;
pub mod log;
pub mod text;
pub mod theme;

use std::time::Duration;

use anyhow::{Context, Result};

/// How often a screen redraws without news (the clock in the status line, idle checks).
pub const TICK_PERIOD: Duration = Duration::from_millis(250);

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
