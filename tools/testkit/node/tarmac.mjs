// @tarmac/testkit: Tarmac for JavaScript test suites (node:test, Vitest). No dependencies:
// Node 20's fetch and child_process.
//
// startTarmac() runs `tarmac serve PROJECT --ephemeral` on free ports and resolves once it is
// ready; the object it gives has its URLs, the control endpoints (settle, reset, snapshots,
// faults, the dispatcher), deliveries and traces, and `env` / `clientConfig` for the AWS SDK.
// useTarmac() does the same around a test file: started before its tests, stopped after them,
// and a failed test's traces (OTLP/JSON) written to tarmac-artifacts/<test>.json.
//
//   import { useTarmac } from '@tarmac/testkit';
//   const tarmac = useTarmac({ project: 'fixtures/demo' });
//   test('upload', async () => { ...; await tarmac().settle(); ... });
//
// The binary: options.bin, else $TARMAC_BIN, else `tarmac` on PATH. The project: options.project,
// else $TARMAC_PROJECT. docs/testing.md has a worked example; tests/e2e/testkit/node_demo is one.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as nodeTest from 'node:test';

// The line `tarmac serve` prints once every port listens (ide= optional: absent or "off"
// without an IDE port).
const READY = /^tarmac ready edge=(http:\/\/\S+) api=(http:\/\/\S+)(?: ide=(\S+))?/;

export const AWS_TEST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1',
};

// A control endpoint answered with an error, or Tarmac is not running. status: the HTTP status
// (undefined without an answer); body: the decoded answer.
export class TarmacError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = 'TarmacError';
    this.status = status;
    this.body = body;
  }
}

// This tarmac binary has no such endpoint (an older build than the kit).
export class TarmacEndpointMissing extends TarmacError {
  constructor(message, body) {
    super(message, 404, body);
    this.name = 'TarmacEndpointMissing';
  }
}

// POST /_tarmac/settle timed out (408). busy: what is still under way ({kind, resource,
// logicalId, id, since, detail}). An AssertionError by code, as node:assert's failures are.
export class TarmacNotSettled extends Error {
  constructor(timeoutMs, busy, body) {
    const items = (busy || []).map((b) => `  ${[b.kind ?? '?', b.logicalId || (b.resource ?? '?'),
      b.id ? `(${b.id})` : '', b.since ? `since ${b.since}` : '', b.detail].filter(Boolean).join(' ')}`);
    super(`Tarmac did not settle within ${timeoutMs} ms; still busy:\n${items.join('\n') || '  (nothing named)'}`);
    this.name = 'TarmacNotSettled';
    this.code = 'ERR_ASSERTION';
    this.timeoutMs = timeoutMs;
    this.busy = busy || [];
    this.body = body;
  }
}

// The tarmac binary: `explicit`, else $TARMAC_BIN, else `tarmac` on PATH.
export function findBinary(explicit) {
  for (const [candidate, what] of [[explicit, 'bin'], [process.env.TARMAC_BIN, 'TARMAC_BIN']]) {
    if (!candidate) continue;
    const file = path.resolve(candidate);
    try {
      accessSync(file, constants.X_OK);
    } catch {
      throw new TarmacError(`${what}=${candidate} is not an executable file`);
    }
    return file;
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'tarmac');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  throw new TarmacError('no tarmac binary: set TARMAC_BIN=/path/to/tarmac (or the bin option) or put `tarmac` on PATH');
}

const noIdeFlag = new Map(); // binary → whether its `serve --help` offers --no-ide

function ideArgs(bin) {
  if (!noIdeFlag.has(bin)) {
    const r = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8', timeout: 30000 });
    noIdeFlag.set(bin, `${r.stdout}${r.stderr}`.includes('--no-ide'));
  }
  return noIdeFlag.get(bin) ? ['--no-ide'] : ['--ide-port', '0'];
}

