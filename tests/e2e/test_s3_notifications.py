"""S3 event notifications to a function: `aws s3 cp` into a bucket whose notification targets a
Python function; the function receives the record in AWS's shape and calls back into S3 with
boto3 and no endpoint in its code; the export shows one trace from the upload to that call."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import deliveries, python_function, tarmac_json, wait_for

HANDLER = r'''
import json
import urllib.parse

import boto3

s3 = boto3.client("s3")  # no endpoint: AWS_ENDPOINT_URL comes from the environment


def handler(event, context):
    record = event["Records"][0]
    key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
    if key.startswith("seen/"):
        return {"skipped": key}
    s3.put_object(Bucket=record["s3"]["bucket"]["name"], Key="seen/" + key,
                  Body=json.dumps(event).encode())
    return {"ok": key}
'''


class S3NotificationTest(unittest.TestCase):
    def test_object_created_invokes_python_function(self):
        with Tarmac() as t:
            fn = python_function(self, t, "on-upload", HANDLER)
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="uploads")
            s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
                "LambdaFunctionConfigurations": [{
                    "Id": "on-upload-rule", "LambdaFunctionArn": fn["FunctionArn"],
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
            config = s3.get_bucket_notification_configuration(Bucket="uploads")
            self.assertEqual(config["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"],
                             fn["FunctionArn"])
            self.assertEqual(config["LambdaFunctionConfigurations"][0]["Events"],
                             ["s3:ObjectCreated:*"])

            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "red flower.jpg")
                with open(path, "wb") as f:
                    f.write(b"x" * 1234)
                r = subprocess.run(["aws", "s3", "cp", path, "s3://uploads/in/red flower.jpg"],
                                   env=t.client_env(), capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                # Outside the filter's prefix: no event.
                r = subprocess.run(["aws", "s3", "cp", path, "s3://uploads/other.jpg"],
                                   env=t.client_env(), capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)

            deadline = time.monotonic() + 60
            seen = None
            while time.monotonic() < deadline:
                try:
                    seen = json.loads(s3.get_object(Bucket="uploads",
                                                    Key="seen/in/red flower.jpg")["Body"].read())
                    break
                except s3.exceptions.NoSuchKey:
                    time.sleep(0.25)
            self.assertIsNotNone(seen, "the function never wrote its record back:\n"
                                 + "\n".join(t.stderr_lines[-30:]))

            # Field by field against AWS's documented sample (PROTOCOLS.md §3.3).
            self.assertEqual(list(seen), ["Records"])
            self.assertEqual(len(seen["Records"]), 1)
            rec = seen["Records"][0]
            self.assertEqual(rec["eventVersion"], "2.1")
            self.assertEqual(rec["eventSource"], "aws:s3")
            self.assertEqual(rec["awsRegion"], "us-east-1")
            self.assertRegex(rec["eventTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(rec["eventName"], "ObjectCreated:Put")
            self.assertIn("principalId", rec["userIdentity"])
            self.assertEqual(rec["requestParameters"]["sourceIPAddress"], "127.0.0.1")
            self.assertTrue(rec["responseElements"]["x-amz-request-id"])
            self.assertIn("x-amz-id-2", rec["responseElements"])
            s3rec = rec["s3"]
            self.assertEqual(s3rec["s3SchemaVersion"], "1.0")
            self.assertEqual(s3rec["configurationId"], "on-upload-rule")
            self.assertEqual(s3rec["bucket"]["name"], "uploads")
            self.assertEqual(s3rec["bucket"]["arn"], "arn:aws:s3:::uploads")
            self.assertIn("principalId", s3rec["bucket"]["ownerIdentity"])
            obj = s3rec["object"]
            self.assertEqual(obj["key"], "in/red+flower.jpg")  # form-encoded, as S3 sends it
            self.assertEqual(obj["size"], 1234)
            self.assertIsInstance(obj["size"], int)
            head = s3.head_object(Bucket="uploads", Key="in/red flower.jpg")
            self.assertEqual(obj["eTag"], head["ETag"].strip('"'))  # no quotes
            self.assertRegex(obj["sequencer"], r"^[0-9A-F]+$")
            self.assertNotIn("versionId", obj)
            with self.assertRaises(s3.exceptions.ClientError):
                s3.head_object(Bucket="uploads", Key="seen/other.jpg")

            # One trace from the upload to the function's own PutObject.
            upload_trace = None
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                out = run_tarmac("traces", "export", "--state", t.state)
                spans = [s for rs in json.loads(out.stdout)["resourceSpans"]
                         for ss in rs["scopeSpans"] for s in ss["spans"]]

                def attr(span, key):
                    for a in span.get("attributes", []):
                        if a["key"] == key:
                            return list(a["value"].values())[0]
                    return None
                puts = {attr(s, "aws.s3.key"): s for s in spans if s["name"] == "S3 PutObject"}
                if "in/red flower.jpg" in puts and "seen/in/red flower.jpg" in puts:
                    upload_trace = puts["in/red flower.jpg"]["traceId"]
                    callback_trace = puts["seen/in/red flower.jpg"]["traceId"]
                    break
                time.sleep(0.3)
            self.assertIsNotNone(upload_trace, "spans of both PutObjects never showed up")
            self.assertEqual(callback_trace, upload_trace)

    def _notify(self, s3, bucket, fn):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "LambdaFunctionConfigurations": [{
                "Id": "rule", "LambdaFunctionArn": fn["FunctionArn"],
                "Events": ["s3:ObjectCreated:*"]}]})

    def test_failing_function_is_retried_then_sent_to_on_failure(self):
        """S3 invokes asynchronously: on AWS a failing function is retried twice and the
        event then goes to its OnFailure destination, as for any asynchronous source."""
        with Tarmac(env={"TARMAC_ASYNC_RETRY_DELAYS_MS": "200,300"}) as t:
            failing = python_function(self, t, "s3-fails", "def handler(event, context):\n"
                                      "    raise ValueError('no thanks')\n")
            sink = python_function(self, t, "s3-failures", "def handler(event, context):\n"
                                   "    return {'got': event['requestContext']['condition']}\n")
            lam = boto3_client(t, "lambda")
            lam.put_function_event_invoke_config(
                FunctionName="s3-fails",
                DestinationConfig={"OnFailure": {"Destination": sink["FunctionArn"]}})
            s3 = boto3_client(t, "s3")
            self._notify(s3, "retried", failing)
            s3.put_object(Bucket="retried", Key="a.txt", Body=b"hello")

            record = wait_for(lambda: [d for d in deliveries(t, "s3-failures")
                                       if d["status"] == "succeeded"],
                              timeout=30, what="the on-failure destination's delivery")[0]
            attempts = [d for d in deliveries(t, "s3-fails")]
            self.assertEqual(len(attempts), 3, attempts)  # the first try and two retries
            for d in attempts:
                self.assertEqual(d["origin"], "s3")
                self.assertEqual(d["status"], "failed")
            self.assertEqual(len({d["id"] for d in attempts}), 1)  # one event, three attempts
            self.assertEqual(record["origin"], "destination")
            payload = record["payload"]
            self.assertEqual(payload["requestContext"]["condition"], "RetriesExhausted")
            self.assertEqual(payload["requestContext"]["approximateInvokeCount"], 3)
            self.assertEqual(payload["requestContext"]["functionArn"],
                             failing["FunctionArn"] + ":$LATEST")
            self.assertEqual(payload["responseContext"]["functionError"], "Unhandled")
            self.assertEqual(payload["requestPayload"]["Records"][0]["s3"]["object"]["key"],
                             "a.txt")
            time.sleep(0.5)  # nothing more comes
            self.assertEqual(len(deliveries(t, "s3-fails")), 3)

    def test_held_delivery_survives_kill9(self):
        """A notification held at a breakpoint when Tarmac is killed is delivered after the
        restart: it was stored before the PutObject was answered."""
        with tempfile.TemporaryDirectory() as tmp:
            state = os.path.join(tmp, "state")
            with Tarmac(state=state) as t:
                fn = python_function(self, t, "s3-held", HANDLER)
                s3 = boto3_client(t, "s3")
                self._notify(s3, "held", fn)
                status, bp = tarmac_json(t, "/_tarmac/dispatch/breakpoints", "POST",
                                         {"function": "s3-held"})
                self.assertEqual(status, 201, bp)
                s3.put_object(Bucket="held", Key="k.txt", Body=b"kept")
                pending = wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"],
                                   what="the held delivery")
                self.assertEqual(pending[0]["origin"], "s3")
                self.assertEqual(pending[0]["reason"], "breakpoint")
                t.kill9()
            with Tarmac(state=state) as t:
                s3 = boto3_client(t, "s3")
                seen = wait_for(lambda: self._get(s3, "held", "seen/k.txt"), timeout=30,
                                what="the function's write after the restart")
                self.assertEqual(json.loads(seen)["Records"][0]["s3"]["object"]["key"], "k.txt")
                # The function wrote its object before it returned: its delivery is recorded as
                # succeeded a moment later.
                done = wait_for(lambda: [d for d in deliveries(t, "s3-held")
                                         if d["status"] == "succeeded"
                                         and d["payload"]["Records"][0]["s3"]["object"]["key"]
                                         == "k.txt"], timeout=10, what="the succeeded delivery")
                time.sleep(0.5)  # a second run of the held attempt would show by now
                done = [d for d in deliveries(t, "s3-held") if d["status"] == "succeeded"
                        and d["payload"]["Records"][0]["s3"]["object"]["key"] == "k.txt"]
                self.assertEqual(len(done), 1, done)  # once: the held attempt was never run
                self.assertEqual(done[0]["origin"], "s3")

    @staticmethod
    def _get(s3, bucket, key):
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None


if __name__ == "__main__":
    unittest.main()
