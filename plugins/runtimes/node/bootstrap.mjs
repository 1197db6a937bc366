// Tarmac's Node.js runtime: the Lambda Runtime API loop for `file.export` handlers.
//
// Node's own modules only. Handlers may be CommonJS (.js, .cjs) or ES modules (.mjs, or .js
// under "type": "module"), async or callback style. It behaves like AWS's Node.js runtime
// where code can tell: the handler is loaded once (init), errors come back as
// {errorType, errorMessage, trace}, console output is written as Lambda's
// "time\trequest-id\tLEVEL\tmessage" lines, and _X_AMZN_TRACE_ID is set per invocation.
import fs from 'node:fs';
import http from 'node:http';
import nodeModule from 'node:module';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

const [host, port] = (() => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  const at = api.lastIndexOf(':');
  return [api.slice(0, at), Number(api.slice(at + 1))];
})();
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: urlPath, agent, headers: body === undefined ? headers
        : { ...headers, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
          body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

let currentRequestId = '';

function patchConsole() {
  const write = (level) => (...args) => {
    const text = util.format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${text}\n`);
  };
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.trace = write('TRACE');
}

function errorDocument(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  if (typeof error === 'string') return { errorType: 'string', errorMessage: error, trace: [] };
  let message;
  try { message = JSON.stringify(error); } catch { message = String(error); }
  return { errorType: typeof error, errorMessage: message ?? String(error), trace: [] };
}

function logError(prefix, doc) {
  const text = `${prefix} ${JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage,
    stack: doc.trace })}`;
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\tERROR\t${text}\n`);
}

async function postError(urlPath, doc) {
  await request('POST', urlPath, JSON.stringify(doc), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': doc.errorType,
  });
}

class HandlerError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

async function loadHandler(spec, taskRoot) {
  const slash = spec.lastIndexOf('/');
  const dir = spec.slice(0, slash + 1);
  const rest = spec.slice(slash + 1);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) {
    throw new HandlerError('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  }
  const moduleName = dir + rest.slice(0, dot);
  const exportPath = rest.slice(dot + 1).split('.');
  const base = path.resolve(taskRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs', ''].map((ext) => base + ext)
    .find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (!file) {
    throw new HandlerError('Runtime.ImportModuleError',
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${taskRoot}`);
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new HandlerError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    }
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')) {
      throw new HandlerError('Runtime.ImportModuleError', `Error: ${e.message}`);
    }
    throw e;
  }
  const lookup = (root) => exportPath.reduce((obj, key) => (obj == null ? undefined : obj[key]), root);
  let handler = lookup(module);
  if (handler === undefined && module.default) handler = lookup(module.default);
  if (handler === undefined) {
    throw new HandlerError('Runtime.HandlerNotFound', `${rest} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerError('Runtime.HandlerNotFound', `${rest} is not a function`);
  }
  return handler;
}

function makeContext(headers, requestId) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const parse = (text) => { try { return text ? JSON.parse(text) : undefined; } catch { return undefined; } };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers['lambda-runtime-cognito-identity']),
    clientContext: parse(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error ?? 'handled');
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (e) {
      callback(e);
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then((r) => callback(null, r),
        (e) => callback(e ?? new Error('the handler rejected with no reason')));
    } else if (handler.length < 3) {
      callback(null, returned); // a synchronous handler: its return value is the result
    }
  });
}

let activePath = null;
let exiting = false;
const never = new Promise(() => {});

async function failAndExit(type, error) {
  if (exiting) return;
  // No more work for this process: the loop must not take another invocation meanwhile.
  exiting = true;
  const doc = errorDocument(error);
  if (type) doc.errorType = type;
  logError(type === 'Runtime.UnhandledPromiseRejection' ? 'Unhandled Promise Rejection' : 'Uncaught Exception', doc);
  try {
    await postError(activePath ? `${activePath}/error` : `${BASE}/init/error`, doc);
  } finally {
    process.exit(129);
  }
}

// What Lambda's runtime bundles, for import as for require (resolve-hook.mjs).
function registerRuntimeModules() {
  // NODE_PATH holds the function's layers (and what `tarmac build` installed) before the
  // runtime's own folders: ES modules find them in that order too.
  const dirs = [...new Set([process.env.NODE_PATH, process.env.TARMAC_NODE_RUNTIME_MODULES]
    .flatMap((v) => (v || '').split(path.delimiter)).filter(Boolean))];
  if (!dirs.length || typeof nodeModule.register !== 'function') return;
  nodeModule.register(new URL('./resolve-hook.mjs', import.meta.url).href, { data: { dirs } });
}

// The AWS SDK for JavaScript v2 predates AWS_ENDPOINT_URL: when a function loads it, its
// global configuration points at Tarmac's edge (path-style S3), as v3 finds the variable.
// Whatever the function configures itself wins.
function pointSdkV2AtTarmac() {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) return;
  const load = nodeModule._load;
  nodeModule._load = function loadWatchingForSdkV2(...args) {
    const exports = load.apply(this, args);
    // `in` first: a module still loading (a circular require) warns on a get of what it
    // does not have yet.
    if (exports && (typeof exports === 'object' || typeof exports === 'function')
      && 'VERSION' in exports && 'config' in exports && typeof exports.VERSION === 'string'
      && exports.VERSION.startsWith('2.') && typeof exports.config.update === 'function') {
      nodeModule._load = load;
      exports.config.update({ endpoint, s3ForcePathStyle: true });
    }
    return exports;
  };
}

async function main() {
  patchConsole();
  registerRuntimeModules();
  pointSdkV2AtTarmac();
  process.on('uncaughtException', (e) => failAndExit(null, e));
  process.on('unhandledRejection', (e) => failAndExit('Runtime.UnhandledPromiseRejection', e));
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(process.env._HANDLER || '', taskRoot);
  } catch (e) {
    const doc = errorDocument(e);
    logError('Init Error', doc);
    await postError(`${BASE}/init/error`, doc);
    process.exit(1);
  }
  for (;;) {
    if (exiting) await never;
    const next = await request('GET', `${BASE}/invocation/next`);
    if (next.status !== 200) {
      process.stderr.write(`tarmac runtime: /next answered ${next.status}\n`);
      process.exit(1);
    }
    const requestId = next.headers['lambda-runtime-aws-request-id'] || '';
    currentRequestId = requestId;
    const traceId = next.headers['lambda-runtime-trace-id'];
    if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
    else delete process.env._X_AMZN_TRACE_ID;
    activePath = `${BASE}/invocation/${requestId}`;
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
    } catch (e) {
      const doc = { errorType: 'Runtime.UnmarshalError', errorMessage: `Unable to parse input as JSON: ${e.message}`, trace: [] };
      logError('Invoke Error', doc);
      await postError(`${activePath}/error`, doc);
      continue;
    }
    try {
      const result = await run(handler, event, makeContext(next.headers, requestId));
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (e) {
        const doc = { errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${e.message}`, trace: [] };
        logError('Invoke Error', doc);
        await postError(`${activePath}/error`, doc);
        continue;
      }
      if (exiting) await never;
      await request('POST', `${activePath}/response`, body, { 'Content-Type': 'application/json' });
    } catch (e) {
      if (exiting) await never;
      const doc = errorDocument(e);
      logError('Invoke Error', doc);
      await postError(`${activePath}/error`, doc);
    }
    activePath = null;
  }
}

main();
