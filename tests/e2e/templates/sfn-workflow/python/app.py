"""Functions for the sfn-workflow state machines (tests/e2e/test_stepfunctions.py)."""
import json
import os

import boto3

ATTEMPTS = {}


class TransientError(Exception):
    pass


def validate(event, context):
    """Checks an order: a ValueError (caught by the workflow) for a bad quantity."""
    qty = event["qty"]
    if qty <= 0:
        raise ValueError("bad quantity %d" % qty)
    return {"valid": True, "total": qty * event["price"]}


def flaky(event, context):
    """Fails twice per order with TransientError (retried by the workflow), then answers."""
    key = event["order"]["id"]
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] < 3:
        raise TransientError("try again (attempt %d)" % ATTEMPTS[key])
    return {"attempts": ATTEMPTS[key]}


def approve(event, context):
    """Completes a .waitForTaskToken task through SendTaskSuccess, as an approver would."""
    sfn = boto3.client("stepfunctions")
    sfn.send_task_success(taskToken=event["token"],
                          output=json.dumps({"approved": True, "total": event["total"]}))
    return {"sent": True}
