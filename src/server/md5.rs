//! The MD5 digests SQS returns: of the body, and of message (or system) attributes in SQS's
//! length-prefixed binary encoding.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

/// An attribute value as stored: text for String/Number types, raw bytes for Binary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AttributeValue {
    /// `StringValue` (String and Number types, custom labels included).
    Text(String),
    /// Decoded `BinaryValue`.
    Bytes(Vec<u8>),
}

/// One message attribute: its full data type (`Number.float`) and value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageAttribute {
    /// Full DataType string.
    pub data_type: String,
    /// The value.
    pub value: AttributeValue,
}

impl MessageAttribute {
    /// Bytes this attribute counts toward the message size (name, type and value).
    #[must_use]
    pub fn size(&self, name: &str) -> usize {
        name.len()
            + self.data_type.len()
            + match &self.value {
                AttributeValue::Text(s) => s.len(),
                AttributeValue::Bytes(b) => b.len(),
            }
    }
}

/// Lower-case hex MD5 of the body's UTF-8 bytes.
#[must_use]
pub fn md5_of_body(body: &str) -> String {
    lower_hex(&Md5::digest(body.as_bytes()))
}

/// `bytes` in lower-case hex, written a byte at a time (`hex::encode` builds its `String` a
/// character at a time, a fifth of the cost of a body's MD5).
fn lower_hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    // The buffer is exactly twice as long, and hex digits are ASCII: neither can fail.
    let _ = hex::encode_to_slice(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn push_len_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// MD5OfMessageAttributes over `attributes` (sorted by name); `None` when there are none.
#[must_use]
pub fn md5_of_attributes(attributes: &BTreeMap<String, MessageAttribute>) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    for (name, attribute) in attributes {
        push_len_prefixed(&mut buf, name.as_bytes());
        push_len_prefixed(&mut buf, attribute.data_type.as_bytes());
        match &attribute.value {
            AttributeValue::Text(s) => {
                buf.push(1);
                push_len_prefixed(&mut buf, s.as_bytes());
            }
            AttributeValue::Bytes(b) => {
                buf.push(2);
                push_len_prefixed(&mut buf, b);
            }
        }
    }
    Some(lower_hex(&Md5::digest(&buf)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(data_type: &str, value: &str) -> MessageAttribute {
        MessageAttribute {
            data_type: data_type.to_string(),
            value: AttributeValue::Text(value.to_string()),
        }
    }

    fn digest(attrs: &[(&str, MessageAttribute)]) -> Option<String> {
        let map: BTreeMap<String, MessageAttribute> = attrs
            .iter()
            .map(|(n, a)| ((*n).to_string(), a.clone()))
            .collect();
        md5_of_attributes(&map)
    }

    #[test]
    fn body_vectors() {
        assert_eq!(md5_of_body("test"), "098f6bcd4621d373cade4e832627b4f6");
        assert_eq!(md5_of_body("Test"), "0cbc6611f5540bd0809a388dc95a615b");
        assert_eq!(
            md5_of_body("message-body-1"),
            "19c9e282d65f9733bc6b35d50062c7ee"
        );
    }

    #[test]
    fn attribute_vectors_single() {
        let cases = [
            (
                "Foo",
                text("String", "Bar"),
                "ae7155c6026991b6d54b11589678bf9c",
            ),
            (
                "MyAttribute",
                text("String", "foobar"),
                "adb59cd4678ea5a855436b949cd07ab6",
            ),
            (
                "timestamp",
                text("Number", "1493147359900"),
                "235c5c510d26fb653d073faed50ae77c",
            ),
            (
                "attribName1",
                text("String", "attribValue 1"),
                "19e27d4e946b072f3f58da80d94fd778",
            ),
            (
                "customNumberTypeAttrib",
                text("Number.float", "4563442423554324324264524243.32543234"),
                "9fe1b90bbd9965bdf77bac517c7d2495",
            ),
            (
                "binaryAttribute",
                MessageAttribute {
                    data_type: "Binary".to_string(),
                    value: AttributeValue::Bytes(b"Hello binary world!".to_vec()),
                },
                "31a92b15d92f8db860eda32aceb656c3",
            ),
            (
                "attr1",
                MessageAttribute {
                    data_type: "Binary".to_string(),
                    value: AttributeValue::Bytes(
                        b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"
                            .to_vec(),
                    ),
                },
                "8cbe4db156db8a94db8b801b7addb984",
            ),
        ];
        for (name, attribute, expected) in cases {
            assert_eq!(
                digest(&[(name, attribute)]).as_deref(),
                Some(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn attribute_vectors_subsets() {
        let general = ("General", text("String", "Kenobi"));
        let hello = ("Hello", text("String", "There"));
        let help = ("Help.Me", text("String", "Me"));
        assert_eq!(
            digest(&[general.clone(), hello.clone(), help.clone()]).as_deref(),
            Some("4c360f3fdafd970e05fae2f149d997f5")
        );
        assert_eq!(
            digest(&[general, hello.clone()]).as_deref(),
            Some("fca026605781cb4126a1e9044df24232")
        );
        assert_eq!(
            digest(std::slice::from_ref(&hello)).as_deref(),
            Some("a311262e065454b75da111d535b8dacd")
        );
        assert_eq!(
            digest(&[hello, help]).as_deref(),
            Some("83fee93c1bcd8b9a5a923ffacdc636c7")
        );
        assert_eq!(digest(&[]), None);
    }
}
