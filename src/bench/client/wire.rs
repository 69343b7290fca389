//! The JSON 1.0 bodies of the lean client's calls, written straight into bytes. Strings that
//! need no escaping (bench bodies, queue URLs, receipt handles) are copied whole instead of
//! going through serde's escaping a byte at a time (3–5% of the client's CPU with derived
//! structs); any other string is escaped by `serde_json`.

use super::SendEntry;

/// A JSON object being written.
struct Object {
    bytes: Vec<u8>,
    /// Nothing written yet but the opening brace.
    empty: bool,
}

impl Object {
    fn new(capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity);
        bytes.push(b'{');
        Self { bytes, empty: true }
    }

    fn name(&mut self, name: &str) {
        if !self.empty {
            self.bytes.push(b',');
        }
        self.empty = false;
        push_str(&mut self.bytes, name);
        self.bytes.push(b':');
    }

    fn string(&mut self, name: &str, value: &str) -> &mut Self {
        self.name(name);
        push_str(&mut self.bytes, value);
        self
    }

    fn optional(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.string(name, value);
        }
        self
    }

    fn number(&mut self, name: &str, value: i32) -> &mut Self {
        self.name(name);
        self.bytes.extend_from_slice(value.to_string().as_bytes());
        self
    }

    /// `"name":[…]`, each element an object `write` fills in.
    fn objects<T>(&mut self, name: &str, items: &[T], write: impl Fn(&mut Object, usize, &T)) {
        self.name(name);
        self.bytes.push(b'[');
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                self.bytes.push(b',');
            }
            let mut inner = Object {
                bytes: std::mem::take(&mut self.bytes),
                empty: true,
            };
            inner.bytes.push(b'{');
            write(&mut inner, index, item);
            self.bytes = inner.end();
        }
        self.bytes.push(b']');
    }

    fn end(mut self) -> Vec<u8> {
        self.bytes.push(b'}');
        self.bytes
    }
}

/// `text` as a JSON string: copied whole when no character needs escaping.
fn push_str(out: &mut Vec<u8>, text: &str) {
    // No early exit, so the check runs many bytes at a time.
    let plain = text.bytes().fold(true, |plain, byte| {
        plain & (byte >= 0x20) & (byte != b'"') & (byte != b'\\')
    });
    if plain {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// The fields of a message, in SendMessage and in a SendMessageBatch entry.
fn message(object: &mut Object, entry: &SendEntry) {
    object
        .string("MessageBody", &entry.body)
        .optional("MessageGroupId", entry.group.as_deref())
        .optional("MessageDeduplicationId", entry.dedup.as_deref());
}

/// SendMessage.
pub fn send_message(queue_url: &str, entry: &SendEntry) -> Vec<u8> {
    let mut object = Object::new(entry.body.len() + queue_url.len() + 64);
    object.string("QueueUrl", queue_url);
    message(&mut object, entry);
    object.end()
}

/// SendMessageBatch; the entries' ids are their indexes.
pub fn send_message_batch(queue_url: &str, entries: &[SendEntry]) -> Vec<u8> {
    let bodies: usize = entries.iter().map(|entry| entry.body.len() + 96).sum();
    let mut object = Object::new(bodies + queue_url.len() + 32);
    object.string("QueueUrl", queue_url);
    object.objects("Entries", entries, |entry_object, index, entry| {
        entry_object.string("Id", &index.to_string());
        message(entry_object, entry);
    });
    object.end()
}

/// ReceiveMessage.
pub fn receive_message(queue_url: &str, max: i32, wait: i32) -> Vec<u8> {
    let mut object = Object::new(queue_url.len() + 80);
    object
        .string("QueueUrl", queue_url)
        .number("MaxNumberOfMessages", max)
        .number("WaitTimeSeconds", wait);
    object.end()
}

/// DeleteMessage.
pub fn delete_message(queue_url: &str, handle: &str) -> Vec<u8> {
    let mut object = Object::new(queue_url.len() + handle.len() + 48);
    object
        .string("QueueUrl", queue_url)
        .string("ReceiptHandle", handle);
    object.end()
}

/// DeleteMessageBatch; the entries' ids are their indexes.
pub fn delete_message_batch(queue_url: &str, handles: &[String]) -> Vec<u8> {
    let sizes: usize = handles.iter().map(|handle| handle.len() + 40).sum();
    let mut object = Object::new(sizes + queue_url.len() + 32);
    object.string("QueueUrl", queue_url);
    object.objects("Entries", handles, |entry, index, handle| {
        entry
            .string("Id", &index.to_string())
            .string("ReceiptHandle", handle);
    });
    object.end()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn read(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("valid JSON")
    }

    const URL: &str = "http://127.0.0.1:9324/000000000000/queue-bench-1";

    /// Strings of every kind: plain, with quotes and backslashes, control characters,
    /// non-ASCII text and DEL.
    const AWKWARD: [&str; 6] = [
        "qbench 0000000a m 1 0 2 3 ....",
        "",
        "say \"hi\" \\ there",
        "tab\tnew\nline\u{1}bell",
        "naïve ☃ 🦀",
        "del\u{7f}",
    ];

    #[test]
    fn bodies_read_back_as_the_calls_want() {
        for text in AWKWARD {
            let plain = SendEntry {
                body: text.to_string(),
                group: None,
                dedup: None,
            };
            let fifo = SendEntry {
                body: text.to_string(),
                group: Some(format!("g-{text}")),
                dedup: Some("d1".to_string()),
            };
            assert_eq!(
                read(&send_message(URL, &plain)),
                json!({"QueueUrl": URL, "MessageBody": text})
            );
            assert_eq!(
                read(&send_message(URL, &fifo)),
                json!({"QueueUrl": URL, "MessageBody": text, "MessageGroupId": format!("g-{text}"), "MessageDeduplicationId": "d1"})
            );
            assert_eq!(
                read(&send_message_batch(URL, &[plain.clone(), fifo.clone()])),
                json!({"QueueUrl": URL, "Entries": [
                    {"Id": "0", "MessageBody": text},
                    {"Id": "1", "MessageBody": text, "MessageGroupId": format!("g-{text}"), "MessageDeduplicationId": "d1"},
                ]})
            );
            assert_eq!(
                read(&delete_message(URL, text)),
                json!({"QueueUrl": URL, "ReceiptHandle": text})
            );
            let handles = [text.to_string(), "AQEB+/=".to_string()];
            assert_eq!(
                read(&delete_message_batch(URL, &handles)),
                json!({"QueueUrl": URL, "Entries": [
                    {"Id": "0", "ReceiptHandle": text},
                    {"Id": "1", "ReceiptHandle": "AQEB+/="},
                ]})
            );
        }
        assert_eq!(
            read(&receive_message(URL, 10, 20)),
            json!({"QueueUrl": URL, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20})
        );
        assert_eq!(
            read(&send_message_batch(URL, &[])),
            json!({"QueueUrl": URL, "Entries": []})
        );
    }

    #[test]
    fn plain_strings_are_copied_and_others_escaped_as_serde_does() {
        for text in AWKWARD {
            let mut ours = Vec::new();
            push_str(&mut ours, text);
            assert_eq!(ours, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }
}
