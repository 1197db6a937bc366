"""Lambda end to end: functions created and invoked with real clients (aws CLI, boto3, the
real aws-lambda-ric), Python / Node (CommonJS, ESM, callback) / provided runtimes, the three
invocation types, management operations, limits, asynchronous retries and destinations,
the dispatcher's controls, process clean-up and `tarmac invoke`."""
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import botocore.config
import botocore.exceptions

from harness import Tarmac, boto3_client, run_tarmac, tarmac_binary
from lambda_support import (BASH_BOOTSTRAP, NODE_CALLBACK, NODE_CJS, NODE_ESM, PYTHON_APP, RIC_HANDLER, ROLE,
                            deliveries, make_zip, process_alive, ric_bootstrap, tarmac_json, wait_for)

FAST_RETRIES = {"TARMAC_ASYNC_RETRY_DELAYS_MS": "100,100"}


def lambda_client(t):
    return boto3_client(t, "lambda", read_timeout=30)


class FunctionsTest(unittest.TestCase):
    """One Tarmac for the runtime tests: create once, invoke many ways."""

    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac(env=FAST_RETRIES).start()
        cls.client = lambda_client(cls.tarmac)
        cls.functions = {
            "py": ("python3.11", "app.handler", {"app.py": PYTHON_APP}),
            "node-cjs": ("nodejs20.x", "index.handler", {"index.js": NODE_CJS}),
            "node-esm": ("nodejs20.x", "lib/esm.handler", {"lib/esm.mjs": NODE_ESM}),
            "node-callback": ("nodejs18.x", "cb.handler", {"cb.js": NODE_CALLBACK}),
            "bash": ("provided.al2023", "function.handler", {"bootstrap": (BASH_BOOTSTRAP, 0o755)}),
            "ric": ("provided.al2", "index.handler", {"bootstrap": (ric_bootstrap(), 0o755),
                                                     "index.mjs": RIC_HANDLER}),
        }
        for name, (runtime, handler, files) in cls.functions.items():
            cls.client.create_function(FunctionName=name, Runtime=runtime, Handler=handler, Role=ROLE,
                                       Code={"ZipFile": make_zip(files)},
                                       Environment={"Variables": {"GREETING": "hello"}})

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def invoke(self, name, event, **kw):
        r = self.client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
        return r, r["Payload"].read()

    def test_request_response_for_every_runtime(self):
        expected = {"py": "python", "node-cjs": "node-cjs", "node-esm": "node-esm",
                    "node-callback": "node-callback", "bash": "provided", "ric": "aws-lambda-ric"}
        for name, runtime in expected.items():
            with self.subTest(function=name):
                r, body = self.invoke(name, {"n": 1, "name": name})
                self.assertEqual(r["StatusCode"], 200, body)
                self.assertNotIn("FunctionError", r, body)
                self.assertEqual(r["ExecutedVersion"], "$LATEST")
                result = json.loads(body)
                self.assertEqual(result["runtime"], runtime)
                self.assertEqual(result["event"], {"n": 1, "name": name})
                if "requestId" in result:
                    # The request id the function sees is the one Invoke answered with.
                    self.assertEqual(result["requestId"], r["ResponseMetadata"]["RequestId"])

    def test_python_context_and_environment(self):
        r, body = self.invoke("py", {"x": 1})
        result = json.loads(body)
        self.assertEqual(result["functionName"], "py")
        self.assertEqual(result["memory"], "128")
        self.assertEqual(result["arn"], "arn:aws:lambda:us-east-1:000000000000:function:py")
        self.assertEqual(result["logGroup"], "/aws/lambda/py")
        self.assertTrue(0 < result["remaining"] <= 3000)
        self.assertRegex(result["trace"], r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$")
        env = result["env"]
        self.assertEqual(env["AWS_LAMBDA_FUNCTION_NAME"], "py")
        self.assertEqual(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST")
        self.assertEqual(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128")
        self.assertEqual(env["AWS_REGION"], "us-east-1")
        self.assertEqual(env["AWS_DEFAULT_REGION"], "us-east-1")
        self.assertEqual(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.11")
        self.assertEqual(env["TZ"], ":UTC")
        self.assertEqual(env["_HANDLER"], "app.handler")
        self.assertEqual(env["GREETING"], "hello")
        self.assertEqual(env["AWS_ENDPOINT_URL"], self.tarmac.edge)
        self.assertTrue(env["AWS_ACCESS_KEY_ID"])
        self.assertRegex(env["AWS_LAMBDA_RUNTIME_API"], r"^127\.0\.0\.1:\d+$")
        self.assertTrue(os.path.isdir(env["LAMBDA_TASK_ROOT"]))
        # Warm: the same process serves the next invocation.
        _, again = self.invoke("py", {"x": 2})
        self.assertEqual(json.loads(again)["pid"], result["pid"])

    def test_event_and_dry_run_for_every_runtime(self):
        for name in self.functions:
            with self.subTest(function=name):
                marker = "async-%s-%f" % (name, time.time())
                r, body = self.invoke(name, {"marker": marker}, InvocationType="Event")
                self.assertEqual(r["StatusCode"], 202)
                self.assertEqual(body, b"")
                request_id = r["ResponseMetadata"]["RequestId"]

                def delivered():
                    for d in deliveries(self.tarmac, name):
                        if d["id"] == request_id and d["status"] == "succeeded":
                            return d
                    return None
                record = wait_for(delivered, what="the Event invocation of %s" % name)
                self.assertTrue(record["async"])
                self.assertEqual(record["result"]["event"], {"marker": marker})

                r, body = self.invoke(name, {}, InvocationType="DryRun")
                self.assertEqual(r["StatusCode"], 204)
                self.assertEqual(body, b"")

    def test_tail_logs_for_every_runtime(self):
        lines = {"py": "python handling", "node-cjs": "node cjs handling", "node-esm": "node esm handling",
                 "bash": "bash runtime got", "ric": "ric handling"}
        for name, line in lines.items():
            with self.subTest(function=name):
                r, _ = self.invoke(name, {"tail": True}, LogType="Tail")
                log = base64.b64decode(r["LogResult"]).decode()
                self.assertLessEqual(len(base64.b64decode(r["LogResult"])), 4096)
                rid = r["ResponseMetadata"]["RequestId"]
                self.assertIn("START RequestId: %s Version: $LATEST" % rid, log)
                self.assertIn(line, log)
                self.assertIn("END RequestId: %s" % rid, log)
                self.assertRegex(log, r"REPORT RequestId: %s\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
                                      r"Memory Size: 128 MB\tMax Memory Used: \d+ MB" % rid)
        # Node's console lines look like Lambda's: time, request id, level.
        r, _ = self.invoke("node-cjs", {}, LogType="Tail")
        log = base64.b64decode(r["LogResult"]).decode()
        self.assertRegex(log, r"\d{4}-\d\d-\d\dT[\d:.]+Z\t%s\tINFO\tnode cjs handling"
                         % r["ResponseMetadata"]["RequestId"])

    def test_node_esm_loads_once(self):
        _, a = self.invoke("node-esm", {})
        _, b = self.invoke("node-esm", {})
        self.assertEqual(json.loads(a)["loadedAt"], json.loads(b)["loadedAt"])

    def test_trace_header_reaches_the_function(self):
        root = "1-%08x-%s" % (int(time.time()), "abcdef0123456789abcdef01")
        header = "Root=%s;Parent=1234567890abcdef;Sampled=1" % root

        def add_header(request, **kw):
            request.headers["X-Amzn-Trace-Id"] = header
        client = lambda_client(self.tarmac)
        client.meta.events.register("before-sign.lambda.Invoke", add_header)
        r = client.invoke(FunctionName="py", Payload=b"{}")
        trace = json.loads(r["Payload"].read())["trace"]
        self.assertTrue(trace.startswith("Root=%s;Parent=" % root), trace)
        self.assertNotIn("1234567890abcdef", trace)  # the parent is the invocation's own span


class AwsCliTest(unittest.TestCase):
    def test_create_function_from_zip_and_invoke_with_tail(self):
        with Tarmac() as t, tempfile.TemporaryDirectory() as tmp:
            zip_path = os.path.join(tmp, "fn.zip")
            with open(zip_path, "wb") as f:
                f.write(make_zip({"app.py": PYTHON_APP}))
            env = t.client_env()
            created = subprocess.run(
                ["aws", "lambda", "create-function", "--function-name", "cli-fn", "--runtime", "python3.12",
                 "--handler", "app.handler", "--role", ROLE, "--zip-file", "fileb://" + zip_path,
                 "--timeout", "5", "--memory-size", "256"],
                capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(created.returncode, 0, created.stderr)
            config = json.loads(created.stdout)
            self.assertEqual(config["State"], "Active")
            self.assertEqual(config["MemorySize"], 256)
            self.assertEqual(config["CodeSize"], os.path.getsize(zip_path))

            out = os.path.join(tmp, "out.json")
            invoked = subprocess.run(
                ["aws", "lambda", "invoke", "--function-name", "cli-fn", "--payload", '{"from": "cli"}',
                 "--log-type", "Tail", out],
                capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual(invoked.returncode, 0, invoked.stderr)
            meta = json.loads(invoked.stdout)
            self.assertEqual(meta["StatusCode"], 200)
            self.assertNotIn("FunctionError", meta)
            log = base64.b64decode(meta["LogResult"]).decode()
            self.assertIn("python init", log)  # a cold start shows the init output
            self.assertIn('python handling {"from": "cli"}', log)
            self.assertIn("Init Duration:", log)
            self.assertIn("Memory Size: 256 MB", log)
            with open(out) as f:
                result = json.load(f)
            self.assertEqual(result["event"], {"from": "cli"})
            self.assertEqual(result["memory"], "256")


class ServiceCallsTest(unittest.TestCase):
    def test_function_calls_tarmac_s3_without_an_endpoint_in_its_code(self):
        code = r'''
import boto3

def handler(event, context):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=event["bucket"])
    s3.put_object(Bucket=event["bucket"], Key="from-lambda.txt", Body=b"written by a function")
    body = s3.get_object(Bucket=event["bucket"], Key="from-lambda.txt")["Body"].read().decode()
    return {"body": body}
'''
        with Tarmac() as t:
            health = t.get_json("/_tarmac/health")[1]
            if "s3" not in health["services"]:
                self.skipTest("this build has no S3 service")
            client = lambda_client(t)
            client.create_function(FunctionName="uses-s3", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": code})}, Timeout=30)
            r = client.invoke(FunctionName="uses-s3", Payload=json.dumps({"bucket": "made-by-lambda"}))
            body = r["Payload"].read()
            self.assertNotIn("FunctionError", r, body)
            self.assertEqual(json.loads(body), {"body": "written by a function"})
            # The object is really in Tarmac's S3.
            s3 = boto3_client(t, "s3")
            got = s3.get_object(Bucket="made-by-lambda", Key="from-lambda.txt")["Body"].read()
            self.assertEqual(got, b"written by a function")
            # And the function's S3 calls joined the invocation's trace.
            trace = deliveries(t, "uses-s3")[0]["traceId"]
            self.assertEqual(t.stop(), 0)
            exported = run_tarmac("traces", "export", "--state", t.state, "--trace", trace)
        self.assertEqual(exported.returncode, 0, exported.stderr)
        doc = json.loads(exported.stdout)
        names = [s["name"] for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
        self.assertIn("uses-s3 invoke", names)
        self.assertIn("dispatch uses-s3", names)
        self.assertTrue(any(n.lower().startswith("s3 put") for n in names), names)


    def test_create_function_from_a_package_in_tarmac_s3(self):
        with Tarmac() as t:
            if "s3" not in t.get_json("/_tarmac/health")[1]["services"]:
                self.skipTest("this build has no S3 service")
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="packages")
            s3.put_object(Bucket="packages", Key="fn/v1.zip", Body=make_zip({"app.py": PYTHON_APP}))
            client = lambda_client(t)
            created = client.create_function(FunctionName="from-s3", Runtime="python3.11", Handler="app.handler",
                                             Role=ROLE, Code={"S3Bucket": "packages", "S3Key": "fn/v1.zip"})
            self.assertGreater(created["CodeSize"], 0)
            r = client.invoke(FunctionName="from-s3", Payload=b'{"via": "s3"}')
            self.assertEqual(json.loads(r["Payload"].read())["event"], {"via": "s3"})
            s3.put_object(Bucket="packages", Key="fn/v2.zip",
                          Body=make_zip({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
            client.update_function_code(FunctionName="from-s3", S3Bucket="packages", S3Key="fn/v2.zip")
            self.assertEqual(json.loads(client.invoke(FunctionName="from-s3")["Payload"].read()), "v2")
            with self.assertRaises(client.exceptions.InvalidParameterValueException) as ctx:
                client.create_function(FunctionName="nope", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                       Code={"S3Bucket": "packages", "S3Key": "missing.zip"})
            self.assertIn("NoSuchKey", str(ctx.exception))


class ManagementTest(unittest.TestCase):
    def test_get_list_update_concurrency_delete(self):
        with Tarmac() as t:
            client = lambda_client(t)
            package = make_zip({"app.py": PYTHON_APP})
            for name in ("m1", "m2", "m3"):
                client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                       Code={"ZipFile": package}, Tags={"team": name})
            with self.assertRaises(client.exceptions.ResourceConflictException):
                client.create_function(FunctionName="m1", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                       Code={"ZipFile": package})
            got = client.get_function(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:m1")
            self.assertEqual(got["Configuration"]["FunctionName"], "m1")
            self.assertEqual(got["Configuration"]["LastUpdateStatus"], "Successful")
            self.assertEqual(got["Tags"], {"team": "m1"})
            self.assertRegex(got["Configuration"]["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
            import urllib.request
            with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as resp:
                self.assertEqual(resp.read(), package)
            client.get_waiter("function_active_v2").wait(FunctionName="m1")

            paginator = client.get_paginator("list_functions")
            names = [f["FunctionName"] for page in paginator.paginate(PaginationConfig={"PageSize": 2})
                     for f in page["Functions"]]
            self.assertEqual(sorted(names), ["m1", "m2", "m3"])

            before = json.loads(client.invoke(FunctionName="m1")["Payload"].read())
            updated = client.update_function_configuration(FunctionName="m1", Environment={"Variables": {"GREETING": "bonjour"}},
                                                           Timeout=10)
            self.assertEqual(updated["Timeout"], 10)
            after = json.loads(client.invoke(FunctionName="m1")["Payload"].read())
            self.assertEqual(after["env"]["GREETING"], "bonjour")
            self.assertNotEqual(after["pid"], before["pid"])  # a new configuration, a new instance

            new_code = make_zip({"app.py": "def handler(e, c):\n    return {'version': 2}\n"})
            client.update_function_code(FunctionName="m1", ZipFile=new_code)
            client.get_waiter("function_updated_v2").wait(FunctionName="m1")
            self.assertEqual(json.loads(client.invoke(FunctionName="m1")["Payload"].read()), {"version": 2})

            with self.assertRaises(client.exceptions.InvalidParameterValueException):
                client.update_function_configuration(FunctionName="m1", Environment={"Variables": {"AWS_REGION": "x"}})
            with self.assertRaises(client.exceptions.InvalidParameterValueException):
                client.create_function(FunctionName="bad-rt", Runtime="cobol85", Handler="a.b", Role=ROLE,
                                       Code={"ZipFile": package})
            with self.assertRaises(client.exceptions.InvalidParameterValueException):
                client.create_function(FunctionName="bad-zip", Runtime="python3.11", Handler="a.b", Role=ROLE,
                                       Code={"ZipFile": b"this is not a zip"})

            self.assertEqual(client.put_function_concurrency(FunctionName="m2", ReservedConcurrentExecutions=0)
                             ["ReservedConcurrentExecutions"], 0)
            self.assertEqual(client.get_function_concurrency(FunctionName="m2")["ReservedConcurrentExecutions"], 0)
            with self.assertRaises(client.exceptions.TooManyRequestsException) as ctx:
                client.invoke(FunctionName="m2")
            self.assertEqual(ctx.exception.response["Error"]["Code"], "TooManyRequestsException")
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)
            client.delete_function_concurrency(FunctionName="m2")
            self.assertNotIn("FunctionError", client.invoke(FunctionName="m2"))

            config = client.put_function_event_invoke_config(
                FunctionName="m3", MaximumRetryAttempts=1,
                DestinationConfig={"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:m2"}})
            self.assertEqual(config["MaximumRetryAttempts"], 1)
            got = client.get_function_event_invoke_config(FunctionName="m3")
            self.assertEqual(got["DestinationConfig"]["OnFailure"]["Destination"],
                             "arn:aws:lambda:us-east-1:000000000000:function:m2")

            client.delete_function(FunctionName="m3")
            with self.assertRaises(client.exceptions.ResourceNotFoundException):
                client.get_function(FunctionName="m3")
            with self.assertRaises(client.exceptions.ResourceNotFoundException):
                client.invoke(FunctionName="m3")
            with self.assertRaises(client.exceptions.ResourceNotFoundException):
                client.invoke(FunctionName="m1:prod")

    def test_functions_survive_a_restart(self):
        with tempfile.TemporaryDirectory() as tmp:
            state = os.path.join(tmp, "state")
            with Tarmac(state=state) as t:
                lambda_client(t).create_function(FunctionName="keep", Runtime="python3.11", Handler="app.handler",
                                                 Role=ROLE, Code={"ZipFile": make_zip({"app.py": PYTHON_APP})})
            with Tarmac(state=state) as t:
                r = lambda_client(t).invoke(FunctionName="keep", Payload=b'{"after": "restart"}')
                self.assertEqual(json.loads(r["Payload"].read())["event"], {"after": "restart"})


class LimitsTest(unittest.TestCase):
    def test_payload_limits_and_bad_payloads(self):
        with Tarmac() as t:
            client = lambda_client(t)
            code = "def handler(e, c):\n    return 'y' * e['n'] if 'n' in e else len(str(e))\n"
            client.create_function(FunctionName="sizes", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": code})})
            big = json.dumps({"blob": "x" * (6 * 1024 * 1024)}).encode()
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                client.invoke(FunctionName="sizes", Payload=big)
            self.assertEqual(ctx.exception.response["Error"]["Code"], "RequestEntityTooLargeException")
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 413)
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                client.invoke(FunctionName="sizes", Payload=json.dumps({"blob": "x" * 300_000}), InvocationType="Event")
            self.assertEqual(ctx.exception.response["Error"]["Code"], "RequestEntityTooLargeException")
            # Just under the limit is fine.
            ok = client.invoke(FunctionName="sizes", Payload=json.dumps({"blob": "x" * (6 * 1024 * 1024 - 100)}))
            self.assertEqual(json.loads(ok["Payload"].read()), len(str({"blob": "x" * (6 * 1024 * 1024 - 100)})))
            with self.assertRaises(client.exceptions.InvalidRequestContentException):
                client.invoke(FunctionName="sizes", Payload=b"{not json")
            # A response over 6 MB is the function's error, like Lambda's.
            r = client.invoke(FunctionName="sizes", Payload=json.dumps({"n": 7 * 1024 * 1024}))
            self.assertEqual(r["FunctionError"], "Unhandled")
            self.assertEqual(json.loads(r["Payload"].read())["errorType"], "Function.ResponseSizeTooLarge")
            self.assertEqual(json.loads(client.invoke(FunctionName="sizes", Payload=b'{"n": 3}')["Payload"].read()), "yyy")


class AsyncTest(unittest.TestCase):
    def test_retries_twice_then_on_failure_destination(self):
        with Tarmac(env=FAST_RETRIES) as t:
            client = lambda_client(t)
            client.create_function(FunctionName="flaky", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    raise RuntimeError('always')\n"})})
            client.create_function(FunctionName="dlq", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})})
            client.put_function_event_invoke_config(
                FunctionName="flaky",
                DestinationConfig={"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:dlq"}})
            r = client.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 7}')
            self.assertEqual(r["StatusCode"], 202)
            rid = r["ResponseMetadata"]["RequestId"]
            record = wait_for(lambda: next((d for d in deliveries(t, "dlq") if d["status"] == "succeeded"), None),
                              what="the on-failure destination")
            sent = record["payload"]
            self.assertEqual(sent["requestContext"]["condition"], "RetriesExhausted")
            self.assertEqual(sent["requestContext"]["approximateInvokeCount"], 3)
            self.assertEqual(sent["requestContext"]["requestId"], rid)
            self.assertEqual(sent["requestPayload"], {"order": 7})
            self.assertEqual(sent["responseContext"]["functionError"], "Unhandled")
            self.assertEqual(sent["responsePayload"]["errorMessage"], "always")
            attempts = [d for d in deliveries(t, "flaky") if d["id"] == rid]
            self.assertEqual(len(attempts), 3)
            self.assertTrue(all(d["status"] == "failed" for d in attempts))

    def test_no_retries_when_configured(self):
        with Tarmac(env=FAST_RETRIES) as t:
            client = lambda_client(t)
            client.create_function(FunctionName="once", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    raise ValueError('x')\n"})})
            client.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0)
            client.invoke(FunctionName="once", InvocationType="Event", Payload=b"{}")
            wait_for(lambda: any(d["status"] == "failed" for d in deliveries(t, "once")), what="the attempt")
            time.sleep(0.5)
            self.assertEqual(len(deliveries(t, "once")), 1)

    def test_an_acknowledged_event_survives_kill_9(self):
        with tempfile.TemporaryDirectory() as tmp:
            state = os.path.join(tmp, "state")
            with Tarmac(state=state) as t:
                client = lambda_client(t)
                client.create_function(FunctionName="later", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                       Code={"ZipFile": make_zip({"app.py": PYTHON_APP})})
                # Held by the dispatcher: acknowledged (202) but not yet run when Tarmac dies.
                tarmac_json(t, "/_tarmac/dispatch/pause", "POST")
                r = client.invoke(FunctionName="later", InvocationType="Event", Payload=b'{"durable": true}')
                self.assertEqual(r["StatusCode"], 202)
                rid = r["ResponseMetadata"]["RequestId"]
                wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"], what="the held event")
                t.kill9()
            with Tarmac(state=state) as t:
                done = wait_for(lambda: next((d for d in deliveries(t, "later")
                                              if d["id"] == rid and d["status"] == "succeeded"), None),
                                what="the event after the restart")
                self.assertEqual(done["result"]["event"], {"durable": True})


class DispatcherTest(unittest.TestCase):
    def test_pause_edit_step_drop_breakpoint_resume(self):
        with Tarmac() as t:
            client = lambda_client(t)
            client.create_function(FunctionName="echo", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": "def handler(e, c):\n    return e\n"})})
            status, state = tarmac_json(t, "/_tarmac/dispatch/pause", "POST")
            self.assertEqual(status, 200)
            self.assertTrue(state["paused"])

            results = {}

            def call(key, event):
                r = lambda_client(t).invoke(FunctionName="echo", Payload=json.dumps(event))
                results[key] = (r.get("FunctionError"), json.loads(r["Payload"].read()))

            first = threading.Thread(target=call, args=("edited", {"v": 1}))
            first.start()
            pending = wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"], what="held")
            self.assertEqual(pending[0]["payload"], {"v": 1})
            self.assertEqual(pending[0]["reason"], "paused")
            time.sleep(0.3)
            self.assertTrue(first.is_alive())  # the synchronous caller waits
            status, _ = tarmac_json(t, "/_tarmac/dispatch/pending/%s/deliver" % pending[0]["id"], "POST",
                                    {"payload": {"v": 2, "edited": True}})
            self.assertEqual(status, 200)
            first.join(10)
            self.assertEqual(results["edited"], (None, {"v": 2, "edited": True}))
            record = tarmac_json(t, "/_tarmac/dispatch/deliveries/%s" % pending[0]["id"])[1]
            self.assertTrue(record["edited"])
            self.assertEqual(record["originalPayload"], {"v": 1})

            dropped = threading.Thread(target=call, args=("dropped", {"v": 3}))
            dropped.start()
            pending = wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"], what="held")
            self.assertEqual(tarmac_json(t, "/_tarmac/dispatch/pending/%s/drop" % pending[0]["id"], "POST")[0], 200)
            dropped.join(10)
            self.assertEqual(results["dropped"][0], "Unhandled")
            self.assertEqual(results["dropped"][1]["errorType"], "Tarmac.Dropped")

            stepped = threading.Thread(target=call, args=("stepped", {"v": 4}))
            stepped.start()
            wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"], what="held")
            status, body = tarmac_json(t, "/_tarmac/dispatch/step", "POST")
            self.assertEqual(status, 200)
            stepped.join(10)
            self.assertEqual(results["stepped"], (None, {"v": 4}))
            self.assertEqual(tarmac_json(t, "/_tarmac/dispatch/step", "POST")[0], 404)

            # Breakpoints hold only what they match, while delivery runs.
            tarmac_json(t, "/_tarmac/dispatch/resume", "POST")
            status, bp = tarmac_json(t, "/_tarmac/dispatch/breakpoints", "POST",
                                     {"function": "echo", "path": "$.order.total", "op": "equals", "value": 100})
            self.assertEqual(status, 201)
            self.assertEqual(tarmac_json(t, "/_tarmac/dispatch/breakpoints", "POST", {"path": "nope"})[0], 400)
            call("free", {"order": {"total": 5}})
            self.assertEqual(results["free"], (None, {"order": {"total": 5}}))
            caught = threading.Thread(target=call, args=("caught", {"order": {"total": 100}}))
            caught.start()
            pending = wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"], what="breakpoint")
            self.assertEqual(pending[0]["reason"], "breakpoint")
            self.assertEqual(pending[0]["breakpoint"], bp["id"])
            tarmac_json(t, "/_tarmac/dispatch/resume", "POST")
            caught.join(10)
            self.assertEqual(results["caught"], (None, {"order": {"total": 100}}))
            self.assertEqual(tarmac_json(t, "/_tarmac/dispatch/breakpoints/%d" % bp["id"], "DELETE")[0], 204)
            state = tarmac_json(t, "/_tarmac/dispatch")[1]
            self.assertEqual(state, {"paused": False, "pending": 0, "breakpoints": []})


class ProcessCleanupTest(unittest.TestCase):
    def start_functions(self, t):
        client = lambda_client(t)
        client.create_function(FunctionName="py", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                               Code={"ZipFile": make_zip({"app.py": PYTHON_APP})})
        client.create_function(FunctionName="node", Runtime="nodejs20.x", Handler="index.handler", Role=ROLE,
                               Code={"ZipFile": make_zip({"index.js": NODE_CJS})})
        pids = [json.loads(client.invoke(FunctionName=n)["Payload"].read())["pid"] for n in ("py", "node")]
        self.assertTrue(all(process_alive(p) for p in pids))
        return pids

    def test_no_orphans_after_sigterm(self):
        t = Tarmac().start()
        try:
            pids = self.start_functions(t)
        finally:
            code = t.stop()
        self.assertEqual(code, 0)
        self.assertFalse([p for p in pids if process_alive(p)])

    def test_no_orphans_after_kill_9(self):
        t = Tarmac().start()
        try:
            pids = self.start_functions(t)
            os.kill(t.proc.pid, signal.SIGKILL)  # Tarmac alone, not its process group
            t.proc.wait()
            wait_for(lambda: not any(process_alive(p) for p in pids), timeout=5, what="the functions to die")
        finally:
            t.stop()


class InvokeCommandTest(unittest.TestCase):
    def test_invoke_a_function_given_on_the_command_line(self):
        with tempfile.TemporaryDirectory() as code:
            with open(os.path.join(code, "app.py"), "w") as f:
                f.write("def handler(event, context):\n    print('logging to stderr')\n"
                        "    if event.get('fail'):\n        raise KeyError('nope')\n    return {'got': event}\n")
            ok = subprocess.run([tarmac_binary(), "invoke", "cli", "--runtime", "python3.11", "--handler",
                                 "app.handler", "--code", code, "--event", "-"],
                                input='{"a": 1}', capture_output=True, text=True, timeout=30)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertEqual(json.loads(ok.stdout), {"got": {"a": 1}})
            self.assertIn("logging to stderr", ok.stderr)
            self.assertIn("REPORT RequestId:", ok.stderr)
            event = os.path.join(code, "event.json")
            with open(event, "w") as f:
                f.write('{"fail": true}')
            failed = run_tarmac("invoke", "cli", "--runtime", "python3.11", "--handler", "app.handler",
                                "--code", code, "--event", event)
            self.assertEqual(failed.returncode, 1)
            self.assertEqual(json.loads(failed.stdout)["errorType"], "KeyError")

    def test_invoke_a_function_of_a_project(self):
        with tempfile.TemporaryDirectory() as project:
            os.makedirs(os.path.join(project, "src"))
            with open(os.path.join(project, "src", "index.mjs"), "w") as f:
                f.write("export const handler = async (event) => ({ fromTemplate: process.env.STAGE, event });\n")
            with open(os.path.join(project, "template.yaml"), "w") as f:
                f.write("AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
                        "Resources:\n  HelloFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                        "      CodeUri: src/\n      Handler: index.handler\n      Runtime: nodejs20.x\n"
                        "      Environment:\n        Variables:\n          STAGE: local\n")
            r = run_tarmac("invoke", "HelloFunction", project)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout), {"fromTemplate": "local", "event": {}})
            missing = run_tarmac("invoke", "Nope", project)
            self.assertEqual(missing.returncode, 2)
            self.assertIn("HelloFunction", missing.stderr)

    def test_a_project_function_finds_the_project_resources(self):
        with tempfile.TemporaryDirectory() as project:
            os.makedirs(os.path.join(project, "src"))
            with open(os.path.join(project, "src", "app.py"), "w") as f:
                f.write("import boto3, os\n\ndef handler(event, context):\n"
                        "    boto3.client('s3').head_bucket(Bucket=os.environ['BUCKET'])\n"
                        "    return {'bucket': os.environ['BUCKET']}\n")
            with open(os.path.join(project, "template.yaml"), "w") as f:
                f.write("Transform: AWS::Serverless-2016-10-31\nResources:\n"
                        "  Uploads:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: invoke-uploads\n"
                        "  Check:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
                        "      Handler: app.handler\n      Runtime: python3.11\n      Timeout: 20\n"
                        "      Environment:\n        Variables:\n          BUCKET: !Ref Uploads\n")
            r = run_tarmac("invoke", "Check", project)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(json.loads(r.stdout), {"bucket": "invoke-uploads"})


if __name__ == "__main__":
    unittest.main()
