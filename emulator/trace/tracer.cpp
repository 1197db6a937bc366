#include "trace/tracer.h"

#include "base/json.h"
#include "store/database.h"
#include "trace/attributecodec.h"
#include "trace/tracerows.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QThread>
#include <QVarLengthArray>

#include <cmath>
#include <cstdio>

namespace tarmac {

Q_LOGGING_CATEGORY(lcTracer, "tarmac.trace")

namespace {

const std::vector<Migration> &migrations()
{
    // Ids are kept as the hex text they travel as, so a stored id reads back byte for byte
    // and can be matched by hand in the sqlite3 shell.
    static const std::vector<Migration> list = {
        {1, R"sql(
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL,
    operation TEXT NOT NULL,
    kind INTEGER NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    status_message TEXT NOT NULL,
    attributes TEXT
);
CREATE INDEX spans_trace_id ON spans(trace_id);
CREATE INDEX spans_start_ns ON spans(start_ns);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    time_ns INTEGER NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    severity INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX logs_trace_id ON logs(trace_id);
CREATE INDEX logs_time_ns ON logs(time_ns);
)sql"},
    };
    return list;
}

constexpr std::string_view InsertSpanSql
    = "INSERT INTO spans (trace_id, span_id, parent_span_id, name, service, operation, kind, "
      "start_ns, end_ns, status_code, status_message, attributes) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

constexpr std::string_view InsertLogSql
    = "INSERT INTO logs (time_ns, trace_id, span_id, source, request_id, severity, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

} // namespace

Tracer::Tracer(QString path, Options options, QObject *parent)
    : QObject(parent)
    , m_path(std::move(path))
    , m_options(options)
{ }

Result<std::unique_ptr<Tracer>> Tracer::open(
    const QString &path, const Options &options, QObject *parent)
{
    qRegisterMetaType<QList<Span>>();
    qRegisterMetaType<QList<LogRecord>>();

    Result<std::unique_ptr<Database>> writeDb = Database::open(path);
    if (!writeDb)
        return writeDb.error();
    if (Result<void> migrated = migrate(**writeDb, migrations()); !migrated)
        return migrated.error();
    // The writer inserts into growing indexes: a larger page cache keeps their hot pages in
    // memory instead of re-reading them from the file on every batch.
    if (Result<void> r = (*writeDb)->exec("PRAGMA cache_size = -16384"); !r)
        return r.error();
    Result<Statement> insertSpan = (*writeDb)->prepare(InsertSpanSql);
    if (!insertSpan)
        return insertSpan.error();
    Result<Statement> insertLog = (*writeDb)->prepare(InsertLogSql);
    if (!insertLog)
        return insertLog.error();

    Database::Options readOptions;
    readOptions.readOnly = true;
    Result<std::unique_ptr<Database>> readDb = Database::open(path, readOptions);
    if (!readDb)
        return readDb.error();

    std::unique_ptr<Tracer> tracer(new Tracer(path, options, parent));
    tracer->m_writeDb = std::move(*writeDb);
    tracer->m_insertSpan = std::make_unique<Statement>(std::move(*insertSpan));
    tracer->m_insertLog = std::make_unique<Statement>(std::move(*insertLog));
    tracer->m_readDb = std::move(*readDb);
    // From here on the write connection and its statements belong to the writer thread.
    Tracer *self = tracer.get();
    tracer->m_writer.reset(QThread::create([self] { self->writerLoop(); }));
    tracer->m_writer->setObjectName(QStringLiteral("tarmac-trace-writer"));
    tracer->m_writer->start();
    return Result<std::unique_ptr<Tracer>>(std::move(tracer));
}

Tracer::~Tracer()
{
    {
        QMutexLocker lock(&m_mutex);
        m_stop = true;
        m_wakeWriter.wakeOne();
    }
    m_writer->wait();
}

void Tracer::record(Span span)
{
    accept([&] { m_pendingSpans.append(std::move(span)); });
}

void Tracer::record(RequestSpan span)
{
    accept([&] { m_pendingSpans.append(std::move(span)); });
}

void Tracer::record(LogRecord log)
{
    accept([&] { m_pendingLogs.append(std::move(log)); });
}

template<typename Append>
void Tracer::accept(Append &&append)
{
    bool wake = false;
    {
        QMutexLocker lock(&m_mutex);
        const qsizetype pending = m_pendingSpans.size() + m_pendingLogs.size();
        if (pending >= m_options.maxPending) {
            ++m_dropped;
            return;
        }
        append();
        ++m_accepted;
        // Wake the writer only on the edges it waits for: the first record while it sleeps
        // untimed (idle), and a full batch; everything in between costs no system call.
        wake = (pending == 0 && m_writerIdle) || pending + 1 == m_options.batchSize;
    }
    // After the unlock: woken under the mutex, the writer would at once block on it again.
    if (wake)
        m_wakeWriter.wakeOne();
}

