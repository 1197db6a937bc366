import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const s3 = new S3Client({ forcePathStyle: true });

export const lambdaHandler = async () => {
  DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const out = await s3.send(new ListBucketsCommand({}));
  return { statusCode: 200, body: JSON.stringify({ buckets: (out.Buckets || []).map((b) => b.Name) }) };
};
