//! Finds the values a policy key names (in message attributes or in the body) and judges
//! the policy's alternatives against them.

use std::collections::BTreeMap;

use super::condition::{Condition, Scalar};
use super::shape::Alternative;
use crate::server::md5::{AttributeValue, MessageAttribute};

/// What one policy key sees: whether it is present, and its values.
struct Field<'a> {
    present: bool,
    values: Vec<Scalar<'a>>,
    /// A `String.Array` attribute: `anything-but` must hold for every element.
    every_element: bool,
}

impl Field<'_> {
    fn absent() -> Self {
        Field {
            present: false,
            values: Vec::new(),
            every_element: false,
        }
    }

    fn satisfies(&self, condition: &Condition) -> bool {
        if let Condition::Exists(wanted) = condition {
            return self.present == *wanted;
        }
        if self.every_element && condition.is_negation() {
            return !self.values.is_empty()
                && self.values.iter().all(|value| condition.matches(*value));
        }
        self.values.iter().any(|value| condition.matches(*value))
    }
}

/// Whether any alternative has every key satisfied by one of its conditions.
fn any_alternative(alternatives: &[Alternative], fields: &BTreeMap<&str, Field<'_>>) -> bool {
    let absent = Field::absent();
    alternatives.iter().any(|alternative| {
        alternative.iter().all(|(path, conditions)| {
            let field = fields.get(path.as_str()).unwrap_or(&absent);
            conditions
                .iter()
                .any(|condition| field.satisfies(condition))
        })
    })
}

/// Every key path the alternatives name.
fn policy_paths(alternatives: &[Alternative]) -> Vec<&str> {
    let mut paths: Vec<&str> = alternatives
        .iter()
        .flat_map(|alternative| alternative.iter().map(|(path, _)| path.as_str()))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

// ---------------------------------------------------------------------------------------
// Message attributes
// ---------------------------------------------------------------------------------------

/// An attribute as filtering reads it, by its base data type.
enum AttributeView<'a> {
    /// Missing, or `Binary` (which filtering ignores).
    Absent,
    Str(&'a str),
    Number(f64),
    /// `String.Array`: the parsed JSON, or `None` when the text is not a JSON array.
    Array(Option<serde_json::Value>),
}

/// Whether the attributes satisfy the alternatives.
pub(super) fn attributes_match(
    alternatives: &[Alternative],
    attributes: &BTreeMap<String, MessageAttribute>,
) -> bool {
    let views: Vec<(&str, AttributeView<'_>)> = policy_paths(alternatives)
        .into_iter()
        .map(|name| (name, attribute_view(attributes.get(name))))
        .collect();
    let fields: BTreeMap<&str, Field<'_>> = views
        .iter()
        .map(|(name, view)| (*name, attribute_field(view)))
        .collect();
    any_alternative(alternatives, &fields)
}

fn attribute_view(attribute: Option<&MessageAttribute>) -> AttributeView<'_> {
    let Some(MessageAttribute {
        data_type,
        value: AttributeValue::Text(text),
    }) = attribute
    else {
        return AttributeView::Absent;
    };
    if data_type == "String.Array" {
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .filter(serde_json::Value::is_array);
        return AttributeView::Array(parsed);
    }
    match data_type.split('.').next() {
        Some("String") => AttributeView::Str(text),
        Some("Number") => {
            parse_number(text).map_or(AttributeView::Str(text), AttributeView::Number)
        }
        _ => AttributeView::Absent,
    }
}

fn attribute_field<'a>(view: &'a AttributeView<'a>) -> Field<'a> {
    match view {
        AttributeView::Absent => Field::absent(),
        AttributeView::Str(text) => Field {
            present: true,
            values: vec![Scalar::Str(text)],
            every_element: false,
        },
        AttributeView::Number(number) => Field {
            present: true,
            values: vec![Scalar::Number(*number)],
            every_element: false,
        },
        AttributeView::Array(parsed) => {
            let mut values = Vec::new();
            if let Some(array) = parsed {
                collect_array_scalars(array, &mut values);
            }
            Field {
                present: true,
                values,
                every_element: true,
            }
        }
    }
}

/// A `String.Array`'s scalar elements (nested arrays flattened, objects skipped).
fn collect_array_scalars<'a>(value: &'a serde_json::Value, out: &mut Vec<Scalar<'a>>) {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|item| collect_array_scalars(item, out)),
        serde_json::Value::Object(_) => {}
        scalar => out.extend(scalar_of(scalar)),
    }
}

/// A `Number` attribute's value; SNS validated it at publish, so a failure here is treated
/// as plain text.
fn parse_number(text: &str) -> Option<f64> {
    let trimmed = text.trim();
    let numeric_chars = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if trimmed.is_empty() || !numeric_chars {
        return None;
    }
    trimmed
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

// ---------------------------------------------------------------------------------------
// Message body
// ---------------------------------------------------------------------------------------

/// Whether the body (which must be a JSON object) satisfies the alternatives.
pub(super) fn body_matches(alternatives: &[Alternative], body: &str) -> bool {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_str::<serde_json::Value>(body)
    else {
        return false;
    };
    let wanted = policy_paths(alternatives);
    let mut leaves: BTreeMap<String, Vec<Scalar<'_>>> = BTreeMap::new();
    for (key, value) in &root {
        collect_leaves(value, key.clone(), &wanted, &mut leaves);
    }
    let fields: BTreeMap<&str, Field<'_>> = leaves
        .iter()
        .map(|(path, values)| {
            (
                path.as_str(),
                Field {
                    present: !values.is_empty(),
                    values: values.clone(),
                    every_element: false,
                },
            )
        })
        .collect();
    any_alternative(alternatives, &fields)
}

/// Collects the scalar leaves under `path`, descending only where a policy path leads.
/// Arrays are transparent: each element is read at the array's own path. Depth is bounded
/// by `serde_json`'s recursion limit on the parsed body.
fn collect_leaves<'a>(
    value: &'a serde_json::Value,
    path: String,
    wanted: &[&str],
    leaves: &mut BTreeMap<String, Vec<Scalar<'a>>>,
) {
    if !leads_to_policy(&path, wanted) {
        return;
    }
    match value {
        serde_json::Value::Object(members) => {
            for (key, child) in members {
                collect_leaves(child, format!("{path}.{key}"), wanted, leaves);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_leaves(item, path.clone(), wanted, leaves);
            }
        }
        scalar => leaves.entry(path).or_default().extend(scalar_of(scalar)),
    }
}

/// Whether `path` is a policy path or lies on the way to one.
fn leads_to_policy(path: &str, wanted: &[&str]) -> bool {
    wanted.iter().any(|policy_path| {
        policy_path
            .strip_prefix(path)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

fn scalar_of(value: &serde_json::Value) -> Option<Scalar<'_>> {
    match value {
        serde_json::Value::Null => Some(Scalar::Null),
        serde_json::Value::Bool(flag) => Some(Scalar::Bool(*flag)),
        serde_json::Value::Number(number) => {
            Some(Scalar::Number(number.as_f64().unwrap_or(f64::NAN)))
        }
        serde_json::Value::String(text) => Some(Scalar::Str(text)),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => None,
    }
}