void Tracer::flush()
{
    if (QThread::currentThread() == m_writer.get())
        return;
    QMutexLocker lock(&m_mutex);
    const quint64 target = m_accepted;
    if (m_done >= target)
        return;
    m_flushTarget = qMax(m_flushTarget, target);
    m_wakeWriter.wakeOne();
    while (m_done < target)
        m_batchDone.wait(&m_mutex);
}

quint64 Tracer::droppedCount() const
{
    QMutexLocker lock(&m_mutex);
    return m_dropped;
}

quint64 Tracer::failedCount() const
{
    QMutexLocker lock(&m_mutex);
    return m_failed;
}

void Tracer::writerLoop()
{
    QMutexLocker lock(&m_mutex);
    const auto pendingCount = [this] { return m_pendingSpans.size() + m_pendingLogs.size(); };
    // Waits one interval for the batch to fill, unless it is full, someone flushes or the
    // tracer stops.
    const auto gather = [&](int intervalMs) {
        const QDeadlineTimer deadline(intervalMs);
        while (!m_stop && pendingCount() < m_options.batchSize && m_flushTarget <= m_done
            && !deadline.hasExpired()) {
            m_wakeWriter.wait(&m_mutex, deadline);
        }
    };
    QElapsedTimer sinceLastBatch; // invalid after an idle writer: its first batch sets no rate
    // A writer that starts late (a loaded machine) finds records waiting: it comes from idle
    // all the same, and lets their batch fill for an interval before it takes it.
    bool starting = true;
    // Swapped with the pending lists at each batch and cleared after it, so that the I/O
    // threads append into the capacity of the batch before last rather than grow a list from
    // nothing each time.
    QList<std::variant<Span, RequestSpan>> pending;
    QList<LogRecord> logs;
    for (;;) {
        if (!m_stop && (pendingCount() == 0 || starting)) {
            starting = false;
            // Idle until a record comes, then let its batch fill. Records found here otherwise
            // were gathered during the last batch's extra interval (below).
            m_writerIdle = true;
            while (!m_stop && pendingCount() == 0)
                m_wakeWriter.wait(&m_mutex);
            m_writerIdle = false;
            sinceLastBatch.invalidate();
            gather(m_options.flushIntervalMs);
        }
        if (pendingCount() == 0)
            break; // stopping, and nothing left to write

        pending.swap(m_pendingSpans);
        logs.swap(m_pendingLogs);
        const quint64 upTo = m_accepted;
        lock.unlock();
        QList<Span> spans;
        spans.reserve(pending.size());
        for (auto &record : pending) {
            if (Span *span = std::get_if<Span>(&record))
                spans.append(std::move(*span));
            else
                spans.append(std::get<RequestSpan>(record).toSpan());
        }
        pending.clear();

        // The rate these records came at, over the time since the last batch was taken.
        const qint64 records = spans.size() + logs.size();
        const bool busy = sinceLastBatch.isValid()
            && records * 1000 >= qint64(m_options.busyRecordsPerSecond)
                    * qMax<qint64>(1, sinceLastBatch.elapsed());
        sinceLastBatch.start();

        const Result<void> written = writeBatch(spans, logs);
        if (written) {
            emit batchWritten(spans, logs);
        } else {
            qCWarning(lcTracer).noquote()
                << "dropped a batch of" << records << "trace records:" << written.error().message;
        }

        logs.clear(); // before the lock: the I/O threads do not wait for the frees
        lock.relock();
        if (!written)
            m_failed += quint64(records);
        m_done = upTo;
        m_batchDone.wakeAll();

        // Stay awake one more interval before idling: records of a steady trickle then join
        // the next batch without waking this thread, which wakes once per batch (at the
        // interval's end) instead of twice (at the batch's first record, and its end).
        gather(busy ? m_options.busyFlushIntervalMs : m_options.flushIntervalMs);
    }
}

