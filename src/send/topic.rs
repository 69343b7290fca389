//! The sender's SNS half: `PublishBatch` (and `Publish` one by one) to a topic, the same
//! numbered messages, attributes, FIFO group and deduplication ids as a queue gets.

use std::collections::HashMap;

use anyhow::Result;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

use super::{EntryResults, FailedEntry, Outgoing, Sender, entry_id, entry_results};
use crate::sns::{Sns, TopicInfo};
use crate::sqs::errors;

impl Sender<'_> {
    /// [`Sender::attribute_values`] as SNS message attributes.
    fn topic_attributes(&self) -> Result<HashMap<String, MessageAttributeValue>> {
        self.attribute_values()
            .into_iter()
            .map(|(name, data_type, value)| {
                let value = MessageAttributeValue::builder()
                    .data_type(data_type)
                    .string_value(value)
                    .build()?;
                Ok((name.to_string(), value))
            })
            .collect()
    }

    pub(super) async fn publish_batch(
        &self,
        sns: &Sns,
        topic: &TopicInfo,
        pending: &[Outgoing],
    ) -> Result<EntryResults> {
        let attributes = self.topic_attributes()?;
        let mut entries = Vec::with_capacity(pending.len());
        for outgoing in pending {
            let mut entry = PublishBatchRequestEntry::builder()
                .id(entry_id(outgoing))
                .message(&outgoing.body)
                .set_message_attributes(Some(attributes.clone()));
            if topic.fifo {
                entry = entry.message_group_id(&self.plan.group);
            }
            if let Some(id) = &outgoing.dedup_id {
                entry = entry.message_deduplication_id(id);
            }
            entries.push(entry.build()?);
        }
        let answer = sns
            .client
            .publish_batch()
            .topic_arn(&topic.arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(error) => return self.whole_request_failed(&errors::classify(&error), pending),
        };
        Ok(entry_results(
            pending,
            output.successful().iter().filter_map(|entry| entry.id()),
            output.failed().iter().map(|entry| FailedEntry {
                id: entry.id(),
                code: entry.code(),
                message: entry.message(),
                sender_fault: entry.sender_fault(),
            }),
        ))
    }

    pub(super) async fn publish_single(
        &self,
        sns: &Sns,
        topic: &TopicInfo,
        pending: &[Outgoing],
    ) -> Result<EntryResults> {
        let mut results = EntryResults::default();
        for outgoing in pending {
            let mut request = sns
                .client
                .publish()
                .topic_arn(&topic.arn)
                .message(&outgoing.body)
                .set_message_attributes(Some(self.topic_attributes()?));
            if topic.fifo {
                request = request.message_group_id(&self.plan.group);
            }
            if let Some(id) = &outgoing.dedup_id {
                request = request.message_deduplication_id(id);
            }
            match request.send().await {
                Ok(_) => results.accepted.push(outgoing.number),
                Err(error) => {
                    let problem = errors::classify(&error);
                    if !self.single_failed(&problem, outgoing, &mut results)? {
                        break;
                    }
                }
            }
        }
        Ok(results)
    }
}
