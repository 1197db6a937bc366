"""An OTLP/HTTP receiver for tests: what a collector sees of Tarmac's export.

No OpenTelemetry Collector or Jaeger package exists for Debian 12 or on npm, and Python's
protobuf runtime is not installed here, so this decodes the protobuf wire format itself, from
opentelemetry-proto's field numbers (collector/trace/v1, collector/logs/v1, trace/v1, logs/v1,
common/v1, resource/v1), into the OTLP/JSON shape (hex ids, decimal-string 64-bit integers),
so a test reads protobuf and JSON exports alike. Unknown fields are skipped as protobuf
readers skip them; a malformed body fails the request with 400 and is recorded as an error.

    with OtlpReceiver() as r:          # r.url: http://127.0.0.1:PORT
        r.fail_with(503, times=2)      # the next two requests get 503 (Retry-After: 0)
        r.wait_spans(lambda s: ...)    # the decoded spans seen so far, once one matches
"""
import base64
import gzip
import json
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# message name -> {field number: (json name, kind, message name or None)}
# kinds: msg, str, hexbytes, b64bytes, fixed64, fixed32, enum, int64, uint32, bool, double
SCHEMA = {
    "ExportTraceServiceRequest": {1: ("resourceSpans", "msg", "ResourceSpans")},
    "ExportLogsServiceRequest": {1: ("resourceLogs", "msg", "ResourceLogs")},
    "ResourceSpans": {1: ("resource", "msg", "Resource"), 2: ("scopeSpans", "msg", "ScopeSpans"),
                      3: ("schemaUrl", "str", None)},
    "ResourceLogs": {1: ("resource", "msg", "Resource"), 2: ("scopeLogs", "msg", "ScopeLogs"),
                     3: ("schemaUrl", "str", None)},
    "Resource": {1: ("attributes", "msg", "KeyValue"), 2: ("droppedAttributesCount", "uint32", None)},
    "ScopeSpans": {1: ("scope", "msg", "InstrumentationScope"), 2: ("spans", "msg", "Span"),
                   3: ("schemaUrl", "str", None)},
    "ScopeLogs": {1: ("scope", "msg", "InstrumentationScope"), 2: ("logRecords", "msg", "LogRecord"),
                  3: ("schemaUrl", "str", None)},
    "InstrumentationScope": {1: ("name", "str", None), 2: ("version", "str", None),
                             3: ("attributes", "msg", "KeyValue"),
                             4: ("droppedAttributesCount", "uint32", None)},
    "Span": {1: ("traceId", "hexbytes", None), 2: ("spanId", "hexbytes", None),
             3: ("traceState", "str", None), 4: ("parentSpanId", "hexbytes", None),
             5: ("name", "str", None), 6: ("kind", "enum", None),
             7: ("startTimeUnixNano", "fixed64", None), 8: ("endTimeUnixNano", "fixed64", None),
             9: ("attributes", "msg", "KeyValue"), 10: ("droppedAttributesCount", "uint32", None),
             11: ("events", "msg", "Event"), 12: ("droppedEventsCount", "uint32", None),
             13: ("links", "msg", "Link"), 14: ("droppedLinksCount", "uint32", None),
             15: ("status", "msg", "Status"), 16: ("flags", "fixed32", None)},
    "Event": {1: ("timeUnixNano", "fixed64", None), 2: ("name", "str", None),
              3: ("attributes", "msg", "KeyValue"), 4: ("droppedAttributesCount", "uint32", None)},
    "Link": {1: ("traceId", "hexbytes", None), 2: ("spanId", "hexbytes", None),
             3: ("traceState", "str", None), 4: ("attributes", "msg", "KeyValue"),
             5: ("droppedAttributesCount", "uint32", None), 6: ("flags", "fixed32", None)},
    "Status": {2: ("message", "str", None), 3: ("code", "enum", None)},
    "LogRecord": {1: ("timeUnixNano", "fixed64", None), 11: ("observedTimeUnixNano", "fixed64", None),
                  2: ("severityNumber", "enum", None), 3: ("severityText", "str", None),
                  5: ("body", "msg", "AnyValue"), 6: ("attributes", "msg", "KeyValue"),
                  7: ("droppedAttributesCount", "uint32", None), 8: ("flags", "fixed32", None),
                  9: ("traceId", "hexbytes", None), 10: ("spanId", "hexbytes", None)},
    "KeyValue": {1: ("key", "str", None), 2: ("value", "msg", "AnyValue")},
    "AnyValue": {1: ("stringValue", "str", None), 2: ("boolValue", "bool", None),
                 3: ("intValue", "int64", None), 4: ("doubleValue", "double", None),
                 5: ("arrayValue", "msg", "ArrayValue"), 6: ("kvlistValue", "msg", "KeyValueList"),
                 7: ("bytesValue", "b64bytes", None)},
    "ArrayValue": {1: ("values", "msg", "AnyValue")},
    "KeyValueList": {1: ("values", "msg", "KeyValue")},
}
# The members that are repeated in the .proto files (lists in OTLP/JSON).
REPEATED = {"resourceSpans", "resourceLogs", "scopeSpans", "scopeLogs", "spans", "logRecords",
            "attributes", "events", "links", "values"}


