import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        job = json.loads(record["body"])
        if job.get("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        s3.put_object(Bucket=os.environ["RESULTS_BUCKET"], Key="done/%s" % job["id"],
                      Body=record["body"].encode())
    return {"batchItemFailures": failures}
