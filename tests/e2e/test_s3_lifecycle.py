"""S3 lifecycle with boto3, the aws CLI and the JavaScript SDK v3: configurations validated and
stored, and rules run on Tarmac's clock (frozen, then advanced by days), with the notifications
S3 sends. Written from AWS's user guide ("Managing the lifecycle of objects", "Lifecycle
configuration elements", "Event notification types") and the API reference."""
import datetime
import json
import os
import tempfile
import unittest

import botocore.exceptions

from harness import Tarmac, aws_cli, boto3_client, code_of, run_node_script, status_of
from lambda_support import tarmac_json, wait_for

DAY = 86400


class S3LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")
        cls.sqs = boto3_client(cls.tarmac, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def clock(self, action=None, body=None):
        status, state = tarmac_json(self.tarmac, "/_tarmac/clock" + ("/" + action if action else ""),
                                    method="POST" if action else "GET", body=body, timeout=60)
        self.assertEqual(status, 200, state)
        return state

    def keys(self, bucket):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    def test_configuration_round_trip_and_errors(self):
        self.s3.create_bucket(Bucket="lc-cfg")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_bucket_lifecycle_configuration(Bucket="lc-cfg")
        self.assertEqual((code_of(ctx), status_of(ctx)), ("NoSuchLifecycleConfiguration", 404))
        rules = [{"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                  "Expiration": {"Days": 30},
                  "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
                  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]
        self.s3.put_bucket_lifecycle_configuration(Bucket="lc-cfg",
                                                   LifecycleConfiguration={"Rules": rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket="lc-cfg")["Rules"]
        self.assertEqual(got[0]["ID"], "logs")
        self.assertEqual(got[0]["Expiration"], {"Days": 30})
        self.assertEqual(got[0]["Transitions"][0]["StorageClass"], "GLACIER")
        for bad in ({"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}},
                    {"ID": "x", "Status": "Enabled", "Filter": {}}):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                self.s3.put_bucket_lifecycle_configuration(
                    Bucket="lc-cfg", LifecycleConfiguration={"Rules": [bad]})
            self.assertEqual(status_of(ctx), 400)
        self.s3.delete_bucket_lifecycle(Bucket="lc-cfg")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_bucket_lifecycle_configuration(Bucket="lc-cfg")
        self.assertEqual(code_of(ctx), "NoSuchLifecycleConfiguration")

    def test_rules_run_on_the_clock(self):
        b = "lc-run"
        self.s3.create_bucket(Bucket=b)
        queue = self.sqs.create_queue(QueueName="lc-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": [
                "s3:LifecycleExpiration:*", "s3:LifecycleTransition"]}]})
        self.clock("freeze")
        try:
            self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
                {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                 "Expiration": {"Days": 1}},
                {"ID": "tagged", "Status": "Enabled",
                 "Filter": {"Tag": {"Key": "archive", "Value": "yes"}},
                 "Transitions": [{"Days": 2, "StorageClass": "GLACIER"}]},
                {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
            self.s3.put_object(Bucket=b, Key="tmp/a", Body=b"a")
            self.s3.put_object(Bucket=b, Key="keep/b", Body=b"b")
            self.s3.put_object(Bucket=b, Key="keep/c", Body=b"c" * 200_000, Tagging="archive=yes")
            self.s3.create_multipart_upload(Bucket=b, Key="unfinished")
            head = self.s3.head_object(Bucket=b, Key="tmp/a")
            self.assertIn('rule-id="tmp"', head["Expiration"])
            # Days count to the midnight (UTC) after them: 3 days covers a 2-day rule.
            self.clock("advance", {"seconds": 3 * DAY + 60})
            wait_for(lambda: self.keys(b) == ["keep/b", "keep/c"], timeout=30,
                     what="tmp/a to expire")
            wait_for(lambda: self.s3.head_object(Bucket=b, Key="keep/c").get("StorageClass")
                     == "GLACIER", timeout=30, what="keep/c to move to GLACIER")
            self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=b))
            names = []
            for _ in range(20):
                for m in self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                                  WaitTimeSeconds=1).get("Messages", []):
                    for r in json.loads(m["Body"]).get("Records", []):
                        names.append((r["eventName"], r["s3"]["object"]["key"]))
                if len(names) >= 2:
                    break
            self.assertIn(("LifecycleExpiration:Delete", "tmp/a"), names)
            self.assertIn(("LifecycleTransition", "keep/c"), names)
        finally:
            self.clock("resume")

    def test_versioned_expiry(self):
        b = "lc-versions"
        self.s3.create_bucket(Bucket=b)
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.clock("freeze")
        try:
            self.s3.put_object(Bucket=b, Key="k", Body=b"1")
            self.s3.put_object(Bucket=b, Key="k", Body=b"2")
            self.s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
                {"ID": "all", "Status": "Enabled", "Filter": {},
                 "Expiration": {"Days": 1},
                 "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
            self.clock("advance", {"seconds": 2 * DAY + 60})
            # The current version gets a delete marker; the noncurrent one goes.
            wait_for(lambda: len(self.s3.list_object_versions(Bucket=b).get("Versions", [])) == 1
                     and "DeleteMarkers" in self.s3.list_object_versions(Bucket=b),
                     timeout=30, what="the versions to expire")
        finally:
            self.clock("resume")

    def test_cli(self):
        aws = aws_cli(self, self.tarmac)
        aws("s3api", "create-bucket", "--bucket", "lc-cli")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"Rules": [{"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "x/"},
                                  "Expiration": {"Date": "2030-01-01T00:00:00Z"}}]}, f)
        try:
            aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "lc-cli",
                "--lifecycle-configuration", "file://" + f.name)
        finally:
            os.unlink(f.name)
        rule = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "lc-cli")["Rules"][0]
        self.assertTrue(rule["Expiration"]["Date"].startswith("2030-01-01"))

    def test_javascript_sdk(self):
        run_node_script(self, self.tarmac, "s3-lifecycle.js", "ok lifecycle")


if __name__ == "__main__":
    unittest.main()
