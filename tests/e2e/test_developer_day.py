"""A developer's day: what the terminal shows (the console log in text and JSON, its levels),
where the state is, log levels as the runtimes write them, template names wherever a function
is named, load errors, stack names, and the desktop app's clean exit on SIGTERM and SIGINT."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import TARMAC, Tarmac, boto3_client, run_tarmac
from lambda_support import physical_name, tarmac_json, wait_for

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  UploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-uploads'
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.missing
      Runtime: python3.11
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref UploadsBucket
            Events: s3:ObjectCreated:*
  LoggingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
  ReaderFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.read
      Runtime: python3.11
      Environment:
        Variables:
          BUCKET: !Ref UploadsBucket
  NodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: index.handler
      Runtime: nodejs20.x
Outputs:
  Uploads:
    Value: !Ref UploadsBucket
"""

APP_PY = """\
import logging
import os
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    print("plain line from print")
    logger.info("an info record")
    logger.warning("a warning record")
    logger.error("an error record\\nwith a second line")
    if event.get("fail"):
        raise ValueError("it failed on purpose")
    return {"ok": True}

def read(event, context):
    import boto3
    body = boto3.client("s3").get_object(Bucket=os.environ["BUCKET"], Key="seed.txt")["Body"]
    return body.read().decode()
"""

INDEX_JS = """\
exports.handler = async (event) => {
  console.log("node info line");
  console.warn("node warn line");
  console.error("node error line");
  return { ok: true };
};
"""

ANSI = re.compile(r"\x1b\[")


def make_project(root, stack_dir="day"):
    project = os.path.join(root, stack_dir)
    os.makedirs(os.path.join(project, "src"))
    os.makedirs(os.path.join(project, "node"))
    with open(os.path.join(project, "template.yaml"), "w") as f:
        f.write(TEMPLATE)
    with open(os.path.join(project, "src", "app.py"), "w") as f:
        f.write(APP_PY)
    with open(os.path.join(project, "node", "index.js"), "w") as f:
        f.write(INDEX_JS)
    return project


def wait_lines(t, predicate, what, timeout=20.0):
    return wait_for(lambda: [l for l in list(t.stderr_lines) if predicate(l)], timeout=timeout,
                    what=what + "\n" + "\n".join(t.stderr_lines[-20:]))


def upload(t, bucket, key, body=b"hello"):
    boto3_client(t, "s3").put_object(Bucket=bucket, Key=key, Body=body)


def invoke(t, logical, payload=None):
    lam = boto3_client(t, "lambda", read_timeout=60)
    return lam.invoke(FunctionName=physical_name(t, logical), Payload=json.dumps(payload or {}).encode())