def _varint(data, i):
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def decode(data, message):
    """The protobuf `data` of `message` as OTLP/JSON (a dict)."""
    fields = SCHEMA[message]
    out = {}
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            raw, i = _varint(data, i)
        elif wire == 1:
            if i + 8 > len(data):
                raise ValueError("truncated fixed64")
            raw, i = data[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(data, i)
            if i + n > len(data):
                raise ValueError("truncated length-delimited field")
            raw, i = data[i:i + n], i + n
        elif wire == 5:
            if i + 4 > len(data):
                raise ValueError("truncated fixed32")
            raw, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        if number not in fields:
            continue
        name, kind, sub = fields[number]
        if kind == "msg":
            value = decode(raw, sub)
        elif kind == "str":
            value = raw.decode("utf-8")
        elif kind == "hexbytes":
            value = raw.hex()
        elif kind == "b64bytes":
            value = base64.b64encode(raw).decode()
        elif kind == "fixed64":
            value = str(struct.unpack("<Q", raw)[0])
        elif kind == "fixed32":
            value = struct.unpack("<I", raw)[0]
        elif kind == "double":
            value = struct.unpack("<d", raw)[0]
        elif kind == "bool":
            value = bool(raw)
        elif kind == "int64":
            value = str(raw - (1 << 64) if raw >= 1 << 63 else raw)
        else:  # enum, uint32
            value = raw - (1 << 64) if raw >= 1 << 63 else raw
        if name in REPEATED:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


class OtlpReceiver:
    def __init__(self, port=0):
        self.requests = []  # {"path", "content_type", "headers", "body" (decoded), "raw"}
        self.errors = []
        self._lock = threading.Condition()
        self._failures = []  # statuses to answer before accepting again
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    failure = receiver._failures.pop(0) if receiver._failures else None
                if failure:
                    self._answer(failure, b'{"message":"unavailable"}', {"Retry-After": "0"})
                    return
                ctype = self.headers.get("Content-Type", "")
                try:
                    body = raw
                    if self.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    message = {"/v1/traces": "ExportTraceServiceRequest",
                               "/v1/logs": "ExportLogsServiceRequest"}[self.path]
                    if ctype == "application/x-protobuf":
                        decoded = decode(body, message)
                    elif ctype == "application/json":
                        decoded = json.loads(body)
                    else:
                        raise ValueError("content type %r" % ctype)
                except Exception as e:  # noqa: BLE001 - recorded for the test to see
                    with receiver._lock:
                        receiver.errors.append("%s %s: %s" % (self.path, ctype, e))
                        receiver._lock.notify_all()
                    self._answer(400, json.dumps({"message": str(e)}).encode())
                    return
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "content_type": ctype,
                                              "headers": dict(self.headers), "body": decoded,
                                              "raw": raw})
                    receiver._lock.notify_all()
                reply = b"{}" if ctype == "application/json" else b""
                self._answer(200, reply, {"Content-Type": ctype})

            def _answer(self, status, body, headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def fail_with(self, status, times=1):
        with self._lock:
            self._failures += [status] * times

    def _records(self, resources, scopes, records):
        out = []
        with self._lock:
            for r in self.requests:
                for res in r["body"].get(resources, []):
                    service = attributes(res.get("resource", {})).get("service.name")
                    for scope in res.get(scopes, []):
                        out += [dict(x, service=service) for x in scope.get(records, [])]
        return out

    def spans(self):
        """Every span received so far, each with "service" (its resource's service.name)."""
        return self._records("resourceSpans", "scopeSpans", "spans")

    def logs(self):
        """Every log record received so far, each with "service"."""
        return self._records("resourceLogs", "scopeLogs", "logRecords")

    def wait_for(self, what, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            found = [x for x in what() if predicate(x)]
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("not received within %.0f s; errors: %s; got: %s" % (
                    timeout, self.errors, json.dumps(what())[:2000]))
            with self._lock:
                self._lock.wait(min(left, 0.2))


def attributes(holder):
    """{key: plain value} of an OTLP attributes list (stringValue, intValue as int, ...)."""
    out = {}
    for kv in holder.get("attributes", []):
        v = kv.get("value", {})
        if "stringValue" in v:
            out[kv["key"]] = v["stringValue"]
        elif "intValue" in v:
            out[kv["key"]] = int(v["intValue"])
        elif "boolValue" in v:
            out[kv["key"]] = v["boolValue"]
        elif "doubleValue" in v:
            out[kv["key"]] = v["doubleValue"]
        else:
            out[kv["key"]] = v
    return out
