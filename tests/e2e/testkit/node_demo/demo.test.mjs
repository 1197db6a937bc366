// The demo app (fixtures/demo) tested with node:test, the AWS SDK for JavaScript v3 and the Tarmac
// test kit: an upload is summarised, indexed and counted; the HTTP API reads the summaries; every
// test starts from the same seeded state (a snapshot restored before it); faults make S3
// throttle and a delivery repeat; settle names what it waits for. The same ten tests as
// ../pytest_demo/test_demo.py.
//
//   TARMAC_BIN=build/bin/tarmac node --test tests/e2e/testkit/node_demo/
//
// One Tarmac serves the file (useTarmac: started before its tests, stopped after them); a failed
// test's traces go to $TARMAC_ARTIFACTS/tarmac-artifacts/ (default: the current directory).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { TarmacNotSettled, useTarmac } from '../../../../tools/testkit/node/tarmac.mjs';

// The SDK from tests/e2e/js (tools/install-deps --with-tests installs it). In a project of your
// own: import { S3Client, … } from '@aws-sdk/client-s3', and '@tarmac/testkit' for the kit.
const require = createRequire(new URL('../../js/package.json', import.meta.url));
const { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } = require('@aws-sdk/client-s3');
const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');

const UPLOADS = 'demo-uploads';
const SUMMARIES = 'demo-summaries';
const SEED_KEY = 'notes/seed.txt';
const SEED = 'the quick brown fox\njumps over the lazy dog\n'; // 2 lines, 9 words

const tarmac = useTarmac({ project: fileURLToPath(new URL('../../../../fixtures/demo', import.meta.url)) });
let s3;
let ddb;

// Once: one upload through the whole pipeline, then a snapshot of that state. (Node 20 runs
// before hooks side by side: this one waits for useTarmac's to have started Tarmac.)
before(async () => {
  const t = await tarmac.ready();
  s3 = new S3Client(t.clientConfig);
  ddb = new DynamoDBClient(t.clientConfig);
  await s3.send(new PutObjectCommand({ Bucket: UPLOADS, Key: SEED_KEY, Body: SEED }));
  await t.settle();
  await t.snapshot('seeded');
});

after(() => {
  s3?.destroy();
  ddb?.destroy();
});

// Before each test: back to the seeded state, whatever the previous test left.
beforeEach(() => tarmac().restore('seeded'));

// Faults and held deliveries are not part of the state a snapshot restores.
afterEach(async () => {
  await tarmac().faults.clear();
  await tarmac().dispatch.clear();
});

const put = (Key, Body, client = s3) => client.send(new PutObjectCommand({ Bucket: UPLOADS, Key, Body }));

async function text(Bucket, Key) {
  return (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToString();
}

async function keys(Bucket, Prefix = '') {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix }));
  return (listed.Contents ?? []).map((o) => o.Key).sort();
}

async function stats() {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: 'demo-stats', Key: { name: { S: 'notes' } } }));
  return Item ? { notes: Number(Item.notes.N), words: Number(Item.words.N) } : null;
}

test('an upload is summarised', async () => {
  await put('notes/a.txt', 'hello world\nhello tarmac\n');
  await tarmac().settle();
  assert.match(await tarmac().waitForLog('summarised s3://demo-uploads/notes/a.txt'), /\(25 bytes\)/);
  const summary = await text(SUMMARIES, 'summaries/notes/a.txt.txt');
  assert.match(summary, /^lines: 2$/m);
  assert.match(summary, /^words: 4$/m);
  assert.match(summary, /^top words: hello \(2\), world \(1\), tarmac \(1\)$/m);
});

test('the summary is indexed', async () => {
  await put('notes/b.txt', 'one two three');
  await tarmac().settle(); // the summariser, then the indexer behind the queue
  const entry = JSON.parse(await text(SUMMARIES, 'index/notes/b.txt.json'));
  assert.equal(entry.summary, 'summaries/notes/b.txt.txt');
  assert.equal(entry.source, 's3://demo-uploads/notes/b.txt');
  assert.equal(entry.words, 3);
});

test('the stats count every note', async () => {
  assert.deepEqual(await stats(), { notes: 1, words: 9 }); // the seed's, restored
  await put('notes/c.txt', 'one two three');
  await tarmac().settle(); // the summariser, the notes table's stream, the counter
  assert.deepEqual(await stats(), { notes: 2, words: 12 });
});

test('the HTTP API uploads and reads summaries', async () => {
  let res = await tarmac().apiRequest('PUT', '/uploads/notes/api.txt', 'via the api\n');
  assert.equal(res.status, 202);
  assert.equal((await res.json()).uploaded, 's3://demo-uploads/notes/api.txt');
  await tarmac().settle();
  res = await tarmac().apiRequest('GET', '/summaries');
  assert.deepEqual((await res.json()).sort(), ['notes/api.txt.txt', 'notes/seed.txt.txt']);
  res = await tarmac().apiRequest('GET', '/summaries/notes/api.txt.txt');
  assert.equal(res.status, 200);
  assert.deepEqual((await res.text()).split('\n').slice(0, 2), ['lines: 1', 'words: 3']);
});

