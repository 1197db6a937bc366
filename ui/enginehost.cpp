#include "ui/enginehost.h"

#include "core/serviceregistry.h"

namespace tarmac {

EngineHost::EngineHost(Engine::Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    m_thread.setObjectName(QStringLiteral("tarmac-engine"));
}

EngineHost::~EngineHost()
{
    if (m_engine) {
        // The engine's objects belong to its thread: delete them there, then stop it.
        QMetaObject::invokeMethod(m_engine, [e = m_engine] { delete e; }, Qt::BlockingQueuedConnection);
        m_engine = nullptr;
    }
    m_thread.quit();
    m_thread.wait();
}

void EngineHost::start()
{
    m_thread.start();
    m_engine = new Engine(m_options);
    m_engine->moveToThread(&m_thread);
    QMetaObject::invokeMethod(m_engine, [this, e = m_engine] {
        auto report = [this, e] {
            QList<QPair<QString, QString>> list;
            for (const auto &entry : e->services()->entries())
                list.append({ entry.name, serviceStateName(entry.state) });
            emit servicesChanged(list);
        };
        connect(e->services(), &ServiceRegistry::stateChanged, e, report);
        if (auto r = e->start(); !r) {
            emit failed(r.error().message);
            return;
        }
        emit started(QString::fromUtf8(e->readyLine()), e->stateDir());
        report();
    });
}

} // namespace tarmac
