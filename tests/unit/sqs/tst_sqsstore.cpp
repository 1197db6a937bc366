// SqsStore: the queue model on the manual clock: visibility, delay, retention, receive counts
// and timestamps, redrive to a dead-letter queue, FIFO groups, deduplication and sequence
// numbers, persistence across a reopen, sends and deletes journaled and applied after a crash, a
// reload after the rows were replaced (a reset, a snapshot restored), and the attribute MD5
// against published values.
#include "base/clock.h"
#include "services/sqs/sqsmovetasks.h"
#include "services/sqs/sqsrequests.h"
#include "services/sqs/sqssendjournal.h"
#include "services/sqs/sqsstore.h"
#include "store/store.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using namespace tarmac;

namespace {

constexpr qint64 kSecond = 1'000'000'000;

SqsSendRequest body(const QByteArray &text)
{
    SqsSendRequest r;
    r.body = text;
    return r;
}

SqsSendRequest fifo(const QByteArray &text, const QString &group, const QString &dedup = {})
{
    SqsSendRequest r;
    r.body = text;
    r.groupId = group;
    r.deduplicationId = dedup.isEmpty() ? QString::fromUtf8(text) : dedup;
    return r;
}

QByteArrayList bodies(const QList<SqsMessage> &messages)
{
    QByteArrayList out;
    for (const SqsMessage &m : messages)
        out.append(m.body);
    return out;
}

// The state a crash or a copy left in `dir`, opened as a restart opens it; null on failure.
struct Reopened
{
    std::unique_ptr<Store> store;
    std::unique_ptr<SqsStore> sqs; // destroyed first
};

Reopened openState(const QString &dir, const Clock *clock)
{
    auto store = Store::open(dir);
    if (!store)
        return {};
    Reopened out;
    out.store = std::move(*store);
    out.sqs = std::make_unique<SqsStore>(
        out.store.get(), clock, QStringLiteral("us-east-1"), QStringLiteral("000000000000"));
    if (!out.sqs->open())
        return {};
    return out;
}

// The deletes a journal file holds: its records up to the first that does not check out.
QList<qint64> journalSeqs(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = file.readAll();
    QList<qint64> out;
    for (qsizetype at = 0; at + 16 <= bytes.size(); at += 16) {
        qint64 seq;
        quint64 check;
        std::memcpy(&seq, bytes.constData() + at, 8);
        std::memcpy(&check, bytes.constData() + at + 8, 8);
        if (seq <= 0 || (quint64(seq) ^ 0x5153'4465'6c65'7465ull) != check)
            break;
        out.append(seq);
    }
    return out;
}

qint64 seqOf(const SqsMessage &m)
{
    return sqsrequests::parseReceiptHandle(m.receiptHandle)
        .value_or(std::pair<qint64, qint64>())
        .first;
}

// What a kill -9 leaves at this moment: the rows committed, and both journals as they are
// (mapped files: what was stored into them is in the file).
bool copyCrashState(Store &live, const QString &from, const QString &to)
{
    if (!live.copyInto(to + QStringLiteral("/tarmac.db")))
        return false;
    for (const char *journal : {"/sqs-sends", "/sqs-deletes"}) {
        if (!QFile::copy(from + QLatin1String(journal), to + QLatin1String(journal)))
            return false;
    }
    return true;
}

// How many rows the state's messages table holds for `queue` (every queue when empty).
qint64 rowCount(Store &store, const QString &queue = {})
{
    auto rows = store.write([&](Database &db) -> Result<qint64> {
        auto st = db.prepare("SELECT count(*) FROM sqs_messages WHERE ?1 = '' OR queue = ?1");
        if (!st)
            return st.error();
        st->bind(1, queue);
        qint64 n = -1;
        if (auto r = st->forEachRow([&] { n = st->int64(0); }); !r)
            return r.error();
        return n;
    });
    return rows ? *rows : -1;
}

// The rows once the write-behind has had its time: copied into `dir` and opened.
Reopened afterWriteBehind(Store &live, const QTemporaryDir &dir, const Clock *clock)
{
    QTest::qWait(SqsStore::kWriteBehindDelayMs + 200);
    if (!live.copyInto(dir.path() + QStringLiteral("/tarmac.db")))
        return {};
    return openState(dir.path(), clock);
}

} // namespace

class TestSqsStore : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void md5OfAttributesMatchesPublishedValues();
    void createIsIdempotentOrRefused();
    void attributesAreChecked();
    void visibilityAndRedelivery();
    void outOfOrderDeletesAndQueueChurn();
    void delayAndRetention();
    void deleteWithOldAndBadHandles();
    void changeVisibility();
    void redriveToDeadLetterQueue();
    void systemAttributesMd5OnlyWhenSent();
    void moveTasksRedriveToTheSource();
    void fifoGroupsAndDeduplication();
    void deduplicationByGroupSurvivesReopen();
    void purgeOncePerMinute();
    void sizeLimit();
    void survivesReopen();
    void receivesAreSavedBehind();
    void deletesSurviveACrashThroughTheJournal();
    void sendsSurviveACrashThroughTheJournal();
    void journaledSendsAreWrittenBeforeRowsChange();
    void reloadAfterRowsReplaced();

private:
    void reopen();
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Store> m_db;
    std::unique_ptr<SqsStore> m_sqs;
    QStringList m_available;
};

void TestSqsStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_clock = std::make_unique<ManualClock>();
    reopen();
}

void TestSqsStore::reopen()
{
    m_sqs.reset();
    m_db.reset();
    auto store = Store::open(m_dir->path());
    QVERIFY(store);
    m_db = std::move(*store);
    m_sqs = std::make_unique<SqsStore>(
        m_db.get(), m_clock.get(), QStringLiteral("us-east-1"), QStringLiteral("000000000000"));
    m_sqs->setMessageAvailable([this](const QString &q) { m_available.append(q); });
    auto opened = m_sqs->open();
    QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
}

void TestSqsStore::cleanup()
{
    m_sqs.reset();
    m_db.reset();
    m_available.clear();
}

void TestSqsStore::md5OfAttributesMatchesPublishedValues()
{
    const SqsAttributeValue text {QStringLiteral("String"), "attribValue 1"};
    const SqsAttributeValue number {
        QStringLiteral("Number.float"), "4563442423554324324264524243.32543234"};
    const SqsAttributeValue binary {QStringLiteral("Binary"), "Hello binary world!"};
    QCOMPARE(SqsStore::md5OfAttributes({{QStringLiteral("attribName1"), text}}),
        QStringLiteral("19e27d4e946b072f3f58da80d94fd778"));
    QCOMPARE(SqsStore::md5OfAttributes({{QStringLiteral("customNumberTypeAttrib"), number}}),
        QStringLiteral("9fe1b90bbd9965bdf77bac517c7d2495"));
    QCOMPARE(SqsStore::md5OfAttributes({{QStringLiteral("binaryAttribute"), binary}}),
        QStringLiteral("31a92b15d92f8db860eda32aceb656c3"));
    QCOMPARE(SqsStore::md5OfAttributes({{QStringLiteral("attribName1"), text},
                 {QStringLiteral("customNumberTypeAttrib"), number},
                 {QStringLiteral("binaryAttribute"), binary}}),
        QStringLiteral("c932db14a896c663f83c260297d594ff"));
    // SendMessage's documented example body.
    QCOMPARE(SqsStore::md5Hex("This is a test message"),
        QStringLiteral("fafb00f5732ab283681e124bf8747ed1"));
}

