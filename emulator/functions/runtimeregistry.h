#pragma once

#include "functions/runtimeplugin.h"

#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

class QPluginLoader;

namespace tarmac {

// The runtime plugins one engine uses: loaded once from the plugin folders (QPluginLoader),
// or registered in-process (tests). Thread-safe. It does not unload plugins: they live as
// long as the registry.
class RuntimeRegistry
{
public:
    RuntimeRegistry();
    ~RuntimeRegistry();

    // Where plugins are looked for, in order: $TARMAC_RUNTIME_PLUGIN_PATH (':'-separated),
    // then APPDIR/../lib/tarmac/runtimes, which is build/lib/tarmac/runtimes in a build tree
    // and PREFIX/lib/tarmac/runtimes once installed.
    static QStringList defaultSearchPaths();

    // Loads every runtime plugin found in `paths`; returns how many. Files that are not
    // runtime plugins are skipped; load errors are kept for loadErrors().
    int loadFrom(const QStringList &paths);
    // Registers a plugin object that is not loaded from a file (not owned).
    void add(RuntimePlugin *plugin);

    // The plugin serving a Runtime value, or null.
    RuntimePlugin *pluginFor(const QString &runtime) const;
    // Every runtime value served (patterns included), for error messages.
    QStringList runtimes() const;
    QStringList loadErrors() const;
    bool isEmpty() const;

private:
    mutable QMutex m_mutex;
    std::vector<std::unique_ptr<QPluginLoader>> m_loaders;
    QList<RuntimePlugin *> m_plugins;
    QStringList m_errors;
};

// Whether a Runtime value matches one of a plugin's patterns ("python3.*").
bool runtimeMatches(const QString &pattern, const QString &runtime);

} // namespace tarmac
