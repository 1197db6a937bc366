// S3 server-side encryption through the AWS SDK for JavaScript v3 (test_s3_sse.py runs it).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "ssejs";
  await s3.send(new CreateBucketCommand({ Bucket }));
  const SSECustomerKey = "abcdefghijklmnopqrstuvwxyz012345"; // the SDK encodes and digests it
  const put = await s3.send(new PutObjectCommand({
    Bucket, Key: "c", Body: "js secret", SSECustomerAlgorithm: "AES256", SSECustomerKey }));
  assert.equal(put.SSECustomerAlgorithm, "AES256");
  const got = await s3.send(new GetObjectCommand({
    Bucket, Key: "c", SSECustomerAlgorithm: "AES256", SSECustomerKey }));
  assert.equal(await got.Body.transformToString(), "js secret");
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket, Key: "c" })),
    (e) => e.$metadata.httpStatusCode === 400);
  const kms = await s3.send(new PutObjectCommand({
    Bucket, Key: "k", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/js" }));
  assert.equal(kms.ServerSideEncryption, "aws:kms");
  console.log("ok sse");
}

main().catch((e) => { console.error(e); process.exit(1); });
