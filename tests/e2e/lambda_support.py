"""Helpers for the Lambda end-to-end tests: deployment packages built in memory, and reads of
Tarmac's own dispatcher records (what was delivered, with what result)."""
import io
import json
import os
import time
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
JS_MODULES = os.path.join(HERE, "js", "node_modules")
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def make_zip(files):
    """files: {name: text or bytes or (text, mode)} -> zip bytes with Unix modes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            mode = 0o644
            if isinstance(content, tuple):
                content, mode = content
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content)
    return buf.getvalue()


def python_function(test, tarmac, name, app_py):
    """Creates the python3.11 function `name` from one app.py (handler app.handler) and returns
    CreateFunction's answer; skips `test` when this build has no functions module."""
    services = tarmac.get_json("/_tarmac/health")[1].get("services", {})
    if "lambda" not in services:
        test.skipTest("the functions module (lambda) is not in this build")
    from harness import boto3_client
    return boto3_client(tarmac, "lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": app_py})}, Timeout=30)


def tarmac_json(tarmac, path, method="GET", body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(tarmac.edge + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


def deliveries(tarmac, function, bodies=True):
    _, body = tarmac_json(tarmac, "/_tarmac/dispatch/deliveries?function=%s&bodies=%d&limit=100"
                          % (function, 1 if bodies else 0))
    return body["deliveries"]


def physical_name(tarmac, logical):
    """A template resource's name in the APIs (which, as on AWS, take no logical id)."""
    _, health = tarmac.get_json("/_tarmac/health")
    return [r["physicalId"] for r in health["template"]["resources"]
            if r["logicalId"] == logical][0]


def wait_for(predicate, timeout=15.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % what)


def process_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return False


# Function code shared by the tests.
PYTHON_APP = r'''
import json
import os
print("python init")

def handler(event, context):
    print("python handling", json.dumps(event))
    return {
        "runtime": "python",
        "event": event,
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "logGroup": context.log_group_name,
        "remaining": context.get_remaining_time_in_millis(),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "pid": os.getpid(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "TZ",
            "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "_HANDLER", "GREETING", "AWS_LAMBDA_RUNTIME_API")},
    }
'''

NODE_CJS = r'''
exports.handler = async (event, context) => {
  console.log('node cjs handling', JSON.stringify(event));
  return { runtime: 'node-cjs', event, requestId: context.awsRequestId, functionName: context.functionName,
           remaining: context.getRemainingTimeInMillis(), trace: process.env._X_AMZN_TRACE_ID, pid: process.pid };
};
'''

NODE_CALLBACK = r'''
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { runtime: 'node-callback', event }), 1);
};
'''

NODE_ESM = r'''
const loadedAt = Date.now();
export const handler = async (event, context) => {
  console.log('node esm handling');
  return { runtime: 'node-esm', event, requestId: context.awsRequestId, loadedAt };
};
'''

# The custom runtime from AWS's own tutorial: bash and curl.
BASH_BOOTSTRAP = r'''#!/bin/bash
set -euo pipefail
while true; do
  HEADERS="$(mktemp)"
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  rm -f "$HEADERS"
  echo "bash runtime got $EVENT_DATA"
  curl -sS -o /dev/null "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" \
       -d "{\"runtime\": \"provided\", \"handler\": \"$_HANDLER\", \"event\": $EVENT_DATA}"
done
'''

RIC_HANDLER = r'''
export const handler = async (event, context) => {
  console.log('ric handling', JSON.stringify(event));
  return { runtime: 'aws-lambda-ric', event, requestId: context.awsRequestId };
};
'''


def ric_bootstrap():
    ric = os.path.join(JS_MODULES, "aws-lambda-ric", "index.mjs")
    return "#!/bin/sh\nexec node %s \"$_HANDLER\"\n" % ric
