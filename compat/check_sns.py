#!/usr/bin/env python3
"""Compatibility check: SNS fan-out to SQS through `queue serve`, driven by boto3.

Usage: check_sns.py ENDPOINT_URL

A topic fans out to five standard queues (raw delivery; the JSON envelope; a filter policy on
attributes that lets the first message through; one that drops it; one on the message body)
and a FIFO topic to a FIFO queue. Expectations are AWS's documented behaviour: the envelope
field for field, its signature checked against the certificate at SigningCertURL (SHA1 for
SignatureVersion 1, SHA256 for 2) with the `cryptography` package, FIFO order, sequence
numbers and deduplication, PublishBatch, and the error codes. Names carry a random suffix, so
the check runs against a server that already holds other topics and queues. Exits non-zero on
the first mismatch, printing what was expected and what came back.
"""

import base64
import datetime
import hashlib
import json
import re
import ssl
import sys
import time
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore
from botocore.config import Config
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

CHECKS = 0

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# "2026-12-01T18:42:03.123Z": ISO-8601, UTC, milliseconds.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# The fields AWS signs in a Notification, in byte order (SNS Developer Guide, "Verifying the
# signatures of Amazon SNS messages"); Subject only when present.
SIGNED_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
# SNS's EffectiveDeliveryPolicy of a topic that has no DeliveryPolicy.
DEFAULT_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20,
            "maxDelayTarget": 20,
            "numRetries": 3,
            "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0,
            "numMinDelayRetries": 0,
            "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}
# What the owner may do under a new topic's default Policy.
DEFAULT_POLICY_ACTIONS = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
]
# The user id SQS shows as SenderId for what SNS delivers.
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"


def check(condition, what, got=None):
    """Count a check; stop with a one-line explanation when it fails."""
    global CHECKS
    CHECKS += 1
    if not condition:
        detail = f" (got {got!r})" if got is not None else ""
        print(f"FAIL [sns, botocore {botocore.__version__}]: {what}{detail}", file=sys.stderr)
        sys.exit(1)


def expect_error(call, exception, code, status, message, what):
    """`call()` must raise `exception` with Error.Code `code`, HTTP `status` and `message`."""
    try:
        call()
    except exception as error:
        err = error.response.get("Error", {})
        check(err.get("Code") == code, f"{what}: Error.Code", err)
        check(err.get("Message") == message, f"{what}: Error.Message", err.get("Message"))
        got = error.response["ResponseMetadata"]["HTTPStatusCode"]
        check(got == status, f"{what}: HTTP status", got)
        return error
    except botocore.exceptions.ClientError as error:
        check(False, f"{what}: expected {exception.__name__}", error.response.get("Error"))
    check(False, f"{what}: expected {exception.__name__}, the call succeeded")
    return None


