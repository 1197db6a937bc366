#include "trace/tracequery.h"

#include "base/json.h"
#include "store/database.h"
#include "trace/attributecodec.h"
#include "trace/tracerows.h"

#include <cmath>

namespace tarmac {

namespace {

// The Tracer stores attributes as a JSON array of [key, type, value] triples. A function
// name is plain text (letters, digits, - and _), so a string search finds it both here and
// in SQL, where parsing every row's JSON would make a zoomed-out summary of a million spans
// several times slower.
constexpr char kFunctionMarker[] = R"(["faas.name","s",")";
static_assert(sizeof kFunctionMarker - 1 == 18, "TARMAC_FUNCTION_SQL skips 18 characters");

#define TARMAC_FUNCTION_SQL                                                                        \
    "CASE WHEN instr(attributes, '[\"faas.name\",\"s\",\"') > 0 THEN "                             \
    "substr(attributes, instr(attributes, '[\"faas.name\",\"s\",\"') + 18, "                       \
    "instr(substr(attributes, instr(attributes, '[\"faas.name\",\"s\",\"') + 18), '\"') - 1) "     \
    "ELSE '' END"

// from - duration without wrapping below qint64's minimum.
qint64 saturatingSub(qint64 a, qint64 b)
{
    qint64 r;
    if (__builtin_sub_overflow(a, b, &r))
        return std::numeric_limits<qint64>::min();
    return r;
}

} // namespace

TraceQuery::TraceQuery(std::unique_ptr<Database> db)
    : m_db(std::move(db))
{ }

TraceQuery::~TraceQuery() = default;

Result<std::unique_ptr<TraceQuery>> TraceQuery::open(const QString &tracesDbPath)
{
    Database::Options options;
    options.readOnly = true;
    auto db = Database::open(tracesDbPath, options);
    if (!db)
        return db.error();
    // A read-only connection cannot create the tables: a store the Tracer has not created
    // yet is reported now rather than as "no such table" on every later query.
    auto probe = (*db)->prepare("SELECT 1 FROM spans, logs LIMIT 0");
    if (!probe)
        return probe.error();
    return std::unique_ptr<TraceQuery>(new TraceQuery(std::move(*db)));
}

QString TraceQuery::functionOf(const Span &span)
{
    for (const Attribute &a : span.attributes) {
        if (a.key == QLatin1String("faas.name")) {
            if (const QString *name = std::get_if<QString>(&a.value))
                return *name;
        }
    }
    return {};
}

Result<qint64> TraceQuery::maxSpanDuration()
{
    auto st = m_db->prepare("SELECT max(end_ns - start_ns), max(id) FROM spans WHERE id > ?1");
    if (!st)
        return st.error();
    st->bind(1, m_maxDurationUpToId);
    auto row = st->step();
    if (!row)
        return row.error();
    if (*row && !st->isNull(1)) {
        m_maxDurationNs = qMax(m_maxDurationNs, st->int64(0));
        m_maxDurationUpToId = st->int64(1);
    }
    return m_maxDurationNs;
}

Result<TraceQuery::Extent> TraceQuery::extent()
{
    Extent e;
    auto maxDuration = maxSpanDuration();
    if (!maxDuration)
        return maxDuration.error();
    e.maxSpanDurationNs = *maxDuration;

    // min/max of an indexed column are one index probe each; the latest end is found among
    // the spans that start within the longest duration of the latest start.
    auto st
        = m_db->prepare("SELECT (SELECT count(*) FROM spans), (SELECT min(start_ns) FROM spans), "
                        "(SELECT max(start_ns) FROM spans), (SELECT count(*) FROM logs), "
                        "(SELECT min(time_ns) FROM logs), (SELECT max(time_ns) FROM logs)");
    if (!st)
        return st.error();
    auto row = st->step();
    if (!row)
        return row.error();
    e.spanCount = st->int64(0);
    e.logCount = st->int64(3);
    bool any = false;
    qint64 lastStart = 0;
    if (e.spanCount > 0) {
        e.startNs = st->int64(1);
        lastStart = st->int64(2);
        e.endNs = lastStart;
        any = true;
    }
    if (e.logCount > 0) {
        e.startNs = any ? qMin(e.startNs, st->int64(4)) : st->int64(4);
        e.endNs = any ? qMax(e.endNs, st->int64(5)) : st->int64(5);
        any = true;
    }
    if (e.spanCount > 0) {
        auto end = m_db->prepare("SELECT max(end_ns) FROM spans WHERE start_ns >= ?1");
        if (!end)
            return end.error();
        end->bind(1, saturatingSub(lastStart, e.maxSpanDurationNs));
        auto r = end->step();
        if (!r)
            return r.error();
        if (*r && !end->isNull(0))
            e.endNs = qMax(e.endNs, end->int64(0));
    }
    return e;
}

