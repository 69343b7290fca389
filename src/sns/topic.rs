//! Finding a topic by name or ARN (its ARN, type and deduplication, read once), creating one,
//! and the "topic not found" answer with the names that do exist.
//!
//! A name is resolved with `ListTopics`, matching the name after the ARN's last `:`. Building
//! the ARN instead would need the account id, which only STS (another service, another
//! permission) knows, and `CreateTopic` (idempotent on AWS) would create what a typo names;
//! listing also gives the similar names the hint suggests.

use std::collections::HashMap;

use anyhow::Result;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};

use super::Sns;
use crate::exit::Friendly;
use crate::sqs::errors::{self, Problem};
use crate::sqs::lookup::similar_names;

/// `FifoTopic`, the attribute that makes a FIFO topic.
pub const FIFO_TOPIC: &str = "FifoTopic";
/// `ContentBasedDeduplication`.
pub const CONTENT_BASED_DEDUP: &str = "ContentBasedDeduplication";
/// Pages of `ListTopics` (100 topics each) read before giving up on a name.
const MAX_LIST_PAGES: usize = 100;

/// What the tool needs to know about a topic, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic ARN.
    pub arn: String,
    /// The topic name (the ARN's last part).
    pub name: String,
    /// A FIFO topic.
    pub fifo: bool,
    /// FIFO with content-based deduplication on.
    pub content_based_dedup: bool,
}

/// The name at the end of a topic (or queue) ARN: what follows the last `:`.
#[must_use]
pub fn name_from_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Whether `text` is an SNS topic ARN rather than a name.
#[must_use]
pub fn is_arn(text: &str) -> bool {
    text.starts_with("arn:")
}

impl Sns {
    /// Words an SDK error of this client, naming `topic` when known.
    pub fn friendly<E>(&self, error: &SdkError<E>, topic: Option<&str>) -> Friendly
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        errors::friendly(error, &self.context, topic)
    }

    /// Looks up a topic by name or ARN and reads its type.
    ///
    /// # Errors
    /// The topic does not exist (one line, a hint naming region, endpoint and similar names),
    /// its name and type disagree, or any SDK error, made readable.
    pub async fn topic(&self, name_or_arn: &str) -> Result<TopicInfo> {
        match self.find_topic(name_or_arn).await? {
            Some(topic) => Ok(topic),
            None => Err(self.not_found(name_or_arn).await.into()),
        }
    }

    /// Looks up a topic by name or ARN; `None` when it does not exist.
    ///
    /// # Errors
    /// See [`Sns::topic`], a missing topic aside.
    pub async fn find_topic(&self, name_or_arn: &str) -> Result<Option<TopicInfo>> {
        let name_or_arn = name_or_arn.trim();
        let arn = if is_arn(name_or_arn) {
            name_or_arn.to_string()
        } else {
            let arns = self.topic_arns(name_or_arn).await?;
            match arns
                .into_iter()
                .find(|arn| name_from_arn(arn) == name_or_arn)
            {
                Some(arn) => arn,
                None => return Ok(None),
            }
        };
        self.read_topic(&arn).await
    }

    /// Creates a topic (a FIFO one, for a `.fifo` name, with content-based deduplication, as
    /// `terraform/sns.tf` does) or finds it when it exists with those attributes.
    ///
    /// # Errors
    /// SNS refused (an invalid name, a topic with other attributes), made readable.
    pub async fn create_topic(&self, name: &str) -> Result<TopicInfo> {
        let mut request = self.client.create_topic().name(name);
        if name.ends_with(".fifo") {
            request = request
                .attributes(FIFO_TOPIC, "true")
                .attributes(CONTENT_BASED_DEDUP, "true");
        }
        let output = request
            .send()
            .await
            .map_err(|error| self.friendly(&error, Some(name)))?;
        let arn = output.topic_arn.unwrap_or_default();
        match self.read_topic(&arn).await? {
            Some(topic) => Ok(topic),
            None => Err(self.not_found(name).await.into()),
        }
    }

    /// Every topic ARN `ListTopics` gives, page after page.
    async fn topic_arns(&self, wanted: &str) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut token = None;
        for _ in 0..MAX_LIST_PAGES {
            let output = self
                .client
                .list_topics()
                .set_next_token(token)
                .send()
                .await
                .map_err(|error| self.friendly(&error, Some(wanted)))?;
            arns.extend(
                output
                    .topics()
                    .iter()
                    .filter_map(|topic| topic.topic_arn().map(ToString::to_string)),
            );
            token = output.next_token.filter(|token| !token.is_empty());
            if token.is_none() {
                break;
            }
        }
        Ok(arns)
    }

    /// Reads a topic's type; `None` when SNS says it does not exist.
    async fn read_topic(&self, arn: &str) -> Result<Option<TopicInfo>> {
        let name = name_from_arn(arn).to_string();
        let attributes = match self
            .client
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
        {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(error) => {
                return match errors::classify(&error) {
                    Problem::TopicNotFound => Ok(None),
                    problem => Err(errors::describe(&problem, &self.context, Some(&name)).into()),
                };
            }
        };
        let topic = topic_info(arn, &attributes);
        if name.ends_with(".fifo") != topic.fifo {
            return Err(Friendly::new(
                format!(
                    "topic {name}: its name and its FifoTopic attribute ({}) disagree",
                    topic.fifo
                ),
                "FIFO topic names end in .fifo; check the endpoint and the topic name",
            )
            .into());
        }
        Ok(Some(topic))
    }

    /// "Topic not found", naming region and endpoint and listing similar names.
    async fn not_found(&self, name: &str) -> Friendly {
        let existing: Vec<String> = self
            .topic_arns(name)
            .await
            .unwrap_or_default()
            .iter()
            .map(|arn| name_from_arn(arn).to_string())
            .collect();
        let shown = name_from_arn(name);
        Friendly::new(
            format!(
                "topic {name} not found in region {} at {}",
                self.region(),
                self.endpoint()
            ),
            not_found_hint(shown, &existing),
        )
    }
}

