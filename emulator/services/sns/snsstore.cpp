#include "services/sns/snsstore.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "store/store.h"

#include <QUuid>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE sns_topics (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE TABLE sns_subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    attributes TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    token TEXT NOT NULL
);
)sql"},
};

// The attributes CreateTopic and SetTopicAttributes take (SNS's API reference).
const char *const kTopicAttributes[]
    = {"DeliveryPolicy", "DisplayName", "FifoTopic", "Policy", "SignatureVersion", "TracingConfig",
        "KmsMasterKeyId", "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope",
        "DataProtectionPolicy", "ApplicationSuccessFeedbackRoleArn",
        "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn",
        "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "HTTPFailureFeedbackRoleArn",
        "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate",
        "FirehoseFailureFeedbackRoleArn", "LambdaSuccessFeedbackRoleArn",
        "LambdaSuccessFeedbackSampleRate", "LambdaFailureFeedbackRoleArn",
        "SQSSuccessFeedbackRoleArn", "SQSSuccessFeedbackSampleRate", "SQSFailureFeedbackRoleArn"};

const char *const kSubscriptionAttributes[]
    = {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
        "SubscriptionRoleArn", "ReplayPolicy"};

const QStringList kProtocols
    = {QStringLiteral("http"), QStringLiteral("https"), QStringLiteral("email"),
        QStringLiteral("email-json"), QStringLiteral("sms"), QStringLiteral("sqs"),
        QStringLiteral("application"), QStringLiteral("lambda"), QStringLiteral("firehose")};

constexpr qint64 kDedupWindowMs = 5 * 60 * 1000;

QByteArray mapToJson(const QMap<QString, QString> &map)
{
    Json j = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        j[toStd(it.key())] = toStd(it.value());
    return toJsonBytes(j);
}

QMap<QString, QString> mapFromJson(const QString &text)
{
    QMap<QString, QString> out;
    auto j = parseJson(text.toUtf8());
    if (!j || !j->is_object())
        return out;
    for (auto it = j->begin(); it != j->end(); ++it) {
        if (it.value().is_string())
            out.insert(fromStd(it.key()), fromStd(it.value().get<std::string>()));
    }
    return out;
}

bool known(const char *const *begin, const char *const *end, const QString &name)
{
    for (auto it = begin; it != end; ++it) {
        if (name == QLatin1String(*it))
            return true;
    }
    return false;
}

bool validTopicName(const QString &name, bool fifo)
{
    const QString base = fifo ? name.chopped(std::min<qsizetype>(5, name.size())) : name;
    if (name.isEmpty() || name.size() > 256 || base.isEmpty())
        return false;
    if (fifo != name.endsWith(QLatin1String(".fifo")))
        return false;
    for (const QChar c : base) {
        const char16_t u = c.unicode();
        if (!((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
                || u == u'-' || u == u'_'))
            return false;
    }
    return true;
}

bool isBoolText(const QString &v)
{
    return v.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0
        || v.compare(QLatin1String("false"), Qt::CaseInsensitive) == 0;
}

QString defaultPolicy(const QString &arn, const QString &account)
{
    return QStringLiteral(
        "{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
        "\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
        "\"Action\":[\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\","
        "\"SNS:AddPermission\",\"SNS:RemovePermission\",\"SNS:DeleteTopic\",\"SNS:Subscribe\","
        "\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],\"Resource\":\"%1\",\"Condition\":{"
        "\"StringEquals\":{\"AWS:SourceOwner\":\"%2\"}}}]}")
        .arg(arn, account);
}

const QString kEffectiveDeliveryPolicy = QStringLiteral(
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
    "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,"
    "\"backoffFunction\":\"linear\"},\"disableSubscriptionOverrides\":false,"
    "\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}");

} // namespace

Error SnsStore::notFound(const QString &what)
{
    return makeError(QStringLiteral("NotFound"), what, 404);
}

Error SnsStore::invalidParameter(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameter"), message, 400);
}

SnsStore::SnsStore(Store *store, const Clock *clock, QString region, QString accountId)
    : m_store(store)
    , m_clock(clock)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

