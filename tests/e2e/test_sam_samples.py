"""The apps SAM users start from (templates/sam-samples/: `sam init`'s hello worlds in Python and Node.js and the
serverless-patterns shapes: a scheduled job, a DynamoDB stream processor, S3 -> function ->
DynamoDB, an EventBridge fan-out, an SQS worker with a dead-letter queue), each started unchanged and driven by the commands of its
own README, run as a user would run them: the aws CLI and curl.

A README's ```sh block is run line by line with bash; a `# → TEXT` line under a command means
its output must hold TEXT, waited for (up to 20 s) where the app works asynchronously. The
default ports in the commands (4566, 3000) are replaced by the test Tarmac's.
"""
import os
import subprocess
import time
import unittest

from harness import Tarmac
from readme_session import readme_steps

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "templates", "sam-samples")
class SamSamples(unittest.TestCase):
    def run_readme(self, name):
        folder = os.path.join(SAMPLES, name)
        steps = readme_steps(os.path.join(folder, "README.md"))
        self.assertTrue(steps, name)
        with Tarmac(project=folder) as t:
            env = t.client_env()
            env.pop("AWS_ENDPOINT_URL")  # the commands name it, as the README's reader types it
            env["AWS_PAGER"] = ""
            for command, expected in steps:
                command = command.replace("http://127.0.0.1:4566", t.edge).replace(
                    "http://127.0.0.1:3000", t.api)
                deadline = time.monotonic() + 20
                while True:
                    r = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                                       env=env, cwd=folder, timeout=60, stdin=subprocess.DEVNULL)
                    missing = [e for e in expected if e not in r.stdout]
                    if r.returncode == 0 and not missing:
                        break
                    if time.monotonic() > deadline:
                        self.fail("%s: `%s` exited %d, missing %r\nstdout: %s\nstderr: %s\n"
                                  "tarmac:\n%s" % (name, command, r.returncode, missing,
                                                   r.stdout[-2000:], r.stderr[-2000:],
                                                   "\n".join(t.stderr_lines[-30:])))
                    time.sleep(0.3)
            # Nothing in the app is what Tarmac does not run.
            self.assertFalse([l for l in t.stderr_lines if "unsupported" in l.lower()],
                             "\n".join(t.stderr_lines))

    def test_hello_world_python(self):
        self.run_readme("hello-world-python")

    def test_hello_world_nodejs(self):
        self.run_readme("hello-world-nodejs")

    def test_scheduled_job(self):
        self.run_readme("scheduled-job")

    def test_ddb_stream_counter(self):
        self.run_readme("ddb-stream-counter")

    def test_s3_to_dynamodb(self):
        self.run_readme("s3-to-dynamodb")

    def test_eventbridge_fanout(self):
        self.run_readme("eventbridge-fanout")

    def test_sqs_worker(self):
        self.run_readme("sqs-worker")

    def test_every_sample_has_its_test(self):
        tested = {n[len("test_"):].replace("_", "-") for n in dir(self) if n.startswith("test_")}
        for name in os.listdir(SAMPLES):
            self.assertIn(name, tested)


if __name__ == "__main__":
    unittest.main()