test('each test starts from the snapshot', async () => {
  // Whatever the tests before this one uploaded is gone; the seed's results are there.
  assert.deepEqual(await keys(UPLOADS), [SEED_KEY]);
  assert.deepEqual(await keys(SUMMARIES), ['index/notes/seed.txt.json', 'summaries/notes/seed.txt.txt']);
  assert.deepEqual(await stats(), { notes: 1, words: 9 });
  assert.ok((await tarmac().snapshots()).includes('seeded'));
});

test('reset leaves nothing behind', async () => {
  await put('notes/d.txt', 'soon gone');
  await tarmac().settle();
  assert.ok((await tarmac().deliveries()).length > 0);
  await tarmac().reset();
  // The template's resources exist again, empty; no delivery of before is listed.
  assert.deepEqual(await keys(UPLOADS), []);
  assert.deepEqual(await keys(SUMMARIES), []);
  assert.equal(await stats(), null);
  assert.deepEqual(await tarmac().deliveries(), []);
});

test('a throttled put is retried by the SDK', async () => {
  // Three SlowDown answers to PutObject on the uploads bucket: a client without retries gets
  // the first; the SDK's standard retry mode takes the other two and succeeds.
  const noRetries = new S3Client({ ...tarmac().clientConfig, maxAttempts: 1 });
  const standard = new S3Client({ ...tarmac().clientConfig, retryMode: 'standard', maxAttempts: 5 });
  const fault = {
    match: { service: 's3', operation: 'PutObject', resource: UPLOADS, count: 3 },
    effect: { type: 'error', code: 'SlowDown', status: 503 },
  };
  await tarmac().faults.with(fault, async () => {
    await assert.rejects(put('notes/e.txt', 'throttled at first', noRetries),
      (e) => e.name === 'SlowDown' && e.$metadata.httpStatusCode === 503);
    const answer = await put('notes/e.txt', 'throttled at first', standard);
    assert.equal(answer.$metadata.attempts, 3);
  });
  await tarmac().settle();
  assert.deepEqual(await keys(SUMMARIES, 'summaries/'), ['summaries/notes/e.txt.txt', 'summaries/notes/seed.txt.txt']);
  noRetries.destroy();
  standard.destroy();
});

test('a duplicate delivery is harmless', async () => {
  // At-least-once made visible: the summariser gets the upload's event twice; the summary and
  // the index entry are written (twice, the same), nothing fails.
  const faults = tarmac().faults;
  const decoy = await faults.add({ match: { function: 'NoSuchFunction' }, effect: { type: 'duplicate' } });
  const fault = await faults.add({ match: { function: 'SummarizeFunction', count: 1 }, effect: { type: 'duplicate' } });
  const ids = async () => (await faults.list()).map((f) => f.id);
  assert.ok((await ids()).includes(decoy) && (await ids()).includes(fault));
  await faults.remove(decoy);
  assert.ok(!(await ids()).includes(decoy));

  const sinceNs = await tarmac().nowNs();
  await put('notes/f.txt', 'twice told tale');
  await tarmac().settle();
  const summarised = await tarmac().deliveries({ function: 'SummarizeFunction', sinceNs });
  assert.deepEqual(summarised.map((d) => d.status), ['succeeded', 'succeeded']);
  assert.ok((await keys(SUMMARIES, 'index/')).includes('index/notes/f.txt.json'));
  assert.deepEqual((await tarmac().deliveries({ sinceNs })).filter((d) => d.status !== 'succeeded'), []);
});

test('settle names a held delivery', async () => {
  // A breakpoint holds the summariser's delivery: settle gives up after its timeout (408) and
  // names it; released, the pipeline finishes.
  await tarmac().dispatch.breakpoint({ function: 'SummarizeFunction' });
  await put('notes/g.txt', 'held for a moment');
  const [held] = await tarmac().dispatch.waitPending(1);
  const error = await tarmac().settle({ timeoutMs: 300 }).then(() => null, (e) => e);
  assert.ok(error instanceof TarmacNotSettled, String(error));
  assert.ok(error.busy.some((b) => b.kind === 'held' && b.id === held.id
    && `${b.logicalId ?? ''}${b.resource}`.includes('SummarizeFunction')), JSON.stringify(error.busy));
  assert.match(error.message, /SummarizeFunction/);

  await tarmac().dispatch.clear(); // the breakpoint removed, the held delivery delivered
  assert.equal((await tarmac().settle()).settled, true);
  assert.ok((await keys(SUMMARIES, 'summaries/')).includes('summaries/notes/g.txt.txt'));
});

test('one trace follows the upload', async () => {
  const sinceNs = await tarmac().nowNs();
  await put('notes/h.txt', 'traced from end to end');
  await tarmac().settle();
  const deliveries = await tarmac().deliveries({ sinceNs });
  assert.deepEqual(deliveries.map((d) => d.logicalId).sort(), ['CounterFunction', 'IndexFunction', 'SummarizeFunction']);
  const traceIds = [...new Set(deliveries.map((d) => d.traceId))];
  assert.equal(traceIds.length, 1); // the upload's trace, carried through the queue and the stream
  const spans = await tarmac().spans({ traceId: traceIds[0] });
  const puts = spans.filter((s) => s.name === 's3 PutObject').map((s) => s.attrs['url.path']);
  assert.ok(puts.includes('/demo-uploads/notes/h.txt'), puts.join(', ')); // where the trace starts
  assert.equal(new Set(spans.filter((s) => s.name.endsWith(' invoke')).map((s) => s.service)).size, 3);
});
