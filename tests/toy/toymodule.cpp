#include "toymodule.h"

#include "template/stack.h"

namespace tarmac {

namespace {

constexpr Support E = Support::Emulated;

class ThingType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"Tarmac::Toy::Thing", E, "",
            {
                {"ThingName", E, ""},
                {"Colour", E, ""},
            }};
        return info;
    }
    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &naming) const override
    {
        ResourceIdentity id;
        id.physicalId = stringProperty(properties, "ThingName");
        if (id.physicalId.isEmpty())
            id.physicalId = generatedPhysicalName(naming, logicalId, 64, true);
        id.ref = Json(id.physicalId.toStdString());
        id.attributes.insert(QStringLiteral("Arn"),
            Json(naming.arn("toy", QStringLiteral("thing/") + id.physicalId).toStdString()));
        return id;
    }
};

class SubscriptionType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"Tarmac::Toy::Subscription", E, "",
            {
                {"Thing", E, ""},
                {"FunctionArn", E, ""},
            }};
        return info;
    }
};

// `Events: {Poke: {Type: Toy, Properties: {Thing: !Ref T}}}` → a subscription of the function.
class ToyEvent : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("Toy"); }
    Result<EventExpansion> expand(const FunctionEvent &event) const override
    {
        if (!event.properties.contains("Thing"))
            return makeError(
                QStringLiteral("InvalidEvent"), QStringLiteral("Toy events need a Thing."));
        ExpandedResource r;
        r.logicalId = event.functionLogicalId + event.name + QStringLiteral("Subscription");
        r.type = QStringLiteral("Tarmac::Toy::Subscription");
        r.properties = {{"Thing", event.properties["Thing"]},
            {"FunctionArn",
                {{"Fn::GetAtt", Json::array({event.functionLogicalId.toStdString(), "Arn"})}}}};
        EventExpansion out;
        out.resources.append(r);
        return out;
    }
};

const ThingType g_thing;
const SubscriptionType g_subscription;
const ToyEvent g_event;

QString str(const Json &properties, const char *name)
{
    return stringProperty(properties, name);
}

} // namespace

ToyModule::ToyModule(QObject *parent)
    : ServiceModule(parent)
{ }
ToyModule::~ToyModule() = default;

Result<void> ToyModule::start(const EngineContext &context)
{
    m_region = context.region;
    m_account = context.accountId;
    return {};
}

QList<SampleEvent> ToyModule::sampleEvents() const
{
    SampleEvent e;
    e.source = QStringLiteral("toy-poke");
    e.description = QStringLiteral("A toy thing is poked");
    e.options = {{QStringLiteral("thing"), QStringLiteral("The thing (example-thing).")}};
    e.generate = [](const QMap<QString, QString> &options) -> Result<QByteArray> {
        const QString thing
            = options.value(QStringLiteral("thing"), QStringLiteral("example-thing"));
        if (thing.isEmpty())
            return makeError(QStringLiteral("InvalidOption"), QStringLiteral("thing: give a name"));
        return toJsonBytes(Json {{"source", "tarmac.toy"}, {"thing", thing.toStdString()}});
    };
    return {e};
}

QList<const ResourceType *> ToyModule::resourceTypes() const
{
    return {&g_thing, &g_subscription};
}

QList<const FunctionEventType *> ToyModule::functionEventTypes() const
{
    return {&g_event};
}

Result<void> ToyModule::putResource(const StackResource &resource, const StackResource *previous)
{
    m_log.append(QStringLiteral("put %1%2")
                     .arg(resource.logicalId, previous ? QStringLiteral(" (update)") : QString()));
    if (resource.type == QLatin1String("Tarmac::Toy::Thing")) {
        Thing &t = m_things[resource.physicalId];
        t.colour = str(resource.properties, "Colour");
        return {};
    }
    const QString thing = str(resource.properties, "Thing");
    if (!m_things.contains(thing))
        return makeError(
            QStringLiteral("NotFound"), QStringLiteral("there is no thing %1").arg(thing));
    m_things[thing].subscriptions.insert(
        resource.logicalId, str(resource.properties, "FunctionArn"));
    m_subscriptionThing.insert(resource.physicalId, thing);
    return {};
}

Result<QString> ToyModule::deleteResource(const StackResource &resource)
{
    m_log.append(QStringLiteral("delete %1").arg(resource.logicalId));
    if (resource.type == QLatin1String("Tarmac::Toy::Thing")) {
        m_things.remove(resource.physicalId);
    } else {
        const QString thing = m_subscriptionThing.take(resource.physicalId);
        if (m_things.contains(thing))
            m_things[thing].subscriptions.remove(resource.logicalId);
    }
    return QStringLiteral("removed");
}

QList<CatalogKind> ToyModule::catalogKinds() const
{
    return {CatalogKind {QStringLiteral("toything"), QStringLiteral("Toy things"),
        QStringLiteral("No toy things yet: a template with a Tarmac::Toy::Thing.")}};
}

Result<QString> ToyModule::runActionWith(const QString &kind, const QString &name,
    const QString &action, const QMap<QString, QString> &fields)
{
    if (kind != QLatin1String("toything") || action != QLatin1String("paint")
        || !m_things.contains(name))
        return ServiceModule::runActionWith(kind, name, action, fields);
    m_things[name].colour = fields.value(QStringLiteral("colour"));
    return QStringLiteral("painted %1 %2: %3")
        .arg(name, m_things[name].colour, fields.value(QStringLiteral("note")));
}

QList<CatalogEntry> ToyModule::catalog() const
{
    QList<CatalogEntry> out;
    for (auto it = m_things.cbegin(); it != m_things.cend(); ++it) {
        CatalogEntry e;
        e.kind = QStringLiteral("toything");
        e.name = it.key();
        e.arn = QStringLiteral("arn:aws:toy:%1:%2:thing/%3").arg(m_region, m_account, it.key());
        e.counts = {{QStringLiteral("subscribers"), int(it->subscriptions.size())}};
        e.status
            = QStringLiteral("%1 · %2 subscriber(s)").arg(it->colour).arg(it->subscriptions.size());
        e.properties = {{QStringLiteral("Colour"), it->colour}};
        e.actions = {QStringLiteral("browse"), QStringLiteral("paint")};
        e.actionFields.insert(QStringLiteral("paint"),
            {{QStringLiteral("colour"), QStringLiteral("Colour"), QString(),
                 {QStringLiteral("red"), QStringLiteral("green"), QStringLiteral("blue")}},
                {QStringLiteral("note"), QStringLiteral("Note"), QStringLiteral("why"), {},
                    QStringLiteral("for a test")}});
        out.append(e);
    }
    return out;
}

Result<CatalogPage> ToyModule::browse(
    const QString &kind, const QString &name, const QString &after, int max) const
{
    if (kind != QLatin1String("toything") || !m_things.contains(name))
        return ServiceModule::browse(kind, name, after, max);
    CatalogPage page;
    const Thing &t = m_things[name];
    for (auto it = t.subscriptions.cbegin(); it != t.subscriptions.cend(); ++it) {
        if (it.key() > after && page.items.size() < max)
            page.items.append(CatalogItem {it.key(), 0, 0, it.value()});
    }
    return page;
}

} // namespace tarmac
