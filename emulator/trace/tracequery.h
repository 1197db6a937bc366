#pragma once

#include "base/result.h"
#include "trace/span.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <limits>
#include <memory>
#include <optional>

namespace tarmac {

class Database;

// Read-only questions about the trace store (STATE/traces.db) for views that must not load
// everything: the desktop timeline asks for one window at a time, summarised per pixel when
// zoomed out, and for one trace when the user picks a span.
//
// It owns its own read-only connection, so it never waits for the Tracer's writer and never
// shares the Tracer's read lock with exports. Not thread-safe: create it on the thread that
// uses it (a view's worker thread), one per thread. It never writes; a store that does not
// exist yet is an error from open().
class TraceQuery
{
public:
    // What a timeline needs of a span: everything but its attributes, plus the function it
    // ran in (the span's `faas.name` attribute, empty for spans outside functions).
    struct SpanSummary
    {
        QByteArray traceId;
        QByteArray spanId;
        QByteArray parentSpanId;
        QString name;
        QString service;
        QString function;
        int kind = SpanKindInternal;
        qint64 startNs = 0;
        qint64 endNs = 0;
        int statusCode = SpanStatusUnset;
    };

    // Spans of one lane (service and function) that start in one time bucket, summarised.
    struct SpanBucket
    {
        QString service;
        QString function;
        qint64 startNs = 0; // earliest start in the bucket
        qint64 endNs = 0; // latest end of those spans
        qint64 count = 0;
        qint64 errors = 0;
    };

    struct Extent
    {
        qint64 spanCount = 0;
        qint64 logCount = 0;
        qint64 startNs = 0; // earliest span start or log time; 0 when empty
        qint64 endNs = 0; // latest span end or log time
        qint64 maxSpanDurationNs = 0;
    };

    struct LogQuery
    {
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max();
        QByteArray traceId; // empty: every trace
        qsizetype limit = -1; // -1: no limit
        bool newest = false; // with a limit: the newest rows (still returned oldest first)
        QString source; // empty: every source (a function's name, a service)
        QString text; // empty: any text; else lines that contain it
        int minSeverity = 0;
    };

    static Result<std::unique_ptr<TraceQuery>> open(const QString &tracesDbPath);
    ~TraceQuery();

    Result<Extent> extent();

    // Spans starting in [fromNs, toNs]: an index-only count, cheap enough to decide whether
    // a window can be shown span by span.
    Result<qint64> countStarting(qint64 fromNs, qint64 toNs);

    // Spans that overlap [fromNs, toNs], ordered by start, handed to `row` one at a time so
    // that a large window is never held twice. `row` returns false to stop early; the
    // result is the number of rows handed over.
    Result<qint64> scanSpans(qint64 fromNs, qint64 toNs, qsizetype limit,
        const std::function<bool(const SpanSummary &)> &row);

    // The spans overlapping [fromNs, toNs], grouped per lane into buckets of bucketNs by
    // start time: what a zoomed-out timeline draws instead of a million boxes.
    Result<QList<SpanBucket>> aggregateSpans(qint64 fromNs, qint64 toNs, qint64 bucketNs);

    // Span counts (and errors) by start time in `buckets` equal parts of [fromNs, toNs).
    struct Histogram
    {
        QList<qint64> counts;
        QList<qint64> errors;
    };
    Result<Histogram> histogram(qint64 fromNs, qint64 toNs, int buckets);

    // Every span of one trace, attributes included, ordered by start.
    Result<QList<Span>> trace(const QByteArray &traceId);
    // One span, attributes included.
    Result<std::optional<Span>> span(const QByteArray &traceId, const QByteArray &spanId);

    Result<QList<LogRecord>> logs(const LogQuery &query);

    // Invocations per function (the function runner's Invoke spans) and how many failed.
    struct Invocations
    {
        qint64 count = 0;
        qint64 errors = 0;
    };
    Result<QHash<QString, Invocations>> invocationsByFunction();
    // Whether a span is one of those (for counting live spans the same way).
    static bool isInvocation(const Span &span);

    // The function a span ran in, as scanSpans() reports it; for spans that arrive live.
    static QString functionOf(const Span &span);

private:
    explicit TraceQuery(std::unique_ptr<Database> db);
    Result<qint64> maxSpanDuration();

    std::unique_ptr<Database> m_db;
    // The longest span seen so far and the row id it was computed up to: an overlap query
    // bounds its index scan with it instead of reading every row that ends after `from`.
    qint64 m_maxDurationNs = 0;
    qint64 m_maxDurationUpToId = 0;
};

} // namespace tarmac
