#include "services/sqs/sqsmodule.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"

#include "services/sqs/sqseventsource.h"
#include "services/sqs/sqsjsonapi.h"
#include "services/sqs/sqsrequests.h"
#include "services/sqs/sqsresources.h"
#include "services/sqs/sqsstore.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QFile>
#include <QLocale>

#include <limits>

namespace tarmac {

namespace {

// A message moved to its dead-letter queue: a line in the terminal (a warning: something
// failed for good) and a span, both in the sender's trace when the message carries one.
void deadLettered(Tracer *tracer, const Clock &clock, const SqsStore::DeadLettered &d)
{
    const qint64 nowNs = clock.nowNs();
    const auto context = TraceContext::fromXRay(d.traceHeader.toLatin1());
    const QByteArray traceId = context ? context->traceId : TraceContext::newTrace(clock).traceId;
    const QByteArray spanId = TraceContext::newSpanId();
    LogRecord log;
    log.timeNs = nowNs;
    log.traceId = traceId;
    log.spanId = spanId;
    log.source = QStringLiteral("sqs");
    log.severity = LogSeverityWarn;
    log.text = QStringLiteral("%1: message %2 moved to the dead-letter queue %3 after %4 receives")
                   .arg(d.queue, d.messageId, d.deadLetterQueue)
                   .arg(d.receiveCount);
    tracer->record(std::move(log));
    tracer->record(makeSpan({.traceId = traceId,
        .spanId = spanId,
        .parentSpanId = context ? context->parentSpanId : QByteArray(),
        .service = QStringLiteral("sqs"),
        .operation = QStringLiteral("MoveToDeadLetterQueue"),
        .name = d.queue + QStringLiteral(" dead-letter"),
        .kind = SpanKindProducer,
        .startNs = nowNs,
        .endNs = nowNs,
        .attributes = {{QStringLiteral("messaging.system"), QStringLiteral("aws_sqs")},
            {QStringLiteral("messaging.destination.name"), d.deadLetterQueue},
            {QStringLiteral("messaging.message.id"), d.messageId},
            {QStringLiteral("tarmac.sqs.source_queue"), d.queue},
            {QStringLiteral("tarmac.sqs.receive_count"), qint64(d.receiveCount)}}}));
}

} // namespace

SqsModule::SqsModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<SqsJsonApi>())
{ }

SqsModule::~SqsModule()
{
    if (m_targets)
        m_targets->remove(this);
    if (m_mappings && m_source)
        m_mappings->removeSource(m_source.get());
    m_api.reset(); // answers its waiting polls before the store goes
}

HttpHandler *SqsModule::edgeHandler()
{
    return m_api.get();
}

Result<void> SqsModule::start(const EngineContext &context)
{
    m_store = std::make_unique<SqsStore>(
        context.store, context.clock, context.region, context.accountId);
    if (auto r = m_store->open(); !r)
        return r;
    m_api->attach(m_store.get(), context.clock, context.accountId);
    m_source = std::make_unique<SqsEventSource>(m_store.get(), context.region, context.accountId);
    m_mappings = context.mappings;
    if (m_mappings)
        m_mappings->addSource(m_source.get());
    SqsJsonApi *api = m_api.get();
    EventSourceMappings *mappings = m_mappings;
    SqsStore *store = m_store.get();
    m_store->setMessageAvailable([api, mappings, store](const QString &queue) {
        api->messageAvailable(queue); // long polls first, as on AWS they compete for it
        if (mappings)
            mappings->wake(store->arnOf(queue));
    });
    if (Tracer *tracer = context.tracer) {
        const Clock *clock = context.clock;
        m_store->setDeadLettered(
            [tracer, clock](const SqsStore::DeadLettered &d) { deadLettered(tracer, *clock, d); });
    }
    m_edgeUrl = context.edgeUrl;
    m_targets = context.messageTargets;
    if (m_targets)
        m_targets->add(QStringLiteral("sqs"), this);
    return {};
}