def md5(data):
    return hashlib.md5(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()


def drain(sqs, url, count, what):
    """Receive (and delete) until `count` messages arrived, then check nothing else is there."""
    messages = []
    deadline = time.monotonic() + 15
    while len(messages) < count and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(got)
    check(len(messages) == count, f"{what}: messages delivered", [m["Body"] for m in messages])
    extra = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    check(not extra.get("Messages"), f"{what}: no other message", extra.get("Messages"))
    return messages


CERTIFICATES = {}


def certificate(url):
    """The certificate at SigningCertURL (an emulator's may be HTTPS with a self-signed cert)."""
    if url not in CERTIFICATES:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(url, timeout=10, context=context) as reply:
            pem = reply.read()
        check(
            pem.startswith(b"-----BEGIN CERTIFICATE-----"), "SigningCertURL serves a PEM", pem[:40]
        )
        CERTIFICATES[url] = x509.load_pem_x509_certificate(pem)
    return CERTIFICATES[url]


def string_to_sign(envelope):
    return "".join(f"{k}\n{envelope[k]}\n" for k in SIGNED_FIELDS if k in envelope)


def verifies(envelope, algorithm):
    """Whether the envelope's Signature verifies with the certificate's key and `algorithm`."""
    key = certificate(envelope["SigningCertURL"]).public_key()
    try:
        key.verify(
            base64.b64decode(envelope["Signature"]),
            string_to_sign(envelope).encode("utf-8"),
            padding.PKCS1v15(),
            algorithm,
        )
        return True
    except InvalidSignature:
        return False


def check_envelope(envelope, what, *, message_id, topic_arn, message, subscription_arn):
    """The fields every Notification envelope has, as AWS writes them."""
    check(envelope.get("Type") == "Notification", f"{what}: Type", envelope.get("Type"))
    check(envelope.get("MessageId") == message_id, f"{what}: MessageId is Publish's", envelope)
    check(envelope.get("TopicArn") == topic_arn, f"{what}: TopicArn", envelope.get("TopicArn"))
    check(envelope.get("Message") == message, f"{what}: Message", envelope.get("Message"))
    stamp = envelope.get("Timestamp", "")
    check(TIMESTAMP.match(stamp) is not None, f"{what}: Timestamp ISO-8601 UTC with ms", stamp)
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc
    )
    skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
    check(skew < 300, f"{what}: Timestamp is now", stamp)
    unsubscribe = urllib.parse.urlsplit(envelope.get("UnsubscribeURL", ""))
    query = urllib.parse.parse_qs(unsubscribe.query)
    check(
        unsubscribe.scheme in ("http", "https")
        and query.get("Action") == ["Unsubscribe"]
        and query.get("SubscriptionArn") == [subscription_arn],
        f"{what}: UnsubscribeURL names the subscription",
        envelope.get("UnsubscribeURL"),
    )


def check_signed(envelope, what, version):
    """SignatureVersion, a SigningCertURL that serves the certificate, a signature that
    verifies with its key (and not after a change to a signed field)."""
    check(envelope.get("SignatureVersion") == version, f"{what}: SignatureVersion", envelope)
    cert_url = urllib.parse.urlsplit(envelope.get("SigningCertURL", ""))
    check(
        cert_url.scheme in ("http", "https")
        and re.fullmatch(r".*/SimpleNotificationService-[0-9A-Za-z]+\.pem", cert_url.path),
        f"{what}: SigningCertURL",
        envelope.get("SigningCertURL"),
    )
    cert = certificate(envelope["SigningCertURL"])
    now = datetime.datetime.now(datetime.timezone.utc)
    start = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(
        tzinfo=datetime.timezone.utc
    )
    end = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(
        tzinfo=datetime.timezone.utc
    )
    check(start <= now <= end, f"{what}: certificate valid now", (start, end))
    right, wrong = (
        (hashes.SHA1(), hashes.SHA256()) if version == "1" else (hashes.SHA256(), hashes.SHA1())
    )
    check(verifies(envelope, right), f"{what}: Signature verifies ({right.name})", envelope)
    check(not verifies(envelope, wrong), f"{what}: not a {wrong.name} signature")
    for field in ("Message", "Timestamp"):
        tampered = dict(envelope, **{field: envelope[field] + " "})
        check(not verifies(tampered, right), f"{what}: a changed {field} fails verification")


