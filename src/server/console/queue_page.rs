//! One queue's page (`/queues/<region>/<account>/<name>`): its live counts, every attribute
//! (read with a real GetQueueAttributes) and its policies pretty-printed, the *Monitoring*
//! charts and cost, and the *Send and receive* forms with the messages of the last poll.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::charts;
use super::html::{self, Flash, Section, esc};
use super::queues::{danger_form, key_fields, live_id};
use super::{Console, RequestContext, queue_path};
use crate::server::metrics::{Minute, QueueStats};
use crate::server::queue::QueueKey;
use crate::server::store::State;

/// Attributes whose value is a JSON document, shown pretty-printed.
const JSON_ATTRIBUTES: [&str; 3] = ["Policy", "RedrivePolicy", "RedriveAllowPolicy"];

/// What the page and the event stream read of a queue under the lock.
pub(super) struct Live {
    pub fifo: bool,
    pub visible: usize,
    pub in_flight: usize,
    pub delayed: usize,
    pub visibility_timeout: u32,
    pub content_based_deduplication: bool,
    /// The last hour, gauges sampled now.
    pub hour: Vec<Minute>,
}

/// The queue's live figures, or `None` if there is no such queue.
pub(super) fn live(console: &Console, key: &QueueKey) -> Option<Live> {
    console.engine().with_state(|state, now| {
        state.sample_metrics(now);
        let queue = state.queue(key).ok()?;
        let counts = queue.counts(now.at);
        let config = queue.config();
        let hour = state.metrics().of(key).map_or_else(
            || QueueStats::default().hour(now.epoch_ms),
            |s| s.hour(now.epoch_ms),
        );
        Some(Live {
            fifo: config.fifo,
            visible: counts.visible,
            in_flight: counts.in_flight,
            delayed: counts.delayed,
            visibility_timeout: config.visibility_timeout,
            content_based_deduplication: config.content_based_deduplication,
            hour,
        })
    })
}

/// The page, with the messages of a poll when there was one; `None`: no such queue.
pub(super) async fn page(
    console: &Console,
    ctx: &RequestContext,
    key: &QueueKey,
    flash: &Flash,
    polled: Option<&[Value]>,
) -> Option<String> {
    let live = live(console, key)?;
    let url = State::url(ctx, key);
    let attributes = console
        .sqs(
            ctx,
            &key.region,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["All"]}),
        )
        .await;
    let mut body = format!(
        "<p class=\"crumbs\"><a href=\"/\">Queues</a> › {}</p><h1>{}</h1>\
         <p class=\"url\">{} queue · {} · <code>{}</code></p>",
        esc(&key.name),
        esc(&key.name),
        if live.fifo { "FIFO" } else { "Standard" },
        esc(&key.region),
        esc(&url)
    );
    let figure = |label: &str, name: &str, value: usize| {
        format!(
            "<div class=\"figure\"><span class=\"label\">{label}</span><span class=\"value\" data-live=\"{}\">{value}</span></div>",
            live_id(key, name)
        )
    };
    let _ = write!(
        body,
        "<div class=\"figures\">{}{}{}<div class=\"figure actions\">{}{}</div></div>",
        figure("Messages available", "visible", live.visible),
        figure("Messages in flight", "in_flight", live.in_flight),
        figure("Messages delayed", "delayed", live.delayed),
        danger_form(console, "purge", key, &queue_path(key)),
        danger_form(console, "delete", key, &queue_path(key)),
    );
    let _ = write!(
        body,
        "<section id=\"monitoring\" data-queue=\"{}\"><h2>Monitoring</h2>\
         <p class=\"hint\">Per minute, the last hour (CloudWatch's metric names). Updates live.</p>\
         <div data-charts>{}</div><h3>Cost</h3><div data-cost>{}</div></section>",
        esc(&format!("{}/{}/{}", key.region, key.account, key.name)),
        charts::panel(&live.hour),
        charts::cost_html(&charts::cost(&live.hour, live.fifo)),
    );
    body.push_str(&send_and_receive(console, key, &live, polled));
    body.push_str("<section><h2>Details</h2>");
    match attributes {
        Ok(answer) => body.push_str(&attributes_html(&answer)),
        Err(error) => {
            let _ = write!(body, "<p class=\"flash error\">{}</p>", esc(&error));
        }
    }
    body.push_str("</section>");
    Some(html::page(&key.name, Section::Queues, flash, &body))
}

/// The attributes as a table, the JSON ones pretty-printed below it (the policy first).
fn attributes_html(answer: &Value) -> String {
    let Some(attributes) = answer.get("Attributes").and_then(Value::as_object) else {
        return "<p>No attributes.</p>".to_string();
    };
    let mut plain: Vec<(&str, String)> = Vec::new();
    let mut documents = String::new();
    for (name, value) in attributes {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        if JSON_ATTRIBUTES.contains(&name.as_str()) {
            let pretty = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(text);
            let _ = write!(
                documents,
                "<h3>{}</h3><pre class=\"json\">{}</pre>",
                esc(name),
                esc(&pretty)
            );
        } else {
            if let Some(seconds) = name
                .ends_with("Timestamp")
                .then(|| text.parse::<u64>().ok())
                .flatten()
            {
                plain.push((name, format!("{} ({seconds})", html::date(seconds))));
                continue;
            }
            plain.push((name, text));
        }
    }
    if !attributes.contains_key("Policy") {
        documents.push_str("<h3>Policy</h3><p class=\"hint\">No access policy is set.</p>");
    }
    format!("{}{documents}", html::key_values(plain))
}

