#pragma once

#include "base/json.h"
#include "base/result.h"
#include "http/httphandler.h"

#include <QObject>

namespace tarmac {

class Clock;

// The engine's clock for scripts and tests, at /_tarmac/clock on the edge port (README.md,
// "The clock"): its state, freeze, advance by seconds, set to a later time, resume. Every
// answer is the state, {"now": RFC 3339, "nowMs": N, "frozen": bool}. A move runs on the
// engine's thread, so the timers it passes (schedules' ticks, retries, visibility timeouts)
// have run, and the deliveries they make are submitted, when it answers.
//
// The desktop's clock and the headless engine's are ControlledClocks (every control works);
// a test's ManualClock is always frozen (resume is refused); a SystemClock cannot be moved.
class ClockApi : public QObject, public HttpHandler
{
    Q_OBJECT
public:
    // Lives on the thread of `clock`'s timers' owner (the engine's).
    explicit ClockApi(Clock *clock, QObject *parent = nullptr);

    static constexpr const char *prefix = "/_tarmac/clock";

    // What both this and the IDE API answer: {"now", "nowMs", "frozen"}.
    static Json stateJson(const Clock *clock);
    // freeze, resume, advance {"seconds"} or set {"time"}, on the engine's thread; the state
    // after it, or an error (ValidationException, ClockNotControllable; HTTP status set).
    static Result<Json> control(Clock *clock, const QByteArray &action, const Json &params);

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

private:
    HttpResponse move(const QByteArray &action, const QByteArray &body);
    HttpResponse state() const;

    Clock *m_clock;
};

} // namespace tarmac
