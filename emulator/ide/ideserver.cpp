#include "ide/ideserver.h"

#include "base/json.h"
#include "http/serviceregistry.h"

#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketCorsAuthenticator>
#include <QWebSocketServer>

namespace tarmac {

bool isLoopbackOrigin(const QString &origin)
{
    if (origin.isEmpty())
        return true; // not a browser
    const QUrl url(origin);
    const QString host = url.host();
    return host == QLatin1String("localhost") || host == QLatin1String("127.0.0.1")
        || host == QLatin1String("::1") || url.scheme() == QLatin1String("vscode-webview")
        || url.scheme() == QLatin1String("vscode-file");
}

IdeServer::IdeServer(QByteArray token, ServiceRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_token(std::move(token))
    , m_registry(registry)
    , m_server(
          new QWebSocketServer(QStringLiteral("tarmac"), QWebSocketServer::NonSecureMode, this))
{
    connect(m_server, &QWebSocketServer::originAuthenticationRequired, this,
        [](QWebSocketCorsAuthenticator *auth) {
            auth->setAllowed(isLoopbackOrigin(auth->origin()));
        });
    connect(m_server, &QWebSocketServer::newConnection, this, &IdeServer::onNewConnection);
}

IdeServer::~IdeServer()
{
    close();
}

Result<void> IdeServer::listen(const QHostAddress &host, quint16 port)
{
    if (!m_server->listen(host, port))
        return makeError(QStringLiteral("ListenFailed"), m_server->errorString());
    return {};
}

quint16 IdeServer::port() const
{
    return m_server->serverPort();
}

void IdeServer::close()
{
    m_server->close();
    const auto clients = m_clients;
    for (QWebSocket *c : clients)
        c->close();
}

void IdeServer::onNewConnection()
{
    while (QWebSocket *socket = m_server->nextPendingConnection()) {
        const QNetworkRequest request = socket->request();
        QByteArray presented
            = QUrlQuery(socket->requestUrl()).queryItemValue(QStringLiteral("token")).toUtf8();
        const QByteArray auth = request.rawHeader("Authorization");
        if (auth.startsWith("Bearer "))
            presented = auth.mid(7).trimmed();
        if (presented.isEmpty() || presented != m_token) {
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("bad token"));
            socket->deleteLater();
            continue;
        }
        m_clients.append(socket);
        connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString &m) { onMessage(socket, m); });
        connect(socket, &QWebSocket::disconnected, this, [this, socket] {
            m_clients.removeAll(socket);
            socket->deleteLater();
        });
    }
}

void IdeServer::addMethod(const QString &name, Method method)
{
    m_methods.insert(name, std::move(method));
}

void IdeServer::onMessage(QWebSocket *socket, const QString &message)
{
    auto parsed = parseJson(message.toUtf8());
    Json reply = {{"jsonrpc", "2.0"}, {"id", nullptr}};
    if (!parsed || !parsed->is_object() || !parsed->contains("method")
        || !(*parsed)["method"].is_string()) {
        reply["error"] = {{"code", -32700}, {"message", "Parse error or invalid request"}};
        socket->sendTextMessage(QString::fromUtf8(toJsonBytes(reply)));
        return;
    }
    const Json &req = *parsed;
    if (req.contains("id"))
        reply["id"] = req["id"];
    const std::string method = req["method"].get<std::string>();
    const auto handler = m_methods.constFind(QString::fromStdString(method));
    if (method == "tarmac.health") {
        auto health = parseJson(m_registry->healthJson());
        reply["result"] = health ? *health : Json::object();
    } else if (handler != m_methods.cend()) {
        const Json params = req.contains("params") ? req["params"] : Json();
        if (!params.is_null() && !params.is_object()) {
            reply["error"] = {{"code", -32602}, {"message", "params must be an object"},
                {"data", {{"type", "InvalidParams"}}}};
        } else {
            Result<Json> result = (*handler)(params);
            if (result) {
                reply["result"] = std::move(*result);
            } else {
                const Error &e = result.error();
                reply["error"]
                    = {{"code", e.code == QLatin1String("InvalidParams") ? -32602 : -32000},
                        {"message", e.message.toStdString()},
                        {"data", {{"type", e.code.toStdString()}}}};
            }
        }
    } else {
        reply["error"] = {{"code", -32601}, {"message", "Method not found: " + method}};
    }
    socket->sendTextMessage(QString::fromUtf8(toJsonBytes(reply)));
}

} // namespace tarmac
