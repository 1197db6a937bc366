"""Tarmac for integration tests (docs/testing.md), end to end against the demo app: settling
(POST /_tarmac/settle) after a chain S3 → function → queue → second function, and its 408
naming a held delivery; fault rules (POST /_tarmac/faults) — throttling that boto3's standard
retry mode rides out, latency, dropped connections, duplicate deliveries the demo's functions
absorb, forced cold starts and timeouts — each marked on its span; and serve's CI exit codes
(--exit-on-function-error, --fail-on-unsupported)."""
import json
import os
import subprocess
import tempfile
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from harness import Tarmac, TARMAC
from lambda_support import deliveries, physical_name, python_function, tarmac_json, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "fixtures", "demo")


def client(tarmac, service, retries=None):
    config = Config(retries=retries or {"mode": "standard", "max_attempts": 3},
                    connect_timeout=5, read_timeout=30)
    return boto3.client(service, endpoint_url=tarmac.edge, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test", config=config)


def settle(tarmac, timeout_ms=30000):
    return tarmac_json(tarmac, "/_tarmac/settle", "POST", {"timeoutMs": timeout_ms},
                       timeout=timeout_ms / 1000 + 10)


def spans(tarmac, predicate):
    """Every stored span (OTLP JSON) for which predicate(span, attributes) holds."""
    _, doc = tarmac_json(tarmac, "/_tarmac/traces", timeout=30)
    out = []
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                attrs = {a["key"]: next(iter(a["value"].values()))
                         for a in span.get("attributes", [])}
                if predicate(span, attrs):
                    out.append((span, attrs))
    return out


class DemoCase(unittest.TestCase):
    """One Tarmac on the demo (ephemeral) for the class."""

    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac(project=DEMO, ephemeral=True).start()
        cls.s3 = client(cls.tarmac, "s3")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()


class SettleTest(DemoCase):
    def test_idle_settle_answers_at_once(self):
        status, body = settle(self.tarmac)
        self.assertEqual(status, 200, body)
        self.assertTrue(body["settled"])
        times = []
        for _ in range(20):
            start = time.perf_counter()
            status, body = settle(self.tarmac)
            times.append(time.perf_counter() - start)
            self.assertEqual((status, body["waitedFor"]), (200, []))
        # Tarmac's own time with nothing to wait for; the round trip is the client's.
        self.assertLess(body["waitedMs"], 20, body)
        self.assertLess(sorted(times)[len(times) // 2], 0.05, times)

    def test_settle_waits_for_the_whole_chain(self):
        """S3 → SummarizeFunction → queue → IndexFunction (and the notes stream →
        CounterFunction): settle answers when the last of them finished, and not much later."""
        key = "settle/chain.txt"
        self.s3.put_object(Bucket="demo-uploads", Key=key, Body=b"one two three two one")
        status, body = settle(self.tarmac)
        answered_ms = time.time() * 1000
        self.assertEqual(status, 200, body)
        kinds = {item["kind"] for item in body["waitedFor"]}
        self.assertIn("delivery", kinds, body)
        logical = {item.get("logicalId") for item in body["waitedFor"]}
        self.assertIn("SummarizeFunction", logical, body)
        # Everything the upload caused is done: the summary, the index entry, the totals.
        self.s3.head_object(Bucket="demo-summaries", Key="summaries/" + key + ".txt")
        index = self.s3.list_objects_v2(Bucket="demo-summaries", Prefix="index/")
        self.assertTrue(any(key in o["Key"] for o in index.get("Contents", [])), index)
        last_finished_ms = 0
        for logical_id in ("SummarizeFunction", "IndexFunction", "CounterFunction"):
            ds = deliveries(self.tarmac, physical_name(self.tarmac, logical_id), bodies=False)
            self.assertTrue(ds, logical_id)
            self.assertTrue(all(d["status"] == "succeeded" for d in ds), ds)
            last_finished_ms = max([last_finished_ms] + [d["finishedNs"] / 1e6 for d in ds])
        # Within a few milliseconds of the last delivery (generous for a loaded CI machine).
        self.assertLess(answered_ms - last_finished_ms, 250,
                        "settle answered %.1f ms after the last delivery finished"
                        % (answered_ms - last_finished_ms))

    def test_408_names_a_held_delivery(self):
        function = physical_name(self.tarmac, "ApiFunction")
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/dispatch/pause", "POST")[0], 200)
        try:
            lam = client(self.tarmac, "lambda")
            lam.invoke(FunctionName=function, InvocationType="Event", Payload=b"{}")
            status, body = settle(self.tarmac, timeout_ms=300)
            self.assertEqual(status, 408, body)
            self.assertFalse(body["settled"])
            held = [i for i in body["busy"] if i["kind"] == "held"]
            self.assertEqual(len(held), 1, body)
            self.assertEqual(held[0]["resource"], function)
            self.assertEqual(held[0]["logicalId"], "ApiFunction")
            self.assertIn("paused", held[0]["detail"])
            self.assertTrue(held[0]["id"] and held[0]["since"], held)
            self.assertGreaterEqual(body["waitedMs"], 300)
        finally:
            tarmac_json(self.tarmac, "/_tarmac/dispatch/resume", "POST")
        status, body = settle(self.tarmac)
        self.assertEqual(status, 200, body)

    def test_frozen_clock_does_not_wait_for_future_ticks(self):
        """A failing asynchronous invocation waits 1 s, then 2 s for its retries: a running
        clock settles after them, a frozen one at once (its retries are future ticks)."""
        lam = client(self.tarmac, "lambda")
        python_function(self, self.tarmac, "always-fails",
                        "def handler(event, context):\n    raise ValueError('no')\n")
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/clock/freeze", "POST")[0], 200)
        try:
            lam.invoke(FunctionName="always-fails", InvocationType="Event", Payload=b"{}")
            status, body = settle(self.tarmac, timeout_ms=20000)
            self.assertEqual(status, 200, body)
            self.assertLess(body["waitedMs"], 1000, body)
            self.assertEqual(len(deliveries(self.tarmac, "always-fails")), 1)
        finally:
            tarmac_json(self.tarmac, "/_tarmac/clock/resume", "POST")
        status, body = settle(self.tarmac, timeout_ms=20000)
        self.assertEqual(status, 200, body)
        self.assertIn("async", {i["kind"] for i in body["waitedFor"]}, body)
        self.assertEqual(len(deliveries(self.tarmac, "always-fails")), 3)

    def test_bad_requests(self):
        for payload in ({"timeoutMs": "10"}, {"timeoutMs": -1}, {"timeoutMs": [1]},
                        {"timeoutMs": 1e12}, [1], "x"):
            status, body = tarmac_json(self.tarmac, "/_tarmac/settle", "POST", payload)
            self.assertEqual(status, 400, (payload, body))
            self.assertEqual(body["__type"], "ValidationException")
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/settle")[0], 405)


class FaultTest(DemoCase):
    def tearDown(self):
        tarmac_json(self.tarmac, "/_tarmac/faults", "DELETE")

    def add(self, match, effect):
        status, rule = tarmac_json(self.tarmac, "/_tarmac/faults", "POST",
                                   {"match": match, "effect": effect})
        self.assertEqual(status, 201, rule)
        return rule

    def rule(self, rule_id):
        return tarmac_json(self.tarmac, "/_tarmac/faults/" + rule_id)[1]

    def test_throttling_is_retried_by_boto3_and_marked_on_the_span(self):
        rule = self.add({"service": "s3", "operation": "PutObject",
                         "resource": "UploadsBucket", "count": 2},
                        {"type": "error", "code": "SlowDown"})
        self.assertEqual((rule["effect"]["status"], rule["remaining"]), (503, 2))
        reply = self.s3.put_object(Bucket="demo-uploads", Key="faults/retried.txt", Body=b"hi")
        self.assertEqual(reply["ResponseMetadata"]["RetryAttempts"], 2)
        after = self.rule(rule["id"])
        self.assertEqual((after["injected"], after["remaining"]), (2, 0))
        # Other buckets and operations were never matched.
        self.s3.put_object(Bucket="demo-summaries", Key="faults/other.txt", Body=b"x")
        self.s3.get_object(Bucket="demo-uploads", Key="faults/retried.txt")
        self.assertEqual(self.rule(rule["id"])["injected"], 2)
        # Without retries the client sees the error, in S3's own shape.
        settle(self.tarmac)  # the upload's function writes to S3 too
        self.add({"service": "s3", "operation": "PutObject", "resource": "demo-uploads",
                  "count": 1}, {"type": "error", "code": "SlowDown"})
        no_retry = client(self.tarmac, "s3", retries={"mode": "standard", "total_max_attempts": 1})
        with self.assertRaises(ClientError) as ctx:
            no_retry.put_object(Bucket="demo-uploads", Key="faults/x.txt", Body=b"x")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "SlowDown")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
        marked = wait_for(lambda: spans(self.tarmac, lambda s, a: a.get("tarmac.fault_id")
                                        == rule["id"]), what="the fault's spans")
        self.assertEqual(len(marked), 2)
        for span, attrs in marked:
            self.assertEqual(attrs["tarmac.fault"], "error SlowDown (503)")
            self.assertEqual(attrs["http.response.status_code"], "503")
        settle(self.tarmac)

    def test_dynamodb_throttling_in_its_json_shape(self):
        ddb = client(self.tarmac, "dynamodb", retries={"mode": "standard", "total_max_attempts": 1})
        self.add({"service": "dynamodb", "operation": "GetItem", "resource": "NotesTable"},
                 {"type": "error"})
        with self.assertRaises(ClientError) as ctx:
            ddb.get_item(TableName="demo-notes", Key={"key": {"S": "x"}})
        self.assertEqual(ctx.exception.response["Error"]["Code"],
                         "ProvisionedThroughputExceededException")
        ddb.get_item(TableName="demo-stats", Key={"name": {"S": "x"}})  # not matched

    def test_latency_and_dropped_connections(self):
        self.add({"service": "s3", "operation": "HeadBucket", "count": 1},
                 {"type": "latency", "ms": 400})
        start = time.perf_counter()
        self.s3.head_bucket(Bucket="demo-uploads")
        self.assertGreaterEqual(time.perf_counter() - start, 0.4)
        self.add({"service": "s3", "operation": "ListObjectsV2", "count": 1}, {"type": "drop"})
        once = client(self.tarmac, "s3", retries={"mode": "standard", "total_max_attempts": 1})
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ClientError)):
            once.list_objects_v2(Bucket="demo-uploads")
        once.list_objects_v2(Bucket="demo-uploads")  # the count is spent

    def test_duplicate_delivery_is_absorbed_by_idempotent_functions(self):
        """The upload's S3 event reaches SummarizeFunction twice: it writes the same summary
        and note again, and CounterFunction counts the note once (the second write is a
        MODIFY with the same words)."""
        rule = self.add({"function": "SummarizeFunction", "count": 1}, {"type": "duplicate"})
        self.s3.put_object(Bucket="demo-uploads", Key="faults/dup.txt", Body=b"alpha beta gamma")
        status, body = settle(self.tarmac)
        self.assertEqual(status, 200, body)
        summarize = physical_name(self.tarmac, "SummarizeFunction")
        ds = [d for d in deliveries(self.tarmac, summarize)
              if "faults/dup.txt" in json.dumps(d.get("payload", ""))]
        self.assertEqual(len(ds), 2, ds)
        self.assertEqual(ds[0]["payload"], ds[1]["payload"])
        self.assertTrue(all(d["status"] == "succeeded" for d in ds), ds)
        self.assertEqual(self.rule(rule["id"])["injected"], 1)
        ddb = client(self.tarmac, "dynamodb")
        note = ddb.get_item(TableName="demo-notes", Key={"key": {"S": "faults/dup.txt"}})
        self.assertEqual(note["Item"]["words"]["N"], "3")
        marked = wait_for(lambda: spans(self.tarmac, lambda s, a: str(a.get("tarmac.fault", ""))
                                        .startswith("duplicate delivery")), what="spans")
        self.assertTrue(any("the copy" in a["tarmac.fault"] for _, a in marked), marked)

    def test_forced_cold_start_and_timeout(self):
        lam = client(self.tarmac, "lambda", retries={"mode": "standard", "total_max_attempts": 1})
        python_function(self, self.tarmac, "warm-one",
                        "import time\n"
                        "def handler(event, context):\n"
                        "    time.sleep(event.get('sleep', 0))\n"
                        "    return {'ok': True}\n")
        for _ in range(2):
            lam.invoke(FunctionName="warm-one", Payload=b"{}")
        self.add({"function": "warm-one", "count": 1}, {"type": "coldStart"})
        lam.invoke(FunctionName="warm-one", Payload=b"{}")
        invokes = wait_for(lambda: (lambda found: found if len(found) == 3 else None)(
            spans(self.tarmac, lambda s, a: a.get("faas.name") == "warm-one"
                  and s["name"] == "warm-one invoke")), what="three invoke spans")
        invokes.sort(key=lambda sa: int(sa[0]["startTimeUnixNano"]))
        self.assertEqual([a["faas.coldstart"] for _, a in invokes], [True, False, True])
        self.assertEqual(invokes[2][1]["tarmac.fault"], "cold start forced")

        self.add({"function": "warm-one", "count": 1}, {"type": "timeout"})
        start = time.perf_counter()
        reply = lam.invoke(FunctionName="warm-one", Payload=json.dumps({"sleep": 5}).encode())
        self.assertLess(time.perf_counter() - start, 4)
        self.assertEqual(reply.get("FunctionError"), "Unhandled")
        error = json.loads(reply["Payload"].read())
        self.assertEqual(error["errorType"], "Sandbox.Timedout")
        self.assertIn("Task timed out after 30.00 seconds", error["errorMessage"])
        # The next invocation runs normally (on a new instance).
        self.assertEqual(json.loads(lam.invoke(FunctionName="warm-one",
                                               Payload=b"{}")["Payload"].read()), {"ok": True})

    def test_delay_counts_as_busy(self):
        self.add({"function": "ApiFunction", "count": 1}, {"type": "delay", "ms": 500})
        lam = client(self.tarmac, "lambda")
        function = physical_name(self.tarmac, "ApiFunction")
        lam.invoke(FunctionName=function, InvocationType="Event", Payload=b"{}")
        status, body = settle(self.tarmac, timeout_ms=100)
        self.assertEqual(status, 408, body)
        self.assertIn("delayed", json.dumps(body["busy"]))
        status, body = settle(self.tarmac)
        self.assertEqual(status, 200, body)

    def test_rules_list_remove_and_bad_input(self):
        a = self.add({"service": "sqs", "probability": 0.5}, {"type": "error"})
        self.assertEqual(a["effect"]["code"], "Throttling")
        b = self.add({"service": "lambda", "operation": "Invoke"},
                     {"type": "error", "code": "TooManyRequestsException"})
        self.assertEqual(b["effect"]["status"], 429)
        listed = tarmac_json(self.tarmac, "/_tarmac/faults")[1]["faults"]
        self.assertEqual([r["id"] for r in listed], [a["id"], b["id"]])
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/faults/" + a["id"], "DELETE")[0], 200)
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/faults/" + a["id"], "DELETE")[0], 404)
        bad = [
            [1], {"effect": {"type": "explode"}}, {"effect": "error"},
            {"match": {"service": 1}, "effect": {"type": "error"}},
            {"match": {"probability": 2}, "effect": {"type": "error"}},
            {"match": {"probability": "1"}, "effect": {"type": "error"}},
            {"match": {"count": 0}, "effect": {"type": "error"}},
            {"match": {"count": 1.5}, "effect": {"type": "error"}},
            {"match": {"bucket": "x"}, "effect": {"type": "error"}},
            {"match": [], "effect": {"type": "error"}},
            {"effect": {"type": "latency"}},
            {"effect": {"type": "latency", "ms": "5"}},
            {"effect": {"type": "error", "status": 200}},
            {"effect": {"type": "error", "code": 5}},
            {"match": {"service": "s3"}, "effect": {"type": "duplicate"}},
        ]
        for body in bad:
            status, answer = tarmac_json(self.tarmac, "/_tarmac/faults", "POST", body)
            self.assertEqual(status, 400, (body, answer))
            self.assertEqual(answer["__type"], "ValidationException", answer)
        self.assertEqual(len(tarmac_json(self.tarmac, "/_tarmac/faults")[1]["faults"]), 1)


