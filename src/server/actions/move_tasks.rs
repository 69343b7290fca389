//! StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask: DLQ redrive. The
//! engine starts each task's runner (`move_tasks::mover`) after
//! [`StartMessageMoveTaskRequest::start`] has recorded it.
//!
//! Codes and texts are SQS's as recorded on AWS (source not a DLQ, queues or tasks that do
//! not exist, one active task per source, malformed handles); [U] marks the ones not recorded.

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::Action;
use crate::rules::{MOVE_TASK_LIST_MAX, MOVE_TASK_MAX_RATE};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::move_tasks::{self, MoveTask, Status};
use crate::server::queue::{Queue, QueueKey};
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// A started task, for the engine to run.
#[derive(Debug)]
pub struct Started {
    /// The answer (`TaskHandle`).
    pub answer: Value,
    /// The task's id.
    pub id: String,
    /// Wakes the task's runner when it is cancelled.
    pub wake: CancellationToken,
}

/// A StartMessageMoveTask request, checked.
#[derive(Debug)]
struct StartRequest {
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<u32>,
}

fn parse_start(input: &Input<'_>) -> Result<StartRequest, SqsError> {
    let source_arn = input.str_req("SourceArn")?.to_string();
    let destination_arn = input
        .str_opt("DestinationArn")?
        .filter(|arn| !arn.is_empty())
        .map(str::to_string);
    let rate = match input.int_opt("MaxNumberOfMessagesPerSecond")? {
        None => None,
        Some(rate) if (1..=i64::from(MOVE_TASK_MAX_RATE)).contains(&rate) => {
            u32::try_from(rate).ok()
        }
        // [U] AWS's text for an out-of-range rate is unrecorded.
        Some(rate) => {
            return Err(SqsError::invalid_parameter_value(format!(
                "Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and {MOVE_TASK_MAX_RATE}."
            )));
        }
    };
    Ok(StartRequest {
        source_arn,
        destination_arn,
        rate,
    })
}

/// StartMessageMoveTask: a running task and its handle. Not an [`Action`]: the engine
/// starts the task's runner after [`StartMessageMoveTaskRequest::start`] has recorded it.
#[derive(Debug)]
pub struct StartMessageMoveTaskRequest {
    /// The checked parameters.
    request: StartRequest,
    /// The source queue (a dead-letter queue with no active task).
    source: QueueKey,
}

