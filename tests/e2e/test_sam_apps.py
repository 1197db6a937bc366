"""SAM apps as `sam init` and AWS's serverless-patterns write them start as published: a Node
ES module without CodeUri using the SDK v3 Lambda bundles, keys the SAM transform drops,
parameters from samconfig.toml, outputs naming what Tarmac does not make, and the output of
`sam build`."""
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.request

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import JS_MODULES, physical_name, wait_for

NODE_ESM_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: a Node.js quick start, as sam init writes it
Globals:
  Function:
    Timeout: 10
Resources:
  ListFunction:
    Type: AWS::Serverless::Function
    Description: resource-level, as some serverless-patterns have it
    Properties:
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
      Architectures: [x86_64]
  CommonFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: common/
      Handler: index.handler
      Runtime: nodejs20.x
Outputs:
  ListApi:
    Description: API Gateway endpoint URL for the Prod stage
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
  ListFunctionArn:
    Value: !GetAtt ListFunction.Arn
"""

APP_MJS = """\
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const s3 = new S3Client({ forcePathStyle: true });
export const lambdaHandler = async () => {
  DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const out = await s3.send(new ListBucketsCommand({}));
  return (out.Buckets || []).map((b) => b.Name);
};
"""

COMMON_JS = """\
const { S3Client, ListBucketsCommand } = require('@aws-sdk/client-s3');
exports.handler = async () => {
  const out = await new S3Client({ forcePathStyle: true }).send(new ListBucketsCommand({}));
  return (out.Buckets || []).length;
};
"""

PARAMS_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String}
  AppName: {Type: String}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AppName}-${Stage}'
Outputs:
  BucketName:
    Value: !Ref Bucket
"""


HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
NODE_SDK = os.path.join(os.path.dirname(os.path.dirname(HERE)), "plugins", "runtimes", "node",
                        "sdk", "node_modules")
POWERTOOLS_ARN = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


OLD_SDKS_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  V2Function:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: v2/
      Handler: index.handler
      Runtime: nodejs20.x
  OldBotoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: py/
      Handler: app.handler
      Runtime: python3.11
"""

# The JavaScript SDK v2 knows nothing of AWS_ENDPOINT_URL.
V2_JS = """\
const S3 = require('aws-sdk/clients/s3');
exports.handler = async () => {
  const out = await new S3({ region: process.env.AWS_REGION }).listBuckets().promise();
  return out.Buckets.map((b) => b.Name);
};
"""

# boto3 before 1.28 ignores AWS_ENDPOINT_URL: simulated by removing it before boto3 loads.
OLD_BOTO_PY = """\
import os
os.environ.pop("AWS_ENDPOINT_URL", None)
import boto3

