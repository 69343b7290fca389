//! `queue publish`: the numbered messages of `queue send`, published to an SNS topic that fans
//! them out to its subscribed queues. The topic is found by name or ARN ([`crate::sns::topic`]);
//! the sending is `send`'s ([`crate::send::run_plan`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::PublishArgs;
use crate::config::Config;
use crate::send::{self, Destination, SendPlan};

/// `queue publish`.
///
/// # Errors
/// The topic does not exist, or see [`send::run_plan`].
pub async fn run(args: PublishArgs, config: &Config) -> Result<ExitCode> {
    let (_, sns) = crate::sns::connect(config).await?;
    let topic = sns.topic(&args.topic).await?;
    let plan = SendPlan::from(&args.messages);
    send::run_plan(&Destination::Topic(sns, topic), &plan, config).await
}
