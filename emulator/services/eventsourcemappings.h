#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <optional>

namespace tarmac {

class Clock;
class Store;
struct DeliveryResult;

// One event-source mapping, as Lambda's EventSourceMappingConfiguration describes it: a
// function that reads batches of records from a queue or a stream. Optional members are the
// ones AWS shows only for some kinds of source (the stream settings) or only when set.
struct EventSourceMapping
{
    QString uuid;
    QString eventSourceArn;
    QString functionArn; // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    int batchSize = 0;
    int maximumBatchingWindowInSeconds = 0;
    bool enabled = true;
    // Enabled or Disabled once settled; the answers to Create/Update/Delete show the
    // transition AWS shows (Creating, Updating, Enabling, Disabling, Deleting).
    QString state;
    QString stateTransitionReason = QStringLiteral("USER_INITIATED");
    QString lastProcessingResult = QStringLiteral("No records processed");
    QString startingPosition; // streams: TRIM_HORIZON, LATEST, AT_TIMESTAMP
    std::optional<double> startingPositionTimestamp; // epoch seconds, for AT_TIMESTAMP
    QStringList functionResponseTypes; // [] or [ReportBatchItemFailures]
    int maximumConcurrency = 0; // ScalingConfig.MaximumConcurrency; 0: not set
    QStringList filterPatterns; // FilterCriteria.Filters[].Pattern
    // Stream settings (Kinesis, DynamoDB): set for streams, absent for queues.
    std::optional<int> parallelizationFactor;
    std::optional<int> maximumRetryAttempts;
    std::optional<int> maximumRecordAgeInSeconds;
    std::optional<bool> bisectBatchOnFunctionError;
    std::optional<int> tumblingWindowInSeconds;
    std::optional<QString> onFailureDestination; // DestinationConfig.OnFailure.Destination
    QMap<QString, QString> tags;
    qint64 lastModifiedNs = 0;
    qint64 createdNs = 0;

    bool reportsBatchItemFailures() const;
    // The function's name and qualifier ("" when none), from functionArn.
    QString functionName() const;
    QString qualifier() const;
    // The ARN's service part: "sqs", "kinesis", "dynamodb".
    QString sourceService() const;
};

// What CreateEventSourceMapping and UpdateEventSourceMapping sent: a field not sent is
// nullopt. The Lambda API reads it (lambdarequests) and resolves FunctionName itself.
struct EventSourceMappingRequest
{
    std::optional<QString> eventSourceArn;
    std::optional<bool> enabled;
    std::optional<int> batchSize;
    std::optional<int> maximumBatchingWindowInSeconds;
    std::optional<QString> startingPosition;
    std::optional<double> startingPositionTimestamp;
    std::optional<QStringList> functionResponseTypes;
    std::optional<int> maximumConcurrency; // a ScalingConfig was sent: its value, or 0 (none)
    std::optional<QStringList> filterPatterns;
    std::optional<int> parallelizationFactor;
    std::optional<int> maximumRetryAttempts;
    std::optional<int> maximumRecordAgeInSeconds;
    std::optional<bool> bisectBatchOnFunctionError;
    std::optional<int> tumblingWindowInSeconds;
    std::optional<QString> onFailureDestination;
    std::optional<QMap<QString, QString>> tags;
};

// One record of a batch: the record as the function receives it inside {"Records": […]},
// and the identifier a partial batch response names it by (an SQS messageId, a stream
// record's SequenceNumber).
struct EventRecord
{
    QString itemId;
    Json record;
};

// A batch a source hands the poller.
struct EventBatch
{
    QList<EventRecord> records;
    // The source's own note of what it handed out (receipt handles, shard and sequence
    // numbers), given back to complete() untouched.
    QVariant sourceState;
    QByteArray traceId; // a trace the records carried on (SQS's AWSTraceHeader), or empty
    QByteArray parentSpanId;
};

// What came of a batch, for the source to act on.
struct BatchOutcome
{
    enum class Status {
        Succeeded, // every record is done: delete them, move the iterator on
        Failed, // none is: make them visible again, retry the batch
        PartiallyFailed, // failedItemIds are not done, the others are
    };
    Status status = Status::Succeeded;
    QStringList failedItemIds;
    QString error; // Failed: the function's error type, or why its response could not be read
};

// What the poller asks a source how much it could hand out now.
struct EventSourceReadiness
{
    int records = 0; // records that receive() would hand out now
    qint64 nextNs
        = 0; // when none are: the time more become available (0: the source wakes the poller)
};

// A queue or stream service's side of event-source mappings. A service module registers one
// for the ARNs it owns (EventSourceMappings::addSource, in start()) and removes it in stop().
// The registry applies AWS's rules for the source's kind (defaults, StartingPosition, batch
// limits) and asks check() for the rest; the engine's poller asks for batches and reports
// what the function made of them. The source calls EventSourceMappings::wake() when records
// arrive, so nobody polls in a loop.
//
// check() and forget() are called on the API's I/O threads; readiness(), receive() and
// complete() on the poller's (the engine's) thread. The source keeps itself thread-safe
// against its own API.
class EventSource
{
public:
    enum class Kind { Queue, Stream };

