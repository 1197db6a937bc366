#include "services/apigateway/apimanagement.h"

#include "base/clock.h"
#include "http/awserror.h"
#include "services/apigateway/apiopenapi.h"
#include "store/database.h"
#include "store/store.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace tarmac {

namespace {

// create-api --target URL: an HTTP proxy integration of every method.
Json httpTarget(const QString &url)
{
    return {{"type", "http_proxy"}, {"uri", url.toStdString()}, {"httpMethod", "ANY"}};
}

Error badRequest(const QString &message)
{
    return Error {QStringLiteral("BadRequestException"), message, 400};
}

Error notFound(const QString &id)
{
    return Error {QStringLiteral("NotFoundException"),
        QStringLiteral("Invalid API identifier specified %1").arg(id), 404};
}

QString newApiId()
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QString id;
    for (int i = 0; i < 10; ++i)
        id.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(36)]));
    return id;
}

// A field of the request that must have a type when present: the validation message the
// service gives.
Error wrongType(const char *field, const char *type)
{
    return badRequest(QStringLiteral("Invalid input: %1 must be %2")
                          .arg(QLatin1String(field), QLatin1String(type)));
}

} // namespace

Result<void> ManagedApis::open(Store *store, const Clock *clock, const QString &region)
{
    m_store = store;
    m_clock = clock;
    m_region = region;
    static const std::vector<Migration> migrations = {
        {1,
            "CREATE TABLE apigateway_apis (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
            " record TEXT NOT NULL)"},
    };
    if (auto r = store->migrateModule(QStringLiteral("apigateway"), migrations); !r)
        return r;
    return reload();
}

Result<void> ManagedApis::reload()
{
    if (!m_store)
        return {}; // not opened: nothing read yet
    QList<Json> records;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT record FROM apigateway_apis ORDER BY seq");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            if (auto j = parseJson(s->text(0).toUtf8()); j && j->is_object())
                records.append(*j);
        });
    });
    if (!r)
        return r;
    QMutexLocker lock(&m_mutex);
    m_records = records;
    return {};
}

Json ManagedApis::answerFor(const Json &record) const
{
    Json a = record;
    const std::string id = record.value("apiId", std::string());
    a["apiEndpoint"]
        = "https://" + id + ".execute-api." + m_region.toStdString() + ".amazonaws.com";
    a["apiKeySelectionExpression"] = "$request.header.x-api-key";
    a["routeSelectionExpression"] = "${request.method} ${request.path}";
    a["disableExecuteApiEndpoint"] = false;
    if (!a.contains("tags"))
        a["tags"] = Json::object();
    a.erase("target");
    a.erase("routeKey");
    return a;
}

QList<Json> ManagedApis::list() const
{
    QMutexLocker lock(&m_mutex);
    QList<Json> out;
    for (const Json &r : m_records)
        out.append(answerFor(r));
    return out;
}

std::optional<Json> ManagedApis::get(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    for (const Json &r : m_records) {
        if (r.value("apiId", std::string()) == id.toStdString())
            return answerFor(r);
    }
    return std::nullopt;
}

Result<Json> ManagedApis::create(const Json &request)
{
    if (!request.is_object())
        return badRequest(QStringLiteral("The request body must be a JSON object"));
    JsonFields f(request);
    const auto name = f.string("name");
    const auto protocol = f.string("protocolType");
    const auto target = f.string("target");
    const auto routeKey = f.string("routeKey");
    const auto description = f.string("description");
    const auto tags = f.stringMap("tags");
    if (const auto &e = f.error(); e)
        return badRequest(e->message());
    if (request.contains("corsConfiguration") && !request["corsConfiguration"].is_object())
        return wrongType("corsConfiguration", "an object");
    if (!name || name->isEmpty() || name->size() > 128)
        return badRequest(QStringLiteral("Invalid input: name is required (1 to 128 characters)"));
    if (!protocol)
        return badRequest(QStringLiteral("Invalid input: protocolType is required"));
    if (*protocol != QLatin1String("HTTP"))
        return badRequest(*protocol == QLatin1String("WEBSOCKET")
                ? QStringLiteral("WebSocket APIs are not emulated")
                : QStringLiteral("Invalid protocolType %1: HTTP or WEBSOCKET").arg(*protocol));
    QString qualifier;
    if (target && integrationFunction(*target, &qualifier).isEmpty()
        && !readServiceIntegration(httpTarget(*target), nullptr, nullptr))
        return badRequest(
            QStringLiteral("Invalid target %1: a Lambda function ARN or an http(s) URL")
                .arg(*target));
    Json record = Json::object();
    record["name"] = name->toStdString();
    record["protocolType"] = "HTTP";
    if (target)
        record["target"] = target->toStdString();
    if (routeKey)
        record["routeKey"] = routeKey->toStdString();
    if (description)
        record["description"] = description->toStdString();
    if (request.contains("corsConfiguration"))
        record["corsConfiguration"] = request["corsConfiguration"];
    if (tags) {
        Json t = Json::object();
        for (auto it = tags->cbegin(); it != tags->cend(); ++it)
            t[it.key().toStdString()] = it.value().toStdString();
        record["tags"] = t;
    }
    record["createdDate"] = QDateTime::fromMSecsSinceEpoch(m_clock->nowMs(), Qt::UTC)
                                .toString(Qt::ISODate)
                                .toStdString();
    {
        QMutexLocker lock(&m_mutex);
        record["apiId"] = newApiId().toStdString();
        const QByteArray text = toJsonBytes(record);
        auto r = m_store->write([&](Database &db) -> Result<void> {
            auto s = db.prepare("INSERT INTO apigateway_apis (id, seq, record) VALUES (?1, "
                                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM apigateway_apis), ?2)");
            if (!s)
                return s.error();
            s->bind(1, QString::fromStdString(record["apiId"].get<std::string>()))
                .bind(2, std::string_view(text.constData(), size_t(text.size())));
            return s->exec();
        });
        if (!r)
            return r.error();
        m_records.append(record);
    }
    if (changed)
        changed();
    return answerFor(record);
}

