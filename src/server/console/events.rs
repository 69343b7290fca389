//! Live updates: `GET /_console/events[?queue=<region>/<account>/<name>]` is a Server-Sent
//! Events stream of JSON snapshots, one at once and then one every [`PERIOD`]: every queue's
//! counts and, for a queue's page, its charts and cost. It runs only while a page holds it
//! open (the stream is dropped when the browser goes) and ends when the server stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::queues::rows;
use super::{Call, Console, charts, key_from_path, queue_page};
use crate::server::queue::QueueKey;

/// Time between snapshots.
const PERIOD: Duration = Duration::from_secs(2);

/// The event stream.
pub(super) fn stream(console: &Console, call: &Call<'_>) -> Response {
    let queue = key_from_path(call.param("queue"));
    let state = (console.clone(), queue, true);
    let events = futures::stream::unfold(state, |(console, queue, first)| async move {
        if !first {
            tokio::select! {
                () = tokio::time::sleep(PERIOD) => {}
                () = console.shutdown.cancelled() => return None,
            }
        }
        if console.shutdown.is_cancelled() {
            return None;
        }
        let event = format!("data: {}\n\n", snapshot(&console, queue.as_ref()));
        Some((
            Ok::<_, Infallible>(Bytes::from(event)),
            (console, queue, false),
        ))
    });
    let mut response = Response::new(Body::from_stream(events));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Every queue's counts by `region/account/name`, and the charts and cost of `queue`.
pub(super) fn snapshot(console: &Console, queue: Option<&QueueKey>) -> Value {
    let mut queues = Map::new();
    for row in rows(console, "") {
        queues.insert(
            format!("{}/{}/{}", row.key.region, row.key.account, row.key.name),
            json!({"visible": row.visible, "in_flight": row.in_flight, "delayed": row.delayed}),
        );
    }
    let mut snapshot = json!({"queues": queues});
    if let Some(live) = queue.and_then(|key| queue_page::live(console, key)) {
        let charts: Map<String, Value> = charts::charts(&live.hour)
            .into_iter()
            .map(|(name, inner)| (name.to_string(), json!(inner)))
            .collect();
        snapshot["charts"] = Value::Object(charts);
        snapshot["cost"] = json!(charts::cost_html(&charts::cost(&live.hour, live.fifo)));
    }
    snapshot
}
