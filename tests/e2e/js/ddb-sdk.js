// Drives DynamoDB with the AWS SDK for JavaScript v3, unmodified: @aws-sdk/client-dynamodb for
// the table and @aws-sdk/lib-dynamodb's DynamoDBDocumentClient (which marshals plain values:
// numbers, Sets, Uint8Arrays, nested maps and lists) for Put, Get, Update with ALL_NEW, Query
// with a key condition and pages, TransactWrite (and its cancellation reasons), BatchWrite and
// Delete; and the errors as the SDK's exception classes.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node ddb-sdk.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, DeleteTableCommand,
  ConditionalCheckFailedException, ResourceNotFoundException, TransactionCanceledException,
} = require('@aws-sdk/client-dynamodb');
const {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, QueryCommand,
  TransactWriteCommand, BatchWriteCommand, DeleteCommand, paginateQuery,
} = require('@aws-sdk/lib-dynamodb');

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const client = new DynamoDBClient({
  endpoint: edge, region: 'us-east-1', maxAttempts: 1,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const doc = DynamoDBDocumentClient.from(client);
const TableName = `js-ddb-${process.pid}-${Date.now()}`;

async function rejectsWith(promise, type, name) {
  await assert.rejects(promise, (e) => e instanceof type || e.name === name);
}

async function main() {
  let checks = 0;
  const created = await client.send(new CreateTableCommand({
    TableName, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' },
                           { AttributeName: 'sk', AttributeType: 'N' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  assert.equal(created.TableDescription.TableName, TableName); checks++;
  for (let i = 0; ; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    if (Table.TableStatus === 'ACTIVE') break;
    assert.ok(i < 300, 'the table never became ACTIVE');
    await new Promise((r) => setTimeout(r, 100));
  }

  const key = { pk: 'u#1', sk: 1 };
  await doc.send(new PutCommand({
    TableName,
    Item: { ...key, name: 'Ada', tags: new Set(['a', 'b']), bin: new Uint8Array([0, 1, 255]),
            nested: { list: [1, 'two', null, true], map: { deep: 'x' } } },
    ConditionExpression: 'attribute_not_exists(pk)',
  }));
  const { Item } = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
  assert.equal(Item.name, 'Ada');
  assert.deepEqual(Item.tags, new Set(['a', 'b']));
  assert.deepEqual(Buffer.from(Item.bin), Buffer.from([0, 1, 255]));
  assert.deepEqual(Item.nested, { list: [1, 'two', null, true], map: { deep: 'x' } }); checks++;
  const missing = await doc.send(new GetCommand({ TableName, Key: { pk: 'nobody', sk: 1 } }));
  assert.equal(missing.Item, undefined); checks++;
  await rejectsWith(doc.send(new PutCommand({
    TableName, Item: { ...key }, ConditionExpression: 'attribute_not_exists(pk)',
  })), ConditionalCheckFailedException, 'ConditionalCheckFailedException'); checks++;

  const updated = await doc.send(new UpdateCommand({
    TableName, Key: key, ReturnValues: 'ALL_NEW',
    UpdateExpression: 'SET #n = :n, visits = if_not_exists(visits, :zero) + :one ADD tags :t',
    ExpressionAttributeNames: { '#n': 'name' },
    ExpressionAttributeValues: { ':n': 'Grace', ':zero': 0, ':one': 1, ':t': new Set(['c']) },
  }));
  assert.equal(updated.Attributes.name, 'Grace');
  assert.equal(updated.Attributes.visits, 1);
  assert.deepEqual(updated.Attributes.tags, new Set(['a', 'b', 'c'])); checks++;
  const sum = await doc.send(new UpdateCommand({
    TableName, Key: key, ReturnValues: 'UPDATED_NEW', UpdateExpression: 'ADD n :a',
    ExpressionAttributeValues: { ':a': 0.1 },
  }));
  assert.equal(sum.Attributes.n, 0.1);
  const sum2 = await doc.send(new UpdateCommand({
    TableName, Key: key, ReturnValues: 'UPDATED_NEW', UpdateExpression: 'ADD n :b',
    ExpressionAttributeValues: { ':b': 0.2 },
  }));
  assert.equal(sum2.Attributes.n, 0.3); checks++; // a decimal sum, not 0.30000000000000004

  const batch = await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]:
    Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: 'u#1', sk: i + 2, v: `v${i + 2}` } } })) } }));
  assert.equal(Object.keys(batch.UnprocessedItems || {}).length, 0); checks++;

  const range = await doc.send(new QueryCommand({
    TableName, KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':p': 'u#1', ':a': 5, ':b': 10 },
  }));
  assert.deepEqual(range.Items.map((i) => i.sk), [5, 6, 7, 8, 9, 10]); checks++;
  const newest = await doc.send(new QueryCommand({
    TableName, KeyConditionExpression: 'pk = :p', ScanIndexForward: false, Limit: 1,
    ExpressionAttributeValues: { ':p': 'u#1' },
  }));
  assert.equal(newest.Items[0].sk, 26);
  assert.deepEqual(newest.LastEvaluatedKey, { pk: 'u#1', sk: 26 }); checks++;
  const seen = [];
  for await (const page of paginateQuery({ client: doc, pageSize: 7 }, {
    TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'u#1' },
  })) {
    assert.ok(page.Items.length <= 7);
    seen.push(...page.Items.map((i) => i.sk));
  }
  assert.deepEqual(seen, Array.from({ length: 26 }, (_, i) => i + 1)); checks++;

  await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName, Item: { pk: 'u#2', sk: 1, v: 'new' }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Update: { TableName, Key: key, UpdateExpression: 'ADD visits :one', ExpressionAttributeValues: { ':one': 1 } } },
    { ConditionCheck: { TableName, Key: { pk: 'u#1', sk: 2 }, ConditionExpression: 'attribute_exists(pk)' } },
    { Delete: { TableName, Key: { pk: 'u#1', sk: 3 } } },
  ] }));
  const after = await doc.send(new GetCommand({ TableName, Key: key }));
  assert.equal(after.Item.visits, 2);
  assert.equal((await doc.send(new GetCommand({ TableName, Key: { pk: 'u#1', sk: 3 } }))).Item, undefined);
  checks++;
  await assert.rejects(doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName, Item: { pk: 'u#3', sk: 1 } } },
    { ConditionCheck: { TableName, Key: key, ConditionExpression: 'attribute_not_exists(pk)' } },
  ] })), (e) => {
    assert.ok(e instanceof TransactionCanceledException || e.name === 'TransactionCanceledException', e.name);
    assert.deepEqual(e.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
    return true;
  });
  assert.equal((await doc.send(new GetCommand({ TableName, Key: { pk: 'u#3', sk: 1 } }))).Item, undefined);
  checks++;

  const deleted = await doc.send(new DeleteCommand({ TableName, Key: key, ReturnValues: 'ALL_OLD' }));
  assert.equal(deleted.Attributes.name, 'Grace');
  assert.equal((await doc.send(new GetCommand({ TableName, Key: key }))).Item, undefined); checks++;

  await client.send(new DeleteTableCommand({ TableName }));
  for (let i = 0; ; i++) {
    try {
      await client.send(new DescribeTableCommand({ TableName }));
    } catch (e) {
      assert.ok(e instanceof ResourceNotFoundException || e.name === 'ResourceNotFoundException', e.name);
      break;
    }
    assert.ok(i < 300, 'the table was never deleted');
    await new Promise((r) => setTimeout(r, 100));
  }
  await rejectsWith(doc.send(new GetCommand({ TableName, Key: key })),
    ResourceNotFoundException, 'ResourceNotFoundException'); checks++;
  console.log(`ok ${checks}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
