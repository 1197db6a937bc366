// S3 lifecycle configurations through the AWS SDK for JavaScript v3 (test_s3_lifecycle.py).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutBucketLifecycleConfigurationCommand,
  GetBucketLifecycleConfigurationCommand, PutObjectCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "lcjs";
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: {
    Rules: [{ ID: "old", Status: "Enabled", Filter: { Prefix: "old/" }, Expiration: { Days: 7 } }],
  } }));
  const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
  assert.equal(got.Rules[0].Expiration.Days, 7);
  const put = await s3.send(new PutObjectCommand({ Bucket, Key: "old/x", Body: "x" }));
  assert.match(put.Expiration, /rule-id="old"/);
  console.log("ok lifecycle");
}

main().catch((e) => { console.error(e); process.exit(1); });
