#include "ui/enginehost.h"

#include "engine/stackapplier.h"
#include "http/serviceregistry.h"
#include "trace/tracer.h"

namespace tarmac {

EngineHost::EngineHost(Engine::Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    qRegisterMetaType<QList<Span>>();
    qRegisterMetaType<QList<LogRecord>>();
    m_thread.setObjectName(QStringLiteral("tarmac-engine"));
    m_thread.start();
}

EngineHost::~EngineHost()
{
    stop();
    m_thread.quit();
    m_thread.wait();
}

QString EngineHost::tracesPath() const
{
    return m_stateDir.isEmpty() ? QString() : m_stateDir + QStringLiteral("/traces.db");
}

QString EngineHost::endpoint(const QString &name) const
{
    const QString prefix = name + u'=';
    for (const QString &part : m_readyLine.split(u' ')) {
        if (part.startsWith(prefix))
            return part.mid(prefix.size());
    }
    return {};
}

void EngineHost::stop()
{
    if (!m_engine)
        return;
    ++m_generation;
    Engine *e = std::exchange(m_engine, nullptr);
    m_running = false;
    // The engine's objects belong to its thread: delete them there. Its destructor stops
    // the services, and with them the function processes.
    QMetaObject::invokeMethod(
        e, [e] { delete e; }, Qt::BlockingQueuedConnection);
    m_clock.reset();
    emit stopped();
}

void EngineHost::restart(Engine::Options options)
{
    stop();
    m_options = std::move(options);
    m_stateDir.clear();
    m_readyLine.clear();
    start();
}

void EngineHost::start()
{
    if (m_engine)
        return;
    ++m_generation;
    const quint64 generation = m_generation;
    m_clock = std::make_unique<ControlledClock>();
    m_engine = new Engine(m_options, m_clock.get());
    m_engine->moveToThread(&m_thread);
    QPointer<EngineHost> self(this);
    QMetaObject::invokeMethod(m_engine, [this, self, generation, e = m_engine] {
        auto report = [this, e] {
            QList<QPair<QString, QString>> list;
            for (const auto &entry : e->services()->entries())
                list.append({entry.name, serviceStateName(entry.state)});
            emit servicesChanged(list);
        };
        connect(e->services(), &ServiceRegistry::stateChanged, e, report);
        auto r = e->start();
        if (!r) {
            const QString message = r.error().message;
            QMetaObject::invokeMethod(
                this,
                [this, self, generation, message] {
                    if (self && m_generation == generation)
                        emit failed(message);
                },
                Qt::QueuedConnection);
            return;
        }
        // Live spans and logs: the Tracer emits on its writer thread; this connection
        // queues them to the GUI thread where EngineHost lives.
        connect(e->tracer(), &Tracer::batchWritten, this, &EngineHost::traceBatch);
        if (StackApplier *stack = e->stack()) {
            connect(stack, &StackApplier::reloaded, this, &EngineHost::templateReloaded);
            connect(stack, &StackApplier::reloadFailed, this, &EngineHost::templateReloadFailed);
        }
        const QString line = QString::fromUtf8(e->readyLine());
        const QString stateDir = e->stateDir();
        QMetaObject::invokeMethod(
            this,
            [this, self, generation, line, stateDir] {
                if (!self || m_generation != generation)
                    return;
                m_running = true;
                m_stateDir = stateDir;
                m_readyLine = line;
                emit started(line, stateDir);
            },
            Qt::QueuedConnection);
        report();
    });
}

void EngineHost::post(std::function<void(Engine &)> fn)
{
    if (Engine *e = m_engine; e && m_running)
        QMetaObject::invokeMethod(e, [e, fn = std::move(fn)] { fn(*e); });
}

} // namespace tarmac
