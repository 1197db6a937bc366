#include "engine/dispatcher.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/wakeablethread.h"
#include "store/store.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QTimer>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"(
CREATE TABLE dispatcher_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    async INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    payload BLOB,
    original_payload BLOB,
    trace_id TEXT,
    span_id TEXT,
    parent_span_id TEXT,
    submitted_ns INTEGER NOT NULL,
    started_ns INTEGER NOT NULL DEFAULT 0,
    finished_ns INTEGER NOT NULL DEFAULT 0,
    duration_ns INTEGER NOT NULL DEFAULT 0,
    result BLOB,
    error_type TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    breakpoint_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dispatcher_deliveries_by_id ON dispatcher_deliveries(id);
CREATE INDEX dispatcher_deliveries_by_function ON dispatcher_deliveries(function, seq);
)"},
};

const char kSelect[]
    = "SELECT seq, id, function, qualifier, origin, async, status, payload, original_payload, "
      "trace_id, span_id, parent_span_id, submitted_ns, started_ns, finished_ns, duration_ns, "
      "result, error_type, error_message, breakpoint_id FROM dispatcher_deliveries ";

DeliveryRecord readRecord(Statement &s)
{
    DeliveryRecord r;
    r.sequence = s.int64(0);
    r.id = s.text(1).toLatin1();
    r.functionName = s.text(2);
    r.qualifier = s.text(3);
    r.origin = s.text(4);
    r.async = s.int64(5) != 0;
    r.status = s.text(6);
    r.payload = s.blob(7);
    r.originalPayload = s.blob(8);
    r.traceId = s.text(9).toLatin1();
    r.spanId = s.text(10).toLatin1();
    r.parentSpanId = s.text(11).toLatin1();
    r.submittedNs = s.int64(12);
    r.startedNs = s.int64(13);
    r.finishedNs = s.int64(14);
    r.durationNs = s.int64(15);
    r.result = s.blob(16);
    r.errorType = s.text(17);
    r.errorMessage = s.text(18);
    r.breakpointId = int(s.int64(19));
    return r;
}

} // namespace

