#pragma once

#include "base/result.h"
#include "http/httphandler.h"

#include <QUrl>

#include <functional>

namespace tarmac {

class DeliverySink;
class LambdaService;

// The Lambda API on the edge port (rest-json, PROTOCOLS.md §2): Invoke (RequestResponse,
// Event, DryRun, LogType Tail), CreateFunction from a zip, Get/List/Delete, Update code and
// configuration, concurrency, event invoke configuration, tags. Packages come as ZipFile, or
// from Tarmac's own S3 (S3Bucket/S3Key) through the fetcher the module gives it. It parses and shapes the
// wire; the LambdaService decides, invokes go to the engine's Dispatcher (`sink`):
// synchronous ones with submit(), asynchronous ones with submitAsync(). Thread-safe; attach() before the first request.
class LambdaRestApi : public HttpHandler
{
public:
    static constexpr qint64 kMaxSyncPayload = 6 * 1024 * 1024;  // 6291456, Invoke's limit
    static constexpr qint64 kMaxAsyncPayload = 256 * 1024;      // Event invocations

    // Reads a deployment package named by Code.S3Bucket/S3Key/S3ObjectVersion.
    using PackageFetcher = std::function<Result<QByteArray>(const QString &bucket, const QString &key,
                                                            const QString &version)>;

    void attach(LambdaService *functions, DeliverySink *sink, QUrl edgeUrl, PackageFetcher fetchPackage = {});

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
    DeliverySink *m_sink = nullptr;
    QUrl m_edgeUrl;
    PackageFetcher m_fetchPackage;
};

} // namespace tarmac
