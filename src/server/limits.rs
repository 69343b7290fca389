//! The limits that keep hostile or broken clients from holding or growing the server: request
//! body size, header size, open connections and how long a client may take to send its
//! headers (which is also how long a keep-alive connection may sit idle) or its body.

use std::time::Duration;

/// How much a client may send and how long it may take. Every limit is answered cleanly: a
/// body too large is a 413 and headers too large a 431 (both then close the connection), a
/// body too slow a 408, headers too slow or an idle keep-alive connection are closed, and
/// connections beyond the cap wait in the listen backlog until one closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, refused from its `Content-Length` before any of it is read (a
    /// chunked body is cut off there). SQS takes 1 MiB of message, or of batch; a Query form
    /// percent-encodes it, hence the headroom.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers).
    pub max_header_bytes: usize,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Time to send a request's headers, counted from the connection's start or the end of
    /// the previous response: a slow-loris client and an idle keep-alive connection are
    /// closed after it. A long poll waits for its answer, not for headers, so it is not cut.
    pub header_timeout: Duration,
    /// Time to send a request's body once its headers are in (408 after it).
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}
