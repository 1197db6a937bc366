"""S3 with the AWS SDK for JavaScript v3 (client-s3, lib-storage, s3-request-presigner)."""
import os
import shutil
import subprocess
import unittest

from harness import Tarmac

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


class S3JavaScriptSdkTest(unittest.TestCase):
    def test_sdk_v3(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-s3")):
            self.skipTest("run tools/install-deps --with-tests to install the JS clients")
        with Tarmac() as t:
            env = dict(os.environ, TARMAC_EDGE=t.edge, AWS_ACCESS_KEY_ID="test",
                       AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
            r = subprocess.run(["node", "s3-sdk.js"], cwd=JS_DIR, env=env, capture_output=True,
                               text=True, timeout=180, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"^ok \d+")


if __name__ == "__main__":
    unittest.main()
