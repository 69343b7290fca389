//! Tests for SNS filter policies: validation (with AWS's recorded messages), attribute
//! matching, body matching, and the key and complexity limits.
//!
//! Cases marked "AWS-recorded" replay requests and outcomes AWS itself returned, as kept in
//! `LocalStack`'s AWS-validated snapshot tests (`tests/aws/services/sns/test_sns_filter_policy.py`).

use std::collections::BTreeMap;

use super::json::Json;
use super::{FilterPolicy, NESTED_SCOPE_ERROR, Scope, invalid_parameter_message};
use crate::server::md5::{AttributeValue, MessageAttribute};

const ATTRS: Scope = Scope::MessageAttributes;
const BODY: Scope = Scope::MessageBody;

fn parse(policy: &str, scope: Scope) -> FilterPolicy {
    FilterPolicy::parse(policy, scope).unwrap_or_else(|reason| panic!("{policy} refused: {reason}"))
}

fn reason(policy: &str, scope: Scope) -> String {
    match FilterPolicy::parse(policy, scope) {
        Ok(_) => panic!("{policy} was accepted"),
        Err(reason) => reason,
    }
}

/// Attributes from `(name, data type, string value)`.
fn attributes(list: &[(&str, &str, &str)]) -> BTreeMap<String, MessageAttribute> {
    list.iter()
        .map(|(name, data_type, value)| {
            let attribute = MessageAttribute {
                data_type: (*data_type).to_owned(),
                value: AttributeValue::Text((*value).to_owned()),
            };
            ((*name).to_owned(), attribute)
        })
        .collect()
}

fn passes_attributes(policy: &str, list: &[(&str, &str, &str)]) -> bool {
    parse(policy, ATTRS).matches_attributes(&attributes(list))
}

fn passes_body(policy: &str, body: &str) -> bool {
    parse(policy, BODY).matches_body(body)
}

/// A policy with `count` values under one key.
fn values_policy(key: &str, count: usize) -> String {
    let values: Vec<String> = (0..count).map(|i| format!("\"v{i}\"")).collect();
    format!("{{\"{key}\": [{}]}}", values.join(","))
}

// ---------------------------------------------------------------------------------------
// Scope
// ---------------------------------------------------------------------------------------

#[test]
fn scope_parses_exact_names_and_round_trips() {
    assert_eq!(
        Scope::parse("MessageAttributes"),
        Some(Scope::MessageAttributes)
    );
    assert_eq!(Scope::parse("MessageBody"), Some(Scope::MessageBody));
    assert_eq!(Scope::parse("messagebody"), None);
    assert_eq!(Scope::parse("RandomValue"), None);
    assert_eq!(Scope::default(), Scope::MessageAttributes);
    for scope in [Scope::MessageAttributes, Scope::MessageBody] {
        assert_eq!(Scope::parse(scope.as_str()), Some(scope));
    }
}

// ---------------------------------------------------------------------------------------
// Document-level validation
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_json_is_refused_with_aws_prefix() {
    assert_eq!(reason("{invalidjson}", ATTRS), "failed to parse JSON.");
    assert_eq!(reason("{\"a\": [1]", BODY), "failed to parse JSON.");
}

#[test]
fn non_object_policy_is_refused() {
    for policy in ["[]", "\"text\"", "5", "null"] {
        assert_eq!(reason(policy, ATTRS), "Filter is not an object", "{policy}");
    }
}

#[test]
fn oversized_policy_is_refused() {
    let policy = format!("{{\"k\": [\"{}\"]}}", "x".repeat(super::MAX_POLICY_BYTES));
    assert!(reason(&policy, ATTRS).contains("too long"));
    let at_limit = format!(
        "{{\"k\": [\"{}\"]}}",
        "x".repeat(super::MAX_POLICY_BYTES - 20)
    );
    assert!(FilterPolicy::parse(&at_limit, ATTRS).is_ok());
}

#[test]
fn empty_policy_passes_everything() {
    for text in ["{}", "", "  "] {
        let policy = parse(text, BODY);
        assert!(policy.matches_body("not json"), "{text:?}");
        assert!(policy.matches_attributes(&BTreeMap::new()), "{text:?}");
        assert!(
            parse(text, ATTRS).matches(&BTreeMap::new(), "x"),
            "{text:?}"
        );
    }
}

