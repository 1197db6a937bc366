#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace tarmac {

class Clock;

// The trace a request belongs to, as read from (or written to) the two header forms Tarmac
// speaks: AWS X-Ray `X-Amzn-Trace-Id` and W3C `traceparent` (PROTOCOLS.md §9). One
// representation serves both because the mapping is lossless: the W3C trace-id is the X-Ray
// Root without its `1-` prefix and dashes.
//
// Parsing runs on every request, so it works on views and allocates only the result.
// It does not carry W3C `tracestate`, and it does not decide sampling: Tarmac records every
// trace, so an undecided `Sampled=?` (or no Sampled field) is read as sampled.
struct TraceContext
{
    QByteArray traceId; // 32 lower-case hex digits
    QByteArray parentSpanId; // 16 lower-case hex digits, or empty on the first hop
    bool sampled = true;
    // X-Ray fields other than Root/Parent/Sampled ("Lineage=…;Self=…"), `;`-joined, kept
    // so that forwarding the header does not drop what an upstream hop added.
    QByteArray extra;

    bool isValid() const { return traceId.size() == 32; }

    // The value of an X-Amzn-Trace-Id header. A header whose Root, Parent or Sampled is
    // malformed is rejected as a whole rather than half-trusted.
    static std::optional<TraceContext> fromXRay(QByteArrayView header);
    // The value of a W3C traceparent header, versions 00 and later (not ff).
    static std::optional<TraceContext> fromTraceparent(QByteArrayView header);
    // A valid X-Ray header wins (that is what AWS SDKs send), then traceparent.
    static std::optional<TraceContext> fromHeaders(QByteArrayView xray, QByteArrayView traceparent);

    // A fresh root context whose first 8 hex digits are the clock's epoch seconds, so the id
    // is a valid X-Ray Root as well as a W3C trace-id.
    static TraceContext newTrace(const Clock &clock);
    // A random non-zero 64-bit id as 16 lower-case hex digits. Thread-safe.
    static QByteArray newSpanId();

    // The same trace with `spanId` as the parent, for propagating below a span we opened.
    TraceContext withParent(QByteArray spanId) const;

    // "Root=1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy;Parent=…;Sampled=1" plus the extra fields.
    QByteArray toXRay() const;
    // "00-<trace-id>-<parent-id>-<flags>", or empty when there is no parent: traceparent
    // cannot express a trace without a parent span.
    QByteArray toTraceparent() const;

    friend bool operator==(const TraceContext &, const TraceContext &) = default;
};

} // namespace tarmac
