//! The topic actions: CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, the tag
//! actions, Add/RemovePermission and Get/PutDataProtectionPolicy, with SNS's checks.

use std::collections::BTreeMap;
use std::ops::Range;

use base64::Engine as _;
use serde_json::{Value, json};

use super::error::SnsError;
use super::params::Params;
use super::registry::{Registry, Topic, check_arn, topic_arn};
use super::signing::SignatureVersion;
use super::xml::{Node, Output};
use crate::server::engine::RequestContext;

/// Topics per ListTopics page.
const PAGE: usize = 100;
/// Tags per resource.
const MAX_TAGS: usize = 50;
/// What AddPermission may grant.
const POLICY_ACTIONS: &[&str] = &[
    "GetTopicAttributes",
    "SetTopicAttributes",
    "AddPermission",
    "RemovePermission",
    "DeleteTopic",
    "Subscribe",
    "ListSubscriptionsByTopic",
    "Publish",
    "Receive",
];
/// Topic attributes a client may set (besides `FifoTopic`, which only CreateTopic takes).
const SETTABLE: &[&str] = &[
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "FifoThroughputScope",
    "ArchivePolicy",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
];

/// CreateTopic: idempotent for the same attributes and tags.
///
/// # Errors
/// A bad name, attribute or tag; an existing topic with other attributes or tags.
pub fn create(reg: &mut Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let name = p.required("Name")?;
    let mut attributes: BTreeMap<String, String> = p
        .entries("Attributes")
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let fifo = attributes
        .get("FifoTopic")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if fifo {
        attributes.insert("FifoTopic".into(), "true".into());
    } else {
        // SNS keeps no explicit `FifoTopic=false`.
        attributes.remove("FifoTopic");
    }
    if !valid_name(name, fifo) {
        return Err(SnsError::invalid_parameter("Topic Name"));
    }
    for (key, value) in &attributes {
        if key != "FifoTopic" {
            check_attribute(key, value, fifo, "Attributes Reason: ")?;
        }
    }
    let tags = check_tags(&p.tags())?;
    let data_protection_policy = p.get("DataProtectionPolicy").map(str::to_string);
    let arn = topic_arn(&ctx.region, &ctx.account, name);
    if let Some(existing) = reg.topics.get(&arn) {
        if attributes
            .iter()
            .any(|(k, v)| existing.attributes.get(k) != Some(v))
        {
            return Err(SnsError::invalid_parameter(
                "Attributes Reason: Topic already exists with different attributes",
            ));
        }
        if tags.iter().any(|(k, v)| existing.tags.get(k) != Some(v)) {
            return Err(SnsError::invalid_parameter(
                "Tags Reason: Topic already exists with different tags",
            ));
        }
        return Ok(arn_result(&arn));
    }
    reg.topics.insert(
        arn.clone(),
        Topic {
            arn: arn.clone(),
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            attributes,
            tags,
            data_protection_policy,
            deleted_subscriptions: 0,
            dedup: foldhash::HashMap::default(),
        },
    );
    Ok(arn_result(&arn))
}

fn arn_result(arn: &str) -> Output {
    Output::Result(vec![Node::text("TopicArn", arn)])
}

