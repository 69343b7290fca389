//! Rules shared by the three batch actions: entry-list checks that fail the whole request,
//! and the shapes of per-entry failures.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::server::answer::{Batch, EntryId};

use crate::server::error::SqsError;
use crate::server::store::State;
use crate::server::validate::{Input, is_batch_id};

/// Checks the entry list (1–10 entries, valid and distinct Ids) and returns the Ids.
///
/// # Errors
/// EmptyBatchRequest, TooManyEntriesInBatchRequest, InvalidBatchEntryId,
/// BatchEntryIdsNotDistinct.
pub fn check_entries(entries: &[Input<'_>], entry_type: &str) -> Result<Vec<String>, SqsError> {
    if entries.is_empty() {
        return Err(SqsError::empty_batch_request(entry_type));
    }
    if entries.len() > 10 {
        return Err(SqsError::too_many_entries_in_batch_request(entries.len()));
    }
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = entry.str_opt("Id")?.unwrap_or("");
        if !is_batch_id(id) {
            return Err(SqsError::invalid_batch_entry_id());
        }
        ids.push(id.to_string());
    }
    let mut seen = HashSet::new();
    for id in &ids {
        if !seen.insert(id.as_str()) {
            return Err(SqsError::batch_entry_ids_not_distinct(id));
        }
    }
    Ok(ids)
}

/// A `Failed` entry for an SQS error.
#[must_use]
pub fn failed(id: &str, error: &SqsError) -> Value {
    json!({
        "Id": id,
        "SenderFault": error.sender_fault,
        "Code": error.code,
        "Message": error.message,
    })
}

/// The retryable per-entry failure `--fail-rate` injects.
#[must_use]
pub fn injected_failure(id: &str) -> Value {
    failed(id, &SqsError::internal_error())
}

/// One entry of a checked batch: its Id, and its parameters or why they are invalid (which
/// fails this entry only).
#[derive(Debug)]
pub struct Entry<T> {
    /// The entry's `Id`.
    pub id: String,
    /// The entry's checked parameters.
    pub parsed: Result<T, SqsError>,
}

/// Checks the entry list (see [`check_entries`]) and parses each entry with `parse`.
///
/// # Errors
/// The whole-request batch errors of [`check_entries`].
pub fn parse_entries<T>(
    entries: &[Input<'_>],
    entry_type: &str,
    mut parse: impl FnMut(&Input<'_>) -> Result<T, SqsError>,
) -> Result<Vec<Entry<T>>, SqsError> {
    let ids = check_entries(entries, entry_type)?;
    Ok(ids
        .into_iter()
        .zip(entries)
        .map(|(id, entry)| Entry {
            id,
            parsed: parse(entry),
        })
        .collect())
}

/// Runs `one` on each parsed entry (except those `--fail-rate` fails) and returns the batch
/// answer: an entry that succeeds is reported by its Id, one that fails in `Failed`.
pub fn each<T>(
    state: &mut State,
    entries: Vec<Entry<T>>,
    mut one: impl FnMut(&mut State, T) -> Result<(), SqsError>,
) -> Batch<EntryId> {
    let mut successful = Vec::with_capacity(entries.len());
    let mut failures = Vec::new();
    for Entry { id, parsed } in entries {
        if state.entry_fails() {
            failures.push(injected_failure(&id));
            continue;
        }
        match parsed.and_then(|entry| one(state, entry)) {
            Ok(()) => successful.push(EntryId { id }),
            Err(error) => failures.push(failed(&id, &error)),
        }
    }
    Batch {
        failed: failures,
        successful,
    }
}

#[cfg(test)]
mod tests {
    use crate::server::engine::Engine;
    use crate::server::test_support::{create, ok, options, receive, send_batch};
    use serde_json::{Value, json};

    #[tokio::test(start_paused = true)]
    async fn batches_validate_and_report_per_entry() {
        let engine = Engine::new(&options(true));
        let url = create(&engine, "q", json!({"MaximumMessageSize": "1024"})).await;
        let err = send_batch(&engine, &url, json!([])).await.unwrap_err();
        assert_eq!(err.shape, "EmptyBatchRequest");
        let eleven: Vec<Value> = (0..11)
            .map(|i| json!({"Id": format!("m{i}"), "MessageBody": "b"}))
            .collect();
        let err = send_batch(&engine, &url, json!(eleven)).await.unwrap_err();
        assert_eq!(
            err.message,
            "Maximum number of entries per request are 11. You have sent 11."
                .replace("are 11", "are 10")
        );
        let bad_id = json!([{"Id": "a:b", "MessageBody": "b"}]);
        let err = send_batch(&engine, &url, bad_id).await.unwrap_err();
        assert_eq!(err.shape, "InvalidBatchEntryId");
        let same_ids = json!([{"Id": "a", "MessageBody": "b"}, {"Id": "a", "MessageBody": "c"}]);
        let err = send_batch(&engine, &url, same_ids).await.unwrap_err();
        assert_eq!(err.shape, "BatchEntryIdsNotDistinct");
        let one_too_big = json!([{"Id": "ok", "MessageBody": "fine"},
                                 {"Id": "big", "MessageBody": "y".repeat(2000)}]);
        let out = send_batch(&engine, &url, one_too_big).await.unwrap();
        assert_eq!(out["Successful"][0]["Id"], "ok");
        assert_eq!(out["Failed"][0]["Id"], "big");
        assert_eq!(out["Failed"][0]["SenderFault"], true);
        assert_eq!(
            out["Failed"][0]["Message"],
            "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."
        );
        let got = receive(&engine, &url, 10, 0).await;
        let out = ok(
            &engine,
            "DeleteMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "1", "ReceiptHandle": got[0]["ReceiptHandle"]},
                {"Id": "2", "ReceiptHandle": "junk"}]}),
        )
        .await;
        assert_eq!(out["Successful"], json!([{"Id": "1"}]));
        assert_eq!(out["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
    }

    #[tokio::test(start_paused = true)]
    async fn fail_rate_fails_entries_retryably() {
        let mut opts = options(true);
        opts.fail_rate = 1.0;
        let engine = Engine::new(&opts);
        let url = create(&engine, "q", json!({})).await;
        let entries = json!([{"Id": "a", "MessageBody": "x"}]);
        let out = send_batch(&engine, &url, entries).await.unwrap();
        assert!(out.get("Successful").is_none(), "{out}");
        assert_eq!(out["Failed"][0]["Code"], "InternalError");
        assert_eq!(out["Failed"][0]["SenderFault"], false);
    }
}