SnsStore::~SnsStore() = default;

QString SnsStore::topicArn(const QString &name) const
{
    return QStringLiteral("arn:aws:sns:%1:%2:%3").arg(m_region, m_accountId, name);
}

Result<void> SnsStore::open()
{
    if (auto r = m_store->migrateModule(QStringLiteral("sns"), kMigrations); !r)
        return r;
    return reload();
}

Result<void> SnsStore::reload()
{
    QList<SnsTopic> topics;
    QList<SnsSubscription> subscriptions;
    auto loaded = m_store->write([&](Database &db) -> Result<void> {
        auto t = db.prepare("SELECT arn, name, attributes, tags FROM sns_topics");
        if (!t)
            return t.error();
        if (auto r = t->forEachRow([&] {
                topics.append(SnsTopic {
                    t->text(0), t->text(1), mapFromJson(t->text(2)), mapFromJson(t->text(3))});
            });
            !r)
            return r;
        auto s = db.prepare("SELECT arn, topic, protocol, endpoint, attributes, confirmed, token "
                            "FROM sns_subscriptions ORDER BY seq");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            SnsSubscription sub;
            sub.arn = s->text(0);
            sub.topicArn = s->text(1);
            sub.protocol = s->text(2);
            sub.endpoint = s->text(3);
            sub.attributes = mapFromJson(s->text(4));
            sub.confirmed = s->int64(5) != 0;
            sub.token = s->text(6);
            subscriptions.append(sub);
        });
    });
    if (!loaded)
        return loaded;
    for (SnsSubscription &s : subscriptions) {
        auto filter = compileFilter(s.attributes);
        if (filter)
            s.filter = *filter;
    }
    QWriteLocker lock(&m_lock);
    m_topics.clear();
    for (const SnsTopic &t : topics)
        m_topics.insert(t.arn, t);
    m_subscriptions = subscriptions;
    // What FIFO topics deduplicated went with the rows (as with a restart). The sequence
    // numbers stay: they only grow, whatever the rows.
    m_dedup.clear();
    return {};
}

Result<void> SnsStore::saveTopic(const SnsTopic &t)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.cached("INSERT OR REPLACE INTO sns_topics (arn, name, attributes, tags) "
                           "VALUES (?, ?, ?, ?)");
        if (!s)
            return s.error();
        return (*s)
            ->bind(1, t.arn)
            .bind(2, t.name)
            .bind(3, std::string_view(mapToJson(t.attributes)))
            .bind(4, std::string_view(mapToJson(t.tags)))
            .exec();
    });
}

Result<void> SnsStore::saveSubscription(const SnsSubscription &sub)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.cached(
            "INSERT INTO sns_subscriptions (arn, topic, protocol, endpoint, attributes, "
            "confirmed, token) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET "
            "attributes = excluded.attributes, confirmed = excluded.confirmed, "
            "token = excluded.token");
        if (!s)
            return s.error();
        return (*s)
            ->bind(1, sub.arn)
            .bind(2, sub.topicArn)
            .bind(3, sub.protocol)
            .bind(4, sub.endpoint)
            .bind(5, std::string_view(mapToJson(sub.attributes)))
            .bind(6, qint64(sub.confirmed ? 1 : 0))
            .bind(7, sub.token)
            .exec();
    });
}

