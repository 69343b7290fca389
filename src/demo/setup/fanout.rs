//! `demo --fanout`'s target: a standard topic, the `--standard` queue subscribed to it for
//! every message (in SNS envelopes), and the `--subscriber` queue subscribed with raw delivery
//! through a filter policy that lets one client's messages through. Existing subscriptions are
//! used as they are when they deliver what the panes expect; missing ones are made only where
//! the demo may create (`--create`, or the embedded server).

use std::time::Duration;

use anyhow::{Result, bail};

use super::{Target, find};
use crate::cli::{DemoArgs, FilterScope};
use crate::demo::state::{Fanout, QueueKind};
use crate::exit::Friendly;
use crate::send::Destination;
use crate::sns::subscription::{self, Delivery};
use crate::sns::{Sns, TopicInfo};
use crate::sqs::{QueueInfo, Sqs};

/// Finds (or creates) the topic, the two queues and their subscriptions.
///
/// # Errors
/// A FIFO name, something missing without `--create`, or a subscription that delivers other
/// than the demo expects.
pub async fn target(sqs: Sqs, sns: Sns, args: &DemoArgs, create: bool) -> Result<Target> {
    if args.topic.ends_with(".fifo") {
        bail!(
            "--topic {}: the fan-out demo uses a standard topic (hint: leave out --topic, or name one without .fifo)",
            args.topic
        );
    }
    for (flag, name) in [
        ("--standard", &args.standard),
        ("--subscriber", &args.subscriber),
    ] {
        if name.ends_with(".fifo") {
            bail!("{flag} {name}: the fan-out demo's queues are standard queues");
        }
    }
    if args.standard == args.subscriber {
        bail!("--standard and --subscriber name the same queue: the fan-out demo needs two");
    }
    let topic = if create {
        sns.create_topic(&args.topic).await?
    } else {
        match sns.find_topic(&args.topic).await? {
            Some(topic) => topic,
            None => {
                return Err(Friendly::new(
                    format!(
                        "topic {} not found in region {} at {}",
                        args.topic,
                        sns.region(),
                        sns.endpoint()
                    ),
                    "add --create to create the demo's topic, queues and subscriptions, or name an existing topic with --topic",
                )
                .into());
            }
        }
    };
    if create {
        sqs.create_queue(&args.standard).await?;
        sqs.create_queue(&args.subscriber).await?;
    }
    let left = find(&sqs, &args.standard, "subscriber", create).await?;
    let right = find(&sqs, &args.subscriber, "filtered subscriber", create).await?;
    let fanout = Fanout::new(&topic.name);
    let everything = Delivery::default();
    let filtered = Delivery {
        raw: true,
        filter: Some(fanout.filter.clone()),
        scope: FilterScope::Attributes,
    };
    wire(&sqs, &sns, &topic, &left, &everything, create).await?;
    wire(&sqs, &sns, &topic, &right, &filtered, create).await?;
    Ok(Target {
        kinds: QueueKind::FANOUT,
        left,
        right,
        topic: Some(Destination::Topic(sns, topic)),
        sqs,
        wait: 1,
        quiet: Duration::ZERO,
    })
}

/// Makes sure `queue` gets the topic's messages as `wanted` says (raw delivery may differ:
/// the receiver reads both).
async fn wire(
    sqs: &Sqs,
    sns: &Sns,
    topic: &TopicInfo,
    queue: &QueueInfo,
    wanted: &Delivery,
    create: bool,
) -> Result<()> {
    let queue_arn = sqs.queue_arn(queue).await?;
    if let Some((_, existing)) = sns.subscription_of(topic, &queue_arn).await? {
        if same_filter(existing.filter.as_deref(), wanted.filter.as_deref()) {
            return Ok(());
        }
        return Err(Friendly::new(
            format!(
                "queue {} is subscribed to topic {} {}, not as the demo needs it ({})",
                queue.name,
                topic.name,
                existing.filter.as_deref().map_or_else(
                    || "without a filter".to_string(),
                    |f| format!("with the filter {f}")
                ),
                wanted.filter.as_deref().map_or_else(
                    || "without a filter".to_string(),
                    |f| format!("with the filter {f}")
                ),
            ),
            "name other queues with --standard and --subscriber (add --create to make them)",
        )
        .into());
    }
    if !create {
        return Err(Friendly::new(
            format!(
                "queue {} is not subscribed to topic {}",
                queue.name, topic.name
            ),
            "add --create to subscribe the demo's queues (or use `queue subscribe`)",
        )
        .into());
    }
    if !sqs.context.local_endpoint {
        subscription::allow_topic(sqs, queue, &queue_arn, &topic.arn, true).await?;
    }
    sns.subscribe_queue(topic, &queue_arn, wanted).await?;
    Ok(())
}

/// Whether two filter policies are the same JSON (SNS may give back other spacing).
fn same_filter(have: Option<&str>, want: Option<&str>) -> bool {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    match (have, want) {
        (None, None) => true,
        (Some(have), Some(want)) => parse(have).is_some() && parse(have) == parse(want),
        _ => false,
    }
}
