"""S3 server-side encryption with boto3, the aws CLI and the JavaScript SDK v3, written from
AWS's user guide ("Protecting data with server-side encryption", "Using SSE-C") and the API
reference (PutBucketEncryption, GetObject's SSE-C headers)."""
import base64
import hashlib
import os
import tempfile
import unittest

import botocore.exceptions

from harness import Tarmac, aws_cli, boto3_client, code_of, run_node_script, status_of

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))



def sse_c(key=KEY):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


class S3EncryptionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")
        cls.s3.create_bucket(Bucket="sse")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def test_sse_s3_and_kms_are_echoed(self):
        put = self.s3.put_object(Bucket="sse", Key="plain", Body=b"x")
        self.assertEqual(put["ServerSideEncryption"], "AES256")  # S3's default since 2023
        put = self.s3.put_object(Bucket="sse", Key="s3", Body=b"x", ServerSideEncryption="AES256")
        self.assertEqual(put["ServerSideEncryption"], "AES256")
        self.assertEqual(self.s3.head_object(Bucket="sse", Key="s3")["ServerSideEncryption"],
                         "AES256")
        put = self.s3.put_object(Bucket="sse", Key="kms", Body=b"x",
                                 ServerSideEncryption="aws:kms", SSEKMSKeyId="my-key",
                                 BucketKeyEnabled=True)
        self.assertEqual(put["ServerSideEncryption"], "aws:kms")
        self.assertTrue(put["SSEKMSKeyId"].endswith(":key/my-key"))
        got = self.s3.get_object(Bucket="sse", Key="kms")
        self.assertEqual(got["ServerSideEncryption"], "aws:kms")
        self.assertEqual(got["SSEKMSKeyId"], put["SSEKMSKeyId"])
        self.assertTrue(got["BucketKeyEnabled"])
        self.assertEqual(got["Body"].read(), b"x")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object(Bucket="sse", Key="bad", Body=b"x", ServerSideEncryption="AES257")
        self.assertEqual(code_of(ctx), "InvalidArgument")

    def test_bucket_default_encryption(self):
        self.s3.create_bucket(Bucket="sse-default")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_bucket_encryption(Bucket="sse-default")
        self.assertEqual(code_of(ctx), "ServerSideEncryptionConfigurationNotFoundError")
        self.assertEqual(status_of(ctx), 404)
        self.s3.put_bucket_encryption(Bucket="sse-default", ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "default-key"}}]})
        rule = self.s3.get_bucket_encryption(Bucket="sse-default")[
            "ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms")
        put = self.s3.put_object(Bucket="sse-default", Key="k", Body=b"x")
        self.assertEqual(put["ServerSideEncryption"], "aws:kms")
        self.assertTrue(put["SSEKMSKeyId"].endswith("default-key"))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_bucket_encryption(Bucket="sse-default", ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})
        self.assertEqual(code_of(ctx), "InvalidArgument")
        self.s3.delete_bucket_encryption(Bucket="sse-default")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_bucket_encryption(Bucket="sse-default")
        self.assertEqual(code_of(ctx), "ServerSideEncryptionConfigurationNotFoundError")
        self.assertEqual(self.s3.put_object(Bucket="sse-default", Key="k2", Body=b"x")
                         ["ServerSideEncryption"], "AES256")

    def test_sse_c_round_trip_and_refusals(self):
        body = os.urandom(100_000)  # a blob file, not a log record
        put = self.s3.put_object(Bucket="sse", Key="c", Body=body, **sse_c())
        self.assertEqual(put["SSECustomerAlgorithm"], "AES256")
        self.assertEqual(put["SSECustomerKeyMD5"],
                         base64.b64encode(hashlib.md5(KEY).digest()).decode())
        got = self.s3.get_object(Bucket="sse", Key="c", **sse_c())
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["SSECustomerAlgorithm"], "AES256")
        ranged = self.s3.get_object(Bucket="sse", Key="c", Range="bytes=1000-70999", **sse_c())
        self.assertEqual(ranged["Body"].read(), body[1000:71000])
        self.assertEqual(self.s3.head_object(Bucket="sse", Key="c", **sse_c())["ContentLength"],
                         len(body))
        for kw, code, status in [({}, "InvalidRequest", 400),
                                 (sse_c(OTHER_KEY), "AccessDenied", 403)]:
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                self.s3.get_object(Bucket="sse", Key="c", **kw)
            self.assertEqual((code_of(ctx), status_of(ctx)), (code, status))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.head_object(Bucket="sse", Key="c")
        self.assertEqual(status_of(ctx), 400)
        # The bytes at rest are not the plaintext.
        blobs = os.path.join(self.tarmac.state, "blobs")
        for root, _, files in os.walk(blobs):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    self.assertNotEqual(fh.read(), body)
        # A small object too (kept in the segment log).
        self.s3.put_object(Bucket="sse", Key="small", Body=b"secret text", **sse_c())
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="small", **sse_c())["Body"].read(),
                         b"secret text")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.get_object(Bucket="sse", Key="small", **sse_c(OTHER_KEY))
        self.assertEqual(status_of(ctx), 403)

    def test_sse_c_header_errors(self):
        md5 = base64.b64encode(hashlib.md5(KEY).digest()).decode()
        key = base64.b64encode(KEY).decode()
        cases = [
            ({"x-amz-server-side-encryption-customer-algorithm": "AES256",
              "x-amz-server-side-encryption-customer-key": key,
              "x-amz-server-side-encryption-customer-key-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="},
             "InvalidArgument"),
            ({"x-amz-server-side-encryption-customer-algorithm": "AES256",
              "x-amz-server-side-encryption-customer-key-MD5": md5}, "InvalidArgument"),
            ({"x-amz-server-side-encryption-customer-key": key,
              "x-amz-server-side-encryption-customer-key-MD5": md5}, "InvalidArgument"),
        ]
        for headers, code in cases:
            def add(request, headers=headers, **kw):
                for k, v in headers.items():
                    request.headers[k] = v
            self.s3.meta.events.register_first("before-sign.s3.PutObject", add)
            try:
                with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                    self.s3.put_object(Bucket="sse", Key="bad-c", Body=b"x")
                self.assertEqual(code_of(ctx), code, headers)
                self.assertEqual(status_of(ctx), 400)
            finally:
                self.s3.meta.events.unregister("before-sign.s3.PutObject", add)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.put_object(Bucket="sse", Key="both", Body=b"x", ServerSideEncryption="AES256",
                               **sse_c())
        self.assertEqual(status_of(ctx), 400)

    def test_sse_c_multipart_and_copy(self):
        up = self.s3.create_multipart_upload(Bucket="sse", Key="mp", **sse_c())
        self.assertEqual(up["SSECustomerAlgorithm"], "AES256")
        parts = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
        done = []
        for number, data in zip((1, 3), parts):
            r = self.s3.upload_part(Bucket="sse", Key="mp", UploadId=up["UploadId"],
                                    PartNumber=number, Body=data, **sse_c())
            done.append({"PartNumber": number, "ETag": r["ETag"]})
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.upload_part(Bucket="sse", Key="mp", UploadId=up["UploadId"], PartNumber=4,
                                Body=b"x")
        self.assertEqual(status_of(ctx), 400)
        self.s3.complete_multipart_upload(Bucket="sse", Key="mp", UploadId=up["UploadId"],
                                          MultipartUpload={"Parts": done})
        whole = b"".join(parts)
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="mp", **sse_c())["Body"].read(),
                         whole)
        across = self.s3.get_object(Bucket="sse", Key="mp", Range="bytes=5242000-5243000",
                                    **sse_c())["Body"].read()
        self.assertEqual(across, whole[5242000:5243001])

        self.s3.put_object(Bucket="sse", Key="src", Body=b"copy me", **sse_c())
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.s3.copy_object(Bucket="sse", Key="dst", CopySource={"Bucket": "sse", "Key": "src"})
        self.assertEqual(status_of(ctx), 400)
        self.s3.copy_object(Bucket="sse", Key="dst", CopySource={"Bucket": "sse", "Key": "src"},
                            CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY,
                            **sse_c(OTHER_KEY))
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="dst", **sse_c(OTHER_KEY))
                         ["Body"].read(), b"copy me")
        self.s3.copy_object(Bucket="sse", Key="dst-plain",
                            CopySource={"Bucket": "sse", "Key": "src"},
                            CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY)
        self.assertEqual(self.s3.get_object(Bucket="sse", Key="dst-plain")["Body"].read(),
                         b"copy me")

    def test_cli(self):
        aws = aws_cli(self, self.tarmac)
        key = "0123456789abcdef0123456789abcdef"  # the CLI takes the key as text

        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "in.txt")
            with open(src, "wb") as f:
                f.write(b"from the cli")
            put = aws("s3api", "put-object", "--bucket", "sse", "--key", "cli", "--body", src,
                      "--sse-customer-algorithm", "AES256", "--sse-customer-key", key)
            self.assertEqual(put["SSECustomerAlgorithm"], "AES256")
            out = os.path.join(d, "out.txt")
            aws("s3api", "get-object", "--bucket", "sse", "--key", "cli",
                "--sse-customer-algorithm", "AES256", "--sse-customer-key", key, out)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"from the cli")
            aws("s3api", "put-bucket-encryption", "--bucket", "sse",
                "--server-side-encryption-configuration",
                '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}')
            got = aws("s3api", "get-bucket-encryption", "--bucket", "sse")
            self.assertEqual(got["ServerSideEncryptionConfiguration"]["Rules"][0]
                             ["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
            aws("s3api", "delete-bucket-encryption", "--bucket", "sse")

    def test_javascript_sdk(self):
        run_node_script(self, self.tarmac, "s3-sse.js", "ok sse")


if __name__ == "__main__":
    unittest.main()
