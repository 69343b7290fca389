//! The SQS actions the engine serves, one file per concern, and the only `match` over action
//! names. Each action has mini-redis's shape: a typed request that [`Action::parse`] builds
//! from the input (every parameter checked, the queue resolved), then [`Action::apply`] runs
//! against the state. ReceiveMessage and StartMessageMoveTask are absent here: the engine
//! runs them (it parses a [`receive::ReceiveMessageRequest`] once and attempts it until it
//! answers; it starts the runner of a [`move_tasks::StartMessageMoveTaskRequest`]).

pub mod batch;
pub mod delete;
pub mod move_tasks;
pub mod permissions;
pub mod queue_attributes;
pub mod queues;
pub mod receive;
pub mod send;
pub mod tags;
pub mod visibility;

use super::answer::Answer;
use super::engine::RequestContext;
use super::error::SqsError;
use super::store::{Now, State};
use super::validate::Input;

/// One synchronous action's request: parsed, then applied, both under the state lock.
///
/// The rule for the queues a request names: `parse` resolves them (so QueueDoesNotExist comes
/// before the checks that need a queue's settings, in the order SQS answers) and may read
/// the state for its checks, but never changes it; `apply` changes the state and answers the
/// errors that depend on what it finds there (a stale receipt handle, a purge too soon, an
/// existing queue with other attributes).
pub trait Action: Sized {
    /// What [`Action::apply`] answers: a JSON-protocol-shaped value, or a typed answer on the
    /// hot actions (see `answer.rs`).
    type Output: Into<Answer>;

    /// Checks every parameter of `input` and resolves the queue it names.
    ///
    /// # Errors
    /// The first invalid parameter, or a queue that does not exist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError>;

    /// Applies the request to the state and answers it.
    ///
    /// # Errors
    /// What only the state can decide.
    fn apply(self, state: &mut State, now: Now) -> Result<Self::Output, SqsError>;
}

/// A synchronous action, found by name.
type Run = fn(&mut State, &RequestContext, &Input<'_>, Now) -> Result<Answer, SqsError>;

/// Parses action `A`'s request, then applies it: the one place every synchronous action runs.
fn run<A: Action>(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Answer, SqsError> {
    A::parse(ctx, input, state)?
        .apply(state, now)
        .map(Into::into)
}

/// Whether the server serves an action called `name`, those the engine runs itself
/// (ReceiveMessage, StartMessageMoveTask) included.
#[must_use]
pub fn exists(name: &str) -> bool {
    matches!(name, "ReceiveMessage" | "StartMessageMoveTask") || find(name).is_some()
}

/// The synchronous action called `name`, if we serve it.
#[must_use]
pub fn find(name: &str) -> Option<Run> {
    let run: Run = match name {
        "CreateQueue" => run::<queues::CreateQueueRequest>,
        "GetQueueUrl" => run::<queues::GetQueueUrlRequest>,
        "ListQueues" => run::<queues::ListQueuesRequest>,
        "DeleteQueue" => run::<queues::DeleteQueueRequest>,
        "PurgeQueue" => run::<queues::PurgeQueueRequest>,
        "GetQueueAttributes" => run::<queue_attributes::GetQueueAttributesRequest>,
        "SetQueueAttributes" => run::<queue_attributes::SetQueueAttributesRequest>,
        "ListDeadLetterSourceQueues" => run::<queue_attributes::ListDeadLetterSourceQueuesRequest>,
        "SendMessage" => run::<send::SendMessageRequest>,
        "SendMessageBatch" => run::<send::SendMessageBatchRequest>,
        "DeleteMessage" => run::<delete::DeleteMessageRequest>,
        "DeleteMessageBatch" => run::<delete::DeleteMessageBatchRequest>,
        "ChangeMessageVisibility" => run::<visibility::ChangeMessageVisibilityRequest>,
        "ChangeMessageVisibilityBatch" => run::<visibility::ChangeMessageVisibilityBatchRequest>,
        "TagQueue" => run::<tags::TagQueueRequest>,
        "UntagQueue" => run::<tags::UntagQueueRequest>,
        "ListQueueTags" => run::<tags::ListQueueTagsRequest>,
        "AddPermission" => run::<permissions::AddPermissionRequest>,
        "RemovePermission" => run::<permissions::RemovePermissionRequest>,
        "ListMessageMoveTasks" => run::<move_tasks::ListMessageMoveTasksRequest>,
        "CancelMessageMoveTask" => run::<move_tasks::CancelMessageMoveTaskRequest>,
        _ => return None,
    };
    Some(run)
}