    virtual ~EventSource() = default;
    // The ARN service part the source owns ("sqs", "kinesis", "dynamodb").
    virtual QString service() const = 0;
    virtual Kind kind() const = 0;
    // Source-specific checks on a mapping the registry has filled with its kind's defaults:
    // the queue or stream exists (InvalidParameterValueException otherwise), a FIFO queue's
    // batch size, a starting position the source supports. May adjust defaults.
    virtual Result<void> check(EventSourceMapping &mapping) const = 0;
    // Batches of one mapping in flight at once when ScalingConfig does not say: SQS's five
    // pollers; a stream source keeps one per shard by handing out no second batch itself.
    virtual int defaultConcurrency(const EventSourceMapping &mapping) const
    {
        Q_UNUSED(mapping);
        return 5;
    }
    virtual EventSourceReadiness readiness(const EventSourceMapping &mapping) = 0;
    // Up to maxRecords records, now invisible to other receivers (a queue) or held at the
    // shard's position (a stream), or nullopt when none are ready.
    virtual std::optional<EventBatch> receive(const EventSourceMapping &mapping, int maxRecords)
        = 0;
    virtual void complete(
        const EventSourceMapping &mapping, const EventBatch &batch, const BatchOutcome &outcome)
        = 0;
    // The mapping is deleted: drop what was kept for it (a stream's iterators). Batches of it
    // still in flight are completed afterwards all the same.
    virtual void forget(const EventSourceMapping &mapping) { Q_UNUSED(mapping); }
};

// The engine's registry of event-source mappings: what Lambda's
// Create/Get/List/Update/DeleteEventSourceMapping read and write, kept in the state
// (table event_source_mappings, written before the API answers), and the sources that
// service modules register for their ARNs. The engine creates it and its poller
// (engine/eventsourcepoller.h), which delivers batches; modules get it through
// EngineContext::mappings. Thread-safe.
//
// Locally a mapping settles at once: the answers show AWS's transitional states (Creating,
// Updating, Enabling, Disabling, Deleting), the mapping is Enabled or Disabled (or gone)
// right after. LastProcessingResult is kept in memory only.
class EventSourceMappings : public QObject
{
    Q_OBJECT
public:
    EventSourceMappings(Store *store, const Clock *clock, QString region, QString accountId,
        QObject *parent = nullptr);
    ~EventSourceMappings() override;

    // Creates the table and loads the mappings.
    Result<void> open();
    // Reads the mappings again after their rows were replaced (a reset, a snapshot restored)
    // and tells the poller about every mapping that was or now is there.
    Result<void> reload();