Dispatcher::Dispatcher(Store *store, Tracer *tracer, const Clock *clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_tracer(tracer)
    , m_clock(clock)
{
    qRegisterMetaType<tarmac::PendingDelivery>();
}

Dispatcher::~Dispatcher()
{
    shutdown();
    m_recordWriter.reset(); // its run in progress ends first
    flushRecords();
}

Result<void> Dispatcher::open()
{
    if (!m_store)
        return {};
    if (auto r = m_store->migrateModule(QStringLiteral("dispatcher"), kMigrations); !r)
        return r;
    const Result<qint64> last = m_store->write([](Database &db) -> Result<qint64> {
        if (auto r = db.exec("UPDATE dispatcher_deliveries SET status = 'interrupted' "
                             "WHERE status IN ('held', 'delivering')");
            !r)
            return r.error();
        // AUTOINCREMENT's counter, which outlives deleted rows, or the newest row.
        auto s = db.prepare("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
                            "'dispatcher_deliveries'), 0), coalesce((SELECT max(seq) FROM "
                            "dispatcher_deliveries), 0))");
        if (!s)
            return s.error();
        auto row = s->step();
        if (!row)
            return row.error();
        return *row ? s->int64(0) : qint64(0);
    });
    if (!last)
        return last.error();
    m_lastSequence = *last;
    m_recordWriter = std::make_unique<WakeableThread>(
        "tarmac-records", [this] { flushRecords(); }, std::chrono::milliseconds(kRecordGatherMs));
    return {};
}

void Dispatcher::wakeRecordWriter()
{
    if (m_recordWriter)
        m_recordWriter->wake();
    else
        flushRecords(); // not opened (a test's dispatcher): written at once
}

void Dispatcher::flushRecords() const
{
    if (!m_store)
        return;
    std::lock_guard flushing(m_flushMutex);
    QList<DeliveryRecord> rows;
    {
        std::lock_guard lock(m_rowsMutex);
        rows.reserve(qsizetype(m_changed.size()));
        for (const qint64 sequence : m_changed) {
            const auto row = m_rows.find(sequence);
            if (row == m_rows.end())
                continue;
            row->changed = false;
            rows.append(row->record);
            if (row->final)
                m_rows.erase(row);
        }
        m_changed.clear();
    }
    if (rows.isEmpty())
        return;
    m_store->write([&](Database &db) {
        Transaction tx(db);
        if (!tx.began())
            qWarning("tarmac: dispatcher: %s", qPrintable(tx.began().error().message));
        for (const DeliveryRecord &r : std::as_const(rows)) {
            Result<Statement *> s = db.cached(
                "INSERT OR REPLACE INTO dispatcher_deliveries (seq, id, function, qualifier, "
                "origin, async, status, payload, original_payload, trace_id, span_id, "
                "parent_span_id, submitted_ns, started_ns, finished_ns, duration_ns, result, "
                "error_type, error_message, breakpoint_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
            if (!s) {
                qWarning("tarmac: dispatcher: %s", qPrintable(s.error().message));
                return;
            }
            Statement &st = **s;
            st.bind(1, r.sequence)
                .bind(2, QString::fromLatin1(r.id))
                .bind(3, r.functionName)
                .bind(4, r.qualifier)
                .bind(5, r.origin)
                .bind(6, r.async ? 1 : 0)
                .bind(7, r.status)
                .bind(8, r.payload)
                .bind(10, QString::fromLatin1(r.traceId))
                .bind(11, QString::fromLatin1(r.spanId))
                .bind(12, QString::fromLatin1(r.parentSpanId))
                .bind(13, r.submittedNs)
                .bind(14, r.startedNs)
                .bind(15, r.finishedNs)
                .bind(16, r.durationNs)
                .bind(18, r.errorType)
                .bind(19, r.errorMessage)
                .bind(20, r.breakpointId);
            if (r.originalPayload.isNull())
                st.bindNull(9);
            else
                st.bind(9, r.originalPayload);
            if (r.result.isNull())
                st.bindNull(17);
            else
                st.bind(17, r.result);
            if (auto done = st.exec(); !done)
                qWarning("tarmac: dispatcher: cannot record delivery %s: %s", r.id.constData(),
                    qPrintable(done.error().message));
        }
        if (tx.began()) {
            if (auto r = tx.commit(); !r)
                qWarning("tarmac: dispatcher: cannot record %lld deliveries: %s",
                    qlonglong(rows.size()), qPrintable(r.error().message));
        }
    });
}

void Dispatcher::setTarget(Target target)
{
    QMutexLocker lock(&m_mutex);
    m_target = std::move(target);
}

qint64 Dispatcher::insertRecord(const Entry &e, const QString &status)
{
    if (!m_store)
        return 0;
    const Delivery &d = e.delivery;
    Row row;
    DeliveryRecord &r = row.record;
    r.sequence = ++m_lastSequence;
    r.id = d.id;
    r.functionName = d.functionName;
    r.qualifier = d.qualifier;
    r.origin = d.origin;
    r.async = d.async;
    r.status = status;
    r.payload = d.payload;
    r.traceId = d.traceId;
    r.spanId = e.spanId;
    r.parentSpanId = d.parentSpanId;
    r.submittedNs = e.submittedNs;
    r.startedNs = status == QLatin1String("delivering") ? e.submittedNs : 0;
    r.breakpointId = e.breakpointId;
    row.changed = true;
    const qint64 sequence = r.sequence;
    {
        std::lock_guard lock(m_rowsMutex);
        m_rows.insert(sequence, std::move(row));
        m_changed.push_back(sequence);
    }
    wakeRecordWriter();
    return sequence;
}

void Dispatcher::updateRecord(
    qint64 sequence, bool final, const std::function<void(DeliveryRecord &)> &change)
{
    if (!m_store || sequence <= 0)
        return;
    {
        std::lock_guard lock(m_rowsMutex);
        const auto row = m_rows.find(sequence);
        if (row == m_rows.end())
            return; // ended and written already: nothing changes a row after that
        change(row->record);
        row->final = row->final || final;
        if (!row->changed) {
            row->changed = true;
            m_changed.push_back(sequence);
        }
    }
    wakeRecordWriter();
}

const Breakpoint *Dispatcher::findBreakpoint(const Delivery &d) const
{
    // Under m_mutex. The payload is parsed only when a breakpoint looks into it.
    std::optional<Result<Json>> parsed;
    for (const Breakpoint &bp : m_breakpoints) {
        if (!bp.enabled)
            continue;
        if (!bp.functionName.isEmpty() && bp.functionName != d.functionName)
            continue;
        if (!bp.origin.isEmpty() && bp.origin != d.origin)
            continue;
        if (bp.predicate) {
            if (!parsed)
                parsed = parseJson(d.payload);
            if (!*parsed || !bp.predicate->matches(parsed->value()))
                continue;
        }
        return &bp;
    }
    return nullptr;
}

int Dispatcher::matchBreakpoint(const Delivery &d)
{
    // Under m_mutex.
    const Breakpoint *found = findBreakpoint(d);
    if (!found)
        return 0;
    for (Breakpoint &bp : m_breakpoints) {
        if (bp.id == found->id) {
            ++bp.hits;
            return bp.id;
        }
    }
    return 0;
}

bool Dispatcher::wouldHold(const Delivery &delivery) const
{
    QMutexLocker lock(&m_mutex);
    if (m_shutdown)
        return false;
    return m_paused || findBreakpoint(delivery) != nullptr;
}

PendingDelivery Dispatcher::toPending(const Entry &e)
{
    PendingDelivery p;
    p.id = e.delivery.id;
    p.functionName = e.delivery.functionName;
    p.qualifier = e.delivery.qualifier;
    p.origin = e.delivery.origin;
    p.async = e.delivery.async;
    p.payload = e.delivery.payload;
    p.traceId = e.delivery.traceId;
    p.submittedNs = e.submittedNs;
    p.breakpointId = e.breakpointId;
    return p;
}

void Dispatcher::setAsyncQueue(AsyncQueue queue)
{
    QMutexLocker lock(&m_mutex);
    m_asyncQueue = std::move(queue);
}

Result<void> Dispatcher::submitAsync(Delivery delivery)
{
    AsyncQueue queue;
    {
        QMutexLocker lock(&m_mutex);
        if (m_shutdown)
            return makeError(
                QStringLiteral("ServiceException"), QStringLiteral("Tarmac is stopping"), 503);
        queue = m_asyncQueue;
    }
    if (!queue)
        return makeError(QStringLiteral("ServiceException"),
            QStringLiteral("asynchronous invocations are not accepted: no queue is running"), 503);
    delivery.async = true;
    return queue(delivery);
}

void Dispatcher::setFaultHook(FaultHook hook)
{
    QMutexLocker lock(&m_mutex);
    m_faultHook = std::move(hook);
}

void Dispatcher::submit(Delivery delivery)
{
    if (!delivery.faultsApplied) {
        delivery.faultsApplied = true;
        FaultHook hook;
        {
            QMutexLocker lock(&m_mutex);
            hook = m_faultHook;
        }
        if (const std::optional<FaultAction> fault = hook ? hook(delivery) : std::nullopt) {
            delivery.fault = fault->description;
            switch (fault->kind) {
            case FaultAction::Kind::Duplicate: {
                // The same event once more, as at-least-once delivery sometimes does: its
                // result goes nowhere (the source sees the original's).
                Delivery copy = delivery;
                copy.id = newRequestId();
                copy.done = nullptr;
                copy.started = nullptr;
                copy.fault = fault->description + QStringLiteral(" (the copy)");
                submit(std::move(delivery));
                submit(std::move(copy));
                return;
            }
            case FaultAction::Kind::Delay: {
                if (delivery.id.isEmpty())
                    delivery.id = newRequestId();
                const QByteArray id = delivery.id;
                {
                    QMutexLocker lock(&m_mutex);
                    m_delayed.insert(
                        id, Running {delivery.functionName, delivery.origin, m_clock->nowNs()});
                }
                QTimer::singleShot(
                    fault->delayMs, this, [this, id, d = std::move(delivery)]() mutable {
                        {
                            QMutexLocker lock(&m_mutex);
                            m_delayed.remove(id);
                        }
                        submit(std::move(d));
                    });
                return;
            }
            case FaultAction::Kind::ColdStart:
                delivery.forced = Delivery::Forced::ColdStart;
                break;
            case FaultAction::Kind::Timeout:
                delivery.forced = Delivery::Forced::Timeout;
                break;
            }
        }
    }
    Entry e;
    if (delivery.id.isEmpty())
        delivery.id = newRequestId();
    if (delivery.qualifier.isEmpty())
        delivery.qualifier = QStringLiteral("$LATEST");
    if (delivery.traceId.size() != 32)
        delivery.traceId = TraceContext::newTrace(*m_clock).traceId;
    e.submittedNs = m_clock->nowNs();
    e.spanId = TraceContext::newSpanId();
    e.delivery = std::move(delivery);

    bool hold = false;
    bool refused = false;
    {
        QMutexLocker lock(&m_mutex);
        refused = m_shutdown;
        if (!refused) {
            e.breakpointId = m_paused ? 0 : matchBreakpoint(e.delivery);
            hold = m_paused || e.breakpointId != 0;
        }
    }
    if (refused) {
        e.sequence = insertRecord(e, QStringLiteral("undelivered"));
        complete(std::move(e), QStringLiteral("undelivered"), QStringLiteral("ServiceException"),
            QStringLiteral("Tarmac is stopping"));
        return;
    }
    if (!hold) {
        e.sequence = insertRecord(e, QStringLiteral("delivering"));
        dispatch(std::move(e), true);
        return;
    }
    e.sequence = insertRecord(e, QStringLiteral("held"));
    const PendingDelivery pending = toPending(e);
    {
        QMutexLocker lock(&m_mutex);
        if (!m_shutdown) {
            m_pending.append(std::move(e));
            lock.unlock();
            emit held(pending);
            return;
        }
    }
    complete(std::move(e), QStringLiteral("dropped"), QStringLiteral("Tarmac.Dropped"),
        QStringLiteral("Tarmac stopped before the delivery was released"));
}

void Dispatcher::dispatch(Entry e, bool recordedAsDelivering)
{
    Target target;
    {
        QMutexLocker lock(&m_mutex);
        target = m_target;
    }
    const qint64 startedNs = recordedAsDelivering ? e.submittedNs : m_clock->nowNs();
    if (!recordedAsDelivering) {
        updateRecord(e.sequence, false, [&](DeliveryRecord &r) {
            r.status = QStringLiteral("delivering");
            r.startedNs = startedNs;
            r.payload = e.delivery.payload;
            r.originalPayload = e.originalPayload;
        });
    }
    if (!target && !e.delivery.runLocally) {
        complete(std::move(e), QStringLiteral("undelivered"), QStringLiteral("ServiceException"),
            QStringLiteral("no function runner is attached to the dispatcher"));
        return;
    }
    if (e.delivery.started) {
        const auto started = std::move(e.delivery.started);
        e.delivery.started = nullptr;
        started();
    }
    Delivery out = e.delivery;
    auto done = std::move(e.delivery.done);
    e.delivery.done = nullptr;
    e.delivery.payload.clear(); // the record has it; the entry below only needs ids
    out.parentSpanId = e.spanId;
    {
        QMutexLocker lock(&m_mutex);
        m_running.insert(
            e.delivery.id, Running {e.delivery.functionName, e.delivery.origin, startedNs});
    }
    out.done
        = [this, entry = std::move(e), startedNs, done = std::move(done)](const DeliveryResult &r) {
              finish(entry, r, startedNs, done);
              // After `done`: what the source does with the result (a retry, a queue's batch) is
              // its own busy work from then on, and settling never sees a gap between the two.
              QMutexLocker lock(&m_mutex);
              m_running.remove(entry.delivery.id);
          };
    if (out.runLocally) {
        // The source's own work: it goes on with the payload as released, and is delivered.
        const auto local = std::move(out.runLocally);
        const auto finished = std::move(out.done);
        local(out.payload);
        DeliveryResult r;
        r.delivered = true;
        r.requestId = out.id;
        finished(r);
        return;
    }
    target(std::move(out));
}

void Dispatcher::finish(const Entry &e, const DeliveryResult &r, qint64 startedNs,
    const std::function<void(const DeliveryResult &)> &done)
{
    const qint64 finishedNs = m_clock->nowNs();
    QString status;
    if (r.delivered)
        status = r.functionError ? QStringLiteral("failed") : QStringLiteral("succeeded");
    else
        status = r.errorType == QLatin1String("Tarmac.Dropped") ? QStringLiteral("dropped")
                                                                : QStringLiteral("undelivered");
    updateRecord(e.sequence, true, [&](DeliveryRecord &record) {
        record.status = status;
        record.finishedNs = finishedNs;
        record.durationNs = r.durationNs;
        record.result = r.payload;
        record.errorType = r.errorType;
        record.errorMessage = r.errorMessage;
    });
    if (m_tracer) {
        const bool succeeded = status == QLatin1String("succeeded");
        // A source's own work (runLocally) is drawn with its source ("stepfunctions.state":
        // stepfunctions), not as a function.
        const bool local = bool(e.delivery.runLocally);
        Span span = makeSpan({.traceId = e.delivery.traceId,
            .spanId = e.spanId,
            .parentSpanId = e.delivery.parentSpanId,
            .service = local ? e.delivery.origin.section(u'.', 0, 0) : QStringLiteral("tarmac"),
            .operation = QStringLiteral("Dispatch"),
            .name = QStringLiteral("dispatch ") + e.delivery.functionName,
            // OpenTelemetry's FaaS conventions: the invoker's side of a synchronous
            // invocation is a client, of an asynchronous one (an event handed over) a producer.
            .kind = local          ? SpanKindInternal
                : e.delivery.async ? SpanKindProducer
                                   : SpanKindClient,
            .startNs = e.submittedNs,
            .endNs = finishedNs,
            .error = succeeded ? QString() : (r.errorType.isEmpty() ? status : r.errorType),
            .attributes = {
                {QStringLiteral("tarmac.delivery_id"), QString::fromLatin1(e.delivery.id)},
                {QStringLiteral("tarmac.origin"), e.delivery.origin},
                {QStringLiteral("tarmac.status"), status},
                {QStringLiteral("tarmac.held_ns"), startedNs - e.submittedNs},
            }});
        span.attributes.append({local ? QStringLiteral("tarmac.held") : QStringLiteral("faas.name"),
            e.delivery.functionName});
        if (e.breakpointId)
            span.attributes.append({QStringLiteral("tarmac.breakpoint"), e.breakpointId});
        if (!e.delivery.fault.isEmpty())
            span.attributes.append({QStringLiteral("tarmac.fault"), e.delivery.fault});
        m_tracer->record(std::move(span));
    }
    emit finished(e.delivery.id, status);
    if (done)
        done(r);
}

void Dispatcher::complete(
    Entry e, const QString &status, const QString &errorType, const QString &message)
{
    DeliveryResult r;
    r.delivered = false;
    r.errorType = errorType;
    r.errorMessage = message;
    r.requestId = e.delivery.id;
    const qint64 now = m_clock->nowNs();
    updateRecord(e.sequence, true, [&](DeliveryRecord &record) {
        record.status = status;
        record.finishedNs = now;
        record.errorType = errorType;
        record.errorMessage = message;
    });
    emit finished(e.delivery.id, status);
    if (e.delivery.done)
        std::exchange(e.delivery.done, nullptr)(r);
}

QList<BusyItem> Dispatcher::busy() const
{
    QMutexLocker lock(&m_mutex);
    QList<BusyItem> out;
    for (const Entry &e : m_pending) {
        out.append({QStringLiteral("held"), e.delivery.functionName,
            QString::fromLatin1(e.delivery.id), e.submittedNs,
            e.breakpointId ? QStringLiteral("at breakpoint %1").arg(e.breakpointId)
                           : QStringLiteral("delivery is paused")});
    }
    for (auto it = m_delayed.cbegin(); it != m_delayed.cend(); ++it) {
        out.append({QStringLiteral("delivery"), it->function, QString::fromLatin1(it.key()),
            it->startedNs, QStringLiteral("delayed by a fault (%1)").arg(it->origin)});
    }
    for (auto it = m_running.cbegin(); it != m_running.cend(); ++it) {
        out.append({QStringLiteral("delivery"), it->function, QString::fromLatin1(it.key()),
            it->startedNs, QStringLiteral("running (%1)").arg(it->origin)});
    }
    return out;
}

void Dispatcher::pause()
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_paused)
            return;
        m_paused = true;
    }
    emit pausedChanged(true);
}

