//! SNS topics and subscriptions in `queue serve`, over `aws-sdk-sns` and raw Query: create,
//! attributes, tags, permissions, data protection, subscribe and its checks, with SNS's
//! codes and messages.

use aws_sdk_sns::types::Tag;

use crate::util::http::{query, xml_text};
use crate::util::server::{create_queue, start};
use crate::util::sns::{client, code_and_message, create_topic, subscribe, topic_attributes};

fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:000000000000:{name}")
}

#[tokio::test]
async fn create_topic_is_idempotent_and_checks_names_and_attributes() {
    let server = start().await;
    let sns = client(&server);
    let arn = create_topic(&sns, "orders", false).await;
    assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:orders");
    assert_eq!(create_topic(&sns, "orders", false).await, arn);
    let error = sns
        .create_topic()
        .name("orders")
        .attributes("DisplayName", "other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidParameter".into(),
            "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
                .into()
        )
    );
    for bad in ["a b", "x.fifo", "", &"n".repeat(257)] {
        let error = sns.create_topic().name(bad).send().await.unwrap_err();
        assert_eq!(
            code_and_message(&error).1,
            "Invalid parameter: Topic Name",
            "{bad:?}"
        );
    }
    let error = sns
        .create_topic()
        .name("nofifo")
        .attributes("FifoTopic", "true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).1, "Invalid parameter: Topic Name");
    let fifo = create_topic(&sns, "orders.fifo", true).await;
    let attributes = topic_attributes(&sns, &fifo).await;
    assert_eq!(attributes["FifoTopic"], "true");
    assert_eq!(attributes["ContentBasedDeduplication"], "true");
}

#[tokio::test]
async fn topic_attributes_have_sns_defaults_and_counts() {
    let server = start().await;
    let sns = client(&server);
    let sqs = crate::util::server::client(&server);
    create_queue(&sqs, "a").await;
    let arn = create_topic(&sns, "t", false).await;
    subscribe(&sns, &arn, &queue_arn("a"), &[]).await;
    let attributes = topic_attributes(&sns, &arn).await;
    assert_eq!(attributes["TopicArn"], arn);
    assert_eq!(attributes["Owner"], "000000000000");
    assert_eq!(attributes["DisplayName"], "");
    assert_eq!(attributes["SubscriptionsConfirmed"], "1");
    assert_eq!(attributes["SubscriptionsPending"], "0");
    assert_eq!(attributes["SubscriptionsDeleted"], "0");
    assert!(!attributes.contains_key("FifoTopic"));
    let policy: serde_json::Value = serde_json::from_str(&attributes["Policy"]).unwrap();
    assert_eq!(policy["Version"], "2008-10-17");
    assert_eq!(policy["Statement"][0]["Resource"], arn);
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceOwner"],
        "000000000000"
    );
    let delivery: serde_json::Value =
        serde_json::from_str(&attributes["EffectiveDeliveryPolicy"]).unwrap();
    assert_eq!(
        delivery["http"]["defaultHealthyRetryPolicy"]["numRetries"],
        3
    );
}

#[tokio::test]
async fn set_topic_attributes_checks_names_and_values() {
    let server = start().await;
    let sns = client(&server);
    let arn = create_topic(&sns, "t", false).await;
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("Orders")
        .send()
        .await
        .unwrap();
    let attributes = topic_attributes(&sns, &arn).await;
    assert_eq!(attributes["DisplayName"], "Orders");
    for (name, value) in [("FifoTopic", "true"), ("Colour", "red")] {
        let error = sns
            .set_topic_attributes()
            .topic_arn(&arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code_and_message(&error),
            (
                "InvalidParameter".into(),
                "Invalid parameter: AttributeName".into()
            )
        );
    }
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DeliveryPolicy")
        .attribute_value(r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}"#)
        .send()
        .await
        .unwrap();
    let attributes = topic_attributes(&sns, &arn).await;
    let effective: serde_json::Value =
        serde_json::from_str(&attributes["EffectiveDeliveryPolicy"]).unwrap();
    let retry = &effective["http"]["defaultHealthyRetryPolicy"];
    assert_eq!(retry["numRetries"], 5, "the set member");
    assert_eq!(retry["minDelayTarget"], 20, "the defaults around it");
    assert_eq!(
        effective["http"]["defaultRequestPolicy"]["headerContentType"],
        "text/plain; charset=UTF-8"
    );
    let error = sns
        .set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("SignatureVersion")
        .attribute_value("3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "InvalidParameter");
}

#[tokio::test]
async fn list_topics_pages_by_100_and_delete_is_idempotent() {
    let server = start().await;
    let sns = client(&server);
    for i in 0..105 {
        create_topic(&sns, &format!("t{i:03}"), false).await;
    }
    let first = sns.list_topics().send().await.unwrap();
    assert_eq!(first.topics().len(), 100);
    let token = first.next_token().expect("a second page");
    let second = sns.list_topics().next_token(token).send().await.unwrap();
    assert_eq!(second.topics().len(), 5);
    assert!(second.next_token().is_none());
    let arn = "arn:aws:sns:us-east-1:000000000000:t000";
    sns.delete_topic().topic_arn(arn).send().await.unwrap();
    sns.delete_topic().topic_arn(arn).send().await.unwrap();
    let error = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("NotFound".into(), "Topic does not exist".into())
    );
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 404);
    let error = sns
        .get_topic_attributes()
        .topic_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    );
}

