#pragma once

#include "services/eventsourcemappings.h"

#include <QHash>
#include <QMutex>

namespace tarmac {

class Clock;
class DynamoDb;
class MessageTargets;

// A table's stream as Lambda's event source: the engine's poller asks for batches of DynamoDB
// stream records (AWS's event shape, with eventSourceARN), one batch per mapping in flight
// (a stream has one shard here, and a shard is read in order). Each mapping keeps its
// position in the stream in the state (DynamoDb::setStreamPosition), so a restart resumes
// where the last finished batch ended; StartingPosition TRIM_HORIZON starts at the oldest
// record kept, LATEST after the records written before the mapping was created.
//
// What a failed batch does is AWS's: it is retried (the poller rests between tries) until it
// succeeds, its records pass MaximumRecordAgeInSeconds, or MaximumRetryAttempts is spent; with
// BisectBatchOnFunctionError a failed batch is split in two first (a split does not count as
// a retry); with ReportBatchItemFailures the stream resumes at the first failed record. A
// batch given up on goes to the on-failure destination (SQS) as AWS's DDBStreamBatchInfo
// record, and the stream moves past it.
class DdbStreamSource : public EventSource
{
public:
    DdbStreamSource(DynamoDb *model, const Clock *clock, MessageTargets *targets);

    QString service() const override { return QStringLiteral("dynamodb"); }
    Kind kind() const override { return Kind::Stream; }
    Result<void> check(EventSourceMapping &mapping) const override;
    int defaultConcurrency(const EventSourceMapping &mapping) const override
    {
        Q_UNUSED(mapping);
        return 1;
    }
    EventSourceReadiness readiness(const EventSourceMapping &mapping) override;
    std::optional<EventBatch> receive(const EventSourceMapping &mapping, int maxRecords) override;
    void complete(const EventSourceMapping &mapping, const EventBatch &batch,
        const BatchOutcome &outcome) override;
    void forget(const EventSourceMapping &mapping) override;
    // The stream rows were replaced (a reset, a snapshot restored): every mapping reads its
    // position from the rows again, and a batch taken from the old rows moves nothing when
    // it completes.
    void reload();

private:
    struct State
    {
        bool loaded = false;
        qint64 position = 0; // the last sequence number done
        int attempts = 0; // retries of the batch at the position
        int batchLimit = 0; // a bisected batch's size; 0: the mapping's
    };
    State &state(const EventSourceMapping &mapping); // with m_mutex held
    void setPosition(const EventSourceMapping &mapping, State &s, qint64 position);
    // Sends the batch [first, last] to the mapping's on-failure destination.
    void sendToDestination(const EventSourceMapping &mapping, qint64 first, qint64 last, int size,
        const QString &condition, int invokeCount);

    DynamoDb *m_model;
    const Clock *m_clock;
    MessageTargets *m_targets;
    QMutex m_mutex;
    QHash<QString, State> m_states; // by mapping UUID
    qint64 m_generation = 0; // reloads so far: a batch carries the one it was read in
};

} // namespace tarmac