namespace {

// A row's text columns as UTF-8, side by side in one reused buffer that the insert reads in
// place: converting each string into an array of its own, and SQLite copying it again, were a
// sixth of the writer's work.
class RowText
{
public:
    void clear()
    {
        m_bytes.resize(0); // keeps its capacity
        m_ends.clear();
    }
    void add(const QString &text)
    {
        const auto *chars = reinterpret_cast<const char16_t *>(text.constData());
        const qsizetype size = text.size();
        // Without an early exit, so that the compiler can check many characters at a time.
        char16_t bits = 0;
        for (qsizetype i = 0; i < size; ++i)
            bits |= chars[i];
        if (bits < 0x80) {
            const qsizetype at = m_bytes.size();
            m_bytes.resize(at + size);
            char *to = m_bytes.data() + at;
            for (qsizetype i = 0; i < size; ++i)
                to[i] = char(chars[i]);
        } else {
            m_bytes += text.toUtf8();
        }
        m_ends.append(m_bytes.size());
    }
    // The i-th string added; valid until the next clear() or add().
    std::string_view operator[](qsizetype i) const
    {
        const qsizetype from = i == 0 ? 0 : m_ends[i - 1];
        return {m_bytes.constData() + from, size_t(m_ends[i] - from)};
    }

private:
    QByteArray m_bytes;
    QVarLengthArray<qsizetype, 8> m_ends;
};

} // namespace

Result<void> Tracer::writeBatch(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    Transaction tx(*m_writeDb);
    if (!tx.began())
        return tx.began().error();

    // Everything bound in place stays alive and unchanged until its row's exec().
    RowText text;
    for (const Span &s : spans) {
        const QByteArray attributes
            = s.attributes.isEmpty() ? QByteArray() : encodeAttributes(s.attributes);
        text.clear();
        text.add(s.name);
        text.add(s.service);
        text.add(s.operation);
        text.add(s.statusMessage);
        Statement &st = *m_insertSpan;
        st.bindInPlace(1, view(s.traceId))
            .bindInPlace(2, view(s.spanId))
            .bindInPlace(3, view(s.parentSpanId))
            .bindInPlace(4, text[0])
            .bindInPlace(5, text[1])
            .bindInPlace(6, text[2])
            .bind(7, s.kind)
            .bind(8, s.startNs)
            .bind(9, s.endNs)
            .bind(10, s.statusCode)
            .bindInPlace(11, text[3]);
        if (attributes.isEmpty())
            st.bindNull(12);
        else
            st.bindInPlace(12, view(attributes));
        if (Result<void> r = st.exec(); !r)
            return r;
    }
    for (const LogRecord &l : logs) {
        text.clear();
        text.add(l.source);
        text.add(l.requestId);
        text.add(l.text);
        Statement &st = *m_insertLog;
        st.bind(1, l.timeNs)
            .bindInPlace(2, view(l.traceId))
            .bindInPlace(3, view(l.spanId))
            .bindInPlace(4, text[0])
            .bindInPlace(5, text[1])
            .bind(6, l.severity)
            .bindInPlace(7, text[2]);
        if (Result<void> r = st.exec(); !r)
            return r;
    }
    return tx.commit();
}

Result<QList<Span>> Tracer::spans(const Query &query) const
{
    std::string sql = "SELECT " + std::string(kSpanColumns)
        + " FROM spans WHERE start_ns <= ?1 AND end_ns >= ?2";
    if (!query.traceId.isEmpty())
        sql += " AND trace_id = ?4";
    sql += " ORDER BY start_ns, id LIMIT ?3";

    QMutexLocker lock(&m_readMutex);
    Result<Statement> st = m_readDb->prepare(sql);
    if (!st)
        return st.error();
    st->bind(1, query.toNs).bind(2, query.fromNs).bind(3, qint64(query.limit));
    if (!query.traceId.isEmpty())
        st->bind(4, view(query.traceId));
    QList<Span> out;
    if (Result<void> r = st->forEachRow([&] { out.append(readSpan(*st)); }); !r)
        return r.error();
    return out;
}

Result<QList<LogRecord>> Tracer::logs(const Query &query) const
{
    std::string sql
        = "SELECT " + std::string(kLogColumns) + " FROM logs WHERE time_ns >= ?1 AND time_ns <= ?2";
    if (!query.traceId.isEmpty())
        sql += " AND trace_id = ?4";
    sql += " ORDER BY time_ns, id LIMIT ?3";

    QMutexLocker lock(&m_readMutex);
    Result<Statement> st = m_readDb->prepare(sql);
    if (!st)
        return st.error();
    st->bind(1, query.fromNs).bind(2, query.toNs).bind(3, qint64(query.limit));
    if (!query.traceId.isEmpty())
        st->bind(4, view(query.traceId));
    QList<LogRecord> out;
    if (Result<void> r = st->forEachRow([&] { out.append(readLog(*st)); }); !r)
        return r.error();
    return out;
}

Result<void> Tracer::clear()
{
    flush();
    // A connection of its own: the writer's belongs to its thread. SQLite's busy timeout
    // serialises the two.
    auto db = Database::open(m_path);
    if (!db)
        return db.error();
    return (*db)->exec("DELETE FROM spans; DELETE FROM logs;");
}

} // namespace tarmac