Result<std::pair<QString, SqsSendRequest>> SqsModule::sendFor(
    const QString &arn, const TargetMessage &message) const
{
    const QString queue = sqsrequests::queueFromArn(arn);
    if (!m_store || queue.isEmpty() || !m_store->exists(queue))
        return makeError(QStringLiteral("QueueDoesNotExist"),
            QStringLiteral("The queue %1 does not exist.").arg(arn), 400);
    const bool fifo = queue.endsWith(QLatin1String(".fifo"));
    if (fifo && message.messageGroupId.isEmpty())
        return makeError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("%1 is a FIFO queue: a message for it needs a message group id "
                           "(S3 notifications go to standard queues only).")
                .arg(arn),
            400);
    SqsSendRequest send;
    send.body = message.body;
    if (fifo) {
        send.groupId = message.messageGroupId;
        send.deduplicationId = message.deduplicationId;
        const auto attributes
            = m_store->attributes(queue, {QStringLiteral("ContentBasedDeduplication")});
        const bool contentBased = attributes
            && attributes->value(QStringLiteral("ContentBasedDeduplication"))
                == QLatin1String("true");
        if (send.deduplicationId.isEmpty() && !contentBased)
            send.deduplicationId = QString::fromLatin1(newRequestId());
    }
    for (auto it = message.attributes.cbegin(); it != message.attributes.cend(); ++it)
        send.attributes.insert(it.key(), {it.value().first, it.value().second.toUtf8()});
    const TraceContext trace {message.traceId, message.parentSpanId};
    if (trace.isValid()) {
        send.systemAttributes.insert(
            QStringLiteral("AWSTraceHeader"), {QStringLiteral("String"), trace.toXRay()});
        send.traceHeaderAdded = true;
    }
    return std::pair {queue, send};
}

Result<void> SqsModule::deliverMessage(const QString &arn, const TargetMessage &message)
{
    auto send = sendFor(arn, message);
    if (!send)
        return send.error();
    auto sent = m_store->send(send->first, send->second);
    if (!sent)
        return sent.error();
    return {};
}

QList<Result<void>> SqsModule::deliverMessages(
    const QList<std::pair<QString, TargetMessage>> &messages)
{
    QList<Result<void>> out(messages.size(), Result<void>());
    QList<std::pair<QString, SqsSendRequest>> sends;
    QList<qsizetype> places; // the message each send answers
    for (qsizetype i = 0; i < messages.size(); ++i) {
        auto send = sendFor(messages[i].first, messages[i].second);
        if (!send) {
            out[i] = send.error();
            continue;
        }
        sends.append(std::move(*send));
        places.append(i);
    }
    if (sends.isEmpty())
        return out;
    const QList<Result<SqsSendResult>> sent = m_store->sendToQueues(sends);
    for (qsizetype k = 0; k < sent.size() && k < places.size(); ++k) {
        if (!sent[k])
            out[places[k]] = sent[k].error();
    }
    return out;
}

bool SqsModule::targetExists(const QString &arn) const
{
    const QString queue = sqsrequests::queueFromArn(arn);
    return m_store && !queue.isEmpty() && m_store->exists(queue);
}

namespace {

const QString kQueueKind = QStringLiteral("queue");

Error notRunning()
{
    return makeError(QStringLiteral("ServiceUnavailable"),
        QStringLiteral("the sqs module has not started"), 503);
}

} // namespace

QList<CatalogKind> SqsModule::catalogKinds() const
{
    return {{kQueueKind, tr("Queues"),
        tr("No queues yet: add an AWS::SQS::Queue to the template, or run aws sqs create-queue "
           "--queue-name NAME --endpoint-url EDGE")}};
}

