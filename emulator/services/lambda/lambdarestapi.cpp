#include "services/lambda/lambdarestapi.h"

#include "functions/delivery.h"
#include "base/json.h"
#include "functions/ziparchive.h"
#include "http/awserror.h"
#include "services/lambda/lambdaservice.h"

#include <QFileInfo>

namespace tarmac {

namespace {

constexpr qint64 kMiB = 1024 * 1024;

Error invalidParameter(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

HttpResponse jsonResponse(int status, const Json &body, const QString &operation)
{
    HttpResponse r = HttpResponse::json(status, toJsonBytes(body));
    r.service = QStringLiteral("lambda");
    r.operation = operation;
    return r;
}

HttpResponse emptyResponse(int status, const QString &operation)
{
    HttpResponse r;
    r.status = status;
    r.service = QStringLiteral("lambda");
    r.operation = operation;
    return r;
}

HttpResponse errorResponse(const Error &error, const QByteArray &requestId, const QString &operation)
{
    HttpResponse r = awsErrorResponse(AwsProtocol::RestJson, error, requestId);
    r.service = QStringLiteral("lambda");
    r.operation = operation;
    return r;
}

// Typed reads from a request body: a wrong type is the client's error, never a crash.
struct Fields
{
    const Json &json;
    std::optional<Error> error;

    bool has(const char *key) const { return json.contains(key) && !json[key].is_null(); }

    QString string(const char *key, const QString &fallback = {})
    {
        if (!has(key))
            return fallback;
        if (!json[key].is_string()) {
            fail(key, "a string");
            return fallback;
        }
        return fromStd(json[key].get<std::string>());
    }
    int integer(const char *key, int fallback)
    {
        if (!has(key))
            return fallback;
        if (!json[key].is_number_integer()) {
            fail(key, "an integer");
            return fallback;
        }
        const qint64 v = json[key].get<qint64>();
        return int(qBound(qint64(-1'000'000), v, qint64(1'000'000'000)));
    }
    const Json *object(const char *key)
    {
        if (!has(key))
            return nullptr;
        if (!json[key].is_object()) {
            fail(key, "an object");
            return nullptr;
        }
        return &json[key];
    }
    void fail(const char *key, const char *what)
    {
        if (!error)
            error = makeError(QStringLiteral("InvalidParameterValueException"),
                              QStringLiteral("%1 must be %2").arg(QLatin1String(key), QLatin1String(what)), 400);
    }
};

Result<QMap<QString, QString>> variablesFrom(const Json *environment)
{
    QMap<QString, QString> out;
    if (!environment)
        return out;
    auto it = environment->find("Variables");
    if (it == environment->end() || it->is_null())
        return out;
    if (!it->is_object())
        return invalidParameter(QStringLiteral("Environment.Variables must be a map of strings"));
    for (auto v = it->begin(); v != it->end(); ++v) {
        if (!v->is_string())
            return invalidParameter(QStringLiteral("Environment.Variables must be a map of strings"));
        out.insert(fromStd(v.key()), fromStd(v->get<std::string>()));
    }
    return out;
}

Result<QByteArray> zipFrom(const Json *code, const LambdaRestApi::PackageFetcher &fetch)
{
    if (!code)
        return invalidParameter(QStringLiteral("Code is required"));
    if (code->contains("ImageUri"))
        return invalidParameter(QStringLiteral("Tarmac runs Zip functions only: container images are not supported"));
    auto zip = code->find("ZipFile");
    if (zip != code->end() && zip->is_string()) {
        auto decoded = QByteArray::fromBase64Encoding(QByteArray::fromStdString(zip->get<std::string>()),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return invalidParameter(QStringLiteral("Could not unzip uploaded file. Please check your file, then try "
                                                   "to upload again."));
        return *decoded;
    }
    if (code->contains("S3Bucket") || code->contains("S3Key")) {
        const auto text = [code](const char *key) {
            auto it = code->find(key);
            return it != code->end() && it->is_string() ? fromStd(it->get<std::string>()) : QString();
        };
        const QString bucket = text("S3Bucket"), key = text("S3Key");
        if (bucket.isEmpty() || key.isEmpty())
            return invalidParameter(QStringLiteral("Code needs both S3Bucket and S3Key"));
        if (!fetch)
            return invalidParameter(QStringLiteral("Tarmac has no S3 service to read the package from: upload the "
                                                   "zip (ZipFile / --zip-file) instead"));
        return fetch(bucket, key, text("S3ObjectVersion"));
    }
    return invalidParameter(QStringLiteral("Code must have ZipFile"));
}

std::optional<EventInvokeConfig> invokeConfigFrom(const Json &body, EventInvokeConfig base, Error *error)
{
    Fields f { body, {} };
    base.maximumRetryAttempts = f.integer("MaximumRetryAttempts", base.maximumRetryAttempts);
    base.maximumEventAgeSeconds = f.integer("MaximumEventAgeInSeconds", base.maximumEventAgeSeconds);
    if (const Json *d = f.object("DestinationConfig")) {
        for (const char *key : { "OnSuccess", "OnFailure" }) {
            auto it = d->find(key);
            if (it == d->end() || !it->is_object())
                continue;
            const QString arn = it->contains("Destination") && (*it)["Destination"].is_string()
                    ? fromStd((*it)["Destination"].get<std::string>())
                    : QString();
            (qstrcmp(key, "OnSuccess") == 0 ? base.onSuccess : base.onFailure) = arn;
        }
    }
    if (f.error) {
        *error = *f.error;
        return std::nullopt;
    }
    return base;
}

QList<QByteArray> pathSegments(const QByteArray &path)
{
    QList<QByteArray> out;
    for (const QByteArray &raw : path.split('/')) {
        if (!raw.isEmpty())
            out.append(percentDecode(raw, false));
    }
    return out;
}

} // namespace

void LambdaRestApi::attach(LambdaService *functions, DeliverySink *sink, QUrl edgeUrl, PackageFetcher fetchPackage)
{
    m_functions = functions;
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
        responder.send(errorResponse(makeError(QStringLiteral("ServiceException"),
                                               QStringLiteral("The Lambda service is starting"), 503),
                                     request.requestId, {}));
        return;
    }
    bool answered = false;
    HttpResponse r = route(request, responder, &answered);
    if (!answered)
        responder.send(std::move(r));
}

HttpResponse LambdaRestApi::route(HttpRequest &request, HttpResponder &responder, bool *answered)
{
    const QList<QByteArray> seg = pathSegments(request.path);
    const QByteArray &method = request.method;
    const QByteArray &rid = request.requestId;

    const auto bodyJson = [&request]() -> Result<Json> {
        if (request.body.isEmpty())
            return Json::object();
        auto json = parseJson(request.body.toByteArray());
        if (!json || !json->is_object())
            return makeError(QStringLiteral("InvalidRequestContentException"),
                             QStringLiteral("Could not parse request body into json"), 400);
        return json;
    };
    // The function a path names, or the error to answer.
    const auto function = [&](const QByteArray &raw, QString *qualifier) -> Result<LambdaFunction> {
        auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(raw));
        if (!parsed)
            return parsed.error();
        if (qualifier)
            *qualifier = parsed->second;
        return m_functions->get(parsed->first);
    };

    // /2015-03-31/functions[/NAME[/…]]
    if (seg.size() >= 2 && seg[1] == "functions" && seg[0] == "2015-03-31") {
        if (seg.size() == 2) {
            if (method == "POST") {
                const QString op = QStringLiteral("CreateFunction");
                auto json = bodyJson();
                if (!json)
                    return errorResponse(json.error(), rid, op);
                Fields f { *json, {} };
                LambdaFunction fn;
                fn.config.name = f.string("FunctionName");
                fn.config.runtime = f.string("Runtime");
                fn.config.handler = f.string("Handler");
                fn.config.timeoutSeconds = f.integer("Timeout", 3);
                fn.config.memoryMb = f.integer("MemorySize", 128);
                fn.role = f.string("Role");
                fn.description = f.string("Description");
                if (f.string("PackageType", QStringLiteral("Zip")) != QLatin1String("Zip"))
                    return errorResponse(invalidParameter(QStringLiteral("Tarmac runs Zip functions only")), rid, op);
                auto vars = variablesFrom(f.object("Environment"));
                if (!vars)
                    return errorResponse(vars.error(), rid, op);
                fn.config.environment = *vars;
                if (const Json *tracing = f.object("TracingConfig"); tracing && tracing->contains("Mode"))
                    fn.tracingMode = fromStd(tracing->value("Mode", std::string("PassThrough")));
                if (const Json *storage = f.object("EphemeralStorage"))
                    fn.ephemeralStorageMb = storage->value("Size", 512);
                if (const Json *tags = f.object("Tags")) {
                    for (auto it = tags->begin(); it != tags->end(); ++it) {
                        if (it->is_string())
                            fn.tags.insert(fromStd(it.key()), fromStd(it->get<std::string>()));
                    }
                }
                if (json->contains("Architectures") && (*json)["Architectures"].is_array()) {
                    fn.architectures.clear();
                    for (const Json &a : (*json)["Architectures"]) {
                        if (a.is_string())
                            fn.architectures.append(fromStd(a.get<std::string>()));
                    }
                }
                if (fn.config.name.isEmpty() && !f.error)
                    return errorResponse(invalidParameter(QStringLiteral("FunctionName is required")), rid, op);
                const Json *code = f.object("Code");
                if (f.error)
                    return errorResponse(*f.error, rid, op);
                auto zip = zipFrom(code, m_fetchPackage);
                if (!zip)
                    return errorResponse(zip.error(), rid, op);
                auto created = m_functions->create(std::move(fn), *zip);
                if (!created)
                    return errorResponse(created.error(), rid, op);
                return jsonResponse(201, m_functions->configurationJson(*created), op);
            }
            if (method == "GET") {
                const QString op = QStringLiteral("ListFunctions");
                QList<LambdaFunction> all = m_functions->list();
                bool ok = false;
                int maxItems = request.queryItem("MaxItems").toInt(&ok);
                if (!ok || maxItems <= 0)
                    maxItems = 50;
                maxItems = qMin(maxItems, 10'000);
                const QByteArray marker = request.queryItem("Marker");
                int start = 0;
                if (!marker.isEmpty()) {
                    start = marker.toInt(&ok);
                    if (!ok || start < 0)
                        return errorResponse(invalidParameter(QStringLiteral("Marker is not valid")), rid, op);
                }
                Json list = Json::array();
                for (int i = start; i < all.size() && i < start + maxItems; ++i)
                    list.push_back(m_functions->configurationJson(all[i]));
                Json body = { { "Functions", list } };
                if (start + maxItems < all.size())
                    body["NextMarker"] = std::to_string(start + maxItems);
                return jsonResponse(200, body, op);
            }
        }
        if (seg.size() >= 3) {
            QString qualifier;
            const QByteArray &raw = seg[2];
            if (seg.size() == 4 && seg[3] == "invocations" && method == "POST") {
                auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(raw));
                if (!parsed)
                    return errorResponse(parsed.error(), rid, QStringLiteral("Invoke"));
                QString q = request.hasQueryItem("Qualifier") ? QString::fromUtf8(request.queryItem("Qualifier"))
                                                              : parsed->second;
                *answered = true;
                invoke(std::move(request), responder, parsed->first, q);
                return {};
            }
            if (seg.size() == 3 && method == "GET") {
                const QString op = QStringLiteral("GetFunction");
                auto fn = function(raw, &qualifier);
                if (!fn)
                    return errorResponse(fn.error(), rid, op);
                Json code = { { "RepositoryType", fn->localCode ? "Local" : "S3" } };
                if (!fn->localCode)
                    code["Location"] = toStd(m_edgeUrl.toString() + QStringLiteral("/_tarmac/lambda/functions/")
                                             + fn->config.name + QStringLiteral("/code"));
                Json tags = Json::object();
                for (auto it = fn->tags.cbegin(); it != fn->tags.cend(); ++it)
                    tags[toStd(it.key())] = toStd(it.value());
                Json body = { { "Configuration", m_functions->configurationJson(*fn) }, { "Code", code }, { "Tags", tags } };
                if (fn->config.reservedConcurrency >= 0)
                    body["Concurrency"] = { { "ReservedConcurrentExecutions", fn->config.reservedConcurrency } };
                return jsonResponse(200, body, op);
            }
            if (seg.size() == 3 && method == "DELETE") {
                const QString op = QStringLiteral("DeleteFunction");
                auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(raw));
                if (!parsed)
                    return errorResponse(parsed.error(), rid, op);
                if (auto r = m_functions->remove(parsed->first); !r)
                    return errorResponse(r.error(), rid, op);
                return emptyResponse(204, op);
            }
            if (seg.size() == 4 && seg[3] == "configuration" && method == "GET") {
                const QString op = QStringLiteral("GetFunctionConfiguration");
                auto fn = function(raw, &qualifier);
                if (!fn)
                    return errorResponse(fn.error(), rid, op);
                return jsonResponse(200, m_functions->configurationJson(*fn), op);
            }
            if (seg.size() == 4 && seg[3] == "configuration" && method == "PUT") {
                const QString op = QStringLiteral("UpdateFunctionConfiguration");
                auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(raw));
                if (!parsed)
                    return errorResponse(parsed.error(), rid, op);
                auto json = bodyJson();
                if (!json)
                    return errorResponse(json.error(), rid, op);
                auto updated = m_functions->updateConfiguration(parsed->first, [&](LambdaFunction &fn) -> Result<void> {
                    Fields f { *json, {} };
                    const QString revision = f.string("RevisionId");
                    if (!revision.isEmpty() && revision != fn.revisionId)
                        return makeError(QStringLiteral("PreconditionFailedException"),
                                         QStringLiteral("The Revision Id provided does not match the latest Revision "
                                                        "Id. Call the GetFunction/GetAlias API to retrieve the latest "
                                                        "Revision Id"),
                                         412);
                    fn.config.runtime = f.string("Runtime", fn.config.runtime);
                    fn.config.handler = f.string("Handler", fn.config.handler);
                    fn.config.timeoutSeconds = f.integer("Timeout", fn.config.timeoutSeconds);
                    fn.config.memoryMb = f.integer("MemorySize", fn.config.memoryMb);
                    fn.role = f.string("Role", fn.role);
                    fn.description = f.string("Description", fn.description);
                    if (f.has("Environment")) {
                        auto vars = variablesFrom(f.object("Environment"));
                        if (!vars)
                            return vars.error();
                        fn.config.environment = *vars;
                    }
                    if (const Json *tracing = f.object("TracingConfig"); tracing && tracing->contains("Mode"))
                        fn.tracingMode = fromStd(tracing->value("Mode", std::string("PassThrough")));
                    if (const Json *storage = f.object("EphemeralStorage"))
                        fn.ephemeralStorageMb = storage->value("Size", fn.ephemeralStorageMb);
                    if (f.error)
                        return *f.error;
                    return {};
                });
                if (!updated)
                    return errorResponse(updated.error(), rid, op);
                return jsonResponse(200, m_functions->configurationJson(*updated), op);
            }
            if (seg.size() == 4 && seg[3] == "code" && method == "PUT") {
                const QString op = QStringLiteral("UpdateFunctionCode");
                auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(raw));
                if (!parsed)
                    return errorResponse(parsed.error(), rid, op);
                auto json = bodyJson();
                if (!json)
                    return errorResponse(json.error(), rid, op);
                auto existing = m_functions->get(parsed->first);
                if (!existing)
                    return errorResponse(existing.error(), rid, op);
                const QString revision = json->contains("RevisionId") && (*json)["RevisionId"].is_string()
                        ? fromStd((*json)["RevisionId"].get<std::string>())
                        : QString();
                if (!revision.isEmpty() && revision != existing->revisionId)
                    return errorResponse(makeError(QStringLiteral("PreconditionFailedException"),
                                                   QStringLiteral("The Revision Id provided does not match the latest "
                                                                  "Revision Id."),
                                                   412),
                                         rid, op);
                auto zip = zipFrom(&*json, m_fetchPackage);
                if (!zip)
                    return errorResponse(zip.error(), rid, op);
                if (json->value("DryRun", false)) {
                    if (auto archive = ZipArchive::open(*zip); !archive)
                        return errorResponse(invalidParameter(archive.error().message), rid, op);
                    return jsonResponse(200, m_functions->configurationJson(*existing), op);
                }
                auto updated = m_functions->updateCode(parsed->first, *zip);
                if (!updated)
                    return errorResponse(updated.error(), rid, op);
                return jsonResponse(200, m_functions->configurationJson(*updated), op);
            }
            if (seg.size() == 4 && seg[3] == "policy")
                return errorResponse(makeError(QStringLiteral("ResourceNotFoundException"),
                                               QStringLiteral("The resource you requested does not exist."), 404),
                                     rid, QStringLiteral("GetPolicy"));
        }
    }

