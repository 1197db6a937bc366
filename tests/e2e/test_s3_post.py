"""S3 browser form uploads (PostObject): boto3's generate_presigned_post and hand-made
multipart/form-data bodies sent with http.client, the policy's conditions and S3's error codes,
signature checking with --verify-signatures, an ObjectCreated:Post notification to a Python
function, and @aws-sdk/s3-presigned-post's createPresignedPost with Node's fetch + FormData."""
import base64
import hashlib
import http.client
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3
import botocore.config

from harness import Tarmac, boto3_client
from lambda_support import python_function

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
KEY, SECRET = "AKIDTARMACPOST", "p0st/s3cr3t+chars"


def multipart(fields, file_name="notes.txt", content=b"hello from a form",
              file_type="text/plain", boundary=None):
    """A multipart/form-data body the way browsers write it: fields in order, the file last
    (file_name None: no file part)."""
    boundary = boundary or "----TarmacForm" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(b"--%s\r\n" % boundary.encode())
        out.write(b'Content-Disposition: form-data; name="%s"\r\n\r\n' % name.encode())
        out.write(value.encode() if isinstance(value, str) else value)
        out.write(b"\r\n")
    if file_name is not None:
        out.write(b"--%s\r\n" % boundary.encode())
        out.write(b'Content-Disposition: form-data; name="file"; filename="%s"\r\n'
                  % file_name.encode())
        out.write(b"Content-Type: %s\r\n\r\n" % file_type.encode())
        out.write(content)
        out.write(b"\r\n")
    out.write(b"--%s--\r\n" % boundary.encode())
    return out.getvalue(), "multipart/form-data; boundary=%s" % boundary


def post(url, body, content_type, headers=None):
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request("POST", parsed.path or "/", body=body,
                     headers=dict({"Content-Type": content_type}, **(headers or {})))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post_form(presigned, content=b"hello from a form", file_name="notes.txt", extra=(),
              headers=None):
    fields = list(presigned["fields"].items()) + list(extra)
    body, ctype = multipart(fields, file_name=file_name, content=content)
    return post(presigned["url"], body, ctype, headers)


def error_of(body):
    root = ET.fromstring(body)
    return root.findtext("Code"), root.findtext("Message"), root


