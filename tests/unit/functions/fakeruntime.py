"""A minimal Lambda runtime for FunctionInstance's tests. MODE picks its behaviour:
normal (echo the event), init-error, exit-at-start, never-ready, and per invocation the event
may ask for: {"sleep": s} (with a child process in its group), {"exit": n}, {"hog": true}.
"""
import http.client
import json
import os
import subprocess
import sys
import time

host, _, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
conn = http.client.HTTPConnection(host, int(port))
mode = os.environ.get("MODE", "normal")


def call(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.headers, r.read()


if mode == "exit-at-start":
    sys.exit(2)
if mode == "never-ready":
    time.sleep(60)
if mode == "init-error":
    print("init failing")
    call("POST", "/2018-06-01/runtime/init/error",
         json.dumps({"errorType": "Runtime.ImportModuleError", "errorMessage": "no module"}),
         {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
    sys.exit(1)

print("ready to go")
while True:
    status, headers, body = call("GET", "/2018-06-01/runtime/invocation/next")
    rid = headers["Lambda-Runtime-Aws-Request-Id"]
    event = json.loads(body)
    print("got", rid)
    if "sleep" in event:
        child = subprocess.Popen(["sleep", "100"])
        with open(event["pidfile"], "w") as f:
            f.write(str(child.pid))
        time.sleep(event["sleep"])
    if "exit" in event:
        sys.exit(event["exit"])
    if "hog" in event:
        hog = []
        while True:
            hog.append(bytearray(8 * 1024 * 1024))
            time.sleep(0.001)
    if "error" in event:
        call("POST", "/2018-06-01/runtime/invocation/%s/error" % rid,
             json.dumps({"errorType": "ValueError", "errorMessage": event["error"]}),
             {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
        continue
    call("POST", "/2018-06-01/runtime/invocation/%s/response" % rid,
         json.dumps({"echo": event, "pid": os.getpid(), "env": os.environ.get("FAKE_ENV"),
                     "deadline": headers["Lambda-Runtime-Deadline-Ms"],
                     "arn": headers["Lambda-Runtime-Invoked-Function-Arn"],
                     "trace": headers.get("Lambda-Runtime-Trace-Id")}))
