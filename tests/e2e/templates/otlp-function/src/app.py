"""Exports one span over OTLP/HTTP JSON to $OTEL_EXPORTER_OTLP_ENDPOINT, a child of the
invocation's trace context ($_X_AMZN_TRACE_ID, as the X-Ray propagator reads it), and one log
record tied to it: what an OpenTelemetry SDK in a function does, without the SDK."""
import json
import os
import time
import urllib.request


def post(path, body):
    req = urllib.request.Request(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + path,
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"{}")


def handler(event, context):
    fields = dict(p.split("=", 1) for p in os.environ["_X_AMZN_TRACE_ID"].split(";") if "=" in p)
    trace_id = fields["Root"][2:].replace("-", "")
    parent = fields["Parent"]
    start = time.time_ns()
    span_id = os.urandom(8).hex()
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "traced-fn"}}]}
    spans = post("/v1/traces", {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [{
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": "fn-work",
        "kind": 1, "startTimeUnixNano": str(start), "endTimeUnixNano": str(time.time_ns()),
        "attributes": [{"key": "work.items", "value": {"intValue": "3"}}]}]}]}]})
    logs = post("/v1/logs", {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": [{
        "timeUnixNano": str(time.time_ns()), "severityNumber": 13, "body": {"stringValue": "sdk says hi"},
        "traceId": trace_id, "spanId": span_id}]}]}]})
    return {"traceId": trace_id, "parent": parent, "spanId": span_id, "answers": [spans, logs]}
