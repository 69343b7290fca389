//! Queue lifecycle: CreateQueue (validation, idempotency, QueueDeletedRecently), GetQueueUrl,
//! ListQueues (prefix and pagination), DeleteQueue and PurgeQueue (one per 60 s).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use serde_json::{Value, json};

use super::Action;
use super::tags::check_tags;
use crate::server::attributes::QueueConfig;
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::{Queue, QueueKey};
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// CreateQueue: a new queue, or the URL of an identical one.
#[derive(Debug)]
pub struct CreateQueueRequest {
    /// Who asked: the answer's URL is built for the host the caller used.
    ctx: RequestContext,
    /// The new queue's key (the caller's account and region).
    key: QueueKey,
    /// The attributes as given, compared with an existing queue's.
    attributes: BTreeMap<String, String>,
    /// The checked attributes.
    config: QueueConfig,
    /// Checked tags.
    tags: BTreeMap<String, String>,
}

impl Action for CreateQueueRequest {
    type Output = Value;

    /// # Errors
    /// Name, attribute and tag validation.
    fn parse(ctx: &RequestContext, input: &Input<'_>, _state: &State) -> Result<Self, SqsError> {
        let name = input.str_req("QueueName")?;
        validate::queue_name(name)?;
        let attributes = input.str_map("Attributes")?;
        let tags = input.str_map("tags")?;
        check_tags(&tags)?;
        let key = QueueKey {
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            name: name.to_string(),
        };
        let config = QueueConfig::for_create(name, &attributes)?;
        Ok(Self {
            ctx: ctx.clone(),
            key,
            attributes,
            config,
            tags,
        })
    }

    /// # Errors
    /// QueueNameExists (same name, other attributes), an invalid redrive target,
    /// QueueDeletedRecently.
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        let url = State::url(&self.ctx, &self.key);
        if let Ok(existing) = state.queue(&self.key) {
            if let Some(different) = existing.config().first_difference(&self.attributes) {
                return Err(SqsError::queue_name_exists(&different));
            }
            return Ok(json!({ "QueueUrl": url }));
        }
        check_redrive_target(state, &self.config)?;
        if state.deleted_recently(&self.key, now.at) {
            return Err(SqsError::queue_deleted_recently());
        }
        state.insert_queue(self.key, self.config, self.tags, now);
        Ok(json!({ "QueueUrl": url }))
    }
}

/// A redrive policy must name an existing queue of the same type.
///
/// # Errors
/// InvalidParameterValue.
pub fn check_redrive_target(state: &State, config: &QueueConfig) -> Result<(), SqsError> {
    let Some(policy) = &config.redrive_policy else {
        return Ok(());
    };
    let invalid = |reason: &str| {
        SqsError::invalid_parameter_value(format!(
            "Value {} for parameter RedrivePolicy is invalid. Reason: {reason}",
            policy.render()
        ))
    };
    let target = QueueKey::from_arn(&policy.target_arn)
        .and_then(|k| state.queue(&k).ok())
        .ok_or_else(|| invalid("Dead-letter target does not exist."))?;
    if target.config().fifo != config.fifo {
        return Err(invalid(
            "Dead-letter queue must be same type of queue as the source.",
        ));
    }
    Ok(())
}

/// GetQueueUrl.
#[derive(Debug)]
pub struct GetQueueUrlRequest {
    /// Who asked: the URL is built for the host the caller used.
    ctx: RequestContext,
    /// The queue (QueueOwnerAWSAccountId's account, else the caller's).
    key: QueueKey,
}

impl Action for GetQueueUrlRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let name = input.str_req("QueueName")?;
        let account = input
            .str_opt("QueueOwnerAWSAccountId")?
            .unwrap_or(&ctx.account);
        let key = QueueKey {
            account: account.to_string(),
            region: ctx.region.clone(),
            name: name.to_string(),
        };
        state.queue(&key)?;
        Ok(Self {
            ctx: ctx.clone(),
            key,
        })
    }

    fn apply(self, _state: &mut State, _now: Now) -> Result<Value, SqsError> {
        Ok(json!({ "QueueUrl": State::url(&self.ctx, &self.key) }))
    }
}