Result<void> SnsStore::checkTopicAttribute(
    const QString &name, const QString &value, bool creating) const
{
    if (!known(std::begin(kTopicAttributes), std::end(kTopicAttributes), name))
        return invalidParameter(QStringLiteral("Invalid parameter: AttributeName"));
    if (name == u"FifoTopic" && !creating)
        return invalidParameter(QStringLiteral("Invalid parameter: AttributeName"));
    if ((name == u"FifoTopic" || name == u"ContentBasedDeduplication") && !isBoolText(value))
        return invalidParameter(QStringLiteral("Invalid parameter: Attributes Reason: %1: "
                                               "Invalid value [%2]. Must be true or false.")
                                    .arg(name, value));
    if (name == u"SignatureVersion" && value != u"1" && value != u"2")
        return invalidParameter(
            QStringLiteral("Invalid parameter: Attributes Reason: SignatureVersion: Invalid "
                           "value [%1]. Valid values: 1, 2.")
                .arg(value));
    if (name == u"TracingConfig" && value != u"PassThrough" && value != u"Active")
        return invalidParameter(
            QStringLiteral("Invalid parameter: Attributes Reason: TracingConfig: Invalid value "
                           "[%1]. Valid values: PassThrough, Active.")
                .arg(value));
    if ((name == u"Policy" || name == u"DeliveryPolicy" || name == u"ArchivePolicy"
            || name == u"DataProtectionPolicy")
        && !value.isEmpty()) {
        auto j = parseJson(value.toUtf8());
        if (!j || !j->is_object())
            return invalidParameter(
                QStringLiteral("Invalid parameter: %1: failed to parse JSON.").arg(name));
    }
    return {};
}

Result<QString> SnsStore::createTopic(
    const QString &name, QMap<QString, QString> attributes, const QMap<QString, QString> &tags)
{
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        if (auto r = checkTopicAttribute(it.key(), it.value(), true); !r)
            return r.error();
        if (isBoolText(it.value()))
            it.value() = it.value().toLower();
    }
    const bool fifo = attributes.value(QStringLiteral("FifoTopic")) == u"true";
    if (attributes.value(QStringLiteral("FifoTopic")) == u"false")
        attributes.remove(QStringLiteral("FifoTopic"));
    if (!validTopicName(name, fifo)) {
        if (fifo || name.endsWith(QLatin1String(".fifo")))
            return invalidParameter(QStringLiteral(
                "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of "
                "only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
                "and must be between 1 and 256 characters long."));
        return invalidParameter(QStringLiteral("Invalid parameter: Topic Name"));
    }
    if (!fifo && attributes.contains(QStringLiteral("ContentBasedDeduplication")))
        return invalidParameter(
            QStringLiteral("Invalid parameter: Attributes Reason: ContentBasedDeduplication: "
                           "ContentBasedDeduplication is only valid for FIFO topics"));
    const QString arn = topicArn(name);
    {
        QReadLocker lock(&m_lock);
        auto it = m_topics.constFind(arn);
        if (it != m_topics.cend()) {
            for (auto a = attributes.cbegin(); a != attributes.cend(); ++a) {
                if (it->attributes.value(a.key()) != a.value())
                    return invalidParameter(
                        QStringLiteral("Invalid parameter: Attributes Reason: Topic already "
                                       "exists with different attributes"));
            }
            for (auto t = tags.cbegin(); t != tags.cend(); ++t) {
                if (!it->tags.contains(t.key()) || it->tags.value(t.key()) != t.value())
                    return invalidParameter(
                        QStringLiteral("Invalid parameter: Tags Reason: Topic already exists "
                                       "with different tags"));
            }
            return arn;
        }
    }
    SnsTopic t {arn, name, attributes, tags};
    if (auto r = saveTopic(t); !r)
        return r.error();
    QWriteLocker lock(&m_lock);
    m_topics.insert(arn, t);
    return arn;
}

Result<void> SnsStore::deleteTopic(const QString &arn)
{
    auto r = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        for (const char *sql : {"DELETE FROM sns_topics WHERE arn = ?",
                 "DELETE FROM sns_subscriptions WHERE topic = ?"}) {
            auto s = db.prepare(sql);
            if (!s)
                return s.error();
            if (auto e = s->bind(1, arn).exec(); !e)
                return e;
        }
        return tx.commit();
    });
    if (!r)
        return r;
    QWriteLocker lock(&m_lock);
    m_topics.remove(arn);
    m_subscriptions.removeIf([&](const SnsSubscription &s) { return s.topicArn == arn; });
    return {};
}

QStringList SnsStore::topicArns() const
{
    QReadLocker lock(&m_lock);
    return m_topics.keys();
}

std::optional<SnsTopic> SnsStore::topic(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    auto it = m_topics.constFind(arn);
    if (it == m_topics.cend())
        return std::nullopt;
    return *it;
}

