#pragma once

#include "services/servicemodule.h"

#include <QMap>

namespace tarmac {

// A toy service that plugs into every part of the seam a real one does, and nothing else:
// - a resource type, Tarmac::Toy::Thing (ThingName, Colour; Ref is the name, GetAtt Arn),
// - a SAM function event type, Toy (`Properties: {Thing: !Ref T}`), which expands into a
//   Tarmac::Toy::Subscription naming the function's ARN,
// - a catalog kind ("toything") whose entries count their subscribers and offer "browse"
//   (a thing's items are its subscriptions) and "paint", an action with fields (a colour
//   to choose and a note),
// - a sample event, toy-poke,
// - a service entry in /_tarmac/health (every module has one).
// What the stack applied is kept in memory: enough to observe it.
class ToyModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit ToyModule(QObject *parent = nullptr);
    ~ToyModule() override;

    QString name() const override { return QStringLiteral("toy"); }
    Result<void> start(const EngineContext &context) override;
    QList<SampleEvent> sampleEvents() const override;
    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;
    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const override;
    Result<QString> runActionWith(const QString &kind, const QString &name, const QString &action,
        const QMap<QString, QString> &fields) override;

    struct Thing
    {
        QString colour;
        QMap<QString, QString> subscriptions; // logical id → function ARN
    };
    const QMap<QString, Thing> &things() const { return m_things; }
    // Every put and delete, in order ("put Thing1", "delete Thing1").
    const QStringList &log() const { return m_log; }

private:
    QString m_region;
    QString m_account;
    QMap<QString, Thing> m_things; // by name
    QMap<QString, QString> m_subscriptionThing; // subscription physical id → thing name
    QStringList m_log;
};

} // namespace tarmac
