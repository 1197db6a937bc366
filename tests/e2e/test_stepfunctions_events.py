"""SAM events on a state machine, end to end with boto3 against
tests/e2e/templates/sfn-events: the events become an EventBridge rule and schedules whose
target is the state machine (as the SAM transform makes them); a matching PutEvents starts an
execution with the event's detail as its input (InputPath); a rate Schedule and a rate
ScheduleV2 start one each, with their Input, when the clock is advanced an hour; the roles SAM
makes for the state machine and for each event. (The Step Functions module takes `states`
ARNs as a MessageTarget, which EventBridge and the Scheduler hand their targets to.) The Api
event (POST to the API port, answered
with StartExecution's executionArn and startDate) is not emulated yet and is checked to be in
the fidelity report."""
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
        described = self.sfn.describe_state_machine(stateMachineArn=ECHO)
        self.assertTrue(described["roleArn"].startswith("arn:aws:iam::000000000000:role/"),
                        described["roleArn"])
        self.assertIn("EchoRole", described["roleArn"])

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

    def test_api_event_is_reported_not_served(self):
        items = self.health["template"]["fidelity"]["items"]
        api = [i for i in items if i["subject"] == "Api"]
        self.assertEqual(len(api), 1, items)
        self.assertEqual(api[0]["level"], "unsupported")
        req = urllib.request.Request(self.t.api + "/Prod/trades", data=b'{"sku": "kiwi"}',
                                     method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        self.assertNotEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
