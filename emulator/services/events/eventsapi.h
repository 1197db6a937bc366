#pragma once

#include "base/json.h"
#include "base/result.h"
#include "http/httphandler.h"
#include "http/restroutes.h"

#include <atomic>

namespace tarmac {

class EventBridge;
class Scheduler;

// EventBridge's JSON 1.1 protocol on the edge port (`X-Amz-Target: AWSEvents.<Operation>`):
// the body goes to EventBridge::call, the answer or the error in the protocol's shape.
// Thread-safe; attach() before the first request (503 until then).
class EventsJsonApi : public HttpHandler
{
public:
    void attach(EventBridge *model) { m_model.store(model); }
    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

private:
    std::atomic<EventBridge *> m_model {nullptr};
};

// EventBridge Scheduler's REST-JSON protocol: /schedules/{Name}, /schedule-groups/{Name},
// /tags/{ResourceArn}, mapped to Scheduler's operations. Thread-safe; attach() first.
class SchedulerRestApi : public HttpHandler
{
public:
    SchedulerRestApi();
    void attach(Scheduler *model) { m_model.store(model); }
    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    using Operation = Result<Json> (*)(
        Scheduler &, const HttpRequest &, const RestPathParams &, const Json &body);

private:
    RestRoutes<Operation> m_routes;
    std::atomic<Scheduler *> m_model {nullptr};
};

} // namespace tarmac
