//! The only place that builds an SQS client: configuration, queue lookup (type and
//! deduplication), and turning SDK errors into one clear line with a hint ([`errors`]).
//!
//! Local mode is the normal AWS path plus an endpoint and static credentials. Timeouts are
//! short (a 3 s connect timeout, 3 attempts with a 200 ms initial backoff) so a wrong or dead
//! endpoint fails in seconds; read timeouts are left to the long poll (up to 20 s).

pub mod errors;

use std::time::Duration;

use anyhow::Result;
use aws_config::BehaviorVersion;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::Config;
use crate::exit::Friendly;
use errors::{ErrorContext, Problem};

/// Region used when neither `--region`, the environment nor a profile names one.
pub const DEFAULT_REGION: &str = "us-east-1";
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

/// Words of the panic the SDK's TLS set-up raises when it finds no CA certificates at all
/// (aws-smithy-http-client: "... no valid root certificates parsed!"). It raises it for
/// every endpoint, plain-HTTP ones included, the first time a client sends a request.
const NO_ROOTS_PANIC: &str = "no valid root certificates";

/// Turns the SDK's no-CA-certificates panic into the usual one line and hint (exit 1, no
/// backtrace). Any other panic goes on to the previous hook. Installed once, before the
/// first request; a later terminal hook (the TUI's) restores the terminal first.
fn install_no_ca_certificates_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if text.contains(NO_ROOTS_PANIC) {
                let failure = Friendly::new(
                    "no CA certificates found: TLS connections cannot be checked",
                    "install the CA certificates (e.g. apt-get install ca-certificates), or \
                     point SSL_CERT_FILE at a readable bundle; the AWS SDK needs them even for \
                     a local http:// endpoint",
                );
                for line in crate::exit::describe(&failure.into()).lines {
                    crate::exit::note(line);
                }
                std::process::exit(i32::from(crate::exit::FAILURE));
            }
            previous(info);
        }));
    });
}

/// Builds a client from the resolved configuration. Says on stderr when the region defaults
/// to us-east-1.
///
/// # Errors
/// No credentials or region could be found.
pub async fn connect(config: &Config) -> Result<Sqs> {
    install_no_ca_certificates_hook();
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
    let shared = loader.load().await;
    let region = match shared.region() {
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
    let mut builder =
        aws_sdk_sqs::config::Builder::from(&shared).region(Region::new(region.clone()));
    builder.set_endpoint_url(config.endpoint_url.clone());
    let endpoint = config
        .endpoint_url
        .clone()
        .unwrap_or_else(|| format!("https://sqs.{region}.amazonaws.com"));
    let context = ErrorContext {
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
    })
}

/// A client for a local endpoint (the embedded server) with dummy credentials.
#[must_use]
pub fn connect_local(endpoint: &str, region: &str) -> Sqs {
    install_no_ca_certificates_hook();
    let conf = aws_sdk_sqs::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(dummy_credentials())
        .timeout_config(timeouts())
        .retry_config(retries())
        .build();
    Sqs {
        client: aws_sdk_sqs::Client::from_conf(conf),
        context: ErrorContext {
            endpoint: endpoint.to_string(),
            region: region.to_string(),
            local_endpoint: true,
            ..ErrorContext::default()
        },
    }
}

/// The words every "queue not found" message of this module carries (see [`is_queue_not_found`]).
const NOT_FOUND_IN_REGION: &str = "not found in region";

/// Whether `error` is a lookup's "queue not found" (rather than, say, a credential or
/// endpoint failure), for callers that answer it with their own hint.
#[must_use]
pub fn is_queue_not_found(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<Friendly>()
        .is_some_and(|friendly| friendly.message.contains(NOT_FOUND_IN_REGION))
}

/// Lookup calls retried on top of the SDK's own attempts when the error is transient.
pub const LOOKUP_RETRIES: u32 = 4;

/// Runs a lookup call, again (after a growing pause) while it fails with a transient error,
/// up to [`LOOKUP_RETRIES`] more times.
async fn with_lookup_retries<T, E, F, Fut>(
    mut call: F,
) -> Result<T, aws_sdk_sqs::error::SdkError<E>>
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, aws_sdk_sqs::error::SdkError<E>>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(error) if attempt < LOOKUP_RETRIES && errors::classify(&error).is_retryable() => {
                attempt += 1;
                tokio::time::sleep(INITIAL_BACKOFF.saturating_mul(1 << attempt)).await;
            }
            answer => return answer,
        }
    }
}

