#include "services/sns/snsmodule.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "http/edgerouter.h"
#include "services/sns/snsapi.h"
#include "services/sns/snsdelivery.h"
#include "services/sns/snsresources.h"
#include "services/sns/snssigner.h"
#include "services/sns/snsstore.h"
#include "template/stack.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLocale>

namespace tarmac {

namespace {

const QString kTopicKind = QStringLiteral("topic");

Error notRunning()
{
    return makeError(QStringLiteral("ServiceUnavailable"),
        QStringLiteral("the sns module has not started"), 503);
}

} // namespace

SnsModule::SnsModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<SnsApi>())
{ }

SnsModule::~SnsModule()
{
    if (m_targets)
        m_targets->remove(this);
    m_api.reset(); // no request reaches the delivery or the store after this
}

HttpHandler *SnsModule::edgeHandler()
{
    return m_api.get();
}

Result<void> SnsModule::start(const EngineContext &context)
{
    m_clock = context.clock;
    m_store = std::make_unique<SnsStore>(
        context.store, context.clock, context.region, context.accountId);
    if (auto r = m_store->open(); !r)
        return r;
    // The key is made or read when the first message is signed, not here.
    m_signer
        = std::make_unique<LazySnsSigner>(QDir(context.stateDir).filePath(QStringLiteral("sns")));
    m_delivery = std::make_unique<SnsDelivery>(context, m_store.get(), m_signer.get());
    if (auto r = m_delivery->open(); !r)
        return r;
    m_api->attach(m_store.get(), m_delivery.get(), m_signer.get(), context.clock);
    if (context.edgeRouter)
        context.edgeRouter->addInternalRoute(QByteArray(SnsApi::prefix), m_api.get());
    m_targets = context.messageTargets;
    if (m_targets)
        m_targets->add(QStringLiteral("sns"), this);
    return {};
}

QList<BusyItem> SnsModule::busy(bool includeFuture) const
{
    Q_UNUSED(includeFuture); // the outbox's retries are never far off (20 s by default)
    return m_delivery ? m_delivery->busy() : QList<BusyItem> {};
}

Result<void> SnsModule::reloadState()
{
    if (!m_store || !m_delivery)
        return {};
    // The topics first: the outbox's retries look up their subscriptions.
    const Result<void> loaded = m_store->reload();
    const Result<void> sent = m_delivery->reload();
    return loaded ? sent : loaded;
}

void SnsModule::stop()
{
    if (m_targets)
        m_targets->remove(this);
    m_targets = nullptr;
    if (m_delivery)
        m_delivery->stop();
}

Result<void> SnsModule::deliverMessage(const QString &arn, const TargetMessage &message)
{
    if (!m_store || !m_delivery)
        return notRunning();
    const std::optional<SnsTopic> topic = m_store->topic(arn);
    if (!topic)
        return SnsStore::notFound(QStringLiteral("Topic does not exist: %1").arg(arn));
    SnsPublish p;
    p.topicArn = arn;
    p.message = QString::fromUtf8(message.body);
    p.traceId = message.traceId;
    p.spanId = message.parentSpanId;
    for (auto it = message.attributes.cbegin(); it != message.attributes.cend(); ++it)
        p.attributes.insert(it.key(), it.value());
    if (topic->fifo()) {
        p.groupId
            = message.messageGroupId.isEmpty() ? QStringLiteral("default") : message.messageGroupId;
        p.deduplicationId = message.deduplicationId;
        // Without content-based deduplication each message is its own.
        if (p.deduplicationId.isEmpty() && !topic->contentBasedDeduplication())
            p.deduplicationId = QString::fromLatin1(newRequestId());
    }
    auto published = m_delivery->publish(p);
    if (!published)
        return published.error();
    return {};
}

bool SnsModule::targetExists(const QString &arn) const
{
    return m_store && m_store->topic(arn).has_value();
}

