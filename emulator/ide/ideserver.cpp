#include "ide/ideserver.h"

#include "ide/upgraderequest.h"

#include <QDateTime>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketCorsAuthenticator>
#include <QWebSocketServer>

#include <limits>

namespace tarmac {

namespace {

constexpr qsizetype kMaxHandshake = 16 * 1024;
constexpr int kHandshakeTimeoutMs = 10'000;
constexpr qint64 kMaxIncomingMessage = 16 * 1024 * 1024; // an edited payload and then some

const char *const kTopicNames[IdeServer::TopicCount]
    = {"spans", "logs", "deliveries", "resources", "clock", "fidelity"};

} // namespace

const char *IdeServer::topicName(int topic)
{
    return topic >= 0 && topic < TopicCount ? kTopicNames[topic] : "";
}

std::optional<IdeServer::Topic> IdeServer::topicFromName(const QString &name)
{
    for (int t = 0; t < TopicCount; ++t) {
        if (name == QLatin1String(kTopicNames[t]))
            return Topic(t);
    }
    return std::nullopt;
}

IdeServer::IdeServer(Options options, const JsonRpc *rpc, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_rpc(rpc)
    , m_tcp(new QTcpServer(this))
    , m_ws(new QWebSocketServer(QStringLiteral("tarmac"), QWebSocketServer::NonSecureMode, this))
    , m_flushTimer(new QTimer(this))
    , m_life(std::make_shared<Life>())
{
    m_life->server = this;
    m_flushTimer->setSingleShot(true);
    connect(m_flushTimer, &QTimer::timeout, this, &IdeServer::flush);
    connect(m_tcp, &QTcpServer::newConnection, this, &IdeServer::onTcpConnection);
    // The origin was checked with the token, before the upgrade.
    connect(m_ws, &QWebSocketServer::originAuthenticationRequired, this,
        [](QWebSocketCorsAuthenticator *auth) { auth->setAllowed(true); });
    connect(m_ws, &QWebSocketServer::newConnection, this, &IdeServer::onWebSocket);
}

IdeServer::~IdeServer()
{
    {
        QMutexLocker lock(&m_life->mutex);
        m_life->server = nullptr;
    }
    close();
}

qint64 IdeServer::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

Result<void> IdeServer::listen(const QHostAddress &host, quint16 port)
{
    if (!m_tcp->listen(host, port))
        return makeError(QStringLiteral("ListenFailed"), m_tcp->errorString());
    m_port = m_tcp->serverPort();
    return {};
}

void IdeServer::close()
{
    m_tcp->close();
    m_flushTimer->stop();
    QList<QWebSocket *> sockets;
    {
        QMutexLocker lock(&m_mutex);
        for (const Client &c : std::as_const(m_clients))
            sockets.append(c.socket);
    }
    for (QWebSocket *s : sockets)
        s->close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("Tarmac is stopping"));
}

void IdeServer::onTcpConnection()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onHandshakeBytes(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(kHandshakeTimeoutMs, socket, [socket] {
            if (socket->property("tarmacUpgraded").toBool())
                return;
            socket->abort();
            socket->deleteLater();
        });
    }
}