#[tokio::test]
async fn tags_permissions_and_data_protection() {
    let server = start().await;
    let sns = client(&server);
    let arn = create_topic(&sns, "t", false).await;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    sns.tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "a"))
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    sns.untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), "team");
    let error = sns
        .tag_resource()
        .resource_arn("arn:aws:sns:us-east-1:000000000000:missing")
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("ResourceNotFound".into(), "Resource does not exist".into())
    );
    let error = sns
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("k", "1"))
        .tags(tag("k", "2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: Duplicated keys are not allowed."
    );

    sns.add_permission()
        .topic_arn(&arn)
        .label("friends")
        .aws_account_id("111122223333")
        .action_name("Publish")
        .send()
        .await
        .unwrap();
    let error = sns
        .add_permission()
        .topic_arn(&arn)
        .label("friends")
        .aws_account_id("111122223333")
        .action_name("Publish")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: Statement already exists"
    );
    let error = sns
        .add_permission()
        .topic_arn(&arn)
        .label("other")
        .aws_account_id("111122223333")
        .action_name("Fly")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: Policy statement action out of service scope!"
    );
    let policy = |attributes: &std::collections::HashMap<String, String>| {
        serde_json::from_str::<serde_json::Value>(&attributes["Policy"]).unwrap()
    };
    let attributes = topic_attributes(&sns, &arn).await;
    let statement = &policy(&attributes)["Statement"][1];
    assert_eq!(statement["Sid"], "friends");
    assert_eq!(
        statement["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    assert_eq!(statement["Action"], "SNS:Publish");
    sns.remove_permission()
        .topic_arn(&arn)
        .label("friends")
        .send()
        .await
        .unwrap();
    let attributes = topic_attributes(&sns, &arn).await;
    assert_eq!(
        policy(&attributes)["Statement"].as_array().unwrap().len(),
        1
    );

    let document = r#"{"Name":"p","Description":"","Version":"2021-06-01","Statement":[]}"#;
    sns.put_data_protection_policy()
        .resource_arn(&arn)
        .data_protection_policy(document)
        .send()
        .await
        .unwrap();
    let got = sns
        .get_data_protection_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.data_protection_policy(), Some(document));
}

#[tokio::test]
async fn subscribe_checks_endpoints_and_is_idempotent() {
    let server = start().await;
    let sns = client(&server);
    let sqs = crate::util::server::client(&server);
    let url = create_queue(&sqs, "a").await;
    create_queue(&sqs, "f.fifo").await;
    let topic = create_topic(&sns, "t", false).await;
    let sub = subscribe(&sns, &topic, &queue_arn("a"), &[]).await;
    assert!(sub.starts_with(&format!("{topic}:")));
    assert_eq!(subscribe(&sns, &topic, &queue_arn("a"), &[]).await, sub);
    let error = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn("a"))
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    );
    let cases = [
        ("sqs", url.as_str(), "Invalid parameter: SQS endpoint ARN"),
        (
            "sqs",
            "arn:aws:sqs:us-east-1:000000000000:f.fifo",
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
        ),
        (
            "pigeon",
            "x",
            "Invalid parameter: Amazon SNS does not support this protocol string: pigeon",
        ),
        (
            "http",
            "https://example.com",
            "Invalid parameter: Endpoint must match the specified protocol",
        ),
    ];
    for (protocol, endpoint, message) in cases {
        let error = sns
            .subscribe()
            .topic_arn(&topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code_and_message(&error),
            ("InvalidParameter".into(), message.into()),
            "{protocol} {endpoint}"
        );
    }
    let error = sns
        .subscribe()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:missing")
        .protocol("sqs")
        .endpoint(queue_arn("a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "NotFound");
}

#[tokio::test]
async fn http_subscriptions_wait_for_confirmation() {
    let server = start().await;
    let sns = client(&server);
    let topic = create_topic(&sns, "t", false).await;
    let answer = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("https")
        .endpoint("https://example.com/hook")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.subscription_arn(), Some("pending confirmation"));
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.subscriptions()[0].subscription_arn(),
        Some("PendingConfirmation")
    );
    let error = sns
        .confirm_subscription()
        .topic_arn(&topic)
        .token("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).1, "Invalid parameter: Token");
    let attributes = topic_attributes(&sns, &topic).await;
    assert_eq!(attributes["SubscriptionsPending"], "1");
}

