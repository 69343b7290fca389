//! Draws the receive view from `&App` and a `now`: header, log, per-client panel, status
//! line. Pure: no I/O, no clock, no channels.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::app::{App, KEYS, WAITING_AFTER};
use crate::tracker::ClientStats;
use crate::tui::keys::hints;
use crate::tui::log::{LogLayout, render_line};
use crate::tui::text::{millis, plural};

/// Width of the per-client panel (it is dropped on terminals narrower than 60 columns).
const PANEL_WIDTH: u16 = 30;
/// Widest client column in the log.
const CLIENT_COLUMN_MAX: usize = 12;

struct Areas {
    header: Rect,
    log: Rect,
    panel: Option<Rect>,
    status: Rect,
}

fn areas(area: Rect) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if area.width < 60 {
        return Areas {
            header,
            log: body,
            panel: None,
            status,
        };
    }
    let [log, panel] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(PANEL_WIDTH)]).areas(body);
    Areas {
        header,
        log,
        panel: Some(panel),
        status,
    }
}

/// Rows of log visible in a terminal of this size (the PageUp/PageDown step).
#[must_use]
pub fn log_rows(area: Rect) -> usize {
    usize::from(areas(area).log.height.saturating_sub(2))
}

/// Draws the whole view.
pub fn render(app: &App, frame: &mut Frame, now: SystemTime) {
    let areas = areas(frame.area());
    frame.render_widget(header(app), areas.header);
    render_log(app, frame, areas.log);
    if let Some(panel) = areas.panel {
        render_panel(app, frame, panel);
    }
    frame.render_widget(status(app, now), areas.status);
}

fn header(app: &App) -> Paragraph<'_> {
    let theme = app.theme;
    let h = &app.header;
    let kind = if h.fifo { "FIFO" } else { "standard" };
    Paragraph::new(Line::from(vec![
        Span::styled(format!(" {} ", h.queue), theme.title()),
        Span::raw(format!(" {kind}  ")),
        Span::raw(format!("{}  ", h.endpoint)),
        Span::styled(h.region.as_str(), theme.dim()),
    ]))
}

fn render_log(app: &App, frame: &mut Frame, area: Rect) {
    let rows = usize::from(area.height.saturating_sub(2));
    let client_width = app
        .tracker
        .clients()
        .keys()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .min(CLIENT_COLUMN_MAX);
    let layout = LogLayout {
        millis: true,
        client_width,
        topic: true,
    };
    let lines: Vec<Line> = app
        .log
        .window(rows, app.scroll)
        .map(|line| render_line(line, layout, app.offset, app.theme))
        .collect();
    let mut title = vec![Span::styled(" Messages ", app.theme.title())];
    if app.scroll > 0 {
        title.push(Span::styled(
            format!(" ↑ {} newer below, End follows ", app.scroll),
            app.theme.alert(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Line::from(title))
                .title_bottom(Span::styled(hints(KEYS), app.theme.dim())),
        ),
        area,
    );
}

fn render_panel(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let mut lines = Vec::new();
    for (i, (name, stats)) in app.tracker.clients().iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(name.clone(), theme.client(i)));
        lines.extend(client_lines(stats, app));
    }
    let totals = app.tracker.stats();
    if totals.received > 0 {
        lines.push(Line::raw(""));
        lines.push(Line::styled("All clients", theme.title()));
        lines.push(figure("unique", totals.unique.to_string()));
        lines.push(figure("inversions", totals.inversions.to_string()));
        lines.push(figure(
            "max displacement",
            totals.max_displacement.to_string(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(Span::styled(" Clients ", theme.title()))),
        area,
    );
}

fn client_lines(stats: &ClientStats, app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut lines = vec![figure("received", stats.received.to_string())];
    let mut late = figure("out of order", stats.out_of_order.to_string());
    if stats.out_of_order > 0 {
        late = late.style(theme.late());
    }
    lines.push(late);
    let mut dups = figure("duplicates", stats.duplicates.to_string());
    if stats.duplicates > 0 {
        dups = dups.style(theme.duplicate());
    }
    lines.push(dups);
    if let Some(mean) = stats.latency_mean() {
        lines.push(figure("latency (mean)", millis(mean)));
    }
    if let Some(last) = stats.latency_last {
        lines.push(figure("latency (last)", millis(last)));
    }
    lines
}

fn figure(label: &str, value: String) -> Line<'static> {
    Line::raw(format!(" {label:<17}{value:>9}"))
}

fn status(app: &App, now: SystemTime) -> Paragraph<'_> {
    let theme = app.theme;
    let stats = app.tracker.stats();
    let mut spans = Vec::new();
    if app.paused {
        spans.push(Span::styled(
            " PAUSED: nothing is taken or deleted until you press p ",
            theme.alert(),
        ));
        spans.push(Span::raw(" "));
    }
    let idle = app
        .last_message
        .is_none_or(|last| now.duration_since(last).unwrap_or_default() >= WAITING_AFTER);
    if !app.paused && idle {
        spans.push(Span::styled("Waiting for messages... ", theme.dim()));
    }
    if stats.received > 0 {
        spans.push(Span::raw(format!("{} received", stats.received)));
        if let Some(limit) = app.limits.count {
            spans.push(Span::raw(format!(" ({}/{limit})", app.shown_total)));
        }
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{} out of order", stats.out_of_order),
            theme.late(),
        ));
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            plural(stats.duplicates, "duplicate"),
            theme.duplicate(),
        ));
    }
    Paragraph::new(Line::from(spans))
}
