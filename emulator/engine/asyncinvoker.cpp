#include "engine/asyncinvoker.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "services/messagetargets.h"
#include "store/store.h"
#include "trace/tracer.h"

#include <QPointer>
#include <QThread>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"(
CREATE TABLE lambda_async_events (
    id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL DEFAULT '',
    payload BLOB NOT NULL,
    trace_id TEXT NOT NULL DEFAULT '',
    parent_span_id TEXT NOT NULL DEFAULT '',
    client_context TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT 'invoke',
    attempts INTEGER NOT NULL DEFAULT 0,
    enqueued_ns INTEGER NOT NULL,
    next_attempt_ns INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX lambda_async_events_by_status ON lambda_async_events(status);
)"},
};

} // namespace

struct AsyncInvoker::Row
{
    AsyncInvoker::Event event;
    int attempts = 0;
    qint64 enqueuedNs = 0;
    QString status;
};

AsyncInvoker::AsyncInvoker(Store *store, const Clock *clock, Options options, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_options(std::move(options))
{ }

AsyncInvoker::~AsyncInvoker() = default;

int AsyncInvoker::inFlight() const
{
    return m_inFlight;
}

Result<void> AsyncInvoker::open(DeliverySink *sink, const EventInvokeConfigs *configs)
{
    m_sink = sink;
    m_configs = configs;
    if (auto r = m_store->migrateModule(QStringLiteral("lambda_async"), kMigrations); !r)
        return r;
    return resume();
}

Result<void> AsyncInvoker::reload()
{
    ++m_epoch; // the attempts scheduled from the old rows do nothing
    return resume();
}

Result<void> AsyncInvoker::resume()
{
    auto ids = m_store->write([](Database &db) -> Result<QList<std::pair<QByteArray, qint64>>> {
        auto s = db.prepare("SELECT id, next_attempt_ns FROM lambda_async_events "
                            "WHERE status IN ('queued', 'running') ORDER BY enqueued_ns");
        if (!s)
            return s.error();
        QList<std::pair<QByteArray, qint64>> out;
        const Result<void> walked = s->forEachRow([&] {
            out.append({s->text(0).toLatin1(), s->int64(1)});
        });
        if (!walked)
            return walked.error();
        return out;
    });
    if (!ids)
        return ids.error();
    // Due at their recorded time (now, for a first attempt or one cut short by the stop).
    for (const auto &[id, nextNs] : *ids)
        schedule(id, nextNs);
    return {};
}

QList<BusyItem> AsyncInvoker::busy(bool includeFuture) const
{
    const qint64 now = m_clock->nowNs();
    auto rows = m_store->write([&](Database &db) -> Result<QList<BusyItem>> {
        // 'running' ones are the Dispatcher's to report (running or held there).
        auto s = db.prepare("SELECT id, function, attempts, enqueued_ns, next_attempt_ns "
                            "FROM lambda_async_events WHERE status = 'queued' "
                            "ORDER BY enqueued_ns");
        if (!s)
            return s.error();
        QList<BusyItem> out;
        const Result<void> walked = s->forEachRow([&] {
            const qint64 next = s->int64(4);
            if (next > now && !includeFuture)
                return;
            const int attempts = int(s->int64(2));
            out.append({QStringLiteral("async"), s->text(1), s->text(0), s->int64(3),
                attempts == 0 ? QStringLiteral("queued")
                              : QStringLiteral("retry %1 in %2 ms")
                                    .arg(attempts)
                                    .arg(qMax<qint64>(0, next - now) / 1'000'000)});
        });
        if (!walked)
            return walked.error();
        return out;
    });
    return rows ? *rows : QList<BusyItem> {};
}

Result<void> AsyncInvoker::enqueue(const Delivery &d)
{
    Event e;
    e.id = d.id.isEmpty() ? newRequestId() : d.id;
    e.function = d.functionName;
    e.qualifier = d.qualifier;
    e.payload = d.payload;
    e.traceId = d.traceId;
    e.parentSpanId = d.parentSpanId;
    e.clientContext = d.clientContext;
    if (!d.origin.isEmpty())
        e.origin = d.origin;
    return enqueue(std::move(e));
}

Result<void> AsyncInvoker::enqueue(Event e)
{
    const qint64 now = m_clock->nowNs();
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            "INSERT INTO lambda_async_events (id, function, qualifier, payload, trace_id, "
            "parent_span_id, client_context, origin, attempts, enqueued_ns, next_attempt_ns, "
            "status) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9, 'queued')");
        if (!s)
            return s.error();
        s->bind(1, QString::fromLatin1(e.id))
            .bind(2, e.function)
            .bind(3, e.qualifier)
            .bind(4, e.payload)
            .bind(5, QString::fromLatin1(e.traceId))
            .bind(6, QString::fromLatin1(e.parentSpanId))
            .bind(7, QString::fromLatin1(e.clientContext))
            .bind(8, e.origin)
            .bind(9, now);
        return s->exec();
    });
    if (!r)
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    // The first attempt goes out at once, on the invoker's thread.
    QMetaObject::invokeMethod(
        this, [this, id = e.id] { attempt(id); }, Qt::QueuedConnection);
    return {};
}

