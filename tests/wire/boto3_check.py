#!/usr/bin/env python3
"""Checks the emulator's wire format with a second, independent SDK: boto3 (botocore).

Usage: python3 tests/wire/boto3_check.py http://127.0.0.1:PORT

Runs every Functions operation and two errors against the emulator and exits non-zero on the
first mismatch. Not a general test suite: the Rust tests cover behaviour; this proves a non-Rust
SDK parses the same bytes (including its own exception classes).
"""

import json
import sys

import boto3
from botocore.config import Config

CODE = b"function handler(event) { return event.request; }"
EVENT = {
    "version": "1.0",
    "context": {"eventType": "viewer-request"},
    "viewer": {"ip": "1.2.3.4"},
    "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}},
}


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def main(url):
    cf = boto3.client(
        "cloudfront",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )
    name = "boto3-check"
    config = {"Comment": "from boto3", "Runtime": "cloudfront-js-2.0"}

    created = cf.create_function(Name=name, FunctionConfig=config, FunctionCode=CODE)
    etag = created["ETag"]
    check(created["ResponseMetadata"]["HTTPStatusCode"] == 201, "CreateFunction answers 201")
    check(created["Location"].endswith(f":function/{name}"), "CreateFunction sets Location")
    summary = created["FunctionSummary"]
    check(summary["Name"] == name and summary["Status"] == "UNPUBLISHED", "CreateFunction summary")
    check(summary["FunctionMetadata"]["Stage"] == "DEVELOPMENT", "created in DEVELOPMENT")
    check(hasattr(summary["FunctionMetadata"]["LastModifiedTime"], "year"), "timestamps parse")

    described = cf.describe_function(Name=name)
    check(described["ETag"] == etag, "DescribeFunction ETag matches")

    got = cf.get_function(Name=name)
    check(got["FunctionCode"].read() == CODE, "GetFunction returns the code bytes")
    check(got["ETag"] == etag, "GetFunction ETag matches")

    listed = cf.list_functions(MaxItems="1")["FunctionList"]
    check(listed["Quantity"] == 1 and listed["Items"][0]["Name"] == name, "ListFunctions")

    updated = cf.update_function(
        Name=name, IfMatch=etag, FunctionConfig={**config, "Comment": "v2"}, FunctionCode=CODE + b"\n"
    )
    new_etag = updated["ETag"]
    check(new_etag and new_etag != etag, "UpdateFunction returns a new ETag (ETtag header)")
    check(updated["FunctionSummary"]["FunctionConfig"]["Comment"] == "v2", "UpdateFunction summary")

    tested = cf.test_function(Name=name, IfMatch=new_etag, EventObject=json.dumps(EVENT).encode())
    result = tested["TestResult"]
    check(result["FunctionSummary"]["Name"] == name, "TestFunction reports the tested function")
    check(result["ComputeUtilization"].isdigit(), "TestFunction ComputeUtilization is a number")
    check(
        "FunctionOutput" in result or "FunctionErrorMessage" in result,
        "TestFunction reports an output or an error",
    )

    published = cf.publish_function(Name=name, IfMatch=new_etag)
    check(published["FunctionSummary"]["FunctionMetadata"]["Stage"] == "LIVE", "PublishFunction")
    check(published["FunctionSummary"]["Status"] == "UNASSOCIATED", "published status")

    try:
        cf.update_function(Name=name, IfMatch=etag, FunctionConfig=config, FunctionCode=CODE)
        check(False, "stale If-Match is refused")
    except cf.exceptions.PreconditionFailed as e:
        check(e.response["Error"]["Code"] == "PreconditionFailed", "PreconditionFailed class")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 412, "PreconditionFailed is 412")

    cf.delete_function(Name=name, IfMatch=new_etag)
    try:
        cf.describe_function(Name=name)
        check(False, "deleted function is gone")
    except cf.exceptions.NoSuchFunctionExists as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "NoSuchFunctionExists class")

    print("boto3 check passed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: boto3_check.py ENDPOINT_URL", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