/// A topic's [`TopicInfo`] from its ARN and `GetTopicAttributes`.
#[must_use]
pub fn topic_info(arn: &str, attributes: &HashMap<String, String>) -> TopicInfo {
    let flag = |name: &str| {
        attributes
            .get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    };
    let fifo = flag(FIFO_TOPIC);
    TopicInfo {
        arn: arn.to_string(),
        name: name_from_arn(arn).to_string(),
        fifo,
        content_based_dedup: fifo && flag(CONTENT_BASED_DEDUP),
    }
}

/// The hint for a missing topic, given the names that do exist.
#[must_use]
pub fn not_found_hint(name: &str, existing: &[String]) -> String {
    let with_fifo = format!("{name}.fifo");
    if existing.contains(&with_fifo) {
        return format!("FIFO topic names end in .fifo: did you mean --topic {with_fifo}?");
    }
    let similar = similar_names(name, existing);
    if similar.is_empty() {
        "check --topic and --region (topics live in one region), or create it with \
         `queue subscribe --topic NAME --queue QUEUE --create`"
            .to_string()
    } else {
        format!("topics with a similar name: {}", similar.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_arns() {
        assert_eq!(
            name_from_arn("arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic.fifo"),
            "csse6400_prac_topic.fifo"
        );
        assert!(is_arn("arn:aws:sns:us-east-1:1:t"));
        assert!(!is_arn("t"));
    }

    #[test]
    fn attributes_give_the_type() {
        let attributes: HashMap<String, String> = [
            (FIFO_TOPIC.to_string(), "true".to_string()),
            (CONTENT_BASED_DEDUP.to_string(), "true".to_string()),
        ]
        .into();
        let topic = topic_info("arn:aws:sns:us-east-1:1:t.fifo", &attributes);
        assert!(topic.fifo && topic.content_based_dedup);
        assert_eq!(topic.name, "t.fifo");
        let topic = topic_info("arn:aws:sns:us-east-1:1:t", &HashMap::new());
        assert!(!topic.fifo && !topic.content_based_dedup);
    }

    #[test]
    fn missing_topics_get_a_hint() {
        let existing = vec!["csse6400_prac_topic.fifo".to_string()];
        assert!(
            not_found_hint("csse6400_prac_topic", &existing)
                .contains("--topic csse6400_prac_topic.fifo")
        );
        let existing = vec!["csse6400_prac_topic".to_string()];
        assert!(not_found_hint("csse6400_prac_topc", &existing).contains("csse6400_prac_topic"));
        assert!(not_found_hint("zzzzzzzzzzzz", &existing).contains("--create"));
    }
}