/// Letters, digits, `-` and `_`, 1 to 256 characters; FIFO names end in `.fifo`.
fn valid_name(name: &str, fifo: bool) -> bool {
    let stem = if fifo {
        match name.strip_suffix(".fifo") {
            Some(stem) => stem,
            None => return false,
        }
    } else {
        name
    };
    !stem.is_empty()
        && name.len() <= 256
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One attribute's name and value, as CreateTopic (`prefix` "Attributes Reason: ") and
/// SetTopicAttributes (no prefix) check it.
fn check_attribute(name: &str, value: &str, fifo: bool, prefix: &str) -> Result<(), SnsError> {
    let invalid = |what: &str| SnsError::invalid_parameter(format!("{prefix}{what}"));
    if !SETTABLE.contains(&name) {
        return Err(if prefix.is_empty() {
            invalid("AttributeName")
        } else {
            // [U] wording not recorded.
            invalid(&format!("Unknown attribute {name}"))
        });
    }
    let json_ok = || serde_json::from_str::<Value>(value).is_ok();
    match name {
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" if !value.is_empty() && !json_ok() => {
            // [U] wording not recorded.
            Err(invalid(&format!("{name}: failed to parse JSON.")))
        }
        "SignatureVersion" if SignatureVersion::parse(value).is_none() => {
            // [U] wording not recorded.
            Err(invalid(&format!("{name}: must be 1 or 2")))
        }
        "TracingConfig" if !matches!(value, "PassThrough" | "Active") => {
            Err(invalid(&format!("{name}: must be PassThrough or Active")))
        }
        "ContentBasedDeduplication" | "FifoThroughputScope" | "ArchivePolicy" if !fifo => {
            Err(invalid(&format!(
                "{name}: This attribute is only available for FIFO topics"
            )))
        }
        "ContentBasedDeduplication" if !matches!(value, "true" | "false") => {
            Err(invalid(&format!("{name}: must be true or false")))
        }
        "FifoThroughputScope" if !matches!(value, "Topic" | "MessageGroup") => {
            Err(invalid(&format!("{name}: must be Topic or MessageGroup")))
        }
        _ => Ok(()),
    }
}

/// Tags as TagResource and CreateTopic take them.
fn check_tags(tags: &[(&str, &str)]) -> Result<BTreeMap<String, String>, SnsError> {
    let mut map = BTreeMap::new();
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            // [U] wording not recorded.
            return Err(SnsError::invalid_parameter(format!(
                "Tags Reason: Tag key or value is too long or empty: {key}"
            )));
        }
        if map
            .insert((*key).to_string(), (*value).to_string())
            .is_some()
        {
            return Err(SnsError::invalid_parameter(
                "Duplicated keys are not allowed.",
            ));
        }
    }
    if map.len() > MAX_TAGS {
        return Err(SnsError::tag_limit_exceeded());
    }
    Ok(map)
}

/// DeleteTopic: idempotent; its subscriptions go with it.
///
/// # Errors
/// A malformed ARN or another region.
pub fn delete(reg: &mut Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let arn = p.required("TopicArn")?;
    check_arn(arn, "Topic")?;
    if arn.split(':').nth(3) != Some(ctx.region.as_str()) {
        return Err(SnsError::invalid_parameter("TopicArn"));
    }
    if reg.topics.remove(arn).is_some() {
        let gone: Vec<String> = reg.subscriptions_of(arn).map(|s| s.arn.clone()).collect();
        for sub in gone {
            reg.subscriptions.remove(&sub);
        }
        reg.order.retain(|s| reg.subscriptions.contains_key(s));
        reg.tokens.retain(|_, s| reg.subscriptions.contains_key(s));
    }
    Ok(Output::Empty)
}

/// ListTopics: the caller's region, 100 a page.
///
/// # Errors
/// A NextToken this server did not give.
pub fn list(reg: &Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let arns: Vec<&String> = reg
        .topics
        .values()
        .filter(|t| t.region == ctx.region && t.account == ctx.account)
        .map(|t| &t.arn)
        .collect();
    let (page, next) = paginate(&arns, p.get("NextToken"))?;
    let mut members = vec![Node::members(
        "Topics",
        arns[page]
            .iter()
            .map(|arn| vec![Node::text("TopicArn", arn.as_str())])
            .collect(),
    )];
    if let Some(next) = next {
        members.push(Node::text("NextToken", next));
    }
    Ok(Output::Result(members))
}

/// Where one page of `items` (sorted, unique) starts and ends from `token` on, and the token
/// of the next page.
///
/// # Errors
/// `InvalidParameter` "NextToken" for a token that is not one of ours.
pub fn paginate<T: AsRef<str>>(
    items: &[T],
    token: Option<&str>,
) -> Result<(Range<usize>, Option<String>), SnsError> {
    let start = match token {
        None | Some("") => 0,
        Some(token) => {
            let first = base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| SnsError::invalid_parameter("NextToken"))?;
            items
                .iter()
                .position(|item| item.as_ref() >= first.as_str())
                .unwrap_or(items.len())
        }
    };
    let end = (start + PAGE).min(items.len());
    let next = items
        .get(end)
        .map(|item| base64::engine::general_purpose::STANDARD.encode(item.as_ref()));
    Ok((start..end, next))
}

