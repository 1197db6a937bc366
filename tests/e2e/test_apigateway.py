"""API Gateway on the API port, driven by curl, Python's urllib and requests: a SAM app with
implicit REST (payload 1.0) and HTTP (2.0) APIs, an explicit REST API with binary media types
and CORS, and an OpenAPI DefinitionBody. Events are compared with the keys of AWS's own sample
events; answers with API Gateway's (404/403/502/500/504/503/413)."""
import base64
import http.server
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import requests

from harness import Tarmac, boto3_client
from lambda_support import wait_for

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
  Custom:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.custom
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
          /doc-private:
            get:
              x-amazon-apigateway-integration:
                {type: http_proxy, uri: "http://nlb.internal/", connectionType: VPC_LINK}
          /doc-custom/{name}:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Custom.Arn}/invocations
                requestTemplates:
                  application/json: '{"name": "$input.params(''name'')", "body": $input.json(''$'')}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"said": "$input.path(''$.greeting'')", "got": $input.json(''$.got'')}'
                  "Bad.*":
                    statusCode: "400"
                    responseTemplates:
                      application/json: '{"error": "$input.path(''$.errorMessage'')"}'
  PlainRest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: plain-rest}
  PlainItems:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref PlainRest, ParentId: !GetAtt PlainRest.RootResourceId, PathPart: cfn}
  PlainItem:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref PlainRest, ParentId: !Ref PlainItems, PathPart: '{id}'}
  PlainGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlainRest
      ResourceId: !Ref PlainItem
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations
  PlainDeployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: PlainGet
    Properties: {RestApiId: !Ref PlainRest, StageName: live}
  PlainHttp:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: plain-http, ProtocolType: HTTP}
  PlainIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref PlainHttp
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Echo2.Arn
      PayloadFormatVersion: '2.0'
  PlainRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref PlainHttp
      RouteKey: 'GET /cfn2/{name}'
      Target: !Join [/, [integrations, !Ref PlainIntegration]]
Outputs:
  PlainRestId:
    Value: !Ref PlainRest
  PlainHttpId:
    Value: !Ref PlainHttp
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

def custom(event, context):
    if event["name"] == "bad":
        raise ValueError("Bad name: " + event["name"])
    return {"greeting": "hello " + event["name"], "got": event["body"]}
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


def start_project(cls, template, sources, files=None):
    """Writes template.yaml, src/NAME and other files into a temporary project and serves
    it."""
    cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-apigw-")
    root = cls.tmp.name
    files = dict(files or {}, **{"template.yaml": template})
    files.update({os.path.join("src", name): text for name, text in sources.items()})
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        with open(os.path.join(root, name), "w") as f:
            f.write(text)
    cls.t = Tarmac(project=root).start()
    _, health = cls.t.get_json("/_tarmac/health")
    cls.outputs = health["template"]["outputs"]


class ApiGatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_project(cls, TEMPLATE, {"app.py": APP})
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
        # A private integration is not served (and said in the fidelity report).
        self.assertEqual(urlopen(self.by_id(doc, "docs", "/doc-private"))[0], 403)
        _, health = self.t.get_json("/_tarmac/health")
        subjects = [i["subject"] for i in health["template"]["fidelity"]["items"]]
        self.assertTrue(any("VPC link" in s for s in subjects), subjects)

    def test_lambda_custom_integration(self):
        # type: aws with a function's uri: the request template is the function's event, its
        # answer goes through the response template; an error's message picks the response.
        doc = self.outputs["DocId"]
        headers = {"Content-Type": "application/json"}
        status, out, body = urlopen(self.by_id(doc, "docs", "/doc-custom/ana"), data=b'{"x": 1}',
                                    headers=headers, method="POST")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"said": "hello ana", "got": {"x": 1}})
        self.assertTrue(out["Content-Type"].startswith("application/json"), dict(out))
        status, _, body = urlopen(self.by_id(doc, "docs", "/doc-custom/bad"), data=b"{}",
                                  headers=headers, method="POST")
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(body), {"error": "Bad name: bad"})

    def test_apis_and_routes_in_the_catalog(self):
        from test_serve import ws_connect, ws_recv, ws_send_text
        token = open(os.path.join(self.t.state, "ide-token")).read().strip()
        s, _ = ws_connect(self.t.ide, token=token)
        self.addCleanup(s.close)

        def call(method, **params):
            ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                        "params": params}))
            return json.loads(ws_recv(s)[1])
        apis = {a["name"]: a for a in call("resources.list", kind="api")["result"]["resources"]}
        self.assertIn("ServerlessHttpApi", apis)
        self.assertIn("MediaApi", apis)
        routes = {r["name"]: r for r in call("resources.list", kind="route")["result"]["resources"]}
        route = routes["GET /v2/simple · ServerlessHttpApi"]
        self.assertIn("send request", route["actions"])
        answer = call("resources.action", kind="route", name="GET /v2/simple · ServerlessHttpApi",
                      action="send request")["result"]
        self.assertIn("sent GET", json.dumps(answer))
        wait_for(lambda: any("GET" in line and "/v2/simple answered 200" in line
                             for line in self.t.stderr_lines), timeout=10, what="the answer")
        # "send request" asks for a method, path, content type and body first; what is typed
        # goes out as the request.
        name = "ANY /v2/any/{proxy+} · ServerlessHttpApi"
        fields = {f["id"]: f for f in routes[name]["actionFields"]["send request"]}
        self.assertEqual(fields["method"]["choices"][:2], ["GET", "POST"])
        self.assertEqual(fields["path"]["value"], "/v2/any/example")
        self.assertTrue(fields["body"]["multiline"])
        answer = call("resources.action", kind="route", name=name, action="send request",
                      fields={"method": "PUT", "path": "/v2/any/from/the/ide",
                              "contentType": "application/json", "body": '{"sent": "typed"}'})
        self.assertIn("sent PUT", json.dumps(answer))
        wait_for(lambda: any("PUT" in line and "/v2/any/from/the/ide answered 201" in line
                             for line in self.t.stderr_lines), timeout=10, what="the answer")
        records = call("deliveries.list", function="Echo2", bodies=True)["result"]
        event = next(r["payload"] for r in records["deliveries"]
                     if r["payload"]["rawPath"] == "/v2/any/from/the/ide")
        self.assertEqual((event["requestContext"]["http"]["method"], event["body"],
                          event["headers"]["content-type"]),
                         ("PUT", '{"sent": "typed"}', "application/json"))
        bad = call("resources.action", kind="route", name=name, action="send request",
                   fields={"path": "no-slash"})["error"]
        self.assertEqual(bad["data"]["type"], "BadRequestException")
        bad = call("resources.action", kind="route", name=name, action="send request",
                   fields={"nope": "x"})["error"]
        self.assertEqual(bad["code"], -32602)

    def test_apis_in_plain_cloudformation(self):
        status, _, body = urlopen(self.by_id(self.outputs["PlainRestId"], "live", "/cfn/9"))
        self.assertEqual(status, 200, body)
        event = json.loads(body)
        self.assertEqual((event["resource"], event["pathParameters"]), ("/cfn/{id}", {"id": "9"}))
        self.assertEqual(event["requestContext"]["stage"], "live")
        status, _, body = urlopen("%s/_aws/execute-api/%s/cfn2/x" % (self.api, self.outputs["PlainHttpId"]))
        self.assertEqual(status, 201, body)
        self.assertEqual(json.loads(body)["routeKey"], "GET /cfn2/{name}")

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
        self.t.wait_log("statusCode must be an integer")
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


