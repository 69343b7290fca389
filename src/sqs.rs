//! The only place that builds an SQS client ([`connect`], [`connect_local`]) and the shared
//! AWS configuration ([`Sqs::shared`]) the SNS client is built from ([`crate::sns`]). Finding
//! a queue and its suggestions live in [`lookup`]; turning SDK errors into one clear line with
//! a hint in [`errors`].
//!
//! Local mode is the normal AWS path plus an endpoint and static credentials. Timeouts are
//! short (a 3 s connect timeout, 3 attempts with a 200 ms initial backoff) so a wrong or dead
//! endpoint fails in seconds; read timeouts are left to the long poll (up to 20 s).

pub mod errors;
pub mod lookup;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{Credentials, Region, SharedCredentialsProvider};

use crate::config::Config;
use crate::exit::Friendly;
use crate::rules::DEFAULT_REGION;
use errors::ErrorContext;
pub use lookup::{Lookup, QueueInfo};

/// How long to wait for a TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per request (the first one included) made by the SDK itself.
pub const MAX_ATTEMPTS: u32 = 3;
/// First backoff between the SDK's attempts.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(200);

/// A connected client and where it points (for banners and error hints).
#[derive(Debug, Clone)]
pub struct Sqs {
    /// The SDK client.
    pub client: aws_sdk_sqs::Client,
    /// Where it points and what error hints need to know (endpoint, region, env-file
    /// problems).
    pub context: ErrorContext,
    /// The credentials the client signs with, for `queue bench`'s lean client.
    pub credentials: Option<SharedCredentialsProvider>,
    /// The configuration the client was built from (credentials, region, timeouts, retries;
    /// the endpoint only for [`connect_local`]): other services' clients start from it.
    pub shared: Arc<SdkConfig>,
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
}

fn dummy_credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "queue-local")
}

/// Whether an endpoint is on this machine.
#[must_use]
pub fn is_local_endpoint(endpoint: &str) -> bool {
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))
        .unwrap_or(endpoint);
    [
        "127.",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "host.docker.internal",
    ]
    .iter()
    .any(|local| rest.starts_with(local))
}

/// Builds a client from the resolved configuration. Says on stderr when the region defaults
/// to us-east-1.
///
/// # Errors
/// No credentials or region could be found.
pub async fn connect(config: &Config) -> Result<Sqs> {
    crate::exit::install_panic_hook();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(retries());
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if config.local && !config.has_env_credentials {
        loader = loader.credentials_provider(dummy_credentials());
    }
    let loaded = loader.load().await;
    let region = match loaded.region() {
        Some(region) => region.to_string(),
        // The embedded server serves every region; the note would only be noise there.
        None if config.local => DEFAULT_REGION.to_string(),
        None => {
            crate::exit::note(format_args!(
                "note: no region set (--region, AWS_REGION or a profile); using {DEFAULT_REGION}"
            ));
            DEFAULT_REGION.to_string()
        }
    };
    // The endpoint is exactly the one `config` resolved (flag, --local, or a non-empty
    // AWS_ENDPOINT_URL[_SQS]), so the banner tells the truth and an empty variable cannot
    // reach the SDK (which panics on an empty URL).
    let shared = loaded
        .into_builder()
        .region(Region::new(region.clone()))
        .build();
    let mut builder = aws_sdk_sqs::config::Builder::from(&shared);
    builder.set_endpoint_url(config.endpoint_url.clone());
    let endpoint = config
        .endpoint_url
        .clone()
        .unwrap_or_else(|| format!("https://sqs.{region}.amazonaws.com"));
    let context = ErrorContext {
        service: errors::Service::Sqs,
        local_endpoint: is_local_endpoint(&endpoint),
        endpoint,
        region,
        env_files: config
            .env_files
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        env_problems: config.env_problems.clone(),
    };
    Ok(Sqs {
        client: aws_sdk_sqs::Client::from_conf(builder.build()),
        context,
        credentials: shared.credentials_provider(),
        shared: Arc::new(shared),
    })
}

/// A client for a local endpoint (the embedded server) with dummy credentials.
#[must_use]
pub fn connect_local(endpoint: &str, region: &str) -> Sqs {
    crate::exit::install_panic_hook();
    let shared = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(dummy_credentials()))
        .timeout_config(timeouts())
        .retry_config(retries())
        .build();
    Sqs {
        client: aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(&shared).build()),
        context: ErrorContext {
            endpoint: endpoint.to_string(),
            region: region.to_string(),
            local_endpoint: true,
            ..ErrorContext::default()
        },
        credentials: Some(SharedCredentialsProvider::new(dummy_credentials())),
        shared: Arc::new(shared),
    }
}

/// The words every "queue not found" message carries ([`errors::describe`] and
/// [`lookup`]'s own).
const NOT_FOUND_IN_REGION: &str = "not found in region";

impl Sqs {
    /// The endpoint in use, as shown to the user.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.context.endpoint
    }

    /// The region in use.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.context.region
    }

    /// Turns an SDK error into a friendly one (for the other modules of this crate).
    pub fn friendly<E>(
        &self,
        error: &aws_sdk_sqs::error::SdkError<E>,
        queue: Option<&str>,
    ) -> Friendly
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        errors::friendly(error, &self.context, queue)
    }
}
