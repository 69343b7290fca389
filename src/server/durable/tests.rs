//! The data directory keeps exactly what the engine holds: after a workload that goes through
//! every action that changes a queue, an engine reopened on the directory holds the same
//! queues, messages and deduplication windows as the one that wrote it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::records::{DedupRecordOnDisk, MessageRecord, QueueRecord};
use crate::server::ServeOptions;
use crate::server::engine::Engine;
use crate::server::test_support::{
    call, create, create_fifo, delete, ok, options, receive, send, send_batch, send_group,
};

/// A fresh directory under the system temp dir, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "queue-data-dir-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        Self(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options_in(dir: &Dir, ordered: bool) -> ServeOptions {
    ServeOptions {
        data_dir: Some(dir.0.clone()),
        ..options(ordered)
    }
}

/// Every queue with its record, messages and dedup window, as the directory would keep them.
fn dump(engine: &Engine) -> Value {
    engine.with_state(|state, now| {
        let mut queues: BTreeMap<String, Value> = BTreeMap::new();
        for queue in state.queues() {
            let messages: BTreeMap<String, Value> = (queue.messages().iter())
                .map(|(key, m)| (key.to_string(), json!(MessageRecord::of(m, now))))
                .collect();
            let dedup: BTreeMap<&String, Value> = (queue.dedup().iter())
                .map(|(scope, r)| (scope, json!(DedupRecordOnDisk::of(r, now))))
                .collect();
            queues.insert(
                queue.key().name.clone(),
                json!({"record": QueueRecord::of(queue), "messages": messages, "dedup": dedup}),
            );
        }
        json!(queues)
    })
}