void Dispatcher::resume()
{
    QList<Entry> released;
    bool changed = false;
    {
        QMutexLocker lock(&m_mutex);
        changed = m_paused;
        m_paused = false;
        released = std::exchange(m_pending, {});
    }
    if (changed)
        emit pausedChanged(false);
    for (Entry &e : released) {
        emit this->released(e.delivery.id);
        dispatch(std::move(e), false);
    }
}

bool Dispatcher::isPaused() const
{
    QMutexLocker lock(&m_mutex);
    return m_paused;
}

Result<Breakpoint> Dispatcher::addBreakpoint(Breakpoint bp)
{
    QMutexLocker lock(&m_mutex);
    if (m_breakpoints.size() >= 1000)
        return makeError(
            QStringLiteral("LimitExceeded"), QStringLiteral("at most 1000 breakpoints"), 400);
    bp.id = m_nextBreakpointId++;
    bp.hits = 0;
    m_breakpoints.append(bp);
    return bp;
}

Result<void> Dispatcher::removeBreakpoint(int id)
{
    QMutexLocker lock(&m_mutex);
    for (qsizetype i = 0; i < m_breakpoints.size(); ++i) {
        if (m_breakpoints[i].id == id) {
            m_breakpoints.removeAt(i);
            return {};
        }
    }
    return makeError(QStringLiteral("NotFound"), QStringLiteral("no breakpoint %1").arg(id), 404);
}

