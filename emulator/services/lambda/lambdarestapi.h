#pragma once

#include "http/httphandler.h"

#include <QUrl>

namespace tarmac {

class AsyncInvoker;
class DeliverySink;
class LambdaService;

// The Lambda API on the edge port (rest-json, PROTOCOLS.md §2): Invoke (RequestResponse,
// Event, DryRun, LogType Tail), CreateFunction from a zip, Get/List/Delete, Update code and
// configuration, concurrency, event invoke configuration, tags. It parses and shapes the
// wire; the LambdaService decides, synchronous invokes go through the Dispatcher (`sink`),
// asynchronous ones through the AsyncInvoker. Thread-safe; attach() before the first request.
class LambdaRestApi : public HttpHandler
{
public:
    static constexpr qint64 kMaxSyncPayload = 6 * 1024 * 1024;  // 6291456, Invoke's limit
    static constexpr qint64 kMaxAsyncPayload = 256 * 1024;      // Event invocations

    void attach(LambdaService *functions, AsyncInvoker *async, DeliverySink *sink, QUrl edgeUrl);

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;

    // GET /_tarmac/lambda/functions/NAME/code: the deployment package GetFunction links to.
    class PackageDownload : public HttpHandler
    {
    public:
        explicit PackageDownload(LambdaRestApi *api) : m_api(api) { }
        void handle(HttpRequest &&request, HttpResponder responder) override;

    private:
        LambdaRestApi *m_api;
    };

private:
    void invoke(HttpRequest &&request, HttpResponder responder, const QString &name, QString qualifier);
    HttpResponse route(HttpRequest &request, HttpResponder &responder, bool *answered);

    LambdaService *m_functions = nullptr;
    AsyncInvoker *m_async = nullptr;
    DeliverySink *m_sink = nullptr;
    QUrl m_edgeUrl;
};

} // namespace tarmac
