//! Queue lifecycle: CreateQueue (validation, idempotency, QueueDeletedRecently), GetQueueUrl,
//! ListQueues (prefix and pagination), DeleteQueue and PurgeQueue (one per 60 s).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use serde_json::{Value, json};
use tokio::time::Duration;

use super::tags::check_tags;
use crate::server::attributes::QueueConfig;
use crate::server::engine::RequestContext;
use crate::server::error::SqsError;
use crate::server::queue::{Queue, QueueKey};
use crate::server::standard;
use crate::server::store::{Now, State};
use crate::server::validate::{self, Input};

/// CreateQueue.
///
/// # Errors
/// Name and attribute validation, QueueNameExists, QueueDeletedRecently.
pub fn create_queue(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
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
    if let Some(existing) = state.queues.get(&key) {
        if let Some(different) = existing.config.first_difference(&attributes) {
            return Err(SqsError::queue_name_exists(&different));
        }
        return Ok(json!({ "QueueUrl": State::url(ctx, &key) }));
    }
    check_redrive_target(state, &config)?;
    if state.deleted_recently(&key, now.at) {
        return Err(SqsError::queue_deleted_recently());
    }
    insert_queue(state, key.clone(), config, tags, now);
    Ok(json!({ "QueueUrl": State::url(ctx, &key) }))
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
        .and_then(|k| state.queues.get(&k))
        .ok_or_else(|| invalid("Dead-letter target does not exist."))?;
    if target.config.fifo != config.fifo {
        return Err(invalid(
            "Dead-letter queue must be same type of queue as the source.",
        ));
    }
    Ok(())
}

/// Adds a queue (no checks).
pub fn insert_queue(
    state: &mut State,
    key: QueueKey,
    config: QueueConfig,
    tags: BTreeMap<String, String>,
    now: Now,
) {
    let servers = if state.sim.ordered || config.fifo {
        1
    } else {
        state.sim.servers
    };
    let server_weights = standard::server_weights(&mut state.rng, servers);
    let incarnation = state.next_incarnation;
    state.next_incarnation += 1;
    let queue = Queue::new(
        incarnation,
        key.clone(),
        config,
        tags,
        server_weights,
        now.epoch_ms / 1000,
    );
    state.queues.insert(key, queue);
}

/// GetQueueUrl.
///
/// # Errors
/// QueueDoesNotExist.
pub fn get_queue_url(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    _now: Now,
) -> Result<Value, SqsError> {
    let name = input.str_req("QueueName")?;
    let account = input
        .str_opt("QueueOwnerAWSAccountId")?
        .unwrap_or(&ctx.account);
    let key = QueueKey {
        account: account.to_string(),
        region: ctx.region.clone(),
        name: name.to_string(),
    };
    if state.queues.contains_key(&key) {
        Ok(json!({ "QueueUrl": State::url(ctx, &key) }))
    } else {
        Err(SqsError::queue_does_not_exist())
    }
}

/// A page of queue URLs: `MaxResults` (1–1000) and an opaque `NextToken` (the last name
/// returned). Without MaxResults: up to 1000 and never a token.
///
/// # Errors
/// MaxResults out of range, a bad token.
pub fn page(
    ctx: &RequestContext,
    mut keys: Vec<QueueKey>,
    input: &Input<'_>,
    member: &str,
) -> Result<Value, SqsError> {
    keys.sort();
    let max = input
        .int_opt("MaxResults")?
        .map(|m| validate::int_in_range("MaxResults", m, 1, 1000))
        .transpose()?;
    if let Some(token) = input.str_opt("NextToken")? {
        let after = TOKEN
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| SqsError::invalid_parameter_value("Invalid NextToken value."))?;
        keys.retain(|k| k.name > after);
    }
    let limit = max.map_or(1000, |m| usize::try_from(m).unwrap_or(1000));
    let more = keys.len() > limit;
    keys.truncate(limit);
    let urls: Vec<String> = keys.iter().map(|k| State::url(ctx, k)).collect();
    let mut out = serde_json::Map::new();
    out.insert(member.into(), json!(urls));
    if more
        && max.is_some()
        && let Some(last) = keys.last()
    {
        out.insert("NextToken".into(), json!(TOKEN.encode(&last.name)));
    }
    Ok(Value::Object(out))
}

/// ListQueues.
///
/// # Errors
/// MaxResults out of range, a bad token.
pub fn list_queues(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    _now: Now,
) -> Result<Value, SqsError> {
    let prefix = input.str_opt("QueueNamePrefix")?.unwrap_or("");
    let keys = state
        .queues
        .keys()
        .filter(|k| k.account == ctx.account && k.region == ctx.region)
        .filter(|k| k.name.starts_with(prefix))
        .cloned()
        .collect();
    let mut answer = page(ctx, keys, input, "QueueUrls")?;
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

/// DeleteQueue. [U] A missing queue answers QueueDoesNotExist (the current model), not success.
///
/// # Errors
/// QueueDoesNotExist.
pub fn delete_queue(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let key = State::key_of(ctx, input)?;
    let mut queue = state
        .queues
        .remove(&key)
        .ok_or_else(SqsError::queue_does_not_exist)?;
    queue.waiters.wake_all();
    state.deleted.insert(key, now.at);
    Ok(json!({}))
}

/// PurgeQueue: removes every message, in flight or not, and forgets the FIFO deduplication
/// window (a delete does not); one purge per queue per 60 s.
///
/// # Errors
/// PurgeQueueInProgress, QueueDoesNotExist.
pub fn purge_queue(
    state: &mut State,
    ctx: &RequestContext,
    input: &Input<'_>,
    now: Now,
) -> Result<Value, SqsError> {
    let queue = state.queue_mut(ctx, input, now)?;
    if queue
        .last_purge
        .is_some_and(|at| at + Duration::from_secs(60) > now.at)
    {
        return Err(SqsError::purge_queue_in_progress(&queue.key.name));
    }
    queue.last_purge = Some(now.at);
    queue.purge();
    Ok(json!({}))
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
