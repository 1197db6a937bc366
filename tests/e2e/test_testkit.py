"""The test kits users' suites run Tarmac with (tools/testkit): the pytest plugin and the
node:test / Vitest module, each driven in a subprocess as a user would run it. The kits start
Tarmac, point the SDKs at it and stop it; a failed test leaves its traces (OTLP/JSON) in
tarmac-artifacts/; the example suites (testkit/pytest_demo, testkit/node_demo) pass their ten
tests against fixtures/demo: settle, reset, snapshots, faults, held deliveries."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
import xml.etree.ElementTree as ET

from harness import JS_DIR, tarmac_binary

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
KIT_PYTHON = os.path.join(ROOT, "tools", "testkit", "python")
KIT_NODE = os.path.join(ROOT, "tools", "testkit", "node", "tarmac.mjs")
DEMO = os.path.join(ROOT, "fixtures", "demo")
PYTEST_DEMO = os.path.join(HERE, "testkit", "pytest_demo")
NODE_DEMO = os.path.join(HERE, "testkit", "node_demo", "demo.test.mjs")
# Debian's python3-pytest, for a python3 of its own (pyenv) that has no pytest.
DEBIAN_PACKAGES = "/usr/lib/python3/dist-packages"

_pytest_env = {}


def pytest_env():
    """The environment `python3 -m pytest` runs in (this python3, or it with Debian's pytest
    appended to PYTHONPATH), or None when there is no pytest."""
    if "env" not in _pytest_env:
        env = dict(os.environ, TARMAC_BIN=tarmac_binary(), PYTHONDONTWRITEBYTECODE="1")
        env.pop("TARMAC_PROJECT", None)

        def has_pytest(e):
            return subprocess.run([sys.executable, "-c", "import pytest"], env=e,
                                  capture_output=True, timeout=60).returncode == 0
        if not has_pytest(env):
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), DEBIAN_PACKAGES]))
            if not (os.path.isdir(os.path.join(DEBIAN_PACKAGES, "pytest")) and has_pytest(env)):
                env = None
        _pytest_env["env"] = env
    return _pytest_env["env"]


def junit_outcomes(path):
    """{test name: "passed" | "failed" | "error" | "skipped"} from a JUnit XML report (a test
    failed and then in error at teardown stays "failed")."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if case.find(tag) is not None:
                outcome = name
                break
        if out.get(case.get("name"), "passed") == "passed":
            out[case.get("name")] = outcome
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by a parent that has gone) is not running.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class PytestPlugin(unittest.TestCase):
    """tools/testkit/python/pytest_tarmac.py, in suites written here and in testkit/pytest_demo."""

    def setUp(self):
        self.env = pytest_env()
        if self.env is None:
            self.skipTest("pytest is not installed (tools/install-deps --with-tests installs python3-pytest)")
        self.tmp = tempfile.TemporaryDirectory(prefix="tarmac-testkit-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, *parts):
        return os.path.join(self.tmp.name, *parts)

    def suite(self, files):
        """A pytest project in the temporary folder: a pytest.ini running the demo, a conftest
        loading the plugin, and `files` (name → source)."""
        files = dict({
            "pytest.ini": "[pytest]\ntarmac_project = %s\n" % DEMO,
            "conftest.py": "import sys\nsys.path.insert(0, %r)\npytest_plugins = ['pytest_tarmac']\n" % KIT_PYTHON,
        }, **files)
        for name, text in files.items():
            with open(self.path(name), "w") as f:
                f.write(textwrap.dedent(text))

    def pytest(self, *args, cwd=None, env=None, timeout=600):
        """Runs pytest; returns (CompletedProcess, {test: outcome})."""
        report = self.path("report-%d.xml" % len(os.listdir(self.tmp.name)))
        r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                            "--junitxml", report, "--tarmac-artifacts=" + self.tmp.name, *args],
                           cwd=cwd or self.tmp.name, env=dict(self.env, **(env or {})),
                           capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return r, junit_outcomes(report) if os.path.exists(report) else {}

    def test_fixture_runs_tarmac_for_the_session_and_points_the_sdk_at_it(self):
        # Each test notes what it saw; a hook after the session notes the environment then.
        seen = """
            import json, os, time
            import boto3

            def note(name, tarmac):
                with open(os.path.join(os.path.dirname(__file__), name + ".json"), "w") as f:
                    json.dump({"edge": tarmac.edge, "pid": tarmac.proc.pid,
                               "env": {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL",
                                       "AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_DEFAULT_REGION")}}, f)
            """
        self.suite({
            "conftest.py": "import json, os, sys\nsys.path.insert(0, %r)\n"
                           "pytest_plugins = ['pytest_tarmac']\n"
                           "def pytest_sessionfinish(session):\n"
                           "    with open(os.path.join(os.path.dirname(__file__), 'after.json'), 'w') as f:\n"
                           "        json.dump(os.environ.get('AWS_ENDPOINT_URL'), f)\n" % KIT_PYTHON,
            "test_a.py": seen + """
            def test_sdk_finds_tarmac_through_the_environment(tarmac):
                note("a", tarmac)
                assert tarmac.health()["status"] == "ok"
                assert tarmac.outputs()["UploadsBucketName"] == "demo-uploads"
                start = tarmac.now_ns()
                boto3.client("s3").put_object(Bucket="demo-uploads", Key="notes/kit.txt", Body=b"kit test")
                deadline = time.monotonic() + 30
                while len(tarmac.deliveries(since_ns=start)) < 3 and time.monotonic() < deadline:
                    time.sleep(0.1)
                delivered = tarmac.deliveries(since_ns=start)
                assert sorted(d["logicalId"] for d in delivered) == ["CounterFunction", "IndexFunction", "SummarizeFunction"]
                assert tarmac.deliveries(function="SummarizeFunction", since_ns=start)[0]["status"] == "succeeded"
                trace = tarmac.spans(trace_id=delivered[0]["traceId"])
                assert "/demo-uploads/notes/kit.txt" in [s["attrs"].get("url.path") for s in trace]
                assert tarmac.traces(since_ns=start)["resourceSpans"]
                assert "(8 bytes)" in tarmac.wait_for_log("summarised s3://demo-uploads/notes/kit.txt")
            """,
            "test_b.py": seen + """
            def test_second_module(tarmac):
                note("b", tarmac)
                assert tarmac.client("s3").head_bucket(Bucket="demo-summaries")
            """,
        })
        before = {"AWS_ENDPOINT_URL": "http://before.invalid"}
        r, outcomes = self.pytest(env=before)
        self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-2000:])
        self.assertEqual(set(outcomes.values()), {"passed"}, outcomes)
        a, b = (json.load(open(self.path(n + ".json"))) for n in "ab")
        self.assertEqual(a["edge"], b["edge"])  # one Tarmac for the session
        self.assertEqual(a["env"], {"AWS_ENDPOINT_URL": a["edge"], "AWS_ACCESS_KEY_ID": "test",
                                    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"})
        self.assertEqual(json.load(open(self.path("after.json"))), "http://before.invalid")
        self.assertFalse(alive(a["pid"]), "tarmac still runs after the session")

        # --tarmac-scope=module: a Tarmac per module.
        r, outcomes = self.pytest("--tarmac-scope=module")
        self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-2000:])
        a, b = (json.load(open(self.path(n + ".json"))) for n in "ab")
        self.assertNotEqual(a["edge"], b["edge"])
        self.assertFalse(alive(a["pid"]) or alive(b["pid"]))

    def test_a_failed_test_leaves_its_traces(self):
        self.suite({"test_fails.py": """
            def upload(tarmac, key):
                tarmac.client("s3").put_object(Bucket="demo-uploads", Key=key, Body=b"some words")
                # Until the summariser's line is in Tarmac's log (and so in this test's .log).
                tarmac.wait_for_log("summarised s3://demo-uploads/" + key, timeout=30)

            def test_passes(tarmac):
                upload(tarmac, "notes/passes.txt")

            def test_fails_on_purpose(tarmac):
                upload(tarmac, "notes/fails.txt")
                assert False, "deliberately"
            """})
        r, outcomes = self.pytest()
        self.assertEqual(r.returncode, 1, r.stdout[-4000:] + r.stderr[-2000:])
        self.assertEqual(outcomes, {"test_passes": "passed", "test_fails_on_purpose": "failed"})
        folder = self.path("tarmac-artifacts")
        self.assertEqual(sorted(os.listdir(folder)), ["test_fails.py_test_fails_on_purpose.json",
                                                      "test_fails.py_test_fails_on_purpose.log"])
        with open(os.path.join(folder, "test_fails.py_test_fails_on_purpose.json")) as f:
            doc = json.load(f)
        paths = [a["value"].get("stringValue") for rs in doc["resourceSpans"] for ss in rs["scopeSpans"]
                 for s in ss["spans"] for a in s["attributes"] if a["key"] == "url.path"]
        self.assertIn("/demo-uploads/notes/fails.txt", paths)
        self.assertNotIn("/demo-uploads/notes/passes.txt", paths)  # the other test's
        self.assertIn("resourceLogs", doc)
        with open(os.path.join(folder, "test_fails.py_test_fails_on_purpose.log")) as f:
            self.assertIn("notes/fails.txt", f.read())
        self.assertIn("traces (OTLP/JSON): " + os.path.join(folder, "test_fails.py_test_fails_on_purpose.json"), r.stdout)

    def test_factory_runs_a_tarmac_of_the_tests_own(self):
        """tarmac_factory with --exit-on-function-error (from a marker): a function that times
        out (a fault) stops Tarmac, and the next request says so."""
        self.suite({"test_factory.py": """
            import os
            import pytest
            from pytest_tarmac import TarmacError

            @pytest.mark.tarmac_args("--exit-on-function-error")
            def test_first_function_error_stops_tarmac(tarmac_factory):
                t = tarmac_factory.start()
                assert os.environ.get("AWS_ENDPOINT_URL") != t.edge  # the factory leaves it alone
                t.faults.add({"function": "SummarizeFunction"}, {"type": "timeout"})
                t.client("s3").put_object(Bucket="demo-uploads", Key="notes/x.txt", Body=b"x")
                with pytest.raises((TarmacError, AssertionError)):
                    t.settle(timeout_ms=5000)  # stopping, or stopped
                t.proc.wait(30)
                with pytest.raises(TarmacError, match=r"tarmac has exited \\(status 1\\)"):
                    t.deliveries()
                assert t.returncode == 1
                assert any("--exit-on-function-error" in line for line in t.stderr)
            """})
        r, outcomes = self.pytest()
        self.assertEqual(outcomes, {"test_first_function_error_stops_tarmac": "passed"},
                         r.stdout[-4000:] + r.stderr[-2000:])

    def test_no_binary_is_a_clear_error(self):
        self.suite({"test_x.py": "def test_x(tarmac):\n    pass\n"})
        env = dict(self.env, PATH=self.tmp.name)
        env.pop("TARMAC_BIN")
        r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=self.tmp.name,
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no tarmac binary: set TARMAC_BIN", r.stdout)

    def test_demo_suite(self):
        """testkit/pytest_demo: ten tests against the demo, needing settle, reset, snapshots and
        faults."""
        r, outcomes = self.pytest(cwd=PYTEST_DEMO)
        self.assertEqual(len(outcomes), 10, r.stdout[-4000:] + r.stderr[-2000:])
        failed = {k: v for k, v in outcomes.items() if v != "passed"}
        self.assertEqual(failed, {}, r.stdout[-8000:])
        self.assertEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(self.path("tarmac-artifacts")))  # nothing failed


