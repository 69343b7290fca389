//! The log widget shared by the receive view and the demo panes: a bounded ring of lines
//! and their rendering (time, client, body, and the out-of-order / duplicate marks).

use std::collections::VecDeque;
use std::time::SystemTime;

use chrono::FixedOffset;
use ratatui::text::{Line, Span};

use super::text::clock;
use super::theme::Theme;
use crate::message::Delivery;
use crate::tracker::{Marks, NO_CLIENT};

/// Characters of a body kept for the log (SQS bodies can be 256 KiB; no line is that wide).
pub const BODY_CHARS_KEPT: usize = 300;

/// One delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was received.
    pub received_at: SystemTime,
    /// The `client` attribute, or [`NO_CLIENT`].
    pub client: String,
    /// The body as received (the message inside an SNS envelope).
    pub body: String,
    /// The topic's name, when SNS delivered it in an envelope.
    pub topic: Option<String>,
    /// What the tracker said.
    pub marks: Marks,
}

impl LogLine {
    /// The line for `delivery` with the tracker's `marks`.
    #[must_use]
    pub fn new(delivery: &Delivery, marks: Marks) -> Self {
        Self {
            received_at: delivery.received_at,
            client: delivery
                .client
                .as_deref()
                .map_or_else(|| NO_CLIENT.into(), printable),
            body: printable(&delivery.body),
            topic: delivery
                .notification
                .as_ref()
                .map(|notification| printable(notification.topic())),
            marks,
        }
    }
}

/// The body as one printable line: newlines shown as `⏎`, other control characters (an
/// escape sequence, say) as spaces, cut at [`BODY_CHARS_KEPT`] characters.
#[must_use]
pub fn printable(body: &str) -> String {
    let mut text: String = body
        .chars()
        .take(BODY_CHARS_KEPT)
        .map(|c| match c {
            '\n' => '⏎',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    if body.chars().nth(BODY_CHARS_KEPT).is_some() {
        text.push('…');
    }
    text
}

/// A ring buffer of log lines.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
}

impl LogBuffer {
    /// An empty log that keeps at most `capacity` lines.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Appends a line, dropping the oldest beyond capacity.
    pub fn push(&mut self, line: LogLine) {
        if self.lines.len() >= self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// Lines held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// No lines held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Forgets every line.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    /// The lines that fit in `height` rows, `scroll` rows up from the newest.
    pub fn window(&self, height: usize, scroll: usize) -> impl Iterator<Item = &LogLine> {
        let end = self.lines.len().saturating_sub(scroll);
        let start = end.saturating_sub(height);
        self.lines.range(start..end)
    }

    /// The largest useful scroll for a view `height` rows high.
    #[must_use]
    pub fn max_scroll(&self, height: usize) -> usize {
        self.lines.len().saturating_sub(height)
    }
}

/// How a log line is laid out.
#[derive(Debug, Clone, Copy)]
pub struct LogLayout {
    /// Show milliseconds in the time column.
    pub millis: bool,
    /// Width of the client column; 0 hides it.
    pub client_width: usize,
    /// Show `via TOPIC` after the body of an enveloped message.
    pub topic: bool,
}

/// The words for a delivery's marks (empty when it is in order and new).
#[must_use]
pub fn mark_text(marks: Marks) -> Option<String> {
    match (marks.duplicate, marks.out_of_order) {
        (true, _) => Some("duplicate".into()),
        (false, true) => Some(format!("late by {}", marks.displacement)),
        (false, false) => None,
    }
}

/// Renders one log line.
#[must_use]
pub fn render_line(
    line: &LogLine,
    layout: LogLayout,
    offset: FixedOffset,
    theme: Theme,
) -> Line<'_> {
    let mut spans = vec![
        Span::styled(clock(line.received_at, offset, layout.millis), theme.dim()),
        Span::raw(" "),
    ];
    if layout.client_width > 0 {
        let client: String = line.client.chars().take(layout.client_width).collect();
        spans.push(Span::raw(format!(
            "{client:<width$} ",
            width = layout.client_width
        )));
    }
    let style = if line.marks.duplicate {
        theme.duplicate()
    } else if line.marks.out_of_order {
        theme.late()
    } else {
        ratatui::style::Style::new()
    };
    spans.push(Span::styled(line.body.as_str(), style));
    if let Some(topic) = line.topic.as_deref().filter(|_| layout.topic) {
        spans.push(Span::styled(format!("  via {topic}"), theme.dim()));
    }
    if let Some(mark) = mark_text(line.marks) {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!("← {mark}"), style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn line(n: u64) -> LogLine {
        LogLine {
            received_at: SystemTime::UNIX_EPOCH + Duration::from_secs(n),
            client: "c".into(),
            body: format!("Message {n}"),
            topic: None,
            marks: Marks::default(),
        }
    }

    #[test]
    fn ring_keeps_the_newest_lines() {
        let mut log = LogBuffer::new(3);
        for n in 0..5 {
            log.push(line(n));
        }
        assert_eq!(log.len(), 3);
        let bodies: Vec<_> = log.window(10, 0).map(|l| l.body.clone()).collect();
        assert_eq!(bodies, ["Message 2", "Message 3", "Message 4"]);
    }

    #[test]
    fn window_scrolls_up_from_the_newest() {
        let mut log = LogBuffer::new(100);
        for n in 0..10 {
            log.push(line(n));
        }
        let bodies: Vec<_> = log.window(2, 3).map(|l| l.body.clone()).collect();
        assert_eq!(bodies, ["Message 5", "Message 6"]);
        assert_eq!(log.max_scroll(4), 6);
        assert_eq!(log.window(4, 100).count(), 0);
    }

    #[test]
    fn bodies_are_made_printable_and_short() {
        assert_eq!(printable("a\nb\u{1b}[31mc"), "a⏎b [31mc");
        let long = "x".repeat(BODY_CHARS_KEPT + 5);
        let kept = printable(&long);
        assert_eq!(kept.chars().count(), BODY_CHARS_KEPT + 1);
        assert!(kept.ends_with('…'));
        assert_eq!(printable("A-Message 7"), "A-Message 7");
    }
}