/// The queue name at the end of a queue URL.
fn name_from_url(url: &str) -> String {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(url)
        .to_string()
}

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

    /// Looks up a queue by name or URL and reads its type.
    ///
    /// # Errors
    /// The queue does not exist (with a hint naming region, endpoint and similar names), or
    /// any SDK error, made readable.
    pub async fn queue(&self, name_or_url: &str) -> Result<QueueInfo> {
        let name_or_url = name_or_url.trim();
        let is_url = name_or_url.starts_with("http://") || name_or_url.starts_with("https://");
        let (url, name) = if is_url {
            (name_or_url.to_string(), name_from_url(name_or_url))
        } else {
            let answer =
                with_lookup_retries(|| self.client.get_queue_url().queue_name(name_or_url).send())
                    .await;
            match answer {
                Ok(output) => match output.queue_url {
                    Some(url) => (url, name_or_url.to_string()),
                    None => return Err(self.not_found(name_or_url).await.into()),
                },
                Err(error) => return Err(self.lookup_error(&error, name_or_url).await.into()),
            }
        };
        let answer = with_lookup_retries(|| {
            self.client
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::All)
                .send()
        })
        .await;
        let attributes = match answer {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(error) => return Err(self.lookup_error(&error, &name).await.into()),
        };
        let flag = |attribute: QueueAttributeName| {
            attributes
                .get(&attribute)
                .is_some_and(|value| value.eq_ignore_ascii_case("true"))
        };
        let fifo = flag(QueueAttributeName::FifoQueue);
        let content_based_dedup = fifo && flag(QueueAttributeName::ContentBasedDeduplication);
        let named_fifo = name.ends_with(".fifo");
        if named_fifo != fifo {
            let (message, hint) = if named_fifo {
                (
                    format!("{name} ends in .fifo but is a standard queue"),
                    "a FIFO queue must be created as FIFO (FifoQueue=true); check which queue you mean",
                )
            } else {
                (
                    format!("{name} is a FIFO queue but its name does not end in .fifo"),
                    "FIFO queue names end in .fifo; check the endpoint and the queue name",
                )
            };
            return Err(Friendly::new(message, hint).into());
        }
        Ok(QueueInfo {
            url,
            name,
            fifo,
            content_based_dedup,
        })
    }

    async fn lookup_error<E>(&self, error: &aws_sdk_sqs::error::SdkError<E>, name: &str) -> Friendly
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match errors::classify(error) {
            Problem::QueueNotFound => self.not_found(name).await,
            problem => errors::describe(&problem, &self.context, Some(name)),
        }
    }

    /// "Queue not found", naming region and endpoint and listing similar names.
    async fn not_found(&self, name: &str) -> Friendly {
        let message = format!(
            "queue {name} {NOT_FOUND_IN_REGION} {} at {}",
            self.region(),
            self.endpoint()
        );
        let existing: Vec<String> = match self.client.list_queues().max_results(1000).send().await {
            Ok(output) => output
                .queue_urls
                .unwrap_or_default()
                .iter()
                .map(|url| name_from_url(url))
                .collect(),
            Err(_) => Vec::new(),
        };
        Friendly::new(message, not_found_hint(name, &existing))
    }
}

/// The hint for a missing queue, given the names that do exist.
#[must_use]
pub fn not_found_hint(name: &str, existing: &[String]) -> String {
    let with_fifo = format!("{name}.fifo");
    if existing.contains(&with_fifo) {
        return format!("FIFO queue names end in .fifo: did you mean --name {with_fifo}?");
    }
    if let Some(stripped) = name.strip_suffix(".fifo")
        && existing.iter().any(|queue| queue == stripped)
    {
        return format!(
            "{stripped} exists but is a standard queue; a FIFO queue named {name} must be created as FIFO"
        );
    }
    let similar = similar_names(name, existing);
    if similar.is_empty() {
        "check --name and --region (queues live in one region), or create the queue first; \
         for a local one run `queue serve`"
            .to_string()
    } else {
        format!("queues with a similar name: {}", similar.join(", "))
    }
}

/// Up to five names close to `name` (same letters ignoring case and punctuation, one contains
/// the other, or a few edits apart).
#[must_use]
pub fn similar_names(name: &str, existing: &[String]) -> Vec<String> {
    let squash = |text: &str| {
        text.trim_end_matches(".fifo")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    let wanted = squash(name);
    let mut scored: Vec<(usize, &String)> = existing
        .iter()
        .filter_map(|candidate| {
            let have = squash(candidate);
            let distance = edit_distance(&wanted, &have);
            let close = have == wanted
                || (!wanted.is_empty() && (have.contains(&wanted) || wanted.contains(&have)))
                || distance <= 3.max(wanted.len() / 4);
            close.then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, name)| name.clone())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fifo_suffix_is_named() {
        let existing = vec!["csse6400_prac.fifo".to_string()];
        assert!(not_found_hint("csse6400_prac", &existing).contains("--name csse6400_prac.fifo"));
        let existing = vec!["csse6400_prac".to_string()];
        assert!(
            not_found_hint("csse6400_prac.fifo", &existing).contains("is a standard queue"),
            "{}",
            not_found_hint("csse6400_prac.fifo", &existing)
        );
    }

    #[test]
    fn similar_names_are_listed() {
        let existing: Vec<String> = ["csse6400_prac", "csse6400-prac2", "orders", "other"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let similar = similar_names("csse6400_prc", &existing);
        assert_eq!(similar, vec!["csse6400_prac", "csse6400-prac2"]);
        assert!(similar_names("zzzzzzzzzzzz", &existing).is_empty());
    }

    #[test]
    fn names_come_from_urls() {
        assert_eq!(
            name_from_url("https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo"),
            "q.fifo"
        );
        assert!(is_local_endpoint("http://127.0.0.1:9324"));
        assert!(!is_local_endpoint("https://sqs.us-east-1.amazonaws.com"));
    }
}
