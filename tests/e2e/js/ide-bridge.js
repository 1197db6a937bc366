// A JSON-RPC client of Tarmac's IDE port on the npm `ws` package, driven from a test over
// stdin/stdout: it connects to argv[2] (ws://…/?token=…), prints one JSON line per event
// ({"open": true}, {"refused": HTTP status}, {"error": text}, {"closed": code},
// {"message": the frame parsed}), and sends each stdin line as a text frame. Lines
// {"bridge": "pause"} and {"bridge": "resume"} stop and start reading the socket (a client
// that stops reading), {"bridge": "close"} closes it.
//
//   node ide-bridge.js URL [--origin ORIGIN]
const WebSocket = require('ws');
const readline = require('readline');

const url = process.argv[2];
const originAt = process.argv.indexOf('--origin');
const options = originAt > 0 ? { origin: process.argv[originAt + 1] } : {};
const ws = new WebSocket(url, options);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

ws.on('open', () => out({ open: true }));
ws.on('unexpected-response', (req, res) => {
  out({ refused: res.statusCode });
  process.exit(0);
});
ws.on('error', (e) => out({ error: String(e && e.message) }));
ws.on('close', (code) => {
  out({ closed: code });
  process.exit(0);
});
ws.on('message', (data) => {
  let parsed;
  try {
    parsed = JSON.parse(data.toString());
  } catch (e) {
    parsed = { unparsable: data.toString().slice(0, 200) };
  }
  out({ message: parsed });
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.startsWith('{"bridge"')) {
    const cmd = JSON.parse(line).bridge;
    if (cmd === 'pause') ws._socket.pause();
    else if (cmd === 'resume') ws._socket.resume();
    else if (cmd === 'close') ws.close();
    return;
  }
  ws.send(line);
});
