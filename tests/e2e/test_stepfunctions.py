"""Step Functions end to end, with boto3 and the aws CLI against tests/e2e/templates/sfn-workflow:
an order workflow of every state type (Pass with an intrinsic, Task with Catch and with Retry,
Choice with And/Not, a .waitForTaskToken task completed by a function through SendTaskSuccess,
Map, Parallel with a Wait, Succeed, Fail) driving Python and Node.js functions; a Map over
1,000 items with MaxConcurrency 10; a Wait of one hour passed by advancing the clock; an
execution that survives kill -9; an express workflow through StartSyncExecution; the API's
errors; and histories compared with the event types and fields AWS documents."""
import json
import os
import subprocess
import time
import unittest

import botocore.exceptions

from harness import Tarmac, boto3_client
from lambda_support import tarmac_json, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "templates", "sfn-workflow")
ORDER = "arn:aws:states:us-east-1:000000000000:stateMachine:order-workflow"
BULK = "arn:aws:states:us-east-1:000000000000:stateMachine:bulk-prices"
SLEEP = "arn:aws:states:us-east-1:000000000000:stateMachine:sleep-an-hour"
EXPRESS = "arn:aws:states:us-east-1:000000000000:stateMachine:express-price"


def finished(sfn, arn, timeout=60):
    def done():
        d = sfn.describe_execution(executionArn=arn)
        return d if d["status"] != "RUNNING" else None
    return wait_for(done, timeout=timeout, what="execution %s to end" % arn)


def history(sfn, arn):
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=100,
                                         **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


class StepFunctionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac(project=PROJECT).start()
        cls.sfn = boto3_client(cls.t, "stepfunctions")

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def start(self, machine, payload, name=None):
        kw = {"name": name} if name else {}
        return self.sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload), **kw)

    def test_order_workflow_of_every_state_type(self):
        order = {"id": "o-1", "qty": 3, "price": 50, "items": ["apple", "kiwi", "fig"]}
        started = self.start(ORDER, {"order": order}, name="order-1")
        self.assertTrue(started["executionArn"].endswith(":execution:order-workflow:order-1"))
        d = finished(self.sfn, started["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(out["startedBy"], "order-1")
        self.assertEqual(out["note"], "order o-1 of 3")
        self.assertEqual(out["validation"], {"valid": True, "total": 150})
        self.assertEqual(out["flaky"], {"attempts": 3})  # two TransientErrors retried
        self.assertEqual(out["approval"], {"approved": True, "total": 150})  # SendTaskSuccess
        self.assertEqual(out["prices"], [{"sku": "apple", "index": 0, "price": 50},
                                         {"sku": "kiwi", "index": 1, "price": 40},
                                         {"sku": "fig", "index": 2, "price": 30}])
        self.assertEqual(out["parallel"], [{"a": 1}, {"b": 2}])
        types = [e["type"] for e in history(self.sfn, started["executionArn"])]
        for t in ("ExecutionStarted", "PassStateEntered", "TaskStateEntered",
                  "LambdaFunctionScheduled", "LambdaFunctionSucceeded", "TaskScheduled",
                  "TaskFailed", "TaskSucceeded", "ChoiceStateEntered", "TaskSubmitted",
                  "MapStateEntered", "MapIterationStarted", "MapIterationSucceeded",
                  "MapStateExited", "ParallelStateEntered", "WaitStateEntered",
                  "ParallelStateExited", "SucceedStateEntered", "ExecutionSucceeded"):
            self.assertIn(t, types)
        self.assertEqual(types.count("TaskFailed"), 2)  # the retried attempts
        self.assertEqual(types.count("MapIterationStarted"), 3)
        # The timeline's spans: each state's input and output, the rule that chose where the
        # Choice went, and a span (a lane) for each Parallel branch and Map iteration.
        spans = self.execution_spans(started["executionArn"])
        route = [a for name, a in spans if name == "Choice Route"][0]
        self.assertEqual(route["aws.stepfunctions.choice"],
                         "Choices[0]: ($.validation.total NumericGreaterThan 100) And (Not "
                         "(($.order.rush IsPresent true) And ($.order.rush BooleanEquals true))) "
                         "→ Approval")
        self.assertEqual(json.loads(route["aws.stepfunctions.input"])["order"]["id"], "o-1")
        self.assertIn("aws.stepfunctions.output", route)
        names = [name for name, _ in spans]
        self.assertEqual(sorted(n for n in names if n.startswith("Branch ")), ["Branch 1", "Branch 2"])
        self.assertEqual(sorted(n for n in names if n.startswith("Iteration ")),
                         ["Iteration 0", "Iteration 1", "Iteration 2"])

        # A bad quantity: the ValueError is caught and the workflow fails as the Fail state says.
        bad = self.start(ORDER, {"order": dict(order, id="o-2", qty=0)})
        d = finished(self.sfn, bad["executionArn"])
        self.assertEqual((d["status"], d["error"]), ("FAILED", "OrderRejected"))
        self.assertIn("bad quantity 0", d["cause"])
        events = history(self.sfn, bad["executionArn"])
        failed = [e for e in events if e["type"] == "LambdaFunctionFailed"][0]
        self.assertEqual(failed["lambdaFunctionFailedEventDetails"]["error"], "ValueError")
        self.assertEqual(events[-1]["type"], "ExecutionFailed")
        self.assertEqual(events[-1]["executionFailedEventDetails"]["error"], "OrderRejected")
        # A headless user sees how each execution ended on the terminal.
        wait_for(lambda: any("execution order-1 SUCCEEDED" in l for l in self.t.stderr_lines),
                 what="the execution's line on the terminal")
        wait_for(lambda: any("FAILED: OrderRejected:" in l and "bad quantity 0" in l
                             for l in self.t.stderr_lines),
                 what="the failed execution's line on the terminal")

    def test_history_fields_as_aws_documents_them(self):
        """The event fields of AWS's documented GetExecutionHistory example (a Lambda task)."""
        d = self.sfn.create_state_machine(
            name="hello-lambda", roleArn="arn:aws:iam::000000000000:role/r",
            definition=json.dumps({"StartAt": "Hello", "States": {"Hello": {
                "Type": "Task", "End": True,
                "Resource": "arn:aws:lambda:us-east-1:000000000000:function:" +
                            self.function_name("PriceFunction")}}}))
        run = self.sfn.start_execution(stateMachineArn=d["stateMachineArn"], input='{"sku": "ab"}')
        self.assertEqual(finished(self.sfn, run["executionArn"])["status"], "SUCCEEDED")
        events = history(self.sfn, run["executionArn"])
        self.assertEqual([e["type"] for e in events],
                         ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                          "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                          "ExecutionSucceeded"])
        self.assertEqual([e["id"] for e in events], list(range(1, 8)))
        self.assertEqual(events[0]["executionStartedEventDetails"],
                         {"input": '{"sku": "ab"}', "inputDetails": {"truncated": False},
                          "roleArn": "arn:aws:iam::000000000000:role/r"})
        self.assertEqual(events[1]["stateEnteredEventDetails"]["name"], "Hello")
        self.assertIn("resource", events[2]["lambdaFunctionScheduledEventDetails"])
        self.assertEqual(json.loads(events[4]["lambdaFunctionSucceededEventDetails"]["output"]),
                         {"sku": "ab", "price": 20})
        self.assertEqual(json.loads(events[6]["executionSucceededEventDetails"]["output"]),
                         {"sku": "ab", "price": 20})
        for e in events:
            self.assertIn("timestamp", e)
            self.assertLess(e["previousEventId"], e["id"])
        reverse = self.sfn.get_execution_history(executionArn=run["executionArn"], reverseOrder=True)
        self.assertEqual(reverse["events"][0]["type"], "ExecutionSucceeded")

    def test_histories_match_those_aws_recorded(self):
        """Histories event by event, id, previousEventId, type and details, against what AWS
        answered for the same workflows (GetExecutionHistory recorded from AWS by LocalStack's
        snapshot tests: tests/aws/services/stepfunctions/v2/base and scenarios). Note AWS's
        previousEventId: 0 for the first state's entry, and what the event before had for an
        Exited after a Map's or Parallel's Succeeded, a Map's next iteration and a Map's
        failure after its iteration's."""
        role = "arn:aws:iam::000000000000:role/r"
        entered = lambda name, value: {"stateEnteredEventDetails": {  # noqa: E731
            "name": name, "input": value, "inputDetails": {"truncated": False}}}
        exited = lambda name, value: {"stateExitedEventDetails": {  # noqa: E731
            "name": name, "output": value, "outputDetails": {"truncated": False}}}
        started = lambda value: {"executionStartedEventDetails": {  # noqa: E731
            "input": value, "inputDetails": {"truncated": False}, "roleArn": role}}
        succeeded = lambda value: {"executionSucceededEventDetails": {  # noqa: E731
            "output": value, "outputDetails": {"truncated": False}}}
        item = lambda kind, index: {"mapIteration%sEventDetails" % kind: {  # noqa: E731
            "index": index, "name": "MapState"}}
        caught = {"Error": "HandleItemFailError", "Cause": "HandleItemFailCause"}
        cases = {
            "pass-result": ({"StartAt": "State_1", "States": {"State_1": {
                "Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "PassStateEntered", entered("State_1", {})),
                (3, 2, "PassStateExited", exited("State_1", {"Arg1": "argument1"})),
                (4, 3, "ExecutionSucceeded", succeeded({"Arg1": "argument1"}))]),
            "fail": ({"StartAt": "FailState", "States": {"FailState": {
                "Type": "Fail", "Error": "SomeFailure",
                "Cause": "This state machines raises a 'SomeFailure' failure."}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "FailStateEntered", entered("FailState", {})),
                (3, 2, "ExecutionFailed", {"executionFailedEventDetails": {
                    "error": "SomeFailure",
                    "cause": "This state machines raises a 'SomeFailure' failure."}})]),
            "choice": ({"StartAt": "ChoiceStateX", "States": {
                "ChoiceStateX": {"Type": "Choice", "Default": "Other", "Choices": [
                    {"And": [{"Variable": "$.type", "StringEquals": "Private"},
                             {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                             {"Variable": "$.value", "NumericLessThan": 30}],
                     "Next": "ValueInTwenties"}]},
                "ValueInTwenties": {"Type": "Pass", "End": True},
                "Other": {"Type": "Pass", "End": True}}}, {"type": "Private", "value": 22}, [
                (1, 0, "ExecutionStarted", started({"type": "Private", "value": 22})),
                (2, 0, "ChoiceStateEntered", entered("ChoiceStateX", {"type": "Private", "value": 22})),
                (3, 2, "ChoiceStateExited", exited("ChoiceStateX", {"type": "Private", "value": 22})),
                (4, 3, "PassStateEntered", entered("ValueInTwenties", {"type": "Private", "value": 22})),
                (5, 4, "PassStateExited", exited("ValueInTwenties", {"type": "Private", "value": 22})),
                (6, 5, "ExecutionSucceeded", succeeded({"type": "Private", "value": 22}))]),
            "wait-timestamp": ({"StartAt": "WaitUntil", "States": {"WaitUntil": {
                "Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": True}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "WaitStateEntered", entered("WaitUntil", {})),
                (3, 2, "WaitStateExited", exited("WaitUntil", {})),
                (4, 3, "ExecutionSucceeded", succeeded({}))]),
            "map": ({"StartAt": "StartState", "States": {
                "StartState": {"Type": "Pass", "Result": {"arr": [1, "Hello"]}, "Next": "MapState"},
                "MapState": {"Type": "Map", "ItemsPath": "$.arr", "ResultPath": None,
                             "MaxConcurrency": 1, "Next": "Final",
                             "ItemProcessor": {"StartAt": "HandleItem", "States": {
                                 "HandleItem": {"Type": "Pass", "End": True}}}},
                "Final": {"Type": "Pass", "End": True}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "PassStateEntered", entered("StartState", {})),
                (3, 2, "PassStateExited", exited("StartState", {"arr": [1, "Hello"]})),
                (4, 3, "MapStateEntered", entered("MapState", {"arr": [1, "Hello"]})),
                (5, 4, "MapStateStarted", {"mapStateStartedEventDetails": {"length": 2}}),
                (6, 5, "MapIterationStarted", item("Started", 0)),
                (7, 6, "PassStateEntered", entered("HandleItem", 1)),
                (8, 7, "PassStateExited", exited("HandleItem", 1)),
                (9, 8, "MapIterationSucceeded", item("Succeeded", 0)),
                (10, 8, "MapIterationStarted", item("Started", 1)),
                (11, 10, "PassStateEntered", entered("HandleItem", "Hello")),
                (12, 11, "PassStateExited", exited("HandleItem", "Hello")),
                (13, 12, "MapIterationSucceeded", item("Succeeded", 1)),
                (14, 13, "MapStateSucceeded", {}),
                (15, 13, "MapStateExited", exited("MapState", {"arr": [1, "Hello"]})),
                (16, 15, "PassStateEntered", entered("Final", {"arr": [1, "Hello"]})),
                (17, 16, "PassStateExited", exited("Final", {"arr": [1, "Hello"]})),
                (18, 17, "ExecutionSucceeded", succeeded({"arr": [1, "Hello"]}))]),
            "map-catch": ({"StartAt": "StartState", "States": {
                "StartState": {"Type": "Pass", "Result": {"arr": [1]}, "Next": "MapState"},
                "MapState": {"Type": "Map", "ItemsPath": "$.arr", "End": True,
                             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FinalCaught"}],
                             "ItemProcessor": {"StartAt": "HandleItemFail", "States": {
                                 "HandleItemFail": {"Type": "Fail", "Error": "HandleItemFailError",
                                                    "Cause": "HandleItemFailCause"}}}},
                "FinalCaught": {"Type": "Pass", "End": True}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "PassStateEntered", entered("StartState", {})),
                (3, 2, "PassStateExited", exited("StartState", {"arr": [1]})),
                (4, 3, "MapStateEntered", entered("MapState", {"arr": [1]})),
                (5, 4, "MapStateStarted", {"mapStateStartedEventDetails": {"length": 1}}),
                (6, 5, "MapIterationStarted", item("Started", 0)),
                (7, 6, "FailStateEntered", entered("HandleItemFail", 1)),
                (8, 7, "MapIterationFailed", item("Failed", 0)),
                (9, 7, "MapStateFailed", {}),
                (10, 9, "MapStateExited", exited("MapState", caught)),
                (11, 10, "PassStateEntered", entered("FinalCaught", caught)),
                (12, 11, "PassStateExited", exited("FinalCaught", caught)),
                (13, 12, "ExecutionSucceeded", succeeded(caught))]),
            "parallel-catch": ({"StartAt": "ParallelState", "States": {
                "ParallelState": {"Type": "Parallel", "End": True,
                                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "FinalCaught"}],
                                  "Branches": [{"StartAt": "Branch1", "States": {"Branch1": {
                                      "Type": "Fail", "Error": "FailureType",
                                      "Cause": "Cause description"}}}]},
                "FinalCaught": {"Type": "Pass", "End": True}}}, {}, [
                (1, 0, "ExecutionStarted", started({})),
                (2, 0, "ParallelStateEntered", entered("ParallelState", {})),
                (3, 2, "ParallelStateStarted", {}),
                (4, 3, "FailStateEntered", entered("Branch1", {})),
                (5, 4, "ParallelStateFailed", {}),
                (6, 5, "ParallelStateExited", exited("ParallelState", {
                    "Error": "FailureType", "Cause": "Cause description"})),
                (7, 6, "PassStateEntered", entered("FinalCaught", {
                    "Error": "FailureType", "Cause": "Cause description"})),
                (8, 7, "PassStateExited", exited("FinalCaught", {
                    "Error": "FailureType", "Cause": "Cause description"})),
                (9, 8, "ExecutionSucceeded", succeeded({
                    "Error": "FailureType", "Cause": "Cause description"}))]),
            "distributed": ({"StartAt": "MapState", "States": {
                "MapState": {"Type": "Map", "Next": "Finish",
                             "ItemSelector": {"constantValue": "constant", "mapValue.$": "$$.Map.Item.Value"},
                             "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                                   "ExecutionType": "STANDARD"},
                                               "StartAt": "HandleItem", "States": {
                                                   "HandleItem": {"Type": "Pass", "End": True}}}},
                "Finish": {"Type": "Succeed"}}}, ["Hello", "World"], [
                (1, 0, "ExecutionStarted", started(["Hello", "World"])),
                (2, 0, "MapStateEntered", entered("MapState", ["Hello", "World"])),
                (3, 2, "MapStateStarted", {"mapStateStartedEventDetails": {"length": 2}}),
                (4, 3, "MapRunStarted", None),
                (5, 4, "MapRunSucceeded", {}),
                (6, 5, "MapStateSucceeded", {}),
                (7, 5, "MapStateExited", exited("MapState", [
                    {"constantValue": "constant", "mapValue": "Hello"},
                    {"constantValue": "constant", "mapValue": "World"}])),
                (8, 7, "SucceedStateEntered", entered("Finish", [
                    {"constantValue": "constant", "mapValue": "Hello"},
                    {"constantValue": "constant", "mapValue": "World"}])),
                (9, 8, "SucceedStateExited", exited("Finish", [
                    {"constantValue": "constant", "mapValue": "Hello"},
                    {"constantValue": "constant", "mapValue": "World"}])),
                (10, 9, "ExecutionSucceeded", succeeded([
                    {"constantValue": "constant", "mapValue": "Hello"},
                    {"constantValue": "constant", "mapValue": "World"}]))]),
        }

        # A Lambda task (its function answers), and one whose function raises, retried once
        # and caught (AWS's cause is the runtime's error document: errorMessage, errorType,
        # requestId, stackTrace).
        price = "arn:aws:lambda:us-east-1:000000000000:function:" + self.function_name("PriceFunction")
        validate = "arn:aws:lambda:us-east-1:000000000000:function:" + self.function_name("ValidateFunction")
        priced = {"sku": "ab", "price": 20}
        cases["lambda"] = ({"StartAt": "StartTask", "States": {
            "StartTask": {"Type": "Task", "Resource": price, "Next": "Final"},
            "Final": {"Type": "Pass", "End": True}}}, {"sku": "ab"}, [
            (1, 0, "ExecutionStarted", started({"sku": "ab"})),
            (2, 0, "TaskStateEntered", entered("StartTask", {"sku": "ab"})),
            (3, 2, "LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": {
                "input": {"sku": "ab"}, "inputDetails": {"truncated": False}, "resource": price}}),
            (4, 3, "LambdaFunctionStarted", {}),
            (5, 4, "LambdaFunctionSucceeded", {"lambdaFunctionSucceededEventDetails": {
                "output": priced, "outputDetails": {"truncated": False}}}),
            (6, 5, "TaskStateExited", exited("StartTask", priced)),
            (7, 6, "PassStateEntered", entered("Final", priced)),
            (8, 7, "PassStateExited", exited("Final", priced)),
            (9, 8, "ExecutionSucceeded", succeeded(priced))])
        bad = {"qty": 0, "price": 5}
        cases["lambda-retry-catch"] = ({"StartAt": "InvokeLambdaWithRetry", "States": {
            "InvokeLambdaWithRetry": {"Type": "Task", "Resource": validate, "End": True,
                                      "Retry": [{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1,
                                                 "MaxAttempts": 1}],
                                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "HandleError"}]},
            "HandleError": {"Type": "Pass", "End": True}}}, bad, [
            (1, 0, "ExecutionStarted", started(bad)),
            (2, 0, "TaskStateEntered", entered("InvokeLambdaWithRetry", bad)),
            (3, 2, "LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": {
                "input": bad, "inputDetails": {"truncated": False}, "resource": validate}}),
            (4, 3, "LambdaFunctionStarted", {}),
            (5, 4, "LambdaFunctionFailed", None),
            (6, 5, "LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": {
                "input": bad, "inputDetails": {"truncated": False}, "resource": validate}}),
            (7, 6, "LambdaFunctionStarted", {}),
            (8, 7, "LambdaFunctionFailed", None),
            (9, 8, "TaskStateExited", None),
            (10, 9, "PassStateEntered", None),
            (11, 10, "PassStateExited", None),
            (12, 11, "ExecutionSucceeded", None)])

        def parsed(details):
            # AWS's input and output fields are JSON text: compared as the values they hold.
            out = {}
            for key, value in details.items():
                if isinstance(value, dict):
                    value = {k: (json.loads(v) if k in ("input", "output") else v) for k, v in value.items()}
                out[key] = value
            return out

        for name, (definition, payload, expected) in cases.items():
            machine = self.sfn.create_state_machine(
                name="aws-recorded-" + name, definition=json.dumps(definition), roleArn=role)
            run = self.start(machine["stateMachineArn"], payload)
            finished(self.sfn, run["executionArn"])
            events = history(self.sfn, run["executionArn"])
            self.assertEqual([(e["id"], e["previousEventId"], e["type"]) for e in events],
                             [(i, p, t) for i, p, t, _ in expected], name)
            for e, (_, _, kind, details) in zip(events, expected):
                if kind == "LambdaFunctionFailed":
                    failed = e["lambdaFunctionFailedEventDetails"]
                    self.assertEqual(failed["error"], "ValueError")
                    cause = json.loads(failed["cause"])
                    self.assertEqual(set(cause), {"errorMessage", "errorType", "requestId", "stackTrace"})
                    self.assertEqual((cause["errorMessage"], cause["errorType"]), ("bad quantity 0", "ValueError"))
                if kind == "TaskStateExited" and details is None:
                    out = json.loads(e["stateExitedEventDetails"]["output"])
                    self.assertEqual((set(out), out["Error"]), ({"Error", "Cause"}, "ValueError"))
                    self.assertEqual(json.loads(out["Cause"])["errorMessage"], "bad quantity 0")
                if details is None:
                    continue
                actual = {k: v for k, v in e.items() if k not in ("id", "previousEventId", "timestamp", "type")}
                self.assertEqual(parsed(actual), details, (name, kind))

    def test_jsonata_workflow_with_variables(self):
        """QueryLanguage JSONata: Arguments, Output, Assign, Conditions and Items evaluated by
        JSONata's reference implementation, a Node function priced through lambda:invoke, and a
        Catch whose Output reads $states.errorOutput."""
        price = "arn:aws:lambda:us-east-1:000000000000:function:" + self.function_name("PriceFunction")
        definition = {
            "QueryLanguage": "JSONata", "StartAt": "Init", "States": {
                "Init": {"Type": "Pass", "Assign": {"customer": "{% $states.input.customer %}"},
                         "Output": "{% $states.input.skus %}", "Next": "Price"},
                "Price": {"Type": "Map", "Items": "{% $states.input %}",
                          "ItemSelector": {"sku": "{% $states.context.Map.Item.Value %}",
                                           "index": "{% $states.context.Map.Item.Index %}"},
                          "ItemProcessor": {"StartAt": "One", "States": {"One": {
                              "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                              "Arguments": {"FunctionName": price, "Payload": "{% $states.input %}"},
                              "Output": "{% $states.result.Payload.price %}", "End": True}}},
                          "Assign": {"total": "{% $sum($states.result) %}"},
                          "Catch": [{"ErrorEquals": ["PriceError"], "Next": "Unpriced",
                                     "Output": {"why": "{% $states.errorOutput.Error %}"}}],
                          "Next": "Big?"},
                "Big?": {"Type": "Choice", "Default": "Small",
                         "Choices": [{"Condition": "{% $total >= 100 %}", "Next": "Big"}]},
                "Big": {"Type": "Succeed", "Output": {"customer": "{% $customer %}",
                                                      "total": "{% $total %}", "size": "big"}},
                "Small": {"Type": "Succeed", "Output": {"customer": "{% $customer %}",
                                                        "total": "{% $total %}", "size": "small"}},
                "Unpriced": {"Type": "Fail", "Error": "{% $states.input.why %}",
                             "Cause": "{% 'could not price for ' & $customer %}"}}}
        d = self.sfn.create_state_machine(name="jsonata-prices", definition=json.dumps(definition),
                                          roleArn="arn:aws:iam::000000000000:role/r")
        machine = d["stateMachineArn"]
        run = self.start(machine, {"customer": "ann", "skus": ["apple", "banana", "kiwi"]})
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"customer": "ann", "total": 150, "size": "big"})
        exited = [e for e in history(self.sfn, run["executionArn"])
                  if e["type"] == "MapStateExited"][0]["stateExitedEventDetails"]
        self.assertEqual(exited["assignedVariables"], {"total": "150"})
        run = self.start(machine, {"customer": "bo", "skus": ["fig"]})
        self.assertEqual(json.loads(finished(self.sfn, run["executionArn"])["output"])["size"],
                         "small")
        run = self.start(machine, {"customer": "cy", "skus": ["fig", "broken"]})
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual((d["status"], d["error"], d["cause"]),
                         ("FAILED", "PriceError", "could not price for cy"))
        # An expression that gives nothing fails the execution as Step Functions does.
        run = self.start(machine, {"customer": "dee"})
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual(d["status"], "FAILED", d)
        self.assertEqual(d["error"], "States.QueryEvaluationError")
        self.assertIn("returned nothing (undefined)", d["cause"])
        # Each language's fields are its own.
        bad = dict(definition)
        bad["States"] = dict(definition["States"], Init=dict(definition["States"]["Init"],
                                                             InputPath="$.x"))
        v = self.sfn.validate_state_machine_definition(definition=json.dumps(bad))
        self.assertEqual(v["result"], "FAIL")
        self.assertIn("InputPath", v["diagnostics"][0]["message"])

    def test_jsonata_distributed_map_evaluates_its_reader_and_writer(self):
        """A JSONata Map's ItemReader and ResultWriter: Arguments and ReaderConfig are
        expressions over the input."""
        s3 = boto3_client(self.t, "s3")
        s3.create_bucket(Bucket="sfn-jsonata-items")
        s3.put_object(Bucket="sfn-jsonata-items", Key="in/list.json",
                      Body=json.dumps([{"n": i} for i in range(5)]).encode())
        definition = {"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "JSON",
                                            "MaxItems": "{% $states.input.max %}"},
                           "Arguments": {"Bucket": "{% $states.input.bucket %}",
                                         "Key": "{% 'in/' & $states.input.file %}"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                              "StartAt": "Double", "States": {"Double": {
                                  "Type": "Pass", "End": True,
                                  "Output": {"doubled": "{% $states.input.n * 2 %}"}}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Arguments": {"Bucket": "{% $states.input.bucket %}",
                                           "Prefix": "{% 'out-' & $states.input.file %}"}}}}}
        machine = self.sfn.create_state_machine(
            name="jsonata-distributed", definition=json.dumps(definition),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        run = self.start(machine, {"bucket": "sfn-jsonata-items", "file": "list.json", "max": 3})
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        details = json.loads(d["output"])["ResultWriterDetails"]
        self.assertEqual(details["Bucket"], "sfn-jsonata-items")
        self.assertTrue(details["Key"].startswith("out-list.json/"), details)
        manifest = json.loads(s3.get_object(Bucket="sfn-jsonata-items",
                                            Key=details["Key"])["Body"].read())
        succeeded = json.loads(s3.get_object(
            Bucket="sfn-jsonata-items",
            Key=manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])["Body"].read())
        # MaxItems from the input: the first three items only.
        self.assertEqual(sorted(json.loads(r["Output"])["doubled"] for r in succeeded), [0, 2, 4])
        # An Arguments expression that gives no object fails the state as a runtime error.
        definition["States"]["Each"]["ItemReader"]["Arguments"] = "{% $states.input.file %}"
        self.sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(definition))
        d = finished(self.sfn, self.start(machine, {"bucket": "b", "file": "f", "max": 1})
                     ["executionArn"])
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.Runtime"), d)

    def test_distributed_map_reads_and_writes_s3(self):
        """A distributed Map: items from a CSV object (ItemReader), batches of them
        (ItemBatcher), a Node function per item, and a ResultWriter's manifest and result files
        in S3; then a listing's objects as the items."""
        s3 = boto3_client(self.t, "s3")
        s3.create_bucket(Bucket="sfn-items")
        s3.put_object(Bucket="sfn-items", Key="in/skus.csv",
                      Body=b"sku,qty\r\napple,1\r\n\"ki,wi\",2\r\nfig,3\r\n")
        for i in range(3):
            s3.put_object(Bucket="sfn-items", Key="logs/%d.txt" % i, Body=b"x" * (i + 1))
        price = "arn:aws:lambda:us-east-1:000000000000:function:" + self.function_name("PriceFunction")
        definition = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True, "Label": "Prices", "MaxConcurrency": 2,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                           "Parameters": {"Bucket.$": "$.bucket", "Key": "in/skus.csv"}},
            "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Price", "States": {"Price": {
                                  "Type": "Task", "Resource": price, "End": True}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": "sfn-items", "Prefix": "out"}}}}}
        machine = self.sfn.create_state_machine(
            name="distributed-prices", definition=json.dumps(definition),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        run = self.start(machine, {"bucket": "sfn-items"})
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertIn(":mapRun:distributed-prices/Prices:", out["MapRunArn"])
        details = out["ResultWriterDetails"]
        self.assertEqual(details["Bucket"], "sfn-items")
        self.assertTrue(details["Key"].startswith("out/") and details["Key"].endswith("/manifest.json"),
                        details)
        manifest = json.loads(s3.get_object(Bucket="sfn-items", Key=details["Key"])["Body"].read())
        self.assertEqual(manifest["ResultFiles"]["SUCCEEDED"][0]["Size"] > 0, True, manifest)
        succeeded = json.loads(s3.get_object(
            Bucket="sfn-items", Key=manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])["Body"].read())
        outputs = sorted((json.loads(r["Output"]) for r in succeeded), key=lambda o: o["index"])
        self.assertEqual(outputs, [{"sku": "apple", "index": 0, "price": 50},
                                   {"sku": "ki,wi", "index": 1, "price": 50},
                                   {"sku": "fig", "index": 2, "price": 30}])
        types = [e["type"] for e in history(self.sfn, run["executionArn"])]
        for t in ("MapRunStarted", "MapRunSucceeded", "MapStateSucceeded"):
            self.assertIn(t, types)
        self.assertNotIn("MapIterationStarted", types)  # its iterations are executions

        # The Map Run and its child executions, through the API.
        map_run = out["MapRunArn"]
        child_machine = "arn:aws:states:us-east-1:000000000000:stateMachine:distributed-prices/Prices"
        runs = self.sfn.list_map_runs(executionArn=run["executionArn"])["mapRuns"]
        self.assertEqual([(r["mapRunArn"], r["stateMachineArn"], r["executionArn"]) for r in runs],
                         [(map_run, child_machine, run["executionArn"])])
        self.assertIn("stopDate", runs[0])
        described = self.sfn.describe_map_run(mapRunArn=map_run)
        self.assertEqual((described["status"], described["maxConcurrency"], described["executionArn"],
                          described["toleratedFailureCount"]),
                         ("SUCCEEDED", 2, run["executionArn"], 0), described)
        counts = described["executionCounts"]
        self.assertEqual((counts["total"], counts["succeeded"], counts["pending"], counts["running"],
                          counts["failed"], counts["resultsWritten"]), (3, 3, 0, 0, 0, 3), counts)
        self.assertEqual((described["itemCounts"]["total"], described["itemCounts"]["succeeded"]),
                         (3, 3))
        children = self.sfn.list_executions(mapRunArn=map_run)["executions"]
        self.assertEqual(sorted(c["executionArn"] for c in children),
                         sorted(r["ExecutionArn"] for r in succeeded))
        for c in children:
            self.assertEqual((c["status"], c["mapRunArn"], c["stateMachineArn"]),
                             ("SUCCEEDED", map_run, child_machine), c)
            self.assertTrue(c["executionArn"].endswith(":execution:distributed-prices/Prices:" + c["name"]))
        child = self.sfn.describe_execution(executionArn=children[0]["executionArn"])
        self.assertEqual(child["mapRunArn"], map_run)
        self.assertIn(json.loads(child["input"])["sku"], ("apple", "ki,wi", "fig"))
        child_types = [e["type"] for e in history(self.sfn, child["executionArn"])]
        self.assertEqual((child_types[0], child_types[-1]), ("ExecutionStarted", "ExecutionSucceeded"))
        self.assertIn("LambdaFunctionSucceeded", child_types)
        # The parent's own listing does not hold its children.
        listed = self.sfn.list_executions(stateMachineArn=machine)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [run["executionArn"]])
        # Errors: a Map Run that is not there, an ended one updated, both ARNs or neither.
        for call in (lambda: self.sfn.describe_map_run(mapRunArn=map_run + "x"),
                     lambda: self.sfn.list_executions(mapRunArn=map_run + "x")):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFound")
        for kw, code in (({"mapRunArn": map_run, "maxConcurrency": 5}, "ValidationException"),
                         ({"mapRunArn": map_run + "x", "maxConcurrency": 5}, "ResourceNotFound"),
                         ({"mapRunArn": map_run}, "ValidationException"),
                         ({"mapRunArn": "nope", "maxConcurrency": 5}, "InvalidArn")):
            with self.assertRaises(botocore.exceptions.ClientError) as e:
                self.sfn.update_map_run(**kw)
            self.assertEqual(e.exception.response["Error"]["Code"], code, kw)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.sfn.list_executions(stateMachineArn=machine, mapRunArn=map_run)
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.sfn.list_map_runs(executionArn=run["executionArn"] + "x")
        self.assertEqual(e.exception.response["Error"]["Code"], "ExecutionDoesNotExist")

        # A listing's objects, in batches of two.
        listing = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True,
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                           "Parameters": {"Bucket": "sfn-items", "Prefix": "logs/"}},
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"from": "listing"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                              "StartAt": "Keys", "States": {"Keys": {
                                  "Type": "Pass", "End": True,
                                  "Parameters": {"keys.$": "$.Items[*].Key", "from.$": "$.BatchInput.from",
                                                 "sizes.$": "$.Items[*].Size"}}}}}}}
        machine = self.sfn.create_state_machine(
            name="distributed-listing", definition=json.dumps(listing),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        d = finished(self.sfn, self.start(machine, {})["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), [
            {"keys": ["logs/0.txt", "logs/1.txt"], "from": "listing", "sizes": [1, 2]},
            {"keys": ["logs/2.txt"], "from": "listing", "sizes": [3]}])

        # An S3 Inventory: its manifest.json names gzipped CSV files, as S3 writes them.
        import gzip
        s3.put_object(Bucket="sfn-items", Key="inv/data/a.csv.gz",
                      Body=gzip.compress(b'"sfn-items","photos/1.jpg","10"\n"sfn-items","photos/2.jpg","20"\n'))
        s3.put_object(Bucket="sfn-items", Key="inv/data/b.csv.gz",
                      Body=gzip.compress(b'"sfn-items","photos/3.jpg","30"\n'))
        s3.put_object(Bucket="sfn-items", Key="inv/manifest.json", Body=json.dumps({
            "sourceBucket": "sfn-items", "destinationBucket": "arn:aws:s3:::sfn-items",
            "version": "2016-11-30", "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
            "files": [{"key": "inv/data/a.csv.gz", "size": 1, "MD5checksum": "x"},
                      {"key": "inv/data/b.csv.gz", "size": 1, "MD5checksum": "y"}]}).encode())
        inventory = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "MANIFEST"},
                           "Parameters": {"Bucket": "sfn-items", "Key": "inv/manifest.json"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                              "StartAt": "Key", "States": {"Key": {
                                  "Type": "Pass", "End": True,
                                  "Parameters": {"key.$": "$.Key", "size.$": "$.Size"}}}}}}}
        machine = self.sfn.create_state_machine(
            name="distributed-inventory", definition=json.dumps(inventory),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        d = finished(self.sfn, self.start(machine, {})["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), [
            {"key": "photos/1.jpg", "size": "10"}, {"key": "photos/2.jpg", "size": "20"},
            {"key": "photos/3.jpg", "size": "30"}])

        # An object that is not there: States.ItemReaderFailed.
        each = {k: v for k, v in definition["States"]["Each"].items() if k != "ResultWriter"}
        each["ItemReader"] = dict(each["ItemReader"],
                                  Parameters={"Bucket": "sfn-items", "Key": "nope.csv"})
        missing = self.sfn.create_state_machine(
            name="distributed-missing", roleArn="arn:aws:iam::000000000000:role/r",
            definition=json.dumps({"StartAt": "Each", "States": {"Each": each}}))
        d = finished(self.sfn, self.start(missing["stateMachineArn"], {})["executionArn"])
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.ItemReaderFailed"), d)
        self.assertIn("nope.csv", d["cause"])

    def test_test_state(self):
        """TestState (boto3, its host prefix off): one state run on its own, with DEBUG's
        inspection data, mocks, a retrier's RETRIABLE, a catcher's CAUGHT_ERROR, a Choice's next
        state, a JSONata state with variables, a state of a whole machine, and a real function."""
        sfn = boto3_client(self.t, "stepfunctions", inject_host_prefix=False)
        role = "arn:aws:iam::000000000000:role/r"

        def test(state, **kw):
            return sfn.test_state(definition=json.dumps(state), roleArn=role, **kw)

        r = test({"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hi {}', $.name)"},
                  "ResultPath": "$.out", "Next": "After"},
                 input='{"name": "ann"}', inspectionLevel="DEBUG")
        self.assertEqual((r["status"], r["nextState"]), ("SUCCEEDED", "After"))
        self.assertEqual(json.loads(r["output"]), {"name": "ann", "out": {"greeting": "hi ann"}})
        data = r["inspectionData"]
        self.assertEqual(json.loads(data["input"]), {"name": "ann"})
        self.assertEqual(json.loads(data["afterParameters"]), {"greeting": "hi ann"})
        self.assertEqual(json.loads(data["afterResultPath"]),
                         {"name": "ann", "out": {"greeting": "hi ann"}})

        task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "nowhere", "Payload.$": "$"},
                "ResultSelector": {"price.$": "$.Payload.price"}, "End": True}
        r = test(task, input='{"sku": "x"}', inspectionLevel="DEBUG",
                 mock={"result": json.dumps({"Payload": {"price": 7}, "StatusCode": 200})})
        self.assertEqual((r["status"], json.loads(r["output"])), ("SUCCEEDED", {"price": 7}))
        self.assertNotIn("nextState", r)
        self.assertEqual(json.loads(r["inspectionData"]["afterResultSelector"]), {"price": 7})

        retried = dict(task, Retry=[{"ErrorEquals": ["Busy"], "MaxAttempts": 2}])
        r = test(retried, mock={"errorOutput": {"error": "Busy", "cause": "try later"}})
        self.assertEqual((r["status"], r["error"], r["cause"]), ("RETRIABLE", "Busy", "try later"))
        r = test(retried, mock={"errorOutput": {"error": "Busy", "cause": "try later"}},
                 stateConfiguration={"retrierRetryCount": 2})
        self.assertEqual((r["status"], r["error"]), ("FAILED", "Busy"))  # its attempts are spent
        caught = dict(task, Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e",
                                    "Next": "Handle"}])
        r = test(caught, input='{"a": 1}', mock={"errorOutput": {"error": "Boom", "cause": "c"}})
        self.assertEqual((r["status"], r["nextState"]), ("CAUGHT_ERROR", "Handle"))
        self.assertEqual(json.loads(r["output"]), {"a": 1, "e": {"Error": "Boom", "Cause": "c"}})

        choice = {"Type": "Choice", "Default": "Other",
                  "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]}
        self.assertEqual(test(choice, input='{"n": 11}')["nextState"], "Big")
        self.assertEqual(test(choice, input='{"n": 1}')["nextState"], "Other")

        r = test({"Type": "Pass", "QueryLanguage": "JSONata", "End": True,
                  "Output": "{% $states.input.n * $factor %}", "Assign": {"seen": "{% $factor %}"}},
                 input='{"n": 6}', variables='{"factor": 7}', inspectionLevel="DEBUG")
        self.assertEqual((r["status"], json.loads(r["output"])), ("SUCCEEDED", 42))
        self.assertEqual(json.loads(r["inspectionData"]["variables"]), {"factor": 7, "seen": 7})

        machine = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:"
                                              + self.function_name("PriceFunction"), "End": True}}}
        r = sfn.test_state(definition=json.dumps(machine), stateName="B", roleArn=role,
                           input='{"sku": "plum"}')
        self.assertEqual((r["status"], json.loads(r["output"])),
                         ("SUCCEEDED", {"sku": "plum", "price": 40}))

        with self.assertRaises(botocore.exceptions.ClientError) as e:
            test({"Type": "Pass", "Next": 5})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidDefinition")
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            sfn.test_state(definition=json.dumps(machine), roleArn=role)
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")

    def test_stepper_holds_a_state_and_runs_it_on_the_edited_input(self):
        """A breakpoint on a state (MACHINE/STATE, origin stepfunctions.state): the execution
        waits before it, the stepper lists it with its input, and it runs on the input as
        released; a paused stepper holds every state, stepped one at a time."""
        definition = {"StartAt": "Greet", "States": {
            "Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.name"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}}
        machine = self.sfn.create_state_machine(
            name="stepped", definition=json.dumps(definition),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        status, bp = tarmac_json(self.t, "/_tarmac/dispatch/breakpoints", "POST",
                                 {"function": "stepped/Greet", "origin": "stepfunctions.state"})
        self.assertEqual(status, 201, bp)
        try:
            run = self.start(machine, {"name": "ann"})
            pending = wait_for(lambda: [p for p in tarmac_json(self.t, "/_tarmac/dispatch/pending")[1]["pending"]
                                        if p["function"] == "stepped/Greet"], what="the held state")
            self.assertEqual(pending[0]["origin"], "stepfunctions.state")
            self.assertEqual(pending[0]["payload"], {"name": "ann"})
            self.assertEqual(self.sfn.describe_execution(executionArn=run["executionArn"])["status"],
                             "RUNNING")
            status, _ = tarmac_json(self.t, "/_tarmac/dispatch/pending/%s/deliver" % pending[0]["id"],
                                    "POST", {"payload": {"name": "bo"}})
            self.assertEqual(status, 200)
            d = finished(self.sfn, run["executionArn"])
            self.assertEqual(json.loads(d["output"]), {"hello": "bo"})
        finally:
            tarmac_json(self.t, "/_tarmac/dispatch/breakpoints/%s" % bp["id"], "DELETE")
        # A breakpoint's condition reads the state's input: only the matching run waits.
        status, bp = tarmac_json(self.t, "/_tarmac/dispatch/breakpoints", "POST",
                                 {"function": "stepped/Greet", "path": "$.name", "value": "dee"})
        self.assertEqual(status, 201, bp)
        try:
            other = self.start(machine, {"name": "eve"})
            self.assertEqual(finished(self.sfn, other["executionArn"])["status"], "SUCCEEDED")
            run = self.start(machine, {"name": "dee"})
            held = wait_for(lambda: [p for p in tarmac_json(self.t, "/_tarmac/dispatch/pending")[1]["pending"]
                                     if p["function"] == "stepped/Greet"], what="the held state")
            self.assertEqual(held[0]["payload"], {"name": "dee"})
            tarmac_json(self.t, "/_tarmac/dispatch/pending/%s/deliver" % held[0]["id"], "POST", {})
            self.assertEqual(json.loads(finished(self.sfn, run["executionArn"])["output"]),
                             {"hello": "dee"})
        finally:
            tarmac_json(self.t, "/_tarmac/dispatch/breakpoints/%s" % bp["id"], "DELETE")
        # Paused: each state waits for a step.
        self.assertEqual(tarmac_json(self.t, "/_tarmac/dispatch/pause", "POST")[0], 200)
        try:
            run = self.start(machine, {"name": "cy"})
            for state in ("stepped/Greet", "stepped/Done"):
                wait_for(lambda: [p for p in tarmac_json(self.t, "/_tarmac/dispatch/pending")[1]["pending"]
                                  if p["function"] == state], what=state + " held")
                self.assertEqual(tarmac_json(self.t, "/_tarmac/dispatch/step", "POST")[0], 200)
            d = finished(self.sfn, run["executionArn"])
            self.assertEqual(json.loads(d["output"]), {"hello": "cy"})
        finally:
            tarmac_json(self.t, "/_tarmac/dispatch/resume", "POST")

    def execution_spans(self, arn):
        """(name, {attribute: value}) of the spans of an execution, from /_tarmac/traces."""
        def attrs(span):
            return {a["key"]: list(a["value"].values())[0] for a in span.get("attributes", [])}

        def spans():
            _, doc = tarmac_json(self.t, "/_tarmac/traces?limit=2000")
            found = [(s["name"], attrs(s)) for rs in doc["resourceSpans"]
                     for ss in rs["scopeSpans"] for s in ss["spans"]]
            found = [(n, a) for n, a in found if a.get("aws.stepfunctions.execution_arn") == arn]
            return found if any(n.endswith(" execution") for n, _ in found) else None
        return wait_for(spans, what="the execution's spans")

    def test_every_history_event_is_shaped_as_aws_models_it(self):
        """Every event of real executions (every state type, retries, a catch, a callback, a
        Map, a Parallel, a Wait; a JSONata workflow with variables) checked field by field
        against botocore's model of GetExecutionHistory, on the wire: the event's type is one
        AWS names, its details member is the one AWS gives that type, and every field of it is
        one the model has, of the model's type, with the model's required fields there."""
        import botocore.session
        model = botocore.session.get_session().get_service_model("stepfunctions")
        event_shape = model.shape_for("HistoryEvent")
        types = set(model.shape_for("HistoryEventType").enum)
        scalar = {"string": str, "boolean": bool, "long": int, "integer": int,
                  "timestamp": (int, float), "double": (int, float)}

        def check(value, shape, where):
            if shape.type_name == "structure":
                self.assertIsInstance(value, dict, where)
                for k in value:
                    self.assertIn(k, shape.members, "%s: %s is not in AWS's model" % (where, k))
                    check(value[k], shape.members[k], where + "." + k)
                for k in shape.required_members:
                    self.assertIn(k, value, "%s: %s is required" % (where, k))
            elif shape.type_name == "map":
                for k, v in value.items():
                    check(v, shape.value, where + "." + k)
            elif shape.type_name == "list":
                for i, v in enumerate(value):
                    check(v, shape.member, "%s[%d]" % (where, i))
            else:
                self.assertIsInstance(value, scalar[shape.type_name], where)

        def details_member(event_type):
            for state in ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"):
                for phase in ("Entered", "Exited"):
                    if event_type == state + "State" + phase:
                        return "state%sEventDetails" % phase
            return event_type[0].lower() + event_type[1:] + "EventDetails"

        order = {"id": "o-9", "qty": 3, "price": 50, "items": ["apple", "kiwi"]}
        arns = [self.start(ORDER, {"order": order})["executionArn"],
                self.start(ORDER, {"order": dict(order, qty=0)})["executionArn"]]
        definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": "{% $states.input.n %}"}, "Next": "B"},
            "B": {"Type": "Wait", "Seconds": 0, "Next": "C"},
            "C": {"Type": "Succeed", "Output": "{% $x %}"}}}
        jsonata = self.sfn.create_state_machine(
            name="history-shapes", definition=json.dumps(definition),
            roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
        arns.append(self.start(jsonata, {"n": 1})["executionArn"])
        seen = set()
        for arn in arns:
            finished(self.sfn, arn)
            status, page = self.call("GetExecutionHistory",
                                     {"executionArn": arn, "maxResults": 1000})
            self.assertEqual(status, 200, page)
            for k in page:
                self.assertIn(k, model.operation_model("GetExecutionHistory").output_shape.members)
            for e in page["events"]:
                where = "%s #%d %s" % (arn.split(":")[-1], e["id"], e["type"])
                self.assertIn(e["type"], types, where)
                check(e, event_shape, where)
                present = [k for k in e if k.endswith("EventDetails")]
                self.assertLessEqual(len(present), 1, where)
                if present:
                    self.assertEqual(present[0], details_member(e["type"]), where)
                seen.add(e["type"])
        for t in ("ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                  "LambdaFunctionFailed", "TaskSubmitted", "MapIterationSucceeded",
                  "ParallelStateSucceeded", "WaitStateExited", "FailStateEntered",
                  "ExecutionFailed", "ExecutionSucceeded", "PassStateExited"):
            self.assertIn(t, seen)

    def function_name(self, logical):
        lam = boto3_client(self.t, "lambda")
        names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
        return [n for n in names if logical in n][0]

    def test_map_over_a_thousand_items(self):
        items = [{"sku": "sku-%d" % i} for i in range(1000)]
        run = self.start(BULK, {"items": items})
        d = finished(self.sfn, run["executionArn"], timeout=240)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertEqual(len(out), 1000)
        self.assertEqual(out[999], {"sku": "sku-999", "price": 70})
        # MaxConcurrency 10: never more than ten iterations running at once.
        running = peak = 0
        for e in history(self.sfn, run["executionArn"]):
            if e["type"] == "MapIterationStarted":
                running += 1
                peak = max(peak, running)
            elif e["type"] in ("MapIterationSucceeded", "MapIterationFailed"):
                running -= 1
        self.assertEqual(peak, 10)

    def test_an_hour_of_wait_passed_by_advancing_the_clock(self):
        run = self.start(SLEEP, {"x": 1})
        time.sleep(0.5)
        self.assertEqual(self.sfn.describe_execution(executionArn=run["executionArn"])["status"],
                         "RUNNING")
        status, state = tarmac_json(self.t, "/_tarmac/clock/advance", "POST", {"seconds": 3600})
        self.assertEqual(status, 200, state)
        d = finished(self.sfn, run["executionArn"], timeout=20)
        self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"woke": True}))

    def test_express_workflow_through_start_sync_execution(self):
        # StartSyncExecution's host prefix ("sync-") is for AWS's endpoints; pointed at a local
        # one the client must not add it.
        sync = boto3_client(self.t, "stepfunctions", inject_host_prefix=False)
        out = sync.start_sync_execution(stateMachineArn=EXPRESS, input='{"sku": "pear", "index": 0}')
        self.assertEqual(out["status"], "SUCCEEDED", out)
        self.assertEqual(json.loads(out["output"]), {"sku": "pear", "index": 0, "price": 40})
        self.assertIn(":express:express-price:", out["executionArn"])
        failed = sync.start_sync_execution(stateMachineArn=EXPRESS, input='{"sku": "broken"}')
        self.assertEqual((failed["status"], failed["error"]), ("FAILED", "PriceError"))
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            sync.start_sync_execution(stateMachineArn=ORDER, input="{}")
        self.assertEqual(e.exception.response["Error"]["Code"], "StateMachineTypeNotSupported")

    def test_start_an_execution_from_the_catalog(self):
        """The state machine's "start execution" over the IDE port (the desktop's Actions
        menu): a name and an input typed into its fields start an execution."""
        from test_serve import ws_connect, ws_recv, ws_send_text
        token = open(os.path.join(self.t.state, "ide-token")).read().strip()
        s, _ = ws_connect(self.t.ide, token=token)
        self.addCleanup(s.close)

        def call(method, **params):
            ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                        "params": params}))
            return json.loads(ws_recv(s)[1])
        machine = EXPRESS.split(":")[-1]
        entry = call("resources.get", kind="stateMachine", name=machine)["result"]
        self.assertEqual(entry["actions"], ["start execution"])
        self.assertEqual([f["id"] for f in entry["actionFields"]["start execution"]],
                         ["name", "input"])
        started = call("resources.action", kind="stateMachine", name=machine,
                       action="start execution",
                       fields={"name": "from-the-ide", "input": '{"sku": "pear", "index": 0}'})
        self.assertIn(":express:%s:from-the-ide:" % machine, started["result"]["result"])
        bad = call("resources.action", kind="stateMachine", name=machine,
                   action="start execution", fields={"input": "{nope"})["error"]
        self.assertEqual(bad["data"]["type"], "InvalidExecutionInput")

    def test_api_with_the_aws_cli_and_its_errors(self):
        env = self.t.client_env()

        def aws(*args, ok=True):
            r = subprocess.run(["aws", "stepfunctions", *args, "--output", "json"],
                               capture_output=True, text=True, env=env, timeout=60)
            if ok:
                self.assertEqual(r.returncode, 0, r.stderr)
                return json.loads(r.stdout) if r.stdout.strip() else {}
            self.assertNotEqual(r.returncode, 0)
            return r.stderr

        definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "hi", "End": True}}})
        made = aws("create-state-machine", "--name", "cli-pass", "--definition", definition,
                   "--role-arn", "arn:aws:iam::000000000000:role/r")
        arn = made["stateMachineArn"]
        # Idempotent with the same definition; a different one is refused.
        self.assertEqual(aws("create-state-machine", "--name", "cli-pass", "--definition", definition,
                             "--role-arn", "arn:aws:iam::000000000000:role/r")["stateMachineArn"], arn)
        self.assertIn("StateMachineAlreadyExists",
                      aws("create-state-machine", "--name", "cli-pass", "--definition",
                          definition.replace("hi", "ho"), "--role-arn", "r", ok=False))
        names = [m["name"] for m in aws("list-state-machines")["stateMachines"]]
        for n in ("bulk-prices", "cli-pass", "express-price", "order-workflow", "sleep-an-hour"):
            self.assertIn(n, names)
        run = aws("start-execution", "--state-machine-arn", arn, "--name", "first")
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual((d["status"], d["output"]), ("SUCCEEDED", '"hi"'))
        listed = aws("list-executions", "--state-machine-arn", arn)["executions"]
        self.assertEqual([(e["name"], e["status"]) for e in listed], [("first", "SUCCEEDED")])
        self.assertIn("ExecutionAlreadyExists",
                      aws("start-execution", "--state-machine-arn", arn, "--name", "first",
                          "--input", '{"other": 1}', ok=False))
        self.assertIn("InvalidDefinition",
                      aws("create-state-machine", "--name", "bad", "--definition",
                          '{"StartAt": "Nope", "States": {}}', "--role-arn", "r", ok=False))
        self.assertIn("InvalidExecutionInput",
                      aws("start-execution", "--state-machine-arn", arn, "--input", "{not json",
                          ok=False))
        self.assertIn("StateMachineDoesNotExist",
                      aws("describe-state-machine", "--state-machine-arn", arn + "-gone", ok=False))
        self.assertIn("ExecutionDoesNotExist",
                      aws("describe-execution", "--execution-arn",
                          run["executionArn"] + "-gone", ok=False))
        self.assertIn("TaskDoesNotExist",
                      aws("send-task-success", "--task-token", "nope", "--task-output", "{}", ok=False))
        v = aws("validate-state-machine-definition", "--definition",
                '{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}')
        self.assertEqual(v["result"], "FAIL")
        self.assertEqual(v["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET")
        # Stopping a running execution.
        long = self.start(SLEEP, {}, name="to-stop")
        aws("stop-execution", "--execution-arn", long["executionArn"], "--error", "Stopped",
            "--cause", "by the test")
        d = self.sfn.describe_execution(executionArn=long["executionArn"])
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Stopped", "by the test"))
        aws("delete-state-machine", "--state-machine-arn", arn)
        self.assertNotIn("cli-pass", [m["name"] for m in aws("list-state-machines")["stateMachines"]])

    def test_service_integrations_through_the_edge(self):
        """The optimized SQS, DynamoDB, SNS and EventBridge integrations, an aws-sdk one, a
        nested execution with .sync, and a service error caught by its name."""
        sqs = boto3_client(self.t, "sqs")
        ddb = boto3_client(self.t, "dynamodb")
        sns = boto3_client(self.t, "sns")
        queue = sqs.create_queue(QueueName="sfn-out")["QueueUrl"]
        ddb.create_table(TableName="sfn-items", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        topic = sns.create_topic(Name="sfn-topic")["TopicArn"]
        definition = {"StartAt": "Send", "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": queue, "MessageBody.$": "$.message"},
                     "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Put"},
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {"TableName": "sfn-items",
                                   "Item": {"pk": {"S.$": "$.key"}, "n": {"N": "7"}}},
                    "ResultPath": None, "Next": "Get"},
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                    "Parameters": {"TableName": "sfn-items", "Key": {"pk": {"S.$": "$.key"}}},
                    "ResultSelector": {"n.$": "$.Item.n.N"}, "ResultPath": "$.got", "Next": "Publish"},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": topic, "Message.$": "$.message"},
                        "ResultPath": "$.published", "Next": "Events"},
            "Events": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                       "Parameters": {"Entries": [{"Source": "sfn.test", "DetailType": "t", "Detail": {"a": 1}}]},
                       "ResultSelector": {"failed.$": "$.FailedEntryCount"}, "ResultPath": "$.events",
                       "Next": "Attributes"},
            "Attributes": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueAttributes",
                           "Parameters": {"QueueUrl": queue, "AttributeNames": ["ApproximateNumberOfMessages"]},
                           "ResultSelector": {"depth.$": "$.Attributes.ApproximateNumberOfMessages"},
                           "ResultPath": "$.queue", "Next": "Nested"},
            "Nested": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                       "Parameters": {"StateMachineArn": EXPRESS.replace("express-price", "nested-pass"),
                                      "Input": {"x": 1}},
                       "ResultSelector": {"output.$": "$.Output", "status.$": "$.Status"},
                       "ResultPath": "$.nested", "Next": "Missing"},
            "Missing": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                        "Parameters": {"TableName": "no-such-table", "Key": {"pk": {"S": "x"}}},
                        "Catch": [{"ErrorEquals": ["DynamoDb.ResourceNotFoundException"],
                                   "ResultPath": "$.caught", "Next": "Done"}], "End": True},
            "Done": {"Type": "Succeed"}}}
        self.sfn.create_state_machine(
            name="nested-pass", roleArn="r", definition=json.dumps(
                {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.x, $.x)"}, "End": True}}}))
        made = self.sfn.create_state_machine(name="integrations", roleArn="r", definition=json.dumps(definition))
        run = self.sfn.start_execution(stateMachineArn=made["stateMachineArn"],
                                       input=json.dumps({"message": "hello", "key": "k1"}))
        d = finished(self.sfn, run["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED", d)
        out = json.loads(d["output"])
        self.assertTrue(out["sent"]["id"])
        self.assertEqual(out["got"], {"n": "7"})
        self.assertTrue(out["published"]["MessageId"])
        self.assertEqual(out["events"], {"failed": 0})
        self.assertEqual(out["queue"], {"depth": "1"})
        self.assertEqual(out["nested"], {"output": {"doubled": 2}, "status": "SUCCEEDED"})
        self.assertEqual(out["caught"]["Error"], "DynamoDb.ResourceNotFoundException")
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        self.assertEqual(got[0]["Body"], "hello")
        self.assertEqual(ddb.get_item(TableName="sfn-items", Key={"pk": {"S": "k1"}})["Item"]["n"], {"N": "7"})
        # Each call is on the execution's trace, as the client requests a function would make.
        status, traces = tarmac_json(self.t, "/_tarmac/traces?limit=200")
        self.assertEqual(status, 200)

    def test_wrong_types_in_every_field(self):
        """Every member of the JSON API sent with a wrong type: the service's error, never a 500."""
        for op, body in [
                ("CreateStateMachine", {"name": "x", "definition": "{}", "roleArn": "r"}),
                ("StartExecution", {"stateMachineArn": ORDER, "input": "{}", "name": "n"}),
                ("DescribeExecution", {"executionArn": ORDER}),
                ("ListExecutions", {"stateMachineArn": ORDER, "maxResults": 1, "statusFilter": "RUNNING"}),
                ("GetExecutionHistory", {"executionArn": ORDER, "reverseOrder": True, "maxResults": 1}),
                ("SendTaskFailure", {"taskToken": "t", "error": "e", "cause": "c"}),
                ("StopExecution", {"executionArn": ORDER, "error": "e"}),
                ("ValidateStateMachineDefinition", {"definition": "{}"}),
                ("DescribeMapRun", {"mapRunArn": "arn:aws:states:us-east-1:000000000000:mapRun:m/M:x"}),
                ("ListMapRuns", {"executionArn": ORDER, "maxResults": 1, "nextToken": "1"}),
                ("UpdateMapRun", {"mapRunArn": "arn:aws:states:us-east-1:000000000000:mapRun:m/M:x", "maxConcurrency": 1,
                                  "toleratedFailurePercentage": 1.5, "toleratedFailureCount": 1}),
                ("ListExecutions", {"mapRunArn": "arn:aws:states:us-east-1:000000000000:mapRun:m/M:x", "maxResults": 1}),
                ("TestState", {"definition": '{"Type": "Pass", "End": true}', "input": "{}",
                               "inspectionLevel": "DEBUG", "variables": "{}", "context": "{}",
                               "stateName": "S", "roleArn": "r", "revealSecrets": False,
                               "mock": {"result": "{}", "errorOutput": {"error": "e"}},
                               "stateConfiguration": {"retrierRetryCount": 1}})]:
            for field in body:
                for wrong in (1, True, [], {}, None, 1.5):
                    if wrong == body[field]:
                        continue
                    sent = dict(body, **{field: wrong})
                    status, answer = self.call(op, sent)
                    self.assertLess(status, 500, (op, field, wrong, answer))
        status, answer = self.call("NoSuchOperation", {})
        self.assertEqual((status, answer["__type"].split("#")[-1]), (400, "UnknownOperationException"))

    def call(self, operation, body):
        import urllib.request
        req = urllib.request.Request(self.t.edge, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AWSStepFunctions." + operation,
            "Authorization": "AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/states/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


class SamStockTraderTest(unittest.TestCase):
    """The shape of `sam init`'s multi-step workflow app (tests/e2e/templates/sam-stock-trader):
    a definition file with substitutions, Python functions, a retried task, a Choice, and the
    optimized DynamoDB putItem integration writing to the app's table."""

    def test_trades_are_recorded(self):
        project = os.path.join(HERE, "templates", "sam-stock-trader")
        with Tarmac(project=project) as t:
            sfn = boto3_client(t, "stepfunctions")
            ddb = boto3_client(t, "dynamodb")
            machine = [m for m in sfn.list_state_machines()["stateMachines"]
                       if "StockTradingStateMachine" in m["name"]][0]
            # The hourly schedule on the state machine is a rule targeting it, disabled as the
            # template says (Enabled: false).
            events = boto3_client(t, "events")
            names = events.list_rule_names_by_target(
                TargetArn=machine["stateMachineArn"])["RuleNames"]
            self.assertEqual(len(names), 1, names)
            self.assertIn("StockTradingStateMachineHourly", names[0])
            self.assertEqual(events.describe_rule(Name=names[0])["State"], "DISABLED")
            for price, side in ((30, "buy"), (80, "sell")):
                run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"],
                                          input=json.dumps({"price": price}))
                d = finished(sfn, run["executionArn"])
                self.assertEqual(d["status"], "SUCCEEDED", d)
                types = [e["type"] for e in history(sfn, run["executionArn"])]
                self.assertIn("Buy Stock" if side == "buy" else "Sell Stock",
                              [e["stateEnteredEventDetails"]["name"]
                               for e in history(sfn, run["executionArn"])
                               if "stateEnteredEventDetails" in e])
                self.assertIn("TaskSucceeded", types)  # the DynamoDB putItem integration
            table = [n for n in ddb.list_tables()["TableNames"] if "TransactionTable" in n][0]
            items = ddb.scan(TableName=table)["Items"]
            self.assertEqual(sorted((i["Type"]["S"], i["Price"]["N"]) for i in items),
                             [("buy", "30"), ("sell", "80")])


class StepFunctionsDurabilityTest(unittest.TestCase):
    def test_execution_survives_kill_9(self):
        with Tarmac(project=PROJECT) as t:
            sfn = boto3_client(t, "stepfunctions")
            run = sfn.start_execution(stateMachineArn=SLEEP, name="survivor", input='{"n": 1}')
            wait_for(lambda: any(e["type"] == "WaitStateEntered" for e in history(sfn, run["executionArn"])),
                     what="the Wait state")
            # The checkpoint and history are written within milliseconds of the state's entry;
            # a second leaves room for a machine busy with other tests.
            time.sleep(1.0)
            t.kill9()
            again = Tarmac(project=PROJECT, state=t.state).start()
            try:
                sfn = boto3_client(again, "stepfunctions")
                self.assertEqual(sfn.describe_execution(executionArn=run["executionArn"])["status"],
                                 "RUNNING")
                status, state = tarmac_json(again, "/_tarmac/clock/advance", "POST", {"seconds": 3600})
                self.assertEqual(status, 200, state)
                d = finished(sfn, run["executionArn"], timeout=20)
                self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"woke": True}))
                types = [e["type"] for e in history(sfn, run["executionArn"])]
                self.assertEqual(types[0], "ExecutionStarted")
                self.assertEqual(types[-1], "ExecutionSucceeded")
            finally:
                again.stop()

    def test_kill_9_inside_a_parallel_resumes_inside_it(self):
        """A branch that had ended is not run again; the one that was waiting goes on."""
        definition = {"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": True}}},
            {"StartAt": "Before", "States": {
                "Before": {"Type": "Pass", "Result": {"step": 1}, "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
                "After": {"Type": "Pass", "End": True}}}]}}}
        with Tarmac(project=PROJECT) as t:
            sfn = boto3_client(t, "stepfunctions")
            machine = sfn.create_state_machine(name="parallel-nap", definition=json.dumps(definition),
                                               roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
            run = sfn.start_execution(stateMachineArn=machine, name="inside")
            wait_for(lambda: any(e["type"] == "WaitStateEntered" for e in history(sfn, run["executionArn"])),
                     what="the Wait state")
            time.sleep(1.0)  # as above
            t.kill9()
            again = Tarmac(project=PROJECT, state=t.state).start()
            try:
                sfn = boto3_client(again, "stepfunctions")
                # The waiting branch is in its Wait state again before the clock moves.
                wait_for(lambda: [e["type"] for e in history(sfn, run["executionArn"])].count("WaitStateEntered") == 2,
                         what="the Wait state, resumed")
                status, state = tarmac_json(again, "/_tarmac/clock/advance", "POST", {"seconds": 3600})
                self.assertEqual(status, 200, state)
                d = finished(sfn, run["executionArn"], timeout=20)
                self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", ["quick", {"step": 1}]))
                entered = [e["stateEnteredEventDetails"]["name"] for e in history(sfn, run["executionArn"])
                           if "stateEnteredEventDetails" in e]
                # Par is entered again (its branches go on); Quick and Before ran once, Nap twice.
                self.assertEqual(sorted(entered), ["After", "Before", "Nap", "Nap", "Par", "Par", "Quick"])
            finally:
                again.stop()

    def test_kill_9_inside_a_distributed_map_goes_on_with_its_map_run(self):
        """The Map Run and its children survive: the child that was waiting resumes, the ended
        one is not run again, and the rest start; one Map Run, three children."""
        definition = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "End": True, "MaxConcurrency": 2, "Label": "Naps",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "Choose", "States": {
                                  "Choose": {"Type": "Choice", "Default": "Nap", "Choices": [
                                      {"Variable": "$", "NumericEquals": 0, "Next": "Quick"}]},
                                  "Quick": {"Type": "Pass", "Result": "quick", "End": True},
                                  "Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}}}}
        with Tarmac(project=PROJECT) as t:
            sfn = boto3_client(t, "stepfunctions")
            machine = sfn.create_state_machine(name="distributed-nap", definition=json.dumps(definition),
                                               roleArn="arn:aws:iam::000000000000:role/r")["stateMachineArn"]
            run = sfn.start_execution(stateMachineArn=machine, name="inside", input="[0, 1, 2]")

            def map_run():
                runs = sfn.list_map_runs(executionArn=run["executionArn"])["mapRuns"]
                return runs[0]["mapRunArn"] if runs else None
            arn = wait_for(map_run, what="the Map Run")
            # Item 0 ended; items 1 and 2 wait (MaxConcurrency 2: item 2 took item 0's place).
            # Two running alone is also true before item 0 has ended.
            def counts():
                c = sfn.describe_map_run(mapRunArn=arn)["executionCounts"]
                return c["succeeded"] == 1 and c["running"] == 2
            wait_for(counts, what="item 0 ended and two children waiting")
            waiting = [e["executionArn"] for e in sfn.list_executions(mapRunArn=arn)["executions"]
                       if e["status"] == "RUNNING"]
            self.assertEqual(len(waiting), 2)
            # Each waiting child in its Wait state (running since its start, it may still be at
            # its Choice), then what the executor writes every few milliseconds written now (a
            # snapshot flushes every module first), so that the kill comes after the children's
            # progress however busy the machine: this test is about resuming the Map Run.
            wait_for(lambda: all("WaitStateEntered" in [e["type"] for e in history(sfn, child)]
                                 for child in waiting), what="the children's Wait states")
            status, _ = tarmac_json(t, "/_tarmac/snapshots/before-kill", "POST", {})
            self.assertLess(status, 300)
            t.kill9()
            again = Tarmac(project=PROJECT, state=t.state).start()
            try:
                sfn = boto3_client(again, "stepfunctions")
                # Each waiting child is in its Wait state again before the clock moves.
                wait_for(lambda: all([e["type"] for e in history(sfn, child)].count("WaitStateEntered") == 2
                                     for child in waiting),
                         what="the children's Wait states, resumed")
                self.assertEqual(sfn.describe_map_run(mapRunArn=arn)["executionCounts"]["running"], 2)
                status, state = tarmac_json(again, "/_tarmac/clock/advance", "POST", {"seconds": 3600})
                self.assertEqual(status, 200, state)
                d = finished(sfn, run["executionArn"], timeout=20)
                self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", ["quick", 1, 2]))
                self.assertEqual([r["mapRunArn"] for r in sfn.list_map_runs(executionArn=run["executionArn"])["mapRuns"]],
                                 [arn])
                counts = sfn.describe_map_run(mapRunArn=arn)["executionCounts"]
                self.assertEqual((counts["succeeded"], counts["total"], counts["aborted"]), (3, 3, 0), counts)
                children = sfn.list_executions(mapRunArn=arn)["executions"]
                self.assertEqual(len(children), 3)
                # The children that waited through the kill went on from their Wait state
                # (entered again, as a resumed execution's state is), not from the start.
                for child in waiting:
                    types = [e["type"] for e in history(sfn, child)]
                    self.assertEqual(types.count("ChoiceStateEntered"), 1, types)
                    self.assertEqual(types.count("WaitStateEntered"), 2, types)
                    self.assertEqual(types[-1], "ExecutionSucceeded")
            finally:
                again.stop()


if __name__ == "__main__":
    unittest.main()