Result<void> SnsStore::updateTopic(
    const QString &arn, const Error &missing, const std::function<Result<void>(SnsTopic &)> &change)
{
    std::optional<SnsTopic> t = topic(arn);
    if (!t)
        return missing;
    if (auto r = change(*t); !r)
        return r;
    if (auto r = saveTopic(*t); !r)
        return r;
    QWriteLocker lock(&m_lock);
    if (m_topics.contains(arn))
        m_topics[arn] = *t;
    return {};
}

Result<void> SnsStore::setTopicAttribute(
    const QString &arn, const QString &name, const QString &value)
{
    if (auto r = checkTopicAttribute(name, value, false); !r)
        return r;
    return updateTopic(
        arn, notFound(QStringLiteral("Topic does not exist")), [&](SnsTopic &t) -> Result<void> {
            if (name == u"ContentBasedDeduplication" && !t.fifo())
                return invalidParameter(QStringLiteral(
                    "Invalid parameter: Attributes Reason: ContentBasedDeduplication: "
                    "ContentBasedDeduplication is only valid for FIFO topics"));
            t.attributes.insert(name, isBoolText(value) ? value.toLower() : value);
            return {};
        });
}

Result<QMap<QString, QString>> SnsStore::topicAttributes(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    auto it = m_topics.constFind(arn);
    if (it == m_topics.cend())
        return notFound(QStringLiteral("Topic does not exist"));
    QMap<QString, QString> out = it->attributes;
    int confirmed = 0, pending = 0;
    for (const SnsSubscription &s : m_subscriptions) {
        if (s.topicArn == arn)
            ++(s.confirmed ? confirmed : pending);
    }
    out.insert(QStringLiteral("TopicArn"), arn);
    out.insert(QStringLiteral("Owner"), m_accountId);
    if (!out.contains(QStringLiteral("Policy")))
        out.insert(QStringLiteral("Policy"), defaultPolicy(arn, m_accountId));
    if (!out.contains(QStringLiteral("DisplayName")))
        out.insert(QStringLiteral("DisplayName"), QString());
    out.insert(QStringLiteral("SubscriptionsConfirmed"), QString::number(confirmed));
    out.insert(QStringLiteral("SubscriptionsPending"), QString::number(pending));
    out.insert(QStringLiteral("SubscriptionsDeleted"), QStringLiteral("0"));
    out.insert(QStringLiteral("EffectiveDeliveryPolicy"),
        it->attributes.value(QStringLiteral("DeliveryPolicy"), kEffectiveDeliveryPolicy));
    if (it->fifo()) {
        out.insert(QStringLiteral("FifoTopic"), QStringLiteral("true"));
        if (!out.contains(QStringLiteral("ContentBasedDeduplication")))
            out.insert(QStringLiteral("ContentBasedDeduplication"), QStringLiteral("false"));
    }
    return out;
}

Result<std::shared_ptr<const SnsFilterPolicy>> SnsStore::compileFilter(
    const QMap<QString, QString> &attributes) const
{
    const QString policy = attributes.value(QStringLiteral("FilterPolicy"));
    if (policy.isEmpty())
        return std::shared_ptr<const SnsFilterPolicy>();
    auto scope = SnsFilterPolicy::parseScope(
        attributes.value(QStringLiteral("FilterPolicyScope"), QStringLiteral("MessageAttributes")));
    if (!scope)
        return scope.error();
    auto parsed = SnsFilterPolicy::parse(policy.toUtf8(), *scope);
    if (!parsed)
        return parsed.error();
    return std::make_shared<const SnsFilterPolicy>(std::move(*parsed));
}

