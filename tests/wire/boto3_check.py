#!/usr/bin/env python3
"""Checks the emulator's wire format with a second, independent SDK: boto3 (botocore).

Usage: python3 tests/wire/boto3_check.py http://127.0.0.1:PORT

Runs every Functions operation and two errors, the key value store control plane, the data plane
(`cloudfront-keyvaluestore`, signed with SigV4A through awscrt) and the distribution operations
against the emulator, and
exits non-zero on the first mismatch. Not a general test suite: the Rust tests cover behaviour;
this proves a non-Rust SDK parses the same bytes (including its own exception classes).
"""

import json
import sys
from urllib.parse import urlsplit, urlunsplit

import awscrt  # noqa: F401  (botocore signs SigV4A only with awscrt installed)
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

    check_key_value_stores(url, cf)
    check_distributions(cf)

    print("boto3 check passed")


def distribution_config(reference, function_arn, enabled=True):
    return {
        "CallerReference": reference,
        "Aliases": {"Quantity": 1, "Items": [f"{reference}.example.com"]},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "site.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "FunctionAssociations": {
                "Quantity": 1,
                "Items": [{"FunctionARN": function_arn, "EventType": "viewer-request"}],
            },
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/api/*",
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "https-only",
                    "FunctionAssociations": {
                        "Quantity": 1,
                        "Items": [{"FunctionARN": function_arn, "EventType": "viewer-response"}],
                    },
                }
            ],
        },
        "Comment": f"distribution {reference}",
        "Enabled": enabled,
    }


def check_distributions(cf):
    name = "boto3-dist"
    created = cf.create_function(
        Name=name, FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"}, FunctionCode=CODE
    )
    arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    try:
        cf.create_distribution(DistributionConfig=distribution_config("boto3-a", arn))
        check(False, "an unpublished function cannot be associated")
    except cf.exceptions.InvalidFunctionAssociation as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "InvalidFunctionAssociation")
    cf.publish_function(Name=name, IfMatch=created["ETag"])

    made = cf.create_distribution(DistributionConfig=distribution_config("boto3-a", arn))
    check(made["ResponseMetadata"]["HTTPStatusCode"] == 201, "CreateDistribution answers 201")
    dist = made["Distribution"]
    check(dist["DomainName"].endswith(".cloudfront.net"), "CreateDistribution domain name")
    dist_id = dist["Id"]
    live = cf.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]
    check(live["Status"] == "DEPLOYED", "a used LIVE function is DEPLOYED")

    got = cf.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    items = config["CacheBehaviors"]["Items"][0]["FunctionAssociations"]["Items"]
    check(items == [{"FunctionARN": arn, "EventType": "viewer-response"}], "config as sent")
    check(got["ETag"] == made["ETag"], "GetDistributionConfig ETag")
    check(cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed", "GetDistribution")

    listed = cf.list_distributions(MaxItems="10")["DistributionList"]
    check(
        [d["Id"] for d in listed["Items"]] == [dist_id] and not listed["IsTruncated"],
        "ListDistributions",
    )
    summary = listed["Items"][0]
    check(summary["Aliases"]["Items"] == ["boto3-a.example.com"], "summary aliases")

    try:
        cf.delete_distribution(Id=dist_id, IfMatch=made["ETag"])
        check(False, "an enabled distribution is not deleted")
    except cf.exceptions.DistributionNotDisabled as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 409, "DistributionNotDisabled")
    updated = cf.update_distribution(
        Id=dist_id, IfMatch=made["ETag"], DistributionConfig=distribution_config("boto3-a", arn, False)
    )
    check(updated["ETag"] != made["ETag"], "UpdateDistribution returns a new ETag")
    cf.delete_distribution(Id=dist_id, IfMatch=updated["ETag"])
    live = cf.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]
    check(live["Status"] == "UNASSOCIATED", "an unused LIVE function is UNASSOCIATED")
    try:
        cf.get_distribution(Id=dist_id)
        check(False, "a deleted distribution is gone")
    except cf.exceptions.NoSuchDistribution as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "NoSuchDistribution class")


def as_given(url):
    """A before-send hook that sends data-plane requests to `url` as given: botocore's endpoint
    rules put the account id in front of a custom endpoint's host, which does not resolve."""
    target = urlsplit(url)

    def rewrite(request, **_):
        parts = urlsplit(request.url)
        request.url = urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))

    return rewrite


def check_key_value_stores(url, cf):
    created = cf.create_key_value_store(Name="boto3-kvs", Comment="from boto3")
    check(created["ResponseMetadata"]["HTTPStatusCode"] == 201, "CreateKeyValueStore answers 201")
    store = created["KeyValueStore"]
    arn = store["ARN"]
    check(store["Status"] == "PROVISIONING" and created["ETag"], "CreateKeyValueStore store")
    described = cf.describe_key_value_store(Name="boto3-kvs")
    check(described["KeyValueStore"]["Status"] == "READY", "DescribeKeyValueStore READY")
    listed = cf.list_key_value_stores()["KeyValueStoreList"]
    check([s["Name"] for s in listed["Items"]] == ["boto3-kvs"], "ListKeyValueStores")

    kvs = boto3.client(
        "cloudfront-keyvaluestore",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )
    kvs.meta.events.register("before-send.cloudfront-keyvaluestore", as_given(url))
    data = kvs.describe_key_value_store(KvsARN=arn)
    check(data["ItemCount"] == 0 and data["KvsARN"] == arn, "data plane DescribeKeyValueStore")
    check(hasattr(data["Created"], "year"), "data plane timestamps parse")
    updated = kvs.update_keys(
        KvsARN=arn,
        IfMatch=data["ETag"],
        Puts=[{"Key": "/a", "Value": "/x"}, {"Key": "/b", "Value": "/y"}],
    )
    check(updated["ItemCount"] == 2 and updated["ETag"] != data["ETag"], "UpdateKeys")
    got = kvs.get_key(KvsARN=arn, Key="/a")
    check(got["Value"] == "/x", "GetKey")
    page = kvs.list_keys(KvsARN=arn, MaxResults=1)
    check([i["Key"] for i in page["Items"]] == ["/a"] and page["NextToken"], "ListKeys page 1")
    rest = kvs.list_keys(KvsARN=arn, NextToken=page["NextToken"])
    check([i["Key"] for i in rest["Items"]] == ["/b"], "ListKeys page 2")
    put = kvs.put_key(KvsARN=arn, Key="/c", Value="/z", IfMatch=updated["ETag"])
    check(put["ItemCount"] == 3, "PutKey")
    try:
        kvs.put_key(KvsARN=arn, Key="/d", Value="/w", IfMatch=updated["ETag"])
        check(False, "a stale data ETag is refused")
    except kvs.exceptions.ConflictException as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 409, "ConflictException is 409")
    deleted = kvs.delete_key(KvsARN=arn, Key="/c", IfMatch=put["ETag"])
    check(deleted["ItemCount"] == 2, "DeleteKey")
    try:
        kvs.get_key(KvsARN=arn, Key="/c")
        check(False, "a deleted key is gone")
    except kvs.exceptions.ResourceNotFoundException as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "ResourceNotFoundException")

    etag = cf.describe_key_value_store(Name="boto3-kvs")["ETag"]
    cf.delete_key_value_store(Name="boto3-kvs", IfMatch=etag)
    try:
        cf.describe_key_value_store(Name="boto3-kvs")
        check(False, "a deleted store is gone")
    except cf.exceptions.EntityNotFound as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "EntityNotFound class")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: boto3_check.py ENDPOINT_URL", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
