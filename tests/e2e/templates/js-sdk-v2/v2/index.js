// The JavaScript SDK v2 knows nothing of AWS_ENDPOINT_URL.
const S3 = require('aws-sdk/clients/s3');

exports.handler = async () => {
  const out = await new S3({ region: process.env.AWS_REGION }).listBuckets().promise();
  return out.Buckets.map((b) => b.Name);
};
