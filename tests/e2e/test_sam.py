"""SAM / CloudFormation templates run unchanged: each template in templates/ started and
exercised with boto3, the fidelity report and `tarmac check`, `tarmac events generate`, and a
template edited while `serve` runs."""
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import botocore.exceptions

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")


_PREPARED = {}


def template(name):
    """The template folder to serve. sam-globals-layers is laid out as its layer would be
    deployed (layers/greeting/nodejs/node_modules/greeting/index.js) in a temporary copy, so
    that no node_modules folder is kept in the repository."""
    if name != "sam-globals-layers":
        return os.path.join(TEMPLATES, name)
    if name not in _PREPARED:
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-e2e-layers-")
        root = os.path.join(tmp.name, name)
        shutil.copytree(os.path.join(TEMPLATES, name), root)
        module = os.path.join(root, "layers", "greeting", "nodejs", "node_modules", "greeting")
        os.makedirs(module, exist_ok=True)
        shutil.move(os.path.join(root, "layer-module", "greeting.js"),
                    os.path.join(module, "index.js"))
        os.rmdir(os.path.join(root, "layer-module"))
        _PREPARED[name] = (tmp, root)
    return _PREPARED[name][1]


def stack_health(t):
    _, health = t.get_json("/_tarmac/health")
    return health["template"]


def invoke(t, name, payload=None):
    lam = boto3_client(t, "lambda", read_timeout=60)
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}).encode())
    body = json.loads(r["Payload"].read())
    if "FunctionError" in r:
        raise AssertionError("%s failed: %s" % (name, body))
    return body


def wait_for_object(s3, bucket, key, timeout=30.0):
    def get():
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except botocore.exceptions.ClientError:
            return None
    return wait_for(get, timeout=timeout, what="s3://%s/%s" % (bucket, key))


