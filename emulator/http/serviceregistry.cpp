#include "http/serviceregistry.h"

#include "base/json.h"

namespace tarmac {

QString serviceStateName(ServiceState state)
{
    switch (state) {
    case ServiceState::Starting:
        return QStringLiteral("starting");
    case ServiceState::Running:
        return QStringLiteral("running");
    case ServiceState::Stopping:
        return QStringLiteral("stopping");
    case ServiceState::Stopped:
        return QStringLiteral("stopped");
    case ServiceState::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("unknown");
}

void ServiceRegistry::add(const QString &name, HttpHandler *handler)
{
    {
        QMutexLocker lock(&m_mutex);
        for (Entry &e : m_entries) {
            if (e.name == name) {
                e.handler = handler;
                return;
            }
        }
        m_entries.append(Entry {name, ServiceState::Stopped, handler, {}});
        m_healthCache.clear();
    }
    emit stateChanged(name, ServiceState::Stopped);
}

void ServiceRegistry::setState(const QString &name, ServiceState state, const QString &detail)
{
    {
        QMutexLocker lock(&m_mutex);
        auto it = std::find_if(
            m_entries.begin(), m_entries.end(), [&](const Entry &e) { return e.name == name; });
        if (it == m_entries.end() || (it->state == state && it->detail == detail))
            return;
        it->state = state;
        it->detail = detail;
        m_healthCache.clear();
    }
    emit stateChanged(name, state);
}

HttpHandler *ServiceRegistry::handlerFor(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    for (const Entry &e : m_entries) {
        if (e.name == name)
            return e.state == ServiceState::Running ? e.handler : nullptr;
    }
    return nullptr;
}

bool ServiceRegistry::contains(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    return std::any_of(
        m_entries.begin(), m_entries.end(), [&](const Entry &e) { return e.name == name; });
}

QList<ServiceRegistry::Entry> ServiceRegistry::entries() const
{
    QMutexLocker lock(&m_mutex);
    return m_entries;
}

void ServiceRegistry::setHealthField(const QString &key, const QByteArray &json)
{
    QMutexLocker lock(&m_mutex);
    m_healthFields.erase(std::remove_if(m_healthFields.begin(), m_healthFields.end(),
                             [&](const auto &f) { return f.first == key; }),
        m_healthFields.end());
    if (!json.isEmpty())
        m_healthFields.append({key, json});
    m_healthCache.clear();
}

QByteArray ServiceRegistry::healthJson() const
{
    QMutexLocker lock(&m_mutex);
    if (!m_healthCache.isEmpty())
        return m_healthCache;
    Json services = Json::object();
    bool anyError = false;
    for (const Entry &e : m_entries) {
        services[e.name.toStdString()] = serviceStateName(e.state).toStdString();
        anyError = anyError || e.state == ServiceState::Error;
    }
    Json health = {
        {"status", anyError ? "error" : "ok"}, {"version", TARMAC_VERSION}, {"services", services}};
    for (const auto &[key, json] : m_healthFields) {
        if (auto value = parseJson(json))
            health[key.toStdString()] = std::move(*value);
    }
    m_healthCache = toJsonBytes(health);
    return m_healthCache;
}

} // namespace tarmac
