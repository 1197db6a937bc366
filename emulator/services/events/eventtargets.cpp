#include "services/events/eventtargets.h"

#include "base/clock.h"
#include "functions/delivery.h"
#include "functions/functionrunner.h"
#include "services/messagetargets.h"
#include "services/servicemodule.h"
#include "trace/span.h"
#include "trace/tracer.h"

#include <QPointer>

namespace tarmac {

struct EventTargetSender::Pending
{
    EventTarget target;
    Render render;
    SendOrigin origin;
    qint64 firstNs = 0;
    int attempt = 1;
    quint64 epoch = 0; // m_epoch when it was sent
};

namespace {

constexpr qint64 kFirstBackoffNs = 1'000'000'000;
constexpr qint64 kMaxBackoffNs = 60'000'000'000;

bool notFound(const Error &e)
{
    return e.code == QLatin1String("ResourceNotFoundException")
        || e.code == QLatin1String("QueueDoesNotExist") || e.code == QLatin1String("NoSuchTarget")
        || e.code == QLatin1String("InvalidParameterValue");
}

} // namespace

EventTargetSender::EventTargetSender(const EngineContext &context, QObject *parent)
    : QObject(parent)
    , m_clock(context.clock)
    , m_tracer(context.tracer)
    , m_sink(context.deliveries)
    , m_runner(context.runner)
    , m_targets(context.messageTargets)
    , m_alive(std::make_shared<bool>(true))
{ }

EventTargetSender::~EventTargetSender() = default;

std::pair<QString, QString> EventTargetSender::functionOf(const QString &arn)
{
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    const QStringList parts = arn.split(u':');
    if (parts.size() < 7 || parts.at(2) != QLatin1String("lambda")
        || parts.at(5) != QLatin1String("function") || parts.at(6).isEmpty())
        return {};
    return {parts.at(6), parts.size() > 7 ? parts.at(7) : QString()};
}

void EventTargetSender::send(const EventTarget &target, Render render, const SendOrigin &origin)
{
    auto p = std::make_shared<Pending>();
    p->target = target;
    p->render = std::move(render);
    p->origin = origin;
    p->firstNs = m_clock->nowNs();
    p->epoch = m_epoch.load();
    attempt(std::move(p));
}

Result<void> EventTargetSender::handOver(const Pending &p, const QByteArray &payload)
{
    const QString &arn = p.target.arn;
    const auto [function, qualifier] = functionOf(arn);
    if (!function.isEmpty()) {
        if (!m_sink || !m_runner)
            return makeError(QStringLiteral("ServiceUnavailable"),
                QStringLiteral("no functions are running"), 503);
        if (!m_runner->hasFunction(function))
            return makeError(QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("Function not found: %1").arg(arn), 404);
        Delivery d;
        d.functionName = function;
        d.qualifier = qualifier;
        d.payload = payload;
        d.origin = p.origin.service;
        d.async = true;
        d.traceId = p.origin.traceId;
        d.parentSpanId = p.origin.parentSpanId;
        return m_sink->submitAsync(std::move(d));
    }
    if (!m_targets || !m_targets->handles(arn))
        return makeError(QStringLiteral("NoSuchTarget"),
            QStringLiteral("Tarmac does not deliver to %1 targets (%2)")
                .arg(MessageTargets::serviceOf(arn), arn),
            400);
    TargetMessage m;
    m.body = payload;
    m.traceId = p.origin.traceId;
    m.parentSpanId = p.origin.parentSpanId;
    m.messageGroupId = p.target.messageGroupId;
    if (!p.target.detailType.isEmpty() || !p.target.source.isEmpty()) {
        // A schedule's EventBridge target: the bus takes an entry, not a bare payload.
        m.attributes.insert(
            QStringLiteral("DetailType"), {QStringLiteral("String"), p.target.detailType});
        m.attributes.insert(QStringLiteral("Source"), {QStringLiteral("String"), p.target.source});
    }
    return m_targets->deliver(arn, m);
}

void EventTargetSender::attempt(std::shared_ptr<Pending> p)
{
    const QByteArray payload = p->render(p->attempt);
    const Result<void> handed = handOver(*p, payload);
    if (handed)
        return;
    const Error &error = handed.error();
    const qint64 backoff = std::min(kMaxBackoffNs, kFirstBackoffNs << std::min(p->attempt - 1, 16));
    const qint64 nextNs = m_clock->nowNs() + backoff;
    const bool retry = !notFound(error) && p->attempt <= p->target.maximumRetryAttempts
        && nextNs - p->firstNs <= qint64(p->target.maximumEventAgeSeconds) * 1'000'000'000;
    if (!retry) {
        deadLetter(*p, error);
        return;
    }
    ++p->attempt;
    m_clock->scheduleAt(nextNs, this, [this, p] {
        if (p->epoch == m_epoch.load())
            attempt(p);
    });
}

void EventTargetSender::deadLetter(const Pending &p, const Error &error)
{
    const qint64 now = m_clock->nowNs();
    QString outcome;
    bool deadLettered = false;
    if (!p.target.deadLetterArn.isEmpty() && m_targets) {
        TargetMessage m;
        m.body = p.render(p.attempt);
        m.traceId = p.origin.traceId;
        m.parentSpanId = p.origin.parentSpanId;
        const auto attr = [&](const char *name, const QString &value) {
            m.attributes.insert(QLatin1String(name), {QStringLiteral("String"), value});
        };
        if (p.origin.service == QLatin1String("scheduler")) {
            // EventBridge Scheduler's dead-letter attributes.
            attr("X-Amz-Scheduler-Attempt", QString::number(p.attempt));
            attr("X-Amz-Scheduler-Schedule-Arn", p.origin.sourceArn);
            attr("X-Amz-Scheduler-Target-Arn", p.target.arn);
            attr("X-Amz-Scheduler-Error-Code", error.code);
            attr("X-Amz-Scheduler-Error-Message", error.message);
        } else {
            attr("RULE_ARN", p.origin.sourceArn);
            attr("TARGET_ARN", p.target.arn);
            attr("ERROR_CODE", error.code);
            attr("ERROR_MESSAGE", error.message);
        }
        const Result<void> sent = m_targets->deliver(p.target.deadLetterArn, m);
        deadLettered = sent.ok();
        outcome = sent
            ? QStringLiteral("sent to the dead-letter queue %1").arg(p.target.deadLetterArn)
            : QStringLiteral("and its dead-letter queue %1 refused it too: %2")
                  .arg(p.target.deadLetterArn, sent.error().message);
    } else {
        outcome = QStringLiteral("dropped (the target has no dead-letter queue)");
    }
    if (!m_tracer)
        return;
    const QString what
        = QStringLiteral("%1 could not hand an event to %2 after %3 attempt%4: "
                         "%5; %6")
              .arg(p.origin.sourceName, p.target.arn)
              .arg(p.attempt)
              .arg(p.attempt == 1 ? QString() : QStringLiteral("s"), error.message, outcome);
    Span span = makeSpan({.traceId = p.origin.traceId,
        .parentSpanId = p.origin.parentSpanId,
        .service = p.origin.service,
        .operation = QStringLiteral("Deliver"),
        .name = QStringLiteral("%1 deliver %2").arg(p.origin.sourceName, p.target.arn),
        .kind = SpanKindProducer,
        .startNs = now,
        .endNs = now,
        .error = error.message,
        .attributes = {{QStringLiteral("messaging.destination.name"), p.target.arn},
            {QStringLiteral("tarmac.dead_lettered"), deadLettered}}});
    LogRecord log;
    log.timeNs = now;
    log.traceId = span.traceId;
    log.spanId = span.spanId;
    log.source = p.origin.service;
    log.severity = LogSeverityWarn;
    log.text = what;
    m_tracer->record(std::move(span));
    m_tracer->record(std::move(log));
}

} // namespace tarmac
