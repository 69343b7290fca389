//! Wiring a queue to a topic: `Subscribe` (protocol `sqs`, the queue's ARN) with raw delivery
//! and a filter policy, finding a queue's existing subscription, and the queue policy AWS
//! needs before a topic may send to a queue (as `terraform/sns.tf` writes it).

use anyhow::Result;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};

use super::{Sns, TopicInfo};
use crate::cli::FilterScope;
use crate::exit::Friendly;
use crate::sqs::errors::{self, Problem};
use crate::sqs::{QueueInfo, Sqs};

/// Subscription attribute: deliver the message itself, not the JSON envelope.
pub const RAW_MESSAGE_DELIVERY: &str = "RawMessageDelivery";
/// Subscription attribute: the filter policy (JSON).
pub const FILTER_POLICY: &str = "FilterPolicy";
/// Subscription attribute: `MessageAttributes` or `MessageBody`.
pub const FILTER_POLICY_SCOPE: &str = "FilterPolicyScope";

/// How a queue is subscribed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// Raw delivery.
    pub raw: bool,
    /// The filter policy (compact JSON), if any.
    pub filter: Option<String>,
    /// What the filter looks at.
    pub scope: FilterScope,
}

impl FilterScope {
    /// The `FilterPolicyScope` value.
    #[must_use]
    pub const fn attribute(self) -> &'static str {
        match self {
            Self::Attributes => "MessageAttributes",
            Self::Body => "MessageBody",
        }
    }
}

/// Checks a `--filter` before SNS sees it: JSON, an object, not empty. Returns it compact.
///
/// # Errors
/// One line and a hint with an example.
pub fn parse_filter(text: &str) -> Result<String> {
    const EXAMPLE: &str = r#"a filter policy maps attribute names to lists of values, e.g. --filter '{"client":["Client 1"]}' (quote it for the shell)"#;
    let value: Value = serde_json::from_str(text)
        .map_err(|error| Friendly::new(format!("--filter is not valid JSON: {error}"), EXAMPLE))?;
    match value.as_object() {
        Some(object) if !object.is_empty() => Ok(value.to_string()),
        _ => Err(Friendly::new("--filter must be a non-empty JSON object", EXAMPLE).into()),
    }
}

