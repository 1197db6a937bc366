#include "trace/tracecontext.h"

#include "base/clock.h"
#include "base/ids.h"
#include "trace/span.h"

#include <atomic>

namespace tarmac {

namespace {

// Far above anything AWS sends (Root, Parent, Sampled, Lineage, Self); a longer value is
// not a trace header worth forwarding.
constexpr qsizetype MaxXRayHeader = 1024;

bool isLowerHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool isLowerHex(QByteArrayView v)
{
    for (char c : v) {
        if (!isLowerHex(c))
            return false;
    }
    return true;
}

int hexValue(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

bool isAllZero(QByteArrayView v)
{
    for (char c : v) {
        if (c != '0')
            return false;
    }
    return true;
}

// X-Ray ids are hex without a stated case; upper case is accepted there and folded, so the
// stored form is always the lower-case one W3C demands.
bool appendLowerHex(QByteArray &out, QByteArrayView v)
{
    for (char c : v) {
        if (c >= 'A' && c <= 'F')
            c = char(c - 'A' + 'a');
        else if (!isLowerHex(c))
            return false;
        out.append(c);
    }
    return true;
}

quint64 nonZeroRandom()
{
    quint64 v = 0;
    while (v == 0)
        v = random64();
    return v;
}

} // namespace

std::optional<TraceContext> TraceContext::fromXRay(QByteArrayView header)
{
    if (header.size() > MaxXRayHeader)
        return std::nullopt;

    TraceContext ctx;
    bool haveRoot = false;
    bool haveParent = false;
    bool haveSampled = false;
    qsizetype pos = 0;
    while (pos <= header.size()) {
        qsizetype end = header.indexOf(';', pos);
        if (end < 0)
            end = header.size();
        const QByteArrayView field = header.sliced(pos, end - pos).trimmed();
        pos = end + 1;
        if (field.isEmpty())
            continue; // tolerate "a;;b" and a trailing ';'

        const qsizetype eq = field.indexOf('=');
        if (eq <= 0)
            return std::nullopt;
        const QByteArrayView key = field.first(eq).trimmed();
        const QByteArrayView value = field.sliced(eq + 1).trimmed();

        // Keys are case-sensitive, as AWS treats them: "root=" is some other field.
        if (key == "Root") {
            // 1-<8 hex>-<24 hex>
            if (haveRoot || value.size() != 35 || !value.startsWith("1-") || value[10] != '-')
                return std::nullopt;
            ctx.traceId.reserve(32);
            if (!appendLowerHex(ctx.traceId, value.sliced(2, 8))
                || !appendLowerHex(ctx.traceId, value.sliced(11, 24)) || isAllZero(ctx.traceId)) {
                return std::nullopt;
            }
            haveRoot = true;
        } else if (key == "Parent") {
            if (haveParent || value.size() != 16)
                return std::nullopt;
            ctx.parentSpanId.reserve(16);
            if (!appendLowerHex(ctx.parentSpanId, value) || isAllZero(ctx.parentSpanId))
                return std::nullopt;
            haveParent = true;
        } else if (key == "Sampled") {
            if (haveSampled)
                return std::nullopt;
            if (value == "1" || value == "?")
                ctx.sampled = true;
            else if (value == "0")
                ctx.sampled = false;
            else
                return std::nullopt;
            haveSampled = true;
        } else {
            if (key.isEmpty())
                return std::nullopt;
            if (!ctx.extra.isEmpty())
                ctx.extra.append(';');
            ctx.extra.append(key).append('=').append(value);
        }
    }
    if (!haveRoot)
        return std::nullopt;
    return ctx;
}

std::optional<TraceContext> TraceContext::fromTraceparent(QByteArrayView header)
{
    // Surrounding OWS is HTTP's, not part of the value; inside, the format is exact.
    header = header.trimmed();
    // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2
    constexpr qsizetype V00Length = 55;
    if (header.size() < V00Length)
        return std::nullopt;
    const QByteArrayView version = header.first(2);
    if (!isLowerHex(version) || version == "ff")
        return std::nullopt;
    // Version 00 is exactly 55 characters. A later version may append fields after another
    // '-', and a parser that knows only 00 reads the prefix (W3C Trace Context §3.2.4).
    if (version == "00" ? header.size() != V00Length
                        : header.size() > V00Length && header[V00Length] != '-') {
        return std::nullopt;
    }
    if (header[2] != '-' || header[35] != '-' || header[52] != '-')
        return std::nullopt;
    const QByteArrayView traceId = header.sliced(3, 32);
    const QByteArrayView parentId = header.sliced(36, 16);
    const QByteArrayView flags = header.sliced(53, 2);
    if (!isLowerHex(traceId) || isAllZero(traceId) || !isLowerHex(parentId) || isAllZero(parentId)
        || !isLowerHex(flags)) {
        return std::nullopt;
    }

    TraceContext ctx;
    ctx.traceId = traceId.toByteArray();
    ctx.parentSpanId = parentId.toByteArray();
    ctx.sampled = (hexValue(flags[1]) & 1) != 0; // bit 0 of trace-flags
    return ctx;
}

std::optional<TraceContext> TraceContext::fromHeaders(
    QByteArrayView xray, QByteArrayView traceparent)
{
    if (!xray.isEmpty()) {
        if (auto ctx = fromXRay(xray))
            return ctx;
    }
    if (!traceparent.isEmpty())
        return fromTraceparent(traceparent);
    return std::nullopt;
}

TraceContext TraceContext::newTrace(const Clock &clock)
{
    TraceContext ctx;
    ctx.traceId = QByteArray(32, Qt::Uninitialized);
    char *out = ctx.traceId.data();
    // The X-Ray epoch field is 32 bits; past 2106 it wraps rather than widening the id.
    const quint64 seconds = quint64(clock.nowNs() / 1'000'000'000) & 0xffffffffu;
    writeHex(out, seconds, 8);
    // Then a counter, from a random start, and 64 random bits: ids made in the same second
    // follow each other, so the trace store's index on them grows at its end instead of
    // taking each new id at a random place (a page split and a cold page every few inserts).
    // Still unique: no two ids share the second and the counter within 2^32 traces.
    static std::atomic<quint32> counter {quint32(random64())};
    const quint64 hi = counter.fetch_add(1, std::memory_order_relaxed);
    const quint64 lo = nonZeroRandom(); // non-zero: even a clock at the epoch gives a valid id
    writeHex(out + 8, hi, 8);
    writeHex(out + 16, lo, 16);
    return ctx;
}

QByteArray TraceContext::newSpanId()
{
    QByteArray id(16, Qt::Uninitialized);
    writeHex(id.data(), nonZeroRandom(), 16);
    return id;
}

TraceContext TraceContext::withParent(QByteArray spanId) const
{
    TraceContext ctx = *this;
    ctx.parentSpanId = std::move(spanId);
    return ctx;
}

QByteArray TraceContext::toXRay() const
{
    if (!isValid())
        return {};
    QByteArray out;
    out.reserve(5 + 35 + 8 + 16 + 10 + (extra.isEmpty() ? 0 : extra.size() + 1));
    out.append("Root=1-", 7)
        .append(traceId.constData(), 8)
        .append('-')
        .append(traceId.constData() + 8, 24);
    if (!parentSpanId.isEmpty())
        out.append(";Parent=", 8).append(parentSpanId);
    out.append(sampled ? ";Sampled=1" : ";Sampled=0", 10);
    if (!extra.isEmpty())
        out.append(';').append(extra);
    return out;
}

QByteArray TraceContext::toTraceparent() const
{
    if (!isValid() || parentSpanId.size() != 16)
        return {};
    QByteArray out;
    out.reserve(55);
    out.append("00-", 3)
        .append(traceId)
        .append('-')
        .append(parentSpanId)
        .append(sampled ? "-01" : "-00", 3);
    return out;
}

Span RequestSpan::toSpan() const
{
    Attributes all = {
        {QStringLiteral("http.request.method"), QString::fromLatin1(method)},
        {QStringLiteral("url.path"), QString::fromUtf8(path)},
        {QStringLiteral("http.response.status_code"), status},
        {QStringLiteral("aws.request_id"), QString::fromLatin1(requestId)},
    };
    for (const auto &[key, value] : attributes)
        all.append({key, value});
    return makeSpan({.traceId = traceId,
        .spanId = spanId,
        .parentSpanId = parentSpanId,
        .service = service,
        .operation = operation,
        // Without an operation: "s3 GET".
        .name = operation.isEmpty() ? service + u' ' + QString::fromLatin1(method) : QString(),
        .kind = SpanKindServer,
        .startNs = startNs,
        .endNs = endNs,
        .failed = status >= 500,
        .attributes = std::move(all)});
}

Span makeSpan(SpanSpec spec)
{
    Span span;
    span.traceId = std::move(spec.traceId);
    span.spanId = spec.spanId.isEmpty() ? TraceContext::newSpanId() : std::move(spec.spanId);
    span.parentSpanId = std::move(spec.parentSpanId);
    span.name = spec.name.isEmpty() ? spec.service + u' ' + spec.operation : std::move(spec.name);
    span.service = std::move(spec.service);
    span.operation = std::move(spec.operation);
    span.kind = spec.kind;
    span.startNs = spec.startNs;
    span.endNs = qMax(spec.startNs, spec.endNs);
    if (spec.failed || !spec.error.isEmpty()) {
        span.statusCode = SpanStatusError;
        span.statusMessage = std::move(spec.error);
    }
    span.attributes = std::move(spec.attributes);
    return span;
}

} // namespace tarmac