def handler(event, context):
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
"""


class SamApps(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tarmac-e2e-sam-apps-")
        self.addCleanup(self.tmp.cleanup)

    def node_app(self):
        root = os.path.join(self.tmp.name, "hello-node")
        write(os.path.join(root, "template.yaml"), NODE_ESM_TEMPLATE)
        write(os.path.join(root, "app.mjs"), APP_MJS)
        write(os.path.join(root, "package.json"), json.dumps({"name": "hello", "type": "module"}))
        write(os.path.join(root, "common", "index.js"), COMMON_JS)
        write(os.path.join(root, "common", "package.json"), json.dumps({"type": "commonjs"}))
        return root

    def test_node_esm_quick_start_runs_with_the_bundled_sdk(self):
        """What Lambda bundles comes from plugins/runtimes/node/sdk, with nothing to set."""
        if not os.path.isdir(os.path.join(NODE_SDK, "@aws-sdk", "lib-dynamodb")):
            self.skipTest("plugins/runtimes/node/sdk is not installed (tools/install-deps)")
        root = self.node_app()
        with Tarmac(project=root) as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="seen-by-the-function")
            lam = boto3_client(t, "lambda", read_timeout=60)
            r = lam.invoke(FunctionName=physical_name(t, "ListFunction"), Payload=b"{}")
            body = json.loads(r["Payload"].read())
            self.assertNotIn("FunctionError", r, body)
            self.assertIn("seen-by-the-function", body)
            r = lam.invoke(FunctionName=physical_name(t, "CommonFunction"), Payload=b"{}")
            self.assertNotIn("FunctionError", r)
            self.assertEqual(json.loads(r["Payload"].read()), 1)
            _, health = t.get_json("/_tarmac/health")
            outputs = health["template"]["outputs"]
            self.assertNotIn("ListApi", outputs)  # names ServerlessRestApi: reported instead
            self.assertTrue(outputs["ListFunctionArn"].startswith("arn:aws:lambda:"))
        r = run_tarmac("check", "--json", root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # the output is not emulated
        report = json.loads(r.stdout)
        subjects = {(i["level"], i["subject"]) for i in report["items"]}
        self.assertIn(("ignored", "Description"), subjects)
        self.assertIn(("unsupported", "output ListApi"), subjects)

    def test_sdks_that_predate_aws_endpoint_url_reach_tarmac(self):
        if not os.path.isdir(os.path.join(JS_MODULES, "aws-sdk")):
            self.skipTest("aws-sdk (v2) is not installed in tests/e2e/js (tools/install-deps --with-tests)")
        root = os.path.join(self.tmp.name, "old-sdks")
        write(os.path.join(root, "template.yaml"), OLD_SDKS_TEMPLATE)
        write(os.path.join(root, "v2", "index.js"), V2_JS)
        write(os.path.join(root, "py", "app.py"), OLD_BOTO_PY)
        env = {"TARMAC_NODE_RUNTIME_MODULES": JS_MODULES,
               "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"}
        with Tarmac(project=root, env=env) as t:
            boto3_client(t, "s3").create_bucket(Bucket="only-in-tarmac")
            lam = boto3_client(t, "lambda", read_timeout=60)
            for logical in ("V2Function", "OldBotoFunction"):
                r = lam.invoke(FunctionName=physical_name(t, logical), Payload=b"{}")
                body = json.loads(r["Payload"].read())
                self.assertNotIn("FunctionError", r, (logical, body))
                self.assertEqual(body, ["only-in-tarmac"], logical)

    def test_python_app_with_a_public_layer_mapped_to_a_folder(self):
        root = os.path.join(TEMPLATES, "python-powertools")
        r = run_tarmac("check", "--json", root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # the layer is not there
        self.assertIn("layer " + POWERTOOLS_ARN + ":79",
                      [i["subject"] for i in json.loads(r.stdout)["items"]])
        layer = "%s=%s" % (POWERTOOLS_ARN, os.path.join(root, "local-powertools"))
        r = run_tarmac("check", root, "--layer", layer)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # Tracing: ignored, not a gap
        bad = run_tarmac("check", root, "--layer", "not-an-arn")
        self.assertEqual(bad.returncode, 2)
        with Tarmac("--layer", layer, project=root) as t:
            lam = boto3_client(t, "lambda", read_timeout=60)
            r = lam.invoke(FunctionName=physical_name(t, "HelloWorldFunction"), Payload=b"{}")
            body = json.loads(r["Payload"].read())
            self.assertNotIn("FunctionError", r, body)
            self.assertEqual(body, {"statusCode": 200, "body": "hello world", "service": "hello"})
            outputs = t.get_json("/_tarmac/health")[1]["template"]["outputs"]
            self.assertTrue(outputs["HelloWorldFunctionIamRole"].startswith("arn:aws:iam::"))

    def test_outputs_naming_generated_resources(self):
        """What the SAM transform makes is referable, with the values AWS gives it."""
        root = os.path.join(TEMPLATES, "generated-refs")
        with Tarmac(project=root) as t:
            outputs = t.get_json("/_tarmac/health")[1]["template"]["outputs"]
            function = outputs["HelloFunction"]
            self.assertRegex(function, r"^arn:aws:lambda:us-east-1:000000000000:function:"
                                       r"generated-refs-HelloFunction-[A-Z0-9]+$")
            self.assertTrue(outputs["HelloFunctionIamRole"].startswith(
                "arn:aws:iam::000000000000:role/generated-refs-HelloFunctionRole-"))
            # The URL AWS would give, as the one that reaches the API here: it answers.
            self.assertRegex(outputs["HelloApi"], r"^%s/_aws/execute-api/[a-z0-9]{10}/Prod/hello/$"
                             % re.escape(t.api))
            with urllib.request.urlopen(outputs["HelloApi"], timeout=60) as answer:
                self.assertEqual(answer.status, 200)
            self.assertEqual(outputs["HelloApiStage"], "Prod")
            self.assertEqual(outputs["HelloApiStageByProperty"], "Prod")
            self.assertTrue(outputs["HelloPermission"].startswith(
                "generated-refs-HelloFunctionHelloPermissionProd-"))
            self.assertRegex(outputs["HelloFunctionUrl"],
                             r"^https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/$")
            self.assertEqual(outputs["HelloFunctionAlias"], function + ":live")
            self.assertEqual(outputs["HelloFunctionAliasById"], function + ":live")
            self.assertEqual(outputs["HelloFunctionAliasInSub"], "alias " + function + ":live")
            self.assertEqual(outputs["HelloFunctionVersion"], function + ":1")
            lam = boto3_client(t, "lambda", read_timeout=60)
            # The role the SAM transform made is the function's, as GetAtt gives it.
            self.assertEqual(lam.get_function(FunctionName=function)["Configuration"]["Role"],
                             outputs["HelloFunctionIamRole"])
            # The function, its alias (by ARN, and by name and qualifier) and its version all
            # run the newest code, as an AutoPublishAlias alias does after a deployment.
            for name, qualifier in ((physical_name(t, "HelloFunction"), None),
                                    (outputs["HelloFunctionAlias"], None),
                                    (physical_name(t, "HelloFunction"), "live"),
                                    (outputs["HelloFunctionVersion"], None)):
                kw = {"Qualifier": qualifier} if qualifier else {}
                r = lam.invoke(FunctionName=name, Payload=b"{}", **kw)
                self.assertEqual(json.loads(r["Payload"].read())["statusCode"], 200, name)
            with self.assertRaises(lam.exceptions.ResourceNotFoundException):
                lam.invoke(FunctionName=physical_name(t, "HelloFunction"), Qualifier="prod")
        r = run_tarmac("check", "--json", root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)  # what is not served yet
        subjects = {i["subject"] for i in json.loads(r.stdout)["items"]}
        self.assertEqual(subjects, {"FunctionUrlConfig"})

    def test_parameters_from_the_command_line_and_samconfig(self):
        root = os.path.join(self.tmp.name, "params")
        write(os.path.join(root, "template.yaml"), PARAMS_TEMPLATE)
        r = run_tarmac("check", root)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("Parameters: [Stage, AppName] must have values: pass --parameter-overrides "
                      "Stage=VALUE AppName=VALUE", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        # SAM CLI's forms: separate K=V arguments, one quoted string, ParameterKey=…
        for overrides in (["Stage=dev", "AppName=shop"], ["Stage=dev AppName=shop"],
                          ["ParameterKey=Stage,ParameterValue=dev",
                           "ParameterKey=AppName,ParameterValue=shop"]):
            args = ["check", root]
            for o in overrides:
                args += ["--parameter-overrides", o]
            r = run_tarmac(*args)
            self.assertEqual(r.returncode, 0, (overrides, r.stdout + r.stderr))
        write(os.path.join(root, "samconfig.toml"),
              'version = 0.1\n[default.deploy.parameters]\nstack_name = "params"\n'
              'parameter_overrides = "Stage=\\"prod\\" AppName=\\"shop\\""\n')
        with Tarmac(project=root) as t:
            _, health = t.get_json("/_tarmac/health")
            self.assertEqual(health["template"]["outputs"]["BucketName"], "shop-prod")
        with Tarmac("--parameter-overrides", "Stage=test", project=root) as t:
            _, health = t.get_json("/_tarmac/health")
            self.assertEqual(health["template"]["outputs"]["BucketName"], "shop-test")

    def test_sam_build_output_is_served(self):
        root = os.path.join(self.tmp.name, "built")
        write(os.path.join(root, "template.yaml"),
              "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
              "    Properties: {BucketName: source-template}\n")
        write(os.path.join(root, ".aws-sam", "build", "template.yaml"),
              "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
              "    Properties: {BucketName: !Sub '${AWS::StackName}-built'}\n")
        with Tarmac(project=root) as t:
            names = [b["Name"] for b in boto3_client(t, "s3").list_buckets()["Buckets"]]
            self.assertEqual(names, ["built-built"])  # named after the project folder
            # Said at start; stderr is read on a thread of its own.
            wait_for(lambda: any(".aws-sam/build/template.yaml (the output of sam build)" in l
                                 for l in t.stderr_lines), what="the start-up report")


if __name__ == "__main__":
    unittest.main()
