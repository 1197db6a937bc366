#pragma once

#include "base/result.h"
#include "services/sns/snsfilter.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QReadWriteLock>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class Store;

struct SnsTopic
{
    QString arn;
    QString name;
    QMap<QString, QString> attributes; // as set (DisplayName, FifoTopic, Policy, …)
    QMap<QString, QString> tags;
    bool fifo() const { return attributes.value(QStringLiteral("FifoTopic")) == u"true"; }
    bool contentBasedDeduplication() const
    {
        return attributes.value(QStringLiteral("ContentBasedDeduplication")) == u"true";
    }
};

struct SnsSubscription
{
    QString arn; // "PendingConfirmation"-free: a pending one has its ARN too
    QString topicArn;
    QString protocol; // sqs, lambda, http, https, application, email, …
    QString endpoint;
    QMap<QString, QString> attributes; // as set (FilterPolicy, RawMessageDelivery, …)
    bool confirmed = true;
    QString token; // the confirmation token of a pending one
    // The compiled FilterPolicy, when it has one.
    std::shared_ptr<const SnsFilterPolicy> filter;

    bool raw() const { return attributes.value(QStringLiteral("RawMessageDelivery")) == u"true"; }
};

// Topics and subscriptions: kept in SQLite (sns_topics, sns_subscriptions) and in memory, so
// that a Publish reads its topic's subscriptions without a query. Attributes are checked here
// (for the API and templates alike) with SNS's InvalidParameter messages. Thread-safe.
class SnsStore
{
public:
    SnsStore(Store *store, const Clock *clock, QString region, QString accountId);
    ~SnsStore();

    Result<void> open(); // migrations, then everything loaded
    // The tables' rows were replaced (a reset, a snapshot restored): the topics and
    // subscriptions are read again, FIFO deduplication forgotten. A failed read keeps what
    // memory held.
    Result<void> reload();

    QString topicArn(const QString &name) const;
    QString accountId() const { return m_accountId; }

    // CreateTopic: idempotent for the same name and attributes; a FIFO name must end in .fifo.
    Result<QString> createTopic(
        const QString &name, QMap<QString, QString> attributes, const QMap<QString, QString> &tags);
    // Deletes the topic and its subscriptions; a topic that is not there is no error (as SNS).
    Result<void> deleteTopic(const QString &arn);
    QStringList topicArns() const;
    std::optional<SnsTopic> topic(const QString &arn) const;
    Result<void> setTopicAttribute(const QString &arn, const QString &name, const QString &value);
    // GetTopicAttributes: what was set, plus Owner, TopicArn, Policy, the subscription
    // counts and EffectiveDeliveryPolicy.
    Result<QMap<QString, QString>> topicAttributes(const QString &arn) const;

    // Subscribe. `arn` fixes the subscription's ARN (a template's); empty makes one. A
    // subscription of the same protocol and endpoint to the same topic is answered with the
    // one there. http/https subscriptions start pending, with a token.
    Result<SnsSubscription> subscribe(const QString &topicArn, const QString &protocol,
        const QString &endpoint, const QMap<QString, QString> &attributes, const QString &arn = {});
    Result<SnsSubscription> confirm(const QString &topicArn, const QString &token);
    Result<void> unsubscribe(const QString &arn);
    // Confirmed and pending ones, a topic's or (empty) all, in creation order.
    QList<SnsSubscription> subscriptions(const QString &topicArn = {}) const;
    std::optional<SnsSubscription> subscription(const QString &arn) const;
    Result<void> setSubscriptionAttribute(
        const QString &arn, const QString &name, const QString &value);
    Result<QMap<QString, QString>> subscriptionAttributes(const QString &arn) const;

    // Tags of a topic (TagResource and friends); ResourceNotFound for another ARN.
    Result<void> tag(const QString &arn, const QMap<QString, QString> &tags);
    Result<void> untag(const QString &arn, const QStringList &keys);
    Result<QMap<QString, QString>> tags(const QString &arn) const;

    // A FIFO topic's next sequence number (20 digits or fewer, increasing).
    QString nextSequenceNumber(const QString &topicArn);
    // FIFO deduplication over five minutes: the message id already published with this
    // deduplication id, or empty (and then `messageId` is remembered for it).
    QString deduplicate(const QString &topicArn, const QString &deduplicationId,
        const QString &messageId, qint64 nowMs);

    static Error notFound(const QString &what);
    static Error invalidParameter(const QString &message);

private:
    Result<void> saveTopic(const SnsTopic &t);
    // Reads the topic (`missing` when there is none), changes it, saves it, keeps it.
    Result<void> updateTopic(const QString &arn, const Error &missing,
        const std::function<Result<void>(SnsTopic &)> &change);
    Result<void> saveSubscription(const SnsSubscription &s);
    Result<void> checkTopicAttribute(
        const QString &name, const QString &value, bool creating) const;
    Result<std::shared_ptr<const SnsFilterPolicy>> compileFilter(
        const QMap<QString, QString> &attributes) const;
    Result<void> checkSubscriptionAttribute(
        const SnsSubscription &s, const QString &name, const QString &value) const;

    Store *m_store;
    const Clock *m_clock;
    QString m_region;
    QString m_accountId;

    mutable QReadWriteLock m_lock;
    QMap<QString, SnsTopic> m_topics; // by ARN
    QList<SnsSubscription> m_subscriptions; // creation order
    QHash<QString, qint64> m_sequence; // by topic ARN
    struct Dedup
    {
        QString messageId;
        qint64 expiresMs = 0;
    };
    QHash<QString, Dedup> m_dedup; // topic ARN + '\n' + deduplication id
};

} // namespace tarmac