void AsyncInvoker::stop()
{
    m_stopped = true;
}

void AsyncInvoker::setStatus(
    const QByteArray &id, const char *status, int attempts, qint64 nextNs, const QString &lastError)
{
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare(
            "UPDATE lambda_async_events SET status = ?2, attempts = ?3, next_attempt_ns = ?4, "
            "last_error = ?5 WHERE id = ?1");
        if (!s)
            return s.error();
        s->bind(1, QString::fromLatin1(id))
            .bind(2, std::string_view(status))
            .bind(3, attempts)
            .bind(4, nextNs)
            .bind(5, lastError);
        return s->exec();
    });
    if (!r)
        qWarning("tarmac: cannot update asynchronous invocation %s: %s", id.constData(),
            qPrintable(r.error().message));
}

Result<std::optional<AsyncInvoker::Row>> AsyncInvoker::readRow(const QByteArray &id)
{
    return m_store->write([&](Database &db) -> Result<std::optional<Row>> {
        auto s = db.prepare("SELECT function, qualifier, payload, trace_id, parent_span_id, "
                            "client_context, origin, "
                            "attempts, enqueued_ns, status FROM lambda_async_events WHERE id = ?1");
        if (!s)
            return s.error();
        s->bind(1, QString::fromLatin1(id));
        auto step = s->step();
        if (!step)
            return step.error();
        if (!*step)
            return std::optional<Row>();
        Row r;
        r.event.id = id;
        r.event.function = s->text(0);
        r.event.qualifier = s->text(1);
        r.event.payload = s->blob(2);
        r.event.traceId = s->text(3).toLatin1();
        r.event.parentSpanId = s->text(4).toLatin1();
        r.event.clientContext = s->text(5).toLatin1();
        r.event.origin = s->text(6);
        r.attempts = int(s->int64(7));
        r.enqueuedNs = s->int64(8);
        r.status = s->text(9);
        return std::optional<Row>(std::move(r));
    });
}

void AsyncInvoker::schedule(const QByteArray &id, qint64 dueNs)
{
    m_clock->scheduleAt(dueNs, this, [this, id, epoch = m_epoch] {
        if (epoch == m_epoch)
            attempt(id);
    });
}

void AsyncInvoker::attempt(const QByteArray &id)
{
    if (m_stopped || !m_sink)
        return;
    auto row = readRow(id);
    if (!row || !*row
        || ((*row)->status != QLatin1String("queued")
            && (*row)->status != QLatin1String("running")))
        return;
    const Row &r = **row;
    setStatus(id, "running", r.attempts, 0, {});
    Delivery d;
    d.id = id;
    d.functionName = r.event.function;
    d.qualifier = r.event.qualifier;
    d.payload = r.event.payload;
    d.origin = r.event.origin;
    d.async = true;
    d.traceId = r.event.traceId;
    d.parentSpanId = r.event.parentSpanId;
    d.clientContext = r.event.clientContext;
    ++m_inFlight;
    QPointer<AsyncInvoker> self(this);
    d.done = [self, id](const DeliveryResult &result) {
        if (!self)
            return;
        // Back to the invoker's thread: retries use its timers.
        QMetaObject::invokeMethod(
            self.data(),
            [self, id, result] {
                if (self)
                    self->onResult(id, result);
            },
            Qt::AutoConnection);
    };
    m_sink->submit(std::move(d));
}

