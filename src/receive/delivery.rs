//! Turns an SQS `Message` into a [`Delivery`]: attributes read leniently, nothing assumed.

use std::time::SystemTime;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};

use crate::message::{
    CLIENT_ATTRIBUTE, Delivery, RUN_ATTRIBUTE, SENT_AT_ATTRIBUTE, parse_body, parse_epoch_ms,
};

/// The delivery a message represents, received at `received_at`.
#[must_use]
pub fn from_message(message: &Message, received_at: SystemTime) -> Delivery {
    let body = message.body().unwrap_or_default().to_string();
    let attribute = |name: &str| {
        message
            .message_attributes()
            .and_then(|attributes| attributes.get(name))
            .and_then(|value| value.string_value())
            .map(ToString::to_string)
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
        .or_else(|| {
            system(MessageSystemAttributeName::SentTimestamp)
                .as_deref()
                .and_then(parse_epoch_ms)
        });
    Delivery {
        message_id: message.message_id().unwrap_or_default().to_string(),
        receipt_handle: message.receipt_handle().unwrap_or_default().to_string(),
        parsed: parse_body(&body),
        body,
        client: attribute(CLIENT_ATTRIBUTE),
        run: attribute(RUN_ATTRIBUTE),
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
