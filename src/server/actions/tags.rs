//! TagQueue, UntagQueue and ListQueueTags.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Action;
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::QueueKey;
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// Tag keys 1–128 characters, values up to 256. [U] AWS's exact limits and texts.
///
/// # Errors
/// InvalidParameterValue.
pub fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), SqsError> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(SqsError::invalid_parameter_value(format!(
                "Tag key '{key}' is invalid. Reason: Must be 1 to 128 characters long."
            )));
        }
        if value.chars().count() > 256 {
            return Err(SqsError::invalid_parameter_value(format!(
                "Tag value for key '{key}' is invalid. Reason: Must be at most 256 characters long."
            )));
        }
    }
    Ok(())
}

/// TagQueue: adds tags, overwriting existing keys.
#[derive(Debug)]
pub struct TagQueueRequest {
    /// The queue.
    key: QueueKey,
    /// Checked tags.
    tags: BTreeMap<String, String>,
}

impl Action for TagQueueRequest {
    type Output = Value;

    /// # Errors
    /// Bad tags, QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let tags = input.str_map("Tags")?;
        check_tags(&tags)?;
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key, tags })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.queue_mut(&self.key, now)?.tag(self.tags);
        Ok(json!({}))
    }
}

/// UntagQueue.
#[derive(Debug)]
pub struct UntagQueueRequest {
    /// The queue.
    key: QueueKey,
    /// Tag keys to remove.
    keys: Vec<String>,
}

impl Action for UntagQueueRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let keys = input.str_list("TagKeys")?;
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key, keys })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.queue_mut(&self.key, now)?.untag(&self.keys);
        Ok(json!({}))
    }
}

/// ListQueueTags. [U] `Tags` is omitted when the queue has none.
#[derive(Debug)]
pub struct ListQueueTagsRequest {
    /// The queue.
    key: QueueKey,
}

impl Action for ListQueueTagsRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let queue = state.queue_mut(&self.key, now)?;
        if queue.tags().is_empty() {
            return Ok(json!({}));
        }
        Ok(json!({ "Tags": queue.tags() }))
    }
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{ok, options};
    use serde_json::json;

    #[tokio::test(start_paused = true)]
    async fn tags_round_trip() {
        let engine = Engine::new(&options(true));
        let out = ok(
            &engine,
            "CreateQueue",
            json!({"QueueName": "t", "tags": {"team": "a"}}),
        )
        .await;
        let url = out["QueueUrl"].clone();
        ok(
            &engine,
            "TagQueue",
            json!({"QueueUrl": url, "Tags": {"env": "dev"}}),
        )
        .await;
        ok(
            &engine,
            "UntagQueue",
            json!({"QueueUrl": url, "TagKeys": ["team"]}),
        )
        .await;
        let tags = ok(&engine, "ListQueueTags", json!({"QueueUrl": url})).await;
        assert_eq!(tags, json!({"Tags": {"env": "dev"}}));
    }
}