impl StartMessageMoveTaskRequest {
    /// Checks the parameters and the queues they name, as [`Action::parse`] does.
    ///
    /// # Errors
    /// A malformed ARN or rate (InvalidParameterValue); a source or destination queue that
    /// does not exist (ResourceNotFoundException, 404); a source that is no queue's
    /// dead-letter queue, a destination of the other queue type, or a source that already has
    /// an active task (InvalidParameterValue).
    pub fn parse(
        _ctx: &RequestContext,
        input: &Input<'_>,
        state: &State,
    ) -> Result<Self, SqsError> {
        let request = parse_start(input)?;
        let source = existing_queue(state, &request.source_arn, "SourceArn")?;
        let is_dead_letter_queue = state.queues().any(|queue| {
            queue
                .config()
                .redrive_policy
                .as_ref()
                .is_some_and(|policy| policy.target_arn == source.arn())
        });
        if !is_dead_letter_queue {
            return Err(SqsError::invalid_parameter_value(
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        if let Some(destination) = &request.destination_arn {
            let destination = existing_queue(state, destination, "DestinationArn")?;
            let fifo = |key: &QueueKey| state.queue(key).is_ok_and(|q| q.config().fifo);
            if fifo(&source) != fifo(&destination) {
                // [U] Unrecorded text; moving between queue types cannot keep FIFO's rules.
                return Err(SqsError::invalid_parameter_value(
                    "The source queue and the destination queue must be of the same queue type.",
                ));
            }
        }
        if state.move_tasks().has_active(&source) {
            return Err(SqsError::invalid_parameter_value(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        Ok(Self { request, source })
    }

    /// Records a running task and answers its handle.
    ///
    /// # Errors
    /// The source queue is gone (ResourceNotFoundException).
    pub fn start(self, state: &mut State, now: Now) -> Result<Started, SqsError> {
        let Self { request, source } = self;
        let Ok(queue) = state.queue_mut(&source, now) else {
            return Err(not_found("SourceArn"));
        };
        let to_move = queue.counts(now.at).visible as u64;
        // Keys grow with arrival: messages stored later get keys at or above this one.
        let horizon = queue.messages().keys().next_back().map_or(0, |key| key + 1);
        let incarnation = queue.incarnation();
        let id = state.new_message_id();
        let handle = move_tasks::encode_handle(&id, &request.source_arn);
        let wake = CancellationToken::new();
        state.move_tasks_mut().insert(MoveTask {
            id: id.clone(),
            handle: handle.clone(),
            source,
            source_incarnation: incarnation,
            destination_arn: request.destination_arn,
            rate: request.rate,
            horizon,
            to_move,
            moved: 0,
            started_ms: now.epoch_ms,
            started_at: now.at,
            status: Status::Running,
            failure_reason: None,
            wake: wake.clone(),
        });
        Ok(Started {
            answer: json!({ "TaskHandle": handle }),
            id,
            wake,
        })
    }
}

/// ListMessageMoveTasks: the source's most recent tasks (`MaxResults`, default 1, up to 10).
#[derive(Debug)]
pub struct ListMessageMoveTasksRequest {
    /// The source queue.
    source: QueueKey,
    /// MaxResults.
    max: usize,
}

impl Action for ListMessageMoveTasksRequest {
    type Output = Value;

    /// # Errors
    /// A malformed ARN or MaxResults (InvalidParameterValue), a source that does not exist
    /// (ResourceNotFoundException).
    fn parse(_ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let source_arn = input.str_req("SourceArn")?;
        let max = match input.int_opt("MaxResults")? {
            None => 1,
            Some(max) if (1..=i64::from(MOVE_TASK_LIST_MAX)).contains(&max) => {
                usize::try_from(max).unwrap_or(1)
            }
            // [U] AWS's text for an out-of-range MaxResults is unrecorded.
            Some(max) => {
                return Err(SqsError::invalid_parameter_value(format!(
                    "Value {max} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and {MOVE_TASK_LIST_MAX}."
                )));
            }
        };
        let source = existing_queue(state, source_arn, "SourceArn")?;
        Ok(Self { source, max })
    }

    fn apply(self, state: &mut State, _now: Now) -> Result<Value, SqsError> {
        let incarnation = state.queue(&self.source).map_or(0, Queue::incarnation);
        let results: Vec<Value> = state
            .move_tasks()
            .recent(&self.source, incarnation, self.max)
            .into_iter()
            .map(MoveTask::entry)
            .collect();
        Ok(json!({ "Results": results }))
    }
}

/// CancelMessageMoveTask: a running task stops before its next message (CANCELLING, then
/// CANCELLED); answers how many messages it had moved.
#[derive(Debug)]
pub struct CancelMessageMoveTaskRequest {
    /// The handle, as given.
    handle: String,
    /// The task id the handle names.
    task_id: String,
    /// The source queue the handle names.
    source: QueueKey,
}

impl Action for CancelMessageMoveTaskRequest {
    type Output = Value;

    /// # Errors
    /// A malformed handle (InvalidParameterValue), a handle whose queue does not exist
    /// (ResourceNotFoundException).
    fn parse(_ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let handle = input.str_req("TaskHandle")?;
        let Some((task_id, source_arn)) = move_tasks::decode_handle(handle) else {
            return Err(SqsError::invalid_parameter_value(
                "Value for parameter TaskHandle is invalid.",
            ));
        };
        let source = QueueKey::from_arn(&source_arn)
            .filter(|key| state.queue(key).is_ok())
            .ok_or_else(|| not_found("SourceArn"))?;
        Ok(Self {
            handle: handle.to_string(),
            task_id,
            source,
        })
    }

    /// # Errors
    /// A task that does not exist (ResourceNotFoundException) or has already ended
    /// (InvalidParameterValue).
    fn apply(self, state: &mut State, _now: Now) -> Result<Value, SqsError> {
        let task = state
            .move_tasks_mut()
            .get_mut(&self.task_id)
            .filter(|task| task.source == self.source)
            .ok_or_else(|| SqsError::resource_not_found("Task does not exist."))?;
        if task.status != Status::Running {
            // [U] Unrecorded: what SQS answers for a task that has already ended.
            return Err(SqsError::invalid_parameter_value(format!(
                "Value {} for parameter TaskHandle is invalid. Reason: Only active tasks can be cancelled.",
                self.handle
            )));
        }
        task.status = Status::Cancelling;
        task.wake.cancel();
        Ok(json!({ "ApproximateNumberOfMessagesMoved": task.moved }))
    }
}

/// The queue an ARN parameter names.
///
/// # Errors
/// Not an ARN at all: InvalidParameterValue; no such queue: ResourceNotFoundException.
fn existing_queue(state: &State, arn: &str, parameter: &str) -> Result<QueueKey, SqsError> {
    if !looks_like_arn(arn) {
        // [U] LocalStack's text; AWS's is unrecorded.
        return Err(SqsError::invalid_parameter_value(format!(
            "You must use this format to specify the {parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>"
        )));
    }
    QueueKey::from_arn(arn)
        .filter(|key| state.queue(key).is_ok())
        .ok_or_else(|| not_found(parameter))
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, nothing empty but the region.
fn looks_like_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}

fn not_found(parameter: &str) -> SqsError {
    SqsError::resource_not_found(format!(
        "The resource that you specified for the {parameter} parameter doesn't exist."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_recognised() {
        assert!(looks_like_arn("arn:aws:sqs:us-east-1:000000000000:dlq"));
        assert!(looks_like_arn("arn:aws:sns:us-east-1:000000000000:topic"));
        assert!(!looks_like_arn("dlq"));
        assert!(!looks_like_arn("arn:aws:sqs:us-east-1:000000000000"));
        assert!(!looks_like_arn("arn:aws:sqs:us-east-1:000000000000:"));
    }

    #[test]
    fn rates_and_arns_are_checked_before_anything_else() {
        let input = json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
                           "MaxNumberOfMessagesPerSecond": 501});
        let error = parse_start(&Input::new(&input)).unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
        assert!(error.message.contains("between 1 and 500"), "{error}");
        let input = json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
                           "MaxNumberOfMessagesPerSecond": 0});
        assert!(parse_start(&Input::new(&input)).is_err());
        let error = parse_start(&Input::new(&json!({}))).unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        let input = json!({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
                           "MaxNumberOfMessagesPerSecond": 500, "DestinationArn": ""});
        let request = parse_start(&Input::new(&input)).unwrap();
        assert_eq!(request.rate, Some(500));
        assert_eq!(request.destination_arn, None);
    }
}