void IdeServer::refuse(QTcpSocket *socket, int status, const char *reason)
{
    const QByteArray body = QByteArray(reason) + '\n';
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
        + "\r\nContent-Type: text/plain\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}

void IdeServer::onHandshakeBytes(QTcpSocket *socket)
{
    // Peeked, not read: QWebSocketServer reads the same request when it upgrades.
    const QByteArray head = socket->peek(kMaxHandshake);
    const UpgradeRequest request = parseUpgradeRequest(head, kMaxHandshake);
    if (request.state == UpgradeRequest::State::Incomplete)
        return;
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    if (request.state == UpgradeRequest::State::TooLarge) {
        refuse(socket, 431, "Request Header Fields Too Large");
        return;
    }
    if (!request.isUpgrade) {
        refuse(socket, 426, "Upgrade Required");
        return;
    }
    if (!sameToken(request.token, m_options.token)) {
        refuse(socket, 401, "Unauthorized");
        return;
    }
    if (!isAllowedOrigin(request.origin)) {
        refuse(socket, 403, "Forbidden");
        return;
    }
    socket->setProperty("tarmacUpgraded", true);
    disconnect(socket, &QTcpSocket::disconnected, socket, nullptr);
    m_ws->handleConnection(socket);
}

void IdeServer::onWebSocket()
{
    while (QWebSocket *socket = m_ws->nextPendingConnection()) {
        socket->setParent(this);
        socket->setMaxAllowedIncomingMessageSize(kMaxIncomingMessage);
        const quint64 id = m_nextClient++;
        {
            QMutexLocker lock(&m_mutex);
            Client c;
            c.socket = socket;
            c.id = id;
            m_clients.insert(id, std::move(c));
        }
        ++m_clientCount;
        connect(socket, &QWebSocket::textMessageReceived, this,
            [this, id](const QString &m) { onMessage(id, m.toUtf8()); });
        connect(socket, &QWebSocket::binaryMessageReceived, this,
            [this, id](const QByteArray &m) { onMessage(id, m); });
        connect(socket, &QWebSocket::disconnected, this, [this, id, socket] {
            {
                QMutexLocker lock(&m_mutex);
                const auto it = m_clients.find(id);
                if (it != m_clients.end()) {
                    for (int t = 0; t < TopicCount; ++t) {
                        if (it->topics[t])
                            --m_subscribers[t];
                    }
                    m_clients.erase(it);
                    --m_clientCount;
                }
            }
            socket->deleteLater();
        });
    }
}

void IdeServer::onMessage(quint64 client, const QByteArray &frame)
{
    m_rpc->handle(
        frame,
        [life = m_life, client](QByteArray bytes) {
            // Any thread (an invocation ends on the runner's): answers go out on the
            // server's, unless it is gone.
            QMutexLocker lock(&life->mutex);
            if (!life->server)
                return;
            QMetaObject::invokeMethod(
                life->server,
                [life, client, bytes = std::move(bytes)] {
                    if (life->server)
                        life->server->send(client, bytes);
                },
                Qt::AutoConnection);
        },
        client);
}

void IdeServer::send(quint64 client, const QByteArray &bytes)
{
    QWebSocket *socket = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_clients.constFind(client);
        if (it == m_clients.cend())
            return;
        socket = it->socket;
    }
    socket->sendTextMessage(QString::fromUtf8(bytes));
}

void IdeServer::addTopicMethods(JsonRpc &rpc)
{
    rpc.add(QStringLiteral("subscribe"),
        [this](const Json &params, JsonRpc::Respond respond, quint64 client) {
            respond(setTopics(client, params, true));
        });
    rpc.add(QStringLiteral("unsubscribe"),
        [this](const Json &params, JsonRpc::Respond respond, quint64 client) {
            respond(setTopics(client, params, false));
        });
}

Result<Json> IdeServer::setTopics(quint64 client, const Json &params, bool subscribe)
{
    JsonFields f(params);
    const auto topics = f.stringList("topics");
    if (!f.ok())
        return invalidParams(f.error()->message());
    if (subscribe && !topics)
        return invalidParams(QStringLiteral("subscribe needs topics, a list of names"));
    bool chosen[TopicCount] = {};
    if (topics) {
        for (const QString &name : *topics) {
            const auto topic = topicFromName(name);
            if (!topic) {
                QStringList known;
                for (const char *n : kTopicNames)
                    known.append(QLatin1String(n));
                return invalidParams(QStringLiteral("no topic '%1' (topics: %2)")
                                         .arg(name.left(100), known.join(QStringLiteral(", "))));
            }
            chosen[*topic] = true;
        }
    } else {
        std::fill(std::begin(chosen), std::end(chosen), true);
    }
    QMutexLocker lock(&m_mutex);
    const auto it = m_clients.find(client);
    if (it == m_clients.end())
        return makeError(QStringLiteral("NotConnected"), QStringLiteral("the client is gone"));
    Json now = Json::array();
    for (int t = 0; t < TopicCount; ++t) {
        if (chosen[t] && it->topics[t] != subscribe) {
            it->topics[t] = subscribe;
            m_subscribers[t] += subscribe ? 1 : -1;
            if (!subscribe) {
                for (const Item &item : it->queues[t].items)
                    it->queuedBytes -= item.json.size();
                it->queues[t] = Queue {};
            }
        }
        if (it->topics[t])
            now.push_back(kTopicNames[t]);
    }
    return Json {{"topics", now}};
}

void IdeServer::enqueue(Client &c, Topic topic, Item item)
{
    Queue &q = c.queues[topic];
    if (!item.key.isEmpty()) {
        for (Item &queued : q.items) {
            if (queued.key == item.key) {
                c.queuedBytes += item.json.size() - queued.json.size();
                queued.json = std::move(item.json);
                return;
            }
        }
    }
    c.queuedBytes += item.json.size();
    q.items.push_back(std::move(item));
    // Over a bound: the oldest go, this topic's first, and are counted as missed.
    const auto dropFront = [&](Queue &from) {
        c.queuedBytes -= from.items.front().json.size();
        from.items.pop_front();
        ++from.missed;
        ++m_missedTotal;
    };
    while (q.items.size() > size_t(m_options.maxQueuedItems))
        dropFront(q);
    while (c.queuedBytes > m_options.maxQueuedBytes) {
        int fullest = -1;
        for (int t = 0; t < TopicCount; ++t) {
            const size_t keep = t == topic ? 1 : 0; // the newest item stays
            if (c.queues[t].items.size() > keep
                && (fullest < 0 || c.queues[t].items.size() > c.queues[fullest].items.size()))
                fullest = t;
        }
        if (fullest < 0)
            break;
        dropFront(c.queues[fullest]);
    }
}