QList<SampleEvent> SnsModule::sampleEvents() const
{
    return {{QStringLiteral("sns-notification"),
        QStringLiteral("a message published to a topic (Records[].Sns)"),
        {{QStringLiteral("topic"), QStringLiteral("The topic's name (my-topic).")},
            {QStringLiteral("message"), QStringLiteral("The message (Hello from SNS!).")},
            {QStringLiteral("subject"), QStringLiteral("The subject (none).")},
            {QStringLiteral("region"), QStringLiteral("The region (us-east-1).")}},
        [](const QMap<QString, QString> &o) -> Result<QByteArray> {
            const QString region = o.value(QStringLiteral("region"), QStringLiteral("us-east-1"));
            const QString topic
                = QStringLiteral("arn:aws:sns:%1:123456789012:%2")
                      .arg(region, o.value(QStringLiteral("topic"), QStringLiteral("my-topic")));
            const QString subscription
                = topic + QStringLiteral(":2bcfbf39-05c3-41de-beaa-fcfcc21c8f55");
            const QString subject = o.value(QStringLiteral("subject"));
            Json sns = {{"Type", "Notification"},
                {"MessageId", "95df01b4-ee98-5cb9-9903-4c221d41eb5e"}, {"TopicArn", toStd(topic)},
                {"Subject", subject.isEmpty() ? Json() : Json(toStd(subject))},
                {"Message",
                    toStd(o.value(QStringLiteral("message"), QStringLiteral("Hello from SNS!")))},
                {"Timestamp", toStd(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs))},
                {"SignatureVersion", "1"}, {"Signature", "EXAMPLE"},
                {"SigningCertUrl",
                    toStd(QStringLiteral("https://sns.%1.amazonaws.com/"
                                         "SimpleNotificationService-0000000000000000000000.pem")
                              .arg(region))},
                {"UnsubscribeUrl",
                    toStd(QStringLiteral("https://sns.%1.amazonaws.com/"
                                         "?Action=Unsubscribe&SubscriptionArn=%2")
                              .arg(region, subscription))},
                {"MessageAttributes", Json::object()}};
            Json record = {{"EventSource", "aws:sns"}, {"EventVersion", "1.0"},
                {"EventSubscriptionArn", toStd(subscription)}, {"Sns", sns}};
            return toJsonBytes(Json {{"Records", Json::array({record})}}, 2);
        }}};
}

QList<const ResourceType *> SnsModule::resourceTypes() const
{
    return {&snsresources::topicType(), &snsresources::subscriptionType(),
        &snsresources::topicPolicyType()};
}

QList<const FunctionEventType *> SnsModule::functionEventTypes() const
{
    return {&snsresources::snsEventType()};
}

Result<void> SnsModule::putResource(const StackResource &resource, const StackResource *previous)
{
    const bool topic = resource.type == QLatin1String("AWS::SNS::Topic");
    const bool subscription = resource.type == QLatin1String("AWS::SNS::Subscription");
    if (!topic && !subscription)
        return ServiceModule::putResource(resource, previous);
    if (!m_store)
        return notRunning();
    if (subscription) {
        auto spec = snsresources::subscriptionSpec(resource.properties);
        if (!spec)
            return spec.error();
        auto s = m_store->subscribe(
            spec->topicArn, spec->protocol, spec->endpoint, spec->attributes, resource.physicalId);
        if (!s)
            return s.error();
        if (!s->confirmed && m_delivery)
            m_delivery->requestConfirmation(*s);
        return {};
    }
    auto spec = snsresources::topicSpec(resource.physicalId, resource.properties);
    if (!spec)
        return spec.error();
    const QString arn = resource.physicalId;
    const std::optional<SnsTopic> existing = m_store->topic(arn);
    if (!existing) {
        auto created = m_store->createTopic(spec->name, spec->attributes, spec->tags);
        if (!created)
            return created.error();
    } else {
        // Defined again (a restart, a template edit): the topic keeps its subscriptions, and
        // only what the template changed is written.
        for (auto it = spec->attributes.cbegin(); it != spec->attributes.cend(); ++it) {
            if (it.key() == u"FifoTopic" || existing->attributes.value(it.key()) == it.value())
                continue;
            if (auto r = m_store->setTopicAttribute(arn, it.key(), it.value()); !r)
                return r;
        }
        bool tagsChanged = false;
        for (auto it = spec->tags.cbegin(); it != spec->tags.cend(); ++it)
            tagsChanged = tagsChanged || existing->tags.value(it.key()) != it.value()
                || !existing->tags.contains(it.key());
        if (tagsChanged) {
            if (auto r = m_store->tag(arn, spec->tags); !r)
                return r;
        }
    }
    for (const snsresources::SubscriptionSpec &s : spec->subscriptions) {
        auto made = m_store->subscribe(arn, s.protocol, s.endpoint, s.attributes);
        if (!made)
            return made.error();
        if (!made->confirmed && m_delivery)
            m_delivery->requestConfirmation(*made);
    }
    return {};
}

Result<QString> SnsModule::deleteResource(const StackResource &resource)
{
    if (!m_store)
        return QStringLiteral("removed");
    if (resource.type == QLatin1String("AWS::SNS::Topic")) {
        if (auto r = m_store->deleteTopic(resource.physicalId); !r)
            return r.error();
    } else if (resource.type == QLatin1String("AWS::SNS::Subscription")) {
        auto r = m_store->unsubscribe(resource.physicalId);
        if (!r && r.error().code != QLatin1String("NotFound"))
            return r.error();
    }
    return QStringLiteral("removed");
}

