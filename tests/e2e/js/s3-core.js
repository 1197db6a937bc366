// S3 core paths and GetObjectAttributes through the AWS SDK for JavaScript v3
// (test_s3_core.py runs it).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectAttributesCommand,
  ListObjectsV2Command, ListBucketsCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "corejs";
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "abcd" }));
  const attrs = await s3.send(new GetObjectAttributesCommand({
    Bucket, Key: "k", ObjectAttributes: ["ObjectSize", "StorageClass"] }));
  assert.equal(attrs.ObjectSize, 4);
  assert.equal(attrs.StorageClass, "STANDARD");
  const none = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
  assert.equal(none.IsTruncated, false);
  const page = await s3.send(new ListBucketsCommand({ MaxBuckets: 1 }));
  assert.equal(page.Buckets.length, 1);
  console.log("ok core");
}

main().catch((e) => { console.error(e); process.exit(1); });
