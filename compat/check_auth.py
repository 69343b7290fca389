#!/usr/bin/env python3
"""Compatibility check of `queue serve --auth` with boto3's own SigV4 signing.

Usage: check_auth.py ENDPOINT_URL {json,query}

The server must run with `--auth` on a file listing the key AKIDCOMPAT / compat-secret and
the temporary key ASIACOMPAT / compat-temporary with session token compat-token. Checks that
boto3 signing with those keys is served (create, send, receive, delete), that a wrong secret,
an unknown key and a missing session token are refused with AWS's codes, that an unsigned
request is refused, and (Query protocol) that a presigned URL from generate_presigned_url is
served. Exits non-zero on the first mismatch.
"""

import sys
import urllib.error
import urllib.request
import uuid

import boto3
import botocore
from botocore.config import Config


def fail(what, got=None):
    detail = f" (got {got!r})" if got is not None else ""
    print(f"FAIL [auth, {PROTOCOL}, botocore {botocore.__version__}]: {what}{detail}", file=sys.stderr)
    sys.exit(1)


def client(key, secret, token=None):
    return boto3.client(
        "sqs",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


def expect_refused(sqs, code, status, what):
    try:
        sqs.list_queues()
    except botocore.exceptions.ClientError as error:
        got = (error.response["Error"].get("Code"), error.response["ResponseMetadata"]["HTTPStatusCode"])
        if got != (code, status):
            fail(what, got)
        return
    fail(f"{what}: the call succeeded")


def main():
    global ENDPOINT, PROTOCOL
    if len(sys.argv) != 3 or sys.argv[2] not in ("json", "query"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    ENDPOINT, PROTOCOL = sys.argv[1], sys.argv[2]
    if client("x", "y").meta.service_model.protocol != PROTOCOL:
        fail("botocore's SQS protocol", client("x", "y").meta.service_model.protocol)

    name = f"auth-{PROTOCOL}-{uuid.uuid4().hex[:8]}"
    for sqs in (client("AKIDCOMPAT", "compat-secret"), client("ASIACOMPAT", "compat-temporary", "compat-token")):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="signed by boto3")
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if [m["Body"] for m in messages] != ["signed by boto3"]:
            fail("receive with a listed key", messages)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        sqs.delete_queue(QueueUrl=url)
        name += "-2"

    expect_refused(client("AKIDCOMPAT", "wrong-secret"), "SignatureDoesNotMatch", 403, "wrong secret")
    expect_refused(client("AKIDUNKNOWN", "compat-secret"), "InvalidClientTokenId", 403, "unknown key")
    expect_refused(client("ASIACOMPAT", "compat-temporary"), "InvalidClientTokenId", 403, "no session token")

    try:
        urllib.request.urlopen(f"{ENDPOINT}/?Action=ListQueues", timeout=10)
        fail("an unsigned GET was served")
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        if error.code != 403 or "MissingAuthenticationToken" not in body:
            fail("unsigned GET", (error.code, body))

    if PROTOCOL == "query":
        # A presigned URL is signed for one method: botocore signs the operation's (POST)
        # unless HttpMethod says otherwise, as for SQS itself.
        signer = client("AKIDCOMPAT", "compat-secret")
        params = {"QueueNamePrefix": "auth-"}
        get = signer.generate_presigned_url("list_queues", Params=params, ExpiresIn=60, HttpMethod="GET")
        post = signer.generate_presigned_url("list_queues", Params=params, ExpiresIn=60)
        for url, data in ((get, None), (post, b"")):
            with urllib.request.urlopen(url, data=data, timeout=10) as reply:
                body = reply.read().decode()
            if "<ListQueuesResponse" not in body:
                fail("presigned ListQueues", body)
        for url, data in ((get.replace("auth-", "other-"), None), (post, None)):
            try:
                urllib.request.urlopen(url, data=data, timeout=10)
                fail("a tampered presigned URL (or one used with another method) was served")
            except urllib.error.HTTPError as error:
                if error.code != 403:
                    fail("tampered presigned URL", error.code)

    print(f"ok: boto3 {boto3.__version__} signs for --auth over the {PROTOCOL} protocol")


if __name__ == "__main__":
    main()
