//! The *Monitoring* panel: one small SVG bar chart per CloudWatch metric for the last hour
//! (a bar a minute, oldest left), drawn here without a chart library, and the cost of the
//! hour's requests at SQS's prices. Pure functions of the minutes.

use std::fmt::Write as _;

use crate::server::metrics::Minute;

/// US East prices per million requests (the first million a month is free; ignored here).
const STANDARD_PER_MILLION: f64 = 0.40;
const FIFO_PER_MILLION: f64 = 0.50;
/// Every 64 KiB chunk of a payload is billed as one request.
const CHUNK_BYTES: u64 = 64 * 1024;
/// Hours in a month, as AWS's pricing examples count them.
const HOURS_PER_MONTH: f64 = 730.0;

const WIDTH: u32 = 360;
const HEIGHT: u32 = 130;
/// The plot area: left margin for the axis labels, bottom margin for the time labels.
const LEFT: u32 = 44;
const RIGHT: u32 = 6;
const TOP: u32 = 8;
const BOTTOM: u32 = 20;

/// How a metric's minutes add up in the caption.
#[derive(Clone, Copy)]
enum Summary {
    /// A count: its sum over the hour.
    Sum,
    /// A sampled gauge: its latest value.
    Latest,
    /// An average per minute: the hour's average.
    Average,
}

/// The eight metrics, named as CloudWatch names them, with their unit and their value in a
/// minute (`None`: nothing to show, e.g. no gauge sampled in that minute).
#[allow(clippy::type_complexity)]
const METRICS: [(&str, &str, Summary, fn(&Minute) -> Option<u64>); 8] = [
    ("NumberOfMessagesSent", "messages", Summary::Sum, |m| {
        Some(m.sent)
    }),
    ("NumberOfMessagesReceived", "messages", Summary::Sum, |m| {
        Some(m.received)
    }),
    ("NumberOfMessagesDeleted", "messages", Summary::Sum, |m| {
        Some(m.deleted)
    }),
    ("NumberOfEmptyReceives", "receives", Summary::Sum, |m| {
        Some(m.empty_receives)
    }),
    (
        "ApproximateNumberOfMessagesVisible",
        "messages",
        Summary::Latest,
        |m| m.gauges.map(|g| g.visible),
    ),
    (
        "ApproximateNumberOfMessagesNotVisible",
        "messages",
        Summary::Latest,
        |m| m.gauges.map(|g| g.not_visible),
    ),
    (
        "ApproximateAgeOfOldestMessage",
        "seconds",
        Summary::Latest,
        |m| m.gauges.map(|g| g.oldest_age_s),
    ),
    (
        "SentMessageSize",
        "bytes",
        Summary::Average,
        Minute::sent_message_size,
    ),
];

/// Every chart: `(metric name, inner HTML of its figure)`.
#[must_use]
pub fn charts(hour: &[Minute]) -> Vec<(&'static str, String)> {
    METRICS
        .iter()
        .map(|(name, unit, summary, value)| {
            let values: Vec<Option<u64>> = hour.iter().map(value).collect();
            let caption = caption(&values, *summary, unit);
            let inner = format!(
                "<figcaption><b>{name}</b> <span>{caption}</span></figcaption>{}",
                svg(name, &values)
            );
            (*name, inner)
        })
        .collect()
}

/// The figures of every chart, for the page.
#[must_use]
pub fn panel(hour: &[Minute]) -> String {
    let mut html = String::from("<div class=\"charts\">");
    for (name, inner) in charts(hour) {
        let _ = write!(
            html,
            "<figure class=\"chart\" data-chart=\"{name}\">{inner}</figure>"
        );
    }
    html.push_str("</div>");
    html
}

fn caption(values: &[Option<u64>], summary: Summary, unit: &str) -> String {
    let known: Vec<u64> = values.iter().flatten().copied().collect();
    match summary {
        Summary::Sum => format!("{} {unit} in the last hour", known.iter().sum::<u64>()),
        Summary::Latest => match values.iter().rev().flatten().next() {
            Some(last) => format!("now {last} {unit}"),
            None => "not sampled yet".to_string(),
        },
        Summary::Average if known.is_empty() => "nothing sent".to_string(),
        Summary::Average => format!(
            "average {} {unit}",
            known.iter().sum::<u64>() / known.len() as u64
        ),
    }
}

/// A round number at or above `max` for the top of the axis (1, 2, 5 × 10ⁿ).
fn axis_top(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let top = step.saturating_mul(factor);
            if top >= max {
                return top;
            }
        }
        step = step.saturating_mul(10);
    }
}

