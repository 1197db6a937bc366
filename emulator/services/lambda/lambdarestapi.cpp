#include "services/lambda/lambdarestapi.h"

#include "base/json.h"
#include "functions/delivery.h"
#include "functions/ziparchive.h"
#include "http/awserror.h"
#include "services/eventsourcemappings.h"
#include "services/lambda/lambdastore.h"

#include <QFileInfo>

namespace tarmac {

// One request on its way through an operation: the request, its responder (Invoke takes
// both), and the path's captures ({FunctionName}, {Resource}).
struct LambdaCall
{
    HttpRequest request;
    HttpResponder responder;
    RestPathParams params;
};

namespace {

constexpr qint64 kMiB = 1024 * 1024;

using lambdarequests::invalidParameter;

HttpResponse jsonResponse(int status, const Json &body)
{
    return HttpResponse::json(status, toJsonBytes(body));
}

HttpResponse emptyResponse(int status)
{
    HttpResponse r;
    r.status = status;
    return r;
}

HttpResponse errorResponse(const Error &error, const QByteArray &requestId)
{
    return awsErrorResponse(AwsProtocol::RestJson, error, requestId);
}

HttpResponse errorResponse(const LambdaCall &call, const Error &error)
{
    return errorResponse(error, call.request.requestId);
}

// For answers sent from outside an operation's return (Invoke's), which handle() cannot mark.
HttpResponse marked(HttpResponse r, const QString &operation)
{
    r.service = QStringLiteral("lambda");
    r.operation = operation;
    return r;
}

Result<std::pair<QString, QString>> functionName(const LambdaCall &call)
{
    return LambdaStore::parseFunctionName(call.params.text("FunctionName"));
}

// The function a call's {FunctionName} names (a name, a partial or a full ARN), or Lambda's
// error; a qualifier is accepted and ignored here, as every function is only $LATEST (Invoke
// takes the alias of an AutoPublishAlias too: LambdaFunction::accepts).
Result<LambdaFunction> functionOf(const LambdaCall &call, const LambdaStore &functions)
{
    auto parsed = functionName(call);
    if (!parsed)
        return parsed.error();
    return functions.get(parsed->first);
}

// One page of a listing, from the Marker (the offset where the page starts, as the previous
// page's NextMarker said) and MaxItems of the query.
struct Page
{
    qsizetype start = 0;
    qsizetype end = 0; // one past the page's last item
    QByteArray nextMarker; // empty on the last page
};

Result<Page> pageOf(const HttpRequest &request, qsizetype total, int defaultMaxItems)
{
    bool ok = false;
    int maxItems = request.queryItem("MaxItems").toInt(&ok);
    if (!ok || maxItems <= 0)
        maxItems = defaultMaxItems;
    maxItems = qMin(maxItems, 10'000);
    const QByteArray marker = request.queryItem("Marker");
    Page page;
    if (!marker.isEmpty()) {
        page.start = marker.toInt(&ok);
        if (!ok || page.start < 0)
            return invalidParameter(QStringLiteral("Marker is not valid"));
    }
    page.start = qMin(page.start, total);
    page.end = qMin(total, page.start + maxItems);
    if (page.end < total)
        page.nextMarker = QByteArray::number(page.end);
    return page;
}

// A listing's answer: the page of `items` the query asks for, under `key`, with NextMarker
// when more follow.
template<typename T, typename ToJson>
HttpResponse pagedList(const LambdaCall &call, const QList<T> &items, const char *key,
    int defaultMaxItems, ToJson toJson)
{
    auto page = pageOf(call.request, items.size(), defaultMaxItems);
    if (!page)
        return errorResponse(call, page.error());
    Json list = Json::array();
    for (qsizetype i = page->start; i < page->end; ++i)
        list.push_back(toJson(items[i]));
    Json body = {{key, list}};
    if (!page->nextMarker.isEmpty())
        body["NextMarker"] = page->nextMarker.toStdString();
    return jsonResponse(200, body);
}

Json tagsJson(const QMap<QString, QString> &tags)
{
    Json out = Json::object();
    for (auto it = tags.cbegin(); it != tags.cend(); ++it)
        out[toStd(it.key())] = toStd(it.value());
    return out;
}

} // namespace

const RestRoutes<LambdaRestApi::Operation> &LambdaRestApi::routes()
{
    static const RestRoutes<Operation> table = [] {
        using Api = LambdaRestApi;
        RestRoutes<Operation> r;
        // Functions (2015-03-31).
        r.add("POST", "/2015-03-31/functions", QStringLiteral("CreateFunction"),
            &Api::createFunction);
        r.add("GET", "/2015-03-31/functions", QStringLiteral("ListFunctions"), &Api::listFunctions);
        r.add("GET", "/2015-03-31/functions/{FunctionName}", QStringLiteral("GetFunction"),
            &Api::getFunction);
        r.add("DELETE", "/2015-03-31/functions/{FunctionName}", QStringLiteral("DeleteFunction"),
            &Api::deleteFunction);
        r.add("POST", "/2015-03-31/functions/{FunctionName}/invocations", QStringLiteral("Invoke"),
            &Api::invokeFunction);
        r.add("GET", "/2015-03-31/functions/{FunctionName}/configuration",
            QStringLiteral("GetFunctionConfiguration"), &Api::getFunctionConfiguration);
        r.add("PUT", "/2015-03-31/functions/{FunctionName}/configuration",
            QStringLiteral("UpdateFunctionConfiguration"), &Api::updateFunctionConfiguration);
        r.add("PUT", "/2015-03-31/functions/{FunctionName}/code",
            QStringLiteral("UpdateFunctionCode"), &Api::updateFunctionCode);
        // No resource policies: a function has none to read or add to.
        r.add("GET", "/2015-03-31/functions/{FunctionName}/policy", QStringLiteral("GetPolicy"),
            &Api::getPolicy);
        r.add("POST", "/2015-03-31/functions/{FunctionName}/policy",
            QStringLiteral("AddPermission"), &Api::getPolicy);
        // Concurrency: the SDKs use 2017-10-31 for Put and Delete, 2019-09-30 for Get.
        for (const char *version : {"/2017-10-31", "/2019-09-30"}) {
            const QByteArray path
                = version + QByteArrayLiteral("/functions/{FunctionName}/concurrency");
            r.add("PUT", path, QStringLiteral("PutFunctionConcurrency"),
                &Api::putFunctionConcurrency);
            r.add("GET", path, QStringLiteral("GetFunctionConcurrency"),
                &Api::getFunctionConcurrency);
            r.add("DELETE", path, QStringLiteral("DeleteFunctionConcurrency"),
                &Api::deleteFunctionConcurrency);
        }
        // Asynchronous invocation.
        const QByteArrayView eventConfig
            = "/2019-09-25/functions/{FunctionName}/event-invoke-config";
        r.add("PUT", eventConfig, QStringLiteral("PutFunctionEventInvokeConfig"),
            &Api::putEventInvokeConfig);
        r.add("POST", eventConfig, QStringLiteral("UpdateFunctionEventInvokeConfig"),
            &Api::updateEventInvokeConfig);
        r.add("GET", eventConfig, QStringLiteral("GetFunctionEventInvokeConfig"),
            &Api::getEventInvokeConfig);
        r.add("DELETE", eventConfig, QStringLiteral("DeleteFunctionEventInvokeConfig"),
            &Api::deleteEventInvokeConfig);
        // Deprecated, still in the SDKs.
        r.add("POST", "/2014-11-13/functions/{FunctionName}/invoke-async",
            QStringLiteral("InvokeAsync"), &Api::invokeAsync);
        // Tags: the resource is the function's ARN.
        r.add("GET", "/2017-03-31/tags/{Resource}", QStringLiteral("ListTags"), &Api::listTags);
        r.add("POST", "/2017-03-31/tags/{Resource}", QStringLiteral("TagResource"),
            &Api::tagResource);
        r.add("DELETE", "/2017-03-31/tags/{Resource}", QStringLiteral("UntagResource"),
            &Api::untagResource);
        r.add("GET", "/2016-08-19/account-settings", QStringLiteral("GetAccountSettings"),
            &Api::getAccountSettings);
        // Event-source mappings (the model's paths for Create and List end in a slash; the
        // table ignores it).
        const QByteArrayView mappings = "/2015-03-31/event-source-mappings";
        const QByteArrayView mapping = "/2015-03-31/event-source-mappings/{UUID}";
        r.add("POST", mappings, QStringLiteral("CreateEventSourceMapping"),
            &Api::createEventSourceMapping);
        r.add("GET", mappings, QStringLiteral("ListEventSourceMappings"),
            &Api::listEventSourceMappings);
        r.add("GET", mapping, QStringLiteral("GetEventSourceMapping"), &Api::getEventSourceMapping);
        r.add("PUT", mapping, QStringLiteral("UpdateEventSourceMapping"),
            &Api::updateEventSourceMapping);
        r.add("DELETE", mapping, QStringLiteral("DeleteEventSourceMapping"),
            &Api::deleteEventSourceMapping);
        return r;
    }();
    return table;
}

void LambdaRestApi::attach(LambdaStore *functions, DeliverySink *sink, QUrl edgeUrl,
    PackageFetcher fetchPackage, EventSourceMappings *mappings)
{
    m_functions = functions;
    m_mappings = mappings;
    m_sink = sink;
    m_edgeUrl = std::move(edgeUrl);
    m_fetchPackage = std::move(fetchPackage);
}

qint64 LambdaRestApi::maxBodySize(const HttpRequest &head) const
{
    const QByteArray &p = head.path;
    // Larger than Lambda's limits, so that an oversized request is answered in Lambda's own
    // terms rather than cut off; bodies past 4 MiB are spooled to disk, not held in memory.
    if (p.endsWith("/invocations") || p.endsWith("/invoke-async"))
        return 16 * kMiB;
    if ((head.method == "POST" && (p == "/2015-03-31/functions" || p == "/2015-03-31/functions/"))
        || p.endsWith("/code"))
        return 80 * kMiB; // a 50 MB package, base64-encoded
    return kMiB;
}

void LambdaRestApi::handle(HttpRequest &&request, HttpResponder responder)
{
    if (!m_functions) {
        const Error starting = makeError(QStringLiteral("ServiceException"),
            QStringLiteral("The Lambda service is starting"), 503);
        responder.send(marked(errorResponse(starting, request.requestId), {}));
        return;
    }
    std::optional<RestRoutes<Operation>::Match> match
        = routes().match(request.method, request.path);
    if (!match) {
        const Error error = makeError(QStringLiteral("UnknownOperationException"),
            QStringLiteral("Tarmac's Lambda API does not serve %1 %2")
                .arg(
                    QString::fromLatin1(request.method), QString::fromUtf8(request.path.left(200))),
            404);
        responder.send(marked(errorResponse(error, request.requestId), {}));
        return;
    }
    if (!m_mappings && match->route->name.contains(QLatin1String("EventSourceMapping"))) {
        const Error none = makeError(QStringLiteral("ServiceException"),
            QStringLiteral("Tarmac runs no event-source mappings here"), 503);
        responder.send(marked(errorResponse(none, request.requestId), match->route->name));
        return;
    }
    LambdaCall call {std::move(request), responder, std::move(match->params)};
    std::optional<HttpResponse> response = (this->*match->route->operation)(call);
    if (response)
        responder.send(marked(std::move(*response), match->route->name));
}

HttpResponse LambdaRestApi::internalError(const HttpRequest &head, const QString &message) const
{
    const QByteArray requestId = head.requestId.isEmpty() ? newRequestId() : head.requestId;
    const auto match = routes().match(head.method, head.path);
    const Error error = makeError(QStringLiteral("ServiceException"), message, 500);
    return marked(errorResponse(error, requestId), match ? match->route->name : QString());
}

Result<QByteArray> LambdaRestApi::package(const lambdarequests::CodeSource &code) const
{
    if (!code.fromS3())
        return code.zip;
    if (!m_fetchPackage)
        return invalidParameter(QStringLiteral("Tarmac has no S3 service to read the package "
                                               "from: upload the zip (ZipFile / --zip-file) "
                                               "instead"));
    return m_fetchPackage(code.s3Bucket, code.s3Key, code.s3ObjectVersion);
}

// ---- Functions ----

std::optional<HttpResponse> LambdaRestApi::createFunction(LambdaCall &call)
{
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto request = lambdarequests::createFunction(*body);
    if (!request)
        return errorResponse(call, request.error());
    auto zip = package(request->code);
    if (!zip)
        return errorResponse(call, zip.error());
    auto created = m_functions->create(std::move(request->function), *zip);
    if (!created)
        return errorResponse(call, created.error());
    return jsonResponse(201, m_functions->configurationJson(*created));
}

std::optional<HttpResponse> LambdaRestApi::listFunctions(LambdaCall &call)
{
    return pagedList(call, m_functions->list(), "Functions", 50,
        [this](const LambdaFunction &f) { return m_functions->configurationJson(f); });
}

std::optional<HttpResponse> LambdaRestApi::getFunction(LambdaCall &call)
{
    // A qualifier is accepted and ignored: every function is only $LATEST.
    auto fn = functionOf(call, *m_functions);
    if (!fn)
        return errorResponse(call, fn.error());
    Json code = {{"RepositoryType", fn->localCode ? "Local" : "S3"}};
    if (!fn->localCode)
        code["Location"] = toStd(m_edgeUrl.toString() + QStringLiteral("/_tarmac/lambda/functions/")
            + fn->config.name + QStringLiteral("/code"));
    Json body = {{"Configuration", m_functions->configurationJson(*fn)}, {"Code", code},
        {"Tags", tagsJson(fn->tags)}};
    if (fn->config.reservedConcurrency >= 0)
        body["Concurrency"] = {{"ReservedConcurrentExecutions", fn->config.reservedConcurrency}};
    return jsonResponse(200, body);
}

std::optional<HttpResponse> LambdaRestApi::getFunctionConfiguration(LambdaCall &call)
{
    auto fn = functionOf(call, *m_functions);
    if (!fn)
        return errorResponse(call, fn.error());
    return jsonResponse(200, m_functions->configurationJson(*fn));
}

std::optional<HttpResponse> LambdaRestApi::deleteFunction(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    if (auto r = m_functions->remove(parsed->first); !r)
        return errorResponse(call, r.error());
    return emptyResponse(204);
}

std::optional<HttpResponse> LambdaRestApi::updateFunctionConfiguration(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto update = lambdarequests::configurationUpdate(*body);
    if (!update)
        return errorResponse(call, update.error());
    const auto change = [&update](LambdaFunction &fn) -> Result<void> {
        if (!update->revisionId.isEmpty() && update->revisionId != fn.revisionId)
            return makeError(QStringLiteral("PreconditionFailedException"),
                QStringLiteral("The Revision Id provided does not match the latest "
                               "Revision Id. Call the GetFunction/GetAlias API to "
                               "retrieve the latest Revision Id"),
                412);
        update->applyTo(fn);
        return {};
    };
    auto updated = m_functions->updateConfiguration(parsed->first, change);
    if (!updated)
        return errorResponse(call, updated.error());
    return jsonResponse(200, m_functions->configurationJson(*updated));
}

std::optional<HttpResponse> LambdaRestApi::updateFunctionCode(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto update = lambdarequests::codeUpdate(*body);
    if (!update)
        return errorResponse(call, update.error());
    auto existing = m_functions->get(parsed->first);
    if (!existing)
        return errorResponse(call, existing.error());
    if (!update->revisionId.isEmpty() && update->revisionId != existing->revisionId)
        return errorResponse(call,
            makeError(QStringLiteral("PreconditionFailedException"),
                QStringLiteral("The Revision Id provided does not "
                               "match the latest Revision Id."),
                412));
    auto zip = package(update->code);
    if (!zip)
        return errorResponse(call, zip.error());
    if (update->dryRun) {
        if (auto archive = ZipArchive::open(*zip); !archive)
            return errorResponse(call, invalidParameter(archive.error().message));
        return jsonResponse(200, m_functions->configurationJson(*existing));
    }
    auto updated = m_functions->updateCode(parsed->first, *zip);
    if (!updated)
        return errorResponse(call, updated.error());
    return jsonResponse(200, m_functions->configurationJson(*updated));
}

std::optional<HttpResponse> LambdaRestApi::getPolicy(LambdaCall &call)
{
    return errorResponse(call,
        makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("The resource you requested does not exist."), 404));
}

std::optional<HttpResponse> LambdaRestApi::getAccountSettings(LambdaCall &)
{
    const Json body = {
        {"AccountLimit",
            {{"TotalCodeSize", 80530636800LL}, {"CodeSizeUnzipped", 262144000},
                {"CodeSizeZipped", 52428800}, {"ConcurrentExecutions", 1000},
                {"UnreservedConcurrentExecutions", 1000}}},
        {"AccountUsage", {{"TotalCodeSize", 0}, {"FunctionCount", m_functions->list().size()}}},
    };
    return jsonResponse(200, body);
}

// ---- Invocation ----

std::optional<HttpResponse> LambdaRestApi::invokeFunction(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    QString qualifier = call.request.hasQueryItem("Qualifier")
        ? QString::fromUtf8(call.request.queryItem("Qualifier"))
        : parsed->second;
    invoke(std::move(call.request), call.responder, parsed->first, std::move(qualifier));
    return std::nullopt;
}

std::optional<HttpResponse> LambdaRestApi::invokeAsync(LambdaCall &call)
{
    call.request.headers.set("x-amz-invocation-type", "Event");
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    invoke(std::move(call.request), call.responder, parsed->first, parsed->second);
    return std::nullopt;
}

void LambdaRestApi::invoke(
    HttpRequest &&request, HttpResponder responder, const QString &name, QString qualifier)
{
    const QString op = QStringLiteral("Invoke");
    const QByteArray rid = request.requestId;
    const auto fail
        = [&](const Error &error) { responder.send(marked(errorResponse(error, rid), op)); };
    auto type = lambdarequests::invocationType(request);
    if (!type)
        return fail(type.error());
    auto tail = lambdarequests::tailLogs(request);
    if (!tail)
        return fail(tail.error());
    auto fn = m_functions->get(name);
    if (!fn)
        return fail(fn.error());
    if (!fn->accepts(qualifier))
        return fail(makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("Function not found: %1:%2").arg(fn->arn, qualifier), 404));
    auto payload = lambdarequests::invokePayload(request, *type);
    if (!payload)
        return fail(payload.error());
    if (*type == lambdarequests::InvocationType::DryRun) {
        responder.send(marked(emptyResponse(204), op));
        return;
    }
    Delivery d;
    d.id = rid;
    d.functionName = name;
    d.qualifier = qualifier;
    d.payload = std::move(*payload);
    d.origin = QStringLiteral("invoke");
    d.traceId = request.traceId;
    d.parentSpanId = request.spanId;
    d.clientContext = request.header("x-amz-client-context");
    if (*type == lambdarequests::InvocationType::Event) {
        // Stored by the engine's asynchronous policy before the 202.
        if (auto r = m_sink->submitAsync(std::move(d)); !r) {
            responder.send(marked(errorResponse(r.error(), rid), op));
            return;
        }
        responder.send(marked(emptyResponse(202), op));
        return;
    }
    d.tailLogs = *tail;
    d.done = [responder, rid, tail = d.tailLogs, op](const DeliveryResult &result) {
        if (!result.delivered && result.errorType != QLatin1String("Tarmac.Dropped")) {
            Error error = makeError(result.errorType, result.errorMessage, 500);
            if (result.errorType == QLatin1String("TooManyRequestsException"))
                error.httpStatus = 429;
            else if (result.errorType == QLatin1String("ResourceNotFoundException"))
                error.httpStatus = 404;
            else
                error.code = QStringLiteral("ServiceException");
            HttpResponse r = marked(errorResponse(error, rid), op);
            if (error.httpStatus == 429) {
                r.headers.set("retry-after", "1");
                auto body = parseJson(r.body);
                if (body) {
                    (*body)["Reason"] = "ReservedFunctionConcurrentInvocationLimitExceeded";
                    r.body = toJsonBytes(*body);
                }
            }
            responder.send(std::move(r));
            return;
        }
        HttpResponse r;
        r.status = 200;
        r.service = QStringLiteral("lambda");
        r.operation = op;
        r.headers.add("content-type", "application/json");
        r.headers.add("x-amz-executed-version", "$LATEST");
        if (result.functionError || !result.delivered)
            r.headers.add("x-amz-function-error", "Unhandled");
        if (tail)
            r.headers.add("x-amz-log-result", result.logTail.right(4096).toBase64());
        r.body = result.delivered ? result.payload
                                  : toJsonBytes(Json {{"errorType", "Tarmac.Dropped"},
                                      {"errorMessage", toStd(result.errorMessage)}});
        responder.send(std::move(r));
    };
    m_sink->submit(std::move(d));
}

