//! The two line formats of `receive` without a terminal: `plain` (one readable line per
//! message) and `json` (one JSON object per line). Pure functions of a delivery and its marks.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::json;

use crate::message::Delivery;
use crate::tracker::{Marks, NO_CLIENT};
use crate::tui::text::clock;

const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// RFC 3339 in UTC with milliseconds.
#[must_use]
pub fn rfc3339(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A body on one line: control characters (newlines, escape sequences) are escaped.
#[must_use]
pub fn one_line(body: &str) -> String {
    body.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `HH:MM:SS.mmm  client  body  [via topic T]  MARKS` (time of receipt in the zone `offset`;
/// the topic for a message SNS delivered in an envelope).
#[must_use]
pub fn plain(delivery: &Delivery, marks: Marks, color: bool, offset: FixedOffset) -> String {
    let time = clock(delivery.received_at, offset, true);
    let client = one_line(delivery.client.as_deref().unwrap_or(NO_CLIENT));
    let mut line = if color {
        format!("{DIM}{time}{RESET}  {client}  {}", one_line(&delivery.body))
    } else {
        format!("{time}  {client}  {}", one_line(&delivery.body))
    };
    if let Some(notification) = &delivery.notification {
        let via = format!("via topic {}", one_line(notification.topic()));
        line.push_str("  ");
        if color {
            line.push_str(&format!("{DIM}{via}{RESET}"));
        } else {
            line.push_str(&via);
        }
    }
    let mut mark = |text: &str, colour: &str| {
        line.push_str("  ");
        if color {
            line.push_str(colour);
            line.push_str(text);
            line.push_str(RESET);
        } else {
            line.push_str(text);
        }
    };
    if marks.out_of_order {
        mark("OUT-OF-ORDER", YELLOW);
    }
    if marks.duplicate {
        mark("DUPLICATE", RED);
    }
    line
}

/// One JSON object (no newline).
#[must_use]
pub fn json(delivery: &Delivery, marks: Marks) -> String {
    let latency_ms = delivery
        .sent_at
        .and_then(|sent| delivery.received_at.duration_since(sent).ok())
        .map(|latency| u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
    json!({
        "body": delivery.body,
        "client": delivery.client,
        "prefix": delivery.parsed.prefix,
        "number": delivery.parsed.number,
        "message_id": delivery.message_id,
        "topic": delivery.notification.as_ref().map(|n| n.topic()),
        "topic_arn": delivery.notification.as_ref().map(|n| &n.topic_arn),
        "sns_message_id": delivery.notification.as_ref().map(|n| &n.message_id),
        "group_id": delivery.group_id,
        "sequence_number": delivery.sequence_number,
        "receive_count": delivery.receive_count,
        "run": delivery.run,
        "sent_at": delivery.sent_at.map(rfc3339),
        "received_at": rfc3339(delivery.received_at),
        "latency_ms": latency_ms,
        "out_of_order": marks.out_of_order,
        "duplicate": marks.duplicate,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse_body;
    use std::time::Duration;

    fn delivery(body: &str, client: Option<&str>) -> Delivery {
        Delivery {
            message_id: "id-1".into(),
            receipt_handle: "rh".into(),
            body: body.into(),
            client: client.map(Into::into),
            run: None,
            parsed: parse_body(body),
            group_id: None,
            sequence_number: None,
            receive_count: 1,
            notification: None,
            sent_at: Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000)),
            received_at: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
        }
    }

    #[test]
    fn plain_lines_carry_client_body_and_marks() {
        let marks = Marks {
            out_of_order: true,
            duplicate: true,
            ..Marks::default()
        };
        let utc = FixedOffset::east_opt(0).unwrap();
        let line = plain(
            &delivery("A-Message 3", Some("Client 1")),
            marks,
            false,
            utc,
        );
        assert!(
            line.ends_with("  Client 1  A-Message 3  OUT-OF-ORDER  DUPLICATE"),
            "{line}"
        );
        let line = plain(
            &delivery("two\nlines\x1b[2J", None),
            Marks::default(),
            false,
            utc,
        );
        assert!(
            line.ends_with("  (no client)  two\\nlines\\u{1b}[2J"),
            "{line}"
        );
    }

    #[test]
    fn enveloped_messages_name_their_topic() {
        let mut enveloped = delivery("A-Message 3", Some("Client 1"));
        enveloped.notification = Some(crate::message::Notification {
            topic_arn: "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic".into(),
            message_id: "sns-1".into(),
        });
        let utc = FixedOffset::east_opt(0).unwrap();
        let marks = Marks {
            duplicate: true,
            ..Marks::default()
        };
        let line = plain(&enveloped, marks, false, utc);
        assert!(
            line.ends_with("  Client 1  A-Message 3  via topic csse6400_prac_topic  DUPLICATE"),
            "{line}"
        );
        let value: serde_json::Value = serde_json::from_str(&json(&enveloped, marks)).unwrap();
        assert_eq!(value["body"], "A-Message 3");
        assert_eq!(value["topic"], "csse6400_prac_topic");
        assert_eq!(value["sns_message_id"], "sns-1");
        assert_eq!(value["number"], 3);
    }

    #[test]
    fn json_has_the_documented_fields() {
        let value: serde_json::Value =
            serde_json::from_str(&json(&delivery("Message 5", None), Marks::default())).unwrap();
        assert_eq!(value["body"], "Message 5");
        assert_eq!(value["client"], serde_json::Value::Null);
        assert_eq!(value["number"], 5);
        assert_eq!(value["message_id"], "id-1");
        assert_eq!(value["receive_count"], 1);
        assert_eq!(value["sent_at"], "2023-11-14T22:13:20.000Z");
        assert_eq!(value["received_at"], "2023-11-14T22:13:20.250Z");
        assert_eq!(value["latency_ms"], 250);
        assert_eq!(value["out_of_order"], false);
        assert_eq!(value["duplicate"], false);
        assert_eq!(value["topic"], serde_json::Value::Null);
        let value: serde_json::Value =
            serde_json::from_str(&json(&delivery("hello", Some("c")), Marks::default())).unwrap();
        assert_eq!(value["number"], serde_json::Value::Null);
        assert_eq!(value["client"], "c");
    }
}
