from aws_lambda_powertools import Logger

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event, context):
    logger.info("hello from powertools")
    return {"statusCode": 200, "body": "hello world", "service": logger.service}
