//! One compiled match condition and how it judges one value.
//!
//! Matching is type-aware, as in AWS: string conditions see only strings, number conditions
//! only numbers, and `null`/`true`/`false` only those literals. Numbers are compared with
//! five digits after the decimal point (the documented accuracy).

use super::cidr::{CidrRange, IpBytes, parse_ip};

/// A scalar value seen at a policy key: a message attribute's value (or one element of a
/// `String.Array`), or a leaf of the message body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'a str),
}

/// A value `anything-but` excludes: its list holds strings only or numbers only.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Excluded {
    Str(String),
    Number(f64),
}

/// A numeric comparison: `=`, or an optional lower bound with an optional upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NumericTest {
    Equals(f64),
    Range {
        lower: Option<Bound>,
        upper: Option<Bound>,
    },
}

/// One end of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Bound {
    pub(super) value: f64,
    pub(super) inclusive: bool,
}

/// One element of a policy key's condition list.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Condition {
    /// An exact string; an IP literal matches any spelling of the same address.
    Exact {
        text: String,
        ip: Option<IpBytes>,
    },
    /// An exact number (compared numerically).
    Number(f64),
    /// The literal `null`.
    Null,
    /// The literal `true` or `false`.
    Bool(bool),
    Prefix(String),
    Suffix(String),
    /// Stored lowercased.
    EqualsIgnoreCase(String),
    /// Any value other than these.
    AnythingBut(Vec<Excluded>),
    /// Any string not starting with this.
    AnythingButPrefix(String),
    Numeric(NumericTest),
    /// `exists: true` / `exists: false`: judged on presence, not on values.
    Exists(bool),
    Cidr(CidrRange),
}

impl Condition {
    /// Whether this is a negation (`anything-but`), which AWS applies to every element of a
    /// `String.Array` attribute rather than to any one.
    pub(super) fn is_negation(&self) -> bool {
        matches!(
            self,
            Condition::AnythingBut(_) | Condition::AnythingButPrefix(_)
        )
    }

    /// Whether `value` satisfies this condition (`Exists` is judged by the caller).
    pub(super) fn matches(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (Condition::Exact { text, ip }, Scalar::Str(seen)) => {
                exact_string(text, ip.as_ref(), seen)
            }
            (Condition::Number(wanted), Scalar::Number(seen)) => same_number(*wanted, seen),
            (Condition::Null, Scalar::Null) => true,
            (Condition::Bool(wanted), Scalar::Bool(seen)) => *wanted == seen,
            (Condition::Prefix(prefix), Scalar::Str(seen)) => seen.starts_with(prefix.as_str()),
            (Condition::Suffix(suffix), Scalar::Str(seen)) => seen.ends_with(suffix.as_str()),
            (Condition::EqualsIgnoreCase(lower), Scalar::Str(seen)) => {
                seen.to_lowercase() == *lower
            }
            (Condition::AnythingBut(excluded), seen) => !excluded.iter().any(|item| item.is(seen)),
            (Condition::AnythingButPrefix(prefix), Scalar::Str(seen)) => {
                !seen.starts_with(prefix.as_str())
            }
            (Condition::Numeric(test), Scalar::Number(seen)) => test.holds(seen),
            (Condition::Cidr(range), Scalar::Str(seen)) => range.contains(seen),
            _ => false,
        }
    }
}

impl Excluded {
    fn is(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (Excluded::Str(text), Scalar::Str(seen)) => text == seen,
            (Excluded::Number(number), Scalar::Number(seen)) => same_number(*number, seen),
            _ => false,
        }
    }
}

impl NumericTest {
    fn holds(&self, value: f64) -> bool {
        match self {
            NumericTest::Equals(wanted) => same_number(*wanted, value),
            NumericTest::Range { lower, upper } => {
                lower.is_none_or(|bound| bound.admits_from_below(value))
                    && upper.is_none_or(|bound| bound.admits_from_above(value))
            }
        }
    }
}

impl Bound {
    fn admits_from_below(self, value: f64) -> bool {
        let (seen, bound) = (comparable(value), comparable(self.value));
        if self.inclusive {
            seen >= bound
        } else {
            seen > bound
        }
    }

    fn admits_from_above(self, value: f64) -> bool {
        let (seen, bound) = (comparable(value), comparable(self.value));
        if self.inclusive {
            seen <= bound
        } else {
            seen < bound
        }
    }
}

fn exact_string(text: &str, ip: Option<&IpBytes>, seen: &str) -> bool {
    match ip {
        Some(address) => parse_ip(seen).as_ref() == Some(address),
        None => text == seen,
    }
}

/// Numbers equal to five decimal places, the documented accuracy.
pub(super) fn same_number(left: f64, right: f64) -> bool {
    #[allow(
        clippy::float_cmp,
        reason = "both sides are rounded to the same integral grid"
    )]
    let equal = comparable(left) == comparable(right);
    equal
}

/// A number rounded to five decimal places (an integer-valued double for |x| <= 1e9).
pub(super) fn comparable(value: f64) -> f64 {
    (value * 100_000.0).round()
}
