"""SQS's JSON protocol with the real clients: boto3, the aws CLI and the AWS SDK for JavaScript
v3 (which verifies every MD5). Queues, messages, visibility and redelivery, the dead-letter
queue, FIFO order and deduplication, long polls woken by a send, batches, the errors in
SQS's shape, each field of the wrong type, and messages across kill -9."""
import hashlib
import json
import re
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import Tarmac, boto3_client, run_tarmac
from lambda_support import python_function, wait_for

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
NODE_SDK = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                         "plugins", "runtimes", "node", "sdk", "node_modules",
                                         "@aws-sdk", "client-sqs"))


def raw(t, operation, body):
    """A JSON-protocol call as bytes on the wire: (status, headers, parsed body)."""
    req = urllib.request.Request(
        t.edge + "/", data=body if isinstance(body, bytes) else json.dumps(body).encode(),
        method="POST", headers={
            "X-Amz-Target": "AmazonSQS." + operation,
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/"
                             "aws4_request, SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"{}")


class SqsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Tarmac().start()
        cls.sqs = boto3_client(cls.t, "sqs", read_timeout=40)

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()

    def queue(self, name, **attributes):
        return self.sqs.create_queue(QueueName=name, Attributes={
            k: str(v) for k, v in attributes.items()})["QueueUrl"]

    def test_queues(self):
        url = self.queue("alpha-1", VisibilityTimeout=60)
        self.assertEqual(url, self.t.edge + "/000000000000/alpha-1")  # the host the client used
        self.assertEqual(self.queue("alpha-1", VisibilityTimeout=60), url)  # idempotent
        with self.assertRaises(self.sqs.exceptions.QueueNameExists) as e:
            self.queue("alpha-1", VisibilityTimeout=5)
        self.assertEqual(e.exception.response["Error"]["Code"], "QueueAlreadyExists")
        for i in range(2, 5):
            self.queue("alpha-%d" % i)
        self.assertEqual(self.sqs.get_queue_url(QueueName="alpha-1")["QueueUrl"], url)
        page = self.sqs.list_queues(QueueNamePrefix="alpha-", MaxResults=3)
        self.assertEqual(len(page["QueueUrls"]), 3)
        rest = self.sqs.list_queues(QueueNamePrefix="alpha-", MaxResults=3,
                                    NextToken=page["NextToken"])
        self.assertEqual([u.rsplit("/", 1)[1] for u in rest["QueueUrls"]], ["alpha-4"])
        self.assertNotIn("NextToken", rest)
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attributes["VisibilityTimeout"], "60")
        self.assertEqual(attributes["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:alpha-1")
        self.sqs.tag_queue(QueueUrl=url, Tags={"team": "a", "cost": "b"})
        self.sqs.untag_queue(QueueUrl=url, TagKeys=["cost"])
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"team": "a"})
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Colour": "red"})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidAttributeName")
        self.sqs.delete_queue(QueueUrl=url)
        with self.assertRaises(self.sqs.exceptions.QueueDoesNotExist) as e:
            self.sqs.get_queue_url(QueueName="alpha-1")
        self.assertEqual(e.exception.response["Error"]["Code"],
                         "AWS.SimpleQueueService.NonExistentQueue")

    def test_messages_visibility_and_redelivery(self):
        url = self.queue("work", VisibilityTimeout=1)
        sent = self.sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
            "attribName1": {"DataType": "String", "StringValue": "attribValue 1"}})
        self.assertEqual(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592")
        self.assertEqual(sent["MD5OfMessageAttributes"], "19e27d4e946b072f3f58da80d94fd778")
        first = self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                                         MessageSystemAttributeNames=["All"])["Messages"]
        self.assertEqual(first[0]["Body"], "hello")
        self.assertEqual(first[0]["Attributes"]["ApproximateReceiveCount"], "1")
        self.assertEqual(first[0]["MessageAttributes"]["attribName1"]["StringValue"], "attribValue 1")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))  # in flight
        time.sleep(1.2)  # the visibility timeout ends
        again = self.sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
        self.assertEqual(again["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "2")
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=again["Messages"][0]["ReceiptHandle"])
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
        self.assertEqual(e.exception.response["Error"]["Code"], "ReceiptHandleIsInvalid")
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.send_message(QueueUrl=url, MessageBody="x" * (1024 * 1024 + 1))
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValue")
        self.sqs.purge_queue(QueueUrl=url)
        with self.assertRaises(self.sqs.exceptions.PurgeQueueInProgress):
            self.sqs.purge_queue(QueueUrl=url)

    def test_dead_letter_queue(self):
        dlq = self.queue("orders-dlq")
        arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        url = self.queue("orders", VisibilityTimeout=0, RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": 2}))
        sent = self.sqs.send_message(QueueUrl=url, MessageBody="poison")
        for _ in range(2):
            self.assertEqual(len(self.sqs.receive_message(QueueUrl=url)["Messages"]), 1)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        dead = self.sqs.receive_message(QueueUrl=dlq)["Messages"]
        self.assertEqual(dead[0]["MessageId"], sent["MessageId"])
        self.assertEqual(self.sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [url])

    def test_message_move_task_redrives_the_dead_letter_queue(self):
        dlq = self.queue("moves-dlq")
        arn = "arn:aws:sqs:us-east-1:000000000000:moves-dlq"
        url = self.queue("moves", VisibilityTimeout=0, RedrivePolicy=json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": 1}))
        for i in range(3):
            self.sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        self.assertEqual(len(self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10)["Messages"]), 3)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        # Paced at one message a second: running, then done.
        handle = self.sqs.start_message_move_task(
            SourceArn=arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        with self.assertRaises(self.sqs.exceptions.UnsupportedOperation):
            self.sqs.start_message_move_task(SourceArn=arn)  # one running task per queue
        task = self.sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]
        self.assertEqual(task["Status"], "RUNNING")
        self.assertEqual(task["TaskHandle"], handle)
        self.assertEqual(task["ApproximateNumberOfMessagesToMove"], 3)
        self.assertEqual(task["MaxNumberOfMessagesPerSecond"], 1)
        deadline = time.time() + 10
        while task["Status"] == "RUNNING" and time.time() < deadline:
            time.sleep(0.2)
            task = self.sqs.list_message_move_tasks(SourceArn=arn)["Results"][0]
        self.assertEqual(task["Status"], "COMPLETED")
        self.assertEqual(task["ApproximateNumberOfMessagesMoved"], 3)
        self.assertNotIn("TaskHandle", task)
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
        back = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in back), ["m0", "m1", "m2"])
        with self.assertRaises(self.sqs.exceptions.ResourceNotFoundException):
            self.sqs.cancel_message_move_task(TaskHandle=handle)  # finished
        with self.assertRaises(self.sqs.exceptions.ResourceNotFoundException):
            self.sqs.start_message_move_task(
                SourceArn="arn:aws:sqs:us-east-1:000000000000:no-such-queue")
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.start_message_move_task(
                SourceArn="arn:aws:sqs:us-east-1:000000000000:moves")  # not a dead-letter queue
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_add_and_remove_permission_edit_the_policy(self):
        url = self.queue("shared")
        self.sqs.add_permission(QueueUrl=url, Label="partner", AWSAccountIds=["111122223333"],
                                Actions=["SendMessage", "ReceiveMessage"])
        policy = json.loads(self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(policy["Statement"], [{
            "Sid": "partner", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": ["SQS:SendMessage", "SQS:ReceiveMessage"],
            "Resource": "arn:aws:sqs:us-east-1:000000000000:shared"}])
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.add_permission(QueueUrl=url, Label="partner", AWSAccountIds=["1"],
                                    Actions=["SendMessage"])
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValue")
        self.sqs.remove_permission(QueueUrl=url, Label="partner")
        self.assertNotIn("Policy", self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}))
        with self.assertRaises(self.sqs.exceptions.ClientError) as e:
            self.sqs.remove_permission(QueueUrl=url, Label="partner")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_query_protocol_on_the_wire(self):
        """What older clients send: a form to the queue's URL, XML back, errors in XML."""
        url = self.queue("query-raw")

        def post(path, form):
            req = urllib.request.Request(
                self.t.edge + path, data=form.encode(), method="POST", headers={
                    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/"
                                     "sqs/aws4_request, SignedHeaders=host, Signature=0"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.headers.get("Content-Type"), r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.headers.get("Content-Type"), e.read().decode()

        status, ctype, xml = post("/000000000000/query-raw",
                                  "Action=SendMessage&Version=2012-11-05&MessageBody=a%26b+c")
        self.assertEqual((status, ctype), (200, "text/xml"), xml)
        self.assertRegex(xml, r"<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/"
                              r"2012-11-05/\"><SendMessageResult><MD5OfMessageBody>"
                              + hashlib.md5(b"a&b c").hexdigest())
        got = self.sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertEqual(got["Body"], "a&b c")
        status, _, xml = post("/", "Action=GetQueueUrl&QueueName=missing")
        self.assertEqual(status, 400)
        self.assertIn("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>", xml)
        self.assertIn("<Type>Sender</Type>", xml)
        status, _, xml = post("/", "Action=Explode")
        self.assertEqual(status, 400)
        self.assertIn("<Code>InvalidAction</Code>", xml)
        status, _, xml = post("/", "Action=ReceiveMessage&QueueUrl=" + url
                              + "&MaxNumberOfMessages=lots")
        self.assertEqual(status, 400)
        self.assertIn("<Code>InvalidParameterValue</Code>", xml)

    def test_query_protocol_javascript_sdk_3_430(self):
        """@aws-sdk/client-sqs 3.430.0, from before SQS's JSON protocol, unmodified."""
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "client-sqs-query")):
            self.skipTest("run tools/install-deps --with-tests to install the JS clients")
        env = dict(os.environ, TARMAC_EDGE=self.t.edge)
        r = subprocess.run(["node", "sqs-query.js"], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ok \d+")

    def test_fifo_order_and_deduplication(self):
        url = self.sqs.create_queue(QueueName="jobs.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        ids = [self.sqs.send_message(QueueUrl=url, MessageBody="m%d" % i, MessageGroupId="g")
               for i in range(5)]
        dup = self.sqs.send_message(QueueUrl=url, MessageBody="m0", MessageGroupId="g")
        self.assertEqual(dup["MessageId"], ids[0]["MessageId"])
        self.assertLess(ids[0]["SequenceNumber"], ids[1]["SequenceNumber"])
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
        self.assertEqual([m["Body"] for m in got], ["m0", "m1", "m2"])
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))  # group in flight
        for m in got:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        rest = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([m["Body"] for m in rest], ["m3", "m4"])

    def test_long_poll_wakes_on_send(self):
        url = self.queue("waiting")
        other = boto3_client(self.t, "sqs")
        result = {}

        def poll():
            started = time.monotonic()
            result["messages"] = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
            result["returned"] = time.monotonic()
            result["waited"] = result["returned"] - started

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.5)
        sent_at = time.monotonic()
        other.send_message(QueueUrl=url, MessageBody="wake up")
        thread.join(25)
        self.assertEqual(result["messages"]["Messages"][0]["Body"], "wake up")
        self.assertLess(result["returned"] - sent_at, 1.0, result)  # not the 20 s
        # An empty poll waits its time and answers with no messages.
        started = time.monotonic()
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))
        self.assertGreaterEqual(time.monotonic() - started, 0.9)

    def test_batches(self):
        url = self.queue("batch", MaximumMessageSize=1024)
        r = self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "big", "MessageBody": "x" * 2000},
            {"Id": "ok2", "MessageBody": "also fine"}])
        self.assertEqual(sorted(s["Id"] for s in r["Successful"]), ["ok", "ok2"])
        self.assertEqual(r["Failed"][0]["Id"], "big")
        self.assertEqual(r["Failed"][0]["Code"], "InvalidParameterValue")
        for entries, code in (
                ([{"Id": str(i), "MessageBody": "m"} for i in range(11)],
                 "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
                ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
                ([{"Id": "a", "MessageBody": "m"}, {"Id": "a", "MessageBody": "n"}],
                 "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")):
            with self.assertRaises(self.sqs.exceptions.ClientError) as e:
                self.sqs.send_message_batch(QueueUrl=url, Entries=entries)
            self.assertEqual(e.exception.response["Error"]["Code"], code)
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        d = self.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": "m%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            + [{"Id": "bad", "ReceiptHandle": "garbage"}])
        self.assertEqual(len(d["Successful"]), 2)
        self.assertEqual(d["Failed"][0]["Code"], "ReceiptHandleIsInvalid")

    def test_every_field_of_the_wrong_type(self):
        url = self.queue("types")
        valid = {
            "CreateQueue": {"QueueName": "types2", "Attributes": {"DelaySeconds": "0"},
                            "tags": {"a": "b"}},
            "GetQueueUrl": {"QueueName": "types"},
            "ListQueues": {"QueueNamePrefix": "t", "MaxResults": 5, "NextToken": ""},
            "GetQueueAttributes": {"QueueUrl": url, "AttributeNames": ["All"]},
            "SetQueueAttributes": {"QueueUrl": url, "Attributes": {"DelaySeconds": "0"}},
            "SendMessage": {"QueueUrl": url, "MessageBody": "b", "DelaySeconds": 0,
                            "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
                            "MessageGroupId": "g", "MessageDeduplicationId": "d"},
            "SendMessageBatch": {"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}]},
            "ReceiveMessage": {"QueueUrl": url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": 0,
                               "VisibilityTimeout": 0, "AttributeNames": ["All"],
                               "MessageAttributeNames": ["All"]},
            "DeleteMessage": {"QueueUrl": url, "ReceiptHandle": "h"},
            "DeleteMessageBatch": {"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "h"}]},
            "ChangeMessageVisibility": {"QueueUrl": url, "ReceiptHandle": "h",
                                        "VisibilityTimeout": 1},
            "ChangeMessageVisibilityBatch": {"QueueUrl": url, "Entries": [
                {"Id": "a", "ReceiptHandle": "h", "VisibilityTimeout": 1}]},
            "TagQueue": {"QueueUrl": url, "Tags": {"a": "b"}},
            "UntagQueue": {"QueueUrl": url, "TagKeys": ["a"]},
            "ListQueueTags": {"QueueUrl": url},
            "ListDeadLetterSourceQueues": {"QueueUrl": url},
            "PurgeQueue": {"QueueUrl": "types-never"},
        }
        wrong = [7, "text", True, None, [1, "x"], {"x": {"y": 1}}, 1.5]
        for operation, body in valid.items():
            for field in body:
                for value in wrong:
                    if value is None or (type(value) is type(body[field]) and value == body[field]):
                        continue
                    sent = dict(body, **{field: value})
                    status, headers, answer = raw(self.t, operation, sent)
                    self.assertLess(status, 500, (operation, field, value, answer))
                    if status >= 400:
                        self.assertTrue(answer.get("__type", "").startswith("com.amazonaws.sqs#"),
                                        (operation, field, value, answer))
        for garbage in (b"", b"[]", b"not json", b'{"QueueUrl": '):
            status, _, answer = raw(self.t, "SendMessage", garbage)
            self.assertEqual(status, 400, (garbage, answer))
        self.assertEqual(raw(self.t, "NoSuchOperation", {})[0], 400)
        # Tarmac stayed up through all of it.
        self.assertEqual(self.t.get_json("/_tarmac/health")[1]["services"]["sqs"], "running")

    def test_aws_cli(self):
        env = self.t.client_env()

        def aws(*args):
            # aws CLI v1's sqs commands set their own default endpoint (queue.amazonaws.com)
            # over AWS_ENDPOINT_URL: the edge is given as --endpoint-url.
            r = subprocess.run(["aws", "sqs", *args, "--output", "json",
                                "--endpoint-url", self.t.edge], env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else {}

        url = aws("create-queue", "--queue-name", "cli-queue")["QueueUrl"]
        aws("send-message", "--queue-url", url, "--message-body", "from the CLI")
        got = aws("receive-message", "--queue-url", url, "--wait-time-seconds", "1")
        self.assertEqual(got["Messages"][0]["Body"], "from the CLI")
        aws("delete-message", "--queue-url", url, "--receipt-handle",
            got["Messages"][0]["ReceiptHandle"])
        self.assertIn(url, aws("list-queues")["QueueUrls"])

    def test_javascript_sdk_v3(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-sqs")):
            self.skipTest("run tools/install-deps --with-tests to install the JS clients")
        env = dict(os.environ, TARMAC_EDGE=self.t.edge)
        r = subprocess.run(["node", "sqs-sdk.js"], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ok \d+")


CONSUMER = """
import json
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        if record["body"] == "bad":
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        s3.put_object(Bucket="esm-seen", Key=record["body"], Body=json.dumps(record))
    return {"batchItemFailures": failures}
"""


class SqsToFunctionTest(unittest.TestCase):
    def test_batch_with_one_failure_retries_it_into_the_dead_letter_queue(self):
        with Tarmac() as t:
            sqs, lam, s3 = (boto3_client(t, s, read_timeout=60) for s in ("sqs", "lambda", "s3"))
            python_function(self, t, "consumer", CONSUMER)
            s3.create_bucket(Bucket="esm-seen")
            dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            url = sqs.create_queue(QueueName="jobs", Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})[
                "QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            mapping = lam.create_event_source_mapping(
                FunctionName="consumer", EventSourceArn=arn, BatchSize=10,
                MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=["ReportBatchItemFailures"])
            self.assertEqual(mapping["EventSourceArn"], arn)
            bodies = ["m%d" % i for i in range(9)] + ["bad"]
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": "e%d" % i, "MessageBody": b, "MessageAttributes": {
                    "kind": {"DataType": "String", "StringValue": "job"}}}
                for i, b in enumerate(bodies)])

            def seen():
                return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="esm-seen").get(
                    "Contents", []))
            wait_for(lambda: len(seen()) == 9, timeout=60, what="nine records processed")
            self.assertEqual(seen(), sorted(bodies[:9]))
            record = json.loads(s3.get_object(Bucket="esm-seen", Key="m0")["Body"].read())
            self.assertEqual(record["eventSource"], "aws:sqs")
            self.assertEqual(record["eventSourceARN"], arn)
            self.assertEqual(record["awsRegion"], "us-east-1")
            self.assertEqual(record["md5OfBody"], hashlib.md5(b"m0").hexdigest())
            self.assertEqual(record["attributes"]["ApproximateReceiveCount"], "1")
            self.assertEqual(record["messageAttributes"]["kind"]["stringValue"], "job")
            self.assertEqual(record["messageAttributes"]["kind"]["dataType"], "String")
            # The send's trace travelled with the message: the send, the delivery and what the
            # function called (its PutObject) are one trace.
            root = re.match(r"Root=1-([0-9a-f]{8})-([0-9a-f]{24})",
                            record["attributes"]["AWSTraceHeader"])
            trace = root.group(1) + root.group(2)

            def exported():
                r = run_tarmac("traces", "export", "--edge", t.edge, "--trace", trace)
                return r.stdout if r.returncode == 0 else ""
            wait_for(lambda: all(name in exported() for name in
                                 ("SendMessageBatch", "SQS poll jobs", "consumer", "PutObject")),
                     timeout=30, what="one trace from the send to the function's calls")
            # The poll sits between the send and the delivery.
            spans = [s for rs in json.loads(exported())["resourceSpans"]
                     for ss in rs["scopeSpans"] for s in ss["spans"]]
            by_id = {s["spanId"]: s for s in spans}
            poll = next(s for s in spans if s["name"] == "SQS poll jobs")
            self.assertIn("SendMessageBatch", by_id[poll["parentSpanId"]]["name"])
            self.assertTrue(any(s.get("parentSpanId") == poll["spanId"] for s in spans))
            # Exactly the failed record is retried, and after maxReceiveCount it is in the DLQ.
            dead = []
            wait_for(lambda: dead.extend(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get(
                "Messages", [])) or dead, timeout=60, what="the failed record in the DLQ")
            self.assertEqual([m["Body"] for m in dead], ["bad"])
            self.assertEqual(len(seen()), 9)  # the nine were not delivered again
            counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            self.assertEqual((counts["ApproximateNumberOfMessages"],
                              counts["ApproximateNumberOfMessagesNotVisible"]), ("0", "0"))