fn svg(name: &str, values: &[Option<u64>]) -> String {
    let max = values.iter().flatten().copied().max().unwrap_or(0);
    let top = axis_top(max.max(1));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = f64::from(plot_w) / values.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart-svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         role=\"img\" aria-label=\"{name} per minute, last hour\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        "<g class=\"grid\" stroke=\"#d5dbdb\" stroke-width=\"1\">\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{}\" y2=\"{TOP}\"/>\
         <line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/></g>",
        WIDTH - RIGHT,
        TOP + plot_h / 2,
        WIDTH - RIGHT,
        TOP + plot_h / 2
    );
    let _ = write!(
        svg,
        "<g fill=\"#545b64\" font-size=\"10\" font-family=\"sans-serif\">\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{top}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{}\">−60 min</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">now</text></g>",
        LEFT - 4,
        TOP + 8,
        LEFT - 4,
        base,
        HEIGHT - 4,
        WIDTH - RIGHT,
        HEIGHT - 4
    );
    svg.push_str("<g class=\"bars\" fill=\"#0073bb\">");
    for (i, value) in values.iter().enumerate() {
        let Some(value) = value.filter(|v| *v > 0) else {
            continue;
        };
        let h = (value as f64 / top as f64 * f64::from(plot_h)).max(1.0);
        let x = f64::from(LEFT) + i as f64 * slot + 0.5;
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-v=\"{value}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{} min ago: {value}</title></rect>",
            f64::from(base) - h,
            (slot - 1.0).max(1.0),
            values.len() - 1 - i
        );
    }
    let _ = write!(
        svg,
        "</g><line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#879596\"/></svg>",
        WIDTH - RIGHT
    );
    svg
}

/// The hour's requests and what they cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Empty receives in the last hour.
    pub empty_receives: u64,
    /// Every request in the last hour, estimated (see [`cost`]).
    pub requests: u64,
    /// Dollars per million requests.
    pub per_million: f64,
}

/// The last hour's requests: each message sent counts one request per 64 KiB chunk of its
/// (average) size, each message received and deleted one request, each empty receive one.
/// Batches make the real count lower; this is the cost without them.
#[must_use]
pub fn cost(hour: &[Minute], fifo: bool) -> Cost {
    let mut requests = 0;
    let mut empty_receives = 0;
    for minute in hour {
        let chunks = minute
            .sent_message_size()
            .map_or(1, |size| size.div_ceil(CHUNK_BYTES).max(1));
        requests += minute.sent * chunks + minute.received + minute.deleted + minute.empty_receives;
        empty_receives += minute.empty_receives;
    }
    Cost {
        empty_receives,
        requests,
        per_million: if fifo {
            FIFO_PER_MILLION
        } else {
            STANDARD_PER_MILLION
        },
    }
}

/// The cost table and the assumptions behind it.
#[must_use]
pub fn cost_html(cost: &Cost) -> String {
    let dollars = |n: u64| n as f64 * cost.per_million / 1_000_000.0;
    let row = |what: &str, n: u64| {
        format!(
            "<tr><th>{what}</th><td>{n}</td><td>${:.6}</td><td>${:.2}</td></tr>",
            dollars(n),
            dollars(n) * HOURS_PER_MONTH
        )
    };
    format!(
        "<table class=\"grid cost\"><thead><tr><th>Last hour</th><th>Requests</th><th>Cost</th>\
         <th>A month at this rate</th></tr></thead><tbody>{}{}</tbody></table>\
         <p class=\"hint\">At ${:.2} per million requests ({} queue, US East prices, the free tier \
         ignored). Every 64 KiB chunk of a message sent is one request; each message sent, \
         received or deleted is counted as its own request (batches of up to 10 cost less) and \
         each empty receive is one. Long polling (WaitTimeSeconds up to 20) is how to avoid \
         paying for empty receives.</p>",
        row("Empty receives", cost.empty_receives),
        row("All requests (estimated)", cost.requests),
        cost.per_million,
        if (cost.per_million - FIFO_PER_MILLION).abs() < f64::EPSILON {
            "FIFO"
        } else {
            "standard"
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::metrics::Gauges;

    fn minute(sent: u64, sent_bytes: u64, empty: u64) -> Minute {
        Minute {
            sent,
            sent_bytes,
            empty_receives: empty,
            ..Minute::default()
        }
    }

    #[test]
    fn large_messages_count_a_request_per_chunk() {
        // Two 100 KiB messages: two chunks each; three empty receives.
        let hour = [minute(2, 200 * 1024, 3), minute(0, 0, 0)];
        let cost = cost(&hour, true);
        assert_eq!((cost.requests, cost.empty_receives), (7, 3));
        assert!((cost.per_million - 0.5).abs() < 1e-9);
        assert!(
            cost_html(&cost).contains("<td>$0.000003</td>"),
            "{}",
            cost_html(&cost)
        );
    }

    #[test]
    fn a_bar_per_minute_with_something_in_it() {
        let mut hour = vec![Minute::default(); 60];
        hour[59] = minute(4, 400, 0);
        hour[59].gauges = Some(Gauges {
            visible: 7,
            ..Gauges::default()
        });
        let charts = charts(&hour);
        assert_eq!(charts.len(), 8);
        let sent = &charts[0].1;
        assert_eq!(sent.matches("class=\"bar\"").count(), 1);
        assert!(sent.contains("data-v=\"4\"") && sent.contains("4 messages in the last hour"));
        assert!(charts[4].1.contains("now 7 messages"));
        assert!(charts[7].1.contains("average 100 bytes"));
        assert_eq!(
            (axis_top(7), axis_top(10), axis_top(11), axis_top(1)),
            (10, 10, 20, 1)
        );
    }
}
