#include "ide/ideservice.h"

#include "base/clock.h"
#include "base/json.h"
#include "engine/clockapi.h"
#include "engine/dispatcher.h"
#include "engine/dispatcherapi.h"
#include "engine/engine.h"
#include "engine/stackapplier.h"
#include "http/httphandler.h"
#include "ide/ideapi.h"
#include "ide/idejson.h"
#include "ide/ideserver.h"
#include "ide/jsonrpc.h"
#include "ide/webconsole.h"
#include "trace/tracequery.h"
#include "trace/tracer.h"

#include <QCoreApplication>
#include <QFile>
#include <QMutex>
#include <QSaveFile>
#include <QThread>
#include <QTimer>

namespace tarmac {

namespace {

// What the feeds publish through, from any thread: null once the server is gone.
struct Publisher
{
    QMutex mutex;
    IdeServer *server = nullptr;

    template<typename F>
    void with(F &&f)
    {
        QMutexLocker lock(&mutex);
        if (server)
            f(*server);
    }
};

class IdeService final : public QObject, public IdePort
{
public:
    explicit IdeService(Engine &engine);
    ~IdeService() override;

    Result<void> listen(const QHostAddress &host, quint16 port) override;
    quint16 port() const override { return m_server ? m_server->port() : 0; }
    void close() override;

private:
    void connectFeeds();
    void publishResources();
    void writeDiscovery();