void AsyncInvoker::onResult(const QByteArray &id, const DeliveryResult &result)
{
    --m_inFlight;
    auto row = readRow(id);
    if (!row || !*row)
        return;
    Row r = **row;
    const int attempts = r.attempts + 1;
    if (result.delivered && !result.functionError) {
        setStatus(id, "succeeded", attempts, 0, {});
        r.attempts = attempts;
        sendToDestination(r, result, true);
        return;
    }
    if (!result.delivered && result.errorType == QLatin1String("ServiceException") && m_stopped) {
        setStatus(id, "queued", r.attempts, 0, result.errorMessage); // Tarmac is stopping: next run
        return;
    }
    const QString error = result.errorType.isEmpty() ? result.errorMessage : result.errorType;
    if (!result.delivered
        && (result.errorType == QLatin1String("ResourceNotFoundException")
            || result.errorType == QLatin1String("Tarmac.Dropped"))) {
        // The function is gone, or someone dropped the event on purpose: no retries.
        setStatus(id, "failed", attempts, 0, error);
        r.attempts = attempts;
        sendToDestination(r, result, false);
        return;
    }
    const auto config = (m_configs ? m_configs->eventInvokeConfig(r.event.function) : std::nullopt)
                            .value_or(EventInvokeConfig {});
    const qint64 ageS = (m_clock->nowNs() - r.enqueuedNs) / 1'000'000'000;
    const int retriesUsed = attempts - 1;
    if (retriesUsed < config.maximumRetryAttempts && ageS < config.maximumEventAgeSeconds
        && !m_stopped) {
        const int delay = m_options.retryDelaysMs.value(
            retriesUsed, m_options.retryDelaysMs.value(m_options.retryDelaysMs.size() - 1, 1000));
        // On the engine's clock: the stepper's frozen clock holds a retry, an advance past
        // the back-off sends it.
        const qint64 nextNs = m_clock->nowNs() + qint64(delay) * 1'000'000;
        setStatus(id, "queued", attempts, nextNs, error);
        logFor(r, LogSeverityWarn,
            QStringLiteral("asynchronous invocation %1 failed (%2): retry %3 of %4 in %5 s")
                .arg(QString::fromLatin1(id), error)
                .arg(retriesUsed + 1)
                .arg(config.maximumRetryAttempts)
                .arg(double(delay) / 1000.0));
        schedule(id, nextNs);
        return;
    }
    if (m_stopped) {
        setStatus(id, "queued", attempts, 0, error);
        return;
    }
    setStatus(id, "failed", attempts, 0, error);
    logFor(r, LogSeverityError,
        QStringLiteral("asynchronous invocation %1 failed after %2 attempt(s): %3")
            .arg(QString::fromLatin1(id))
            .arg(attempts)
            .arg(error));
    r.attempts = attempts;
    sendToDestination(r, result, false);
}

void AsyncInvoker::logFor(const Row &row, int severity, const QString &text)
{
    if (!m_options.tracer)
        return;
    LogRecord log;
    log.timeNs = m_clock->nowNs();
    log.traceId = row.event.traceId;
    log.source = row.event.function;
    log.requestId = QString::fromLatin1(row.event.id);
    log.severity = severity;
    log.text = text;
    m_options.tracer->record(std::move(log));
}