void IdeServer::publish(Topic topic, QList<QByteArray> items)
{
    if (items.isEmpty() || !hasSubscribers(topic))
        return;
    {
        QMutexLocker lock(&m_mutex);
        for (Client &c : m_clients) {
            if (!c.topics[topic])
                continue;
            for (const QByteArray &json : std::as_const(items))
                enqueue(c, topic, Item {{}, json});
        }
    }
    scheduleFlush();
}

void IdeServer::publishCoalesced(Topic topic, const QByteArray &key, QByteArray item)
{
    if (!hasSubscribers(topic))
        return;
    {
        QMutexLocker lock(&m_mutex);
        for (Client &c : m_clients) {
            if (c.topics[topic])
                enqueue(c, topic, Item {key, item});
        }
    }
    scheduleFlush();
}

qint64 IdeServer::queuedBytes() const
{
    QMutexLocker lock(&m_mutex);
    qint64 total = 0;
    for (const Client &c : m_clients)
        total += c.queuedBytes;
    return total;
}

void IdeServer::scheduleFlush()
{
    if (!m_flushPosted.exchange(true))
        QMetaObject::invokeMethod(this, &IdeServer::flush, Qt::QueuedConnection);
}

void IdeServer::flush()
{
    m_flushPosted = false;
    const qint64 now = nowMs();
    qint64 nextDue = std::numeric_limits<qint64>::max();
    struct Out
    {
        QWebSocket *socket;
        int topic;
        std::vector<QByteArray> items;
        qint64 missed;
    };
    std::vector<Out> out;
    {
        QMutexLocker lock(&m_mutex);
        for (Client &c : m_clients) {
            int topic = -1;
            for (int i = 0; i < TopicCount; ++i) {
                const int t = (c.nextTopic + i) % TopicCount;
                if (!c.queues[t].items.empty() || c.queues[t].missed > 0) {
                    topic = t;
                    break;
                }
            }
            if (topic < 0)
                continue;
            if (c.socket->bytesToWrite() > m_options.maxSocketBacklog) {
                nextDue = std::min(nextDue, now + m_options.minFlushIntervalMs);
                continue;
            }
            if (now - c.lastSendMs < m_options.minFlushIntervalMs) {
                nextDue = std::min(nextDue, c.lastSendMs + m_options.minFlushIntervalMs);
                continue;
            }
            Queue &q = c.queues[topic];
            Out o {c.socket, topic, {}, q.missed};
            q.missed = 0;
            qint64 bytes = 0;
            while (!q.items.empty() && int(o.items.size()) < m_options.maxItemsPerMessage
                && (o.items.empty()
                    || bytes + q.items.front().json.size() <= m_options.maxMessageBytes)) {
                bytes += q.items.front().json.size();
                c.queuedBytes -= q.items.front().json.size();
                o.items.push_back(std::move(q.items.front().json));
                q.items.pop_front();
            }
            out.push_back(std::move(o));
            c.lastSendMs = now;
            c.nextTopic = (topic + 1) % TopicCount;
            for (const Queue &left : c.queues) {
                if (!left.items.empty()) {
                    nextDue = std::min(nextDue, now + m_options.minFlushIntervalMs);
                    break;
                }
            }
        }
    }
    for (const Out &o : out) {
        qsizetype size = 64;
        for (const QByteArray &item : o.items)
            size += item.size() + 1;
        QByteArray message;
        message.reserve(size);
        message += R"({"jsonrpc":"2.0","method":")";
        message += kTopicNames[o.topic];
        message += R"(","params":{"items":[)";
        for (size_t i = 0; i < o.items.size(); ++i) {
            if (i)
                message += ',';
            message += o.items[i];
        }
        message += "],\"missed\":" + QByteArray::number(o.missed) + "}}";
        o.socket->sendTextMessage(QString::fromUtf8(message));
    }
    if (nextDue != std::numeric_limits<qint64>::max())
        m_flushTimer->start(int(std::clamp<qint64>(nextDue - nowMs(), 0, 1000)));
}

} // namespace tarmac
