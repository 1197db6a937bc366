#pragma once

#include "base/busy.h"
#include "base/jsonpath.h"
#include "base/result.h"
#include "functions/delivery.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QObject>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace tarmac {

class Clock;
class Store;
class Tracer;
class WakeableThread;

// Where the Dispatcher holds deliveries: a function, an event source, a payload condition.
// Empty fields match everything; a breakpoint with no field set holds every delivery.
struct Breakpoint
{
    int id = 0; // assigned by the Dispatcher
    QString functionName;
    QString origin;
    std::optional<JsonPredicate> predicate;
    bool enabled = true;
    int hits = 0;
};

// A delivery the Dispatcher holds until it is stepped, released, dropped or resumed.
struct PendingDelivery
{
    QByteArray id;
    QString functionName;
    QString qualifier;
    QString origin;
    bool async = false;
    QByteArray payload;
    QByteArray traceId;
    qint64 submittedNs = 0;
    int breakpointId = 0; // 0: held because delivery is paused
};

// What the store keeps of one delivery (DESIGN.md: what the timeline draws, the stepper
// lists and `tarmac replay` plays back).
struct DeliveryRecord
{
    qint64 sequence = 0;
    QByteArray id;
    QString functionName;
    QString qualifier;
    QString origin;
    bool async = false;
    // held, delivering, succeeded, failed (function error), dropped, undelivered (not run:
    // throttled, unknown function, stopping; errorType says which), interrupted (Tarmac
    // stopped before it finished)
    QString status;
    QByteArray payload; // as delivered (after an edit)
    QByteArray originalPayload; // as submitted, when it was edited; empty otherwise
    QByteArray traceId;
    QByteArray spanId;
    QByteArray parentSpanId;
    qint64 submittedNs = 0;
    qint64 startedNs = 0;
    qint64 finishedNs = 0;
    qint64 durationNs = 0; // the function's own time
    QByteArray result;
    QString errorType;
    QString errorMessage;
    int breakpointId = 0;
};

// Every delivery to a function goes through here (DESIGN.md, "The way an event travels"):
// it is recorded in the store, gets a span on its trace, and is either handed to the target
// (the FunctionRunner) at once or held as pending: while delivery is paused, or when a
// breakpoint matches. Held deliveries are listed, stepped one at a time (oldest first),
// released with an edited payload, dropped, or all released by resume(). A synchronous
// caller whose delivery is held simply waits; its own timeout still applies.
//
// Times come from the Clock, so a ManualClock makes it deterministic. It does not retry,
// route results, or know about Lambda: the source's done callback does that. Thread-safe;
// the signals are emitted on the calling thread.
class Dispatcher : public QObject, public DeliverySink
{
    Q_OBJECT
public:
    using Target = std::function<void(Delivery delivery)>;
    // The asynchronous policy submitAsync() hands to (the engine's AsyncInvoker), which
    // stores the invocation and comes back through submit() for each attempt.
    using AsyncQueue = std::function<Result<void>(const Delivery &delivery)>;

    Dispatcher(Store *store, Tracer *tracer, const Clock *clock, QObject *parent = nullptr);
    ~Dispatcher() override;

    // Creates its tables (module "dispatcher"), marks deliveries a previous run left
    // unfinished as interrupted, and starts the record writer.
    Result<void> open();
    // Commits the record writes still waiting for the record writer (records() and record()
    // do it first; the engine before it copies or replaces the rows). Any thread.
    void flushRecords() const;
    // Where deliveries go; until set, released deliveries fail as undelivered.
    void setTarget(Target target);

    void setAsyncQueue(AsyncQueue queue);

    // What a fault rule does to a delivery (engine/faults.h decides): made twice, made later,
    // on a new instance, or timed out. Asked once per submitted delivery; any thread.
    struct FaultAction
    {
        enum class Kind { Duplicate, Delay, ColdStart, Timeout };
        Kind kind = Kind::Duplicate;
        int delayMs = 0;
        QString description;
    };
    using FaultHook = std::function<std::optional<FaultAction>(const Delivery &delivery)>;
    void setFaultHook(FaultHook hook);

    void submit(Delivery delivery) override;
    Result<void> submitAsync(Delivery delivery) override;
    bool wouldHold(const Delivery &delivery) const override;

    void pause();
    // Unpauses and releases everything pending, oldest first. Breakpoints stay.
    void resume();
    bool isPaused() const;

