"""A client of Tarmac's IDE port for the end-to-end tests: the npm `ws` package (js/ide-bridge.js)
does the WebSocket; this drives it over stdin/stdout and keeps what arrives."""
import json
import os
import queue
import shutil
import subprocess
import threading
import time

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def node_ws_available():
    return shutil.which("node") and os.path.isdir(os.path.join(JS_DIR, "node_modules", "ws"))


class IdeClient:
    def __init__(self, url, token=None, origin=None):
        target = url.rstrip("/") + "/" + ("?token=" + token if token is not None else "")
        cmd = ["node", os.path.join(JS_DIR, "ide-bridge.js"), target]
        if origin:
            cmd += ["--origin", origin]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.events = queue.Queue()
        self.replies = {}
        self.notes = []  # notifications, in arrival order
        self.lock = threading.Lock()
        self.next_id = 1000
        threading.Thread(target=self._read, daemon=True).start()
        first = self.events.get(timeout=15)
        self.opened = first.get("open", False)
        self.refused = first.get("refused")

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            message = event.get("message")
            if isinstance(message, dict) and "method" in message and "id" not in message:
                with self.lock:
                    self.notes.append(message)
            elif message is not None:
                items = message if isinstance(message, list) else [message]
                with self.lock:
                    for m in items:
                        self.replies[json.dumps(m.get("id")) if isinstance(m, dict) else "?"] = m
                    self.replies.setdefault("__frames__", []).append(message)
            else:
                self.events.put(event)
        self.events.put({"closed": "eof"})

    def send_raw(self, text):
        self.proc.stdin.write(text.replace("\n", " ") + "\n")
        self.proc.stdin.flush()

    def bridge(self, command):
        self.send_raw(json.dumps({"bridge": command}))

    def request(self, method, params=None):
        """Sends a request; returns its id (await it with reply())."""
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg))
        return self.next_id

    def reply(self, request_id, timeout=30):
        key = json.dumps(request_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.replies:
                    return self.replies.pop(key)
            time.sleep(0.01)
        raise TimeoutError("no answer to request %s" % request_id)

    def call(self, method, params=None, timeout=30):
        """The whole answer ({"result": …} or {"error": …})."""
        return self.reply(self.request(method, params), timeout)

    def result(self, method, params=None, timeout=30):
        answer = self.call(method, params, timeout)
        if "error" in answer:
            raise AssertionError("%s failed: %s" % (method, answer["error"]))
        return answer["result"]

    def items(self, topic):
        with self.lock:
            return [i for n in self.notes if n["method"] == topic for i in n["params"]["items"]]

    def missed(self, topic):
        with self.lock:
            return sum(n["params"]["missed"] for n in self.notes if n["method"] == topic)

    def wait_for(self, predicate, timeout=20, what="a condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise TimeoutError("timed out waiting for " + what)

    def close(self):
        try:
            self.bridge("close")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
