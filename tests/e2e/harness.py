"""Runs the real `tarmac` binary for end-to-end tests.

`Tarmac` starts `tarmac serve` on free ports, waits for the ready line, and always stops the
process (SIGTERM, then SIGKILL) when the `with` block ends, whatever happened inside it.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

READY = re.compile(
    r"^tarmac ready edge=(http://[^ ]+) api=(http://[^ ]+) ide=(ws://[^ ]+)$")

TARMAC = os.path.abspath(os.environ.get("TARMAC_BIN") or os.path.join(
    os.environ.get("TARMAC_BINARY_DIR", "build"), "bin", "tarmac"))


def tarmac_binary():
    return TARMAC


class Tarmac:
    def __init__(self, *args, state=None, project=None, env=None, ready_timeout=15.0,
                 ephemeral=False, cwd=None):
        self.args = list(args)
        self.state = state
        self.ephemeral = ephemeral
        self.project = project
        self.env = dict(os.environ, **(env or {}))
        self.ready_timeout = ready_timeout
        self.cwd = cwd
        self.proc = None
        self.edge = self.api = self.ide = None
        self.stdout_lines = []
        self.stderr_lines = []
        self._tmp = None

    def start(self):
        cmd = [TARMAC, "serve"]
        if self.project:
            cmd.append(self.project)
        if self.ephemeral:
            cmd.append("--ephemeral")  # a state of its own, removed when it stops
        else:
            if self.state is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="tarmac-e2e-")
                self.state = os.path.join(self._tmp.name, "state")
            cmd += ["--state", self.state]
        cmd += ["--port", "0", "--api-port", "0", "--ide-port", "0"]
        cmd += self.args
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=self.env,
                                     start_new_session=True, cwd=self.cwd)
        self._stderr_reader = threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr_lines),
                                               daemon=True)
        self._stderr_reader.start()
        ready = threading.Event()

        def read_stdout():
            for line in self.proc.stdout:
                self.stdout_lines.append(line.rstrip("\n"))
                m = READY.match(self.stdout_lines[-1])
                if m and not ready.is_set():
                    self.edge, self.api, self.ide = m.groups()
                    self.ready_after = time.monotonic() - self.started_at
                    ready.set()
            ready.set()

        threading.Thread(target=read_stdout, daemon=True).start()
        if not ready.wait(self.ready_timeout) or not self.edge:
            self.stop()
            raise RuntimeError("tarmac did not become ready: %s" % "\n".join(self.stderr_lines))
        return self

    @staticmethod
    def _drain(stream, lines):
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_log(self, match, timeout=10.0):
        """The first stderr line containing `match` (a string) or for which `match` (a
        callable) is true, waiting for it: the log is read by a thread, so a line Tarmac wrote
        before its ready line or before it answered a request can still be on its way."""
        test = match if callable(match) else (lambda line: match in line)
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in list(self.stderr_lines) if test(line)), None)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError("no log line matching %r in %.1f s; last lines:\n%s"
                                     % (match, timeout, "\n".join(self.stderr_lines[-20:])))
            time.sleep(0.02)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15.0):
        return self.proc.wait(timeout)

    def stop(self, timeout=15.0):
        """SIGTERM and wait; SIGKILL if it does not stop. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._stderr_reader.join(5)  # every line it wrote, read
        return self.proc.returncode

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._tmp:
            self._tmp.cleanup()

    # Small helpers for tests.
    def get_json(self, path, base=None):
        with urllib.request.urlopen((base or self.edge) + path, timeout=10) as r:
            return r.status, json.loads(r.read())

    def client_env(self):
        """Environment for aws CLI / boto3 subprocesses pointed at this Tarmac."""
        return dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                    AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=self.edge,
                    AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
                    AWS_SHARED_CREDENTIALS_FILE="/dev/null")


def run_tarmac(*args, timeout=30, **kw):
    return subprocess.run([TARMAC, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def boto3_client(tarmac, service, **kw):
    import boto3
    import botocore.config
    return boto3.client(service, endpoint_url=tarmac.edge, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}, **kw))


def code_of(ctx):
    """The AWS error code of a botocore ClientError caught by assertRaises."""
    return ctx.exception.response["Error"]["Code"]


def status_of(ctx):
    return ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"]


JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def run_node_script(test, tarmac, script, marker, timeout=120):
    """Runs js/<script> (AWS SDK for JavaScript v3) against `tarmac`; it must print `marker`.
    Skips when node or the JS clients are not installed."""
    import shutil
    if not shutil.which("node"):
        test.skipTest("node is not installed")
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-s3")):
        test.skipTest("run tools/install-deps --with-tests to install the JS clients")
    env = dict(os.environ, TARMAC_EDGE=tarmac.edge, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
    r = subprocess.run(["node", script], cwd=JS_DIR, env=env, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    test.assertIn(marker, r.stdout)


def aws_cli(test, tarmac, key="test", secret="test"):
    """A function running the aws CLI against `tarmac` with these credentials: aws(*args)
    returns the parsed JSON output (checking the exit status), aws(*args, ok=False) the
    CompletedProcess."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1")

    def aws(*args, ok=True):
        r = subprocess.run(["aws", "--endpoint-url", tarmac.edge, "--output", "json", *args],
                           env=env, capture_output=True, text=True, timeout=60)
        if not ok:
            return r
        test.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}
    return aws
