// SnsStore: topics (idempotent creation, names, FIFO, attributes and SNS's messages, tags),
// subscriptions (protocols and endpoints, pending http ones and their confirmation, filter
// policies compiled when set, template ARNs), FIFO sequence numbers and deduplication on the
// manual clock, and everything back after a reopen or after the rows were replaced.
#include "base/clock.h"
#include "services/sns/snsstore.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

class TestSnsStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Store> m_db;
    ManualClock m_clock;
    std::unique_ptr<SnsStore> m_store;

    void open()
    {
        m_store.reset();
        m_db.reset();
        auto db = Store::open(m_dir.path());
        QVERIFY(db.ok());
        m_db = std::move(*db);
        m_store = std::make_unique<SnsStore>(
            m_db.get(), &m_clock, QStringLiteral("us-east-1"), QStringLiteral("000000000000"));
        QVERIFY(m_store->open().ok());
    }

    QString queue(const char *name)
    {
        return QStringLiteral("arn:aws:sqs:us-east-1:000000000000:") + QLatin1String(name);
    }

private slots:
    void init() { open(); }

    void topics()
    {
        auto arn = m_store->createTopic(QStringLiteral("orders"),
            {{QStringLiteral("DisplayName"), QStringLiteral("Orders")}},
            {{QStringLiteral("team"), QStringLiteral("shop")}});
        QVERIFY(arn.ok());
        QCOMPARE(*arn, QStringLiteral("arn:aws:sns:us-east-1:000000000000:orders"));
        auto again = m_store->createTopic(QStringLiteral("orders"), {}, {});
        QVERIFY(again.ok());
        QCOMPARE(*again, *arn);
        auto other = m_store->createTopic(QStringLiteral("orders"),
            {{QStringLiteral("DisplayName"), QStringLiteral("Other")}}, {});
        QVERIFY(!other.ok());
        QCOMPARE(other.error().code, QStringLiteral("InvalidParameter"));
        QCOMPARE(other.error().message,
            QStringLiteral("Invalid parameter: Attributes Reason: Topic already exists with "
                           "different attributes"));
        auto attributes = m_store->topicAttributes(*arn);
        QVERIFY(attributes.ok());
        QCOMPARE(attributes->value(QStringLiteral("DisplayName")), QStringLiteral("Orders"));
        QCOMPARE(attributes->value(QStringLiteral("SubscriptionsConfirmed")), QStringLiteral("0"));
        QVERIFY(attributes->value(QStringLiteral("Policy")).contains(*arn));
        QVERIFY(
            m_store->setTopicAttribute(*arn, QStringLiteral("DisplayName"), QStringLiteral("Shop"))
                .ok());
        auto unknown
            = m_store->setTopicAttribute(*arn, QStringLiteral("Colour"), QStringLiteral("red"));
        QCOMPARE(unknown.error().message, QStringLiteral("Invalid parameter: AttributeName"));
        auto fifoLater
            = m_store->setTopicAttribute(*arn, QStringLiteral("FifoTopic"), QStringLiteral("true"));
        QVERIFY(!fifoLater.ok());
        QVERIFY(m_store->tag(*arn, {{QStringLiteral("cost"), QStringLiteral("1")}}).ok());
        QVERIFY(m_store->untag(*arn, {QStringLiteral("team")}).ok());
        QCOMPARE(m_store->tags(*arn)->keys(), QStringList {QStringLiteral("cost")});
        QCOMPARE(m_store->tags(*arn + QStringLiteral("x")).error().code,
            QStringLiteral("ResourceNotFound"));
        QVERIFY(m_store->deleteTopic(*arn).ok());
        QVERIFY(m_store->deleteTopic(*arn).ok()); // gone already: no error, as SNS
        QCOMPARE(m_store->topicAttributes(*arn).error().code, QStringLiteral("NotFound"));
    }

    void topicNames()
    {
        QCOMPARE(m_store->createTopic(QStringLiteral("bad name"), {}, {}).error().message,
            QStringLiteral("Invalid parameter: Topic Name"));
        QVERIFY(!m_store->createTopic(QString(257, u'a'), {}, {}).ok());
        QVERIFY(m_store->createTopic(QString(256, u'a'), {}, {}).ok());
        QVERIFY(!m_store
                     ->createTopic(QStringLiteral("plain"),
                         {{QStringLiteral("FifoTopic"), QStringLiteral("true")}}, {})
                     .ok());
        QVERIFY(!m_store->createTopic(QStringLiteral("x.fifo"), {}, {}).ok());
        QVERIFY(m_store
                    ->createTopic(QStringLiteral("x.fifo"),
                        {{QStringLiteral("FifoTopic"), QStringLiteral("TRUE")}}, {})
                    .ok());
        QVERIFY(
            m_store->topic(QStringLiteral("arn:aws:sns:us-east-1:000000000000:x.fifo"))->fifo());
        auto cbd = m_store->createTopic(QStringLiteral("std"),
            {{QStringLiteral("ContentBasedDeduplication"), QStringLiteral("true")}}, {});
        QVERIFY(!cbd.ok());
    }

    void subscriptions()
    {
        const QString topic = *m_store->createTopic(QStringLiteral("t"), {}, {});
        auto s = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q"),
            {{QStringLiteral("RawMessageDelivery"), QStringLiteral("True")}});
        QVERIFY(s.ok());
        QVERIFY(s->confirmed);
        QVERIFY(s->raw());
        QVERIFY(s->arn.startsWith(topic + u':'));
        // The same protocol and endpoint: the subscription there.
        auto again = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q"),
            {{QStringLiteral("RawMessageDelivery"), QStringLiteral("true")}});
        QCOMPARE(again->arn, s->arn);
        QCOMPARE(m_store->subscriptions(topic).size(), 1);
        QCOMPARE(m_store->subscribe(topic, QStringLiteral("sqs"), QStringLiteral("x"), {})
                     .error()
                     .message,
            QStringLiteral("Invalid parameter: SQS endpoint ARN"));
        QCOMPARE(m_store->subscribe(topic, QStringLiteral("pigeon"), QStringLiteral("x"), {})
                     .error()
                     .code,
            QStringLiteral("InvalidParameter"));
        QCOMPARE(
            m_store->subscribe(topic + u'x', QStringLiteral("sqs"), queue("q"), {}).error().code,
            QStringLiteral("NotFound"));
        auto raw = m_store->subscribe(topic, QStringLiteral("lambda"),
            QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:f"),
            {{QStringLiteral("RawMessageDelivery"), QStringLiteral("true")}});
        QVERIFY(!raw.ok()); // functions get the event, never a raw message
        auto badFilter = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q2"),
            {{QStringLiteral("FilterPolicy"), QStringLiteral("{\"a\": 1}")}});
        QVERIFY(!badFilter.ok());
        QVERIFY2(badFilter.error().message.startsWith(
                     QStringLiteral("Invalid parameter: Attributes Reason: FilterPolicy: ")),
            qPrintable(badFilter.error().message));

        QVERIFY(m_store
                    ->setSubscriptionAttribute(s->arn, QStringLiteral("FilterPolicy"),
                        QStringLiteral("{\"colour\": [\"blue\"]}"))
                    .ok());
        auto filtered = m_store->subscription(s->arn);
        QVERIFY(filtered->filter);
        QVERIFY(filtered->filter->matches(
            {{QStringLiteral("colour"), {QStringLiteral("String"), QStringLiteral("blue")}}}, "x"));
        QVERIFY(!filtered->filter->matches(
            {{QStringLiteral("colour"), {QStringLiteral("String"), QStringLiteral("red")}}}, "x"));
        QVERIFY(m_store->setSubscriptionAttribute(s->arn, QStringLiteral("FilterPolicy"), QString())
                    .ok());
        QVERIFY(!m_store->subscription(s->arn)->filter); // an empty value removes it
        auto attributes = m_store->subscriptionAttributes(s->arn);
        QCOMPARE(attributes->value(QStringLiteral("Protocol")), QStringLiteral("sqs"));
        QCOMPARE(attributes->value(QStringLiteral("PendingConfirmation")), QStringLiteral("false"));
        QVERIFY(m_store->unsubscribe(s->arn).ok());
        QCOMPARE(m_store->unsubscribe(s->arn).error().code, QStringLiteral("NotFound"));
    }

    void httpSubscriptionsArePendingUntilConfirmed()
    {
        const QString topic = *m_store->createTopic(QStringLiteral("hooks"), {}, {});
        auto s = m_store->subscribe(
            topic, QStringLiteral("http"), QStringLiteral("http://127.0.0.1:1/x"), {});
        QVERIFY(s.ok());
        QVERIFY(!s->confirmed);
        QCOMPARE(s->token.size(), 128);
        QCOMPARE(m_store
                     ->subscribe(
                         topic, QStringLiteral("https"), QStringLiteral("http://127.0.0.1:1/x"), {})
                     .error()
                     .message,
            QStringLiteral("Invalid parameter: Endpoint must match the specified protocol"));
        QCOMPARE(m_store->confirm(topic, QStringLiteral("nope")).error().message,
            QStringLiteral("Invalid token"));
        auto confirmed = m_store->confirm(topic, s->token);
        QVERIFY(confirmed.ok());
        QCOMPARE(confirmed->arn, s->arn);
        QVERIFY(m_store->subscription(s->arn)->confirmed);
    }

    void templateArnsAndUpdates()
    {
        const QString topic = *m_store->createTopic(QStringLiteral("tpl"), {}, {});
        const QString arn = topic + QStringLiteral(":11111111-2222-4333-8444-555555555555");
        auto s = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q"), {}, arn);
        QCOMPARE(s->arn, arn);
        // The template changed the filter: the same subscription, updated.
        auto changed = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q"),
            {{QStringLiteral("FilterPolicy"), QStringLiteral("{\"a\": [\"b\"]}")}}, arn);
        QVERIFY(changed.ok());
        QCOMPARE(m_store->subscriptions(topic).size(), 1);
        QVERIFY(m_store->subscription(arn)->filter);
    }

    void fifoSequenceAndDeduplication()
    {
        const QString topic = *m_store->createTopic(
            QStringLiteral("l.fifo"), {{QStringLiteral("FifoTopic"), QStringLiteral("true")}}, {});
        const QString a = m_store->nextSequenceNumber(topic);
        const QString b = m_store->nextSequenceNumber(topic);
        QCOMPARE(a.size(), 20);
        QVERIFY(b > a);
        const qint64 now = m_clock.nowMs();
        QVERIFY(
            m_store->deduplicate(topic, QStringLiteral("d"), QStringLiteral("m1"), now).isEmpty());
        QCOMPARE(m_store->deduplicate(topic, QStringLiteral("d"), QStringLiteral("m2"), now + 1000),
            QStringLiteral("m1"));
        QVERIFY(m_store
                    ->deduplicate(
                        topic, QStringLiteral("d"), QStringLiteral("m3"), now + 5 * 60 * 1000 + 1)
                    .isEmpty());
        QCOMPARE(m_store
                     ->subscribe(topic, QStringLiteral("lambda"),
                         QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:f"), {})
                     .error()
                     .code,
            QStringLiteral("InvalidParameter"));
    }

    void everythingBackAfterReopen()
    {
        const QString topic = *m_store->createTopic(QStringLiteral("kept"),
            {{QStringLiteral("DisplayName"), QStringLiteral("Kept")}},
            {{QStringLiteral("k"), QStringLiteral("v")}});
        auto s = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q"),
            {{QStringLiteral("FilterPolicy"), QStringLiteral("{\"a\": [\"b\"]}")}});
        auto h = m_store->subscribe(
            topic, QStringLiteral("http"), QStringLiteral("http://127.0.0.1:1/"), {});
        open();
        QCOMPARE(m_store->topic(topic)->attributes.value(QStringLiteral("DisplayName")),
            QStringLiteral("Kept"));
        QCOMPARE(m_store->topic(topic)->tags.value(QStringLiteral("k")), QStringLiteral("v"));
        const auto subs = m_store->subscriptions(topic);
        QCOMPARE(subs.size(), 2);
        QCOMPARE(subs[0].arn, s->arn);
        QVERIFY(subs[0].filter);
        QCOMPARE(subs[1].token, h->token);
        QVERIFY(!subs[1].confirmed);
    }

    // A reset empties the tables underneath the live store, a snapshot's restore puts rows
    // back: reload() shows each, and forgets FIFO deduplication with them.
    void reloadAfterRowsReplaced()
    {
        const QString topic = *m_store->createTopic(QStringLiteral("snap.fifo"),
            {{QStringLiteral("FifoTopic"), QStringLiteral("true")}}, {});
        auto s = m_store->subscribe(topic, QStringLiteral("sqs"), queue("q.fifo"),
            {{QStringLiteral("FilterPolicy"), QStringLiteral("{\"a\": [\"b\"]}")}});
        QVERIFY(s.ok());
        const qint64 now = m_clock.nowMs();
        QVERIFY(
            m_store->deduplicate(topic, QStringLiteral("d"), QStringLiteral("m1"), now).isEmpty());
        const QString before = m_store->nextSequenceNumber(topic);
        QVERIFY(m_db->write([](Database &db) {
            return db.exec("CREATE TEMP TABLE saved_topics AS SELECT * FROM sns_topics;"
                           "CREATE TEMP TABLE saved_subscriptions AS SELECT * FROM "
                           "sns_subscriptions;"
                           "DELETE FROM sns_subscriptions; DELETE FROM sns_topics;");
        }));
        QVERIFY(m_store->topic(topic)); // memory is read again only by reload()
        QVERIFY(m_store->reload().ok());
        QVERIFY(m_store->topicArns().isEmpty());
        QVERIFY(m_store->subscriptions().isEmpty());
        QVERIFY(!m_store->subscription(s->arn));
        QCOMPARE(m_store->topicAttributes(topic).error().code, QStringLiteral("NotFound"));

        QVERIFY(m_db->write([](Database &db) {
            return db.exec("INSERT INTO sns_topics SELECT * FROM saved_topics;"
                           "INSERT INTO sns_subscriptions SELECT * FROM saved_subscriptions;"
                           "DROP TABLE saved_topics; DROP TABLE saved_subscriptions;");
        }));
        QVERIFY(m_store->reload().ok());
        QVERIFY(m_store->topic(topic)->fifo());
        const auto subs = m_store->subscriptions(topic);
        QCOMPARE(subs.size(), 1);
        QCOMPARE(subs[0].arn, s->arn);
        QVERIFY(subs[0].filter); // compiled again
        QVERIFY(m_store->deduplicate(topic, QStringLiteral("d"), QStringLiteral("m2"), now + 1000)
                    .isEmpty());
        QVERIFY(m_store->nextSequenceNumber(topic) > before); // never goes back
    }
};

QTEST_GUILESS_MAIN(TestSnsStore)
#include "tst_snsstore.moc"
