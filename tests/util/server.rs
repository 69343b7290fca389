//! The embedded server in-process for the tests: started on `127.0.0.1:0` with deterministic
//! options, a real `aws-sdk-sqs` client for it (any region), queue creation (standard, FIFO,
//! with attributes), and a blocking handle with its own runtime for the tests that run the
//! built binary against it.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::{LocalServer, ServeOptions};

/// Access key id the test clients sign with (not a secret; the server derives SenderId from it).
pub const ACCESS_KEY_ID: &str = "AKIDQUEUETEST";
/// The server's one account.
pub const ACCOUNT: &str = "000000000000";

/// The seed of every in-process server that names no other.
pub const SEED: u64 = 6400;

/// A server with [`ServeOptions::deterministic`] and [`SEED`]: no queues at start, strict order,
/// no duplicates, no latency, no injected failures.
pub async fn start() -> LocalServer {
    start_with(ServeOptions::deterministic(SEED)).await
}

/// A server as [`start`] gives, with a client for it as [`client`] builds.
pub async fn start_and_connect() -> (LocalServer, Client) {
    let server = start().await;
    let client = client(&server);
    (server, client)
}

/// A server and client as [`start_and_connect`] gives, with one queue created: its URL third.
pub async fn start_with_queue(name: &str) -> (LocalServer, Client, String) {
    let (server, client) = start_and_connect().await;
    let url = create_queue(&client, name).await;
    (server, client, url)
}

/// A server and client as [`start_and_connect`] gives, with one FIFO queue as [`create_fifo`]
/// makes it: its URL third.
pub async fn start_with_fifo(name: &str) -> (LocalServer, Client, String) {
    let (server, client) = start_and_connect().await;
    let url = create_fifo(&client, name).await;
    (server, client, url)
}

/// [`ServeOptions::deterministic`] with the practical's two queues at start, as `queue serve`
/// creates them.
#[must_use]
pub fn practical(seed: u64) -> ServeOptions {
    ServeOptions {
        queues: ServeOptions::default().queues,
        ..ServeOptions::deterministic(seed)
    }
}

/// [`ServeOptions::deterministic`] with the reordering and duplicates `queue serve` ships with.
#[must_use]
pub fn as_shipped(seed: u64) -> ServeOptions {
    let shipped = ServeOptions::default();
    ServeOptions {
        ordered: shipped.ordered,
        duplicate_rate: shipped.duplicate_rate,
        ..ServeOptions::deterministic(seed)
    }
}

/// A server with the given options.
pub async fn start_with(options: ServeOptions) -> LocalServer {
    LocalServer::start(options)
        .await
        .expect("start the local SQS server")
}

/// A real SDK client for `server` in us-east-1 that does not retry (errors surface at once).
#[must_use]
pub fn client(server: &LocalServer) -> Client {
    client_in(server, "us-east-1")
}

/// A real SDK client for `server` signing for `region`, without retries.
#[must_use]
pub fn client_in(server: &LocalServer, region: &str) -> Client {
    client_with(server, region, RetryConfig::disabled())
}

/// A real SDK client for `server` with the given retry behaviour.
#[must_use]
pub fn client_with(server: &LocalServer, region: &str, retry: RetryConfig) -> Client {
    client_at_with(&server.endpoint(), region, retry)
}

/// A real SDK client for the server at `endpoint` (`http://localhost:PORT`, say: the name is
/// resolved as the SDK resolves any), signing for `region`, without retries.
#[must_use]
pub fn client_at(endpoint: &str, region: &str) -> Client {
    client_at_with(endpoint, region, RetryConfig::disabled())
}

fn client_at_with(endpoint: &str, region: &str, retry: RetryConfig) -> Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            "test-secret",
            None,
            None,
            "queue-tests",
        ))
        .retry_config(retry)
        .build();
    Client::from_conf(config)
}

/// Creates a queue (FIFO when `name` ends in `.fifo`) and returns its URL.
pub async fn create_queue(client: &Client, name: &str) -> String {
    create_queue_with(client, name, &[]).await
}

/// Creates a queue (FIFO when `name` ends in `.fifo`) with these attributes, returns its URL.
pub async fn create_queue_with(
    client: &Client,
    name: &str,
    attributes: &[(QueueAttributeName, &str)],
) -> String {
    let mut request = client.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        request = request.attributes(QueueAttributeName::FifoQueue, "true");
    }
    for (attribute, value) in attributes {
        request = request.attributes(attribute.clone(), *value);
    }
    request
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}

/// Creates a FIFO queue (`name` ends in `.fifo`) with content-based deduplication, so that
/// sends need only a group; returns its URL.
pub async fn create_fifo(client: &Client, name: &str) -> String {
    let deduplicate_by_content = [(QueueAttributeName::ContentBasedDeduplication, "true")];
    create_queue_with(client, name, &deduplicate_by_content).await
}

/// The embedded server, kept alive (with its runtime) for the test.
pub struct BlockingServer {
    runtime: tokio::runtime::Runtime,
    server: Option<LocalServer>,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl BlockingServer {
    /// Starts a server with these options.
    pub fn start(options: ServeOptions) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(LocalServer::start(options))
            .expect("server starts");
        let endpoint = server.endpoint();
        Self {
            runtime,
            server: Some(server),
            endpoint,
        }
    }

    /// The practical's two queues, strict order on the standard one, no duplicates, seed 7.
    pub fn ordered() -> Self {
        Self::start(practical(7))
    }

    /// Runs SDK calls against the server (queue creation, peeking).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A client with dummy credentials.
    pub fn sqs(&self) -> queue::sqs::Sqs {
        queue::sqs::connect_local(&self.endpoint, "us-east-1")
    }

    /// Creates a queue (FIFO when `name` ends in `.fifo`) with these attributes, returns its
    /// URL.
    pub fn create_queue(&self, name: &str, attributes: &[(&str, &str)]) -> String {
        let sqs = self.sqs();
        self.block_on(async {
            let mut request = sqs.client.create_queue().queue_name(name);
            if name.ends_with(".fifo") {
                request = request.attributes(QueueAttributeName::FifoQueue, "true");
            }
            for (key, value) in attributes {
                request = request.attributes((*key).into(), (*value).to_string());
            }
            request
                .send()
                .await
                .expect("create queue")
                .queue_url
                .expect("url")
        })
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server.stop());
        }
    }
}

/// The service error a request that must fail answered with (the SDK's `unwrap_err()` plus
/// `into_service_error()`, which needs trait bounds the SDK does not re-export).
///
/// # Panics
/// The request succeeded, or failed without an answer from the service (a connection error).
pub async fn rejected<T, E, R>(request: impl Future<Output = Result<T, SdkError<E, R>>>) -> E
where
    T: std::fmt::Debug,
    E: std::fmt::Debug,
    R: std::fmt::Debug,
{
    match request.await {
        Ok(answer) => panic!("the request must fail, but it answered {answer:?}"),
        Err(SdkError::ServiceError(context)) => context.into_err(),
        Err(other) => panic!("expected a service error, got {other:?}"),
    }
}