fn send_and_receive(
    console: &Console,
    key: &QueueKey,
    live: &Live,
    polled: Option<&[Value]>,
) -> String {
    let token = console.token();
    let fifo_fields = if live.fifo {
        format!(
            "<label>Message group id <input name=\"group_id\" value=\"console\" required></label>\
             <label>Deduplication id <input name=\"dedup_id\" placeholder=\"{}\"></label>",
            if live.content_based_deduplication {
                "(content-based)"
            } else {
                "required unless content-based"
            }
        )
    } else {
        "<label>Delay (s) <input name=\"delay\" type=\"number\" min=\"0\" max=\"900\" value=\"0\"></label>".to_string()
    };
    let mut html = format!(
        "<section id=\"send-receive\"><h2>Send and receive messages</h2><div class=\"columns\">\
         <div>{}{}<h3>Send a message</h3><label class=\"wide\">Body <textarea name=\"body\" rows=\"4\" required></textarea></label>\
         <div class=\"fields\">{fifo_fields}</div>\
         <div class=\"fields\"><label>Attribute <input name=\"attr_name\" placeholder=\"name\"></label>\
         <label>Type <select name=\"attr_type\"><option>String</option><option>Number</option></select></label>\
         <label>Value <input name=\"attr_value\"></label></div>\
         <button type=\"submit\">Send message</button></form></div>",
        html::form_start("messages/send", token, None),
        key_fields(key),
    );
    let fifo_group = if live.fifo {
        "<label>Message group id <input name=\"group_id\" value=\"console\" required></label>"
    } else {
        ""
    };
    let _ = write!(
        html,
        "<div>{}{}<h3>Send numbered messages</h3><p class=\"hint\">As <code>queue send</code>: \
         bodies <code>{{prepend}}Message {{i}}</code> with the <code>client</code> attribute.</p>\
         <div class=\"fields\"><label>Count <input name=\"count\" type=\"number\" min=\"1\" max=\"1000\" value=\"10\"></label>\
         <label>Prepend <input name=\"prepend\" placeholder=\"text before each body\"></label>\
         <label>Client <input name=\"client\" value=\"console\"></label>{fifo_group}</div>\
         <button type=\"submit\">Send messages</button></form></div></div>",
        html::form_start("messages/send", token, None),
        key_fields(key),
    );
    let _ = write!(
        html,
        "<h3>Receive messages</h3>{}{}<p class=\"hint\">Polling is a real ReceiveMessage: the \
         messages it returns become invisible to other consumers for the visibility timeout \
         ({} s), and their receive count goes up, as in the AWS console.</p>\
         <div class=\"fields\"><label>Maximum messages <input name=\"max\" type=\"number\" min=\"1\" max=\"10\" value=\"10\"></label>\
         <label>Wait time (s) <input name=\"wait\" type=\"number\" min=\"0\" max=\"20\" value=\"0\"></label>\
         <button type=\"submit\">Poll for messages</button></div></form>",
        html::form_start("messages/receive", token, None),
        key_fields(key),
        live.visibility_timeout
    );
    if let Some(messages) = polled {
        html.push_str(&messages_html(console, key, messages));
    }
    html.push_str("</section>");
    html
}

/// The messages of a poll: body, attributes, system attributes, receive count and a delete
/// form carrying the receipt handle.
fn messages_html(console: &Console, key: &QueueKey, messages: &[Value]) -> String {
    if messages.is_empty() {
        return "<p class=\"empty\" id=\"polled\">The poll returned no messages (an empty receive).</p>".to_string();
    }
    let mut html = format!(
        "<p id=\"polled\">{} message(s) received.</p>",
        messages.len()
    );
    html.push_str("<table class=\"grid messages\">");
    html.push_str(&html::head(&[
        "Body",
        "Message attributes",
        "System attributes",
        "Receive count",
        "",
    ]));
    html.push_str("<tbody>");
    for message in messages {
        let text = |name: &str| {
            message
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let system = message.get("Attributes").and_then(Value::as_object);
        let receive_count = system
            .and_then(|a| a.get("ApproximateReceiveCount"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let system_pairs: Vec<(&str, String)> = system
            .into_iter()
            .flatten()
            .map(|(n, v)| (n.as_str(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let user_pairs: Vec<(&str, String)> = message
            .get("MessageAttributes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(n, v)| {
                let value = v
                    .get("StringValue")
                    .or_else(|| v.get("BinaryValue"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let kind = v
                    .get("DataType")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (n.as_str(), format!("{value} ({kind})"))
            })
            .collect();
        html.push_str(&html::row(&[
            format!(
                "<pre class=\"body\">{}</pre><span class=\"id\">{}</span>",
                esc(text("Body")),
                esc(text("MessageId"))
            ),
            if user_pairs.is_empty() {
                "–".to_string()
            } else {
                html::key_values(user_pairs)
            },
            html::key_values(system_pairs),
            esc(receive_count),
            format!(
                "{}{}{}<button type=\"submit\">Delete</button></form>",
                html::form_start("messages/delete", console.token(), None),
                key_fields(key),
                html::hidden("receipt_handle", text("ReceiptHandle"))
            ),
        ]));
    }
    html.push_str("</tbody></table>");
    html
}
