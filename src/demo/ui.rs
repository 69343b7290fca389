//! Draws the demo screen from `&DemoState` and a `now`: two live logs (standard left, FIFO
//! right; with `--fanout` the topic's two subscribers), a caption under each, an arrival-order chart and the figures. Pure: no I/O, no
//! clock, no channels.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, LegendPosition, Paragraph, Wrap};

use super::screen::KEYS;
use super::state::{DemoState, Pane, QueueKind, prefix};
use crate::tui::keys::hints;
use crate::tui::log::{LogLayout, render_line};
use crate::tui::text::{millis, plural};
use crate::tui::theme::Theme;

/// Draws the whole demo screen.
pub fn render(state: &DemoState, frame: &mut Frame, _now: SystemTime) {
    let area = frame.area();
    let tall = area.height >= 30;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(if tall { 3 } else { 1 }),
    ])
    .areas(area);
    frame.render_widget(header_line(state, area.width >= 100), header);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    // Both columns get the same caption height so their charts and figures line up.
    let caption_rows = [(&state.left, left), (&state.right, right)]
        .iter()
        .map(|(pane, area)| wrapped_rows(&caption_text(pane), area.width.saturating_sub(2)))
        .max()
        .unwrap_or(1)
        .min(3);
    render_pane(state, &state.left, frame, left, tall, caption_rows);
    render_pane(state, &state.right, frame, right, tall, caption_rows);
    render_footer(state, frame, footer);
}

fn header_line(state: &DemoState, wide: bool) -> Paragraph<'_> {
    let info = &state.info;
    let theme = state.theme;
    let server = match (info.embedded, info.seed) {
        (true, Some(seed)) => format!(" (embedded, seed {seed})"),
        (true, None) => " (embedded)".to_string(),
        (false, _) => String::new(),
    };
    let title = if info.fanout.is_some() {
        " queue demo --fanout "
    } else {
        " queue demo "
    };
    Paragraph::new(Line::from(vec![
        Span::styled(title, theme.title()),
        Span::raw(if wide {
            format!(
                " round {} · {} × {} messages · ",
                state.round,
                plural(u64::from(info.clients), "client"),
                info.count,
            )
        } else {
            format!(
                " round {} · {}×{} · ",
                state.round, info.clients, info.count
            )
        }),
        Span::styled(format!("{}{server}", info.endpoint), theme.dim()),
    ]))
}

fn render_footer(state: &DemoState, frame: &mut Frame, area: Rect) {
    let theme = state.theme;
    let [keys, hint] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let mut first = vec![Span::styled(hints(KEYS), theme.title())];
    if let Some(note) = &state.note {
        first.push(Span::styled(format!(" {note} "), theme.alert()));
    } else if state.sending() {
        first.push(Span::raw(" sending..."));
    }
    frame.render_widget(Paragraph::new(Line::from(first)), keys);
    frame.render_widget(
        Paragraph::new(prefix_pitfall(state))
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        hint.inner(Margin::new(1, 0)),
    );
}

/// The hint shown under the panes when there is room: why every client has its own prefix,
/// or (`--fanout`) what the topic does.
fn prefix_pitfall(state: &DemoState) -> String {
    if let Some(fanout) = &state.info.fanout {
        return format!(
            "Each client publishes once to topic {}; SNS copies every message to both queues, \
             and the right one's filter policy {} lets only {}'s through.",
            fanout.topic, fanout.filter, fanout.client
        );
    }
    let prefixes: Vec<String> = (0..state.info.clients.min(2))
        .map(|index| prefix(index, state.generation))
        .collect();
    format!(
        "Each client prefixes its bodies ({}): identical bodies from two clients would be \
         dropped by the FIFO queue's content-based deduplication.",
        prefixes.join(", ")
    )
}

fn render_pane(
    state: &DemoState,
    pane: &Pane,
    frame: &mut Frame,
    area: Rect,
    tall: bool,
    caption_rows: u16,
) {
    let [log, caption, chart, figures] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(caption_rows),
        Constraint::Length(if tall { 14 } else { 8 }),
        Constraint::Length(4),
    ])
    .areas(area);
    render_log(state, pane, frame, log);
    frame.render_widget(
        Paragraph::new(caption_text(pane))
            .style(state.theme.title())
            .wrap(Wrap { trim: true }),
        caption.inner(Margin::new(1, 0)),
    );
    render_chart(state.theme, pane, frame, chart);
    frame.render_widget(Paragraph::new(figure_lines(state.theme, pane)), figures);
}

fn render_log(state: &DemoState, pane: &Pane, frame: &mut Frame, area: Rect) {
    let rows = usize::from(area.height.saturating_sub(2));
    let layout = LogLayout {
        millis: false,
        client_width: 0,
        topic: false,
    };
    let lines: Vec<Line> = pane
        .log
        .window(rows, 0)
        .map(|line| render_line(line, layout, state.offset, state.theme))
        .collect();
    let topic = state
        .info
        .fanout
        .as_ref()
        .map_or("", |fanout| fanout.topic.as_str());
    let title = match pane.kind {
        QueueKind::Standard => format!(" Standard queue: {} ", pane.name),
        QueueKind::Fifo => format!(" FIFO queue: {} ", pane.name),
        QueueKind::Subscriber => format!(" {topic} → {} (every message) ", pane.name),
        QueueKind::Filtered => format!(" {topic} → {} (filtered, raw) ", pane.name),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Span::styled(title, state.theme.title()))),
        area,
    );
}

