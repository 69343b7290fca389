//! SNS answers as XML: a small element tree an action fills, written as
//! `<{Action}Response xmlns="…2010-03-31/"><{Action}Result>…` with `ResponseMetadata`, and
//! errors as SNS's `ErrorResponse`.

use std::fmt::Write as _;

use super::error::SnsError;
use crate::server::xml::escape;

/// The SNS XML namespace.
pub const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// One element of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// `<name>text</name>`.
    Text(&'static str, String),
    /// `<name>children</name>`.
    Element(&'static str, Vec<Node>),
}

impl Node {
    /// `<name>text</name>`.
    #[must_use]
    pub fn text(name: &'static str, text: impl Into<String>) -> Self {
        Self::Text(name, text.into())
    }

    /// A list: `<name><member>…</member>…</name>`.
    #[must_use]
    pub fn members(name: &'static str, members: Vec<Vec<Node>>) -> Self {
        Self::Element(
            name,
            members
                .into_iter()
                .map(|fields| Self::Element("member", fields))
                .collect(),
        )
    }

    /// A string map: `<Attributes><entry><key>k</key><value>v</value></entry>…</Attributes>`.
    #[must_use]
    pub fn entries<'a>(
        name: &'static str,
        map: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Self {
        Self::Element(
            name,
            map.into_iter()
                .map(|(key, value)| {
                    Self::Element(
                        "entry",
                        vec![Self::text("key", key), Self::text("value", value)],
                    )
                })
                .collect(),
        )
    }

    fn write(&self, xml: &mut String) {
        match self {
            Self::Text(name, text) => {
                let _ = write!(xml, "<{name}>{}</{name}>", escape(text));
            }
            Self::Element(name, children) if children.is_empty() => {
                let _ = write!(xml, "<{name}/>");
            }
            Self::Element(name, children) => {
                let _ = write!(xml, "<{name}>");
                for child in children {
                    child.write(xml);
                }
                let _ = write!(xml, "</{name}>");
            }
        }
    }
}

/// What an action answers: the members of its `<{Action}Result>`, or no result element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// `<{Action}Result>members</{Action}Result>`.
    Result(Vec<Node>),
    /// Only `ResponseMetadata` (DeleteTopic, Unsubscribe, SetTopicAttributes, …).
    Empty,
}

/// The XML body of a successful `action`.
#[must_use]
pub fn success(action: &str, output: &Output, request_id: &str) -> String {
    let mut xml = format!(r#"<?xml version="1.0"?><{action}Response xmlns="{NAMESPACE}">"#);
    if let Output::Result(members) = output {
        let _ = write!(xml, "<{action}Result>");
        for member in members {
            member.write(&mut xml);
        }
        let _ = write!(xml, "</{action}Result>");
    }
    let _ = write!(
        xml,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    );
    xml
}

/// SNS's `ErrorResponse` for `error`.
#[must_use]
pub fn error(error: &SnsError, request_id: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>"#,
        error.fault(),
        escape(error.code),
        escape(&error.message),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lists_maps_and_escaping() {
        let output = Output::Result(vec![
            Node::members(
                "Topics",
                vec![vec![Node::text("TopicArn", "arn:aws:sns:r:1:a&b")]],
            ),
            Node::entries("Attributes", [(&"K".to_string(), &"<v>".to_string())]),
            Node::text("NextToken", "t"),
        ]);
        assert_eq!(
            success("ListTopics", &output, "rid"),
            format!(
                r#"<?xml version="1.0"?><ListTopicsResponse xmlns="{NAMESPACE}"><ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:r:1:a&amp;b</TopicArn></member></Topics><Attributes><entry><key>K</key><value>&lt;v&gt;</value></entry></Attributes><NextToken>t</NextToken></ListTopicsResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListTopicsResponse>"#
            )
        );
    }

    #[test]
    fn empty_output_has_only_metadata_and_errors_name_the_side() {
        let xml = success("DeleteTopic", &Output::Empty, "r");
        assert!(!xml.contains("DeleteTopicResult"));
        let error = error(&SnsError::not_found("Topic does not exist"), "r");
        assert!(error.contains(
            "<Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message>"
        ));
    }
}
