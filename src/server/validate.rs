//! Reading JSON-protocol inputs (members by name, unknown members ignored) and the SQS
//! validation rules shared by several actions: names, ids, ranges, message attributes, bodies.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use super::error::SqsError;
use super::input::{Fields, Member};
use super::md5::{AttributeValue, MessageAttribute};
use crate::rules::is_valid_queue_name;

/// A request's members, read by name from a JSON object or from a hot action's [`Fields`] (the
/// same value for each name either way). Unknown members are ignored (kombu sends Query-style
/// keys in JSON).
#[derive(Clone, Copy)]
pub struct Input<'a> {
    source: Source<'a>,
}

/// Where an [`Input`]'s members are.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A JSON object (`None`: the input was not an object, and reads as empty).
    Json(Option<&'a Map<String, Value>>),
    /// Read into fields.
    Fields(&'a Fields),
}

impl<'a> Input<'a> {
    /// Wraps a JSON object (anything else reads as empty).
    #[must_use]
    pub fn new(value: &'a Value) -> Self {
        Self {
            source: Source::Json(value.as_object()),
        }
    }

    /// Wraps members read into fields.
    #[must_use]
    pub fn fields(fields: &'a Fields) -> Self {
        Self {
            source: Source::Fields(fields),
        }
    }

    /// The member called `name`.
    fn member(&self, name: &str) -> Member<'a> {
        match self.source {
            Source::Json(members) => members
                .and_then(|m| m.get(name))
                .filter(|v| !v.is_null())
                .map_or(Member::Absent, Member::Value),
            Source::Fields(fields) => fields.member(name),
        }
    }

    /// The raw member, if present and not null. [`Fields`] keep as values the members this is
    /// asked for (attributes); their strings, numbers and entries answer `None` here.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        match self.member(name) {
            Member::Value(value) => Some(value),
            _ => None,
        }
    }

    /// An optional string member.
    ///
    /// # Errors
    /// The member is not a string.
    pub fn str_opt(&self, name: &str) -> Result<Option<&'a str>, SqsError> {
        match self.member(name) {
            Member::Absent => Ok(None),
            Member::Str(s) => Ok(Some(s)),
            Member::Value(Value::String(s)) => Ok(Some(s)),
            _ => Err(type_error(name, "a string")),
        }
    }

    /// A required string member.
    ///
    /// # Errors
    /// Missing (MissingParameter) or not a string.
    pub fn str_req(&self, name: &str) -> Result<&'a str, SqsError> {
        self.str_opt(name)?
            .ok_or_else(|| SqsError::missing_parameter(name))
    }

    /// An optional integer member (a JSON number, or a numeric string from the Query protocol).
    ///
    /// # Errors
    /// Not an integer.
    pub fn int_opt(&self, name: &str) -> Result<Option<i64>, SqsError> {
        let parse = |s: &str| {
            s.trim()
                .parse()
                .map(Some)
                .map_err(|_| type_error(name, "an integer"))
        };
        match self.member(name) {
            Member::Absent => Ok(None),
            Member::Int(n) => Ok(Some(n)),
            Member::Value(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| type_error(name, "an integer")),
            Member::Str(s) => parse(s),
            Member::Value(Value::String(s)) => parse(s),
            _ => Err(type_error(name, "an integer")),
        }
    }

    /// A list of strings (absent = empty).
    ///
    /// # Errors
    /// Not a list of strings.
    pub fn str_list(&self, name: &str) -> Result<Vec<String>, SqsError> {
        match self.member(name) {
            Member::Absent => Ok(Vec::new()),
            Member::Value(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| type_error(name, "a list of strings"))
                })
                .collect(),
            Member::Str(s) => Ok(vec![s.to_string()]),
            Member::Value(Value::String(s)) => Ok(vec![s.clone()]),
            // Entries are objects: only an empty list of them is a list of strings.
            Member::List([]) => Ok(Vec::new()),
            _ => Err(type_error(name, "a list of strings")),
        }
    }

    /// A string-to-string map (absent = empty), in name order.
    ///
    /// # Errors
    /// Not a map of strings.
    pub fn str_map(&self, name: &str) -> Result<BTreeMap<String, String>, SqsError> {
        match self.member(name) {
            Member::Absent => Ok(BTreeMap::new()),
            Member::Value(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Number(n) => Ok((k.clone(), n.to_string())),
                    Value::Bool(b) => Ok((k.clone(), b.to_string())),
                    _ => Err(type_error(name, "a map of strings")),
                })
                .collect(),
            _ => Err(type_error(name, "a map of strings")),
        }
    }

    /// A list of objects (batch entries); absent = empty.
    ///
    /// # Errors
    /// Not a list.
    pub fn list(&self, name: &str) -> Result<Vec<Input<'a>>, SqsError> {
        match self.member(name) {
            Member::Absent => Ok(Vec::new()),
            Member::Value(Value::Array(items)) => Ok(items.iter().map(Input::new).collect()),
            Member::List(entries) => Ok(entries.iter().map(Input::fields).collect()),
            _ => Err(type_error(name, "a list")),
        }
    }
}

