import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["COUNTS_TABLE"])
NAMES = {"INSERT": "inserts", "MODIFY": "changes", "REMOVE": "removals"}


def handler(event, context):
    """Counts the stream's records by kind in the counts table."""
    for record in event["Records"]:
        table.update_item(Key={"id": NAMES[record["eventName"]]},
                          UpdateExpression="ADD #n :one",
                          ExpressionAttributeNames={"#n": "count"},
                          ExpressionAttributeValues={":one": 1})
    return {"counted": len(event["Records"])}
