#pragma once

#include "core/engine.h"

#include <QObject>
#include <QPair>
#include <QThread>

namespace tarmac {

// Runs an Engine on its own thread so the GUI thread never touches SQLite or sockets; talks
// to the GUI only through queued signals.
class EngineHost : public QObject
{
    Q_OBJECT
public:
    explicit EngineHost(Engine::Options options, QObject *parent = nullptr);
    ~EngineHost() override;
    void start();

signals:
    void started(const QString &readyLine, const QString &stateDir);
    void failed(const QString &message);
    void servicesChanged(const QList<QPair<QString, QString>> &services);

private:
    Engine::Options m_options;
    QThread m_thread;
    Engine *m_engine = nullptr;
};

} // namespace tarmac
