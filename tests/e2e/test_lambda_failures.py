"""How functions fail, as Lambda reports it, and that the next invocation works: a handler
that raises, sleeps past its timeout, allocates past its memory, exits, prints 10 MB, or
does not even load (syntax error, missing handler, missing bootstrap)."""
import base64
import json
import time
import unittest

from harness import Tarmac, boto3_client
from lambda_support import ROLE, make_zip, tarmac_json

PYTHON_FAILURES = r'''
import os, sys, time

def handler(event, context):
    mode = event.get("mode")
    if mode == "raise":
        raise ValueError("boom")
    if mode == "sleep":
        time.sleep(30)
    if mode == "memory":
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    if mode == "exit":
        sys.exit(3)
    if mode == "spam":
        line = "x" * 1023
        for _ in range(10 * 1024):
            print(line)
        return {"printed": 10 * 1024 * 1024}
    return {"ok": True, "pid": os.getpid()}
'''

NODE_FAILURES = r'''
exports.handler = async (event) => {
  if (event.mode === 'throw') throw new TypeError('bad type');
  if (event.mode === 'reject') return Promise.reject(new Error('rejected'));
  if (event.mode === 'string') throw 'just a string';
  if (event.mode === 'exit') process.exit(3);
  if (event.mode === 'unhandled') { Promise.reject(new Error('nobody listens')); await new Promise(r => setTimeout(r, 50)); }
  if (event.mode === 'sleep') await new Promise(r => setTimeout(r, 30000));
  return { ok: true, pid: process.pid };
};
'''


class FailuresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.client = boto3_client(cls.tarmac, "lambda", read_timeout=60)
        cls.client.create_function(FunctionName="py-fail", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"app.py": PYTHON_FAILURES})}, Timeout=1, MemorySize=128)
        cls.client.create_function(FunctionName="node-fail", Runtime="nodejs20.x", Handler="index.handler", Role=ROLE,
                                   Code={"ZipFile": make_zip({"index.js": NODE_FAILURES})}, Timeout=1)

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def invoke(self, name, event):
        r = self.client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
        body = r["Payload"].read()
        return r, json.loads(body), base64.b64decode(r["LogResult"]).decode(errors="replace")

    def assert_next_works(self, name):
        r, body, _ = self.invoke(name, {"mode": "ok"})
        self.assertNotIn("FunctionError", r, body)
        self.assertEqual(body["ok"], True)
        return body["pid"]

    def assert_failure(self, name, mode, error_type, message):
        r, body, log = self.invoke(name, {"mode": mode})
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], error_type, body)
        self.assertIn(message, body["errorMessage"])
        self.assertIn("REPORT RequestId: %s" % r["ResponseMetadata"]["RequestId"], log)
        return body, log

    def test_python_raise(self):
        body, log = self.assert_failure("py-fail", "raise", "ValueError", "boom")
        self.assertEqual(body["requestId"], body["requestId"])
        self.assertTrue(any("raise ValueError" in line for line in body["stackTrace"]), body)
        self.assertIn("[ERROR] ValueError: boom", log)
        self.assert_next_works("py-fail")

    def test_python_timeout(self):
        started = time.monotonic()
        body, log = self.assert_failure("py-fail", "sleep", "Sandbox.Timedout", "Task timed out after 1.00 seconds")
        self.assertLess(time.monotonic() - started, 5)
        self.assertRegex(log, r"\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 1.00 seconds")
        self.assert_next_works("py-fail")

    def test_python_memory(self):
        body, log = self.assert_failure("py-fail", "memory", "Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
        self.assertIn("Error Type: Runtime.OutOfMemory", log)
        self.assert_next_works("py-fail")

    def test_python_exit(self):
        self.assert_failure("py-fail", "exit", "Runtime.ExitError", "Runtime exited with error: exit status 3")
        self.assert_next_works("py-fail")

    def test_python_ten_megabytes_of_output(self):
        pid = self.assert_next_works("py-fail")
        r, body, log = self.invoke("py-fail", {"mode": "spam"})
        self.assertNotIn("FunctionError", r)
        self.assertEqual(body, {"printed": 10 * 1024 * 1024})
        self.assertLessEqual(len(log), 4096)
        self.assertIn("REPORT RequestId", log)
        self.assertIn("were not recorded", log)  # the capture is bounded, and says so
        self.assertEqual(self.assert_next_works("py-fail"), pid)  # the same instance goes on

    def test_python_syntax_error_then_fixed(self):
        self.client.create_function(FunctionName="py-syntax", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                                    Code={"ZipFile": make_zip({"app.py": "def handler(event, context)\n    return 1\n"})})
        body, log = self.assert_failure("py-syntax", {"mode": "ok"} and "ok", "Runtime.UserCodeSyntaxError",
                                        "Syntax error in module 'app'")
        self.assertIn("[ERROR] Runtime.UserCodeSyntaxError", log)
        # Lambda runs init again on the next invocation: still broken, still reported.
        self.assert_failure("py-syntax", "ok", "Runtime.UserCodeSyntaxError", "Syntax error")
        self.client.update_function_code(FunctionName="py-syntax",
                                         ZipFile=make_zip({"app.py": "def handler(e, c):\n    return {'ok': True, 'pid': 1}\n"}))
        self.assert_next_works("py-syntax")

    def test_python_missing_module_and_handler(self):
        self.client.create_function(FunctionName="py-nomodule", Runtime="python3.11", Handler="nothere.handler",
                                    Role=ROLE, Code={"ZipFile": make_zip({"app.py": "x = 1\n"})})
        self.assert_failure("py-nomodule", "ok", "Runtime.ImportModuleError", "Unable to import module 'nothere'")
        self.client.create_function(FunctionName="py-nohandler", Runtime="python3.11", Handler="app.missing",
                                    Role=ROLE, Code={"ZipFile": make_zip({"app.py": "x = 1\n"})})
        self.assert_failure("py-nohandler", "ok", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'")

    def test_node_errors(self):
        body, log = self.assert_failure("node-fail", "throw", "TypeError", "bad type")
        self.assertEqual(body["trace"][0], "TypeError: bad type")
        self.assertIn("ERROR\tInvoke Error", log)
        self.assert_next_works("node-fail")
        self.assert_failure("node-fail", "reject", "Error", "rejected")
        body, _ = self.assert_failure("node-fail", "string", "string", "just a string")
        self.assert_next_works("node-fail")

    def test_node_exit_timeout_and_unhandled_rejection(self):
        self.assert_failure("node-fail", "exit", "Runtime.ExitError", "exit status 3")
        self.assert_next_works("node-fail")
        self.assert_failure("node-fail", "sleep", "Sandbox.Timedout", "Task timed out after 1.00 seconds")
        self.assert_next_works("node-fail")
        self.assert_failure("node-fail", "unhandled", "Runtime.UnhandledPromiseRejection", "nobody listens")
        self.assert_next_works("node-fail")

    def test_node_load_errors(self):
        self.client.create_function(FunctionName="node-syntax", Runtime="nodejs20.x", Handler="index.handler",
                                    Role=ROLE, Code={"ZipFile": make_zip({"index.mjs": "export const handler = async ( => 1;\n"})})
        self.assert_failure("node-syntax", "ok", "Runtime.UserCodeSyntaxError", "SyntaxError")
        self.client.create_function(FunctionName="node-nohandler", Runtime="nodejs20.x", Handler="index.nope",
                                    Role=ROLE, Code={"ZipFile": make_zip({"index.js": "exports.other = 1;\n"})})
        self.assert_failure("node-nohandler", "ok", "Runtime.HandlerNotFound", "index.nope is undefined or not exported")
        self.client.create_function(FunctionName="node-nomodule", Runtime="nodejs20.x", Handler="missing.handler",
                                    Role=ROLE, Code={"ZipFile": make_zip({"index.js": "exports.handler = 1;\n"})})
        self.assert_failure("node-nomodule", "ok", "Runtime.ImportModuleError", "Cannot find module 'missing'")

    def test_provided_without_bootstrap(self):
        self.client.create_function(FunctionName="no-bootstrap", Runtime="provided.al2023", Handler="x", Role=ROLE,
                                    Code={"ZipFile": make_zip({"README": "no bootstrap here"})})
        self.assert_failure("no-bootstrap", "ok", "Runtime.InvalidEntrypoint", "Couldn't find valid bootstrap(s)")
        self.client.create_function(FunctionName="not-executable", Runtime="provided", Handler="x", Role=ROLE,
                                    Code={"ZipFile": make_zip({"bootstrap": ("#!/bin/sh\nexit 0\n", 0o644)})})
        self.assert_failure("not-executable", "ok", "Runtime.InvalidEntrypoint", "permission denied")

    def test_failures_are_recorded_by_the_dispatcher(self):
        self.invoke("py-fail", {"mode": "raise"})
        _, body = tarmac_json(self.tarmac, "/_tarmac/dispatch/deliveries?function=py-fail&limit=1&bodies=1")
        record = body["deliveries"][0]
        self.assertEqual(record["status"], "failed")
        self.assertEqual(record["errorType"], "ValueError")
        self.assertEqual(record["result"]["errorMessage"], "boom")


if __name__ == "__main__":
    unittest.main()
