//! Message move tasks (DLQ redrive): the tasks the engine knows, their opaque handles, and how
//! ListMessageMoveTasks shows each one. Moving the messages is [`mover`]'s job.
//!
//! A handle is what SQS hands out: base64 of `{"taskId":"<uuid>","sourceArn":"<arn>"}`, so a
//! handle names its source queue even after the task is forgotten.

pub mod mover;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::queue::QueueKey;

/// Tasks kept per source queue; older finished ones are forgotten (SQS lists the 10 most
/// recent).
pub const KEPT_PER_SOURCE: usize = 10;

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Moving messages.
    Running,
    /// Asked to stop; stops before its next message.
    Cancelling,
    /// Every message there was at the start has been moved.
    Completed,
    /// Stopped by CancelMessageMoveTask.
    Cancelled,
    /// Stopped by an error (see the failure reason).
    Failed,
}

impl Status {
    /// The wire name (`RUNNING`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Cancelling => "CANCELLING",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
        }
    }

    /// Running or cancelling: the source has an active task.
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Cancelling)
    }
}

/// One move task.
#[derive(Debug)]
pub struct MoveTask {
    /// Task id (a UUID).
    pub id: String,
    /// The opaque handle given to the client.
    pub handle: String,
    /// The dead-letter queue messages move out of.
    pub source: QueueKey,
    /// The source queue's incarnation at start (a recreated queue is another queue).
    pub source_incarnation: u64,
    /// Where every message goes; `None`: back to each message's own source queue.
    pub destination_arn: Option<String>,
    /// MaxNumberOfMessagesPerSecond, when given.
    pub rate: Option<u32>,
    /// Only messages stored before the start move (keys below this), so the task ends.
    pub horizon: u64,
    /// ApproximateNumberOfMessagesToMove: visible messages at the start.
    pub to_move: u64,
    /// ApproximateNumberOfMessagesMoved.
    pub moved: u64,
    /// StartedTimestamp (epoch ms).
    pub started_ms: u64,
    /// Engine instant of the start (the rate counts from here).
    pub started_at: Instant,
    /// Where the task is.
    pub status: Status,
    /// FailureReason, once failed.
    pub failure_reason: Option<String>,
    /// Wakes the task's runner (cancel).
    pub wake: CancellationToken,
}

impl MoveTask {
    /// The task as a ListMessageMoveTasks result entry (JSON shape). SQS shows the handle only
    /// while the task runs, and leaves out what was not given.
    #[must_use]
    pub fn entry(&self) -> Value {
        let mut entry = Map::new();
        if self.status == Status::Running {
            entry.insert("TaskHandle".into(), json!(self.handle));
        }
        entry.insert("Status".into(), json!(self.status.as_str()));
        entry.insert("SourceArn".into(), json!(self.source.arn()));
        if let Some(destination) = &self.destination_arn {
            entry.insert("DestinationArn".into(), json!(destination));
        }
        if let Some(rate) = self.rate {
            entry.insert("MaxNumberOfMessagesPerSecond".into(), json!(rate));
        }
        entry.insert("ApproximateNumberOfMessagesMoved".into(), json!(self.moved));
        entry.insert(
            "ApproximateNumberOfMessagesToMove".into(),
            json!(self.to_move),
        );
        if let Some(reason) = &self.failure_reason {
            entry.insert("FailureReason".into(), json!(reason));
        }
        entry.insert("StartedTimestamp".into(), json!(self.started_ms));
        Value::Object(entry)
    }
}

/// Every task the engine knows, oldest first.
#[derive(Debug, Default)]
pub struct MoveTasks {
    tasks: Vec<MoveTask>,
}

impl MoveTasks {
    /// The task with this id, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut MoveTask> {
        self.tasks.iter_mut().find(|task| task.id == id)
    }

    /// Whether `source` has a running or cancelling task.
    #[must_use]
    pub fn has_active(&self, source: &QueueKey) -> bool {
        self.tasks
            .iter()
            .any(|task| task.source == *source && task.status.is_active())
    }

    /// Up to `max` of `source`'s tasks, most recent first.
    #[must_use]
    pub fn recent(&self, source: &QueueKey, incarnation: u64, max: usize) -> Vec<&MoveTask> {
        self.tasks
            .iter()
            .rev()
            .filter(|task| task.source == *source && task.source_incarnation == incarnation)
            .take(max)
            .collect()
    }

    /// Adds a task, forgetting the oldest finished ones of its source beyond
    /// [`KEPT_PER_SOURCE`].
    pub fn insert(&mut self, task: MoveTask) {
        let source = task.source.clone();
        self.tasks.push(task);
        let mut kept = 0;
        let mut index = self.tasks.len();
        while index > 0 {
            index -= 1;
            let this = &self.tasks[index];
            if this.source != source {
                continue;
            }
            kept += 1;
            if kept > KEPT_PER_SOURCE && !this.status.is_active() {
                self.tasks.remove(index);
            }
        }
    }
}