fn type_error(name: &str, what: &str) -> SqsError {
    SqsError::invalid_parameter_value(format!(
        "Value for parameter {name} is invalid. Reason: Must be {what}."
    ))
}

/// Checks an integer parameter's range with AWS's wording.
///
/// # Errors
/// Out of range: InvalidParameterValue.
pub fn int_in_range(name: &str, value: i64, min: i64, max: i64) -> Result<i64, SqsError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(SqsError::invalid_parameter_value(format!(
            "Value {value} for parameter {name} is invalid. Reason: Must be between {min} and {max}, if provided."
        )))
    }
}

/// The queue-name rule ([`is_valid_queue_name`]) with SQS's error.
///
/// # Errors
/// InvalidParameterValue.
pub fn queue_name(name: &str) -> Result<(), SqsError> {
    if is_valid_queue_name(name) {
        Ok(())
    } else {
        Err(SqsError::invalid_parameter_value(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ))
    }
}

/// A batch entry Id: 1–80 of `[A-Za-z0-9_-]`.
#[must_use]
pub fn is_batch_id(id: &str) -> bool {
    (1..=80).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// MessageGroupId / MessageDeduplicationId / ReceiveRequestAttemptId: 1–128 printable ASCII,
/// no space.
///
/// # Errors
/// InvalidParameterValue naming `parameter`.
pub fn fifo_token(parameter: &str, value: &str) -> Result<(), SqsError> {
    let ok = (1..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_parameter_value(format!(
            "Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )))
    }
}

/// A character SQS accepts in a body or String attribute.
fn allowed_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// The body's characters. [U] SQS's docs have both rejected and replaced invalid characters;
/// the current doc says reject, so we reject.
///
/// # Errors
/// InvalidMessageContents.
pub fn body_chars(body: &str) -> Result<(), SqsError> {
    // Most bodies are ASCII without control characters: checked 64 bytes at a time without
    // stopping early inside a block (which lets it vectorise), before decoding characters.
    let plain_ascii = |ok: bool, b: &u8| {
        ok & ((0x20..0x80).contains(b) | (*b == b'\t') | (*b == b'\n') | (*b == b'\r'))
    };
    let ascii = body
        .as_bytes()
        .chunks(64)
        .all(|block| block.iter().fold(true, plain_ascii));
    if ascii || body.chars().all(allowed_char) {
        Ok(())
    } else {
        Err(SqsError::invalid_message_contents(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        ))
    }
}

/// A user attribute name: letters and digits of any script (`attr.1øßä` is valid on SQS),
/// `-`, `_` and `.`; 1 to 256 characters; no `AWS.`/`Amazon.` prefix in any case; no dot at
/// either end and no two in a row.
fn attribute_name_ok(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && name.chars().count() <= 256
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.")
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
}

/// The base type of a DataType (`Number.float` -> `Number`), if it is one SQS knows.
fn base_type(data_type: &str) -> Option<&'static str> {
    let base = data_type.split('.').next().unwrap_or("");
    let label_ok = data_type
        .split_once('.')
        .is_none_or(|(_, label)| !label.is_empty());
    if data_type.len() > 256 || !label_ok {
        return None;
    }
    match base {
        "String" => Some("String"),
        "Number" => Some("Number"),
        "Binary" => Some("Binary"),
        _ => None,
    }
}

fn number_ok(value: &str) -> bool {
    let digits = value.trim_start_matches(['-', '+']);
    let (mantissa, _exponent) = digits
        .split_once(['e', 'E'])
        .map_or((digits, None), |(m, e)| (m, Some(e)));
    let significant: String = mantissa
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .trim_start_matches('0')
        .to_string();
    value.parse::<f64>().is_ok_and(f64::is_finite) && significant.trim_end_matches('0').len() <= 38
}

/// Parses and validates `MessageAttributes` (user attributes; `system` for
/// `MessageSystemAttributes`, which allows only `AWSTraceHeader` of type String).
///
/// # Errors
/// InvalidParameterValue with the rule broken.
pub fn message_attributes(
    value: Option<&Value>,
    system: bool,
) -> Result<BTreeMap<String, MessageAttribute>, SqsError> {
    let mut out = BTreeMap::new();
    let Some(value) = value else {
        return Ok(out);
    };
    let Some(map) = value.as_object() else {
        return Err(SqsError::invalid_parameter_value(
            "Value for parameter MessageAttributes is invalid. Reason: Must be a map.",
        ));
    };
    let kind = if system { "system" } else { "user" };
    if map.len() > 10 {
        return Err(SqsError::invalid_parameter_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            map.len()
        )));
    }
    for (name, spec) in map {
        if system {
            if name != "AWSTraceHeader" {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Message system attribute name '{name}' is invalid."
                )));
            }
        } else if !attribute_name_ok(name) {
            return Err(SqsError::invalid_parameter_value(format!(
                "Message ({kind}) attribute name '{name}' is invalid. Reason: Can only include alphanumeric characters, hyphens, underscores, or dots; must not start with AWS. or Amazon., start or end with a dot, or contain two dots in a row; 1 to 256 in length."
            )));
        }
        let spec = Input::new(spec);
        let data_type = spec.str_opt("DataType")?.unwrap_or("");
        if data_type.is_empty() {
            return Err(SqsError::invalid_parameter_value(format!(
                "The message ({kind}) attribute '{name}' must contain a non-empty message attribute type."
            )));
        }
        let Some(base) = base_type(data_type) else {
            return Err(SqsError::invalid_parameter_value(format!(
                "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        };
        if system && base != "String" {
            return Err(SqsError::invalid_parameter_value(format!(
                "The message system attribute '{name}' must be of type 'String'."
            )));
        }
        let empty = || {
            SqsError::invalid_parameter_value(format!(
                "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
            ))
        };
        let value = if base == "Binary" {
            let encoded = spec.str_opt("BinaryValue")?.unwrap_or("");
            let bytes = BASE64.decode(encoded).map_err(|_| {
                SqsError::invalid_parameter_value(format!(
                    "Message ({kind}) attribute '{name}' has a BinaryValue that is not valid base64."
                ))
            })?;
            if bytes.is_empty() {
                return Err(empty());
            }
            AttributeValue::Bytes(bytes)
        } else {
            let text = spec.str_opt("StringValue")?.unwrap_or("");
            if text.is_empty() {
                return Err(empty());
            }
            if !text.chars().all(allowed_char) {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Message ({kind}) attribute '{name}' contains invalid characters."
                )));
            }
            if base == "Number" && !number_ok(text) {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Can't cast the value of message ({kind}) attribute '{name}' to a number."
                )));
            }
            AttributeValue::Text(text.to_string())
        };
        out.insert(
            name.clone(),
            MessageAttribute {
                data_type: data_type.to_string(),
                value,
            },
        );
    }
    Ok(out)
}

