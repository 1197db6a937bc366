"""The demo app (fixtures/demo) end to end: `tarmac serve fixtures/demo`, `aws s3 cp` a file
in (or PUT it to the HTTP API), the Python function's summary and (through the queue) the Node
function's index entry appear, and one trace links the upload, the message and both
invocations."""
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import tarmac_json, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.normpath(os.path.join(HERE, "..", "..", "fixtures", "demo"))
NODE_SDK = os.path.normpath(os.path.join(HERE, "..", "..", "plugins", "runtimes", "node", "sdk",
                                         "node_modules"))


def spans_of(state):
    out = run_tarmac("traces", "export", "--state", state)
    if out.returncode != 0:
        return []
    return [s for rs in json.loads(out.stdout)["resourceSpans"]
            for ss in rs["scopeSpans"] for s in ss["spans"]]


def attr(span, key):
    for a in span.get("attributes", []):
        if a["key"] == key:
            return list(a["value"].values())[0]
    return None


class Demo(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(os.path.join(NODE_SDK, "@aws-sdk", "client-s3")),
                         "plugins/runtimes/node/sdk is not installed (tools/install-deps)")
    def test_upload_is_summarised_and_indexed_on_one_trace(self):
        # Lambda's Node runtime provides the AWS SDK; so does Tarmac's (plugins/runtimes/node/sdk).
        with Tarmac(project=DEMO) as t:
            # The outputs follow the ready line.
            wait_for(lambda: "  UploadsBucketName: demo-uploads" in t.stdout_lines, timeout=5, what="outputs")
            self.assertEqual(t.stdout_lines[1], "Outputs:")
            self.assertIn("  SummariesBucketName: demo-summaries", t.stdout_lines)
            report = ("tarmac: template.yaml: stack demo, 14 resource(s) (+20 made by the SAM "
                      "transform), everything emulated")
            wait_for(lambda: report in t.stderr_lines, timeout=5, what=report)

            sample = os.path.join(DEMO, "sample.txt")
            r = subprocess.run(["aws", "s3", "cp", sample, "s3://demo-uploads/notes/sample.txt"],
                               env=t.client_env(), capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)

            s3 = boto3_client(t, "s3")

            def get(key):
                try:
                    return s3.get_object(Bucket="demo-summaries", Key=key)
                except s3.exceptions.NoSuchKey:
                    return None
            summary = wait_for(lambda: get("summaries/notes/sample.txt.txt"), timeout=60,
                               what="the summary:\n" + "\n".join(t.stderr_lines[-20:]))
            text = summary["Body"].read().decode()
            self.assertIn("lines: 3\nwords: 32\n", text)
            self.assertEqual(summary["Metadata"], {"source": "s3://demo-uploads/notes/sample.txt"})
            entry = wait_for(lambda: get("index/notes/sample.txt.json"), timeout=60,
                             what="the index entry:\n" + "\n".join(t.stderr_lines[-20:]))
            entry = json.loads(entry["Body"].read())
            self.assertEqual((entry["summary"], entry["source"], entry["words"], entry["lines"]),
                             ("summaries/notes/sample.txt.txt", "s3://demo-uploads/notes/sample.txt", 32, 3))

            # One trace: the upload, the three invocations (the note's stream reaches the
            # counter), and the functions' own S3 and DynamoDB calls.
            def linked():
                spans = spans_of(t.state)
                uploads = [s for s in spans if s["name"] == "S3 PutObject"
                           and attr(s, "aws.s3.key") == "notes/sample.txt"]
                if not uploads:
                    return None
                trace = [s for s in spans if s["traceId"] == uploads[0]["traceId"]]
                invocations = sorted(s["name"] for s in trace if s["name"].endswith(" invoke"))
                index_put = [s for s in trace if s["name"] == "S3 PutObject"
                             and attr(s, "aws.s3.key") == "index/notes/sample.txt.json"]
                counted = [s for s in trace if s["name"] == "dynamodb UpdateItem"]
                if len(invocations) != 3 or not index_put or not counted:
                    return None
                # Spans are committed as they end: a parent (a delivery, a request) can land a
                # batch after its children. Wait until every parent is there.
                ids = {s["spanId"] for s in trace}
                if any(s.get("parentSpanId") and s["parentSpanId"] not in ids for s in trace):
                    return None
                return invocations, trace
            found = wait_for(linked, timeout=15, what="one trace with the three invocations")
            invocations, trace = found
            self.assertRegex(invocations[0], r"^demo-CounterFunction-[A-Z0-9]{13} invoke$")
            self.assertRegex(invocations[1], r"^demo-IndexFunction-[A-Z0-9]{13} invoke$")
            self.assertRegex(invocations[2], r"^demo-SummarizeFunction-[A-Z0-9]{13} invoke$")
            ids = {s["spanId"] for s in trace}
            roots = [s for s in trace if not s.get("parentSpanId")]
            self.assertEqual(len(roots), 1, "one root: the upload")
            self.assertTrue(all(s.get("parentSpanId") in ids for s in trace if s not in roots))
            # Node's cold starts are not ERROR lines: the SDK's note that its 2027 releases need
            # Node 22 is about the machine, not the function.
            self.assertFalse([line for line in t.stderr_lines if "NodeVersionSupportWarning" in line])
            # The summary went to the indexer through the queue.
            self.assertTrue(any("SendMessage" in s["name"] for s in trace),
                            sorted(s["name"] for s in trace))
            sqs = boto3_client(t, "sqs")
            counts = sqs.get_queue_attributes(
                QueueUrl=sqs.get_queue_url(QueueName="demo-index")["QueueUrl"],
                AttributeNames=["All"])["Attributes"]
            self.assertEqual((counts["ApproximateNumberOfMessages"],
                              counts["ApproximateNumberOfMessagesNotVisible"]), ("0", "0"))
            # The note, and the totals its stream record made.
            ddb = boto3_client(t, "dynamodb")
            note = ddb.get_item(TableName="demo-notes", Key={"key": {"S": "notes/sample.txt"}})
            self.assertEqual(note["Item"]["words"], {"N": "32"})
            stats = ddb.get_item(TableName="demo-stats", Key={"name": {"S": "notes"}})["Item"]
            self.assertEqual((stats["notes"], stats["words"]), ({"N": "1"}, {"N": "32"}))