Result<void> SnsStore::checkSubscriptionAttribute(
    const SnsSubscription &s, const QString &name, const QString &value) const
{
    if (!known(std::begin(kSubscriptionAttributes), std::end(kSubscriptionAttributes), name))
        return invalidParameter(QStringLiteral("Invalid parameter: AttributeName"));
    if (name == u"RawMessageDelivery") {
        if (!isBoolText(value))
            return invalidParameter(QStringLiteral("Invalid parameter: Attributes Reason: "
                                                   "RawMessageDelivery: Invalid value [%1]. Must "
                                                   "be true or false.")
                                        .arg(value));
        if (s.protocol != u"sqs" && s.protocol != u"http" && s.protocol != u"https"
            && s.protocol != u"firehose")
            return invalidParameter(QStringLiteral(
                "Invalid parameter: Attributes Reason: Delivery protocol [%1] does not support "
                "raw message delivery.")
                                        .arg(s.protocol));
    }
    if (name == u"FilterPolicyScope") {
        if (auto r = SnsFilterPolicy::parseScope(value); !r)
            return r.error();
    }
    if (name == u"RedrivePolicy" && !value.isEmpty()) {
        auto j = parseJson(value.toUtf8());
        if (!j || !j->is_object())
            return invalidParameter(
                QStringLiteral("Invalid parameter: RedrivePolicy: failed to parse JSON."));
        const auto dlq = j->find("deadLetterTargetArn");
        if (dlq == j->end() || !dlq->is_string()
            || !fromStd(dlq->get<std::string>()).startsWith(QLatin1String("arn:aws:sqs:")))
            return invalidParameter(QStringLiteral(
                "Invalid parameter: RedrivePolicy: deadLetterTargetArn is missing or is not an "
                "SQS queue ARN"));
    }
    if (name == u"DeliveryPolicy" && !value.isEmpty()) {
        auto j = parseJson(value.toUtf8());
        if (!j || !j->is_object())
            return invalidParameter(
                QStringLiteral("Invalid parameter: DeliveryPolicy: failed to parse JSON."));
    }
    return {};
}

Result<SnsSubscription> SnsStore::subscribe(const QString &topicArn, const QString &protocol,
    const QString &endpoint, const QMap<QString, QString> &attributes, const QString &arn)
{
    std::optional<SnsTopic> t = topic(topicArn);
    if (!t)
        return notFound(QStringLiteral("Topic does not exist"));
    if (!kProtocols.contains(protocol))
        return invalidParameter(QStringLiteral("Invalid parameter: Amazon SNS does not support "
                                               "this protocol string: %1")
                                    .arg(protocol));
    if (protocol == u"sqs" && !endpoint.startsWith(QLatin1String("arn:aws:sqs:")))
        return invalidParameter(QStringLiteral("Invalid parameter: SQS endpoint ARN"));
    if (protocol == u"lambda" && !endpoint.startsWith(QLatin1String("arn:aws:lambda:")))
        return invalidParameter(QStringLiteral("Invalid parameter: Lambda endpoint ARN"));
    if ((protocol == u"http" || protocol == u"https")
        && !endpoint.startsWith(protocol + QStringLiteral("://")))
        return invalidParameter(
            QStringLiteral("Invalid parameter: Endpoint must match the specified protocol"));
    if (t->fifo() && protocol != u"sqs")
        return invalidParameter(QStringLiteral("Invalid parameter: Invalid protocol type: %1. "
                                               "FIFO topics only support SQS subscriptions.")
                                    .arg(protocol));

    SnsSubscription s;
    s.topicArn = topicArn;
    s.protocol = protocol;
    s.endpoint = endpoint;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it) {
        if (auto r = checkSubscriptionAttribute(s, it.key(), it.value()); !r)
            return r.error();
        s.attributes.insert(it.key(), isBoolText(it.value()) ? it.value().toLower() : it.value());
    }
    auto filter = compileFilter(s.attributes);
    if (!filter) {
        // Subscribe names the attribute as a reason, SetSubscriptionAttributes does not.
        Error e = filter.error();
        e.message.replace(QLatin1String("Invalid parameter: FilterPolicy: "),
            QLatin1String("Invalid parameter: Attributes Reason: FilterPolicy: "));
        return e;
    }
    s.filter = *filter;
    {
        QReadLocker lock(&m_lock);
        for (const SnsSubscription &existing : m_subscriptions) {
            if (existing.topicArn == topicArn && existing.protocol == protocol
                && existing.endpoint == endpoint && (arn.isEmpty() || arn == existing.arn)) {
                if (existing.attributes != s.attributes && !arn.isEmpty())
                    break; // a template's subscription changed: update it below
                if (existing.attributes != s.attributes)
                    return invalidParameter(QStringLiteral(
                        "Invalid parameter: Attributes Reason: Subscription already exists with "
                        "different attributes"));
                return existing;
            }
        }
    }
    s.arn = arn.isEmpty() ? topicArn + u':' + QUuid::createUuid().toString(QUuid::WithoutBraces)
                          : arn;
    s.confirmed = protocol != u"http" && protocol != u"https";
    if (!s.confirmed) {
        // SNS's tokens are long hex strings; a random one per pending subscription.
        QByteArray bytes;
        for (int i = 0; i < 4; ++i)
            bytes += QUuid::createUuid().toRfc4122();
        s.token = QString::fromLatin1(bytes.toHex());
    }
    if (auto r = saveSubscription(s); !r)
        return r.error();
    QWriteLocker lock(&m_lock);
    bool replaced = false;
    for (SnsSubscription &existing : m_subscriptions) {
        if (existing.arn == s.arn) {
            s.confirmed = existing.confirmed || s.confirmed;
            existing = s;
            replaced = true;
        }
    }
    if (!replaced)
        m_subscriptions.append(s);
    return s;
}