QList<CatalogEntry> SqsModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_store)
        return out;
    const QLocale locale;
    for (const QString &name : m_store->queueNames()) {
        auto attributes = m_store->attributes(name, {QStringLiteral("All")});
        if (!attributes)
            continue;
        const auto number
            = [&](const char *key) { return attributes->value(QLatin1String(key)).toLongLong(); };
        const qint64 visible = number("ApproximateNumberOfMessages");
        const qint64 inFlight = number("ApproximateNumberOfMessagesNotVisible");
        const qint64 delayed = number("ApproximateNumberOfMessagesDelayed");
        CatalogEntry e;
        e.kind = kQueueKind;
        e.name = name;
        e.arn = m_store->arnOf(name);
        e.physicalId
            = sqsresources::awsQueueUrl(e.arn.section(u':', 3, 3), e.arn.section(u':', 4, 4), name);
        e.counts = {{QStringLiteral("visible"), visible}, {QStringLiteral("inFlight"), inFlight},
            {QStringLiteral("delayed"), delayed}};
        e.status = tr("%1 visible · %2 in flight · %3 delayed")
                       .arg(locale.toString(visible), locale.toString(inFlight),
                           locale.toString(delayed));
        const QString url = QStringLiteral("%1/%2/%3")
                                .arg(m_edgeUrl.toString(QUrl::StripTrailingSlash),
                                    m_store->arnOf(name).section(u':', 4, 4), name);
        e.tooltip = url;
        const bool fifo = attributes->value(QStringLiteral("FifoQueue")) == QLatin1String("true");
        e.properties = {{tr("URL"), url}, {tr("Type"), fifo ? tr("FIFO") : tr("Standard")},
            {tr("Visibility timeout"),
                tr("%1 s").arg(attributes->value(QStringLiteral("VisibilityTimeout")))}};
        const auto policy = parseJson(attributes->value(QStringLiteral("RedrivePolicy")).toUtf8());
        if (policy && policy->is_object())
            e.properties.append({tr("Dead-letter queue"),
                fromStd(policy->value("deadLetterTargetArn", std::string())).section(u':', 5)});
        e.actions = {QStringLiteral("browse"), QStringLiteral("purge")};
        const auto sources = m_store->deadLetterSources(name);
        if (sources && !sources->isEmpty()) {
            e.properties.append({tr("Dead-letter queue of"), sources->join(QStringLiteral(", "))});
            e.actions.append(QStringLiteral("redrive"));
            if (visible + inFlight + delayed > 0)
                e.warning = tr("%1 dead-lettered messages")
                                .arg(locale.toString(visible + inFlight + delayed));
        }
        out.append(e);
    }
    return out;
}

Result<CatalogPage> SqsModule::browse(
    const QString &kind, const QString &name, const QString &after, int max) const
{
    if (kind != kQueueKind)
        return ServiceModule::browse(kind, name, after, max);
    if (!m_store)
        return notRunning();
    const int limit = std::clamp(max, 1, 1000);
    auto messages = m_store->peek(name, after, limit + 1);
    if (!messages)
        return messages.error();
    CatalogPage page;
    page.truncated = messages->size() > limit;
    for (qsizetype i = 0; i < std::min<qsizetype>(messages->size(), limit); ++i) {
        const SqsPeekedMessage &m = messages->at(i);
        QStringList detail;
        if (m.inFlight)
            detail.append(tr("in flight"));
        if (m.delayed)
            detail.append(tr("delayed"));
        if (m.receiveCount > 0)
            detail.append(tr("received %n time(s)", nullptr, m.receiveCount));
        if (!m.groupId.isEmpty())
            detail.append(tr("group %1").arg(m.groupId));
        page.items.append(
            {m.messageId, m.size, m.sentMs * 1'000'000, detail.join(QStringLiteral(" · "))});
    }
    return page;
}

Result<CatalogItemBody> SqsModule::readItem(
    const QString &kind, const QString &name, const QString &key) const
{
    if (kind != kQueueKind)
        return ServiceModule::readItem(kind, name, key);
    if (!m_store)
        return notRunning();
    auto body = m_store->peekBody(name, key);
    if (!body)
        return body.error();
    return CatalogItemBody {*body, QString()};
}

Result<void> SqsModule::deleteItem(const QString &kind, const QString &name, const QString &key)
{
    if (kind != kQueueKind)
        return ServiceModule::deleteItem(kind, name, key);
    if (!m_store)
        return notRunning();
    return m_store->deleteById(name, key);
}

