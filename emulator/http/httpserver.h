#pragma once

#include "http/httphandler.h"
#include "http/httprequestparser.h"

#include <QHostAddress>
#include <QList>
#include <QTcpServer>

#include <atomic>

class QThread;

namespace tarmac {

// The front door of every port Tarmac opens: HTTP/1.1 on QTcpServer. Keep-alive, pipelined
// requests answered in order, `Expect: 100-continue` answered at once, chunked request
// bodies, large bodies spooled to disk, bounded heads and bodies, idle and slow-client
// timeouts, graceful shutdown. It routes nothing: one HttpHandler serves the port.
//
// With ioThreads > 0 connections are spread over that many threads (the handler must then be
// thread-safe), each running an IoEventDispatcher; with 0 they live on the server's own
// thread, whatever its dispatcher.
class HttpServer : public QTcpServer
{
    Q_OBJECT
public:
    struct Options
    {
        int ioThreads = 0;
        HttpRequestParser::Limits limits;
        int headerTimeoutMs = 15'000; // the whole head must arrive within this
        int bodyIdleTimeoutMs = 30'000; // a body that makes no progress for this long
        int keepAliveTimeoutMs = 60'000;
        int writeIdleTimeoutMs = 60'000; // a client that stops reading a response
        int maxConnections = 10'000;
    };

    HttpServer(HttpHandler *handler, Options options, QObject *parent = nullptr);
    ~HttpServer() override;

    const Options &options() const { return m_options; }
    HttpHandler *handler() const { return m_handler; }
    int connectionCount() const { return m_connections.load(); }

    // Stops accepting, lets in-flight requests finish, closes idle connections; emits
    // drained() once no connection is left (at once if there is none).
    void shutdown();

signals:
    void drained();
    void shutdownRequested(); // to the connections, on their threads

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    friend class HttpConnection;
    void connectionClosed();

    HttpHandler *m_handler;
    Options m_options;
    QList<QThread *> m_threads;
    QList<QObject *> m_threadContexts;
    int m_nextThread = 0;
    std::atomic<int> m_connections {0};
    std::atomic<bool> m_shuttingDown {false};
};

} // namespace tarmac
