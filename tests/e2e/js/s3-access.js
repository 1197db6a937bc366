// S3 ACLs, bucket policies and ownership controls through the AWS SDK for JavaScript v3
// (test_s3_access.py runs it).
const assert = require("node:assert/strict");
const {
  S3Client, CreateBucketCommand, PutBucketPolicyCommand, GetBucketPolicyCommand,
  GetBucketAclCommand, PutBucketOwnershipControlsCommand, GetBucketOwnershipControlsCommand,
  DeletePublicAccessBlockCommand, GetBucketPolicyStatusCommand,
} = require("@aws-sdk/client-s3");

async function main() {
  const s3 = new S3Client({ endpoint: process.env.TARMAC_EDGE, forcePathStyle: true });
  const Bucket = "accjs";
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
  const Policy = JSON.stringify({ Version: "2012-10-17", Statement: [{
    Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${Bucket}/*` }] });
  await s3.send(new PutBucketPolicyCommand({ Bucket, Policy }));
  assert.deepEqual(JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy),
    JSON.parse(Policy));
  const status = await s3.send(new GetBucketPolicyStatusCommand({ Bucket }));
  assert.equal(status.PolicyStatus.IsPublic, true);
  await s3.send(new PutBucketOwnershipControlsCommand({
    Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } }));
  const own = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }));
  assert.equal(own.OwnershipControls.Rules[0].ObjectOwnership, "ObjectWriter");
  const acl = await s3.send(new GetBucketAclCommand({ Bucket }));
  assert.equal(acl.Grants[0].Permission, "FULL_CONTROL");
  console.log("ok access");
}

main().catch((e) => { console.error(e); process.exit(1); });
