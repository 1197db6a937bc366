"""API Gateway on the API port, driven by curl, Python's urllib and requests: a SAM app with
implicit REST (payload 1.0) and HTTP (2.0) APIs, an explicit REST API with binary media types
and CORS, and an OpenAPI DefinitionBody. Events are compared with the keys of AWS's own sample
events; answers with API Gateway's (404/403/502/500/504/503/413)."""
import base64
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import requests

from harness import Tarmac

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src
    Timeout: 10
  HttpApi:
    CorsConfiguration:
      AllowOrigins: [https://app.example]
      AllowMethods: [GET, POST]
      AllowHeaders: [content-type, x-custom]
      ExposeHeaders: [x-request-cost]
      MaxAge: 600
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Item: {Type: Api, Properties: {Path: '/items/{id}', Method: get}}
        Files: {Type: Api, Properties: {Path: '/files/{proxy+}', Method: any}}
        Special: {Type: Api, Properties: {Path: /items/special, Method: get}}
        V2Item: {Type: HttpApi, Properties: {Path: '/v2/items/{id}', Method: post}}
        V2Quick:
          Type: HttpApi
          Properties: {Path: /v2/quick, Method: get, TimeoutInMillis: 1000}
  Echo2:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo2
      Events:
        V2Any: {Type: HttpApi, Properties: {Path: '/v2/any/{proxy+}', Method: any}}
  Simple:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.simple
      Events:
        V2Simple: {Type: HttpApi, Properties: {Path: /v2/simple, Method: get}}
  Image:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.image
      Events:
        Rest: {Type: Api, Properties: {Path: /image, Method: post, RestApiId: !Ref MediaApi}}
        Http: {Type: HttpApi, Properties: {Path: /v2/image, Method: post}}
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.malformed
      Events:
        Rest: {Type: Api, Properties: {Path: /broken, Method: get}}
        Http: {Type: HttpApi, Properties: {Path: /v2/broken, Method: get}}
  Fails:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fail
      Events:
        Rest: {Type: Api, Properties: {Path: /fails, Method: get}}
        Http: {Type: HttpApi, Properties: {Path: /v2/fails, Method: get}}
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.slow
      Events:
        Http: {Type: HttpApi, Properties: {Path: /v2/slow, Method: get, TimeoutInMillis: 1000}}
  MediaApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      BinaryMediaTypes: ['image~1png']
      Variables: {tier: media}
      Cors:
        AllowOrigin: "'*'"
        AllowMethods: "'POST,OPTIONS'"
        AllowHeaders: "'content-type'"
        MaxAge: "'300'"
  DocApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: docs
      DefinitionBody:
        openapi: '3.0.1'
        info: {title: documented}
        paths:
          /doc/{name}:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
          /doc-slow:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                timeoutInMillis: 1000
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Slow.Arn}/invocations
          /doc-mock:
            get:
              x-amazon-apigateway-integration: {type: mock}
Outputs:
  RestUrl:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
  HttpId:
    Value: !Ref ServerlessHttpApi
  DocId:
    Value: !Ref DocApi
  MediaId:
    Value: !Ref MediaApi
"""

APP = """\
import base64, json, time

def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": json.dumps(event)}

def echo2(event, context):
    return {"statusCode": 201, "headers": {"content-type": "application/json",
            "x-request-cost": "3"}, "cookies": ["s=1; HttpOnly", "t=2"], "body": json.dumps(event)}

def simple(event, context):
    return {"hello": "world"}

def image(event, context):
    data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(data[::-1]).decode(), "isBase64Encoded": True}

def malformed(event, context):
    return {"statusCode": "abc", "body": {"not": "a string"}}

def fail(event, context):
    raise RuntimeError("boom")

def slow(event, context):
    time.sleep(3)
    return {"statusCode": 200, "body": "late"}