class NodeKit(unittest.TestCase):
    """tools/testkit/node/tarmac.mjs with node:test, in a suite written here and in
    testkit/node_demo."""

    def setUp(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-s3")):
            self.skipTest("run tools/install-deps --with-tests to install the JS clients")
        self.tmp = tempfile.TemporaryDirectory(prefix="tarmac-testkit-")
        self.addCleanup(self.tmp.cleanup)

    def node_test(self, script, timeout=600):
        """Runs `node --test` (TAP); returns (CompletedProcess, {"pass": N, "fail": N, …})."""
        env = dict(os.environ, TARMAC_BIN=tarmac_binary(), TARMAC_ARTIFACTS=self.tmp.name)
        env.pop("TARMAC_PROJECT", None)
        r = subprocess.run(["node", "--test", "--test-reporter=tap", script], cwd=self.tmp.name,
                           env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        counts = {}
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "#" and parts[2].isdigit():
                counts[parts[1]] = int(parts[2])
        return r, counts

    def test_use_tarmac_starts_stops_and_leaves_traces_of_failures(self):
        script = os.path.join(self.tmp.name, "kit.test.mjs")
        with open(script, "w") as f:
            f.write(textwrap.dedent("""
                import assert from 'node:assert/strict';
                import { writeFileSync } from 'node:fs';
                import { createRequire } from 'node:module';
                import { test } from 'node:test';
                import { useTarmac } from %s;

                const require = createRequire(%s);
                const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
                const tarmac = useTarmac({ project: %s });

                async function upload(key) {
                  const sinceNs = await tarmac().nowNs();
                  // No options: the SDK finds Tarmac through AWS_ENDPOINT_URL, which useTarmac set.
                  const s3 = new S3Client({ forcePathStyle: true });
                  await s3.send(new PutObjectCommand({ Bucket: 'demo-uploads', Key: key, Body: 'some words' }));
                  s3.destroy();
                  for (let i = 0; i < 300; i++) {
                    if ((await tarmac().deliveries({ sinceNs })).length >= 3) break;
                    await new Promise((r) => setTimeout(r, 100));
                  }
                  return sinceNs;
                }

                test('env, deliveries and traces', async () => {
                  const t = tarmac();
                  writeFileSync('seen.json', JSON.stringify({ pid: t.proc.pid, edge: t.edge, env: process.env.AWS_ENDPOINT_URL }));
                  assert.equal((await t.health()).status, 'ok');
                  const sinceNs = await upload('notes/passes.txt');
                  const delivered = await t.deliveries({ sinceNs });
                  assert.deepEqual(delivered.map((d) => d.logicalId).sort(), ['CounterFunction', 'IndexFunction', 'SummarizeFunction']);
                  const spans = await t.spans({ traceId: delivered[0].traceId });
                  assert.ok(spans.some((s) => s.attrs['url.path'] === '/demo-uploads/notes/passes.txt'));
                });

                test('fails on purpose', async () => {
                  await upload('notes/fails.txt');
                  assert.fail('deliberately');
                });
                """) % (json.dumps("file://" + KIT_NODE), json.dumps("file://" + os.path.join(JS_DIR, "package.json")),
                        json.dumps(DEMO)))
        r, counts = self.node_test(script)
        self.assertEqual((counts.get("pass"), counts.get("fail")), (1, 1), r.stdout[-4000:] + r.stderr[-2000:])
        seen = json.load(open(os.path.join(self.tmp.name, "seen.json")))
        self.assertEqual(seen["env"], seen["edge"])
        self.assertFalse(alive(seen["pid"]), "tarmac still runs after the tests")
        folder = os.path.join(self.tmp.name, "tarmac-artifacts")
        self.assertEqual(sorted(os.listdir(folder)), ["fails_on_purpose.json", "fails_on_purpose.log"])
        with open(os.path.join(folder, "fails_on_purpose.json")) as f:
            text = f.read()
        self.assertIn("/demo-uploads/notes/fails.txt", text)
        self.assertNotIn("/demo-uploads/notes/passes.txt", text)

    def test_demo_suite(self):
        """testkit/node_demo: the same ten tests with the AWS SDK for JavaScript v3."""
        r, counts = self.node_test(NODE_DEMO)
        self.assertEqual((counts.get("tests"), counts.get("pass")), (10, 10), r.stdout[-8000:] + r.stderr[-2000:])
        self.assertEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
