//! The friendly-error table: turns SDK errors into one line and a hint a student can act on.
//!
//! [`classify`] reads the SDK error (typed variants, then `ProvideErrorMetadata::code()`);
//! [`describe`] words it with what we know about the connection ([`ErrorContext`]). Raw SDK
//! output is never shown for the known cases, so no key, token or signature is ever printed.
//! SNS errors go through the same table (the SDKs share their error types); the wording names
//! the service in [`ErrorContext::service`].

use std::error::Error as StdError;

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};

use super::NOT_FOUND_IN_REGION;
use crate::exit::Friendly;

/// What went wrong, independent of wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The SDK found no credentials anywhere.
    NoCredentials,
    /// `ExpiredToken`: the Learner Lab session ended.
    ExpiredToken,
    /// `InvalidClientTokenId` / `UnrecognizedClientException`.
    InvalidToken,
    /// `SignatureDoesNotMatch` (or a skewed clock).
    SignatureMismatch,
    /// `AccessDenied`.
    AccessDenied,
    /// The queue does not exist.
    QueueNotFound,
    /// The SNS topic (or subscription) does not exist (`NotFound`).
    TopicNotFound,
    /// A FIFO send without deduplication id on a queue without content-based deduplication.
    FifoNeedsDedupId,
    /// The endpoint could not be reached (connection refused, DNS).
    Unreachable,
    /// The connection failed in TLS: the certificate could not be checked (no CA
    /// certificates, a CA bundle that cannot be read, an untrusted certificate) or the
    /// endpoint does not speak TLS (`https://` to a plain HTTP server).
    Tls {
        /// The TLS library's words (no secrets: certificates and handshakes only).
        detail: String,
    },
    /// The endpoint did not answer in time.
    Timeout,
    /// Throttling or a server-side failure: worth retrying.
    Transient {
        /// The error code, when the server sent one.
        code: String,
    },
    /// An answer without an SQS error code: probably not an SQS endpoint.
    NotSqs {
        /// The HTTP status.
        status: u16,
    },
    /// Anything else, with the server's words.
    Other {
        /// The error code.
        code: String,
        /// The server's message.
        message: String,
    },
}

impl Problem {
    /// Whether sending the same request again may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::Timeout)
    }
}

/// Which AWS service a client speaks, for the wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Service {
    /// Amazon SQS.
    #[default]
    Sqs,
    /// Amazon SNS.
    Sns,
}

impl Service {
    /// `SQS` / `SNS`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sqs => "SQS",
            Self::Sns => "SNS",
        }
    }

    /// What its errors are about: `queue` / `topic`.
    #[must_use]
    pub const fn resource(self) -> &'static str {
        match self {
            Self::Sqs => "queue",
            Self::Sns => "topic",
        }
    }
}

/// What the wording needs to know about the connection.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    /// The service the client speaks.
    pub service: Service,
    /// The endpoint in use, as shown in the banner.
    pub endpoint: String,
    /// The region in use.
    pub region: String,
    /// The endpoint is this machine (`queue serve`), not AWS.
    pub local_endpoint: bool,
    /// Env files that were read.
    pub env_files: Vec<String>,
    /// Mistakes found in env files or variables (see `config`).
    pub env_problems: Vec<String>,
}

/// Error codes (AWS JSON `__type` suffixes and legacy Query codes) worth retrying.
const TRANSIENT_CODES: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "RequestThrottled",
    "ThrottlingException",
    "Throttling",
    "RequestThrottledException",
    "KMS.ThrottlingException",
    "SlowDown",
    "Throttled",
    "KMSThrottling",
];

