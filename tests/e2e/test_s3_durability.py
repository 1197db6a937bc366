"""S3 state survives restarts and crashes: nothing acknowledged is lost, nothing half-written
is ever visible."""
import concurrent.futures
import hashlib
import os
import socket
import tempfile
import threading
import time
import unittest
import urllib.parse

import botocore.exceptions

from harness import Tarmac, boto3_client


def blob_names(state):
    root = os.path.join(state, "blobs")
    return {shard + name for shard in os.listdir(root) if len(shard) == 2
            for name in os.listdir(os.path.join(root, shard))}


class S3DurabilityTest(unittest.TestCase):
    def test_unreferenced_blobs_are_collected(self):
        from lambda_support import ROLE, make_zip
        # Bodies over 64 KiB live in the blob folder, named by their SHA-256.
        a, b, c = (os.urandom(200 * 1024) for _ in range(3))
        sha = {k: hashlib.sha256(v).hexdigest() for k, v in (("a", a), ("b", b), ("c", c))}
        with Tarmac(env={"TARMAC_BLOB_GC_MIN_AGE_S": "0"}) as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="gc-bucket")
            s3.put_object(Bucket="gc-bucket", Key="kept", Body=a)
            s3.put_object(Bucket="gc-bucket", Key="kept", Body=b)      # a is no longer referenced
            s3.put_object(Bucket="gc-bucket", Key="deleted", Body=c)
            s3.delete_object(Bucket="gc-bucket", Key="deleted")         # neither is c
            zip_bytes = make_zip({"app.py": "def handler(e, c):\n    return 1\n" + "#" * 70000})
            boto3_client(t, "lambda").create_function(
                FunctionName="gc-fn", Runtime="python3.11", Handler="app.handler", Role=ROLE,
                Code={"ZipFile": zip_bytes})
            package = hashlib.sha256(zip_bytes).hexdigest()
            self.assertTrue({sha["a"], sha["b"], sha["c"], package} <= blob_names(t.state))
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and blob_names(t.state) & {sha["a"], sha["c"]}:
                time.sleep(0.2)
            left = blob_names(t.state)
            self.assertNotIn(sha["a"], left)
            self.assertNotIn(sha["c"], left)
            self.assertIn(sha["b"], left)
            self.assertIn(package, left)
            self.assertEqual(s3.get_object(Bucket="gc-bucket", Key="kept")["Body"].read(), b)

    def test_small_body_log_is_compacted(self):
        # Bodies up to 64 KiB are records in STATE/s3/log; 4 KiB segments make each 3 KiB
        # body a segment of its own.
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-s3-log-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        env = {"TARMAC_S3_LOG_SEGMENT_BYTES": "4096"}
        log = os.path.join(state, "s3", "log")
        bodies = {"k%02d" % i: os.urandom(3000) for i in range(30)}
        with Tarmac(state=state, env=env) as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="log")
            for key, body in bodies.items():
                s3.put_object(Bucket="log", Key=key, Body=body)
            for i in range(20):
                s3.delete_object(Bucket="log", Key="k%02d" % i)
                del bodies["k%02d" % i]
            self.assertGreaterEqual(len(os.listdir(log)), 30)
        # The next start's collection (two seconds in) removes the 20 dead segments.
        with Tarmac(state=state, env=env) as t:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and len(os.listdir(log)) > 10:
                time.sleep(0.2)
            self.assertEqual(len(os.listdir(log)), 10)
            s3 = boto3_client(t, "s3")
            for key, body in bodies.items():
                self.assertEqual(s3.get_object(Bucket="log", Key=key)["Body"].read(), body)
            s3.put_object(Bucket="log", Key="after", Body=b"after")
            self.assertEqual(s3.get_object(Bucket="log", Key="after")["Body"].read(), b"after")

    def test_restart_keeps_everything(self):
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-s3-restart-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        with Tarmac(state=state) as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="keep")
            s3.put_bucket_tagging(Bucket="keep", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
            s3.put_bucket_cors(Bucket="keep", CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
            body = os.urandom(300_000)
            s3.put_object(Bucket="keep", Key="dir/obj", Body=body, ContentType="x/y",
                          Metadata={"k": "v"}, Tagging="t=1")
            uid = s3.create_multipart_upload(Bucket="keep", Key="mpu", Metadata={"m": "1"})["UploadId"]
            part1 = os.urandom(5 * 1024 * 1024)
            e1 = s3.upload_part(Bucket="keep", Key="mpu", UploadId=uid, PartNumber=1,
                                Body=part1)["ETag"]
            self.assertEqual(t.stop(), 0)
        t2 = Tarmac(state=state).start()
        try:
            s3 = boto3_client(t2, "s3")
            self.assertIn("keep", [b["Name"] for b in s3.list_buckets()["Buckets"]])
            got = s3.get_object(Bucket="keep", Key="dir/obj")
            self.assertEqual(got["Body"].read(), body)
            self.assertEqual(got["ContentType"], "x/y")
            self.assertEqual(got["Metadata"], {"k": "v"})
            self.assertEqual(got["TagCount"], 1)
            self.assertEqual(s3.get_bucket_tagging(Bucket="keep")["TagSet"],
                             [{"Key": "a", "Value": "b"}])
            self.assertEqual(len(s3.get_bucket_cors(Bucket="keep")["CORSRules"]), 1)
            uploads = s3.list_multipart_uploads(Bucket="keep")["Uploads"]
            self.assertEqual([u["UploadId"] for u in uploads], [uid])
            parts = s3.list_parts(Bucket="keep", Key="mpu", UploadId=uid)["Parts"]
            self.assertEqual([(p["PartNumber"], p["ETag"]) for p in parts], [(1, e1)])
            e2 = s3.upload_part(Bucket="keep", Key="mpu", UploadId=uid, PartNumber=2,
                                Body=b"last")["ETag"]
            s3.complete_multipart_upload(Bucket="keep", Key="mpu", UploadId=uid, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
            got = s3.get_object(Bucket="keep", Key="mpu")
            self.assertEqual(got["Body"].read(), part1 + b"last")
            self.assertEqual(got["Metadata"], {"m": "1"})
        finally:
            t2.stop()

    def test_kill9_during_put_burst(self):
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-s3-kill9-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        t = Tarmac(state=state).start()
        s3 = boto3_client(t, "s3")
        s3.create_bucket(Bucket="burst")
        acknowledged = {}
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n):
            client = boto3_client(t, "s3")
            i = 0
            while not stop.is_set():
                key = "w%d/%05d" % (n, i)
                body = os.urandom(1000 + (i * 7919) % 200_000)
                try:
                    client.put_object(Bucket="burst", Key=key, Body=body)
                except Exception:
                    return  # the server died under us
                with lock:
                    acknowledged[key] = hashlib.md5(body).hexdigest()
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for th in threads:
            th.start()
        time.sleep(2.0)
        t.kill9()
        stop.set()
        for th in threads:
            th.join(30)
        self.assertGreater(len(acknowledged), 20)
        with Tarmac(state=state) as t2:
            s3 = boto3_client(t2, "s3")
            listed = {}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="burst"):
                for o in page.get("Contents", []):
                    listed[o["Key"]] = o["ETag"].strip('"')
            for key, md5 in acknowledged.items():
                self.assertEqual(listed.get(key), md5, "acknowledged %s lost" % key)
            # Whatever is listed (acknowledged or not) is whole and readable.
            for key, etag in listed.items():
                data = s3.get_object(Bucket="burst", Key=key)["Body"].read()
                self.assertEqual(hashlib.md5(data).hexdigest(), etag, key)

    def test_uploads_cut_off_leave_nothing(self):
        with Tarmac() as t:
            s3 = boto3_client(t, "s3")
            s3.create_bucket(Bucket="cut")
            host, port = urllib.parse.urlparse(t.edge).netloc.split(":")
            uid = s3.create_multipart_upload(Bucket="cut", Key="mpu")["UploadId"]

            def send_and_drop(head, body):
                sock = socket.create_connection((host, int(port)))
                sock.sendall(head + body)
                time.sleep(0.2)
                sock.close()

            big = 8 * 1024 * 1024  # above the spool threshold, so it goes to disk first
            for size in [100_000, big]:
                head = (b"PUT /cut/plain-%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                        % (size, size))
                send_and_drop(head, os.urandom(size // 2))
            head = (b"PUT /cut/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    b"Content-Encoding: aws-chunked\r\n"
                    b"x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n"
                    b"x-amz-decoded-content-length: 100000\r\n\r\n")
            send_and_drop(head, b"4000\r\n" + b"%x\r\n" % 50000 + os.urandom(50000))
            head = (b"PUT /cut/mpu?partNumber=1&uploadId=%s HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: %d\r\n\r\n" % (uid.encode(), big))
            send_and_drop(head, os.urandom(big // 3))
            time.sleep(0.5)
            self.assertEqual(s3.list_objects_v2(Bucket="cut").get("KeyCount"), 0)
            for key in ["plain-100000", "plain-%d" % big, "chunked"]:
                with self.assertRaises(botocore.exceptions.ClientError):
                    s3.head_object(Bucket="cut", Key=key)
            self.assertEqual(s3.list_parts(Bucket="cut", Key="mpu", UploadId=uid).get("Parts", []),
                             [])
            # No staged leftovers either.
            staging = os.path.join(t.state, "s3", "tmp")
            self.assertEqual(os.listdir(staging), [])
            parts = os.path.join(t.state, "s3", "parts")
            self.assertEqual([f for _, _, fs in os.walk(parts) for f in fs], [])


if __name__ == "__main__":
    unittest.main()
