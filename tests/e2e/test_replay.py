"""`tarmac replay` and `tarmac record export` end to end: record a session, export it, replay it
in a fresh engine and get the same results; record a session with the demo, export it, reset the
running Tarmac and replay it there with --settle; a changed expectation fails with a diff and a
JUnit report; hand-written captures from AWS's documented sample events; CloudWatch and SQS
captures; replay through a queue (its batch, redelivery and dead-letter queue checked as side
effects) and through a bucket's notifications; --map; bad input."""
import json
import os
import subprocess
import tempfile
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

from harness import Tarmac, boto3_client, run_tarmac

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "templates", "ide-echo")
DEMO = os.path.join(HERE, "..", "..", "fixtures", "demo")

# From AWS's documentation ("Using AWS Lambda with Amazon S3", "... with Amazon SQS",
# "Working with HTTP APIs: payload format version 2.0"), trimmed.
S3_PUT = {"Records": [{"eventVersion": "2.0", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                       "eventTime": "1970-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
                       "userIdentity": {"principalId": "EXAMPLE"},
                       "s3": {"s3SchemaVersion": "1.0", "configurationId": "testConfigRule",
                              "bucket": {"name": "example-bucket", "ownerIdentity": {"principalId": "EXAMPLE"},
                                         "arn": "arn:aws:s3:::example-bucket"},
                              "object": {"key": "test%2Fkey", "size": 1024,
                                         "eTag": "0123456789abcdef0123456789abcdef",
                                         "sequencer": "0A1B2C3D4E5F678901"}}}]}