QList<Breakpoint> Dispatcher::breakpoints() const
{
    QMutexLocker lock(&m_mutex);
    return m_breakpoints;
}

QList<PendingDelivery> Dispatcher::pending() const
{
    QMutexLocker lock(&m_mutex);
    QList<PendingDelivery> out;
    out.reserve(m_pending.size());
    for (const Entry &e : m_pending)
        out.append(toPending(e));
    return out;
}

Result<QByteArray> Dispatcher::step()
{
    Entry e;
    {
        QMutexLocker lock(&m_mutex);
        if (m_pending.isEmpty())
            return makeError(
                QStringLiteral("NoPendingDelivery"), QStringLiteral("no delivery is pending"), 404);
        e = m_pending.takeFirst();
    }
    const QByteArray id = e.delivery.id;
    emit released(id);
    dispatch(std::move(e), false);
    return id;
}

Result<void> Dispatcher::release(const QByteArray &id, std::optional<QByteArray> payload)
{
    Entry e;
    {
        QMutexLocker lock(&m_mutex);
        qsizetype at = -1;
        for (qsizetype i = 0; i < m_pending.size() && at < 0; ++i) {
            if (m_pending[i].delivery.id == id)
                at = i;
        }
        if (at < 0)
            return makeError(QStringLiteral("NotFound"),
                QStringLiteral("no pending delivery %1").arg(QString::fromLatin1(id)), 404);
        e = m_pending.takeAt(at);
    }
    if (payload && *payload != e.delivery.payload) {
        e.originalPayload = e.delivery.payload;
        if (e.originalPayload.isNull())
            e.originalPayload = QByteArray("");
        e.delivery.payload = *payload;
    }
    emit released(id);
    dispatch(std::move(e), false);
    return {};
}

