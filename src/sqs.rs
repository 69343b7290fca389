//! The only place that builds an SQS client: configuration, queue lookup (type and
//! deduplication), and turning SDK errors into one clear line with a hint.

use anyhow::Result;

use crate::config::Config;

/// A connected client and where it points (for banners and error hints).
#[derive(Debug, Clone)]
pub struct Sqs {
    /// The SDK client.
    pub client: aws_sdk_sqs::Client,
    /// The endpoint in use, as shown to the user.
    pub endpoint: String,
    /// The region in use.
    pub region: String,
}

/// What the tool needs to know about a queue, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// The queue URL.
    pub url: String,
    /// The queue name.
    pub name: String,
    /// A FIFO queue.
    pub fifo: bool,
    /// FIFO with content-based deduplication on.
    pub content_based_dedup: bool,
}

/// Builds a client from the resolved configuration.
///
/// # Errors
/// No credentials or region could be found.
pub async fn connect(_config: &Config) -> Result<Sqs> {
    todo!("client helper")
}

/// A client for a local endpoint (the embedded server) with dummy credentials.
#[must_use]
pub fn connect_local(_endpoint: &str, _region: &str) -> Sqs {
    todo!("client helper")
}

impl Sqs {
    /// Looks up a queue by name or URL and reads its type.
    ///
    /// # Errors
    /// The queue does not exist (with a hint naming region, endpoint and similar names), or
    /// any SDK error, made readable.
    pub async fn queue(&self, _name_or_url: &str) -> Result<QueueInfo> {
        todo!("client helper")
    }
}
