//! The SQS actions the engine serves, one file per concern, and the only `match` over action
//! names. ReceiveMessage and StartMessageMoveTask are absent here: the engine runs them (the
//! receive's wait in `engine.rs`, the move task's runner in `move_tasks`).

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

use serde_json::Value;

use super::engine::RequestContext;
use super::error::SqsError;
use super::store::{Now, State};
use super::validate::Input;

/// A synchronous action: runs under the state lock.
type Apply = fn(&mut State, &RequestContext, &Input<'_>, Now) -> Result<Value, SqsError>;

/// Whether the server serves an action called `name`, those the engine runs itself
/// (ReceiveMessage, StartMessageMoveTask) included.
#[must_use]
pub fn exists(name: &str) -> bool {
    matches!(name, "ReceiveMessage" | "StartMessageMoveTask") || find(name).is_some()
}

/// The synchronous action called `name`, if we serve it.
#[must_use]
pub fn find(name: &str) -> Option<Apply> {
    let apply: Apply = match name {
        "CreateQueue" => queues::create_queue,
        "GetQueueUrl" => queues::get_queue_url,
        "ListQueues" => queues::list_queues,
        "DeleteQueue" => queues::delete_queue,
        "PurgeQueue" => queues::purge_queue,
        "GetQueueAttributes" => queue_attributes::get_queue_attributes,
        "SetQueueAttributes" => queue_attributes::set_queue_attributes,
        "ListDeadLetterSourceQueues" => queue_attributes::list_dead_letter_source_queues,
        "SendMessage" => send::send_message,
        "SendMessageBatch" => send::send_message_batch,
        "DeleteMessage" => delete::delete_message,
        "DeleteMessageBatch" => delete::delete_message_batch,
        "ChangeMessageVisibility" => visibility::change_message_visibility,
        "ChangeMessageVisibilityBatch" => visibility::change_message_visibility_batch,
        "TagQueue" => tags::tag_queue,
        "UntagQueue" => tags::untag_queue,
        "ListQueueTags" => tags::list_queue_tags,
        "AddPermission" => permissions::add_permission,
        "RemovePermission" => permissions::remove_permission,
        "ListMessageMoveTasks" => move_tasks::list_message_move_tasks,
        "CancelMessageMoveTask" => move_tasks::cancel_message_move_task,
        _ => return None,
    };
    Some(apply)
}