const live = new Set(); // started and not stopped: killed if the test process exits first
process.on('exit', () => {
  for (const t of live) {
    try { process.kill(-t.proc.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

const segment = (name) => encodeURIComponent(String(name));

// OTLP attributes ([{key, value: {stringValue: …}}]) as an object.
export function attributes(list) {
  const out = {};
  for (const a of list || []) out[a.key] = a.value ? Object.values(a.value)[0] : undefined;
  return out;
}

// The part of an OTLP/JSON document about the traces begun from sinceNs (ns, a BigInt or a
// number) on: whole traces whose first span starts then or later (a trace still running from
// before is left out), and the log lines of those traces or written since without one.
export function otlpSince(doc, sinceNs) {
  const since = BigInt(sinceNs || 0);
  const at = (v) => BigInt(v || 0);
  const first = new Map(); // trace id → its earliest span's start
  for (const rs of doc.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        const start = at(s.startTimeUnixNano);
        if (!first.has(s.traceId) || start < first.get(s.traceId)) first.set(s.traceId, start);
      }
    }
  }
  const recent = new Set([...first].filter(([, start]) => start >= since).map(([trace]) => trace));
  for (const rl of doc.resourceLogs || []) {
    for (const sl of rl.scopeLogs || []) {
      for (const r of sl.logRecords || []) {
        // A trace with lines but no span stored yet.
        if (r.traceId && !first.has(r.traceId) && at(r.timeUnixNano) >= since) recent.add(r.traceId);
      }
    }
  }
  const resourceSpans = (doc.resourceSpans || []).map((rs) => ({
    ...rs,
    scopeSpans: (rs.scopeSpans || []).map((ss) => ({ ...ss, spans: (ss.spans || []).filter((s) => recent.has(s.traceId)) }))
      .filter((ss) => ss.spans.length),
  })).filter((rs) => rs.scopeSpans.length);
  const resourceLogs = (doc.resourceLogs || []).map((rl) => ({
    ...rl,
    scopeLogs: (rl.scopeLogs || []).map((sl) => ({
      ...sl,
      logRecords: (sl.logRecords || []).filter((r) => recent.has(r.traceId) || (!r.traceId && at(r.timeUnixNano) >= since)),
    })).filter((sl) => sl.logRecords.length),
  })).filter((rl) => rl.scopeLogs.length);
  return { resourceSpans, resourceLogs };
}

export class Tarmac {
  constructor({ project, bin, env, args = [], readyTimeoutMs = 60000, cwd } = {}) {
    this.project = project ?? process.env.TARMAC_PROJECT;
    if (this.project) this.project = path.resolve(this.project);
    this.bin = bin;
    this.processEnv = { ...process.env, ...(env || {}) };
    this.args = args;
    this.readyTimeoutMs = readyTimeoutMs;
    this.cwd = cwd;
    this.proc = null;
    this.edge = this.api = this.ide = null;
    this.stdout = []; // tarmac's stdout lines (the ready line, the template's outputs)
    this.stderr = []; // its log: requests, function output, errors
    this.exitCode = null;
    this.faults = new Faults(this);
    this.dispatch = new Dispatch(this);
  }

  // -- the process ---------------------------------------------------------------------------

  async start() {
    this.bin = findBinary(this.bin);
    const cmd = ['serve', ...(this.project ? [this.project] : []), '--ephemeral', '--port', '0',
      '--api-port', '0', ...ideArgs(this.bin), ...this.args];
    this.command = [this.bin, ...cmd];
    // Its own process group (detached), so that a SIGKILL takes its functions along.
    this.proc = spawn(this.bin, cmd, { env: this.processEnv, cwd: this.cwd, detached: true,
      stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    createInterface({ input: this.proc.stderr }).on('line', (l) => this.stderr.push(l));
    const exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      this.exitCode = code ?? signal;
      live.delete(this);
      resolve();
    }));
    this.exited = exited;
    const ready = new Promise((resolve) => {
      createInterface({ input: this.proc.stdout }).on('line', (line) => {
        this.stdout.push(line);
        const m = READY.exec(line);
        if (m && !this.edge) {
          [, this.edge, this.api, this.ide] = m;
          resolve(true);
        }
      });
    });
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(false), this.readyTimeoutMs); });
    const ok = await Promise.race([ready, exited.then(() => false), timeout]);
    clearTimeout(timer);
    if (!ok) {
      await new Promise((r) => setTimeout(r, 200)); // the last lines of stderr
      await this.stop(5000);
      throw new TarmacError(`tarmac did not become ready (${this.command.join(' ')}; exit status ${this.exitCode}):\n`
        + this.stderr.slice(-30).join('\n'));
    }
    return this;
  }

  // SIGTERM, then SIGKILL (the whole process group) after timeoutMs; resolves to the exit status.
  async stop(timeoutMs = 10000) {
    if (!this.proc) return null;
    if (this.exitCode === null) {
      try { this.proc.kill('SIGTERM'); } catch { /* gone */ }
      let timer;
      const late = new Promise((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); });
      if (await Promise.race([this.exited.then(() => false), late])) {
        try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
        await this.exited;
      }
      clearTimeout(timer);
    }
    live.delete(this);
    return this.exitCode;
  }

  // -- HTTP ------------------------------------------------------------------------------------

  // A control request: body sent as JSON; resolves to the decoded JSON answer ({} when empty).
  // Rejects with TarmacError for an error status, TarmacEndpointMissing for an endpoint this
  // binary does not have.
  async request(method, urlPath, body, { timeoutMs = 30000 } = {}) {
    let res;
    try {
      res = await fetch(this.edge + urlPath, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        body: body !== undefined ? JSON.stringify(body) : (method === 'GET' ? undefined : ''),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if (this.exitCode !== null) {
        throw new TarmacError(`${method} ${urlPath}: tarmac has exited (status ${this.exitCode}); its last lines:\n`
          + this.stderr.slice(-20).join('\n'));
      }
      throw new TarmacError(`${method} ${urlPath}: ${e.cause?.message ?? e.message}`);
    }
    const text = await res.text();
    let answer = {};
    if (text) {
      try { answer = JSON.parse(text); } catch { answer = { text }; }
    }
    if (res.ok) return answer;
    if (res.status === 404 && answer.message === 'No such Tarmac endpoint') {
      throw new TarmacEndpointMissing(`${method} ${urlPath}: this tarmac (${this.bin}) has no such endpoint; it needs a newer build`, answer);
    }
    throw new TarmacError(`${method} ${urlPath}: HTTP ${res.status} ${answer.message ?? text}`, res.status, answer);
  }

  // An HTTP request to the application's API port (API Gateway routes): resolves to the
  // fetch Response whatever its status.
  apiRequest(method, urlPath, body, headers = {}) {
    return fetch(this.api + urlPath, { method, body, headers, signal: AbortSignal.timeout(30000) });
  }

  // -- the engine ------------------------------------------------------------------------------

  // GET /_tarmac/health: services, state folder, the template's resources and outputs.
  health() { return this.request('GET', '/_tarmac/health'); }

  async outputs() { return (await this.health()).template?.outputs ?? {}; }

  // GET /_tarmac/clock: {now, nowMs, frozen}.
  clock() { return this.request('GET', '/_tarmac/clock'); }

  // Tarmac's clock now in ns since the epoch (a BigInt): pass it as sinceNs to deliveries()
  // and traces() to see only what came after.
  async nowNs() { return BigInt((await this.clock()).nowMs) * 1000000n; }

  // Waits until Tarmac has nothing asynchronous left to do; resolves to {settled, waitedMs,
  // waitedFor}. Rejects with TarmacNotSettled naming what is still busy after timeoutMs.
  async settle({ timeoutMs = 10000 } = {}) {
    try {
      return await this.request('POST', '/_tarmac/settle', { timeoutMs }, { timeoutMs: timeoutMs + 30000 });
    } catch (e) {
      if (e instanceof TarmacError && e.status === 408) throw new TarmacNotSettled(timeoutMs, e.body?.busy, e.body);
      throw e;
    }
  }

  // Clears every service's state and applies the template again (traces kept unless
  // traces: true).
  reset({ traces = false } = {}) { return this.request('POST', '/_tarmac/reset', { traces }); }

  // Saves the whole state under name (replacing one of that name).
  snapshot(name) { return this.request('POST', `/_tarmac/snapshots/${segment(name)}`); }

  // Puts the state back as snapshot `name` saved it.
  restore(name) { return this.request('POST', `/_tarmac/snapshots/${segment(name)}/restore`); }

  // The saved snapshots' names.
  async snapshots() {
    return ((await this.request('GET', '/_tarmac/snapshots')).snapshots || []).map((s) => s.name);
  }

  deleteSnapshot(name) { return this.request('DELETE', `/_tarmac/snapshots/${segment(name)}`); }

  // The dispatcher's delivery records, newest first (id, function, logicalId, origin, status,
  // traceId, submittedNs, …; payload and result with bodies). function: a logical id or a
  // name; sinceNs: only those submitted from then on (see nowNs).
  async deliveries({ function: fn, sinceNs, limit, bodies = false } = {}) {
    const q = new URLSearchParams();
    if (fn) q.set('function', fn);
    if (limit) q.set('limit', String(limit));
    if (bodies) q.set('bodies', '1');
    const qs = q.toString();
    let records = (await this.request('GET', `/_tarmac/dispatch/deliveries${qs ? `?${qs}` : ''}`)).deliveries;
    if (sinceNs !== undefined) records = records.filter((r) => BigInt(r.submittedNs ?? 0) >= BigInt(sinceNs));
    return records;
  }

  // The stored traces and logs as one OTLP/JSON document: one trace with traceId; with sinceNs,
  // the traces begun from then on (see otlpSince).
  async traces({ traceId, sinceNs } = {}) {
    const doc = await this.request('GET', `/_tarmac/traces${traceId ? `?trace=${traceId}` : ''}`);
    return sinceNs !== undefined ? otlpSince(doc, sinceNs) : doc;
  }

  // traces() flattened: spans with `service` (their resource's service.name) and `attrs`.
  async spans(options = {}) {
    const out = [];
    for (const rs of (await this.traces(options)).resourceSpans || []) {
      const service = attributes(rs.resource?.attributes)['service.name'];
      for (const ss of rs.scopeSpans || []) {
        for (const s of ss.spans || []) out.push({ ...s, service, attrs: attributes(s.attributes) });
      }
    }
    return out;
  }

  // -- clients ---------------------------------------------------------------------------------

  // Environment variables pointing an AWS SDK or the aws CLI at this Tarmac.
  get env() { return { ...AWS_TEST_CREDENTIALS, AWS_ENDPOINT_URL: this.edge }; }

  // The options for an AWS SDK v3 client: new S3Client(tarmac.clientConfig).
  get clientConfig() {
    return { endpoint: this.edge, region: 'us-east-1', forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  }

  // Waits until a log line (stderr) from index sinceLine on contains text; resolves to it. The
  // log is read as Tarmac writes it, so a line can arrive a moment after the delivery that
  // printed it is recorded. Rejects after timeoutMs with an error coded as node:assert's failures are.
  async waitForLog(text, { timeoutMs = 10_000, sinceLine = 0 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (let seen = sinceLine; ; ) {
      const found = this.stderr.slice(seen).find((l) => l.includes(text));
      if (found !== undefined) return found;
      seen = Math.max(seen, this.stderr.length);
      if (Date.now() >= deadline) {
        const e = new Error(`no log line with ${JSON.stringify(text)} in ${timeoutMs} ms; `
          + `last lines:\n${this.stderr.slice(-20).join('\n')}`);
        e.code = 'ERR_ASSERTION';
        throw e;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // -- failure artifacts -----------------------------------------------------------------------

  // Where a test starts: Tarmac's clock and the number of log lines so far.
  async mark() {
    let sinceNs = 0n;
    try { sinceNs = await this.nowNs(); } catch { /* not answering: all of it */ }
    return { sinceNs, firstLine: this.stderr.length };
  }

  // Writes STEM.json (the traces since mark, OTLP/JSON) and STEM.log (the log lines since it);
  // resolves to the .json path.
  async writeArtifacts(stem, { sinceNs = 0n, firstLine = 0 } = {}) {
    mkdirSync(path.dirname(stem), { recursive: true });
    const doc = await this.traces();
    let recent = sinceNs ? otlpSince(doc, sinceNs) : doc;
    if (sinceNs && !recent.resourceSpans.length && !recent.resourceLogs.length) recent = doc;
    writeFileSync(`${stem}.json`, JSON.stringify(recent, null, 1));
    writeFileSync(`${stem}.log`, `${this.stderr.slice(firstLine).join('\n')}\n`);
    return `${stem}.json`;
  }
}

// Fault injection (/_tarmac/faults): tarmac.faults.
class Faults {
  constructor(t) { this.t = t; }

  // Adds a fault; resolves to its id. match: service, operation, resource, function,
  // probability, count. effect: {type: 'error', code, status, message}, latency {ms}, drop,
  // duplicate, delay {ms}, coldStart, timeout.
  async add({ match = {}, effect }) {
    if (!effect) throw new TypeError("faults.add needs an effect, e.g. {type: 'error', code: 'SlowDown', status: 503}");
    return (await this.t.request('POST', '/_tarmac/faults', { match, effect })).id;
  }

  // The faults in force.
  async list() { return (await this.t.request('GET', '/_tarmac/faults')).faults || []; }

  remove(id) { return this.t.request('DELETE', `/_tarmac/faults/${segment(id)}`); }

  // Removes every fault.
  clear() { return this.t.request('DELETE', '/_tarmac/faults'); }

  // The fault holds while fn runs only: await tarmac.faults.with({match, effect}, async (id) => …).
  async with(fault, fn) {
    const id = await this.add(fault);
    try {
      return await fn(id);
    } finally {
      await this.remove(id).catch((e) => { if (e.status !== 404) throw e; }); // spent: gone already
    }
  }
}

// The dispatcher's controls (/_tarmac/dispatch): tarmac.dispatch.
class Dispatch {
  constructor(t) { this.t = t; }

  state() { return this.t.request('GET', '/_tarmac/dispatch'); }

  // Holds every delivery from now on (until resume).
  pause() { return this.t.request('POST', '/_tarmac/dispatch/pause'); }

  // Delivers what was held and stops holding.
  resume() { return this.t.request('POST', '/_tarmac/dispatch/resume'); }

  // The held deliveries, oldest first.
  async pending() { return (await this.t.request('GET', '/_tarmac/dispatch/pending')).pending; }

  // Waits until at least `count` deliveries are held; resolves to them.
  async waitPending(count = 1, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = await this.pending();
      if (pending.length >= count) return pending;
      if (Date.now() > deadline) throw new Error(`${pending.length} deliveries held after ${timeoutMs} ms, not ${count}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // Releases a held delivery (with payload instead of its own when given).
  deliver(id, payload) {
    return this.t.request('POST', `/_tarmac/dispatch/pending/${id}/deliver`, payload === undefined ? {} : { payload });
  }

  drop(id) { return this.t.request('POST', `/_tarmac/dispatch/pending/${id}/drop`); }

  // Holds deliveries to `function` (logical id or name) from `origin` whose payload matches
  // path/op/value; resolves to the breakpoint's id.
  async breakpoint(spec) { return (await this.t.request('POST', '/_tarmac/dispatch/breakpoints', spec)).id; }

  async breakpoints() { return (await this.t.request('GET', '/_tarmac/dispatch/breakpoints')).breakpoints; }

  removeBreakpoint(id) { return this.t.request('DELETE', `/_tarmac/dispatch/breakpoints/${id}`); }

  // Removes every breakpoint, resumes, and delivers what was held.
  async clear() {
    for (const bp of await this.breakpoints()) await this.removeBreakpoint(bp.id);
    await this.resume();
    for (const p of await this.pending()) {
      await this.deliver(p.id).catch((e) => { if (e.status !== 404) throw e; }); // delivered meanwhile
    }
  }
}

// Starts Tarmac; resolves once it is ready. Options: project, bin, env (for the tarmac process),
// args (more `tarmac serve` arguments), readyTimeoutMs, cwd.
export function startTarmac(options = {}) {
  return new Tarmac(options).start();
}

const stem = (name) => (name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 180) || 'test');

// Starts Tarmac before a file's tests and stops it after them; returns a getter for it (and
// getter.ready(), a promise of it for the file's own before hooks). With
// setProcessEnv (the default) the AWS_* variables in process.env point at it meanwhile, so SDK
// clients made without options find it. A failed test's traces are written to
// <artifacts>/tarmac-artifacts/<test>.json (artifacts: options.artifacts, else
// $TARMAC_ARTIFACTS, else the current directory). Works with node:test, and with Vitest's (or
// Jest's) globals when they are present.
export function useTarmac(options = {}) {
  const { setProcessEnv = true, artifacts, ...startOptions } = options;
  const g = globalThis;
  const vitestLike = typeof g.beforeAll === 'function' && typeof g.afterAll === 'function';
  // Vitest and Jest take a timeout in ms as the hooks' second argument, node:test an options object.
  const timeout = (ms) => (vitestLike ? ms : { timeout: ms });
  const hooks = vitestLike
    ? { before: g.beforeAll, after: g.afterAll, beforeEach: g.beforeEach, afterEach: g.afterEach }
    : { before: nodeTest.before, after: nodeTest.after, beforeEach: nodeTest.beforeEach, afterEach: nodeTest.afterEach };
  const dir = path.join(artifacts || process.env.TARMAC_ARTIFACTS || process.cwd(), 'tarmac-artifacts');
  let tarmac = null;
  let saved = null;
  let mark = null;
  // Settled once the before hook has started Tarmac (or failed to).
  let started;
  const ready = new Promise((resolve, reject) => { started = { resolve, reject }; });
  ready.catch(() => {}); // the hook reports the failure; no unhandled rejection besides

  hooks.before(async () => {
    try {
      tarmac = await startTarmac(startOptions);
    } catch (e) {
      started.reject(e);
      throw e;
    }
    if (setProcessEnv) {
      saved = Object.fromEntries(Object.keys(tarmac.env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, tarmac.env);
    }
    started.resolve(tarmac);
  }, timeout(120000));
  hooks.after(async () => {
    if (saved) {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
    if (tarmac) await tarmac.stop();
  }, timeout(30000));

  const writeFor = async (name) => {
    if (!tarmac || !tarmac.edge) return;
    try {
      const file = await tarmac.writeArtifacts(path.join(dir, stem(name)), mark || {});
      console.error(`tarmac: traces of the failed test "${name}" in ${file}`);
    } catch (e) {
      console.error(`tarmac: could not write the traces of "${name}": ${e.message}`);
    }
  };
  // (...args): a hook function with a parameter would be a callback-style hook to Jest.
  hooks.beforeEach(async (...args) => {
    const ctx = args[0];
    mark = tarmac ? await tarmac.mark() : null;
    // Vitest: a callback when the test fails.
    if (ctx && typeof ctx.onTestFailed === 'function') ctx.onTestFailed(() => writeFor(ctx.task?.name ?? 'test'));
  });
  hooks.afterEach(async (...args) => {
    const ctx = args[0];
    // node:test (Node 20.x and later) says whether the test passed.
    if (ctx && ctx.passed === false && typeof ctx.onTestFailed !== 'function') await writeFor(ctx.name);
  });

  const get = () => {
    if (!tarmac) throw new Error('Tarmac is not running yet: call the getter inside a test, or await tarmac.ready() in a before hook');
    return tarmac;
  };
  // For a file's own before hooks: Node 20 runs top-level before hooks side by side, so one
  // of them cannot count on Tarmac having started: `before(async () => { const t = await
  // tarmac.ready(); … })`. Tests and beforeEach hooks run after every before hook and can use
  // tarmac() directly.
  get.ready = () => ready;
  return get;
}
