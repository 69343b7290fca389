//! What the integration tests share, each defined once: the embedded server in-process with
//! SDK clients ([`server`]), the SDK request shapes the server tests repeat ([`sdk`]) and those
//! they send themselves ([`requests`]), raw HTTP to it ([`http`]), the built binary with an
//! isolated environment ([`binary`]) and against the server ([`cli`]), `queue serve` as a
//! child process ([`serve_process`]), stand-ins for AWS ([`fake_aws`]) and SNS clients ([`sns`]).

pub mod binary;
pub mod cli;
pub mod fake_aws;
pub mod http;
pub mod requests;
pub mod sdk;
pub mod serve_process;
pub mod server;
pub mod sns;

use md5::{Digest, Md5};

/// The MD5 of `text` in lower-case hex, as SQS reports `MD5OfMessageBody`.
#[must_use]
pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// Whether `id` has the shape of an SQS request or message id (a UUID).
#[must_use]
pub fn is_request_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}
