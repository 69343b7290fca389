//! The only place that builds an SNS client ([`Sns::from_sqs`], [`connect`]): from the SQS
//! client's shared configuration, so both sign with the same credentials in the same region.
//! Finding a topic lives in [`topic`]; wiring a queue to it in [`subscription`]; reading the
//! envelope SNS wraps a delivery in, in [`envelope`]. SNS errors are worded by the SQS error table ([`crate::sqs::errors`]).

pub mod envelope;
pub mod subscription;
pub mod topic;

use anyhow::Result;
use aws_sdk_sns::config::Region;

use crate::config::Config;
use crate::sqs::errors::{ErrorContext, Service};
use crate::sqs::{self, Sqs, is_local_endpoint};
pub use topic::TopicInfo;

/// A connected SNS client and where it points (for banners and error hints).
#[derive(Debug, Clone)]
pub struct Sns {
    /// The SDK client.
    pub client: aws_sdk_sns::Client,
    /// Where it points, for the wording of errors.
    pub context: ErrorContext,
}

impl Sns {
    /// An SNS client from `sqs`'s configuration, at `endpoint` when given, else at the shared
    /// configuration's endpoint (the embedded server's, for [`sqs::connect_local`]), else at
    /// AWS.
    #[must_use]
    pub fn from_sqs(sqs: &Sqs, endpoint: Option<&str>) -> Self {
        let endpoint = endpoint
            .map(ToString::to_string)
            .or_else(|| sqs.shared.endpoint_url().map(ToString::to_string));
        let region = sqs.region().to_string();
        let mut builder = aws_sdk_sns::config::Builder::from(sqs.shared.as_ref())
            .region(Region::new(region.clone()));
        builder.set_endpoint_url(endpoint.clone());
        let endpoint = endpoint.unwrap_or_else(|| format!("https://sns.{region}.amazonaws.com"));
        Self {
            client: aws_sdk_sns::Client::from_conf(builder.build()),
            context: ErrorContext {
                service: Service::Sns,
                local_endpoint: is_local_endpoint(&endpoint),
                endpoint,
                ..sqs.context.clone()
            },
        }
    }

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
}

/// The SQS and SNS clients for the resolved configuration.
///
/// # Errors
/// See [`sqs::connect`].
pub async fn connect(config: &Config) -> Result<(Sqs, Sns)> {
    let sqs = sqs::connect(config).await?;
    let sns = Sns::from_sqs(&sqs, config.sns_endpoint_url.as_deref());
    Ok((sqs, sns))
}
