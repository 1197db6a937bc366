// Drives Tarmac's S3 with the AWS SDK for JavaScript v3, unmodified: @aws-sdk/client-s3 with its
// default request checksums (header CRC32 for buffers, aws-chunked with a trailer for streams),
// @aws-sdk/lib-storage's multipart Upload, and @aws-sdk/s3-request-presigner with fetch.
// Usage: TARMAC_EDGE=http://127.0.0.1:PORT node s3-sdk.js   (prints "ok N" or fails)
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const dns = require('node:dns');
const http = require('node:http');
const { Readable } = require('node:stream');
const {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, DeleteObjectsCommand, CopyObjectCommand,
  PutBucketCorsCommand, GetObjectTaggingCommand,
} = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

const edge = process.env.TARMAC_EDGE;
assert.ok(edge, 'TARMAC_EDGE is not set');
const port = new URL(edge).port;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

// Names under .localhost are loopback (RFC 6761); this machine's resolver does not know it,
// so the virtual-host client gets an agent that answers them, as browsers do.
const agent = new http.Agent({
  keepAlive: true,
  lookup(host, options, callback) {
    if (host === 'localhost' || host.endsWith('.localhost')) {
      if (options && options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
      return callback(null, '127.0.0.1', 4);
    }
    return dns.lookup(host, options, callback);
  },
});

const pathStyle = new S3Client({ endpoint: edge, region: 'us-east-1', credentials, forcePathStyle: true });
// The SDK's default for a named host: virtual-host style, bucket.localhost:PORT.
const virtualHost = new S3Client({
  endpoint: `http://localhost:${port}`, region: 'us-east-1', credentials,
  requestHandler: new NodeHttpHandler({ httpAgent: agent }),
});

async function text(body) {
  return Buffer.from(await body.transformToByteArray());
}

async function main() {
  let checks = 0;
  const check = (cond, what) => { assert.ok(cond, what); checks++; };
  const bucket = 'js-sdk';
  await pathStyle.send(new CreateBucketCommand({ Bucket: bucket }));

  // Buffer body: CRC32 in a header by default.
  const small = crypto.randomBytes(3000);
  const put = await pathStyle.send(new PutObjectCommand({
    Bucket: bucket, Key: 'dir/small.bin', Body: small, ContentType: 'application/x-test',
    Metadata: { who: 'js' }, Tagging: 'a=1&b=2',
  }));
  check(put.ETag === `"${crypto.createHash('md5').update(small).digest('hex')}"`, 'etag');
  check(typeof put.ChecksumCRC32 === 'string', 'default CRC32 checksum echoed');
  const got = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/small.bin', ChecksumMode: 'ENABLED' }));
  check((await text(got.Body)).equals(small), 'small body round-trips (response checksum validated)');
  check(got.ContentType === 'application/x-test' && got.Metadata.who === 'js', 'metadata');
  check(got.LastModified instanceof Date && !isNaN(got.LastModified), 'Last-Modified parses strictly');

  // Stream body of known length: aws-chunked with a trailing checksum.
  const streamed = crypto.randomBytes(1024 * 1024 + 17);
  await pathStyle.send(new PutObjectCommand({
    Bucket: bucket, Key: 'streamed.bin', Body: Readable.from([streamed.subarray(0, 100000), streamed.subarray(100000)]),
    ContentLength: streamed.length,
  }));
  const back = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed.bin' }));
  check((await text(back.Body)).equals(streamed), 'aws-chunked stream round-trips');

  // Other checksum algorithms.
  for (const alg of ['CRC32C', 'SHA1', 'SHA256']) {
    const r = await pathStyle.send(new PutObjectCommand({ Bucket: bucket, Key: `alg-${alg}`, Body: 'hello world', ChecksumAlgorithm: alg }));
    check(typeof r[`Checksum${alg}`] === 'string', `${alg} echoed`);
    const g = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: `alg-${alg}`, ChecksumMode: 'ENABLED' }));
    check((await text(g.Body)).toString() === 'hello world', `${alg} validated on GET`);
  }

  // lib-storage multipart: 12 MiB in 5 MiB parts, streamed.
  const big = crypto.randomBytes(12 * 1024 * 1024);
  const upload = new Upload({ client: pathStyle, params: { Bucket: bucket, Key: 'big.bin', Body: Readable.from([big]) }, partSize: 5 * 1024 * 1024, queueSize: 3 });
  const done = await upload.done();
  check(/-3"$/.test(done.ETag), `multipart ETag ${done.ETag}`);
  const head = await pathStyle.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
  check(head.ContentLength === big.length, 'multipart size');
  const bigBack = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin', ChecksumMode: 'ENABLED' }));
  check((await text(bigBack.Body)).equals(big), 'multipart body');
  const ranged = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin', Range: 'bytes=5242870-5242889' }));
  check((await text(ranged.Body)).equals(big.subarray(5242870, 5242890)), 'range across parts');

  // Presigned PUT and GET with fetch, and a CORS preflight like a browser's.
  await pathStyle.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://app.test'], AllowedMethods: ['PUT', 'GET'], AllowedHeaders: ['*'] }] } }));
  const putUrl = await getSignedUrl(pathStyle, new PutObjectCommand({ Bucket: bucket, Key: 'presigned.txt', ContentType: 'text/plain' }), { expiresIn: 300 });
  const preflight = await fetch(putUrl, { method: 'OPTIONS', headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
  check(preflight.status === 200 && preflight.headers.get('access-control-allow-origin') === 'http://app.test', 'preflight');
  const putRes = await fetch(putUrl, { method: 'PUT', body: 'via fetch', headers: { 'Content-Type': 'text/plain', Origin: 'http://app.test' } });
  check(putRes.status === 200, `presigned PUT ${putRes.status} ${await putRes.clone().text()}`);
  check(putRes.headers.get('access-control-allow-origin') === 'http://app.test', 'CORS on the PUT');
  const getUrl = await getSignedUrl(pathStyle, new GetObjectCommand({ Bucket: bucket, Key: 'presigned.txt' }), { expiresIn: 300 });
  const getRes = await fetch(getUrl);
  check(getRes.status === 200 && (await getRes.text()) === 'via fetch', 'presigned GET');
  check(getRes.headers.get('content-type') === 'text/plain', 'content type kept');

  // Virtual-host addressing: bucket.localhost:PORT.
  await virtualHost.send(new PutObjectCommand({ Bucket: bucket, Key: 'vhost/a b+c.txt', Body: 'virtual' }));
  const vget = await virtualHost.send(new GetObjectCommand({ Bucket: bucket, Key: 'vhost/a b+c.txt' }));
  check((await text(vget.Body)).toString() === 'virtual', 'virtual-host GET');
  const vpath = await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'vhost/a b+c.txt' }));
  check((await text(vpath.Body)).toString() === 'virtual', 'same object path-style');
  const vlist = await virtualHost.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vhost/' }));
  check(vlist.KeyCount === 1 && vlist.Contents[0].Key === 'vhost/a b+c.txt', 'virtual-host listing');
  const vup = new Upload({ client: virtualHost, params: { Bucket: bucket, Key: 'vhost/big', Body: big.subarray(0, 6 * 1024 * 1024) }, partSize: 5 * 1024 * 1024 });
  await vup.done();
  check((await virtualHost.send(new HeadObjectCommand({ Bucket: bucket, Key: 'vhost/big' }))).ContentLength === 6 * 1024 * 1024, 'virtual-host multipart');

  // Copy, tagging, listing, deletes (DeleteObjects carries a CRC32 instead of Content-MD5).
  await pathStyle.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy.bin', CopySource: `${bucket}/dir/small.bin` }));
  const tags = await pathStyle.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'copy.bin' }));
  check(tags.TagSet.length === 2, 'tags copied');
  const list = await pathStyle.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
  check(list.CommonPrefixes.map((p) => p.Prefix).join(',') === 'dir/,vhost/', 'common prefixes');
  const del = await pathStyle.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'copy.bin' }, { Key: 'streamed.bin' }] } }));
  check(del.Deleted.length === 2, 'DeleteObjects');
  await pathStyle.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
  try {
    await pathStyle.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    assert.fail('GET of a deleted key succeeded');
  } catch (e) {
    check(e.name === 'NoSuchKey' && e.$metadata.httpStatusCode === 404, `NoSuchKey (${e.name})`);
  }
  console.log(`ok ${checks}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
