//! SNS's Query parameters: the flattened form (`Attributes.entry.1.key`,
//! `Tags.member.2.Value`, `MessageAttributes.entry.1.Value.DataType`,
//! `PublishBatchRequestEntries.member.3.Message`) read back into maps and lists.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::error::SnsError;
use crate::server::md5::{AttributeValue, MessageAttribute};

/// The parameters of one request, in the order they came.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    /// `name=value` pairs, URL and form body together.
    pairs: &'a [(String, String)],
    /// Prefix of every name read (`PublishBatchRequestEntries.member.2.`), empty at the top.
    prefix: &'a str,
}

impl<'a> Params<'a> {
    /// The top level of a request.
    #[must_use]
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        Self { pairs, prefix: "" }
    }

    /// The value of member `name`, if sent (the first one when sent twice).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(key, _)| {
                key.strip_prefix(self.prefix)
                    .is_some_and(|rest| rest == name)
            })
            .map(|(_, value)| value.as_str())
    }

    /// Member `name`, which the action requires (SNS's wording when it is missing).
    ///
    /// # Errors
    /// `InvalidParameter` "<name> Reason: no value for required parameter".
    pub fn required(&self, name: &str) -> Result<&'a str, SnsError> {
        self.get(name).ok_or_else(|| {
            SnsError::invalid_parameter(format!("{name} Reason: no value for required parameter"))
        })
    }

    /// The indexed members under `list.member.N.`, in index order, as nested params; the
    /// owned prefixes live in `prefixes`.
    #[must_use]
    pub fn indexes(&self, list: &str, member: &str) -> Vec<u32> {
        let head = format!("{}{list}.{member}.", self.prefix);
        let mut indexes: Vec<u32> = self
            .pairs
            .iter()
            .filter_map(|(key, _)| key.strip_prefix(&head))
            .filter_map(|rest| rest.split('.').next()?.parse().ok())
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes
    }

    /// The same parameters seen from under `prefix` (which must outlive them).
    #[must_use]
    pub fn under(&self, prefix: &'a str) -> Self {
        Self {
            pairs: self.pairs,
            prefix,
        }
    }

    /// The values of a list of strings (`TagKeys.member.N`, `AWSAccountId.member.N`).
    #[must_use]
    pub fn strings(&self, list: &str) -> Vec<&'a str> {
        self.indexes(list, "member")
            .into_iter()
            .filter_map(|i| self.get(&format!("{list}.member.{i}")))
            .collect()
    }

    /// A string map sent as `name.entry.N.key` / `name.entry.N.value`, in index order.
    #[must_use]
    pub fn entries(&self, name: &str) -> Vec<(&'a str, &'a str)> {
        self.indexes(name, "entry")
            .into_iter()
            .filter_map(|i| {
                let key = self.get(&format!("{name}.entry.{i}.key"))?;
                let value = self.get(&format!("{name}.entry.{i}.value")).unwrap_or("");
                Some((key, value))
            })
            .collect()
    }

    /// Tags sent as `Tags.member.N.Key` / `.Value`, in index order.
    #[must_use]
    pub fn tags(&self) -> Vec<(&'a str, &'a str)> {
        self.indexes("Tags", "member")
            .into_iter()
            .filter_map(|i| {
                let key = self.get(&format!("Tags.member.{i}.Key"))?;
                let value = self.get(&format!("Tags.member.{i}.Value")).unwrap_or("");
                Some((key, value))
            })
            .collect()
    }

    /// `MessageAttributes.entry.N.Name` / `.Value.DataType|StringValue|BinaryValue`, checked
    /// as SNS checks them. `at` names the member in validation errors
    /// (`messageAttributes` or `publishBatchRequestEntries.2.member.messageAttributes`).
    ///
    /// # Errors
    /// A name, type or value SNS refuses.
    pub fn message_attributes(
        &self,
        at: &str,
    ) -> Result<BTreeMap<String, MessageAttribute>, SnsError> {
        let mut attributes = BTreeMap::new();
        for i in self.indexes("MessageAttributes", "entry") {
            let field = |f: &str| self.get(&format!("MessageAttributes.entry.{i}.{f}"));
            let Some(name) = field("Name") else { continue };
            check_attribute_name(name)?;
            let Some(data_type) = field("Value.DataType") else {
                return Err(SnsError::validation_null(&format!(
                    "{at}.{name}.member.dataType"
                )));
            };
            let attribute = attribute_value(
                name,
                data_type,
                field("Value.StringValue"),
                field("Value.BinaryValue"),
            )?;
            attributes.insert(name.to_string(), attribute);
        }
        Ok(attributes)
    }
}