class StateTest(DemoCase):
    """Reset and snapshots: no trace of what came after survives, and the app works on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sqs = client(cls.tarmac, "sqs")
        cls.ddb = client(cls.tarmac, "dynamodb")

    def post(self, path, body=None):
        status, answer = tarmac_json(self.tarmac, path, "POST", body if body is not None else {},
                                     timeout=60)
        self.assertIn(status, (200, 201), answer)
        return answer

    def keys(self, bucket):
        return sorted(o["Key"] for o in
                      self.s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    def everything(self):
        """What a test could see of the state: objects, queues and their messages, tables and
        their items, functions, deliveries."""
        buckets = sorted(b["Name"] for b in self.s3.list_buckets()["Buckets"])
        queues = sorted(self.sqs.list_queues().get("QueueUrls", []))
        messages = {q: self.sqs.get_queue_attributes(
            QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            ["ApproximateNumberOfMessages"] for q in queues}
        tables = sorted(self.ddb.list_tables()["TableNames"])
        items = {t: sorted(json.dumps(i, sort_keys=True)
                           for i in self.ddb.scan(TableName=t)["Items"]) for t in tables}
        functions = sorted(f["FunctionName"] for f in
                           client(self.tarmac, "lambda").list_functions()["Functions"])
        _, body = tarmac_json(self.tarmac, "/_tarmac/dispatch/deliveries?limit=1000")
        return {"buckets": buckets, "objects": {b: self.keys(b) for b in buckets},
                "queues": queues, "messages": messages, "tables": tables, "items": items,
                "functions": functions, "deliveries": sorted(d["id"] for d in body["deliveries"])}

    def mess_up(self, tag):
        """Everything a test might leave behind."""
        self.s3.put_object(Bucket="demo-uploads", Key=tag + ".txt", Body=b"left behind words")
        self.s3.create_bucket(Bucket="scratch-" + tag)
        self.s3.put_object(Bucket="scratch-" + tag, Key="k", Body=b"x" * 100_000)
        self.sqs.send_message(QueueUrl=self.sqs.get_queue_url(QueueName="demo-index-dlq")
                              ["QueueUrl"], MessageBody="stray")
        self.sqs.create_queue(QueueName="scratch-" + tag)
        self.ddb.put_item(TableName="demo-stats", Item={"name": {"S": tag}})
        python_function(self, self.tarmac, "scratch-" + tag,
                        "def handler(event, context):\n    return 1\n")
        status, body = settle(self.tarmac)
        self.assertEqual(status, 200, body)

    def test_snapshot_restore_leaves_no_trace(self):
        self.post("/_tarmac/reset")
        self.s3.put_object(Bucket="demo-uploads", Key="seed.txt", Body=b"seed words")
        self.assertEqual(settle(self.tarmac)[0], 200)
        seeded = self.everything()
        self.assertEqual(len(seeded["deliveries"]), 3, seeded)  # summarize, index, counter
        answer = self.post("/_tarmac/snapshots/seeded")
        self.assertEqual(answer["name"], "seeded")
        for round_ in range(3):
            self.mess_up("r%d" % round_)
            self.assertNotEqual(self.everything(), seeded)
            answer = self.post("/_tarmac/snapshots/seeded/restore")
            self.assertEqual(answer["restored"], "seeded")
            self.assertEqual(self.everything(), seeded)
        # The app works on the restored state: the chain runs again, the totals go on.
        self.s3.put_object(Bucket="demo-uploads", Key="after.txt", Body=b"one two three")
        self.assertEqual(settle(self.tarmac)[0], 200)
        self.assertIn("summaries/after.txt.txt", self.keys("demo-summaries"))
        stats = self.ddb.get_item(TableName="demo-stats", Key={"name": {"S": "notes"}})["Item"]
        self.assertEqual((stats["notes"]["N"], stats["words"]["N"]), ("2", "5"))
        # Objects the live state lost since (overwritten, garbage) come back with the snapshot.
        self.s3.put_object(Bucket="demo-uploads", Key="seed.txt", Body=b"overwritten")
        self.post("/_tarmac/snapshots/seeded/restore")
        self.assertEqual(self.s3.get_object(Bucket="demo-uploads", Key="seed.txt")["Body"]
                         .read(), b"seed words")

    def test_reset_clears_everything_and_applies_the_template(self):
        self.mess_up("reset")
        answer = self.post("/_tarmac/reset")
        self.assertTrue(answer["reset"])
        state = self.everything()
        self.assertEqual(state["buckets"], ["demo-summaries", "demo-uploads"])
        self.assertEqual(state["objects"], {"demo-summaries": [], "demo-uploads": []})
        self.assertEqual(set(state["messages"].values()), {"0"})
        self.assertEqual(len(state["queues"]), 2, state)
        self.assertEqual(state["items"], {"demo-notes": [], "demo-stats": []})
        self.assertEqual(state["deliveries"], [])
        self.assertFalse([f for f in state["functions"] if f.startswith("scratch")], state)
        # The template's wiring is back: an upload runs the whole chain.
        self.s3.put_object(Bucket="demo-uploads", Key="fresh.txt", Body=b"fresh start")
        self.assertEqual(settle(self.tarmac)[0], 200)
        self.assertIn("summaries/fresh.txt.txt", self.keys("demo-summaries"))
        self.assertTrue(any(k.startswith("index/") for k in self.keys("demo-summaries")))
        # Traces stay unless asked.
        _, doc = tarmac_json(self.tarmac, "/_tarmac/traces", timeout=30)
        self.assertTrue(doc.get("resourceSpans"))
        self.post("/_tarmac/reset", {"traces": True})
        time.sleep(0.3)
        _, doc = tarmac_json(self.tarmac, "/_tarmac/traces", timeout=30)
        names = [s["name"] for rs in doc.get("resourceSpans", []) for ss in rs["scopeSpans"]
                 for s in ss["spans"]]
        self.assertFalse([n for n in names if "Summarize" in n], names)

    def test_restore_survives_kill_9(self):
        """A restore answered is on disk: Tarmac killed right after comes back with the
        snapshot's objects (none of the later ones replayed from S3's log), and the snapshot
        is still there to restore."""
        with tempfile.TemporaryDirectory(prefix="tarmac-e2e-") as tmp:
            state = os.path.join(tmp, "state")
            tarmac = Tarmac(project=DEMO, state=state).start()
            try:
                s3 = client(tarmac, "s3")
                s3.put_object(Bucket="demo-uploads", Key="kept.txt", Body=b"kept")
                self.assertEqual(settle(tarmac)[0], 200)
                self.assertEqual(tarmac_json(tarmac, "/_tarmac/snapshots/k9", "POST")[0], 201)
                for i in range(20):  # small ones: S3's segment log
                    s3.put_object(Bucket="demo-uploads", Key="later-%d.txt" % i, Body=b"x")
                status, _ = tarmac_json(tarmac, "/_tarmac/snapshots/k9/restore", "POST")
                self.assertEqual(status, 200)
                tarmac.kill9()
            finally:
                tarmac.stop()
            tarmac = Tarmac(project=DEMO, state=state).start()
            try:
                s3 = client(tarmac, "s3")
                keys = [o["Key"] for o in
                        s3.list_objects_v2(Bucket="demo-uploads").get("Contents", [])]
                self.assertEqual(keys, ["kept.txt"])
                self.assertEqual(s3.get_object(Bucket="demo-uploads", Key="kept.txt")["Body"]
                                 .read(), b"kept")
                names = [x["name"] for x in
                         tarmac_json(tarmac, "/_tarmac/snapshots")[1]["snapshots"]]
                self.assertEqual(names, ["k9"])
            finally:
                tarmac.stop()

    def test_snapshot_api(self):
        self.post("/_tarmac/snapshots/api-a")
        answer = self.post("/_tarmac/snapshots/api-a")
        self.assertTrue(answer["replaced"])
        listed = [s["name"] for s in tarmac_json(self.tarmac, "/_tarmac/snapshots")[1]["snapshots"]]
        self.assertIn("api-a", listed)
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/snapshots/api-a", "DELETE")[0], 200)
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/snapshots/api-a/restore", "POST")[0],
                         404)
        for bad in ("..", ".hidden", "a" * 65, "x.partial", "sp%20ace"):
            status, body = tarmac_json(self.tarmac, "/_tarmac/snapshots/" + bad, "POST")
            self.assertIn(status, (400, 404), (bad, body))
        for body in ({"traces": "yes"}, [1], "x"):
            status, answer = tarmac_json(self.tarmac, "/_tarmac/reset", "POST", body)
            self.assertEqual(status, 400, (body, answer))
        self.assertEqual(tarmac_json(self.tarmac, "/_tarmac/reset")[0], 405)


class ExitCodeTest(unittest.TestCase):
    def test_exit_on_function_error(self):
        tarmac = Tarmac("--exit-on-function-error", project=DEMO, ephemeral=True).start()
        try:
            lam = client(tarmac, "lambda", retries={"mode": "standard", "total_max_attempts": 1})
            # The API function fails on an event without the HTTP API's shape.
            lam.invoke(FunctionName=physical_name(tarmac, "ApiFunction"),
                       Payload=b'{"not": "an api event"}')
            self.assertEqual(tarmac.wait(30), 1)
        finally:
            tarmac.stop()
        self.assertIn("--exit-on-function-error", "".join(tarmac.stderr_lines))

    def test_fail_on_unsupported(self):
        template = os.path.join(HERE, "templates", "unsupported", "template.yaml")
        r = subprocess.run([TARMAC, "serve", template, "--ephemeral", "--port", "0",
                            "--api-port", "0", "--ide-port", "0", "--fail-on-unsupported"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("unsupported", r.stderr)
        self.assertNotIn("tarmac ready", r.stdout)
        # The demo has nothing unsupported: it starts.
        tarmac = Tarmac("--fail-on-unsupported", project=DEMO, ephemeral=True).start()
        tarmac.stop()


if __name__ == "__main__":
    unittest.main()
