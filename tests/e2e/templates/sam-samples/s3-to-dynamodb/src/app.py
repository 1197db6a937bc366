import os
import urllib.parse

import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["INDEX_TABLE"])


def handler(event, context):
    """Indexes each new object: its key, size and first line."""
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        table.put_item(Item={"key": key, "size": len(body),
                             "firstLine": body.decode("utf-8", "replace").split("\n")[0]})
    return {"indexed": len(event["Records"])}
