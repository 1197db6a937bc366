#pragma once

#include "services/eventsourcemappings.h"

namespace tarmac {

class SqsStore;

// A queue as Lambda's event source: the engine's poller asks for batches of SQS event records
// (AWS's exact shape: messageId, receiptHandle, body, attributes, messageAttributes,
// md5OfBody, eventSource, eventSourceARN, awsRegion), received with the queue's visibility
// timeout. A batch that succeeds is deleted; one that fails comes back after the timeout (and
// finally goes to the dead-letter queue); with ReportBatchItemFailures only the failed records
// stay. The store's sends wake the poller (EventSourceMappings::wake), so nothing polls on a
// timer; delayed or in-flight messages wake it when they become visible (readiness().nextNs).
class SqsEventSource : public EventSource
{
public:
    SqsEventSource(SqsStore *store, QString region, QString accountId);

    QString service() const override { return QStringLiteral("sqs"); }
    Kind kind() const override { return Kind::Queue; }
    Result<void> check(EventSourceMapping &mapping) const override;
    EventSourceReadiness readiness(const EventSourceMapping &mapping) override;
    std::optional<EventBatch> receive(const EventSourceMapping &mapping, int maxRecords) override;
    void complete(const EventSourceMapping &mapping, const EventBatch &batch,
        const BatchOutcome &outcome) override;

    // The queue an ARN names, or empty for an ARN of another account or region.
    QString queueOf(const QString &arn) const;

private:
    SqsStore *m_store;
    QString m_region;
    QString m_accountId;
};

} // namespace tarmac
