//! AddPermission and RemovePermission, kept in the queue's `Policy` attribute as SQS writes
//! it (recorded on AWS): `{"Version":"2008-10-17","Id":"<queue ARN>/SQSDefaultPolicy",
//! "Statement":[…]}`, one statement per label (`Sid`), account principals as
//! `arn:aws:iam::<id>:root`, actions as `SQS:<Action>` (a string when there is one, else a
//! list), the queue ARN as `Resource`. Removing the last statement removes the attribute.
//! The policy is stored, not enforced (the server has one account).

use serde::Serialize;
use serde_json::{Value, json};

use super::Action;
use crate::rules::MAX_PERMISSION_ACTIONS;
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// The policy language version SQS writes (recorded on AWS in 2023).
pub const POLICY_VERSION: &str = "2008-10-17";

/// Actions a permission may grant (the batch actions come with their single forms).
const GRANTABLE: &[&str] = &[
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
];

/// Actions only the queue's owner may call, so they cannot be granted.
const OWNER_ONLY: &[&str] = &[
    "AddPermission",
    "RemovePermission",
    "SetQueueAttributes",
    "CreateQueue",
    "DeleteQueue",
    "ListQueues",
    "ListQueueTags",
    "TagQueue",
    "UntagQueue",
    "StartMessageMoveTask",
    "CancelMessageMoveTask",
    "ListMessageMoveTasks",
];

/// One statement as AddPermission writes it (fields in SQS's order).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    sid: String,
    effect: &'static str,
    principal: Principal,
    action: Value,
    resource: String,
}

#[derive(Debug, Serialize)]
struct Principal {
    #[serde(rename = "AWS")]
    aws: Value,
}

/// A checked AddPermission request.
#[derive(Debug)]
struct AddRequest {
    label: String,
    accounts: Vec<String>,
    actions: Vec<String>,
}

/// One string, or a list when there are several (as SQS writes principals and actions).
fn one_or_many(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        json!(items.remove(0))
    } else {
        json!(items)
    }
}

/// A permission label: 1–80 letters, digits, hyphens and underscores.
fn check_label(label: &str) -> Result<(), SqsError> {
    let valid = !label.is_empty()
        && label.len() <= 80
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        // [U] AWS's text is unrecorded.
        Err(SqsError::invalid_parameter_value(format!(
            "Value {label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."
        )))
    }
}

fn parse_add(input: &Input<'_>) -> Result<AddRequest, SqsError> {
    let label = input.str_req("Label")?.to_string();
    check_label(&label)?;
    let accounts: Vec<String> = input
        .str_list("AWSAccountIds")?
        .into_iter()
        .filter(|id| !id.is_empty())
        .collect();
    let actions: Vec<String> = input
        .str_list("Actions")?
        .into_iter()
        .filter(|action| !action.is_empty())
        .collect();
    if accounts.is_empty() {
        return Err(SqsError::invalid_parameter_value(
            "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.",
        ));
    }
    if let Some(bad) = accounts
        .iter()
        .find(|id| id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()))
    {
        // [U] The wording for a malformed id is assumed to be the empty list's.
        return Err(SqsError::invalid_parameter_value(format!(
            "Value {bad} for parameter PrincipalId is invalid. Reason: Unable to verify."
        )));
    }
    if actions.is_empty() {
        return Err(SqsError::missing_parameter("Actions"));
    }
    if actions.len() > MAX_PERMISSION_ACTIONS {
        return Err(SqsError::over_limit(format!(
            "{} Actions were found, maximum allowed is {MAX_PERMISSION_ACTIONS}.",
            actions.len()
        )));
    }
    for action in &actions {
        if OWNER_ONLY.contains(&action.as_str()) {
            return Err(SqsError::invalid_parameter_value(format!(
                "Value SQS:{action} for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action."
            )));
        }
        if !GRANTABLE.contains(&action.as_str()) {
            return Err(SqsError::invalid_parameter_value(format!(
                "Value SQS:{action} for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. "
            )));
        }
    }
    Ok(AddRequest {
        label,
        accounts,
        actions,
    })
}