    // /2017-10-31|2019-09-30/functions/NAME/concurrency
    if (seg.size() == 4 && seg[1] == "functions" && seg[3] == "concurrency"
        && (seg[0] == "2017-10-31" || seg[0] == "2019-09-30")) {
        auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(seg[2]));
        if (method == "PUT") {
            const QString op = QStringLiteral("PutFunctionConcurrency");
            if (!parsed)
                return errorResponse(parsed.error(), rid, op);
            auto json = bodyJson();
            if (!json)
                return errorResponse(json.error(), rid, op);
            Fields f { *json, {} };
            const int reserved = f.integer("ReservedConcurrentExecutions", -2);
            if (f.error)
                return errorResponse(*f.error, rid, op);
            if (reserved < 0)
                return errorResponse(invalidParameter(QStringLiteral("ReservedConcurrentExecutions is required and "
                                                                     "must be 0 or more")),
                                     rid, op);
            auto r = m_functions->setReservedConcurrency(parsed->first, reserved);
            if (!r)
                return errorResponse(r.error(), rid, op);
            return jsonResponse(200, Json { { "ReservedConcurrentExecutions", reserved } }, op);
        }
        if (method == "GET") {
            const QString op = QStringLiteral("GetFunctionConcurrency");
            if (!parsed)
                return errorResponse(parsed.error(), rid, op);
            auto fn = m_functions->get(parsed->first);
            if (!fn)
                return errorResponse(fn.error(), rid, op);
            Json body = Json::object();
            if (fn->config.reservedConcurrency >= 0)
                body["ReservedConcurrentExecutions"] = fn->config.reservedConcurrency;
            return jsonResponse(200, body, op);
        }
        if (method == "DELETE") {
            const QString op = QStringLiteral("DeleteFunctionConcurrency");
            if (!parsed)
                return errorResponse(parsed.error(), rid, op);
            if (auto r = m_functions->setReservedConcurrency(parsed->first, -1); !r)
                return errorResponse(r.error(), rid, op);
            return emptyResponse(204, op);
        }
    }

