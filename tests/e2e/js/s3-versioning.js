// S3 versioning through the AWS SDK for JavaScript v3 (test_s3_versioning.py runs it).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutBucketVersioningCommand, GetBucketVersioningCommand,
  PutObjectCommand, GetObjectCommand, DeleteObjectCommand, ListObjectVersionsCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "vjs";
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutBucketVersioningCommand({
    Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status, "Enabled");
  const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "one" }))).VersionId;
  const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "two" }))).VersionId;
  assert.ok(v1 && v2 && v1 !== v2);
  const old = await s3.send(new GetObjectCommand({ Bucket, Key: "k", VersionId: v1 }));
  assert.equal(await old.Body.transformToString(), "one");
  assert.equal(old.VersionId, v1);
  const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: "k" }));
  assert.equal(marker.DeleteMarker, true);
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  assert.deepEqual(listed.Versions.map((v) => v.VersionId), [v2, v1]);
  assert.equal(listed.DeleteMarkers[0].VersionId, marker.VersionId);
  assert.equal(listed.DeleteMarkers[0].IsLatest, true);
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket, Key: "k" })),
    (e) => e.name === "NoSuchKey");
  console.log("ok versioning");
}

main().catch((e) => { console.error(e); process.exit(1); });