THUMBNAILER = """
import json
import urllib.parse
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":
            continue  # what S3 sends when the configuration is put
        for s3_record in body["Records"]:
            key = urllib.parse.unquote_plus(s3_record["s3"]["object"]["key"])
            bucket = s3_record["s3"]["bucket"]["name"]
            data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            s3.put_object(Bucket="pipeline-out", Key=key + ".upper", Body=data.upper())
"""

FAILS_ON_BAD = """
def handler(event, context):
    if event.get("bad"):
        raise RuntimeError("refused " + str(event["n"]))
    return {"ok": event["n"]}
"""


class SqsEventPathsTest(unittest.TestCase):
    def test_s3_notification_to_queue_to_function_back_to_s3(self):
        with Tarmac() as t:
            sqs, lam, s3 = (boto3_client(t, s, read_timeout=60) for s in ("sqs", "lambda", "s3"))
            python_function(self, t, "thumbnailer", THUMBNAILER)
            s3.create_bucket(Bucket="pipeline-in")
            s3.create_bucket(Bucket="pipeline-out")
            url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
            arn = "arn:aws:sqs:us-east-1:000000000000:uploads"
            # A queue that does not exist cannot be a target: S3 cannot validate it.
            with self.assertRaises(s3.exceptions.ClientError) as e:
                s3.put_bucket_notification_configuration(
                    Bucket="pipeline-in", NotificationConfiguration={"QueueConfigurations": [
                        {"QueueArn": arn + "-missing", "Events": ["s3:ObjectCreated:*"]}]})
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidArgument")
            s3.put_bucket_notification_configuration(
                Bucket="pipeline-in", NotificationConfiguration={"QueueConfigurations": [
                    {"Id": "to-queue", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
            got = s3.get_bucket_notification_configuration(Bucket="pipeline-in")
            self.assertEqual(got["QueueConfigurations"][0]["QueueArn"], arn)
            # Putting the configuration sent the queue S3's test event.
            test = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
            event = json.loads(test["Body"])
            self.assertEqual((event["Service"], event["Event"], event["Bucket"]),
                             ("Amazon S3", "s3:TestEvent", "pipeline-in"))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=test["ReceiptHandle"])
            # An upload: the record is the message, exactly as S3 writes it.
            s3.put_object(Bucket="pipeline-in", Key="in/a b.txt", Body=b"hello")
            s3.put_object(Bucket="pipeline-in", Key="elsewhere.txt", Body=b"filtered out")
            message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                          MessageSystemAttributeNames=["All"])["Messages"][0]
            record = json.loads(message["Body"])["Records"][0]
            self.assertEqual(record["eventSource"], "aws:s3")
            self.assertEqual(record["eventName"], "ObjectCreated:Put")
            self.assertEqual(record["s3"]["configurationId"], "to-queue")
            self.assertEqual(record["s3"]["object"]["key"], "in/a+b.txt")
            self.assertIn("AWSTraceHeader", message["Attributes"])  # the PutObject's trace
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
            # The queue feeds a function, which writes back to S3 through boto3.
            lam.create_event_source_mapping(FunctionName="thumbnailer", EventSourceArn=arn,
                                            BatchSize=10)
            wait_for(lambda: "Contents" in s3.list_objects_v2(Bucket="pipeline-out"),
                     timeout=60, what="the function's object")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="pipeline-out")["Contents"]]
            self.assertEqual(keys, ["in/a b.txt.upper"])
            self.assertEqual(s3.get_object(Bucket="pipeline-out", Key="in/a b.txt.upper")[
                "Body"].read(), b"HELLO")
            s3.put_object(Bucket="pipeline-in", Key="in/second.txt", Body=b"again")
            wait_for(lambda: len(s3.list_objects_v2(Bucket="pipeline-out")["Contents"]) == 2,
                     timeout=60, what="the second upload processed")

    def test_async_invoke_destinations_to_queues(self):
        with Tarmac(env={"TARMAC_ASYNC_RETRY_DELAYS_MS": "50,50"}) as t:
            sqs, lam = (boto3_client(t, s, read_timeout=60) for s in ("sqs", "lambda"))
            python_function(self, t, "picky", FAILS_ON_BAD)
            ok_url = sqs.create_queue(QueueName="on-success")["QueueUrl"]
            bad_url = sqs.create_queue(QueueName="on-failure")["QueueUrl"]
            lam.put_function_event_invoke_config(
                FunctionName="picky", MaximumRetryAttempts=1, DestinationConfig={
                    "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:on-success"},
                    "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:on-failure"}})
            lam.invoke(FunctionName="picky", InvocationType="Event", Payload=json.dumps({"n": 1}))
            lam.invoke(FunctionName="picky", InvocationType="Event",
                       Payload=json.dumps({"n": 2, "bad": True}))
            ok = sqs.receive_message(QueueUrl=ok_url, WaitTimeSeconds=20)["Messages"][0]
            record = json.loads(ok["Body"])
            self.assertEqual(record["requestContext"]["condition"], "Success")
            self.assertEqual(record["requestPayload"], {"n": 1})
            self.assertEqual(record["responsePayload"], {"ok": 1})
            self.assertTrue(record["requestContext"]["functionArn"].endswith(
                ":function:picky:$LATEST"))
            bad = sqs.receive_message(QueueUrl=bad_url, WaitTimeSeconds=20)["Messages"][0]
            record = json.loads(bad["Body"])
            self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")
            self.assertEqual(record["requestContext"]["approximateInvokeCount"], 2)
            self.assertEqual(record["responseContext"]["functionError"], "Unhandled")
            self.assertEqual(record["responsePayload"]["errorMessage"], "refused 2")

            # The function's own dead-letter queue gets the event as it was sent, with what
            # went wrong in its attributes.
            dlq_url = sqs.create_queue(QueueName="picky-dlq")["QueueUrl"]
            dlq_arn = "arn:aws:sqs:us-east-1:000000000000:picky-dlq"
            lam.update_function_configuration(FunctionName="picky",
                                              DeadLetterConfig={"TargetArn": dlq_arn})
            self.assertEqual(lam.get_function_configuration(FunctionName="picky")[
                "DeadLetterConfig"], {"TargetArn": dlq_arn})
            with self.assertRaises(lam.exceptions.InvalidParameterValueException):
                lam.update_function_configuration(FunctionName="picky",
                                                  DeadLetterConfig={"TargetArn": "not-an-arn"})
            r = lam.invoke(FunctionName="picky", InvocationType="Event",
                           Payload=json.dumps({"n": 3, "bad": True}))
            dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=20,
                                       MessageAttributeNames=["All"])["Messages"][0]
            self.assertEqual(json.loads(dead["Body"]), {"n": 3, "bad": True})
            attributes = dead["MessageAttributes"]
            self.assertEqual(attributes["RequestID"]["StringValue"],
                             r["ResponseMetadata"]["RequestId"])
            self.assertEqual(attributes["ErrorCode"], {"DataType": "Number", "StringValue": "200"})
            self.assertEqual(attributes["ErrorMessage"]["StringValue"], "refused 3")
            lam.update_function_configuration(FunctionName="picky", DeadLetterConfig={})
            self.assertNotIn("DeadLetterConfig",
                             lam.get_function_configuration(FunctionName="picky"))