def queue_policy(queue_arn, topic_arns):
    """What AWS needs before SNS may send to a queue (emulators ignore it)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
                }
            ],
        }
    )


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    endpoint = sys.argv[1]
    started = time.monotonic()
    clients = {
        service: boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        for service in ("sns", "sqs")
    }
    sns, sqs = clients["sns"], clients["sqs"]
    check(
        sns.meta.service_model.protocol == "query",
        "botocore's SNS protocol",
        sns.meta.service_model.protocol,
    )
    wire = []
    sns.meta.events.register("before-send.sns", lambda request, **_: wire.append(request))

    run = uuid.uuid4().hex[:8]
    name = f"compat-sns-{run}"

    # Topics: standard, and FIFO with content-based deduplication; CreateTopic is idempotent.
    topic = sns.create_topic(Name=name)["TopicArn"]
    check(
        re.fullmatch(rf"arn:aws:sns:us-east-1:\d{{12}}:{name}", topic) is not None,
        "CreateTopic TopicArn",
        topic,
    )
    account = topic.split(":")[4]
    check(sns.create_topic(Name=name)["TopicArn"] == topic, "CreateTopic again: the same ARN")
    fifo_topic = sns.create_topic(
        Name=f"{name}.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    check(fifo_topic == f"{topic}.fifo", "CreateTopic FIFO TopicArn", fifo_topic)
    listed = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    check({topic, fifo_topic} <= listed, "ListTopics", listed)

    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    check(attrs.get("TopicArn") == topic, "GetTopicAttributes TopicArn", attrs)
    check(attrs.get("Owner") == account, "GetTopicAttributes Owner", attrs.get("Owner"))
    check(
        attrs.get("DisplayName") == "", "GetTopicAttributes DisplayName", attrs.get("DisplayName")
    )
    check("FifoTopic" not in attrs, "a standard topic has no FifoTopic", attrs)
    for count in ("SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"):
        check(attrs.get(count, "").isdigit(), f"GetTopicAttributes {count}", attrs.get(count))
    policy = json.loads(attrs.get("Policy", "null"))
    statement = (policy or {}).get("Statement", [{}])[0]
    check(
        policy.get("Version") == "2008-10-17" and policy.get("Id") == "__default_policy_ID",
        "default Policy: Version and Id",
        policy,
    )
    check(
        statement.get("Sid") == "__default_statement_ID"
        and statement.get("Effect") == "Allow"
        and statement.get("Principal") == {"AWS": "*"}
        and statement.get("Resource") == topic
        and statement.get("Condition") == {"StringEquals": {"AWS:SourceOwner": account}},
        "default Policy: the owner's statement",
        statement,
    )
    check(
        sorted(statement.get("Action", [])) == sorted(DEFAULT_POLICY_ACTIONS),
        "default Policy: actions",
        statement.get("Action"),
    )
    delivery = json.loads(attrs.get("EffectiveDeliveryPolicy", "null"))
    check(
        delivery == DEFAULT_DELIVERY_POLICY, "GetTopicAttributes EffectiveDeliveryPolicy", delivery
    )
    fifo_attrs = sns.get_topic_attributes(TopicArn=fifo_topic)["Attributes"]
    check(fifo_attrs.get("FifoTopic") == "true", "FIFO topic FifoTopic", fifo_attrs)
    check(
        fifo_attrs.get("ContentBasedDeduplication") == "true",
        "FIFO topic ContentBasedDeduplication",
        fifo_attrs,
    )

    # Queues, each allowing the topics to send (as AWS requires).
    queues = {}
    for role in ("raw", "envelope", "red", "blue", "body", "fifo"):
        queue_name = f"{name}-{role}" + (".fifo" if role == "fifo" else "")
        arn = f"arn:aws:sqs:us-east-1:{account}:{queue_name}"
        attributes = {"Policy": queue_policy(arn, [topic, fifo_topic])}
        if role == "fifo":
            attributes["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
        queues[role] = (url, arn)

    # Subscriptions: raw; enveloped; filters on attributes that pass and drop the first
    # message; a filter on the (JSON) body; the FIFO queue under the FIFO topic.
    def subscribe(topic_arn, role, **attributes):
        arn = sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queues[role][1], Attributes=attributes
        )["SubscriptionArn"]
        check(
            re.fullmatch(rf"{re.escape(topic_arn)}:{UUID}", arn) is not None,
            f"Subscribe {role}: SubscriptionArn",
            arn,
        )
        return arn

    subs = {
        "raw": subscribe(topic, "raw", RawMessageDelivery="true"),
        "envelope": subscribe(topic, "envelope"),
        "red": subscribe(
            topic,
            "red",
            FilterPolicy=json.dumps(
                {"color": [{"prefix": "re"}], "size": [{"numeric": [">=", 42]}]}
            ),
        ),
        "blue": subscribe(
            topic, "blue", FilterPolicy=json.dumps({"color": [{"anything-but": ["red"]}]})
        ),
        "body": subscribe(
            topic,
            "body",
            FilterPolicy=json.dumps({"order": {"kind": ["book"]}}),
            FilterPolicyScope="MessageBody",
        ),
        "fifo": subscribe(fifo_topic, "fifo"),
    }
    again = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queues["raw"][1],
        Attributes={"RawMessageDelivery": "true"},
    )
    check(again["SubscriptionArn"] == subs["raw"], "Subscribe again: the same ARN", again)

    got = sns.get_subscription_attributes(SubscriptionArn=subs["raw"])["Attributes"]
    expected = {
        "SubscriptionArn": subs["raw"],
        "TopicArn": topic,
        "Protocol": "sqs",
        "Endpoint": queues["raw"][1],
        "Owner": account,
        "RawMessageDelivery": "true",
        "PendingConfirmation": "false",
        "ConfirmationWasAuthenticated": "true",
    }
    check({k: got.get(k) for k in expected} == expected, "GetSubscriptionAttributes (raw)", got)
    check("FilterPolicy" not in got, "no FilterPolicy without one", got)
    got = sns.get_subscription_attributes(SubscriptionArn=subs["envelope"])["Attributes"]
    check(got.get("RawMessageDelivery") == "false", "RawMessageDelivery defaults to false", got)
    got = sns.get_subscription_attributes(SubscriptionArn=subs["red"])["Attributes"]
    check(
        json.loads(got.get("FilterPolicy", "null"))
        == {"color": [{"prefix": "re"}], "size": [{"numeric": [">=", 42]}]},
        "FilterPolicy",
        got,
    )
    check(
        got.get("FilterPolicyScope") == "MessageAttributes",
        "FilterPolicyScope defaults to MessageAttributes",
        got,
    )
    got = sns.get_subscription_attributes(SubscriptionArn=subs["body"])["Attributes"]
    check(got.get("FilterPolicyScope") == "MessageBody", "FilterPolicyScope MessageBody", got)
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    check(
        sorted(
            (s["SubscriptionArn"], s["Endpoint"], s["Protocol"], s["Owner"], s["TopicArn"])
            for s in listed
        )
        == sorted(
            (subs[r], queues[r][1], "sqs", account, topic)
            for r in ("raw", "envelope", "red", "blue", "body")
        ),
        "ListSubscriptionsByTopic",
        listed,
    )
    everything = {s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    check(set(subs.values()) <= everything, "ListSubscriptions", everything)

    # Publish: a JSON body (for the body filter) with quotes, a newline and markup; a
    # Subject; String, Number and Binary attributes.
    first = json.dumps(
        {"order": {"kind": "book", "id": 1}, "text": 'first "message"\nwith <markup> & more'}
    )
    binary = b"\x00\x01\xfe\xff binary"
    published = sns.publish(
        TopicArn=topic,
        Message=first,
        Subject="compat subject",
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "red"},
            "size": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": binary},
        },
    )
    first_id = published.get("MessageId", "")
    check(re.fullmatch(UUID, first_id) is not None, "Publish MessageId", published)
    check("SequenceNumber" not in published, "a standard topic gives no SequenceNumber", published)
    # The second one only the "blue" filter lets through.
    second = json.dumps({"order": {"kind": "pen"}})
    second_id = sns.publish(
        TopicArn=topic,
        Message=second,
        MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}},
    )["MessageId"]

    # Raw delivery: the message itself, its attributes as SQS message attributes, no Subject.
    raw = drain(sqs, queues["raw"][0], 2, "raw delivery")
    raw_first = next((m for m in raw if m["Body"] == first), None)
    check(raw_first is not None, "raw delivery: the body is the message", [m["Body"] for m in raw])
    check(raw_first["MD5OfBody"] == md5(first), "raw delivery: MD5OfBody", raw_first["MD5OfBody"])
    got = raw_first.get("MessageAttributes", {})
    check(
        got.get("color") == {"DataType": "String", "StringValue": "red"}
        and got.get("size") == {"DataType": "Number", "StringValue": "42"}
        and got.get("blob") == {"DataType": "Binary", "BinaryValue": binary}
        and len(got) == 3,
        "raw delivery: message attributes",
        got,
    )
    check("MD5OfMessageAttributes" in raw_first, "raw delivery: MD5OfMessageAttributes", raw_first)
    check(
        raw_first["Attributes"].get("SenderId") == SNS_SENDER_ID,
        "raw delivery: SenderId is SNS's",
        raw_first["Attributes"],
    )

    # The envelope, field for field, and its signature (SignatureVersion 1: SHA1withRSA).
    enveloped = drain(sqs, queues["envelope"][0], 2, "envelope delivery")
    bodies = {json.loads(m["Body"])["MessageId"]: m for m in enveloped}
    check(set(bodies) == {first_id, second_id}, "envelope delivery: both MessageIds", list(bodies))
    check(
        all("MessageAttributes" not in m for m in enveloped),
        "envelope delivery: no SQS message attributes",
        enveloped,
    )
    envelope = json.loads(bodies[first_id]["Body"])
    check(
        set(envelope)
        == {
            "Type",
            "MessageId",
            "TopicArn",
            "Subject",
            "Message",
            "Timestamp",
            "SignatureVersion",
            "Signature",
            "SigningCertURL",
            "UnsubscribeURL",
            "MessageAttributes",
        },
        "envelope fields",
        sorted(envelope),
    )
    check_envelope(
        envelope,
        "envelope",
        message_id=first_id,
        topic_arn=topic,
        message=first,
        subscription_arn=subs["envelope"],
    )
    check(envelope.get("Subject") == "compat subject", "envelope Subject", envelope.get("Subject"))
    check(
        envelope.get("MessageAttributes")
        == {
            "color": {"Type": "String", "Value": "red"},
            "size": {"Type": "Number", "Value": "42"},
            "blob": {"Type": "Binary", "Value": base64.b64encode(binary).decode()},
        },
        "envelope MessageAttributes",
        envelope.get("MessageAttributes"),
    )
    check_signed(envelope, "envelope", "1")
    for field in ("Subject", "MessageId", "TopicArn"):
        tampered = dict(envelope, **{field: envelope[field] + "x"})
        check(
            not verifies(tampered, hashes.SHA1()), f"envelope: a changed {field} fails verification"
        )
    plain = json.loads(bodies[second_id]["Body"])
    check("Subject" not in plain, "envelope without Subject has no Subject", plain)
    check_envelope(
        plain,
        "envelope without Subject",
        message_id=second_id,
        topic_arn=topic,
        message=second,
        subscription_arn=subs["envelope"],
    )
    check_signed(plain, "envelope without Subject", "1")

    # Filter policies: each queue got only what its policy lets through.
    red = drain(sqs, queues["red"][0], 1, "filter on attributes (passes the first)")
    check(
        json.loads(red[0]["Body"]).get("MessageId") == first_id,
        "filter that passes: the first message",
        red[0]["Body"],
    )
    blue = drain(sqs, queues["blue"][0], 1, "filter on attributes (drops the first)")
    check(
        json.loads(blue[0]["Body"]).get("MessageId") == second_id,
        "filter that drops: only the second message",
        blue[0]["Body"],
    )
    body = drain(sqs, queues["body"][0], 1, "filter on the body")
    check(
        json.loads(body[0]["Body"]).get("MessageId") == first_id,
        "FilterPolicyScope MessageBody: the first message",
        body[0]["Body"],
    )

    # SignatureVersion 2: SHA256withRSA.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    got = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("SignatureVersion")
    check(got == "2", "SetTopicAttributes SignatureVersion", got)
    third_id = sns.publish(TopicArn=topic, Message="signed with SHA256", Subject="v2")["MessageId"]
    drain(sqs, queues["raw"][0], 1, "raw delivery (SignatureVersion 2)")
    v2 = json.loads(
        drain(sqs, queues["envelope"][0], 1, "envelope (SignatureVersion 2)")[0]["Body"]
    )
    check("MessageAttributes" not in v2, "envelope without attributes has no MessageAttributes", v2)
    check_envelope(
        v2,
        "envelope v2",
        message_id=third_id,
        topic_arn=topic,
        message="signed with SHA256",
        subscription_arn=subs["envelope"],
    )
    check_signed(v2, "envelope v2", "2")

    # PublishBatch.
    batch = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {
                "Id": f"e{i}",
                "Message": f"batch {i}",
                "MessageAttributes": {"color": {"DataType": "String", "StringValue": "green"}},
            }
            for i in range(3)
        ],
    )
    ok = batch.get("Successful", [])
    check(sorted(e["Id"] for e in ok) == ["e0", "e1", "e2"], "PublishBatch Successful", batch)
    check(not batch.get("Failed"), "PublishBatch Failed", batch.get("Failed"))
    check(
        all(re.fullmatch(UUID, e.get("MessageId", "")) for e in ok), "PublishBatch MessageIds", ok
    )
    got = drain(sqs, queues["raw"][0], 3, "PublishBatch to the raw queue")
    check(
        sorted(m["Body"] for m in got) == ["batch 0", "batch 1", "batch 2"],
        "PublishBatch bodies",
        [m["Body"] for m in got],
    )
    check(
        all(m["MessageAttributes"]["color"]["StringValue"] == "green" for m in got),
        "PublishBatch attributes",
        got,
    )
    got = drain(sqs, queues["blue"][0], 3, "PublishBatch through the anything-but filter")
    by_id = {e["Id"]: e["MessageId"] for e in ok}
    check(
        sorted(json.loads(m["Body"])["MessageId"] for m in got) == sorted(by_id.values()),
        "PublishBatch envelope MessageIds are the batch's",
        got,
    )
    for role in ("envelope", "red", "body"):
        # Drained so that nothing is left behind; the red and body filters drop the batch.
        sqs.purge_queue(QueueUrl=queues[role][0])

    # FIFO topic to FIFO queue: one group keeps its order, sequence numbers grow, the
    # envelope has SequenceNumber and no signature, a duplicate is not delivered again.
    fifo_ids, sequences = [], []
    for i in range(10):
        reply = sns.publish(TopicArn=fifo_topic, Message=f"fifo {i}", MessageGroupId="g1")
        fifo_ids.append(reply.get("MessageId"))
        sequences.append(reply.get("SequenceNumber", ""))
    check(all(s.isdigit() for s in sequences), "FIFO Publish SequenceNumber", sequences)
    check(
        all(int(a) < int(b) for a, b in zip(sequences, sequences[1:])),
        "FIFO SequenceNumbers grow",
        sequences,
    )
    duplicate = sns.publish(TopicArn=fifo_topic, Message="fifo 3", MessageGroupId="g1")
    check("MessageId" in duplicate, "FIFO duplicate Publish succeeds", duplicate)
    received = []
    deadline = time.monotonic() + 15
    while len(received) < 10 and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=queues["fifo"][0],
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
        ).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=queues["fifo"][0], ReceiptHandle=message["ReceiptHandle"])
        received.extend(got)
    envelopes = [json.loads(m["Body"]) for m in received]
    check(
        [e.get("Message") for e in envelopes] == [f"fifo {i}" for i in range(10)],
        "FIFO order",
        [e.get("Message") for e in envelopes],
    )
    check(
        [e.get("MessageId") for e in envelopes] == fifo_ids, "FIFO envelope MessageIds", envelopes
    )
    check(
        [e.get("SequenceNumber") for e in envelopes] == sequences,
        "FIFO envelope SequenceNumber is Publish's",
        envelopes,
    )
    check(
        set(envelopes[0])
        == {
            "Type",
            "MessageId",
            "SequenceNumber",
            "TopicArn",
            "Message",
            "Timestamp",
            "UnsubscribeURL",
        },
        "FIFO envelope fields (no signature)",
        sorted(envelopes[0]),
    )
    check_envelope(
        envelopes[0],
        "FIFO envelope",
        message_id=fifo_ids[0],
        topic_arn=fifo_topic,
        message="fifo 0",
        subscription_arn=subs["fifo"],
    )
    system = received[0]["Attributes"]
    check(system.get("MessageGroupId") == "g1", "FIFO SQS MessageGroupId", system)
    # The topic's deduplication id travels to the queue (content-based: the SHA-256 of the
    # published message, not of the envelope).
    check(
        system.get("MessageDeduplicationId") == hashlib.sha256(b"fifo 0").hexdigest(),
        "FIFO SQS MessageDeduplicationId",
        system,
    )
    check(system.get("SequenceNumber", "").isdigit(), "FIFO SQS SequenceNumber", system)
    # PublishBatch to the FIFO topic; it also shows the duplicate above was not delivered.
    batch = sns.publish_batch(
        TopicArn=fifo_topic,
        PublishBatchRequestEntries=[
            {"Id": f"f{i}", "Message": f"fifo batch {i}", "MessageGroupId": "g1"} for i in range(2)
        ],
    )
    ok = batch.get("Successful", [])
    check(
        len(ok) == 2 and all(e.get("SequenceNumber", "").isdigit() for e in ok),
        "FIFO PublishBatch SequenceNumber",
        batch,
    )
    got = drain(sqs, queues["fifo"][0], 2, "FIFO after a duplicate and a batch")
    check(
        [json.loads(m["Body"])["Message"] for m in got] == ["fifo batch 0", "fifo batch 1"],
        "FIFO duplicate not delivered, batch in order",
        [m["Body"] for m in got],
    )

    # Errors.
    missing = topic.replace(name, f"missing-{run}")
    expect_error(
        lambda: sns.publish(TopicArn=missing, Message="nobody"),
        sns.exceptions.NotFoundException,
        "NotFound",
        404,
        "Topic does not exist",
        "Publish to a missing topic",
    )
    expect_error(
        lambda: sns.get_topic_attributes(TopicArn=missing),
        sns.exceptions.NotFoundException,
        "NotFound",
        404,
        "Topic does not exist",
        "GetTopicAttributes of a missing topic",
    )
    expect_error(
        lambda: sns.publish(TopicArn=topic, Message=""),
        sns.exceptions.InvalidParameterException,
        "InvalidParameter",
        400,
        "Invalid parameter: Empty message",
        "Publish an empty message",
    )
    expect_error(
        lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues["raw"][0]),
        sns.exceptions.InvalidParameterException,
        "InvalidParameter",
        400,
        "Invalid parameter: SQS endpoint ARN",
        "Subscribe with a queue URL",
    )
    expect_error(
        lambda: sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": f"e{i}", "Message": "m"} for i in range(11)],
        ),
        sns.exceptions.TooManyEntriesInBatchRequestException,
        "TooManyEntriesInBatchRequest",
        400,
        "The batch request contains more entries than permissible.",
        "PublishBatch with 11 entries",
    )
    try:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queues["fifo"][1])
        check(False, "Subscribe a FIFO queue to a standard topic must fail")
    except sns.exceptions.InvalidParameterException as error:
        check(
            error.response["Error"]["Code"] == "InvalidParameter",
            "FIFO queue to a standard topic",
            error.response["Error"],
        )

    # Unsubscribe, delete.
    sns.unsubscribe(SubscriptionArn=subs["red"])
    expect_error(
        lambda: sns.get_subscription_attributes(SubscriptionArn=subs["red"]),
        sns.exceptions.NotFoundException,
        "NotFound",
        404,
        "Subscription does not exist",
        "GetSubscriptionAttributes after Unsubscribe",
    )
    for arn in (topic, fifo_topic):
        sns.delete_topic(TopicArn=arn)
    listed = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    check(not {topic, fifo_topic} & listed, "DeleteTopic", listed)
    for url, _ in queues.values():
        sqs.delete_queue(QueueUrl=url)

    # Every SNS request was a Query-protocol form POST.
    for request in wire:
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        check(
            "Version=2010-03-31" in body
            and "x-amz-target" not in {k.lower() for k in request.headers},
            "SNS over the Query protocol",
            body[:80],
        )

    print(
        f"ok: {CHECKS} SNS checks, {len(wire)} SNS requests in {time.monotonic() - started:.1f} s "
        f"(boto3 {boto3.__version__}, botocore {botocore.__version__})"
    )


if __name__ == "__main__":
    main()
