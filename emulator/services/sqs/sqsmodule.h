#pragma once

#include "services/servicemodule.h"

#include <memory>

namespace tarmac {

class EventSourceMappings;
class SqsEventSource;
class SqsJsonApi;
class SqsStore;

// SQS: queues on the edge port (the JSON protocol; SqsStore holds the queues and their
// messages in the state), and each queue as an event source for functions (SqsEventSource,
// registered with the engine's event-source mappings), and AWS::SQS::Queue in templates.
// Wiring only. Not yet: the query protocol, S3 notifications and async destinations to
// queues.
class SqsModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit SqsModule(QObject *parent = nullptr);
    ~SqsModule() override;

    QString name() const override { return QStringLiteral("sqs"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    // AWS::SQS::Queue (and QueuePolicy, accepted), SAM's SQS event (sqsresources).
    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

private:
    std::unique_ptr<SqsStore> m_store;
    std::unique_ptr<SqsJsonApi> m_api;
    std::unique_ptr<SqsEventSource> m_source;
    EventSourceMappings *m_mappings = nullptr;
};

} // namespace tarmac
