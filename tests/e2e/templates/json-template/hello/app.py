import os


def handler(event, context):
    return {key: os.environ[key] for key in ("BUCKET", "BUCKET_ARN", "ZONE", "PARTS")}
