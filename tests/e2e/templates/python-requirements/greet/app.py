import boto3  # what Lambda's Python runtime bundles: not in requirements.txt
import tinygreet


def handler(event, context):
    return {"message": tinygreet.greet(event.get("name", "world")),
            "boto3": boto3.__version__ != ""}