class TemplatesRun(unittest.TestCase):
    def test_sam_s3_trigger(self):
        with Tarmac(project=template("sam-s3-trigger")) as t:
            outputs = stack_health(t)["outputs"]
            source = outputs["SourceBucketName"]
            destination = outputs["DestinationBucketName"]
            # A bucket without a name gets CloudFormation's kind of name, lower case.
            self.assertRegex(source, r"^sam-s3-trigger-sourcebucket-[a-z0-9]{13}$")
            self.assertEqual(destination, "sam-s3-trigger-000000000000-resized")
            self.assertRegex(outputs["ProcessFunctionIamRole"],
                             r"^arn:aws:iam::000000000000:role/sam-s3-trigger-ProcessFunctionRole-[A-Z0-9]{13}$")
            self.assertRegex(outputs["ProcessFunctionArn"],
                             r"^arn:aws:lambda:us-east-1:000000000000:function:sam-s3-trigger-ProcessFunction-")
            t.wait_log("ignored property Policies")

            s3 = boto3_client(t, "s3")
            self.assertEqual({b["Name"] for b in s3.list_buckets()["Buckets"]}, {source, destination})
            s3.put_object(Bucket=source, Key="skipped.bin", Body=b"not text")  # outside the filter
            s3.put_object(Bucket=source, Key="hello world.txt", Body=b"hello from tarmac")
            self.assertEqual(wait_for_object(s3, destination, "resized-hello world.txt"), b"HELLO FROM TARMAC")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=destination).get("Contents", [])]
            self.assertEqual(keys, ["resized-hello world.txt"])

    def test_cfn_inline_function_and_notification(self):
        with Tarmac("--parameter-overrides", "NotificationBucket=my-notified-bucket",
                    project=template("cfn-inline-notification")) as t:
            self.assertEqual(stack_health(t)["outputs"]["BucketName"], "my-notified-bucket")
            s3 = boto3_client(t, "s3")
            s3.put_object(Bucket="my-notified-bucket", Key="incoming/a.txt", Body=b"a")
            body = json.loads(wait_for_object(s3, "my-notified-bucket", "processed/a.txt.json"))
            self.assertEqual(body, {"source": "incoming/a.txt", "event": "ObjectCreated:Put"})

        r = run_tarmac("check", template("cfn-inline-notification"), "--parameter-overrides",
                       "NotificationBucket=Not_A_Bucket")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)  # the template does not load
        self.assertIn("Parameter 'NotificationBucket' failed to satisfy constraint", r.stderr)

    def test_sam_globals_layers_parameters(self):
        with Tarmac(project=template("sam-globals-layers")) as t:
            outputs = stack_health(t)["outputs"]
            self.assertEqual(outputs["GreetFunctionName"], "sam-globals-layers-greet-dev")
            self.assertEqual(outputs["LayerArn"],
                             "arn:aws:lambda:us-east-1:000000000000:layer:sam-globals-layers-greeting:1")
            bucket = outputs["AssetsBucketName"]
            self.assertEqual(outputs["AssetsBucketDomain"], bucket + ".s3.us-east-1.amazonaws.com")
            got = invoke(t, "sam-globals-layers-greet-dev", {"name": "Tarmac"})
            self.assertEqual(got, {"message": "Hello, Tarmac!", "stage": "dev", "logLevel": "DEBUG",
                                   "bucket": bucket, "memory": "128"})
            s3 = boto3_client(t, "s3")
            rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
            self.assertEqual(rules[0]["AllowedMethods"], ["GET", "PUT"])
            self.assertEqual(rules[0]["MaxAgeSeconds"], 3000)
            self.assertEqual(s3.get_bucket_tagging(Bucket=bucket)["TagSet"], [{"Key": "stage", "Value": "dev"}])

        with Tarmac("--parameter-overrides", "Stage=prod Greeting=Howdy",
                    project=template("sam-globals-layers")) as t:
            got = invoke(t, "sam-globals-layers-greet-prod", {"name": "you"})
            self.assertEqual((got["message"], got["logLevel"], got["memory"]), ("Howdy, you!", "WARN", "512"))
            lam = boto3_client(t, "lambda")
            config = lam.get_function(FunctionName="sam-globals-layers-greet-prod")["Configuration"]
            self.assertEqual(config["Description"], "Production greeter")
            self.assertEqual(config["Timeout"], 5)
            self.assertEqual(config["Runtime"], "nodejs20.x")
            self.assertEqual(lam.get_function_concurrency(FunctionName="sam-globals-layers-greet-prod")
                             ["ReservedConcurrentExecutions"], 10)
            invoke_config = lam.get_function_event_invoke_config(FunctionName="sam-globals-layers-greet-prod")
            self.assertEqual((invoke_config["MaximumRetryAttempts"], invoke_config["MaximumEventAgeInSeconds"]),
                             (0, 60))
            tags = lam.list_tags(Resource=config["FunctionArn"])["Tags"]
            self.assertEqual(tags, {"project": "tarmac-e2e", "lambda:createdBy": "SAM"})

    def test_json_template(self):
        with Tarmac(project=os.path.join(template("json-template"), "template.json")) as t:
            name = stack_health(t)["outputs"]["HelloFunctionName"]
            self.assertEqual(invoke(t, name), {"BUCKET": "json-template-data",
                                               "BUCKET_ARN": "arn:aws:s3:::json-template-data",
                                               "ZONE": "us-east-1a", "PARTS": "a|b|c"})

    def test_a_template_that_cannot_load_stops_serve(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "template.yaml"), "w") as f:
                f.write("Resources:\n"
                        "  A:\n"
                        "    Type: AWS::S3::Bucket\n"
                        "    Properties: {BucketName: !Sub '${B}-x'}\n"
                        "  B:\n"
                        "    Type: AWS::S3::Bucket\n"
                        "    Properties: {Tags: [{Key: k, Value: !Ref A}]}\n")
            t = Tarmac(project=tmp)
            with self.assertRaises(RuntimeError):
                t.start()
            self.assertEqual(t.proc.returncode, 2)
            self.assertIn("template.yaml:2:3: Circular dependency between resources: A -> B -> A",
                          "\n".join(t.stderr_lines))
            t._tmp.cleanup()