Result<void> Dispatcher::drop(const QByteArray &id)
{
    Entry e;
    {
        QMutexLocker lock(&m_mutex);
        qsizetype at = -1;
        for (qsizetype i = 0; i < m_pending.size() && at < 0; ++i) {
            if (m_pending[i].delivery.id == id)
                at = i;
        }
        if (at < 0)
            return makeError(QStringLiteral("NotFound"),
                QStringLiteral("no pending delivery %1").arg(QString::fromLatin1(id)), 404);
        e = m_pending.takeAt(at);
    }
    complete(std::move(e), QStringLiteral("dropped"), QStringLiteral("Tarmac.Dropped"),
        QStringLiteral("The delivery was dropped in Tarmac's dispatcher"));
    return {};
}

void Dispatcher::shutdown()
{
    QList<Entry> dropped;
    {
        QMutexLocker lock(&m_mutex);
        m_shutdown = true;
        dropped = std::exchange(m_pending, {});
    }
    for (Entry &e : dropped)
        complete(std::move(e), QStringLiteral("dropped"), QStringLiteral("Tarmac.Dropped"),
            QStringLiteral("Tarmac stopped before the delivery was released"));
}

Result<QList<DeliveryRecord>> Dispatcher::records(const QString &function, int limit) const
{
    if (!m_store)
        return QList<DeliveryRecord>();
    flushRecords();
    return m_store->write([&](Database &db) -> Result<QList<DeliveryRecord>> {
        auto s = db.prepare(std::string(kSelect)
            + (function.isEmpty() ? "WHERE ?1 = '' " : "WHERE function = ?1 ")
            + "ORDER BY seq DESC LIMIT ?2");
        if (!s)
            return s.error();
        s->bind(1, function).bind(2, qBound(1, limit, 10'000));
        QList<DeliveryRecord> out;
        const Result<void> walked = s->forEachRow([&] { out.append(readRecord(*s)); });
        if (!walked)
            return walked.error();
        return out;
    });
}

Result<DeliveryRecord> Dispatcher::record(const QByteArray &id) const
{
    if (!m_store)
        return makeError(QStringLiteral("NotFound"), QStringLiteral("no store"), 404);
    flushRecords();
    return m_store->write([&](Database &db) -> Result<DeliveryRecord> {
        auto s = db.prepare(std::string(kSelect) + "WHERE id = ?1 ORDER BY seq DESC LIMIT 1");
        if (!s)
            return s.error();
        s->bind(1, QString::fromLatin1(id));
        auto row = s->step();
        if (!row)
            return row.error();
        if (!*row)
            return makeError(QStringLiteral("NotFound"),
                QStringLiteral("no delivery %1").arg(QString::fromLatin1(id)), 404);
        return readRecord(*s);
    });
}

} // namespace tarmac
