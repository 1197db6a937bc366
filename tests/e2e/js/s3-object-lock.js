// S3 object lock through the AWS SDK for JavaScript v3 (test_s3_object_lock.py runs it).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutObjectCommand, DeleteObjectCommand,
  PutObjectLegalHoldCommand, GetObjectLegalHoldCommand, GetObjectLockConfigurationCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "lockjs";
  await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  const config = await s3.send(new GetObjectLockConfigurationCommand({ Bucket }));
  assert.equal(config.ObjectLockConfiguration.ObjectLockEnabled, "Enabled");
  const { VersionId } = await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "x" }));
  await s3.send(new PutObjectLegalHoldCommand({
    Bucket, Key: "k", VersionId, LegalHold: { Status: "ON" } }));
  const hold = await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: "k", VersionId }));
  assert.equal(hold.LegalHold.Status, "ON");
  await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId })),
    (e) => e.$metadata.httpStatusCode === 403);
  await s3.send(new PutObjectLegalHoldCommand({
    Bucket, Key: "k", VersionId, LegalHold: { Status: "OFF" } }));
  await s3.send(new DeleteObjectCommand({ Bucket, Key: "k", VersionId }));
  console.log("ok object lock");
}

main().catch((e) => { console.error(e); process.exit(1); });