// ---- Concurrency and asynchronous invocation ----

std::optional<HttpResponse> LambdaRestApi::putFunctionConcurrency(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto reserved = lambdarequests::reservedConcurrency(*body);
    if (!reserved)
        return errorResponse(call, reserved.error());
    if (auto r = m_functions->setReservedConcurrency(parsed->first, *reserved); !r)
        return errorResponse(call, r.error());
    return jsonResponse(200, Json {{"ReservedConcurrentExecutions", *reserved}});
}

std::optional<HttpResponse> LambdaRestApi::getFunctionConcurrency(LambdaCall &call)
{
    auto fn = functionOf(call, *m_functions);
    if (!fn)
        return errorResponse(call, fn.error());
    Json body = Json::object();
    if (fn->config.reservedConcurrency >= 0)
        body["ReservedConcurrentExecutions"] = fn->config.reservedConcurrency;
    return jsonResponse(200, body);
}

std::optional<HttpResponse> LambdaRestApi::deleteFunctionConcurrency(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    if (auto r = m_functions->setReservedConcurrency(parsed->first, -1); !r)
        return errorResponse(call, r.error());
    return emptyResponse(204);
}

std::optional<HttpResponse> LambdaRestApi::putEventInvokeConfig(LambdaCall &call)
{
    return storeEventInvokeConfig(call, false);
}

