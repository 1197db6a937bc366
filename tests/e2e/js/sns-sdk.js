// Drives SNS with the AWS SDK for JavaScript v3, unmodified: @aws-sdk/client-sns for topics,
// subscriptions (to a queue made with @aws-sdk/client-sqs), Publish with message attributes,
// PublishBatch, the filter policy in action, and the errors as the SDK's exception classes.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node sns-sdk.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand,
  GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, DeleteTopicCommand,
  NotFoundException, InvalidParameterException,
} = require('@aws-sdk/client-sns');
const {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand,
} = require('@aws-sdk/client-sqs');

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const config = {
  endpoint: edge, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const sns = new SNSClient(config);
const sqs = new SQSClient(config);
const suffix = `${process.pid}-${Date.now()}`;

async function main() {
  let checks = 0;
  const { TopicArn } = await sns.send(new CreateTopicCommand({
    Name: `js-topic-${suffix}`, Tags: [{ Key: 'sdk', Value: 'js' }],
  }));
  assert.match(TopicArn, /^arn:aws:sns:us-east-1:000000000000:js-topic-/); checks++;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `js-q-${suffix}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl, AttributeNames: ['QueueArn'],
  }));
  const sub = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: Attributes.QueueArn, ReturnSubscriptionArn: true,
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ n: [{ numeric: ['>=', 2] }] }) },
  }));
  assert.ok(sub.SubscriptionArn.startsWith(`${TopicArn}:`)); checks++;
  const one = await sns.send(new PublishCommand({
    TopicArn, Message: 'one', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } },
  }));
  assert.match(one.MessageId, /^[0-9a-f-]{36}$/); checks++;
  const batch = await sns.send(new PublishBatchCommand({
    TopicArn,
    PublishBatchRequestEntries: [2, 3].map((n) => ({
      Id: `m${n}`, Message: `msg ${n}`,
      MessageAttributes: { n: { DataType: 'Number', StringValue: String(n) } },
    })),
  }));
  assert.deepEqual(batch.Successful.map((s) => s.Id), ['m2', 'm3']); checks++;
  assert.deepEqual(batch.Failed ?? [], []); checks++;
  const bodies = [];
  for (let i = 0; i < 10 && bodies.length < 2; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'],
    }));
    for (const m of r.Messages ?? []) bodies.push(m.Body);
  }
  assert.deepEqual(bodies.sort(), ['msg 2', 'msg 3']); checks++;
  const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(attrs.Attributes.SubscriptionsConfirmed, '1'); checks++;
  const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(listed.Subscriptions.length, 1); checks++;
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: `${TopicArn}-gone`, Message: 'x' })),
    (e) => e instanceof NotFoundException && e.message === 'Topic does not exist'); checks++;
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: '' })),
    (e) => e instanceof InvalidParameterException); checks++;
  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn })),
    (e) => e instanceof NotFoundException); checks++;
  console.log(`ok ${checks}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
