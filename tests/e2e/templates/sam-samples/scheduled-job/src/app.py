import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    """Writes one report per run, named after the time the schedule fired."""
    key = "reports/%s.json" % event.get("time", "unknown").replace(":", "-")
    s3.put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=key,
                  Body=json.dumps({"firedAt": event.get("time"), "source": event.get("source")}))
    print("wrote", key)
    return {"key": key}