std::optional<HttpResponse> LambdaRestApi::updateEventInvokeConfig(LambdaCall &call)
{
    return storeEventInvokeConfig(call, true);
}

std::optional<HttpResponse> LambdaRestApi::storeEventInvokeConfig(
    LambdaCall &call, bool overCurrent)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto fn = m_functions->get(parsed->first);
    if (!fn)
        return errorResponse(call, fn.error());
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    // Put replaces the whole configuration; Update changes only the fields it sends.
    const EventInvokeConfig base
        = overCurrent ? fn->eventInvokeConfig.value_or(EventInvokeConfig {}) : EventInvokeConfig {};
    auto config = lambdarequests::eventInvokeConfig(*body, base);
    if (!config)
        return errorResponse(call, config.error());
    auto stored = m_functions->setEventInvokeConfig(parsed->first, *config);
    if (!stored)
        return errorResponse(call, stored.error());
    return jsonResponse(200, LambdaStore::eventInvokeConfigJson(*stored, fn->arn));
}

std::optional<HttpResponse> LambdaRestApi::getEventInvokeConfig(LambdaCall &call)
{
    auto fn = functionOf(call, *m_functions);
    if (!fn)
        return errorResponse(call, fn.error());
    if (!fn->eventInvokeConfig)
        return errorResponse(call,
            makeError(QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("The function %1 doesn't have an "
                               "EventInvokeConfig")
                    .arg(fn->arn + QStringLiteral(":$LATEST")),
                404));
    return jsonResponse(200, LambdaStore::eventInvokeConfigJson(*fn->eventInvokeConfig, fn->arn));
}

