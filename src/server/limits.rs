//! The limits that keep hostile or broken clients from holding or growing the server: request
//! body size, header size, open connections, how long a client may take to send its headers
//! (which is also how long a keep-alive connection may sit idle) or its body, and how long it
//! may leave a response unread.

use std::time::Duration;

/// How much a client may send and how long it may take. Every limit is answered cleanly: a
/// body too large is a 413 and headers too large a 431 (both then close the connection), a
/// body too slow a 408, headers too slow, an idle keep-alive connection or a response left
/// unread are closed, and connections beyond the cap wait in the listen backlog until one
/// closes.
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
    /// Time a response may wait to be written while the client reads none of it (the socket
    /// buffers are full): the connection is then closed, freeing its place and the answer it
    /// holds. Any progress restarts it, so a slow reader that keeps reading is not cut, and
    /// a long poll writes nothing while it waits.
    pub write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 2 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}
