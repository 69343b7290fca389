//! Compiles a policy's JSON into a tree of keys and conditions, refusing what AWS refuses
//! with AWS's message, checked in document order as AWS's streaming compiler does.
//!
//! Unless marked `[U]`, each message text is one AWS returned (recorded responses kept by
//! `LocalStack`'s AWS-validated snapshot tests), or the text of AWS's open-source rule
//! compiler (`aws/event-ruler`) on a path SNS shares with it.

use super::cidr::{compile_cidr, parse_ip};
use super::condition::{Bound, Condition, Excluded, NumericTest};
use super::json::Json;

/// Deeper than this, a leaf's depth factor alone exceeds the complexity limit; `serde_json`'s
/// recursion limit (128) stops parsing before this is reached, so it is a backstop that
/// bounds recursion whatever the parser.
pub(super) const MAX_DEPTH: usize = 150;

/// An object of the policy: its members in document order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Object {
    pub(super) members: Vec<Member>,
}

/// One member of a policy object.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Member {
    /// A key whose value is a nested object (body scope only).
    Nested(String, Object),
    /// A key whose value is a list of conditions (OR between them).
    Leaf(String, Vec<Condition>),
    /// `$or`: any one of these objects.
    Or(Vec<Object>),
}

/// Compiles one (non-empty) policy object at `depth` (the top level is 1).
pub(super) fn compile_object(members: &[(String, Json)], depth: usize) -> Result<Object, String> {
    if depth > MAX_DEPTH {
        return Err(super::TOO_COMPLEX.to_owned());
    }
    if members.is_empty() {
        // [U] event-ruler's text; SNS accepts only the top-level `{}` (handled by the caller).
        return Err("Empty objects are not allowed".to_owned());
    }
    let mut compiled = Vec::with_capacity(members.len());
    for (key, value) in members {
        compiled.push(compile_member(key, value, depth)?);
    }
    Ok(Object { members: compiled })
}

fn compile_member(key: &str, value: &Json, depth: usize) -> Result<Member, String> {
    if key == "$or" {
        return compile_or(value, depth);
    }
    match value {
        Json::Object(members) => Ok(Member::Nested(
            key.to_owned(),
            compile_object(members, depth + 1)?,
        )),
        Json::Array(items) => Ok(Member::Leaf(key.to_owned(), compile_conditions(items)?)),
        _ => Err(format!("\"{key}\" must be an object or an array")),
    }
}

/// `$or`: an array of at least two objects, each compiled at the current depth.
/// [U] The three texts are event-ruler's; SNS's wording for them is not recorded.
fn compile_or(value: &Json, depth: usize) -> Result<Member, String> {
    let Json::Array(items) = value else {
        return Err("It must be an Array followed with $or.".to_owned());
    };
    let mut branches = Vec::with_capacity(items.len());
    for item in items {
        let Json::Object(members) = item else {
            return Err("Only JSON object is allowed in array of $or relationship.".to_owned());
        };
        branches.push(compile_object(members, depth)?);
    }
    if branches.len() < 2 {
        return Err("There must have at least 2 Objects in $or relationship.".to_owned());
    }
    Ok(Member::Or(branches))
}

fn compile_conditions(items: &[Json]) -> Result<Vec<Condition>, String> {
    let mut conditions = Vec::with_capacity(items.len());
    for item in items {
        conditions.push(compile_value(item)?);
    }
    if conditions.is_empty() {
        return Err("Empty arrays are not allowed".to_owned());
    }
    Ok(conditions)
}

fn compile_value(item: &Json) -> Result<Condition, String> {
    match item {
        Json::String(text) => Ok(Condition::Exact {
            text: text.clone(),
            ip: parse_ip(text),
        }),
        Json::Number(value, _) => Ok(Condition::Number(*value)),
        Json::Null => Ok(Condition::Null),
        Json::Bool(flag) => Ok(Condition::Bool(*flag)),
        Json::Object(members) => compile_expression(members),
        Json::Array(_) => {
            Err("Match value must be String, number, true, false, or null".to_owned())
        }
    }
}