/// What a task handle carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HandleDoc {
    #[serde(rename = "taskId")]
    task_id: String,
    #[serde(rename = "sourceArn")]
    source_arn: String,
}

/// The handle for task `task_id` on the queue `source_arn`.
#[must_use]
pub fn encode_handle(task_id: &str, source_arn: &str) -> String {
    let doc = HandleDoc {
        task_id: task_id.to_string(),
        source_arn: source_arn.to_string(),
    };
    BASE64.encode(serde_json::to_string(&doc).unwrap_or_default())
}

/// `(task id, source ARN)` from a handle; `None` when it is not one.
#[must_use]
pub fn decode_handle(handle: &str) -> Option<(String, String)> {
    let bytes = BASE64.decode(handle.trim()).ok()?;
    let doc: HandleDoc = serde_json::from_slice(&bytes).ok()?;
    (!doc.task_id.is_empty() && !doc.source_arn.is_empty()).then_some((doc.task_id, doc.source_arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> QueueKey {
        QueueKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: name.into(),
        }
    }

    fn task(id: &str, source: &str, status: Status) -> MoveTask {
        MoveTask {
            id: id.into(),
            handle: encode_handle(id, &key(source).arn()),
            source: key(source),
            source_incarnation: 1,
            destination_arn: None,
            rate: None,
            horizon: 0,
            to_move: 3,
            moved: 1,
            started_ms: 1_700_000_000_000,
            started_at: Instant::now(),
            status,
            failure_reason: None,
            wake: CancellationToken::new(),
        }
    }

    #[test]
    fn handles_round_trip_and_garbage_is_refused() {
        let arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
        let handle = encode_handle("10f57157-fc38-4da9-a113-4de7e12d05dd", arn);
        let text = String::from_utf8(BASE64.decode(&handle).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"taskId":"10f57157-fc38-4da9-a113-4de7e12d05dd","sourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq"}"#
        );
        assert_eq!(
            decode_handle(&handle),
            Some((
                "10f57157-fc38-4da9-a113-4de7e12d05dd".to_string(),
                arn.to_string()
            ))
        );
        for garbage in ["foobared", "", "e30=", "bm90IGpzb24="] {
            assert_eq!(decode_handle(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn entries_show_the_handle_only_while_running() {
        let running = task("a", "dlq", Status::Running).entry();
        assert!(running["TaskHandle"].is_string());
        assert_eq!(running["Status"], "RUNNING");
        assert!(running.get("DestinationArn").is_none());
        assert!(running.get("MaxNumberOfMessagesPerSecond").is_none());
        let mut failed = task("b", "dlq", Status::Failed);
        failed.failure_reason = Some("AWS.SimpleQueueService.NonExistentQueue".into());
        failed.rate = Some(5);
        failed.destination_arn = Some(key("to").arn());
        let entry = failed.entry();
        assert!(entry.get("TaskHandle").is_none());
        assert_eq!(
            entry["FailureReason"],
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(entry["MaxNumberOfMessagesPerSecond"], 5);
        assert_eq!(entry["ApproximateNumberOfMessagesMoved"], 1);
        assert_eq!(entry["ApproximateNumberOfMessagesToMove"], 3);
        assert_eq!(entry["StartedTimestamp"], 1_700_000_000_000_u64);
    }

    #[test]
    fn only_ten_tasks_are_kept_per_source_and_active_ones_never_go() {
        let mut tasks = MoveTasks::default();
        tasks.insert(task("active", "dlq", Status::Running));
        for i in 0..15 {
            tasks.insert(task(&format!("t{i}"), "dlq", Status::Completed));
        }
        tasks.insert(task("other", "other-dlq", Status::Completed));
        let recent = tasks.recent(&key("dlq"), 1, 100);
        assert_eq!(recent.len(), 11, "ten finished plus the active one");
        assert_eq!(recent[0].id, "t14", "most recent first");
        assert!(tasks.get_mut("active").is_some());
        assert!(tasks.get_mut("t0").is_none());
        assert!(tasks.has_active(&key("dlq")));
        assert!(!tasks.has_active(&key("other-dlq")));
        assert_eq!(
            tasks.recent(&key("dlq"), 2, 10).len(),
            0,
            "another incarnation"
        );
    }
}
