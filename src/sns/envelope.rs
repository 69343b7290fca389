//! The JSON envelope SNS wraps a message in when it delivers to a queue without raw delivery
//! (`{"Type":"Notification","MessageId":…,"TopicArn":…,"Message":…,"MessageAttributes":
//! {name: {"Type":…,"Value":…}},…}`): recognised strictly, so any other JSON body stays a
//! plain body. Signatures are not checked here (the receiver only shows what it got).

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::DateTime;
use serde_json::Value;

/// The `Type` of a delivered message.
pub const NOTIFICATION: &str = "Notification";

/// What an envelope carries that the receiver uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The SNS MessageId: the same in every subscriber's copy and every redelivery.
    pub message_id: String,
    /// The topic it was published to.
    pub topic_arn: String,
    /// The published message.
    pub message: String,
    /// `Subject`, when the publisher set one.
    pub subject: Option<String>,
    /// `Timestamp`: when SNS accepted the publish.
    pub timestamp: Option<SystemTime>,
    /// The message attributes, by name: their `Value` (String, Number, or base64 for Binary).
    pub attributes: HashMap<String, String>,
}

/// The envelope `body` is, or `None` for any other body (plain text, other JSON, an envelope
/// of another `Type` such as `SubscriptionConfirmation`, or one missing a required field).
#[must_use]
pub fn parse(body: &str) -> Option<Envelope> {
    if !body.trim_start().starts_with('{') {
        return None;
    }
    let value: Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    let text = |name: &str| object.get(name).and_then(Value::as_str);
    if text("Type")? != NOTIFICATION {
        return None;
    }
    let attributes = object
        .get("MessageAttributes")
        .and_then(Value::as_object)
        .map(|attributes| {
            attributes
                .iter()
                .filter_map(|(name, attribute)| {
                    let value = attribute.get("Value")?.as_str()?;
                    Some((name.clone(), value.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Envelope {
        message_id: text("MessageId")?.to_string(),
        topic_arn: text("TopicArn")?.to_string(),
        message: text("Message")?.to_string(),
        subject: text("Subject").map(ToString::to_string),
        timestamp: text("Timestamp")
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(SystemTime::from),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn envelope() -> Value {
        json!({
            "Type": "Notification",
            "MessageId": "5f1c0b8e-0000-4000-8000-000000000001",
            "TopicArn": "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic",
            "Message": "A-Message 7",
            "Timestamp": "2026-11-21T10:00:00.250Z",
            "SignatureVersion": "1",
            "Signature": "c2lnbmF0dXJl",
            "SigningCertURL": "http://127.0.0.1:9324/sns/cert.pem",
            "UnsubscribeURL": "http://127.0.0.1:9324/?Action=Unsubscribe",
            "MessageAttributes": {
                "client": {"Type": "String", "Value": "Client 1"},
                "sent_at": {"Type": "Number", "Value": "1795255200000"}
            }
        })
    }

    #[test]
    fn a_notification_is_unwrapped() {
        let parsed = parse(&envelope().to_string()).expect("an envelope");
        assert_eq!(parsed.message, "A-Message 7");
        assert_eq!(
            parsed.topic_arn,
            "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic"
        );
        assert_eq!(parsed.message_id, "5f1c0b8e-0000-4000-8000-000000000001");
        assert_eq!(parsed.attributes["client"], "Client 1");
        assert_eq!(parsed.attributes["sent_at"], "1795255200000");
        assert_eq!(parsed.subject, None);
        assert_eq!(
            parsed.timestamp,
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_255_200_250))
        );
    }

    #[test]
    fn pretty_printed_and_attribute_free_envelopes_are_recognised() {
        let mut value = envelope();
        value.as_object_mut().unwrap().remove("MessageAttributes");
        value["Subject"] = json!("hello");
        let parsed = parse(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
        assert!(parsed.attributes.is_empty());
        assert_eq!(parsed.subject.as_deref(), Some("hello"));
    }

    #[test]
    fn other_bodies_stay_plain() {
        let mut confirmation = envelope();
        confirmation["Type"] = json!("SubscriptionConfirmation");
        let mut no_message = envelope();
        no_message.as_object_mut().unwrap().remove("Message");
        let mut number_message = envelope();
        number_message["Message"] = json!(7);
        for body in [
            "Message 7".to_string(),
            String::new(),
            "{not json".to_string(),
            r#"{"Type":"Notification"}"#.to_string(),
            r#"{"order":42,"Message":"Message 1"}"#.to_string(),
            r#"["Notification"]"#.to_string(),
            confirmation.to_string(),
            no_message.to_string(),
            number_message.to_string(),
        ] {
            assert_eq!(parse(&body), None, "{body}");
        }
    }
}
