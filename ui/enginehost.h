#pragma once

#include "base/controlledclock.h"
#include "engine/engine.h"
#include "trace/span.h"

#include <QObject>
#include <QPair>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace tarmac {

// Runs an Engine on its own thread so the GUI thread never touches SQLite or sockets; talks
// to the GUI only through queued signals and through call(), which runs a function on the
// engine's thread and brings its result back. The Tracer's batches are forwarded as
// traceBatch(), already on the GUI thread.
//
// restart() replaces the engine (another project): the old one is destroyed on its thread
// first, which stops its services and their function processes. Results of calls made to
// the old engine are dropped. Each engine runs on a ControlledClock of its own.
class EngineHost : public QObject
{
    Q_OBJECT
public:
    explicit EngineHost(Engine::Options options, QObject *parent = nullptr);
    ~EngineHost() override;

    void start();
    void restart(Engine::Options options);
    // Destroys the engine now (on its thread), stopping every service and function.
    void stop();

    const Engine::Options &options() const { return m_options; }
    // The engine's clock: the stepper freezes and advances it. Thread-safe; null before
    // start().
    ControlledClock *clock() const { return m_clock.get(); }
    bool isRunning() const { return m_running; }
    QString stateDir() const { return m_stateDir; }
    QString tracesPath() const;
    QString readyLine() const { return m_readyLine; }
    // "edge" → "http://127.0.0.1:4566", from the ready line.
    QString endpoint(const QString &name) const;

    // Runs fn on the engine's thread with the running engine; done(result) then runs on the
    // context's thread unless the context is gone or the engine was replaced meanwhile.
    // Nothing runs when no engine is running.
    template<typename R>
    void call(QObject *context, std::function<R(Engine &)> fn, std::function<void(R)> done)
    {
        Engine *e = m_engine;
        if (!e || !m_running)
            return;
        const quint64 generation = m_generation;
        QPointer<QObject> guard(context);
        QPointer<EngineHost> self(this);
        QMetaObject::invokeMethod(
            e, [e, fn = std::move(fn), done = std::move(done), guard, self, generation] {
                auto result = std::make_shared<R>(fn(*e));
                QMetaObject::invokeMethod(
                    guard.data(),
                    [result, done, guard, self, generation] {
                        if (guard && self && self->m_generation == generation)
                            done(std::move(*result));
                    },
                    Qt::QueuedConnection);
            });
    }
    // The same without a result.
    void post(std::function<void(Engine &)> fn);

signals:
    void started(const QString &readyLine, const QString &stateDir);
    void failed(const QString &message);
    void servicesChanged(const QList<QPair<QString, QString>> &services);
    void traceBatch(const QList<tarmac::Span> &spans, const QList<tarmac::LogRecord> &logs);
    // The engine is gone (stop() or the first half of restart()).
    void stopped();
    // The project's template changed on disk and was applied, or could not be.
    void templateReloaded(const QStringList &changes);
    void templateReloadFailed(const QString &error);

private:
    Engine::Options m_options;
    QThread m_thread;
    Engine *m_engine = nullptr;
    std::unique_ptr<ControlledClock> m_clock;
    bool m_running = false;
    quint64 m_generation = 0;
    QString m_stateDir;
    QString m_readyLine;
};

} // namespace tarmac
