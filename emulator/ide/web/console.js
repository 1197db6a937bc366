// Tarmac's reference browser console: the IDE port's JSON-RPC 2.0 API over a WebSocket.
// Plain JavaScript, no build step. Every text from the server goes into the page as text
// (textContent, never innerHTML).
(() => {
  'use strict';

  const TOKEN_KEY = 'tarmac.ide.token';
  const TOPICS = ['spans', 'logs', 'deliveries', 'resources', 'clock', 'fidelity'];
  const MAX_LOGS = 2000;
  const MAX_SPANS = 200;
  const KIND_ORDER = ['function', 'api', 'route', 'queue', 'topic', 'bucket', 'table', 'rule'];

  const $ = (id) => document.getElementById(id);

  // el('div', {className: 'x', dataset: {id: 1}, title: 't'}, 'text', childNode, …)
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key === 'className' || key === 'title' || key === 'type' || key === 'hidden'
               || key === 'disabled' || key === 'value' || key === 'spellcheck' || key === 'rows')
        node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const state = {
    ws: null,
    opened: false,
    generation: 0,
    nextId: 1,
    calls: new Map(),
    retryMs: 1000,
    retryTimer: null,
    resources: new Map(),   // kind/name → resource
    names: new Map(),       // physical function name → logical id
    collapsed: new Set(),   // kinds folded by the user
    browsed: new Map(),     // kind/name → items (or an error) shown under a resource
    searches: new Map(),    // kind/name → its search form's fields as typed
    actionForms: new Map(), // kind/name → {action, typed}: an action's fields, shown
    pending: new Map(),     // delivery id → {delivery, node, original}
    paused: false,
    pendingFetch: null,
    pendingDirty: false,
    missed: 0,
    missedByTopic: {},
    logQueue: null,         // live logs held while the recent ones are fetched
    invokeFunction: null,
    invokeSeq: 0,
    invokeDrafts: new Map(),
    noticeTimer: null,
  };

  // ---- small formatting helpers ---------------------------------------------------------

  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }

  function pad(n, width) {
    return String(n).padStart(width || 2, '0');
  }

  function clockTime(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.` +
      pad(d.getMilliseconds(), 3);
  }

  function duration(ms) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 1000) return `${ms.toFixed(1)} ms`;
    return `${(ms / 1000).toFixed(2)} s`;
  }

  function displayName(physical) {
    return state.names.get(physical) || physical || '';
  }

  function notice(text, kind) {
    const n = $('notice');
    n.textContent = text || '';
    n.dataset.kind = kind || 'error';
    clearTimeout(state.noticeTimer);
    if (text) state.noticeTimer = setTimeout(() => { n.textContent = ''; }, 10000);
  }

  function errorText(e) {
    if (!e) return 'failed';
    return e.type ? `${e.type}: ${e.message}` : (e.message || String(e));
  }

  // ---- connection -----------------------------------------------------------------------

  class RpcError extends Error {
    constructor(error) {
      super((error && error.message) || 'error');
      this.code = error && error.code;
      this.type = error && error.data && error.data.type;
    }
  }

  function setStatus(text, kind) {
    const s = $('status');
    s.textContent = text;
    s.dataset.state = kind || text;
    document.body.dataset.connection = kind || text;
  }

  function showConnect(message) {
    $('connect').hidden = false;
    $('connect-message').textContent = message;
    $('token-input').value = '';
    $('token-input').focus();
  }

  function tokenFromFragment() {
    const m = /(?:^#|[#&])token=([^&]*)/.exec(location.hash);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch (e) {
      return m[1];
    }
  }

  // A token in the fragment wins (it is taken out of the address, kept for this tab only).
  function takeFragmentToken() {
    const token = tokenFromFragment();
    if (token === null) return false;
    sessionStorage.setItem(TOKEN_KEY, token.trim());
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  function call(method, params) {
    return new Promise((resolve, reject) => {
      const ws = state.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        reject(new Error('not connected'));
        return;
      }
      const id = state.nextId++;
      state.calls.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params || {} }));
    });
  }

  function scheduleReconnect() {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
  }

  function disconnect() {
    clearTimeout(state.retryTimer);
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
      ws.close();
    }
    for (const c of state.calls.values()) c.reject(new Error('disconnected'));
    state.calls.clear();
  }

  async function connect() {
    disconnect();
    const generation = ++state.generation;
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      setStatus('no token', 'idle');
      showConnect('Paste the IDE token: `tarmac serve` prints the console\'s address with it, ' +
        'and it is in STATE/ide-token.');
      return;
    }
    setStatus('connecting', 'connecting');
    let port;
    try {
      const r = await fetch('config.json', { cache: 'no-store' });
      if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
      port = (await r.json()).idePort;
      if (!port) throw new Error('the IDE port is off (tarmac serve --ide-port)');
    } catch (e) {
      if (generation !== state.generation) return;
      setStatus('offline', 'offline');
      notice(`Tarmac is not answering: ${errorText(e)}; trying again.`);
      scheduleReconnect();
      return;
    }
    if (generation !== state.generation) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.hostname}:${port}/?token=` +
      encodeURIComponent(token));
    state.ws = ws;
    state.opened = false;
    ws.onopen = () => {
      state.opened = true;
      state.retryMs = 1000;
      setStatus('connected', 'connected');
      $('connect').hidden = true;
      notice('');
      start().catch((e) => notice(`Loading failed: ${errorText(e)}`));
    };
    ws.onmessage = (event) => onMessage(event.data);
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      $('pause').disabled = $('resume').disabled = $('step').disabled = true;
      for (const c of state.calls.values()) c.reject(new Error('disconnected'));
      state.calls.clear();
      if (!state.opened) {
        // Refused before the upgrade: a wrong or stale token (each state has its own).
        sessionStorage.removeItem(TOKEN_KEY);
        setStatus('refused', 'refused');
        showConnect('The IDE port refused the connection: the token is wrong or out of date ' +
          '(each Tarmac state has its own). Paste the one in STATE/ide-token.');
        return;
      }
      setStatus('disconnected', 'disconnected');
      notice(`Connection closed${event.code ? ` (${event.code})` : ''}; reconnecting.`);
      scheduleReconnect();
    };
  }

  function onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (msg.id !== undefined && msg.id !== null && (msg.result !== undefined || msg.error)) {
      const c = state.calls.get(msg.id);
      if (!c) return;
      state.calls.delete(msg.id);
      if (msg.error) c.reject(new RpcError(msg.error));
      else c.resolve(msg.result);
      return;
    }
    if (typeof msg.method === 'string') {
      const params = msg.params || {};
      if (params.missed > 0) addMissed(msg.method, params.missed);
      const handler = handlers[msg.method];
      if (handler) handler(Array.isArray(params.items) ? params.items : []);
    }
  }

  const handlers = {
    logs: (items) => {
      if (state.logQueue) state.logQueue.push(...items);
      else addLogs(items);
    },
    spans: (items) => addSpans(items),
    deliveries: (items) => onDeliveries(items),
    resources: (items) => onResources(items),
    clock: (items) => { if (items.length) showClock(items[items.length - 1]); },
    fidelity: (items) => {
      const last = items[items.length - 1];
      if (last) showFidelity(last.fidelity);
    },
  };

  function addMissed(topic, n) {
    state.missed += n;
    state.missedByTopic[topic] = (state.missedByTopic[topic] || 0) + n;
    const m = $('missed');
    m.hidden = false;
    m.textContent = `missed ${state.missed}`;
    m.title = 'Notifications dropped because the page fell behind: ' +
      Object.entries(state.missedByTopic).map(([t, c]) => `${t} ${c}`).join(', ');
  }

  // Everything the page shows, fetched again (after each (re)connection).
  async function start() {
    const generation = state.generation;
    state.logQueue = [];
    clearLogs();
    clearSpans();
    await call('subscribe', { topics: TOPICS });
    const [info, resources] = await Promise.all([call('tarmac.info'), call('resources.list')]);
    if (generation !== state.generation) return;
    showInfo(info);
    state.resources.clear();
    for (const r of resources.resources || []) state.resources.set(keyOf(r), r);
    renderResources();
    refreshPending();
    call('clock.get').then(showClock, () => {});
    let recent = [];
    try {
      recent = (await call('logs.query', { limit: 200 })).logs || [];
    } catch (e) {
      notice(`Recent logs: ${errorText(e)}`);
    }
    if (generation !== state.generation) return;
    const seen = new Set(recent.map(logKey));
    const live = (state.logQueue || []).filter((l) => !seen.has(logKey(l)));
    state.logQueue = null;
    addLogs(recent);
    addLogs(live);
  }

  // ---- header -------------------------------------------------------------------------

  function showInfo(info) {
    const project = info.project ? info.project.split(/[\\/]/).filter(Boolean).pop() : 'no project';
    $('info').textContent = `v${info.version} · ${project}`;
    $('info').title = [`project: ${info.project || '-'}`, `template: ${info.template || '-'}`,
      `state: ${info.state || '-'}${info.ephemeral ? ' (ephemeral)' : ''}`,
      ...Object.entries(info.urls || {}).map(([k, v]) => `${k}: ${v}`)].join('\n');
    document.title = `Tarmac · ${project}`;
    showFidelity(info.fidelity);
  }

  function showFidelity(f) {
    const node = $('fidelity');
    if (!f || (!f.unsupported && !f.ignored)) {
      node.hidden = true;
      return;
    }
    node.hidden = false;
    node.textContent = [f.unsupported ? `${f.unsupported} unsupported` : '',
      f.ignored ? `${f.ignored} ignored` : ''].filter(Boolean).join(' · ');
    node.title = (f.items || []).map((i) =>
      `${i.level}: ${i.subject}${i.path ? ` (${i.path})` : ''}${i.note ? ` — ${i.note}` : ''}` +
      (i.line ? ` [line ${i.line}]` : '')).join('\n');
  }

  function showClock(c) {
    const node = $('clock');
    if (!c || !c.frozen) {
      node.hidden = true;
      return;
    }
    node.hidden = false;
    node.textContent = `clock frozen ${String(c.now).replace('T', ' ')}`;
  }

  // ---- resources ----------------------------------------------------------------------

  function keyOf(r) {
    return `${r.kind}/${r.name}`;
  }

  let resourcesFrame = 0;
  function onResources(items) {
    for (const { change, resource } of items) {
      if (!resource) continue;
      if (change === 'removed') state.resources.delete(keyOf(resource));
      else state.resources.set(keyOf(resource), resource);
    }
    if (!resourcesFrame) {
      resourcesFrame = requestAnimationFrame(() => {
        resourcesFrame = 0;
        renderResources();
      });
    }
  }

  function kindRank(kind) {
    const i = KIND_ORDER.indexOf(kind);
    return i < 0 ? KIND_ORDER.length : i;
  }

  function renderResources() {
    const byKind = new Map();
    state.names.clear();
    for (const r of state.resources.values()) {
      if (!byKind.has(r.kind)) byKind.set(r.kind, []);
      byKind.get(r.kind).push(r);
      if (r.kind === 'function' && r.logicalId) state.names.set(r.name, r.logicalId);
    }
    const kinds = [...byKind.keys()].sort((a, b) => kindRank(a) - kindRank(b) || a.localeCompare(b));
    const root = $('resources');
    const groups = [];
    for (const kind of kinds) {
      const list = byKind.get(kind).sort((a, b) =>
        (a.logicalId || a.name).localeCompare(b.logicalId || b.name));
      const details = el('details', { className: 'kind', dataset: { kind } },
        el('summary', {}, kind, ' ', el('span', { className: 'count' }, `${list.length}`)),
        el('ul', {}, ...list.map(resourceNode)));
      details.open = !state.collapsed.has(kind);
      details.addEventListener('toggle', () => {
        if (details.open) state.collapsed.delete(kind);
        else state.collapsed.add(kind);
      });
      groups.push(details);
    }
    if (!groups.length) groups.push(el('p', { className: 'empty' }, 'No resources.'));
    root.replaceChildren(...groups);
    $('resources-count').textContent = state.resources.size ? String(state.resources.size) : '';
  }

  function resourceNode(r) {
    const key = keyOf(r);
    const title = [r.arn, ...Object.entries(r.properties || {}).map(([k, v]) => `${k}: ${v}`)]
      .filter(Boolean).join('\n');
    const buttons = [];
    const actions = Array.isArray(r.actions) ? r.actions : [];
    if (r.kind === 'function' || actions.includes('invoke')) {
      const b = el('button', { type: 'button', className: 'invoke primary',
        dataset: { function: r.logicalId || r.name, testid: 'invoke-button' } }, 'Invoke');
      b.addEventListener('click', () => openInvoke(r));
      buttons.push(b);
    }
    for (const action of actions) {
      if (action === 'invoke') continue;
      const b = el('button', { type: 'button', className: 'action', dataset: { action } },
        action === 'browse' && state.browsed.has(key) ? 'hide' : action);
      b.addEventListener('click', () => runAction(r, action, b));
      buttons.push(b);
    }
    const li = el('li', { className: 'resource', title,
      dataset: { kind: r.kind, name: r.name, logicalId: r.logicalId || '' } },
    el('div', { className: 'res-head' },
      el('span', { className: 'res-name' }, r.logicalId || r.name),
      r.logicalId ? el('span', { className: 'res-physical' }, r.name) : null),
    el('div', { className: 'res-line' },
      el('span', { className: 'res-status' }, r.status || ''),
      el('span', { className: 'res-actions' }, ...buttons)),
    r.warning ? el('div', { className: 'res-warning' }, r.warning) : null);
    if (state.actionForms.has(key)) li.append(actionForm(r, key));
    if (state.browsed.has(key)) {
      if (Array.isArray(r.search) && r.search.length) li.append(searchForm(r, key));
      li.append(browseNode(state.browsed.get(key)));
    }
    return li;
  }

  // An action that asks for fields first (a route's "send request").
  function actionForm(r, key) {
    const { action, typed } = state.actionForms.get(key);
    const fields = r.actionFields[action];
    const form = el('form', { className: 'search action-form', dataset: { action } });
    addFields(form, fields, typed);
    const cancel = el('button', { type: 'button', className: 'cancel' }, 'cancel');
    form.append(el('span', { className: 'search-buttons' }, cancel,
      el('button', { type: 'submit', className: 'primary' }, action)));
    cancel.addEventListener('click', () => { state.actionForms.delete(key); renderResources(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const done = await call('resources.action',
          { kind: r.kind, name: r.name, action, fields: fieldValues(form, fields) });
        notice(done.result || `${action}: done`, 'info');
        state.actionForms.delete(key);
        renderResources();
      } catch (e) {
        notice(`${action}: ${errorText(e)}`);
      }
    });
    return form;
  }

  // Inputs for a catalog entry's fields (a search's, an action's) in `form`, keeping what is
  // typed in `typed` across redraws.
  function addFields(form, fields, typed) {
    for (const f of fields) {
      const choices = Array.isArray(f.choices) ? f.choices : [];
      const input = choices.length
        ? el('select', { name: f.id }, ...choices.map((c) => el('option', { value: c }, c)))
        : f.multiline
          ? el('textarea', { name: f.id, rows: 4, placeholder: f.placeholder || '', spellcheck: false })
          : el('input', { name: f.id, type: 'text', placeholder: f.placeholder || '',
            spellcheck: false });
      input.value = typed[f.id] !== undefined ? typed[f.id] : (choices.length ? choices[0] : f.value || '');
      input.addEventListener('input', () => { typed[f.id] = input.value; });
      form.append(el('label', { className: choices.length ? 'choice' : 'text' },
        el('span', {}, f.label), input));
    }
  }

  function fieldValues(form, fields) {
    const out = {};
    for (const f of fields) out[f.id] = form.elements[f.id].value;
    return out;
  }

  // A resource's search (a table's Query and Scan): the fields its catalog entry lists; the
  // matches replace the browsed items until "all".
  function searchForm(r, key) {
    if (!state.searches.has(key)) state.searches.set(key, {});
    const typed = state.searches.get(key);
    const form = el('form', { className: 'search', dataset: { testid: 'search' } });
    addFields(form, r.search, typed);
    const all = el('button', { type: 'button', className: 'all' }, 'all');
    form.append(el('span', { className: 'search-buttons' }, all,
      el('button', { type: 'submit', className: 'primary' }, 'search')));
    const show = async (method, params) => {
      try {
        state.browsed.set(key, await call(method, { kind: r.kind, name: r.name, ...params }));
      } catch (e) {
        state.browsed.set(key, e);
      }
      renderResources();
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const fields = fieldValues(form, r.search);
      Object.assign(typed, fields);
      show('resources.search', { fields });
    });
    all.addEventListener('click', () => show('resources.items', {}));
    return form;
  }

  function browseNode(result) {
    if (result instanceof Error) return el('div', { className: 'error' }, errorText(result));
    const items = result.items || [];
    if (!items.length) return el('div', { className: 'browse empty' }, 'empty');
    return el('ul', { className: 'browse' },
      ...items.map((i) => el('li', {},
        el('span', { className: 'item-key' }, i.label || i.key),
        i.detail ? el('span', { className: 'item-detail' }, i.detail) : null,
        el('span', { className: 'item-size' }, `${i.size} B`))),
      result.truncated ? el('li', { className: 'empty' }, '…') : null);
  }

  async function runAction(r, action, button) {
    const key = keyOf(r);
    if (action === 'browse') {
      if (state.browsed.has(key)) {
        state.browsed.delete(key);
      } else {
        try {
          state.browsed.set(key, await call('resources.items', { kind: r.kind, name: r.name }));
        } catch (e) {
          state.browsed.set(key, e);
        }
      }
      renderResources();
      return;
    }
    const fields = r.actionFields && r.actionFields[action];
    if (Array.isArray(fields) && fields.length) {
      if (state.actionForms.has(key) && state.actionForms.get(key).action === action) state.actionForms.delete(key);
      else state.actionForms.set(key, { action, typed: {} });
      renderResources();
      return;
    }
    if ((action === 'purge' || action.startsWith('delete'))
        && !confirm(`${action} ${r.logicalId || r.name}?`)) return;
    button.disabled = true;
    try {
      const done = await call('resources.action', { kind: r.kind, name: r.name, action });
      notice(done.result || `${action}: done`, 'info');
    } catch (e) {
      notice(`${action}: ${errorText(e)}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- invoke -------------------------------------------------------------------------

  function openInvoke(r) {
    const name = r.logicalId || r.name;
    if (state.invokeFunction) state.invokeDrafts.set(state.invokeFunction, $('invoke-payload').value);
    state.invokeFunction = name;
    $('invoke').hidden = false;
    $('invoke-function').textContent = name;
    $('invoke-payload').value = state.invokeDrafts.get(name) || '{}';
    $('invoke-error').textContent = '';
    $('invoke').scrollIntoView({ block: 'nearest' });
    $('invoke-payload').focus();
  }

  function closeInvoke() {
    if (state.invokeFunction) state.invokeDrafts.set(state.invokeFunction, $('invoke-payload').value);
    $('invoke').hidden = true;
  }

  async function sendInvoke() {
    const fn = state.invokeFunction;
    if (!fn) return;
    let payload;
    try {
      payload = JSON.parse($('invoke-payload').value);
    } catch (e) {
      $('invoke-error').textContent = `Not JSON: ${e.message}`;
      return;
    }
    $('invoke-error').textContent = '';
    state.invokeDrafts.set(fn, $('invoke-payload').value);
    const invocationType = $('invoke-type').value;
    const seq = ++state.invokeSeq;
    const result = $('invoke-result');
    result.dataset.state = 'waiting';
    result.replaceChildren(el('p', { className: 'result-head' },
      `${fn}: ${invocationType === 'Event' ? 'submitting' : 'waiting for the answer'}…`,
      state.paused ? ' (dispatch is paused: deliver it under Pending deliveries)' : ''));
    try {
      const r = await call('functions.invoke', { function: fn, payload, invocationType });
      if (seq === state.invokeSeq) showInvokeResult(fn, r);
    } catch (e) {
      if (seq !== state.invokeSeq) return;
      result.dataset.state = 'error';
      result.replaceChildren(el('p', { className: 'result-head error' },
        `${fn}: ${errorText(e)}`));
    }
  }

  function showInvokeResult(fn, r) {
    const result = $('invoke-result');
    const failed = Boolean(r.functionError);
    result.dataset.state = failed ? 'error' : 'done';
    const head = [`${fn}: ${r.statusCode}`];
    if (typeof r.durationMs === 'number') head.push(duration(r.durationMs));
    if (failed) head.push(`${r.functionError} ${r.errorType || ''}`.trim());
    if (r.statusCode === 202) head.push('accepted (Event)');
    const body = r.payload !== undefined ? pretty(r.payload) : (r.payloadText || '');
    result.replaceChildren(
      el('p', { className: `result-head${failed ? ' error' : ''}`, title: r.requestId || '' },
        head.join(' · ')),
      body ? el('pre', { className: 'result-payload', dataset: { testid: 'invoke-payload-out' } },
        body) : null,
      r.logTail ? el('details', { className: 'logtail' }, el('summary', {}, 'Log tail'),
        el('pre', {}, r.logTail)) : null);
  }

  // ---- pending deliveries -------------------------------------------------------------

  function onDeliveries(items) {
    for (const item of items) {
      if (item.event === 'paused') showPaused(Boolean(item.paused));
    }
    refreshPending();
  }

  // deliveries.pending again; one call at a time, and once more if asked meanwhile.
  function refreshPending() {
    if (state.pendingFetch) {
      state.pendingDirty = true;
      return;
    }
    state.pendingFetch = call('deliveries.pending')
      .then((r) => {
        showPaused(Boolean(r.paused));
        renderPending(r.pending || []);
      }, (e) => notice(`Pending deliveries: ${errorText(e)}`))
      .finally(() => {
        state.pendingFetch = null;
        if (state.pendingDirty) {
          state.pendingDirty = false;
          refreshPending();
        }
      });
  }

  function showPaused(paused) {
    state.paused = paused;
    const s = $('dispatch-state');
    s.textContent = paused ? 'paused' : 'running';
    s.dataset.state = paused ? 'paused' : 'running';
    $('pause').disabled = paused;
    $('resume').disabled = !paused;
    document.body.dataset.paused = String(paused);
  }

  function renderPending(list) {
    const root = $('pending');
    const ids = new Set(list.map((d) => d.id));
    for (const [id, entry] of state.pending) {
      if (!ids.has(id)) {
        entry.node.remove();
        state.pending.delete(id);
      }
    }
    for (const d of list) {
      if (!state.pending.has(d.id)) {
        const entry = pendingNode(d);
        state.pending.set(d.id, entry);
      }
    }
    // In the server's order. A node already in place is not moved: the one being edited
    // keeps its text, its focus and its selection.
    list.forEach((d, i) => {
      const node = state.pending.get(d.id).node;
      if (root.children[i] !== node) root.insertBefore(node, root.children[i] || null);
    });
    $('pending-empty').hidden = list.length > 0;
    $('pending-count').textContent = list.length ? String(list.length) : '';
    $('step').disabled = list.length === 0;
  }

  function pendingNode(d) {
    const isJson = d.payload !== undefined;
    const original = isJson ? pretty(d.payload) : (d.payloadText || '');
    const textarea = el('textarea', { className: 'payload json', spellcheck: false,
      rows: Math.min(12, Math.max(3, original.split('\n').length)), value: original,
      dataset: { testid: 'payload' }, 'aria-label': `Payload of ${d.id}` });
    const edited = el('span', { className: 'tag edited', hidden: true }, 'edited');
    const error = el('span', { className: 'error' });
    const deliver = el('button', { type: 'button', className: 'deliver primary',
      dataset: { testid: 'deliver' } }, 'Deliver');
    const drop = el('button', { type: 'button', className: 'drop danger',
      dataset: { testid: 'drop' } }, 'Drop');
    textarea.addEventListener('input', () => { edited.hidden = textarea.value === original; });
    const name = d.logicalId || d.function;
    const reason = d.reason === 'breakpoint' ? `breakpoint ${d.breakpoint || ''}`.trim() : d.reason;
    const node = el('li', { className: 'pending-item', dataset: { id: d.id, testid: 'pending-item' } },
      el('div', { className: 'pending-head', title: `delivery ${d.id}\ntrace ${d.traceId || '-'}` },
        el('span', { className: 'res-name' }, name),
        el('span', { className: 'tag' }, d.origin || ''),
        el('span', { className: 'tag' }, d.async ? 'async' : 'sync'),
        el('span', { className: 'tag' }, reason || ''),
        edited,
        el('time', { className: 'when' }, d.submittedAt ? clockTime(Date.parse(d.submittedAt)) : '')),
      textarea,
      el('div', { className: 'toolbar' }, deliver, drop, error));
    const busy = (on) => { deliver.disabled = drop.disabled = on; };
    deliver.addEventListener('click', async () => {
      const params = { id: d.id };
      if (textarea.value !== original) {
        if (isJson) {
          try {
            params.payload = JSON.parse(textarea.value);
          } catch (e) {
            error.textContent = `Not JSON: ${e.message}`;
            return;
          }
        } else {
          params.payloadText = textarea.value;
        }
      }
      error.textContent = '';
      busy(true);
      try {
        await call('dispatch.deliver', params);
        node.dataset.done = 'delivered';
      } catch (e) {
        error.textContent = errorText(e);
        busy(false);
      }
      refreshPending();
    });
    drop.addEventListener('click', async () => {
      error.textContent = '';
      busy(true);
      try {
        await call('dispatch.drop', { id: d.id });
        node.dataset.done = 'dropped';
      } catch (e) {
        error.textContent = errorText(e);
        busy(false);
      }
      refreshPending();
    });
    return { delivery: d, node, original };
  }

  async function dispatchControl(method) {
    try {
      const r = await call(method);
      if (method === 'dispatch.step') notice(`delivered ${r.delivered}`, 'info');
      else showPaused(Boolean(r.paused));
    } catch (e) {
      notice(`${method}: ${errorText(e)}`);
    }
    refreshPending();
  }

  // ---- logs ---------------------------------------------------------------------------

  function logKey(l) {
    return `${l.time}|${l.spanId}|${l.text}`;
  }

  function clearLogs() {
    $('logs').replaceChildren();
    $('logs-count').textContent = '';
  }

  // A filter is text in the line, or a trace id (a span's row sets it).
  function logMatches(row, filter) {
    return !filter || row.dataset.traceId === filter
      || row.textContent.toLowerCase().includes(filter);
  }

  function addLogs(items) {
    if (!items.length) return;
    const box = $('logs');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    const filter = $('log-filter').value.trim().toLowerCase();
    const frag = document.createDocumentFragment();
    for (const l of items) {
      const level = String(l.level || 'INFO').toUpperCase();
      const row = el('div', { className: `log-line level-${level.toLowerCase()}`,
        title: [l.source, l.requestId && `request ${l.requestId}`, l.traceId && `trace ${l.traceId}`]
          .filter(Boolean).join('\n'),
        dataset: { traceId: l.traceId || '', requestId: l.requestId || '' } },
      el('span', { className: 'log-time' }, typeof l.time === 'number' ? clockTime(l.time) : ''),
      el('span', { className: 'log-level' }, level),
      el('span', { className: 'log-source' }, displayName(l.source)),
      el('span', { className: 'log-text' }, l.text || ''));
      row.hidden = !logMatches(row, filter);
      frag.append(row);
    }
    box.append(frag);
    while (box.childElementCount > MAX_LOGS) box.firstElementChild.remove();
    $('logs-count').textContent = String(box.childElementCount);
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function filterLogs() {
    const filter = $('log-filter').value.trim().toLowerCase();
    for (const row of $('logs').children) row.hidden = !logMatches(row, filter);
  }

  // ---- spans --------------------------------------------------------------------------

  function clearSpans() {
    $('spans').replaceChildren();
    $('spans-count').textContent = '';
  }

  function addSpans(items) {
    const list = $('spans');
    for (const s of items) {
      const status = s.status || 'unset';
      const row = el('li', { className: `span-row status-${status}`,
        title: [`trace ${s.traceId}`, `span ${s.spanId}`, s.function && `function ${s.function}`,
          s.operation && `operation ${s.operation}`, s.kind && `kind ${s.kind}`,
          '(click: this trace\'s logs)']
          .filter(Boolean).join('\n'),
        dataset: { traceId: s.traceId || '', status } },
      el('span', { className: 'span-name' }, s.function
        ? String(s.name || '').replace(s.function, displayName(s.function)) : (s.name || '')),
      el('span', { className: 'span-service' }, displayName(s.service)),
      el('span', { className: 'span-duration' }, duration(s.durationMs)),
      el('span', { className: `span-status tag ${status}` }, status));
      row.addEventListener('click', () => {
        $('log-filter').value = s.traceId || '';
        filterLogs();
      });
      list.prepend(row);
    }
    while (list.childElementCount > MAX_SPANS) list.lastElementChild.remove();
    $('spans-count').textContent = list.childElementCount ? String(list.childElementCount) : '';
  }

  // ---- wiring -------------------------------------------------------------------------

  function init() {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token-input').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token-input').value = '';
      state.retryMs = 1000;
      connect();
    });
    window.addEventListener('hashchange', () => {
      if (takeFragmentToken()) {
        state.retryMs = 1000;
        connect();
      }
    });
    $('invoke-send').addEventListener('click', sendInvoke);
    $('invoke-close').addEventListener('click', closeInvoke);
    $('invoke-payload').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        sendInvoke();
      }
    });
    $('pause').addEventListener('click', () => dispatchControl('dispatch.pause'));
    $('resume').addEventListener('click', () => dispatchControl('dispatch.resume'));
    $('step').addEventListener('click', () => dispatchControl('dispatch.step'));
    $('log-filter').addEventListener('input', filterLogs);
    $('logs-clear').addEventListener('click', clearLogs);
    takeFragmentToken();
    connect();
  }

  init();
})();