QUEUE_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Inbox:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: inbox
  Results:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: results
  Failed:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: failed
  Drop:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: drop
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt Inbox.Arn
  Producer:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: producer
      CodeUri: producer/
      Handler: index.handler
      Runtime: nodejs20.x
      Environment:
        Variables:
          QUEUE_URL: !Ref Results
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: worker
      CodeUri: worker/
      Handler: app.handler
      Runtime: python3.11
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt Failed.Arn
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnSuccess:
            Type: SQS
            Destination: !GetAtt Results.Arn
"""


class SqsTemplateTest(unittest.TestCase):
    def test_queue_configurations_and_sqs_destinations_in_a_template(self):
        project = tempfile.mkdtemp(prefix="tarmac-sqs-template-")
        self.addCleanup(shutil.rmtree, project, ignore_errors=True)
        with open(os.path.join(project, "template.yaml"), "w") as f:
            f.write(QUEUE_TEMPLATE)
        os.makedirs(os.path.join(project, "worker"))
        with open(os.path.join(project, "worker", "app.py"), "w") as f:
            f.write("def handler(event, context):\n    return {'done': event['n']}\n")
        # A Node.js function sends to the queue's Ref with the SDK the runtime provides: the
        # JavaScript SDK v3 sends to the QueueUrl's host, so Ref must name Tarmac's edge.
        os.makedirs(os.path.join(project, "producer"))
        with open(os.path.join(project, "producer", "index.js"), "w") as f:
            f.write("const { SQSClient, SendMessageCommand } = require('@aws-sdk/client-sqs');\n"
                    "const sqs = new SQSClient({});\n"
                    "exports.handler = async (event) => {\n"
                    "  const r = await sqs.send(new SendMessageCommand({\n"
                    "    QueueUrl: process.env.QUEUE_URL, MessageBody: JSON.stringify(event) }));\n"
                    "  return { url: process.env.QUEUE_URL, id: r.MessageId };\n"
                    "};\n")
        check = run_tarmac("check", project)
        self.assertIn("everything runs as on AWS", check.stdout + check.stderr)
        state = os.path.join(project, ".state")
        with Tarmac(project=project, state=state) as t:
            wait_for(lambda: any("everything emulated" in line for line in t.stderr_lines),
                     timeout=10, what="the template's report:\n" + "\n".join(t.stderr_lines))
            sqs, s3, lam = (boto3_client(t, s, read_timeout=60) for s in ("sqs", "s3", "lambda"))
            inbox = sqs.get_queue_url(QueueName="inbox")["QueueUrl"]
            test = json.loads(sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=5)[
                "Messages"][0]["Body"])
            self.assertEqual((test["Event"], test["Bucket"]), ("s3:TestEvent", "drop"))
            s3.put_object(Bucket="drop", Key="x.txt", Body=b"x")
            got = sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=5)["Messages"][0]
            self.assertEqual(json.loads(got["Body"])["Records"][0]["s3"]["object"]["key"],
                             "x.txt")
            lam.invoke(FunctionName="worker", InvocationType="Event",
                       Payload=json.dumps({"n": 7}))
            results = sqs.get_queue_url(QueueName="results")["QueueUrl"]
            record = json.loads(sqs.receive_message(QueueUrl=results, WaitTimeSeconds=20)[
                "Messages"][0]["Body"])
            self.assertEqual(record["responsePayload"], {"done": 7})
            if os.path.isdir(NODE_SDK):
                sent = json.loads(lam.invoke(FunctionName="producer", Payload=json.dumps(
                    {"from": "node"}))["Payload"].read())
                self.assertEqual(sent["url"], t.edge + "/000000000000/results")
                got = sqs.receive_message(QueueUrl=results, WaitTimeSeconds=5)["Messages"][0]
                self.assertEqual((got["MessageId"], json.loads(got["Body"])),
                                 (sent["id"], {"from": "node"}))
            self.assertEqual(lam.get_function_configuration(FunctionName="worker")[
                "DeadLetterConfig"]["TargetArn"], "arn:aws:sqs:us-east-1:000000000000:failed")
            lam.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{}")
            failed = sqs.get_queue_url(QueueName="failed")["QueueUrl"]
            dead = sqs.receive_message(QueueUrl=failed, WaitTimeSeconds=20)["Messages"][0]
            self.assertEqual(dead["Body"], "{}")  # KeyError 'n': retries spent, dead-lettered

            # The queues on the IDE port, through the resource catalog.
            from test_serve import ws_connect, ws_recv, ws_send_text
            token = open(os.path.join(state, "ide-token")).read().strip()
            s, _ = ws_connect(t.ide, token=token)
            self.addCleanup(s.close)

            def call(method, **params):
                ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                            "params": params}))
                return json.loads(ws_recv(s)[1])
            sqs.send_message(QueueUrl=inbox, MessageBody="for the IDE")
            queues = call("resources.list", kind="queue")["result"]["resources"]
            by_name = {q["name"]: q for q in queues}
            self.assertEqual(sorted(by_name), ["failed", "inbox", "results"])
            self.assertEqual(by_name["inbox"]["logicalId"], "Inbox")
            self.assertEqual(by_name["inbox"]["arn"], "arn:aws:sqs:us-east-1:000000000000:inbox")
            # The test event and the record received above are in flight.
            self.assertEqual(by_name["inbox"]["counts"], {"visible": 1, "inFlight": 2,
                                                          "delayed": 0})
            self.assertEqual(by_name["inbox"]["actions"], ["browse", "purge"])
            items = call("resources.items", kind="queue", name="Inbox")["result"]
            self.assertEqual([i["detail"] for i in items["items"]],
                             ["in flight · received 1 time(s)"] * 2 + [""])
            self.assertEqual(items["items"][2]["size"], len("for the IDE"))
            self.assertEqual(call("resources.action", kind="queue", name="Inbox",
                                  action="purge")["result"]["result"],
                             "purged 3 message(s) from inbox")
            self.assertEqual(call("resources.get", kind="queue", name="inbox")["result"][
                "counts"]["visible"], 0)
            self.assertEqual(call("resources.get", kind="queue", name=7)["error"]["code"], -32602)
            missing = call("resources.get", kind="queue", name="nope")["error"]
            self.assertEqual((missing["code"], missing["data"]["type"]),
                             (-32000, "ResourceNotFoundException"))
            self.assertEqual(call("resources.action", kind="queue", name="inbox",
                                  action="explode")["error"]["data"]["type"], "InvalidAction")
        # A restart applies the same template: no second test event.
        with Tarmac(project=project, state=state) as t2:
            sqs = boto3_client(t2, "sqs")
            inbox = sqs.get_queue_url(QueueName="inbox")["QueueUrl"]
            left = sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1, MaxNumberOfMessages=10)
            self.assertNotIn("Messages", left)


class SqsDurabilityTest(unittest.TestCase):
    def test_acknowledged_messages_survive_kill9(self):
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-sqs-kill9-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        t = Tarmac(state=state).start()
        sqs = boto3_client(t, "sqs")
        url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
        for i in range(50):
            sqs.send_message(QueueUrl=url, MessageBody="m%d" % i)
        in_flight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
        # Deletes acknowledged just before the kill, within the write-behind's 500 ms: the
        # deletes journal has them, and they stay deleted.
        deleted = in_flight[1:3]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": deleted[0]["ReceiptHandle"]}])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=deleted[1]["ReceiptHandle"])
        t.kill9()
        t = Tarmac(state=state).start()
        try:
            sqs = boto3_client(t, "sqs")
            url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
            # A receipt handle given before the kill still deletes its message, whether the
            # receive was written before it or lost with it.
            sqs.delete_message(QueueUrl=url, ReceiptHandle=in_flight[0]["ReceiptHandle"])
            bodies = set()
            deadline = time.monotonic() + 20
            while len(bodies) < 47 and time.monotonic() < deadline:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                for m in got.get("Messages", []):
                    bodies.add(m["Body"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            # The other messages in flight came back (after their 2 s timeout at the latest).
            gone = {m["Body"] for m in in_flight[:3]}
            self.assertEqual(bodies, {"m%d" % i for i in range(50)} - gone)
            self.assertTrue({m["Body"] for m in in_flight[3:]} <= bodies)
            time.sleep(2.5)
            self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        finally:
            t.stop()


if __name__ == "__main__":
    unittest.main()
