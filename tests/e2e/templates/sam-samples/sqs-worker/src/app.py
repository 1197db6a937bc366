import json
import os
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"], parse_float=Decimal)
            table.put_item(Item={"id": order["id"], "total": order["total"],
                                 "status": "RECEIVED"})
            print("recorded order %s" % order["id"])
        except (ValueError, KeyError, TypeError) as e:
            print("cannot process message %s: %r" % (record["messageId"], e))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
