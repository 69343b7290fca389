//! TagQueue, UntagQueue and ListQueueTags.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
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
///
/// # Errors
/// Bad tags, QueueDoesNotExist.
pub fn tag_queue(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let tags = input.str_map("Tags")?;
    check_tags(&tags)?;
    let queue = state.queue_mut(ctx, input, now)?;
    queue.tags.extend(tags);
    Ok(json!({}))
}

/// UntagQueue.
///
/// # Errors
/// QueueDoesNotExist.
pub fn untag_queue(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let keys = input.str_list("TagKeys")?;
    let queue = state.queue_mut(ctx, input, now)?;
    for key in keys {
        queue.tags.remove(&key);
    }
    Ok(json!({}))
}

/// ListQueueTags. [U] `Tags` is omitted when the queue has none.
///
/// # Errors
/// QueueDoesNotExist.
pub fn list_queue_tags(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let queue = state.queue_mut(ctx, input, now)?;
    if queue.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Tags": queue.tags }))
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
