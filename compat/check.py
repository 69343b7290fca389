#!/usr/bin/env python3
"""Compatibility check: drive `queue serve` with a real third-party client (boto3).

Usage: check.py ENDPOINT_URL {json,query}

The second argument is the wire protocol the installed botocore is expected to speak
(botocore >= 1.34.90 speaks AWS JSON 1.0, older ones the Query protocol); the script checks
both the model's protocol and what actually went over the wire. Exits non-zero on the first
mismatch, printing what was expected and what came back.
"""

import base64
import hashlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore
from botocore.config import Config

CHECKS = 0


def check(condition, what, got=None):
    """Count a check; stop with a one-line explanation when it fails."""
    global CHECKS
    CHECKS += 1
    if not condition:
        detail = f" (got {got!r})" if got is not None else ""
        print(f"FAIL [{PROTOCOL}, botocore {botocore.__version__}]: {what}{detail}", file=sys.stderr)
        sys.exit(1)


def expect_error(call, exception, code, what):
    """`call()` must raise `exception` whose Error.Code is `code`."""
    try:
        call()
    except exception as error:
        got = error.response.get("Error", {}).get("Code")
        check(got == code, f"{what}: Error.Code", got)
        return error
    except botocore.exceptions.ClientError as error:
        check(False, f"{what}: expected {exception.__name__}", error.response.get("Error"))
    check(False, f"{what}: expected {exception.__name__}, the call succeeded")
    return None


def md5(data):
    return hashlib.md5(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()


def receive_all(sqs, url, count, **kwargs):
    """Receive until `count` messages arrived (the server may return fewer per call)."""
    messages = []
    deadline = time.monotonic() + 15
    while len(messages) < count and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **kwargs
        )
        messages.extend(response.get("Messages", []))
    return messages


