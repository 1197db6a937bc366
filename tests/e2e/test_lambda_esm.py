"""Lambda's event-source mapping API end to end, with boto3 and raw HTTP: what Tarmac answers
for sources that do not exist (a queue nobody created; Kinesis and DynamoDB streams, which no
service owns yet), and for mappings that do not exist. Delivery from a queue to a function is
in test_sqs.py; the poller's rules are covered at the engine's level
(tests/unit/engine/tst_eventsourcemappings.cpp), with a source of the test's own."""
import http.client
import json
import unittest
import urllib.parse

import botocore.exceptions

from harness import Tarmac, boto3_client
from lambda_support import PYTHON_APP, python_function

FUNCTION = "esm-target"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders"
STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/clicks"
TABLE_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000"
TOPIC = "arn:aws:sns:us-east-1:000000000000:topic"
MISSING = "6f0d4c1e-0000-4000-8000-000000000000"


class EventSourceMappingApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac(ephemeral=True).start()
        cls.client = boto3_client(cls.tarmac, "lambda")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def setUp(self):
        if not getattr(type(self), "function_ready", False):
            python_function(self, self.tarmac, FUNCTION, PYTHON_APP)
            type(self).function_ready = True

    def error_of(self, call, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(**kwargs)
        error = caught.exception.response
        return (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"],
                error["Error"].get("Message", ""))

    def raw(self, method, path, body=None):
        url = urllib.parse.urlsplit(self.tarmac.edge)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.getheader("x-amzn-errortype"), (json.loads(payload) if payload else None)
        finally:
            connection.close()

    def test_sources_no_service_owns_are_refused_as_aws_refuses_them(self):
        cases = [
            (QUEUE, {}, "NonExistentQueue"),
            (STREAM, {"StartingPosition": "LATEST"}, "Stream not found"),
            (TABLE_STREAM, {"StartingPosition": "TRIM_HORIZON"}, "Stream not found"),
            (TOPIC, {}, "Unrecognized event source"),
        ]
        for arn, extra, message in cases:
            with self.subTest(arn):
                code, status, text = self.error_of(self.client.create_event_source_mapping,
                                                   FunctionName=FUNCTION, EventSourceArn=arn, **extra)
                self.assertEqual((code, status), ("InvalidParameterValueException", 400))
                self.assertIn(message, text)
        code, status, text = self.error_of(self.client.create_event_source_mapping, FunctionName=FUNCTION)
        self.assertEqual((code, status, text), ("InvalidParameterValueException", 400, "Unrecognized event source."))
        self.assertEqual(self.client.list_event_source_mappings()["EventSourceMappings"], [])

    def test_the_function_must_exist(self):
        for name in ("no-such-function", "arn:aws:lambda:us-east-1:000000000000:function:nope",
                     FUNCTION + ":prod"):
            with self.subTest(name):
                code, status, text = self.error_of(self.client.create_event_source_mapping,
                                                   FunctionName=name, EventSourceArn=QUEUE)
                self.assertEqual((code, status, text), ("InvalidParameterValueException", 400,
                                                        "Function does not exist"))

    def test_unknown_uuid_is_resource_not_found(self):
        calls = [
            (self.client.get_event_source_mapping, {}),
            (self.client.update_event_source_mapping, {"BatchSize": 5}),
            (self.client.update_event_source_mapping, {"Enabled": False, "FunctionName": FUNCTION}),
            (self.client.delete_event_source_mapping, {}),
        ]
        for call, extra in calls:
            with self.subTest(call.__name__):
                code, status, _ = self.error_of(call, UUID=MISSING, **extra)
                self.assertEqual((code, status), ("ResourceNotFoundException", 404))
        for method in ("GET", "PUT", "DELETE"):
            with self.subTest("raw " + method):
                status, error_type, body = self.raw(method, "/2015-03-31/event-source-mappings/" + MISSING,
                                                    {} if method == "PUT" else None)
                self.assertEqual((status, error_type), (404, "ResourceNotFoundException"))
                self.assertTrue(body["message"])

    def test_listing_filters_and_pages(self):
        listed = self.client.list_event_source_mappings(FunctionName=FUNCTION, EventSourceArn=QUEUE, MaxItems=5)
        self.assertEqual(listed["EventSourceMappings"], [])
        self.assertNotIn("NextMarker", listed)
        paginator = self.client.get_paginator("list_event_source_mappings")
        self.assertEqual([m for page in paginator.paginate() for m in page["EventSourceMappings"]], [])
        # The model's paths for Create and List end in a slash; both forms are served.
        for path in ("/2015-03-31/event-source-mappings", "/2015-03-31/event-source-mappings/"):
            with self.subTest(path):
                status, _, body = self.raw("GET", path + "?FunctionName=" + FUNCTION)
                self.assertEqual((status, body), (200, {"EventSourceMappings": []}))
                status, error_type, _ = self.raw("POST", path, {"FunctionName": FUNCTION, "EventSourceArn": TOPIC})
                self.assertEqual((status, error_type), (400, "InvalidParameterValueException"))
        status, error_type, _ = self.raw("GET", "/2015-03-31/event-source-mappings?FunctionName=a:b:c:d")
        self.assertEqual((status, error_type), (400, "InvalidParameterValueException"))

    def test_model_limits_are_checked(self):
        code, status, text = self.error_of(self.client.update_event_source_mapping, UUID=MISSING,
                                           BatchSize=20000)
        self.assertEqual((code, status), ("InvalidParameterValueException", 400))
        self.assertIn("'batchSize'", text)
        status, error_type, body = self.raw("POST", "/2015-03-31/event-source-mappings",
                                            {"FunctionName": FUNCTION, "EventSourceArn": QUEUE, "BatchSize": "ten"})
        self.assertEqual((status, error_type), (400, "InvalidParameterValueException"))
        self.assertIn("'batchSize'", body["message"])


if __name__ == "__main__":
    unittest.main()