SQS_MESSAGE = {"Records": [{"messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                            "body": "Test message.",
                            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                                           "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                           "ApproximateFirstReceiveTimestamp": "1545082649185"},
                            "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                            "eventSource": "aws:sqs",
                            "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                            "awsRegion": "us-east-2"}]}
HTTP_V2 = {"version": "2.0", "routeKey": "$default", "rawPath": "/my/path", "rawQueryString": "parameter1=value1",
           "headers": {"header1": "value1"}, "queryStringParameters": {"parameter1": "value1"},
           "requestContext": {"accountId": "123456789012", "apiId": "api-id", "domainName": "id.execute-api.us-east-1.amazonaws.com",
                              "http": {"method": "POST", "path": "/my/path", "protocol": "HTTP/1.1",
                                       "sourceIp": "192.0.2.1", "userAgent": "agent"},
                              "requestId": "id", "routeKey": "$default", "stage": "$default",
                              "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390},
           "body": "Hello from Lambda", "isBase64Encoded": False}


def replay(*args, timeout=120):
    return run_tarmac("replay", *args, timeout=timeout)


class Replay(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tarmac-replay-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, name, lines):
        with open(self.path(name), "w") as f:
            if isinstance(lines, (dict, list)) and not isinstance(lines, list):
                json.dump(lines, f)
            else:
                for line in lines:
                    f.write(json.dumps(line) + "\n")
        return self.path(name)

    def test_record_export_then_replay_gets_the_same_results(self):
        with Tarmac(project=PROJECT) as t:
            lam = boto3_client(t, "lambda")
            name = [f["FunctionName"] for f in lam.list_functions()["Functions"]][0]
            for n in (1, 2, 3):
                out = lam.invoke(FunctionName=name, Payload=json.dumps(
                    {"n": n, "who": "recorded", "token": "secret-%d" % n}))
                self.assertNotIn("FunctionError", out)
            r = run_tarmac("record", "export", "--state", t.state)
            self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        # Redacted on export (tokens, passwords, emails… by default), events and responses alike.
        self.assertEqual([l["event"] for l in lines],
                         [{"n": n, "who": "recorded", "token": "REDACTED"} for n in (1, 2, 3)])
        self.assertNotIn("secret-", r.stdout)
        self.assertEqual(lines[0]["target"], "Echo")
        self.assertEqual(lines[1]["expect"], {"error": False, "response": {
            "echo": {"n": 2, "who": "recorded", "token": "REDACTED"}}})
        capture = self.write("session.jsonl", lines)

        # A fresh engine (nothing of the recorded run's state): the same results.
        r = replay(capture, PROJECT, "--report", self.path("ok.xml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("ok event")]), 3, r.stdout)
        self.assertIn("3 of 3 event(s) held", r.stderr)
        suite = ET.parse(self.path("ok.xml")).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures")), ("3", "0"))

        # One expected value changed: the run fails, with a diff and a JUnit failure.
        lines[1]["expect"]["response"]["echo"]["n"] = 99
        capture = self.write("edited.jsonl", lines)
        r = replay(capture, PROJECT, "--report", self.path("fail.xml"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAIL event 2", r.stdout)
        self.assertIn("$.echo.n: expected 99, got 2", r.stdout)
        root = ET.parse(self.path("fail.xml")).getroot()
        suite = root.find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures")), ("3", "1"))
        failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
        self.assertEqual(len(failures), 1)
        self.assertIn("expected 99, got 2", failures[0].find("failure").get("message"))

    def test_hand_written_capture_of_documented_sample_events(self):
        capture = self.write("samples.jsonl", [
            {"target": "Echo", "event": S3_PUT, "expect": {
                "error": False, "paths": [{"path": "$.echo.Records[0].s3.bucket.name", "op": "equals", "value": "demo-uploads"},
                                          {"path": "$.echo.Records[0].s3.bucket.arn", "op": "equals", "value": "arn:aws:s3:::demo-uploads"}]}},
            {"target": "Echo", "event": SQS_MESSAGE, "time": "2026-12-01T10:00:00Z",
             "expect": {"response": {"echo": {"Records": [dict(SQS_MESSAGE["Records"][0], awsRegion="us-east-1",
                                                               eventSourceARN="arn:aws:sqs:us-east-1:000000000000:my-queue")]}}}},
            {"target": "Echo", "event": HTTP_V2, "time": "2026-12-01T10:00:01Z",
             "expect": {"paths": [{"path": "$.echo.requestContext.accountId", "value": "000000000000"}]}},
        ])
        started = time.monotonic()
        r = replay(capture, PROJECT, "--map", "example-bucket=demo-uploads", "--map", "us-east-2=us-east-1",
                   "--map", "123456789012=000000000000", "--speed", "4")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 0.25)  # 1 s recorded, at 4x
        self.assertIn("(s3)", r.stdout)
        self.assertIn("(sqs)", r.stdout)
        self.assertIn("(apigateway-v2)", r.stdout)
        self.assertIn("--map example-bucket=demo-uploads replaced 2 string(s)", r.stderr)
        self.assertIn("--map 123456789012=000000000000 replaced 2 string(s)", r.stderr)

    def test_cloudwatch_and_sqs_captures(self):
        logs = self.write("logs.json", {"events": [
            {"logStreamName": "2026/12/01/[$LATEST]abc", "timestamp": 1796000000000,
             "message": "START RequestId: 1 Version: $LATEST\n"},
            {"logStreamName": "2026/12/01/[$LATEST]abc", "timestamp": 1796000000100,
             "message": "2026-12-01T10:00:00.100Z\t1\tINFO\tEVENT " + json.dumps(S3_PUT) + "\n"},
            {"logStreamName": "2026/12/01/[$LATEST]abc", "timestamp": 1796000000200,
             "message": "EVENT {\"id\": 2}\n"}], "searchedLogStreams": []})
        r = replay(logs, PROJECT, "--target", "Echo")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2 event(s) from", r.stderr)
        self.assertIn("(cloudwatch)", r.stderr)
        messages = self.write("messages.json", {"Messages": [
            {"MessageId": "m1", "ReceiptHandle": "r1", "MD5OfBody": "x", "Body": "first",
             "Attributes": {"SentTimestamp": "1796000000000"}},
            {"MessageId": "m2", "ReceiptHandle": "r2", "MD5OfBody": "y", "Body": "second"}]})
        r = replay(messages, PROJECT, "--target", "Echo")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("(sqs)"), 2, r.stdout)

    def test_replay_through_a_queue(self):
        """sqs:QUEUE: the messages go to the queue as a producer sends them, and the queue's
        event-source mapping delivers them to the worker in its own batches."""
        project = os.path.join(HERE, "templates", "sqs-worker")
        messages = self.write("drained.json", {"Messages": [
            {"MessageId": "prod-1", "ReceiptHandle": "r1", "MD5OfBody": "x", "Body": json.dumps({"id": "a"}),
             "Attributes": {"SentTimestamp": "1796000000000"},
             "MessageAttributes": {"tenant": {"DataType": "String", "StringValue": "acme"}}},
            {"MessageId": "prod-2", "ReceiptHandle": "r2", "MD5OfBody": "y", "Body": json.dumps({"id": "b"})}]})
        r = replay(messages, project, "--target", "sqs:JobsQueue", "--report", self.path("q.xml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("→ sqs:JobsQueue (sqs)"), 2, r.stdout)
        # One event of two messages, one of which the worker reports as failed: the first
        # delivery's response names it (ReportBatchItemFailures).
        batch = {"Records": [dict(SQS_MESSAGE["Records"][0], body=json.dumps({"id": "c"})),
                             dict(SQS_MESSAGE["Records"][0], body=json.dumps({"id": "d", "fail": True}))]}
        # Its side effects: the good message's result in the bucket, none for the failed one,
        # which comes back after the visibility timeout (5 s), fails again and, after
        # maxReceiveCount (2), is in the dead-letter queue: the redelivery and the redrive, as
        # the queue does them.
        capture = self.write("batch.jsonl", [
            {"target": "sqs:JobsQueue", "event": batch,
             "expect": {"error": False, "paths": [{"path": "$.batchItemFailures", "op": "exists"}],
                        "effects": [{"s3": "ResultsBucket/done/c", "json": {"id": "c"}},
                                    {"s3": "ResultsBucket/done/d", "exists": False},
                                    {"sqs": "JobsDeadLetterQueue", "messages": 1, "within": 30000},
                                    {"sqs": "JobsQueue", "messages": 0}]}},
            {"target": "sqs:NoSuchQueue", "event": {"x": 1}},
            {"target": "sqs:JobsQueue", "event": {"id": "e"},
             "expect": {"effects": [{"s3": "ResultsBucket/done/e", "body": "wrong"},
                                    {"sqs": "JobsDeadLetterQueue", "messages": 3}]}}])
        started = time.monotonic()
        r = replay(capture, project, timeout=180)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("ok event 1 → sqs:JobsQueue (sqs)", r.stdout)
        self.assertGreater(time.monotonic() - started, 9)  # two visibility timeouts went by
        self.assertIn("not delivered: QueueDoesNotExist", r.stdout)
        self.assertIn("FAIL event 3", r.stdout)
        self.assertIn('effect s3 ResultsBucket/done/e: body: expected "wrong", got "{\\"id\\":\\"e\\"}"',
                      r.stdout)
        self.assertIn("effect sqs JobsDeadLetterQueue: expected 3 message(s), the queue holds 1",
                      r.stdout)

    def test_replay_through_the_api_port(self):
        """api: API Gateway events become the HTTP requests they describe, sent to the API port
        (routing, the integration, the response mapping); the outcome is the HTTP response."""
        demo = os.path.join(HERE, "..", "..", "fixtures", "demo")

        def v2(method, path, body=None, route="$default"):
            return dict(HTTP_V2, routeKey=route, rawPath=path, rawQueryString="",
                        headers={"content-type": "text/plain", "x-request-id": "r-1"},
                        requestContext=dict(HTTP_V2["requestContext"], http=dict(
                            HTTP_V2["requestContext"]["http"], method=method, path=path)),
                        body=body, isBase64Encoded=False)
        capture = self.write("api.jsonl", [
            {"target": "api", "event": v2("PUT", "/uploads/notes.txt", "hello world"),
             "expect": {"response": {"statusCode": 202, "body": {"bytes": 11, "uploaded": "s3://demo-uploads/notes.txt"}}}},
            {"target": "api", "event": v2("GET", "/summaries/nothing.txt"),
             "expect": {"response": {"statusCode": 404}, "error": False}},
            {"target": "api", "event": {"httpMethod": "GET", "path": "/no/such/route", "requestContext": {},
                                        "headers": {}, "multiValueQueryStringParameters": {"a": ["1", "2"]}},
             "expect": {"response": {"statusCode": 404, "body": {"message": "Not Found"}}}},
            {"target": "api", "event": S3_PUT}])
        r = replay(capture, demo, "--report", self.path("api.xml"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # the S3 event is not an API event
        self.assertIn("ok event 1 → api (apigateway-v2)", r.stdout)
        self.assertIn("ok event 2 → api (apigateway-v2)", r.stdout)
        self.assertIn("ok event 3 → api (apigateway-v1)", r.stdout)
        self.assertIn("not delivered: NotAnApiEvent", r.stdout)
        suite = ET.parse(self.path("api.xml")).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures")), ("4", "1"))

    def test_replay_through_a_bucket(self):
        """s3:BUCKET: AWS's documented S3 event (mapped to the demo's bucket) becomes the object
        written to the bucket, whose notification runs the demo's pipeline; the side effects
        (summary object, note item, index written by the queue's worker) are checked."""
        summary = "summaries/test/key.txt"
        effects = [{"s3": "SummariesBucket/" + summary},
                   {"dynamodb": "NotesTable", "key": {"key": "test/key"},
                    "item": {"summary": summary, "words": 0, "lines": 1}},
                   {"s3": "SummariesBucket/index/test/key.json",
                    "json": {"summary": summary, "words": 0, "lines": 1}, "within": 10000},
                   {"sqs": "IndexDeadLetters", "messages": 0}]
        capture = self.write("s3.jsonl", [
            {"target": "s3:UploadsBucket", "event": S3_PUT,
             "expect": {"error": False, "response": {"summarised": 1}, "effects": effects}},
            {"target": "s3:SummariesBucket", "event": S3_PUT},
            {"target": "s3:UploadsBucket", "event": S3_PUT,
             "expect": {"effects": [{"dynamodb": "NotesTable", "key": {"key": "test/key"},
                                     "item": {"words": 7}},
                                    {"s3": "UploadsBucket/test/key", "exists": False}]}},
            {"target": "s3:UploadsBucket", "event": HTTP_V2}])
        r = replay(capture, DEMO, "--map", "example-bucket=demo-uploads", "--report",
                   self.path("s3.xml"), timeout=180)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("ok event 1 → s3:UploadsBucket (s3)", r.stdout)
        self.assertIn("not delivered: NoNotification bucket demo-summaries notifies no one", r.stdout)
        self.assertIn("FAIL event 3", r.stdout)
        self.assertIn('effect dynamodb NotesTable {"key":"test/key"}: $.words: expected 7, got 0',
                      r.stdout)
        self.assertIn("effect s3 UploadsBucket/test/key: expected no object, there is one (1024 bytes)",
                      r.stdout)
        self.assertIn("not delivered: NotAnS3Event", r.stdout)
        suite = ET.parse(self.path("s3.xml")).getroot().find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures")), ("4", "3"))

    def test_demo_session_recorded_reset_and_replayed_in_the_running_tarmac(self):
        """The demo driven through its HTTP API, its requests exported (--origin apigateway),
        the running Tarmac reset, and the export replayed there with --settle: the same
        answers, the pipeline run again (its summary read back by the replayed GET)."""
        def call(t, method, path, body=None):
            req = urllib.request.Request(t.api + path, data=body, method=method,
                                         headers={"content-type": "text/plain"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()

        def settle(t):
            req = urllib.request.Request(t.edge + "/_tarmac/settle", data=b'{"timeoutMs": 20000}',
                                         method="POST")
            with urllib.request.urlopen(req, timeout=30) as resp:
                self.assertEqual(resp.status, 200)

        with Tarmac(project=DEMO, ephemeral=True) as t:
            status, body = call(t, "PUT", "/uploads/notes/today.txt",
                                b"Replay makes production bugs local.\nReplay them again.\n")
            self.assertEqual(status, 202, body)
            settle(t)
            status, summary = call(t, "GET", "/summaries/notes/today.txt.txt")
            self.assertEqual(status, 200, summary)
            self.assertIn("words: 8", summary)
            self.assertEqual(call(t, "GET", "/summaries"), (200, '["notes/today.txt.txt"]'))
            # The API's authorizer saw the same requests: its deliveries are there too.
            r = run_tarmac("record", "export", "--edge", t.edge, "--origin", "apigateway")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(json.loads(l)["target"] for l in r.stdout.splitlines()),
                             ["ApiFunction"] * 3 + ["AuthorizerFunction"] * 3)
            r = run_tarmac("record", "export", "--edge", t.edge, "--origin", "apigateway",
                           "--function", "ApiFunction")
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = [json.loads(l) for l in r.stdout.splitlines()]
            self.assertEqual(len(lines), 3, r.stdout)
            self.assertEqual({l["target"] for l in lines}, {"ApiFunction"})
            capture = self.write("demo-session.jsonl", lines)

            # Without a reset the pipeline's outputs are there already: nothing to show. Reset,
            # then replay with --settle: the PUT's pipeline runs before the GET is replayed.
            r = replay(capture, "--edge", t.edge, "--reset", "--settle", "--report",
                       self.path("demo.xml"), timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("state of %s was reset" % t.edge, r.stderr)
            self.assertEqual(r.stdout.count("ok event"), 3, r.stdout)
            suite = ET.parse(self.path("demo.xml")).getroot().find("testsuite")
            self.assertEqual((suite.get("tests"), suite.get("failures")), ("3", "0"))
            # The replayed session is the running Tarmac's: on its API and its timeline.
            self.assertEqual(call(t, "GET", "/summaries"), (200, '["notes/today.txt.txt"]'))
            status, listing = t.get_json("/_tarmac/replays")
            self.assertEqual(status, 200)
            self.assertEqual([(x["state"], x["total"]) for x in listing["replays"]], [("done", 3)])

            # Reset again and replay without --settle: the GET may come before the summary is
            # written, so the run is checked only for what does not depend on it; a changed
            # expectation fails with its diff.
            lines[0]["expect"]["response"]["statusCode"] = 201
            capture = self.write("edited.jsonl", lines[:1])
            r = replay(capture, "--edge", t.edge, "--reset")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("$.statusCode: expected 201, got 202", r.stdout)

            # --reset without --edge, and PROJECT with --edge, are usage errors.
            self.assertEqual(replay(capture, DEMO, "--reset").returncode, 2)
            self.assertEqual(replay(capture, DEMO, "--edge", t.edge).returncode, 2)
        # The Tarmac is gone: nothing answers.
        r = replay(capture, "--edge", t.edge)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot reach", r.stderr)

    def test_bad_input(self):
        r = replay(self.path("missing.jsonl"), PROJECT)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read the capture", r.stderr)
        with open(self.path("garbage.jsonl"), "w") as f:
            f.write('{"target": "Echo", "event": {}}\nnot json\n')
        r = replay(self.path("garbage.jsonl"), PROJECT)
        self.assertEqual(r.returncode, 2)
        self.assertIn("line 2 is not JSON", r.stderr)
        capture = self.write("one.jsonl", [{"target": "Echo", "event": {}}])
        r = replay(capture, self.tmp.name)  # no template there
        self.assertEqual(r.returncode, 2)
        self.assertIn("no template", r.stderr)
        self.assertEqual(replay(capture, PROJECT, "--speed", "0").returncode, 2)
        self.assertEqual(replay(capture, PROJECT, "--map", "nothing").returncode, 2)
        # A function that does not exist, or no target at all: not delivered, so a failure.
        capture = self.write("nope.jsonl", [{"target": "Nope", "event": {}}, {"event": {"x": 1}}])
        r = replay(capture, PROJECT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not delivered: ResourceNotFoundException", r.stdout)
        self.assertIn("not delivered: NoTarget", r.stdout)


if __name__ == "__main__":
    unittest.main()
