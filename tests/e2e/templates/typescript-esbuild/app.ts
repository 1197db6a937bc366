import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { greet, Greeting } from './lib/greet';

const s3 = new S3Client({ forcePathStyle: true });

export const lambdaHandler = async (event: { name?: string }): Promise<Greeting & { buckets: number }> => {
  const out = await s3.send(new ListBucketsCommand({}));
  return { ...greet(event.name ?? 'world'), buckets: (out.Buckets ?? []).length };
};