    // /2019-09-25/functions/NAME/event-invoke-config
    if (seg.size() == 4 && seg[0] == "2019-09-25" && seg[1] == "functions" && seg[3] == "event-invoke-config") {
        auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(seg[2]));
        const QString op = method == "PUT"      ? QStringLiteral("PutFunctionEventInvokeConfig")
                : method == "POST"              ? QStringLiteral("UpdateFunctionEventInvokeConfig")
                : method == "GET"               ? QStringLiteral("GetFunctionEventInvokeConfig")
                                                : QStringLiteral("DeleteFunctionEventInvokeConfig");
        if (!parsed)
            return errorResponse(parsed.error(), rid, op);
        auto fn = m_functions->get(parsed->first);
        if (!fn)
            return errorResponse(fn.error(), rid, op);
        if (method == "PUT" || method == "POST") {
            auto json = bodyJson();
            if (!json)
                return errorResponse(json.error(), rid, op);
            const EventInvokeConfig base = method == "POST" ? fn->eventInvokeConfig.value_or(EventInvokeConfig {})
                                                            : EventInvokeConfig {};
            Error error;
            auto config = invokeConfigFrom(*json, base, &error);
            if (!config)
                return errorResponse(error, rid, op);
            auto stored = m_functions->setEventInvokeConfig(parsed->first, config);
            if (!stored)
                return errorResponse(stored.error(), rid, op);
            return jsonResponse(200, LambdaService::eventInvokeConfigJson(*stored, fn->arn), op);
        }
        if (method == "GET") {
            if (!fn->eventInvokeConfig)
                return errorResponse(makeError(QStringLiteral("ResourceNotFoundException"),
                                               QStringLiteral("The function %1 doesn't have an EventInvokeConfig")
                                                       .arg(fn->arn + QStringLiteral(":$LATEST")),
                                               404),
                                     rid, op);
            return jsonResponse(200, LambdaService::eventInvokeConfigJson(*fn->eventInvokeConfig, fn->arn), op);
        }
        if (method == "DELETE") {
            if (auto r = m_functions->setEventInvokeConfig(parsed->first, std::nullopt); !r)
                return errorResponse(r.error(), rid, op);
            return emptyResponse(204, op);
        }
    }

    // /2014-11-13/functions/NAME/invoke-async (deprecated, still in the SDKs)
    if (seg.size() == 4 && seg[0] == "2014-11-13" && seg[1] == "functions" && seg[3] == "invoke-async"
        && method == "POST") {
        request.headers.set("x-amz-invocation-type", "Event");
        auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(seg[2]));
        if (!parsed)
            return errorResponse(parsed.error(), rid, QStringLiteral("InvokeAsync"));
        *answered = true;
        HttpResponder wrapped = responder;
        invoke(std::move(request), wrapped, parsed->first, parsed->second);
        return {};
    }

    // /2017-03-31/tags/ARN
    if (seg.size() == 3 && seg[0] == "2017-03-31" && seg[1] == "tags") {
        auto parsed = LambdaService::parseFunctionName(QString::fromUtf8(seg[2]));
        const QString op = method == "GET" ? QStringLiteral("ListTags")
                : method == "POST"         ? QStringLiteral("TagResource")
                                           : QStringLiteral("UntagResource");
        if (!parsed)
            return errorResponse(parsed.error(), rid, op);
        if (method == "GET") {
            auto fn = m_functions->get(parsed->first);
            if (!fn)
                return errorResponse(fn.error(), rid, op);
            Json tags = Json::object();
            for (auto it = fn->tags.cbegin(); it != fn->tags.cend(); ++it)
                tags[toStd(it.key())] = toStd(it.value());
            return jsonResponse(200, Json { { "Tags", tags } }, op);
        }
        if (method == "POST" || method == "DELETE") {
            auto json = bodyJson();
            if (!json)
                return errorResponse(json.error(), rid, op);
            QList<QByteArray> removeKeys;
            for (const auto &[key, value] : request.queryItems()) {
                if (key == "tagKeys")
                    removeKeys.append(value);
            }
            auto updated = m_functions->updateConfiguration(parsed->first, [&](LambdaFunction &fn) -> Result<void> {
                if (method == "POST") {
                    auto it = json->find("Tags");
                    if (it == json->end() || !it->is_object())
                        return invalidParameter(QStringLiteral("Tags is required"));
                    for (auto t = it->begin(); t != it->end(); ++t) {
                        if (t->is_string())
                            fn.tags.insert(fromStd(t.key()), fromStd(t->get<std::string>()));
                    }
                } else {
                    for (const QByteArray &key : removeKeys)
                        fn.tags.remove(QString::fromUtf8(key));
                }
                return {};
            });
            if (!updated)
                return errorResponse(updated.error(), rid, op);
            return emptyResponse(204, op);
        }
    }

    if (seg.size() == 2 && seg[0] == "2016-08-19" && seg[1] == "account-settings" && method == "GET") {
        const Json body = {
            { "AccountLimit",
              { { "TotalCodeSize", 80530636800LL }, { "CodeSizeUnzipped", 262144000 }, { "CodeSizeZipped", 52428800 },
                { "ConcurrentExecutions", 1000 }, { "UnreservedConcurrentExecutions", 1000 } } },
            { "AccountUsage", { { "TotalCodeSize", 0 }, { "FunctionCount", m_functions->list().size() } } },
        };
        return jsonResponse(200, body, QStringLiteral("GetAccountSettings"));
    }

    return errorResponse(makeError(QStringLiteral("UnknownOperationException"),
                                   QStringLiteral("Tarmac's Lambda API does not serve %1 %2")
                                           .arg(QString::fromLatin1(method), QString::fromUtf8(request.path.left(200))),
                                   404),
                         rid, {});
}

