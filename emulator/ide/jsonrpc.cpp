#include "ide/jsonrpc.h"

#include <QMutex>

#include <memory>

namespace tarmac {

namespace {

constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kServerError = -32000;

Json errorReply(const Json &id, int code, const std::string &message, const char *type)
{
    Json error = {{"code", code}, {"message", message}};
    if (type)
        error["data"] = {{"type", type}};
    return Json {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

bool validId(const Json &id)
{
    return id.is_string() || id.is_number() || id.is_null();
}

// Collects the answers of one frame (a request or a batch) and sends them when the last one
// arrives, whichever thread that is on.
struct Pending
{
    QMutex mutex;
    int waiting = 0;
    bool batch = false;
    Json answers = Json::array();
    std::function<void(QByteArray)> reply;

    void add(std::optional<Json> answer)
    {
        QByteArray bytes;
        {
            QMutexLocker lock(&mutex);
            if (answer)
                answers.push_back(std::move(*answer));
            if (--waiting > 0)
                return;
            if (answers.empty())
                return; // only notifications
            bytes = toJsonBytes(batch ? answers : answers[0]);
        }
        reply(std::move(bytes));
    }
};

} // namespace

Error invalidParams(const QString &message)
{
    return makeError(QStringLiteral("InvalidParams"), message);
}

void JsonRpc::add(const QString &name, Handler handler)
{
    m_methods.insert(name, std::move(handler));
}

void JsonRpc::addSync(const QString &name, SyncHandler handler)
{
    add(name, [handler = std::move(handler)](const Json &params, Respond respond, quint64) {
        respond(handler(params));
    });
}

QStringList JsonRpc::names() const
{
    QStringList out = m_methods.keys();
    out.sort();
    return out;
}

Json JsonRpc::errorJson(const Error &error)
{
    int code = kServerError;
    if (error.code == QLatin1String("InvalidParams"))
        code = kInvalidParams;
    else if (error.code == QLatin1String("MethodNotFound"))
        code = kMethodNotFound;
    return Json {
        {"code", code}, {"message", toStd(error.message)}, {"data", {{"type", toStd(error.code)}}}};
}

QByteArray JsonRpc::notification(const char *method, const Json &params)
{
    return toJsonBytes(Json {{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

void JsonRpc::handle(
    const QByteArray &frame, std::function<void(QByteArray)> reply, quint64 client) const
{
    auto parsed = parseJson(frame);
    if (!parsed) {
        reply(toJsonBytes(errorReply(
            nullptr, kParseError, "Parse error: " + toStd(parsed.error().message), "ParseError")));
        return;
    }
    const bool batch = parsed->is_array();
    if (batch && parsed->empty()) {
        reply(toJsonBytes(errorReply(
            nullptr, kInvalidRequest, "Invalid Request: an empty batch", "InvalidRequest")));
        return;
    }
    std::vector<const Json *> requests;
    if (batch) {
        for (const Json &r : *parsed)
            requests.push_back(&r);
    } else {
        requests.push_back(&*parsed);
    }
    auto pending = std::make_shared<Pending>();
    pending->batch = batch;
    pending->waiting = int(requests.size());
    pending->reply = std::move(reply);
    // The document outlives handlers that answer later: they get copies of params.
    for (const Json *request : requests) {
        const Json &r = *request;
        if (!r.is_object()) {
            pending->add(errorReply(nullptr, kInvalidRequest,
                "Invalid Request: a request is a JSON object", "InvalidRequest"));
            continue;
        }
        const auto idIt = r.find("id");
        const bool notification = idIt == r.end();
        const Json id = notification || !validId(*idIt) ? Json(nullptr) : *idIt;
        const auto version = r.find("jsonrpc");
        const auto method = r.find("method");
        if (version == r.end() || !version->is_string() || version->get<std::string>() != "2.0"
            || method == r.end() || !method->is_string() || (!notification && !validId(*idIt))) {
            pending->add(errorReply(id, kInvalidRequest,
                "Invalid Request: it needs \"jsonrpc\": \"2.0\", a string \"method\" and an id "
                "that is a string, a number or null",
                "InvalidRequest"));
            continue;
        }
        const std::string &name = method->get_ref<const std::string &>();
        const auto handler = m_methods.constFind(fromStd(name));
        if (handler == m_methods.cend()) {
            pending->add(notification
                    ? std::optional<Json>()
                    : errorReply(id, kMethodNotFound, "Method not found: " + name.substr(0, 200),
                        "MethodNotFound"));
            continue;
        }
        const auto params = r.find("params");
        if (params != r.end() && !params->is_object() && !params->is_null()) {
            pending->add(notification ? std::optional<Json>()
                                      : errorReply(id, kInvalidParams,
                                          "Invalid params: params is an object of named "
                                          "parameters",
                                          "InvalidParams"));
            continue;
        }
        const Json args = params == r.end() || params->is_null() ? Json::object() : *params;
        (*handler)(
            args,
            [pending, id, notification](Result<Json> result) {
                if (notification) {
                    pending->add(std::nullopt);
                    return;
                }
                if (result)
                    pending->add(
                        Json {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(*result)}});
                else
                    pending->add(Json {
                        {"jsonrpc", "2.0"}, {"id", id}, {"error", errorJson(result.error())}});
            },
            client);
    }
}

} // namespace tarmac
