#pragma once

#include "base/result.h"
#include "template/stack.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QFileSystemWatcher;
class QTimer;

namespace tarmac {

class Engine;
class ServiceModule;

// Runs a project's template: loads it (StackLoader, with the resource and SAM event types the
// services offer), creates each resource through the service that offers its type
// (ServiceModule::putResource: functions through Lambda's model, buckets through S3's, never
// a wire API), and keeps them in step with the file. When the template changes it loads it
// again and applies only the difference: new resources are created, changed ones updated in
// place (a bucket keeps its objects; a function's instances are replaced), removed ones
// deleted, unless DeletionPolicy is Retain or, as on AWS, a bucket still holds objects. A
// template that no longer loads leaves the running stack as it was and reports the error.
// Changes to a function's code are the runner's business (FunctionConfig::watchCode).
//
// It reports on stderr (the fidelity report at start, every reload), in /_tarmac/health
// (field "template"), and through its signals. Which services' resources it created is kept
// in the state (table stack_resources), so one removed from the template while Tarmac was not
// running is removed at the next start. Lives on the engine's thread; it does not parse templates
// or know any wire protocol.
class StackApplier : public QObject
{
    Q_OBJECT
public:
    // `engine` has started its modules; `templatePath` is the template file.
    StackApplier(Engine *engine, QString templatePath, QObject *parent = nullptr);
    ~StackApplier() override;

    // Loads and applies the template and starts watching it. An error is one line, fit for
    // a user, and leaves nothing half-applied that a later start would not fix.
    Result<void> start();
    // Stops watching; what runs stays.
    void stop();

    // Loads the template again now and applies the difference; returns what changed, one
    // phrase each ("function Fn updated"). On an error the running stack is left as it is.
    Result<QStringList> reload();

    const Stack *stack() const { return m_stack ? &*m_stack : nullptr; }
    QString templatePath() const { return m_templatePath; }
    // The last reload error, or empty.
    QString lastError() const { return m_lastError; }
    // "Outputs:\n  Name: value\n" for stdout after the ready line; empty without outputs.
    QByteArray outputsText() const;
    // What /_tarmac/health shows as "template": path, status, error, stack, resources,
    // outputs, fidelity {unsupported, ignored, items}, lastChanges.
    Json status() const;

signals:
    void reloaded(const QStringList &changes);
    void reloadFailed(const QString &error);
    // After start, every reload and every failed one: status() changed.
    void changed();

private:
    Result<Stack> load() const;
    Result<QStringList> apply(const Stack &next);
    // "bucket Photos", or just the logical id when its type has no noun.
    QString named(const StackResource &resource) const;
    // The module that offers and creates the type, or null.
    ServiceModule *ownerOf(const QString &type) const { return m_owners.value(type); }
    // Deletes a resource of a service's type that the stack no longer has; the phrase says
    // what happened.
    QString removeOffered(const StackResource &resource);
    // What the last run created that a start must clean up if the template lost it: buckets
    // and the services' resources (logical id, type, physical id).
    Result<QList<StackResource>> recordedResources() const;
    Result<void> recordResources(const Stack &stack);
    void watch();
    void onFileChanged();
    void publishHealth();
    void printReport(const Stack &stack) const;

    Engine *m_engine;
    QString m_templatePath;
    QHash<QString, ServiceModule *> m_owners; // resource type → the module that creates it
    QHash<QString, QString> m_nouns; // resource type → "bucket"
    std::optional<Stack> m_stack;
    QString m_lastError;
    QStringList m_lastChanges;
    QByteArray m_lastTemplateBytes;
    std::unique_ptr<QFileSystemWatcher> m_watcher;
    std::unique_ptr<QTimer> m_debounce;
};

} // namespace tarmac