    Engine &m_engine;
    JsonRpc m_rpc;
    QThread m_thread;
    IdeServer *m_server = nullptr;
    std::shared_ptr<Publisher> m_publisher = std::make_shared<Publisher>();
    std::unique_ptr<TraceQuery> m_traces; // the IDE thread's
    std::unique_ptr<WebConsole> m_web;
    std::unique_ptr<HttpHandler> m_replayRoute;
    QTimer m_resourceTimer;
    QHash<QString, QByteArray> m_resources; // "kind/name" → its JSON, as last published
    QString m_discoveryPath;
    bool m_closed = false;
};

IdeService::IdeService(Engine &engine)
    : m_engine(engine)
{
    IdeServer::Options options;
    options.token = engine.ideToken().toLatin1();
    m_server = new IdeServer(options, &m_rpc);
    m_server->addTopicMethods(m_rpc);
    m_publisher->server = m_server;

    IdeContext context;
    context.engine = &engine;
    context.onEngine = [this](std::function<void()> work) {
        QMetaObject::invokeMethod(this, std::move(work), Qt::QueuedConnection);
    };
    context.traces = [this]() -> Result<TraceQuery *> {
        if (!m_traces) {
            auto opened = TraceQuery::open(m_engine.tracer()->path());
            if (!opened)
                return opened.error();
            m_traces = std::move(*opened);
        }
        return m_traces.get();
    };
    context.methods = [this] { return m_rpc.names(); };
    context.stats = [server = m_server] {
        return Json {{"clients", server->clientCount()}, {"queuedBytes", server->queuedBytes()},
            {"missed", server->missedTotal()}};
    };
    context.replays = makeReplays();
    addIdeMethods(m_rpc, context);
    m_replayRoute = makeReplayRoute(context);
    engine.addEdgeRoute(QByteArrayLiteral("/_tarmac/replays"), m_replayRoute.get());

    m_thread.setObjectName(QStringLiteral("tarmac-ide"));
    m_server->moveToThread(&m_thread);
    m_thread.start();

    m_web = std::make_unique<WebConsole>([this] { return int(port()); });
    engine.addEdgeRoute(QByteArray(WebConsole::prefix), m_web.get());

    m_resourceTimer.setInterval(1000);
    connect(&m_resourceTimer, &QTimer::timeout, this, &IdeService::publishResources);
    connect(&engine, &Engine::started, this, &IdeService::connectFeeds);
}

IdeService::~IdeService()
{
    close();
    {
        QMutexLocker lock(&m_publisher->mutex);
        m_publisher->server = nullptr;
    }
    IdeServer *server = m_server;
    m_server = nullptr;
    QMetaObject::invokeMethod(
        server,
        [server, this] {
            delete server;
            m_traces.reset(); // its connection was opened on this thread
        },
        Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

Result<void> IdeService::listen(const QHostAddress &host, quint16 port)
{
    Result<void> result;
    QMetaObject::invokeMethod(
        m_server, [&] { result = m_server->listen(host, port); }, Qt::BlockingQueuedConnection);
    if (result)
        writeDiscovery();
    return result;
}

void IdeService::close()
{
    if (m_closed || !m_server)
        return;
    m_closed = true;
    m_resourceTimer.stop();
    QMetaObject::invokeMethod(
        m_server, [server = m_server] { server->close(); }, Qt::BlockingQueuedConnection);
    if (!m_discoveryPath.isEmpty())
        QFile::remove(m_discoveryPath);
}

void IdeService::writeDiscovery()
{
    m_discoveryPath = m_engine.stateDir() + QStringLiteral("/ide.json");
    const QString url = m_engine.ideUrl().toString();
    const QString edge = m_engine.edgeUrl().toString();
    const Json doc = {{"port", port()}, {"url", toStd(url)},
        {"tokenPath", toStd(m_engine.stateDir() + QStringLiteral("/ide-token"))},
        {"pid", QCoreApplication::applicationPid()}, {"edge", toStd(edge)},
        {"console", toStd(edge + QLatin1String(WebConsole::prefix) + QLatin1Char('/'))},
        {"project", toStd(m_engine.options().projectPath)}, {"version", TARMAC_VERSION}};
    QSaveFile file(m_discoveryPath);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(toJsonBytes(doc, 2) + '\n');
        file.commit();
    }
}

void IdeService::connectFeeds()
{
    auto publisher = m_publisher;
    // Spans and logs: on the tracer's writer thread, right after each commit; turned into
    // JSON once for every subscriber, and only when someone listens.
    connect(
        m_engine.tracer(), &Tracer::batchWritten, this,
        [publisher](const QList<Span> &spans, const QList<LogRecord> &logs) {
            publisher->with([&](IdeServer &server) {
                if (!spans.isEmpty() && server.hasSubscribers(IdeServer::Spans)) {
                    QList<QByteArray> items;
                    items.reserve(spans.size());
                    for (const Span &s : spans)
                        items.append(toJsonBytes(idejson::span(s)));
                    server.publish(IdeServer::Spans, std::move(items));
                }
                if (!logs.isEmpty() && server.hasSubscribers(IdeServer::Logs)) {
                    QList<QByteArray> items;
                    items.reserve(logs.size());
                    for (const LogRecord &l : logs)
                        items.append(toJsonBytes(idejson::log(l)));
                    server.publish(IdeServer::Logs, std::move(items));
                }
            });
        },
        Qt::DirectConnection);

    Engine *engine = &m_engine;
    const DispatcherApi::Names names {
        [engine](const QString &n) { return engine->physicalName(n); },
        [engine](const QString &n) { return engine->logicalName(n); }};
    const auto delivery = [publisher](Json item) {
        publisher->with([&](IdeServer &server) {
            if (server.hasSubscribers(IdeServer::Deliveries))
                server.publish(IdeServer::Deliveries, {toJsonBytes(item)});
        });
    };
    if (Dispatcher *d = m_engine.dispatcher()) {
        connect(
            d, &Dispatcher::held, this,
            [delivery, names](const PendingDelivery &p) {
                Json j = DispatcherApi::pendingJson(p);
                DispatcherApi::putLogicalId(j, names);
                delivery(Json {{"event", "held"}, {"delivery", std::move(j)}});
            },
            Qt::DirectConnection);
        connect(
            d, &Dispatcher::released, this,
            [delivery](const QByteArray &id) {
                delivery(Json {{"event", "released"}, {"id", id.toStdString()}});
            },
            Qt::DirectConnection);
        connect(
            d, &Dispatcher::finished, this,
            [delivery](const QByteArray &id, const QString &status) {
                delivery(Json {
                    {"event", "finished"}, {"id", id.toStdString()}, {"status", toStd(status)}});
            },
            Qt::DirectConnection);
        connect(
            d, &Dispatcher::pausedChanged, this,
            [delivery](bool paused) {
                delivery(Json {{"event", "paused"}, {"paused", paused}});
            },
            Qt::DirectConnection);
    }
    Clock *clock = m_engine.clock();
    connect(
        clock, &Clock::jumped, this,
        [publisher, clock] {
            publisher->with([&](IdeServer &server) {
                if (server.hasSubscribers(IdeServer::Clock))
                    server.publishCoalesced(
                        IdeServer::Clock, "clock", toJsonBytes(ClockApi::stateJson(clock)));
            });
        },
        Qt::DirectConnection);
    const auto fidelity = [this, publisher] {
        Json status = m_engine.stack() ? m_engine.stack()->status() : Json::object();
        publisher->with([&](IdeServer &server) {
            server.publishCoalesced(IdeServer::Fidelity, "template", toJsonBytes(status));
        });
        publishResources();
    };
    connect(&m_engine, &Engine::stackChanged, this, fidelity);
    m_resourceTimer.start();
}

// The catalog, compared with what was last published: every added, changed or removed
// resource once. Engine thread, each second while someone subscribes.
void IdeService::publishResources()
{
    if (!m_server || !m_server->hasSubscribers(IdeServer::Resources)) {
        m_resources.clear(); // a new subscriber starts from everything
        return;
    }
    QHash<QString, QByteArray> now;
    for (const CatalogEntry &e : m_engine.catalog())
        now.insert(e.kind + u'/' + e.name, toJsonBytes(catalogEntryJson(e, m_engine)));
    QList<std::pair<QByteArray, QByteArray>> changes;
    for (auto it = now.cbegin(); it != now.cend(); ++it) {
        const auto old = m_resources.constFind(it.key());
        if (old != m_resources.cend() && *old == it.value())
            continue;
        const char *change = old == m_resources.cend() ? "added" : "changed";
        changes.append({it.key().toUtf8(),
            R"({"change":")" + QByteArray(change) + R"(","resource":)" + it.value() + '}'});
    }
    for (auto it = m_resources.cbegin(); it != m_resources.cend(); ++it) {
        if (now.contains(it.key()))
            continue;
        const QString kind = it.key().section(u'/', 0, 0);
        const QString name = it.key().section(u'/', 1);
        changes.append({it.key().toUtf8(),
            toJsonBytes(Json {{"change", "removed"},
                {"resource", {{"kind", toStd(kind)}, {"name", toStd(name)}}}})});
    }
    m_resources = std::move(now);
    m_publisher->with([&](IdeServer &server) {
        for (auto &[key, item] : changes)
            server.publishCoalesced(IdeServer::Resources, key, std::move(item));
    });
}

} // namespace

std::unique_ptr<IdePort> makeIdePort(Engine &engine)
{
    return std::make_unique<IdeService>(engine);
}

} // namespace tarmac
