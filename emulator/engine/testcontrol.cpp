#include "engine/testcontrol.h"

#include "base/clock.h"
#include "engine/engine.h"
#include "engine/faults.h"
#include "http/servicedetector.h"
#include "trace/tracer.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimer>

namespace tarmac {

namespace {

HttpResponse jsonAnswer(int status, const Json &body)
{
    return HttpResponse::json(status, toJsonBytes(body));
}

HttpResponse fail(int status, const char *code, const QString &message)
{
    return jsonAnswer(status, Json {{"__type", code}, {"message", toStd(message)}});
}

HttpResponse fail(const Error &error)
{
    return jsonAnswer(error.httpStatus ? error.httpStatus : 400,
        Json {{"__type", toStd(error.code)}, {"message", toStd(error.message)}});
}

// The body as a JSON object; empty: {}.
Result<Json> objectBody(const QByteArray &body)
{
    if (body.trimmed().isEmpty())
        return Json::object();
    auto json = parseJson(body);
    if (!json || !json->is_object())
        return makeError(QStringLiteral("ValidationException"),
            QStringLiteral("the body must be a JSON object"), 400);
    return *json;
}

// An optional boolean field (absent or null: false).
Result<bool> boolField(const Json &object, const char *field)
{
    const auto it = object.find(field);
    if (it == object.end() || it->is_null())
        return false;
    if (!it->is_boolean())
        return makeError(QStringLiteral("ValidationException"),
            QStringLiteral("%1 must be true or false").arg(QLatin1String(field)), 400);
    return it->get<bool>();
}

constexpr qint64 kDefaultSettleMs = 10'000;
constexpr qint64 kMaxSettleMs = 10 * 60 * 1000;
// How often a settle that waits looks again (real time: it waits for real work).
constexpr int kSettlePollMs = 1;

bool isNameChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'-' || c == u'_' || c == u'.';
}

// `name` in `text` with no name character on either side.
bool containsName(const QString &text, const QString &name)
{
    for (qsizetype at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
        const bool before = at == 0 || !isNameChar(text.at(at - 1));
        const qsizetype end = at + name.size();
        const bool after = end == text.size() || !isNameChar(text.at(end));
        if (before && after)
            return true;
    }
    return false;
}

} // namespace

QString restOperation(const HttpRequest &request, const ServiceMatch &match)
{
    if (!match.operation.isEmpty())
        return match.operation;
    const QByteArray &m = request.method;
    if (match.service == QLatin1String("lambda")) {
        const QByteArray path = request.decodedPath();
        if (m == "POST" && path.contains("/functions/") && path.endsWith("/invocations"))
            return QStringLiteral("Invoke");
        return {};
    }
    if (match.service != QLatin1String("s3"))
        return {};
    const S3Address address = s3Address(request);
    const bool key = !address.key.isEmpty();
    const auto has = [&](const char *item) { return request.hasQueryItem(item); };
    if (address.bucket.isEmpty())
        return m == "GET" ? QStringLiteral("ListBuckets") : QString();
    if (m == "GET") {
        if (!key)
            return has("uploads")                       ? QStringLiteral("ListMultipartUploads")
                : has("versions")                       ? QStringLiteral("ListObjectVersions")
                : request.queryItem("list-type") == "2" ? QStringLiteral("ListObjectsV2")
                : request.query.isEmpty()               ? QStringLiteral("ListObjects")
                                                        : QString();
        return has("uploadId") ? QStringLiteral("ListParts")
            : has("tagging")   ? QStringLiteral("GetObjectTagging")
                               : QStringLiteral("GetObject");
    }
    if (m == "HEAD")
        return key ? QStringLiteral("HeadObject") : QStringLiteral("HeadBucket");
    if (m == "PUT") {
        if (!key)
            return request.query.isEmpty() ? QStringLiteral("CreateBucket") : QString();
        const bool copy = !request.header("x-amz-copy-source").isEmpty();
        if (has("partNumber"))
            return copy ? QStringLiteral("UploadPartCopy") : QStringLiteral("UploadPart");
        return has("tagging") ? QStringLiteral("PutObjectTagging")
            : copy            ? QStringLiteral("CopyObject")
                              : QStringLiteral("PutObject");
    }
    if (m == "DELETE") {
        if (!key)
            return request.query.isEmpty() ? QStringLiteral("DeleteBucket") : QString();
        return has("uploadId") ? QStringLiteral("AbortMultipartUpload")
                               : QStringLiteral("DeleteObject");
    }
    if (m == "POST") {
        if (has("delete"))
            return QStringLiteral("DeleteObjects");
        if (has("uploads"))
            return QStringLiteral("CreateMultipartUpload");
        if (has("uploadId"))
            return QStringLiteral("CompleteMultipartUpload");
        return key ? QString() : QStringLiteral("PostObject");
    }
    return {};
}