std::optional<HttpResponse> LambdaRestApi::deleteEventInvokeConfig(LambdaCall &call)
{
    auto parsed = functionName(call);
    if (!parsed)
        return errorResponse(call, parsed.error());
    if (auto fn = m_functions->get(parsed->first); !fn)
        return errorResponse(call, fn.error());
    if (auto r = m_functions->setEventInvokeConfig(parsed->first, std::nullopt); !r)
        return errorResponse(call, r.error());
    return emptyResponse(204);
}

// ---- Tags ----

std::optional<HttpResponse> LambdaRestApi::listTags(LambdaCall &call)
{
    auto parsed = LambdaStore::parseFunctionName(call.params.text("Resource"));
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto fn = m_functions->get(parsed->first);
    if (!fn)
        return errorResponse(call, fn.error());
    return jsonResponse(200, Json {{"Tags", tagsJson(fn->tags)}});
}

std::optional<HttpResponse> LambdaRestApi::tagResource(LambdaCall &call)
{
    auto parsed = LambdaStore::parseFunctionName(call.params.text("Resource"));
    if (!parsed)
        return errorResponse(call, parsed.error());
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto tags = lambdarequests::tags(*body);
    if (!tags)
        return errorResponse(call, tags.error());
    const auto change = [&tags](LambdaFunction &fn) -> Result<void> {
        fn.tags.insert(*tags);
        return {};
    };
    auto updated = m_functions->updateConfiguration(parsed->first, change);
    if (!updated)
        return errorResponse(call, updated.error());
    return emptyResponse(204);
}