class S3PostObjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.s3 = boto3_client(cls.tarmac, "s3")
        cls.s3.create_bucket(Bucket="forms")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()

    def assertNoObject(self, key):
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket="forms", Key=key)

    def test_presigned_post_201_with_metadata(self):
        p = self.s3.generate_presigned_post(
            "forms", "uploads/${filename}",
            Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "alice",
                    "success_action_status": "201", "Cache-Control": "max-age=60"},
            Conditions=[{"Content-Type": "text/plain"}, ["starts-with", "$x-amz-meta-owner", ""],
                        {"success_action_status": "201"}, ["eq", "$Cache-Control", "max-age=60"],
                        ["content-length-range", 1, 1000]],
            ExpiresIn=600)
        content = b"hello from a form"
        status, headers, body = post_form(p, content, "notes.txt")
        self.assertEqual(status, 201, body)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "PostResponse")
        self.assertEqual(root.findtext("Bucket"), "forms")
        self.assertEqual(root.findtext("Key"), "uploads/notes.txt")
        self.assertEqual(root.findtext("ETag"), '"%s"' % hashlib.md5(content).hexdigest())
        self.assertIn("/forms/uploads%2Fnotes.txt", root.findtext("Location"))
        self.assertEqual(headers["etag"], '"%s"' % hashlib.md5(content).hexdigest())
        head = self.s3.head_object(Bucket="forms", Key="uploads/notes.txt")
        self.assertEqual(head["ContentType"], "text/plain")
        self.assertEqual(head["Metadata"], {"owner": "alice"})
        self.assertEqual(head["CacheControl"], "max-age=60")
        got = self.s3.get_object(Bucket="forms", Key="uploads/notes.txt")["Body"].read()
        self.assertEqual(got, content)

    def test_default_204_tags_storage_class_and_file_type(self):
        # No policy and no signature checking: accepted, as S3 does for a public bucket.
        tagging = ("<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet>"
                   "</Tagging>")
        body, ctype = multipart([("KEY", "plain/${filename}"), ("tagging", tagging),
                                 ("x-amz-storage-class", "STANDARD_IA"),
                                 ("Content-Disposition", "attachment"), ("acl", "private")],
                                file_name="pic.png", content=b"\x89PNG\r\n--not a boundary",
                                file_type="image/png")
        status, headers, resp = post(self.tarmac.edge + "/forms", body, ctype)
        self.assertEqual(status, 204, resp)
        self.assertEqual(resp, b"")
        head = self.s3.head_object(Bucket="forms", Key="plain/pic.png")
        self.assertEqual(head["ContentType"], "image/png")  # the file part's, no field given
        self.assertEqual(head["ContentDisposition"], "attachment")
        self.assertEqual(head["StorageClass"], "STANDARD_IA")
        tags = self.s3.get_object_tagging(Bucket="forms", Key="plain/pic.png")["TagSet"]
        self.assertEqual(tags, [{"Key": "team", "Value": "blue"}])
        got = self.s3.get_object(Bucket="forms", Key="plain/pic.png")["Body"].read()
        self.assertEqual(got, b"\x89PNG\r\n--not a boundary")

    def test_redirect_and_status_200(self):
        p = self.s3.generate_presigned_post(
            "forms", "redirected.txt",
            Fields={"success_action_redirect": "http://example.test/done?from=form"},
            Conditions=[["starts-with", "$success_action_redirect", "http://example.test/"]])
        status, headers, _ = post_form(p, b"abc")
        self.assertEqual(status, 303)
        location = urllib.parse.urlparse(headers["location"])
        self.assertEqual(location.netloc, "example.test")
        query = urllib.parse.parse_qs(location.query)
        self.assertEqual(query["from"], ["form"])
        self.assertEqual(query["bucket"], ["forms"])
        self.assertEqual(query["key"], ["redirected.txt"])
        self.assertEqual(query["etag"], ['"%s"' % hashlib.md5(b"abc").hexdigest()])
        p = self.s3.generate_presigned_post("forms", "ok200.txt",
                                            Fields={"success_action_status": "200"},
                                            Conditions=[{"success_action_status": "200"}])
        status, _, body = post_form(p, b"x")
        self.assertEqual((status, body), (200, b""))

    def test_large_file_is_streamed(self):
        # Over the HTTP server's 4 MiB spool threshold, and over the object-row limit.
        content = os.urandom(5 * 1024 * 1024 + 123)
        p = self.s3.generate_presigned_post("forms", "big.bin",
                                            Conditions=[["content-length-range", 0, 6 << 20]])
        status, headers, body = post_form(p, content, "big.bin")
        self.assertEqual(status, 204, body)
        got = self.s3.get_object(Bucket="forms", Key="big.bin")
        self.assertEqual(got["ContentLength"], len(content))
        self.assertEqual(hashlib.sha256(got["Body"].read()).digest(),
                         hashlib.sha256(content).digest())
        self.assertEqual(headers["etag"], '"%s"' % hashlib.md5(content).hexdigest())

    def test_policy_violations(self):
        # content-length-range: too large and too small.
        p = self.s3.generate_presigned_post("forms", "sized.txt",
                                            Conditions=[["content-length-range", 2, 5]])
        status, _, body = post_form(p, b"0123456789")
        code, message, root = error_of(body)
        self.assertEqual((status, code), (400, "EntityTooLarge"), body)
        self.assertEqual(message, "Your proposed upload exceeds the maximum allowed size")
        self.assertEqual(root.findtext("ProposedSize"), "10")
        self.assertEqual(root.findtext("MaxSizeAllowed"), "5")
        status, _, body = post_form(p, b"1")
        code, _, root = error_of(body)
        self.assertEqual((status, code), (400, "EntityTooSmall"), body)
        self.assertEqual(root.findtext("MinSizeAllowed"), "2")
        self.assertNoObject("sized.txt")

        # starts-with on the key.
        p = self.s3.generate_presigned_post("forms", "private/x.txt")
        p["fields"]["key"] = "private/x.txt"
        limited = self.s3.generate_presigned_post("forms", "users/alice/${filename}")
        limited["fields"]["key"] = "users/bob/steal.txt"
        status, _, body = post_form(limited)
        code, message, _ = error_of(body)
        self.assertEqual((status, code), (403, "AccessDenied"), body)
        self.assertEqual(message, 'Invalid according to Policy: Policy Condition failed: '
                                  '["starts-with", "$key", "users/alice/"]')
        self.assertNoObject("users/bob/steal.txt")

        # A field no condition names.
        status, _, body = post_form(p, extra=[("x-amz-meta-sneaky", "1")])
        code, message, _ = error_of(body)
        self.assertEqual((status, code), (403, "AccessDenied"), body)
        self.assertEqual(message, "Invalid according to Policy: Extra input fields: "
                                  "x-amz-meta-sneaky")
        self.assertNoObject("private/x.txt")

        # Expired.
        expired = self.s3.generate_presigned_post("forms", "late.txt", ExpiresIn=-60)
        status, _, body = post_form(expired)
        code, message, _ = error_of(body)
        self.assertEqual((status, code, message),
                         (403, "AccessDenied", "Invalid according to Policy: Policy expired."))
        self.assertNoObject("late.txt")

    def test_malformed_forms(self):
        url = self.tarmac.edge + "/forms"
        body, ctype = multipart([("x-amz-meta-a", "b")])
        status, _, resp = post(url, body, ctype)
        code, message, root = error_of(resp)
        self.assertEqual((status, code), (400, "InvalidArgument"), resp)
        self.assertTrue(message.startswith("Bucket POST must contain a field named 'key'."))
        self.assertEqual(root.findtext("ArgumentName"), "key")
        body, ctype = multipart([("key", "k")], file_name=None)
        status, _, resp = post(url, body, ctype)
        self.assertEqual((status, error_of(resp)[0]), (400, "IncorrectNumberOfFilesInPostRequest"))
        body, ctype = multipart([("key", "k")])
        status, _, resp = post(url, body[:-30], ctype)  # no closing delimiter
        self.assertEqual((status, error_of(resp)[0]), (400, "MalformedPOSTRequest"))
        status, _, resp = post(url, b"key=k", "application/x-www-form-urlencoded")
        self.assertEqual((status, error_of(resp)[0]), (412, "PreconditionFailed"))
        body, ctype = multipart([("key", "k"), ("x-amz-meta-big", "x" * 21000)])
        status, _, resp = post(url, body, ctype)
        self.assertEqual((status, error_of(resp)[0]), (400, "MaxPostPreDataLengthExceededError"))
        body, ctype = multipart([("key", "k")])
        status, _, resp = post(self.tarmac.edge + "/no-such-bucket", body, ctype)
        self.assertEqual((status, error_of(resp)[0]), (404, "NoSuchBucket"))
        body, ctype = multipart([("key", "md5"),
                                 ("Content-MD5", base64.b64encode(b"0" * 16).decode())])
        status, _, resp = post(url, body, ctype)
        self.assertEqual((status, error_of(resp)[0]), (400, "BadDigest"))
        self.assertNoObject("k")
        self.assertNoObject("md5")

    def test_cors_headers_on_post(self):
        self.s3.put_bucket_cors(Bucket="forms", CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": ["http://app.test"], "AllowedMethods": ["POST"],
            "AllowedHeaders": ["*"]}]})
        try:
            p = self.s3.generate_presigned_post("forms", "cors.txt")
            status, headers, body = post_form(p, headers={"Origin": "http://app.test"})
            self.assertEqual(status, 204, body)
            self.assertEqual(headers.get("access-control-allow-origin"), "http://app.test")
        finally:
            self.s3.delete_bucket_cors(Bucket="forms")

    def test_js_create_presigned_post(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk",
                                          "s3-presigned-post")):
            self.skipTest("run npm install in tests/e2e/js for @aws-sdk/s3-presigned-post")
        env = dict(os.environ, TARMAC_EDGE=self.tarmac.edge, AWS_ACCESS_KEY_ID="test",
                   AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        r = subprocess.run(["node", "s3-post.js"], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ok \d+")


class S3PostSignatureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-post-sig-")
        creds = os.path.join(cls.tmp.name, "credentials")
        with open(creds, "w") as f:
            f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (KEY, SECRET))
        cls.tarmac = Tarmac("--verify-signatures", "--credentials", creds).start()
        cls.s3 = cls.client()
        cls.s3.create_bucket(Bucket="signed-forms")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()
        cls.tmp.cleanup()

    @classmethod
    def client(cls, secret=SECRET, **config):
        return boto3.client("s3", endpoint_url=cls.tarmac.edge, region_name="us-east-1",
                            aws_access_key_id=KEY, aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 1}, **config))

    def test_signed_post_accepted(self):
        for name, client in [("v4", self.client(signature_version="s3v4")),
                             ("default", self.s3)]:
            p = client.generate_presigned_post("signed-forms", name + "/${filename}",
                                               Conditions=[["content-length-range", 1, 100]])
            status, _, body = post_form(p, b"signed " + name.encode(), "f.txt")
            self.assertEqual(status, 204, body)
            got = self.s3.get_object(Bucket="signed-forms", Key=name + "/f.txt")["Body"].read()
            self.assertEqual(got, b"signed " + name.encode())

    def test_tampered_post_refused(self):
        v4 = self.client(signature_version="s3v4")
        p = v4.generate_presigned_post("signed-forms", "tampered.txt",
                                       Conditions=[["content-length-range", 1, 5]])
        self.assertIn("x-amz-signature", p["fields"])
        # A bigger content-length-range, re-encoded: the signature no longer matches.
        policy = json.loads(base64.b64decode(p["fields"]["policy"]))
        policy["conditions"] = [c if not (isinstance(c, list) and c[0] == "content-length-range")
                                else ["content-length-range", 1, 10**9]
                                for c in policy["conditions"]]
        forged = dict(p, fields=dict(p["fields"],
                                     policy=base64.b64encode(json.dumps(policy).encode()).decode()))
        status, _, body = post_form(forged, b"much more than five bytes")
        self.assertEqual((status, error_of(body)[0]), (403, "SignatureDoesNotMatch"), body)
        # Signed with the wrong secret, SigV4 and SigV2 (boto3's default for POST).
        for version in ("s3v4", "s3"):
            wrong = self.client(secret="not-the-secret", signature_version=version)
            p = wrong.generate_presigned_post("signed-forms", "tampered.txt")
            status, _, body = post_form(p, b"abc")
            self.assertEqual((status, error_of(body)[0]), (403, "SignatureDoesNotMatch"), body)
        # No policy, no signature.
        body, ctype = multipart([("key", "tampered.txt")])
        status, _, resp = post(self.tarmac.edge + "/signed-forms", body, ctype)
        self.assertEqual((status, error_of(resp)[0]), (403, "AccessDenied"), resp)
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket="signed-forms", Key="tampered.txt")

    def test_other_posts_still_need_a_signature(self):
        # DeleteObjects is a bucket POST too: unsigned, it is refused before anything runs.
        self.s3.put_object(Bucket="signed-forms", Key="keep.txt", Body=b"k")
        doc = b"<Delete><Object><Key>keep.txt</Key></Object></Delete>"
        md5 = base64.b64encode(hashlib.md5(doc).digest()).decode()
        parsed = urllib.parse.urlparse(self.tarmac.edge)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("POST", "/signed-forms?delete", body=doc,
                     headers={"Content-Type": "multipart/form-data; boundary=x",
                              "Content-MD5": md5})
        r = conn.getresponse()
        r.read()
        conn.close()
        self.assertEqual(r.status, 403)
        self.s3.head_object(Bucket="signed-forms", Key="keep.txt")


