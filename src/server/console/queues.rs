//! The queues page (`/`): every queue in every region and account with its counts, type,
//! deduplication and dead-letter links, a name-prefix filter, and the create, purge and
//! delete forms, whose posts are real CreateQueue, PurgeQueue and DeleteQueue requests.

use std::fmt::Write as _;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::html::{self, Flash, Section, esc, url_encode};
use super::{Call, Console, key_from_form, queue_path, redirect};
use crate::rules::DEFAULT_REGION;
use crate::server::queue::QueueKey;

/// One queue as the table shows it.
pub(super) struct Row {
    pub key: QueueKey,
    pub fifo: bool,
    pub created_s: u64,
    pub visible: usize,
    pub in_flight: usize,
    pub delayed: usize,
    pub content_based_deduplication: bool,
    /// Its dead-letter queue, from the redrive policy.
    pub dlq: Option<QueueKey>,
    /// The queues whose dead-letter queue it is.
    pub sources: Vec<QueueKey>,
}

/// Every queue whose name starts with `prefix`, sorted by region, account and name.
pub(super) fn rows(console: &Console, prefix: &str) -> Vec<Row> {
    console.engine().with_state(|state, now| {
        let all: Vec<_> = state.queues().collect();
        let mut rows: Vec<Row> = all
            .iter()
            .filter(|queue| queue.key().name.starts_with(prefix))
            .map(|queue| {
                let arn = queue.key().arn();
                let counts = queue.counts(now.at);
                let config = queue.config();
                Row {
                    key: queue.key().clone(),
                    fifo: config.fifo,
                    created_s: queue.created_s(),
                    visible: counts.visible,
                    in_flight: counts.in_flight,
                    delayed: counts.delayed,
                    content_based_deduplication: config.content_based_deduplication,
                    dlq: config
                        .redrive_policy
                        .as_ref()
                        .and_then(|policy| QueueKey::from_arn(&policy.target_arn)),
                    sources: all
                        .iter()
                        .filter(|other| {
                            other
                                .config()
                                .redrive_policy
                                .as_ref()
                                .is_some_and(|policy| policy.target_arn == arn)
                        })
                        .map(|other| other.key().clone())
                        .collect(),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        rows
    })
}

/// A link to a queue's page, its name as the text.
pub(super) fn queue_link(key: &QueueKey) -> String {
    format!(
        "<a href=\"{}\">{}</a>",
        esc(&queue_path(key)),
        esc(&key.name)
    )
}

/// The `data-live` id of a queue's figure (updated by the event stream).
pub(super) fn live_id(key: &QueueKey, figure: &str) -> String {
    esc(&format!(
        "{}/{}/{}:{figure}",
        key.region, key.account, key.name
    ))
}

/// The hidden fields that name a queue in a form.
pub(super) fn key_fields(key: &QueueKey) -> String {
    format!(
        "{}{}{}",
        html::hidden("region", &key.region),
        html::hidden("account", &key.account),
        html::hidden("name", &key.name)
    )
}

/// A purge or delete button with its confirmation.
pub(super) fn danger_form(console: &Console, action: &str, key: &QueueKey, back: &str) -> String {
    let (verb, question) = match action {
        "purge" => (
            "Purge",
            format!("Purge queue {}? Every message in it is deleted.", key.name),
        ),
        _ => (
            "Delete",
            format!("Delete queue {} and all its messages?", key.name),
        ),
    };
    format!(
        "{}{}{}<label class=\"confirm\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> sure</label>\
         <button class=\"danger\" type=\"submit\">{verb}</button></form>",
        html::form_start(
            &format!("queues/{action}"),
            console.token(),
            Some(&question)
        ),
        key_fields(key),
        html::hidden("back", back),
    )
}

/// `/`: the table, the filter and the create form.
pub(super) fn page(console: &Console, call: &Call<'_>, flash: &Flash) -> String {
    let prefix = call.param("prefix");
    let rows = rows(console, prefix);
    let mut body = String::from("<h1>Queues</h1>");
    let _ = write!(
        body,
        "<form class=\"filter\" method=\"get\" action=\"/\"><input type=\"search\" name=\"prefix\" \
         value=\"{}\" placeholder=\"Filter by name prefix\"><button type=\"submit\">Filter</button></form>",
        esc(prefix)
    );
    let back = if prefix.is_empty() {
        "/".to_string()
    } else {
        format!("/?prefix={}", url_encode(prefix))
    };
    body.push_str("<table class=\"grid queues\">");
    body.push_str(&html::head(&[
        "Name",
        "Type",
        "Region",
        "Created",
        "Messages available",
        "Messages in flight",
        "Messages delayed",
        "Content-based deduplication",
        "Dead-letter queue",
        "Redrive sources",
        "",
    ]));
    body.push_str("<tbody>");
    if rows.is_empty() {
        body.push_str("<tr><td colspan=\"11\" class=\"empty\">No queues");
        if !prefix.is_empty() {
            let _ = write!(body, " whose name starts with “{}”", esc(prefix));
        }
        body.push_str(".</td></tr>");
    }
    for row in &rows {
        let figure = |name: &str, value: usize| {
            format!(
                "<span data-live=\"{}\">{value}</span>",
                live_id(&row.key, name)
            )
        };
        let yes_no = |b: bool| if b { "Enabled" } else { "–" };
        body.push_str(&html::row(&[
            queue_link(&row.key),
            if row.fifo { "FIFO" } else { "Standard" }.to_string(),
            esc(&row.key.region),
            html::date(row.created_s),
            figure("visible", row.visible),
            figure("in_flight", row.in_flight),
            figure("delayed", row.delayed),
            if row.fifo {
                yes_no(row.content_based_deduplication)
            } else {
                "–"
            }
            .to_string(),
            row.dlq.as_ref().map_or_else(|| "–".to_string(), queue_link),
            if row.sources.is_empty() {
                "–".to_string()
            } else {
                row.sources
                    .iter()
                    .map(queue_link)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            format!(
                "<div class=\"actions\">{}{}</div>",
                danger_form(console, "purge", &row.key, &back),
                danger_form(console, "delete", &row.key, &back)
            ),
        ]));
    }
    body.push_str("</tbody></table>");
    body.push_str(&create_form(console));
    html::page("Queues", Section::Queues, flash, &body)
}

fn create_form(console: &Console) -> String {
    format!(
        "<h2>Create queue</h2>{}<div class=\"fields\">\
         <label>Name <input name=\"name\" required maxlength=\"80\" pattern=\"[A-Za-z0-9_\\-]+(\\.fifo)?\"></label>\
         <label>Region <input name=\"region\" value=\"{DEFAULT_REGION}\" required></label>\
         <label><input type=\"checkbox\" name=\"fifo\" value=\"yes\"> FIFO</label>\
         <label><input type=\"checkbox\" name=\"content_based_deduplication\" value=\"yes\"> Content-based deduplication (FIFO)</label>\
         <label>Visibility timeout (s) <input name=\"visibility_timeout\" type=\"number\" min=\"0\" max=\"43200\" value=\"30\"></label>\
         <button type=\"submit\">Create queue</button></div></form>",
        html::form_start("queues/create", console.token(), None)
    )
}

/// CreateQueue from the form; back to `/` with what happened.
pub(super) async fn create(console: &Console, call: &Call<'_>) -> Response {
    let fifo = call.param("fifo") == "yes";
    let mut name = call.param("name").trim().to_string();
    if fifo && !name.ends_with(".fifo") {
        name.push_str(".fifo");
    }
    let region = match call.param("region").trim() {
        "" => DEFAULT_REGION,
        region => region,
    };
    let mut attributes = Map::new();
    if fifo {
        attributes.insert("FifoQueue".into(), json!("true"));
        if call.param("content_based_deduplication") == "yes" {
            attributes.insert("ContentBasedDeduplication".into(), json!("true"));
        }
    }
    let timeout = call.param("visibility_timeout").trim();
    if !timeout.is_empty() {
        attributes.insert("VisibilityTimeout".into(), json!(timeout));
    }
    let input = json!({"QueueName": name, "Attributes": Value::Object(attributes)});
    let flash = match console.sqs(&call.ctx, region, "CreateQueue", input).await {
        Ok(_) => Flash {
            note: Some(format!("Queue {name} created in {region}.")),
            error: None,
        },
        Err(error) => Flash {
            note: None,
            error: Some(format!("Cannot create queue {name}: {error}")),
        },
    };
    redirect("/", &flash)
}

/// PurgeQueue, once the form says `confirm=yes`.
pub(super) async fn purge(console: &Console, call: &Call<'_>) -> Response {
    on_queue(console, call, "PurgeQueue", "purged").await
}

/// DeleteQueue, once the form says `confirm=yes`.
pub(super) async fn delete(console: &Console, call: &Call<'_>) -> Response {
    on_queue(console, call, "DeleteQueue", "deleted").await
}

async fn on_queue(console: &Console, call: &Call<'_>, action: &str, done: &str) -> Response {
    let back = match call.param("back") {
        // Only the console's own pages: "/\\host" would leave the site in a browser.
        back if back == "/" || back.starts_with("/?") || back.starts_with("/queues/") => {
            back.to_string()
        }
        _ => "/".to_string(),
    };
    let key = match key_from_form(call) {
        Ok(key) => key,
        Err(error) => {
            return redirect(
                &back,
                &Flash {
                    note: None,
                    error: Some(error),
                },
            );
        }
    };
    if call.param("confirm") != "yes" {
        let error = format!("Queue {} was not {done}: confirm first.", key.name);
        return redirect(
            &back,
            &Flash {
                note: None,
                error: Some(error),
            },
        );
    }
    let url = crate::server::store::State::url(&call.ctx, &key);
    let flash = match console
        .sqs(&call.ctx, &key.region, action, json!({"QueueUrl": url}))
        .await
    {
        Ok(_) => Flash {
            note: Some(format!("Queue {} {done}.", key.name)),
            error: None,
        },
        Err(error) => Flash {
            note: None,
            error: Some(format!("Queue {} was not {done}: {error}", key.name)),
        },
    };
    // A deleted queue's page is gone: back to the list.
    let back = if action == "DeleteQueue" && back.starts_with("/queues/") {
        "/".to_string()
    } else {
        back
    };
    redirect(&back, &flash)
}