    // Sources, by the service part of the ARNs they own. A source must stay alive until it is
    // removed; called on the engine's thread (a module's start() and stop()).
    void addSource(EventSource *source);
    void removeSource(EventSource *source);
    EventSource *sourceFor(const QString &eventSourceArn) const;
    // Records are ready at this ARN: the poller looks at its mappings. Any thread.
    void wake(const QString &eventSourceArn);

    // CreateEventSourceMapping for the function `functionArn` (resolved and checked by the
    // Lambda API). The answer shows State Creating.
    Result<EventSourceMapping> create(
        const QString &functionArn, const EventSourceMappingRequest &request);
    Result<EventSourceMapping> get(const QString &uuid) const;
    // Every mapping, oldest first.
    QList<EventSourceMapping> list() const;
    // UpdateEventSourceMapping; functionArn empty: the function stays. The answer shows
    // Updating, or Enabling/Disabling when Enabled changed.
    Result<EventSourceMapping> update(
        const QString &uuid, const QString &functionArn, const EventSourceMappingRequest &request);
    // DeleteEventSourceMapping: gone from the state now; the answer shows Deleting.
    Result<EventSourceMapping> remove(const QString &uuid);
    // The poller's note of the last batch ("OK", "PROBLEM: Function call failed").
    void setLastProcessingResult(const QString &uuid, const QString &result);

    // EventSourceMappingConfiguration.
    Json toJson(const EventSourceMapping &mapping) const;

    static Error notFound();
    // The model's checks of what a request sent (ranges, enums, filter patterns), before any
    // mapping or source is looked at. Pure (eventsourcerules.cpp, as the next), for the fuzzer too.
    static Result<void> checkRequest(const EventSourceMappingRequest &request);
    // AWS's rules for a kind of source: a queue's default batch of 10, no StartingPosition or
    // stream settings, a batching window above 10 records; a stream's batch of 100, a required
    // StartingPosition, its settings' defaults.
    static Result<void> applyKindRules(EventSourceMapping &mapping, EventSource::Kind kind);

signals:
    // A mapping was created, changed or deleted. Emitted on the caller's thread.
    void mappingChanged(const QString &uuid);
    // wake() was called for this ARN.
    void sourceReady(const QString &eventSourceArn);
    // A source was added or removed.
    void sourcesChanged();

private:
    Result<void> load();
    Result<void> validate(EventSourceMapping &mapping, const EventSource *source) const;
    Result<void> persist(const EventSourceMapping &mapping);
    Json toDocument(const EventSourceMapping &mapping) const;
    static EventSourceMapping fromDocument(const Json &document);

    Store *m_store;
    const Clock *m_clock;
    const QString m_region;
    const QString m_accountId;
    mutable QMutex m_mutex;
    QMap<QString, EventSourceMapping> m_mappings; // by UUID
    QHash<QString, EventSource *> m_sources; // by service
};

// What a function's answer to a batch means (AWS's rules): an error fails the whole batch;
// without ReportBatchItemFailures any answer succeeds; with it, a null or empty answer, or an
// empty or null batchItemFailures, succeeds, the listed itemIdentifiers fail, and an answer
// that is not JSON, or names an identifier that is empty, null or not in the batch, fails the
// whole batch. A delivery dropped on purpose (the stepper's drop) counts as done.
BatchOutcome batchOutcome(
    const EventSourceMapping &mapping, const EventBatch &batch, const DeliveryResult &result);

// Whether a record passes a mapping's FilterCriteria: any one of the patterns matches (none:
// every record passes). The patterns are EventBridge's: each key of the pattern names a field,
// a list of values matches when one of them does (literals, prefix, suffix,
// equals-ignore-case, anything-but, numeric, exists), a nested object matches the nested
// field, which may be a string of JSON (an SQS body) or of base64 JSON (a Kinesis data).
bool matchesFilters(const QStringList &patterns, const Json &record);

} // namespace tarmac