HANDLER = r'''
import json

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    record = event["Records"][0]
    s3.put_object(Bucket="seen", Key=record["s3"]["object"]["key"],
                  Body=json.dumps(event).encode())
    return {"ok": True}
'''


class S3PostNotificationTest(unittest.TestCase):
    def test_object_created_post_reaches_a_function(self):
        with Tarmac() as t:
            fn = python_function(self, t, "on-post", HANDLER)
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="inbox")
            s3.create_bucket(Bucket="seen")
            s3.put_bucket_notification_configuration(Bucket="inbox", NotificationConfiguration={
                "LambdaFunctionConfigurations": [{"LambdaFunctionArn": fn["FunctionArn"],
                                                  "Events": ["s3:ObjectCreated:Post"]}]})
            s3.put_object(Bucket="inbox", Key="put.txt", Body=b"not a post")  # filtered out
            p = s3.generate_presigned_post("inbox", "form/${filename}")
            status, _, body = post_form(p, b"posted", "a.txt")
            self.assertEqual(status, 204, body)
            deadline = time.monotonic() + 60
            event = None
            while time.monotonic() < deadline and event is None:
                try:
                    event = json.loads(s3.get_object(Bucket="seen", Key="form/a.txt")["Body"]
                                       .read())
                except s3.exceptions.NoSuchKey:
                    time.sleep(0.3)
            self.assertIsNotNone(event, "the function never wrote its record")
            record = event["Records"][0]
            self.assertEqual(record["eventName"], "ObjectCreated:Post")
            self.assertEqual(record["s3"]["bucket"]["name"], "inbox")
            self.assertEqual(record["s3"]["object"]["size"], 6)
            self.assertEqual(record["s3"]["object"]["eTag"], hashlib.md5(b"posted").hexdigest())
            time.sleep(1)
            listed = s3.list_objects_v2(Bucket="seen").get("Contents", [])
            self.assertEqual([o["Key"] for o in listed], ["form/a.txt"])


if __name__ == "__main__":
    unittest.main()
