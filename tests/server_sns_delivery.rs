//! SNS fan-out in `queue serve`: Publish and PublishBatch reach every SQS subscriber, raw or
//! in AWS's signed JSON envelope (verified with the certificate the server serves), filter
//! policies drop and pass, FIFO topics keep order and deduplicate, a lost subscriber queue
//! costs no other copy, and the practical's topics exist at start.

use std::collections::HashMap;

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sqs::types::Message;
use base64::Engine as _;
use queue::server::{ServeOptions, StartupTopic};
use serde_json::Value;

use crate::util::http::raw;
use crate::util::server::{SEED, client as sqs_client, create_queue, start, start_with};
use crate::util::sns::{client, code_and_message, create_topic, subscribe};

fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:000000000000:{name}")
}

/// Every message on `url` (short polls until one comes back empty), deleted.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Message> {
    let mut all = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            return all;
        }
        for message in &got {
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .expect("delete");
        }
        all.extend(got);
    }
}

/// The bodies of everything on `url`, received and deleted in order.
async fn drain_bodies(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    drain(sqs, url)
        .await
        .iter()
        .map(|m| m.body().unwrap().to_string())
        .collect()
}

fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .unwrap()
}

fn envelope(message: &Message) -> Value {
    serde_json::from_str(message.body().unwrap()).expect("an SNS envelope")
}

#[tokio::test]
async fn publish_reaches_raw_and_enveloped_subscribers() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let raw_url = create_queue(&sqs, "raw").await;
    let wrapped_url = create_queue(&sqs, "wrapped").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("raw"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    let sub = subscribe(&sns, &topic, &queue_arn("wrapped"), &[]).await;
    let published = sns
        .publish()
        .topic_arn(&topic)
        .message("Message 1")
        .subject("Hello")
        .message_attributes("client", string_attribute("Client 1"))
        .send()
        .await
        .unwrap();
    let id = published.message_id().unwrap();

    let raw_got = drain(&sqs, &raw_url).await;
    assert_eq!(raw_got.len(), 1);
    assert_eq!(raw_got[0].body(), Some("Message 1"));
    let attributes = raw_got[0].message_attributes().unwrap();
    assert_eq!(attributes["client"].string_value(), Some("Client 1"));
    assert_eq!(
        raw_got[0].attributes().unwrap()[&aws_sdk_sqs::types::MessageSystemAttributeName::SenderId],
        "AIDAIT2UOQQY3AUEKVGXU"
    );

    let wrapped = drain(&sqs, &wrapped_url).await;
    assert_eq!(wrapped.len(), 1);
    assert!(
        wrapped[0]
            .message_attributes()
            .is_none_or(HashMap::is_empty)
    );
    let body = wrapped[0].body().unwrap();
    assert!(
        body.starts_with("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : "),
        "{body}"
    );
    let e = envelope(&wrapped[0]);
    assert_eq!(e["Type"], "Notification");
    assert_eq!(e["MessageId"], id);
    assert_eq!(e["TopicArn"], topic);
    assert_eq!(e["Subject"], "Hello");
    assert_eq!(e["Message"], "Message 1");
    assert_eq!(e["SignatureVersion"], "1");
    let timestamp = e["Timestamp"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(timestamp).is_ok() && timestamp.len() == 24,
        "{timestamp}"
    );
    assert_eq!(
        e["UnsubscribeURL"],
        format!(
            "{}/?Action=Unsubscribe&SubscriptionArn={sub}",
            server.endpoint()
        )
    );
    assert_eq!(
        e["MessageAttributes"]["client"],
        serde_json::json!({"Type": "String", "Value": "Client 1"})
    );
    assert!(e.get("SequenceNumber").is_none());
}

/// The string SNS signs for a notification, as AWS documents it.
fn string_to_sign(e: &Value) -> String {
    let mut text = String::new();
    for key in [
        "Message",
        "MessageId",
        "Subject",
        "Timestamp",
        "TopicArn",
        "Type",
    ] {
        if let Some(value) = e.get(key).and_then(Value::as_str) {
            text.push_str(&format!("{key}\n{value}\n"));
        }
    }
    text
}

/// Verifies the envelope's signature with the certificate at its `SigningCertURL`, fetched
/// from the server as a client would.
async fn verify(server: &queue::server::LocalServer, e: &Value) -> bool {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use x509_cert::der::{DecodePem, Encode};

    let url = e["SigningCertURL"].as_str().unwrap();
    let path = url.strip_prefix(&server.endpoint()).expect("served here");
    let response = raw(server, "GET", path, &[], b"").await;
    assert_eq!(response.status, 200, "{}", response.body);
    let certificate = x509_cert::Certificate::from_pem(response.body.as_bytes()).unwrap();
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(e["Signature"].as_str().unwrap())
        .unwrap();
    let signature = Signature::try_from(signature.as_slice()).unwrap();
    let text = string_to_sign(e);
    match e["SignatureVersion"].as_str() {
        Some("1") => VerifyingKey::<sha1::Sha1>::new(key)
            .verify(text.as_bytes(), &signature)
            .is_ok(),
        Some("2") => VerifyingKey::<sha2::Sha256>::new(key)
            .verify(text.as_bytes(), &signature)
            .is_ok(),
        other => panic!("SignatureVersion {other:?}"),
    }
}

