#include "http/httpserver.h"

#include "base/ioeventdispatcher.h"
#include "http/httpconnection.h"

#include <QThread>

#include <signal.h>
#include <unistd.h>

namespace tarmac {

HttpServer::HttpServer(HttpHandler *handler, Options options, QObject *parent)
    : QTcpServer(parent)
    , m_handler(handler)
    , m_options(std::move(options))
{
    // A client that resets its connection makes the next write to it fail with EPIPE, and
    // raise SIGPIPE, whose default action ends the process. send() is told not to raise it
    // (MSG_NOSIGNAL), but sendfile() cannot be: a download cut off mid-body would take the
    // whole emulator down. The error code says everything the connection needs to know.
    static const bool sigpipeIgnored = [] {
        struct sigaction ignore = {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        return ::sigaction(SIGPIPE, &ignore, nullptr) == 0;
    }();
    Q_UNUSED(sigpipeIgnored);
    setMaxPendingConnections(1024);
    // The kernel's accept queue: with Qt's default of 50, a burst of clients connecting faster
    // than this thread wakes up overflows it, and each dropped SYN costs its client a second.
    setListenBacklogSize(1024);
    for (int i = 0; i < m_options.ioThreads; ++i) {
        auto *thread = new QThread(this);
        thread->setObjectName(QStringLiteral("tarmac-io-%1").arg(i));
        thread->setEventDispatcher(new IoEventDispatcher);
        auto *context = new QObject; // parent of that thread's connections
        context->moveToThread(thread);
        connect(thread, &QThread::finished, context, &QObject::deleteLater);
        m_threads.append(thread);
        m_threadContexts.append(context);
        thread->start();
    }
    if (m_threadContexts.isEmpty())
        m_threadContexts.append(new QObject(this));
}

HttpServer::~HttpServer()
{
    close();
    // Connections on the server's own thread are children of a context object the QObject
    // base would delete later, when this is no longer an HttpServer for their destructors'
    // connectionClosed() call: delete them now.
    if (m_threads.isEmpty())
        qDeleteAll(std::exchange(m_threadContexts, {}));
    for (QThread *thread : std::as_const(m_threads)) {
        thread->quit();
        thread->wait();
    }
}

void HttpServer::incomingConnection(qintptr socketDescriptor)
{
    if (m_shuttingDown.load() || m_connections.load() >= m_options.maxConnections) {
        ::close(int(socketDescriptor));
        return;
    }
    ++m_connections;
    QObject *context = m_threadContexts.at(m_nextThread++ % m_threadContexts.size());
    if (m_threads.isEmpty()) {
        (new HttpConnection(socketDescriptor, this))->setParent(context);
        return;
    }
    QMetaObject::invokeMethod(
        context,
        [this, context, socketDescriptor] {
            (new HttpConnection(socketDescriptor, this))->setParent(context);
        },
        Qt::QueuedConnection);
}

void HttpServer::shutdown()
{
    if (m_shuttingDown.exchange(true))
        return;
    close();
    emit shutdownRequested();
    if (m_connections.load() == 0)
        QMetaObject::invokeMethod(this, &HttpServer::drained, Qt::QueuedConnection);
}

void HttpServer::connectionClosed()
{
    if (--m_connections == 0 && m_shuttingDown.load())
        QMetaObject::invokeMethod(this, &HttpServer::drained, Qt::QueuedConnection);
}

} // namespace tarmac
