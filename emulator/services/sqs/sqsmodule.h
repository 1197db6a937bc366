#pragma once

#include "services/messagetargets.h"
#include "services/servicemodule.h"

#include <memory>

namespace tarmac {

class EventSourceMappings;
class SqsEventSource;
class SqsJsonApi;
class SqsStore;
struct SqsSendRequest;

// SQS: queues on the edge port (both protocols; SqsStore holds the queues and their
// messages in the state), each queue as an event source for functions (SqsEventSource,
// registered with the engine's event-source mappings) and as a message target for other
// services (S3's notifications, functions' destinations: MessageTargets), AWS::SQS::Queue in
// templates, and queues in the resource catalog. Wiring only.
class SqsModule : public ServiceModule, public MessageTarget
{
    Q_OBJECT
public:
    explicit SqsModule(QObject *parent = nullptr);
    ~SqsModule() override;

    QString name() const override { return QStringLiteral("sqs"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    // Reads the queues again (SqsStore::reload()), forgets the move tasks, answers or re-arms
    // the long polls and wakes the mappings of every queue there was or is.
    Result<void> flushState() override;
    Result<void> reloadState() override;
    // AWS::SQS::Queue (and QueuePolicy, accepted), SAM's SQS event (sqsresources).
    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;
    QStringList messageTargetServices() const override { return {QStringLiteral("sqs")}; }
    QStringList eventSourceServices() const override { return {QStringLiteral("sqs")}; }

    // Queues in the resource catalog: counts, their messages to peek, delete and send, purge,
    // and for a dead-letter queue, redrive to its sources.
    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const override;
    Result<CatalogItemBody> readItem(
        const QString &kind, const QString &name, const QString &key) const override;
    Result<void> deleteItem(const QString &kind, const QString &name, const QString &key) override;
    void putItem(const QString &kind, const QString &name, const QString &key, const QString &file,
        std::function<void(Result<void>)> done) override;
    Result<QString> runAction(
        const QString &kind, const QString &name, const QString &action) override;

    // MessageTarget: a standard queue takes the message as sent, with the sender's trace.
    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override;
    bool targetExists(const QString &arn) const override;
    // Messages for several queues (a topic's fan-out) committed in one write.
    QList<Result<void>> deliverMessages(
        const QList<std::pair<QString, TargetMessage>> &messages) override;

private:
    // The queue and the send a message for `arn` is, or the queue's error.
    Result<std::pair<QString, SqsSendRequest>> sendFor(
        const QString &arn, const TargetMessage &message) const;

    std::unique_ptr<SqsStore> m_store;
    std::unique_ptr<SqsJsonApi> m_api;
    std::unique_ptr<SqsEventSource> m_source;
    EventSourceMappings *m_mappings = nullptr;
    MessageTargets *m_targets = nullptr;
    QUrl m_edgeUrl;
};

} // namespace tarmac