"""

# The keys of AWS's sample events (Lambda developer guide, sample-apps/java-events/events/
# apigateway-v1.json and apigateway-v2.json; API Gateway developer guide).
V1_KEYS = {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
           "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
           "stageVariables", "requestContext", "body", "isBase64Encoded"}
V1_CONTEXT_KEYS = {"resourceId", "resourcePath", "httpMethod", "extendedRequestId",
                   "requestTime", "path", "accountId", "protocol", "stage", "domainPrefix",
                   "requestTimeEpoch", "requestId", "identity", "domainName", "apiId"}
V2_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
           "queryStringParameters", "pathParameters", "requestContext", "body",
           "isBase64Encoded"}
V2_CONTEXT_KEYS = {"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId",
                   "routeKey", "stage", "time", "timeEpoch"}

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==")


def curl(*args):
    r = subprocess.run(["curl", "-s", "-S", "-i", "--max-time", "20", *args],
                       capture_output=True, timeout=30)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, body


def urlopen(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class ApiGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-apigw-")
        root = cls.tmp.name
        with open(os.path.join(root, "template.yaml"), "w") as f:
            f.write(TEMPLATE)
        os.makedirs(os.path.join(root, "src"))
        with open(os.path.join(root, "src", "app.py"), "w") as f:
            f.write(APP)
        cls.t = Tarmac(project=root).start()
        _, health = cls.t.get_json("/_tarmac/health")
        cls.outputs = health["template"]["outputs"]
        cls.api = cls.t.api

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()

    def url(self, path):
        return self.api + path

    def by_id(self, api_id, stage, path):
        return "%s/_aws/execute-api/%s/%s%s" % (self.api, api_id, stage, path)

    def test_rest_event_with_curl(self):
        status, headers, body = curl(
            self.url("/items/42?tag=a&tag=b&q=x%20y"), "-H", "X-Multi: one", "-H", "X-Multi: two",
            "-H", "Cookie: k=v")
        self.assertEqual(status, 200, body)
        event = json.loads(body)
        self.assertEqual(set(event), V1_KEYS)
        self.assertEqual(set(event["requestContext"]), V1_CONTEXT_KEYS)
        self.assertEqual(event["resource"], "/items/{id}")
        self.assertEqual(event["path"], "/items/42")
        self.assertEqual(event["httpMethod"], "GET")
        self.assertEqual(event["pathParameters"], {"id": "42"})
        self.assertEqual(event["queryStringParameters"], {"tag": "b", "q": "x y"})
        self.assertEqual(event["multiValueQueryStringParameters"], {"tag": ["a", "b"], "q": ["x y"]})
        self.assertEqual(event["headers"]["X-Multi"], "two")  # as the client spelled it
        self.assertEqual(event["multiValueHeaders"]["X-Multi"], ["one", "two"])
        self.assertEqual(event["headers"]["Cookie"], "k=v")
        self.assertIsNone(event["body"])
        self.assertIsNone(event["stageVariables"])
        context = event["requestContext"]
        self.assertEqual(context["stage"], "Prod")
        self.assertEqual(context["path"], "/Prod/items/42")
        self.assertEqual(context["identity"]["sourceIp"], "127.0.0.1")
        self.assertEqual(headers["set-cookie"], ["a=1", "b=2"])
        # The response names the trace; the event carries the same one.
        trace = headers["x-amzn-trace-id"][0]
        self.assertTrue(trace.startswith("Root=1-"), trace)
        self.assertEqual(event["headers"]["X-Amzn-Trace-Id"].split(";")[0], trace.split(";")[0])

    def test_precedence_and_greedy_paths(self):
        status, _, body = urlopen(self.url("/items/special"))
        self.assertEqual(json.loads(body)["resource"], "/items/special")
        status, _, body = urlopen(self.url("/files/a/b%20c/d.txt"), data=b"x", method="PUT")
        event = json.loads(body)
        self.assertEqual(event["pathParameters"], {"proxy": "a/b c/d.txt"})
        self.assertEqual(event["path"], "/files/a/b%20c/d.txt")  # REST keeps it encoded
        self.assertEqual(event["httpMethod"], "PUT")

    def test_http_api_event_with_requests(self):
        r = requests.post(self.url("/v2/items/7?x=1&x=2"), json={"k": 1},
                          headers={"X-Multi": "one", "Cookie": "a=1; b=2"}, timeout=20)
        self.assertEqual(r.status_code, 200, r.text)
        event = r.json()
        self.assertEqual(set(event) - {"stageVariables"}, V2_KEYS)
        self.assertEqual(set(event["requestContext"]), V2_CONTEXT_KEYS)
        self.assertEqual(event["version"], "2.0")
        self.assertEqual(event["routeKey"], "POST /v2/items/{id}")
        self.assertEqual(event["rawPath"], "/v2/items/7")
        self.assertEqual(event["rawQueryString"], "x=1&x=2")
        self.assertEqual(event["queryStringParameters"], {"x": "1,2"})
        self.assertEqual(event["cookies"], ["a=1", "b=2"])
        self.assertNotIn("cookie", event["headers"])
        self.assertEqual(event["headers"]["x-multi"], "one")
        self.assertEqual(json.loads(event["body"]), {"k": 1})
        self.assertFalse(event["isBase64Encoded"])
        self.assertEqual(event["requestContext"]["http"]["method"], "POST")
        self.assertEqual(event["requestContext"]["stage"], "$default")
        # requests joins repeated headers itself; curl sends them apart: comma-joined.
        _, _, body = curl("-X", "POST", self.url("/v2/items/8"), "-H", "X-Multi: one",
                          "-H", "X-Multi: two")
        self.assertEqual(json.loads(body)["headers"]["x-multi"], "one,two")

    def test_http_api_cookies_status_and_simple_answers(self):
        r = requests.get(self.url("/v2/any/deep/path"), timeout=20)
        self.assertEqual(r.status_code, 201)
        self.assertEqual(r.cookies.get("s"), "1")
        self.assertEqual(r.cookies.get("t"), "2")
        self.assertEqual(r.json()["pathParameters"], {"proxy": "deep/path"})
        r = requests.get(self.url("/v2/simple"), timeout=20)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.json(), {"hello": "world"})

    def test_binary_round_trip(self):
        media = self.outputs["MediaId"]
        # REST: image/png is a binary media type of MediaApi: base64 both ways.
        status, headers, body = urlopen(self.by_id(media, "v1", "/image"), data=PNG,
                                        headers={"Content-Type": "image/png", "Accept": "image/png"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, PNG[::-1])
        self.assertEqual(headers["content-type"], "image/png")
        # HTTP API: not a text type, so base64; the function's base64 answer is decoded.
        r = requests.post(self.url("/v2/image"), data=PNG, headers={"Content-Type": "image/png"},
                          timeout=20)
        self.assertEqual(r.content, PNG[::-1])
        # Not valid UTF-8 even though it says text: still base64, never mangled.
        odd = b"caf\xe9 \xff\xfe"
        r = requests.post(self.url("/v2/image"), data=odd,
                          headers={"Content-Type": "text/plain"}, timeout=20)
        self.assertEqual(r.content, odd[::-1])

    def test_stage_variables_and_addressing_by_id(self):
        media = self.outputs["MediaId"]
        http_id = self.outputs["HttpId"]
        # The per-API address through the Host header (curl resolves *.localhost itself).
        port = self.api.rsplit(":", 1)[1]
        status, _, body = curl("http://%s.execute-api.localhost:%s/v2/simple" % (http_id, port))
        self.assertEqual((status, json.loads(body)), (200, {"hello": "world"}))
        r = requests.get(self.url("/v2/simple"),
                         headers={"Host": "%s.execute-api.localhost" % http_id}, timeout=20)
        self.assertEqual(r.status_code, 200)
        # A stage the API does not have; an API that does not exist.
        self.assertEqual(urlopen(self.by_id(media, "v2", "/image"))[0], 403)
        self.assertEqual(urlopen(self.by_id("nosuchapi0", "v1", "/image"))[0], 403)
        # The RestUrl output is rewritten to an address that works here.
        rest_url = self.outputs["RestUrl"]
        self.assertTrue(rest_url.startswith(self.api + "/_aws/execute-api/"), rest_url)
        status, _, body = urlopen(rest_url + "items/5")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["requestContext"]["path"], "/Prod/items/5")

    def test_openapi_definition_body(self):
        doc = self.outputs["DocId"]
        status, _, body = urlopen(self.by_id(doc, "docs", "/doc/readme?v=1"))
        self.assertEqual(status, 200, body)
        event = json.loads(body)
        self.assertEqual(event["resource"], "/doc/{name}")
        self.assertEqual(event["pathParameters"], {"name": "readme"})
        self.assertEqual(event["requestContext"]["stage"], "docs")
        self.assertEqual(event["requestContext"]["apiId"], doc)
        # Its paths are also at their plain paths.
        self.assertEqual(urlopen(self.url("/doc/x"))[0], 200)
        # A mock integration is not served (and said in the fidelity report).
        self.assertEqual(urlopen(self.by_id(doc, "docs", "/doc-mock"))[0], 403)
        _, health = self.t.get_json("/_tarmac/health")
        subjects = [i["subject"] for i in health["template"]["fidelity"]["items"]]
        self.assertTrue(any("mock" in s for s in subjects), subjects)

    def test_cors(self):
        # HTTP API: the preflight is the API's, and its answers carry the headers.
        r = requests.options(self.url("/v2/items/1"), headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"}, timeout=20)
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(r.headers["access-control-allow-methods"], "GET,POST")
        self.assertEqual(r.headers["access-control-allow-headers"], "content-type,x-custom")
        self.assertEqual(r.headers["access-control-max-age"], "600")
        r = requests.get(self.url("/v2/any/x"), headers={"Origin": "https://app.example"},
                         timeout=20)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(r.headers["access-control-expose-headers"], "x-request-cost")
        r = requests.get(self.url("/v2/any/x"), headers={"Origin": "https://evil.example"},
                         timeout=20)
        self.assertNotIn("access-control-allow-origin", r.headers)
        # REST API: SAM's Cors answers the preflight; the function answers for itself after.
        status, headers, _ = curl("-X", "OPTIONS", self.by_id(self.outputs["MediaId"], "v1", "/image"),
                                  "-H", "Origin: https://x.example",
                                  "-H", "Access-Control-Request-Method: POST")
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], ["*"])
        self.assertEqual(headers["access-control-allow-methods"], ["POST,OPTIONS"])
        self.assertEqual(headers["access-control-max-age"], ["300"])

    def test_api_gateways_own_answers(self):
        media = self.outputs["MediaId"]
        http_id = self.outputs["HttpId"]
        # No route: an HTTP API's 404, a REST API's 403.
        status, _, body = urlopen(self.by_id(http_id, "", "/nope").replace("//nope", "/nope"))
        self.assertEqual((status, json.loads(body)), (404, {"message": "Not Found"}))
        status, _, body = urlopen(self.by_id(media, "v1", "/nope"))
        self.assertEqual((status, json.loads(body)), (403, {"message": "Missing Authentication Token"}))
        # A malformed answer: REST 502, HTTP API 500; a function error likewise.
        status, _, body = urlopen(self.url("/broken"))
        self.assertEqual((status, json.loads(body)), (502, {"message": "Internal server error"}))
        status, _, body = urlopen(self.url("/v2/broken"))
        self.assertEqual((status, json.loads(body)), (500, {"message": "Internal Server Error"}))
        self.assertEqual(urlopen(self.url("/fails"))[0], 502)
        self.assertEqual(urlopen(self.url("/v2/fails"))[0], 500)
        # The reason is in Tarmac's log.
        time.sleep(0.2)
        log = "\n".join(self.t.stderr_lines)
        self.assertIn("malformed Lambda proxy response from function", log)
        self.assertIn("statusCode must be an integer", log)
        # A body over 10 MB is refused before it is read.
        r = requests.post(self.url("/v2/items/1"), data=b"x" * (10 * 1024 * 1024 + 1), timeout=30)
        self.assertEqual(r.status_code, 413)
        self.assertEqual(r.json(), {"message": "Request Too Long"})

    def test_integration_timeouts(self):
        started = time.monotonic()
        status, _, body = urlopen(self.by_id(self.outputs["DocId"], "docs", "/doc-slow"))
        self.assertEqual((status, json.loads(body)), (504, {"message": "Endpoint request timed out"}))
        self.assertLess(time.monotonic() - started, 2.8)
        status, _, body = urlopen(self.url("/v2/slow"))
        self.assertEqual((status, json.loads(body)), (503, {"message": "Service Unavailable"}))

    def test_a_held_delivery_does_not_time_out(self):
        """The route times out after 1 s; held in the stepper for 2 s, it still answers."""
        edge = self.t.edge
        urlopen(edge + "/_tarmac/dispatch/pause", data=b"", method="POST")
        result = {}
        thread = threading.Thread(target=lambda: result.update(
            r=urlopen(self.url("/v2/quick"))))
        try:
            thread.start()
            time.sleep(2.0)
            self.assertTrue(thread.is_alive())
        finally:
            urlopen(edge + "/_tarmac/dispatch/resume", data=b"", method="POST")
        thread.join(20)
        self.assertEqual(result["r"][0], 200, result["r"][2])


if __name__ == "__main__":
    unittest.main()