#[tokio::test]
async fn envelopes_verify_with_the_served_certificate_in_both_versions() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let url = create_queue(&sqs, "q").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(&sns, &topic, &queue_arn("q"), &[]).await;
    sns.publish()
        .topic_arn(&topic)
        .message("signed \"body\"\n")
        .subject("s")
        .send()
        .await
        .unwrap();
    sns.set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("SignatureVersion")
        .attribute_value("2")
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&topic)
        .message("no subject")
        .send()
        .await
        .unwrap();
    let got = drain(&sqs, &url).await;
    assert_eq!(got.len(), 2);
    let mut versions = Vec::new();
    for message in &got {
        let mut e = envelope(message);
        assert!(verify(&server, &e).await, "{e}");
        versions.push(e["SignatureVersion"].as_str().unwrap().to_string());
        // A changed message no longer verifies.
        e["Message"] = Value::from("tampered");
        assert!(!verify(&server, &e).await);
    }
    versions.sort();
    assert_eq!(versions, ["1", "2"]);
    let missing = raw(
        &server,
        "GET",
        "/SimpleNotificationService-0000.pem",
        &[],
        b"",
    )
    .await;
    assert_ne!(missing.status, 200);
}

#[tokio::test]
async fn filter_policies_drop_and_pass_on_attributes_and_bodies() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let all = create_queue(&sqs, "all").await;
    let two = create_queue(&sqs, "two").await;
    let big = create_queue(&sqs, "big").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("all"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("two"),
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicy", r#"{"client":["Client 2"]}"#),
        ],
    )
    .await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("big"),
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicyScope", "MessageBody"),
            (
                "FilterPolicy",
                r#"{"order":{"total":[{"numeric":[">",100]}]}}"#,
            ),
        ],
    )
    .await;
    for (client_name, body) in [
        ("Client 1", r#"{"order":{"total":50}}"#),
        ("Client 2", r#"{"order":{"total":150}}"#),
        ("Client 1", "not json"),
    ] {
        sns.publish()
            .topic_arn(&topic)
            .message(body)
            .message_attributes("client", string_attribute(client_name))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(drain(&sqs, &all).await.len(), 3);
    assert_eq!(
        drain_bodies(&sqs, &two).await,
        [r#"{"order":{"total":150}}"#]
    );
    assert_eq!(
        drain_bodies(&sqs, &big).await,
        [r#"{"order":{"total":150}}"#]
    );
}

#[tokio::test]
async fn fifo_topic_keeps_order_deduplicates_and_numbers_its_messages() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let raw_url = create_queue(&sqs, "raw.fifo").await;
    let wrapped_url = create_queue(&sqs, "wrapped.fifo").await;
    let standard_url = create_queue(&sqs, "standard").await;
    let topic = create_topic(&sns, "t.fifo", true).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("raw.fifo"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    subscribe(&sns, &topic, &queue_arn("wrapped.fifo"), &[]).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("standard"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    let mut sequence_numbers = Vec::new();
    for i in 1..=12 {
        let answer = sns
            .publish()
            .topic_arn(&topic)
            .message(format!("Message {i}"))
            .message_group_id("g")
            .send()
            .await
            .unwrap();
        sequence_numbers.push(answer.sequence_number().unwrap().to_string());
    }
    let mut sorted = sequence_numbers.clone();
    sorted.sort();
    assert_eq!(sorted, sequence_numbers, "sequence numbers grow");
    // Content-based deduplication: the same body again within 5 minutes is not delivered.
    let again = sns
        .publish()
        .topic_arn(&topic)
        .message("Message 1")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    assert_eq!(again.sequence_number(), Some(sequence_numbers[0].as_str()));
    let expected: Vec<String> = (1..=12).map(|i| format!("Message {i}")).collect();
    let raw_bodies = drain_bodies(&sqs, &raw_url).await;
    assert_eq!(raw_bodies, expected);
    let wrapped = drain(&sqs, &wrapped_url).await;
    assert_eq!(wrapped.len(), 12);
    let first = envelope(&wrapped[0]);
    assert_eq!(first["Message"], "Message 1");
    assert_eq!(first["SequenceNumber"], sequence_numbers[0]);
    assert!(first.get("Signature").is_none() && first.get("SigningCertURL").is_none());
    let system = wrapped[0].attributes().unwrap();
    assert_eq!(
        system[&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId],
        "g"
    );
    // The topic's content-based deduplication id (the message's SHA-256) goes on to the queue.
    use sha2::Digest as _;
    assert_eq!(
        system[&aws_sdk_sqs::types::MessageSystemAttributeName::MessageDeduplicationId],
        hex::encode(sha2::Sha256::digest(b"Message 1"))
    );
    assert_eq!(drain(&sqs, &standard_url).await.len(), 12);

    let error = sns
        .publish()
        .topic_arn(&topic)
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error).1,
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
}

#[tokio::test]
async fn publish_checks_its_input() {
    let server = start().await;
    let sns = client(&server);
    let topic = create_topic(&sns, "t", false).await;
    let fifo = create_topic(&sns, "f.fifo", false).await;
    let cases = [
        (
            sns.publish().topic_arn(&topic).message(""),
            "Invalid parameter: Empty message",
        ),
        (
            sns.publish().topic_arn(&topic).message("x".repeat(262_145)),
            "Invalid parameter: Message too long",
        ),
        (
            sns.publish()
                .topic_arn(&topic)
                .message("x")
                .message_deduplication_id("d"),
            "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ),
        (
            sns.publish()
                .topic_arn(&fifo)
                .message("x")
                .message_group_id("g"),
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ),
        (
            sns.publish()
                .topic_arn(&topic)
                .message(r#"{"sqs":"x"}"#)
                .message_structure("json"),
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ),
        (
            sns.publish().topic_arn(&topic).message("x").subject(""),
            "Invalid parameter: Subject",
        ),
        (
            sns.publish()
                .topic_arn(&topic)
                .message("x")
                .subject("two\nlines"),
            "Invalid parameter: Subject",
        ),
    ];
    for (request, message) in cases {
        let error = request.send().await.unwrap_err();
        assert_eq!(
            code_and_message(&error),
            ("InvalidParameter".into(), message.into())
        );
    }
    let error = sns
        .publish()
        .topic_arn("arn:aws:sns:us-east-1:000000000000:missing")
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("NotFound".into(), "Topic does not exist".into())
    );
    let error = sns
        .publish()
        .topic_arn(&topic)
        .message("x")
        .message_attributes(
            "n",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("ten")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "ParameterValueInvalid");
}

#[tokio::test]
async fn message_structure_json_sends_the_sqs_entry_and_target_arn_publishes() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let url = create_queue(&sqs, "q").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("q"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    sns.publish()
        .target_arn(&topic)
        .message(r#"{"default":"for everyone","sqs":"for queues","email":"for people"}"#)
        .message_structure("json")
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(&topic)
        .message(r#"{"default":"only default"}"#)
        .message_structure("json")
        .send()
        .await
        .unwrap();
    let bodies = drain_bodies(&sqs, &url).await;
    assert_eq!(bodies, ["for queues", "only default"]);
}

#[tokio::test]
async fn a_lost_subscriber_queue_costs_no_other_copy_and_redrives_to_its_dlq() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let gone = create_queue(&sqs, "gone").await;
    let kept = create_queue(&sqs, "kept").await;
    let dlq = create_queue(&sqs, "dlq").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("gone"),
        &[
            ("RawMessageDelivery", "true"),
            (
                "RedrivePolicy",
                &format!(r#"{{"deadLetterTargetArn":"{}"}}"#, queue_arn("dlq")),
            ),
        ],
    )
    .await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("kept"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    sqs.delete_queue().queue_url(&gone).send().await.unwrap();
    sns.publish()
        .topic_arn(&topic)
        .message("m")
        .send()
        .await
        .unwrap();
    assert_eq!(drain_bodies(&sqs, &kept).await, ["m"]);
    assert_eq!(drain_bodies(&sqs, &dlq).await, ["m"]);
}

#[tokio::test]
async fn publish_batch_delivers_each_entry_and_checks_the_batch() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let url = create_queue(&sqs, "q.fifo").await;
    let topic = create_topic(&sns, "t.fifo", true).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("q.fifo"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    let entry = |id: &str, body: &str| {
        PublishBatchRequestEntry::builder()
            .id(id)
            .message(body)
            .message_group_id("g")
            .message_attributes("client", string_attribute("Client 1"))
            .build()
            .unwrap()
    };
    let entries: Vec<_> = (1..=10)
        .map(|i| entry(&format!("e{i}"), &format!("Message {i}")))
        .collect();
    let answer = sns
        .publish_batch()
        .topic_arn(&topic)
        .set_publish_batch_request_entries(Some(entries.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.successful().len(), 10);
    assert!(answer.failed().is_empty());
    assert!(answer.successful()[0].sequence_number().is_some());
    let got = drain(&sqs, &url).await;
    let bodies: Vec<&str> = got.iter().map(|m| m.body().unwrap()).collect();
    let expected: Vec<String> = (1..=10).map(|i| format!("Message {i}")).collect();
    assert_eq!(bodies, expected);

    let mut eleven = entries.clone();
    eleven.push(entry("e11", "x"));
    let error = sns
        .publish_batch()
        .topic_arn(&topic)
        .set_publish_batch_request_entries(Some(eleven))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "TooManyEntriesInBatchRequest");
    let error = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(entry("same", "a"))
        .publish_batch_request_entries(entry("same", "b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "BatchEntryIdsNotDistinct");
    // A bad attribute value fails its entry only.
    let bad = PublishBatchRequestEntry::builder()
        .id("bad")
        .message("Message 12")
        .message_group_id("g")
        .message_attributes(
            "n",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("abc")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let answer = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(entry("good", "Message 11"))
        .publish_batch_request_entries(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.successful().len(), 1);
    assert_eq!(answer.failed().len(), 1);
    assert_eq!(answer.failed()[0].id(), "bad");
    assert_eq!(answer.failed()[0].code(), "InvalidParameterValue");
    assert!(answer.failed()[0].sender_fault());
    let got = drain(&sqs, &url).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some("Message 11"));

    let error = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(entry("bad id!", "a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "InvalidBatchEntryId");
}

#[tokio::test]
async fn the_unsubscribe_link_works_unsigned() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let url = create_queue(&sqs, "q").await;
    let topic = create_topic(&sns, "t", false).await;
    subscribe(&sns, &topic, &queue_arn("q"), &[]).await;
    sns.publish()
        .topic_arn(&topic)
        .message("one")
        .send()
        .await
        .unwrap();
    let got = drain(&sqs, &url).await;
    let link = envelope(&got[0])["UnsubscribeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let path = link.strip_prefix(&server.endpoint()).unwrap();
    let answer = raw(&server, "GET", path, &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("UnsubscribeResponse"));
    sns.publish()
        .topic_arn(&topic)
        .message("two")
        .send()
        .await
        .unwrap();
    assert!(drain(&sqs, &url).await.is_empty());
}

#[tokio::test]
async fn the_practicals_topics_deliver_to_both_queues_at_start() {
    let server = start_with(ServeOptions {
        topics: StartupTopic::practical(),
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    let topics = sns.list_topics().send().await.unwrap();
    let arns: Vec<&str> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(
        arns,
        [
            "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic",
            "arn:aws:sns:us-east-1:000000000000:csse6400_prac_topic.fifo"
        ]
    );
    sns.publish()
        .topic_arn(arns[0])
        .message("Message 0")
        .send()
        .await
        .unwrap();
    sns.publish()
        .topic_arn(arns[1])
        .message("Message 0")
        .message_group_id("default")
        .send()
        .await
        .unwrap();
    for queue in [
        "csse6400_prac",
        "csse6400_prac_subscriber",
        "csse6400_prac.fifo",
        "csse6400_prac_subscriber.fifo",
    ] {
        let url = sqs
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let got = drain(&sqs, &url).await;
        assert_eq!(got.len(), 1, "{queue}");
        assert_eq!(got[0].body(), Some("Message 0"), "{queue}");
    }
}

#[tokio::test]
async fn fifo_deduplication_follows_the_throughput_scope_and_the_whole_message() {
    let server = start().await;
    let (sns, sqs) = (client(&server), sqs_client(&server));
    // A standard queue: a FIFO queue would also drop a repeated deduplication id itself.
    let url = create_queue(&sqs, "plain").await;
    let topic = create_topic(&sns, "t.fifo", true).await;
    subscribe(
        &sns,
        &topic,
        &queue_arn("plain"),
        &[("RawMessageDelivery", "true")],
    )
    .await;
    // Per topic (the default): the same body in another group is a duplicate.
    for group in ["a", "b"] {
        sns.publish()
            .topic_arn(&topic)
            .message("same")
            .message_group_id(group)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(drain(&sqs, &url).await.len(), 1);
    // Per message group: it is not.
    sns.set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("FifoThroughputScope")
        .attribute_value("MessageGroup")
        .send()
        .await
        .unwrap();
    for group in ["c", "d"] {
        sns.publish()
            .topic_arn(&topic)
            .message("again")
            .message_group_id(group)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(drain(&sqs, &url).await.len(), 2);
    // Content-based deduplication hashes the whole message, not only its `sqs` entry.
    for default in ["one", "two"] {
        sns.publish()
            .topic_arn(&topic)
            .message(format!(r#"{{"default":"{default}","sqs":"for queues"}}"#))
            .message_structure("json")
            .message_group_id("e")
            .send()
            .await
            .unwrap();
    }
    let bodies = drain_bodies(&sqs, &url).await;
    assert_eq!(bodies, ["for queues", "for queues"]);
}
