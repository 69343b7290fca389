//! The subscription actions: Subscribe, ConfirmSubscription, Unsubscribe,
//! ListSubscriptions(ByTopic) and Get/SetSubscriptionAttributes, with SNS's checks of
//! protocols, endpoints and attributes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::SnsError;
use super::filter::{FilterPolicy, Scope, invalid_parameter_message};
use super::params::Params;
use super::registry::{Registry, Subscription, check_arn};
use super::topics::paginate;
use super::xml::{Node, Output};
use crate::server::engine::RequestContext;

/// Protocols SNS knows.
const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];
/// Subscription attributes a client may set.
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// Subscribe: idempotent for the same endpoint and attributes.
///
/// # Errors
/// No such topic; a protocol, endpoint or attribute SNS refuses; the endpoint subscribed
/// already with other attributes.
pub fn subscribe(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic_arn = p.required("TopicArn")?;
    let protocol = p.required("Protocol")?;
    let topic = reg.topic(topic_arn, &ctx.region)?;
    let topic_fifo = topic.fifo();
    let Some(endpoint) = p.get("Endpoint").filter(|e| !e.is_empty()) else {
        return Err(SnsError::not_found(
            "Endpoint not specified in subscription",
        ));
    };
    check_endpoint(protocol, endpoint, topic_fifo)?;
    let mut attributes = BTreeMap::new();
    for (name, value) in p.entries("Attributes") {
        let value = check_attribute(name, value, topic_arn, endpoint, "Attributes Reason: ")?;
        attributes.insert(name.to_string(), value);
    }
    let filter = filter_of(&attributes, "Attributes Reason: ")?;
    let existing = reg
        .subscriptions_of(topic_arn)
        .find(|s| s.endpoint == endpoint && s.protocol == protocol);
    if let Some(existing) = existing {
        if attributes
            .iter()
            .any(|(k, v)| existing.attributes.get(k) != Some(v))
        {
            return Err(SnsError::invalid_parameter(
                "Attributes Reason: Subscription already exists with different attributes",
            ));
        }
        return Ok(arn_result(&existing.arn));
    }
    let pending = matches!(protocol, "http" | "https" | "email" | "email-json");
    let arn = format!("{topic_arn}:{}", uuid::Uuid::new_v4());
    let token = confirmation_token();
    reg.tokens.insert(token.clone(), arn.clone());
    reg.order.push(arn.clone());
    reg.subscriptions.insert(
        arn.clone(),
        Subscription {
            arn: arn.clone(),
            topic_arn: topic_arn.to_string(),
            protocol: protocol.to_string(),
            endpoint: endpoint.to_string(),
            owner: ctx.account.clone(),
            attributes,
            filter,
            pending,
            token,
        },
    );
    let wants_arn = p
        .get("ReturnSubscriptionArn")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if pending && !wants_arn {
        return Ok(arn_result("pending confirmation"));
    }
    Ok(arn_result(&arn))
}

fn arn_result(arn: &str) -> Output {
    Output::Result(vec![Node::text("SubscriptionArn", arn)])
}