/// A match expression: `{"<operator>": <operand>}`. The operand is checked before a second
/// key is noticed, as AWS reads them in that order.
fn compile_expression(members: &[(String, Json)]) -> Result<Condition, String> {
    let Some((operator, operand)) = members.first() else {
        // [U] event-ruler's text.
        return Err("Match expression name not found".to_owned());
    };
    let (condition, arity_message) = match operator.as_str() {
        "prefix" => (
            Condition::Prefix(string_operand(operator, operand)?),
            ONLY_ONE_KEY,
        ),
        "suffix" => (
            Condition::Suffix(string_operand(operator, operand)?),
            ONLY_ONE_KEY,
        ),
        "equals-ignore-case" => (
            Condition::EqualsIgnoreCase(string_operand(operator, operand)?.to_lowercase()),
            ONLY_ONE_KEY,
        ),
        "numeric" => (
            Condition::Numeric(compile_numeric(operand)?),
            TOO_MANY_ELEMENTS,
        ),
        "anything-but" => compile_anything_but(operand)?,
        "exists" => (compile_exists(operand)?, ONLY_ONE_KEY),
        // AWS's own text names `prefix` here.
        "cidr" => (
            Condition::Cidr(compile_cidr(&string_operand("prefix", operand)?)?),
            ONLY_ONE_KEY,
        ),
        other => return Err(format!("Unrecognized match type {other}")),
    };
    if members.len() > 1 {
        return Err(arity_message.to_owned());
    }
    Ok(condition)
}

const ONLY_ONE_KEY: &str = "Only one key allowed in match expression";
const TOO_MANY_ELEMENTS: &str = "Too many elements in numeric expression";

fn string_operand(operator: &str, operand: &Json) -> Result<String, String> {
    match operand {
        Json::String(text) => Ok(text.clone()),
        _ => Err(format!("{operator} match pattern must be a string")),
    }
}

fn compile_exists(operand: &Json) -> Result<Condition, String> {
    match operand {
        Json::Bool(flag) => Ok(Condition::Exists(*flag)),
        _ => Err("exists match pattern must be either true or false.".to_owned()),
    }
}

/// `anything-but`: a string, a number, a list of strings or of numbers, or `{"prefix": s}`.
/// Returns the condition and the message for a second key in the enclosing expression.
fn compile_anything_but(operand: &Json) -> Result<(Condition, &'static str), String> {
    match operand {
        Json::Object(members) => Ok((compile_anything_but_prefix(members)?, ONLY_ONE_KEY)),
        Json::String(text) => Ok((
            Condition::AnythingBut(vec![Excluded::Str(text.clone())]),
            TOO_MANY_ELEMENTS,
        )),
        Json::Number(value, _) => Ok((
            Condition::AnythingBut(vec![Excluded::Number(*value)]),
            TOO_MANY_ELEMENTS,
        )),
        Json::Array(items) => Ok((
            Condition::AnythingBut(excluded_list(items)?),
            TOO_MANY_ELEMENTS,
        )),
        // [U] event-ruler's text.
        _ => {
            Err("Value of anything-but must be an array or single string/number value.".to_owned())
        }
    }
}

/// `{"anything-but": {"prefix": "x"}}`, the only nested form SNS documents; AWS answered
/// `Unsupported anything-but pattern: suffix` (and `: exists`) when asked for others.
fn compile_anything_but_prefix(members: &[(String, Json)]) -> Result<Condition, String> {
    let Some((operator, operand)) = members.first() else {
        // [U] event-ruler's text.
        return Err("Anything-But expression name not found".to_owned());
    };
    if operator != "prefix" {
        return Err(format!("Unsupported anything-but pattern: {operator}"));
    }
    let prefix = string_operand(operator, operand)?;
    if prefix.is_empty() {
        // [U] wording not verified (event-ruler says "Null prefix/suffix not allowed").
        return Err("Null prefix not allowed".to_owned());
    }
    if members.len() > 1 {
        return Err(ONLY_ONE_KEY.to_owned());
    }
    Ok(Condition::AnythingButPrefix(prefix))
}