void TestSqsStore::createIsIdempotentOrRefused()
{
    const QString q = QStringLiteral("orders");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(m_sqs->createQueue(q, {}, {})); // no attributes: the existing queue
    auto again
        = m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("5")}}, {});
    QVERIFY(!again);
    QCOMPARE(again.error().code, QStringLiteral("QueueAlreadyExists"));
    QVERIFY(!m_sqs->createQueue(QStringLiteral("bad name"), {}, {}));
    QVERIFY(!m_sqs->createQueue(QString(81, u'a'), {}, {}));
    auto notFifo = m_sqs->createQueue(
        QStringLiteral("x"), {{QStringLiteral("FifoQueue"), QStringLiteral("true")}}, {});
    QVERIFY(!notFifo);
    QCOMPARE(notFifo.error().code, QStringLiteral("InvalidParameterValue"));
    QCOMPARE(m_sqs->queueNames(QStringLiteral("ord")), QStringList {q});
    QVERIFY(m_sqs->deleteQueue(q));
    QCOMPARE(m_sqs->deleteQueue(q).error().code, QStringLiteral("QueueDoesNotExist"));
}

void TestSqsStore::attributesAreChecked()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    auto all = m_sqs->attributes(q, {QStringLiteral("All")});
    QVERIFY(all);
    QCOMPARE(all->value(QStringLiteral("VisibilityTimeout")), QStringLiteral("30"));
    QCOMPARE(all->value(QStringLiteral("MaximumMessageSize")), QStringLiteral("1048576"));
    QCOMPARE(all->value(QStringLiteral("QueueArn")),
        QStringLiteral("arn:aws:sqs:us-east-1:000000000000:q"));
    QVERIFY(!all->contains(QStringLiteral("FifoQueue")));
    QCOMPARE(
        m_sqs->setAttributes(q, {{QStringLiteral("Colour"), QStringLiteral("red")}}).error().code,
        QStringLiteral("InvalidAttributeName"));
    QCOMPARE(
        m_sqs->setAttributes(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("43201")}})
            .error()
            .code,
        QStringLiteral("InvalidParameterValue"));
    QCOMPARE(m_sqs->setAttributes(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("ten")}})
                 .error()
                 .code,
        QStringLiteral("InvalidParameterValue"));
    QCOMPARE(m_sqs
                 ->setAttributes(
                     q, {{QStringLiteral("ContentBasedDeduplication"), QStringLiteral("true")}})
                 .error()
                 .code,
        QStringLiteral("InvalidAttributeName")); // FIFO only
    QCOMPARE(m_sqs
                 ->setAttributes(q,
                     {{QStringLiteral("RedrivePolicy"),
                         QStringLiteral("{\"maxReceiveCount\":0,\"deadLetterTargetArn\":\"arn:aws:"
                                        "sqs:us-east-1:000000000000:d\"}")}})
                 .error()
                 .code,
        QStringLiteral("InvalidParameterValue"));
    QVERIFY(m_sqs->setAttributes(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("5")}}));
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("VisibilityTimeout")})
                 ->value(QStringLiteral("VisibilityTimeout")),
        QStringLiteral("5"));
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("Nope")}).error().code,
        QStringLiteral("InvalidAttributeName"));
}

void TestSqsStore::visibilityAndRedelivery()
{
    const QString q = QStringLiteral("q");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("10")}}, {}));
    const qint64 sentAt = m_clock->nowMs();
    auto sent = m_sqs->send(q, body("hello"));
    QVERIFY(sent);
    QCOMPARE(sent->md5OfBody, SqsStore::md5Hex("hello"));
    QCOMPARE(m_available, QStringList {q}); // a send wakes long polls
    m_clock->advanceNs(2 * kSecond);
    auto first = m_sqs->receive(q, 10);
    QVERIFY(first);
    QCOMPARE(first->size(), 1);
    QCOMPARE(first->at(0).messageId, sent->messageId);
    QCOMPARE(first->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
        QStringLiteral("1"));
    QCOMPARE(first->at(0).systemAttributes().value(QStringLiteral("SentTimestamp")),
        QString::number(sentAt));
    QCOMPARE(
        first->at(0).systemAttributes().value(QStringLiteral("ApproximateFirstReceiveTimestamp")),
        QString::number(sentAt + 2000));
    QVERIFY(m_sqs->receive(q, 10)->isEmpty()); // in flight
    auto counts = m_sqs->attributes(q,
        {QStringLiteral("ApproximateNumberOfMessages"),
            QStringLiteral("ApproximateNumberOfMessagesNotVisible")});
    QCOMPARE(counts->value(QStringLiteral("ApproximateNumberOfMessagesNotVisible")),
        QStringLiteral("1"));
    QCOMPARE(m_sqs->nextVisibleMs(q), std::optional<qint64>(sentAt + 12'000));
    m_clock->advanceNs(10 * kSecond); // the visibility timeout ends
    auto second = m_sqs->receive(q, 10, 0);
    QVERIFY(second);
    QCOMPARE(second->size(), 1);
    QCOMPARE(second->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
        QStringLiteral("2"));
    QCOMPARE(
        second->at(0).systemAttributes().value(QStringLiteral("ApproximateFirstReceiveTimestamp")),
        QString::number(sentAt + 2000));
    QVERIFY(m_sqs->deleteMessage(q, second->at(0).receiptHandle));
    QVERIFY(m_sqs->receive(q, 10)->isEmpty());
    QCOMPARE(m_sqs->receive(q, 11).error().code, QStringLiteral("InvalidParameterValue"));
    QCOMPARE(m_sqs->receive(QStringLiteral("none"), 1).error().code,
        QStringLiteral("QueueDoesNotExist"));
}

// Deletes and visibility changes in any order, not only the oldest message first, and queues
// deleted and made again under the same name while another is in use: the store's indexes
// (a message's place in the visibility order, the queue found last) follow every change.
void TestSqsStore::outOfOrderDeletesAndQueueChurn()
{
    const QString q = QStringLiteral("q"), r = QStringLiteral("r");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("30")}}, {}));
    QVERIFY(m_sqs->createQueue(r, {}, {}));
    for (int i = 0; i < 6; ++i)
        QVERIFY(m_sqs->send(q, body("m" + QByteArray::number(i))));
    QVERIFY(m_sqs->send(r, body("other")));
    auto got = m_sqs->receive(q, 6);
    QVERIFY(got);
    QCOMPARE(got->size(), 6);
    QMap<QByteArray, QString> handles;
    for (const SqsMessage &m : *got)
        handles.insert(m.body, m.receiptHandle);
    QCOMPARE(m_sqs->receive(r, 1)->size(), 1); // the other queue in between
    // A message in the middle, then the newest, then one made visible again and received.
    QVERIFY(m_sqs->deleteMessage(q, handles.value("m3")));
    QVERIFY(m_sqs->deleteMessage(q, handles.value("m5")));
    QVERIFY(m_sqs->changeVisibility(q, handles.value("m1"), 0));
    auto again = m_sqs->receive(q, 10);
    QVERIFY(again);
    QCOMPARE(again->size(), 1);
    QCOMPARE(again->at(0).body, QByteArray("m1"));
    QVERIFY(m_sqs->deleteMessage(q, again->at(0).receiptHandle));
    QVERIFY(m_sqs->deleteMessage(q, handles.value("m0"))); // the oldest
    auto counts = m_sqs->attributes(q, {QStringLiteral("ApproximateNumberOfMessagesNotVisible")});
    QCOMPARE(counts->value(QStringLiteral("ApproximateNumberOfMessagesNotVisible")),
        QStringLiteral("2")); // m2 and m4
    m_clock->advanceNs(31 * kSecond);
    auto rest = m_sqs->receive(q, 10);
    QVERIFY(rest);
    QStringList bodies;
    for (const SqsMessage &m : *rest)
        bodies.append(QString::fromUtf8(m.body));
    bodies.sort();
    QCOMPARE(bodies, (QStringList {QStringLiteral("m2"), QStringLiteral("m4")}));

    // The queue goes and comes back under its name; the other stays usable throughout.
    QVERIFY(m_sqs->deleteQueue(q));
    QCOMPARE(m_sqs->receive(q, 1).error().code, QStringLiteral("QueueDoesNotExist"));
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QVERIFY(m_sqs->receive(q, 10)->isEmpty()); // nothing of the queue before
    QVERIFY(m_sqs->send(q, body("new")));
    QCOMPARE(m_sqs->receive(q, 10)->at(0).body, QByteArray("new"));
    QVERIFY(m_sqs->send(r, body("still")));
    m_clock->advanceNs(31 * kSecond);
    QCOMPARE(m_sqs->receive(r, 10)->size(), 2);
    QVERIFY(m_sqs->writeBehind()); // the receives saved: in flight still after a reload
    QVERIFY(m_sqs->reload());
    QCOMPARE(m_sqs->receive(r, 10)->size(), 0);
    m_clock->advanceNs(31 * kSecond);
    QCOMPARE(m_sqs->receive(r, 10)->size(), 2);
}

