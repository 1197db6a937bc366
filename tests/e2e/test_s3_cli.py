"""S3 through the aws CLI (`aws s3` and `aws s3api`) against the real `tarmac serve`."""
import filecmp
import hashlib
import json
import os
import subprocess
import tempfile
import unittest

from harness import Tarmac


class S3CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tarmac = Tarmac().start()
        cls.env = cls.tarmac.client_env()
        cls.tmp = tempfile.TemporaryDirectory(prefix="tarmac-s3-cli-")

    @classmethod
    def tearDownClass(cls):
        cls.tarmac.stop()
        cls.tmp.cleanup()

    def aws(self, *args, check=True):
        r = subprocess.run(["aws", *args], env=self.env, capture_output=True, text=True,
                           timeout=240, stdin=subprocess.DEVNULL)
        if check:
            self.assertEqual(r.returncode, 0, "aws %s\n%s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def path(self, *parts):
        return os.path.join(self.tmp.name, *parts)

    def test_mb_cp_ls_rm_rb(self):
        self.aws("s3", "mb", "s3://cli-basic")
        with open(self.path("hello.txt"), "w") as f:
            f.write("hello from the cli\n")
        self.aws("s3", "cp", self.path("hello.txt"), "s3://cli-basic/docs/hello.txt")
        self.aws("s3", "cp", self.path("hello.txt"), "s3://cli-basic/top.txt")
        ls = self.aws("s3", "ls").stdout
        self.assertIn("cli-basic", ls)
        ls = self.aws("s3", "ls", "s3://cli-basic/").stdout
        self.assertIn("PRE docs/", ls)
        self.assertIn("top.txt", ls)
        ls = self.aws("s3", "ls", "--recursive", "s3://cli-basic").stdout
        self.assertIn("docs/hello.txt", ls)
        self.aws("s3", "cp", "s3://cli-basic/docs/hello.txt", self.path("back.txt"))
        self.assertTrue(filecmp.cmp(self.path("hello.txt"), self.path("back.txt"), shallow=False))
        # s3-to-s3 copy uses CopyObject; mv deletes the source.
        self.aws("s3", "cp", "s3://cli-basic/top.txt", "s3://cli-basic/copied.txt")
        self.aws("s3", "mv", "s3://cli-basic/copied.txt", "s3://cli-basic/moved.txt")
        ls = self.aws("s3", "ls", "s3://cli-basic/").stdout
        self.assertIn("moved.txt", ls)
        self.assertNotIn("copied.txt", ls)
        r = self.aws("s3", "rb", "s3://cli-basic", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("BucketNotEmpty", r.stderr)
        self.aws("s3", "rm", "--recursive", "s3://cli-basic")
        self.assertEqual(self.aws("s3", "ls", "s3://cli-basic").stdout.strip(), "")
        self.aws("s3", "rb", "s3://cli-basic")
        r = self.aws("s3", "ls", "s3://cli-basic", check=False)
        self.assertIn("NoSuchBucket", r.stderr)

    def test_sync_nested_folder_roundtrip(self):
        src = self.path("sync-src")
        files = {}
        for i, rel in enumerate(["a.txt", "sub/b.bin", "sub/deeper/c.json", "sub/deeper/d d.txt",
                                 "x/y/z/e+f.dat", "empty.txt", "unicode-ü/ñ.txt"]):
            full = os.path.join(src, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            data = b"" if rel == "empty.txt" else os.urandom(1000 * (i + 1) + i)
            with open(full, "wb") as f:
                f.write(data)
            files[rel] = hashlib.sha256(data).hexdigest()
        self.aws("s3", "mb", "s3://cli-sync")
        self.aws("s3", "sync", src, "s3://cli-sync/tree")
        listed = self.aws("s3", "ls", "--recursive", "s3://cli-sync/tree/").stdout
        self.assertEqual(len(listed.strip().splitlines()), len(files))
        # A second sync uploads nothing.
        again = self.aws("s3", "sync", src, "s3://cli-sync/tree").stdout
        self.assertNotIn("upload:", again)
        back = self.path("sync-back")
        self.aws("s3", "sync", "s3://cli-sync/tree", back)
        got = {}
        for root, _, names in os.walk(back):
            for n in names:
                full = os.path.join(root, n)
                with open(full, "rb") as f:
                    got[os.path.relpath(full, back)] = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(got, files)
        # --delete removes what is gone locally.
        os.remove(os.path.join(src, "a.txt"))
        self.aws("s3", "sync", "--delete", src, "s3://cli-sync/tree")
        listed = self.aws("s3", "ls", "--recursive", "s3://cli-sync/tree/").stdout
        self.assertNotIn("tree/a.txt", listed)

    def test_100_mib_multipart_cp(self):
        big = self.path("big.bin")
        h = hashlib.sha256()
        with open(big, "wb") as f:
            for _ in range(100):
                chunk = os.urandom(1024 * 1024)
                h.update(chunk)
                f.write(chunk)
        self.aws("s3", "mb", "s3://cli-big")
        self.aws("s3", "cp", big, "s3://cli-big/big.bin")
        head = json.loads(self.aws("s3api", "head-object", "--bucket", "cli-big",
                                   "--key", "big.bin").stdout)
        self.assertEqual(head["ContentLength"], 100 * 1024 * 1024)
        self.assertTrue(head["ETag"].endswith('-13"'), head["ETag"])  # 8 MiB parts
        self.aws("s3", "cp", "s3://cli-big/big.bin", self.path("big-back.bin"))
        with open(self.path("big-back.bin"), "rb") as f:
            back = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                back.update(chunk)
        self.assertEqual(back.hexdigest(), h.hexdigest())
        uploads = json.loads(self.aws("s3api", "list-multipart-uploads", "--bucket",
                                      "cli-big").stdout or "{}")
        self.assertEqual(uploads.get("Uploads", []), [])

    def test_s3api_operations(self):
        self.aws("s3api", "create-bucket", "--bucket", "cli-api")
        with open(self.path("api.txt"), "w") as f:
            f.write("api body")
        self.aws("s3api", "put-object", "--bucket", "cli-api", "--key", "k", "--body",
                 self.path("api.txt"), "--metadata", "a=b", "--content-type", "text/plain",
                 "--tagging", "t=1")
        head = json.loads(self.aws("s3api", "head-object", "--bucket", "cli-api", "--key", "k").stdout)
        self.assertEqual(head["Metadata"], {"a": "b"})
        self.assertEqual(head["ContentType"], "text/plain")
        tags = json.loads(self.aws("s3api", "get-object-tagging", "--bucket", "cli-api",
                                   "--key", "k").stdout)
        self.assertEqual(tags["TagSet"], [{"Key": "t", "Value": "1"}])
        listing = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", "cli-api").stdout)
        self.assertEqual([o["Key"] for o in listing["Contents"]], ["k"])
        r = self.aws("s3api", "get-object", "--bucket", "cli-api", "--key", "missing",
                     self.path("missing"), check=False)
        self.assertIn("NoSuchKey", r.stderr)
        self.aws("s3api", "delete-object", "--bucket", "cli-api", "--key", "k")
        self.aws("s3api", "delete-bucket", "--bucket", "cli-api")
        r = self.aws("s3api", "head-bucket", "--bucket", "cli-api", check=False)
        self.assertIn("404", r.stderr)


if __name__ == "__main__":
    unittest.main()