std::optional<HttpResponse> LambdaRestApi::untagResource(LambdaCall &call)
{
    auto parsed = LambdaStore::parseFunctionName(call.params.text("Resource"));
    if (!parsed)
        return errorResponse(call, parsed.error());
    // The keys come in the query; a body, if any, must still be JSON.
    if (auto body = lambdarequests::bodyObject(call.request); !body)
        return errorResponse(call, body.error());
    QList<QByteArray> keys;
    for (const auto &[key, value] : call.request.queryItems()) {
        if (key == "tagKeys")
            keys.append(value);
    }
    const auto change = [&keys](LambdaFunction &fn) -> Result<void> {
        for (const QByteArray &key : keys)
            fn.tags.remove(QString::fromUtf8(key));
        return {};
    };
    auto updated = m_functions->updateConfiguration(parsed->first, change);
    if (!updated)
        return errorResponse(call, updated.error());
    return emptyResponse(204);
}

// ---- Event-source mappings ----

Result<QString> LambdaRestApi::mappedFunctionArn(const QString &functionName) const
{
    auto parsed = LambdaStore::parseFunctionName(functionName);
    if (!parsed)
        return parsed.error();
    const auto &[name, qualifier] = *parsed;
    // What Lambda answers for a function (or a version or alias of it) that does not exist.
    const Error missing = invalidParameter(QStringLiteral("Function does not exist"));
    auto fn = m_functions->get(name);
    if (!fn || !fn->accepts(qualifier))
        return missing;
    return qualifier.isEmpty() ? fn->arn : fn->arn + u':' + qualifier;
}

