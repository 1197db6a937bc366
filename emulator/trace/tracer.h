#pragma once

#include "base/result.h"
#include "trace/span.h"

#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QWaitCondition>

#include <limits>
#include <memory>
#include <variant>

class QThread;

namespace tarmac {

class Database;
class Statement;

// The store of spans and logs: its own SQLite file (STATE/traces.db), kept apart from the
// state database so that a burst of tracing never competes with service writes for the
// write lock, and so the file can be deleted without losing state.
//
// record() is for the request path: it appends to a pending list under a mutex and returns;
// a writer thread owns the write connection and commits batches (every ~100 ms or 2,000
// records, whichever first) in one transaction with prepared statements it reuses. While
// records keep coming at 50 a second or more, it commits every ~500 ms instead: a commit's
// wake-up, system calls and page writes cost the same for 10 records as for 50 (about a fifth
// of a millisecond of CPU after an idle gap), and nobody reads a terminal that scrolls so
// fast line by line. A batch that follows an idle writer always waits the short interval, so
// a request made by hand shows at once. When the
// writer falls behind and the pending list reaches its cap, new records are dropped and
// counted rather than letting memory grow without bound.
//
// Reads (for export and the views) use a separate read-only connection and never wait for
// the writer. It does not prune old records; nothing is deleted until the file is.
class Tracer : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int flushIntervalMs = 100;
        // While the batches just written came at this rate or more, records per second
        // (counted from the second batch after an idle writer on), the writer waits
        // busyFlushIntervalMs instead.
        int busyRecordsPerSecond = 50;
        int busyFlushIntervalMs = 500;
        qsizetype batchSize = 2000;
        qsizetype maxPending = 200'000;
    };

    // Which records a read returns. Spans match when they overlap [fromNs, toNs]; logs when
    // their time falls in it. An empty traceId matches every trace.
    struct Query
    {
        qint64 fromNs = std::numeric_limits<qint64>::min();
        qint64 toNs = std::numeric_limits<qint64>::max();
        QByteArray traceId;
        qsizetype limit = -1; // -1: no limit
    };

    // Opens (creating and migrating) the traces database at `path` and starts the writer.
    static Result<std::unique_ptr<Tracer>> open(
        const QString &path, const Options &options, QObject *parent = nullptr);
    static Result<std::unique_ptr<Tracer>> open(const QString &path)
    {
        return open(path, Options {});
    }

    // Writes everything still pending, then stops the writer.
    ~Tracer() override;

    QString path() const { return m_path; }

    // Thread-safe and O(1); never touches SQLite on the caller's thread.
    void record(Span span);
    void record(RequestSpan span); // made into a Span on the writer's thread
    void record(LogRecord log);

    // Blocks until everything recorded before the call is committed (or has failed to be).
    // For shutdown and tests; calling it from a slot connected directly to batchWritten
    // would wait on itself, so there it returns at once.
    void flush();

    // Removes every stored span and log (POST /_tarmac/reset {"traces": true}), after
    // writing what is pending.
    Result<void> clear();
    // Records refused because the pending list was full.
    quint64 droppedCount() const;
    // Records whose batch failed to commit (reported once per batch with qWarning).
    quint64 failedCount() const;

    // Thread-safe; ordered by start (spans) or time (logs), then by arrival.
    Result<QList<Span>> spans(const Query &query) const;
    Result<QList<LogRecord>> logs(const Query &query) const;

signals:
    // After each committed batch, in record order. Emitted from the writer thread, so
    // connect with a receiver context: it then arrives queued on the receiver's thread.
    void batchWritten(const QList<tarmac::Span> &spans, const QList<tarmac::LogRecord> &logs);

private:
    Tracer(QString path, Options options, QObject *parent);
    void writerLoop();
    // Appends a record (`append` runs under the mutex) and wakes the writer when it must.
    template<typename Append>
    void accept(Append &&append);
    Result<void> writeBatch(const QList<Span> &spans, const QList<LogRecord> &logs);

    const QString m_path;
    const Options m_options;

    // Guards everything down to m_stop.
    mutable QMutex m_mutex;
    QWaitCondition m_wakeWriter;
    QWaitCondition m_batchDone;
    QList<std::variant<Span, RequestSpan>> m_pendingSpans; // in record order
    QList<LogRecord> m_pendingLogs;
    quint64 m_accepted = 0; // records ever accepted; a flush waits for m_done to reach it
    quint64 m_done = 0; // records the writer has finished with (committed or failed)
    quint64 m_flushTarget = 0;
    quint64 m_dropped = 0;
    quint64 m_failed = 0;
    bool m_stop = false;
    bool m_writerIdle = false; // the writer sleeps until a record comes

    // Owned by the writer thread once it runs.
    std::unique_ptr<Database> m_writeDb;
    std::unique_ptr<Statement> m_insertSpan;
    std::unique_ptr<Statement> m_insertLog;

    mutable QMutex m_readMutex;
    std::unique_ptr<Database> m_readDb;

    std::unique_ptr<QThread> m_writer;
};

} // namespace tarmac
