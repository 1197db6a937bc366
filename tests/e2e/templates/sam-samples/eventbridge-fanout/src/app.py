import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["SHIPMENTS_TABLE"])


def handler(event, context):
    """Books a shipment for a placed order."""
    order = event["detail"]
    table.put_item(Item={"id": order["id"], "status": "booked", "orderedAt": event["time"]})
    return {"booked": order["id"]}
