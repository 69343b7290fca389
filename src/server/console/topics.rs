//! The topics pages: `/topics` lists every SNS topic with its subscriptions (protocol,
//! endpoint, raw delivery, filter policy); `/topics/<arn>` shows one topic's attributes and
//! subscriptions and a publish form, whose post is a real SNS Publish.

use std::fmt::Write as _;

use axum::response::Response;

use super::html::{self, Flash, Section, esc};
use super::queues::queue_link;
use super::{Call, Console, redirect};
use crate::server::queue::QueueKey;
use crate::server::sns::{Subscription, Topic};

fn topic_path(arn: &str) -> String {
    format!("/topics/{arn}")
}

fn topic_link(arn: &str) -> String {
    let name = arn.rsplit(':').next().unwrap_or(arn);
    format!("<a href=\"{}\">{}</a>", esc(&topic_path(arn)), esc(name))
}

fn is_fifo(topic: &Topic) -> bool {
    topic
        .attributes
        .get("FifoTopic")
        .is_some_and(|v| v == "true")
        || topic.arn.ends_with(".fifo")
}

/// A subscription's endpoint: a link to the queue for SQS endpoints in this server.
fn endpoint(subscription: &Subscription) -> String {
    match QueueKey::from_arn(&subscription.endpoint) {
        Some(key) if subscription.protocol == "sqs" => queue_link(&key),
        _ => esc(&subscription.endpoint),
    }
}

fn subscriptions_table<'a>(
    subscriptions: impl Iterator<Item = &'a Subscription>,
    with_topic: bool,
) -> String {
    let mut html = String::from("<table class=\"grid\">");
    let mut headings = vec![
        "Protocol",
        "Endpoint",
        "Raw delivery",
        "Filter policy",
        "Status",
    ];
    if with_topic {
        headings.insert(0, "Topic");
    }
    html.push_str(&html::head(&headings));
    html.push_str("<tbody>");
    let mut any = false;
    for subscription in subscriptions {
        any = true;
        let mut cells = vec![
            esc(&subscription.protocol),
            endpoint(subscription),
            if subscription.raw() { "Yes" } else { "No" }.to_string(),
            subscription.attributes.get("FilterPolicy").map_or_else(
                || "–".to_string(),
                |policy| format!("<pre class=\"json\">{}</pre>", esc(policy)),
            ),
            if subscription.pending {
                "Pending confirmation"
            } else {
                "Confirmed"
            }
            .to_string(),
        ];
        if with_topic {
            cells.insert(0, topic_link(&subscription.topic_arn));
        }
        html.push_str(&html::row(&cells));
    }
    if !any {
        let _ = write!(
            html,
            "<tr><td colspan=\"{}\" class=\"empty\">No subscriptions.</td></tr>",
            headings.len()
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// `/topics`.
pub(super) fn list(console: &Console, flash: &Flash) -> String {
    console.engine().with_state(|state, _| {
        let registry = state.sns();
        let mut body = String::from("<h1>Topics</h1><table class=\"grid\">");
        body.push_str(&html::head(&[
            "Name",
            "Type",
            "Region",
            "ARN",
            "Subscriptions",
        ]));
        body.push_str("<tbody>");
        for topic in registry.topics.values() {
            body.push_str(&html::row(&[
                topic_link(&topic.arn),
                if is_fifo(topic) { "FIFO" } else { "Standard" }.to_string(),
                esc(&topic.region),
                format!("<code>{}</code>", esc(&topic.arn)),
                registry.subscriptions_of(&topic.arn).count().to_string(),
            ]));
        }
        if registry.topics.is_empty() {
            body.push_str("<tr><td colspan=\"5\" class=\"empty\">No topics.</td></tr>");
        }
        body.push_str("</tbody></table><h2>Subscriptions</h2>");
        let all = registry
            .order
            .iter()
            .filter_map(|arn| registry.subscriptions.get(arn));
        body.push_str(&subscriptions_table(all, true));
        html::page("Topics", Section::Topics, flash, &body)
    })
}

/// `/topics/<arn>`, or `None` if there is no such topic.
pub(super) fn page(console: &Console, arn: &str, flash: &Flash) -> Option<String> {
    console.engine().with_state(|state, _| {
        let registry = state.sns();
        let topic = registry.topics.get(arn)?;
        let name = arn.rsplit(':').next().unwrap_or(arn);
        let mut body = format!(
            "<p class=\"crumbs\"><a href=\"/topics\">Topics</a> › {}</p><h1>{}</h1><p class=\"url\"><code>{}</code></p>",
            esc(name),
            esc(name),
            esc(arn)
        );
        let mut attributes: Vec<(&str, String)> = vec![
            ("TopicArn", topic.arn.clone()),
            ("FifoTopic", is_fifo(topic).to_string()),
        ];
        attributes.extend(topic.attributes.iter().map(|(n, v)| (n.as_str(), v.clone())));
        body.push_str("<section><h2>Publish a message</h2>");
        body.push_str(&publish_form(console, topic));
        body.push_str("</section><section><h2>Subscriptions</h2>");
        body.push_str(&subscriptions_table(registry.subscriptions_of(arn), false));
        body.push_str("</section><section><h2>Details</h2>");
        body.push_str(&html::key_values(attributes));
        body.push_str("</section>");
        Some(html::page(name, Section::Topics, flash, &body))
    })
}

fn publish_form(console: &Console, topic: &Topic) -> String {
    let fifo = if is_fifo(topic) {
        "<label>Message group id <input name=\"group_id\" value=\"console\" required></label>\
         <label>Deduplication id <input name=\"dedup_id\"></label>"
    } else {
        ""
    };
    format!(
        "{}{}{}<label class=\"wide\">Message <textarea name=\"message\" rows=\"3\" required></textarea></label>\
         <div class=\"fields\"><label>Subject <input name=\"subject\"></label>{fifo}</div>\
         <button type=\"submit\">Publish</button></form>",
        html::form_start("topics/publish", console.token(), None),
        html::hidden("topic_arn", &topic.arn),
        html::hidden("region", &topic.region),
    )
}

/// SNS Publish from the form.
pub(super) async fn publish(console: &Console, call: &Call<'_>) -> Response {
    let arn = call.param("topic_arn");
    let mut params = vec![
        ("TopicArn".to_string(), arn.to_string()),
        ("Message".to_string(), call.param("message").to_string()),
    ];
    for (field, member) in [
        ("subject", "Subject"),
        ("group_id", "MessageGroupId"),
        ("dedup_id", "MessageDeduplicationId"),
    ] {
        let value = call.param(field).trim();
        if !value.is_empty() {
            params.push((member.to_string(), value.to_string()));
        }
    }
    let flash = match console
        .sns(&call.ctx, call.param("region"), "Publish", &params)
        .await
    {
        Ok(()) => Flash {
            note: Some("Message published.".into()),
            error: None,
        },
        Err(error) => Flash {
            note: None,
            error: Some(format!("Cannot publish: {error}")),
        },
    };
    let back = if arn.is_empty() {
        "/topics".to_string()
    } else {
        topic_path(arn)
    };
    redirect(&back, &flash)
}