/// The statements of a stored policy; `None` when it is not a JSON object (a policy set by
/// SetQueueAttributes is stored as sent).
fn statements(policy: &str) -> Option<(Value, Vec<Value>)> {
    let mut document: Value = serde_json::from_str(policy).ok()?;
    let object = document.as_object_mut()?;
    let statements = match object.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(single @ Value::Object(_)) => vec![single],
        Some(_) => return None,
    };
    Some((document, statements))
}

fn has_label(statements: &[Value], label: &str) -> bool {
    statements
        .iter()
        .any(|statement| statement.get("Sid").and_then(Value::as_str) == Some(label))
}

/// The policy text: our own documents keep SQS's member order (Version, Id, Statement).
fn render(document: &Value, statements: &[Value], queue_arn: &str) -> String {
    let ours = document.get("Version").and_then(Value::as_str) == Some(POLICY_VERSION)
        && document.get("Id").and_then(Value::as_str)
            == Some(format!("{queue_arn}/SQSDefaultPolicy").as_str())
        && document.as_object().is_some_and(|o| o.len() == 2);
    let statements = statements
        .iter()
        .map(statement_text)
        .collect::<Vec<_>>()
        .join(",");
    if ours {
        format!(
            r#"{{"Version":{},"Id":{},"Statement":[{statements}]}}"#,
            json!(POLICY_VERSION),
            json!(format!("{queue_arn}/SQSDefaultPolicy"))
        )
    } else {
        let mut text = document.to_string();
        text.pop();
        let comma = if text.len() > 1 { "," } else { "" };
        format!(r#"{text}{comma}"Statement":[{statements}]}}"#)
    }
}

/// A statement's text, in AddPermission's member order when it has exactly those members.
fn statement_text(statement: &Value) -> String {
    let ordered = ["Sid", "Effect", "Principal", "Action", "Resource"];
    match statement.as_object() {
        Some(members)
            if members.len() == ordered.len()
                && ordered.iter().all(|name| members.contains_key(*name)) =>
        {
            let fields = ordered
                .iter()
                .map(|name| format!("{}:{}", json!(name), members[*name]))
                .collect::<Vec<_>>()
                .join(",");
            format!("{{{fields}}}")
        }
        _ => statement.to_string(),
    }
}

/// AddPermission.
#[derive(Debug)]
pub struct AddPermissionRequest {
    /// The queue.
    key: QueueKey,
    /// The checked label, accounts and actions.
    add: AddRequest,
}

impl Action for AddPermissionRequest {
    type Output = Value;

    /// # Errors
    /// A bad label, account or action list (InvalidParameterValue, MissingParameter,
    /// OverLimit); QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let add = parse_add(input)?;
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key, add })
    }

    /// # Errors
    /// A label already in the policy.
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let request = self.add;
        let queue = state.queue_mut(&self.key, now)?;
        let arn = queue.key().arn();
        let (document, mut statements) = queue
            .config()
            .policy
            .as_deref()
            .and_then(statements)
            .unwrap_or_else(|| {
                (
                    json!({"Version": POLICY_VERSION, "Id": format!("{arn}/SQSDefaultPolicy")}),
                    Vec::new(),
                )
            });
        if has_label(&statements, &request.label) {
            return Err(SqsError::invalid_parameter_value(format!(
                "Value {} for parameter Label is invalid. Reason: Already exists.",
                request.label
            )));
        }
        let statement = Statement {
            sid: request.label,
            effect: "Allow",
            principal: Principal {
                aws: one_or_many(
                    request
                        .accounts
                        .iter()
                        .map(|id| format!("arn:aws:iam::{id}:root"))
                        .collect(),
                ),
            },
            action: one_or_many(
                request
                    .actions
                    .iter()
                    .map(|action| format!("SQS:{action}"))
                    .collect(),
            ),
            resource: arn.clone(),
        };
        statements.push(serde_json::to_value(&statement).unwrap_or(Value::Null));
        queue.set_policy(Some(render(&document, &statements, &arn)));
        Ok(json!({}))
    }
}

/// RemovePermission.
#[derive(Debug)]
pub struct RemovePermissionRequest {
    /// The queue.
    key: QueueKey,
    /// The statement's label (`Sid`).
    label: String,
}

impl Action for RemovePermissionRequest {
    type Output = Value;

