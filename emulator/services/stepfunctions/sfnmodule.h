#pragma once

#include "services/messagetargets.h"
#include "services/servicemodule.h"
#include "services/stepfunctions/asldefinition.h"
#include "services/stepfunctions/sfnstore.h"

#include <QHash>

#include <atomic>
#include <memory>

namespace tarmac {

class HttpResponder;
class SfnApi;
class SfnExecutor;

// Step Functions (issue 23): state machines and their executions, on the JSON 1.0 protocol
// (X-Amz-Target AWSStepFunctions.*) at the edge port, run by SfnExecutor on the engine's
// clock and Dispatcher; state machines from templates (AWS::StepFunctions::StateMachine,
// AWS::Serverless::StateMachine; sfnresources.h). Operations run on the engine's thread.
// State machines are message targets ("states" ARNs): an EventBridge rule's or a schedule's
// event starts an execution with the event as its input.
class SfnModule : public ServiceModule, public MessageTarget
{
    Q_OBJECT
public:
    explicit SfnModule(QObject *parent = nullptr);
    ~SfnModule() override;

    QString name() const override { return QStringLiteral("stepfunctions"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    // The running executions' history and checkpoints not written yet, before a snapshot.
    Result<void> flushState() override;
    Result<void> reloadState() override;
    QList<BusyItem> busy(bool includeFuture) const override;

    QList<const ResourceType *> resourceTypes() const override;
    QStringList messageTargetServices() const override { return {QStringLiteral("states")}; }
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    // "start execution", with a name and an input.
    Result<QString> runActionWith(const QString &kind, const QString &name, const QString &action,
        const QMap<QString, QString> &fields) override;

    // One API call (engine thread): answers through `responder` (StartSyncExecution answers
    // when the execution ends).
    void call(const QString &operation, const Json &body, const QByteArray &traceId,
        const QByteArray &requestId, const HttpResponder &responder);

    // MessageTarget: StartExecution of the state machine `arn` with the message as its input
    // (a standard execution is saved before it returns). Any thread: the work is done on the
    // engine's.
    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override;
    bool targetExists(const QString &arn) const override;

private:
    struct Machine
    {
        SfnMachine row;
        std::shared_ptr<const AslStateMachine> parsed;
    };

    Result<Json> createStateMachine(const Json &body);
    Result<Json> describeStateMachine(const Json &body) const;
    Result<Json> updateStateMachine(const Json &body);
    Result<Json> deleteStateMachine(const Json &body);
    Result<Json> listStateMachines(const Json &body) const;
    Result<SfnExecution> startExecution(const Json &body, const QByteArray &traceId, bool sync,
        std::function<void(const SfnExecution &)> finished);
    Result<Json> describeExecution(const Json &body) const;
    Result<Json> stopExecution(const Json &body);
    Result<Json> listExecutions(const Json &body) const;
    Result<Json> getExecutionHistory(const Json &body);
    Result<Json> describeMapRun(const Json &body) const;
    Result<Json> listMapRuns(const Json &body) const;
    Result<Json> updateMapRun(const Json &body);
    // An execution started or changed (a distributed Map's child: the executor tells).
    void keepExecution(const SfnExecution &e);
    Result<Json> sendTask(const QString &operation, const Json &body);
    Result<Json> validateDefinition(const Json &body) const;
    // TestState: `done` with the answer once the state has run (an error before it runs).
    Result<void> testState(const Json &body, std::function<void(const Result<Json> &)> done);

    Result<void> load();
    Result<void> putMachine(SfnMachine row);
    const Machine *machine(const QString &arn) const;
    QString machineArn(const QString &name) const;
    Json executionJson(const SfnExecution &e, bool full) const;

    std::unique_ptr<SfnApi> m_api;
    std::unique_ptr<SfnStore> m_store;
    std::unique_ptr<SfnExecutor> m_executor;
    QHash<QString, Machine> m_machines; // by ARN
    QHash<QString, SfnExecution> m_executions; // by ARN: standard ones, and finished express
    QList<QString> m_executionOrder; // ARNs, oldest first
    QHash<QString, SfnMapRun> m_mapRuns; // by ARN, as last saved (the executor has live counts)
    QList<QString> m_mapRunOrder; // ARNs, oldest first
    Clock *m_clock = nullptr;
    MessageTargets *m_targets = nullptr;
    QString m_region;
    QString m_accountId;
};

} // namespace tarmac
