#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>

#include <functional>

class QWebSocket;
class QWebSocketServer;

namespace tarmac {

class ServiceRegistry;

// The IDE port: JSON-RPC 2.0 over WebSocket for editors and scripts. A client must present
// the token written to STATE/ide-token (query `?token=` or `Authorization: Bearer`), and a
// browser Origin other than a loopback one is refused, so a web page cannot drive a
// developer's Tarmac. Its own method is `tarmac.health`; the engine adds the others
// (addMethod(): the resource catalog's `resources.*`) on the calls the desktop app uses.
class IdeServer : public QObject
{
    Q_OBJECT
public:
    IdeServer(QByteArray token, ServiceRegistry *registry, QObject *parent = nullptr);
    ~IdeServer() override;

    // A method: the handler gets the request's params (an object, or null when none) and
    // answers a result, or an error: code "InvalidParams" is JSON-RPC's -32602, any other
    // -32000, each with data.type set to the code. Called on this object's thread.
    using Method = std::function<Result<Json>(const Json &params)>;
    void addMethod(const QString &name, Method method);

    Result<void> listen(const QHostAddress &host, quint16 port);
    quint16 port() const;
    void close();

private:
    void onNewConnection();
    void onMessage(QWebSocket *socket, const QString &message);

    QByteArray m_token;
    ServiceRegistry *m_registry;
    QWebSocketServer *m_server;
    QList<QWebSocket *> m_clients;
    QHash<QString, Method> m_methods;
};

bool isLoopbackOrigin(const QString &origin);

} // namespace tarmac