/// A token like SNS's: 256 hex characters.
fn confirmation_token() -> String {
    (0..8)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

/// The endpoint has the protocol's form; FIFO queues only under FIFO topics.
fn check_endpoint(protocol: &str, endpoint: &str, topic_fifo: bool) -> Result<(), SnsError> {
    if !PROTOCOLS.contains(&protocol) {
        return Err(SnsError::invalid_parameter(format!(
            "Amazon SNS does not support this protocol string: {protocol}"
        )));
    }
    let is_arn = |service: &str| {
        let parts: Vec<&str> = endpoint.split(':').collect();
        parts.len() >= 6 && parts[0] == "arn" && parts[2] == service && !parts[5].is_empty()
    };
    match protocol {
        "http" | "https" if !endpoint.starts_with(&format!("{protocol}://")) => Err(
            SnsError::invalid_parameter("Endpoint must match the specified protocol"),
        ),
        "sms" if !is_e164(endpoint) => Err(SnsError::invalid_parameter_raw(format!(
            "Invalid SMS endpoint: {endpoint}"
        ))),
        "email" | "email-json" if !endpoint.contains('@') => {
            Err(SnsError::invalid_parameter("Email address"))
        }
        "sqs" if !is_arn("sqs") => Err(SnsError::invalid_parameter("SQS endpoint ARN")),
        "lambda" if !is_arn("lambda") => Err(SnsError::invalid_parameter("Lambda endpoint ARN")),
        "firehose" if !is_arn("firehose") => {
            Err(SnsError::invalid_parameter("Firehose endpoint ARN"))
        }
        "application" if !is_arn("sns") => {
            Err(SnsError::invalid_parameter("ApplicationEndpoint ARN"))
        }
        "sqs" if endpoint.ends_with(".fifo") && !topic_fifo => Err(SnsError::invalid_parameter(
            "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
        )),
        _ => Ok(()),
    }
}

/// `+` then 2 to 15 digits, not starting with 0.
fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// One attribute as Subscribe (`prefix` "Attributes Reason: ") and SetSubscriptionAttributes
/// check it; answers the value to keep (`RawMessageDelivery` in lower case).
fn check_attribute(
    name: &str,
    value: &str,
    topic_arn: &str,
    endpoint: &str,
    prefix: &str,
) -> Result<String, SnsError> {
    let invalid = |what: String| SnsError::invalid_parameter(format!("{prefix}{what}"));
    if !SETTABLE.contains(&name) {
        return Err(invalid("AttributeName".into()));
    }
    match name {
        "FilterPolicy" if !value.is_empty() && serde_json::from_str::<Value>(value).is_err() => {
            Err(invalid("FilterPolicy: failed to parse JSON.".into()))
        }
        "FilterPolicyScope" if Scope::parse(value).is_none() => Err(invalid(format!(
            "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
        ))),
        "RawMessageDelivery" => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(v.to_string()),
            _ => Err(invalid(format!(
                "RawMessageDelivery: Invalid value [{value}]. Must be true or false."
            ))),
        },
        "RedrivePolicy" => {
            let target = serde_json::from_str::<Value>(value)
                .map_err(|_| invalid("RedrivePolicy: failed to parse JSON.".into()))?;
            let target = target["deadLetterTargetArn"].as_str().unwrap_or_default();
            if check_arn(target, "deadLetterTarget").is_err() {
                return Err(invalid(
                    "RedrivePolicy: deadLetterTargetArn is an invalid arn".into(),
                ));
            }
            if topic_arn.ends_with(".fifo")
                && endpoint.ends_with(".fifo")
                && !(target.ends_with(".fifo") && target.split(':').nth(2) == Some("sqs"))
            {
                return Err(invalid(
                    "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
                        .into(),
                ));
            }
            Ok(value.to_string())
        }
        _ => Ok(value.to_string()),
    }
}

/// The subscription's filter, parsed from its `FilterPolicy` and `FilterPolicyScope`.
fn filter_of(
    attributes: &BTreeMap<String, String>,
    prefix: &str,
) -> Result<Option<FilterPolicy>, SnsError> {
    let Some(policy) = attributes.get("FilterPolicy").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let scope = attributes
        .get("FilterPolicyScope")
        .and_then(|s| Scope::parse(s))
        .unwrap_or_default();
    FilterPolicy::parse(policy, scope).map(Some).map_err(|why| {
        let full = invalid_parameter_message(&why);
        let detail = full.strip_prefix("Invalid parameter: ").unwrap_or(&full);
        SnsError::invalid_parameter(format!("{prefix}{detail}"))
    })
}

/// ConfirmSubscription: idempotent.
///
/// # Errors
/// A malformed topic ARN or an unknown token.
pub fn confirm(
    reg: &mut Registry,
    _ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic_arn = p.required("TopicArn")?;
    let token = p.required("Token")?;
    if check_arn(topic_arn, "Topic").is_err() {
        return Err(SnsError::invalid_parameter("Topic"));
    }
    let sub = reg
        .tokens
        .get(token)
        .and_then(|arn| reg.subscriptions.get_mut(arn))
        .filter(|sub| sub.topic_arn == topic_arn)
        .ok_or_else(|| SnsError::invalid_parameter("Token"))?;
    sub.pending = false;
    Ok(arn_result(&sub.arn))
}

/// Unsubscribe: idempotent for a well-formed ARN.
///
/// # Errors
/// A malformed subscription ARN.
pub fn unsubscribe(
    reg: &mut Registry,
    _ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let arn = p.required("SubscriptionArn")?;
    check_arn(arn, "Subscription")?;
    if arn.split(':').count() == 6 && !reg.subscriptions.contains_key(arn) {
        return Err(SnsError::invalid_parameter("SubscriptionId"));
    }
    if let Some(sub) = reg.subscriptions.remove(arn) {
        reg.order.retain(|s| s != arn);
        reg.tokens.remove(&sub.token);
        if let Some(topic) = reg.topics.get_mut(&sub.topic_arn) {
            topic.deleted_subscriptions += 1;
        }
    }
    Ok(Output::Empty)
}