Result<qint64> TraceQuery::countStarting(qint64 fromNs, qint64 toNs)
{
    auto st = m_db->prepare("SELECT count(*) FROM spans WHERE start_ns BETWEEN ?1 AND ?2");
    if (!st)
        return st.error();
    st->bind(1, fromNs).bind(2, toNs);
    auto row = st->step();
    if (!row)
        return row.error();
    return st->int64(0);
}

Result<qint64> TraceQuery::scanSpans(qint64 fromNs, qint64 toNs, qsizetype limit,
    const std::function<bool(const SpanSummary &)> &row)
{
    auto maxDuration = maxSpanDuration();
    if (!maxDuration)
        return maxDuration.error();
    auto st = m_db->prepare(
        "SELECT trace_id, span_id, parent_span_id, name, service, kind, start_ns, end_ns, "
        "status_code, " TARMAC_FUNCTION_SQL " FROM spans "
        "WHERE start_ns BETWEEN ?1 AND ?2 AND end_ns >= ?3 ORDER BY start_ns, id LIMIT ?4");
    if (!st)
        return st.error();
    st->bind(1, saturatingSub(fromNs, *maxDuration))
        .bind(2, toNs)
        .bind(3, fromNs)
        .bind(4, qint64(limit));
    qint64 n = 0;
    SpanSummary s;
    auto walked = st->forEachRow([&] {
        s.traceId = st->text(0).toLatin1();
        s.spanId = st->text(1).toLatin1();
        s.parentSpanId = st->text(2).toLatin1();
        s.name = st->text(3);
        s.service = st->text(4);
        s.kind = int(st->int64(5));
        s.startNs = st->int64(6);
        s.endNs = st->int64(7);
        s.statusCode = int(st->int64(8));
        s.function = st->text(9);
        ++n;
        return row(s);
    });
    if (!walked)
        return walked.error();
    return n;
}

Result<QList<TraceQuery::SpanBucket>> TraceQuery::aggregateSpans(
    qint64 fromNs, qint64 toNs, qint64 bucketNs)
{
    if (bucketNs <= 0)
        return makeError(
            QStringLiteral("InvalidArgument"), QStringLiteral("bucket must be positive"));
    auto maxDuration = maxSpanDuration();
    if (!maxDuration)
        return maxDuration.error();
    // Spans that started before the window but still run in it land in bucket 0.
    auto st
        = m_db->prepare("SELECT service, " TARMAC_FUNCTION_SQL " AS fn, "
                        "max(0, (start_ns - ?3) / ?4) AS b, min(start_ns), max(end_ns), count(*), "
                        "sum(status_code = 2) FROM spans "
                        "WHERE start_ns BETWEEN ?1 AND ?2 AND end_ns >= ?3 GROUP BY service, fn, b "
                        "ORDER BY b");
    if (!st)
        return st.error();
    st->bind(1, saturatingSub(fromNs, *maxDuration))
        .bind(2, toNs)
        .bind(3, fromNs)
        .bind(4, bucketNs);
    QList<SpanBucket> out;
    auto r = st->forEachRow([&] {
        SpanBucket b;
        b.service = st->text(0);
        b.function = st->text(1);
        b.startNs = st->int64(3);
        b.endNs = st->int64(4);
        b.count = st->int64(5);
        b.errors = st->int64(6);
        out.append(std::move(b));
    });
    if (!r)
        return r.error();
    return out;
}