std::optional<HttpResponse> LambdaRestApi::createEventSourceMapping(LambdaCall &call)
{
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto request = lambdarequests::eventSourceMapping(*body, true);
    if (!request)
        return errorResponse(call, request.error());
    if (!request->functionName || request->functionName->isEmpty())
        return errorResponse(call,
            invalidParameter(QStringLiteral("1 validation error detected: Value null at "
                                            "'functionName' failed to satisfy constraint: Member "
                                            "must not be null")));
    auto functionArn = mappedFunctionArn(*request->functionName);
    if (!functionArn)
        return errorResponse(call, functionArn.error());
    auto created = m_mappings->create(*functionArn, request->settings);
    if (!created)
        return errorResponse(call, created.error());
    return jsonResponse(202, m_mappings->toJson(*created));
}

std::optional<HttpResponse> LambdaRestApi::listEventSourceMappings(LambdaCall &call)
{
    const QString sourceArn = QString::fromUtf8(call.request.queryItem("EventSourceArn"));
    std::optional<std::pair<QString, QString>> function;
    if (call.request.hasQueryItem("FunctionName")) {
        auto parsed = LambdaStore::parseFunctionName(
            QString::fromUtf8(call.request.queryItem("FunctionName")));
        if (!parsed)
            return errorResponse(call, parsed.error());
        function = *parsed;
    }
    QList<EventSourceMapping> matching;
    for (EventSourceMapping &m : m_mappings->list()) {
        if (!sourceArn.isEmpty() && m.eventSourceArn != sourceArn)
            continue;
        if (function
            && (m.functionName() != function->first
                || (!function->second.isEmpty() && m.qualifier() != function->second)))
            continue;
        matching.append(std::move(m));
    }
    return pagedList(call, matching, "EventSourceMappings", 100,
        [this](const EventSourceMapping &m) { return m_mappings->toJson(m); });
}

