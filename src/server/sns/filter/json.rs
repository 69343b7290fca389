//! An order-preserving JSON tree for filter policies: AWS compiles a policy as a stream
//! and reports the first fault in document order, which a sorted map would lose.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One JSON value with object members kept in document order (duplicates included).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    /// A number, with the text AWS would quote back in an error message.
    Number(f64, String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses `text`; `None` when it is not JSON. `serde_json`'s recursion limit (128 levels)
    /// bounds the depth of the tree, so walking it recursively cannot overflow the stack.
    pub(super) fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// The text AWS's streaming parser has in hand at this value, as quoted in its messages
    /// (`Invalid member in numeric match: 1`, `Bad value in numeric range: [`).
    pub(super) fn token_text(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(flag) => flag.to_string(),
            Json::Number(_, text) | Json::String(text) => text.clone(),
            Json::Array(_) => "[".to_owned(),
            Json::Object(_) => "{".to_owned(),
        }
    }

    /// The number, when this is one.
    pub(super) fn as_number(&self) -> Option<f64> {
        match self {
            Json::Number(value, _) => Some(*value),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "JSON numbers are compared as doubles, as AWS does"
    )]
    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value as f64, value.to_string()))
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "JSON numbers are compared as doubles, as AWS does"
    )]
    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value as f64, value.to_string()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        Ok(Json::Number(value, value.to_string()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Json, E> {
        Ok(Json::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}