#[tokio::test]
async fn subscription_attributes_and_unsubscribe() {
    let server = start().await;
    let sns = client(&server);
    let sqs = crate::util::server::client(&server);
    create_queue(&sqs, "a").await;
    let topic = create_topic(&sns, "t", false).await;
    let sub = subscribe(
        &sns,
        &topic,
        &queue_arn("a"),
        &[("RawMessageDelivery", "True")],
    )
    .await;
    let get = || async {
        sns.get_subscription_attributes()
            .subscription_arn(&sub)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()
    };
    let attributes = get().await;
    assert_eq!(attributes["RawMessageDelivery"], "true");
    assert_eq!(attributes["Protocol"], "sqs");
    assert_eq!(attributes["Endpoint"], queue_arn("a"));
    assert_eq!(attributes["PendingConfirmation"], "false");
    assert!(!attributes.contains_key("FilterPolicy"));
    sns.set_subscription_attributes()
        .subscription_arn(&sub)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"client":["Client 2"]}"#)
        .send()
        .await
        .unwrap();
    let attributes = get().await;
    assert_eq!(attributes["FilterPolicyScope"], "MessageAttributes");
    let bad = [
        (
            "FilterPolicyScope",
            "Everything",
            "Invalid parameter: FilterPolicyScope: Invalid value [Everything]. Please use either MessageBody or MessageAttributes",
        ),
        (
            "RawMessageDelivery",
            "maybe",
            "Invalid parameter: RawMessageDelivery: Invalid value [maybe]. Must be true or false.",
        ),
        (
            "FilterPolicy",
            r#"{"a":{"b":["c"]}}"#,
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
        ),
        ("Colour", "red", "Invalid parameter: AttributeName"),
    ];
    for (name, value, message) in bad {
        let error = sns
            .set_subscription_attributes()
            .subscription_arn(&sub)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code_and_message(&error).1, message, "{name}");
    }
    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let error = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("NotFound".into(), "Subscription does not exist".into())
    );
    let attributes = topic_attributes(&sns, &topic).await;
    assert_eq!(attributes["SubscriptionsDeleted"], "1");
    assert_eq!(attributes["SubscriptionsConfirmed"], "0");
}

#[tokio::test]
async fn raw_query_answers_in_the_sns_namespace() {
    let server = start().await;
    let created = query(
        &server,
        &[
            ("Action", "CreateTopic"),
            ("Version", "2010-03-31"),
            ("Name", "raw"),
        ],
    )
    .await;
    assert_eq!(created.status, 200);
    assert!(
        created
            .body
            .contains(r#"<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">"#),
        "{}",
        created.body
    );
    assert_eq!(
        xml_text(&created.body, "TopicArn").as_deref(),
        Some("arn:aws:sns:us-east-1:000000000000:raw")
    );
    let unknown = query(&server, &[("Action", "Fly"), ("Version", "2010-03-31")]).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        xml_text(&unknown.body, "Code").as_deref(),
        Some("InvalidAction")
    );
    assert_eq!(xml_text(&unknown.body, "Type").as_deref(), Some("Sender"));
    // SQS's own AddPermission still reaches SQS.
    let sqs = query(&server, &[("Action", "ListQueues")]).await;
    assert!(sqs.body.contains("queue.amazonaws.com"), "{}", sqs.body);
}
