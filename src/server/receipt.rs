//! Receipt handles: opaque, base64, starting `AQEB` like AWS's, encoding the queue
//! incarnation, the message and the receive, with a keyed check so garbage is recognised.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// What a receipt handle points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptRef {
    /// Queue incarnation.
    pub incarnation: u64,
    /// Message key within the queue.
    pub message: u64,
    /// Receive serial.
    pub serial: u64,
}

const PREFIX: [u8; 3] = [1, 1, 1];
const PAYLOAD: usize = 24;
const PADDING: usize = 48;
const TAG: usize = 8;

fn tag(secret: &[u8; 16], payload: &[u8]) -> [u8; TAG] {
    let digest = Sha256::new()
        .chain_update(secret)
        .chain_update(payload)
        .finalize();
    let mut out = [0; TAG];
    out.copy_from_slice(&digest[..TAG]);
    out
}

/// Encodes a handle; `padding` is random filler so handles look as long as AWS's.
#[must_use]
pub fn encode(secret: &[u8; 16], r: ReceiptRef, padding: &[u8; PADDING]) -> String {
    let mut bytes = Vec::with_capacity(PREFIX.len() + PAYLOAD + PADDING + TAG);
    bytes.extend_from_slice(&PREFIX);
    bytes.extend_from_slice(&r.incarnation.to_be_bytes());
    bytes.extend_from_slice(&r.message.to_be_bytes());
    bytes.extend_from_slice(&r.serial.to_be_bytes());
    bytes.extend_from_slice(padding);
    let check = tag(secret, &bytes);
    bytes.extend_from_slice(&check);
    BASE64.encode(bytes)
}

/// Decodes a handle made by [`encode`] with the same secret.
#[must_use]
pub fn decode(secret: &[u8; 16], handle: &str) -> Option<ReceiptRef> {
    let bytes = BASE64.decode(handle.trim()).ok()?;
    if bytes.len() != PREFIX.len() + PAYLOAD + PADDING + TAG || bytes[..3] != PREFIX {
        return None;
    }
    let (body, check) = bytes.split_at(bytes.len() - TAG);
    if tag(secret, body) != check {
        return None;
    }
    let word = |i: usize| {
        let start = PREFIX.len() + i * 8;
        let mut buf = [0; 8];
        buf.copy_from_slice(&body[start..start + 8]);
        u64::from_be_bytes(buf)
    };
    Some(ReceiptRef {
        incarnation: word(0),
        message: word(1),
        serial: word(2),
    })
}

/// Size of the random filler [`encode`] wants.
pub const PADDING_LEN: usize = PADDING;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let secret = [7; 16];
        let r = ReceiptRef {
            incarnation: 3,
            message: 42,
            serial: 9,
        };
        let handle = encode(&secret, r, &[5; PADDING]);
        assert!(handle.starts_with("AQEB"));
        assert_eq!(decode(&secret, &handle), Some(r));
        assert_eq!(decode(&[8; 16], &handle), None);
        assert_eq!(decode(&secret, "garbage"), None);
        let mut tampered = handle.into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(decode(&secret, &String::from_utf8_lossy(&tampered)), None);
    }
}
