"""The demo's README session (fixtures/demo/README.md), run as written: its ```sh blocks go
through one bash with the aws CLI, curl and python3, against `tarmac serve fixtures/demo`
streaming to an OTLP/HTTP receiver. Then the trace of the session's one signed-in request is
checked for what issue 19 asks of it: one trace from the request to the last invocation, every
parent present, synchronous children inside their parents' time, OpenTelemetry's semantic
conventions and span kinds, every log line of every invocation tied to its span, and the same
spans at the collector."""
import json
import os
import tempfile
import unittest

from harness import TARMAC, Tarmac, run_tarmac
from lambda_support import tarmac_json, wait_for
from otlp_receiver import OtlpReceiver
from readme_session import Shell, readme_steps, run_steps

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(REPO, "fixtures", "demo")
NODE_SDK = os.path.join(REPO, "plugins", "runtimes", "node", "sdk", "node_modules")

SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL = 2, 3, 4, 5, 1


def exported(state):
    out = run_tarmac("traces", "export", "--state", state)
    if out.returncode != 0:
        return [], []
    doc = json.loads(out.stdout)
    spans = [s for rs in doc.get("resourceSpans", []) for ss in rs["scopeSpans"]
             for s in ss["spans"]]
    logs = [(rl["resource"], r) for rl in doc.get("resourceLogs", []) for sl in rl["scopeLogs"]
            for r in sl["logRecords"]]
    return spans, logs


def attr(holder, key):
    for a in holder.get("attributes", []):
        if a["key"] == key:
            return list(a["value"].values())[0]
    return None


def kind(span):
    k = span.get("kind", 0)
    return k if isinstance(k, int) else {"SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
                                         "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4,
                                         "SPAN_KIND_CONSUMER": 5}.get(k, 0)


