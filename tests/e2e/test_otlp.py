"""`tarmac serve --otlp-endpoint`: spans and logs streamed to a collector over OTLP/HTTP.

The collector is otlp_receiver.OtlpReceiver, which decodes protobuf from opentelemetry-proto's
field numbers on its own (no collector package exists here). Driven by boto3 and a Python
function, as a user would.
"""
import json
import os
import socket
import time
import unittest

from harness import Tarmac, boto3_client, run_node_script, run_tarmac
from lambda_support import physical_name
from otlp_receiver import OtlpReceiver, attributes

HERE = os.path.dirname(os.path.abspath(__file__))
ECHO = os.path.join(HERE, "templates", "ide-echo")
TRACED = os.path.join(HERE, "templates", "otlp-function")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    return {k: "" for k in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
                            "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")}


class OtlpExport(unittest.TestCase):
    def test_spans_and_logs_in_protobuf_join_the_invocation(self):
        with OtlpReceiver() as r, Tarmac("--otlp-endpoint", r.url, project=ECHO,
                                         env=clean_env()) as t:
            self.assertTrue(t.wait_log("streaming spans to %s/v1/traces" % r.url))
            lam = boto3_client(t, "lambda")
            out = lam.invoke(FunctionName=physical_name(t, "Echo"),
                             Payload=json.dumps({"otlp": 1}).encode())
            self.assertEqual(json.loads(out["Payload"].read()), {"echo": {"otlp": 1}})

            # The request's span, the invocation's span, and the function's line, all in one
            # trace, the line tied to the invocation's span.
            logs = r.wait_for(r.logs, lambda l: "EVENT" in l.get("body", {}).get("stringValue", ""))
            line = logs[0]
            self.assertEqual(len(line["traceId"]), 32)
            self.assertEqual(len(line["spanId"]), 16)
            self.assertIsInstance(line["severityNumber"], int)
            self.assertGreater(int(line["timeUnixNano"]), 1.7e18)
            spans = r.wait_for(r.spans, lambda s: s["traceId"] == line["traceId"]
                               and s["spanId"] == line["spanId"])
            invocation = spans[0]
            self.assertGreater(int(invocation["endTimeUnixNano"]), int(invocation["startTimeUnixNano"]))
            in_trace = r.wait_for(r.spans, lambda s: s["traceId"] == line["traceId"]
                                  and s.get("service") == "lambda")
            by_id = {s["spanId"]: s for s in r.spans()}
            # Every parent the export names, within this trace, was exported too.
            for s in r.spans():
                if s["traceId"] == line["traceId"] and s.get("parentSpanId"):
                    self.assertIn(s["parentSpanId"], by_id, s)
            self.assertTrue(in_trace)
            self.assertTrue(all(req["content_type"] == "application/x-protobuf"
                                for req in r.requests))
            self.assertEqual(r.errors, [])

    def test_json_protocol_and_headers_from_the_environment(self):
        with OtlpReceiver() as r:
            env = dict(clean_env(), OTEL_EXPORTER_OTLP_ENDPOINT=r.url + "/",
                       OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
                       OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20secret, x-team = blue")
            with Tarmac(ephemeral=True, env=env) as t:
                sqs = boto3_client(t, "sqs")
                q = sqs.create_queue(QueueName="otlp-json")["QueueUrl"]
                sqs.send_message(QueueUrl=q, MessageBody="hello")
                sent = r.wait_for(r.spans, lambda s: attributes(s).get("tarmac.operation") == "SendMessage")
                self.assertEqual(sent[0]["service"], "sqs")
                self.assertEqual(attributes(sent[0])["http.response.status_code"], 200)
                # OpenTelemetry's semantic conventions for an AWS API call and a queue.
                for key, value in (("rpc.system", "aws-api"), ("rpc.service", "SQS"),
                                   ("rpc.method", "SendMessage"), ("messaging.system", "aws_sqs")):
                    self.assertEqual(attributes(sent[0]).get(key), value, key)
                req = r.requests[0]
                self.assertEqual(req["path"], "/v1/traces")
                self.assertEqual(req["content_type"], "application/json")
                self.assertEqual(req["headers"].get("Authorization"), "Bearer secret")
                self.assertEqual(req["headers"].get("x-team"), "blue")

    def test_collector_answering_503_gets_the_batch_again(self):
        with OtlpReceiver() as r, Tarmac("--otlp-endpoint", r.url, ephemeral=True,
                                         env=clean_env()) as t:
            r.fail_with(503, times=2)
            sqs = boto3_client(t, "sqs")
            sqs.create_queue(QueueName="retried")
            r.wait_for(r.spans, lambda s: attributes(s).get("tarmac.operation") == "CreateQueue")
            self.assertTrue(t.wait_log("failed (HTTP/1.1 503"))
            self.assertTrue(t.wait_log("works again"))
            ops = [attributes(s).get("tarmac.operation") for s in r.spans()]
            self.assertEqual(ops.count("CreateQueue"), 1, ops)

    def test_collector_down_never_slows_requests_and_gets_them_later(self):
        port = free_port()
        with Tarmac("--otlp-endpoint", "http://127.0.0.1:%d" % port, ephemeral=True,
                    env=clean_env()) as t:
            sqs = boto3_client(t, "sqs")
            q = sqs.create_queue(QueueName="while-down")["QueueUrl"]
            started = time.monotonic()
            for i in range(20):
                sqs.send_message(QueueUrl=q, MessageBody="m%d" % i)
            # A second at most for 20 sends, collector or not (each is about a millisecond).
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertTrue(t.wait_log("failed (Connection refused)"))
            with OtlpReceiver(port=port) as r:
                sent = r.wait_for(r.spans, lambda s: attributes(s).get("tarmac.operation") == "SendMessage",
                                  timeout=20)
                r.wait_for(lambda: [1] if len([s for s in r.spans() if attributes(s).get(
                    "tarmac.operation") == "SendMessage"]) == 20 else [], lambda x: x, timeout=20)
                self.assertTrue(sent)

    def test_last_spans_go_out_at_a_clean_stop(self):
        with OtlpReceiver() as r:
            t = Tarmac("--otlp-endpoint", r.url, ephemeral=True, env=clean_env()).start()
            try:
                boto3_client(t, "sqs").create_queue(QueueName="last")
            finally:
                t.stop()
            self.assertTrue([s for s in r.spans() if attributes(s).get("tarmac.operation") == "CreateQueue"])

    def test_settings_tarmac_cannot_use_are_one_line_errors(self):
        for args, env, words in (
                (["--otlp-endpoint", "https://collector:4318"], {}, "only http://"),
                (["--otlp-endpoint", "not a url"], {}, "--otlp-endpoint"),
                ([], {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                      "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http/protobuf or http/json"),
                ([], {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                      "OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "key=value")):
            r = run_tarmac("serve", "--ephemeral", "--port", "0", "--api-port", "0", "--ide-port", "0",
                           *args, env={**os.environ, **clean_env(), **env}, timeout=20)
            self.assertEqual(r.returncode, 2, (args, env, r.stderr))
            self.assertTrue(r.stderr.startswith("tarmac: "), r.stderr)
            self.assertIn(words, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


class OtlpReceiver_(unittest.TestCase):
    """Tarmac's own receiver: POST /v1/traces and /v1/logs on the edge port."""

    def test_opentelemetry_js_sdk_exports_in_protobuf_and_json(self):
        with Tarmac(ephemeral=True, env=clean_env()) as t:
            run_node_script(self, t, "otlp-sdk.js", "ok otlp sdk")

    def test_a_functions_own_span_joins_its_invocation(self):
        # The ADOT layer and its exec wrapper are reported, and the function runs without them.
        r = run_tarmac("check", TRACED)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ignored value layer arn:aws:lambda:us-east-1:901920570463:layer:"
                      "aws-otel-python-amd64-ver-1-25-0:1", r.stdout)
        self.assertIn("ignored value AWS_LAMBDA_EXEC_WRAPPER /opt/otel-instrument", r.stdout)
        self.assertIn("everything runs; 2 thing(s) accepted and ignored", r.stdout)
        with Tarmac(project=TRACED, env=clean_env()) as t:
            lam = boto3_client(t, "lambda")
            out = json.loads(lam.invoke(FunctionName=physical_name(t, "Traced"))["Payload"].read())
            self.assertEqual(out["answers"], [{}, {}], out)
            deadline = time.monotonic() + 10
            while True:
                _, doc = t.get_json("/_tarmac/traces?trace=" + out["traceId"])
                spans = {s["spanId"]: dict(s, service=attributes(rs["resource"])["service.name"])
                         for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]}
                logs = [l for rl in doc["resourceLogs"] for sl in rl["scopeLogs"] for l in sl["logRecords"]]
                if out["spanId"] in spans and out["parent"] in spans and any(
                        l["body"].get("stringValue") == "sdk says hi" for l in logs):
                    break
                self.assertLess(time.monotonic(), deadline, json.dumps(doc)[:3000])
                time.sleep(0.1)
            mine = spans[out["spanId"]]
            self.assertEqual(mine["name"], "fn-work")
            self.assertEqual(mine["service"], "traced-fn")
            self.assertEqual(mine["parentSpanId"], out["parent"])
            self.assertEqual(attributes(mine)["work.items"], 3)
            # Its parent is Tarmac's span of the invocation, within the same trace.
            self.assertEqual(spans[out["parent"]]["traceId"], out["traceId"])
            line = [l for l in logs if l["body"].get("stringValue") == "sdk says hi"][0]
            self.assertEqual((line["spanId"], line["severityNumber"]), (out["spanId"], 13))

    def test_bad_exports_get_a_collectors_answers(self):
        import urllib.error
        import urllib.request
        with Tarmac(ephemeral=True, env=clean_env()) as t:
            def post(path, body, ctype, encoding=None):
                headers = {"Content-Type": ctype}
                if encoding:
                    headers["Content-Encoding"] = encoding
                req = urllib.request.Request(t.edge + path, data=body, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=5) as r:
                        return r.status, r.read()
                except urllib.error.HTTPError as e:
                    return e.code, e.read()
            good = {"traceId": "5759e988bd862e3fe1be46a994272793", "spanId": "eee19b7ec3c1b174",
                    "name": "ok", "startTimeUnixNano": "1705314600000000000",
                    "endTimeUnixNano": "1705314600123000000"}
            # Every member of a span, every wrong type: the rest of the batch is kept, the
            # bad ones counted as rejected, nothing crashes.
            wrong = [None, True, 7, 1.5, "x", [], {}, [1, {"a": 2}]]
            spans = [good]
            for key in ("traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano",
                        "endTimeUnixNano", "attributes", "status", "events", "links"):
                spans += [dict(good, **{key: w}) for w in wrong]
            spans += [dict(good, attributes=[w]) for w in wrong]
            spans += [dict(good, attributes=[{"key": w, "value": w}]) for w in wrong]
            spans += [dict(good, status={"code": w, "message": w}) for w in wrong]
            status, body = post("/v1/traces", json.dumps({"resourceSpans": [
                {"resource": {"attributes": w}, "scopeSpans": [{"spans": spans}]} for w in wrong]}).encode(),
                "application/json")
            self.assertEqual(status, 200, body)
            rejected = int(json.loads(body)["partialSuccess"]["rejectedSpans"])
            self.assertGreater(rejected, 0)
            self.assertLess(rejected, len(spans) * len(wrong))
            for doc in ([], 5, "x", None, {"resourceSpans": 5}, {"resourceSpans": [5, "x", None]}):
                status, body = post("/v1/traces", json.dumps(doc).encode(), "application/json")
                self.assertIn(status, (200, 400), (doc, body))
            logs = [{"timeUnixNano": w, "severityNumber": w, "body": w, "traceId": w, "spanId": w,
                     "attributes": w} for w in wrong]
            status, body = post("/v1/logs", json.dumps({"resourceLogs": [{"scopeLogs": [
                {"logRecords": logs}]}]}).encode(), "application/json")
            self.assertEqual(status, 200, body)
            # All but the two whose time is a number (7 and 1.5 ns, read as OTLP/JSON allows).
            self.assertEqual(int(json.loads(body)["partialSuccess"]["rejectedLogRecords"]), len(wrong) - 2)
            self.assertEqual(post("/v1/traces", b"{", "application/json")[0], 400)
            status, body = post("/v1/logs", b"\x0a\xff\xff", "application/x-protobuf")
            self.assertEqual(status, 400)
            self.assertIn(b"does not decode", body)
            self.assertEqual(post("/v1/traces", b"{}", "application/json", "gzip")[0], 415)


if __name__ == "__main__":
    unittest.main()
