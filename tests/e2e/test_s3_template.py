"""An S3 bucket's settings from a template, as CloudFormation's AWS::S3::Bucket properties
write them (BucketEncryption, PublicAccessBlockConfiguration, OwnershipControls,
AccessControl, LifecycleConfiguration, ObjectLockEnabled and ObjectLockConfiguration, and the
kept WebsiteConfiguration, LoggingConfiguration and AccelerateConfiguration): read
back with boto3 as the API's Get… calls answer them, applied to new objects, and checked by
`tarmac check` with the messages the API's own Put… calls give. Written from CloudFormation's
AWS::S3::Bucket reference."""
import os
import tempfile
import unittest

import botocore.exceptions

from harness import Tarmac, boto3_client, code_of, run_tarmac
from lambda_support import wait_for

TEMPLATE = """\
Resources:
  Secure:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-secure
      VersioningConfiguration: {Status: Enabled}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: alias/app}
            BucketKeyEnabled: true
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        IgnorePublicAcls: true
        BlockPublicPolicy: true
        RestrictPublicBuckets: false
      OwnershipControls:
        Rules: [{ObjectOwnership: BucketOwnerEnforced}]
      ObjectLockEnabled: true
      ObjectLockConfiguration:
        ObjectLockEnabled: Enabled
        Rule: {DefaultRetention: {Mode: GOVERNANCE, Days: 1}}
      LifecycleConfiguration:
        Rules:
          - Id: logs
            Status: Enabled
            Prefix: logs/
            ExpirationInDays: 30
            Transitions: [{StorageClass: GLACIER, TransitionInDays: 10}]
            NoncurrentVersionExpiration: {NoncurrentDays: 7}
            AbortIncompleteMultipartUpload: {DaysAfterInitiation: 2}
          - Id: tagged
            Status: Disabled
            Prefix: tmp/
            TagFilters: [{Key: kind, Value: scratch}]
            ExpirationInDays: 1
  Public:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-public
      AccessControl: PublicRead
      OwnershipControls:
        Rules: [{ObjectOwnership: ObjectWriter}]
  Site:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-site
      WebsiteConfiguration:
        IndexDocument: index.html
        ErrorDocument: error.html
        RoutingRules:
          - RoutingRuleCondition: {KeyPrefixEquals: docs/}
            RedirectRule: {ReplaceKeyPrefixWith: documents/, HttpRedirectCode: "301"}
      LoggingConfiguration:
        DestinationBucketName: !Ref Public
        LogFilePrefix: site/
      AccelerateConfiguration: {AccelerationStatus: Enabled}
  SelfLogged:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-self-logged
      LoggingConfiguration: {LogFilePrefix: own/}
"""