std::optional<HttpResponse> LambdaRestApi::getEventSourceMapping(LambdaCall &call)
{
    auto mapping = m_mappings->get(call.params.text("UUID"));
    if (!mapping)
        return errorResponse(call, mapping.error());
    return jsonResponse(200, m_mappings->toJson(*mapping));
}

std::optional<HttpResponse> LambdaRestApi::updateEventSourceMapping(LambdaCall &call)
{
    auto body = lambdarequests::bodyObject(call.request);
    if (!body)
        return errorResponse(call, body.error());
    auto request = lambdarequests::eventSourceMapping(*body, false);
    if (!request)
        return errorResponse(call, request.error());
    if (auto checked = EventSourceMappings::checkRequest(request->settings); !checked)
        return errorResponse(call, checked.error());
    const QString uuid = call.params.text("UUID");
    if (auto existing = m_mappings->get(uuid); !existing)
        return errorResponse(call, existing.error());
    QString functionArn;
    if (request->functionName) {
        auto resolved = mappedFunctionArn(*request->functionName);
        if (!resolved)
            return errorResponse(call, resolved.error());
        functionArn = *resolved;
    }
    auto updated = m_mappings->update(uuid, functionArn, request->settings);
    if (!updated)
        return errorResponse(call, updated.error());
    return jsonResponse(202, m_mappings->toJson(*updated));
}

