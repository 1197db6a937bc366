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
class EventSourceMappings;
class LambdaStore;
struct LambdaCall;

// The Lambda API on the edge port (rest-json, PROTOCOLS.md §2): Invoke (RequestResponse,
// Event, DryRun, LogType Tail), CreateFunction from a zip, Get/List/Delete, Update code and
// configuration, concurrency, event invoke configuration, tags, and event-source mappings
// (kept by the engine's EventSourceMappings). Packages come as ZipFile, or from Tarmac's own
// S3 (S3Bucket/S3Key) through the fetcher the module gives it. One route table maps method and
// path to one member function per operation; request bodies are read by lambdarequests, never
// with a throwing JSON call. It parses and shapes the wire; the LambdaStore decides; invokes
// go to the engine's Dispatcher (`sink`): synchronous ones with submit(), asynchronous ones
// with submitAsync(). Thread-safe; attach() before the first request.
class LambdaRestApi : public HttpHandler
{
public:
    static constexpr qint64 kMaxSyncPayload = lambdarequests::kMaxSyncPayload;
    static constexpr qint64 kMaxAsyncPayload = lambdarequests::kMaxAsyncPayload;

    // Reads a deployment package named by Code.S3Bucket/S3Key/S3ObjectVersion.
    using PackageFetcher = std::function<Result<QByteArray>(
        const QString &bucket, const QString &key, const QString &version)>;

    // `mappings`: the engine's event-source mappings (null: those operations answer 503).
    void attach(LambdaStore *functions, DeliverySink *sink, QUrl edgeUrl,
        PackageFetcher fetchPackage = {}, EventSourceMappings *mappings = nullptr);

    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    // Lambda's ServiceException (500), JSON with X-Amzn-ErrorType.
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // GET /_tarmac/lambda/functions/NAME/code: the deployment package GetFunction links to.
    class PackageDownload : public HttpHandler
    {
    public:
        explicit PackageDownload(LambdaRestApi *api)
            : m_api(api)
        { }
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
    void invoke(
        HttpRequest &&request, HttpResponder responder, const QString &name, QString qualifier);

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

    // Event-source mappings, kept by the engine's registry.
    std::optional<HttpResponse> createEventSourceMapping(LambdaCall &call);
    std::optional<HttpResponse> listEventSourceMappings(LambdaCall &call);
    std::optional<HttpResponse> getEventSourceMapping(LambdaCall &call);
    std::optional<HttpResponse> updateEventSourceMapping(LambdaCall &call);
    std::optional<HttpResponse> deleteEventSourceMapping(LambdaCall &call);
    // A mapping's FunctionArn from a FunctionName (name, ARN, partial ARN, name:qualifier) of
    // a function that exists.
    Result<QString> mappedFunctionArn(const QString &functionName) const;

    Result<QByteArray> package(const lambdarequests::CodeSource &code) const;

    LambdaStore *m_functions = nullptr;
    DeliverySink *m_sink = nullptr;
    QUrl m_edgeUrl;
    PackageFetcher m_fetchPackage;
    EventSourceMappings *m_mappings = nullptr;
};

} // namespace tarmac