bool requestNames(const HttpRequest &request, const QString &name)
{
    if (name.isEmpty())
        return true;
    const QString path = QString::fromUtf8(request.decodedPath());
    for (const QString &segment : path.split(u'/', Qt::SkipEmptyParts)) {
        if (containsName(segment, name))
            return true;
    }
    const QString host = QString::fromLatin1(request.header("host"));
    if (host.startsWith(name + u'.'))
        return true;
    for (const auto &[key, value] : request.queryItems()) {
        Q_UNUSED(key);
        if (containsName(QString::fromUtf8(value), name))
            return true;
    }
    if (!request.body.isSpooled() && request.body.size() <= 1024 * 1024) {
        QString body = QString::fromUtf8(request.body.toByteArray());
        if (request.header("content-type").startsWith("application/x-www-form-urlencoded"))
            body = QUrl::fromPercentEncoding(body.toUtf8().replace('+', ' '));
        if (containsName(body, name))
            return true;
    }
    return false;
}

struct TestControl::Settle
{
    HttpResponder responder;
    QElapsedTimer elapsed;
    qint64 timeoutMs = kDefaultSettleMs;
    bool confirming = false;
    QList<BusyItem> waitedFor; // each (kind, id) once, in the order first seen
    QSet<QString> seen;
};

TestControl::TestControl(Engine *engine, FaultInjector *faults, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_faults(faults)
{ }

TestControl::~TestControl() = default;

qint64 TestControl::maxBodySize(const HttpRequest &head) const
{
    Q_UNUSED(head);
    return 256 * 1024;
}

Json TestControl::busyJson(const BusyItem &item) const
{
    Json out
        = {{"kind", toStd(item.kind)}, {"resource", toStd(item.resource)}, {"id", toStd(item.id)}};
    const QString logical = m_engine->logicalName(item.resource);
    if (!item.resource.isEmpty() && logical != item.resource)
        out["logicalId"] = toStd(logical);
    if (item.sinceNs > 0)
        out["since"] = toStd(QDateTime::fromMSecsSinceEpoch(item.sinceNs / 1'000'000, Qt::UTC)
                                 .toString(Qt::ISODateWithMs));
    if (!item.detail.isEmpty())
        out["detail"] = toStd(item.detail);
    return out;
}

void TestControl::handle(HttpRequest &&request, HttpResponder responder)
{
    const QByteArray path = request.decodedPath();
    if (path == settlePrefix || path == QByteArray(settlePrefix) + '/') {
        if (request.method != "POST") {
            responder.send(fail(405, "MethodNotAllowed", QStringLiteral("POST /_tarmac/settle")));
            return;
        }
        QByteArray body = request.body.toByteArray();
        QMetaObject::invokeMethod(
            this,
            [this, body = std::move(body), responder = std::move(responder)]() mutable {
                settle(body, std::move(responder));
            },
            Qt::QueuedConnection);
        return;
    }
    if (path.startsWith(faultsPrefix)) {
        faults(request, std::move(responder));
        return;
    }
    const bool isReset = path == resetPrefix || path == QByteArray(resetPrefix) + '/';
    if (isReset || path.startsWith(snapshotsPrefix)) {
        if (isReset && request.method != "POST") {
            responder.send(fail(405, "MethodNotAllowed", QStringLiteral("POST /_tarmac/reset")));
            return;
        }
        // On the engine's thread, where the state's parts live; requests for the services
        // meanwhile get 503 (the modules show as starting).
        QMetaObject::invokeMethod(
            this,
            [this, isReset, method = request.method, rest = path.mid(qstrlen(snapshotsPrefix)),
                body = request.body.toByteArray(), responder = std::move(responder)] {
                responder.send(isReset ? reset(body) : snapshots(method, rest, body));
            },
            Qt::QueuedConnection);
        return;
    }
    responder.send(fail(404, "NotFound", QStringLiteral("No such Tarmac endpoint")));
}

void TestControl::settle(const QByteArray &body, HttpResponder responder)
{
    auto json = objectBody(body);
    if (!json) {
        responder.send(fail(json.error()));
        return;
    }
    auto wait = std::make_shared<Settle>();
    if (const auto it = json->find("timeoutMs"); it != json->end() && !it->is_null()) {
        if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > double(kMaxSettleMs)) {
            responder.send(fail(400, "ValidationException",
                QStringLiteral("timeoutMs must be a number of milliseconds from 0 to %1")
                    .arg(kMaxSettleMs)));
            return;
        }
        wait->timeoutMs = qint64(it->get<double>());
    }
    wait->responder = std::move(responder);
    wait->elapsed.start();
    check(wait);
}