if __name__ == "__main__":
    unittest.main()


class DemoApi(unittest.TestCase):
    def test_upload_and_read_the_summary_through_the_http_api(self):
        with Tarmac(project=DEMO) as t:
            url = wait_for(lambda: [line.split(": ", 1)[1] for line in t.stdout_lines
                                    if line.startswith("  ApiUrl: ")], timeout=5, what="ApiUrl")[0]
            self.assertTrue(url.startswith(t.api + "/_aws/execute-api/"), url)
            with open(os.path.join(DEMO, "sample.txt"), "rb") as f:
                data = f.read()
            req = urllib.request.Request(url + "/uploads/notes/api.txt", data=data, method="PUT")
            with urllib.request.urlopen(req, timeout=30) as r:
                self.assertEqual(r.status, 202)
                self.assertEqual(json.loads(r.read())["bytes"], len(data))

            def summary():
                try:
                    with urllib.request.urlopen(t.api + "/summaries/notes/api.txt.txt",
                                                timeout=30) as r:
                        return r.read().decode()
                except urllib.error.HTTPError as e:
                    self.assertEqual(e.code, 404)  # not yet
                    return None
            self.assertIn("lines: 3\nwords: 32\n", wait_for(summary, timeout=60, what="summary"))
            with urllib.request.urlopen(t.api + "/summaries", timeout=30) as r:
                self.assertIn("notes/api.txt.txt", json.loads(r.read()))

            # The request is the root of the trace that runs through the whole pipeline.
            def linked():
                spans = spans_of(t.state)
                puts = [s for s in spans if s["name"] == "S3 PutObject"
                        and attr(s, "aws.s3.key") == "notes/api.txt"]
                if not puts:
                    return None
                trace = [s for s in spans if s["traceId"] == puts[0]["traceId"]]
                roots = [s for s in trace if not s.get("parentSpanId")]
                invoked = " ".join(s["name"] for s in trace if s["name"].endswith(" invoke"))
                # The authorizer, the API's function, the summariser, the indexer, the notes'
                # counter and the event bus's activity function.
                every = all(f in invoked for f in ("AuthorizerFunction", "ApiFunction",
                            "SummarizeFunction", "IndexFunction", "CounterFunction",
                            "ActivityFunction"))
                return (roots, invoked) if every and roots else None
            roots, _ = wait_for(linked, timeout=15, what="one trace from the request")
            self.assertEqual(len(roots), 1)
            self.assertEqual(attr(roots[0], "url.path"), "/_aws/execute-api/%s/uploads/notes/api.txt"
                             % url.rsplit("/", 1)[1])


class DemoCleanup(unittest.TestCase):
    def test_nightly_cleanup_removes_week_old_uploads_when_the_clock_moves(self):
        with Tarmac(project=DEMO) as t:
            wait_for(lambda: "  UploadsBucketName: demo-uploads" in t.stdout_lines, timeout=5,
                     what="outputs")
            s3 = boto3_client(t, "s3")
            s3.put_object(Bucket="demo-uploads", Key="old/notes.txt", Body=b"old words here\n")
            status, _ = tarmac_json(t, "/_tarmac/clock/freeze", "POST", {})
            self.assertEqual(status, 200)
            # Fired now, the upload is too young to go.
            status, fired = tarmac_json(t, "/_tarmac/schedules/CleanupFunctionNightly/fire", "POST", {})
            self.assertEqual(status, 200, fired)
            wait_for(lambda: any("removed 0 upload(s) older than 7 days, kept 1" in line
                                 for line in t.stderr_lines), timeout=60, what="the first cleanup")
            self.assertIn("Contents", s3.list_objects_v2(Bucket="demo-uploads"))
            # Eight nights later it has gone; each night's tick ran with its own time.
            status, _ = tarmac_json(t, "/_tarmac/clock/advance", "POST", {"seconds": 8 * 86400},
                                    timeout=120)
            self.assertEqual(status, 200)
            wait_for(lambda: "Contents" not in s3.list_objects_v2(Bucket="demo-uploads"),
                     timeout=60, what="the upload to be cleaned up")
            wait_for(lambda: any("removed 1 upload(s) older than 7 days" in line
                                 for line in t.stderr_lines), timeout=30, what="the log line")
            ticks = [line for line in t.stderr_lines if "CleanupFunctionNightly" in line
                     and " tick for " in line]
            self.assertEqual(len(ticks), 8, ticks)


if __name__ == "__main__":
    unittest.main()