/// GetTopicAttributes: what was set, SNS's defaults and the subscription counts.
///
/// # Errors
/// A malformed ARN, another region, no such topic.
pub fn get_attributes(
    reg: &Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic(p.required("TopicArn")?, &ctx.region)?;
    let mut attributes = BTreeMap::new();
    attributes.insert("DisplayName".to_string(), String::new());
    attributes.insert("Owner".to_string(), topic.account.clone());
    attributes.insert(
        "Policy".to_string(),
        default_policy(&topic.arn, &topic.account),
    );
    attributes.insert("TopicArn".to_string(), topic.arn.clone());
    attributes.insert(
        "EffectiveDeliveryPolicy".to_string(),
        EFFECTIVE_DELIVERY_POLICY.to_string(),
    );
    if topic.fifo() {
        attributes.insert("ContentBasedDeduplication".to_string(), "false".to_string());
    }
    let (mut confirmed, mut pending) = (0, 0);
    for sub in reg.subscriptions_of(&topic.arn) {
        if sub.pending {
            pending += 1;
        } else {
            confirmed += 1;
        }
    }
    attributes.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
    attributes.insert("SubscriptionsPending".into(), pending.to_string());
    attributes.insert(
        "SubscriptionsDeleted".into(),
        topic.deleted_subscriptions.to_string(),
    );
    for (key, value) in &topic.attributes {
        attributes.insert(key.clone(), value.clone());
    }
    if let Some(policy) = attributes.get("DeliveryPolicy").cloned() {
        attributes.insert("EffectiveDeliveryPolicy".into(), policy);
    }
    Ok(Output::Result(vec![Node::entries(
        "Attributes",
        &attributes,
    )]))
}

/// SNS's default delivery policy, as GetTopicAttributes shows it.
const EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// The access policy every new topic has: its owner may do everything.
#[must_use]
pub fn default_policy(arn: &str, account: &str) -> String {
    format!(
        r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{arn}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{account}"}}}}}}]}}"#
    )
}

/// SetTopicAttributes: one attribute.
///
/// # Errors
/// No such topic, an attribute that cannot be set, a bad value.
pub fn set_attribute(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic_mut(p.required("TopicArn")?, &ctx.region)?;
    let name = p.required("AttributeName")?;
    let value = p.get("AttributeValue").unwrap_or("");
    check_attribute(name, value, topic.fifo(), "")?;
    topic.attributes.insert(name.to_string(), value.to_string());
    Ok(Output::Empty)
}

/// TagResource.
///
/// # Errors
/// No such topic, bad or too many tags.
pub fn tag(reg: &mut Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let topic = tagged(reg, ctx, p.required("ResourceArn")?)?;
    let new = check_tags(&p.tags())?;
    let mut tags = topic.tags.clone();
    tags.extend(new);
    if tags.len() > MAX_TAGS {
        return Err(SnsError::tag_limit_exceeded());
    }
    topic.tags = tags;
    Ok(Output::Result(Vec::new()))
}

/// UntagResource.
///
/// # Errors
/// No such topic.
pub fn untag(reg: &mut Registry, ctx: &RequestContext, p: Params<'_>) -> Result<Output, SnsError> {
    let topic = tagged(reg, ctx, p.required("ResourceArn")?)?;
    for key in p.strings("TagKeys") {
        topic.tags.remove(key);
    }
    Ok(Output::Result(Vec::new()))
}

/// ListTagsForResource.
///
/// # Errors
/// No such topic.
pub fn list_tags(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = tagged(reg, ctx, p.required("ResourceArn")?)?;
    Ok(Output::Result(vec![Node::members(
        "Tags",
        topic
            .tags
            .iter()
            .map(|(k, v)| vec![Node::text("Key", k), Node::text("Value", v)])
            .collect(),
    )]))
}