void TestControl::check(const std::shared_ptr<Settle> &wait)
{
    if (wait->responder.isCancelled())
        return;
    if (m_engine->isStopping()) {
        wait->responder.send(fail(503, "ServiceUnavailable", QStringLiteral("Tarmac is stopping")));
        return;
    }
    const QList<BusyItem> busy = m_engine->busy();
    const double waitedMs = wait->elapsed.nsecsElapsed() / 1e6;
    if (busy.isEmpty()) {
        if (!wait->confirming) {
            // Once more after what is queued to this thread now (a result on its way from a
            // function's thread to the source that will act on it) has run.
            wait->confirming = true;
            QMetaObject::invokeMethod(
                this, [this, wait] { check(wait); }, Qt::QueuedConnection);
            return;
        }
        Json waited = Json::array();
        for (const BusyItem &item : std::as_const(wait->waitedFor))
            waited.push_back(busyJson(item));
        wait->responder.send(jsonAnswer(200,
            Json {{"settled", true}, {"waitedMs", waitedMs}, {"waitedFor", std::move(waited)}}));
        return;
    }
    wait->confirming = false;
    for (const BusyItem &item : busy) {
        const QString key = item.kind + u'\n' + item.resource + u'\n' + item.id;
        if (!wait->seen.contains(key)) {
            wait->seen.insert(key);
            wait->waitedFor.append(item);
        }
    }
    if (waitedMs >= double(wait->timeoutMs)) {
        Json items = Json::array();
        for (const BusyItem &item : busy)
            items.push_back(busyJson(item));
        const QString message = QStringLiteral("not settled after %1 ms: %2 item(s) still busy")
                                    .arg(wait->timeoutMs)
                                    .arg(busy.size());
        wait->responder.send(jsonAnswer(408,
            Json {{"settled", false}, {"__type", "SettleTimeout"}, {"message", toStd(message)},
                {"waitedMs", waitedMs}, {"busy", std::move(items)}}));
        return;
    }
    QTimer::singleShot(kSettlePollMs, Qt::PreciseTimer, this, [this, wait] { check(wait); });
}

