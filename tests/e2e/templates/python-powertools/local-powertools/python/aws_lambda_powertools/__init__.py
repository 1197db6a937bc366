"""A stand-in for the Powertools layer, as a local folder a public layer ARN is mapped to
(`--layer ARN=DIR`): just enough of Logger for the hello world."""
import json
import os


class Logger:
    def __init__(self, service=None):
        self.service = service or os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined")
        self.context = {}

    def inject_lambda_context(self, handler):
        def wrapped(event, context):
            self.context = {"function_request_id": context.aws_request_id}
            return handler(event, context)
        return wrapped

    def info(self, message):
        print(json.dumps({"level": "INFO", "message": message, "service": self.service,
                          **self.context}))
