// OpenTelemetry's own JavaScript SDK exporting into Tarmac's OTLP receiver (/v1/traces on the
// edge port), over protobuf and over JSON, as a function's SDK would: each span is a child of
// a remote parent, and must come back from GET /_tarmac/traces in that trace, with its
// resource, kind, status and attributes (test_otlp.py runs it).
const assert = require("node:assert/strict");
const api = require("@opentelemetry/api");
const { BasicTracerProvider, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { resourceFromAttributes } = require("@opentelemetry/resources");
const { OTLPTraceExporter: ProtoExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
const { OTLPTraceExporter: JsonExporter } = require("@opentelemetry/exporter-trace-otlp-http");

const edge = process.env.TARMAC_EDGE;
const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentId = "00f067aa0ba902b7";

async function exportOne(Exporter, name) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "js-fn" }),
    spanProcessors: [new SimpleSpanProcessor(new Exporter({ url: `${edge}/v1/traces` }))],
  });
  const parent = api.trace.setSpanContext(api.context.active(),
    { traceId, spanId: parentId, traceFlags: api.TraceFlags.SAMPLED, isRemote: true });
  const span = provider.getTracer("e2e").startSpan(name,
    { kind: api.SpanKind.CLIENT, attributes: { count: 7, ratio: 0.5, ok: true, tags: ["a", "b"] } },
    parent);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: "boom" });
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
}

async function main() {
  await exportOne(ProtoExporter, "sdk-proto");
  await exportOne(JsonExporter, "sdk-json");
  let spans = [];
  for (let i = 0; i < 100 && spans.length < 2; i++) {
    const doc = await (await fetch(`${edge}/_tarmac/traces?trace=${traceId}`)).json();
    spans = doc.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map(
      (s) => ({ ...s, service: rs.resource.attributes.find((a) => a.key === "service.name").value.stringValue }))));
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(spans.map((s) => s.name).sort(), ["sdk-json", "sdk-proto"]);
  for (const s of spans) {
    assert.equal(s.traceId, traceId);
    assert.equal(s.parentSpanId, parentId);
    assert.equal(s.service, "js-fn");
    assert.equal(s.kind, 3);
    assert.deepEqual(s.status, { code: 2, message: "boom" });
    const attrs = Object.fromEntries(s.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual(attrs.count, { intValue: "7" });
    assert.deepEqual(attrs.ratio, { doubleValue: 0.5 });
    assert.deepEqual(attrs.ok, { boolValue: true });
    assert.ok(attrs.tags.stringValue.includes('"a"'), JSON.stringify(attrs.tags));
    assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
  }
  console.log("ok otlp sdk");
}

main().catch((e) => { console.error(e); process.exit(1); });