/// Renders attributes back in the JSON protocol's shape.
#[must_use]
pub fn render_attributes<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a MessageAttribute)>,
) -> Value {
    let mut map = Map::new();
    for (name, attribute) in attributes {
        let mut value = Map::new();
        value.insert(
            "DataType".into(),
            Value::String(attribute.data_type.clone()),
        );
        match &attribute.value {
            AttributeValue::Text(s) => {
                value.insert("StringValue".into(), Value::String(s.clone()));
            }
            AttributeValue::Bytes(b) => {
                value.insert("BinaryValue".into(), Value::String(BASE64.encode(b)));
            }
        }
        map.insert(name.clone(), Value::Object(value));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_ids() {
        assert!(queue_name("a-b_c").is_ok());
        assert!(queue_name("q.fifo").is_ok());
        assert!(queue_name(".fifo").is_err());
        assert!(queue_name("bad name").is_err());
        assert!(queue_name(&"x".repeat(81)).is_err());
        assert!(is_batch_id("a-1_B") && !is_batch_id("") && !is_batch_id("a:b"));
        assert!(!is_batch_id(&"x".repeat(81)));
        assert!(fifo_token("MessageGroupId", "g!1").is_ok());
        let err = fifo_token("MessageGroupId", "has space").unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(err.message.contains("MessageGroupId can only include"));
    }

    #[test]
    fn attribute_names_letters_of_any_script_and_dots_in_place() {
        for good in ["attr.1øßä", "名前", "a-b_c.d", &"ß".repeat(256)] {
            assert!(attribute_name_ok(good), "{good}");
        }
        for bad in [
            "",
            "AWS.x",
            "aWs.x",
            "AMAZON.x",
            "amazon.x",
            ".x",
            "x.",
            "a..b",
            "a b",
            "a!b",
            "a§b",
            "a(b",
            "a?b",
            "a\"b",
            &"L".repeat(257),
        ] {
            assert!(!attribute_name_ok(bad), "{bad}");
        }
    }

    #[test]
    fn attribute_rules() {
        let ok = json!({"n": {"DataType": "Number.float", "StringValue": "1.5"},
                        "b": {"DataType": "Binary", "BinaryValue": "aGk="}});
        let parsed = message_attributes(Some(&ok), false).unwrap();
        assert_eq!(parsed["b"].value, AttributeValue::Bytes(b"hi".to_vec()));
        for bad in [
            json!({"AWS.x": {"DataType": "String", "StringValue": "v"}}),
            json!({".x": {"DataType": "String", "StringValue": "v"}}),
            json!({"a..b": {"DataType": "String", "StringValue": "v"}}),
            json!({"x": {"DataType": "Text", "StringValue": "v"}}),
            json!({"x": {"DataType": "Number", "StringValue": "abc"}}),
            json!({"ErrorDetails": {"DataType": "String", "StringValue": ""}}),
        ] {
            assert!(message_attributes(Some(&bad), false).is_err(), "{bad}");
        }
        let empty = json!({"ErrorDetails": {"DataType": "String", "StringValue": ""}});
        assert_eq!(
            message_attributes(Some(&empty), false).unwrap_err().message,
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
        );
        let eleven: Map<String, Value> = (0..11)
            .map(|i| {
                (
                    format!("a{i}"),
                    json!({"DataType": "String", "StringValue": "v"}),
                )
            })
            .collect();
        assert!(message_attributes(Some(&Value::Object(eleven)), false).is_err());
    }

    #[test]
    fn body_characters() {
        assert!(body_chars("tab\tnew\nline\r ok \u{10000}").is_ok());
        assert_eq!(
            body_chars("bell\u{7}").unwrap_err().code,
            "InvalidMessageContents"
        );
    }

    #[test]
    fn body_characters_on_the_ascii_fast_path_and_off_it() {
        assert!(body_chars("plain {\"json\": 1}\t\r\n~\u{7f}").is_ok());
        assert!(body_chars("caf\u{e9} \u{D7FF}\u{E000}\u{FFFD}").is_ok());
        for bad in ["nul\u{0}", "esc\u{1b}[0m", "\u{FFFE}", "ok then \u{8}"] {
            assert!(body_chars(bad).is_err(), "{bad:?}");
        }
    }
}
