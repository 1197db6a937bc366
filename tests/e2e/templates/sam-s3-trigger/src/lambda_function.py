import os
import urllib.parse

import boto3

s3_client = boto3.client("s3")


def lambda_handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        text = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        s3_client.put_object(Bucket=os.environ["DESTINATION_BUCKET"], Key="resized-" + key,
                             Body=text.upper().encode())
    return {"statusCode": 200}
