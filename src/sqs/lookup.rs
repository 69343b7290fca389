//! Finding a queue by name or URL: its URL, type and deduplication, read once, and the
//! "queue not found" answer with the names that do exist (suggestions); creating one; its ARN.

use anyhow::{Context, Result};
use aws_sdk_sqs::types::QueueAttributeName;

use super::errors::{self, Problem};
use super::{INITIAL_BACKOFF, NOT_FOUND_IN_REGION, Sqs};
use crate::exit::Friendly;

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

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The queue.
    Found(QueueInfo),
    /// No such queue: the words and hint (region, endpoint, similar names) to show.
    NotFound(Friendly),
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
    /// Looks up a queue by name or URL and reads its type.
    ///
    /// # Errors
    /// The queue does not exist (with a hint naming region, endpoint and similar names), or
    /// any SDK error, made readable.
    pub async fn queue(&self, name_or_url: &str) -> Result<QueueInfo> {
        match self.lookup(name_or_url).await? {
            Lookup::Found(queue) => Ok(queue),
            Lookup::NotFound(friendly) => Err(friendly.into()),
        }
    }

    /// Looks up a queue by name or URL and reads its type; a missing queue is an answer
    /// ([`Lookup::NotFound`]), not an error, for callers that answer it with their own hint.
    ///
    /// # Errors
    /// Any other failure (credentials, endpoint, a FIFO name on a standard queue), made
    /// readable.
    pub async fn lookup(&self, name_or_url: &str) -> Result<Lookup> {
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
                    None => return Ok(Lookup::NotFound(self.not_found(name_or_url).await)),
                },
                Err(error) => return self.lookup_error(&error, name_or_url).await,
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
            Err(error) => return self.lookup_error(&error, &name).await,
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
        Ok(Lookup::Found(QueueInfo {
            url,
            name,
            fifo,
            content_based_dedup,
        }))
    }

    /// Creates a queue (a FIFO one, for a `.fifo` name, with content-based deduplication); an
    /// existing queue with the same attributes is fine.
    ///
    /// # Errors
    /// SQS refused (an invalid name, a queue with other attributes), made readable.
    pub async fn create_queue(&self, name: &str) -> Result<()> {
        let mut request = self.client.create_queue().queue_name(name);
        if name.ends_with(".fifo") {
            request = request
                .attributes(QueueAttributeName::FifoQueue, "true")
                .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
        }
        request
            .send()
            .await
            .map_err(|error| self.friendly(&error, Some(name)))
            .with_context(|| format!("could not create queue {name}"))?;
        Ok(())
    }

    /// The queue's ARN (what an SNS subscription and a queue policy name it by).
    ///
    /// # Errors
    /// The queue is gone, or any SDK error, made readable.
    pub async fn queue_arn(&self, queue: &QueueInfo) -> Result<String> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&queue.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|error| self.friendly(&error, Some(&queue.name)))?;
        output
            .attributes
            .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| {
                Friendly::new(
                    format!(
                        "{} did not give the ARN of queue {}",
                        self.endpoint(),
                        queue.name
                    ),
                    "check --endpoint-url: the endpoint does not answer as SQS does",
                )
                .into()
            })
    }

    async fn lookup_error<E>(
        &self,
        error: &aws_sdk_sqs::error::SdkError<E>,
        name: &str,
    ) -> Result<Lookup>
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match errors::classify(error) {
            Problem::QueueNotFound => Ok(Lookup::NotFound(self.not_found(name).await)),
            problem => Err(errors::describe(&problem, &self.context, Some(name)).into()),
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
    use crate::sqs::is_local_endpoint;

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
        // `queue serve`'s URL for a queue outside us-east-1.
        assert_eq!(
            name_from_url("http://queue:9324/queue/eu-west-1/000000000000/q/"),
            "q"
        );
        assert!(is_local_endpoint("http://127.0.0.1:9324"));
        assert!(!is_local_endpoint("https://sqs.us-east-1.amazonaws.com"));
    }
}