class DeveloperDay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-e2e-day-")
        cls.project = make_project(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_console_log_text(self):
        """A failing function is visible: the request, the failed delivery with the template's
        name, and every function line, plain when piped."""
        with Tarmac(project=self.project) as t:
            upload(t, "day-uploads", "a.txt")
            request = wait_lines(t, lambda l: "s3 PutObject" in l and "/day-uploads/a.txt" in l,
                                 "the PutObject line")[0]
            self.assertRegex(request, r"^\d\d:\d\d:\d\d\.\d{3}  s3 PutObject  PUT "
                                      r"/day-uploads/a\.txt  200  [\d.]+ m?s  trace [0-9a-f]{32}$")
            # The function's own [ERROR] line may come first: wait for the failure line.
            failed = wait_lines(t, lambda l: "BrokenFunction" in l and "HandlerNotFound" in l
                                and "failed" in l, "the failed delivery with the logical id")
            self.assertTrue(failed)
            # Retries are said as such (the S3 event is an asynchronous invocation).
            wait_lines(t, lambda l: "BrokenFunction" in l and "retry 1 of 2" in l, "a retry line")
            # Function output: prefixed with the logical id and the request id's first 8.
            invoke(t, "LoggingFunction")
            lines = wait_lines(t, lambda l: "LoggingFunction " in l and "an error record" in l,
                               "the function's error line")
            self.assertRegex(lines[0], r"  LoggingFunction [0-9a-f]{8}  \[ERROR\]")
            # A multi-line record is one terminal line per line, each with the prefix.
            wait_lines(t, lambda l: re.search(r"LoggingFunction [0-9a-f]{8}  with a second line$", l),
                       "the record's second line")
            wait_lines(t, lambda l: "LoggingFunction " in l and "REPORT RequestId:" in l, "REPORT")
            # Tarmac's own requests (/_tarmac/) are for --log-level debug.
            t.get_json("/_tarmac/health")
            time.sleep(0.4)
            self.assertFalse([l for l in t.stderr_lines if "/_tarmac/health" in l])
            self.assertFalse([l for l in t.stderr_lines if ANSI.search(l)], "colour in a pipe")
            self.assertFalse([l for l in t.stderr_lines if "\r" in l])

    def test_console_log_json(self):
        with Tarmac("--log-format", "json", project=self.project) as t:
            upload(t, "day-uploads", "b.txt")
            invoke(t, "LoggingFunction")

            def parsed():
                out = []
                for line in list(t.stderr_lines):
                    if line.startswith("{"):
                        out.append(json.loads(line))  # every JSON line parses
                return out
            request = wait_for(lambda: [o for o in parsed() if o.get("kind") == "request"
                                        and o.get("operation") == "PutObject"], what="request")[0]
            self.assertEqual(request["service"], "s3")
            self.assertEqual(request["method"], "PUT")
            self.assertEqual(request["path"], "/day-uploads/b.txt")
            self.assertEqual(request["status"], 200)
            self.assertRegex(request["traceId"], r"^[0-9a-f]{32}$")
            self.assertIsInstance(request["durationMs"], float)
            error = wait_for(lambda: [o for o in parsed() if o.get("kind") == "log"
                                      and "an error record" in o.get("message", "")],
                             what="log")[0]
            self.assertEqual(error["function"], "LoggingFunction")
            self.assertTrue(error["functionName"].startswith("day-LoggingFunction-"))
            self.assertEqual(error["level"], "ERROR")
            self.assertTrue(error["message"].startswith("[ERROR]\t"), error["message"])
            self.assertIn("\nwith a second line", error["message"])
            warn = [o for o in parsed() if o.get("kind") == "log"
                    and "a warning record" in o.get("message", "")]
            self.assertEqual(warn[0]["level"], "WARN")
            failed = wait_for(lambda: [o for o in parsed() if o.get("function") == "BrokenFunction"
                                       and "HandlerNotFound" in o.get("error", "")], what="failure")
            self.assertIn(failed[0]["kind"], ("invocation", "delivery"))

    def test_log_levels(self):
        with Tarmac("--log-level", "errors", project=self.project) as t:
            invoke(t, "LoggingFunction")
            wait_lines(t, lambda l: "an error record" in l, "the error line")
            time.sleep(0.4)
            self.assertFalse([l for l in t.stderr_lines if "a warning record" in l
                              or "PutObject" in l or "Invoke" in l or "START RequestId" in l],
                             t.stderr_lines)
        with Tarmac("--log-level", "quiet", project=self.project) as t:
            invoke(t, "LoggingFunction")
            time.sleep(0.5)
            self.assertEqual(t.stderr_lines, [])
        r = run_tarmac("serve", "--log-level", "loud", self.project)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--log-level takes quiet, errors, info or debug", r.stderr)

    def test_levels_in_the_export(self):
        """Python's [ERROR] and Node's \\tERROR\\t lines are ERROR (17) in the OTLP export."""
        with Tarmac(project=self.project, ephemeral=True) as t:
            invoke(t, "LoggingFunction")
            invoke(t, "NodeFunction")
            exported = run_tarmac("traces", "export", "--edge", t.edge)
            self.assertEqual(exported.returncode, 0, exported.stderr)
            doc = json.loads(exported.stdout)
            severity = {}
            for rl in doc["resourceLogs"]:
                for sl in rl["scopeLogs"]:
                    for rec in sl["logRecords"]:
                        severity[rec["body"]["stringValue"]] = rec.get("severityNumber")
            def level_of(fragment):
                hits = [v for k, v in severity.items() if fragment in k]
                self.assertTrue(hits, "%s not exported: %s" % (fragment, list(severity)[:20]))
                return hits[0]
            self.assertEqual(level_of("an error record"), 17)
            self.assertEqual(level_of("a warning record"), 13)
            self.assertEqual(level_of("an info record"), 9)
            self.assertEqual(level_of("plain line from print"), 9)
            self.assertEqual(level_of("node error line"), 17)
            self.assertEqual(level_of("node warn line"), 13)
            self.assertEqual(level_of("node info line"), 9)

    def test_state_is_named(self):
        with Tarmac(project=self.project, ephemeral=True) as t:
            # Written before the ready line, but stderr is read on a thread of its own.
            said = wait_lines(t, lambda l: "state in " in l, "the state line")
            m = re.search(r"state in (\S+) \(ephemeral: removed at exit\)", said[0])
            self.assertTrue(m, said[0])
            state = m.group(1)
            self.assertTrue(os.path.isfile(os.path.join(state, "traces.db")))
            _, health = t.get_json("/_tarmac/health")
            self.assertEqual(health["state"], {"dir": state, "ephemeral": True})
            invoke(t, "LoggingFunction")
            # traces export against the running Tarmac, by trace id and whole.
            whole = run_tarmac("traces", "export", "--edge", t.edge)
            self.assertEqual(whole.returncode, 0, whole.stderr)
            spans = [s for rs in json.loads(whole.stdout)["resourceSpans"]
                     for ss in rs["scopeSpans"] for s in ss["spans"]]
            trace = spans[0]["traceId"]
            one = run_tarmac("traces", "export", "--edge", t.edge, "--trace", trace)
            self.assertEqual(one.returncode, 0, one.stderr)
            self.assertIn(trace, one.stdout)
            unknown = run_tarmac("traces", "export", "--edge", t.edge, "--trace", "0" * 32)
            self.assertEqual(unknown.returncode, 1)
            self.assertIn("no trace", unknown.stderr)
            malformed = run_tarmac("traces", "export", "--edge", t.edge, "--trace", "123")
            self.assertEqual(malformed.returncode, 2)
            self.assertIn("32 hex digits", malformed.stderr)
            status, body = tarmac_json(t, "/_tarmac/traces?trace=xyz")
            self.assertEqual(status, 400)
            self.assertEqual(body["__type"], "InvalidRequest")
        self.assertFalse(os.path.exists(state))
        # From the state folder: malformed and unknown trace ids fail too.
        with Tarmac(project=self.project) as t:
            invoke(t, "LoggingFunction")
            state = t.state
        # A state folder that cannot be made says why.
        bad = run_tarmac("serve", "--state", "/proc/version/state", "--port", "0",
                         "--api-port", "0", "--ide-port", "0")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("cannot create the state folder /proc/version/state: /proc/version is a "
                      "file, not a folder", bad.stderr)
        unknown = run_tarmac("traces", "export", "--state", state, "--trace", "f" * 32)
        self.assertEqual(unknown.returncode, 1)
        malformed = run_tarmac("traces", "export", "--state", state, "--trace", "123")
        self.assertEqual(malformed.returncode, 2)

    def test_template_names_in_the_dispatch_controls(self):
        with Tarmac(project=self.project) as t:
            status, bp = tarmac_json(t, "/_tarmac/dispatch/breakpoints", "POST",
                                     {"function": "LoggingFunction"})
            self.assertEqual(status, 201, bp)
            self.assertEqual(bp["logicalId"], "LoggingFunction")
            self.assertTrue(bp["function"].startswith("day-LoggingFunction-"))
            lam = boto3_client(t, "lambda")
            lam.invoke(FunctionName=physical_name(t, "LoggingFunction"), InvocationType="Event",
                       Payload=b"{}")
            pending = wait_for(lambda: tarmac_json(t, "/_tarmac/dispatch/pending")[1]["pending"],
                               what="the held event")
            self.assertEqual(pending[0]["reason"], "breakpoint")
            self.assertEqual(pending[0]["logicalId"], "LoggingFunction")
            status, _ = tarmac_json(t, "/_tarmac/dispatch/pending/%s/deliver" % pending[0]["id"],
                                    "POST")
            self.assertEqual(status, 200)
            records = wait_for(lambda: tarmac_json(
                t, "/_tarmac/dispatch/deliveries?function=LoggingFunction")[1]["deliveries"],
                what="deliveries by logical id")
            self.assertEqual(records[0]["logicalId"], "LoggingFunction")
            status, body = tarmac_json(t, "/_tarmac/dispatch/deliveries?limit=abc")
            self.assertEqual(status, 400)
            self.assertEqual(body["__type"], "InvalidRequest")

    def test_invoke_prints_tracebacks_as_lines(self):
        r = subprocess.run([TARMAC, "invoke", "LoggingFunction", self.project, "--event", "-"],
                           input='{"fail": true}', capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("\r", r.stderr)
        self.assertIn("\nwith a second line\n", r.stderr)
        self.assertRegex(r.stderr, r"\nTraceback \(most recent call last\):\n")
        bad = run_tarmac("invoke", "LoggingFunction", self.project, "--timeout", "abc")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--timeout takes a whole number", bad.stderr)
        helped = run_tarmac("invoke", "--help")
        self.assertTrue(helped.stdout.startswith("Usage: tarmac invoke "), helped.stdout[:80])

    def test_invoke_goes_through_a_running_serve(self):
        with Tarmac(project=self.project) as t:
            upload(t, "day-uploads", "seed.txt", b"held by serve")
            r = run_tarmac("invoke", "ReaderFunction", self.project, "--state", t.state,
                           timeout=90)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout), "held by serve")
            self.assertIn("through the Tarmac serving this project at " + t.edge, r.stderr)
            self.assertIn("REPORT RequestId:", r.stderr)  # the log tail
            # Its trace is on the running Tarmac's timeline.
            wait_for(lambda: tarmac_json(
                t, "/_tarmac/dispatch/deliveries?function=ReaderFunction")[1]["deliveries"],
                what="the invocation on the running Tarmac")
            state = t.state
        # Nobody serves it any more: an engine of its own, which holds no object.
        alone = run_tarmac("invoke", "ReaderFunction", self.project, "--state", state,
                           timeout=90)
        self.assertEqual(alone.returncode, 1, alone.stdout + alone.stderr)
        self.assertNotIn("through the Tarmac", alone.stderr)
        self.assertIn("NoSuchKey", alone.stdout + alone.stderr)

    def test_load_errors_are_one_line(self):
        project = os.path.join(self.tmp.name, "unterminated")
        os.makedirs(project)
        with open(os.path.join(project, "template.yaml"), "w") as f:
            f.write("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                    "      BucketName: \"unterminated\n  Other:\n    Type: AWS::S3::Bucket\n")
        r = run_tarmac("check", project)
        self.assertNotEqual(r.returncode, 0)
        err = (r.stdout + r.stderr).strip()
        self.assertIn("template.yaml:5:19:", err)
        self.assertIn("no closing", err)
        self.assertEqual(len(err.splitlines()), 1, err)
        r = run_tarmac("serve", project, "--ephemeral", "--port", "0", "--api-port", "0",
                       "--ide-port", "0")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        missing = run_tarmac("check", os.path.join(self.tmp.name, "no-such-folder"))
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no such folder", missing.stderr)

    def test_stack_names(self):
        with Tarmac("--stack-name", "other", project=self.project) as t:
            _, health = t.get_json("/_tarmac/health")
            self.assertEqual(health["template"]["outputs"]["Uploads"], "other-uploads")
        bad = run_tarmac("serve", self.project, "--stack-name", "9lives", "--ephemeral")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not a stack name", bad.stderr)
        # samconfig.toml's stack_name, as SAM CLI reads it: a copy keeps its names.
        copy = os.path.join(self.tmp.name, "copy-of-day")
        shutil.copytree(self.project, copy)
        with open(os.path.join(copy, "samconfig.toml"), "w") as f:
            f.write('version = 0.1\n[default.deploy.parameters]\nstack_name = "day"\n')
        with Tarmac(project=copy) as t:
            _, health = t.get_json("/_tarmac/health")
            self.assertEqual(health["template"]["outputs"]["Uploads"], "day-uploads")


