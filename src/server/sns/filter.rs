//! SNS subscription filter policies (`FilterPolicy`, `FilterPolicyScope`): parsing, AWS's
//! validation errors, and matching a message's attributes or body.
//!
//! A policy is a JSON object whose keys name message attributes (scope `MessageAttributes`)
//! or body properties (scope `MessageBody`, where objects may nest and nested keys join
//! with `.`), each holding a list of conditions of which one must match; `$or` at any level
//! offers alternative sub-policies. The grammar and its error texts are AWS's (which shares
//! its rule compiler with `aws/event-ruler`); see `compile` for the sources of each text.

mod cidr;
mod compile;
mod condition;
mod json;
mod matching;
mod shape;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::server::md5::MessageAttribute;
use json::Json;
use shape::Alternative;

/// The largest policy AWS accepts: 256 KB of JSON text.
pub const MAX_POLICY_BYTES: usize = 256 * 1024;
/// The most keys (those holding condition lists) in one `$or` alternative.
pub const MAX_KEYS: usize = 5;
/// The largest complexity (see `shape::complexity`) AWS accepts.
pub const MAX_COMBINATIONS: u64 = 150;

/// AWS's text for a policy over the complexity limit.
const TOO_COMPLEX: &str = "Filter policy is too complex";

/// AWS's text for a nested policy under scope `MessageAttributes`. Unlike every other
/// reason, AWS sends it without the `FilterPolicy: ` label (see [`invalid_parameter_message`]).
pub const NESTED_SCOPE_ERROR: &str =
    "Filter policy scope MessageAttributes does not support nested filter policy";

/// Where a policy looks: `FilterPolicyScope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Message attributes (the default).
    #[default]
    MessageAttributes,
    /// The message body, read as a JSON object.
    MessageBody,
}

impl Scope {
    /// Reads a `FilterPolicyScope` value (exact spelling, as AWS requires).
    #[must_use]
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "MessageAttributes" => Some(Scope::MessageAttributes),
            "MessageBody" => Some(Scope::MessageBody),
            _ => None,
        }
    }

    /// The attribute value naming this scope.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MessageAttributes => "MessageAttributes",
            Scope::MessageBody => "MessageBody",
        }
    }
}

/// A parsed, validated filter policy, ready to match messages.
#[derive(Debug, Clone)]
pub struct FilterPolicy {
    scope: Scope,
    /// `$or` expanded: the message passes when any alternative matches. Empty for `{}`,
    /// which passes everything.
    alternatives: Vec<Alternative>,
}

impl FilterPolicy {
    /// Parses and validates `policy` (the attribute's JSON text) for `scope`.
    /// Err is AWS's message text, WITHOUT the "Invalid parameter: " prefix; the caller
    /// answers `InvalidParameter` with `Invalid parameter: FilterPolicy: <your text>`
    /// ([`invalid_parameter_message`] builds that, including AWS's one exception).
    ///
    /// `{}` (and empty text, which is how a policy is removed) is valid and passes
    /// everything. AWS appends a Jackson source position (`\n at [Source: …]`) to grammar
    /// errors; that suffix is not reproduced.
    ///
    /// # Errors
    /// AWS's reason for refusing the policy.
    pub fn parse(policy: &str, scope: Scope) -> Result<FilterPolicy, String> {
        if policy.len() > MAX_POLICY_BYTES {
            // [U] wording not verified.
            return Err(format!(
                "Filter policy is too long: the maximum size is {MAX_POLICY_BYTES} bytes"
            ));
        }
        if policy.trim().is_empty() {
            return Ok(FilterPolicy {
                scope,
                alternatives: Vec::new(),
            });
        }
        // AWS-validated prefix; AWS follows it with the JSON parser's own detail.
        let json = Json::parse(policy).ok_or_else(|| "failed to parse JSON.".to_owned())?;
        let Json::Object(members) = json else {
            // [U] event-ruler's text; SNS's is not recorded.
            return Err("Filter is not an object".to_owned());
        };
        if members.is_empty() {
            return Ok(FilterPolicy {
                scope,
                alternatives: Vec::new(),
            });
        }
        let object = compile::compile_object(&members, 1)?;
        check_shape(&object, scope)?;
        Ok(FilterPolicy {
            scope,
            alternatives: shape::expand(&object),
        })
    }

    /// The scope the policy was parsed with.
    #[must_use]
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether a message with these message attributes passes (scope `MessageAttributes`).
    /// `Binary` attributes are ignored, as if absent.
    #[must_use]
    pub fn matches_attributes(&self, attributes: &BTreeMap<String, MessageAttribute>) -> bool {
        self.alternatives.is_empty() || matching::attributes_match(&self.alternatives, attributes)
    }

    /// Whether a message body passes (scope `MessageBody`): the body must be a JSON object,
    /// else no match (unless the policy is empty).
    #[must_use]
    pub fn matches_body(&self, body: &str) -> bool {
        self.alternatives.is_empty() || matching::body_matches(&self.alternatives, body)
    }

    /// Convenience: dispatch on the scope the policy was parsed with.
    #[must_use]
    pub fn matches(&self, attributes: &BTreeMap<String, MessageAttribute>, body: &str) -> bool {
        match self.scope {
            Scope::MessageAttributes => self.matches_attributes(attributes),
            Scope::MessageBody => self.matches_body(body),
        }
    }
}

/// The policy-wide checks AWS makes once the grammar is sound, in `LocalStack`'s order
/// (AWS's relative order of these three is not recorded).
fn check_shape(object: &compile::Object, scope: Scope) -> Result<(), String> {
    if scope == Scope::MessageAttributes && shape::has_nesting(object) {
        return Err(NESTED_SCOPE_ERROR.to_owned());
    }
    if shape::key_count(object) > MAX_KEYS {
        return Err(format!(
            "Filter policy can not have more than {MAX_KEYS} keys"
        ));
    }
    if shape::complexity(object) > MAX_COMBINATIONS {
        return Err(TOO_COMPLEX.to_owned());
    }
    Ok(())
}

/// The full `InvalidParameter` message for a [`FilterPolicy::parse`] error on
/// `SetSubscriptionAttributes`: `Invalid parameter: FilterPolicy: <reason>`, except the
/// nested-scope reason, which AWS sends as `Invalid parameter: <reason>`. (On `Subscribe`,
/// AWS puts `Attributes Reason: ` before `FilterPolicy: `.)
#[must_use]
pub fn invalid_parameter_message(reason: &str) -> String {
    if reason == NESTED_SCOPE_ERROR {
        format!("Invalid parameter: {reason}")
    } else {
        format!("Invalid parameter: FilterPolicy: {reason}")
    }
}
