"""SNS with the real clients: boto3, the aws CLI and the AWS SDK for JavaScript v3. Topics and
subscriptions, fan-out to two queues with different filter policies (enveloped and raw) and to a
function, a FIFO topic keeping group order in a FIFO queue, an HTTP subscriber on loopback that
confirms and checks every signature against the certificate Tarmac serves, SNS's errors, a
template with an SNS event and a filter policy, and HTTP deliveries across kill -9."""
import base64
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import deliveries, physical_name, python_function, wait_for

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")

RECORDER = """
def handler(event, context):
    return {"seen": len(event["Records"])}
"""


def string_to_sign(m):
    """SNS's string to sign (docs: sns-verify-signature-of-message)."""
    if m["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join("%s\n%s\n" % (k, m[k]) for k in keys if m.get(k) is not None).encode()


def verify(m):
    """Verifies a message as SNS's verifiers do: the certificate from SigningCertURL, SHA1 for
    SignatureVersion 1 and SHA256 for 2."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    url = m.get("SigningCertURL") or m["SigningCertUrl"]
    with urllib.request.urlopen(url, timeout=10) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    digest = hashes.SHA256() if m["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(m["Signature"]), string_to_sign(m),
                             padding.PKCS1v15(), digest)  # raises when it does not verify


def http_subscriber(check=None, status_for=lambda body: 200):
    """An HTTP endpoint on loopback that records every POST (headers, JSON body), confirms
    subscriptions by fetching their SubscribeURL, and answers status_for(body). check(body) runs
    on each confirmation first. Returns the server (serving on a thread) and the list."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((dict(self.headers), body))
            if body["Type"] == "SubscriptionConfirmation":
                if check:
                    check(body)
                with urllib.request.urlopen(body["SubscribeURL"], timeout=10) as r:
                    r.read()
            self.send_response(status_for(body))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


class SnsApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac().start()
        cls.sns = boto3_client(cls.t, "sns")
        cls.sqs = boto3_client(cls.t, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def code(self, fn, **kw):
        with self.assertRaises(self.sns.exceptions.ClientError) as e:
            fn(**kw)
        return e.exception.response["Error"]["Code"], e.exception.response["Error"]["Message"]

    def queue(self, name, **attributes):
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def receive(self, url, n, wait=5):
        got = []
        deadline = time.monotonic() + wait
        while len(got) < n and time.monotonic() < deadline:
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"])
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return got

    def test_topics(self):
        arn = self.sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                                    Tags=[{"Key": "team", "Value": "shop"}])["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:us-east-1:000000000000:orders")
        self.assertEqual(self.sns.create_topic(Name="orders")["TopicArn"], arn)  # idempotent
        code, message = self.code(self.sns.create_topic, Name="orders",
                                  Attributes={"DisplayName": "Other"})
        self.assertEqual((code, message), ("InvalidParameter", "Invalid parameter: Attributes "
                         "Reason: Topic already exists with different attributes"))
        attributes = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(attributes["DisplayName"], "Orders")
        self.assertEqual(attributes["TopicArn"], arn)
        self.assertEqual(attributes["Owner"], "000000000000")
        self.assertEqual(attributes["SubscriptionsConfirmed"], "0")
        self.assertIn("Statement", json.loads(attributes["Policy"]))
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName",
                                      AttributeValue="Shop orders")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"],
                         "Shop orders")
        self.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "cost", "Value": "1"}])
        self.sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "cost", "Value": "1"}])
        for i in range(105):
            self.sns.create_topic(Name="page-%03d" % i)
        listed = [t["TopicArn"] for p in self.sns.get_paginator("list_topics").paginate()
                  for t in p["Topics"]]
        self.assertEqual(len([a for a in listed if ":page-" in a]), 105)
        self.assertEqual(len(listed), len(set(listed)))
        first = self.sns.list_topics()
        self.assertEqual(len(first["Topics"]), 100)
        self.assertIn("NextToken", first)
        for i in range(105):
            self.sns.delete_topic(TopicArn="arn:aws:sns:us-east-1:000000000000:page-%03d" % i)
        self.sns.delete_topic(TopicArn=arn)
        self.sns.delete_topic(TopicArn=arn)  # as SNS: no error for a topic that is gone
        code, message = self.code(self.sns.get_topic_attributes, TopicArn=arn)
        self.assertEqual((code, message), ("NotFound", "Topic does not exist"))

    def test_errors(self):
        arn = self.sns.create_topic(Name="errors")["TopicArn"]
        self.assertEqual(self.code(self.sns.create_topic, Name="bad name!")[0], "InvalidParameter")
        self.assertEqual(self.code(self.sns.create_topic, Name="plain",
                                   Attributes={"FifoTopic": "true"})[1],
                         "Invalid parameter: Fifo Topic names must end with .fifo and must be "
                         "made up of only uppercase and lowercase ASCII letters, numbers, "
                         "underscores, and hyphens, and must be between 1 and 256 characters "
                         "long.")
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn + "-missing", Message="x"),
                         ("NotFound", "Topic does not exist"))
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn, Message="x" * (256 * 1024 + 1)),
                         ("InvalidParameter", "Invalid parameter: Message too long"))
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn, Message="")[1],
                         "Invalid parameter: Empty message")
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn, Message="{}",
                                   MessageStructure="json")[1],
                         "Invalid parameter: Message Structure - No default entry in JSON "
                         "message body")
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn, Message="x",
                                   MessageAttributes={"n": {"DataType": "Number",
                                                            "StringValue": "abc"}})[1],
                         "Invalid parameter: Could not cast message attribute 'n' value to "
                         "number.")
        self.assertEqual(self.code(self.sns.publish, TopicArn=arn, Message="x",
                                   MessageGroupId="g")[0], "InvalidParameter")
        self.assertEqual(self.code(self.sns.subscribe, TopicArn=arn, Protocol="carrier-pigeon",
                                   Endpoint="x")[0], "InvalidParameter")
        self.assertEqual(self.code(self.sns.subscribe, TopicArn=arn, Protocol="sqs",
                                   Endpoint="not-an-arn")[1], "Invalid parameter: SQS endpoint ARN")
        _, queue = self.queue("errors-q")
        code, message = self.code(self.sns.subscribe, TopicArn=arn, Protocol="sqs",
                                  Endpoint=queue, Attributes={"FilterPolicy": "{not json"})
        self.assertEqual(code, "InvalidParameter")
        self.assertTrue(message.startswith("Invalid parameter: Attributes Reason: FilterPolicy: "), message)
        self.assertEqual(self.code(self.sns.get_subscription_attributes,
                                   SubscriptionArn=arn + ":nope")[0], "NotFound")
        self.assertEqual(self.code(self.sns.unsubscribe, SubscriptionArn=arn + ":nope")[0],
                         "NotFound")
        sub = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
        self.assertEqual(self.code(self.sns.set_subscription_attributes, SubscriptionArn=sub,
                                   AttributeName="RawMessageDelivery",
                                   AttributeValue="maybe")[0], "InvalidParameter")
        self.assertEqual(self.code(self.sns.set_subscription_attributes, SubscriptionArn=sub,
                                   AttributeName="Colour", AttributeValue="red")[1],
                         "Invalid parameter: AttributeName")
        fifo = self.sns.create_topic(Name="errors.fifo", Attributes={"FifoTopic": "true"})
        self.assertEqual(self.code(self.sns.publish, TopicArn=fifo["TopicArn"], Message="x")[1],
                         "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                         "topics")
        self.assertEqual(self.code(self.sns.publish, TopicArn=fifo["TopicArn"], Message="x",
                                   MessageGroupId="g")[1],
                         "Invalid parameter: The topic should either have "
                         "ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                         "explicitly")
        batch = self.sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "fine"}, {"Id": "bad", "Message": "x",
                                              "MessageStructure": "json"}])
        self.assertEqual([s["Id"] for s in batch["Successful"]], ["ok"])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in batch["Failed"]],
                         [("bad", "InvalidParameter", True)])
        self.assertEqual(self.code(self.sns.publish_batch, TopicArn=arn,
                                   PublishBatchRequestEntries=[{"Id": "a", "Message": "x"},
                                                               {"Id": "a", "Message": "y"}])[0],
                         "BatchEntryIdsNotDistinct")
        self.assertEqual(self.code(self.sns.publish_batch, TopicArn=arn,
                                   PublishBatchRequestEntries=[{"Id": str(i), "Message": "x"}
                                                               for i in range(11)])[0],
                         "TooManyEntriesInBatchRequest")

    def test_fan_out_with_filter_policies(self):
        arn = self.sns.create_topic(Name="fan-out")["TopicArn"]
        cheap_url, cheap = self.queue("fan-cheap")
        raw_url, raw_q = self.queue("fan-raw")
        s1 = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=cheap, Attributes={
            "FilterPolicy": json.dumps({"price": [{"numeric": ["<", 100]}],
                                        "store": [{"prefix": "eu-"}]})})["SubscriptionArn"]
        s2 = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=raw_q, Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({"kind": [{"anything-but": ["test"]}]})})["SubscriptionArn"]
        self.assertNotEqual(s1, s2)
        subs = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertEqual({s["SubscriptionArn"] for s in subs}, {s1, s2})
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=s2)["Attributes"]
                         ["RawMessageDelivery"], "true")

        def publish(message, **attributes):
            return self.sns.publish(TopicArn=arn, Message=message, Subject="order", MessageAttributes={
                k: ({"DataType": "Number", "StringValue": str(v)} if isinstance(v, int)
                    else {"DataType": "String", "StringValue": v}) for k, v in attributes.items()})

        first = publish("cheap eu order", price=20, store="eu-west", kind="real")
        publish("expensive", price=500, store="eu-west", kind="real")
        publish("test order", price=5, store="us-east", kind="test")
        cheap_got = self.receive(cheap_url, 1)
        self.assertEqual(len(cheap_got), 1)
        envelope = json.loads(cheap_got[0]["Body"])
        self.assertEqual(envelope["Type"], "Notification")
        self.assertEqual(envelope["MessageId"], first["MessageId"])
        self.assertEqual(envelope["TopicArn"], arn)
        self.assertEqual(envelope["Subject"], "order")
        self.assertEqual(envelope["Message"], "cheap eu order")
        self.assertEqual(envelope["MessageAttributes"]["price"], {"Type": "Number", "Value": "20"})
        self.assertRegex(envelope["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(envelope["SignatureVersion"], "1")
        self.assertTrue(envelope["UnsubscribeURL"].startswith(self.t.edge))
        verify(envelope)
        raw_got = self.receive(raw_url, 2)
        self.assertEqual(sorted(m["Body"] for m in raw_got), ["cheap eu order", "expensive"])
        self.assertEqual(raw_got[0]["MessageAttributes"]["kind"],
                         {"DataType": "String", "StringValue": "real"})
        self.assertEqual(self.receive(cheap_url, 1, wait=1), [])  # nothing more matched
        # Message-body scope: nested keys of a JSON message.
        self.sns.set_subscription_attributes(SubscriptionArn=s1, AttributeName="FilterPolicyScope",
                                             AttributeValue="MessageBody")
        self.sns.set_subscription_attributes(SubscriptionArn=s1, AttributeName="FilterPolicy",
                                             AttributeValue=json.dumps(
                                                 {"order": {"total": [{"numeric": [">", 10]}]}}))
        self.sns.publish(TopicArn=arn, Message=json.dumps({"order": {"total": 12}}))
        self.sns.publish(TopicArn=arn, Message=json.dumps({"order": {"total": 3}}))
        got = self.receive(cheap_url, 1)
        self.assertEqual([json.loads(json.loads(m["Body"])["Message"]) for m in got],
                         [{"order": {"total": 12}}])
        # Per-protocol messages.
        self.sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps(
            {"default": "for everyone", "sqs": json.dumps({"order": {"total": 99}})}))
        got = self.receive(cheap_url, 1)
        self.assertEqual(json.loads(got[0]["Body"])["Message"], '{"order": {"total": 99}}')
        self.sns.unsubscribe(SubscriptionArn=s1)
        self.assertEqual([s["SubscriptionArn"] for s in
                          self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]], [s2])

    def test_fifo_topic_keeps_group_order(self):
        arn = self.sns.create_topic(Name="ledger.fifo", Attributes={
            "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
        url, queue = self.queue("ledger.fifo", FifoQueue="true")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)
        numbers = []
        for i in range(10):
            for group in ("a", "b"):
                r = self.sns.publish(TopicArn=arn, Message="%s-%d" % (group, i),
                                     MessageGroupId=group)
                numbers.append(int(r["SequenceNumber"]))
        self.assertEqual(numbers, sorted(numbers))
        again = self.sns.publish(TopicArn=arn, Message="a-0", MessageGroupId="a")  # deduplicated
        got = self.receive(url, 20, wait=10)
        bodies = [json.loads(m["Body"])["Message"] for m in got]
        self.assertEqual(len(bodies), 20, bodies)
        for group in ("a", "b"):
            self.assertEqual([b for b in bodies if b.startswith(group)],
                             ["%s-%d" % (group, i) for i in range(10)])
        first_a = [json.loads(m["Body"]) for m in got if json.loads(m["Body"])["Message"] == "a-0"]
        self.assertEqual(again["MessageId"], first_a[0]["MessageId"])
        self.assertIn("SequenceNumber", first_a[0])
        code = self.code(self.sns.subscribe, TopicArn=arn, Protocol="lambda",
                         Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f")[0]
        self.assertEqual(code, "InvalidParameter")

    def test_function_subscription(self):
        python_function(self, self.t, "sns-recorder", RECORDER)
        arn = self.sns.create_topic(Name="to-function")["TopicArn"]
        function_arn = "arn:aws:lambda:us-east-1:000000000000:function:sns-recorder"
        sub = self.sns.subscribe(TopicArn=arn, Protocol="lambda",
                                 Endpoint=function_arn)["SubscriptionArn"]
        published = self.sns.publish(TopicArn=arn, Message="hello function", MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "blue"}})
        got = wait_for(lambda: [d for d in deliveries(self.t, "sns-recorder")
                                if d.get("status") == "succeeded"] or None,
                       timeout=60, what="the function's invocation")
        event = got[0]["payload"]
        record = event["Records"][0]
        self.assertEqual(record["EventSource"], "aws:sns")
        self.assertEqual(record["EventVersion"], "1.0")
        self.assertEqual(record["EventSubscriptionArn"], sub)
        sns = record["Sns"]
        self.assertEqual(sns["MessageId"], published["MessageId"])
        self.assertEqual(sns["Message"], "hello function")
        self.assertIsNone(sns["Subject"])
        self.assertEqual(sns["MessageAttributes"], {"colour": {"Type": "String", "Value": "blue"}})
        self.assertIn("SigningCertUrl", sns)
        self.assertIn("UnsubscribeUrl", sns)
        verify(sns)

    def test_topic_as_a_functions_failure_destination(self):
        python_function(self, self.t, "sns-failing", "def handler(event, context):\n"
                        "    raise ValueError('no good')\n")
        arn = self.sns.create_topic(Name="failures")["TopicArn"]
        url, queue = self.queue("failures-q")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue,
                           Attributes={"RawMessageDelivery": "true"})
        lam = boto3_client(self.t, "lambda")
        lam.put_function_event_invoke_config(
            FunctionName="sns-failing", MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": arn}})
        lam.invoke(FunctionName="sns-failing", InvocationType="Event", Payload=b'{"n": 1}')
        got = self.receive(url, 1, wait=60)
        self.assertEqual(len(got), 1)
        record = json.loads(got[0]["Body"])
        self.assertEqual(record["requestPayload"], {"n": 1})
        self.assertEqual(record["responsePayload"]["errorMessage"], "no good")
        self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")

    def test_s3_notifications_through_a_topic(self):
        s3 = boto3_client(self.t, "s3")
        arn = self.sns.create_topic(Name="uploads")["TopicArn"]
        url, queue = self.queue("uploads-q")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue)
        s3.create_bucket(Bucket="sns-uploads")
        s3.put_bucket_notification_configuration(Bucket="sns-uploads", NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        test_event = json.loads(json.loads(self.receive(url, 1)[0]["Body"])["Message"])
        self.assertEqual(test_event["Event"], "s3:TestEvent")
        s3.put_object(Bucket="sns-uploads", Key="a.txt", Body=b"hello")
        got = self.receive(url, 1)
        record = json.loads(json.loads(got[0]["Body"])["Message"])["Records"][0]
        self.assertEqual(record["eventSource"], "aws:s3")
        self.assertEqual(record["s3"]["object"]["key"], "a.txt")

    def test_http_subscriber_confirms_and_verifies(self):
        server, received = http_subscriber(check=verify)
        try:
            arn = self.sns.create_topic(Name="webhooks", Attributes={"SignatureVersion": "2"})[
                "TopicArn"]
            endpoint = "http://127.0.0.1:%d/hook" % server.server_port
            answer = self.sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=endpoint)
            self.assertEqual(answer["SubscriptionArn"], "pending confirmation")

            def confirmed():
                subs = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
                return subs if subs and subs[0]["SubscriptionArn"] != "PendingConfirmation" \
                    else None
            subs = wait_for(confirmed, what="the subscription's confirmation")
            published = self.sns.publish(TopicArn=arn, Message="webhook body", Subject="hi")
            wait_for(lambda: len(received) >= 2, what="the notification")
            headers, note = received[1]
            self.assertEqual(note["Type"], "Notification")
            self.assertEqual(note["MessageId"], published["MessageId"])
            self.assertEqual(note["SignatureVersion"], "2")
            verify(note)
            self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
            self.assertEqual(headers["x-amz-sns-topic-arn"], arn)
            self.assertEqual(headers["x-amz-sns-subscription-arn"], subs[0]["SubscriptionArn"])
            self.assertTrue(headers["Content-Type"].startswith("text/plain"))
            # The UnsubscribeURL works as a link.
            with urllib.request.urlopen(note["UnsubscribeURL"], timeout=10) as r:
                r.read()
            self.assertEqual(self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"],
                             [])
        finally:
            server.shutdown()

    def test_a_subscriber_that_is_down_does_not_slow_publish(self):
        arn = self.sns.create_topic(Name="slow-hooks")["TopicArn"]
        sub = self.sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/x",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.assertTrue(sub.startswith(arn + ":"))
        start = time.monotonic()
        for _ in range(20):
            self.sns.publish(TopicArn=arn, Message="x")
        self.assertLess(time.monotonic() - start, 5)

    def test_cli(self):
        env = dict(os.environ, **self.t.client_env())
        def aws(*args):
            r = subprocess.run(["aws", "--endpoint-url", self.t.edge, "--region", "us-east-1",
                                "--output", "json", "sns", *args], env=env, capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else {}
        arn = aws("create-topic", "--name", "cli-topic")["TopicArn"]
        url, queue = self.queue("cli-queue")
        aws("subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint",
            queue, "--attributes", "RawMessageDelivery=true")
        message_id = aws("publish", "--topic-arn", arn, "--message", "from the cli")["MessageId"]
        self.assertTrue(message_id)
        got = self.receive(url, 1)
        self.assertEqual(got[0]["Body"], "from the cli")
        self.assertIn(arn, [t["TopicArn"] for t in aws("list-topics")["Topics"]])
        self.assertEqual(len(aws("list-subscriptions-by-topic", "--topic-arn", arn)
                             ["Subscriptions"]), 1)

    def test_javascript_sdk(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-sns")):
            self.skipTest("npm install in tests/e2e/js first")
        env = dict(os.environ, TARMAC_EDGE=self.t.edge)
        r = subprocess.run(["node", "sns-sdk.js"], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ok \d+")


TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties:
      Subscription:
        - Protocol: sqs
          Endpoint: !GetAtt AuditQueue.Arn
  AuditQueue:
    Type: AWS::SQS::Queue
  Notifier:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src/
      Events:
        Urgent:
          Type: SNS
          Properties:
            Topic: !Ref Alerts
            FilterPolicy:
              severity: [high]
Outputs:
  TopicArn:
    Value: !Ref Alerts
"""


class SnsTemplateTest(unittest.TestCase):
    def test_sns_event_with_filter_policy(self):
        with tempfile.TemporaryDirectory() as project:
            os.makedirs(os.path.join(project, "src"))
            with open(os.path.join(project, "template.yaml"), "w") as f:
                f.write(TEMPLATE)
            with open(os.path.join(project, "src", "app.py"), "w") as f:
                f.write(RECORDER)
            t = Tarmac(project=project, ready_timeout=60).start()
            try:
                sns, sqs = boto3_client(t, "sns"), boto3_client(t, "sqs")
                arn = physical_name(t, "Alerts")
                self.assertTrue(arn.startswith("arn:aws:sns:us-east-1:000000000000:"), arn)
                subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
                self.assertEqual(sorted(s["Protocol"] for s in subs), ["lambda", "sqs"])
                function = physical_name(t, "Notifier")
                for severity in ("low", "high"):
                    sns.publish(TopicArn=arn, Message="disk " + severity, MessageAttributes={
                        "severity": {"DataType": "String", "StringValue": severity}})
                got = wait_for(lambda: [d for d in deliveries(t, function)
                                        if d.get("status") == "succeeded"] or None,
                               timeout=60, what="the function's invocation")
                time.sleep(1)
                got = [d for d in deliveries(t, function) if d.get("status") == "succeeded"]
                self.assertEqual([d["payload"]["Records"][0]["Sns"]["Message"] for d in got],
                                 ["disk high"])
                url = sqs.get_queue_url(QueueName=physical_name(t, "AuditQueue").rsplit("/", 1)[1])[
                    "QueueUrl"]
                seen = []
                deadline = time.monotonic() + 10
                while len(seen) < 2 and time.monotonic() < deadline:
                    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=1)
                    seen += [json.loads(m["Body"])["Message"] for m in r.get("Messages", [])]
                self.assertEqual(sorted(seen), ["disk high", "disk low"])
            finally:
                t.stop()


class SnsDurabilityTest(unittest.TestCase):
    def test_http_delivery_survives_kill9(self):
        """A message Publish acknowledged for an HTTP endpoint that is down reaches it after
        kill -9 and a restart."""
        state = tempfile.TemporaryDirectory(prefix="tarmac-sns-kill9-")
        server, posts = http_subscriber(
            status_for=lambda body: 500 if body.get("Message") == "fail" else 200)
        try:
            t = Tarmac(state=state.name).start()
            sns = boto3_client(t, "sns")
            arn = sns.create_topic(Name="durable")["TopicArn"]
            sns.subscribe(TopicArn=arn, Protocol="http",
                          Endpoint="http://127.0.0.1:%d/" % server.server_port)
            wait_for(lambda: sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"][0]
                     ["SubscriptionArn"] != "PendingConfirmation", what="confirmation")
            # Answered 500, so it stays in the outbox, retried 20 s later; kill -9 before that.
            published = sns.publish(TopicArn=arn, Message="fail")
            wait_for(lambda: any(b.get("Message") == "fail" for _, b in posts),
                     what="the first attempt")
            t.kill9()
            posts.clear()
            t = Tarmac(state=state.name).start()
            try:
                got = wait_for(lambda: [b for _, b in posts if b.get("Message") == "fail"],
                               what="the delivery after the restart")
                self.assertEqual(got[0]["MessageId"], published["MessageId"])
            finally:
                t.stop()
        finally:
            server.shutdown()
            state.cleanup()


if __name__ == "__main__":
    unittest.main()
