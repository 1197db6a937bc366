#include "services/dynamodb/ddbstreamsource.h"

#include "base/clock.h"
#include "base/ids.h"
#include "services/dynamodb/dynamodb.h"
#include "services/messagetargets.h"

#include <QDateTime>
#include <QTimeZone>

namespace tarmac {

namespace {

Error invalidParameter(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

QString isoTime(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, QTimeZone::utc())
        .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ"));
}

} // namespace

DdbStreamSource::DdbStreamSource(DynamoDb *model, const Clock *clock, MessageTargets *targets)
    : m_model(model)
    , m_clock(clock)
    , m_targets(targets)
{ }

Result<void> DdbStreamSource::check(EventSourceMapping &mapping) const
{
    if (!m_model->tableOfStream(mapping.eventSourceArn))
        return invalidParameter(QStringLiteral("Stream not found: %1").arg(mapping.eventSourceArn));
    if (mapping.startingPosition == QLatin1String("AT_TIMESTAMP"))
        return invalidParameter(QStringLiteral("Unsupported starting position for DynamoDB "
                                               "streams: AT_TIMESTAMP"));
    if (mapping.onFailureDestination && !mapping.onFailureDestination->isEmpty() && m_targets
        && !m_targets->handles(*mapping.onFailureDestination))
        return invalidParameter(QStringLiteral("The destination %1 is not a queue or topic Tarmac "
                                               "runs")
                                    .arg(*mapping.onFailureDestination));
    return {};
}

DdbStreamSource::State &DdbStreamSource::state(const EventSourceMapping &mapping)
{
    State &s = m_states[mapping.uuid];
    if (s.loaded)
        return s;
    s.loaded = true;
    auto stored = m_model->streamPosition(mapping.uuid);
    if (stored && stored->has_value()) {
        s.position = **stored;
        return s;
    }
    // First read: where StartingPosition says, kept so that a restart does not move it.
    qint64 start = 0;
    if (mapping.startingPosition == QLatin1String("LATEST")) {
        auto at = m_model->streamSequenceAt(mapping.eventSourceArn, mapping.createdNs);
        start = at ? *at : 0;
    }
    setPosition(mapping, s, start);
    return s;
}

void DdbStreamSource::setPosition(const EventSourceMapping &mapping, State &s, qint64 position)
{
    s.position = position;
    (void)m_model->setStreamPosition(mapping.uuid, position);
}

EventSourceReadiness DdbStreamSource::readiness(const EventSourceMapping &mapping)
{
    QMutexLocker lock(&m_mutex);
    State &s = state(mapping);
    auto ready = m_model->streamRecordCount(mapping.eventSourceArn, s.position, mapping.batchSize);
    EventSourceReadiness out;
    out.records = ready ? *ready : 0;
    return out;
}

std::optional<EventBatch> DdbStreamSource::receive(
    const EventSourceMapping &mapping, int maxRecords)
{
    QMutexLocker lock(&m_mutex);
    State &s = state(mapping);
    const int limit = s.batchLimit > 0 ? qMin(s.batchLimit, maxRecords) : maxRecords;
    auto records = m_model->streamRecords(mapping.eventSourceArn, s.position, limit);
    if (!records || records->isEmpty())
        return std::nullopt;
    // Records older than MaximumRecordAgeInSeconds are not delivered: they go to the
    // on-failure destination, and the stream moves past them.
    const int maxAge = mapping.maximumRecordAgeInSeconds.value_or(-1);
    if (maxAge > 0) {
        const qint64 oldest = m_clock->nowNs() - qint64(maxAge) * 1'000'000'000;
        qsizetype expired = 0;
        while (expired < records->size() && records->at(expired).createdNs < oldest)
            ++expired;
        if (expired > 0) {
            sendToDestination(mapping, records->first().sequence, records->at(expired - 1).sequence,
                int(expired), QStringLiteral("RecordAgeExceeded"), 0);
            setPosition(mapping, s, records->at(expired - 1).sequence);
            s.attempts = 0;
            records->remove(0, expired);
            if (records->isEmpty())
                return std::nullopt;
        }
    }
    EventBatch batch;
    for (const DdbStreamRecord &r : *records) {
        // The batch continues the trace of the first write that had one (on AWS a stream
        // carries no trace; locally the function's span joins the request that wrote).
        if (batch.traceId.isEmpty() && !r.traceId.isEmpty()) {
            batch.traceId = r.traceId;
            batch.parentSpanId = r.spanId;
        }
        Json record = r.record;
        record["eventSourceARN"] = mapping.eventSourceArn.toStdString();
        batch.records.append(
            {QString::fromStdString(record["dynamodb"].value("SequenceNumber", std::string())),
                std::move(record)});
    }
    batch.sourceState
        = QVariantList {records->first().sequence, records->last().sequence, m_generation};
    return batch;
}

void DdbStreamSource::complete(
    const EventSourceMapping &mapping, const EventBatch &batch, const BatchOutcome &outcome)
{
    QMutexLocker lock(&m_mutex);
    const QVariantList range = batch.sourceState.toList();
    if (range.size() != 3 || range[2].toLongLong() != m_generation
        || !m_states.contains(mapping.uuid))
        return;
    State &s = state(mapping);
    const qint64 first = range[0].toLongLong();
    const qint64 last = range[1].toLongLong();
    if (s.position >= last)
        return; // a mapping deleted and made again, or a batch already given up on
    if (outcome.status == BatchOutcome::Status::Succeeded) {
        setPosition(mapping, s, last);
        s.attempts = 0;
        s.batchLimit = 0;
        return;
    }
    qint64 retryFrom = first;
    if (outcome.status == BatchOutcome::Status::PartiallyFailed) {
        // The stream resumes at the first failed record; the ones before it are done.
        qint64 lowest = last;
        for (const QString &id : outcome.failedItemIds)
            lowest = qMin(lowest, id.toLongLong());
        retryFrom = qMax(first, lowest);
        if (retryFrom > first) {
            setPosition(mapping, s, retryFrom - 1);
            s.attempts = 0;
        }
    }
    const int size = int(batch.records.size());
    if (outcome.status == BatchOutcome::Status::Failed
        && mapping.bisectBatchOnFunctionError.value_or(false) && size > 1) {
        s.batchLimit = (size + 1) / 2; // a split does not count as a retry
        return;
    }
    ++s.attempts;
    const int maxRetries = mapping.maximumRetryAttempts.value_or(-1);
    if (maxRetries >= 0 && s.attempts > maxRetries) {
        sendToDestination(mapping, retryFrom, last, int(last - retryFrom + 1),
            QStringLiteral("RetryAttemptsExhausted"), s.attempts);
        setPosition(mapping, s, last);
        s.attempts = 0;
        s.batchLimit = 0;
    }
}

void DdbStreamSource::forget(const EventSourceMapping &mapping)
{
    QMutexLocker lock(&m_mutex);
    m_states.remove(mapping.uuid);
    (void)m_model->forgetStreamPosition(mapping.uuid);
}

void DdbStreamSource::reload()
{
    QMutexLocker lock(&m_mutex);
    m_states.clear();
    ++m_generation;
}

void DdbStreamSource::sendToDestination(const EventSourceMapping &mapping, qint64 first,
    qint64 last, int size, const QString &condition, int invokeCount)
{
    const QString destination = mapping.onFailureDestination.value_or(QString());
    if (destination.isEmpty() || !m_targets)
        return;
    auto records = m_model->streamRecords(mapping.eventSourceArn, first - 1, 1);
    auto lastRecords = m_model->streamRecords(mapping.eventSourceArn, last - 1, 1);
    const qint64 firstNs = records && !records->isEmpty() ? records->first().createdNs : 0;
    const qint64 lastNs
        = lastRecords && !lastRecords->isEmpty() ? lastRecords->first().createdNs : 0;
    const auto table = m_model->tableOfStream(mapping.eventSourceArn);
    const QString shard = table ? DynamoDb::shardId(*table) : QString();
    const auto seq = [](qint64 n) { return QStringLiteral("%1").arg(n, 21, 10, QLatin1Char('0')); };
    Json body = {
        {"requestContext",
            {{"requestId", QString::fromLatin1(newRequestId()).toStdString()},
                {"functionArn", mapping.functionArn.toStdString()},
                {"condition", condition.toStdString()}, {"approximateInvokeCount", invokeCount}}},
        {"responseContext",
            {{"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}}},
        {"version", "1.0"}, {"timestamp", isoTime(m_clock->nowNs()).toStdString()},
        {"DDBStreamBatchInfo",
            {{"shardId", shard.toStdString()}, {"startSequenceNumber", seq(first).toStdString()},
                {"endSequenceNumber", seq(last).toStdString()},
                {"approximateArrivalOfFirstRecord", isoTime(firstNs).toStdString()},
                {"approximateArrivalOfLastRecord", isoTime(lastNs).toStdString()},
                {"batchSize", size}, {"streamArn", mapping.eventSourceArn.toStdString()}}}};
    TargetMessage message;
    message.body = toJsonBytes(body);
    if (auto r = m_targets->deliver(destination, message); !r)
        qWarning("dynamodb: the on-failure destination %s refused a failed batch: %s",
            qPrintable(destination), qPrintable(r.error().message));
}

} // namespace tarmac