class FidelityReport(unittest.TestCase):
    # Every unsupported thing in templates/unsupported/template.yaml, by position.
    EXPECTED = [
        ("4:5", "unsupported section CompanyMacro"),
        ("9:1", "unsupported section Rules"),
        ("23:7", "ignored property Tracing"),
        ("24:7", "ignored property Policies"),
        ("26:7", "unsupported property DeploymentPreference"),
        ("28:7", "unsupported property VpcConfig"),
        ("29:33", "unsupported intrinsic function Fn::ImportValue"),
        ("32:9", "unsupported event type Kinesis"),
        ("37:9", "unsupported event type IoTRule"),
        ("47:7", "unsupported value Runtime: java21"),
        ("52:7", "ignored property WebsiteConfiguration"),
        ("54:7", "unsupported property ReplicationConfiguration"),
        ("63:3", "unsupported resource type AWS::EC2::VPC"),
        ("68:3", "unsupported resource type AWS::EC2::Subnet"),
        ("74:3", "unsupported resource type AWS::Glue::Workflow"),
        ("80:3", "unsupported resource type Custom::Seeder"),
    ]

    def found(self, text):
        items = []
        for line in text.splitlines():
            m = re.match(r"^  template\.yaml:(\d+:\d+)  (.*?)(?: \(|$)", line)
            if m:
                items.append((m.group(1), m.group(2)))
        return sorted(items)

    def test_check_lists_everything_and_fails(self):
        r = run_tarmac("check", template("unsupported"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.found(r.stdout), sorted(self.EXPECTED))
        self.assertIn("13 thing(s) Tarmac does not emulate, 3 it accepts and ignores", r.stdout)

        r = run_tarmac("check", "--json", template("unsupported"))
        self.assertEqual(r.returncode, 1)
        report = json.loads(r.stdout)
        self.assertEqual((report["unsupported"], report["ignored"]), (13, 3))
        vpc = [i for i in report["items"] if i["subject"] == "VpcConfig"][0]
        self.assertEqual((vpc["line"], vpc["column"], vpc["level"]), (28, 7, "unsupported"))
        self.assertEqual(vpc["path"], "Resources.WorkingFunction.Properties.VpcConfig")

    def test_check_passes_templates_that_run(self):
        for name in ("sam-s3-trigger", "sam-globals-layers", "cfn-inline-notification"):
            r = run_tarmac("check", template(name))
            self.assertEqual(r.returncode, 0, name + ": " + r.stdout + r.stderr)
        r = run_tarmac("check", os.path.join(HERE, "..", "..", "fixtures", "demo"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("everything runs as on AWS", r.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            r = run_tarmac("check", tmp)
            self.assertEqual(r.returncode, 2)
            self.assertIn("no template.yaml", r.stderr)

    def test_serve_reports_at_start_and_in_health_and_runs_the_rest(self):
        with Tarmac(project=template("unsupported")) as t:
            t.wait_log("tarmac: state in ")  # written after the report
            stderr = "\n".join(t.stderr_lines)
            self.assertIn("13 thing(s) Tarmac does not emulate, 3 it accepts and ignores", stderr)
            self.assertEqual(self.found(stderr), sorted(self.EXPECTED))
            health = stack_health(t)
            self.assertEqual(health["status"], "ok")
            self.assertEqual(health["fidelity"]["unsupported"], 13)
            self.assertEqual(len(health["fidelity"]["items"]), 16)
            # What is supported runs: the inline function answers; the Java one is not created.
            self.assertEqual(invoke(t, health["outputs"]["WorkingFunctionName"]), {"ok": True})
            lam = boto3_client(t, "lambda")
            names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
            self.assertEqual(names, [health["outputs"]["WorkingFunctionName"]])


class EventsGenerate(unittest.TestCase):
    def test_s3_put_and_delete(self):
        r = run_tarmac("events", "generate", "s3-put", "--bucket", "photos", "--key", "red flower.jpg",
                       "--size", "42")
        self.assertEqual(r.returncode, 0, r.stderr)
        record = json.loads(r.stdout)["Records"][0]
        self.assertEqual(record["eventSource"], "aws:s3")
        self.assertEqual(record["eventVersion"], "2.1")
        self.assertEqual(record["eventName"], "ObjectCreated:Put")
        self.assertRegex(record["eventTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(record["s3"]["bucket"], {"name": "photos", "arn": "arn:aws:s3:::photos",
                                                  "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}})
        obj = record["s3"]["object"]
        self.assertEqual((obj["key"], obj["size"]), ("red+flower.jpg", 42))
        self.assertRegex(obj["eTag"], r"^[0-9a-f]{32}$")

        r = run_tarmac("events", "generate", "s3-delete")
        record = json.loads(r.stdout)["Records"][0]
        self.assertEqual(record["eventName"], "ObjectRemoved:Delete")
        self.assertEqual(record["s3"]["bucket"]["name"], "example-bucket")
        self.assertNotIn("size", record["s3"]["object"])
        self.assertNotIn("eTag", record["s3"]["object"])

        r = run_tarmac("events", "generate", "sqs-receive")
        self.assertEqual(r.returncode, 2)
        self.assertIn("s3-put, s3-delete", r.stderr)
        self.assertIn("known: apigateway-v1, apigateway-v2,", r.stderr)


V1 = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Runtime: python3.11
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: reload-data
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: reload-worker
      Handler: app.first
  Doomed:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: reload-doomed
      Handler: app.first
"""

V2 = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
    Runtime: python3.11
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: reload-data
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: reload-worker
      Handler: app.second
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: reload-archive
"""

CODE = """\
def first(event, context):
    return "first"


def second(event, context):
    return "second"
"""


class LiveReload(unittest.TestCase):
    def write(self, path, text):
        # As editors do: a new file renamed over the old one.
        tmp = path + ".swp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def test_template_edited_while_serve_runs(self):
        project = tempfile.mkdtemp(prefix="tarmac-reload-")
        self.addCleanup(shutil.rmtree, project, ignore_errors=True)
        os.mkdir(os.path.join(project, "src"))
        with open(os.path.join(project, "src", "app.py"), "w") as f:
            f.write(CODE)
        template_path = os.path.join(project, "template.yaml")
        self.write(template_path, V1)

        with Tarmac(project=project) as t:
            s3 = boto3_client(t, "s3")
            lam = boto3_client(t, "lambda")
            s3.put_object(Bucket="reload-data", Key="keep.txt", Body=b"precious")
            self.assertEqual(invoke(t, "reload-worker"), "first")
            self.assertEqual(invoke(t, "reload-doomed"), "first")

            # A handler changed, a bucket added, a function removed.
            self.write(template_path, V2)
            changes = wait_for(lambda: stack_health(t)["lastChanges"], what="the reload")
            self.assertEqual(sorted(changes), ["bucket Archive added", "function Doomed removed",
                                               "function Worker updated"])
            self.assertEqual(invoke(t, "reload-worker"), "second")
            self.assertEqual({b["Name"] for b in s3.list_buckets()["Buckets"]}, {"reload-data", "reload-archive"})
            with self.assertRaises(lam.exceptions.ResourceNotFoundException):
                lam.get_function(FunctionName="reload-doomed")
            # The bucket that did not change kept its objects.
            self.assertEqual(s3.get_object(Bucket="reload-data", Key="keep.txt")["Body"].read(), b"precious")
            t.wait_log("template.yaml reloaded: ")

            # A template that no longer loads leaves the stack running and says why.
            self.write(template_path, V2.replace("      Handler: app.second\n", "      Handler: [app.second\n"))
            health = wait_for(lambda: stack_health(t)["status"] == "error" and stack_health(t), what="the error")
            self.assertRegex(health["error"], r"^template\.yaml:\d+:\d+: ")
            self.assertEqual(invoke(t, "reload-worker"), "second")
            wait_for(lambda: any("(the running stack is unchanged)" in line for line in t.stderr_lines),
                     what="the error on stderr")

            # Fixed again; and a change to the function's code reaches it without a reload.
            self.write(template_path, V2)
            wait_for(lambda: stack_health(t)["status"] == "ok", what="recovery")
            self.write(os.path.join(project, "src", "app.py"), CODE.replace('"second"', '"second, edited"'))
            wait_for(lambda: invoke(t, "reload-worker") == "second, edited", timeout=20, what="the code change")

            # The archive bucket holds an object: removing it from the template keeps it, as on AWS.
            s3.put_object(Bucket="reload-archive", Key="x", Body=b"x")
            self.write(template_path, V2.split("  Archive:")[0])
            changes = wait_for(lambda: [c for c in stack_health(t)["lastChanges"] if "Archive" in c],
                               what="the archive's removal")
            self.assertIn("kept", changes[0])
            self.assertIn("reload-archive", {b["Name"] for b in s3.list_buckets()["Buckets"]})


if __name__ == "__main__":
    unittest.main()
