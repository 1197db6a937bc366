#include "services/sqs/sqseventsource.h"

#include "base/clock.h"
#include "services/sqs/sqsstore.h"

#include <QStringList>
#include <QVariant>

namespace tarmac {

namespace {

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" → trace id
// (32 hex) and parent span id (16 hex).
std::pair<QByteArray, QByteArray> traceOf(const QString &header)
{
    QByteArray trace, parent;
    for (const QString &part : header.split(u';')) {
        const QString p = part.trimmed();
        if (p.startsWith(QLatin1String("Root=1-"))) {
            const QStringList pieces = p.mid(7).split(u'-');
            if (pieces.size() == 2 && pieces[0].size() == 8 && pieces[1].size() == 24)
                trace = (pieces[0] + pieces[1]).toLatin1().toLower();
        } else if (p.startsWith(QLatin1String("Parent=")) && p.size() == 7 + 16) {
            parent = p.mid(7).toLatin1().toLower();
        }
    }
    return {trace, parent};
}

} // namespace

SqsEventSource::SqsEventSource(SqsStore *store, QString region, QString accountId)
    : m_store(store)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

QString SqsEventSource::queueOf(const QString &arn) const
{
    // arn:aws:sqs:REGION:ACCOUNT:NAME
    const QStringList parts = arn.split(u':');
    if (parts.size() != 6 || parts[3] != m_region || parts[4] != m_accountId)
        return {};
    return parts[5];
}

Result<void> SqsEventSource::check(EventSourceMapping &mapping) const
{
    const QString queue = queueOf(mapping.eventSourceArn);
    if (queue.isEmpty() || !m_store->exists(queue))
        return invalid(QStringLiteral("Error occurred while ReceiveMessage. SQS Error Code: "
                                      "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: "
                                      "The specified queue does not exist for this wsdl version."));
    if (queue.endsWith(QLatin1String(".fifo")) && mapping.batchSize > 10)
        return invalid(QStringLiteral("Batch size must be between 1 and 10 for FIFO queues"));
    return {};
}

EventSourceReadiness SqsEventSource::readiness(const EventSourceMapping &mapping)
{
    EventSourceReadiness r;
    const QString queue = queueOf(mapping.eventSourceArn);
    r.records = m_store->receivableCount(queue, 10'000);
    if (r.records == 0) {
        const auto next = m_store->nextVisibleMs(queue);
        r.nextNs = next ? *next * 1'000'000 : 0;
    }
    return r;
}

std::optional<EventBatch> SqsEventSource::receive(const EventSourceMapping &mapping, int maxRecords)
{
    const QString queue = queueOf(mapping.eventSourceArn);
    QList<SqsMessage> messages;
    // The store hands out ten at a time, as ReceiveMessage does; a mapping's batch may be larger.
    while (messages.size() < maxRecords) {
        auto got = m_store->receive(queue, std::min(10, int(maxRecords - messages.size())));
        if (!got || got->isEmpty())
            break;
        messages += *got;
    }
    if (messages.isEmpty())
        return std::nullopt;
    EventBatch batch;
    QStringList handles;
    for (const SqsMessage &m : std::as_const(messages)) {
        Json attributes = Json::object();
        const QMap<QString, QString> system = m.systemAttributes();
        for (auto it = system.cbegin(); it != system.cend(); ++it)
            attributes[toStd(it.key())] = toStd(it.value());
        Json messageAttributes = Json::object();
        for (auto it = m.attributes.cbegin(); it != m.attributes.cend(); ++it) {
            Json v = {{"stringListValues", Json::array()}, {"binaryListValues", Json::array()},
                {"dataType", toStd(it->dataType)}};
            if (it->isBinary())
                v["binaryValue"] = it->value.toBase64().toStdString();
            else
                v["stringValue"] = it->value.toStdString();
            messageAttributes[toStd(it.key())] = v;
        }
        Json record = {{"messageId", toStd(m.messageId)}, {"receiptHandle", toStd(m.receiptHandle)},
            {"body", m.body.toStdString()}, {"attributes", attributes},
            {"messageAttributes", messageAttributes}, {"md5OfBody", toStd(m.md5OfBody)},
            {"eventSource", "aws:sqs"}, {"eventSourceARN", toStd(mapping.eventSourceArn)},
            {"awsRegion", toStd(m_region)}};
        if (!m.md5OfAttributes.isEmpty())
            record["md5OfMessageAttributes"] = toStd(m.md5OfAttributes);
        batch.records.append({m.messageId, record});
        handles.append(m.receiptHandle);
        if (batch.traceId.isEmpty()) {
            const auto [trace, parent] = traceOf(QString::fromUtf8(
                m.sentSystemAttributes.value(QStringLiteral("AWSTraceHeader")).value));
            batch.traceId = trace;
            batch.parentSpanId = parent;
        }
    }
    batch.sourceState = handles;
    return batch;
}

void SqsEventSource::complete(
    const EventSourceMapping &mapping, const EventBatch &batch, const BatchOutcome &outcome)
{
    if (outcome.status == BatchOutcome::Status::Failed)
        return; // the messages come back when their visibility timeout ends
    const QString queue = queueOf(mapping.eventSourceArn);
    const QStringList handles = batch.sourceState.toStringList();
    QStringList done;
    for (qsizetype i = 0; i < batch.records.size() && i < handles.size(); ++i) {
        if (outcome.status == BatchOutcome::Status::PartiallyFailed
            && outcome.failedItemIds.contains(batch.records[i].itemId))
            continue;
        done.append(handles[i]);
    }
    (void)m_store->deleteMessages(queue, done); // one transaction for the batch
}

} // namespace tarmac