void TestControl::faults(const HttpRequest &request, HttpResponder responder)
{
    QByteArray rest = request.decodedPath().mid(qstrlen(faultsPrefix));
    while (rest.startsWith('/'))
        rest = rest.mid(1);
    while (rest.endsWith('/'))
        rest.chop(1);
    const auto list = [this] {
        Json rules = Json::array();
        for (const FaultRule &rule : m_faults->rules())
            rules.push_back(FaultInjector::toJson(rule));
        return Json {{"faults", std::move(rules)}};
    };
    if (rest.isEmpty() && request.method == "GET") {
        responder.send(jsonAnswer(200, list()));
        return;
    }
    if (rest.isEmpty() && request.method == "DELETE") {
        const qsizetype n = m_faults->rules().size();
        m_faults->clear();
        responder.send(jsonAnswer(200, Json {{"removed", n}}));
        return;
    }
    if (rest.isEmpty() && request.method == "POST") {
        auto json = parseJson(request.body.toByteArray());
        if (!json) {
            responder.send(fail(400, "ValidationException",
                QStringLiteral("the body must be a JSON object with match and effect")));
            return;
        }
        auto rule = m_faults->add(*json);
        if (!rule) {
            responder.send(fail(rule.error()));
            return;
        }
        responder.send(jsonAnswer(201, FaultInjector::toJson(*rule)));
        return;
    }
    if (!rest.isEmpty() && !rest.contains('/') && request.method == "GET") {
        for (const FaultRule &rule : m_faults->rules()) {
            if (rule.id == QString::fromUtf8(rest)) {
                responder.send(jsonAnswer(200, FaultInjector::toJson(rule)));
                return;
            }
        }
        responder.send(fail(404, "ResourceNotFoundException",
            QStringLiteral("no fault rule %1").arg(QString::fromUtf8(rest))));
        return;
    }
    if (!rest.isEmpty() && !rest.contains('/') && request.method == "DELETE") {
        if (!m_faults->remove(QString::fromUtf8(rest))) {
            responder.send(fail(404, "ResourceNotFoundException",
                QStringLiteral("no fault rule %1").arg(QString::fromUtf8(rest))));
            return;
        }
        responder.send(jsonAnswer(200, Json {{"removed", 1}}));
        return;
    }
    responder.send(fail(405, "MethodNotAllowed",
        QStringLiteral("GET, POST or DELETE /_tarmac/faults; GET or DELETE /_tarmac/faults/ID")));
}

HttpResponse TestControl::reset(const QByteArray &body)
{
    auto json = objectBody(body);
    if (!json)
        return fail(json.error());
    const auto traces = boolField(*json, "traces");
    if (!traces)
        return fail(traces.error());
    const auto recycle = boolField(*json, "recycleFunctions");
    if (!recycle)
        return fail(recycle.error());
    QElapsedTimer took;
    took.start();
    if (auto r = m_engine->replaceState(QString(), *recycle); !r)
        return fail(r.error());
    if (*traces) {
        if (auto r = m_engine->tracer()->clear(); !r)
            return fail(r.error());
    }
    return jsonAnswer(200,
        Json {{"reset", true}, {"traces", *traces ? "cleared" : "kept"},
            {"ms", took.nsecsElapsed() / 1e6}});
}

QString TestControl::snapshotsDir() const
{
    return m_engine->stateDir() + QStringLiteral("/snapshots");
}

