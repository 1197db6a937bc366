#pragma once

#include "base/result.h"
#include "ide/jsonrpc.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QStringList>

#include <atomic>
#include <deque>
#include <memory>

class QTcpServer;
class QTcpSocket;
class QTimer;
class QWebSocket;
class QWebSocketServer;

namespace tarmac {

// The IDE port's WebSocket server: JSON-RPC 2.0 frames in (JsonRpc), answers and topic
// notifications out, on a thread of its own so that a slow client never slows the engine.
//
// Gate: the HTTP upgrade request is read before it is upgraded; one without the token (query
// `?token=` or `Authorization: Bearer`) is refused with 401, one whose Origin is not `null`,
// a `vscode-webview://`/`vscode-file://` one or a loopback one with 403, so that a web page
// cannot drive a developer's functions. Several clients at once.
//
// Notifications: after `subscribe {"topics": [...]}`, publish() queues items (each a JSON
// value, already serialised) for the clients subscribed to the topic. Each client gets at
// most one message per minFlushIntervalMs (about 20 a second), carrying every queued item of
// one topic: {"jsonrpc": "2.0", "method": TOPIC, "params": {"items": [...], "missed": N}}.
// A client's queue is bounded in items and bytes, and nothing more is written to a socket
// whose peer has not read the last megabyte: items past the bound are dropped, oldest first
// (coalesced, for topics whose items replace each other), and the next message says how many
// it missed. So the engine never waits, and memory stays bounded however slow a client is.
class IdeServer : public QObject
{
    Q_OBJECT
public:
    enum Topic : int { Spans, Logs, Deliveries, Resources, Clock, Fidelity, TopicCount };
    static const char *topicName(int topic);
    static std::optional<Topic> topicFromName(const QString &name);

    struct Options
    {
        QByteArray token;
        int minFlushIntervalMs = 50;
        int maxQueuedItems = 20'000; // per client and topic
        qint64 maxQueuedBytes = 8 * 1024 * 1024; // per client, every topic
        qint64 maxSocketBacklog = 1024 * 1024; // unread bytes before a client is skipped
        int maxItemsPerMessage = 5'000;
        qint64 maxMessageBytes = 2 * 1024 * 1024;
    };

    // `rpc` outlives this; its handlers run on this object's thread (they post themselves
    // elsewhere when they must) and get the client's id. Register `subscribe` and
    // `unsubscribe` with addTopicMethods().
    IdeServer(Options options, const JsonRpc *rpc, QObject *parent = nullptr);
    ~IdeServer() override;

    // subscribe {"topics": [...]} → {"topics": [every topic now subscribed]}; unsubscribe
    // {"topics"?} (none: all) → the same. Handlers for `rpc`, which must run on this thread.
    void addTopicMethods(JsonRpc &rpc);

    // On this object's thread.
    Result<void> listen(const QHostAddress &host, quint16 port);
    quint16 port() const { return m_port.load(); }
    void close();

    // Thread-safe and cheap when nobody listens: hasSubscribers() first to skip building
    // items. `coalesceKey` (for items that replace each other: the clock, a resource) makes
    // an item replace a queued one with the same key instead of queueing behind it.
    bool hasSubscribers(Topic topic) const { return m_subscribers[topic].load() > 0; }
    void publish(Topic topic, QList<QByteArray> items);
    void publishCoalesced(Topic topic, const QByteArray &key, QByteArray item);

    int clientCount() const { return m_clientCount.load(); }
    // Items dropped for slow clients since start (all clients).
    qint64 missedTotal() const { return m_missedTotal.load(); }
    // What the queues hold now, all clients.
    qint64 queuedBytes() const;

private:
    struct Item
    {
        QByteArray key; // empty: not coalesced
        QByteArray json;
    };
    struct Queue
    {
        std::deque<Item> items;
        qint64 missed = 0;
    };
    struct Client
    {
        QWebSocket *socket = nullptr;
        quint64 id = 0;
        bool topics[TopicCount] = {};
        Queue queues[TopicCount];
        qint64 queuedBytes = 0;
        qint64 lastSendMs = -1'000'000;
        int nextTopic = 0;
    };

    void onTcpConnection();
    void onHandshakeBytes(QTcpSocket *socket);
    void refuse(QTcpSocket *socket, int status, const char *reason);
    void onWebSocket();
    void onMessage(quint64 client, const QByteArray &frame);
    void send(quint64 client, const QByteArray &bytes);
    Result<Json> setTopics(quint64 client, const Json &params, bool subscribe);
    // Under m_mutex.
    void enqueue(Client &c, Topic topic, Item item);
    void scheduleFlush();
    void flush();
    static qint64 nowMs();

    Options m_options;
    const JsonRpc *m_rpc;
    QTcpServer *m_tcp;
    QWebSocketServer *m_ws;
    QTimer *m_flushTimer;
    std::atomic<quint16> m_port {0};
    quint64 m_nextClient = 1;

    mutable QMutex m_mutex; // m_clients' queues and topics; publish() comes from any thread
    QHash<quint64, Client> m_clients;
    std::atomic<int> m_subscribers[TopicCount] = {};
    std::atomic<int> m_clientCount {0};
    std::atomic<qint64> m_missedTotal {0};
    std::atomic<bool> m_flushPosted {false};
    // What answers that arrive from other threads check: null once this is destroyed.
    struct Life
    {
        QMutex mutex;
        IdeServer *server = nullptr;
    };
    std::shared_ptr<Life> m_life;
};

} // namespace tarmac
