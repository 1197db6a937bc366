// Drives Tarmac's SQS with the AWS SDK for JavaScript v3, unmodified: @aws-sdk/client-sqs
// checks the MD5 of every body and of the message attributes it sends and receives, and sends
// each request to the QueueUrl's origin.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node sqs-sdk.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const {
  SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, GetQueueAttributesCommand, DeleteQueueCommand,
  QueueDoesNotExist,
} = require('@aws-sdk/client-sqs');

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const sqs = new SQSClient({
  endpoint: edge, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

async function main() {
  let checks = 0;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'js-orders' }));
  assert.match(QueueUrl, /\/000000000000\/js-orders$/);
  const attributes = {
    kind: { DataType: 'String', StringValue: 'email' },
    size: { DataType: 'Number.int', StringValue: '42' },
    blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
  };
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'héllo wörld ✓', MessageAttributes: attributes,
  }));
  assert.ok(sent.MessageId && sent.MD5OfMessageAttributes); checks++;
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl,
    Entries: [{ Id: 'a', MessageBody: 'one' }, { Id: 'b', MessageBody: 'two', DelaySeconds: 0 }],
  }));
  assert.equal(batch.Successful.length, 2); checks++;
  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 1,
  }));
  assert.equal(got.Messages.length, 3); checks++;
  const first = got.Messages.find((m) => m.MessageId === sent.MessageId);
  assert.equal(first.Body, 'héllo wörld ✓');
  assert.deepEqual(Buffer.from(first.MessageAttributes.blob.BinaryValue), Buffer.from([0, 1, 2, 255]));
  assert.equal(first.Attributes.ApproximateReceiveCount, '1'); checks++;
  for (const m of got.Messages)
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  assert.equal(counts.Attributes.ApproximateNumberOfMessages, '0'); checks++;
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })),
    (e) => e instanceof QueueDoesNotExist || e.name === 'QueueDoesNotExist'); checks++;
  console.log(`ok ${checks}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
