//! GetQueueAttributes, SetQueueAttributes and ListDeadLetterSourceQueues.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Action;
use super::queues::{Page, check_redrive_target};
use crate::server::attributes::{self, ALL, FIFO_ONLY, QueueConfig};
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::{Queue, QueueKey};
use crate::server::store::{Now, State};
use crate::server::validate::Input;

/// GetQueueAttributes.
#[derive(Debug)]
pub struct GetQueueAttributesRequest {
    /// The queue.
    key: QueueKey,
    /// Known attribute names (`All` expanded), in the order asked.
    wanted: Vec<String>,
}

impl Action for GetQueueAttributesRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, InvalidAttributeName for an unknown name.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let names = input.str_list("AttributeNames")?;
        let key = state.resolve_queue(ctx, input)?;
        for name in &names {
            if name != "All" && !attributes::is_known(name) {
                return Err(SqsError::invalid_attribute_name(format!(
                    "Unknown Attribute {name}."
                )));
            }
        }
        let wanted = if names.iter().any(|n| n == "All") {
            ALL.iter().map(|n| (*n).to_string()).collect()
        } else {
            names
        };
        Ok(Self { key, wanted })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let queue = state.queue_mut(&self.key, now)?;
        let counts = queue.counts(now.at);
        let mut out = BTreeMap::new();
        for name in &self.wanted {
            let name = name.as_str();
            // [U] FIFO-only names asked of a standard queue are left out rather than rejected,
            // so a client can ask any queue whether it is FIFO.
            if !queue.config().fifo && FIFO_ONLY.contains(&name) {
                continue;
            }
            let value = match name {
                "ApproximateNumberOfMessages" => Some(counts.visible.to_string()),
                "ApproximateNumberOfMessagesNotVisible" | "ApproximateNumberOfMessagesInFlight" => {
                    Some(counts.in_flight.to_string())
                }
                "ApproximateNumberOfMessagesDelayed" => Some(counts.delayed.to_string()),
                "CreatedTimestamp" => Some(queue.created_s().to_string()),
                "LastModifiedTimestamp" => Some(queue.modified_s().to_string()),
                "QueueArn" => Some(queue.key().arn()),
                other => queue.config().render(other),
            };
            if let Some(value) = value {
                out.insert(name.to_string(), value);
            }
        }
        // An empty map stays in the answer, as recorded on AWS over JSON (`"Attributes": {}`
        // once RemovePermission took the last statement); over Query it renders as nothing.
        Ok(json!({ "Attributes": out }))
    }
}

/// SetQueueAttributes (see [`Queue::set_config`] for when a new DelaySeconds applies).
#[derive(Debug)]
pub struct SetQueueAttributesRequest {
    /// The queue.
    key: QueueKey,
    /// The queue's settings with the new attributes applied, checked.
    config: QueueConfig,
}

impl Action for SetQueueAttributesRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, attribute validation, an invalid redrive target.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let attributes = input.str_map("Attributes")?;
        let key = state.resolve_queue(ctx, input)?;
        let config = state.queue(&key)?.config().for_update(&attributes)?;
        check_redrive_target(state, &config)?;
        Ok(Self { key, config })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state
            .queue_mut(&self.key, now)?
            .set_config(self.config, now.epoch_ms / 1000);
        Ok(json!({}))
    }
}

/// ListDeadLetterSourceQueues: queues whose RedrivePolicy targets this one (`queueUrls`).
#[derive(Debug)]
pub struct ListDeadLetterSourceQueuesRequest {
    /// The dead-letter queue.
    key: QueueKey,
    /// Which page.
    page: Page,
}

impl Action for ListDeadLetterSourceQueuesRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist, pagination errors.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        let page = Page::parse(ctx, input)?;
        Ok(Self { key, page })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let arn = state.queue_mut(&self.key, now)?.key().arn();
        let sources = state
            .queues()
            .filter(|q| {
                q.config()
                    .redrive_policy
                    .as_ref()
                    .is_some_and(|p| p.target_arn == arn)
            })
            .map(Queue::key)
            .cloned()
            .collect();
        Ok(self.page.render(sources, "queueUrls"))
    }
}
