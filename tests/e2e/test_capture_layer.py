"""tools/capture-layer end to end: functions with the layer attached through
AWS_LAMBDA_EXEC_WRAPPER log each event (redacted) and still answer as before; `tarmac logs export
--format cloudwatch` writes those logs as `aws logs filter-log-events` would; `tarmac replay`
replays them."""
import json
import os
import tempfile
import unittest

from harness import Tarmac, boto3_client, run_tarmac

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "templates", "capture-layer")


class CaptureLayer(unittest.TestCase):
    def test_capture_export_and_replay(self):
        events = [{"order": "o-1", "password": "hunter2", "headers": {"Authorization": "Bearer x"}},
                  {"order": "o-2", "user": {"email": "a@example.com", "name": "Ann"}}]
        with Tarmac(project=PROJECT) as t:
            lam = boto3_client(t, "lambda")
            names = {logical: f["FunctionName"] for f in lam.list_functions()["Functions"]
                     for logical in ("PyFunction", "NodeFunction") if "-%s-" % logical in f["FunctionName"]}
            for logical in ("PyFunction", "NodeFunction"):
                for e in events:
                    out = lam.invoke(FunctionName=names[logical], Payload=json.dumps(e))
                    body = out["Payload"].read()
                    self.assertNotIn("FunctionError", out, body)
                    answer = json.loads(body)
                    # The function's own handler ran, with the event as sent.
                    self.assertEqual(answer["order"], e["order"])
                    self.assertEqual(answer.get("password"), e.get("password"))
            state = t.state
            t.stop()
            tmp = tempfile.mkdtemp(prefix="tarmac-capture-")
            for logical in ("PyFunction", "NodeFunction"):
                r = run_tarmac("logs", "export", "--format", "cloudwatch", "--function", logical,
                               "--state", state)
                self.assertEqual(r.returncode, 0, r.stderr)
                exported = json.loads(r.stdout)
                captured = [e["message"] for e in exported["events"] if e["message"].startswith("EVENT ")]
                self.assertEqual(len(captured), 2, exported)
                first = json.loads(captured[0][len("EVENT "):])
                self.assertEqual(first["password"], "REDACTED")
                self.assertEqual(first["headers"]["Authorization"], "REDACTED")
                second = json.loads(captured[1][len("EVENT "):])
                self.assertEqual(second["user"], {"email": "REDACTED", "name": "Ann"})
                path = os.path.join(tmp, logical + ".json")
                with open(path, "w") as f:
                    f.write(r.stdout)
                r = run_tarmac("replay", path, PROJECT, "--target", logical, timeout=120)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(r.stdout.count("ok event"), 2, r.stdout)
                self.assertIn("(cloudwatch)", r.stderr)

    def test_a_missing_wrapper_is_the_functions_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "py"))
            with open(os.path.join(tmp, "py", "app.py"), "w") as f:
                f.write("def handler(event, context):\n    return 1\n")
            with open(os.path.join(tmp, "template.yaml"), "w") as f:
                f.write("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                        "    Type: AWS::Serverless::Function\n    Properties:\n"
                        "      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: py/\n"
                        "      Environment:\n        Variables:\n"
                        "          AWS_LAMBDA_EXEC_WRAPPER: /opt/nowhere\n")
            r = run_tarmac("invoke", "Fn", tmp, "--alone", timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("Runtime.ExecWrapperNotFound", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