    /// # Errors
    /// No Label (MissingParameter), QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let label = input.str_req("Label")?.to_string();
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key, label })
    }

    /// # Errors
    /// A label not in the policy (InvalidParameterValue).
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let label = self.label.as_str();
        let queue = state.queue_mut(&self.key, now)?;
        let arn = queue.key().arn();
        let found = queue
            .config()
            .policy
            .as_deref()
            .and_then(statements)
            .filter(|(_, statements)| has_label(statements, label));
        let Some((document, mut statements)) = found else {
            return Err(SqsError::invalid_parameter_value(format!(
                "Value {label} for parameter Label is invalid. Reason: can't find label."
            )));
        };
        statements.retain(|statement| statement.get("Sid").and_then(Value::as_str) != Some(label));
        queue.set_policy(if statements.is_empty() {
            None
        } else {
            Some(render(&document, &statements, &arn))
        });
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:sqs:us-east-1:000000000000:q";

    fn statement(sid: &str) -> Value {
        serde_json::to_value(Statement {
            sid: sid.into(),
            effect: "Allow",
            principal: Principal {
                aws: one_or_many(vec!["arn:aws:iam::111111111111:root".into()]),
            },
            action: one_or_many(vec!["SQS:SendMessage".into(), "SQS:ReceiveMessage".into()]),
            resource: ARN.into(),
        })
        .unwrap()
    }

    #[test]
    fn a_new_policy_is_written_in_sqs_order() {
        let document = json!({"Version": POLICY_VERSION, "Id": format!("{ARN}/SQSDefaultPolicy")});
        let text = render(&document, &[statement("l1")], ARN);
        assert_eq!(
            text,
            r#"{"Version":"2008-10-17","Id":"arn:aws:sqs:us-east-1:000000000000:q/SQSDefaultPolicy","Statement":[{"Sid":"l1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["SQS:SendMessage","SQS:ReceiveMessage"],"Resource":"arn:aws:sqs:us-east-1:000000000000:q"}]}"#
        );
        let (again, statements) = super::statements(&text).unwrap();
        assert_eq!(
            render(&again, &statements, ARN),
            text,
            "stable through a round trip"
        );
    }

    #[test]
    fn a_policy_set_by_hand_keeps_its_other_members() {
        let (document, statements) = super::statements(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"x","Effect":"Deny"}}"#,
        )
        .unwrap();
        assert_eq!(statements.len(), 1);
        let text = render(&document, &statements, ARN);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["Version"], "2012-10-17");
        assert_eq!(parsed["Statement"][0]["Sid"], "x");
        assert!(super::statements("not json").is_none());
    }

    #[test]
    fn requests_are_checked_as_sqs_does() {
        let check = |input: Value| parse_add(&Input::new(&input)).map(|r| r.actions);
        let base = |actions: Value| json!({"Label": "l", "AWSAccountIds": ["111111111111"], "Actions": actions});
        assert!(check(base(json!(["SendMessage", "*"]))).is_ok());
        let error = check(base(json!(["RemovePermission"]))).unwrap_err();
        assert!(error.message.contains("Only the queue owner"), "{error}");
        let error = check(base(json!(["Fly"]))).unwrap_err();
        assert!(
            error
                .message
                .starts_with("Value SQS:Fly for parameter ActionName"),
            "{error}"
        );
        let error = check(base(json!([]))).unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        let eight = json!(vec!["SendMessage"; 8]);
        let error = check(base(eight)).unwrap_err();
        assert_eq!((error.code, error.status), ("OverLimit", 403));
        assert_eq!(error.message, "8 Actions were found, maximum allowed is 7.");
        let error = check(json!({"Label": "l", "AWSAccountIds": [], "Actions": ["SendMessage"]}))
            .unwrap_err();
        assert!(error.message.contains("PrincipalId"), "{error}");
        let error = check(
            json!({"Label": "bad label", "AWSAccountIds": ["111111111111"],
                                 "Actions": ["SendMessage"]}),
        )
        .unwrap_err();
        assert!(error.message.contains("parameter Label"), "{error}");
        let error = check(json!({"AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]}))
            .unwrap_err();
        assert_eq!(error.code, "MissingParameter");
    }
}