void TestSqsStore::delayAndRetention()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(q,
        {{QStringLiteral("DelaySeconds"), QStringLiteral("5")},
            {QStringLiteral("MessageRetentionPeriod"), QStringLiteral("60")}},
        {}));
    QVERIFY(m_sqs->send(q, body("queue delay")));
    SqsSendRequest own = body("own delay");
    own.delaySeconds = 0;
    QVERIFY(m_sqs->send(q, own));
    QCOMPARE(bodies(*m_sqs->receive(q, 10, 30)), QByteArrayList {"own delay"});
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("ApproximateNumberOfMessagesDelayed")})
                 ->value(QStringLiteral("ApproximateNumberOfMessagesDelayed")),
        QStringLiteral("1"));
    m_clock->advanceNs(5 * kSecond);
    QCOMPARE(bodies(*m_sqs->receive(q, 10, 0)), QByteArrayList {"queue delay"});
    m_clock->advanceNs(60 * kSecond); // past the retention period: both are gone
    QVERIFY(m_sqs->receive(q, 10)->isEmpty());
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("All")})
                 ->value(QStringLiteral("ApproximateNumberOfMessages")),
        QStringLiteral("0"));
    own.delaySeconds = 901;
    QCOMPARE(m_sqs->send(q, own).error().code, QStringLiteral("InvalidParameterValue"));
}

void TestSqsStore::deleteWithOldAndBadHandles()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QVERIFY(m_sqs->send(q, body("m")));
    const QString old = m_sqs->receive(q, 1, 0)->at(0).receiptHandle;
    const QString current = m_sqs->receive(q, 1, 30)->at(0).receiptHandle;
    QVERIFY(old != current);
    // A standard queue answers an old receipt with success and keeps the message.
    QVERIFY(m_sqs->deleteMessage(q, old));
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("ApproximateNumberOfMessagesNotVisible")})
                 ->value(QStringLiteral("ApproximateNumberOfMessagesNotVisible")),
        QStringLiteral("1"));
    QVERIFY(m_sqs->deleteMessage(q, current));
    QVERIFY(m_sqs->deleteMessage(q, current)); // deleted already: success, as SQS answers
    QCOMPARE(m_sqs->deleteMessage(q, QStringLiteral("not-a-handle")).error().code,
        QStringLiteral("ReceiptHandleIsInvalid"));
}

void TestSqsStore::changeVisibility()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QVERIFY(m_sqs->send(q, body("m")));
    const QString handle = m_sqs->receive(q, 1)->at(0).receiptHandle;
    m_available.clear();
    QVERIFY(m_sqs->changeVisibility(q, handle, 0));
    QCOMPARE(m_available, QStringList {q});
    QCOMPARE(m_sqs->receive(q, 1)->size(), 1);
    QCOMPARE(m_sqs->changeVisibility(q, handle, 10).error().code,
        QStringLiteral("ReceiptHandleIsInvalid")); // received again since
    QCOMPARE(m_sqs->changeVisibility(q, handle, 43201).error().code,
        QStringLiteral("InvalidParameterValue"));
}

void TestSqsStore::redriveToDeadLetterQueue()
{
    const QString dlq = QStringLiteral("dead");
    const QString q = QStringLiteral("work");
    QVERIFY(m_sqs->createQueue(dlq, {}, {}));
    QVERIFY(m_sqs->createQueue(q,
        {{QStringLiteral("RedrivePolicy"),
            QStringLiteral("{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dead\","
                           "\"maxReceiveCount\":\"2\"}")}},
        {}));
    QCOMPARE(*m_sqs->deadLetterSources(dlq), QStringList {q});
    QList<SqsStore::DeadLettered> told; // what the terminal and the trace are told
    m_sqs->setDeadLettered([&told](const SqsStore::DeadLettered &d) { told.append(d); });
    SqsSendRequest poison = body("poison");
    const QString header = QStringLiteral("Root=1-5759e988-bd862e3fe1be46a994272793;"
                                          "Parent=53995c3f42cd8ad8;Sampled=1");
    poison.systemAttributes.insert(
        QStringLiteral("AWSTraceHeader"), {QStringLiteral("String"), header.toLatin1()});
    auto sent = m_sqs->send(q, poison);
    for (int i = 1; i <= 2; ++i) {
        auto got = m_sqs->receive(q, 1, 0);
        QCOMPARE(got->size(), 1);
        QCOMPARE(got->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
            QString::number(i));
    }
    QVERIFY(told.isEmpty());
    QVERIFY(m_sqs->receive(q, 1, 0)->isEmpty()); // the third receive moves it instead
    QCOMPARE(told.size(), 1);
    QCOMPARE(told[0].queue, q);
    QCOMPARE(told[0].deadLetterQueue, dlq);
    QCOMPARE(told[0].messageId, sent->messageId);
    QCOMPARE(told[0].receiveCount, 2);
    QCOMPARE(told[0].traceHeader, header);
    auto dead = m_sqs->receive(dlq, 10);
    QCOMPARE(dead->size(), 1);
    QCOMPARE(dead->at(0).messageId, sent->messageId);
    QCOMPARE(dead->at(0).body, QByteArray("poison"));
}

