#pragma once

#include "trace/tracequery.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <array>
#include <atomic>
#include <functional>
#include <memory>

namespace tarmac {

// Runs TraceQuery work on one worker thread so that the GUI thread never touches SQLite,
// and makes sure a result never arrives stale: every job has a kind (timeline window, trace,
// logs, …) and an id; starting a job supersedes the earlier ones of its kind, which are
// skipped if not yet started, told to stop if running (`cancelled()`), and dropped if
// already done. Results come back queued to a context object, guarded by a QPointer.
//
// The worker opens its own TraceQuery on the store named by open(); reopening (another
// project) supersedes every job. Not for writes.
class QueryRunner : public QObject
{
    Q_OBJECT
public:
    enum Kind { Window, Extent, Histogram, Trace, Span, Logs, Counts, KindCount };

    using Cancelled = std::function<bool()>;

    explicit QueryRunner(QObject *parent = nullptr);
    ~QueryRunner() override;

    // The store jobs run against from now on. Jobs of every kind started before are
    // superseded.
    void open(const QString &tracesDbPath);
    void close() { open({}); }

    // Runs job(query, cancelled) on the worker and hands its result to done() on the
    // context's thread, unless a newer job of the same kind was started meanwhile or the
    // context is gone. `query` is null when the store cannot be opened (not created yet):
    // the job reports that as its own result.
    template<typename R>
    quint64 run(Kind kind, QObject *context, std::function<R(TraceQuery *, const Cancelled &)> job,
        std::function<void(R)> done)
    {
        const quint64 id = ++m_latest->at(kind);
        auto latest = m_latest;
        const Cancelled cancelled = [latest, kind, id] { return latest->at(kind).load() != id; };
        post([this, kind, id, cancelled, latest, job = std::move(job), done = std::move(done),
                 guard = QPointer<QObject>(context)]() mutable {
            if (cancelled())
                return;
            auto result = std::make_shared<R>(job(query(), cancelled));
            if (cancelled())
                return;
            QMetaObject::invokeMethod(
                guard.data(),
                [guard, latest, kind, id, result, done = std::move(done)] {
                    if (guard && latest->at(kind).load() == id)
                        done(std::move(*result));
                },
                Qt::QueuedConnection);
        });
        return id;
    }

    // Supersedes the jobs of one kind without starting another.
    void cancel(Kind kind) { ++m_latest->at(kind); }
    // Whether `id` is still the newest job of its kind.
    bool isCurrent(Kind kind, quint64 id) const { return m_latest->at(kind).load() == id; }

    // Waits until the worker has run everything posted so far (tests).
    void waitForIdle();

private:
    void post(std::function<void()> work);
    // On the worker thread: the query object, opened lazily.
    TraceQuery *query();

    using Counters = std::array<std::atomic<quint64>, KindCount>;
    std::shared_ptr<Counters> m_latest;
    QThread m_thread;
    QObject *m_worker = nullptr;
    // Worker-thread state.
    QString m_path;
    QString m_openedPath;
    std::unique_ptr<TraceQuery> m_query;
};

} // namespace tarmac
