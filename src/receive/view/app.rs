//! The receive view's state and every change to it: batches applied, keys handled, limits
//! checked. No I/O and no clock reads; times come in with the deliveries.

use std::time::{Duration, SystemTime};

use chrono::FixedOffset;
use crossterm::event::KeyCode;

use super::{ViewHeader, ViewOptions};
use crate::message::Delivery;
use crate::receive::Limits;
use crate::tracker::Tracker;
use crate::tui::keys::Binding;
use crate::tui::log::{LogBuffer, LogLine};
use crate::tui::theme::Theme;

/// How long without a message before the status line says it is waiting again.
pub const WAITING_AFTER: Duration = Duration::from_secs(3);
/// Lines the view keeps; older ones are dropped (memory stays bounded).
pub const LOG_CAPACITY: usize = 10_000;

/// What the view's own keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewAction {
    /// Stop taking batches, or start again.
    TogglePause,
    /// Forget the lines and the figures (not the `--count` limit).
    Clear,
    /// One line back.
    LineUp,
    /// One line forward.
    LineDown,
    /// One page back.
    PageUp,
    /// One page forward.
    PageDown,
    /// The oldest line kept.
    Oldest,
    /// Follow the newest line.
    Follow,
}

/// The view's keys; the hint under the log is drawn from this table.
pub const KEYS: &[Binding<ViewAction>] = &[
    Binding::quit(),
    Binding::hinted(
        &[KeyCode::Char('p'), KeyCode::Char('P'), KeyCode::Char(' ')],
        "p pause",
        ViewAction::TogglePause,
    ),
    Binding::hinted(
        &[KeyCode::Char('c'), KeyCode::Char('C')],
        "c clear",
        ViewAction::Clear,
    ),
    Binding::hinted(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑↓ PgUp PgDn scroll",
        ViewAction::LineUp,
    ),
    Binding::unhinted(&[KeyCode::Down, KeyCode::Char('j')], ViewAction::LineDown),
    Binding::unhinted(&[KeyCode::PageUp], ViewAction::PageUp),
    Binding::unhinted(&[KeyCode::PageDown], ViewAction::PageDown),
    Binding::unhinted(&[KeyCode::Home], ViewAction::Oldest),
    Binding::unhinted(&[KeyCode::End], ViewAction::Follow),
];

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
    /// A fresh view; times are shown in the zone `options.offset`.
    #[must_use]
    pub fn new(header: ViewHeader, options: ViewOptions, limits: Limits) -> Self {
        let theme = Theme::new(options.color);
        Self {
            header,
            limits,
            offset: options.offset,
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

    /// Does what a key of [`KEYS`] asks; `page` is the height of the log in rows (for
    /// PageUp/PageDown).
    pub fn act(&mut self, action: ViewAction, page: usize) {
        let page = page.max(1);
        let max = self.log.max_scroll(page);
        match action {
            ViewAction::TogglePause => self.paused = !self.paused,
            ViewAction::Clear => {
                self.tracker.reset();
                self.log.clear();
                self.scroll = 0;
            }
            ViewAction::LineUp => self.scroll = (self.scroll + 1).min(max),
            ViewAction::LineDown => self.scroll = self.scroll.saturating_sub(1),
            ViewAction::PageUp => self.scroll = (self.scroll + page).min(max),
            ViewAction::PageDown => self.scroll = self.scroll.saturating_sub(page),
            ViewAction::Oldest => self.scroll = max,
            ViewAction::Follow => self.scroll = 0,
        }
    }
}