class DemoSession(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(os.path.join(NODE_SDK, "@aws-sdk", "client-s3")),
                         "plugins/runtimes/node/sdk is not installed (tools/install-deps)")
    def test_readme_session_and_the_trace_of_its_request(self):
        with OtlpReceiver() as collector, \
                Tarmac("--otlp-endpoint", collector.url, project=DEMO) as t, \
                tempfile.TemporaryDirectory(prefix="tarmac-demo-") as tmp:
            # The README's commands run from the repository's root: fixtures/ is there.
            os.symlink(os.path.join(REPO, "fixtures"), os.path.join(tmp, "fixtures"))
            env = t.client_env()
            env.pop("AWS_ENDPOINT_URL")  # the session exports it
            env["AWS_PAGER"] = ""
            rewrites = [("http://127.0.0.1:4566", t.edge), ("http://127.0.0.1:3000", t.api),
                        ("fixtures/demo/.tarmac", t.state), ("build/bin/tarmac", TARMAC),
                        ("/tmp/demo-", os.path.join(tmp, "demo-"))]

            def rewrite(command):
                for a, b in rewrites:
                    command = command.replace(a, b)
                return command
            shell = Shell(env, tmp)
            try:
                steps = readme_steps(os.path.join(DEMO, "README.md"))
                self.assertGreater(len(steps), 20)
                # The poison message's three tries are 10 s apart: up to a minute per step.
                run_steps(self, steps, shell, rewrite, patience=60,
                          log=lambda: "\n".join(t.stderr_lines[-40:]))
            finally:
                shell.close()
            # The dead-lettering was said in the terminal.
            self.assertTrue([l for l in t.stderr_lines if "demo-index: message " in l
                             and "moved to the dead-letter queue demo-index-dlq after 3 receives" in l],
                            "\n".join(t.stderr_lines[-40:]))
            status, _ = tarmac_json(t, "/_tarmac/settle", "POST", {"timeoutMs": 20000}, timeout=30)
            self.assertEqual(status, 200)
            self.check_trace(t, collector)

    def check_trace(self, t, collector):
        def found():
            spans, logs = exported(t.state)
            roots = [s for s in spans if attr(s, "url.path") == "/uploads/notes/api.txt"
                     and kind(s) == SERVER]
            if not roots:
                return None
            trace = [s for s in spans if s["traceId"] == roots[0]["traceId"]]
            ids = {s["spanId"] for s in trace}
            names = " ".join(s["name"] for s in trace)
            # Spans land as they end: wait for every parent and for the last invocation.
            if any(s.get("parentSpanId") and s["parentSpanId"] not in ids for s in trace):
                return None
            if not all(f in names for f in ("IndexFunction", "CounterFunction",
                                            "ActivityFunction")):
                return None
            return roots[0], trace, [(res, r) for res, r in logs if r.get("traceId") == roots[0]["traceId"]], logs
        root, trace, trace_logs, logs = wait_for(found, timeout=20, what="the request's whole trace")
        by_id = {s["spanId"] for s in trace}
        spans = {s["spanId"]: s for s in trace}
        names = sorted(s["name"] for s in trace)

        # One root: the API request, with HTTP's conventions.
        self.assertEqual([s for s in trace if not s.get("parentSpanId")], [root], names)
        self.assertEqual(attr(root, "http.request.method"), "PUT")
        self.assertEqual(str(attr(root, "http.response.status_code")), "202")

        def invocation(function):
            got = [s for s in trace if function in s["name"] and s["name"].endswith(" invoke")]
            self.assertTrue(got, "%s's invocation in %s" % (function, names))
            return got[0]

        def ancestors(span):
            out = []
            while span.get("parentSpanId"):
                span = spans[span["parentSpanId"]]
                out.append(span)
            return out

        # The authorizer and the API's function under the request; every other function down
        # the chain: the S3 notification, the queue, the table's stream, the event bus.
        for function in ("AuthorizerFunction", "ApiFunction", "SummarizeFunction",
                         "IndexFunction", "CounterFunction", "ActivityFunction"):
            span = invocation(function)
            self.assertIn(root, ancestors(span), function)
            self.assertEqual(attr(span, "faas.trigger") is not None, True, function)
            self.assertIsNotNone(attr(span, "faas.invocation_id"), function)
            self.assertIsNotNone(attr(span, "faas.coldstart"), function)
        self.assertIn(invocation("SummarizeFunction"), ancestors(invocation("IndexFunction")))

        # A span lies inside its parent's time, unless it is the hand-over of an event (a
        # producer: the dispatch of an asynchronous invocation) or its pick-up (a consumer: an
        # event source mapping's poll), which outlive the request that caused them.
        for s in trace:
            if not s.get("parentSpanId"):
                continue
            parent = spans[s["parentSpanId"]]
            self.assertGreaterEqual(int(s["startTimeUnixNano"]), int(parent["startTimeUnixNano"]),
                                    "%s starts before its parent %s" % (s["name"], parent["name"]))
            if kind(s) not in (PRODUCER, CONSUMER):
                self.assertLessEqual(int(s["endTimeUnixNano"]), int(parent["endTimeUnixNano"]),
                                     "%s ends after its parent %s" % (s["name"], parent["name"]))
        self.assertEqual({kind(s) for s in trace}, {SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL})
        # The API's routes are HTTP, not AWS calls.
        self.assertIsNone(attr(root, "rpc.system"))

        # The AWS calls the functions made, as clients of the AWS APIs.
        calls = [s for s in trace if attr(s, "rpc.system") == "aws-api"]
        services = {attr(s, "rpc.service") for s in calls}
        self.assertTrue({"S3", "DynamoDB", "SQS", "EventBridge"} <= services, services)
        for s in calls:
            self.assertIsNotNone(attr(s, "rpc.method"), s["name"])
            if attr(s, "rpc.service") == "S3":
                self.assertEqual(attr(s, "aws.s3.bucket") in ("demo-uploads", "demo-summaries"),
                                 True, s["name"])
            if attr(s, "rpc.service") == "DynamoDB":
                self.assertTrue(attr(s, "aws.dynamodb.table_names"), s["name"])
            if attr(s, "rpc.service") == "SQS":
                self.assertEqual(attr(s, "messaging.system"), "aws_sqs")

        # Every line every invocation printed carries its trace and span.
        invocation_logs = [r for _, r in logs if attr(r, "faas.invocation_id")]
        self.assertTrue(invocation_logs)
        self.assertFalse([r for r in invocation_logs if not r.get("traceId") or not r.get("spanId")])
        self.assertTrue(any("indexed summaries/notes/api.txt.txt" in json.dumps(r["body"])
                            for _, r in trace_logs))

        # The collector has the same spans.
        def at_collector():
            got = {s["spanId"] for s in collector.spans() if s["traceId"] == root["traceId"]}
            return got if got >= by_id else None
        wait_for(at_collector, timeout=15, what="the trace's spans at the collector")


if __name__ == "__main__":
    unittest.main()
