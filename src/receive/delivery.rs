//! Turns an SQS `Message` into a [`Delivery`]: attributes read leniently, nothing assumed. An
//! SNS envelope ([`crate::sns::envelope`]) is unwrapped: the published message, its topic, and
//! the attributes the envelope carries.

use std::time::SystemTime;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};

use crate::message::{
    CLIENT_ATTRIBUTE, Delivery, Notification, RUN_ATTRIBUTE, SENT_AT_ATTRIBUTE, parse_body,
    parse_epoch_ms,
};
use crate::sns::envelope;

/// The delivery a message represents, received at `received_at`.
#[must_use]
pub fn from_message(message: &Message, received_at: SystemTime) -> Delivery {
    let received = message.body().unwrap_or_default();
    let envelope = envelope::parse(received);
    let attribute = |name: &str| match &envelope {
        Some(envelope) => envelope.attributes.get(name).cloned(),
        None => message
            .message_attributes()
            .and_then(|attributes| attributes.get(name))
            .and_then(|value| value.string_value())
            .map(ToString::to_string),
    };
    let system = |name: MessageSystemAttributeName| {
        message
            .attributes()
            .and_then(|attributes| attributes.get(&name))
            .cloned()
    };
    let sent_at = attribute(SENT_AT_ATTRIBUTE)
        .as_deref()
        .and_then(parse_epoch_ms)
        .or_else(|| envelope.as_ref().and_then(|envelope| envelope.timestamp))
        .or_else(|| {
            system(MessageSystemAttributeName::SentTimestamp)
                .as_deref()
                .and_then(parse_epoch_ms)
        });
    let client = attribute(CLIENT_ATTRIBUTE);
    let run = attribute(RUN_ATTRIBUTE);
    let (body, notification) = match envelope {
        Some(envelope) => (
            envelope.message,
            Some(Notification {
                topic_arn: envelope.topic_arn,
                message_id: envelope.message_id,
            }),
        ),
        None => (received.to_string(), None),
    };
    Delivery {
        message_id: message.message_id().unwrap_or_default().to_string(),
        receipt_handle: message.receipt_handle().unwrap_or_default().to_string(),
        parsed: parse_body(&body),
        body,
        notification,
        client,
        run,
        group_id: system(MessageSystemAttributeName::MessageGroupId),
        sequence_number: system(MessageSystemAttributeName::SequenceNumber),
        receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|count| count.parse().ok())
            .unwrap_or(1),
        sent_at,
        received_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::MessageAttributeValue;
    use std::time::Duration;

    #[test]
    fn a_bare_message_is_kept_as_it_is() {
        let message = Message::builder().message_id("id").body("hello").build();
        let delivery = from_message(&message, SystemTime::UNIX_EPOCH);
        assert_eq!(delivery.body, "hello");
        assert_eq!(delivery.client, None);
        assert_eq!(delivery.parsed.number, None);
        assert_eq!(delivery.receive_count, 1);
        assert_eq!(delivery.sent_at, None);
        assert_eq!(delivery.notification, None);
    }

    #[test]
    fn an_sns_envelope_is_unwrapped_with_its_attributes() {
        let body = serde_json::json!({
            "Type": "Notification",
            "MessageId": "sns-1",
            "TopicArn": "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic",
            "Message": "B-Message 12",
            "Timestamp": "1970-01-01T00:00:01.000Z",
            "MessageAttributes": {
                "client": {"Type": "String", "Value": "Client B"},
                "run": {"Type": "String", "Value": "r9"}
            }
        })
        .to_string();
        // An SQS attribute of the same name is not what the publisher sent: the envelope's is.
        let message = Message::builder()
            .message_id("sqs-1")
            .body(body)
            .message_attributes(
                "client",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("not this")
                    .build()
                    .unwrap(),
            )
            .build();
        let delivery = from_message(&message, SystemTime::UNIX_EPOCH);
        assert_eq!(delivery.body, "B-Message 12");
        assert_eq!(delivery.parsed.number, Some(12));
        assert_eq!(delivery.parsed.prefix, "B-");
        assert_eq!(delivery.client.as_deref(), Some("Client B"));
        assert_eq!(delivery.run.as_deref(), Some("r9"));
        assert_eq!(delivery.message_id, "sqs-1");
        assert_eq!(delivery.identity(), "sns-1");
        let notification = delivery.notification.as_ref().unwrap();
        assert_eq!(notification.topic(), "csse6400_prac_topic");
        assert_eq!(
            delivery.sent_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1)),
            "without sent_at, the envelope's Timestamp"
        );
    }

    #[test]
    fn a_json_body_that_is_no_envelope_stays_as_it_is() {
        let body = r#"{"Type":"Order","Message":"Message 3","TopicArn":"x","MessageId":"y"}"#;
        let message = Message::builder().message_id("id").body(body).build();
        let delivery = from_message(&message, SystemTime::UNIX_EPOCH);
        assert_eq!(delivery.body, body);
        assert_eq!(delivery.notification, None);
        assert_eq!(delivery.parsed.number, None);
        assert_eq!(delivery.identity(), "id");
    }

    #[test]
    fn our_attributes_are_read() {
        let string = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .unwrap()
        };
        let message = Message::builder()
            .message_id("id")
            .receipt_handle("rh")
            .body("A-Message 7")
            .message_attributes("client", string("Client 1"))
            .message_attributes("run", string("abc"))
            .message_attributes(
                "sent_at",
                MessageAttributeValue::builder()
                    .data_type("Number")
                    .string_value("1500")
                    .build()
                    .unwrap(),
            )
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .attributes(MessageSystemAttributeName::MessageGroupId, "g")
            .attributes(MessageSystemAttributeName::SequenceNumber, "1000")
            .build();
        let delivery = from_message(&message, SystemTime::UNIX_EPOCH);
        assert_eq!(delivery.client.as_deref(), Some("Client 1"));
        assert_eq!(delivery.run.as_deref(), Some("abc"));
        assert_eq!(delivery.parsed.number, Some(7));
        assert_eq!(delivery.receive_count, 2);
        assert_eq!(delivery.group_id.as_deref(), Some("g"));
        assert_eq!(delivery.sequence_number.as_deref(), Some("1000"));
        assert_eq!(
            delivery.sent_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1500))
        );
    }
}