Result<SnsSubscription> SnsStore::confirm(const QString &topicArn, const QString &token)
{
    std::optional<SnsSubscription> found;
    {
        QReadLocker lock(&m_lock);
        if (!m_topics.contains(topicArn))
            return notFound(QStringLiteral("Topic does not exist"));
        for (const SnsSubscription &s : m_subscriptions) {
            if (s.topicArn == topicArn && !s.token.isEmpty() && s.token == token)
                found = s;
        }
    }
    if (!found)
        return invalidParameter(QStringLiteral("Invalid token"));
    found->confirmed = true;
    if (auto r = saveSubscription(*found); !r)
        return r.error();
    QWriteLocker lock(&m_lock);
    for (SnsSubscription &s : m_subscriptions) {
        if (s.arn == found->arn)
            s.confirmed = true;
    }
    return *found;
}

Result<void> SnsStore::unsubscribe(const QString &arn)
{
    if (!subscription(arn))
        return notFound(QStringLiteral("Subscription does not exist"));
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("DELETE FROM sns_subscriptions WHERE arn = ?");
        if (!s)
            return s.error();
        return s->bind(1, arn).exec();
    });
    if (!r)
        return r;
    QWriteLocker lock(&m_lock);
    m_subscriptions.removeIf([&](const SnsSubscription &s) { return s.arn == arn; });
    return {};
}

QList<SnsSubscription> SnsStore::subscriptions(const QString &topicArn) const
{
    QReadLocker lock(&m_lock);
    if (topicArn.isEmpty())
        return m_subscriptions;
    QList<SnsSubscription> out;
    for (const SnsSubscription &s : m_subscriptions) {
        if (s.topicArn == topicArn)
            out.append(s);
    }
    return out;
}

std::optional<SnsSubscription> SnsStore::subscription(const QString &arn) const
{
    QReadLocker lock(&m_lock);
    for (const SnsSubscription &s : m_subscriptions) {
        if (s.arn == arn)
            return s;
    }
    return std::nullopt;
}

Result<void> SnsStore::setSubscriptionAttribute(
    const QString &arn, const QString &name, const QString &value)
{
    std::optional<SnsSubscription> s = subscription(arn);
    if (!s)
        return notFound(QStringLiteral("Subscription does not exist"));
    if (auto r = checkSubscriptionAttribute(*s, name, value); !r)
        return r;
    if (value.isEmpty() && name != u"RawMessageDelivery")
        s->attributes.remove(name);
    else
        s->attributes.insert(name, isBoolText(value) ? value.toLower() : value);
    auto filter = compileFilter(s->attributes);
    if (!filter)
        return filter.error();
    s->filter = *filter;
    if (auto r = saveSubscription(*s); !r)
        return r;
    QWriteLocker lock(&m_lock);
    for (SnsSubscription &existing : m_subscriptions) {
        if (existing.arn == arn) {
            existing.attributes = s->attributes;
            existing.filter = s->filter;
        }
    }
    return {};
}