QString SnsModule::topicArnOf(const QString &name) const
{
    return m_store ? m_store->topicArn(name) : QString();
}

QList<CatalogKind> SnsModule::catalogKinds() const
{
    return {{kTopicKind, tr("Topics"),
        tr("No topics yet: add an AWS::SNS::Topic to the template, or run aws sns create-topic "
           "--name NAME --endpoint-url EDGE")}};
}

QList<CatalogEntry> SnsModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_store)
        return out;
    const QLocale locale;
    for (const QString &arn : m_store->topicArns()) {
        const std::optional<SnsTopic> t = m_store->topic(arn);
        if (!t)
            continue;
        const QList<SnsSubscription> subs = m_store->subscriptions(arn);
        int pending = 0;
        for (const SnsSubscription &s : subs)
            pending += s.confirmed ? 0 : 1;
        CatalogEntry e;
        e.kind = kTopicKind;
        e.name = t->name;
        e.arn = arn;
        e.physicalId = arn;
        e.counts = {{QStringLiteral("subscriptions"), subs.size() - pending},
            {QStringLiteral("pending"), pending}};
        e.status = tr("%n subscription(s)", nullptr, int(subs.size() - pending));
        if (pending > 0)
            e.status += tr(" · %1 pending").arg(locale.toString(pending));
        e.tooltip = arn;
        e.properties = {{tr("ARN"), arn}, {tr("Type"), t->fifo() ? tr("FIFO") : tr("Standard")}};
        if (!t->attributes.value(QStringLiteral("DisplayName")).isEmpty())
            e.properties.append(
                {tr("Display name"), t->attributes.value(QStringLiteral("DisplayName"))});
        for (const SnsSubscription &s : subs)
            e.properties.append({s.protocol, s.endpoint});
        e.actions = {QStringLiteral("browse")};
        if (pending > 0)
            e.warning = tr("%n subscription(s) waiting for confirmation", nullptr, pending);
        out.append(e);
    }
    return out;
}

Result<CatalogPage> SnsModule::browse(
    const QString &kind, const QString &name, const QString &after, int max) const
{
    if (kind != kTopicKind)
        return ServiceModule::browse(kind, name, after, max);
    if (!m_store)
        return notRunning();
    const QString arn = topicArnOf(name);
    if (!m_store->topic(arn))
        return SnsStore::notFound(QStringLiteral("Topic does not exist"));
    CatalogPage page;
    const int limit = std::clamp(max, 1, 1000);
    for (const SnsSubscription &s : m_store->subscriptions(arn)) {
        if (!after.isEmpty() && s.arn <= after)
            continue;
        if (page.items.size() >= limit) {
            page.truncated = true;
            break;
        }
        QStringList detail {s.protocol + QStringLiteral(" → ") + s.endpoint};
        if (!s.confirmed)
            detail.append(tr("pending confirmation"));
        if (s.raw())
            detail.append(tr("raw"));
        if (s.filter)
            detail.append(tr("filtered"));
        page.items.append({s.arn, 0, 0, detail.join(QStringLiteral(" · "))});
    }
    return page;
}

Result<CatalogItemBody> SnsModule::readItem(
    const QString &kind, const QString &name, const QString &key) const
{
    if (kind != kTopicKind)
        return ServiceModule::readItem(kind, name, key);
    if (!m_store)
        return notRunning();
    auto attributes = m_store->subscriptionAttributes(key);
    if (!attributes)
        return attributes.error();
    Json j = Json::object();
    for (auto it = attributes->cbegin(); it != attributes->cend(); ++it)
        j[toStd(it.key())] = toStd(it.value());
    return CatalogItemBody {toJsonBytes(j, 2), QString()};
}

Result<void> SnsModule::deleteItem(const QString &kind, const QString &name, const QString &key)
{
    if (kind != kTopicKind)
        return ServiceModule::deleteItem(kind, name, key);
    if (!m_store)
        return notRunning();
    return m_store->unsubscribe(key);
}

void SnsModule::putItem(const QString &kind, const QString &name, const QString &key,
    const QString &file, std::function<void(Result<void>)> done)
{
    if (kind != kTopicKind || !m_store) {
        ServiceModule::putItem(kind, name, key, file, std::move(done));
        return;
    }
    // The file's content is published to the topic (the key is not kept).
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        done(SnsStore::invalidParameter(tr("cannot read %1: %2").arg(file, f.errorString())));
        return;
    }
    TargetMessage m;
    m.body = f.read(256 * 1024 + 1);
    if (m.body.size() > 256 * 1024) {
        done(SnsStore::invalidParameter(QStringLiteral("Invalid parameter: Message too long")));
        return;
    }
    m.messageGroupId = QStringLiteral("desktop");
    done(deliverMessage(topicArnOf(name), m));
}

} // namespace tarmac