// A client's own AWSTraceHeader gets MD5OfMessageSystemAttributes back (SDKs check it); the
// one Tarmac adds from the sender's trace is kept the same but gets none, and costs no MD5.
void TestSqsStore::systemAttributesMd5OnlyWhenSent()
{
    const QString q = QStringLiteral("traced");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    const QString header = QStringLiteral("Root=1-5759e988-bd862e3fe1be46a994272793;"
                                          "Parent=53995c3f42cd8ad8;Sampled=1");
    SqsSendRequest sent = body("sent");
    sent.systemAttributes.insert(
        QStringLiteral("AWSTraceHeader"), {QStringLiteral("String"), header.toLatin1()});
    SqsSendRequest added = sent;
    added.body = "added";
    added.traceHeaderAdded = true;
    auto first = m_sqs->send(q, sent);
    QVERIFY(first);
    QCOMPARE(first->md5OfSystemAttributes, SqsStore::md5OfAttributes(sent.systemAttributes));
    QCOMPARE(first->md5OfSystemAttributes.size(), 32);
    auto second = m_sqs->send(q, added);
    QVERIFY(second);
    QVERIFY(second->md5OfSystemAttributes.isEmpty());
    const auto got = m_sqs->receive(q, 10, 0);
    QVERIFY(got);
    QCOMPARE(got->size(), 2);
    for (const auto &m : *got)
        QCOMPARE(m.systemAttributes().value(QStringLiteral("AWSTraceHeader")), header);
}

void TestSqsStore::moveTasksRedriveToTheSource()
{
    const QString dlq = QStringLiteral("dead");
    const QString q = QStringLiteral("work");
    const QString other = QStringLiteral("other");
    QVERIFY(m_sqs->createQueue(dlq, {}, {}));
    QVERIFY(m_sqs->createQueue(other, {}, {}));
    QVERIFY(m_sqs->createQueue(q,
        {{QStringLiteral("RedrivePolicy"),
            QStringLiteral("{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dead\","
                           "\"maxReceiveCount\":1}")}},
        {}));
    for (const char *text : {"p1", "p2", "p3", "p4"})
        QVERIFY(m_sqs->send(q, body(text)));
    QCOMPARE(m_sqs->receive(q, 10, 0)->size(), 4);
    QVERIFY(m_sqs->receive(q, 10, 0)->isEmpty()); // all four go to the dead-letter queue
    QCOMPARE(m_sqs->visibleCount(dlq), 4);
    // The dead-letter source survives a reopen: it is stored with the message.
    reopen();
    // A message in flight stays put.
    auto inFlight = m_sqs->receive(dlq, 1, 30);
    QCOMPARE(bodies(*inFlight), QByteArrayList {"p1"});

    // Paced: one a second on the clock, back to the queue each came from.
    SqsMoveTasks tasks(m_sqs.get(), m_clock.get());
    const QString arn = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:dead");
    auto handle = tasks.start(dlq, QString(), arn, QString(), 1);
    QVERIFY(handle);
    QCOMPARE(tasks.start(dlq, QString(), arn, QString(), 1).error().code,
        QStringLiteral("UnsupportedOperation")); // one running task per source
    auto listed = tasks.list(dlq, 10);
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed[0].status, QStringLiteral("RUNNING"));
    QCOMPARE(listed[0].toMove, 3);
    QCOMPARE(listed[0].moved, 1);
    m_clock->advanceNs(kSecond);
    QCOMPARE(tasks.list(dlq, 1)[0].moved, 2);
    QCOMPARE(*tasks.cancel(*handle), 2);
    QCOMPARE(tasks.list(dlq, 1)[0].status, QStringLiteral("CANCELLED"));
    m_clock->advanceNs(5 * kSecond);
    QCOMPARE(tasks.list(dlq, 1)[0].moved, 2); // cancelled: no more
    QCOMPARE(tasks.cancel(*handle).error().code, QStringLiteral("ResourceNotFoundException"));
    auto back = m_sqs->receive(q, 10, 30);
    QCOMPARE(bodies(*back), (QByteArrayList {"p2", "p3"}));
    QCOMPARE(back->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
        QStringLiteral("1"));

    // Unpaced, to a named queue: everything visible at once.
    QVERIFY(tasks.start(dlq, other, arn, QString(), std::nullopt));
    QCOMPARE(tasks.list(dlq, 1)[0].status, QStringLiteral("COMPLETED"));
    QCOMPARE(bodies(*m_sqs->receive(other, 10, 30)), QByteArrayList {"p4"});
    QCOMPARE(tasks.list(dlq, 10).size(), 2); // newest first
    QCOMPARE(tasks.list(dlq, 10)[1].status, QStringLiteral("CANCELLED"));

    // A message that was never dead-lettered has no source to return to.
    QVERIFY(m_sqs->send(dlq, body("stray")));
    QCOMPARE(m_sqs->moveMessages(dlq, QString(), 10).error().code,
        QStringLiteral("InvalidParameterValue"));
    QVERIFY(tasks.start(dlq, QString(), arn, QString(), std::nullopt));
    QCOMPARE(tasks.list(dlq, 1)[0].status, QStringLiteral("FAILED"));
    QVERIFY(!tasks.list(dlq, 1)[0].failureReason.isEmpty());
    QCOMPARE(m_sqs->moveMessages(QStringLiteral("nope"), QString(), 10).error().code,
        QStringLiteral("QueueDoesNotExist"));
}