impl Sns {
    /// Subscribes the queue `queue_arn` to `topic` with `delivery`; returns the subscription
    /// ARN. Subscribing again with the same attributes gives the same subscription.
    ///
    /// # Errors
    /// SNS refused (a filter policy it rejects, a subscription with other attributes, a FIFO
    /// rule), one line with a hint.
    pub async fn subscribe_queue(
        &self,
        topic: &TopicInfo,
        queue_arn: &str,
        delivery: &Delivery,
    ) -> Result<String> {
        let mut request = self
            .client
            .subscribe()
            .topic_arn(&topic.arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .return_subscription_arn(true);
        if delivery.raw {
            request = request.attributes(RAW_MESSAGE_DELIVERY, "true");
        }
        if let Some(filter) = &delivery.filter {
            request = request
                .attributes(FILTER_POLICY, filter)
                .attributes(FILTER_POLICY_SCOPE, delivery.scope.attribute());
        }
        match request.send().await {
            Ok(output) => Ok(output.subscription_arn.unwrap_or_default()),
            Err(error) => match errors::classify(&error) {
                Problem::Other { code, message } if code.starts_with("InvalidParameter") => {
                    Err(Friendly::new(
                        format!("SNS refused the subscription to {}: {message}", topic.name),
                        "check --filter; a queue already subscribed with other settings must be \
                         unsubscribed first (or changed with SetSubscriptionAttributes)",
                    )
                    .into())
                }
                problem => Err(errors::describe(&problem, &self.context, Some(&topic.name)).into()),
            },
        }
    }

    /// The subscription of the queue `queue_arn` to `topic` and how it delivers, if any.
    ///
    /// # Errors
    /// Any SDK error, made readable.
    pub async fn subscription_of(
        &self,
        topic: &TopicInfo,
        queue_arn: &str,
    ) -> Result<Option<(String, Delivery)>> {
        let mut token = None;
        loop {
            let output = self
                .client
                .list_subscriptions_by_topic()
                .topic_arn(&topic.arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|error| self.friendly(&error, Some(&topic.name)))?;
            let found = output.subscriptions().iter().find(|subscription| {
                subscription.protocol() == Some("sqs") && subscription.endpoint() == Some(queue_arn)
            });
            if let Some(arn) = found.and_then(|subscription| subscription.subscription_arn()) {
                let attributes = self
                    .client
                    .get_subscription_attributes()
                    .subscription_arn(arn)
                    .send()
                    .await
                    .map_err(|error| self.friendly(&error, Some(&topic.name)))?
                    .attributes
                    .unwrap_or_default();
                let delivery = Delivery {
                    raw: attributes
                        .get(RAW_MESSAGE_DELIVERY)
                        .is_some_and(|raw| raw.eq_ignore_ascii_case("true")),
                    filter: attributes
                        .get(FILTER_POLICY)
                        .filter(|policy| !policy.trim().is_empty())
                        .cloned(),
                    scope: match attributes.get(FILTER_POLICY_SCOPE).map(String::as_str) {
                        Some("MessageBody") => FilterScope::Body,
                        _ => FilterScope::Attributes,
                    },
                };
                return Ok(Some((arn.to_string(), delivery)));
            }
            token = output.next_token.filter(|token| !token.is_empty());
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}

/// Whether the queue `queue` (ARN `queue_arn`) lets `topic_arn` send to it; when it does not
/// and `add` is set, adds the statement `terraform/sns.tf` writes (keeping the others).
/// Returns whether the topic may send now.
///
/// # Errors
/// Reading or writing the queue's `Policy` failed, made readable.
pub async fn allow_topic(
    sqs: &Sqs,
    queue: &QueueInfo,
    queue_arn: &str,
    topic_arn: &str,
    add: bool,
) -> Result<bool> {
    let current = sqs
        .client
        .get_queue_attributes()
        .queue_url(&queue.url)
        .attribute_names(QueueAttributeName::Policy)
        .send()
        .await
        .map_err(|error| sqs.friendly(&error, Some(&queue.name)))?
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::Policy));
    if current
        .as_deref()
        .is_some_and(|policy| policy.contains(topic_arn))
    {
        return Ok(true);
    }
    if !add {
        return Ok(false);
    }
    let policy = with_topic_statement(current.as_deref(), queue_arn, topic_arn);
    sqs.client
        .set_queue_attributes()
        .queue_url(&queue.url)
        .attributes(QueueAttributeName::Policy, policy)
        .send()
        .await
        .map_err(|error| sqs.friendly(&error, Some(&queue.name)))?;
    Ok(true)
}

/// `policy` (or a new one) with a statement letting `topic_arn` send to `queue_arn`.
#[must_use]
pub fn with_topic_statement(policy: Option<&str>, queue_arn: &str, topic_arn: &str) -> String {
    let statement = json!({
        "Sid": format!("AllowTopicToSend-{}", super::topic::name_from_arn(topic_arn)),
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    });
    let mut document = policy
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    // Without Version 2012-10-17 AWS never applies the policy (see terraform/sns.tf).
    document["Version"] = json!("2012-10-17");
    match document.get_mut("Statement") {
        Some(Value::Array(statements)) => statements.push(statement),
        Some(single @ Value::Object(_)) => *single = json!([single.take(), statement]),
        _ => document["Statement"] = json!([statement]),
    }
    document.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_made_compact() {
        assert_eq!(
            parse_filter(r#"{ "client": [ "Client 1" ] }"#).unwrap(),
            r#"{"client":["Client 1"]}"#
        );
        for bad in ["{client: 1}", "[]", "{}", "\"x\"", ""] {
            let error = parse_filter(bad).unwrap_err();
            let friendly = error.downcast_ref::<Friendly>().expect("friendly");
            assert!(
                friendly.hint.as_deref().unwrap().contains("--filter '{"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_topic_statement_is_added_to_what_is_there() {
        let queue = "arn:aws:sqs:us-east-1:1:q";
        let topic = "arn:aws:sns:us-east-1:1:t";
        let fresh: Value = serde_json::from_str(&with_topic_statement(None, queue, topic)).unwrap();
        assert_eq!(fresh["Version"], "2012-10-17");
        assert_eq!(fresh["Statement"][0]["Resource"], queue);
        assert_eq!(
            fresh["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"],
            topic
        );
        let existing = r#"{"Version":"2012-10-17","Statement":{"Sid":"Other","Effect":"Deny"}}"#;
        let merged: Value =
            serde_json::from_str(&with_topic_statement(Some(existing), queue, topic)).unwrap();
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Sid"], "Other");
        assert_eq!(statements[1]["Sid"], "AllowTopicToSend-t");
    }
}
