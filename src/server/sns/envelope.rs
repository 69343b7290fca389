//! The JSON envelope SNS wraps a notification in when it delivers to a queue without raw
//! delivery: AWS's fields, order and spacing, signed with the server's key (standard topics)
//! or carrying the sequence number (FIFO topics, which are not signed).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};

use super::signing::{SignatureVersion, Signer, notification_string_to_sign};
use crate::server::md5::{AttributeValue, MessageAttribute};

/// One published message, as every subscriber's envelope shares it.
#[derive(Debug, Clone)]
pub struct Notification<'a> {
    /// SNS's MessageId.
    pub message_id: &'a str,
    /// The topic.
    pub topic_arn: &'a str,
    /// `Subject`, when the publisher set one.
    pub subject: Option<&'a str>,
    /// The message for SQS subscribers.
    pub message: &'a str,
    /// `Timestamp`: when SNS took it, ISO-8601 UTC with milliseconds.
    pub timestamp: String,
    /// FIFO topics: the sequence number (and no signature).
    pub sequence_number: Option<&'a str>,
    /// Message attributes.
    pub attributes: &'a BTreeMap<String, MessageAttribute>,
}

/// `2026-12-01T18:42:03.123Z` for epoch milliseconds.
#[must_use]
pub fn timestamp(epoch_ms: u64) -> String {
    i64::try_from(epoch_ms)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where the certificate and the unsubscribe link are served: `http://<host>` as the
/// publisher addressed the server.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    /// `host[:port]`.
    pub host: &'a str,
}

impl Links<'_> {
    /// `SigningCertURL`.
    #[must_use]
    pub fn certificate(&self, signer: &Signer) -> String {
        format!(
            "http://{}/SimpleNotificationService-{}.pem",
            self.host,
            signer.certificate_id()
        )
    }

    /// `UnsubscribeURL` of a subscription.
    #[must_use]
    pub fn unsubscribe(&self, subscription_arn: &str) -> String {
        format!(
            "http://{}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
            self.host
        )
    }
}

/// A signature computed once per notification and shared by its envelopes.
#[derive(Debug, Clone)]
pub struct Signed {
    version: SignatureVersion,
    signature: String,
    certificate_url: String,
}

impl Notification<'_> {
    /// Signs it (standard topics) with the topic's signature version.
    #[must_use]
    pub fn sign(&self, version: SignatureVersion, links: Links<'_>) -> Signed {
        let signer = Signer::shared();
        let text = notification_string_to_sign(
            self.message,
            self.message_id,
            self.subject,
            &self.timestamp,
            self.topic_arn,
        );
        Signed {
            version,
            signature: signer.sign(&text, version),
            certificate_url: links.certificate(signer),
        }
    }

    /// The envelope for one subscription, as AWS writes it (`"Key" : "Value"` lines).
    #[must_use]
    pub fn envelope(&self, signed: Option<&Signed>, unsubscribe_url: &str) -> String {
        let mut fields: Vec<(&str, String)> = vec![
            ("Type", quote("Notification")),
            ("MessageId", quote(self.message_id)),
        ];
        if let Some(sequence) = self.sequence_number {
            fields.push(("SequenceNumber", quote(sequence)));
        }
        fields.push(("TopicArn", quote(self.topic_arn)));
        if let Some(subject) = self.subject {
            fields.push(("Subject", quote(subject)));
        }
        fields.push(("Message", quote(self.message)));
        fields.push(("Timestamp", quote(&self.timestamp)));
        if let Some(signed) = signed {
            fields.push(("SignatureVersion", quote(signed.version.as_str())));
            fields.push(("Signature", quote(&signed.signature)));
            fields.push(("SigningCertURL", quote(&signed.certificate_url)));
        }
        fields.push(("UnsubscribeURL", quote(unsubscribe_url)));
        if !self.attributes.is_empty() {
            fields.push(("MessageAttributes", attributes(self.attributes)));
        }
        let mut json = String::from("{\n");
        for (i, (key, value)) in fields.iter().enumerate() {
            let comma = if i + 1 < fields.len() { "," } else { "" };
            let _ = writeln!(json, "  \"{key}\" : {value}{comma}");
        }
        json.push('}');
        json
    }
}

/// A JSON string.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `{ "name" : {"Type":"String","Value":"v"}, … }`; binary values in base64.
fn attributes(attributes: &BTreeMap<String, MessageAttribute>) -> String {
    let lines: Vec<String> = attributes
        .iter()
        .map(|(name, attribute)| {
            let value = match &attribute.value {
                AttributeValue::Text(text) => text.clone(),
                AttributeValue::Bytes(bytes) => {
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                }
            };
            format!(
                "    {} : {{\"Type\":{},\"Value\":{}}}",
                quote(name),
                quote(&attribute.data_type),
                quote(&value)
            )
        })
        .collect();
    format!("{{\n{}\n  }}", lines.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_envelope_has_sequence_and_no_signature_and_parses() {
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "client".to_string(),
            MessageAttribute {
                data_type: "String".into(),
                value: AttributeValue::Text("Client \"1\"".into()),
            },
        );
        let n = Notification {
            message_id: "id-1",
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t.fifo",
            subject: None,
            message: "line1\nline2",
            timestamp: timestamp(1_700_000_000_123),
            sequence_number: Some("10000000000000000001"),
            attributes: &attrs,
        };
        let text = n.envelope(None, "http://h/?Action=Unsubscribe&SubscriptionArn=s");
        assert!(text.starts_with(
            "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"id-1\",\n  \"SequenceNumber\""
        ));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Message"], "line1\nline2");
        assert_eq!(value["Timestamp"], "2023-11-14T22:13:20.123Z");
        assert_eq!(
            value["MessageAttributes"]["client"]["Value"],
            "Client \"1\""
        );
        assert!(value.get("Signature").is_none());
        assert!(value.get("Subject").is_none());
    }
}