/// A page of queue URLs: `MaxResults` (1–1000) and an opaque `NextToken` (the last name
/// returned). Without MaxResults: up to 1000 and never a token.
#[derive(Debug)]
pub struct Page {
    /// Who asked: the URLs are built for the host the caller used.
    ctx: RequestContext,
    /// MaxResults, if given.
    max: Option<i64>,
    /// The last name of the previous page (from NextToken).
    after: Option<String>,
}

impl Page {
    /// Reads MaxResults and NextToken.
    ///
    /// # Errors
    /// MaxResults out of range, a bad token.
    pub fn parse(ctx: &RequestContext, input: &Input<'_>) -> Result<Self, SqsError> {
        let max = input
            .int_opt("MaxResults")?
            .map(|m| validate::int_in_range("MaxResults", m, 1, 1000))
            .transpose()?;
        let after = input
            .str_opt("NextToken")?
            .map(|token| {
                TOKEN
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| SqsError::invalid_parameter_value("Invalid NextToken value."))
            })
            .transpose()?;
        Ok(Self {
            ctx: ctx.clone(),
            max,
            after,
        })
    }

    /// This page of `keys` as URLs under `member`, with a NextToken when more follow.
    #[must_use]
    pub fn render(&self, mut keys: Vec<QueueKey>, member: &str) -> Value {
        keys.sort();
        if let Some(after) = &self.after {
            keys.retain(|k| k.name > *after);
        }
        let limit = self
            .max
            .map_or(1000, |m| usize::try_from(m).unwrap_or(1000));
        let more = keys.len() > limit;
        keys.truncate(limit);
        let urls: Vec<String> = keys.iter().map(|k| State::url(&self.ctx, k)).collect();
        let mut out = serde_json::Map::new();
        out.insert(member.into(), json!(urls));
        if more
            && self.max.is_some()
            && let Some(last) = keys.last()
        {
            out.insert("NextToken".into(), json!(TOKEN.encode(&last.name)));
        }
        Value::Object(out)
    }
}

/// ListQueues: the caller's account and region, by name prefix.
#[derive(Debug)]
pub struct ListQueuesRequest {
    /// QueueNamePrefix (empty: all).
    prefix: String,
    /// Which page.
    page: Page,
}

impl Action for ListQueuesRequest {
    type Output = Value;

    /// # Errors
    /// MaxResults out of range, a bad token.
    fn parse(ctx: &RequestContext, input: &Input<'_>, _state: &State) -> Result<Self, SqsError> {
        let prefix = input.str_opt("QueueNamePrefix")?.unwrap_or("").to_string();
        let page = Page::parse(ctx, input)?;
        Ok(Self { prefix, page })
    }

    fn apply(self, state: &mut State, _now: Now) -> Result<Value, SqsError> {
        let ctx = &self.page.ctx;
        let keys = state
            .queues()
            .map(Queue::key)
            .filter(|k| k.account == ctx.account && k.region == ctx.region)
            .filter(|k| k.name.starts_with(&self.prefix))
            .cloned()
            .collect();
        let mut answer = self.page.render(keys, "QueueUrls");
        // SQS leaves the list out when nothing matches.
        if let Value::Object(members) = &mut answer
            && members
                .get("QueueUrls")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            members.remove("QueueUrls");
        }
        Ok(answer)
    }
}

/// DeleteQueue. [U] A missing queue answers QueueDoesNotExist (the current model), not success.
#[derive(Debug)]
pub struct DeleteQueueRequest {
    /// The queue.
    key: QueueKey,
}

impl Action for DeleteQueueRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key })
    }

    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.remove_queue(&self.key, now)?;
        Ok(json!({}))
    }
}