/// Names a problem from an error code, message and HTTP status (the testable core).
#[must_use]
pub fn problem_from_code(code: Option<&str>, message: Option<&str>, status: u16) -> Problem {
    let code = code.unwrap_or_default();
    let message = message.unwrap_or_default();
    match code {
        "ExpiredToken" | "ExpiredTokenException" => Problem::ExpiredToken,
        "InvalidClientTokenId" | "UnrecognizedClientException" | "InvalidAccessKeyId" => {
            Problem::InvalidToken
        }
        "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "RequestExpired"
        | "RequestTimeTooSkewed" => Problem::SignatureMismatch,
        "AccessDenied" | "AccessDeniedException" | "AuthorizationError" => Problem::AccessDenied,
        "NotFound" | "NotFoundException" => Problem::TopicNotFound,
        "AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist" => Problem::QueueNotFound,
        "InvalidParameterValue" | "InvalidParameterValueException" | "InvalidParameter"
            if message.contains("ContentBasedDeduplication") =>
        {
            Problem::FifoNeedsDedupId
        }
        _ if TRANSIENT_CODES.contains(&code) || status >= 500 => Problem::Transient {
            code: if code.is_empty() {
                format!("HTTP {status}")
            } else {
                code.to_string()
            },
        },
        "" => Problem::NotSqs { status },
        _ => Problem::Other {
            code: code.to_string(),
            message: message.to_string(),
        },
    }
}

/// Names the problem behind an SDK error.
pub fn classify<E>(error: &SdkError<E>) -> Problem
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    if mentions_missing_credentials(error) {
        return Problem::NoCredentials;
    }
    match error {
        SdkError::ServiceError(service) => problem_from_code(
            service.err().code(),
            service.err().message(),
            service.raw().status().as_u16(),
        ),
        SdkError::TimeoutError(_) => Problem::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Problem::Timeout,
        SdkError::DispatchFailure(_) => match tls_failure(error) {
            Some(detail) => Problem::Tls { detail },
            None => Problem::Unreachable,
        },
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            if status >= 500 {
                Problem::Transient {
                    code: format!("HTTP {status}"),
                }
            } else {
                Problem::NotSqs { status }
            }
        }
        _ => Problem::Other {
            code: "error".to_string(),
            message: first_line(&aws_sdk_sqs::error::DisplayErrorContext(error).to_string()),
        },
    }
}

