"""S3 core paths where Tarmac differed from AWS (issue 24's list), and GetObjectAttributes, with
boto3, the aws CLI and the JavaScript SDK v3. Expectations from AWS's S3 API reference."""
import base64
import http.client
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request
import zlib

import botocore.exceptions

from harness import Tarmac, boto3_client, code_of, run_node_script, status_of

MIB = 1024 * 1024



class S3CorePathsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")
        cls.s3.create_bucket(Bucket="core")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def multipart(self, key, parts, **create):
        up = self.s3.create_multipart_upload(Bucket="core", Key=key, **create)["UploadId"]
        done = []
        for n, data in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket="core", Key=key, UploadId=up, PartNumber=n, Body=data)
            done.append({"PartNumber": n, "ETag": r["ETag"]})
        return up, done

    def test_repeated_complete_answers_again(self):
        up, parts = self.multipart("again", [b"a" * 10])
        first = self.s3.complete_multipart_upload(Bucket="core", Key="again", UploadId=up,
                                                  MultipartUpload={"Parts": parts})
        second = self.s3.complete_multipart_upload(Bucket="core", Key="again", UploadId=up,
                                                   MultipartUpload={"Parts": parts})
        self.assertEqual(first["ETag"], second["ETag"])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.complete_multipart_upload(Bucket="core", Key="again", UploadId="0" * 32,
                                              MultipartUpload={"Parts": parts})
        self.assertEqual(code_of(ctx), "NoSuchUpload")

    def test_delete_bucket_with_open_uploads(self):
        self.s3.create_bucket(Bucket="core-uploads")
        self.s3.create_multipart_upload(Bucket="core-uploads", Key="k")
        self.s3.delete_bucket(Bucket="core-uploads")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.head_bucket(Bucket="core-uploads")
        self.assertEqual(status_of(ctx), 404)

    def test_part_number_and_copy_range_errors(self):
        self.s3.put_object(Bucket="core", Key="small", Body=b"0123456789")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket="core", Key="small", PartNumber=2)
        self.assertEqual((code_of(ctx), status_of(ctx)), ("InvalidPart", 400))
        up = self.s3.create_multipart_upload(Bucket="core", Key="copy")["UploadId"]
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.upload_part_copy(Bucket="core", Key="copy", UploadId=up, PartNumber=1,
                                     CopySource={"Bucket": "core", "Key": "small"},
                                     CopySourceRange="bytes=5")
        self.assertEqual((code_of(ctx), status_of(ctx)), ("InvalidArgument", 400))

    def test_full_object_checksum(self):
        parts = [os.urandom(5 * MIB), os.urandom(100)]
        up = self.s3.create_multipart_upload(Bucket="core", Key="full", ChecksumAlgorithm="CRC32",
                                             ChecksumType="FULL_OBJECT")["UploadId"]
        done = []
        for n, data in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket="core", Key="full", UploadId=up, PartNumber=n,
                                    Body=data, ChecksumAlgorithm="CRC32")
            done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        r = self.s3.complete_multipart_upload(Bucket="core", Key="full", UploadId=up,
                                              MultipartUpload={"Parts": done})
        whole = zlib.crc32(b"".join(parts)).to_bytes(4, "big")
        self.assertEqual(r["ChecksumType"], "FULL_OBJECT")
        self.assertEqual(r["ChecksumCRC32"], base64.b64encode(whole).decode())

    def test_listing_edges(self):
        for i in range(3):
            self.s3.create_bucket(Bucket="core-list-%d" % i)
        r = self.s3.list_objects_v2(Bucket="core", MaxKeys=0)
        self.assertFalse(r["IsTruncated"])
        r = self.s3.list_objects_v2(Bucket="core", ContinuationToken="")
        self.assertGreater(r["KeyCount"], 0)
        self.s3.put_object(Bucket="core", Key="a b/c", Body=b"x")
        r = self.s3.list_objects(Bucket="core", Prefix="a b/", EncodingType="url")
        self.assertEqual(r["Prefix"], "a b/")
        names, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            page = self.s3.list_buckets(MaxBuckets=2, Prefix="core-list-", **kw)
            names += [b["Name"] for b in page["Buckets"]]
            token = page.get("ContinuationToken")
            if not token:
                break
        self.assertEqual(names, ["core-list-0", "core-list-1", "core-list-2"])

    def test_stored_headers_and_tags(self):
        self.s3.put_object(Bucket="core", Key="enc", Body=b"x", ContentEncoding="gzip,br",
                           Tagging="zeta=1&alpha=2")
        self.assertEqual(self.s3.head_object(Bucket="core", Key="enc")["ContentEncoding"],
                         "gzip, br")
        self.assertEqual([t["Key"] for t in
                          self.s3.get_object_tagging(Bucket="core", Key="enc")["TagSet"]],
                         ["alpha", "zeta"])

    def raw_put(self, key, headers, body=b"bar"):
        port = int(self.tarmac.edge.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("PUT", "/core/" + key, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(body)
        r = conn.getresponse()
        answer = r.status, r.read()
        conn.close()
        return answer

    def test_upload_headers_as_s3_reads_them(self):
        length = ("Content-Length", "3")
        # Content-MD5 that is empty or not an MD5 is InvalidDigest; another body's, BadDigest.
        for value, code in [("", b"InvalidDigest"), ("YWJyYWNhZGFicmE=", b"InvalidDigest"),
                            ("rL0Y20zC+Fzt72VPzMSk2A==", b"BadDigest")]:
            status, body = self.raw_put("md5", [length, ("Content-MD5", value)])
            self.assertEqual(status, 400, value)
            self.assertIn(b"<Code>" + code + b"</Code>", body)
        self.assertEqual(self.raw_put("md5", [length, ("Content-MD5", base64.b64encode(
            __import__("hashlib").md5(b"bar").digest()).decode())])[0], 200)
        # An upload without Content-Length (and not chunked) is 411 MissingContentLength.
        status, body = self.raw_put("nolength", [], body=b"")
        self.assertEqual(status, 411)
        self.assertIn(b"<Code>MissingContentLength</Code>", body)
        with self.assertRaises(botocore.exceptions.ClientError):
            self.s3.head_object(Bucket="core", Key="nolength")
        # An expectation other than 100-continue is ignored, as S3 ignores it.
        self.assertEqual(self.raw_put("expect", [length, ("Expect", "200")])[0], 200)
        self.assertEqual(self.s3.get_object(Bucket="core", Key="expect")["Body"].read(), b"bar")

    def test_expired_presigned_url_refused(self):
        self.s3.put_object(Bucket="core", Key="p", Body=b"x")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": "core", "Key": "p"},
                                             ExpiresIn=1)
        self.assertEqual(urllib.request.urlopen(url).read(), b"x")
        time.sleep(2.1)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(url)
        self.assertEqual(ctx.exception.code, 403)
        self.assertIn(b"AccessDenied", ctx.exception.read())

    def test_get_object_attributes(self):
        self.s3.put_object(Bucket="core", Key="attrs", Body=b"hello", StorageClass="STANDARD_IA",
                           ChecksumAlgorithm="SHA256")
        r = self.s3.get_object_attributes(
            Bucket="core", Key="attrs",
            ObjectAttributes=["ETag", "Checksum", "StorageClass", "ObjectSize"])
        self.assertEqual(r["ObjectSize"], 5)
        self.assertEqual(r["StorageClass"], "STANDARD_IA")
        self.assertEqual(r["ETag"], "5d41402abc4b2a76b9719d911017c592")
        self.assertIn("ChecksumSHA256", r["Checksum"])
        up, parts = self.multipart("attrs-mp", [b"p" * (5 * MIB), b"q" * 7])
        self.s3.complete_multipart_upload(Bucket="core", Key="attrs-mp", UploadId=up,
                                          MultipartUpload={"Parts": parts})
        r = self.s3.get_object_attributes(Bucket="core", Key="attrs-mp", MaxParts=1,
                                          ObjectAttributes=["ObjectParts"])
        self.assertEqual(r["ObjectParts"]["TotalPartsCount"], 2)
        self.assertTrue(r["ObjectParts"]["IsTruncated"])
        self.assertEqual(r["ObjectParts"]["Parts"], [{"PartNumber": 1, "Size": 5 * MIB}])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object_attributes(Bucket="core", Key="missing", ObjectAttributes=["ETag"])
        self.assertEqual(code_of(ctx), "NoSuchKey")

    def test_cli_get_object_attributes(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1")
        self.s3.put_object(Bucket="core", Key="cli-attrs", Body=b"abc")
        r = subprocess.run(["aws", "--endpoint-url", self.tarmac.edge, "--output", "json",
                            "s3api", "get-object-attributes", "--bucket", "core", "--key",
                            "cli-attrs", "--object-attributes", "ObjectSize", "ETag"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["ObjectSize"], 3)

    def error_code(self, call):
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            call()
        return code_of(ctx)

    def test_kept_configurations(self):
        """Website, logging, requester pays, acceleration and replication: kept and given back as
        S3 gives them (tools such as Terraform read every one of them for each bucket)."""
        s3 = self.s3
        s3.create_bucket(Bucket="configs")
        s3.create_bucket(Bucket="config-logs")
        # Without a configuration: S3's own answers.
        self.assertEqual(self.error_code(lambda: s3.get_bucket_website(Bucket="configs")),
                         "NoSuchWebsiteConfiguration")
        self.assertEqual(self.error_code(lambda: s3.get_bucket_replication(Bucket="configs")),
                         "ReplicationConfigurationNotFoundError")
        self.assertNotIn("LoggingEnabled", s3.get_bucket_logging(Bucket="configs"))
        self.assertEqual(s3.get_bucket_request_payment(Bucket="configs")["Payer"], "BucketOwner")
        self.assertNotIn("Status", s3.get_bucket_accelerate_configuration(Bucket="configs"))
        # Set, read back, removed.
        s3.put_bucket_website(Bucket="configs", WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
        site = s3.get_bucket_website(Bucket="configs")
        self.assertEqual(site["IndexDocument"]["Suffix"], "index.html")
        self.assertEqual(site["ErrorDocument"]["Key"], "error.html")
        s3.delete_bucket_website(Bucket="configs")
        self.assertEqual(self.error_code(lambda: s3.get_bucket_website(Bucket="configs")),
                         "NoSuchWebsiteConfiguration")
        s3.put_bucket_logging(Bucket="configs", BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": "config-logs", "TargetPrefix": "configs/"}})
        self.assertEqual(s3.get_bucket_logging(Bucket="configs")["LoggingEnabled"],
                         {"TargetBucket": "config-logs", "TargetPrefix": "configs/"})
        s3.put_bucket_logging(Bucket="configs", BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", s3.get_bucket_logging(Bucket="configs"))
        s3.put_bucket_request_payment(Bucket="configs",
                                      RequestPaymentConfiguration={"Payer": "Requester"})
        self.assertEqual(s3.get_bucket_request_payment(Bucket="configs")["Payer"], "Requester")
        s3.put_bucket_accelerate_configuration(Bucket="configs",
                                               AccelerateConfiguration={"Status": "Enabled"})
        self.assertEqual(s3.get_bucket_accelerate_configuration(Bucket="configs")["Status"],
                         "Enabled")
        replication = {"Role": "arn:aws:iam::000000000000:role/replication", "Rules": [{
            "ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::config-logs"}}]}
        self.assertEqual(self.error_code(lambda: s3.put_bucket_replication(
            Bucket="configs", ReplicationConfiguration=replication)), "InvalidRequest")
        s3.put_bucket_versioning(Bucket="configs", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_replication(Bucket="configs", ReplicationConfiguration=replication)
        got = s3.get_bucket_replication(Bucket="configs")["ReplicationConfiguration"]
        self.assertEqual(got["Role"], replication["Role"])
        self.assertEqual(got["Rules"][0]["Destination"]["Bucket"], "arn:aws:s3:::config-logs")
        s3.delete_bucket_replication(Bucket="configs")
        self.assertEqual(self.error_code(lambda: s3.get_bucket_replication(Bucket="configs")),
                         "ReplicationConfigurationNotFoundError")
        # Refusals, with S3's codes.
        self.assertEqual(self.error_code(lambda: s3.put_bucket_website(
            Bucket="configs", WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})),
            "InvalidArgument")
        self.assertEqual(self.error_code(lambda: s3.put_bucket_logging(
            Bucket="configs", BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "no-such-logs", "TargetPrefix": "x/"}})),
            "InvalidTargetBucketForLogging")
        self.assertEqual(self.error_code(lambda: s3.put_bucket_website(
            Bucket="no-such-bucket-here", WebsiteConfiguration={
                "IndexDocument": {"Suffix": "index.html"}})), "NoSuchBucket")
        # The aws CLI reads them the same way.
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1")
        r = subprocess.run(["aws", "--endpoint-url", self.tarmac.edge, "--output", "json",
                            "s3api", "get-bucket-request-payment", "--bucket", "configs"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["Payer"], "Requester")
        r = subprocess.run(["aws", "--endpoint-url", self.tarmac.edge, "s3", "website",
                            "s3://configs/", "--index-document", "index.html"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s3.get_bucket_website(Bucket="configs")["IndexDocument"]["Suffix"],
                         "index.html")

    def test_javascript_sdk(self):
        run_node_script(self, self.tarmac, "s3-core.js", "ok core")


if __name__ == "__main__":
    unittest.main()
