# boto3 before 1.28 ignores AWS_ENDPOINT_URL: simulated by removing it before boto3 loads.
import os

os.environ.pop("AWS_ENDPOINT_URL", None)
import boto3  # noqa: E402


def handler(event, context):
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
