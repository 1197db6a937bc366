// The Chrome DevTools Protocol for the Python tests (Python has no WebSocket client here):
// node cdp-bridge.js ws://127.0.0.1:PORT/devtools/browser/ID
// Each line on stdin is a CDP message ({"id", "method", "params", "sessionId"?}), sent as is;
// each message from the browser (answers and events) is a line on stdout. The first line out
// is {"bridge": "open"}. Ends when stdin closes or the browser goes.
'use strict';

const readline = require('readline');
const WebSocket = require('ws');

const url = process.argv[2];
if (!url || !url.startsWith('ws://')) {
  console.error('usage: node cdp-bridge.js ws://127.0.0.1:PORT/devtools/browser/ID');
  process.exit(2);
}

const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
const out = (message) => process.stdout.write(`${message}\n`);

ws.on('open', () => {
  out(JSON.stringify({ bridge: 'open' }));
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim()) ws.send(line);
  });
  lines.on('close', () => ws.close());
});
ws.on('message', (data) => out(data.toString()));
ws.on('close', () => process.exit(0));
ws.on('error', (error) => {
  console.error(`cdp-bridge: ${error.message}`);
  process.exit(1);
});
