"""SAM events on a state machine, end to end with boto3 against
tests/e2e/templates/sfn-events: the events become an EventBridge rule and schedules whose
target is the state machine (as the SAM transform makes them); a matching PutEvents starts an
execution with the event's detail as its input (InputPath); a rate Schedule and a rate
ScheduleV2 start one each, with their Input, when the clock is advanced an hour; the roles SAM
makes for the state machine and for each event. (The Step Functions module takes `states`
ARNs as a MessageTarget, which EventBridge and the Scheduler hand their targets to.) The Api
event is API Gateway's AWS integration with StartExecution and SAM's request template: a POST
to the API port starts an execution with the body as its input and is answered with
StartExecution's own answer. The Direct API's AWS integrations call DynamoDB and Step
Functions with their request and response templates."""
import json
import os
import unittest
import urllib.error
import urllib.request

from harness import Tarmac, boto3_client
from lambda_support import tarmac_json, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "templates", "sfn-events")
ECHO = "arn:aws:states:us-east-1:000000000000:stateMachine:echo"


class StepFunctionsEventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac(project=PROJECT).start()
        cls.sfn = boto3_client(cls.t, "stepfunctions")
        cls.events = boto3_client(cls.t, "events")
        cls.scheduler = boto3_client(cls.t, "scheduler")
        _, cls.health = cls.t.get_json("/_tarmac/health")

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def clock(self, action, body=None):
        status, state = tarmac_json(self.t, "/_tarmac/clock/" + action, "POST", body, timeout=120)
        self.assertEqual(status, 200, state)
        return state

    def inputs(self):
        """The inputs of the echo machine's executions (each ends at once), oldest first."""
        listed = self.sfn.list_executions(stateMachineArn=ECHO)["executions"]
        out = []
        for e in sorted(listed, key=lambda e: e["startDate"]):
            d = self.sfn.describe_execution(executionArn=e["executionArn"])
            out.append(json.loads(d["input"]))
        return out

    def wait_for_input(self, wanted, timeout=15):
        return wait_for(lambda: wanted in self.inputs(), timeout=timeout,
                        what="an execution with input %s" % json.dumps(wanted))

    def test_events_become_a_rule_and_schedules_targeting_the_state_machine(self):
        # CloudFormation names the rules: "{stack}-{logical id}-{suffix}".
        rules = sorted(self.events.list_rule_names_by_target(TargetArn=ECHO)["RuleNames"])
        self.assertEqual(len(rules), 2, rules)
        self.assertIn("-EchoHourly-", rules[0])
        self.assertIn("-EchoOrders-", rules[1])
        targets = self.events.list_targets_by_rule(Rule=rules[1])["Targets"]
        self.assertEqual(len(targets), 1, targets)
        self.assertEqual(targets[0]["Arn"], ECHO)
        self.assertEqual(targets[0]["Id"], "EchoOrdersStepFunctionsTarget")
        self.assertEqual(targets[0]["InputPath"], "$.detail")
        self.assertTrue(targets[0]["RoleArn"].startswith("arn:aws:iam::000000000000:role/"),
                        targets[0])
        schedule = self.scheduler.get_schedule(Name="EchoHourlyV2")
        self.assertEqual(schedule["ScheduleExpression"], "rate(1 hour)")
        self.assertEqual(schedule["Target"]["Arn"], ECHO)
        self.assertEqual(json.loads(schedule["Target"]["Input"]), {"from": "scheduler"})

    def test_roles_sam_makes(self):
        outputs = self.health["template"]["outputs"]
        self.assertEqual(outputs["EchoArn"], ECHO)
        self.assertTrue(outputs["EchoRoleArn"].startswith(
            "arn:aws:iam::000000000000:role/"), outputs)
        self.assertIn("EchoRole", outputs["EchoRoleArn"])
        # The state machine's role is the one SAM made, with the name GetAtt gives.
        described = self.sfn.describe_state_machine(stateMachineArn=ECHO)
        self.assertEqual(described["roleArn"], outputs["EchoRoleArn"])

    def test_put_events_starts_an_execution_with_the_detail(self):
        answer = self.events.put_events(Entries=[
            {"Source": "shop.orders", "DetailType": "OrderPlaced",
             "Detail": json.dumps({"order": "o-7", "qty": 2})},
            {"Source": "shop.orders", "DetailType": "OrderCancelled",
             "Detail": json.dumps({"order": "o-8"})}])
        self.assertEqual(answer["FailedEntryCount"], 0, answer)
        self.wait_for_input({"order": "o-7", "qty": 2})
        self.assertNotIn({"order": "o-8"}, self.inputs())  # not matched by the pattern

    def test_schedules_start_executions_when_the_clock_is_advanced(self):
        self.clock("freeze")
        try:
            before = self.inputs()
            self.clock("advance", {"seconds": 3600 + 60})
            self.wait_for_input({"from": "schedule"})
            self.wait_for_input({"from": "scheduler"})
            after = self.inputs()
            self.assertEqual(after.count({"from": "schedule"}),
                             before.count({"from": "schedule"}) + 1, after)
            self.assertEqual(after.count({"from": "scheduler"}),
                             before.count({"from": "scheduler"}) + 1, after)
        finally:
            self.clock("resume")

    def post(self, path, body, content_type="application/json", method="POST"):
        req = urllib.request.Request(self.t.api + path, data=body, method=method,
                                     headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def test_api_event_starts_an_execution_with_the_body(self):
        status, body, headers = self.post("/trades", b'{"sku": "kiwi", "qty": 3}')
        self.assertEqual(status, 200, body)
        answer = json.loads(body)  # StartExecution's own answer, passed through
        self.assertTrue(answer["executionArn"].startswith(
            "arn:aws:states:us-east-1:000000000000:execution:echo:"), answer)
        self.assertIsInstance(answer["startDate"], (int, float))
        described = self.sfn.describe_execution(executionArn=answer["executionArn"])
        self.assertEqual(json.loads(described["input"]), {"sku": "kiwi", "qty": 3})
        # The execution is on the request's trace, under its span.
        trace_id = headers["x-amzn-trace-id"].split("Root=")[1].split(";")[0]
        def found():
            _, traces = self.t.get_json("/_tarmac/traces")
            spans = [s for rs in traces["resourceSpans"] for ss in rs["scopeSpans"]
                     for s in ss["spans"]]
            mine = [s for s in spans
                    if s["traceId"] == trace_id.replace("1-", "", 1).replace("-", "")]
            api = [s for s in mine if not s.get("parentSpanId")]
            below = [s for s in mine if api and s.get("parentSpanId") == api[0]["spanId"]]
            return (api, below) if below else None
        api, below = wait_for(found, timeout=10, what="the StartExecution span under the request")
        attrs = {a["key"]: list(a["value"].values())[0] for a in api[0].get("attributes", [])}
        self.assertEqual(attrs.get("aws.apigateway.integration"), "states:StartExecution", attrs)

    def test_api_event_without_unescape_refuses_a_quote_as_aws_does(self):
        # $util.escapeJavaScript turns ' into \', which is not JSON: Step Functions refuses
        # the request, and the integration's "400" response passes its error on.
        status, body, _ = self.post("/trades", json.dumps({"note": "it's"}).encode())
        self.assertEqual(status, 400, body)
        # UnescapeMappingTemplate: true puts the quote back.
        status, body, _ = self.post("/trades/unescaped", json.dumps({"note": "it's"}).encode())
        self.assertEqual(status, 200, body)
        described = self.sfn.describe_execution(executionArn=json.loads(body)["executionArn"])
        self.assertEqual(json.loads(described["input"]), {"note": "it's"})

    def test_api_event_role_and_no_fidelity_item(self):
        items = self.health["template"]["fidelity"]["items"]
        self.assertFalse([i for i in items if i["subject"] == "Api"], items)
        outputs = self.health["template"]["outputs"]
        self.assertIn("EchoTradeRole", outputs["TradeRoleArn"])

    def test_aws_integration_puts_an_item_with_the_templates(self):
        dynamodb = boto3_client(self.t, "dynamodb")
        table = self.health["template"]["outputs"]["NotesTable"]
        status, body, headers = self.post("/notes/n-1", json.dumps({"text": "it's \"ok\""}).encode(),
                                          method="PUT")
        self.assertEqual(status, 201, body)  # the default response's status and template
        self.assertEqual(json.loads(body), {"saved": "n-1", "by": "PUT"})
        self.assertTrue(headers["Content-Type"].startswith("application/json"), dict(headers))
        item = dynamodb.get_item(TableName=table, Key={"id": {"S": "n-1"}})["Item"]
        self.assertEqual(item["text"]["S"], 'it\'s "ok"')
        # PutItem's own refusal (a key over 2048 bytes) selects the 4\d{2} response, whose
        # body is DynamoDB's error as it came.
        status, body, _ = self.post("/notes/" + "k" * 2100, b'{"text": "x"}', method="PUT")
        self.assertEqual(status, 400, body)
        self.assertIn("ValidationException", json.loads(body)["__type"])
        # No template for text/plain and passthroughBehavior: never.
        status, body, _ = self.post("/notes/n-2", b"hello", content_type="text/plain", method="PUT")
        self.assertEqual(status, 415, body)
        self.assertEqual(json.loads(body), {"message": "Unsupported Media Type"})
        # A body the template reads as JSON and that is not.
        status, body, _ = self.post("/notes/n-3", b"{not json", method="PUT")
        self.assertEqual(status, 400, body)
        self.assertIn("Could not parse request body into json", json.loads(body)["message"])

    def test_aws_integration_passes_a_body_through(self):
        request = {"stateMachineArn": ECHO, "input": json.dumps({"via": "passthrough"})}
        status, body, headers = self.post("/start", json.dumps(request).encode())
        self.assertEqual(status, 200, body)
        arn = json.loads(body)["executionArn"]
        # The response's header mappings: a literal, a field of the body, a header of the answer.
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(headers["X-Execution-Arn"], arn)
        self.assertTrue(headers["X-Service-Type"].startswith("application/x-amz-json"),
                        dict(headers))
        described = self.sfn.describe_execution(executionArn=arn)
        self.assertEqual(json.loads(described["input"]), {"via": "passthrough"})
        # The default response takes every status: the service's own error comes back as 200,
        # as on AWS.
        status, body, _ = self.post("/start", b'{"stateMachineArn": "nope"}')
        self.assertEqual(status, 200, body)
        self.assertIn("__type", json.loads(body))

    def test_template_with_a_directive_is_reported_not_served(self):
        items = self.health["template"]["fidelity"]["items"]
        reported = [i for i in items if "GET /directive" in json.dumps(i)]
        self.assertTrue(reported, items)
        self.assertIn("#macro", json.dumps(reported))
        status, _, _ = self.post("/directive", None, method="GET")
        self.assertEqual(status, 403)  # a REST API's answer for no route


if __name__ == "__main__":
    unittest.main()
