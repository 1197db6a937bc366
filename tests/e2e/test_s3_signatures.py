"""`tarmac serve --verify-signatures --credentials FILE`: SigV4 and SigV2 checked on S3 requests,
with the request time within S3's 15 minutes."""
import http.client
import os
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.config
import botocore.exceptions
from unittest import mock

from harness import Tarmac, run_tarmac

KEY, SECRET = "AKIDTARMACTEST", "s3cr3t/with+chars"


class S3SignatureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-sig-")
        cls.creds = os.path.join(cls.tmp.name, "credentials")
        with open(cls.creds, "w") as f:
            f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (KEY, SECRET))
        cls.tarmac = Tarmac("--verify-signatures", "--credentials", cls.creds).start()

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()
        cls.tmp.cleanup()

    def client(self, key=KEY, secret=SECRET):
        return boto3.client("s3", endpoint_url=self.tarmac.edge, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def test_right_credentials_work(self):
        s3 = self.client()
        s3.create_bucket(Bucket="signed")
        s3.put_object(Bucket="signed", Key="a b/c+d.txt", Body=b"signed body", Metadata={"x": "y z"})
        self.assertEqual(s3.get_object(Bucket="signed", Key="a b/c+d.txt")["Body"].read(),
                         b"signed body")
        listed = s3.list_objects_v2(Bucket="signed", Prefix="a b/", Delimiter="/")
        self.assertEqual(listed["KeyCount"], 1)
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "signed",
                                                              "Key": "a b/c+d.txt"})
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.read(), b"signed body")
        # Presigned PUTs, in both the SigV2 form boto3 makes by default and SigV4.
        v4 = boto3.client("s3", endpoint_url=self.tarmac.edge, region_name="us-east-1",
                          aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                          config=botocore.config.Config(signature_version="s3v4"))
        for client, key in [(s3, "p2"), (v4, "p4")]:
            put_url = client.generate_presigned_url("put_object", Params={"Bucket": "signed",
                                                                          "Key": key})
            parsed = urllib.parse.urlparse(put_url)
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
            conn.request("PUT", parsed.path + "?" + parsed.query, body=b"via presigned PUT")
            r = conn.getresponse()
            self.assertEqual(r.status, 200, r.read())
            conn.close()
            self.assertEqual(s3.get_object(Bucket="signed", Key=key)["Body"].read(),
                             b"via presigned PUT")
        url = v4.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": "p4",
                                                             "ResponseContentType": "text/x"})
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.headers["content-type"], "text/x")
        env = dict(self.tarmac.client_env(), AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        r = subprocess.run(["aws", "s3", "ls", "s3://signed/"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("a b/", r.stdout)

    def test_wrong_credentials_refused(self):
        self.client().create_bucket(Bucket="guarded")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client(secret="wrong").put_object(Bucket="guarded", Key="k", Body=b"x")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client(key="AKIDUNKNOWN").list_buckets()
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidAccessKeyId")
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(self.tarmac.edge + "/guarded", timeout=10)
        self.assertEqual(ctx.exception.code, 403)
        self.assertIn(b"AccessDenied", ctx.exception.read())
        url = self.client().generate_presigned_url("get_object", Params={"Bucket": "guarded",
                                                                         "Key": "k"})
        tampered = url.replace("Key=k", "Key=other") if "Key=k" in url else url.replace("/k?", "/j?")
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(tampered, timeout=10)
        self.assertEqual(ctx.exception.code, 403)
        expired = self.client().generate_presigned_url("get_object", ExpiresIn=1, Params={
            "Bucket": "guarded", "Key": "k"})
        time.sleep(2.1)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(expired, timeout=10)
        self.assertIn(b"expired", ctx.exception.read())
        # Nothing was written by the refused PUT.
        self.assertEqual(self.client().list_objects_v2(Bucket="guarded")["KeyCount"], 0)

    def v2_client(self, key=KEY, secret=SECRET):
        return boto3.client("s3", endpoint_url=self.tarmac.edge, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=botocore.config.Config(signature_version="s3",
                                                          retries={"max_attempts": 1}))

    def error_of(self, call, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            call(*args, **kwargs)
        r = ctx.exception.response
        return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]

    def test_sigv2_authorization_headers(self):
        # boto3's legacy signer (HmacV1Auth): "Authorization: AWS AKID:signature".
        s3 = self.v2_client()
        s3.create_bucket(Bucket="signed-v2")
        s3.put_object(Bucket="signed-v2", Key="a b/c+d.txt", Body=b"v2 body", Metadata={"x": "y z"},
                      ContentType="text/plain")
        got = s3.get_object(Bucket="signed-v2", Key="a b/c+d.txt")
        self.assertEqual(got["Body"].read(), b"v2 body")
        self.assertEqual(got["Metadata"], {"x": "y z"})
        # Subresources are part of what is signed.
        s3.put_bucket_versioning(Bucket="signed-v2",
                                 VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(s3.get_bucket_versioning(Bucket="signed-v2")["Status"], "Enabled")
        s3.put_object_tagging(Bucket="signed-v2", Key="a b/c+d.txt",
                              Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.assertEqual(s3.list_objects_v2(Bucket="signed-v2", Prefix="a b/")["KeyCount"], 1)
        # The same refusals as SigV4's, and nothing written by them.
        self.assertEqual(self.error_of(self.v2_client(secret="wrong").put_object,
                                       Bucket="signed-v2", Key="no", Body=b"x"),
                         (403, "SignatureDoesNotMatch"))
        self.assertEqual(self.error_of(self.v2_client(key="AKIDUNKNOWN").list_buckets),
                         (403, "InvalidAccessKeyId"))
        self.assertNotIn("Contents", s3.list_objects_v2(Bucket="signed-v2", Prefix="no"))
        # A header that is not "AWS AKID:signature".
        conn = http.client.HTTPConnection("127.0.0.1", int(self.tarmac.edge.rsplit(":", 1)[1]),
                                          timeout=10)
        conn.request("GET", "/signed-v2", headers={"Authorization": "AWS HAHAHA"})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>InvalidArgument</Code>", body)

    def put_with_amz_date(self, client, value):
        def add_date(request, **kwargs):
            request.headers["x-amz-date"] = value
        client.meta.events.register("before-sign.s3.PutObject", add_date)
        return self.error_of(client.put_object, Bucket="dated", Key="k", Body=b"x")

    def test_request_time_checked(self):
        self.client().create_bucket(Bucket="dated")
        # SigV2: a time that is not one, or before 1970, is refused; one more than 15 minutes
        # from now is too skewed (the signature itself is right).
        for value, expected in [("Bad Date", (403, "AccessDenied")),
                                ("", (403, "AccessDenied")),
                                ("Tue, 07 Jul 1950 21:53:04 GMT", (403, "AccessDenied")),
                                ("Tue, 07 Jul 2010 21:53:04 GMT", (403, "RequestTimeTooSkewed")),
                                ("Tue, 07 Jul 9999 21:53:04 GMT", (403, "RequestTimeTooSkewed"))]:
            self.assertEqual(self.put_with_amz_date(self.v2_client(), value), expected, value)
        # SigV4: a client whose clock is 20 minutes behind, or ahead.
        real = botocore.auth.get_current_datetime
        for minutes in (-20, 20):
            with mock.patch("botocore.auth.get_current_datetime",
                            lambda *a, m=minutes, **k: real(*a, **k)
                            + __import__("datetime").timedelta(minutes=m)):
                self.assertEqual(self.error_of(self.client().put_object, Bucket="dated",
                                               Key="k", Body=b"x"),
                                 (403, "RequestTimeTooSkewed"))
        # 10 minutes off is within S3's 15.
        with mock.patch("botocore.auth.get_current_datetime",
                        lambda *a, **k: real(*a, **k)
                        - __import__("datetime").timedelta(minutes=10)):
            self.client().put_object(Bucket="dated", Key="k", Body=b"x")
        self.assertEqual(self.client().list_objects_v2(Bucket="dated")["KeyCount"], 1)

    def test_flag_needs_credentials(self):
        r = run_tarmac("serve", "--verify-signatures", "--port", "0", "--ephemeral")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--credentials", r.stderr)


if __name__ == "__main__":
    unittest.main()
