"""Type confusion against the real server: every field of every Lambda operation Tarmac serves,
and of the /_tarmac/dispatch JSON endpoints, sent with a value of every JSON type, over raw
HTTP (the SDKs refuse a wrong type before it leaves the client). Each answer must be a 2xx (a
type that is really accepted) or a 4xx in the API's own error shape, never a 5xx; and the
server must still answer its health check afterwards. One wrong-typed field used to end the
whole emulator (an exception from nlohmann's value()/get<>() reached the event loop)."""
import base64
import http.client
import json
import unittest
import urllib.parse

from harness import Tarmac
from lambda_support import PYTHON_APP, ROLE, make_zip, python_function

FUNCTION = "typed"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:" + FUNCTION
ZIP = base64.b64encode(make_zip({"app.py": PYTHON_APP})).decode()

# One value of each JSON type.
VALUES = {
    "string": "s",
    "number": 7,
    "float": 1.5,
    "bool": True,
    "null": None,
    "array": ["s"],
    "object": {"k": "v"},
}

# Fields CreateFunction and UpdateFunctionConfiguration share: paths into the body.
CONFIG_FIELDS = [
    ("Runtime",), ("Handler",), ("Role",), ("Description",), ("Timeout",), ("MemorySize",),
    ("Environment",), ("Environment", "Variables"), ("Environment", "Variables", "GREETING"),
    ("TracingConfig",), ("TracingConfig", "Mode"),
    ("EphemeralStorage",), ("EphemeralStorage", "Size"),
    ("Layers",), ("Layers", 0), ("KMSKeyArn",),
    ("VpcConfig",), ("VpcConfig", "SubnetIds"), ("VpcConfig", "SubnetIds", 0),
    ("VpcConfig", "SecurityGroupIds"), ("VpcConfig", "Ipv6AllowedForDualStack"),
    ("DeadLetterConfig",), ("DeadLetterConfig", "TargetArn"),
    ("LoggingConfig",), ("LoggingConfig", "LogFormat"), ("LoggingConfig", "ApplicationLogLevel"),
    ("SnapStart",), ("SnapStart", "ApplyOn"),
]

CODE_FIELDS = [("ZipFile",), ("S3Bucket",), ("S3Key",), ("S3ObjectVersion",), ("ImageUri",)]


def with_value(body, path, value):
    """A copy of body with the value at path (keys and list indexes) replaced, creating the
    objects and lists on the way."""
    body = json.loads(json.dumps(body))
    node = body
    for step, following in zip(path, path[1:]):
        fresh = [] if isinstance(following, int) else {}
        if isinstance(node, list):
            while len(node) <= step:
                node.append(fresh)
            if not isinstance(node[step], (dict, list)):
                node[step] = fresh
        else:
            if not isinstance(node.get(step), (dict, list)):
                node[step] = fresh
        node = node[step]
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value
    return body


class TypeConfusionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac(ephemeral=True).start()
        cls.url = urllib.parse.urlsplit(cls.tarmac.edge)
        cls.connection = None
        cls.created = 0

    @classmethod
    def tearDownClass(cls):
        if cls.connection:
            cls.connection.close()
        cls.tarmac.stop()

    def setUp(self):
        services = self.tarmac.get_json("/_tarmac/health")[1].get("services", {})
        if "lambda" not in services:
            self.skipTest("the functions module (lambda) is not in this build")
        if not getattr(type(self), "function_ready", False):
            python_function(self, self.tarmac, FUNCTION, PYTHON_APP)
            type(self).function_ready = True

    # The raw exchange -------------------------------------------------------------------

    def send(self, method, path, body=None, headers=None, raw=None):
        """One request on a kept-alive connection: (status, headers, body bytes)."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        for attempt in range(2):
            if self.connection is None:
                type(self).connection = http.client.HTTPConnection(self.url.hostname, self.url.port,
                                                                   timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=all_headers)
                response = self.connection.getresponse()
                payload = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.connection.close()
                type(self).connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def check(self, what, method, path, body=None, headers=None, raw=None):
        """Sends one request and checks the answer and that the server is still up. Returns
        (status, parsed JSON body or None)."""
        try:
            status, response_headers, payload = self.send(method, path, body, headers, raw)
        except Exception as e:  # the server died, or stopped answering
            self.fail("%s: %s %s got no answer (%r); stderr: %s"
                      % (what, method, path, e, "\n".join(self.tarmac.stderr_lines[-5:])))
        parsed = None
        if payload:
            try:
                parsed = json.loads(payload)
            except ValueError:
                parsed = None
        self.assertLess(status, 500, "%s: %s %s answered %d: %r" % (what, method, path, status, payload[:300]))
        if status >= 400:
            self.assertIsInstance(parsed, dict, "%s: a %d without a JSON error body: %r"
                                  % (what, status, payload[:300]))
            error_type = parsed.get("__type") or response_headers.get("x-amzn-errortype")
            self.assertTrue(error_type, "%s: error without __type or X-Amzn-ErrorType: %r"
                            % (what, payload[:300]))
            self.assertTrue(parsed.get("message"), "%s: error without a message: %r" % (what, payload[:300]))
        self.assertIsNone(self.tarmac.proc.poll(), "%s: tarmac exited (%s)"
                          % (what, "\n".join(self.tarmac.stderr_lines[-5:])))
        # The exception barrier keeps the server up, but bad input must not even get that far.
        threw = [line for line in self.tarmac.stderr_lines if "the handler threw" in line]
        self.assertFalse(threw, "%s: %s" % (what, threw))
        health, _, health_body = self.send("GET", "/_tarmac/health")
        self.assertEqual(health, 200, "%s: health check answered %d: %r" % (what, health, health_body[:200]))
        return status, parsed

    def each_type(self, operation, method, path, base, fields, headers=None, on_answer=None):
        """Every field of `fields` with every JSON type, and the body itself as every non-object."""
        for field in fields:
            for kind, value in VALUES.items():
                body = with_value(base(), field, value)
                what = "%s %s=%s" % (operation, ".".join(map(str, field)), kind)
                with self.subTest(what):
                    answer = self.check(what, method, path, body, headers)
                    if on_answer:
                        on_answer(answer)
        for kind, value in VALUES.items():
            if kind == "object":
                continue
            what = "%s body=%s" % (operation, kind)
            with self.subTest(what):
                answer = self.check(what, method, path, headers=headers, raw=json.dumps(value).encode())
                if on_answer:
                    on_answer(answer)
                self.assertEqual(answer[0], 400, what)
        with self.subTest("%s body=broken" % operation):
            status, _ = self.check("%s body=broken" % operation, method, path, raw=b'{"Timeout": ')
            self.assertEqual(status, 400)

    def remove_breakpoints(self):
        _, _, body = self.send("GET", "/_tarmac/dispatch/breakpoints")
        for bp in json.loads(body)["breakpoints"]:
            self.send("DELETE", "/_tarmac/dispatch/breakpoints/%d" % bp["id"])

    # The operations ---------------------------------------------------------------------

    def test_the_reported_crashes_answer_400_naming_the_field(self):
        status, body = self.check("EphemeralStorage.Size=x", "PUT",
                                  "/2015-03-31/functions/%s/configuration" % FUNCTION,
                                  {"EphemeralStorage": {"Size": "x"}})
        self.assertEqual(status, 400)
        self.assertEqual(body["__type"], "InvalidParameterValueException")
        self.assertIn("'ephemeralStorage.size'", body["message"])
        status, body = self.check("TracingConfig.Mode=1", "POST", "/2015-03-31/functions",
                                  {"FunctionName": "t-mode", "Runtime": "python3.11", "Role": ROLE,
                                   "Handler": "app.handler", "Code": {"ZipFile": ZIP},
                                   "TracingConfig": {"Mode": 1}})
        self.assertEqual(status, 400)
        self.assertIn("'tracingConfig.mode'", body["message"])
        status, body = self.check("DryRun=yes", "PUT", "/2015-03-31/functions/%s/code" % FUNCTION,
                                  {"ZipFile": ZIP, "DryRun": "yes"})
        self.assertEqual(status, 400)
        self.assertIn("'dryRun'", body["message"])

    def test_create_function(self):
        counter = iter(range(1_000_000))

        def base():
            return {"FunctionName": "typed-new-%d" % next(counter), "Runtime": "python3.11",
                    "Handler": "app.handler", "Role": ROLE, "Code": {"ZipFile": ZIP}}

        fields = [("FunctionName",), ("PackageType",), ("Publish",), ("Tags",), ("Tags", "team"),
                  ("Architectures",), ("Architectures", 0), ("Code",)]
        fields += CONFIG_FIELDS + [("Code",) + f for f in CODE_FIELDS]
        self.each_type("CreateFunction", "POST", "/2015-03-31/functions", base, fields)

    def test_update_function_configuration(self):
        self.each_type("UpdateFunctionConfiguration", "PUT",
                       "/2015-03-31/functions/%s/configuration" % FUNCTION, dict,
                       CONFIG_FIELDS + [("RevisionId",)])

    def test_update_function_code(self):
        self.each_type("UpdateFunctionCode", "PUT", "/2015-03-31/functions/%s/code" % FUNCTION,
                       lambda: {"ZipFile": ZIP},
                       CODE_FIELDS + [("DryRun",), ("Publish",), ("RevisionId",), ("Architectures",),
                                      ("Architectures", 0)])

    def test_put_function_concurrency(self):
        self.each_type("PutFunctionConcurrency", "PUT", "/2017-10-31/functions/%s/concurrency" % FUNCTION,
                       lambda: {"ReservedConcurrentExecutions": 5}, [("ReservedConcurrentExecutions",)])
        self.check("DeleteFunctionConcurrency", "DELETE", "/2017-10-31/functions/%s/concurrency" % FUNCTION)

    def test_event_invoke_config(self):
        fields = [("MaximumRetryAttempts",), ("MaximumEventAgeInSeconds",), ("DestinationConfig",),
                  ("DestinationConfig", "OnSuccess"), ("DestinationConfig", "OnSuccess", "Destination"),
                  ("DestinationConfig", "OnFailure"), ("DestinationConfig", "OnFailure", "Destination")]
        path = "/2019-09-25/functions/%s/event-invoke-config" % FUNCTION
        for method, operation in (("PUT", "PutFunctionEventInvokeConfig"),
                                  ("POST", "UpdateFunctionEventInvokeConfig")):
            self.each_type(operation, method, path, lambda: {"MaximumRetryAttempts": 1}, fields)
        self.check("DeleteFunctionEventInvokeConfig", "DELETE", path)

    def test_event_source_mappings(self):
        # No service owns a source in this build, so a well-typed Create is still refused (400),
        # and the UUID of Update does not exist (404): what matters is that every type of
        # every field is answered in Lambda's shape.
        fields = [("FunctionName",), ("EventSourceArn",), ("Enabled",), ("BatchSize",),
                  ("MaximumBatchingWindowInSeconds",), ("FunctionResponseTypes",),
                  ("FunctionResponseTypes", 0), ("ScalingConfig",), ("ScalingConfig", "MaximumConcurrency"),
                  ("FilterCriteria",), ("FilterCriteria", "Filters"), ("FilterCriteria", "Filters", 0),
                  ("FilterCriteria", "Filters", 0, "Pattern"), ("ParallelizationFactor",),
                  ("MaximumRetryAttempts",), ("MaximumRecordAgeInSeconds",), ("BisectBatchOnFunctionError",),
                  ("TumblingWindowInSeconds",), ("DestinationConfig",), ("DestinationConfig", "OnFailure"),
                  ("DestinationConfig", "OnFailure", "Destination"), ("DestinationConfig", "OnSuccess"),
                  ("DestinationConfig", "OnSuccess", "Destination"), ("Topics",), ("Queues",),
                  ("SourceAccessConfigurations",), ("SourceAccessConfigurations", 0),
                  ("SourceAccessConfigurations", 0, "Type"), ("SelfManagedEventSource",), ("KMSKeyArn",)]
        create_only = [("StartingPosition",), ("StartingPositionTimestamp",), ("Tags",), ("Tags", "team")]
        queue = "arn:aws:sqs:us-east-1:000000000000:typed-queue"
        for path in ("/2015-03-31/event-source-mappings", "/2015-03-31/event-source-mappings/"):
            self.each_type("CreateEventSourceMapping", "POST", path,
                           lambda: {"FunctionName": FUNCTION, "EventSourceArn": queue}, fields + create_only)
        self.each_type("UpdateEventSourceMapping", "PUT",
                       "/2015-03-31/event-source-mappings/6f0d4c1e-0000-4000-8000-000000000000",
                       lambda: {"BatchSize": 5}, fields)
        status, body = self.check("BatchSize=x", "POST", "/2015-03-31/event-source-mappings",
                                  {"FunctionName": FUNCTION, "EventSourceArn": queue, "BatchSize": "x"})
        self.assertEqual((status, body["__type"]), (400, "InvalidParameterValueException"))
        self.assertIn("'batchSize'", body["message"])
        status, body = self.check("Filters.1=p", "POST", "/2015-03-31/event-source-mappings",
                                  {"FunctionName": FUNCTION, "EventSourceArn": queue,
                                   "FilterCriteria": {"Filters": ["p"]}})
        self.assertEqual(status, 400)
        self.assertIn("'filterCriteria.filters.1.member'", body["message"])
        for query in ("MaxItems=x", "MaxItems=-1", "Marker=x", "Marker=99999999999", "FunctionName=%00",
                      "FunctionName=" + "x" * 300, "EventSourceArn=%FF"):
            with self.subTest("ListEventSourceMappings " + query):
                self.check("ListEventSourceMappings " + query, "GET", "/2015-03-31/event-source-mappings?" + query)
        for uuid in ("nope", "%00", "x" * 300):
            for method in ("GET", "DELETE"):
                with self.subTest("%s event-source-mappings/%s" % (method, uuid[:20])):
                    status, _ = self.check(method + " mapping", method, "/2015-03-31/event-source-mappings/" + uuid)
                    self.assertEqual(status, 404)

    def test_tags(self):
        path = "/2017-03-31/tags/%s" % urllib.parse.quote(ARN, safe="")
        self.each_type("TagResource", "POST", path, lambda: {"Tags": {"team": "a"}},
                       [("Tags",), ("Tags", "team")])
        for keys in ("tagKeys=team", "tagKeys=", "tagKeys=%FF%00", "other=1"):
            with self.subTest("UntagResource " + keys):
                self.check("UntagResource " + keys, "DELETE", path + "?" + keys)
        status, body = self.check("ListTags", "GET", path)
        self.assertEqual(status, 200)
        self.assertNotIn("team", body["Tags"])

    def test_invoke_payloads_and_headers(self):
        path = "/2015-03-31/functions/%s/invocations" % FUNCTION
        # Every payload type, synchronously: Lambda passes any JSON document on.
        for kind, value in VALUES.items():
            with self.subTest("Invoke payload=" + kind):
                status, body = self.check("Invoke payload=" + kind, "POST", path, value)
                self.assertEqual(status, 200)
        with self.subTest("Invoke payload=broken"):
            status, body = self.check("Invoke payload=broken", "POST", path, raw=b"{not json")
            self.assertEqual(body["__type"], "InvalidRequestContentException")
        client_context = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
        header_values = {
            "X-Amz-Invocation-Type": ["RequestResponse", "Event", "DryRun", "", "bogus", "7", "null"],
            "X-Amz-Log-Type": ["Tail", "None", "", "bogus", "true"],
            "X-Amz-Client-Context": [client_context, "", "not base64!", "bnVsbA=="],
        }
        for header, values in header_values.items():
            for value in values:
                what = "Invoke %s=%r" % (header, value)
                with self.subTest(what):
                    self.check(what, "POST", path, {"h": header}, {header: value})
        for qualifier in ("$LATEST", "", "7", "x" * 300, "%00"):
            what = "Invoke Qualifier=%r" % qualifier
            with self.subTest(what):
                self.check(what, "POST", path + "?Qualifier=" + urllib.parse.quote(qualifier), {},
                           {"X-Amz-Invocation-Type": "DryRun"})
        self.check("InvokeAsync", "POST", "/2014-11-13/functions/%s/invoke-async/" % FUNCTION, {"a": 1})

    def test_queries_and_paths(self):
        for query in ("MaxItems=x", "MaxItems=-1", "MaxItems=99999999999", "Marker=x", "Marker=-1",
                      "Marker=99999999999"):
            with self.subTest("ListFunctions " + query):
                self.check("ListFunctions " + query, "GET", "/2015-03-31/functions?" + query)
        for name in ("nope", "a:b:c", "%00", "x" * 300, urllib.parse.quote(ARN, safe="")):
            for method, suffix in (("GET", ""), ("GET", "/configuration"), ("GET", "/policy"),
                                   ("DELETE", "/concurrency"), ("GET", "/concurrency")):
                what = "%s functions/%s%s" % (method, name[:20], suffix)
                with self.subTest(what):
                    version = "2019-09-30" if suffix == "/concurrency" else "2015-03-31"
                    self.check(what, method, "/%s/functions/%s%s" % (version, name, suffix))
        with self.subTest("unknown operation"):
            status, body = self.check("PATCH functions", "PATCH", "/2015-03-31/functions/%s" % FUNCTION, {})
            self.assertEqual(status, 404)

    def test_dispatcher_endpoints(self):
        def remove_created(answer):
            status, body = answer
            if status == 201:  # a breakpoint would hold the other tests' invocations
                self.check("remove breakpoint", "DELETE", "/_tarmac/dispatch/breakpoints/%d" % body["id"])

        self.addCleanup(self.remove_breakpoints)
        self.each_type("AddBreakpoint", "POST", "/_tarmac/dispatch/breakpoints",
                       lambda: {"function": "no-such-function", "path": "$.a", "value": 1},
                       [("function",), ("origin",), ("enabled",), ("path",), ("op",), ("value",)],
                       on_answer=remove_created)
        self.each_type("DeliverPending", "POST", "/_tarmac/dispatch/pending/nope/deliver",
                       lambda: {"payload": {}}, [("payload",), ("payloadText",)])
        for path in ("/_tarmac/dispatch/breakpoints/x", "/_tarmac/dispatch/breakpoints/99999999999"):
            with self.subTest("DELETE " + path):
                self.check("DELETE " + path, "DELETE", path)
        for query in ("limit=x", "limit=-5", "limit=99999999999", "bodies=maybe"):
            with self.subTest("deliveries " + query):
                self.check("deliveries " + query, "GET", "/_tarmac/dispatch/deliveries?" + query)


if __name__ == "__main__":
    unittest.main()
