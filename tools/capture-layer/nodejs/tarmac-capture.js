// Tarmac's capture layer for Node.js functions: logs each incoming event, redacted, as one line
// `EVENT {json}` (what `tarmac replay` reads from CloudWatch Logs), then calls the function's
// own handler (TARMAC_CAPTURE_HANDLER, "file.export"; the exec wrapper sets it from _HANDLER).
// TARMAC_CAPTURE_REDACT and TARMAC_CAPTURE_SAMPLE as for Python (README.md).
'use strict';
const path = require('path');

const DEFAULT_REDACT = 'authorization,cookie,set-cookie,password,secret,token,x-api-key,email';
const REDACT = new Set((process.env.TARMAC_CAPTURE_REDACT ?? DEFAULT_REDACT)
  .split(',').map((f) => f.trim().toLowerCase()).filter(Boolean));
const SAMPLE = Number(process.env.TARMAC_CAPTURE_SAMPLE || 1);

function redact(value) {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = REDACT.has(k.toLowerCase()) ? 'REDACTED' : redact(v);
    return out;
  }
  return value;
}

let original;
async function load() {
  if (original) return original;
  const spec = process.env.TARMAC_CAPTURE_HANDLER || '';
  const slash = spec.lastIndexOf('/');
  const rest = spec.slice(slash + 1);
  const dot = rest.indexOf('.');
  if (dot <= 0) throw new Error(`TARMAC_CAPTURE_HANDLER is not a file.export handler: ${spec}`);
  const base = path.resolve(process.env.LAMBDA_TASK_ROOT || process.cwd(), spec.slice(0, slash + 1) + rest.slice(0, dot));
  let mod;
  try {
    mod = require(base);
  } catch (e) {
    if (e.code !== 'ERR_REQUIRE_ESM' && e.code !== 'MODULE_NOT_FOUND') throw e;
    mod = await import(require('url').pathToFileURL(require.resolve(base + (e.code === 'MODULE_NOT_FOUND' ? '.mjs' : ''))).href);
  }
  let fn = mod;
  for (const key of rest.slice(dot + 1).split('.')) fn = fn?.[key] ?? mod.default?.[key];
  if (typeof fn !== 'function') throw new Error(`${spec} is not a function`);
  original = fn;
  return fn;
}

exports.handler = async (event, context) => {
  if (SAMPLE >= 1 || Math.random() < SAMPLE) {
    try {
      process.stdout.write('EVENT ' + JSON.stringify(redact(event)) + '\n');
    } catch (e) {
      process.stdout.write(`tarmac capture: could not log the event: ${e}\n`);
    }
  }
  const fn = await load();
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = fn(event, context, (err, res) => (err ? reject(err) : resolve(res)));
      if (r && typeof r.then === 'function') r.then(resolve, reject);
    });
  }
  return fn(event, context);
};