/// Whether the error's source chain is the SDK saying it has no credentials.
fn mentions_missing_credentials(error: &(dyn StdError + 'static)) -> bool {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        // Any credentials-provider failure (none configured, or the last provider of the
        // chain, e.g. instance metadata, refusing) means the SDK has no credentials to sign with.
        if current
            .downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        let text = current.to_string();
        if text.contains("credentials provider was not enabled")
            || text.contains("no credentials")
            || text.contains("CredentialsNotLoaded")
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// The innermost cause of a connection failure when it is about TLS or certificates.
fn tls_failure(error: &(dyn StdError + 'static)) -> Option<String> {
    const TLS_WORDS: [&str; 6] = [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "corrupt message",
        "ca bundle",
    ];
    let mut found = None;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        let lower = text.to_ascii_lowercase();
        if TLS_WORDS.iter().any(|word| lower.contains(word)) {
            found = Some(first_line(&text));
        }
        cause = current.source();
    }
    found
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// Words a problem: one line and a hint. `queue` names the queue involved, when known (it
/// appears in the not-found, access-denied and FIFO deduplication wordings).
#[must_use]
pub fn describe(problem: &Problem, context: &ErrorContext, queue: Option<&str>) -> Friendly {
    let endpoint = &context.endpoint;
    let region = &context.region;
    let service = context.service.name();
    let env_hint = || context.env_problems.join("; ");
    match problem {
        Problem::NoCredentials => {
            let hint = if !context.env_problems.is_empty() {
                env_hint()
            } else if context.env_files.is_empty() {
                "put the lines from Learner Lab's AWS Details (AWS_ACCESS_KEY_ID=..., \
                 AWS_SECRET_ACCESS_KEY=..., AWS_SESSION_TOKEN=...) in ./aws.env, or pass \
                 --env-file PATH (Docker: --env-file aws.env), or name a profile of \
                 ~/.aws/credentials with --profile NAME; for a local server use --local"
                    .to_string()
            } else {
                format!(
                    "{} did not set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: copy them from \
                     Learner Lab's AWS Details as NAME=value lines",
                    context.env_files.join(" and ")
                )
            };
            Friendly::new("no AWS credentials found", hint)
        }
        Problem::ExpiredToken => Friendly::new(
            "the AWS session token has expired (ExpiredToken)",
            "Learner Lab sessions end: start the lab again and copy fresh credentials into aws.env",
        ),
        Problem::InvalidToken => Friendly::new(
            "AWS does not recognise the access key or session token (InvalidClientTokenId)",
            with_env_problems(
                "copy all three lines (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
                 AWS_SESSION_TOKEN) from the current Learner Lab session into aws.env; keys of an \
                 ended session do not work",
                &context.env_problems,
            ),
        ),
        Problem::SignatureMismatch => Friendly::new(
            "AWS rejected the request signature (SignatureDoesNotMatch)",
            with_env_problems(
                "check AWS_SECRET_ACCESS_KEY for trailing spaces, quotes or a missing \
                 character, and that this computer's clock is right (clock skew)",
                &context.env_problems,
            ),
        ),
        Problem::AccessDenied => {
            let resource = context.service.resource();
            Friendly::new(
                match queue {
                    Some(queue) => format!("access denied to {resource} {queue} in {region}"),
                    None => format!("access denied in {region}"),
                },
                format!(
                    "these credentials may not use this {resource}: check --region and that the \
                     {resource} belongs to the account of your credentials"
                ),
            )
        }
        Problem::QueueNotFound => Friendly::new(
            format!(
                "queue {} {NOT_FOUND_IN_REGION} {region} at {endpoint}",
                queue.unwrap_or("(unknown)")
            ),
            "check --name and --region, or create the queue first",
        ),
        Problem::TopicNotFound => Friendly::new(
            format!(
                "topic {} {NOT_FOUND_IN_REGION} {region} at {endpoint}",
                queue.unwrap_or("(unknown)")
            ),
            "check --topic and --region, or create the topic first (queue subscribe --create)",
        ),
        Problem::FifoNeedsDedupId => Friendly::new(
            format!(
                "{} is a FIFO {resource} without content-based deduplication, so every message needs a deduplication id",
                queue.unwrap_or("it"),
                resource = context.service.resource(),
            ),
            format!(
                "leave out --dedup-id none (the default sends the SHA-256 of the body), or turn \
                 on content-based deduplication for the {}",
                context.service.resource()
            ),
        ),
        Problem::Unreachable | Problem::Timeout => {
            let what = if *problem == Problem::Timeout {
                "did not answer in time"
            } else {
                "cannot be reached"
            };
            let hint = if context.local_endpoint {
                "is `queue serve` running? Start it in another terminal (or use --local for \
                 http://127.0.0.1:9324), and check --endpoint-url"
            } else {
                "check your network connection, --endpoint-url and --region; for a local \
                 server run `queue serve` and use --local"
            };
            Friendly::new(format!("the {service} endpoint {endpoint} {what}"), hint)
        }
        Problem::Tls { detail } => Friendly::new(
            format!("the TLS connection to {endpoint} failed: {detail}"),
            if !detail.to_ascii_lowercase().contains("certificate") {
                "the endpoint does not seem to speak TLS: `queue serve` speaks plain HTTP, use \
                 http:// in --endpoint-url"
            } else {
                "a certificate problem, not the network: install the CA certificates \
                 (ca-certificates), or check SSL_CERT_FILE / AWS_CA_BUNDLE point to a readable \
                 bundle"
            },
        ),
        Problem::Transient { code } => Friendly::new(
            format!("{service} at {endpoint} kept failing ({code})"),
            "this is usually temporary: try again in a moment",
        ),
        Problem::NotSqs { status } => Friendly::new(
            format!("{endpoint} answered HTTP {status}, which is not an {service} answer"),
            "check --endpoint-url (`queue serve` listens on http://127.0.0.1:9324 by default)",
        ),
        Problem::Other { code, message } => {
            let message = first_line(message);
            if message.is_empty() {
                Friendly::bare(format!("{service} error {code}"))
            } else {
                Friendly::bare(format!("{service} error {code}: {message}"))
            }
        }
    }
}

fn with_env_problems(base: &str, problems: &[String]) -> String {
    if problems.is_empty() {
        base.to_string()
    } else {
        format!("{}; {base}", problems.join("; "))
    }
}

/// Classifies and words an SDK error in one go.
pub fn friendly<E>(error: &SdkError<E>, context: &ErrorContext, queue: Option<&str>) -> Friendly
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    describe(&classify(error), context, queue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ErrorContext {
        ErrorContext {
            endpoint: "http://127.0.0.1:9324".into(),
            region: "us-east-1".into(),
            local_endpoint: true,
            ..ErrorContext::default()
        }
    }

    #[test]
    fn codes_map_to_problems() {
        let cases = [
            ("ExpiredToken", Problem::ExpiredToken),
            ("InvalidClientTokenId", Problem::InvalidToken),
            ("UnrecognizedClientException", Problem::InvalidToken),
            ("SignatureDoesNotMatch", Problem::SignatureMismatch),
            ("AccessDenied", Problem::AccessDenied),
            ("AccessDeniedException", Problem::AccessDenied),
            (
                "AWS.SimpleQueueService.NonExistentQueue",
                Problem::QueueNotFound,
            ),
        ];
        for (code, problem) in cases {
            assert_eq!(problem_from_code(Some(code), None, 400), problem, "{code}");
        }
        assert_eq!(
            problem_from_code(
                Some("InvalidParameterValue"),
                Some(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
                ),
                400
            ),
            Problem::FifoNeedsDedupId
        );
        assert!(problem_from_code(Some("InternalFailure"), None, 500).is_retryable());
        assert!(problem_from_code(None, None, 503).is_retryable());
        assert!(!problem_from_code(Some("InvalidParameterValue"), Some("x"), 400).is_retryable());
        assert_eq!(
            problem_from_code(None, None, 404),
            Problem::NotSqs { status: 404 }
        );
    }

    #[test]
    fn expired_token_names_learner_lab() {
        let friendly = describe(&Problem::ExpiredToken, &context(), None);
        assert_eq!(
            friendly.hint.as_deref(),
            Some(
                "Learner Lab sessions end: start the lab again and copy fresh credentials into aws.env"
            )
        );
    }

    #[test]
    fn credential_hints_include_env_file_problems() {
        let mut context = context();
        context.env_problems = vec!["aws.env is in the INI format".into()];
        let friendly = describe(&Problem::NoCredentials, &context, None);
        assert_eq!(friendly.message, "no AWS credentials found");
        assert!(friendly.hint.unwrap().contains("INI format"));
        let friendly = describe(&Problem::SignatureMismatch, &context, None);
        let hint = friendly.hint.unwrap();
        assert!(hint.contains("INI format") && hint.contains("clock"));
    }

    #[test]
    fn tls_failures_are_not_called_unreachable() {
        let tls = |text: &str| {
            let io = std::io::Error::other(text.to_string());
            tls_failure(&io)
        };
        assert_eq!(
            tls("invalid peer certificate: UnknownIssuer").as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
        assert_eq!(tls("Connection refused (os error 111)"), None);
        let friendly = describe(
            &Problem::Tls {
                detail: "invalid peer certificate: UnknownIssuer".into(),
            },
            &context(),
            None,
        );
        assert!(friendly.message.contains("TLS"), "{}", friendly.message);
        assert!(friendly.hint.unwrap().contains("CA certificates"));
    }

    #[test]
    fn unreachable_local_endpoint_suggests_serve() {
        let friendly = describe(&Problem::Unreachable, &context(), Some("q"));
        assert_eq!(
            friendly.message,
            "the SQS endpoint http://127.0.0.1:9324 cannot be reached"
        );
        assert!(friendly.hint.unwrap().contains("queue serve"));
    }
}