HttpResponse TestControl::snapshots(
    const QByteArray &method, const QByteArray &rest, const QByteArray &body)
{
    QList<QByteArray> parts = rest.split('/');
    parts.removeAll(QByteArray());
    const QDir root(snapshotsDir());
    if (parts.isEmpty()) {
        if (method != "GET")
            return fail(405, "MethodNotAllowed", QStringLiteral("GET /_tarmac/snapshots"));
        Json list = Json::array();
        const QFileInfoList dirs
            = root.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo &dir : dirs) {
            if (dir.fileName().endsWith(QLatin1String(".partial")))
                continue;
            list.push_back(Json {{"name", toStd(dir.fileName())},
                {"createdAt",
                    toStd(dir.birthTime().isValid()
                            ? dir.birthTime().toUTC().toString(Qt::ISODateWithMs)
                            : dir.lastModified().toUTC().toString(Qt::ISODateWithMs))}});
        }
        return jsonAnswer(200, Json {{"snapshots", std::move(list)}});
    }
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"));
    const QString name = QString::fromUtf8(parts.first());
    if (!valid.match(name).hasMatch() || name.endsWith(QLatin1String(".partial")))
        return fail(400, "ValidationException",
            QStringLiteral("a snapshot name is 1 to 64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit"));
    const QString dir = root.filePath(name);
    const bool exists = QFileInfo(dir).isDir();
    QElapsedTimer took;
    took.start();
    if (parts.size() == 2 && parts[1] == "restore") {
        if (method != "POST")
            return fail(405, "MethodNotAllowed",
                QStringLiteral("POST /_tarmac/snapshots/%1/restore").arg(name));
        if (!exists)
            return fail(
                404, "ResourceNotFoundException", QStringLiteral("no snapshot %1").arg(name));
        auto json = objectBody(body);
        if (!json)
            return fail(json.error());
        const auto recycle = boolField(*json, "recycleFunctions");
        if (!recycle)
            return fail(recycle.error());
        if (auto r = m_engine->replaceState(dir, *recycle); !r)
            return fail(r.error());
        return jsonAnswer(200, Json {{"restored", toStd(name)}, {"ms", took.nsecsElapsed() / 1e6}});
    }
    if (parts.size() != 1)
        return fail(404, "NotFound", QStringLiteral("No such Tarmac endpoint"));
    if (method == "DELETE") {
        if (!exists)
            return fail(
                404, "ResourceNotFoundException", QStringLiteral("no snapshot %1").arg(name));
        QDir(dir).removeRecursively();
        return jsonAnswer(200, Json {{"deleted", toStd(name)}});
    }
    if (method == "GET") {
        if (!exists)
            return fail(
                404, "ResourceNotFoundException", QStringLiteral("no snapshot %1").arg(name));
        return jsonAnswer(200, Json {{"name", toStd(name)}});
    }
    if (method != "POST")
        return fail(405, "MethodNotAllowed",
            QStringLiteral("POST, GET or DELETE /_tarmac/snapshots/%1").arg(name));
    // Written beside, then put in place: a snapshot that failed half-way is never restored.
    const QString partial = dir + QStringLiteral(".partial");
    QDir(partial).removeRecursively();
    if (auto r = m_engine->saveState(partial); !r) {
        QDir(partial).removeRecursively();
        return fail(r.error());
    }
    if (exists)
        QDir(dir).removeRecursively();
    if (!QDir().rename(partial, dir))
        return fail(500, "InternalError", QStringLiteral("cannot rename %1").arg(partial));
    return jsonAnswer(exists ? 200 : 201,
        Json {{"name", toStd(name)}, {"replaced", exists}, {"ms", took.nsecsElapsed() / 1e6}});
}

std::optional<RequestFault> TestControl::requestFault(
    const HttpRequest &request, const ServiceMatch &match)
{
    if (m_faults->isEmpty())
        return std::nullopt;
    const QString operation = restOperation(request, match);
    const auto fault = m_faults->forRequest(
        match.service, operation, [&](const QString &name) { return requestNames(request, name); });
    if (!fault)
        return std::nullopt;
    RequestFault out;
    out.operation = operation;
    out.ruleId = fault->ruleId;
    out.description = fault->description;
    switch (fault->effect) {
    case FaultRule::Effect::Latency:
        out.latencyMs = fault->ms;
        break;
    case FaultRule::Effect::Error:
        out.error = makeError(fault->code, fault->message, fault->status);
        break;
    case FaultRule::Effect::Drop:
        out.drop = true;
        break;
    default:
        return std::nullopt;
    }
    return out;
}

} // namespace tarmac
