#pragma once

#include "base/json.h"
#include "http/httphandler.h"
#include "services/apigateway/apimodel.h"

#include <QMutex>

#include <functional>

namespace tarmac {

class Clock;
class Store;

// HTTP APIs made through the management API rather than a template (`aws apigatewayv2
// create-api --name N --protocol-type HTTP --target FUNCTION_ARN`, quick create): kept in the
// store (table apigateway_apis), so an API acknowledged survives a restart or a kill -9.
// Thread-safe: the wire API calls it on I/O threads.
class ManagedApis
{
public:
    Result<void> open(Store *store, const Clock *clock, const QString &region);
    // Reads the records again (open() did): the rows were replaced underneath (a reset, a
    // snapshot restored). `changed` is not called: the caller publishes.
    Result<void> reload();
    // The record as API Gateway answers for it (apiId, apiEndpoint, createdDate, …).
    QList<Json> list() const;
    std::optional<Json> get(const QString &id) const;
    Result<Json> create(const Json &request);
    // False when there is no such API.
    Result<bool> remove(const QString &id);
    // The APIs as they are served.
    QList<ApiDefinition> definitions() const;
    // Called after a change, on the changing thread.
    std::function<void()> changed;

private:
    Json answerFor(const Json &record) const;

    mutable QMutex m_mutex;
    Store *m_store = nullptr;
    const Clock *m_clock = nullptr;
    QString m_region;
    QList<Json> m_records; // in creation order
};

// The management API's part Tarmac serves on the edge port (API Gateway V2, rest-json):
// CreateApi, GetApis, GetApi, DeleteApi for HTTP APIs. Anything else answers 501
// NotImplemented naming what is served, as services Tarmac does not emulate do.
class ApiManagementHandler : public HttpHandler
{
public:
    explicit ApiManagementHandler(ManagedApis *apis);
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // The answer for one request (no I/O of its own): for tests.
    HttpResponse route(const HttpRequest &request);

private:
    ManagedApis *m_apis;
};

} // namespace tarmac
