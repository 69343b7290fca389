//! The seam between the wire (HTTP, JSON and Query protocols) and the queue engine: every
//! request arrives here as an action name and a JSON-protocol-shaped input, whatever protocol
//! carried it, and leaves as a JSON-protocol-shaped output or an [`SqsError`].

use std::time::Duration;

use serde_json::Value;

use super::ServeOptions;
use super::error::SqsError;

/// Where a request came from and how it was addressed.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Region from the SigV4 credential scope (else the server's default, us-east-1).
    pub region: String,
    /// Account id (the server has one: `000000000000`).
    pub account: String,
    /// `host:port` the client used, for building queue URLs.
    pub host: String,
    /// Queue URL path when the request was addressed to `/<account>/<name>`.
    pub path_queue: Option<(String, String)>,
    /// `X-Amzn-Trace-Id`, which SendMessage turns into the `AWSTraceHeader` attribute.
    pub trace_header: Option<String>,
    /// The SenderId to record (from the access key id).
    pub sender_id: String,
}

/// The queues and their messages: a cheap clonable handle.
#[derive(Clone)]
pub struct Engine {
    // server engine helper
}

impl Engine {
    /// An engine with the options' queues created.
    #[must_use]
    pub fn new(_options: &ServeOptions) -> Self {
        todo!("server engine helper")
    }

    /// Moves the engine's clock forward and wakes waiting long polls.
    pub fn advance_clock(&self, _by: Duration) {
        todo!("server engine helper")
    }

    /// Runs one action. `action` is the operation name (`SendMessage`); `input` is the request
    /// as the JSON protocol would carry it.
    ///
    /// # Errors
    /// Any SQS error the action can answer with, including `UnsupportedOperation` for unknown
    /// actions.
    pub async fn dispatch(
        &self,
        _ctx: &RequestContext,
        _action: &str,
        _input: Value,
    ) -> Result<Value, SqsError> {
        todo!("server engine helper")
    }
}
