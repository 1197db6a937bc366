"""S3 access control with boto3, the aws CLI and the JavaScript SDK v3, with two accounts'
credentials under --verify-signatures: ACLs (canned, grant headers, bodies), bucket policies
and their status, the public access block and ownership controls, written from AWS's user guide
("Access control list (ACL) overview", "Bucket policy examples", "Blocking public access",
"Controlling ownership of objects") and the API reference."""
import hashlib
import json
import os
import tempfile
import unittest
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

from harness import Tarmac, aws_cli, boto3_client, code_of, run_node_script, status_of

MAIN, ALT = "111111111111", "222222222222"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def canonical(account):
    return hashlib.sha256(account.encode()).hexdigest()


def client(tarmac, key, secret):
    return boto3.client("s3", endpoint_url=tarmac.edge, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"total_max_attempts": 1}))


class S3AccessControlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        creds = os.path.join(cls.tmp.name, "credentials")
        with open(creds, "w") as f:
            f.write("[main]\naws_access_key_id = MAINKEY\naws_secret_access_key = mainsecret\n"
                    "aws_account_id = %s\n\n[alt]\naws_access_key_id = ALTKEY\n"
                    "aws_secret_access_key = altsecret\naws_account_id = %s\n" % (MAIN, ALT))
        cls.tarmac = Tarmac("--verify-signatures", "--credentials", creds).start()
        cls.main = client(cls.tarmac, "MAINKEY", "mainsecret")
        cls.alt = client(cls.tarmac, "ALTKEY", "altsecret")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()
        cls.tmp.cleanup()

    def anonymous_get(self, bucket, key):
        try:
            with urllib.request.urlopen("%s/%s/%s" % (self.tarmac.edge, bucket, key)) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def open_bucket(self, name):
        """A bucket whose ACLs work and whose public access is not blocked."""
        self.main.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
        self.main.delete_public_access_block(Bucket=name)
        return name

    def test_new_bucket_defaults(self):
        self.main.create_bucket(Bucket="acc-defaults")
        own = self.main.get_bucket_ownership_controls(Bucket="acc-defaults")
        self.assertEqual(own["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
                         "BucketOwnerEnforced")
        pab = self.main.get_public_access_block(Bucket="acc-defaults")[
            "PublicAccessBlockConfiguration"]
        self.assertTrue(all(pab.values()))
        acl = self.main.get_bucket_acl(Bucket="acc-defaults")
        self.assertEqual(acl["Owner"]["ID"], canonical(MAIN))
        self.assertEqual([(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]],
                         [(canonical(MAIN), "FULL_CONTROL")])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.put_bucket_acl(Bucket="acc-defaults", ACL="public-read")
        self.assertEqual(status_of(ctx), 400)
        self.assertEqual(code_of(ctx), "AccessControlListNotSupported")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.create_bucket(Bucket="acc-enforced-acl", ACL="public-read")
        self.assertEqual(code_of(ctx), "InvalidBucketAclWithObjectOwnership")

    def test_canned_and_granted_acls(self):
        b = self.open_bucket("acc-acls")
        self.main.put_bucket_acl(Bucket=b, ACL="public-read")
        grants = self.main.get_bucket_acl(Bucket=b)["Grants"]
        self.assertIn(("Group", ALL_USERS, "READ"),
                      [(g["Grantee"]["Type"], g["Grantee"].get("URI"), g["Permission"])
                       for g in grants])
        self.main.put_object(Bucket=b, Key="public", Body=b"for all", ACL="public-read")
        self.main.put_object(Bucket=b, Key="private", Body=b"mine")
        self.assertEqual(self.anonymous_get(b, "public"), (200, b"for all"))
        self.assertEqual(self.anonymous_get(b, "private")[0], 403)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.alt.get_object(Bucket=b, Key="private")
        self.assertEqual(code_of(ctx), "AccessDenied")
        self.main.put_object_acl(Bucket=b, Key="private",
                                 GrantRead='id="%s"' % canonical(ALT))
        self.assertEqual(self.alt.get_object(Bucket=b, Key="private")["Body"].read(), b"mine")
        acl = self.main.get_object_acl(Bucket=b, Key="private")
        self.assertEqual([(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]],
                         [(canonical(ALT), "READ")])
        # An ACL body, as GetObjectAcl returned it, put back.
        body = {"Owner": acl["Owner"], "Grants": acl["Grants"] + [
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}
        self.main.put_object_acl(Bucket=b, Key="private", AccessControlPolicy=body)
        self.assertEqual(self.anonymous_get(b, "private"), (200, b"mine"))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.put_object_acl(Bucket=b, Key="private", ACL="public-read",
                                     GrantRead='id="%s"' % canonical(ALT))
        self.assertEqual(status_of(ctx), 400)
        # The alt account writes into a bucket that grants it WRITE: it owns what it writes.
        self.main.put_bucket_acl(Bucket=b, GrantWrite='id="%s"' % canonical(ALT),
                                 GrantFullControl='id="%s"' % canonical(MAIN))
        self.alt.put_object(Bucket=b, Key="alt-wrote", Body=b"x")
        self.assertEqual(self.alt.get_object_acl(Bucket=b, Key="alt-wrote")["Owner"]["ID"],
                         canonical(ALT))

    def test_bucket_policy(self):
        b = self.open_bucket("acc-policy")
        self.main.put_object(Bucket=b, Key="docs/a", Body=b"a")
        self.main.put_object(Bucket=b, Key="secret/b", Body=b"b")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.get_bucket_policy(Bucket=b)
        self.assertEqual(code_of(ctx), "NoSuchBucketPolicy")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.put_bucket_policy(Bucket=b, Policy="not json")
        self.assertEqual(code_of(ctx), "MalformedPolicy")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ALT},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/docs/*" % b},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::%s/docs/*" % b,
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": "arn:aws:s3:::%s/secret/*" % b,
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": MAIN}}}]}
        self.main.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
        self.assertEqual(json.loads(self.main.get_bucket_policy(Bucket=b)["Policy"]), policy)
        self.assertFalse(self.main.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        self.assertEqual(self.alt.get_object(Bucket=b, Key="docs/a")["Body"].read(), b"a")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.alt.get_object(Bucket=b, Key="secret/b")
        self.assertEqual(code_of(ctx), "AccessDenied")
        self.assertEqual(self.anonymous_get(b, "docs/a"), (200, b"a"))
        self.assertEqual(self.main.get_object(Bucket=b, Key="secret/b")["Body"].read(), b"b")
        # A public policy is refused while the public access block blocks it.
        self.main.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False})
        public = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::%s/*" % b}]}
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.put_bucket_policy(Bucket=b, Policy=json.dumps(public))
        self.assertEqual(code_of(ctx), "AccessDenied")
        self.main.delete_public_access_block(Bucket=b)
        self.main.put_bucket_policy(Bucket=b, Policy=json.dumps(public))
        self.assertTrue(self.main.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"])
        self.main.delete_bucket_policy(Bucket=b)
        self.assertEqual(self.anonymous_get(b, "docs/a")[0], 403)

    def test_ownership_controls(self):
        b = self.open_bucket("acc-owner")
        self.main.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
        self.assertEqual(self.main.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]
                         ["Rules"][0]["ObjectOwnership"], "BucketOwnerPreferred")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
                "Rules": [{"ObjectOwnership": "Nobody"}]})
        self.assertEqual(status_of(ctx), 400)
        self.main.delete_bucket_ownership_controls(Bucket=b)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.main.get_bucket_ownership_controls(Bucket=b)
        self.assertEqual(code_of(ctx), "OwnershipControlsNotFoundError")

    def test_without_verification_everything_is_allowed(self):
        with Tarmac() as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="open", ObjectOwnership="ObjectWriter")
            s3.delete_public_access_block(Bucket="open")
            s3.put_object(Bucket="open", Key="k", Body=b"x", ACL="public-read")
            grants = s3.get_object_acl(Bucket="open", Key="k")["Grants"]
            self.assertIn(ALL_USERS, [g["Grantee"].get("URI") for g in grants])

    def test_cli(self):
        aws = aws_cli(self, self.tarmac, "MAINKEY", "mainsecret")

        aws("s3api", "create-bucket", "--bucket", "acc-cli", "--object-ownership",
            "BucketOwnerPreferred")
        aws("s3api", "put-public-access-block", "--bucket", "acc-cli",
            "--public-access-block-configuration", "BlockPublicAcls=true,IgnorePublicAcls=true,"
            "BlockPublicPolicy=false,RestrictPublicBuckets=false")
        pab = aws("s3api", "get-public-access-block", "--bucket", "acc-cli")
        self.assertFalse(pab["PublicAccessBlockConfiguration"]["BlockPublicPolicy"])
        aws("s3api", "put-bucket-policy", "--bucket", "acc-cli", "--policy", json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": ALT}, "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::acc-cli"}]}))
        self.assertFalse(aws("s3api", "get-bucket-policy-status", "--bucket", "acc-cli")
                         ["PolicyStatus"]["IsPublic"])
        self.assertEqual(self.alt.list_objects_v2(Bucket="acc-cli")["KeyCount"], 0)

    def test_javascript_sdk(self):
        with Tarmac() as t:
            run_node_script(self, t, "s3-access.js", "ok access")


if __name__ == "__main__":
    unittest.main()