class S3TemplateSettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.tmp.name, "template.yaml"), "w") as f:
            f.write(TEMPLATE)
        cls.t = Tarmac(project=cls.tmp.name).start()
        cls.s3 = boto3_client(cls.t, "s3")

    @classmethod
    def tearDownClass(cls):
        cls.t.stop()
        cls.tmp.cleanup()

    def test_settings_read_back_as_the_api_answers_them(self):
        enc = self.s3.get_bucket_encryption(Bucket="tpl-secure")[
            "ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(enc["ApplyServerSideEncryptionByDefault"],
                         {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"})
        self.assertTrue(enc["BucketKeyEnabled"])
        self.assertEqual(self.s3.get_public_access_block(Bucket="tpl-secure")[
            "PublicAccessBlockConfiguration"],
            {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": False})
        self.assertEqual(self.s3.get_bucket_ownership_controls(Bucket="tpl-secure")[
            "OwnershipControls"]["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}])
        lock = self.s3.get_object_lock_configuration(Bucket="tpl-secure")[
            "ObjectLockConfiguration"]
        self.assertEqual(lock, {"ObjectLockEnabled": "Enabled",
                                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket="tpl-secure")["Status"], "Enabled")
        rules = {r["ID"]: r for r in self.s3.get_bucket_lifecycle_configuration(
            Bucket="tpl-secure")["Rules"]}
        self.assertEqual(rules["logs"]["Filter"], {"Prefix": "logs/"})
        self.assertEqual(rules["logs"]["Expiration"], {"Days": 30})
        self.assertEqual(rules["logs"]["Transitions"], [{"Days": 10, "StorageClass": "GLACIER"}])
        self.assertEqual(rules["logs"]["NoncurrentVersionExpiration"], {"NoncurrentDays": 7})
        self.assertEqual(rules["tagged"]["Status"], "Disabled")
        self.assertEqual(rules["tagged"]["Filter"], {"And": {
            "Prefix": "tmp/", "Tags": [{"Key": "kind", "Value": "scratch"}]}})
        self.assertEqual(rules["logs"]["AbortIncompleteMultipartUpload"],
                         {"DaysAfterInitiation": 2})
        # The canned ACL: the owner's full control and everyone's read.
        grants = self.s3.get_bucket_acl(Bucket="tpl-public")["Grants"]
        self.assertIn({"Grantee": {"Type": "Group",
                                   "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                       "Permission": "READ"}, grants)
        self.assertEqual(self.s3.get_bucket_ownership_controls(Bucket="tpl-public")[
            "OwnershipControls"]["Rules"], [{"ObjectOwnership": "ObjectWriter"}])

    def test_kept_configurations_read_back(self):
        site = self.s3.get_bucket_website(Bucket="tpl-site")
        self.assertEqual(site["IndexDocument"], {"Suffix": "index.html"})
        self.assertEqual(site["ErrorDocument"], {"Key": "error.html"})
        self.assertEqual(site["RoutingRules"], [{
            "Condition": {"KeyPrefixEquals": "docs/"},
            "Redirect": {"HttpRedirectCode": "301", "ReplaceKeyPrefixWith": "documents/"}}])
        self.assertEqual(self.s3.get_bucket_logging(Bucket="tpl-site")["LoggingEnabled"],
                         {"TargetBucket": "tpl-public", "TargetPrefix": "site/"})
        # Without DestinationBucketName a bucket logs to itself.
        self.assertEqual(self.s3.get_bucket_logging(Bucket="tpl-self-logged")["LoggingEnabled"],
                         {"TargetBucket": "tpl-self-logged", "TargetPrefix": "own/"})
        self.assertEqual(self.s3.get_bucket_accelerate_configuration(Bucket="tpl-site")["Status"],
                         "Enabled")

    def test_new_objects_get_the_buckets_settings(self):
        put = self.s3.put_object(Bucket="tpl-secure", Key="logs/a.txt", Body=b"hello")
        self.assertEqual(put["ServerSideEncryption"], "aws:kms")
        self.assertTrue(put["BucketKeyEnabled"])
        head = self.s3.head_object(Bucket="tpl-secure", Key="logs/a.txt")
        self.assertEqual(head["SSEKMSKeyId"].split(":")[-1], "alias/app")
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")  # the default retention
        self.assertIn('rule-id="logs"', head["Expiration"])
        # A locked version is not deleted without the governance bypass.
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.delete_object(Bucket="tpl-secure", Key="logs/a.txt",
                                  VersionId=put["VersionId"])
        self.assertEqual(code_of(ctx), "AccessDenied")

    def test_check_refuses_what_the_api_refuses(self):
        bad = {
            "BucketEncryption": ("{ServerSideEncryptionConfiguration: "
                                 "[{ServerSideEncryptionByDefault: {SSEAlgorithm: rot13}}]}"),
            "OwnershipControls": "{Rules: [{ObjectOwnership: Everyone}]}",
            "LifecycleConfiguration": "{Rules: [{Id: x, Status: Enabled, ExpirationInDays: 0}]}",
            "AccessControl": "Whatever",
            # S3 refuses an abort rule with a tag filter.
            "LifecycleConfiguration ": ("{Rules: [{Status: Enabled, TagFilters: [{Key: a, Value: b}],"
                                        " AbortIncompleteMultipartUpload: {DaysAfterInitiation: 1}}]}"),
            "ObjectLockConfiguration": ("{ObjectLockEnabled: Enabled, Rule: {DefaultRetention: "
                                        "{Mode: GOVERNANCE}}}"),
            "WebsiteConfiguration": "{IndexDocument: pages/index.html}",
            "AccelerateConfiguration": "{AccelerationStatus: Fast}",
        }
        for prop, value in bad.items():
            with self.subTest(prop), tempfile.TemporaryDirectory() as project:
                with open(os.path.join(project, "template.yaml"), "w") as f:
                    f.write("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                            "      ObjectLockEnabled: true\n      %s: %s\n" % (prop.strip(), value))
                r = run_tarmac("check", project)
                self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn(prop.strip(), r.stdout + r.stderr)


RELOAD_V1 = """\
Resources:
  Store:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-reload
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: alias/app}
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, IgnorePublicAcls: true}
"""

RELOAD_V2 = """\
Resources:
  Store:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: tpl-reload
      PublicAccessBlockConfiguration: {BlockPublicPolicy: true}
"""


class S3TemplateReloadTest(unittest.TestCase):
    def write(self, path, text):
        # As editors do: a new file renamed over the old one.
        with open(path + ".swp", "w") as f:
            f.write(text)
        os.replace(path + ".swp", path)

    def test_a_setting_the_template_stops_naming_is_removed(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        template = os.path.join(tmp.name, "template.yaml")
        self.write(template, RELOAD_V1)
        with Tarmac(project=tmp.name) as t:
            s3 = boto3_client(t, "s3")
            rule = s3.get_bucket_encryption(Bucket="tpl-reload")[
                "ServerSideEncryptionConfiguration"]["Rules"][0]
            self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms")
            # A setting only the API made: the template never names it.
            s3.put_bucket_lifecycle_configuration(Bucket="tpl-reload", LifecycleConfiguration={
                "Rules": [{"ID": "api", "Status": "Enabled", "Filter": {"Prefix": "x/"},
                           "Expiration": {"Days": 3}}]})

            self.write(template, RELOAD_V2)

            def reloaded():
                block = s3.get_public_access_block(Bucket="tpl-reload")[
                    "PublicAccessBlockConfiguration"]
                return block.get("BlockPublicPolicy") and block
            block = wait_for(reloaded, timeout=20, what="the reloaded template's settings")
            # Changed as the template now says, not merged with what it said before.
            self.assertFalse(block.get("BlockPublicAcls"), block)
            # Encryption the template stopped naming is gone: no KMS default any more.
            try:
                rules = s3.get_bucket_encryption(Bucket="tpl-reload")[
                    "ServerSideEncryptionConfiguration"]["Rules"]
                algorithms = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules]
                self.assertNotIn("aws:kms", algorithms)
            except botocore.exceptions.ClientError as e:
                self.assertEqual(e.response["Error"]["Code"],
                                 "ServerSideEncryptionConfigurationNotFoundError")
            # The API's own setting stays.
            rules = s3.get_bucket_lifecycle_configuration(Bucket="tpl-reload")["Rules"]
            self.assertEqual([r["ID"] for r in rules], ["api"])


if __name__ == "__main__":
    unittest.main()
