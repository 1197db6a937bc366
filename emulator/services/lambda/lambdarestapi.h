#pragma once

#include "base/result.h"
#include "http/httphandler.h"
#include "http/restroutes.h"
#include "services/lambda/lambdarequests.h"

#include <QUrl>

#include <functional>
#include <optional>

namespace tarmac {

class DeliverySink;
class LambdaService;
struct LambdaCall;

// The Lambda API on the edge port (rest-json, PROTOCOLS.md §2): Invoke (RequestResponse,
// Event, DryRun, LogType Tail), CreateFunction from a zip, Get/List/Delete, Update code and
// configuration, concurrency, event invoke configuration, tags. Packages come as ZipFile, or
// from Tarmac's own S3 (S3Bucket/S3Key) through the fetcher the module gives it. One route
// table maps method and path to one member function per operation; request bodies are read
// by lambdarequests, never with a throwing JSON call. It parses and shapes the wire; the
// LambdaService decides; invokes go to the engine's Dispatcher (`sink`): synchronous ones with
// submit(), asynchronous ones with submitAsync(). Thread-safe; attach() before the first request.
class LambdaRestApi : public HttpHandler
{
public:
    static constexpr qint64 kMaxSyncPayload = lambdarequests::kMaxSyncPayload;
    static constexpr qint64 kMaxAsyncPayload = lambdarequests::kMaxAsyncPayload;

    // Reads a deployment package named by Code.S3Bucket/S3Key/S3ObjectVersion.
    using PackageFetcher = std::function<Result<QByteArray>(
            const QString &bucket, const QString &key, const QString &version)>;

    void attach(LambdaService *functions, DeliverySink *sink, QUrl edgeUrl, PackageFetcher fetchPackage = {});

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    // Lambda's ServiceException (500), JSON with X-Amzn-ErrorType.
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

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
    // An operation answers with its response, or with nullopt when it has handed the
    // responder on (Invoke answers when the function has).
    using Operation = std::optional<HttpResponse> (LambdaRestApi::*)(LambdaCall &call);
    static const RestRoutes<Operation> &routes();

    // Functions.
    std::optional<HttpResponse> createFunction(LambdaCall &call);
    std::optional<HttpResponse> listFunctions(LambdaCall &call);
    std::optional<HttpResponse> getFunction(LambdaCall &call);
    std::optional<HttpResponse> getFunctionConfiguration(LambdaCall &call);
    std::optional<HttpResponse> deleteFunction(LambdaCall &call);
    std::optional<HttpResponse> updateFunctionConfiguration(LambdaCall &call);
    std::optional<HttpResponse> updateFunctionCode(LambdaCall &call);
    std::optional<HttpResponse> getPolicy(LambdaCall &call);
    std::optional<HttpResponse> getAccountSettings(LambdaCall &call);

    // Invocation.
    std::optional<HttpResponse> invokeFunction(LambdaCall &call);
    std::optional<HttpResponse> invokeAsync(LambdaCall &call);
    void invoke(HttpRequest &&request, HttpResponder responder, const QString &name,
                QString qualifier);

    // Concurrency and asynchronous invocation.
    std::optional<HttpResponse> putFunctionConcurrency(LambdaCall &call);
    std::optional<HttpResponse> getFunctionConcurrency(LambdaCall &call);
    std::optional<HttpResponse> deleteFunctionConcurrency(LambdaCall &call);
    std::optional<HttpResponse> putEventInvokeConfig(LambdaCall &call);
    std::optional<HttpResponse> updateEventInvokeConfig(LambdaCall &call);
    std::optional<HttpResponse> storeEventInvokeConfig(LambdaCall &call, bool overCurrent);
    std::optional<HttpResponse> getEventInvokeConfig(LambdaCall &call);
    std::optional<HttpResponse> deleteEventInvokeConfig(LambdaCall &call);

    // Tags.
    std::optional<HttpResponse> listTags(LambdaCall &call);
    std::optional<HttpResponse> tagResource(LambdaCall &call);
    std::optional<HttpResponse> untagResource(LambdaCall &call);

    Result<QByteArray> package(const lambdarequests::CodeSource &code) const;

    LambdaService *m_functions = nullptr;
    DeliverySink *m_sink = nullptr;
    QUrl m_edgeUrl;
    PackageFetcher m_fetchPackage;
};

} // namespace tarmac
