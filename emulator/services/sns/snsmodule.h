#pragma once

#include "services/messagetargets.h"
#include "services/servicemodule.h"

#include <memory>

namespace tarmac {

class Clock;
class MessageTargets;
class SnsApi;
class SnsDelivery;
class LazySnsSigner;
class SnsStore;

// SNS: topics and subscriptions (SnsStore) on the edge port (SnsApi, the query protocol),
// fan-out to queues, functions and HTTP endpoints (SnsDelivery) with signed messages
// (SnsSigner, made on first use), topics as targets of other services' messages (S3
// notifications, functions' destinations, EventBridge targets: MessageTargets), AWS::SNS::*
// and SAM's SNS event in templates, and topics in the resource catalog (their subscriptions to
// browse; a file put on a topic is published). Wiring only.
class SnsModule : public ServiceModule, public MessageTarget
{
    Q_OBJECT
public:
    explicit SnsModule(QObject *parent = nullptr);
    ~SnsModule() override;

    QString name() const override { return QStringLiteral("sns"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    // Reads the topics and subscriptions again, drops the HTTP deliveries under way and
    // sends the outbox's rows (SnsStore::reload(), SnsDelivery::reload()).
    Result<void> reloadState() override;
    QList<BusyItem> busy(bool includeFuture) const override;
    QList<SampleEvent> sampleEvents() const override;

    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;
    QStringList messageTargetServices() const override { return {QStringLiteral("sns")}; }

    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const override;
    Result<CatalogItemBody> readItem(
        const QString &kind, const QString &name, const QString &key) const override;
    Result<void> deleteItem(const QString &kind, const QString &name, const QString &key) override;
    void putItem(const QString &kind, const QString &name, const QString &key, const QString &file,
        std::function<void(Result<void>)> done) override;

    // MessageTarget: a message for a topic is published to it, with the sender's trace.
    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override;
    bool targetExists(const QString &arn) const override;

private:
    QString topicArnOf(const QString &name) const;

    std::unique_ptr<SnsApi> m_api;
    std::unique_ptr<SnsStore> m_store;
    std::unique_ptr<LazySnsSigner> m_signer;
    std::unique_ptr<SnsDelivery> m_delivery; // made on the engine's thread, at start()
    MessageTargets *m_targets = nullptr;
    const Clock *m_clock = nullptr;
};

} // namespace tarmac
