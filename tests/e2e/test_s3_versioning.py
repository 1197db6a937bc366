"""S3 versioning with boto3, the aws CLI and the JavaScript SDK v3, written from AWS's S3 user
guide ("Using versioning in S3 buckets") and API reference (PutBucketVersioning,
ListObjectVersions, DeleteObject, GetObject, CopyObject)."""
import os
import tempfile
import unittest

import botocore.exceptions

from harness import Tarmac, aws_cli, boto3_client, code_of, run_node_script, status_of




class S3VersioningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def versioned(self, name, status="Enabled"):
        self.s3.create_bucket(Bucket=name)
        self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        return name

    def body(self, bucket, key, **kw):
        return self.s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()

    def test_configuration(self):
        self.s3.create_bucket(Bucket="vcfg")
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket="vcfg"))
        self.s3.put_bucket_versioning(Bucket="vcfg", VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket="vcfg")["Status"], "Enabled")
        self.s3.put_bucket_versioning(Bucket="vcfg",
                                      VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket="vcfg")["Status"], "Suspended")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_bucket_versioning(Bucket="vcfg",
                                          VersioningConfiguration={"Status": "Disabled"})
        self.assertEqual(code_of(ctx), "MalformedXML")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_bucket_versioning(Bucket="no-such-vbucket")
        self.assertEqual(code_of(ctx), "NoSuchBucket")

    def test_unversioned_bucket_lists_null_versions(self):
        # Generic cleanup code lists versions of every bucket: S3 answers with version "null".
        self.s3.create_bucket(Bucket="vplain")
        self.s3.put_object(Bucket="vplain", Key="a", Body=b"1")
        r = self.s3.put_object(Bucket="vplain", Key="b", Body=b"22")
        self.assertNotIn("VersionId", r)
        listed = self.s3.list_object_versions(Bucket="vplain")
        self.assertEqual([(v["Key"], v["VersionId"], v["IsLatest"], v["Size"])
                          for v in listed["Versions"]],
                         [("a", "null", True, 1), ("b", "null", True, 2)])
        self.assertNotIn("DeleteMarkers", listed)
        self.assertNotIn("VersionId", self.s3.head_object(Bucket="vplain", Key="a"))

    def test_versions_and_delete_markers(self):
        b = self.versioned("vmain")
        v1 = self.s3.put_object(Bucket=b, Key="doc", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="doc", Body=b"two")["VersionId"]
        self.assertNotEqual(v1, v2)
        self.assertEqual(self.body(b, "doc"), b"two")
        self.assertEqual(self.body(b, "doc", VersionId=v1), b"one")
        head = self.s3.head_object(Bucket=b, Key="doc")
        self.assertEqual(head["VersionId"], v2)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="doc", VersionId=v1)["ContentLength"], 3)

        deleted = self.s3.delete_object(Bucket=b, Key="doc")
        self.assertTrue(deleted["DeleteMarker"])
        marker = deleted["VersionId"]
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="doc")
        self.assertEqual(code_of(ctx), "NoSuchKey")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPHeaders"]
                         ["x-amz-delete-marker"], "true")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="doc", VersionId=marker)
        self.assertEqual(status_of(ctx), 405)
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 0)

        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]],
                         [(v2, False), (v1, False)])
        self.assertEqual([(m["Key"], m["VersionId"], m["IsLatest"])
                          for m in listed["DeleteMarkers"]], [("doc", marker, True)])

        # Removing the delete marker brings the newest version back.
        r = self.s3.delete_object(Bucket=b, Key="doc", VersionId=marker)
        self.assertTrue(r["DeleteMarker"])
        self.assertEqual(r["VersionId"], marker)
        self.assertEqual(self.body(b, "doc"), b"two")
        # Removing the current version for good makes the previous one current.
        self.s3.delete_object(Bucket=b, Key="doc", VersionId=v2)
        self.assertEqual(self.body(b, "doc"), b"one")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="doc")["VersionId"], v1)
        # A bucket with versions left is not empty.
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.delete_bucket(Bucket=b)
        self.assertEqual(code_of(ctx), "BucketNotEmpty")
        self.s3.delete_object(Bucket=b, Key="doc", VersionId=v1)
        self.assertNotIn("Versions", self.s3.list_object_versions(Bucket=b))
        self.s3.delete_bucket(Bucket=b)

    def test_version_errors(self):
        b = self.versioned("verr")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="k", VersionId="not-a-version")
        self.assertEqual(code_of(ctx), "InvalidArgument")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="k", VersionId="0" * 32)
        self.assertEqual(code_of(ctx), "NoSuchVersion")
        self.assertEqual(status_of(ctx), 404)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.list_object_versions(Bucket=b, VersionIdMarker="null")
        self.assertEqual(code_of(ctx), "InvalidArgument")

    def test_suspended_null_version(self):
        b = self.versioned("vsusp")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"enabled")["VersionId"]
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.s3.put_object(Bucket=b, Key="k", Body=b"null-1")
        self.s3.put_object(Bucket=b, Key="k", Body=b"null-2")  # replaces the null version
        versions = self.s3.list_object_versions(Bucket=b)["Versions"]
        self.assertEqual([(v["VersionId"], v["IsLatest"], v["Size"]) for v in versions],
                         [("null", True, 6), (v1, False, 7)])
        self.assertEqual(self.body(b, "k", VersionId="null"), b"null-2")
        # A delete while suspended puts a null delete marker in the null version's place.
        r = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(r["DeleteMarker"])
        self.assertEqual(r["VersionId"], "null")
        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([v["VersionId"] for v in listed["Versions"]], [v1])
        self.assertEqual([m["VersionId"] for m in listed["DeleteMarkers"]], ["null"])
        # Objects written before versioning was enabled are the null version.
        self.s3.create_bucket(Bucket="vlater")
        self.s3.put_object(Bucket="vlater", Key="k", Body=b"before")
        self.s3.put_bucket_versioning(Bucket="vlater",
                                      VersioningConfiguration={"Status": "Enabled"})
        v = self.s3.put_object(Bucket="vlater", Key="k", Body=b"after")["VersionId"]
        versions = self.s3.list_object_versions(Bucket="vlater")["Versions"]
        self.assertEqual([x["VersionId"] for x in versions], [v, "null"])
        self.assertEqual(self.body("vlater", "k", VersionId="null"), b"before")

    def test_list_pagination_and_delimiter(self):
        b = self.versioned("vpage")
        ids = {}
        for key in ["a", "b", "dir/x", "dir/y"]:
            ids[key] = [self.s3.put_object(Bucket=b, Key=key, Body=key.encode() * n)["VersionId"]
                        for n in (1, 2)]
        seen = []
        kw = {}
        while True:
            page = self.s3.list_object_versions(Bucket=b, MaxKeys=3, **kw)
            seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
            if not page["IsTruncated"]:
                break
            kw = {"KeyMarker": page["NextKeyMarker"],
                  "VersionIdMarker": page["NextVersionIdMarker"]}
        expected = [(k, v) for k in ["a", "b", "dir/x", "dir/y"] for v in reversed(ids[k])]
        self.assertEqual(seen, expected)
        rolled = self.s3.list_object_versions(Bucket=b, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in rolled["CommonPrefixes"]], ["dir/"])
        self.assertEqual(len(rolled["Versions"]), 4)
        only = self.s3.list_object_versions(Bucket=b, Prefix="dir/", KeyMarker="dir/x")
        self.assertEqual([v["Key"] for v in only["Versions"]], ["dir/y", "dir/y"])

    def test_copy_multipart_tagging_and_batch_delete(self):
        b = self.versioned("vcopy")
        v1 = self.s3.put_object(Bucket=b, Key="src", Body=b"first")["VersionId"]
        self.s3.put_object(Bucket=b, Key="src", Body=b"second")
        copied = self.s3.copy_object(Bucket=b, Key="dst",
                                     CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
        self.assertEqual(copied["CopySourceVersionId"], v1)
        self.assertIn("VersionId", copied)
        self.assertEqual(self.body(b, "dst"), b"first")

        up = self.s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
        etag = self.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1,
                                   Body=b"p" * 100)["ETag"]
        done = self.s3.complete_multipart_upload(
            Bucket=b, Key="mp", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertIn("VersionId", done)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="mp")["VersionId"], done["VersionId"])

        self.s3.put_object_tagging(Bucket=b, Key="src", VersionId=v1,
                                   Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src", VersionId=v1)["TagSet"],
                         [{"Key": "old", "Value": "yes"}])
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src")["TagSet"], [])

        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "src", "VersionId": v1}, {"Key": "dst"}]})
        by_key = {d["Key"]: d for d in r["Deleted"]}
        self.assertEqual(by_key["src"]["VersionId"], v1)
        self.assertTrue(by_key["dst"]["DeleteMarker"])
        self.assertIn("DeleteMarkerVersionId", by_key["dst"])
        self.assertEqual(self.body(b, "src"), b"second")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="src", VersionId=v1)
        self.assertEqual(code_of(ctx), "NoSuchVersion")

    def test_versions_survive_restart(self):
        t = Tarmac()
        t.start()
        try:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="vkeep")
            s3.put_bucket_versioning(Bucket="vkeep", VersioningConfiguration={"Status": "Enabled"})
            v1 = s3.put_object(Bucket="vkeep", Key="k", Body=b"1")["VersionId"]
            s3.put_object(Bucket="vkeep", Key="k", Body=b"2")
            t.kill9()
            t.start()
            s3 = boto3_client(t, "s3")
            self.assertEqual(s3.get_bucket_versioning(Bucket="vkeep")["Status"], "Enabled")
            self.assertEqual(s3.get_object(Bucket="vkeep", Key="k", VersionId=v1)["Body"].read(),
                             b"1")
            self.assertEqual(len(s3.list_object_versions(Bucket="vkeep")["Versions"]), 2)
        finally:
            t.stop()

    def test_template_versioning_configuration(self):
        with tempfile.TemporaryDirectory() as project:
            with open(os.path.join(project, "template.yaml"), "w") as f:
                f.write("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
                        "  Archive:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                        "      BucketName: template-versioned\n"
                        "      VersioningConfiguration:\n        Status: Enabled\n")
            with Tarmac(project=project) as t:
                s3 = boto3_client(t, "s3")
                self.assertEqual(s3.get_bucket_versioning(Bucket="template-versioned")["Status"],
                                 "Enabled")
                self.assertIn("VersionId", s3.put_object(Bucket="template-versioned", Key="k",
                                                         Body=b"x"))

    def test_cli(self):
        aws = aws_cli(self, self.tarmac)

        aws("s3api", "create-bucket", "--bucket", "vcli")
        aws("s3api", "put-bucket-versioning", "--bucket", "vcli",
            "--versioning-configuration", "Status=Enabled")
        self.assertEqual(aws("s3api", "get-bucket-versioning", "--bucket", "vcli")["Status"],
                         "Enabled")
        self.s3.put_object(Bucket="vcli", Key="f", Body=b"a")
        self.s3.put_object(Bucket="vcli", Key="f", Body=b"b")
        listed = aws("s3api", "list-object-versions", "--bucket", "vcli")
        self.assertEqual(len(listed["Versions"]), 2)
        oldest = listed["Versions"][1]["VersionId"]
        aws("s3api", "delete-object", "--bucket", "vcli", "--key", "f", "--version-id", oldest)
        self.assertEqual(len(aws("s3api", "list-object-versions", "--bucket", "vcli")["Versions"]),
                         1)

    def test_javascript_sdk(self):
        run_node_script(self, self.tarmac, "s3-versioning.js", "ok versioning")


if __name__ == "__main__":
    unittest.main()