Result<bool> ManagedApis::remove(const QString &id)
{
    {
        QMutexLocker lock(&m_mutex);
        const auto it = std::find_if(m_records.begin(), m_records.end(),
            [&](const Json &r) { return r.value("apiId", std::string()) == id.toStdString(); });
        if (it == m_records.end())
            return false;
        auto r = m_store->write([&](Database &db) -> Result<void> {
            auto s = db.prepare("DELETE FROM apigateway_apis WHERE id = ?1");
            if (!s)
                return s.error();
            s->bind(1, id);
            return s->exec();
        });
        if (!r)
            return r.error();
        m_records.erase(it);
    }
    if (changed)
        changed();
    return true;
}

QList<ApiDefinition> ManagedApis::definitions() const
{
    QMutexLocker lock(&m_mutex);
    QList<ApiDefinition> out;
    for (const Json &r : m_records) {
        ApiDefinition api;
        api.http = true;
        api.id = QString::fromStdString(r.value("apiId", std::string()));
        api.name = QString::fromStdString(r.value("name", std::string()));
        api.stage = QStringLiteral("$default");
        if (r.contains("corsConfiguration"))
            api.cors = corsFromConfiguration(r["corsConfiguration"]);
        if (r.contains("target")) {
            ApiRoute route;
            route.method = QStringLiteral("ANY");
            route.path = QStringLiteral("$default");
            const QString key = QString::fromStdString(r.value("routeKey", std::string()));
            if (!key.isEmpty() && key != QLatin1String("$default")) {
                const qsizetype space = key.indexOf(u' ');
                route.method = space < 0 ? QStringLiteral("ANY") : key.left(space).toUpper();
                route.path = key.mid(space + 1);
            }
            const QString target = QString::fromStdString(r.value("target", std::string()));
            route.function = integrationFunction(target, &route.qualifier);
            if (route.function.isEmpty()) {
                if (auto http = readServiceIntegration(httpTarget(target), nullptr, nullptr))
                    route.service = std::make_shared<const ApiServiceIntegration>(*http);
            }
            route.payloadVersion = 2;
            route.origin = QStringLiteral("create-api --target");
            api.routes.append(route);
        }
        out.append(api);
    }
    return out;
}

ApiManagementHandler::ApiManagementHandler(ManagedApis *apis)
    : m_apis(apis)
{ }

HttpResponse ApiManagementHandler::internalError(
    const HttpRequest &head, const QString &message) const
{
    return awsErrorResponse(AwsProtocol::RestJson,
        Error {QStringLiteral("InternalServerError"), message, 500}, head.requestId);
}

void ApiManagementHandler::handle(HttpRequest &&request, HttpResponder responder)
{
    responder.send(route(request));
}

HttpResponse ApiManagementHandler::route(const HttpRequest &request)
{
    const QByteArray path = request.decodedPath();
    const auto fail = [&](const Error &e) {
        return awsErrorResponse(AwsProtocol::RestJson, e, request.requestId);
    };
    const auto answer = [](int status, const Json &body, const char *operation) {
        HttpResponse r = HttpResponse::json(status, toJsonBytes(body));
        r.service = QStringLiteral("apigateway");
        r.operation = QLatin1String(operation);
        return r;
    };
    if (path == "/v2/apis" || path == "/v2/apis/") {
        if (request.method == "POST") {
            auto body = request.body.isEmpty() ? Result<Json>(Json::object())
                                               : parseJson(request.body.toByteArray());
            if (!body)
                return fail(badRequest(QStringLiteral("The request body is not JSON")));
            auto created = m_apis->create(*body);
            if (!created)
                return fail(created.error());
            return answer(201, *created, "CreateApi");
        }
        if (request.method == "GET") {
            Json items = Json::array();
            for (const Json &a : m_apis->list())
                items.push_back(a);
            return answer(200, Json {{"items", items}}, "GetApis");
        }
    } else if (path.startsWith("/v2/apis/") && path.count('/') == 3) {
        const QString id = QString::fromUtf8(path.mid(9));
        if (request.method == "GET") {
            const auto api = m_apis->get(id);
            return api ? answer(200, *api, "GetApi") : fail(notFound(id));
        }
        if (request.method == "DELETE") {
            auto removed = m_apis->remove(id);
            if (!removed)
                return fail(removed.error());
            if (!*removed)
                return fail(notFound(id));
            HttpResponse r;
            r.status = 204;
            r.service = QStringLiteral("apigateway");
            r.operation = QStringLiteral("DeleteApi");
            return r;
        }
    }
    return fail(Error {QStringLiteral("NotImplemented"),
        QStringLiteral("apigateway: %1 %2 is not emulated: Tarmac's API Gateway management API "
                       "has CreateApi, GetApis, GetApi and DeleteApi (HTTP APIs); REST APIs come "
                       "from templates")
            .arg(QString::fromLatin1(request.method), QString::fromUtf8(path)),
        501});
}

} // namespace tarmac