/// Equal, but for epoch-millisecond timestamps (numbers above 10^12), which may differ by
/// the rounding of two clocks.
fn assert_same(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys_x: Vec<_> = x.keys().collect();
            let keys_y: Vec<_> = y.keys().collect();
            assert_eq!(keys_x, keys_y, "keys at {path}");
            for (key, value) in x {
                assert_same(value, &y[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "length at {path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                assert_same(v, w, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() > Some(1e12) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            assert!((x - y).abs() <= 5.0, "{path}: {x} vs {y}");
        }
        _ => assert_eq!(a, b, "at {path}"),
    }
}

#[tokio::test]
async fn a_reopened_directory_holds_what_the_engine_held() {
    let dir = Dir::new("mirror");
    let engine = Engine::open(&options_in(&dir, false)).await.unwrap();
    // Standard queue with a dead-letter queue, tags and attributes.
    let dlq = create(&engine, "dlq", json!({})).await;
    let redrive = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq",
                         "maxReceiveCount": "1"})
    .to_string();
    let source = create(
        &engine,
        "source",
        json!({"RedrivePolicy": redrive, "VisibilityTimeout": "0"}),
    )
    .await;
    ok(
        &engine,
        "TagQueue",
        json!({"QueueUrl": source, "Tags": {"team": "a", "gone": "b"}}),
    )
    .await;
    ok(
        &engine,
        "UntagQueue",
        json!({"QueueUrl": source, "TagKeys": ["gone"]}),
    )
    .await;
    ok(
        &engine,
        "AddPermission",
        json!({"QueueUrl": source, "Label": "l",
        "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage"]}),
    )
    .await;
    let entries: Vec<Value> = (0..10)
        .map(|i| {
            json!({"Id": format!("e{i}"), "MessageBody": format!("m{i}"),
            "MessageAttributes": {"n": {"DataType": "Number", "StringValue": i.to_string()},
                                  "b": {"DataType": "Binary", "BinaryValue": "AAEC"}}})
        })
        .collect();
    send_batch(&engine, &source, json!(entries)).await.unwrap();
    // Received once (in flight for 0 s), then again: the second receive moves them to the DLQ.
    receive(&engine, &source, 3, 0).await;
    receive(&engine, &source, 3, 0).await;
    // Deleted, and changed visibility.
    let got = receive(&engine, &source, 4, 0).await;
    delete(&engine, &source, &got[0]).await.unwrap();
    ok(
        &engine,
        "ChangeMessageVisibility",
        json!({"QueueUrl": source,
        "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 600}),
    )
    .await;
    ok(
        &engine,
        "SetQueueAttributes",
        json!({"QueueUrl": source,
        "Attributes": {"VisibilityTimeout": "45", "DelaySeconds": "2"}}),
    )
    .await;
    send(&engine, &source, "delayed").await;
    // FIFO: groups, dedup window, sequence numbers, retroactive delay.
    let fifo = create_fifo(&engine, "f.fifo").await;
    for (body, group) in [("a", "g1"), ("b", "g2"), ("c", "g1"), ("a", "g1")] {
        send_group(&engine, &fifo, body, group).await;
    }
    let first = receive(&engine, &fifo, 1, 0).await;
    assert_eq!(first.len(), 1);
    ok(
        &engine,
        "SetQueueAttributes",
        json!({"QueueUrl": fifo,
        "Attributes": {"DelaySeconds": "5"}}),
    )
    .await;
    // Purged, and deleted.
    let purged = create(&engine, "purged", json!({})).await;
    send(&engine, &purged, "x").await;
    ok(&engine, "PurgeQueue", json!({"QueueUrl": purged})).await;
    send(&engine, &purged, "after the purge").await;
    let deleted = create(&engine, "deleted", json!({})).await;
    send(&engine, &deleted, "x").await;
    ok(&engine, "DeleteQueue", json!({"QueueUrl": deleted})).await;
    // Retention: a queue whose messages expire.
    let short = create(&engine, "short", json!({"MessageRetentionPeriod": "60"})).await;
    send(&engine, &short, "expires").await;
    engine.advance_clock(Duration::from_secs(61));
    send(&engine, &short, "stays").await;
    // A move task back from the DLQ, left to finish.
    let started = ok(
        &engine,
        "StartMessageMoveTask",
        json!({
        "SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}),
    )
    .await;
    assert!(started["TaskHandle"].is_string());
    for _ in 0..50 {
        let moved = call(
            &engine,
            "GetQueueAttributes",
            json!({"QueueUrl": dlq,
            "AttributeNames": ["ApproximateNumberOfMessages"]}),
        )
        .await
        .unwrap();
        if moved["Attributes"]["ApproximateNumberOfMessages"] == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let before = dump(&engine);
    engine.stop_background().await;
    drop(engine);
    let reopened = Engine::open(&options_in(&dir, false)).await.unwrap();
    let after = dump(&reopened);
    let names: Vec<&String> = before.as_object().unwrap().keys().collect();
    assert_eq!(names, ["dlq", "f.fifo", "purged", "short", "source"]);
    assert_eq!(before["purged"]["messages"].as_object().unwrap().len(), 1);
    assert_eq!(before["short"]["messages"].as_object().unwrap().len(), 1);
    assert!(!before["f.fifo"]["dedup"].as_object().unwrap().is_empty());
    assert_same(&before, &after, "");
    reopened.stop_background().await;
}

#[tokio::test]
async fn a_restart_keeps_receipt_handles_serials_and_sequence_numbers_going() {
    let dir = Dir::new("counters");
    let engine = Engine::open(&options_in(&dir, true)).await.unwrap();
    let url = create_fifo(&engine, "c.fifo").await;
    let sent = send_group(&engine, &url, "one", "g").await;
    let got = receive(&engine, &url, 1, 0).await;
    engine.stop_background().await;
    drop(engine);

    let engine = Engine::open(&options_in(&dir, true)).await.unwrap();
    // The duplicate is still recognised, and answered with the original ids.
    let again = send_group(&engine, &url, "one", "g").await;
    assert_eq!(again["MessageId"], sent["MessageId"]);
    assert_eq!(again["SequenceNumber"], sent["SequenceNumber"]);
    // Sequence numbers go on increasing.
    let next = send_group(&engine, &url, "two", "g").await;
    let number = |v: &Value| {
        v["SequenceNumber"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    assert!(number(&next) > number(&sent));
    // The handle given before the restart still deletes the message in flight.
    delete(&engine, &url, &got[0]).await.unwrap();
    let rest = receive(&engine, &url, 10, 0).await;
    let bodies: Vec<&str> = rest.iter().map(|m| m["Body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["two"]);
    engine.stop_background().await;
}

#[tokio::test]
async fn a_second_engine_on_an_open_directory_is_refused() {
    let dir = Dir::new("locked");
    let engine = Engine::open(&options_in(&dir, true)).await.unwrap();
    let Err(error) = Engine::open(&options_in(&dir, true)).await else {
        panic!("a second engine opened the same directory");
    };
    assert!(error.to_string().contains("in use by another"), "{error}");
    engine.stop_background().await;
    // Closed: the directory can be opened again.
    let again = Engine::open(&options_in(&dir, true)).await.unwrap();
    again.stop_background().await;
}

/// An in-memory disk whose writes and syncs fail once `fail` is set.
#[derive(Debug)]
struct FailingDisk {
    inner: redb::backends::InMemoryBackend,
    fail: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FailingDisk {
    fn check(&self) -> std::io::Result<()> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            Err(std::io::Error::other("the disk is full"))
        } else {
            Ok(())
        }
    }
}

impl redb::StorageBackend for FailingDisk {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.inner.write(offset, data)
    }
}

#[tokio::test]
async fn a_failed_write_is_an_error_for_that_change_and_every_later_one() {
    use super::{Changes, DataDir};
    use crate::server::error::SqsError;
    let fail = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let disk = FailingDisk {
        inner: redb::backends::InMemoryBackend::new(),
        fail: std::sync::Arc::clone(&fail),
    };
    let db = redb::Database::builder().create_with_backend(disk).unwrap();
    let engine = Engine::new(&options(true));
    let now = engine.with_state(|_, now| now);
    let (data_dir, restored) = DataDir::start(db, std::path::Path::new("memory"), now).unwrap();
    assert!(restored.queues.is_empty());
    let changes = || Changes {
        counters: super::Counters {
            format: super::FORMAT,
            secret: [7; 16],
            next_incarnation: 1,
            next_serial: 1,
            last_sequence: 1,
        },
        removed: Vec::new(),
        queues: Vec::new(),
        sns: None,
    };
    data_dir.commit(changes()).done().await.unwrap();
    fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let error = data_dir.commit(changes()).done().await.unwrap_err();
    assert_eq!(error.code, SqsError::internal_error().code);
    // The disk is back, but the server no longer trusts it: changes keep failing.
    fail.store(false, std::sync::atomic::Ordering::SeqCst);
    let error = data_dir.commit(changes()).done().await.unwrap_err();
    assert_eq!(error.code, SqsError::internal_error().code);
    data_dir.close().await;
}
