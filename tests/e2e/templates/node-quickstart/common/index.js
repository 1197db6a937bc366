const { S3Client, ListBucketsCommand } = require('@aws-sdk/client-s3');

exports.handler = async () => {
  const out = await new S3Client({ forcePathStyle: true }).send(new ListBucketsCommand({}));
  return { bucketCount: (out.Buckets || []).length };
};
