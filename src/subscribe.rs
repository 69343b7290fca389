//! `queue subscribe`: wires a queue to a topic (protocol `sqs`, the queue's ARN), with raw
//! delivery and a filter policy when asked; creates the topic, the queue and (on AWS) the
//! queue policy only with `--create`. Prints the subscription ARN on stdout.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SubscribeArgs;
use crate::config::Config;
use crate::exit::{self, Friendly};
use crate::sns::subscription::{self, Delivery, parse_filter};
use crate::sns::topic::is_arn;
use crate::sns::{Sns, TopicInfo};
use crate::sqs::{Lookup, QueueInfo, Sqs};

/// `queue subscribe`.
///
/// # Errors
/// An invalid `--filter`, a missing topic or queue (without `--create`), a FIFO queue on a
/// standard topic, or SNS refusing the subscription: one line with a hint.
pub async fn run(args: SubscribeArgs, config: &Config) -> Result<ExitCode> {
    let delivery = Delivery {
        raw: args.raw,
        filter: args.filter.as_deref().map(parse_filter).transpose()?,
        scope: args.filter_scope,
    };
    let (sqs, sns) = crate::sns::connect(config).await?;
    let (topic, queue) = if args.create {
        create(&sqs, &sns, &args.topic, &args.queue).await?
    } else {
        (
            sns.topic(&args.topic).await?,
            find_queue(&sqs, &args.queue).await?,
        )
    };
    check_kinds(&topic, &queue)?;
    let queue_arn = sqs.queue_arn(&queue).await?;
    // `queue serve` (and other local emulators) deliver without a queue policy; AWS does not.
    if !sqs.context.local_endpoint
        && !subscription::allow_topic(&sqs, &queue, &queue_arn, &topic.arn, args.create).await?
    {
        exit::note(format_args!(
            "note: the policy of queue {} does not let topic {} send to it, so AWS will not \
             deliver: add --create to add that statement",
            queue.name, topic.name
        ));
    }
    let arn = sns.subscribe_queue(&topic, &queue_arn, &delivery).await?;
    if config.banner {
        exit::note(format_args!(
            "subscribed queue {} to topic {} at {} ({}{})",
            queue.name,
            topic.name,
            sns.endpoint(),
            if delivery.raw {
                "raw delivery"
            } else {
                "SNS envelope"
            },
            delivery
                .filter
                .as_deref()
                .map_or_else(String::new, |filter| format!(
                    ", filter on {}: {filter}",
                    match delivery.scope {
                        crate::cli::FilterScope::Attributes => "attributes",
                        crate::cli::FilterScope::Body => "body",
                    }
                )),
        ));
    }
    println!("{arn}");
    Ok(ExitCode::SUCCESS)
}

/// `--create`: the topic and the queue, made when missing.
async fn create(sqs: &Sqs, sns: &Sns, topic: &str, queue: &str) -> Result<(TopicInfo, QueueInfo)> {
    let topic = if is_arn(topic) {
        sns.topic(topic).await?
    } else {
        sns.create_topic(topic).await?
    };
    let is_url = queue.starts_with("http://") || queue.starts_with("https://");
    if !is_url {
        // Nothing is created for a subscription that cannot be made.
        let named = QueueInfo {
            url: String::new(),
            name: queue.to_string(),
            fifo: queue.ends_with(".fifo"),
            content_based_dedup: false,
        };
        check_kinds(&topic, &named)?;
        sqs.create_queue(queue).await?;
    }
    Ok((topic, sqs.queue(queue).await?))
}

/// The queue of `--queue`; a missing one says so in this command's words.
async fn find_queue(sqs: &Sqs, name: &str) -> Result<QueueInfo> {
    match sqs.lookup(name).await? {
        Lookup::Found(queue) => Ok(queue),
        Lookup::NotFound(friendly) => Err(Friendly::new(
            friendly.message,
            friendly
                .hint
                .unwrap_or_default()
                .replace("--name", "--queue")
                .replace("or create the queue first", "or add --create"),
        )
        .into()),
    }
}

/// A FIFO queue takes messages only from a FIFO topic (a FIFO topic may deliver to both).
fn check_kinds(topic: &TopicInfo, queue: &QueueInfo) -> Result<()> {
    if queue.fifo && !topic.fifo {
        return Err(Friendly::new(
            format!(
                "{} is a FIFO queue and {} a standard topic: SNS delivers to FIFO queues only from FIFO topics",
                queue.name, topic.name
            ),
            "subscribe it to a FIFO topic (a name ending in .fifo), or subscribe a standard queue",
        )
        .into());
    }
    Ok(())
}