void TestSqsStore::fifoGroupsAndDeduplication()
{
    const QString q = QStringLiteral("jobs.fifo");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QCOMPARE(
        m_sqs->attributes(q, {QStringLiteral("FifoQueue")})->value(QStringLiteral("FifoQueue")),
        QStringLiteral("true"));
    QCOMPARE(m_sqs->send(q, body("no group")).error().code, QStringLiteral("MissingParameter"));
    SqsSendRequest noDedup = fifo("x", QStringLiteral("a"));
    noDedup.deduplicationId.clear();
    QCOMPARE(m_sqs->send(q, noDedup).error().code, QStringLiteral("InvalidParameterValue"));
    auto a1 = m_sqs->send(q, fifo("a1", QStringLiteral("a")));
    QVERIFY(a1);
    QCOMPARE(a1->sequenceNumber.size(), 20);
    QVERIFY(m_sqs->send(q, fifo("a2", QStringLiteral("a"))));
    QVERIFY(m_sqs->send(q, fifo("b1", QStringLiteral("b"))));
    auto dup = m_sqs->send(q, fifo("a1", QStringLiteral("a")));
    QCOMPARE(dup->messageId, a1->messageId); // accepted, not delivered again
    QCOMPARE(dup->sequenceNumber, a1->sequenceNumber);

    auto batch = m_sqs->receive(q, 2);
    QCOMPARE(bodies(*batch), (QByteArrayList {"a1", "a2"}));
    // Group a is in flight: only b comes, however many are asked for.
    QCOMPARE(bodies(*m_sqs->receive(q, 10)), QByteArrayList {"b1"});
    QVERIFY(m_sqs->receive(q, 10)->isEmpty());
    QVERIFY(m_sqs->deleteMessage(q, batch->at(0).receiptHandle));
    QVERIFY(m_sqs->deleteMessage(q, batch->at(1).receiptHandle));
    // Deleted, and still deduplicated inside the 5-minute window.
    QCOMPARE(m_sqs->send(q, fifo("a1", QStringLiteral("a")))->messageId, a1->messageId);
    QVERIFY(m_sqs->receive(q, 10)->isEmpty());
    m_clock->advanceNs(SqsStore::kDeduplicationWindowMs * 1'000'000LL);
    QVERIFY(m_sqs->send(q, fifo("a1", QStringLiteral("a")))->messageId != a1->messageId);
    // An expired receipt handle is refused on a FIFO queue.
    const auto again = m_sqs->receive(q, 10, 0);
    QCOMPARE(again->size(), 2); // b1 came back after its timeout, and the new a1
    QCOMPARE(m_sqs->deleteMessage(q, again->at(0).receiptHandle).error().code,
        QStringLiteral("ReceiptHandleIsInvalid"));
    // Content-based deduplication.
    QVERIFY(m_sqs->createQueue(QStringLiteral("cbd.fifo"),
        {{QStringLiteral("ContentBasedDeduplication"), QStringLiteral("true")}}, {}));
    noDedup.body = "same";
    auto c1 = m_sqs->send(QStringLiteral("cbd.fifo"), noDedup);
    QVERIFY(c1);
    QCOMPARE(m_sqs->send(QStringLiteral("cbd.fifo"), noDedup)->messageId, c1->messageId);
    SqsSendRequest delayed = fifo("d", QStringLiteral("a"));
    delayed.delaySeconds = 5;
    QCOMPARE(m_sqs->send(q, delayed).error().code, QStringLiteral("InvalidParameterValue"));
}

// DeduplicationScope messageGroup: the same id in two groups is two messages, and a restart
// keeps both records (it read them back under the id alone once). The window still ends.
void TestSqsStore::deduplicationByGroupSurvivesReopen()
{
    const QString q = QStringLiteral("scoped.fifo");
    QVERIFY(m_sqs->createQueue(q,
        {{QStringLiteral("DeduplicationScope"), QStringLiteral("messageGroup")},
            {QStringLiteral("FifoThroughputLimit"), QStringLiteral("perMessageGroupId")}},
        {}));
    const auto inA = m_sqs->send(q, fifo("one", QStringLiteral("a"), QStringLiteral("id-1")));
    const auto inB = m_sqs->send(q, fifo("two", QStringLiteral("b"), QStringLiteral("id-1")));
    QVERIFY(inA && inB);
    QVERIFY(inA->messageId != inB->messageId);
    m_clock->advanceNs(60 * kSecond);
    reopen();
    QCOMPARE(m_sqs->send(q, fifo("one", QStringLiteral("a"), QStringLiteral("id-1")))->messageId,
        inA->messageId);
    QCOMPARE(m_sqs->send(q, fifo("two", QStringLiteral("b"), QStringLiteral("id-1")))->messageId,
        inB->messageId);
    QCOMPARE(m_sqs->receive(q, 10)->size(), 2);
    m_clock->advanceNs(SqsStore::kDeduplicationWindowMs * 1'000'000LL);
    const auto later = m_sqs->send(q, fifo("one", QStringLiteral("a"), QStringLiteral("id-1")));
    QVERIFY(later);
    QVERIFY(later->messageId != inA->messageId);
}

void TestSqsStore::purgeOncePerMinute()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QVERIFY(m_sqs->send(q, body("m")));
    QVERIFY(m_sqs->purge(q));
    QVERIFY(m_sqs->receive(q, 10)->isEmpty());
    QCOMPARE(m_sqs->purge(q).error().code, QStringLiteral("PurgeQueueInProgress"));
    m_clock->advanceNs(60 * kSecond);
    QVERIFY(m_sqs->purge(q));
}

void TestSqsStore::sizeLimit()
{
    const QString q = QStringLiteral("q");
    QVERIFY(m_sqs->createQueue(
        q, {{QStringLiteral("MaximumMessageSize"), QStringLiteral("1024")}}, {}));
    QVERIFY(m_sqs->send(q, body(QByteArray(1024, 'x'))));
    auto big = m_sqs->send(q, body(QByteArray(1025, 'x')));
    QVERIFY(!big);
    QCOMPARE(big.error().code, QStringLiteral("InvalidParameterValue"));
    QVERIFY(big.error().message.contains(QLatin1String("Message must be shorter than 1024 bytes")));
    SqsSendRequest withAttributes = body(QByteArray(1000, 'x'));
    withAttributes.attributes.insert(
        QStringLiteral("k"), {QStringLiteral("String"), QByteArray(30, 'v')});
    QVERIFY(!m_sqs->send(q, withAttributes)); // attributes count towards the size
    QCOMPARE(m_sqs->send(q, body("")).error().code, QStringLiteral("MissingParameter"));
}

void TestSqsStore::survivesReopen()
{
    const QString q = QStringLiteral("durable");
    QVERIFY(m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("20")}},
        {{QStringLiteral("team"), QStringLiteral("a")}}));
    SqsSendRequest r = body("kept");
    r.attributes.insert(
        QStringLiteral("kind"), {QStringLiteral("Binary"), QByteArray("\x00\x01", 2)});
    // Text that the stored column must escape: quotes, a backslash, a newline, non-ASCII.
    const QByteArray note = QStringLiteral("\"ünï\" \\ tab\there\n").toUtf8();
    r.attributes.insert(QStringLiteral("note \"1\""), {QStringLiteral("String.ä"), note});
    auto sent = m_sqs->send(q, r);
    QVERIFY(sent);
    QVERIFY(m_sqs->send(q, body("in flight")));
    QCOMPARE(m_sqs->receive(q, 1)->at(0).body, QByteArray("kept"));
    reopen(); // a restart: acknowledged messages, the one in flight too
    QCOMPARE(m_sqs->tags(q)->value(QStringLiteral("team")), QStringLiteral("a"));
    QCOMPARE(m_sqs->attributes(q, {QStringLiteral("VisibilityTimeout")})
                 ->value(QStringLiteral("VisibilityTimeout")),
        QStringLiteral("20"));
    const auto waiting = m_sqs->receive(q, 10);
    QCOMPARE(bodies(*waiting), QByteArrayList {"in flight"});
    QVERIFY(m_sqs->deleteMessage(q, waiting->at(0).receiptHandle));
    m_clock->advanceNs(20 * kSecond); // the timeout of the message in flight at the "crash"
    auto back = m_sqs->receive(q, 10);
    QCOMPARE(bodies(*back), QByteArrayList {"kept"});
    QCOMPARE(back->at(0).md5OfAttributes, sent->md5OfAttributes);
    QCOMPARE(back->at(0).attributes.value(QStringLiteral("kind")).value, QByteArray("\x00\x01", 2));
    QCOMPARE(back->at(0).attributes.value(QStringLiteral("note \"1\"")).value, note);
    QCOMPARE(back->at(0).attributes.value(QStringLiteral("note \"1\"")).dataType,
        QStringLiteral("String.ä"));
    QCOMPARE(back->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
        QStringLiteral("2"));
    QVERIFY(m_sqs->deleteMessage(q, back->at(0).receiptHandle));
}