/// The plain-words caption under a pane.
#[must_use]
pub fn caption_text(pane: &Pane) -> String {
    let stats = pane.stats();
    if stats.received == 0 {
        return match (pane.kind, pane.dropped()) {
            (QueueKind::Fifo, Some(dropped)) => format!(
                "FIFO: nothing new; {} dropped within the 5-minute window",
                plural(dropped, "duplicate")
            ),
            (QueueKind::Standard, _) => "Standard: waiting for messages...".to_string(),
            (QueueKind::Fifo, _) => "FIFO: waiting for messages...".to_string(),
            (QueueKind::Subscriber, _) => "Subscriber: waiting for messages...".to_string(),
            (QueueKind::Filtered, _) if pane.filtered_out > 0 => format!(
                "Filtered: nothing yet; the filter policy kept {} of other clients away",
                plural(pane.filtered_out, "message")
            ),
            (QueueKind::Filtered, _) => "Filtered: waiting for messages...".to_string(),
        };
    }
    let twice = if stats.duplicates > 0 {
        format!("; {} delivered again (at-least-once)", stats.duplicates)
    } else {
        String::new()
    };
    match pane.kind {
        QueueKind::Standard if stats.out_of_order > 0 => format!(
            "Standard: {} of {} arrived after a later message — SQS only tries to keep order{twice}",
            stats.out_of_order, stats.unique
        ),
        QueueKind::Standard => format!(
            "Standard: all {} in order so far — a standard queue does not promise it{twice}",
            stats.unique
        ),
        QueueKind::Fifo => {
            let order = if stats.out_of_order == 0 {
                "every message in order".to_string()
            } else {
                format!("{} out of order", stats.out_of_order)
            };
            let dropped = pane.dropped().map_or_else(String::new, |dropped| {
                format!(
                    "; {} dropped within the 5-minute window",
                    plural(dropped, "duplicate")
                )
            });
            format!("FIFO: {order}{dropped}{twice}")
        }
        QueueKind::Subscriber => {
            let order = if stats.out_of_order == 0 {
                "all in order so far".to_string()
            } else {
                format!("{} arrived after a later message", stats.out_of_order)
            };
            format!(
                "Subscriber: {} published messages, unwrapped from SNS envelopes; {order}{twice}",
                stats.unique
            )
        }
        QueueKind::Filtered => format!(
            "Filtered: {} of one client's messages, raw; the filter policy kept {} of other \
             clients away{twice}",
            stats.unique, pane.filtered_out
        ),
    }
}

fn render_chart(theme: Theme, pane: &Pane, frame: &mut Frame, area: Rect) {
    let mut datasets: Vec<Dataset> = pane
        .series
        .iter()
        .enumerate()
        .map(|(i, (client, points))| {
            Dataset::default()
                .name(client.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Scatter)
                .style(theme.client(i))
                .data(points)
        })
        .collect();
    if !pane.duplicate_points.is_empty() {
        datasets.push(
            Dataset::default()
                .name("duplicates")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.duplicate())
                .data(&pane.duplicate_points),
        );
    }
    #[allow(clippy::cast_precision_loss)] // axis bounds
    let (x_max, y_max) = (
        pane.arrivals.max(1) as f64,
        pane.highest_number.max(1) as f64,
    );
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(Span::styled(
            if area.width >= 80 {
                " arrival (→) against message number (↑): a straight line is perfect order "
            } else if area.width >= 58 {
                " arrival (→) vs message number (↑): straight = in order "
            } else {
                " arrival → vs message number ↑ "
            },
            theme.dim(),
        )))
        .x_axis(
            Axis::default()
                .bounds([0.0, x_max])
                .labels(["0".to_string(), pane.arrivals.to_string()])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels(["0".to_string(), pane.highest_number.to_string()])
                .style(theme.dim()),
        )
        .legend_position(Some(LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)));
    frame.render_widget(chart, area);
}

fn figure_lines(theme: Theme, pane: &Pane) -> Vec<Line<'static>> {
    let stats = pane.stats();
    let drain = if pane.round_started.is_none() {
        "-".to_string()
    } else if pane.drained() && pane.drained_at.is_none() {
        "none".to_string()
    } else if pane.drained() {
        millis(pane.drain_time())
    } else {
        "...".to_string()
    };
    let pair = |label: &str, value: String, style: Style| {
        vec![
            Span::raw(format!(" {label:<13}")),
            Span::styled(format!("{value:>5}"), style),
        ]
    };
    let marked = |n: u64, style: Style| if n > 0 { style } else { Style::new() };
    let row = |mut a: Vec<Span<'static>>, b: Vec<Span<'static>>| {
        a.push(Span::raw(" "));
        a.extend(b);
        Line::from(a)
    };
    vec![
        row(
            pair("sent", pane.sent.to_string(), Style::new()),
            pair("received", stats.received.to_string(), Style::new()),
        ),
        row(
            pair("unique", stats.unique.to_string(), Style::new()),
            pair(
                "duplicates",
                stats.duplicates.to_string(),
                marked(stats.duplicates, theme.duplicate()),
            ),
        ),
        row(
            pair(
                "out of order",
                stats.out_of_order.to_string(),
                marked(stats.out_of_order, theme.late()),
            ),
            pair("inversions", stats.inversions.to_string(), Style::new()),
        ),
        row(
            pair(
                "max displaced",
                stats.max_displacement.to_string(),
                Style::new(),
            ),
            pair("drain time", drain, theme.good()),
        ),
    ]
}

/// Rows `text` takes when word-wrapped to `width` columns.
fn wrapped_rows(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let mut rows = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if used > 0 && used + 1 + len > width {
            rows += 1;
            used = len;
        } else {
            used += len + usize::from(used > 0);
        }
    }
    rows
}
