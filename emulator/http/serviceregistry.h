#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

namespace tarmac {

class HttpHandler;

enum class ServiceState { Starting, Running, Stopping, Stopped, Error };
QString serviceStateName(ServiceState state);

// The services one engine runs, with their lifecycle state and, for services reached over
// the edge port, the handler that speaks their wire protocol. Later services plug in here.
// Thread-safe: the edge router reads it on I/O threads.
class ServiceRegistry : public QObject
{
    Q_OBJECT
public:
    struct Entry
    {
        QString name;
        ServiceState state = ServiceState::Stopped;
        HttpHandler *handler = nullptr; // not owned; null for services without a wire API
        QString detail; // e.g. the error that stopped it
    };

    using QObject::QObject;

    void add(const QString &name, HttpHandler *handler = nullptr);
    void setState(const QString &name, ServiceState state, const QString &detail = {});
    // The handler of a running service, or null.
    HttpHandler *handlerFor(const QString &name) const;
    bool contains(const QString &name) const;
    QList<Entry> entries() const;
    // {"status":"ok","version":…,"services":{name: state}}; status is "error" when any
    // service is in Error. Cached until a state changes.
    QByteArray healthJson() const;
    // An extra top-level field of the health document, next to status/version/services
    // (e.g. "template": the loaded stack and its fidelity report). A JSON text; empty removes.
    void setHealthField(const QString &key, const QByteArray &json);

signals:
    void stateChanged(const QString &name, tarmac::ServiceState state);

private:
    mutable QMutex m_mutex;
    QList<Entry> m_entries;
    QList<std::pair<QString, QByteArray>> m_healthFields;
    mutable QByteArray m_healthCache;
};

} // namespace tarmac
