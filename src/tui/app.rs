//! The receive view's state and every change to it: batches applied, keys handled, limits
//! checked. No I/O and no clock reads; times come in with the deliveries.

use std::time::{Duration, SystemTime};

use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::log::{LOG_CAPACITY, LogBuffer, LogLine};
use super::theme::Theme;
use super::{Limits, ViewHeader, ViewOptions};
use crate::exit::INTERRUPTED;
use crate::message::Delivery;
use crate::tracker::Tracker;

/// How long without a message before the status line says it is waiting again.
pub const WAITING_AFTER: Duration = Duration::from_secs(3);

/// What a key asks the loop to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// Redraw and carry on.
    Continue,
    /// Stop with this exit code.
    Quit(u8),
}

/// The receive view's state.
#[derive(Debug)]
pub struct App {
    pub(super) header: ViewHeader,
    pub(super) limits: Limits,
    pub(super) offset: FixedOffset,
    pub(super) theme: Theme,
    pub(super) tracker: Tracker,
    pub(super) log: LogBuffer,
    pub(super) paused: bool,
    /// Rows scrolled up from the newest line (0 follows the tail).
    pub(super) scroll: usize,
    /// Messages shown since start (not reset by `c`; the `--count` limit counts these).
    pub(super) shown_total: u64,
    pub(super) last_message: Option<SystemTime>,
}

impl App {
    /// A fresh view; times are shown in the zone `offset`.
    #[must_use]
    pub fn new(
        header: ViewHeader,
        options: ViewOptions,
        limits: Limits,
        offset: FixedOffset,
    ) -> Self {
        let theme = Theme::new(options.color);
        Self {
            header,
            limits,
            offset,
            theme,
            tracker: Tracker::new(),
            log: LogBuffer::new(LOG_CAPACITY),
            paused: false,
            scroll: 0,
            shown_total: 0,
            last_message: None,
        }
    }

    /// Paused: the loop stops taking batches, so nothing undisplayed is confirmed or deleted.
    #[must_use]
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Applies as many deliveries as the `--count` limit allows and returns how many.
    pub fn apply(&mut self, deliveries: &[Delivery]) -> usize {
        let room = self
            .limits
            .count
            .map_or(u64::MAX, |limit| limit.saturating_sub(self.shown_total));
        let take = usize::try_from(room)
            .unwrap_or(usize::MAX)
            .min(deliveries.len());
        for delivery in &deliveries[..take] {
            let marks = self.tracker.observe(delivery);
            self.log.push(LogLine::new(delivery, marks));
            if self.scroll > 0 {
                // Keep the lines the reader is looking at in place.
                self.scroll = (self.scroll + 1).min(LOG_CAPACITY);
            }
            self.last_message = Some(delivery.received_at);
        }
        self.shown_total += take as u64;
        take
    }

    /// The `--count` limit has been reached.
    #[must_use]
    pub fn limit_reached(&self) -> bool {
        self.limits
            .count
            .is_some_and(|limit| self.shown_total >= limit)
    }

    /// Handles a key; `page` is the height of the log in rows (for PageUp/PageDown).
    pub fn on_key(&mut self, key: KeyEvent, page: usize) -> KeyOutcome {
        if key.kind == KeyEventKind::Release {
            return KeyOutcome::Continue;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let max = self.log.max_scroll(page.max(1));
        match key.code {
            KeyCode::Char('c') if ctrl => return KeyOutcome::Quit(INTERRUPTED),
            KeyCode::Char('q' | 'Q') | KeyCode::Esc => return KeyOutcome::Quit(0),
            KeyCode::Char('p' | 'P' | ' ') => self.paused = !self.paused,
            KeyCode::Char('c' | 'C') => {
                self.tracker.reset();
                self.log.clear();
                self.scroll = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => self.scroll = (self.scroll + 1).min(max),
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageUp => self.scroll = (self.scroll + page.max(1)).min(max),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_sub(page.max(1)),
            KeyCode::Home => self.scroll = max,
            KeyCode::End => self.scroll = 0,
            _ => {}
        }
        KeyOutcome::Continue
    }
}