AUTH_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    CodeUri: src
    Timeout: 10
Resources:
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.backend
      Events:
        Private: {Type: Api, Properties: {RestApiId: !Ref SecureApi, Path: /private, Method: get}}
        Other: {Type: Api, Properties: {RestApiId: !Ref SecureApi, Path: /other, Method: post}}
        Request:
          Type: Api
          Properties: {RestApiId: !Ref SecureApi, Path: /request, Method: get, Auth: {Authorizer: ReqAuth}}
        Public:
          Type: Api
          Properties: {RestApiId: !Ref SecureApi, Path: /public, Method: get, Auth: {Authorizer: NONE}}
        Keyed:
          Type: Api
          Properties:
            RestApiId: !Ref SecureApi
            Path: /keyed
            Method: get
            Auth: {Authorizer: NONE, ApiKeyRequired: true}
        Simple:
          Type: HttpApi
          Properties: {ApiId: !Ref SecureHttp, Path: /simple, Method: get}
        Policy:
          Type: HttpApi
          Properties: {ApiId: !Ref SecureHttp, Path: /policy, Method: get, Auth: {Authorizer: PolicyAuth}}
  TokenAuthFn:
    Type: AWS::Serverless::Function
    Properties: {Handler: auth.token}
  ReqAuthFn:
    Type: AWS::Serverless::Function
    Properties: {Handler: auth.request}
  SimpleAuthFn:
    Type: AWS::Serverless::Function
    Properties: {Handler: auth.simple}
  SecureApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: TokenAuth
        Authorizers:
          TokenAuth:
            FunctionArn: !GetAtt TokenAuthFn.Arn
            Identity: {ValidationExpression: 'Bearer .*', ReauthorizeEvery: 300}
          ReqAuth:
            FunctionArn: !GetAtt ReqAuthFn.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [X-User], QueryStrings: [tenant], ReauthorizeEvery: 0}
  SecureHttp:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: SimpleAuth
        Authorizers:
          SimpleAuth:
            FunctionArn: !GetAtt SimpleAuthFn.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization], ReauthorizeEvery: 0}
          PolicyAuth:
            FunctionArn: !GetAtt TokenAuthFn.Arn
            AuthorizerPayloadFormatVersion: '1.0'
            Identity: {Headers: [Authorization], ReauthorizeEvery: 0}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Enabled: true, Value: local-key-0123456789abcdefghij}
  OpenApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      DefinitionBody:
        openapi: '3.0.1'
        components:
          securitySchemes:
            Tok:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authtype: custom
              x-amazon-apigateway-authorizer:
                type: token
                authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${TokenAuthFn.Arn}/invocations
                authorizerResultTtlInSeconds: 0
            api_key: {type: apiKey, name: x-api-key, in: header}
        security: [{Tok: []}]
        paths:
          /guarded:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
          /open:
            get:
              security: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
          /keyed:
            get:
              security: [{api_key: []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
Outputs:
  SecureId: {Value: !Ref SecureApi}
  HttpId: {Value: !Ref SecureHttp}
  OpenApiId: {Value: !Ref OpenApi}
"""

AUTH_APP = """\
import json

CALLS = {"n": 0}

def backend(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}

def policy(effect, resource, context=None):
    return {"principalId": "alice", "context": context or {},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}

def token(event, context):
    CALLS["n"] += 1
    tok = event.get("authorizationToken") or event.get("identitySource", "")
    arn = event.get("methodArn") or event.get("routeArn")
    if tok == "Bearer allow":
        return policy("Allow", arn, {"user": "alice", "calls": CALLS["n"], "admin": False})
    if tok == "Bearer deny":
        return policy("Deny", arn)
    if tok == "Bearer wildcard":
        return policy("Allow", arn.split("/")[0] + "/*/GET/*")
    if tok == "Bearer fail":
        raise Exception("Unauthorized")
    if tok == "Bearer broken":
        return "not a policy"
    return policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:nothing/*")

def request(event, context):
    ok = event["headers"].get("X-User") == "alice" and event["queryStringParameters"].get("tenant") == "t1"
    return policy("Allow" if ok else "Deny", event["methodArn"], {"tenant": "t1"})

def simple(event, context):
    assert event["version"] == "2.0" and event["type"] == "REQUEST", event
    return {"isAuthorized": event["identitySource"] == ["let me in"], "context": {"who": "bob"}}
"""


class AuthorizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_project(cls, AUTH_TEMPLATE,
                      {"app.py": AUTH_APP.split("\ndef policy")[0] + "\n", "auth.py": AUTH_APP})

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()

    def rest(self, path, **headers):
        url = "%s/_aws/execute-api/%s/prod%s" % (self.t.api, self.outputs["SecureId"], path)
        return urlopen(url, headers=headers)

    def http(self, path, **headers):
        return urlopen("%s/_aws/execute-api/%s%s" % (self.t.api, self.outputs["HttpId"], path),
                       headers=headers)

    def test_token_authorizer_allows_denies_and_caches(self):
        status, _, body = self.rest("/private", Authorization="Bearer allow")
        self.assertEqual(status, 200, body)
        context = json.loads(body)
        self.assertEqual((context["principalId"], context["user"], context["admin"]),
                         ("alice", "alice", False))
        # Served from the cache: the authorizer did not run again (its count did not move).
        status, _, body = self.rest("/private", Authorization="Bearer allow")
        self.assertEqual((status, json.loads(body)["calls"]), (200, context["calls"]))
        # A cached policy is evaluated again for another method's ARN: it does not cover it.
        url = "%s/_aws/execute-api/%s/prod/other" % (self.t.api, self.outputs["SecureId"])
        status, _, body = urlopen(url, data=b"{}", headers={"Authorization": "Bearer allow"})
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body),
                         {"Message": "User is not authorized to access this resource"})
        status, _, body = self.rest("/private", Authorization="Bearer deny")
        self.assertEqual((status, json.loads(body)), (403, {
            "Message": "User is not authorized to access this resource with an explicit deny"}))
        self.assertEqual(self.rest("/private", Authorization="Bearer wildcard")[0], 200)
        self.assertEqual(self.rest("/private", Authorization="Bearer nothing")[0], 403)
        # No token, a token the validation expression refuses, "Unauthorized": 401.
        for headers in ({}, {"Authorization": "Basic x"}, {"Authorization": "Bearer fail"}):
            status, _, body = self.rest("/private", **headers)
            self.assertEqual((status, json.loads(body)), (401, {"message": "Unauthorized"}), headers)
        status, _, body = self.rest("/private", Authorization="Bearer broken")
        self.assertEqual((status, json.loads(body)), (500, {"message": None}))
        # NONE opts a route out.
        self.assertEqual(self.rest("/public")[0], 200)

    def test_request_authorizer(self):
        status, _, body = self.rest("/request?tenant=t1", **{"X-User": "alice"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["tenant"], "t1")
        self.assertEqual(self.rest("/request?tenant=t2", **{"X-User": "alice"})[0], 403)
        self.assertEqual(self.rest("/request?tenant=t1")[0], 401)  # an identity source is missing

    def test_http_api_authorizers(self):
        status, _, body = self.http("/simple", Authorization="let me in")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"lambda": {"who": "bob"}})
        status, _, body = self.http("/simple", Authorization="no")
        self.assertEqual((status, json.loads(body)), (403, {"message": "Forbidden"}))
        self.assertEqual(self.http("/simple")[0], 401)
        # An IAM policy from a payload 1.0 authorizer.
        status, _, body = self.http("/policy", Authorization="Bearer allow")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["lambda"]["user"], "alice")  # a 2.0 integration
        self.assertEqual(self.http("/policy", Authorization="Bearer deny")[0], 403)

    def test_authorizers_and_keys_of_an_openapi_definition(self):
        def get(path, **headers):
            return urlopen("%s/_aws/execute-api/%s/v1%s" % (self.t.api, self.outputs["OpenApiId"], path),
                           headers=headers)
        status, _, body = get("/guarded", Authorization="Bearer allow")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["user"], "alice")
        self.assertEqual(get("/guarded")[0], 401)
        self.assertEqual(get("/guarded", Authorization="Bearer deny")[0], 403)
        self.assertEqual(get("/open")[0], 200)  # security: [] turns the default off
        self.assertEqual(get("/keyed")[0], 403)
        self.assertEqual(get("/keyed", **{"x-api-key": "local-key-0123456789abcdefghij"})[0], 200)

    def test_api_keys(self):
        self.assertEqual(self.rest("/keyed")[0], 403)
        self.assertEqual(self.rest("/keyed", **{"x-api-key": "wrong"})[0], 403)
        status, _, body = self.rest("/keyed", **{"x-api-key": "local-key-0123456789abcdefghij"})
        self.assertEqual(status, 200, body)

    def test_authorizer_result_on_the_span(self):
        self.rest("/private", Authorization="Bearer deny")
        def found():
            _, traces = self.t.get_json("/_tarmac/traces")
            spans = [s for rs in traces["resourceSpans"] for ss in rs["scopeSpans"]
                     for s in ss["spans"]]
            for s in spans:
                attrs = {a["key"]: list(a["value"].values())[0] for a in s.get("attributes", [])}
                if attrs.get("aws.apigateway.authorizer") == "deny":
                    return s, spans
            return None
        span, spans = wait_for(found, timeout=10, what="the request's span")
        # The authorizer's invocation is a child of the request's span.
        children = [s for s in spans if s.get("parentSpanId") == span["spanId"]]
        self.assertTrue(children, "no child of the request span")


JWT_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: src
      Handler: app.backend
      Events:
        Jwt: {Type: HttpApi, Properties: {ApiId: !Ref JwtApi, Path: /jwt, Method: get}}
        Scoped:
          Type: HttpApi
          Properties:
            ApiId: !Ref JwtApi
            Path: /scoped
            Method: get
            Auth: {Authorizer: Jwt, AuthorizationScopes: [items/write]}
  JwtApi:
    Type: AWS::Serverless::HttpApi
    Metadata:
      Tarmac: {Jwks: keys/jwks.json}
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {issuer: 'https://issuer.example', audience: [my-app]}
Outputs:
  JwtId: {Value: !Ref JwtApi}
"""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_jwks(key):
    """A JWKS document with `key`'s public half as key k1."""
    numbers = key.public_key().public_numbers()
    return {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                      "n": b64url(numbers.n.to_bytes(256, "big")),
                      "e": b64url(numbers.e.to_bytes(3, "big"))}]}


def signed_jwt(key, kid="k1", **claims):
    """An RS256 token from https://issuer.example for my-app, scope items/read, signed by
    `key`; `claims` replace or add claims."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    body = {"iss": "https://issuer.example", "aud": "my-app", "sub": "user-1",
            "exp": int(time.time()) + 600, "scope": "items/read"}
    body.update(claims)
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64url(json.dumps(body).encode())
    signature = key.sign((head + "." + payload).encode(), padding.PKCS1v15(), hashes.SHA256())
    return head + "." + payload + "." + b64url(signature)


class JwtTest(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()

    @classmethod
    def setUpClass(cls):
        try:
            from cryptography.hazmat.primitives.asymmetric import rsa
        except ImportError:
            raise unittest.SkipTest("python3-cryptography is not installed")
        cls.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        start_project(cls, JWT_TEMPLATE, {"app.py": AUTH_APP.split("\ndef policy")[0] + "\n"},
                      {"keys/jwks.json": json.dumps(rsa_jwks(cls.key))})

    def token(self, key=None, kid="k1", **claims):
        return signed_jwt(key or self.key, kid, **claims)

    def get(self, path, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        return urlopen("%s/_aws/execute-api/%s%s" % (self.t.api, self.outputs["JwtId"], path),
                       headers=headers)

    def test_valid_token_reaches_the_function_with_its_claims(self):
        status, _, body = self.get("/jwt", self.token())
        self.assertEqual(status, 200, body)
        jwt = json.loads(body)["jwt"]
        self.assertEqual(jwt["claims"]["sub"], "user-1")
        self.assertEqual(jwt["scopes"], ["items/read"])

    def test_tokens_api_gateway_refuses(self):
        for name, token in [
                ("no token", None),
                ("not a jwt", "abc"),
                ("another key", self.token(key=self.other)),
                ("unknown kid", self.token(kid="k2")),
                ("issuer", self.token(iss="https://evil.example")),
                ("audience", self.token(aud="other-app")),
                ("expired", self.token(exp=int(time.time()) - 5)),
                ("not yet", self.token(nbf=int(time.time()) + 600))]:
            status, _, body = self.get("/jwt", token)
            self.assertEqual((status, json.loads(body)), (401, {"message": "Unauthorized"}), name)

    def test_scopes(self):
        status, _, body = self.get("/scoped", self.token())
        self.assertEqual((status, json.loads(body)), (403, {"message": "Forbidden"}))
        self.assertEqual(self.get("/scoped", self.token(scope="items/read items/write"))[0], 200)


class ManagementTest(unittest.TestCase):
    """Quick create through the management API, for apps without a template."""

    def test_quick_create_with_the_cli_and_boto3_survives_kill_9(self):
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-apigw-mgmt-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        from lambda_support import make_zip, ROLE
        code = make_zip({"app.py": "def handler(e, c):\n    return {'path': e['rawPath']}\n"})
        with Tarmac(state=state) as t:
            lam = boto3_client(t, "lambda")
            fn = lam.create_function(FunctionName="quick", Runtime="python3.11", Role=ROLE,
                                     Handler="app.handler", Code={"ZipFile": code})["FunctionArn"]
            r = subprocess.run(["aws", "apigatewayv2", "create-api", "--name", "quick-api",
                                "--protocol-type", "HTTP", "--target", fn, "--output", "json"],
                               env=t.client_env(), capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            api = json.loads(r.stdout)
            self.assertEqual((api["Name"], api["ProtocolType"]), ("quick-api", "HTTP"))
            self.assertRegex(api["ApiId"], r"^[a-z0-9]{10}$")
            self.assertEqual(api["ApiEndpoint"],
                             "https://%s.execute-api.us-east-1.amazonaws.com" % api["ApiId"])
            status, _, body = urlopen("%s/_aws/execute-api/%s/any/path" % (t.api, api["ApiId"]))
            self.assertEqual((status, json.loads(body)), (200, {"path": "/any/path"}))
            # And at the plain path, as every API is.
            self.assertEqual(urlopen(t.api + "/x")[0], 200)
            v2 = boto3_client(t, "apigatewayv2")
            self.assertEqual([a["ApiId"] for a in v2.get_apis()["Items"]], [api["ApiId"]])
            self.assertEqual(v2.get_api(ApiId=api["ApiId"])["Name"], "quick-api")
            with self.assertRaises(v2.exceptions.NotFoundException):
                v2.get_api(ApiId="nosuchapi0")
            with self.assertRaises(v2.exceptions.BadRequestException):
                v2.create_api(Name="ws", ProtocolType="WEBSOCKET")
            second = v2.create_api(Name="second", ProtocolType="HTTP", Target=fn)["ApiId"]
            t.kill9()
        # Acknowledged before the kill: both are there after it, and still serve.
        with Tarmac(state=state) as t:
            v2 = boto3_client(t, "apigatewayv2")
            self.assertEqual(sorted(a["ApiId"] for a in v2.get_apis()["Items"]),
                             sorted([api["ApiId"], second]))
            status, _, body = urlopen("%s/_aws/execute-api/%s/again" % (t.api, second))
            self.assertEqual((status, json.loads(body)), (200, {"path": "/again"}))
            v2.delete_api(ApiId=second)
            with self.assertRaises(v2.exceptions.NotFoundException):
                v2.delete_api(ApiId=second)
            self.assertEqual(urlopen("%s/_aws/execute-api/%s/again" % (t.api, second))[0], 403)

    def test_every_field_of_create_api_with_every_wrong_type(self):
        with Tarmac(ephemeral=True) as t:
            v2 = boto3_client(t, "apigatewayv2", parameter_validation=False)
            good = {"Name": "n", "ProtocolType": "HTTP",
                    "Target": "arn:aws:lambda:us-east-1:000000000000:function:f",
                    "RouteKey": "GET /x", "Description": "d", "Tags": {"a": "b"},
                    "CorsConfiguration": {"AllowOrigins": ["*"]}}
            wrong = [123, 1.5, True, ["a"], {"a": 1}, None]
            for field in good:
                for value in wrong:
                    if value is None and field not in ("Name", "ProtocolType"):
                        continue
                    if isinstance(value, dict) and field in ("Tags", "CorsConfiguration"):
                        continue
                    request = dict(good, **{field: value})
                    try:
                        v2.create_api(**request)
                    except v2.exceptions.BadRequestException:
                        continue
                    except Exception as e:  # a serializer may refuse the value itself
                        self.assertNotIn("InternalServerError", str(e), (field, value))
                        continue
                    # Accepted only when the serializer turned the value into a valid one.
                    self.assertIn(field, ("Description", "RouteKey", "Tags", "Name"), (field, value))
            # Still alive and answering.
            self.assertIsInstance(v2.get_apis()["Items"], list)


INTEGRATIONS_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Site:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Variables: {key: from-the-stage}
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: site, version: "1"}
        paths:
          /site/{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: BACKEND/backend/{proxy}
                requestParameters:
                  integration.request.path.proxy: method.request.path.proxy
                  integration.request.header.X-Stage: "'v1'"
          /things/{id}:
            get:
              x-amazon-apigateway-integration:
                type: http
                httpMethod: POST
                uri: BACKEND/lookup/{id}
                requestParameters:
                  integration.request.path.id: method.request.path.id
                  integration.request.querystring.verbose: method.request.querystring.v
                  integration.request.header.X-Caller: method.request.header.X-Who
                  integration.request.header.X-Key: stageVariables.key
                requestTemplates:
                  application/json: '{"id": "$input.params(''id'')", "stage": "$context.stage"}'
                responses:
                  "404":
                    statusCode: "404"
                    responseTemplates:
                      application/json: '{"missing": "$input.params(''id'')"}'
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.X-Backend: integration.response.header.X-Backend
                    responseTemplates:
                      application/json: '{"thing": $input.json(''$'')}'
          /down:
            get:
              x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "DOWN/x"}
          /mock:
            options:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{"statusCode": 200}'}
                responses:
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.Access-Control-Allow-Origin: "'*'"
                      method.response.header.Access-Control-Allow-Methods: "'GET,OPTIONS'"
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '{"statusCode": $input.params(''code'')}'
                responses:
                  "4\\\\d{2}":
                    statusCode: "404"
                    responseTemplates:
                      application/json: '{"message": "no such thing on $context.stage"}'
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"mocked": true, "stage": "$context.stage"}'
          /scope:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: |
                    {
                      #if( $input.params('scope') == "internal" )
                        "statusCode": 200
                      #else
                        "statusCode": 500
                      #end
                    }
                responses:
                  "5\\\\d{2}":
                    statusCode: "500"
                    responseTemplates:
                      application/json: '{"message": "The invoked method is not supported on the API resource."}'
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: |
                        {"scope": "$input.params('scope')", "tags": [
                        #foreach($t in $input.params().querystring.tags.split(','))
                          "$t.trim()"#if($foreach.hasNext),#end
                        #end
                        ]}
          /queue:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:sqs:path/000000000000/api-queue
                requestParameters:
                  integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
                requestTemplates:
                  application/json: Action=SendMessage&MessageBody=$util.urlEncode($input.body)
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"queued": true}'
          /notify:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: arn:aws:apigateway:us-east-1:sns:action/Publish
                requestParameters:
                  integration.request.querystring.TopicArn: "'arn:aws:sns:us-east-1:000000000000:api-topic'"
                  integration.request.querystring.Message: method.request.querystring.text
                responses:
                  "4\\\\d{2}":
                    statusCode: "400"
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '{"published": true}'
          /files/{key}:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: GET
                uri: arn:aws:apigateway:us-east-1:s3:path/api-files/{key}
                requestParameters:
                  integration.request.path.key: method.request.path.key
                responses:
                  "404":
                    statusCode: "404"
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.Content-Type: integration.response.header.Content-Type
  ApiQueue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: api-queue}
  TopicQueue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: api-topic-queue}
  ApiTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: api-topic
      Subscription:
        - {Protocol: sqs, Endpoint: !GetAtt TopicQueue.Arn}
  Files:
    Type: AWS::S3::Bucket
    Properties: {BucketName: api-files}
  Proxy2:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: proxy2, ProtocolType: HTTP}
  Proxy2Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Proxy2
      IntegrationType: HTTP_PROXY
      IntegrationMethod: ANY
      IntegrationUri: BACKEND/v2/{proxy}
      PayloadFormatVersion: "1.0"
  Proxy2Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Proxy2
      RouteKey: ANY /v2/{proxy+}
      Target: !Sub integrations/${Proxy2Integration}
  Proxy2Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Proxy2, StageName: $default, AutoDeploy: true}
Outputs:
  SiteId: {Value: !Ref Site}
  Proxy2Id: {Value: !Ref Proxy2}
"""


class Backend(http.server.BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON; /lookup/missing is a 404 and
    /backend/redirect a 302."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        seen = {"method": self.command, "path": path, "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace")}
        status = {"PUT": 201}.get(self.command, 200)
        if path == "/lookup/missing":
            status = 404
        extra = []
        if path == "/backend/redirect":
            status, extra = 302, [("Location", "/elsewhere")]
        out = json.dumps(seen).encode()
        if path == "/backend/huge":
            out = b" " * (11 * 1024 * 1024)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the huge answer, cut off

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer


class HttpAndMockIntegrationTest(unittest.TestCase):
    """HTTP proxy, HTTP (templates and parameter mappings) and mock integrations, against a
    backend on this machine."""

    @classmethod
    def setUpClass(cls):
        cls.backend = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
        threading.Thread(target=cls.backend.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % cls.backend.server_address[1]
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        cls.closed = closed
        template = (INTEGRATIONS_TEMPLATE.replace("BACKEND", base)
                    .replace("DOWN", "http://127.0.0.1:%d" % closed.getsockname()[1]))
        start_project(cls, template, {})
        cls.site = cls.outputs["SiteId"]

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()
        cls.backend.shutdown()
        cls.closed.close()

    def site_url(self, path):
        return "%s/_aws/execute-api/%s/v1%s" % (self.t.api, self.site, path)

    def test_http_proxy_passes_the_request_and_the_answer(self):
        r = requests.put(self.site_url("/site/a/b%20c?x=1&x=2"), data=b"raw \xff bytes",
                         headers={"X-Custom": "1", "Content-Type": "application/octet-stream"},
                         allow_redirects=False, timeout=20)
        self.assertEqual(r.status_code, 201, r.text)
        seen = r.json()
        self.assertEqual(seen["method"], "PUT")
        self.assertEqual(seen["path"], "/backend/a/b%20c")
        self.assertEqual(seen["query"], "x=1&x=2")
        self.assertEqual(seen["headers"]["x-custom"], "1")
        self.assertEqual(seen["headers"]["x-stage"], "v1")
        self.assertEqual(seen["headers"]["content-type"], "application/octet-stream")
        self.assertEqual(seen["headers"]["host"], "127.0.0.1:%d" % self.backend.server_address[1])
        self.assertIn("x-forwarded-for", seen["headers"])
        self.assertEqual(seen["body"], "raw \ufffd bytes")
        self.assertEqual(r.headers["X-Backend"], "yes")
        self.assertEqual(r.raw.headers.getlist("Set-Cookie"), ["a=1", "b=2"])
        self.assertTrue(r.headers["apigw-requestid"])
        # A header sent twice arrives once, joined; a body over 10 MB is not taken.
        status, _, body = curl("-g", self.site_url('/site/twice?a=|"x"'), "-H", "X-Multi: one",
                               "-H", "X-Multi: two")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["headers"]["x-multi"], "one, two")
        self.assertEqual(json.loads(body)["query"], "a=%7C%22x%22")
        r = requests.get(self.site_url("/site/huge"), timeout=60)
        self.assertEqual((r.status_code, r.json()), (500, {"message": "Internal server error"}))
        self.t.wait_log("the integration's answer is over 10 MB")
        # A redirect is the client's to follow.
        r = requests.get(self.site_url("/site/redirect"), allow_redirects=False, timeout=20)
        self.assertEqual((r.status_code, r.headers["Location"]), (302, "/elsewhere"))
        # The same at the plain path.
        r = requests.delete(self.t.api + "/site/x", timeout=20)
        self.assertEqual((r.status_code, r.json()["method"]), (200, "DELETE"))

    def test_http_api_proxy(self):
        proxy2 = self.outputs["Proxy2Id"]
        r = requests.post("%s/_aws/execute-api/%s/v2/deep/path?q=1" % (self.t.api, proxy2),
                          json={"a": 1}, timeout=20)
        self.assertEqual(r.status_code, 200, r.text)
        seen = r.json()
        self.assertEqual((seen["method"], seen["path"], seen["query"]), ("POST", "/v2/deep/path", "q=1"))
        self.assertEqual(json.loads(seen["body"]), {"a": 1})

    def test_http_integration_maps_the_request_and_the_answer(self):
        r = requests.get(self.site_url("/things/42?v=yes"), headers={"X-Who": "me"}, timeout=20)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertEqual(r.headers["X-Backend"], "yes")
        self.assertNotIn("Set-Cookie", r.headers)  # only what responseParameters map
        seen = r.json()["thing"]
        self.assertEqual((seen["method"], seen["path"], seen["query"]), ("POST", "/lookup/42", "verbose=yes"))
        self.assertEqual(json.loads(seen["body"]), {"id": "42", "stage": "v1"})
        self.assertEqual(seen["headers"]["x-caller"], "me")
        self.assertEqual(seen["headers"]["x-key"], "from-the-stage")
        self.assertEqual(seen["headers"]["content-type"], "application/json")
        self.assertNotIn("x-who", seen["headers"])  # a non-proxy passes only what is mapped
        # The backend's 404 selects the 404 response.
        r = requests.get(self.site_url("/things/missing"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (404, {"missing": "missing"}))

    def test_unreachable_backend(self):
        r = requests.get(self.site_url("/down"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (500, {"message": "Internal server error"}))
        self.t.wait_log("/down")

    def test_mock_integration(self):
        # A CORS preflight answered by the mock's literal headers.
        r = requests.options(self.site_url("/mock"), timeout=20)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], "*")
        self.assertEqual(r.headers["Access-Control-Allow-Methods"], "GET,OPTIONS")
        self.assertEqual(r.content, b"")
        # The request template's statusCode selects the response.
        r = requests.get(self.site_url("/mock?code=200"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (200, {"mocked": True, "stage": "v1"}))
        r = requests.get(self.site_url("/mock?code=404"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (404, {"message": "no such thing on v1"}))
        # The documentation's mock, with #if in its request template and #foreach in its
        # response template.
        r = requests.get(self.site_url("/scope?scope=internal&tags=a,%20b"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (200, {"scope": "internal", "tags": ["a", "b"]}))
        r = requests.get(self.site_url("/scope?scope=public"), timeout=20)
        self.assertEqual(r.status_code, 500)
        self.assertEqual(r.json(), {"message": "The invoked method is not supported on the API resource."})
        # No statusCode: API Gateway's 500, and the reason in the log.
        r = requests.get(self.site_url("/mock"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (500, {"message": "Internal server error"}))
        self.t.wait_log("the mock integration's request has no statusCode")
        # Each integration on the request's span.
        spans = self.t.get_json("/_tarmac/traces")[1]
        self.assertIn('"mock"', json.dumps(spans))

    def test_aws_integrations_by_path_and_query_protocol(self):
        # API Gateway in front of SQS, SNS and S3, as their own HTTP APIs.
        r = requests.post(self.site_url("/queue"), json={"order": 7}, timeout=20)
        self.assertEqual((r.status_code, r.json()), (200, {"queued": True}), r.text)
        sqs = boto3_client(self.t, "sqs")
        url = sqs.get_queue_url(QueueName="api-queue")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
        self.assertEqual(json.loads(got[0]["Body"]), {"order": 7})
        r = requests.post(self.site_url("/notify?text=hello%20topic"), timeout=20)
        self.assertEqual((r.status_code, r.json()), (200, {"published": True}), r.text)
        url = sqs.get_queue_url(QueueName="api-topic-queue")["QueueUrl"]
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
        self.assertEqual(json.loads(got[0]["Body"])["Message"], "hello topic")
        # No text: SNS's own 400 selects the 400 response.
        self.assertEqual(requests.post(self.site_url("/notify"), timeout=20).status_code, 400)
        s3 = boto3_client(self.t, "s3")
        s3.put_object(Bucket="api-files", Key="docs/a b.txt", Body=b"file body",
                      ContentType="text/plain")
        r = requests.get(self.site_url("/files/docs%2Fa%20b.txt"), timeout=20)
        self.assertEqual((r.status_code, r.content), (200, b"file body"))
        self.assertEqual(r.headers["Content-Type"], "text/plain")
        self.assertEqual(requests.get(self.site_url("/files/none"), timeout=20).status_code, 404)

    def test_quick_create_with_a_url_target(self):
        v2 = boto3_client(self.t, "apigatewayv2")
        base = "http://127.0.0.1:%d/quick" % self.backend.server_address[1]
        api = v2.create_api(Name="quick-proxy", ProtocolType="HTTP", Target=base)["ApiId"]
        self.addCleanup(v2.delete_api, ApiId=api)
        r = requests.get("%s/_aws/execute-api/%s/ignored?z=9" % (self.t.api, api), timeout=20)
        self.assertEqual(r.status_code, 200, r.text)
        # No {proxy} in the uri: the backend gets the uri's own path, and the query string.
        self.assertEqual((r.json()["path"], r.json()["query"]), ("/quick", "z=9"))
        with self.assertRaises(v2.exceptions.BadRequestException):
            v2.create_api(Name="bad", ProtocolType="HTTP", Target="ftp://files.example/")


CFN_AUTH_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src, Timeout: 10}
Resources:
  Backend: {Type: AWS::Serverless::Function, Properties: {Handler: app.backend}}
  TokenFn: {Type: AWS::Serverless::Function, Properties: {Handler: app.token}}
  RequestFn: {Type: AWS::Serverless::Function, Properties: {Handler: app.request}}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: cfn-auth}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Tenants:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: tenants}
  Open:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: open}
  TokenAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: token-auth
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      IdentityValidationExpression: "^Bearer .+$"
      AuthorizerResultTtlInSeconds: 0
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${TokenFn.Arn}/invocations
  RequestAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: request-auth
      Type: REQUEST
      IdentitySource: method.request.header.X-User, method.request.querystring.tenant
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${RequestFn.Arn}/invocations
  ItemsGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref TokenAuth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
  TenantsGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Tenants
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref RequestAuth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
  OpenGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Open
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Backend.Arn}/invocations
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [ItemsGet, TenantsGet, OpenGet]
    Properties: {RestApiId: !Ref Api}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: prod}
Outputs:
  ApiId: {Value: !Ref Api}
  TokenAuthId: {Value: !Ref TokenAuth}
"""


class CloudFormationAuthorizerTest(unittest.TestCase):
    """AWS::ApiGateway::Authorizer resources on a plain CloudFormation REST API."""

    @classmethod
    def setUpClass(cls):
        start_project(cls, CFN_AUTH_TEMPLATE, {"app.py": AUTH_APP})

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()

    def url(self, path):
        return "%s/_aws/execute-api/%s/prod%s" % (self.t.api, self.outputs["ApiId"], path)

    def test_token_authorizer(self):
        self.assertRegex(self.outputs["TokenAuthId"], r"^[a-z0-9]{6}$")
        r = requests.get(self.url("/items"), headers={"Authorization": "Bearer allow"}, timeout=30)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["principalId"], "alice")
        self.assertEqual(r.json()["user"], "alice")
        r = requests.get(self.url("/items"), headers={"Authorization": "Bearer deny"}, timeout=30)
        self.assertEqual((r.status_code, r.json()["Message"]),
                         (403, "User is not authorized to access this resource with an explicit deny"))
        # No token, or one the validation expression refuses: 401 without calling the function.
        self.assertEqual(requests.get(self.url("/items"), timeout=30).status_code, 401)
        self.assertEqual(requests.get(self.url("/items"), headers={"Authorization": "Basic x"},
                                      timeout=30).status_code, 401)

    def test_request_authorizer_and_an_open_method(self):
        r = requests.get(self.url("/tenants?tenant=t1"), headers={"X-User": "alice"}, timeout=30)
        self.assertEqual((r.status_code, r.json()["tenant"]), (200, "t1"), r.text)
        r = requests.get(self.url("/tenants?tenant=t2"), headers={"X-User": "alice"}, timeout=30)
        self.assertEqual(r.status_code, 403)
        # A missing identity source: 401.
        self.assertEqual(requests.get(self.url("/tenants?tenant=t1"), timeout=30).status_code, 401)
        r = requests.get(self.url("/open"), timeout=30)
        self.assertEqual((r.status_code, r.json()), (200, None))


CFN_V2_AUTH_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src, Timeout: 10}
Resources:
  Backend: {Type: AWS::Serverless::Function, Properties: {Handler: app.backend}}
  SimpleFn: {Type: AWS::Serverless::Function, Properties: {Handler: app.simple}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: cfn-v2-auth, ProtocolType: HTTP}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Backend.Arn
      PayloadFormatVersion: "2.0"
  SimpleAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Api
      Name: simple
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${SimpleFn.Arn}/invocations
      AuthorizerPayloadFormatVersion: "2.0"
      EnableSimpleResponses: true
      IdentitySource: [$request.header.X-Key]
  JwtAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Metadata:
      Tarmac: {Jwks: JWKS_URL}
    Properties:
      ApiId: !Ref Api
      Name: jwt
      AuthorizerType: JWT
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: {Issuer: "https://issuer.example", Audience: [my-app]}
  SimpleRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /simple
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref SimpleAuth
      Target: !Sub integrations/${Integration}
  JwtRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /jwt
      AuthorizationType: JWT
      AuthorizerId: !Ref JwtAuth
      AuthorizationScopes: [items/read]
      Target: !Sub integrations/${Integration}
  OpenRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /open
      Target: !Sub integrations/${Integration}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: $default, AutoDeploy: true}
Outputs:
  ApiId: {Value: !Ref Api}
"""


class CloudFormationHttpApiAuthorizerTest(unittest.TestCase):
    """AWS::ApiGatewayV2::Authorizer resources (Lambda with simple responses, JWT with keys
    from a URL) on a plain CloudFormation HTTP API."""

    @classmethod
    def setUpClass(cls):
        try:
            from cryptography.hazmat.primitives.asymmetric import rsa
        except ImportError:
            raise unittest.SkipTest("python3-cryptography is not installed")
        cls.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwks = json.dumps(rsa_jwks(cls.key)).encode()

        class Keys(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(jwks)))
                self.end_headers()
                self.wfile.write(jwks)

        cls.keys = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
        threading.Thread(target=cls.keys.serve_forever, daemon=True).start()
        url = "http://127.0.0.1:%d/jwks.json" % cls.keys.server_address[1]
        start_project(cls, CFN_V2_AUTH_TEMPLATE.replace("JWKS_URL", url), {"app.py": AUTH_APP})

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()
        cls.keys.shutdown()

    def url(self, path):
        return "%s/_aws/execute-api/%s%s" % (self.t.api, self.outputs["ApiId"], path)

    def token(self, **claims):
        return signed_jwt(self.key, **claims)

    def test_lambda_authorizer_with_simple_responses(self):
        r = requests.get(self.url("/simple"), headers={"X-Key": "let me in"}, timeout=30)
        self.assertEqual((r.status_code, r.json()), (200, {"lambda": {"who": "bob"}}), r.text)
        r = requests.get(self.url("/simple"), headers={"X-Key": "no"}, timeout=30)
        self.assertEqual(r.status_code, 403)
        self.assertEqual(requests.get(self.url("/simple"), timeout=30).status_code, 401)
        r = requests.get(self.url("/open"), timeout=30)
        self.assertEqual((r.status_code, r.json()), (200, None))

    def test_jwt_authorizer_with_keys_from_a_url(self):
        # The keys are fetched when the API is published: until they are in, 401.
        good = {"Authorization": "Bearer " + self.token()}
        wait_for(lambda: requests.get(self.url("/jwt"), headers=good, timeout=30).status_code == 200,
                 timeout=20, what="the JWT route to let a good token in")
        r = requests.get(self.url("/jwt"), headers=good, timeout=30)
        self.assertEqual(r.json()["jwt"]["claims"]["sub"], "user-1")
        wrong_scope = {"Authorization": "Bearer " + self.token(scope="items/write")}
        self.assertEqual(requests.get(self.url("/jwt"), headers=wrong_scope, timeout=30).status_code, 403)
        wrong_audience = {"Authorization": "Bearer " + self.token(aud="other")}
        self.assertEqual(requests.get(self.url("/jwt"), headers=wrong_audience, timeout=30).status_code, 401)
        self.assertEqual(requests.get(self.url("/jwt"), timeout=30).status_code, 401)