void LambdaRestApi::invoke(HttpRequest &&request, HttpResponder responder, const QString &name, QString qualifier)
{
    const QString op = QStringLiteral("Invoke");
    const QByteArray rid = request.requestId;
    QByteArray type = request.header("x-amz-invocation-type");
    if (type.isEmpty())
        type = "RequestResponse";
    if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
        responder.send(errorResponse(invalidParameter(QStringLiteral("1 validation error detected: Value '%1' at "
                                                                     "'invocationType' failed to satisfy constraint: "
                                                                     "Member must satisfy enum value set: [Event, "
                                                                     "RequestResponse, DryRun]")
                                                              .arg(QString::fromUtf8(type.left(100)))),
                                     rid, op));
        return;
    }
    auto fn = m_functions->get(name);
    if (!fn) {
        responder.send(errorResponse(fn.error(), rid, op));
        return;
    }
    if (!qualifier.isEmpty() && qualifier != QLatin1String("$LATEST")) {
        responder.send(errorResponse(makeError(QStringLiteral("ResourceNotFoundException"),
                                               QStringLiteral("Function not found: %1:%2").arg(fn->arn, qualifier), 404),
                                     rid, op));
        return;
    }
    const bool async = type == "Event";
    const qint64 limit = async ? kMaxAsyncPayload : kMaxSyncPayload;
    if (request.body.size() > limit) {
        responder.send(errorResponse(
                makeError(QStringLiteral("RequestEntityTooLargeException"),
                          QStringLiteral("Request must be smaller than %1 bytes for the %2 operation")
                                  .arg(limit)
                                  .arg(async ? QStringLiteral("InvokeAsync") : QStringLiteral("InvokeFunction")),
                          413),
                rid, op));
        return;
    }
    QByteArray payload = request.body.toByteArray();
    if (payload.trimmed().isEmpty())
        payload = QByteArrayLiteral("{}");
    else if (auto parsed = parseJson(payload); !parsed) {
        responder.send(errorResponse(makeError(QStringLiteral("InvalidRequestContentException"),
                                               QStringLiteral("Could not parse request body into json: Could not "
                                                              "parse payload into json: %1")
                                                       .arg(parsed.error().message.left(300)),
                                               400),
                                     rid, op));
        return;
    }
    if (type == "DryRun") {
        responder.send(emptyResponse(204, op));
        return;
    }
    Delivery d;
    d.id = rid;
    d.functionName = name;
    d.qualifier = qualifier;
    d.payload = std::move(payload);
    d.origin = QStringLiteral("invoke");
    d.traceId = request.traceId;
    d.parentSpanId = request.spanId;
    d.clientContext = request.header("x-amz-client-context");
    if (async) {
        // Stored by the engine's asynchronous policy before the 202.
        if (auto r = m_sink->submitAsync(std::move(d)); !r) {
            responder.send(errorResponse(r.error(), rid, op));
            return;
        }
        responder.send(emptyResponse(202, op));
        return;
    }
    d.tailLogs = request.header("x-amz-log-type") == "Tail";
    d.done = [responder, rid, tail = d.tailLogs, op](const DeliveryResult &result) {
        if (!result.delivered && result.errorType != QLatin1String("Tarmac.Dropped")) {
            Error error = makeError(result.errorType, result.errorMessage, 500);
            if (result.errorType == QLatin1String("TooManyRequestsException"))
                error.httpStatus = 429;
            else if (result.errorType == QLatin1String("ResourceNotFoundException"))
                error.httpStatus = 404;
            else
                error.code = QStringLiteral("ServiceException");
            HttpResponse r = errorResponse(error, rid, op);
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
                                  : toJsonBytes(Json { { "errorType", "Tarmac.Dropped" },
                                                       { "errorMessage", toStd(result.errorMessage) } });
        responder.send(std::move(r));
    };
    m_sink->submit(std::move(d));
}

void LambdaRestApi::PackageDownload::handle(HttpRequest &&request, HttpResponder responder)
{
    // /_tarmac/lambda/functions/NAME/code
    const QList<QByteArray> seg = pathSegments(request.path);
    HttpResponse r;
    r.service = QStringLiteral("lambda");
    r.operation = QStringLiteral("DownloadPackage");
    if (request.method != "GET" || seg.size() != 5 || seg[2] != "functions" || seg[4] != "code" || !m_api->m_functions) {
        responder.send(HttpResponse::json(404, QByteArrayLiteral(R"({"__type":"NotFound","message":"No such package"})")));
        return;
    }
    auto path = m_api->m_functions->packagePath(QString::fromUtf8(seg[3]));
    if (!path || !QFileInfo::exists(*path)) {
        responder.send(HttpResponse::json(404, QByteArrayLiteral(R"({"__type":"NotFound","message":"No such package"})")));
        return;
    }
    r.status = 200;
    r.headers.add("content-type", "application/zip");
    r.bodyFile = *path;
    responder.send(std::move(r));
}

} // namespace tarmac
