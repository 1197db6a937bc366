#pragma once

#include "services/messagetargets.h"
#include "services/servicemodule.h"

#include <QHash>

#include <memory>

namespace tarmac {

class EventBridge;
class EventTargetSender;
class EventsJsonApi;
class FireApi;
class ScheduleTimers;
class Scheduler;
class SchedulerRestApi;

// EventBridge (`events`): buses, rules and PutEvents on the edge port, rules with schedule
// expressions ticking on the engine's clock, the template's rules and buses, and event buses
// as MessageTargets (`events` ARNs: a schedule's or another rule's EventBridge target).
// Serves /_tarmac/schedules/NAME/fire for its rules and the Scheduler's schedules.
class EventsModule : public ServiceModule, public MessageTarget
{
    Q_OBJECT
public:
    explicit EventsModule(QObject *parent = nullptr);
    ~EventsModule() override;

    QString name() const override { return QStringLiteral("events"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    Result<void> reloadState() override;
    QList<SampleEvent> sampleEvents() const override;

    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    QStringList messageTargetServices() const override { return {QStringLiteral("events")}; }
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<QString> runAction(
        const QString &kind, const QString &name, const QString &action) override;

    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override;
    bool targetExists(const QString &arn) const override;

    // Fires a rule (name, template logical id or ARN) now; what fired, as a phrase. Engine
    // thread.
    Result<QString> fireNow(const QString &name);

private:
    // Removes every target of a rule ({"Rule", "EventBusName"}), before it is deleted or its
    // targets are replaced by the template's.
    void removeAllTargets(const Json &rule);

    EngineContext m_context;
    std::unique_ptr<EventsJsonApi> m_api;
    std::unique_ptr<EventBridge> m_model;
    std::unique_ptr<EventTargetSender> m_sender;
    std::unique_ptr<ScheduleTimers> m_timers;
    std::unique_ptr<FireApi> m_fireApi;
    QHash<QString, QString> m_logicalIds; // template logical id → rule name
};

// EventBridge Scheduler (`scheduler`): schedule groups and schedules on the edge port, each
// schedule ticking on the engine's clock in its time zone, and the template's schedules.
class SchedulerModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit SchedulerModule(QObject *parent = nullptr);
    ~SchedulerModule() override;

    QString name() const override { return QStringLiteral("scheduler"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    Result<void> reloadState() override;

    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<QString> runAction(
        const QString &kind, const QString &name, const QString &action) override;

    // Fires a schedule (name, "group/name", logical id or ARN) now. Engine thread.
    Result<QString> fireNow(const QString &name);

private:
    EngineContext m_context;
    std::unique_ptr<SchedulerRestApi> m_api;
    std::unique_ptr<Scheduler> m_model;
    std::unique_ptr<EventTargetSender> m_sender;
    std::unique_ptr<ScheduleTimers> m_timers;
    QHash<QString, QString> m_logicalIds; // template logical id → "group/name"
};

} // namespace tarmac
