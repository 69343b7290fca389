//! SNS in `queue serve`: topics, subscriptions and the fan-out of published messages to SQS
//! queues, on the same port and in the same accounts and regions as the queues. SNS speaks
//! the Query protocol (form POST, XML answers, `Version=2010-03-31`).
//!
//! - `params` reads the flattened parameters and `xml` writes answers and errors (`error`);
//! - `registry` holds the topics and subscriptions (inside the engine's `State`);
//! - `topics`, `subscriptions` and `publish` are the actions, found by name in [`run`];
//! - `envelope` is the JSON a queue receives without raw delivery, signed by `signing`
//!   (whose certificate [`certificate`] serves); `filter` is the filter-policy language.

mod envelope;
mod error;
mod filter;
mod params;
mod publish;
mod registry;
mod signing;
mod subscriptions;
mod topics;
mod xml;

pub use error::SnsError;
pub use registry::{Registry, Snapshot, Subscription, Topic};
pub use xml::Output;

use axum::http::HeaderMap;

use crate::server::engine::RequestContext;
use crate::server::store::{Now, State};
use params::Params;

/// The API version every SNS request names.
const VERSION: &str = "2010-03-31";

/// Whether a request is for SNS: it names SNS's API version, is signed for the `sns` service,
/// or names an action only SNS has (the unsigned links in envelopes: `Unsubscribe`).
#[must_use]
pub fn wants(params: &[(String, String)], headers: &HeaderMap) -> bool {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if param("Version") == Some(VERSION) {
        return true;
    }
    let scope = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .or_else(|| param("X-Amz-Credential"));
    if let Some(scope) = scope {
        return scope.split('/').nth(3) == Some("sns");
    }
    matches!(param("Action"), Some("Unsubscribe" | "ConfirmSubscription"))
}

/// The action a request names.
///
/// # Errors
/// No `Action`.
pub fn action(params: &[(String, String)]) -> Result<String, SnsError> {
    Params::new(params)
        .get("Action")
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .ok_or_else(|| SnsError::invalid_action(""))
}

/// Every action SNS serves here.
const ACTIONS: &[&str] = &[
    "Publish",
    "PublishBatch",
    "ListTopics",
    "GetTopicAttributes",
    "ListTagsForResource",
    "GetDataProtectionPolicy",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "GetSubscriptionAttributes",
    "CreateTopic",
    "DeleteTopic",
    "SetTopicAttributes",
    "TagResource",
    "UntagResource",
    "AddPermission",
    "RemovePermission",
    "PutDataProtectionPolicy",
    "Subscribe",
    "ConfirmSubscription",
    "Unsubscribe",
    "SetSubscriptionAttributes",
];

/// Whether SNS here has an action called `name`.
#[must_use]
pub fn is_action(name: &str) -> bool {
    ACTIONS.contains(&name)
}

/// Runs SNS action `action` against the state.
///
/// # Errors
/// Any SNS error the action answers, `InvalidAction` for actions SNS does not have.
pub fn run(
    state: &mut State,
    ctx: &RequestContext,
    action: &str,
    params: &[(String, String)],
    now: Now,
) -> Result<Output, SnsError> {
    let p = Params::new(params);
    if !is_action(action) {
        return Err(SnsError::invalid_action(action));
    }
    match action {
        "Publish" => publish::publish(state, ctx, p, now),
        "PublishBatch" => publish::publish_batch(state, ctx, p, now),
        // Reading actions leave the data directory alone.
        "ListTopics" => topics::list(state.sns(), ctx, p),
        "GetTopicAttributes" => topics::get_attributes(state.sns(), ctx, p),
        "ListTagsForResource" => topics::list_tags(state.sns(), ctx, p),
        "GetDataProtectionPolicy" => topics::get_data_protection(state.sns(), ctx, p),
        "ListSubscriptions" => subscriptions::list(state.sns(), ctx, p),
        "ListSubscriptionsByTopic" => subscriptions::list_by_topic(state.sns(), ctx, p),
        "GetSubscriptionAttributes" => subscriptions::get_attributes(state.sns(), ctx, p),
        _ => {
            let reg = state.sns_mut();
            match action {
                "CreateTopic" => topics::create(reg, ctx, p),
                "DeleteTopic" => topics::delete(reg, ctx, p),
                "SetTopicAttributes" => topics::set_attribute(reg, ctx, p),
                "TagResource" => topics::tag(reg, ctx, p),
                "UntagResource" => topics::untag(reg, ctx, p),
                "AddPermission" => topics::add_permission(reg, ctx, p),
                "RemovePermission" => topics::remove_permission(reg, ctx, p),
                "PutDataProtectionPolicy" => topics::put_data_protection(reg, ctx, p),
                "Subscribe" => subscriptions::subscribe(reg, ctx, p),
                "ConfirmSubscription" => subscriptions::confirm(reg, ctx, p),
                "Unsubscribe" => subscriptions::unsubscribe(reg, ctx, p),
                "SetSubscriptionAttributes" => subscriptions::set_attribute(reg, ctx, p),
                _ => Err(SnsError::invalid_action(action)),
            }
        }
    }
}

/// The XML body of a successful SNS answer.
#[must_use]
pub fn success_xml(action: &str, output: &Output, request_id: &str) -> String {
    xml::success(action, output, request_id)
}

/// The XML body of an SNS error.
#[must_use]
pub fn error_xml(error: &SnsError, request_id: &str) -> String {
    xml::error(error, request_id)
}

/// Makes the signing key now, off the async threads, so the first publish does not wait
/// for it (0.1 to 0.5 s).
pub fn warm_up() {
    tokio::task::spawn_blocking(|| {
        signing::Signer::shared();
    });
}

/// The signing certificate (PEM) when `path` is its `SigningCertURL` path.
#[must_use]
pub fn certificate(path: &str) -> Option<&'static str> {
    let id = path
        .strip_prefix("/SimpleNotificationService-")?
        .strip_suffix(".pem")?;
    // Only a certificate path reaches the key (made at start; other GETs never wait for it).
    let signer = signing::Signer::shared();
    (id == signer.certificate_id()).then(|| signer.certificate_pem())
}

/// Creates topic `name` in the context's region with `queues` (which must exist)
/// subscribed with raw delivery, as `terraform/sns.tf` wires the practical's topics.
///
/// # Errors
/// A bad topic name.
pub fn create_wired_topic(
    state: &mut State,
    ctx: &RequestContext,
    name: &str,
    queue_arns: &[String],
) -> Result<(), SnsError> {
    let mut pairs = vec![("Name".to_string(), name.to_string())];
    if name.ends_with(".fifo") {
        pairs.extend([
            ("Attributes.entry.1.key".into(), "FifoTopic".into()),
            ("Attributes.entry.1.value".into(), "true".into()),
            (
                "Attributes.entry.2.key".into(),
                "ContentBasedDeduplication".into(),
            ),
            ("Attributes.entry.2.value".into(), "true".into()),
        ]);
    }
    let reg = state.sns_mut();
    topics::create(reg, ctx, Params::new(&pairs))?;
    let topic = registry::topic_arn(&ctx.region, &ctx.account, name);
    for queue in queue_arns {
        let pairs = [
            ("TopicArn".to_string(), topic.clone()),
            ("Protocol".into(), "sqs".into()),
            ("Endpoint".into(), queue.clone()),
            ("Attributes.entry.1.key".into(), "RawMessageDelivery".into()),
            ("Attributes.entry.1.value".into(), "true".into()),
        ];
        subscriptions::subscribe(reg, ctx, Params::new(&pairs))?;
    }
    Ok(())
}