    // Validates and adds a breakpoint; returns it with its id.
    Result<Breakpoint> addBreakpoint(Breakpoint breakpoint);
    Result<void> removeBreakpoint(int id);
    QList<Breakpoint> breakpoints() const;

    QList<PendingDelivery> pending() const;
    // Deliveries held (paused, at a breakpoint) and running (handed to the target, its result
    // not yet handled by the source): what settling waits for. Any thread.
    QList<BusyItem> busy() const;
    // Delivers the oldest pending delivery (staying paused); returns its id.
    Result<QByteArray> step();
    // Delivers one pending delivery, with `payload` instead of its own when given.
    Result<void> release(const QByteArray &id, std::optional<QByteArray> payload = std::nullopt);
    // Finishes a pending delivery without running it (DeliveryResult::delivered false,
    // errorType "Tarmac.Dropped").
    Result<void> drop(const QByteArray &id);

    // Drops everything pending and refuses new deliveries (as undelivered).
    void shutdown();

    // Newest first. An empty function matches every function.
    Result<QList<DeliveryRecord>> records(const QString &function = {}, int limit = 100) const;
    Result<DeliveryRecord> record(const QByteArray &id) const;

signals:
    void held(const tarmac::PendingDelivery &delivery);
    void released(const QByteArray &id);
    void finished(const QByteArray &id, const QString &status);
    void pausedChanged(bool paused);

private:
    struct Entry
    {
        Delivery delivery;
        qint64 sequence = 0;
        qint64 submittedNs = 0;
        QByteArray spanId;
        int breakpointId = 0;
        QByteArray originalPayload;
    };

    int matchBreakpoint(const Delivery &delivery);
    // The first enabled breakpoint that holds `delivery`, or null. Under m_mutex.
    const Breakpoint *findBreakpoint(const Delivery &delivery) const;
    void dispatch(Entry entry, bool recordedAsDelivering);
    void finish(const Entry &entry, const DeliveryResult &result, qint64 startedNs,
        const std::function<void(const DeliveryResult &)> &done);
    void complete(
        Entry entry, const QString &status, const QString &errorType, const QString &message);
    qint64 insertRecord(const Entry &entry, const QString &status);
    // Changes the row of a delivery still in memory; `final` when the delivery has ended.
    void updateRecord(
        qint64 sequence, bool final, const std::function<void(DeliveryRecord &)> &change);
    void wakeRecordWriter();
    static PendingDelivery toPending(const Entry &entry);

    Store *m_store;
    Tracer *m_tracer;
    const Clock *m_clock;

    mutable QMutex m_mutex;
    Target m_target;
    AsyncQueue m_asyncQueue;
    FaultHook m_faultHook;
    bool m_paused = false;
    bool m_shutdown = false;
    QList<Breakpoint> m_breakpoints;
    int m_nextBreakpointId = 1;
    QList<Entry> m_pending; // in submission order
    struct Running
    {
        QString function;
        QString origin;
        qint64 startedNs = 0;
    };
    QHash<QByteArray, Running> m_running; // by delivery id
    QHash<QByteArray, Running> m_delayed; // by an injected fault, by delivery id

    // The records are written behind the deliveries: committing a delivery's row when it
    // starts and again when it ends (two transactions per delivery, and the WAL traffic they
    // made) was the largest cost of an invocation. A delivery's row lives here from its
    // submission until it has ended and been written; every change marks it changed, and the
    // record writer writes what changed (at most kRecordGatherMs' worth, one statement per
    // row, however often it changed) in one transaction. Sequence numbers are handed out
    // here. A kill -9 can lose the records of the last moments, like the trace writer's spans;
    // what a source acknowledged is kept by the source itself (a queue's message, an
    // asynchronous invocation's row), never by these records.
    static constexpr int kRecordGatherMs = 50;
    struct Row
    {
        DeliveryRecord record;
        bool changed = false; // listed in m_changed
        bool final = false; // the delivery has ended: forgotten once written
    };
    std::atomic<qint64> m_lastSequence {0};
    mutable std::mutex m_rowsMutex;
    mutable QHash<qint64, Row> m_rows; // by sequence, under m_rowsMutex
    mutable std::vector<qint64> m_changed; // in the order they changed, under m_rowsMutex
    mutable std::mutex m_flushMutex; // one flush at a time, so a row's states land in order
    std::unique_ptr<WakeableThread> m_recordWriter;
};

} // namespace tarmac

Q_DECLARE_METATYPE(tarmac::PendingDelivery)
