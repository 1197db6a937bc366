#pragma once

#include "base/result.h"

#include <QHostAddress>
#include <QList>
#include <QObject>

class QWebSocket;
class QWebSocketServer;

namespace tarmac {

class ServiceRegistry;

// The IDE port: JSON-RPC 2.0 over WebSocket for editors and scripts. A client must present
// the token written to STATE/ide-token (query `?token=` or `Authorization: Bearer`), and a
// browser Origin other than a loopback one is refused, so a web page cannot drive a
// developer's Tarmac. Methods so far: `tarmac.health`; the engine adds more as parts land.
class IdeServer : public QObject
{
    Q_OBJECT
public:
    IdeServer(QByteArray token, ServiceRegistry *registry, QObject *parent = nullptr);
    ~IdeServer() override;

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
};

bool isLoopbackOrigin(const QString &origin);

} // namespace tarmac