class DesktopExit(unittest.TestCase):
    """`tarmac PROJECT` with a display is the desktop app (a build without it serves, which must
    stop the same way)."""
    def run_desktop_until(self, sig):
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-e2e-desktop-")
        project = make_project(tmp.name)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=tmp.name,
                   XDG_CONFIG_HOME=os.path.join(tmp.name, "config"))
        proc = subprocess.Popen([TARMAC, project, "--ephemeral", "--port", "0", "--api-port", "0",
                                 "--ide-port", "0"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                env=env, start_new_session=True)
        try:
            line = proc.stdout.readline()
            m = re.match(r"^tarmac ready edge=(http://\S+)", line)
            if not m:
                self.fail("no ready line: %r %s" % (line, proc.stderr.read()))
            with urllib.request.urlopen(m.group(1) + "/_tarmac/health", timeout=10) as r:
                state = json.loads(r.read())["state"]["dir"]
            self.assertTrue(os.path.isdir(state))
            # `tarmac` became the desktop app in the same process (exec), so that a headless
            # Tarmac never loads Qt Widgets: `tarmac` itself does not link them.
            desktop = os.path.join(os.path.dirname(os.path.realpath(TARMAC)), "tarmac-desktop")
            if os.path.exists(desktop):
                self.assertEqual(os.path.realpath("/proc/%d/exe" % proc.pid), os.path.realpath(desktop))
                with open("/proc/%d/maps" % proc.pid) as f:
                    self.assertIn("libQt6Widgets", f.read())
                libs = subprocess.run(["ldd", TARMAC], capture_output=True, text=True).stdout
                self.assertNotIn("libQt6Widgets", libs)
                self.assertNotIn("libQt6Gui", libs)
            proc.send_signal(sig)
            code = proc.wait(30)
            self.assertEqual(code, 0, proc.stderr.read())
            self.assertFalse(os.path.exists(state), "the ephemeral state folder is left behind")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            tmp.cleanup()

    def test_sigterm(self):
        self.run_desktop_until(signal.SIGTERM)

    def test_sigint(self):
        self.run_desktop_until(signal.SIGINT)


if __name__ == "__main__":
    unittest.main()