void SqsModule::putItem(const QString &kind, const QString &name, const QString &key,
    const QString &file, std::function<void(Result<void>)> done)
{
    if (kind != kQueueKind || !m_store) {
        ServiceModule::putItem(kind, name, key, file, std::move(done));
        return;
    }
    // The file's content is sent as a message (the key is not kept: SQS names messages).
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        done(makeError(QStringLiteral("InvalidParameterValue"),
            tr("cannot read %1: %2").arg(file, f.errorString()), 400));
        return;
    }
    SqsSendRequest send;
    send.body = f.read(1024 * 1024 + 1);
    if (name.endsWith(QLatin1String(".fifo"))) {
        send.groupId = QStringLiteral("desktop");
        send.deduplicationId = QString::fromLatin1(newRequestId());
    }
    auto sent = m_store->send(name, send);
    done(sent ? Result<void>() : Result<void>(sent.error()));
}

Result<QString> SqsModule::runAction(
    const QString &kind, const QString &name, const QString &action)
{
    if (kind != kQueueKind)
        return ServiceModule::runAction(kind, name, action);
    if (!m_store)
        return notRunning();
    if (action == QLatin1String("purge")) {
        auto purged = m_store->purge(name);
        if (!purged)
            return purged.error();
        return tr("purged %n message(s) from %1", nullptr, *purged).arg(name);
    }
    if (action == QLatin1String("redrive")) {
        // As StartMessageMoveTask without a destination: each back to where it came from.
        auto moved = m_store->moveMessages(name, QString(), std::numeric_limits<int>::max());
        if (!moved)
            return moved.error();
        return tr("moved %n message(s) from %1 back to their source queues", nullptr, *moved)
            .arg(name);
    }
    return ServiceModule::runAction(kind, name, action);
}

void SqsModule::stop()
{
    if (m_targets)
        m_targets->remove(this);
    m_targets = nullptr;
    if (m_mappings && m_source)
        m_mappings->removeSource(m_source.get());
    m_mappings = nullptr;
    if (m_api)
        m_api->stop();
}

Result<void> SqsModule::flushState()
{
    return m_store ? m_store->writeBehind() : Result<void>();
}

Result<void> SqsModule::reloadState()
{
    if (!m_store)
        return {};
    // The queues before and after: a mapping on a queue that went learns it, one on a queue
    // that came back (or changed) polls it again.
    QStringList queues = m_store->queueNames();
    const Result<void> loaded = m_store->reload();
    queues += m_store->queueNames();
    queues.removeDuplicates();
    // Even when the rows could not all be read, no poll may wait on what memory held before.
    m_api->reloaded();
    if (m_mappings) {
        for (const QString &queue : std::as_const(queues))
            m_mappings->wake(m_store->arnOf(queue));
    }
    return loaded;
}

QList<const ResourceType *> SqsModule::resourceTypes() const
{
    return {&sqsresources::queueType(), &sqsresources::queuePolicyType()};
}

QList<const FunctionEventType *> SqsModule::functionEventTypes() const
{
    return {&sqsresources::sqsEventType()};
}

Result<void> SqsModule::putResource(const StackResource &resource, const StackResource *previous)
{
    if (resource.type != QLatin1String("AWS::SQS::Queue"))
        return ServiceModule::putResource(resource, previous);
    if (!m_store)
        return makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("the sqs module has not started"), 503);
    auto attributes = sqsresources::queueAttributes(resource.properties);
    if (!attributes)
        return attributes.error();
    const QString name = sqsresources::queueName(resource.physicalId);
    if (!m_store->exists(name)) {
        if (auto r
            = m_store->createQueue(name, *attributes, sqsresources::queueTags(resource.properties));
            !r)
            return r;
        return {};
    }
    // Defined again (a restart, a template edit): the queue keeps its messages.
    attributes->remove(QStringLiteral("FifoQueue"));
    if (auto r = m_store->setAttributes(name, *attributes); !r)
        return r;
    return m_store->tag(name, sqsresources::queueTags(resource.properties));
}

Result<QString> SqsModule::deleteResource(const StackResource &resource)
{
    if (resource.type != QLatin1String("AWS::SQS::Queue") || !m_store)
        return QStringLiteral("removed");
    auto r = m_store->deleteQueue(sqsresources::queueName(resource.physicalId));
    if (!r && r.error().code != QLatin1String("QueueDoesNotExist"))
        return r.error();
    return QStringLiteral("removed");
}

} // namespace tarmac