std::optional<HttpResponse> LambdaRestApi::deleteEventSourceMapping(LambdaCall &call)
{
    auto removed = m_mappings->remove(call.params.text("UUID"));
    if (!removed)
        return errorResponse(call, removed.error());
    return jsonResponse(202, m_mappings->toJson(*removed));
}

void LambdaRestApi::PackageDownload::handle(HttpRequest &&request, HttpResponder responder)
{
    // /_tarmac/lambda/functions/NAME/code
    const QList<QByteArray> seg = restPathSegments(request.path);
    HttpResponse r;
    r.service = QStringLiteral("lambda");
    r.operation = QStringLiteral("DownloadPackage");
    const auto notFound = [] {
        return HttpResponse::json(
            404, QByteArrayLiteral(R"({"__type":"NotFound","message":"No such package"})"));
    };
    if (request.method != "GET" || seg.size() != 5 || seg[2] != "functions" || seg[4] != "code"
        || !m_api->m_functions) {
        responder.send(notFound());
        return;
    }
    auto path = m_api->m_functions->packagePath(QString::fromUtf8(seg[3]));
    if (!path || !QFileInfo::exists(*path)) {
        responder.send(notFound());
        return;
    }
    r.status = 200;
    r.headers.add("content-type", "application/zip");
    r.bodyFile = *path;
    responder.send(std::move(r));
}

} // namespace tarmac