def main():
    global PROTOCOL
    if len(sys.argv) != 3 or sys.argv[2] not in ("json", "query"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    endpoint, PROTOCOL = sys.argv[1], sys.argv[2]

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    model_protocol = sqs.meta.service_model.protocol
    check(model_protocol == PROTOCOL, "botocore's SQS protocol", model_protocol)

    wire = []
    sqs.meta.events.register("before-send.sqs", lambda request, **_: wire.append(request))

    run = uuid.uuid4().hex[:8]
    name = f"compat-{PROTOCOL}-{run}"

    # Create / get URL / list.
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    check(url.endswith(f"/000000000000/{name}"), "CreateQueue QueueUrl", url)
    check(sqs.get_queue_url(QueueName=name)["QueueUrl"] == url, "GetQueueUrl")
    listed = sqs.list_queues(QueueNamePrefix=f"compat-{PROTOCOL}-{run}").get("QueueUrls", [])
    check(listed == [url], "ListQueues with prefix", listed)
    unmatched = sqs.list_queues(QueueNamePrefix=f"none-{run}")
    check("QueueUrls" not in unmatched, "ListQueues without a match has no QueueUrls", unmatched)

    # The queue URL is an address: on the endpoint's host and port, and plain HTTP code can
    # GET it with the Query API, as `requests.get(url, params=...)` would.
    check(url.startswith(endpoint.rstrip("/") + "/"), "QueueUrl on the endpoint's host", url)
    query = urllib.parse.urlencode({"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"})
    with urllib.request.urlopen(f"{url}?{query}", timeout=10) as reply:
        got = reply.read().decode()
    check(f"<Value>arn:aws:sqs:us-east-1:000000000000:{name}</Value>" in got, "GET on the QueueUrl", got)
    try:
        urllib.request.urlopen(url, timeout=10)
        check(False, "GET on the QueueUrl without Action must fail")
    except urllib.error.HTTPError as error:
        got = error.read().decode()
        check(error.code == 404 and "<UnknownOperationException" in got, "GET without Action", got)

    # What went over the wire.
    last = wire[-1]
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in last.headers.items()
    }
    body = last.body.decode() if isinstance(last.body, bytes) else (last.body or "")
    if PROTOCOL == "json":
        check(
            headers.get("x-amz-target") == "AmazonSQS.ListQueues",
            "JSON request carries X-Amz-Target",
            headers.get("x-amz-target"),
        )
    else:
        check("x-amz-target" not in headers, "Query request has no X-Amz-Target")
        check("Action=ListQueues" in body, "Query request body has Action=", body)

    # Send (with CR LF, quotes and all attribute types) and send batch.
    text = 'first "message"\r\nwith <markup> & a CR LF'
    binary = b"\x00\x01\xfe\xff binary"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody=text,
        MessageAttributes={
            "client": {"DataType": "String", "StringValue": "Client 1"},
            "sent_at": {"DataType": "Number", "StringValue": "1700000000000"},
            "blob": {"DataType": "Binary", "BinaryValue": binary},
        },
    )
    check(sent["MD5OfMessageBody"] == md5(text), "SendMessage MD5OfMessageBody", sent)
    check("MD5OfMessageAttributes" in sent, "SendMessage MD5OfMessageAttributes", sent)
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"e{i}", "MessageBody": f"batch {i}"} for i in range(3)],
    )
    check(len(batch.get("Successful", [])) == 3, "SendMessageBatch Successful", batch)
    check(not batch.get("Failed"), "SendMessageBatch Failed", batch.get("Failed"))
    for entry in batch["Successful"]:
        index = int(entry["Id"][1:])
        check(entry["MD5OfMessageBody"] == md5(f"batch {index}"), "batch entry MD5", entry)

    # Receive everything with all attributes.
    messages = receive_all(
        sqs, url, 4, AttributeNames=["All"], MessageAttributeNames=["All"]
    )
    bodies = sorted(m["Body"] for m in messages)
    check(bodies == sorted([text, "batch 0", "batch 1", "batch 2"]), "received bodies", bodies)
    first = next(m for m in messages if m["Body"] == text)
    check(first["MD5OfBody"] == md5(text), "ReceiveMessage MD5OfBody", first["MD5OfBody"])
    check(
        first["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"],
        "ReceiveMessage MD5OfMessageAttributes equals SendMessage's",
        first.get("MD5OfMessageAttributes"),
    )
    attrs = first.get("MessageAttributes", {})
    check(attrs.get("client", {}).get("StringValue") == "Client 1", "String attribute", attrs)
    check(attrs.get("sent_at", {}).get("DataType") == "Number", "Number attribute", attrs)
    check(attrs.get("blob", {}).get("BinaryValue") == binary, "Binary attribute", attrs)
    system = first.get("Attributes", {})
    check(system.get("ApproximateReceiveCount") == "1", "ApproximateReceiveCount", system)
    check(system.get("SentTimestamp", "").isdigit(), "SentTimestamp", system)
    check(system.get("SenderId", "") not in ("", "test"), "SenderId (not the key)", system)

    # Delete one, then the rest in a batch (plus a bad handle).
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    rest = [m for m in messages if m is not first]
    entries = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(rest)]
    entries.append({"Id": "bad", "ReceiptHandle": "garbage"})
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    check(len(deleted.get("Successful", [])) == len(rest), "DeleteMessageBatch Successful", deleted)
    failed = deleted.get("Failed", [])
    check(
        len(failed) == 1 and failed[0]["Id"] == "bad" and failed[0]["Code"] == "ReceiptHandleIsInvalid",
        "DeleteMessageBatch Failed entry",
        failed,
    )
    empty = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    check("Messages" not in empty or empty["Messages"] == [], "queue empty after deletes", empty)

    # Attributes.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "VisibilityTimeout": "45"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    check(got.get("VisibilityTimeout") == "45", "SetQueueAttributes / GetQueueAttributes", got)
    check(got.get("QueueArn") == f"arn:aws:sqs:us-east-1:000000000000:{name}", "QueueArn", got)
    check(got.get("ApproximateNumberOfMessages") == "0", "ApproximateNumberOfMessages", got)

    # Visibility: change one, change a batch (with a bad handle).
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": f"v{i}", "MessageBody": f"vis {i}"} for i in range(2)]
    )
    visible = receive_all(sqs, url, 2)
    check(len(visible) == 2, "received two messages for visibility changes", len(visible))
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=visible[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "ReceiptHandle": visible[1]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    check([e["Id"] for e in changed.get("Successful", [])] == ["ok"], "ChangeMessageVisibilityBatch Successful", changed)
    check([e["Id"] for e in changed.get("Failed", [])] == ["bad"], "ChangeMessageVisibilityBatch Failed", changed)
    again = receive_all(sqs, url, 2)
    check(len(again) == 2, "messages visible again after VisibilityTimeout=0", len(again))
    for message in again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # Tags.
    sqs.tag_queue(QueueUrl=url, Tags={"team": "blue", "env": "test"})
    tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    check(tags == {"team": "blue", "env": "test"}, "TagQueue / ListQueueTags", tags)
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
    check(tags == {"env": "test"}, "UntagQueue", tags)

    # Dead-letter sources and paging.
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    policy = (
        '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:%s-dlq", "maxReceiveCount": "3"}'
        % name
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", [])
    check(sources == [url], "ListDeadLetterSourceQueues", sources)
    page = sqs.list_queues(QueueNamePrefix=name, MaxResults=1)
    check(len(page.get("QueueUrls", [])) == 1 and "NextToken" in page, "ListQueues first page", page)
    rest_page = sqs.list_queues(QueueNamePrefix=name, MaxResults=1, NextToken=page["NextToken"])
    check(
        len(rest_page.get("QueueUrls", [])) == 1 and rest_page["QueueUrls"] != page["QueueUrls"],
        "ListQueues second page",
        rest_page,
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    sqs.delete_queue(QueueUrl=dlq)

    # FIFO: order within a group, content-based deduplication.
    fifo = sqs.create_queue(
        QueueName=f"{name}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"fifo {i}", MessageGroupId="g")
    duplicate = sqs.send_message(QueueUrl=fifo, MessageBody="fifo 0", MessageGroupId="g")
    check("SequenceNumber" in duplicate, "FIFO SendMessage SequenceNumber", duplicate)
    fifo_messages = receive_all(sqs, fifo, 3)
    fifo_bodies = [m["Body"] for m in fifo_messages]
    check(fifo_bodies == ["fifo 0", "fifo 1", "fifo 2"], "FIFO order and dedup", fifo_bodies)

    # Errors map to the right exceptions and codes.
    missing_error = expect_error(
        lambda: sqs.get_queue_url(QueueName=f"missing-{run}"),
        sqs.exceptions.QueueDoesNotExist,
        "AWS.SimpleQueueService.NonExistentQueue",
        "GetQueueUrl on a missing queue",
    )
    message = missing_error.response["Error"].get("Message", "")
    check("does not exist" in message, "NonExistentQueue message", message)
    check(
        missing_error.response["ResponseMetadata"]["HTTPStatusCode"] == 400,
        "NonExistentQueue HTTP status",
        missing_error.response["ResponseMetadata"]["HTTPStatusCode"],
    )
    check(
        bool(missing_error.response["ResponseMetadata"].get("RequestId")),
        "error RequestId",
        missing_error.response["ResponseMetadata"],
    )
    expect_error(
        lambda: sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"}),
        sqs.exceptions.QueueNameExists,
        "QueueAlreadyExists",
        "CreateQueue with a different attribute value",
    )
    expect_error(
        lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage"),
        sqs.exceptions.ReceiptHandleIsInvalid,
        "ReceiptHandleIsInvalid",
        "DeleteMessage with a garbage handle",
    )
    expect_error(
        lambda: sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}],
        ),
        sqs.exceptions.BatchEntryIdsNotDistinct,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "SendMessageBatch with repeated ids",
    )

    # Purge and delete.
    sqs.purge_queue(QueueUrl=url)
    expect_error(
        lambda: sqs.purge_queue(QueueUrl=url),
        sqs.exceptions.PurgeQueueInProgress,
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        "second PurgeQueue within 60 s",
    )
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=fifo)
    expect_error(
        lambda: sqs.get_queue_url(QueueName=name),
        sqs.exceptions.QueueDoesNotExist,
        "AWS.SimpleQueueService.NonExistentQueue",
        "GetQueueUrl after DeleteQueue",
    )

    # Every request went over the expected protocol.
    for request in wire:
        headers = {k.lower() for k in request.headers.keys()}
        check(
            ("x-amz-target" in headers) == (PROTOCOL == "json"),
            f"every request used the {PROTOCOL} protocol",
            request.url,
        )

    print(
        f"ok: {CHECKS} checks, {len(wire)} requests over the {PROTOCOL} protocol "
        f"(boto3 {boto3.__version__}, botocore {botocore.__version__})"
    )


PROTOCOL = "?"

if __name__ == "__main__":
    main()