Result<TraceQuery::Histogram> TraceQuery::histogram(qint64 fromNs, qint64 toNs, int buckets)
{
    if (buckets <= 0 || toNs <= fromNs)
        return makeError(
            QStringLiteral("InvalidArgument"), QStringLiteral("empty histogram range"));
    Histogram h;
    h.counts.fill(0, buckets);
    h.errors.fill(0, buckets);
    // The bucket width is rounded up so that the last nanosecond still falls in range.
    const qint64 width = (toNs - fromNs + buckets - 1) / buckets;
    auto st = m_db->prepare(
        "SELECT (start_ns - ?1) / ?3 AS b, count(*), sum(status_code = 2) FROM spans "
        "WHERE start_ns >= ?1 AND start_ns < ?2 GROUP BY b");
    if (!st)
        return st.error();
    st->bind(1, fromNs).bind(2, toNs).bind(3, width);
    auto r = st->forEachRow([&] {
        const qint64 b = st->int64(0);
        if (b >= 0 && b < buckets) {
            h.counts[b] = st->int64(1);
            h.errors[b] = st->int64(2);
        }
    });
    if (!r)
        return r.error();
    return h;
}

Result<QList<Span>> TraceQuery::trace(const QByteArray &traceId)
{
    auto st = m_db->prepare(std::string("SELECT ") + std::string(kSpanColumns)
        + " FROM spans WHERE trace_id = ?1 ORDER BY start_ns, id");
    if (!st)
        return st.error();
    st->bind(1, view(traceId));
    QList<Span> out;
    if (auto r = st->forEachRow([&] { out.append(readSpan(*st)); }); !r)
        return r.error();
    return out;
}

Result<std::optional<Span>> TraceQuery::span(const QByteArray &traceId, const QByteArray &spanId)
{
    auto st = m_db->prepare(std::string("SELECT ") + std::string(kSpanColumns)
        + " FROM spans WHERE trace_id = ?1 AND span_id = ?2 LIMIT 1");
    if (!st)
        return st.error();
    st->bind(1, view(traceId)).bind(2, view(spanId));
    auto r = st->step();
    if (!r)
        return r.error();
    if (!*r)
        return std::optional<Span>();
    return std::optional<Span>(readSpan(*st));
}

Result<QList<LogRecord>> TraceQuery::logs(const LogQuery &query)
{
    std::string sql
        = "SELECT " + std::string(kLogColumns) + " FROM logs WHERE time_ns BETWEEN ?1 AND ?2";
    if (!query.traceId.isEmpty())
        sql += " AND trace_id = ?4";
    if (!query.source.isEmpty())
        sql += " AND source = ?5";
    if (!query.text.isEmpty())
        sql += " AND instr(body, ?6) > 0";
    if (query.minSeverity > 0)
        sql += " AND severity >= ?7";
    sql += query.newest ? " ORDER BY time_ns DESC, id DESC LIMIT ?3"
                        : " ORDER BY time_ns, id LIMIT ?3";
    auto st = m_db->prepare(sql);
    if (!st)
        return st.error();
    st->bind(1, query.fromNs).bind(2, query.toNs).bind(3, qint64(query.limit));
    if (!query.traceId.isEmpty())
        st->bind(4, view(query.traceId));
    const QByteArray source = query.source.toUtf8();
    const QByteArray text = query.text.toUtf8();
    if (!query.source.isEmpty())
        st->bind(5, view(source));
    if (!query.text.isEmpty())
        st->bind(6, view(text));
    if (query.minSeverity > 0)
        st->bind(7, qint64(query.minSeverity));
    QList<LogRecord> out;
    if (auto r = st->forEachRow([&] { out.append(readLog(*st)); }); !r)
        return r.error();
    if (query.newest)
        std::reverse(out.begin(), out.end());
    return out;
}

bool TraceQuery::isInvocation(const Span &span)
{
    return span.kind == SpanKindServer && span.operation == QLatin1String("Invoke")
        && !functionOf(span).isEmpty();
}

Result<QHash<QString, TraceQuery::Invocations>> TraceQuery::invocationsByFunction()
{
    auto st = m_db->prepare(
        "SELECT " TARMAC_FUNCTION_SQL " AS fn, count(*), sum(status_code = 2) FROM spans "
        "WHERE operation = 'Invoke' AND kind = 2 AND fn != '' GROUP BY fn");
    if (!st)
        return st.error();
    QHash<QString, Invocations> out;
    if (auto r = st->forEachRow([&] { out.insert(st->text(0), {st->int64(1), st->int64(2)}); }); !r)
        return r.error();
    return out;
}

} // namespace tarmac
