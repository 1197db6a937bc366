// Browser form uploads (PostObject) as a web app makes them: @aws-sdk/s3-presigned-post's
// createPresignedPost on the server side, then Node's fetch with a FormData body (what a
// browser sends), unmodified.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node s3-post.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand } = require('@aws-sdk/client-s3');
const { createPresignedPost } = require('@aws-sdk/s3-presigned-post');

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const s3 = new S3Client({
  endpoint: edge, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

function form(fields, content, name, type) {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  data.append('file', new Blob([content], { type }), name); // the file goes last
  return data;
}

async function main() {
  let checks = 0;
  const bucket = 'js-forms';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  // 201 with metadata and a content type, key from ${filename}.
  const post = await createPresignedPost(s3, {
    Bucket: bucket, Key: 'avatars/${filename}', Expires: 600,
    Conditions: [['content-length-range', 1, 1 << 20], ['starts-with', '$Content-Type', 'image/'],
      { 'x-amz-meta-user': 'u42' }, { success_action_status: '201' }],
    Fields: { 'Content-Type': 'image/png', 'x-amz-meta-user': 'u42', success_action_status: '201' },
  });
  const content = crypto.randomBytes(70 * 1024); // over the in-row limit: a staged file
  let r = await fetch(post.url, { method: 'POST', body: form(post.fields, content, 'me.png', 'image/png') });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  assert.match(text, /<Key>avatars\/me\.png<\/Key>/);
  const md5 = crypto.createHash('md5').update(content).digest('hex');
  assert.match(text, new RegExp(`<ETag>&quot;${md5}&quot;</ETag>|<ETag>"${md5}"</ETag>`));
  checks++;
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'avatars/me.png' }));
  assert.equal(head.ContentType, 'image/png');
  assert.equal(head.Metadata.user, 'u42');
  assert.equal(head.ContentLength, content.length);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'avatars/me.png' }));
  assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(content));
  checks++;

  // The policy says image/*: a text file is refused with S3's answer, and nothing is stored.
  const wrongType = { ...post.fields, 'Content-Type': 'text/html' };
  r = await fetch(post.url, { method: 'POST', body: form(wrongType, 'x', 'x.html', 'text/html') });
  const refused = (await r.text()).replaceAll('&quot;', '"');
  assert.equal(r.status, 403, refused);
  assert.match(refused, /<Code>AccessDenied<\/Code>/);
  assert.match(refused, /Policy Condition failed: \["starts-with", "\$Content-Type", "image\/"\]/);
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'avatars/x.html' })));
  checks++;

  // Default answer: 204, no body.
  const plain = await createPresignedPost(s3, { Bucket: bucket, Key: 'plain.txt' });
  r = await fetch(plain.url, { method: 'POST', body: form(plain.fields, 'plain', 'p.txt', 'text/plain') });
  assert.equal(r.status, 204, await r.text());
  checks++;

  console.log(`ok ${checks}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
