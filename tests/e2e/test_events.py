"""EventBridge and EventBridge Scheduler with the real clients (the aws CLI and boto3): rules
on a schedule that tick by themselves on a clock the test freezes and advances, cron schedules
in a time zone across daylight saving, one-time schedules that delete themselves, PutEvents
matched against rules with patterns and delivered to a function and a queue, a template whose
Schedule event fires within its first minute on the real clock, the clock's controls, and the
errors in each service's shape."""
import json
import os
import subprocess
import tempfile
import textwrap
import time
import unittest
from datetime import datetime, timedelta, timezone

import botocore.exceptions

from harness import Tarmac, boto3_client
from lambda_support import PYTHON_APP, deliveries, python_function, tarmac_json, wait_for

ROLE = "arn:aws:iam::000000000000:role/scheduler"

PUTTER = """
import json
import boto3

def handler(event, context):
    boto3.client("events").put_events(Entries=[
        {"Source": "inside", "DetailType": "t", "Detail": json.dumps({"from": "putter"})}])
    return {}
"""


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class EventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac().start()
        cls.events = boto3_client(cls.t, "events")
        cls.scheduler = boto3_client(cls.t, "scheduler")
        cls.sqs = boto3_client(cls.t, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def function(self, name):
        arn = python_function(self, self.t, name, PYTHON_APP)["FunctionArn"]
        return arn

    def aws(self, *args):
        out = subprocess.run(["aws", *args, "--output", "json"], capture_output=True, text=True,
                             env=self.t.client_env(), timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout) if out.stdout.strip() else {}

    def clock(self, action=None, body=None):
        status, state = tarmac_json(self.t, "/_tarmac/clock" + ("/" + action if action else ""),
                                    method="POST" if action else "GET", body=body, timeout=120)
        self.assertEqual(status, 200, state)
        return state

    def set_clock(self, when):
        return self.clock("set", {"time": iso(when)})

    def payloads(self, function, count, timeout=30):
        def ready():
            got = [d for d in deliveries(self.t, function) if d.get("status") == "succeeded"]
            return got if len(got) >= count else None
        got = wait_for(ready, timeout=timeout, what="%d deliveries to %s" % (count, function))
        return [d["payload"] for d in reversed(got)]  # newest first: in the order submitted

    def spans(self, trace):
        _, traces = self.t.get_json("/_tarmac/traces?trace=" + trace)
        return [s for rs in traces["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]

    def test_clock_controls(self):
        state = self.clock()
        self.assertIn("nowMs", state)
        self.assertFalse(state["frozen"])
        frozen = self.clock("freeze")
        self.assertTrue(frozen["frozen"])
        time.sleep(0.3)
        self.assertEqual(self.clock()["nowMs"], frozen["nowMs"])
        moved = self.clock("advance", {"seconds": 90})
        self.assertEqual(moved["nowMs"], frozen["nowMs"] + 90000)
        status, error = tarmac_json(self.t, "/_tarmac/clock/set", "POST", {"time": "2001-01-01T00:00:00Z"})
        self.assertEqual((status, error["__type"]), (400, "ValidationException"))
        status, error = tarmac_json(self.t, "/_tarmac/clock/advance", "POST", {"seconds": "ten"})
        self.assertEqual(status, 400)
        status, error = tarmac_json(self.t, "/_tarmac/clock/advance", "POST", {"seconds": -1})
        self.assertEqual(status, 400)
        resumed = self.clock("resume")
        self.assertFalse(resumed["frozen"])
        self.assertGreaterEqual(resumed["nowMs"], moved["nowMs"])

    def test_rate_rule_ticks_on_an_advanced_clock(self):
        arn = self.function("tick-rate")
        start = datetime(2029, 1, 4, 9, 0, 0, tzinfo=timezone.utc)
        self.clock("freeze")
        self.set_clock(start)
        try:
            rule = self.aws("events", "put-rule", "--name", "every-minute",
                            "--schedule-expression", "rate(1 minute)")
            self.assertEqual(rule["RuleArn"], "arn:aws:events:us-east-1:000000000000:rule/every-minute")
            self.aws("events", "put-targets", "--rule", "every-minute",
                     "--targets", json.dumps([{"Id": "fn", "Arn": arn}]))
            self.clock("advance", {"seconds": 600})
            got = self.payloads("tick-rate", 10)
            time.sleep(0.5)
            self.assertEqual(len(deliveries(self.t, "tick-rate")), 10)  # exactly ten
            self.assertEqual([p["time"] for p in got],
                             [iso(start + timedelta(minutes=m)) for m in range(1, 11)])
            # Each tick is a span of its own trace, and parents the delivery it made.
            traces = {d["traceId"] for d in deliveries(self.t, "tick-rate")}
            self.assertEqual(len(traces), 10)
            trace = sorted(traces)[0]
            spans = wait_for(lambda: (lambda ss: ss if any(x["name"] == "rule every-minute tick"
                                                           for x in ss) else None)(self.spans(trace)),
                             what="the tick's span")
            tick = [x for x in spans if x["name"] == "rule every-minute tick"][0]
            self.assertFalse(tick.get("parentSpanId"))
            self.assertTrue(any(x.get("parentSpanId") == tick["spanId"] for x in spans),
                            [x["name"] for x in spans])
            for p in got:
                self.assertEqual(p["detail-type"], "Scheduled Event")
                self.assertEqual(p["source"], "aws.events")
                self.assertEqual(p["resources"], [rule["RuleArn"]])
                self.assertEqual(p["detail"], {})
                self.assertEqual(p["account"], "000000000000")
            # Disabled, it holds still; fired by hand, it ticks once more.
            self.aws("events", "disable-rule", "--name", "every-minute")
            self.clock("advance", {"seconds": 300})
            status, fired = tarmac_json(self.t, "/_tarmac/schedules/every-minute/fire", "POST", {})
            self.assertEqual(status, 200, fired)
            self.payloads("tick-rate", 11)
        finally:
            self.events.remove_targets(Rule="every-minute", Ids=["fn"])
            self.events.delete_rule(Name="every-minute")
            self.clock("resume")

    def berlin(self, name, function, start, until):
        """A 02:30 Europe/Berlin schedule made at `start`, run to `until`: the deliveries."""
        arn = self.function(function)
        self.set_clock(start)
        self.aws("scheduler", "create-schedule", "--name", name,
                 "--schedule-expression", "cron(30 2 * * ? *)",
                 "--schedule-expression-timezone", "Europe/Berlin",
                 "--flexible-time-window", "Mode=OFF",
                 "--target", json.dumps({"Arn": arn, "RoleArn": ROLE,
                                         "Input": json.dumps({"at": "<aws.scheduler.scheduled-time>",
                                                              "arn": "<aws.scheduler.schedule-arn>",
                                                              "attempt": "<aws.scheduler.attempt-number>"})}))
        got = self.scheduler.get_schedule(Name=name)
        self.assertEqual(got["ScheduleExpressionTimezone"], "Europe/Berlin")
        self.assertEqual(got["Target"]["Arn"], arn)
        self.set_clock(until)
        self.scheduler.delete_schedule(Name=name)
        return got

    def test_cron_schedule_in_berlin_across_daylight_saving(self):
        self.clock("freeze")
        try:
            # The last Sunday of March, 2027-03-28: 02:30 does not exist in Berlin, no tick.
            self.berlin("berlin-march", "tick-march", datetime(2027, 3, 26, 0, 0, tzinfo=timezone.utc),
                        datetime(2027, 3, 30, 0, 0, tzinfo=timezone.utc))
            march = self.payloads("tick-march", 3)
            self.assertEqual([p["at"] for p in march],
                             ["2027-03-26T01:30:00Z", "2027-03-27T01:30:00Z", "2027-03-29T00:30:00Z"])
            self.assertEqual(march[0]["arn"],
                             "arn:aws:scheduler:us-east-1:000000000000:schedule/default/berlin-march")
            self.assertEqual(march[0]["attempt"], "1")
            # The last Sunday of October, 2027-10-31: 02:30 happens twice, one tick.
            self.berlin("berlin-october", "tick-october",
                        datetime(2027, 10, 29, 12, 0, tzinfo=timezone.utc),
                        datetime(2027, 11, 2, 0, 0, tzinfo=timezone.utc))
            october = self.payloads("tick-october", 3)
            self.assertEqual([p["at"] for p in october],
                             ["2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"])
            time.sleep(0.5)
            self.assertEqual(len(deliveries(self.t, "tick-march")), 3)
            self.assertEqual(len(deliveries(self.t, "tick-october")), 3)
        finally:
            self.clock("resume")

    def test_ten_years_of_minutes_are_bounded(self):
        # Fourteen days' retention keeps every tick of an eight-day jump.
        queue = self.sqs.create_queue(QueueName="decade",
                                      Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]

        def messages():
            return int(self.sqs.get_queue_attributes(
                QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
                ["Attributes"]["ApproximateNumberOfMessages"])
        self.clock("freeze")
        self.set_clock(datetime(2031, 1, 1, 0, 0, tzinfo=timezone.utc))
        try:
            self.events.put_rule(Name="decade", ScheduleExpression="rate(1 minute)")
            self.events.put_targets(Rule="decade", Targets=[
                {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:decade"}])
            # 11,520 minutes: the first 10,000 ticks, then the one at the jump's end.
            self.clock("advance", {"seconds": 8 * 86400})
            self.assertEqual(messages(), 10001)
            wait_for(lambda: any("ticks delivered in one jump of the clock" in line
                                 for line in self.t.stdout_lines + self.t.stderr_lines),
                     what="the terminal to say ticks were skipped")
            self.clock("advance", {"seconds": 60})
            self.assertEqual(messages(), 10002)
            # Ten years: answered promptly, the engine well.
            began = time.monotonic()
            state = self.clock("advance", {"seconds": 10 * 365 * 86400})
            self.assertLess(time.monotonic() - began, 90)
            end = datetime(2031, 1, 1, tzinfo=timezone.utc) + timedelta(days=8 + 3650, seconds=60)
            self.assertEqual(state["nowMs"], int(end.timestamp()) * 1000)
            self.assertEqual(self.t.get_json("/_tarmac/health")[1]["status"], "ok")
        finally:
            self.events.remove_targets(Rule="decade", Ids=["q"])
            self.events.delete_rule(Name="decade")
            self.clock("resume")

    def test_one_time_schedule_deletes_itself(self):
        arn = self.function("tick-once")
        self.clock("freeze")
        self.set_clock(datetime(2028, 5, 1, 12, 0, 0, tzinfo=timezone.utc))
        try:
            self.scheduler.create_schedule(
                Name="once", ScheduleExpression="at(2028-05-01T14:30:00)",
                ScheduleExpressionTimezone="Europe/Berlin", FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"job": "once"}'})
            self.scheduler.get_schedule(Name="once")
            self.clock("advance", {"seconds": 3600})  # 13:00Z: not yet (14:30 CEST is 12:30Z)
            got = self.payloads("tick-once", 1)
            self.assertEqual(got, [{"job": "once"}])
            with self.assertRaises(self.scheduler.exceptions.ResourceNotFoundException):
                self.scheduler.get_schedule(Name="once")
            self.clock("advance", {"seconds": 86400})
            time.sleep(0.3)
            self.assertEqual(len(deliveries(self.t, "tick-once")), 1)
        finally:
            self.clock("resume")

    def test_put_events_matched_against_three_rules(self):
        arn = self.function("bus-fn")
        queue = self.sqs.create_queue(QueueName="bus-queue")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = self.aws("events", "create-event-bus", "--name", "orders")["EventBusArn"]
        self.assertEqual(bus, "arn:aws:events:us-east-1:000000000000:event-bus/orders")
        rules = {
            "big-orders": {"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}},
            "eu-orders": {"detail-type": ["Order Placed"],
                          "detail": {"country": [{"prefix": "EU-"}]}},
            "not-test": {"source": [{"anything-but": ["test"]}],
                         "detail": {"flag": [{"exists": True}]}},
        }
        for name, pattern in rules.items():
            self.events.put_rule(Name=name, EventBusName="orders", EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule="big-orders", EventBusName="orders",
                                Targets=[{"Id": "fn", "Arn": arn}])
        self.events.put_targets(Rule="eu-orders", EventBusName="orders",
                                Targets=[{"Id": "q", "Arn": queue_arn,
                                          "InputTransformer": {
                                              "InputPathsMap": {"c": "$.detail.country",
                                                                "t": "$.detail.total"},
                                              "InputTemplate": '{"country": <c>, "total": <t>}'}}])
        self.events.put_targets(Rule="not-test", EventBusName="orders",
                                Targets=[{"Id": "q", "Arn": queue_arn, "InputPath": "$.detail"}])
        entries = [
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 250, "country": "EU-DE"})},
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 20, "country": "US"})},
            {"Source": "test", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5, "flag": 1})},
            {"Source": "web", "DetailType": "Refund", "Detail": json.dumps({"total": 101, "flag": 0})},
            {"Source": "shop", "DetailType": "Order Placed"},  # no Detail: fails alone
        ]
        for e in entries:
            e["EventBusName"] = "orders"
        answer = self.events.put_events(Entries=entries)
        self.assertEqual(answer["FailedEntryCount"], 1)
        self.assertEqual(answer["Entries"][4]["ErrorCode"], "InvalidArgument")
        self.assertTrue(all("EventId" in e for e in answer["Entries"][:4]))
        got = self.payloads("bus-fn", 1)
        self.assertEqual(got[0]["detail"], {"total": 250, "country": "EU-DE"})
        self.assertEqual(got[0]["source"], "shop")
        self.assertEqual(got[0]["id"], answer["Entries"][0]["EventId"])
        # big-orders matched entry 0 only (entry 3's source is web): one delivery.
        time.sleep(0.5)
        self.assertEqual(len(deliveries(self.t, "bus-fn")), 1)
        bodies = []
        for _ in range(5):
            r = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            bodies += [json.loads(m["Body"]) for m in r.get("Messages", [])]
            if len(bodies) >= 2:
                break
        # eu-orders: entry 0 transformed; not-test: entry 3's detail.
        self.assertCountEqual(bodies, [{"country": "EU-DE", "total": 250}, {"total": 101, "flag": 0}])
        # TestEventPattern agrees.
        event = {"id": "1", "account": "000000000000", "source": "shop", "time": "2027-01-01T00:00:00Z",
                 "region": "us-east-1", "detail-type": "Order Placed", "resources": [],
                 "detail": {"total": 101}}
        self.assertTrue(self.events.test_event_pattern(
            EventPattern=json.dumps(rules["big-orders"]), Event=json.dumps(event))["Result"])
        event["detail"]["total"] = 100
        self.assertFalse(self.events.test_event_pattern(
            EventPattern=json.dumps(rules["big-orders"]), Event=json.dumps(event))["Result"])

    def test_events_put_by_a_function_join_its_trace(self):
        target = self.function("joined-fn")
        self.events.put_rule(Name="joined", EventPattern='{"source": ["inside"]}')
        self.events.put_targets(Rule="joined", Targets=[{"Id": "fn", "Arn": target}])
        python_function(self, self.t, "putter", PUTTER)
        boto3_client(self.t, "lambda").invoke(FunctionName="putter", Payload=b"{}")
        got = self.payloads("joined-fn", 1)
        self.assertEqual(got[0]["detail"], {"from": "putter"})
        putter = deliveries(self.t, "putter")[0]
        joined = deliveries(self.t, "joined-fn")[0]
        self.assertEqual(joined["traceId"], putter["traceId"])

    def test_rules_api(self):
        self.events.put_rule(Name="r-1", EventPattern='{"source": ["a"]}', Description="one")
        self.events.put_rule(Name="r-2", ScheduleExpression="cron(0 12 * * ? *)", State="DISABLED")
        described = self.events.describe_rule(Name="r-2")
        self.assertEqual((described["State"], described["ScheduleExpression"]),
                         ("DISABLED", "cron(0 12 * * ? *)"))
        self.events.enable_rule(Name="r-2")
        self.assertEqual(self.events.describe_rule(Name="r-2")["State"], "ENABLED")
        page = self.events.list_rules(NamePrefix="r-", Limit=1)
        self.assertEqual([r["Name"] for r in page["Rules"]], ["r-1"])
        rest = self.events.list_rules(NamePrefix="r-", Limit=1, NextToken=page["NextToken"])
        self.assertEqual([r["Name"] for r in rest["Rules"]], ["r-2"])
        target = "arn:aws:lambda:us-east-1:000000000000:function:nowhere"
        self.events.put_targets(Rule="r-1", Targets=[{"Id": "a", "Arn": target, "Input": '{"x":1}'}])
        self.assertEqual(self.events.list_targets_by_rule(Rule="r-1")["Targets"][0]["Input"], '{"x":1}')
        self.assertEqual(self.events.list_rule_names_by_target(TargetArn=target)["RuleNames"], ["r-1"])
        arn = self.events.describe_rule(Name="r-1")["Arn"]
        self.events.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "a"}])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "team", "Value": "a"}])
        self.events.untag_resource(ResourceARN=arn, TagKeys=["team"])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=arn)["Tags"], [])
        with self.assertRaises(self.events.exceptions.ClientError) as e:
            self.events.delete_rule(Name="r-1")
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        self.events.remove_targets(Rule="r-1", Ids=["a"])
        self.events.delete_rule(Name="r-1")
        self.events.delete_rule(Name="r-2")
        with self.assertRaises(self.events.exceptions.ResourceNotFoundException):
            self.events.describe_rule(Name="r-1")
        buses = [b["Name"] for b in self.events.list_event_buses()["EventBuses"]]
        self.assertIn("default", buses)

    def test_bad_input(self):
        def code(call, **kw):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                call(**kw)
            return e.exception.response["Error"]["Code"], e.exception.response["Error"]["Message"]
        self.assertEqual(code(self.events.put_rule, Name="bad", ScheduleExpression="rate(1 minutes)"),
                         ("ValidationException", "Parameter ScheduleExpression is not valid."))
        self.assertEqual(code(self.events.put_rule, Name="bad", ScheduleExpression="cron(0 12 * * * *)")[0],
                         "ValidationException")
        self.assertEqual(code(self.events.put_rule, Name="bad", EventPattern="{not json")[0],
                         "InvalidEventPatternException")
        self.assertEqual(code(self.events.put_rule, Name="bad",
                              EventPattern='{"a": [{"unknown-op": 1}]}')[0],
                         "InvalidEventPatternException")
        self.assertEqual(code(self.events.put_rule, Name="bad")[0], "ValidationException")
        self.assertEqual(code(self.events.describe_rule, Name="missing")[0], "ResourceNotFoundException")
        self.assertEqual(code(self.events.put_events, Entries=[{"Source": "a", "DetailType": "b",
                                                                "Detail": "x" * (300 * 1024)}])[0],
                         "ValidationException")
        self.assertEqual(code(self.scheduler.create_schedule, Name="bad",
                              ScheduleExpression="cron(61 * * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": "arn:aws:lambda:us-east-1:000000000000:function:x",
                                      "RoleArn": ROLE})[0], "ValidationException")
        self.assertEqual(code(self.scheduler.get_schedule, Name="missing")[0], "ResourceNotFoundException")
        # Each field of the wrong type: the service's own 400, never a crash.
        operations = {
            "PutRule": {"Name": "n", "EventPattern": '{"a":["b"]}', "State": "ENABLED",
                        "Description": "d", "EventBusName": "default"},
            "PutTargets": {"Rule": "n", "Targets": [{"Id": "a", "Arn": "arn:x",
                                                    "RetryPolicy": {"MaximumRetryAttempts": 1}}]},
            "PutEvents": {"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}",
                                       "Resources": ["r"]}]},
            "ListRules": {"NamePrefix": "a", "Limit": 5, "NextToken": "x"},
            "TestEventPattern": {"EventPattern": "{}", "Event": "{}"},
        }
        for operation, body in operations.items():
            for field in body:
                for wrong in (7, "text", [1], {"a": 1}, True, None):
                    if wrong is None or type(wrong) is type(body[field]):
                        continue
                    bad = dict(body, **{field: wrong})
                    status, answer = self.raw_events(operation, bad)
                    self.assertLess(status, 500, (operation, field, wrong, answer))
                    self.assertIn("__type", answer, (operation, field, wrong))
        self.assertEqual(self.t.proc.poll(), None)

    def raw_events(self, operation, body):
        import urllib.request
        req = urllib.request.Request(
            self.t.edge + "/", data=json.dumps(body).encode(), method="POST", headers={
                "X-Amz-Target": "AWSEvents." + operation,
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/events/"
                                 "aws4_request, SignedHeaders=host, Signature=0"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Ticker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        EveryMinute:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
            Input: '{"from": "template"}'
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            ScheduleExpressionTimezone: Europe/Berlin
        Orders:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [shop]
"""


class TemplateScheduleTest(unittest.TestCase):
    def test_schedule_event_fires_by_itself(self):
        with tempfile.TemporaryDirectory() as project:
            os.makedirs(os.path.join(project, "src"))
            with open(os.path.join(project, "template.yaml"), "w") as f:
                f.write(TEMPLATE)
            with open(os.path.join(project, "src", "app.py"), "w") as f:
                f.write(PYTHON_APP)
            t = Tarmac(project=project, ready_timeout=60).start()
            try:
                _, health = t.get_json("/_tarmac/health")
                names = {r["logicalId"]: r["physicalId"] for r in health["template"]["resources"]}
                function = names["Ticker"]
                events = boto3_client(t, "events")
                rules = {r["Name"]: r for r in events.list_rules()["Rules"]}
                minute = [r for n, r in rules.items() if "TickerEveryMinute" in n]
                self.assertEqual(len(minute), 1, rules)
                self.assertEqual(minute[0]["ScheduleExpression"], "rate(1 minute)")
                targets = events.list_targets_by_rule(Rule=minute[0]["Name"])["Targets"]
                self.assertEqual(targets[0]["Id"], "TickerEveryMinuteLambdaTarget")
                self.assertTrue(targets[0]["Arn"].endswith(":function:" + function))
                # On the real clock, within its first minute (plus the function's start).
                # The rate rule's tick (the nightly schedule may fire too, at 03:00 in Berlin).
                def ticked():
                    got = [d for d in deliveries(t, function) if d.get("status") == "succeeded"
                           and d["payload"] == {"from": "template"}]
                    return got or None
                got = wait_for(ticked, timeout=75, interval=0.5, what="the first tick")
                self.assertEqual(got[0]["payload"], {"from": "template"})
                events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
                wait_for(lambda: any(d["payload"].get("source") == "shop"
                                     for d in deliveries(t, function)), what="the pattern's match")
                schedule = boto3_client(t, "scheduler").get_schedule(Name="TickerNightly")
                self.assertEqual(schedule["ScheduleExpressionTimezone"], "Europe/Berlin")
                # "fire now" by the template's name.
                status, fired = tarmac_json(t, "/_tarmac/schedules/TickerNightly/fire", "POST", {})
                self.assertEqual(status, 200, fired)
            finally:
                t.stop()


if __name__ == "__main__":
    unittest.main()
