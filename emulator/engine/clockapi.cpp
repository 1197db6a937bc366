#include "engine/clockapi.h"

#include "base/clock.h"
#include "base/controlledclock.h"
#include "base/json.h"

#include <QDateTime>
#include <QPointer>

#include <cmath>

namespace tarmac {

namespace {

HttpResponse fail(int status, const char *code, const QString &message)
{
    return HttpResponse::json(
        status, toJsonBytes(Json {{"__type", code}, {"message", toStd(message)}}));
}

// Far enough for any test (a century), near enough that nanoseconds do not overflow.
constexpr double kMaxAdvanceSeconds = 100.0 * 366 * 24 * 3600;

} // namespace

ClockApi::ClockApi(Clock *clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{ }

qint64 ClockApi::maxBodySize(const HttpRequest &head) const
{
    Q_UNUSED(head);
    return 64 * 1024;
}

Json ClockApi::stateJson(const Clock *clock)
{
    const qint64 ns = clock->nowNs();
    const auto *controlled = qobject_cast<const ControlledClock *>(clock);
    const bool frozen
        = controlled ? controlled->isFrozen() : qobject_cast<const ManualClock *>(clock) != nullptr;
    const QString now
        = QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC).toString(Qt::ISODateWithMs);
    return Json {{"now", toStd(now)}, {"nowMs", ns / 1'000'000}, {"frozen", frozen}};
}

HttpResponse ClockApi::state() const
{
    return HttpResponse::json(200, toJsonBytes(stateJson(m_clock)));
}

void ClockApi::handle(HttpRequest &&request, HttpResponder responder)
{
    const QByteArray path = request.decodedPath();
    QByteArray action = path.mid(qstrlen(prefix));
    if (action.startsWith('/'))
        action = action.mid(1);
    if (action.endsWith('/'))
        action.chop(1);
    if (action.isEmpty()) {
        if (request.method != "GET") {
            responder.send(fail(405, "MethodNotAllowed", QStringLiteral("GET /_tarmac/clock")));
            return;
        }
        responder.send(state());
        return;
    }
    if (action != "freeze" && action != "advance" && action != "set" && action != "resume") {
        responder.send(fail(404, "NotFound",
            QStringLiteral("no clock control %1: freeze, advance, set or resume")
                .arg(QString::fromUtf8(action))));
        return;
    }
    if (request.method != "POST") {
        responder.send(fail(405, "MethodNotAllowed",
            QStringLiteral("POST /_tarmac/clock/%1").arg(QString::fromUtf8(action))));
        return;
    }
    // On the engine's thread: the timers a move passes run there, in order, before it answers.
    QPointer<ClockApi> self(this);
    QMetaObject::invokeMethod(
        this,
        [self, responder, action, body = request.body.toByteArray()] {
            if (!self) {
                responder.send(fail(503, "ServiceUnavailable", QStringLiteral("stopping")));
                return;
            }
            responder.send(self->move(action, body));
        },
        Qt::QueuedConnection);
}

HttpResponse ClockApi::move(const QByteArray &action, const QByteArray &body)
{
    auto parsed = parseJson(body.isEmpty() ? QByteArray("{}") : body);
    if (!parsed || !parsed->is_object())
        return fail(400, "ValidationException", QStringLiteral("the body must be a JSON object"));
    auto done = control(m_clock, action, *parsed);
    if (!done)
        return fail(done.error().httpStatus, qPrintable(done.error().code), done.error().message);
    return HttpResponse::json(200, toJsonBytes(*done));
}

Result<Json> ClockApi::control(Clock *clock, const QByteArray &action, const Json &params)
{
    const auto invalid = [](const QString &message) {
        return makeError(QStringLiteral("ValidationException"), message, 400);
    };
    auto *controlled = qobject_cast<ControlledClock *>(clock);
    auto *manual = qobject_cast<ManualClock *>(clock);
    if (!controlled && !manual)
        return makeError(QStringLiteral("ClockNotControllable"),
            QStringLiteral("this engine runs on the system clock, which cannot be moved"), 409);
    if (action == "freeze") {
        if (controlled)
            controlled->freeze();
        return stateJson(clock);
    }
    if (action == "resume") {
        if (!controlled)
            return makeError(QStringLiteral("ClockNotControllable"),
                QStringLiteral("this engine's clock is a manual one: it only moves when told"),
                409);
        controlled->resume();
        return stateJson(clock);
    }
    if (action != "advance" && action != "set")
        return invalid(QStringLiteral("no clock control %1: freeze, advance, set or resume")
                           .arg(QString::fromUtf8(action)));
    if (!params.is_object())
        return invalid(QStringLiteral("the parameters must be a JSON object"));
    JsonFields fields(params);
    qint64 targetNs = 0;
    if (action == "advance") {
        const auto seconds = fields.number("seconds");
        if (!fields.ok())
            return invalid(fields.error()->message());
        if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds > kMaxAdvanceSeconds)
            return invalid(QStringLiteral("seconds must be a number from 0 to %1")
                               .arg(qint64(kMaxAdvanceSeconds)));
        targetNs = clock->nowNs() + qint64(std::llround(*seconds * 1e9));
    } else { // set
        const auto time = fields.string("time");
        if (!fields.ok())
            return invalid(fields.error()->message());
        const QDateTime at = time ? QDateTime::fromString(*time, Qt::ISODateWithMs) : QDateTime();
        if (!at.isValid())
            return invalid(QStringLiteral("time must be an RFC 3339 date and time "
                                          "(\"2026-12-01T10:00:00Z\")"));
        targetNs = at.toMSecsSinceEpoch() * 1'000'000;
        if (targetNs < clock->nowNs())
            return invalid(
                QStringLiteral("%1 is in the clock's past: time only moves forward").arg(*time));
        if (targetNs - clock->nowNs() > qint64(kMaxAdvanceSeconds) * 1'000'000'000)
            return invalid(QStringLiteral("%1 is more than a century ahead").arg(*time));
    }
    if (controlled)
        controlled->advanceTo(targetNs);
    else
        manual->setNowNs(std::max(targetNs, manual->nowNs()));
    return stateJson(clock);
}

} // namespace tarmac
