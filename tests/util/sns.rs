//! SNS for the integration tests: a real `aws-sdk-sns` client for an in-process server, and
//! the topic and subscription shapes the SNS tests repeat.

use aws_sdk_sns::Client;
use aws_sdk_sns::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use queue::server::LocalServer;

use super::server::ACCESS_KEY_ID;

/// A real SNS client for `server` in us-east-1 that does not retry.
#[must_use]
pub fn client(server: &LocalServer) -> Client {
    client_signing(server, ACCESS_KEY_ID, "test-secret")
}

/// [`client`] signing with this key.
#[must_use]
pub fn client_signing(server: &LocalServer, key: &str, secret: &str) -> Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(key, secret, None, None, "queue-tests"))
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Creates a topic (FIFO when `name` ends in `.fifo`, with content-based deduplication when
/// `content_dedup`) and returns its ARN.
pub async fn create_topic(client: &Client, name: &str, content_dedup: bool) -> String {
    let mut request = client.create_topic().name(name);
    if name.ends_with(".fifo") {
        request = request.attributes("FifoTopic", "true");
        if content_dedup {
            request = request.attributes("ContentBasedDeduplication", "true");
        }
    }
    request
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn")
}

/// Every attribute of topic `arn`.
pub async fn topic_attributes(
    client: &Client,
    arn: &str,
) -> std::collections::HashMap<String, String> {
    client
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .expect("get topic attributes")
        .attributes
        .unwrap_or_default()
}

/// Subscribes queue `queue_arn` with these attributes; returns the subscription ARN.
pub async fn subscribe(
    client: &Client,
    topic_arn: &str,
    queue_arn: &str,
    attributes: &[(&str, &str)],
) -> String {
    let mut request = client
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn);
    for (name, value) in attributes {
        request = request.attributes(*name, *value);
    }
    request
        .send()
        .await
        .expect("subscribe")
        .subscription_arn
        .expect("subscription arn")
}

/// The code and message of an SNS error.
pub fn code_and_message<E, R>(error: &aws_sdk_sns::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_sns::error::ProvideErrorMetadata,
{
    let meta = error.as_service_error().expect("a service error");
    (
        meta.code().unwrap_or_default().to_string(),
        meta.message().unwrap_or_default().to_string(),
    )
}
