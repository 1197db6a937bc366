"""`tarmac serve`: the command-line contract and the edge port, driven by real clients."""
import base64
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import botocore.exceptions

from harness import READY, Tarmac, boto3_client, run_tarmac


def raw_request(url, data):
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                m = re.search(rb"content-length: (\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        return out


def ws_connect(url, token=None, origin=None):
    """A minimal WebSocket client: enough to test the IDE port's gate and one call."""
    host, port = url.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    path = "/" + ("?token=" + token if token else "")
    req = ("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, host, port, key))
    if origin:
        req += "Origin: %s\r\n" % origin
    s.sendall((req + "\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def ws_send_text(s, text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81, 0x80 | len(payload)]) if len(payload) < 126 else \
        bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big")
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def ws_recv(s):
    """Returns (opcode, payload)."""
    def read(n):
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out
    b0, b1 = read(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(read(2), "big")
    elif n == 127:
        n = int.from_bytes(read(8), "big")
    return b0 & 0x0F, read(n)


class ServeContract(unittest.TestCase):
    def test_ready_line_health_and_clean_exit(self):
        t = Tarmac().start()
        try:
            self.assertEqual(len(t.stdout_lines), 1)
            self.assertRegex(t.stdout_lines[0], READY)
            for url in (t.edge, t.api, t.ide):
                self.assertIn("127.0.0.1:", url)
            status, health = t.get_json("/_tarmac/health")
            self.assertEqual(status, 200)
            self.assertEqual(health["status"], "ok")
            self.assertEqual(health["version"], run_tarmac("--version").stdout.split()[1])
            for name in ("edge", "apigateway", "ide", "store", "traces"):
                self.assertEqual(health["services"][name], "running")
        finally:
            code = t.stop()
        self.assertEqual(code, 0)
        self.assertEqual(len(t.stdout_lines), 1, "serve prints exactly one line to stdout")

    def test_sigint_also_exits_zero(self):
        t = Tarmac().start()
        t.signal(signal.SIGINT)
        self.assertEqual(t.wait(), 0)

    def test_taken_port_is_one_line_error(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            with tempfile.TemporaryDirectory() as d:
                r = run_tarmac("serve", "--state", d, "--port", str(port), "--api-port", "0",
                               "--ide-port", "0")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(str(port), lines[0])
        self.assertIn("edge", lines[0])

    def test_unwritable_state_is_one_line_error(self):
        with tempfile.NamedTemporaryFile() as f:
            r = run_tarmac("serve", "--state", os.path.join(f.name, "state"), "--port", "0",
                           "--api-port", "0", "--ide-port", "0")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("state folder", r.stderr)

    def test_state_folder_in_use(self):
        with Tarmac() as t:
            r = run_tarmac("serve", "--state", t.state, "--port", "0", "--api-port", "0",
                           "--ide-port", "0")
            self.assertEqual(r.returncode, 2)
            self.assertIn("in use", r.stderr)

    def test_bad_arguments(self):
        for args in (["serve", "--port", "99999"], ["serve", "--host", "not-an-ip"],
                     ["serve", "--bogus"], ["serve", "--ephemeral", "--state", "/tmp/x"],
                     ["no-such-command"]):
            r = run_tarmac(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertTrue(r.stderr.startswith("tarmac: "), r.stderr)

    def test_help(self):
        r = run_tarmac("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("serve", "traces export", "PROJECT"):
            self.assertIn(word, r.stdout)
        r = run_tarmac("serve", "--help")
        self.assertEqual(r.returncode, 0)
        for opt in ("--port", "--api-port", "--ide-port", "--state", "--ephemeral", "--host",
                    "--parameter-overrides", "tarmac ready"):
            self.assertIn(opt, r.stdout)

    def test_ephemeral_state_is_removed(self):
        # Started by hand: the harness always passes --state, which --ephemeral excludes.
        proc = subprocess.Popen([run_tarmac.__globals__["TARMAC"], "serve", "--ephemeral",
                                 "--port", "0", "--api-port", "0", "--ide-port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline().strip()
            self.assertRegex(line, READY)
            edge = READY.match(line).group(1)
            with urllib.request.urlopen(edge + "/_tarmac/health", timeout=5) as r:
                self.assertEqual(r.status, 200)
            def ours(d):  # other tests may run their own ephemeral Tarmac meanwhile
                try:
                    with open(os.path.join(tempfile.gettempdir(), d, "lock")) as f:
                        return f.readline().strip() == str(proc.pid)
                except OSError:
                    return False
            cmd_state = [d for d in os.listdir(tempfile.gettempdir())
                         if d.startswith("tarmac-state-") and ours(d)]
            self.assertEqual(len(cmd_state), 1)
            self.assertTrue(cmd_state)
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(15), 0)
            proc.stdout.close()
            proc.stderr.close()
        leftover = [d for d in cmd_state if os.path.exists(
            os.path.join(tempfile.gettempdir(), d, "tarmac.db"))]
        self.assertEqual(leftover, [], "the ephemeral state folder is removed at exit")


class EdgeRouting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac().start()

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def assertClientError(self, call, code, status):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call()
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(err["ResponseMetadata"]["RequestId"])

    def test_services_not_yet_emulated_answer_in_their_own_shape(self):
        # Each client parses the error in its own protocol (JSON for Kinesis, query XML for
        # STS); none hangs, none gets a bare 500. When one of these services lands, its issue
        # moves it out of this list.
        self.assertClientError(lambda: boto3_client(self.t, "kinesis").list_streams(),
                               "NotImplemented", 501)
        self.assertClientError(lambda: boto3_client(self.t, "sts").get_caller_identity(),
                               "NotImplemented", 501)

    def test_services_that_exist_are_routed(self):
        _, health = self.t.get_json("/_tarmac/health")
        for name, call in (("s3", lambda: boto3_client(self.t, "s3").list_buckets()),
                           ("lambda", lambda: boto3_client(self.t, "lambda").list_functions()),
                           ("sqs", lambda: boto3_client(self.t, "sqs").list_queues())):
            if name in health["services"]:
                self.assertEqual(health["services"][name], "running")
                self.assertEqual(call()["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_aws_cli_gets_the_error_quickly(self):
        start = time.monotonic()
        r = subprocess.run(["aws", "--endpoint-url", self.t.edge, "kinesis", "list-streams"],
                           capture_output=True, text=True,
                           env=self.t.client_env(), timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NotImplemented", r.stderr)
        self.assertLess(time.monotonic() - start, 20)

    def test_unknown_service_is_not_implemented_in_its_protocol(self):
        body = b"Action=DescribeInstances&Version=2016-11-15"
        req = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, "
               b"SignedHeaders=host, Signature=abc\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        out = raw_request(self.t.edge, req)
        head, _, payload = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 501 "), head)
        self.assertIn(b"<Code>NotImplemented</Code>", payload)  # query protocol: XML
        self.assertIn(b"does not emulate the ec2 service", payload)

    def test_ses_and_ssm_clients_read_not_implemented(self):
        """boto3 clients of services Tarmac does not emulate show a readable error."""
        import botocore.exceptions
        ses = boto3_client(self.t, "ses")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ses.send_email(Source="a@example.com", Destination={"ToAddresses": ["b@example.com"]},
                           Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotImplemented")
        self.assertIn("ses", cm.exception.response["Error"]["Message"])
        ssm = boto3_client(self.t, "ssm")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ssm.get_parameter(Name="x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotImplemented")
        sesv2 = boto3_client(self.t, "sesv2")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sesv2.get_account()
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotImplemented")
        # API Gateway's management API: 501, while /_tarmac/health says the module runs.
        apigw = boto3_client(self.t, "apigateway")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            apigw.get_rest_apis()
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 501)
        self.assertEqual(self.t.get_json("/_tarmac/health")[1]["services"]["apigateway"], "running")

    def test_tarmac_endpoints(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.t.edge + "/_tarmac/nope", timeout=5)
        self.assertEqual(cm.exception.code, 404)
        # The API port answers like an HTTP API with no matching route.
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.t.api + "/hello", timeout=5)
        self.assertEqual(cm.exception.code, 404)
        self.assertEqual(json.loads(cm.exception.read()), {"message": "Not Found"})

    def test_malformed_http_gets_400_and_close(self):
        out = raw_request(self.t.edge, b"GARBAGE\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400 "), out)

    def test_ide_port_requires_token_and_loopback_origin(self):
        token = open(os.path.join(self.t.state, "ide-token")).read().strip()
        self.assertEqual(len(token), 32)
        s, head = ws_connect(self.t.ide, token=token)
        self.assertIn(b" 101 ", head.split(b"\r\n")[0])
        ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tarmac.health"}))
        opcode, payload = ws_recv(s)
        reply = json.loads(payload)
        self.assertEqual(reply["id"], 7)
        self.assertEqual(reply["result"]["status"], "ok")
        ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 8, "method": "nope"}))
        self.assertEqual(json.loads(ws_recv(s)[1])["error"]["code"], -32601)
        s.close()
        # No token, or a wrong one: refused before the upgrade.
        for bad in (None, "0" * 32):
            s, head = ws_connect(self.t.ide, token=bad)
            self.assertIn(b" 401 ", head.split(b"\r\n")[0])
            s.close()
        # A foreign browser origin is refused during the handshake.
        s, head = ws_connect(self.t.ide, token=token, origin="http://evil.example")
        self.assertIn(b" 403 ", head.split(b"\r\n")[0])
        s.close()


class Traces(unittest.TestCase):
    def test_every_request_is_a_span_and_export_is_otlp(self):
        trace_id = "5759e988bd862e3fe1be46a994272793"
        with Tarmac() as t:
            req = urllib.request.Request(t.edge + "/_tarmac/health", headers={
                "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"})
            urllib.request.urlopen(req, timeout=5).read()
            req = urllib.request.Request(t.api + "/w3c", headers={
                "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
            with self.assertRaises(urllib.error.HTTPError):
                urllib.request.urlopen(req, timeout=5)
            with self.assertRaises(botocore.exceptions.ClientError):
                boto3_client(t, "kinesis").list_streams()
            self.assertEqual(t.stop(), 0)
            r = run_tarmac("traces", "export", "--format", "otlp-json", "--state", t.state)
            self.assertEqual(r.returncode, 0, r.stderr)
            doc = json.loads(r.stdout)
        spans = [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
        by_trace = {s["traceId"]: s for s in spans}
        health = by_trace[trace_id]
        self.assertEqual(health["parentSpanId"], "53995c3f42cd8ad8")
        self.assertEqual(len(health["spanId"]), 16)
        self.assertEqual(health["kind"], 2)
        attrs = {a["key"]: a["value"] for a in health["attributes"]}
        self.assertEqual(attrs["http.response.status_code"], {"intValue": "200"})
        self.assertEqual(attrs["url.path"], {"stringValue": "/_tarmac/health"})
        w3c = by_trace["0af7651916cd43dd8448eb211c80319c"]
        self.assertEqual(w3c["parentSpanId"], "b7ad6b7169203331")
        names = {s["name"] for s in spans}
        self.assertIn("kinesis ListStreams", names)
        services = {a["value"]["stringValue"] for rs in doc["resourceSpans"]
                    for a in rs["resource"]["attributes"] if a["key"] == "service.name"}
        self.assertTrue({"tarmac", "apigateway", "kinesis"} <= services, services)
        for s in spans:
            self.assertRegex(s["traceId"], r"^[0-9a-f]{32}$")
            self.assertGreaterEqual(int(s["endTimeUnixNano"]), int(s["startTimeUnixNano"]))

    def test_traces_survive_kill_9(self):
        with Tarmac() as t:
            for _ in range(20):
                urllib.request.urlopen(t.edge + "/_tarmac/health", timeout=5).read()
            time.sleep(0.5)  # batches are written within ~100 ms
            t.kill9()
            r = run_tarmac("traces", "export", "--state", t.state)
            self.assertEqual(r.returncode, 0, r.stderr)
            spans = [s for rs in json.loads(r.stdout)["resourceSpans"]
                     for ss in rs["scopeSpans"] for s in ss["spans"]]
            self.assertEqual(len(spans), 20)
            # And the state reopens after the crash.
            t2 = Tarmac(state=t.state).start()
            self.assertEqual(t2.get_json("/_tarmac/health")[0], 200)
            self.assertEqual(t2.stop(), 0)


if __name__ == "__main__":
    unittest.main()
