//! The data directory's database (`queue.redb`): its tables, reading everything back at start,
//! and writing one group of changes in one transaction.

use std::collections::BTreeMap;

use foldhash::HashMap;
use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Changes;
use super::records::{Counters, DedupRecordOnDisk, MessageRecord, QueueRecord};
use crate::server::sns::Snapshot;

/// `"counters"` → [`Counters`]; `"sns"` → SNS's topics and subscriptions, whole.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Incarnation → [`QueueRecord`].
const QUEUES: TableDefinition<u64, &[u8]> = TableDefinition::new("queues");
/// (incarnation, message key) → [`MessageRecord`].
const MESSAGES: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("messages");
/// (incarnation, scope key) → [`DedupRecordOnDisk`].
const DEDUP: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("dedup");

const COUNTERS: &str = "counters";
const SNS: &str = "sns";

/// Everything the directory holds, as records.
pub struct Saved {
    /// `None` for a new directory.
    pub counters: Option<Counters>,
    /// Each queue with its messages (by key) and deduplication records (by scope key).
    pub queues: Vec<SavedQueue>,
    /// SNS's topics and subscriptions, if any were kept.
    pub sns: Option<Snapshot>,
}

/// One queue as the directory holds it.
pub struct SavedQueue {
    /// The queue's record.
    pub record: QueueRecord,
    /// Its messages by key.
    pub messages: BTreeMap<u64, MessageRecord>,
    /// Its deduplication window by scope key.
    pub dedup: HashMap<String, DedupRecordOnDisk>,
}

/// Makes the tables of a new directory (a no-op on an existing one).
pub fn create(db: &Database) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(META)?;
    txn.open_table(QUEUES)?;
    txn.open_table(MESSAGES)?;
    txn.open_table(DEDUP)?;
    txn.commit()?;
    Ok(())
}

/// Reads everything back.
pub fn load(db: &Database) -> Result<Saved, String> {
    let txn = db.begin_read().map_err(redb_error)?;
    let meta = txn.open_table(META).map_err(redb_error)?;
    let counters = match meta.get(COUNTERS).map_err(redb_error)? {
        Some(bytes) => Some(decode::<Counters>(bytes.value())?),
        None => None,
    };
    let sns = match meta.get(SNS).map_err(redb_error)? {
        Some(bytes) => Some(decode::<Snapshot>(bytes.value())?),
        None => None,
    };
    let mut queues: BTreeMap<u64, SavedQueue> = BTreeMap::new();
    each_row(&txn, QUEUES, |incarnation, bytes| {
        let record = decode(bytes)?;
        let queue = SavedQueue {
            record,
            messages: BTreeMap::new(),
            dedup: HashMap::default(),
        };
        queues.insert(incarnation, queue);
        Ok(())
    })?;
    // Rows of a queue that is gone (none should be) are left unread.
    each_row(&txn, MESSAGES, |(incarnation, key), bytes| {
        if let Some(queue) = queues.get_mut(&incarnation) {
            queue.messages.insert(key, decode(bytes)?);
        }
        Ok(())
    })?;
    each_row(&txn, DEDUP, |(incarnation, scope), bytes| {
        if let Some(queue) = queues.get_mut(&incarnation) {
            queue.dedup.insert(scope.to_string(), decode(bytes)?);
        }
        Ok(())
    })?;
    Ok(Saved {
        counters,
        queues: queues.into_values().collect(),
        sns,
    })
}

/// Calls `f` with each row of `table`, in key order.
fn each_row<K: redb::Key + 'static>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, &[u8]>,
    mut f: impl for<'k> FnMut(K::SelfType<'k>, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    for row in txn
        .open_table(table)
        .map_err(redb_error)?
        .iter()
        .map_err(redb_error)?
    {
        let (key, bytes) = row.map_err(redb_error)?;
        f(key.value(), bytes.value())?;
    }
    Ok(())
}

/// Writes `groups` of changes, in order, in one transaction, and commits it to disk.
pub fn write(db: &Database, groups: &[Changes]) -> Result<(), String> {
    let txn = db.begin_write().map_err(redb_error)?;
    {
        let mut meta = txn.open_table(META).map_err(redb_error)?;
        let mut queues = txn.open_table(QUEUES).map_err(redb_error)?;
        let mut messages = txn.open_table(MESSAGES).map_err(redb_error)?;
        let mut dedup = txn.open_table(DEDUP).map_err(redb_error)?;
        for changes in groups {
            for &incarnation in &changes.removed {
                queues.remove(incarnation).map_err(redb_error)?;
                erase_contents(&mut messages, &mut dedup, incarnation)?;
            }
            for queue in &changes.queues {
                let incarnation = queue.incarnation;
                if let Some(record) = &queue.record {
                    queues
                        .insert(incarnation, encode(record)?.as_slice())
                        .map_err(redb_error)?;
                }
                if queue.purged {
                    erase_contents(&mut messages, &mut dedup, incarnation)?;
                }
                for (key, message) in &queue.messages {
                    match message {
                        Some(m) => messages
                            .insert((incarnation, *key), encode(m)?.as_slice())
                            .map(drop),
                        None => messages.remove((incarnation, *key)).map(drop),
                    }
                    .map_err(redb_error)?;
                }
                for (scope, record) in &queue.dedup {
                    match record {
                        Some(r) => dedup
                            .insert((incarnation, scope.as_str()), encode(r)?.as_slice())
                            .map(drop),
                        None => dedup.remove((incarnation, scope.as_str())).map(drop),
                    }
                    .map_err(redb_error)?;
                }
            }
        }
        if let Some(last) = groups.last() {
            meta.insert(COUNTERS, encode(&last.counters)?.as_slice())
                .map_err(redb_error)?;
        }
        // Each snapshot is whole: the latest one is all that needs writing.
        if let Some(snapshot) = groups.iter().rev().find_map(|g| g.sns.as_ref()) {
            meta.insert(SNS, encode(snapshot)?.as_slice())
                .map_err(redb_error)?;
        }
    }
    txn.commit().map_err(redb_error)
}

/// Erases every message and deduplication record of queue `incarnation`.
fn erase_contents(
    messages: &mut redb::Table<(u64, u64), &[u8]>,
    dedup: &mut redb::Table<(u64, &str), &[u8]>,
    incarnation: u64,
) -> Result<(), String> {
    messages
        .retain_in((incarnation, 0)..=(incarnation, u64::MAX), |_, _| false)
        .map_err(redb_error)?;
    let next = incarnation.saturating_add(1);
    dedup
        .retain_in((incarnation, "")..(next, ""), |_, _| false)
        .map_err(redb_error)
}

fn encode(record: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(record).map_err(|e| format!("cannot encode a record: {e}"))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("a record cannot be read back ({e})"))
}

fn redb_error(error: impl Into<redb::Error>) -> String {
    error.into().to_string()
}