/// The topic a tag action names: a missing one is `ResourceNotFound`.
fn tagged<'a>(
    reg: &'a mut Registry,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a mut Topic, SnsError> {
    check_arn(arn, "Resource")?;
    match reg.topic_mut(arn, &ctx.region) {
        Err(error) if error.code == "NotFound" => Err(SnsError::resource_not_found()),
        other => other,
    }
}

/// AddPermission: a statement in the topic's policy.
///
/// # Errors
/// No such topic, a label already used, an action SNS does not have.
pub fn add_permission(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic_mut(p.required("TopicArn")?, &ctx.region)?;
    let label = p.required("Label")?;
    let accounts = p.strings("AWSAccountId");
    let actions = p.strings("ActionName");
    if accounts.is_empty() {
        return Err(SnsError::invalid_parameter(
            "AWSAccountId Reason: no value for required parameter",
        ));
    }
    if actions.is_empty() {
        return Err(SnsError::invalid_parameter(
            "ActionName Reason: no value for required parameter",
        ));
    }
    let mut policy = policy_of(topic);
    let statements = statements(&mut policy);
    if statements.iter().any(|s| s["Sid"] == label) {
        return Err(SnsError::invalid_parameter("Statement already exists"));
    }
    if actions.iter().any(|a| !POLICY_ACTIONS.contains(a)) {
        return Err(SnsError::invalid_parameter(
            "Policy statement action out of service scope!",
        ));
    }
    let one_or_list = |items: Vec<String>| {
        if items.len() == 1 {
            json!(items[0])
        } else {
            json!(items)
        }
    };
    statements.push(json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": one_or_list(accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect())},
        "Action": one_or_list(actions.iter().map(|a| format!("SNS:{a}")).collect()),
        "Resource": topic.arn,
    }));
    topic.attributes.insert("Policy".into(), policy.to_string());
    Ok(Output::Empty)
}

/// RemovePermission: drops the statement with that label (none: nothing changes).
///
/// # Errors
/// No such topic.
pub fn remove_permission(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic_mut(p.required("TopicArn")?, &ctx.region)?;
    let label = p.required("Label")?;
    let mut policy = policy_of(topic);
    statements(&mut policy).retain(|s| s["Sid"] != label);
    topic.attributes.insert("Policy".into(), policy.to_string());
    Ok(Output::Empty)
}

/// The topic's policy as JSON (its default when none was set or it does not parse).
fn policy_of(topic: &Topic) -> Value {
    topic
        .attributes
        .get("Policy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| {
            serde_json::from_str(&default_policy(&topic.arn, &topic.account))
                .unwrap_or_else(|_| json!({}))
        })
}

/// The policy's statement list, made a list if it was missing or a single object.
fn statements(policy: &mut Value) -> &mut Vec<Value> {
    let slot = &mut policy["Statement"];
    if !slot.is_array() {
        let single = slot.take();
        *slot = Value::Array(if single.is_null() {
            vec![]
        } else {
            vec![single]
        });
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("made an array above"),
    }
}

/// GetDataProtectionPolicy.
///
/// # Errors
/// No such topic.
pub fn get_data_protection(
    reg: &Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic(p.required("ResourceArn")?, &ctx.region)?;
    Ok(Output::Result(
        topic
            .data_protection_policy
            .iter()
            .map(|policy| Node::text("DataProtectionPolicy", policy.as_str()))
            .collect(),
    ))
}

/// PutDataProtectionPolicy.
///
/// # Errors
/// No such topic, a policy that is not JSON.
pub fn put_data_protection(
    reg: &mut Registry,
    ctx: &RequestContext,
    p: Params<'_>,
) -> Result<Output, SnsError> {
    let topic = reg.topic_mut(p.required("ResourceArn")?, &ctx.region)?;
    let policy = p.required("DataProtectionPolicy")?;
    if serde_json::from_str::<Value>(policy).map_or(true, |v| !v.is_object()) {
        // [U] wording not recorded.
        return Err(SnsError::invalid_parameter(
            "DataProtectionPolicy Reason: failed to parse JSON.",
        ));
    }
    topic.data_protection_policy = Some(policy.to_string());
    Ok(Output::Empty)
}
