// Drives Tarmac's SQS over the query protocol (form-encoded Action=… requests, XML answers)
// with an unmodified AWS SDK for JavaScript v3 from before SQS's JSON protocol: @aws-sdk/
// client-sqs 3.430.0, installed as "client-sqs-query". It checks the MD5 of every body and of
// the message attributes, as the current SDK does.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node sqs-query.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const sqsModule = require('client-sqs-query');
const {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SendMessageCommand,
  SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand,
  SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand, ListQueueTagsCommand,
  PurgeQueueCommand, ListDeadLetterSourceQueuesCommand, StartMessageMoveTaskCommand,
  ListMessageMoveTasksCommand, DeleteQueueCommand, QueueDoesNotExist, QueueNameExists,
  AddPermissionCommand, RemovePermissionCommand,
} = sqsModule;

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const sqs = new SQSClient({
  endpoint: edge, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

async function main() {
  let checks = 0;
  // The client must really be a query-protocol one.
  const protocolFile = require.resolve('client-sqs-query/dist-cjs/protocols/Aws_query.js');
  assert.ok(protocolFile); checks++;

  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: 'q-orders', Attributes: { VisibilityTimeout: '30' }, tags: { team: 'red' },
  }));
  assert.match(QueueUrl, /\/000000000000\/q-orders$/); checks++;
  await assert.rejects(sqs.send(new CreateQueueCommand({
    QueueName: 'q-orders', Attributes: { VisibilityTimeout: '5' },
  })), (e) => e instanceof QueueNameExists || e.name === 'QueueNameExists'); checks++;
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'q-orders' }))).QueueUrl,
    QueueUrl); checks++;
  const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'q-' }));
  assert.deepEqual(listed.QueueUrls, [QueueUrl]); checks++;

  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: '0', VisibilityTimeout: '40' } }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl, AttributeNames: ['VisibilityTimeout', 'QueueArn'],
  }));
  assert.equal(attrs.Attributes.VisibilityTimeout, '40');
  assert.equal(attrs.Attributes.QueueArn, 'arn:aws:sqs:us-east-1:000000000000:q-orders'); checks++;

  const attributes = {
    kind: { DataType: 'String', StringValue: 'email <&> "quoted"' },
    size: { DataType: 'Number.int', StringValue: '42' },
    blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
  };
  const body = 'héllo wörld ✓ <xml> & "quotes"\r\nsecond line';
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes: attributes }));
  assert.ok(sent.MessageId && sent.MD5OfMessageAttributes); checks++;
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl,
    Entries: [{ Id: 'a', MessageBody: 'one' }, { Id: 'b', MessageBody: 'two', DelaySeconds: 0 }],
  }));
  assert.equal(batch.Successful.length, 2);
  assert.equal((batch.Failed || []).length, 0); checks++;

  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], AttributeNames: ['All'],
    WaitTimeSeconds: 1,
  }));
  assert.equal(got.Messages.length, 3); checks++;
  const first = got.Messages.find((m) => m.MessageId === sent.MessageId);
  assert.equal(first.Body, body);
  assert.equal(first.MessageAttributes.kind.StringValue, 'email <&> "quoted"');
  assert.deepEqual(Buffer.from(first.MessageAttributes.blob.BinaryValue), Buffer.from([0, 1, 2, 255]));
  assert.equal(first.Attributes.ApproximateReceiveCount, '1'); checks++;

  // Visibility: one back at once, one by batch, then deletes one by one and in a batch.
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, AttributeNames: ['ApproximateReceiveCount'], WaitTimeSeconds: 1 }));
  assert.equal(again.Messages[0].MessageId, sent.MessageId);
  assert.equal(again.Messages[0].Attributes.ApproximateReceiveCount, '2'); checks++;
  const others = got.Messages.filter((m) => m.MessageId !== sent.MessageId);
  const changed = await sqs.send(new ChangeMessageVisibilityBatchCommand({
    QueueUrl, Entries: others.map((m, i) => ({ Id: `c${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60 })),
  }));
  assert.equal(changed.Successful.length, 2); checks++;
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages[0].ReceiptHandle }));
  const deleted = await sqs.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: [...others.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      { Id: 'bad', ReceiptHandle: 'not-a-handle' }],
  }));
  assert.equal(deleted.Successful.length, 2);
  assert.equal(deleted.Failed.length, 1);
  assert.equal(deleted.Failed[0].Code, 'ReceiptHandleIsInvalid');
  assert.equal(deleted.Failed[0].SenderFault, true); checks++;
  const counts = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  assert.equal(counts.Attributes.ApproximateNumberOfMessages, '0');
  assert.equal(counts.Attributes.ApproximateNumberOfMessagesNotVisible, '0'); checks++;

  // Tags.
  await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'dev', owner: 'me' } }));
  await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['owner'] }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { env: 'dev', team: 'red' }); checks++;

  // Permissions: AWSAccountId.N and ActionName.N on the wire, a statement in Policy.
  await sqs.send(new AddPermissionCommand({
    QueueUrl, Label: 'partner', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'],
  }));
  const policy = JSON.parse((await sqs.send(new GetQueueAttributesCommand({
    QueueUrl, AttributeNames: ['Policy'] }))).Attributes.Policy);
  assert.equal(policy.Statement[0].Principal.AWS, 'arn:aws:iam::111122223333:root');
  assert.equal(policy.Statement[0].Action, 'SQS:SendMessage');
  await sqs.send(new RemovePermissionCommand({ QueueUrl, Label: 'partner' })); checks++;

  // A dead-letter queue, its source, and a move task back to the source.
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'q-orders-dlq' }))).QueueUrl;
  const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:q-orders-dlq';
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: {
    VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
  } }));
  assert.deepEqual((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls, [QueueUrl]); checks++;
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
  // The second receive moves it to the dead-letter queue (received once already).
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, VisibilityTimeout: 0 }));
  assert.equal(dead.Messages[0].Body, 'poison'); checks++;
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  assert.ok(TaskHandle);
  const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));
  assert.equal(tasks.Results[0].Status, 'COMPLETED');
  assert.equal(tasks.Results[0].ApproximateNumberOfMessagesMoved, 1); checks++;
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: '' } }));
  const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  assert.equal(back.Messages[0].Body, 'poison'); checks++;

  await sqs.send(new PurgeQueueCommand({ QueueUrl }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  // The 3.430 model lists QueueDoesNotExist for GetQueueUrl; other operations report the
  // legacy code itself, as the XML carries it.
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })),
    (e) => e.name === 'AWS.SimpleQueueService.NonExistentQueue'
      && e.$metadata.httpStatusCode === 400); checks++;
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'q-orders' })),
    (e) => e instanceof QueueDoesNotExist || e.name === 'QueueDoesNotExist'); checks++;
  console.log(`ok ${checks}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