#[test]
fn deep_policy_is_refused_without_overflow() {
    let depth = 2_000;
    let policy = format!("{}[1]{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    assert_eq!(reason(&policy, BODY), "failed to parse JSON.");
}

#[test]
fn depth_backstop_reports_too_complex() {
    let mut json = Json::Array(vec![Json::Number(1.0, "1".to_owned())]);
    for _ in 0..=super::compile::MAX_DEPTH {
        json = Json::Object(vec![("a".to_owned(), json)]);
    }
    let Json::Object(members) = json else {
        unreachable!()
    };
    assert_eq!(
        super::compile::compile_object(&members, 1),
        Err("Filter policy is too complex".to_owned())
    );
}

// ---------------------------------------------------------------------------------------
// Key and value grammar
// ---------------------------------------------------------------------------------------

#[test]
fn scalar_key_value_is_refused() {
    // AWS-recorded.
    assert_eq!(
        reason(r#"{"key_a": "value_one"}"#, BODY),
        r#""key_a" must be an object or an array"#
    );
    assert_eq!(
        reason(r#"{"key_a": 5}"#, ATTRS),
        r#""key_a" must be an object or an array"#
    );
}

#[test]
fn grammar_error_inside_nested_object_precedes_scope_error() {
    // AWS-recorded: under MessageAttributes, AWS names the operator key, not the nesting.
    assert_eq!(
        reason(r#"{"key": {"suffix": "value"}}"#, ATTRS),
        r#""suffix" must be an object or an array"#
    );
    assert_eq!(
        reason(r#"{"key": {"not-an-operator": "value"}}"#, ATTRS),
        r#""not-an-operator" must be an object or an array"#
    );
}

#[test]
fn nested_policy_is_refused_for_attributes_scope() {
    // AWS-recorded.
    let policy = r#"{"object": {"key": [{"prefix": "auto-"}]}}"#;
    assert_eq!(reason(policy, ATTRS), NESTED_SCOPE_ERROR);
    assert!(FilterPolicy::parse(policy, BODY).is_ok());
}

#[test]
fn nested_policy_inside_or_is_refused_for_attributes_scope() {
    let policy = r#"{"$or": [{"a": ["x"]}, {"b": {"c": ["y"]}}]}"#;
    assert_eq!(reason(policy, ATTRS), NESTED_SCOPE_ERROR);
    assert!(FilterPolicy::parse(policy, BODY).is_ok());
}

#[test]
fn invalid_parameter_message_labels_all_but_the_scope_error() {
    assert_eq!(
        invalid_parameter_message("Filter policy is too complex"),
        "Invalid parameter: FilterPolicy: Filter policy is too complex"
    );
    assert_eq!(
        invalid_parameter_message(NESTED_SCOPE_ERROR),
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    );
}

#[test]
fn empty_condition_list_is_refused() {
    assert_eq!(
        reason(r#"{"key": []}"#, ATTRS),
        "Empty arrays are not allowed"
    );
}

#[test]
fn empty_nested_object_is_refused() {
    assert_eq!(
        reason(r#"{"a": {}}"#, BODY),
        "Empty objects are not allowed"
    );
}

#[test]
fn list_inside_condition_list_is_refused() {
    // AWS-recorded.
    assert_eq!(
        reason(r#"{"key": [["value"]]}"#, ATTRS),
        "Match value must be String, number, true, false, or null"
    );
}

#[test]
fn unknown_operator_is_refused() {
    // AWS-recorded (wrong-operator); wildcard and exact are not SNS operators.
    assert_eq!(
        reason(r#"{"key": [{"wrong-operator": true}]}"#, ATTRS),
        "Unrecognized match type wrong-operator"
    );
    assert_eq!(
        reason(r#"{"key": [{"wildcard": "a*"}]}"#, BODY),
        "Unrecognized match type wildcard"
    );
}

#[test]
fn empty_match_expression_is_refused() {
    assert_eq!(
        reason(r#"{"key": [{}]}"#, ATTRS),
        "Match expression name not found"
    );
}

#[test]
fn two_operators_in_one_expression_are_refused() {
    // AWS-recorded.
    assert_eq!(
        reason(
            r#"{"key": [{"suffix": "value", "prefix": "value2"}]}"#,
            ATTRS
        ),
        "Only one key allowed in match expression"
    );
    assert_eq!(
        reason(r#"{"key": [{"exists": true, "prefix": "a"}]}"#, ATTRS),
        "Only one key allowed in match expression"
    );
}

#[test]
fn second_key_after_numeric_or_anything_but_is_too_many_elements() {
    for policy in [
        r#"{"key": [{"numeric": [">", 1], "prefix": "a"}]}"#,
        r#"{"key": [{"anything-but": ["a"], "prefix": "a"}]}"#,
    ] {
        assert_eq!(
            reason(policy, ATTRS),
            "Too many elements in numeric expression",
            "{policy}"
        );
    }
}

#[test]
fn operand_fault_is_reported_before_a_second_key() {
    assert_eq!(
        reason(r#"{"key": [{"suffix": 1, "prefix": "a"}]}"#, ATTRS),
        "suffix match pattern must be a string"
    );
}

#[test]
fn string_operators_require_a_string() {
    // AWS-recorded for suffix: 100, null, [] and ["test", "test2"].
    for operand in [
        "100",
        "null",
        "[]",
        r#"["test", "test2"]"#,
        r#"{"equals-ignore-case": "x"}"#,
    ] {
        let policy = format!(r#"{{"key": [{{"suffix": {operand}}}]}}"#);
        assert_eq!(
            reason(&policy, ATTRS),
            "suffix match pattern must be a string",
            "{operand}"
        );
    }
    assert_eq!(
        reason(r#"{"key": [{"prefix": 1}]}"#, ATTRS),
        "prefix match pattern must be a string"
    );
    assert_eq!(
        reason(r#"{"key": [{"equals-ignore-case": true}]}"#, ATTRS),
        "equals-ignore-case match pattern must be a string"
    );
}

#[test]
fn exists_requires_a_boolean() {
    // AWS-recorded.
    for operand in ["null", "\"no\"", "1"] {
        let policy = format!(r#"{{"key": [{{"exists": {operand}}}]}}"#);
        assert_eq!(
            reason(&policy, ATTRS),
            "exists match pattern must be either true or false.",
            "{operand}"
        );
    }
}

#[test]
fn numeric_errors_match_aws_recordings() {
    // AWS-recorded, every row.
    let cases = [
        ("[]", "Invalid member in numeric match: ]"),
        (
            r#"["operator"]"#,
            "Unrecognized numeric range operator: operator",
        ),
        (r#"[1, "<="]"#, "Invalid member in numeric match: 1"),
        (r#"["=", "000"]"#, "Value of equals must be numeric"),
        (r#"[">="]"#, "Value of >= must be numeric"),
        (
            r#"["<", 100, ">", 10]"#,
            "Too many elements in numeric expression",
        ),
        (r#"[">=", 1, ">", 2]"#, "Bad numeric range operator: >"),
        (r#"[">", 3, "<", 1]"#, "Bottom must be less than top"),
        (r#"[">", 20, "<="]"#, "Value of <= must be numeric"),
        (r#"[">", 20, 30]"#, "Bad value in numeric range: 30"),
        (r#"[">", 20, "test"]"#, "Bad numeric range operator: test"),
        (r#"[">", "20", "<", "30"]"#, "Value of > must be numeric"),
        (r#"[">", 20, "<", "30"]"#, "Value of < must be numeric"),
        (
            r#"[">", 20, "<", 30, "<", 50]"#,
            "Too many terms in numeric range expression",
        ),
    ];
    for (operand, expected) in cases {
        let policy = format!(r#"{{"key": [{{"numeric": {operand}}}]}}"#);
        assert_eq!(reason(&policy, ATTRS), expected, "{operand}");
    }
}

#[test]
fn numeric_errors_beyond_the_recordings() {
    let cases = [
        (r#""5""#, "Value of numeric must be an array."),
        ("[true]", "Invalid member in numeric match: true"),
        (r#"["=", 1, 2]"#, "Too many elements in numeric expression"),
        (
            r#"["<=", 1, ">", 0]"#,
            "Too many elements in numeric expression",
        ),
        (r#"[">", 1, "<", 1]"#, "Bottom must be less than top"),
        (r#"[">", 1, ["<"]]"#, "Bad value in numeric range: ["),
    ];
    for (operand, expected) in cases {
        let policy = format!(r#"{{"key": [{{"numeric": {operand}}}]}}"#);
        assert_eq!(reason(&policy, ATTRS), expected, "{operand}");
    }
}

#[test]
fn numeric_forms_are_accepted() {
    for operand in [
        r#"["=", 5]"#,
        r#"["<", 0]"#,
        r#"["<=", 1.5]"#,
        r#"[">", 0, "<=", 5]"#,
        r#"[">=", -1, "<", 1e3]"#,
    ] {
        let policy = format!(r#"{{"key": [{{"numeric": {operand}}}]}}"#);
        assert!(FilterPolicy::parse(&policy, ATTRS).is_ok(), "{operand}");
    }
}

#[test]
fn anything_but_nested_operators_match_aws_recordings() {
    // AWS-recorded: only a prefix may be nested in anything-but.
    let cases = [
        (
            r#"{"wrong-operator": null}"#,
            "Unsupported anything-but pattern: wrong-operator",
        ),
        (
            r#"{"suffix": "test"}"#,
            "Unsupported anything-but pattern: suffix",
        ),
        (
            r#"{"exists": false}"#,
            "Unsupported anything-but pattern: exists",
        ),
        (
            r#"{"prefix": false}"#,
            "prefix match pattern must be a string",
        ),
    ];
    for (operand, expected) in cases {
        let policy = format!(r#"{{"key": [{{"anything-but": {operand}}}]}}"#);
        assert_eq!(reason(&policy, ATTRS), expected, "{operand}");
    }
    // AWS-recorded: these are accepted.
    for operand in [
        r#"{"prefix": "test-"}"#,
        r#"["test", "test2"]"#,
        r#""test""#,
        "5",
        "[1, 2]",
    ] {
        let policy = format!(r#"{{"key": [{{"anything-but": {operand}}}]}}"#);
        assert!(FilterPolicy::parse(&policy, ATTRS).is_ok(), "{operand}");
    }
}

#[test]
fn anything_but_operand_faults() {
    let cases = [
        (
            "null",
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            "true",
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            "[null]",
            "Inside anything but list, start|null|boolean is not supported.",
        ),
        (
            r#"["a", 1]"#,
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        (
            "[]",
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ),
        ("{}", "Anything-But expression name not found"),
        (r#"{"prefix": ""}"#, "Null prefix not allowed"),
        (
            r#"{"prefix": "a", "suffix": "b"}"#,
            "Only one key allowed in match expression",
        ),
    ];
    for (operand, expected) in cases {
        let policy = format!(r#"{{"key": [{{"anything-but": {operand}}}]}}"#);
        assert_eq!(reason(&policy, ATTRS), expected, "{operand}");
    }
}

#[test]
fn cidr_operand_faults() {
    let cases = [
        ("5", "prefix match pattern must be a string"),
        (r#""10.0.0.0""#, "Malformed CIDR, one '/' required"),
        (r#""10.0.0.0/8/8""#, "Malformed CIDR, one '/' required"),
        (
            r#""10.0.0.0/x""#,
            "Malformed CIDR, mask bits must be an integer",
        ),
        (
            r#""10.0.0.0/-1""#,
            "Malformed CIDR, mask bits must not be negative",
        ),
        (
            r#""host.example/24""#,
            "Nonstandard IP address: host.example",
        ),
        (r#""300.0.0.0/8""#, "Invalid IP address: 300.0.0.0"),
        (r#""10.0.0.0/32""#, "IPv4 mask bits must be < 32"),
        (r#""2001:db8::/128""#, "IPv6 mask bits must be < 128"),
    ];
    for (operand, expected) in cases {
        let policy = format!(r#"{{"key": [{{"cidr": {operand}}}]}}"#);
        assert_eq!(reason(&policy, ATTRS), expected, "{operand}");
    }
}

#[test]
fn or_operand_faults() {
    let cases = [
        (
            r#"{"$or": {"a": ["x"]}}"#,
            "It must be an Array followed with $or.",
        ),
        (
            r#"{"$or": [{"a": ["x"]}, "b"]}"#,
            "Only JSON object is allowed in array of $or relationship.",
        ),
        (
            r#"{"$or": [{"a": ["x"]}]}"#,
            "There must have at least 2 Objects in $or relationship.",
        ),
        (
            r#"{"$or": [{"a": ["x"]}, {}]}"#,
            "Empty objects are not allowed",
        ),
    ];
    for (policy, expected) in cases {
        assert_eq!(reason(policy, ATTRS), expected, "{policy}");
    }
}

#[test]
fn first_fault_in_document_order_wins() {
    // Keys are compiled in the order written, not sorted.
    let policy = r#"{"z": [{"prefix": 1}], "a": [{"suffix": 1}]}"#;
    assert_eq!(
        reason(policy, ATTRS),
        "prefix match pattern must be a string"
    );
}

// ---------------------------------------------------------------------------------------
// Limits: five keys, 150 combinations
// ---------------------------------------------------------------------------------------

#[test]
fn five_keys_accepted_six_refused() {
    let five = r#"{"k1": ["a"], "k2": ["a"], "k3": ["a"], "k4": ["a"], "k5": ["a"]}"#;
    assert!(FilterPolicy::parse(five, ATTRS).is_ok());
    // AWS-recorded.
    let six = r#"{"k1": ["a"], "k2": ["a"], "k3": ["a"], "k4": ["a"], "k5": ["a"], "k6": ["a"]}"#;
    assert_eq!(
        reason(six, ATTRS),
        "Filter policy can not have more than 5 keys"
    );
    assert_eq!(
        reason(six, BODY),
        "Filter policy can not have more than 5 keys"
    );
}

#[test]
fn nested_keys_count_by_their_leaves() {
    let five =
        r#"{"a": {"b": ["x"], "c": ["x"]}, "d": {"e": {"f": ["x"]}}, "g": ["x"], "h": ["x"]}"#;
    assert!(FilterPolicy::parse(five, BODY).is_ok());
    let six = r#"{"a": {"b": ["x"], "c": ["x"], "i": ["x"]}, "d": {"e": {"f": ["x"]}}, "g": ["x"], "h": ["x"]}"#;
    assert_eq!(
        reason(six, BODY),
        "Filter policy can not have more than 5 keys"
    );
}

#[test]
fn or_alternatives_count_keys_separately() {
    let policy = r#"{"a": ["x"], "b": ["x"], "$or": [{"c": ["x"], "d": ["x"], "e": ["x"]}, {"f": ["x"], "g": ["x"]}]}"#;
    assert!(FilterPolicy::parse(policy, ATTRS).is_ok());
    let over = r#"{"a": ["x"], "b": ["x"], "$or": [{"c": ["x"], "d": ["x"], "e": ["x"], "h": ["x"]}, {"f": ["x"]}]}"#;
    assert_eq!(
        reason(over, ATTRS),
        "Filter policy can not have more than 5 keys"
    );
}

#[test]
fn one_key_with_150_values_accepted_151_refused() {
    assert!(FilterPolicy::parse(&values_policy("key", 150), ATTRS).is_ok());
    // AWS-recorded.
    assert_eq!(
        reason(&values_policy("key", 151), ATTRS),
        "Filter policy is too complex"
    );
}

#[test]
fn combinations_multiply_across_keys() {
    // 10 x 15 = 150 passes; 10 x 16 = 160 does not.
    let at = r#"{"a": [1,2,3,4,5,6,7,8,9,10], "b": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}"#;
    assert!(FilterPolicy::parse(at, ATTRS).is_ok());
    let over = r#"{"a": [1,2,3,4,5,6,7,8,9,10], "b": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}"#;
    assert_eq!(reason(over, ATTRS), "Filter policy is too complex");
    // AWS-recorded: 100 x 51.
    let values = |n: usize| {
        (0..n)
            .map(|i| format!("\"v{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let recorded = format!(r#"{{"key1": [{}], "key2": [{}]}}"#, values(100), values(51));
    assert_eq!(reason(&recorded, ATTRS), "Filter policy is too complex");
}

#[test]
fn or_combinations_sum_at_150_and_over() {
    // AWS-recorded: 3x6 + 3x4x4 + 3x4x7 = 150 is accepted.
    let at = r#"{"source": ["a", "b", "c"], "$or": [
        {"metricName": ["a", "b", "c", "d", "e", "f"]},
        {"metricType": ["a", "b", "c", "d"], "$or": [{"metricId": [1, 2, 3, 4]}, {"spaceId": [1, 2, 3, 4, 5, 6, 7]}]}]}"#;
    assert!(FilterPolicy::parse(at, ATTRS).is_ok());
    // AWS-recorded: 4x6 + 4x4x4 + 4x4x4 = 152 is refused.
    let over = r#"{"source": ["a", "b", "c", "d"], "$or": [
        {"metricName": ["a", "b", "c", "d", "e", "f"]},
        {"metricType": ["a", "b", "c", "d"], "$or": [{"metricId": [1, 2, 3, 4]}, {"spaceId": [1, 2, 3, 4]}]}]}"#;
    assert_eq!(reason(over, ATTRS), "Filter policy is too complex");
}

#[test]
fn nesting_depth_multiplies_combinations() {
    // AWS-recorded: (4 x 3) x (3 x 2) x (3 x 1) = 216 is refused, though 4 x 3 x 3 = 36.
    let recorded = r#"{"key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}},
        "key_d": {"key_e": ["v1", "v2", "v3"]}, "key_f": ["v1", "v2", "v3"]}"#;
    assert_eq!(reason(recorded, BODY), "Filter policy is too complex");
    // The documented example: (4 x 3) x (3 x 2) = 72 is accepted.
    let documented = r#"{"key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}}, "key_d": {"key_e": ["v1", "v2", "v3"]}}"#;
    assert!(FilterPolicy::parse(documented, BODY).is_ok());
}

#[test]
fn nested_or_combinations_over_limit() {
    // AWS-recorded (MessageBody): refused as too complex.
    let policy = r#"{"$or": [{"metricName": ["a", "b", "c"]}, {"namespace": ["a", "b"]}],
        "detail": {"scope": ["Service", "Test"], "$or": [{"source": ["a"]}, {"type": ["a", "b", "c"]}]}}"#;
    assert_eq!(reason(policy, BODY), "Filter policy is too complex");
}

// ---------------------------------------------------------------------------------------
// Attribute matching
// ---------------------------------------------------------------------------------------

#[test]
fn exact_string_matches_case_sensitively() {
    let policy = r#"{"customer_interests": ["rugby", "tennis"]}"#;
    assert!(passes_attributes(
        policy,
        &[("customer_interests", "String", "rugby")]
    ));
    assert!(passes_attributes(
        policy,
        &[("customer_interests", "String", "tennis")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("customer_interests", "String", "Rugby")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("customer_interests", "String", "baseball")]
    ));
}

#[test]
fn missing_attribute_fails_value_conditions() {
    let policy = r#"{"store": ["example_corp"]}"#;
    assert!(!passes_attributes(policy, &[]));
    assert!(!passes_attributes(
        policy,
        &[("other", "String", "example_corp")]
    ));
}

#[test]
fn string_array_matches_any_element() {
    // AWS-recorded.
    let policy = r#"{"store": ["value1"]}"#;
    assert!(passes_attributes(policy, &[("store", "String", "value1")]));
    assert!(passes_attributes(
        policy,
        &[("store", "String.Array", r#"["value1", "value2"]"#)]
    ));
    assert!(!passes_attributes(
        policy,
        &[("store", "String.Array", r#"["value2", "value3"]"#)]
    ));
}

#[test]
fn string_array_elements_keep_their_json_types() {
    let array = [("tags", "String.Array", r#"["a", 5, true, null, [2.5]]"#)];
    assert!(passes_attributes(r#"{"tags": [5]}"#, &array));
    assert!(passes_attributes(r#"{"tags": [true]}"#, &array));
    assert!(passes_attributes(r#"{"tags": [null]}"#, &array));
    assert!(passes_attributes(
        r#"{"tags": [{"numeric": [">", 2, "<", 3]}]}"#,
        &array
    ));
    assert!(!passes_attributes(r#"{"tags": ["5"]}"#, &array));
    assert!(!passes_attributes(r#"{"tags": ["true"]}"#, &array));
}

#[test]
fn unreadable_string_array_is_present_but_matches_no_value() {
    let broken = [("tags", "String.Array", "not json")];
    assert!(!passes_attributes(r#"{"tags": ["not json"]}"#, &broken));
    assert!(passes_attributes(
        r#"{"tags": [{"exists": true}]}"#,
        &broken
    ));
}

#[test]
fn number_attribute_numeric_range() {
    // AWS-recorded.
    let policy = r#"{"attr1": [{"numeric": [">", 0, "<=", 100]}]}"#;
    assert!(passes_attributes(policy, &[("attr1", "Number", "99")]));
    assert!(passes_attributes(policy, &[("attr1", "Number", "100")]));
    assert!(!passes_attributes(policy, &[("attr1", "Number", "111")]));
    assert!(!passes_attributes(policy, &[("attr1", "Number", "0")]));
}

#[test]
fn numeric_operators_at_their_bounds() {
    let cases = [
        (r#"["<", 0]"#, "-0.5", true),
        (r#"["<", 0]"#, "0", false),
        (r#"["<=", 0]"#, "0", true),
        (r#"[">=", 10]"#, "10", true),
        (r#"[">", 10]"#, "10", false),
        (r#"[">=", 1, "<", 2]"#, "2", false),
        (r#"["=", 301.5]"#, "3.015e2", true),
        (r#"["=", 301.5]"#, "301.6", false),
    ];
    for (operand, value, expected) in cases {
        let policy = format!(r#"{{"price": [{{"numeric": {operand}}}]}}"#);
        assert_eq!(
            passes_attributes(&policy, &[("price", "Number", value)]),
            expected,
            "{operand} {value}"
        );
    }
}

#[test]
fn exact_number_matches_number_attribute_numerically() {
    let policy = r#"{"price_usd": [301.5]}"#;
    assert!(passes_attributes(
        policy,
        &[("price_usd", "Number", "3.015e2")]
    ));
    assert!(passes_attributes(
        policy,
        &[("price_usd", "Number", "301.50")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("price_usd", "Number", "301")]
    ));
}

#[test]
fn numbers_compare_to_five_decimal_places() {
    let policy = r#"{"x": [1]}"#;
    assert!(passes_attributes(policy, &[("x", "Number", "1.000001")]));
    assert!(!passes_attributes(policy, &[("x", "Number", "1.00001")]));
}

#[test]
fn matching_is_type_aware_between_strings_and_numbers() {
    assert!(!passes_attributes(
        r#"{"x": ["99"]}"#,
        &[("x", "Number", "99")]
    ));
    assert!(!passes_attributes(
        r#"{"x": [99]}"#,
        &[("x", "String", "99")]
    ));
    assert!(!passes_attributes(
        r#"{"x": [{"numeric": ["=", 99]}]}"#,
        &[("x", "String", "99")]
    ));
    assert!(!passes_attributes(
        r#"{"x": [{"prefix": "9"}]}"#,
        &[("x", "Number", "99")]
    ));
}

#[test]
fn custom_labels_use_the_base_type() {
    assert!(passes_attributes(
        r#"{"x": [{"numeric": [">", 1]}]}"#,
        &[("x", "Number.float", "1.5")]
    ));
    assert!(passes_attributes(
        r#"{"x": ["abc"]}"#,
        &[("x", "String.custom", "abc")]
    ));
}

#[test]
fn binary_attributes_are_ignored() {
    let mut binary = BTreeMap::new();
    binary.insert(
        "blob".to_owned(),
        MessageAttribute {
            data_type: "Binary".to_owned(),
            value: AttributeValue::Bytes(b"abc".to_vec()),
        },
    );
    assert!(!parse(r#"{"blob": [{"exists": true}]}"#, ATTRS).matches_attributes(&binary));
    assert!(parse(r#"{"blob": [{"exists": false}]}"#, ATTRS).matches_attributes(&binary));
    assert!(!parse(r#"{"blob": [{"anything-but": "x"}]}"#, ATTRS).matches_attributes(&binary));
    assert!(!parse(r#"{"blob": ["abc"]}"#, ATTRS).matches_attributes(&binary));
}

#[test]
fn prefix_suffix_and_equals_ignore_case_on_attributes() {
    assert!(passes_attributes(
        r#"{"c": [{"prefix": "bas"}]}"#,
        &[("c", "String", "baseball")]
    ));
    assert!(!passes_attributes(
        r#"{"c": [{"prefix": "bas"}]}"#,
        &[("c", "String", "rugby")]
    ));
    assert!(passes_attributes(
        r#"{"c": [{"suffix": "ball"}]}"#,
        &[("c", "String", "baseball")]
    ));
    assert!(!passes_attributes(
        r#"{"c": [{"suffix": "ball"}]}"#,
        &[("c", "String", "ballet")]
    ));
    assert!(passes_attributes(
        r#"{"c": [{"equals-ignore-case": "RuGbY"}]}"#,
        &[("c", "String", "rugby")]
    ));
    assert!(!passes_attributes(
        r#"{"c": [{"equals-ignore-case": "rugby"}]}"#,
        &[("c", "String", "rugbyx")]
    ));
}

#[test]
fn prefix_and_suffix_apply_to_string_array_elements() {
    let array = [("c", "String.Array", r#"["rugby", "baseball"]"#)];
    assert!(passes_attributes(r#"{"c": [{"prefix": "bas"}]}"#, &array));
    assert!(!passes_attributes(r#"{"c": [{"prefix": "ten"}]}"#, &array));
}

#[test]
fn anything_but_strings_on_attributes() {
    let policy = r#"{"c": [{"anything-but": ["rugby", "tennis"]}]}"#;
    assert!(passes_attributes(policy, &[("c", "String", "baseball")]));
    assert!(!passes_attributes(policy, &[("c", "String", "rugby")]));
    assert!(!passes_attributes(policy, &[]));
}

#[test]
fn anything_but_on_string_array_requires_every_element_outside() {
    let policy = r#"{"c": [{"anything-but": ["rugby", "tennis"]}]}"#;
    assert!(passes_attributes(
        policy,
        &[("c", "String.Array", r#"["baseball", "football"]"#)]
    ));
    assert!(!passes_attributes(
        policy,
        &[("c", "String.Array", r#"["rugby", "baseball"]"#)]
    ));
    assert!(!passes_attributes(policy, &[("c", "String.Array", "[]")]));
}

#[test]
fn anything_but_numbers_on_attributes() {
    let policy = r#"{"price": [{"anything-but": [100, 500]}]}"#;
    assert!(passes_attributes(policy, &[("price", "Number", "101")]));
    assert!(passes_attributes(policy, &[("price", "Number", "100.1")]));
    assert!(!passes_attributes(policy, &[("price", "Number", "100")]));
    assert!(!passes_attributes(policy, &[("price", "Number", "1e2")]));
}

#[test]
fn anything_but_prefix_on_attributes() {
    let policy = r#"{"event": [{"anything-but": {"prefix": "order-"}}]}"#;
    assert!(passes_attributes(
        policy,
        &[("event", "String", "data-entry")]
    ));
    assert!(passes_attributes(
        policy,
        &[("event", "String", "order_number")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("event", "String", "order-cancelled")]
    ));
    assert!(!passes_attributes(policy, &[]));
}

#[test]
fn null_or_anything_but_does_not_pass_a_message_without_the_attribute() {
    // AWS-recorded: no attributes at all, nothing delivered.
    let policy = r#"{"attr1": [null, {"anything-but": "whatever"}]}"#;
    assert!(!passes_attributes(policy, &[]));
    assert!(passes_attributes(
        policy,
        &[("attr1", "String", "something")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("attr1", "String", "whatever")]
    ));
}

#[test]
fn exists_true_and_false_on_attributes() {
    // AWS-recorded.
    let exists = r#"{"store": [{"exists": true}]}"#;
    assert!(passes_attributes(
        exists,
        &[("store", "Number", "99"), ("def", "Number", "99")]
    ));
    assert!(!passes_attributes(exists, &[("attr1", "Number", "111")]));
    let absent = r#"{"store": [{"exists": false}]}"#;
    assert!(passes_attributes(absent, &[("def", "Number", "99")]));
    assert!(!passes_attributes(
        absent,
        &[("store", "Number", "99"), ("def", "Number", "99")]
    ));
}

#[test]
fn keys_combine_with_and() {
    let policy = r#"{"store": ["example_corp"], "event": ["order_placed"]}"#;
    assert!(passes_attributes(
        policy,
        &[
            ("store", "String", "example_corp"),
            ("event", "String", "order_placed")
        ]
    ));
    assert!(!passes_attributes(
        policy,
        &[
            ("store", "String", "example_corp"),
            ("event", "String", "order_failed")
        ]
    ));
    assert!(!passes_attributes(
        policy,
        &[("store", "String", "example_corp")]
    ));
}

#[test]
fn top_level_or_on_attributes() {
    let policy = r#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}"#;
    let source = ("source", "String", "aws.cloudwatch");
    assert!(passes_attributes(
        policy,
        &[source, ("metricName", "String", "CPUUtilization")]
    ));
    assert!(passes_attributes(
        policy,
        &[source, ("namespace", "String", "AWS/EC2")]
    ));
    assert!(!passes_attributes(
        policy,
        &[source, ("namespace", "String", "AWS/ES")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("metricName", "String", "CPUUtilization")]
    ));
}

#[test]
fn cidr_on_attributes() {
    let policy = r#"{"source_ip": [{"cidr": "10.0.0.0/24"}]}"#;
    assert!(passes_attributes(
        policy,
        &[("source_ip", "String", "10.0.0.0")]
    ));
    assert!(passes_attributes(
        policy,
        &[("source_ip", "String", "10.0.0.255")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("source_ip", "String", "10.1.1.0")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("source_ip", "String", "not an ip")]
    ));
}

#[test]
fn cidr_range_starts_at_the_address_as_written() {
    // AWS's compiler does not clear host bits: 10.0.0.5/24 covers 10.0.0.5..=10.0.0.255.
    let policy = r#"{"ip": [{"cidr": "10.0.0.5/24"}]}"#;
    assert!(passes_attributes(policy, &[("ip", "String", "10.0.0.5")]));
    assert!(passes_attributes(policy, &[("ip", "String", "10.0.0.200")]));
    assert!(!passes_attributes(policy, &[("ip", "String", "10.0.0.4")]));
}

#[test]
fn cidr_ipv6_and_family_mismatch() {
    let policy = r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#;
    assert!(passes_attributes(
        policy,
        &[("ip", "String", "2001:db8:ffff::1")]
    ));
    assert!(!passes_attributes(
        policy,
        &[("ip", "String", "2001:db9::1")]
    ));
    assert!(!passes_attributes(policy, &[("ip", "String", "10.0.0.1")]));
}

#[test]
fn ip_literal_matches_other_spellings_of_the_address() {
    assert!(passes_attributes(
        r#"{"ip": ["::1"]}"#,
        &[("ip", "String", "0:0:0:0:0:0:0:1")]
    ));
    assert!(passes_attributes(
        r#"{"ip": ["10.0.0.1"]}"#,
        &[("ip", "String", "10.0.0.1")]
    ));
    assert!(!passes_attributes(
        r#"{"ip": ["10.0.0.1"]}"#,
        &[("ip", "String", "10.0.0.2")]
    ));
}

#[test]
fn repeated_key_keeps_its_last_conditions() {
    let policy = r#"{"a": ["first"], "a": ["second"]}"#;
    assert!(passes_attributes(policy, &[("a", "String", "second")]));
    assert!(!passes_attributes(policy, &[("a", "String", "first")]));
}

// ---------------------------------------------------------------------------------------
// Body matching
// ---------------------------------------------------------------------------------------

#[test]
fn body_nested_prefix_exact_and_absence() {
    // AWS-recorded, every message.
    let policy = r#"{"object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": false}]},
        "test": [{"exists": false}]}"#;
    for body in [
        r#"{"object": {"key": "auto-test"}}"#,
        r#"{"object": {"key": "hardcodedvalue"}}"#,
    ] {
        assert!(passes_body(policy, body), "{body}");
    }
    for body in [
        r#"{"object": {"key": "test-auto"}}"#,
        r#"{"object": {"key": "auto-test"}, "test": "just-exists"}"#,
        r#"{"object": {"key": "auto-test", "nested_key": "just-exists"}}"#,
        r#"{"object": {"test": "auto-test"}}"#,
        r#"{"test": "auto-test"}"#,
    ] {
        assert!(!passes_body(policy, body), "{body}");
    }
}

#[test]
fn body_that_is_not_a_json_object_never_matches() {
    // AWS-recorded: plain text and a JSON-encoded string.
    let policy = r#"{"a": [{"exists": false}]}"#;
    for body in [
        "Regular string message",
        r#""Regular string message""#,
        "[1]",
        "",
        "{",
    ] {
        assert!(!passes_body(policy, body), "{body:?}");
    }
    assert!(passes_body(policy, "{}"));
}

#[test]
fn body_dotted_keys_match_nested_and_flat_properties() {
    // AWS-recorded.
    let policy = r#"{"object.nested": ["string.value"]}"#;
    assert!(passes_body(
        policy,
        r#"{"object": {"nested": "string.value"}}"#
    ));
    assert!(passes_body(policy, r#"{"object.nested": "string.value"}"#));
    assert!(!passes_body(
        policy,
        r#"{"object": {"nested": "test-auto"}}"#
    ));
}

#[test]
fn body_deep_dotted_keys_match_every_split() {
    // AWS-recorded.
    let policy = r#"{"object.nested.test": ["string.value"]}"#;
    for body in [
        r#"{"object": {"nested": {"test": "string.value"}}}"#,
        r#"{"object.nested.test": "string.value"}"#,
        r#"{"object.nested": {"test": "string.value"}}"#,
        r#"{"object": {"nested.test": "string.value"}}"#,
    ] {
        assert!(passes_body(policy, body), "{body}");
    }
    assert!(!passes_body(
        policy,
        r#"{"object": {"nested": {"test": "string.notvalue"}}}"#
    ));
}

#[test]
fn body_array_of_strings_matches_any_element() {
    // AWS-recorded.
    let policy = r#"{"headers": {"route-to": ["queue1"]}}"#;
    assert!(!passes_body(
        policy,
        r#"{"headers": {"route-to": ["queue3"]}}"#
    ));
    assert!(passes_body(
        policy,
        r#"{"headers": {"route-to": ["queue1"]}}"#
    ));
    assert!(!passes_body(
        policy,
        r#"{"headers": {"route-to": ["queue2"]}}"#
    ));
    assert!(passes_body(
        policy,
        r#"{"headers": {"route-to": ["queue1", "queue2"]}}"#
    ));
}

#[test]
fn body_arrays_of_objects_match_through_any_element() {
    // AWS-recorded (stripped-down S3 events).
    let policy = r#"{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}"#;
    let event = |name: &str, key: &str| {
        format!(
            r#"{{"Records": [{{"eventName": "{name}", "s3": {{"object": {{"key": "{key}", "size": 17}}}}}}]}}"#
        )
    };
    assert!(passes_body(
        policy,
        &event("ObjectCreated:Put", "auto-insurance-2314.xml")
    ));
    assert!(!passes_body(
        policy,
        &event("ObjectRemoved:Delete", "auto-insurance-2314.xml")
    ));
    assert!(!passes_body(
        policy,
        &event("ObjectCreated:Put", "home-insurance-2314.xml")
    ));
    let multiple = r#"{"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"object": [[{"key": "auto-insurance-2314.xml"}]]}},
        {"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "home-insurance-2314.xml"}}}]}"#;
    assert!(passes_body(policy, multiple));
}

#[test]
fn body_or_at_top_and_nested() {
    let policy = r#"{"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
        "detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}"#;
    for body in [
        r#"{"metricName": "CPUUtilization", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}"#,
        r#"{"metricName": "ReadLatency", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}"#,
        r#"{"namespace": "AWS/EC2", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}"#,
        r#"{"namespace": "AWS/ES", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}"#,
        r#"{"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}"#,
    ] {
        assert!(passes_body(policy, body), "{body}");
    }
    for body in [
        r#"{"metricName": "CPUUtilization", "detail": {"scope": "aws.cloudwatch", "type": "CloudWatch Alarm State Change"}}"#,
        r#"{"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CPUUtilization"}}"#,
        r#"{"metricName": "CPUUtilization", "detail": {"type": "CloudWatch Alarm State Change"}}"#,
        r#"{"metricName": "CPUUtilization", "detail": {"scope": "Service"}}"#,
        r#"{"metricName": "CPUUtilization", "scope": "Service"}"#,
        r#"{"metricName": "AWS/EC2", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}"#,
        r#"{"namespace": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}"#,
    ] {
        assert!(!passes_body(policy, body), "{body}");
    }
}

#[test]
fn body_null_and_boolean_literals() {
    assert!(passes_body(r#"{"a": [null]}"#, r#"{"a": null}"#));
    assert!(!passes_body(r#"{"a": [null]}"#, r#"{"b": 1}"#));
    assert!(!passes_body(r#"{"a": [null]}"#, r#"{"a": "null"}"#));
    assert!(passes_body(r#"{"a": [true]}"#, r#"{"a": true}"#));
    assert!(!passes_body(r#"{"a": [true]}"#, r#"{"a": false}"#));
    assert!(!passes_body(r#"{"a": [false]}"#, r#"{"a": "false"}"#));
}

#[test]
fn body_numbers() {
    assert!(passes_body(
        r#"{"price": [{"numeric": [">", 0, "<=", 150]}]}"#,
        r#"{"price": 150}"#
    ));
    assert!(!passes_body(
        r#"{"price": [{"numeric": [">", 0, "<=", 150]}]}"#,
        r#"{"price": 150.5}"#
    ));
    assert!(passes_body(
        r#"{"price": [301.5]}"#,
        r#"{"price": 3.015e2}"#
    ));
    assert!(!passes_body(
        r#"{"price": [301.5]}"#,
        r#"{"price": "301.5"}"#
    ));
    assert!(!passes_body(
        r#"{"price": [{"numeric": [">", 0]}]}"#,
        r#"{"price": "5"}"#
    ));
}

#[test]
fn body_string_operators() {
    assert!(passes_body(
        r#"{"a": {"b": [{"suffix": ".png"}]}}"#,
        r#"{"a": {"b": "cat.png"}}"#
    ));
    assert!(!passes_body(
        r#"{"a": {"b": [{"suffix": ".png"}]}}"#,
        r#"{"a": {"b": "cat.jpg"}}"#
    ));
    assert!(passes_body(
        r#"{"a": [{"equals-ignore-case": "ALPHA"}]}"#,
        r#"{"a": "alpha"}"#
    ));
    assert!(!passes_body(r#"{"a": [{"prefix": "1"}]}"#, r#"{"a": 12}"#));
}

#[test]
fn body_anything_but_with_arrays_matches_any_outside_element() {
    let policy = r#"{"price": [{"anything-but": [100, 500]}]}"#;
    assert!(passes_body(policy, r#"{"price": 101}"#));
    assert!(!passes_body(policy, r#"{"price": 100}"#));
    assert!(passes_body(policy, r#"{"price": [100, 50]}"#));
    assert!(!passes_body(policy, r#"{"price": [100, 500]}"#));
    assert!(!passes_body(policy, r#"{"other": 1}"#));
}

#[test]
fn body_exists_sees_only_scalar_leaves() {
    let exists = r#"{"a": [{"exists": true}]}"#;
    assert!(passes_body(exists, r#"{"a": "x"}"#));
    assert!(passes_body(exists, r#"{"a": null}"#));
    assert!(passes_body(exists, r#"{"a": ["x"]}"#));
    assert!(!passes_body(exists, r#"{"a": {"b": "x"}}"#));
    assert!(!passes_body(exists, r#"{"a": []}"#));
    assert!(passes_body(r#"{"a": [{"exists": false}]}"#, r#"{"a": []}"#));
}

#[test]
fn body_exists_false_across_array_elements() {
    let policy = r#"{"items": {"flag": [{"exists": false}]}}"#;
    assert!(passes_body(policy, r#"{"items": [{"id": 1}, {"id": 2}]}"#));
    assert!(!passes_body(
        policy,
        r#"{"items": [{"id": 1}, {"id": 2, "flag": true}]}"#
    ));
}

#[test]
fn body_cidr() {
    let policy = r#"{"request": {"ip": [{"cidr": "192.168.0.0/16"}]}}"#;
    assert!(passes_body(
        policy,
        r#"{"request": {"ip": "192.168.10.1"}}"#
    ));
    assert!(!passes_body(
        policy,
        r#"{"request": {"ip": "192.169.0.1"}}"#
    ));
}

#[test]
fn body_ignores_properties_outside_the_policy() {
    let policy = r#"{"a": ["x"]}"#;
    assert!(passes_body(
        policy,
        r#"{"a": "x", "b": {"c": [1, {"d": null}]}, "e": "ignored"}"#
    ));
    assert!(!passes_body(policy, r#"{"b": {"a": "x"}}"#));
}

#[test]
fn matches_dispatches_on_scope() {
    let attributes = attributes(&[("a", "String", "x")]);
    let on_attributes = parse(r#"{"a": ["x"]}"#, ATTRS);
    assert!(on_attributes.matches(&attributes, r#"{"a": "y"}"#));
    assert!(!on_attributes.matches(&BTreeMap::new(), r#"{"a": "x"}"#));
    let on_body = parse(r#"{"a": ["x"]}"#, BODY);
    assert_eq!(on_body.scope(), BODY);
    assert!(on_body.matches(&BTreeMap::new(), r#"{"a": "x"}"#));
    assert!(!on_body.matches(&attributes, r#"{"a": "y"}"#));
}