/// Names: letters, digits, `_`, `-`, `.`; no leading, trailing or doubled `.`; < 256 bytes.
fn check_attribute_name(name: &str) -> Result<(), SnsError> {
    if name.len() > 256 {
        return Err(SnsError::parameter_value_invalid(
            "Length of message attribute name must be less than 256 bytes.",
        ));
    }
    if name.starts_with('.') {
        return Err(SnsError::parameter_value_invalid(
            "Invalid message attribute name starting with character '.' was found.",
        ));
    }
    if name.ends_with('.') {
        return Err(SnsError::parameter_value_invalid(
            "Invalid message attribute name ending with character '.' was found.",
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(SnsError::parameter_value_invalid(format!(
            "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
            u32::from(c)
        )));
    }
    if name.contains("..") {
        return Err(SnsError::parameter_value_invalid(
            "Message attribute name can not have successive '.' character.",
        ));
    }
    Ok(())
}

/// One attribute's type and value: `String`, `Number`, `Binary`, `String.Array`, or one of
/// those with a custom label (`Number.float`).
fn attribute_value(
    name: &str,
    data_type: &str,
    string: Option<&str>,
    binary: Option<&str>,
) -> Result<MessageAttribute, SnsError> {
    let base = data_type.split('.').next().unwrap_or_default();
    let labelled = data_type.len() > base.len() + 1;
    if !matches!(base, "String" | "Number" | "Binary") || (data_type.contains('.') && !labelled) {
        return Err(SnsError::parameter_value_invalid(format!(
            "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
        )));
    }
    let empty = || {
        SnsError::parameter_value_invalid(format!(
            "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
        ))
    };
    if string.is_none() && binary.is_none() {
        return Err(empty());
    }
    let value = if base == "Binary" {
        let text = binary.ok_or_else(|| wrong_field(name, data_type, "Binary"))?;
        if text.is_empty() {
            return Err(empty());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| {
                SnsError::parameter_value_invalid(format!(
                    "The message attribute '{name}' with type 'Binary' must be base64-encoded."
                ))
            })?;
        AttributeValue::Bytes(bytes)
    } else {
        let text = string.ok_or_else(|| wrong_field(name, data_type, "String"))?;
        if text.is_empty() {
            return Err(empty());
        }
        check_typed_text(name, data_type, base, text)?;
        AttributeValue::Text(text.to_string())
    };
    Ok(MessageAttribute {
        data_type: data_type.to_string(),
        value,
    })
}

fn wrong_field(name: &str, data_type: &str, field: &str) -> SnsError {
    SnsError::parameter_value_invalid(format!(
        "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
    ))
}

/// Numbers must parse; `String.Array` must be a JSON array of strings, numbers, booleans
/// or nulls.
fn check_typed_text(name: &str, data_type: &str, base: &str, text: &str) -> Result<(), SnsError> {
    if base == "Number" && text.trim().parse::<f64>().map_or(true, |n| !n.is_finite()) {
        return Err(SnsError::parameter_value_invalid(format!(
            "Could not cast message attribute '{name}' value to number."
        )));
    }
    if data_type == "String.Array" {
        let valid = serde_json::from_str::<serde_json::Value>(text).is_ok_and(|value| {
            value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .all(|item| !(item.is_array() || item.is_object()))
            })
        });
        if !valid {
            return Err(SnsError::parameter_value_invalid(format!(
                "Invalid value for message attribute '{name}' of type String.Array: the value must be a JSON array of strings, numbers, booleans or nulls."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn entries_tags_and_lists_in_index_order() {
        let raw = pairs(&[
            ("Attributes.entry.2.key", "B"),
            ("Attributes.entry.2.value", "2"),
            ("Attributes.entry.1.key", "A"),
            ("Attributes.entry.1.value", "1"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "x"),
            ("TagKeys.member.10", "k10"),
            ("TagKeys.member.2", "k2"),
        ]);
        let params = Params::new(&raw);
        assert_eq!(params.entries("Attributes"), [("A", "1"), ("B", "2")]);
        assert_eq!(params.tags(), [("team", "x")]);
        assert_eq!(params.strings("TagKeys"), ["k2", "k10"]);
    }

    #[test]
    fn batch_entries_read_under_their_prefix() {
        let raw = pairs(&[
            ("PublishBatchRequestEntries.member.1.Id", "a"),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name",
                "client",
            ),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType",
                "String",
            ),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue",
                "Client 1",
            ),
        ]);
        let params = Params::new(&raw);
        assert_eq!(params.indexes("PublishBatchRequestEntries", "member"), [1]);
        let entry = params.under("PublishBatchRequestEntries.member.1.");
        assert_eq!(entry.get("Id"), Some("a"));
        let attributes = entry.message_attributes("x").unwrap();
        assert_eq!(
            attributes["client"].value,
            AttributeValue::Text("Client 1".into())
        );
    }

    #[test]
    fn attribute_checks_answer_sns_texts() {
        let attribute = |name: &str, data_type: Option<&str>, value: &str| {
            let mut list = vec![("MessageAttributes.entry.1.Name", name)];
            if let Some(t) = data_type {
                list.push(("MessageAttributes.entry.1.Value.DataType", t));
            }
            list.push(("MessageAttributes.entry.1.Value.StringValue", value));
            let raw = pairs(&list);
            Params::new(&raw)
                .message_attributes("messageAttributes")
                .map(|_| ())
                .map_err(|e| (e.code, e.message))
        };
        assert_eq!(attribute("a", Some("String"), "x"), Ok(()));
        assert_eq!(attribute("n", Some("Number.int"), "12.5"), Ok(()));
        assert_eq!(
            attribute("arr", Some("String.Array"), r#"["a",1,true,null]"#),
            Ok(())
        );
        let (code, message) = attribute("a", None, "x").unwrap_err();
        assert_eq!(code, "ValidationError");
        assert!(message.contains("'messageAttributes.a.member.dataType'"));
        let (code, message) = attribute(".a", Some("String"), "x").unwrap_err();
        assert_eq!(code, "ParameterValueInvalid");
        assert!(message.contains("starting with character '.'"));
        assert!(
            attribute("a b", Some("String"), "x")
                .unwrap_err()
                .1
                .contains("'#x20'")
        );
        assert!(
            attribute("a..b", Some("String"), "x")
                .unwrap_err()
                .1
                .contains("successive")
        );
        assert!(
            attribute("a", Some("Text"), "x")
                .unwrap_err()
                .1
                .contains("invalid message attribute type")
        );
        assert!(
            attribute("a", Some("Number"), "ten")
                .unwrap_err()
                .1
                .contains("to number")
        );
        assert!(
            attribute("a", Some("String"), "")
                .unwrap_err()
                .1
                .contains("non-empty")
        );
        assert!(
            attribute("a", Some("Binary"), "x")
                .unwrap_err()
                .1
                .contains("must use field 'Binary'")
        );
        assert!(
            attribute("a", Some("String.Array"), r#"[[1]]"#)
                .unwrap_err()
                .1
                .contains("String.Array")
        );
    }
}
