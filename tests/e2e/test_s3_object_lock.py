"""S3 object lock with boto3, the aws CLI and the JavaScript SDK v3, written from AWS's user
guide ("Locking objects with Object Lock") and the API reference (PutObjectLockConfiguration,
PutObjectRetention, PutObjectLegalHold, DeleteObject's x-amz-bypass-governance-retention)."""
import datetime
import unittest

import botocore.exceptions

from harness import Tarmac, aws_cli, boto3_client, code_of, run_node_script, status_of




def later(days=1):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


class S3ObjectLockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def locked_bucket(self, name):
        self.s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        return name

    def test_bucket_configuration(self):
        b = self.locked_bucket("lock-cfg")
        # Object lock keeps versioning on, for good.
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_bucket_versioning(Bucket=b,
                                          VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual((code_of(ctx), status_of(ctx)), ("InvalidBucketState", 409))
        cfg = self.s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
        self.assertEqual(cfg["ObjectLockEnabled"], "Enabled")
        self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        cfg = self.s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
        self.assertEqual(cfg["Rule"]["DefaultRetention"], {"Mode": "GOVERNANCE", "Days": 1})
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}})
        self.assertEqual(code_of(ctx), "MalformedXML")
        # Default retention applies to new versions.
        v = self.s3.put_object(Bucket=b, Key="k", Body=b"x")["VersionId"]
        head = self.s3.head_object(Bucket=b, Key="k")
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")
        self.assertGreater(head["ObjectLockRetainUntilDate"], later(0.9))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.delete_object(Bucket=b, Key="k", VersionId=v)
        self.assertEqual((code_of(ctx), status_of(ctx)), ("AccessDenied", 403))
        self.s3.delete_object(Bucket=b, Key="k", VersionId=v, BypassGovernanceRetention=True)

    def test_plain_bucket_refuses_lock(self):
        self.s3.create_bucket(Bucket="lock-none")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object_lock_configuration(Bucket="lock-none")
        self.assertEqual(code_of(ctx), "ObjectLockConfigurationNotFoundError")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object_lock_configuration(Bucket="lock-none", ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled"})
        self.assertEqual((code_of(ctx), status_of(ctx)), ("InvalidBucketState", 409))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object(Bucket="lock-none", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                               ObjectLockRetainUntilDate=later())
        self.assertEqual(status_of(ctx), 400)
        # A versioned bucket may turn object lock on later.
        self.s3.put_bucket_versioning(Bucket="lock-none",
                                      VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object_lock_configuration(Bucket="lock-none", ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled"})
        self.assertEqual(self.s3.get_object_lock_configuration(Bucket="lock-none")
                         ["ObjectLockConfiguration"]["ObjectLockEnabled"], "Enabled")

    def test_retention_modes(self):
        b = self.locked_bucket("lock-ret")
        v = self.s3.put_object(Bucket=b, Key="gov", Body=b"x", ObjectLockMode="GOVERNANCE",
                               ObjectLockRetainUntilDate=later(2))["VersionId"]
        got = self.s3.get_object_retention(Bucket=b, Key="gov")["Retention"]
        self.assertEqual(got["Mode"], "GOVERNANCE")
        # Shortening governance needs the bypass; extending does not.
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object_retention(Bucket=b, Key="gov", Retention={
                "Mode": "GOVERNANCE", "RetainUntilDate": later(1)})
        self.assertEqual(status_of(ctx), 403)
        self.s3.put_object_retention(Bucket=b, Key="gov", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": later(3)})
        self.s3.put_object_retention(Bucket=b, Key="gov", BypassGovernanceRetention=True,
                                     Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(1)})
        # A delete without a version id only adds a delete marker: allowed.
        self.assertTrue(self.s3.delete_object(Bucket=b, Key="gov")["DeleteMarker"])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.delete_object(Bucket=b, Key="gov", VersionId=v)
        self.assertEqual(status_of(ctx), 403)

        c = self.s3.put_object(Bucket=b, Key="comp", Body=b"x", ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=later(2))["VersionId"]
        for kw in ({}, {"BypassGovernanceRetention": True}):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                self.s3.delete_object(Bucket=b, Key="comp", VersionId=c, **kw)
            self.assertEqual(status_of(ctx), 403)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object_retention(Bucket=b, Key="comp", BypassGovernanceRetention=True,
                                         Retention={"Mode": "GOVERNANCE",
                                                    "RetainUntilDate": later(2)})
        self.assertEqual(status_of(ctx), 403)
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "comp", "VersionId": c}]})
        self.assertEqual(r["Errors"][0]["Code"], "AccessDenied")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object(Bucket=b, Key="past", Body=b"x", ObjectLockMode="GOVERNANCE",
                               ObjectLockRetainUntilDate=later(-1))
        self.assertEqual(status_of(ctx), 400)

    def test_legal_hold(self):
        b = self.locked_bucket("lock-hold")
        v = self.s3.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")[
            "VersionId"]
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"]["Status"],
                         "ON")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.delete_object(Bucket=b, Key="k", VersionId=v, BypassGovernanceRetention=True)
        self.assertEqual(status_of(ctx), 403)
        self.s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "OFF"})
        self.s3.delete_object(Bucket=b, Key="k", VersionId=v)
        self.s3.put_object(Bucket=b, Key="none", Body=b"x")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object_retention(Bucket=b, Key="none")
        self.assertEqual(status_of(ctx), 404)

    def test_cli(self):
        aws = aws_cli(self, self.tarmac)

        aws("s3api", "create-bucket", "--bucket", "lock-cli", "--object-lock-enabled-for-bucket")
        aws("s3api", "put-object-lock-configuration", "--bucket", "lock-cli",
            "--object-lock-configuration",
            '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":'
            '{"Mode":"COMPLIANCE","Days":1}}}')
        put = aws("s3api", "put-object", "--bucket", "lock-cli", "--key", "k")
        r = aws("s3api", "delete-object", "--bucket", "lock-cli", "--key", "k", "--version-id",
                put["VersionId"], ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AccessDenied", r.stderr)

    def test_javascript_sdk(self):
        run_node_script(self, self.tarmac, "s3-object-lock.js", "ok object lock")


if __name__ == "__main__":
    unittest.main()
