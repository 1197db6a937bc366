#pragma once

#include <QFileSystemWatcher>
#include <QObject>
#include <QTimer>

namespace tarmac {

// Tells when the code in a function's folder changes, for hot reload: a changed file means
// new invocations get new instances. Watches the folder tree (files too: a directory watch
// alone misses files rewritten in place), coalescing bursts of events (an editor's save, a
// build writing many files) into one changed() signal. Skips folders that change without the
// code changing (__pycache__, .git, .tarmac) and node_modules (too many files; reinstalling
// packages is rarer than editing), and stops adding paths past a cap.
class CodeWatcher : public QObject
{
    Q_OBJECT
public:
    explicit CodeWatcher(QString root, QObject *parent = nullptr);

    QString root() const { return m_root; }
    int watchedCount() const;

signals:
    void changed();

private:
    void rescan();
    void onEvent();

    QString m_root;
    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
};

} // namespace tarmac