// A receive writes no row: its visibility, count and receipt are written within
// kWriteBehindDelayMs, together with the receives of that time. What a kill -9 leaves is the
// rows committed (copyInto() copies exactly those): a receive not saved yet is lost, its
// message visible again with the count it had, and its receipt handle still deletes it.
void TestSqsStore::receivesAreSavedBehind()
{
    const QString q = QStringLiteral("behind");
    const QString f = QStringLiteral("behind.fifo");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(
        m_sqs->createQueue(f, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(m_sqs->send(q, body("first")));
    QVERIFY(m_sqs->send(q, body("second")));
    QVERIFY(m_sqs->send(f, fifo("ordered", QStringLiteral("g"))));
    const auto first = m_sqs->receive(q, 1);
    QCOMPARE(bodies(*first), QByteArrayList {"first"});
    QVERIFY(m_sqs->writeBehind());
    const auto second = m_sqs->receive(q, 1); // not saved when the "crash" comes
    QCOMPARE(bodies(*second), QByteArrayList {"second"});
    const auto ordered = m_sqs->receive(f, 1);
    QCOMPARE(bodies(*ordered), QByteArrayList {"ordered"});

    QTemporaryDir crashed;
    QVERIFY(m_db->copyInto(crashed.path() + QStringLiteral("/tarmac.db")));
    {
        Reopened afterState = openState(crashed.path(), m_clock.get());
        QVERIFY(afterState.sqs);
        SqsStore &after = *afterState.sqs;
        // The saved receive holds; the lost one's message is back, received once more.
        const auto again = after.receive(q, 10);
        QCOMPARE(bodies(*again), QByteArrayList {"second"});
        QCOMPARE(again->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
            QStringLiteral("1"));
        // Receipts given before the crash, a lost receive's too, delete their messages.
        QVERIFY(after.deleteMessage(q, first->at(0).receiptHandle));
        QVERIFY(after.deleteMessage(q, second->at(0).receiptHandle));
        QVERIFY(after.deleteMessage(f, ordered->at(0).receiptHandle)); // not "expired"
        m_clock->advanceNs(61 * kSecond);
        QVERIFY(after.receive(q, 10)->isEmpty());
        QVERIFY(after.receive(f, 10)->isEmpty());
    }

    // Without a crash, the saver writes them within its delay.
    const QString r = QStringLiteral("saved");
    QVERIFY(
        m_sqs->createQueue(r, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(m_sqs->send(r, body("third")));
    QCOMPARE(bodies(*m_sqs->receive(r, 1)), QByteArrayList {"third"});
    QTemporaryDir later;
    Reopened savedState = afterWriteBehind(*m_db, later, m_clock.get());
    QVERIFY(savedState.sqs);
    SqsStore &saved = *savedState.sqs;
    QVERIFY(saved.exists(r));
    QVERIFY(saved.receive(r, 10)->isEmpty()); // in flight
}

// A delete is acknowledged once the deletes journal has it; its row goes with the next
// write-behind. The crash here comes between the two: the rows as they were committed before
// the deletes, the journal as the deletes left it. Opening applies the journal: the deleted
// messages stay deleted, the others come back, and no later message takes a deleted one's
// sequence (its old receipt handle must not delete the newcomer).
void TestSqsStore::deletesSurviveACrashThroughTheJournal()
{
    const QString q = QStringLiteral("journaled");
    const QString f = QStringLiteral("journaled.fifo");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(m_sqs->createQueue(f, {}, {}));
    for (const QByteArray text : {"one", "two", "three"})
        QVERIFY(m_sqs->send(q, body(text)));
    QVERIFY(m_sqs->send(f, fifo("ordered", QStringLiteral("g"))));
    const auto received = m_sqs->receive(q, 10);
    QCOMPARE(bodies(*received), (QByteArrayList {"one", "two", "three"}));
    const auto ordered = m_sqs->receive(f, 1);
    QVERIFY(m_sqs->writeBehind());
    QTemporaryDir crashed;
    QVERIFY(m_db->copyInto(crashed.path() + QStringLiteral("/tarmac.db")));

    const QString journal = m_dir->path() + QStringLiteral("/sqs-deletes");
    QVERIFY(m_sqs->deleteMessage(q, received->at(0).receiptHandle)); // "one"
    QVERIFY(m_sqs->deleteMessage(q, received->at(2).receiptHandle)); // "three": the last sequence
    QVERIFY(m_sqs->deleteMessage(f, ordered->at(0).receiptHandle));
    // Acknowledged: in the file, sequence and check, in the order they came.
    QCOMPARE(journalSeqs(journal),
        (QList<qint64> {seqOf(received->at(0)), seqOf(received->at(2)), seqOf(ordered->at(0))}));
    QVERIFY(QFile::copy(journal, crashed.path() + QStringLiteral("/sqs-deletes")));
    // A write cut short by the crash: not a record, and no delete was acknowledged for it.
    {
        QFile torn(crashed.path() + QStringLiteral("/sqs-deletes"));
        QVERIFY(torn.open(QIODevice::ReadWrite));
        QVERIFY(torn.seek(3 * 16));
        QVERIFY(torn.write(QByteArray(9, '\x02')) == 9);
    }

    {
        Reopened afterState = openState(crashed.path(), m_clock.get());
        QVERIFY(afterState.sqs);
        SqsStore &after = *afterState.sqs;
        QVERIFY(journalSeqs(crashed.path() + QStringLiteral("/sqs-deletes")).isEmpty());
        auto rows = afterState.store->write([](Database &db) -> Result<qint64> {
            auto st = db.prepare("SELECT count(*) FROM sqs_messages");
            if (!st)
                return st.error();
            qint64 n = 0;
            if (auto r = st->forEachRow([&] { n = st->int64(0); }); !r)
                return r.error();
            return n;
        });
        QCOMPARE(*rows, qint64(1)); // "two"; the journal's rows are gone from the file too
        QVERIFY(after.send(q, body("newcomer")));
        QVERIFY(after.deleteMessage(q, received->at(2).receiptHandle)); // names nothing now
        m_clock->advanceNs(61 * kSecond);
        // In the order they became visible.
        QCOMPARE(bodies(*after.receive(q, 10)), (QByteArrayList {"newcomer", "two"}));
        QVERIFY(after.receive(f, 10)->isEmpty());
    }

    // Without a crash, the write-behind removes the rows within its delay; the journal's next
    // records are written over the applied ones.
    QTemporaryDir later;
    Reopened savedState = afterWriteBehind(*m_db, later, m_clock.get());
    QVERIFY(savedState.sqs);
    SqsStore &saved = *savedState.sqs;
    m_clock->advanceNs(61 * kSecond);
    QCOMPARE(bodies(*saved.receive(q, 10)), QByteArrayList {"two"});
    QVERIFY(m_sqs->deleteMessage(q, received->at(1).receiptHandle));
    QCOMPARE(journalSeqs(journal).first(), seqOf(received->at(1)));
}

// A send is acknowledged once the sends journal has it; its row comes with the next
// write-behind. The crash here comes between the two: the rows as committed (the queues, and
// the one message whose visibility changed since), both journals as the sends and a delete
// left them, and a record cut short after the last. Opening writes the journaled sends' rows,
// then applies the deletes: the deleted message stays deleted, the others come back as they
// were sent (the receive was not saved), the committed visibility change holds, FIFO
// deduplication holds, and no later send takes a journaled one's sequence.
void TestSqsStore::sendsSurviveACrashThroughTheJournal()
{
    const QString q = QStringLiteral("sent");
    const QString f = QStringLiteral("sent.fifo");
    QVERIFY(
        m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("60")}}, {}));
    QVERIFY(m_sqs->createQueue(f, {}, {}));
    SqsSendRequest withAttributes = body("with attributes");
    withAttributes.attributes.insert(
        QStringLiteral("kind"), {QStringLiteral("Binary"), QByteArray("\x00\xff", 2)});
    const auto sent = m_sqs->send(q, withAttributes);
    QVERIFY(sent);
    QVERIFY(m_sqs->send(q, body("deleted")));
    QVERIFY(m_sqs->send(q, body("held")));
    const auto dedup = m_sqs->send(f, fifo("ordered", QStringLiteral("g")));
    QVERIFY(dedup);
    QCOMPARE(rowCount(*m_db), qint64(0)); // acknowledged, journaled, no row yet
    const auto received = m_sqs->receive(q, 10);
    QCOMPARE(bodies(*received), (QByteArrayList {"with attributes", "deleted", "held"}));
    QVERIFY(m_sqs->deleteMessage(q, received->at(1).receiptHandle));
    QVERIFY(m_sqs->changeVisibility(q, received->at(2).receiptHandle, 600)); // committed now
    QCOMPARE(rowCount(*m_db), qint64(1));

    QTemporaryDir crashed;
    QVERIFY(copyCrashState(*m_db, m_dir->path(), crashed.path()));
    const QString crashedSends = crashed.path() + QStringLiteral("/sqs-sends");
    {
        // A record cut short: its head written but for the check.
        SqsSendJournal journal;
        QVERIFY(journal.open(crashedSends, SqsStore::kSendJournalBytes));
        qsizetype end = SqsSendJournal::kHeadBytes;
        int records = 0;
        journal.forEach([&](const SqsSendJournal::Entry &e) {
            end += SqsSendJournal::recordBytes(e);
            ++records;
        });
        QCOMPARE(records, 4);
        QFile torn(crashedSends);
        QVERIFY(torn.open(QIODevice::ReadWrite));
        QVERIFY(torn.seek(SqsSendJournal::kHeadBytes + 8));
        QByteArray head = torn.read(64); // the first record's head after its check
        head[16] = char(head[16] + 40); // another sequence
        QVERIFY(torn.seek(end + 8));
        QCOMPARE(torn.write(head), qint64(64));
    }

    {
        Reopened afterState = openState(crashed.path(), m_clock.get());
        QVERIFY(afterState.sqs);
        SqsStore &after = *afterState.sqs;
        QCOMPARE(rowCount(*afterState.store, q), qint64(2)); // "deleted" applied after its send
        QCOMPARE(rowCount(*afterState.store, f), qint64(1));
        {
            SqsSendJournal replayed; // started over: nothing replays twice
            QVERIFY(replayed.open(crashedSends, SqsStore::kSendJournalBytes));
            QVERIFY(replayed.isEmpty());
        }
        const auto again = after.receive(q, 10);
        QCOMPARE(bodies(*again), QByteArrayList {"with attributes"});
        QCOMPARE(again->at(0).messageId, sent->messageId);
        QCOMPARE(again->at(0).md5OfAttributes, sent->md5OfAttributes);
        QCOMPARE(
            again->at(0).attributes.value(QStringLiteral("kind")).value, QByteArray("\x00\xff", 2));
        QCOMPARE(again->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
            QStringLiteral("1"));
        QCOMPARE(after.send(f, fifo("ordered", QStringLiteral("g")))->messageId, dedup->messageId);
        const auto newcomer = after.send(q, body("newcomer"));
        QVERIFY(newcomer);
        QVERIFY(after.deleteMessage(q, received->at(1).receiptHandle)); // names nothing now
        const auto fresh = after.receive(q, 10);
        QCOMPARE(bodies(*fresh), QByteArrayList {"newcomer"});
        QVERIFY(seqOf(fresh->at(0)) > seqOf(received->at(2)));
        m_clock->advanceNs(601 * kSecond);
        // In the order they became visible.
        QCOMPARE(bodies(*after.receive(q, 10)),
            (QByteArrayList {"with attributes", "newcomer", "held"}));
        QCOMPARE(bodies(*after.receive(f, 10)), QByteArrayList {"ordered"});
    }

    // Without a crash, the write-behind writes the rows within its delay (the message deleted
    // meanwhile gets none), and the journal starts over: its next record goes over the first,
    // and the old ones after it do not come back.
    QTemporaryDir later;
    {
        Reopened savedState = afterWriteBehind(*m_db, later, m_clock.get());
        QVERIFY(savedState.sqs);
        QCOMPARE(rowCount(*savedState.store, q), qint64(2));
        QCOMPARE(rowCount(*savedState.store, f), qint64(1));
    }
    QVERIFY(m_sqs->send(q, body("after the write-behind")));
    QTemporaryDir again;
    QVERIFY(copyCrashState(*m_db, m_dir->path(), again.path()));
    Reopened againState = openState(again.path(), m_clock.get());
    QVERIFY(againState.sqs);
    QCOMPARE(rowCount(*againState.store, q), qint64(3));
    m_clock->advanceNs(601 * kSecond);
    QCOMPARE(bodies(*againState.sqs->receive(q, 10)),
        (QByteArrayList {"with attributes", "held", "after the write-behind"}));
}

// What changes rows at once writes the journaled sends first: after a purge, a delete by id,
// a queue's deletion or a move to the dead-letter queue, a crash brings none of them back.
void TestSqsStore::journaledSendsAreWrittenBeforeRowsChange()
{
    const QString purged = QStringLiteral("purged");
    const QString byId = QStringLiteral("by-id");
    const QString gone = QStringLiteral("gone");
    const QString dlq = QStringLiteral("dead");
    const QString work = QStringLiteral("work");
    for (const QString &name : {purged, byId, gone, dlq})
        QVERIFY(m_sqs->createQueue(name, {}, {}));
    QVERIFY(m_sqs->createQueue(work,
        {{QStringLiteral("RedrivePolicy"),
            QStringLiteral("{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dead\","
                           "\"maxReceiveCount\":\"1\"}")}},
        {}));
    QVERIFY(m_sqs->send(purged, body("p1")));
    QVERIFY(m_sqs->send(purged, body("p2")));
    QCOMPARE(*m_sqs->purge(purged), 2);
    const auto byIdSent = m_sqs->send(byId, body("by id"));
    QVERIFY(m_sqs->send(byId, body("kept")));
    QVERIFY(m_sqs->deleteById(byId, byIdSent->messageId));
    QVERIFY(m_sqs->send(gone, body("orphan")));
    QVERIFY(m_sqs->deleteQueue(gone));
    QVERIFY(m_sqs->send(work, body("poison")));
    QCOMPARE(m_sqs->receive(work, 1, 0)->size(), 1);
    QVERIFY(m_sqs->receive(work, 1, 0)->isEmpty()); // moved to the dead-letter queue
    QVERIFY(m_sqs->send(work, body("after the move"))); // journaled again

    QTemporaryDir crashed;
    QVERIFY(copyCrashState(*m_db, m_dir->path(), crashed.path()));
    Reopened afterState = openState(crashed.path(), m_clock.get());
    QVERIFY(afterState.sqs);
    SqsStore &after = *afterState.sqs;
    QCOMPARE(rowCount(*afterState.store, gone), qint64(0));
    QVERIFY(!after.exists(gone));
    QVERIFY(after.receive(purged, 10)->isEmpty());
    QCOMPARE(bodies(*after.receive(byId, 10)), QByteArrayList {"kept"});
    QCOMPARE(bodies(*after.receive(dlq, 10)), QByteArrayList {"poison"});
    QCOMPARE(bodies(*after.receive(work, 10)), QByteArrayList {"after the move"});
}

void TestSqsStore::reloadAfterRowsReplaced()
{
    const QString q = QStringLiteral("snap");
    const QString f = QStringLiteral("snap.fifo");
    QVERIFY(m_sqs->createQueue(q, {{QStringLiteral("VisibilityTimeout"), QStringLiteral("20")}},
        {{QStringLiteral("team"), QStringLiteral("a")}}));
    QVERIFY(m_sqs->createQueue(f, {}, {}));
    QVERIFY(m_sqs->send(q, body("in flight")));
    QVERIFY(m_sqs->send(q, body("waiting")));
    const auto dedup = m_sqs->send(f, fifo("once", QStringLiteral("g")));
    QVERIFY(dedup);
    const auto received = m_sqs->receive(q, 1);
    QCOMPARE(bodies(*received), QByteArrayList {"in flight"});
    const QString staleHandle = received->at(0).receiptHandle;
    QVERIFY(m_sqs->writeBehind()); // as the engine's flushState() before a snapshot
    // What a snapshot keeps, then a reset.
    QVERIFY(m_db->write([](Database &db) {
        return db.exec("CREATE TEMP TABLE saved_queues AS SELECT * FROM sqs_queues;"
                       "CREATE TEMP TABLE saved_messages AS SELECT * FROM sqs_messages;"
                       "DELETE FROM sqs_messages; DELETE FROM sqs_queues;");
    }));
    QVERIFY(m_sqs->exists(q)); // memory is read again only by reload()
    QVERIFY(m_sqs->reload());
    QVERIFY(m_sqs->queueNames().isEmpty());
    QVERIFY(!m_sqs->exists(q));
    QCOMPARE(m_sqs->receive(q, 10).error().code, QStringLiteral("QueueDoesNotExist"));
    QCOMPARE(m_sqs->send(q, body("x")).error().code, QStringLiteral("QueueDoesNotExist"));

    // A queue made again after the reset: a receipt handle given out before it names none of
    // its messages, even one received as often.
    QVERIFY(m_sqs->createQueue(q, {}, {}));
    QVERIFY(m_sqs->send(q, body("new")));
    QCOMPARE(bodies(*m_sqs->receive(q, 10, 0)), QByteArrayList {"new"});
    QVERIFY(m_sqs->deleteMessage(q, staleHandle)); // not current: skipped, as SQS does
    QCOMPARE(bodies(*m_sqs->receive(q, 10, 30)), QByteArrayList {"new"});

    // The snapshot restored: queues, attributes, messages in their states, deduplication.
    QVERIFY(m_db->write([](Database &db) {
        return db.exec("DELETE FROM sqs_messages; DELETE FROM sqs_queues;"
                       "INSERT INTO sqs_queues SELECT * FROM saved_queues;"
                       "INSERT INTO sqs_messages SELECT * FROM saved_messages;"
                       "DROP TABLE saved_queues; DROP TABLE saved_messages;");
    }));
    QVERIFY(m_sqs->reload());
    QCOMPARE(m_sqs->queueNames(), (QStringList {q, f}));
    QCOMPARE(m_sqs->tags(q)->value(QStringLiteral("team")), QStringLiteral("a"));
    QCOMPARE(bodies(*m_sqs->receive(q, 10, 60)), QByteArrayList {"waiting"});
    QCOMPARE(m_sqs->send(f, fifo("once", QStringLiteral("g")))->messageId, dedup->messageId);
    m_clock->advanceNs(20 * kSecond); // the restored message's visibility timeout
    const auto back = m_sqs->receive(q, 10);
    QCOMPARE(bodies(*back), QByteArrayList {"in flight"});
    QCOMPARE(back->at(0).systemAttributes().value(QStringLiteral("ApproximateReceiveCount")),
        QStringLiteral("2"));
    QVERIFY(m_sqs->deleteMessage(q, back->at(0).receiptHandle));
    QCOMPARE(bodies(*m_sqs->receive(f, 10)), QByteArrayList {"once"});

    // A paced move task is forgotten with the rows it was moving.
    const QString dlq = QStringLiteral("dead");
    QVERIFY(m_sqs->createQueue(dlq, {}, {}));
    for (const char *text : {"d1", "d2", "d3"})
        QVERIFY(m_sqs->send(dlq, body(text)));
    SqsMoveTasks tasks(m_sqs.get(), m_clock.get());
    QVERIFY(tasks.start(dlq, q, m_sqs->arnOf(dlq), m_sqs->arnOf(q), 1));
    QCOMPARE(tasks.list(dlq, 10).size(), 1);
    tasks.clear();
    QVERIFY(tasks.list(dlq, 10).isEmpty());
    m_clock->advanceNs(5 * kSecond);
    QCOMPARE(m_sqs->visibleCount(dlq), 2); // the first second's one moved, no more
}

QTEST_GUILESS_MAIN(TestSqsStore)
#include "tst_sqsstore.moc"
