#pragma once

#include "base/result.h"
#include "template/stack.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QFileSystemWatcher;
class QTimer;

namespace tarmac {

class Engine;
class LambdaModule;
class S3Module;

// Runs a project's template: loads it (StackLoader), creates its functions and buckets
// through the Lambda and S3 models (never their wire APIs), sets the buckets' CORS, tags and
// notifications, and keeps them in step with the file. When the template changes it loads it
// again and applies only the difference: new resources are created, changed ones updated in
// place (a bucket keeps its objects; a function's instances are replaced), removed ones
// deleted, unless DeletionPolicy is Retain or, as on AWS, a bucket still holds objects. A
// template that no longer loads leaves the running stack as it was and reports the error.
// Changes to a function's code are the runner's business (FunctionConfig::watchCode).
//
// It reports on stderr (the fidelity report at start, every reload), in /_tarmac/health
// (field "template"), and through its signals. Which buckets it created is kept in the state
// (table stack_resources), so a bucket removed from the template while Tarmac was not running
// is removed at the next start. Lives on the engine's thread; it does not parse templates or
// know any wire protocol.
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

signals:
    void reloaded(const QStringList &changes);
    void reloadFailed(const QString &error);

private:
    Result<Stack> load() const;
    Result<QStringList> apply(const Stack &next);
    Result<void> putFunction(const FunctionSpec &spec);
    Result<void> removeFunction(const FunctionSpec &spec);
    Result<void> putBucket(const BucketSpec &spec, const QList<BucketNotification> &notifications, bool created);
    // Deletes a bucket the stack no longer has; the phrase says what happened.
    QString removeBucket(const QString &logicalId, const QString &name, bool retain);
    Result<QString> inlineCodeDir(const FunctionSpec &spec) const;
    Result<QList<std::pair<QString, QString>>> recordedBuckets() const;
    Result<void> recordBuckets(const Stack &stack);
    void watch();
    void onFileChanged();
    void publishHealth();
    void printReport(const Stack &stack) const;

    Engine *m_engine;
    QString m_templatePath;
    S3Module *m_s3 = nullptr;
    LambdaModule *m_lambda = nullptr;
    std::optional<Stack> m_stack;
    QString m_lastError;
    QStringList m_lastChanges;
    QByteArray m_lastTemplateBytes;
    std::unique_ptr<QFileSystemWatcher> m_watcher;
    std::unique_ptr<QTimer> m_debounce;
};

} // namespace tarmac