void AsyncInvoker::sendToDeadLetterQueue(
    const Row &row, const DeliveryResult &result, const QString &target)
{
    // The event as it was sent, with what went wrong in its attributes, as Lambda sends it.
    TargetMessage message;
    message.body = row.event.payload;
    // The function's error document's errorMessage, else what the runner said.
    QString error;
    if (auto doc = parseJson(result.payload); doc && doc->is_object())
        error = fromStd(doc->value("errorMessage", std::string()));
    if (error.isEmpty())
        error = result.errorMessage.isEmpty() ? result.errorType : result.errorMessage;
    message.attributes = {
        {QStringLiteral("RequestID"),
            {QStringLiteral("String"), QString::fromLatin1(row.event.id)}},
        {QStringLiteral("ErrorCode"), {QStringLiteral("Number"), QStringLiteral("200")}},
        {QStringLiteral("ErrorMessage"), {QStringLiteral("String"), error.left(1024)}},
    };
    deliverMessage(row, QStringLiteral("dead-letter queue"), target, std::move(message));
}

void AsyncInvoker::deliverMessage(
    const Row &row, const QString &what, const QString &arn, TargetMessage message)
{
    message.traceId = row.event.traceId;
    message.parentSpanId = row.event.parentSpanId;
    auto sent = m_options.messageTargets
        ? m_options.messageTargets->deliver(arn, message)
        : Result<void>(makeError(QStringLiteral("NoSuchTarget"),
            QStringLiteral("Tarmac delivers no messages to other services here")));
    if (sent)
        return;
    qWarning("tarmac: lambda: %s %s of %s is not delivered: %s", qPrintable(what), qPrintable(arn),
        qPrintable(row.event.function), qPrintable(sent.error().message));
    logFor(row, LogSeverityWarn,
        QStringLiteral("%1 %2 is not delivered: %3").arg(what, arn, sent.error().message));
}

void AsyncInvoker::sendToDestination(const Row &row, const DeliveryResult &result, bool success)
{
    const auto config = m_configs ? m_configs->eventInvokeConfig(row.event.function) : std::nullopt;
    if (!config)
        return;
    if (!success && !config->deadLetterTarget.isEmpty())
        sendToDeadLetterQueue(row, result, config->deadLetterTarget);
    const QString destination = success ? config->onSuccess : config->onFailure;
    if (destination.isEmpty())
        return;
    Json response = Json::object();
    if (auto parsed = parseJson(result.payload))
        response = std::move(*parsed);
    else if (!result.payload.isEmpty())
        response = result.payload.toStdString();
    Json request = Json::object();
    if (auto parsed = parseJson(row.event.payload))
        request = std::move(*parsed);
    Json context = {{"statusCode", 200}, {"executedVersion", "$LATEST"}};
    if (!success)
        context["functionError"] = result.delivered ? "Unhandled" : toStd(result.errorType);
    const QString condition = success ? QStringLiteral("Success")
        : result.delivered            ? QStringLiteral("RetriesExhausted")
                                      : QStringLiteral("EventAgeExceeded");
    Json record = {
        {"version", "1.0"},
        {"timestamp", toStd(m_clock->now().toString(Qt::ISODateWithMs))},
        {"requestContext",
            {{"requestId", row.event.id.toStdString()},
                {"functionArn",
                    toStd(m_configs->arnFor(row.event.function) + QStringLiteral(":$LATEST"))},
                {"condition", toStd(condition)}, {"approximateInvokeCount", row.attempts}}},
        {"requestPayload", request},
        {"responseContext", context},
        {"responsePayload", response},
    };
    const QStringList parts = destination.split(u':');
    if (parts.size() >= 7 && parts[2] == QLatin1String("lambda")
        && parts[5] == QLatin1String("function")) {
        Event e;
        e.id = newRequestId();
        e.function = parts[6];
        e.payload = toJsonBytes(record);
        e.traceId = row.event.traceId;
        e.origin = QStringLiteral("destination");
        if (auto r = enqueue(std::move(e)); !r)
            qWarning("tarmac: lambda: cannot queue the destination invocation of %s: %s",
                qPrintable(row.event.function), qPrintable(r.error().message));
        return;
    }
    // Another service's resource (an SQS queue): the record is the message.
    TargetMessage message;
    message.body = toJsonBytes(record);
    deliverMessage(row,
        success ? QStringLiteral("OnSuccess destination") : QStringLiteral("OnFailure destination"),
        destination, std::move(message));
}

} // namespace tarmac