/// [U] Both texts are event-ruler's; SNS's are not recorded.
fn excluded_list(items: &[Json]) -> Result<Vec<Excluded>, String> {
    let mut excluded = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Json::String(text) => excluded.push(Excluded::Str(text.clone())),
            Json::Number(value, _) => excluded.push(Excluded::Number(*value)),
            _ => {
                return Err(
                    "Inside anything but list, start|null|boolean is not supported.".to_owned(),
                );
            }
        }
    }
    let strings = excluded
        .iter()
        .filter(|item| matches!(item, Excluded::Str(_)))
        .count();
    let numbers = excluded.len() - strings;
    if excluded.is_empty() || (strings > 0 && numbers > 0) {
        return Err(
            "Inside anything but list, either all values are number or string, mixed type is not supported"
                .to_owned(),
        );
    }
    Ok(excluded)
}

/// `numeric`: `[op, n]`, or `[">"|">=", n, "<"|"<=", m]` with `n < m`.
fn compile_numeric(operand: &Json) -> Result<NumericTest, String> {
    let Json::Array(items) = operand else {
        // [U] event-ruler's text.
        return Err("Value of numeric must be an array.".to_owned());
    };
    let operator = match items.first() {
        None => return Err("Invalid member in numeric match: ]".to_owned()),
        Some(Json::String(operator)) => operator.as_str(),
        Some(other) => {
            return Err(format!(
                "Invalid member in numeric match: {}",
                other.token_text()
            ));
        }
    };
    let name = match operator {
        "=" => "equals",
        "<" | "<=" | ">" | ">=" => operator,
        _ => return Err(format!("Unrecognized numeric range operator: {operator}")),
    };
    let value = numeric_operand(items.get(1), name)?;
    let bound = Bound {
        value,
        inclusive: operator.ends_with('='),
    };
    match operator {
        "=" | "<" | "<=" if items.len() > 2 => Err(TOO_MANY_ELEMENTS.to_owned()),
        "=" => Ok(NumericTest::Equals(value)),
        "<" | "<=" => Ok(NumericTest::Range {
            lower: None,
            upper: Some(bound),
        }),
        _ if items.len() == 2 => Ok(NumericTest::Range {
            lower: Some(bound),
            upper: None,
        }),
        _ => compile_range_top(&items[2..], bound),
    }
}

/// The `"<"|"<=", m` half of a range whose lower bound is `bottom`.
fn compile_range_top(rest: &[Json], bottom: Bound) -> Result<NumericTest, String> {
    let operator = match rest.first() {
        Some(Json::String(operator)) => operator.as_str(),
        Some(other) => {
            return Err(format!(
                "Bad value in numeric range: {}",
                other.token_text()
            ));
        }
        None => return Err("Bad value in numeric range: ]".to_owned()),
    };
    if operator != "<" && operator != "<=" {
        return Err(format!("Bad numeric range operator: {operator}"));
    }
    let value = numeric_operand(rest.get(1), operator)?;
    if rest.len() > 2 {
        return Err("Too many terms in numeric range expression".to_owned());
    }
    if super::condition::comparable(bottom.value) >= super::condition::comparable(value) {
        return Err("Bottom must be less than top".to_owned());
    }
    let top = Bound {
        value,
        inclusive: operator == "<=",
    };
    Ok(NumericTest::Range {
        lower: Some(bottom),
        upper: Some(top),
    })
}

fn numeric_operand(item: Option<&Json>, name: &str) -> Result<f64, String> {
    item.and_then(Json::as_number)
        .ok_or_else(|| format!("Value of {name} must be numeric"))
}