Result<QMap<QString, QString>> SnsStore::subscriptionAttributes(const QString &arn) const
{
    std::optional<SnsSubscription> s = subscription(arn);
    if (!s)
        return notFound(QStringLiteral("Subscription does not exist"));
    QMap<QString, QString> out = s->attributes;
    out.insert(QStringLiteral("SubscriptionArn"), s->arn);
    out.insert(QStringLiteral("TopicArn"), s->topicArn);
    out.insert(QStringLiteral("Owner"), m_accountId);
    out.insert(QStringLiteral("Protocol"), s->protocol);
    out.insert(QStringLiteral("Endpoint"), s->endpoint);
    out.insert(QStringLiteral("ConfirmationWasAuthenticated"),
        s->confirmed ? QStringLiteral("true") : QStringLiteral("false"));
    out.insert(QStringLiteral("PendingConfirmation"),
        s->confirmed ? QStringLiteral("false") : QStringLiteral("true"));
    if (!out.contains(QStringLiteral("RawMessageDelivery")))
        out.insert(QStringLiteral("RawMessageDelivery"), QStringLiteral("false"));
    if (out.contains(QStringLiteral("FilterPolicy"))
        && !out.contains(QStringLiteral("FilterPolicyScope")))
        out.insert(QStringLiteral("FilterPolicyScope"), QStringLiteral("MessageAttributes"));
    out.insert(QStringLiteral("EffectiveDeliveryPolicy"),
        s->attributes.value(QStringLiteral("DeliveryPolicy"), kEffectiveDeliveryPolicy));
    out.insert(QStringLiteral("SubscriptionPrincipal"),
        QStringLiteral("arn:aws:iam::%1:root").arg(m_accountId));
    return out;
}

static Error resourceNotFound()
{
    return makeError(
        QStringLiteral("ResourceNotFound"), QStringLiteral("Resource does not exist"), 404);
}

Result<void> SnsStore::tag(const QString &arn, const QMap<QString, QString> &tags)
{
    return updateTopic(arn, resourceNotFound(), [&](SnsTopic &t) -> Result<void> {
        for (auto it = tags.cbegin(); it != tags.cend(); ++it)
            t.tags.insert(it.key(), it.value());
        if (t.tags.size() > 50)
            return makeError(QStringLiteral("TagLimitExceeded"),
                QStringLiteral("Could not complete request: tag quota of per resource exceeded"),
                400);
        return {};
    });
}

Result<void> SnsStore::untag(const QString &arn, const QStringList &keys)
{
    return updateTopic(arn, resourceNotFound(), [&](SnsTopic &t) -> Result<void> {
        for (const QString &k : keys)
            t.tags.remove(k);
        return {};
    });
}

Result<QMap<QString, QString>> SnsStore::tags(const QString &arn) const
{
    std::optional<SnsTopic> t = topic(arn);
    if (!t)
        return resourceNotFound();
    return t->tags;
}

QString SnsStore::nextSequenceNumber(const QString &topicArn)
{
    QWriteLocker lock(&m_lock);
    // Seeded from the clock, so that numbers keep increasing across restarts without a write
    // per publish.
    qint64 &seq = m_sequence[topicArn];
    seq = std::max(seq + 1, m_clock->nowNs() / 1000);
    return QStringLiteral("%1").arg(seq, 20, 10, QLatin1Char('0'));
}

QString SnsStore::deduplicate(
    const QString &topicArn, const QString &deduplicationId, const QString &messageId, qint64 nowMs)
{
    const QString key = topicArn + u'\n' + deduplicationId;
    QWriteLocker lock(&m_lock);
    if (m_dedup.size() > 10000) {
        for (auto it = m_dedup.begin(); it != m_dedup.end();)
            it = it->expiresMs <= nowMs ? m_dedup.erase(it) : std::next(it);
    }
    auto it = m_dedup.find(key);
    if (it != m_dedup.end() && it->expiresMs > nowMs)
        return it->messageId;
    m_dedup.insert(key, Dedup {messageId, nowMs + kDedupWindowMs});
    return {};
}

} // namespace tarmac