/// ListSubscriptions: the caller's region and account, 100 a page.
///
/// # Errors
/// A NextToken this server did not give.
pub fn list(reg: &Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let subs: Vec<&Subscription> = reg
        .subscriptions
        .values()
        .filter(|s| {
            let parts: Vec<&str> = s.topic_arn.split(':').collect();
            parts.get(3) == Some(&ctx.region.as_str())
                && parts.get(4) == Some(&ctx.account.as_str())
        })
        .collect();
    page_of(&subs, p.get("NextToken"))
}

/// ListSubscriptionsByTopic.
///
/// # Errors
/// No such topic, or a bad NextToken.
pub fn list_by_topic(
    reg: &Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic(p.required("TopicArn")?, &ctx.region)?;
    let mut subs: Vec<&Subscription> = reg.subscriptions_of(&topic.arn).collect();
    subs.sort_by(|a, b| a.arn.cmp(&b.arn));
    page_of(&subs, p.get("NextToken"))
}

/// One page of subscriptions (sorted by ARN), pending ones shown as `PendingConfirmation`.
fn page_of(subs: &[&Subscription], token: Option<&str>) -> Result<Output, SnsError> {
    let arns: Vec<&str> = subs.iter().map(|s| s.arn.as_str()).collect();
    let (page, next) = paginate(&arns, token)?;
    let members = subs[page]
        .iter()
        .map(|s| {
            let arn = if s.pending {
                "PendingConfirmation"
            } else {
                s.arn.as_str()
            };
            vec![
                Node::text("SubscriptionArn", arn),
                Node::text("Owner", s.owner.as_str()),
                Node::text("Protocol", s.protocol.as_str()),
                Node::text("Endpoint", s.endpoint.as_str()),
                Node::text("TopicArn", s.topic_arn.as_str()),
            ]
        })
        .collect();
    let mut out = vec![Node::members("Subscriptions", members)];
    if let Some(next) = next {
        out.push(Node::text("NextToken", next));
    }
    Ok(Output::Result(out))
}

/// GetSubscriptionAttributes.
///
/// # Errors
/// No such subscription.
pub fn get_attributes(
    reg: &Registry,
    _ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let arn = p.required("SubscriptionArn")?;
    let sub = reg
        .subscriptions
        .get(arn)
        .ok_or_else(|| SnsError::not_found("Subscription does not exist"))?;
    let mut attributes = BTreeMap::new();
    let mut put = |k: &str, v: &str| attributes.insert(k.to_string(), v.to_string());
    put("TopicArn", &sub.topic_arn);
    put("Endpoint", &sub.endpoint);
    put("Protocol", &sub.protocol);
    put("SubscriptionArn", &sub.arn);
    put("Owner", &sub.owner);
    put(
        "PendingConfirmation",
        if sub.pending { "true" } else { "false" },
    );
    put(
        "ConfirmationWasAuthenticated",
        if sub.pending { "false" } else { "true" },
    );
    put("RawMessageDelivery", "false");
    put(
        "SubscriptionPrincipal",
        &format!("arn:aws:iam::{}:user/queue-serve", sub.owner),
    );
    for (k, v) in &sub.attributes {
        put(k, v);
    }
    if let Some(filter) = &sub.filter {
        attributes.insert(
            "FilterPolicyScope".to_string(),
            filter.scope().as_str().to_string(),
        );
    } else {
        attributes.remove("FilterPolicy");
        attributes.remove("FilterPolicyScope");
    }
    Ok(Output::Result(vec![Node::entries(
        "Attributes",
        &attributes,
    )]))
}

/// SetSubscriptionAttributes: one attribute; the filter is parsed again with the scope.
///
/// # Errors
/// No such subscription, an attribute that cannot be set, a bad value or policy.
pub fn set_attribute(
    reg: &mut Registry,
    _ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let arn = p.required("SubscriptionArn")?;
    let name = p.required("AttributeName")?;
    let value = p.get("AttributeValue").unwrap_or("");
    let sub = reg
        .subscriptions
        .get_mut(arn)
        .ok_or_else(|| SnsError::not_found("Subscription does not exist"))?;
    let value = check_attribute(name, value, &sub.topic_arn, &sub.endpoint, "")?;
    let mut attributes = sub.attributes.clone();
    attributes.insert(name.to_string(), value);
    sub.filter = filter_of(&attributes, "")?;
    sub.attributes = attributes;
    Ok(Output::Empty)
}
