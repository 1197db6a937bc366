#include "functions/runtimeregistry.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QPluginLoader>

namespace tarmac {

bool runtimeMatches(const QString &pattern, const QString &runtime)
{
    if (pattern.endsWith(u'*'))
        return runtime.startsWith(QStringView(pattern).chopped(1));
    return pattern == runtime;
}

RuntimeRegistry::RuntimeRegistry() = default;

RuntimeRegistry::~RuntimeRegistry()
{
    // Plugin instances belong to their loaders; unloading is left to process exit because
    // objects created by a plugin may outlive the registry by a little.
    m_loaders.clear();
}

QStringList RuntimeRegistry::defaultSearchPaths()
{
    QStringList paths;
    const QString env = qEnvironmentVariable("TARMAC_RUNTIME_PLUGIN_PATH");
    for (const QString &p : env.split(u':', Qt::SkipEmptyParts))
        paths.append(p);
    if (QCoreApplication::instance())
        paths.append(QDir::cleanPath(
            QCoreApplication::applicationDirPath() + QStringLiteral("/../lib/tarmac/runtimes")));
    return paths;
}

int RuntimeRegistry::loadFrom(const QStringList &paths)
{
    int loaded = 0;
    for (const QString &path : paths) {
        const QDir dir(path);
        if (!dir.exists())
            continue;
        const QStringList files = dir.entryList(QDir::Files, QDir::Name);
        for (const QString &file : files) {
            if (!QLibrary::isLibrary(file))
                continue;
            auto loader = std::make_unique<QPluginLoader>(dir.absoluteFilePath(file));
            if (loader->metaData().value(QLatin1String("IID")).toString()
                != QLatin1String(TarmacRuntimePlugin_iid))
                continue;
            QObject *object = loader->instance();
            auto *plugin = qobject_cast<RuntimePlugin *>(object);
            QMutexLocker lock(&m_mutex);
            if (!plugin) {
                m_errors.append(QStringLiteral("%1: %2").arg(file, loader->errorString()));
                continue;
            }
            bool duplicate = false;
            for (RuntimePlugin *p : std::as_const(m_plugins))
                duplicate = duplicate || p->key() == plugin->key();
            if (duplicate)
                continue; // an earlier folder wins
            m_plugins.append(plugin);
            m_loaders.push_back(std::move(loader));
            ++loaded;
        }
    }
    return loaded;
}

void RuntimeRegistry::add(RuntimePlugin *plugin)
{
    QMutexLocker lock(&m_mutex);
    m_plugins.prepend(plugin);
}

RuntimePlugin *RuntimeRegistry::pluginFor(const QString &runtime) const
{
    QMutexLocker lock(&m_mutex);
    for (RuntimePlugin *plugin : m_plugins) {
        const QStringList patterns = plugin->runtimes();
        for (const QString &pattern : patterns) {
            if (runtimeMatches(pattern, runtime))
                return plugin;
        }
    }
    return nullptr;
}

QStringList RuntimeRegistry::runtimes() const
{
    QMutexLocker lock(&m_mutex);
    QStringList all;
    for (RuntimePlugin *plugin : m_plugins)
        all += plugin->runtimes();
    return all;
}

QStringList RuntimeRegistry::loadErrors() const
{
    QMutexLocker lock(&m_mutex);
    return m_errors;
}

bool RuntimeRegistry::isEmpty() const
{
    QMutexLocker lock(&m_mutex);
    return m_plugins.isEmpty();
}

} // namespace tarmac