/// PurgeQueue: removes every message, in flight or not, and forgets the FIFO deduplication
/// window (a delete does not); one purge per queue per 60 s (see [`Queue::purge`]).
#[derive(Debug)]
pub struct PurgeQueueRequest {
    /// The queue.
    key: QueueKey,
}

impl Action for PurgeQueueRequest {
    type Output = Value;

    /// # Errors
    /// QueueDoesNotExist.
    fn parse(ctx: &RequestContext, input: &Input<'_>, state: &State) -> Result<Self, SqsError> {
        let key = state.resolve_queue(ctx, input)?;
        Ok(Self { key })
    }

    /// # Errors
    /// PurgeQueueInProgress.
    fn apply(self, state: &mut State, now: Now) -> Result<Value, SqsError> {
        state.queue_mut(&self.key, now)?.purge(now.at)?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{attribute, call, create, ok, options, receive, send};
    use serde_json::json;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn queue_urls_arns_idempotency_and_listing() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "orders", json!({"DelaySeconds": "5"})).await;
        assert_eq!(url, "http://127.0.0.1:4566/000000000000/orders");
        assert_eq!(create(&engine, "orders", json!({})).await, url);
        assert_eq!(
            create(&engine, "orders", json!({"DelaySeconds": "5"})).await,
            url
        );
        let err = call(
            &engine,
            "CreateQueue",
            json!({"QueueName": "orders", "Attributes": {"DelaySeconds": "6"}}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, "QueueAlreadyExists");
        assert!(err.message.ends_with("attribute DelaySeconds"));
        assert_eq!(
            attribute(&engine, &url, "QueueArn").await,
            "arn:aws:sqs:us-east-1:000000000000:orders"
        );
        // Any host resolves by path.
        let got = ok(
            &engine,
            "GetQueueAttributes",
            json!({"QueueUrl": "http://localhost:9/000000000000/orders", "AttributeNames": ["All"]}),
        )
        .await;
        assert_eq!(got["Attributes"]["DelaySeconds"], "5");
        assert_eq!(got["Attributes"].as_object().map(|m| m.len()), Some(12));
        for name in ["a1", "a2", "a3"] {
            create(&engine, name, json!({})).await;
        }
        let page = ok(
            &engine,
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2}),
        )
        .await;
        assert_eq!(page["QueueUrls"].as_array().map(Vec::len), Some(2));
        let rest = ok(
            &engine,
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2, "NextToken": page["NextToken"]}),
        )
        .await;
        assert_eq!(rest["QueueUrls"].as_array().map(Vec::len), Some(1));
        assert!(rest.get("NextToken").is_none());

        ok(&engine, "DeleteQueue", json!({"QueueUrl": url})).await;
        let err = call(&engine, "GetQueueUrl", json!({"QueueName": "orders"}))
            .await
            .unwrap_err();
        assert_eq!(err.code, "AWS.SimpleQueueService.NonExistentQueue");
        let err = call(&engine, "CreateQueue", json!({"QueueName": "orders"}))
            .await
            .unwrap_err();
        assert_eq!(err.shape, "QueueDeletedRecently");
        engine.advance_clock(Duration::from_secs(61));
        create(&engine, "orders", json!({})).await;
        let err = call(&engine, "NoSuchAction", json!({})).await.unwrap_err();
        assert_eq!(err.shape, "UnsupportedOperation");
    }

    #[tokio::test(start_paused = true)]
    async fn purge_once_per_minute() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "p", json!({})).await;
        send(&engine, &url, "x").await;
        ok(&engine, "PurgeQueue", json!({"QueueUrl": url})).await;
        assert!(receive(&engine, &url, 10, 0).await.is_empty());
        let err = call(&engine, "PurgeQueue", json!({"QueueUrl": url}))
            .await
            .unwrap_err();
        assert_eq!(err.status, 403);
        assert_eq!(
            err.message,
            "Only one PurgeQueue operation on p is allowed every 60 seconds."
        );
        engine.advance_clock(Duration::from_secs(61));
        ok(&engine, "PurgeQueue", json!({"QueueUrl": url})).await;
    }
}
