#include "services/sqs/sqsstore.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/jsonwriter.h"
#include "base/wakeablethread.h"
#include "services/sqs/sqsrequests.h"
#include "services/sqs/sqssendjournal.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>

#include <sys/mman.h>

namespace tarmac {

struct SqsJournalRecord
{
    qint64 seq;
    quint64 check;
};
static_assert(sizeof(SqsJournalRecord) == 16);

namespace {

const char kModule[] = "sqs";

// A record of the deletes journal: the message's sequence and the same xor this, in the
// machine's byte order. A record that does not check out (zeros, a write cut short) ends the
// journal.
constexpr quint64 kJournalCheck = 0x5153'4465'6c65'7465ull;

bool isRecord(const SqsJournalRecord &r)
{
    return r.seq > 0 && (quint64(r.seq) ^ kJournalCheck) == r.check;
}

Error sqsError(const QString &code, const QString &message)
{
    return makeError(code, message, 400);
}

Error noQueue()
{
    return sqsError(
        QStringLiteral("QueueDoesNotExist"), QStringLiteral("The specified queue does not exist."));
}

Error invalidValue(const QString &message)
{
    return sqsError(QStringLiteral("InvalidParameterValue"), message);
}

Error invalidHandle(const QString &receiptHandle)
{
    return sqsError(QStringLiteral("ReceiptHandleIsInvalid"),
        QStringLiteral("The input receipt handle \"%1\" is not a valid receipt handle.")
            .arg(receiptHandle));
}

// The settable attributes, their defaults and their ranges.
struct AttributeRule
{
    const char *name;
    const char *fallback; // default; null: absent unless set
    qint64 min = 0, max = 0; // a number in [min, max] when max > 0
    bool fifoOnly = false;
};

const QList<AttributeRule> &attributeRules()
{
    static const QList<AttributeRule> rules = {
        {"DelaySeconds", "0", 0, 900},
        {"MaximumMessageSize", "1048576", 1024, 1048576},
        {"MessageRetentionPeriod", "345600", 60, 1209600},
        {"ReceiveMessageWaitTimeSeconds", "0", 0, 20},
        {"VisibilityTimeout", "30", 0, 43200},
        {"RedrivePolicy", nullptr},
        {"RedriveAllowPolicy", nullptr},
        {"Policy", nullptr},
        {"KmsMasterKeyId", nullptr},
        {"KmsDataKeyReusePeriodSeconds", nullptr, 60, 86400},
        {"SqsManagedSseEnabled", "true"},
        {"FifoQueue", nullptr},
        {"ContentBasedDeduplication", "false", 0, 0, true},
        {"DeduplicationScope", "queue", 0, 0, true},
        {"FifoThroughputLimit", "perQueue", 0, 0, true},
    };
    return rules;
}

const AttributeRule *ruleFor(const QString &name)
{
    for (const AttributeRule &r : attributeRules()) {
        if (name == QLatin1String(r.name))
            return &r;
    }
    return nullptr;
}

void appendLengthPrefixed(QByteArray &out, const QByteArray &bytes)
{
    const quint32 n = quint32(bytes.size());
    out.append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    out.append(bytes);
}

// {"name":{"t":"String","v":"text"},...}, as the column keeps them (binary values in base64),
// written straight: every send carries at least AWSTraceHeader, and a tree per send cost more
// than the row's insert.
QByteArray attributesText(const SqsAttributes &attributes)
{
    JsonWriter w(64 + 96 * attributes.size());
    w.beginObject();
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it) {
        w.key(it.key()).beginObject().key("t").string(it->dataType).key("v");
        w.string(it->isBinary() ? it->value.toBase64() : it->value).endObject();
    }
    return w.endObject().take();
}

SqsAttributes attributesFrom(const Json &json)
{
    SqsAttributes out;
    if (!json.is_object())
        return out;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!it.value().is_object())
            continue;
        SqsAttributeValue v;
        v.dataType = fromStd(it.value().value("t", std::string()));
        const QByteArray raw = QByteArray::fromStdString(it.value().value("v", std::string()));
        v.value = v.isBinary() ? QByteArray::fromBase64(raw) : raw;
        out.insert(fromStd(it.key()), v);
    }
    return out;
}

Json stringMapJson(const QMap<QString, QString> &map)
{
    Json out = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out[toStd(it.key())] = toStd(it.value());
    return out;
}

QMap<QString, QString> stringMapFrom(const Json &json)
{
    QMap<QString, QString> out;
    if (!json.is_object())
        return out;
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.value().is_string())
            out.insert(fromStd(it.key()), fromStd(it.value().get<std::string>()));
    }
    return out;
}

// A stored JSON column, or null when it does not parse.
Json jsonColumn(const QByteArray &bytes)
{
    auto parsed = parseJson(bytes);
    return parsed ? *parsed : Json();
}

} // namespace

struct SqsStore::Message
{
    qint64 seq = 0;
    QString id;
    QByteArray body;
    QString md5OfBody;
    SqsAttributes attributes;
    QString md5OfAttributes;
    SqsAttributes systemAttributes;
    qint64 sentMs = 0;
    qint64 visibleMs = 0;
    int receiveCount = 0;
    qint64 firstReceiveMs = 0;
    qint64 generation = 0; // receives so far: the newest receipt handle carries it
    QString groupId;
    QString deduplicationId;
    QString deadLetterSource; // in a dead-letter queue: the queue it came from
    // Its entry in its queue's byVisible, set by index(): unindex() erases it without a
    // search of the tree (each level a cache miss when the queue has sat idle).
    std::map<std::pair<qint64, qint64>, Message *>::iterator visibleAt;
};

struct SqsStore::Queue
{
    QString name;
    QByteArray nameUtf8; // as the sends journal's records hold it
    bool fifo = false;
    QMap<QString, QString> attributes; // settable ones, with their defaults
    QMap<QString, QString> tags;
    qint64 createdMs = 0;
    qint64 modifiedMs = 0;
    std::map<qint64, Message> messages; // by sequence: send order
    // (visibleMs, seq) → the message in `messages` (whose nodes stay put): a receive finds
    // its messages without a look-up by sequence.
    std::map<std::pair<qint64, qint64>, Message *> byVisible;
    struct Sent
    {
        qint64 expiresMs;
        QString messageId;
        qint64 seq;
    };
    QHash<QString, Sent> deduplication; // FIFO: id → the first send, for 5 minutes
    std::deque<std::pair<qint64, QString>> deduplicationOrder; // (expiresMs, id), oldest first
    // Received since the last writeBehind(), by sequence; a message received twice is here
    // twice, and one deleted since is skipped then (an append costs no search of a tree).
    std::vector<qint64> unsaved;
    qint64 lastPurgeMs = std::numeric_limits<qint64>::min() / 2;

    // What every send and receive reads, taken from the attributes when they are set.
    int delaySeconds = 0;
    int maximumMessageSize = 0;
    int retentionSeconds = 0;
    int visibilityTimeout = 0;
    int maxReceiveCount = 0; // the RedrivePolicy's; 0 without one

    // `attributes` is set here only, so that the numbers above follow it.
    void setAttributes(QMap<QString, QString> to)
    {
        attributes = std::move(to);
        delaySeconds = number("DelaySeconds");
        maximumMessageSize = number("MaximumMessageSize");
        retentionSeconds = number("MessageRetentionPeriod");
        visibilityTimeout = number("VisibilityTimeout");
        maxReceiveCount = 0;
        const Json policy = redrivePolicy();
        if (policy.is_object() && policy.contains("maxReceiveCount")) {
            const Json &m = policy["maxReceiveCount"];
            maxReceiveCount = m.is_number_integer() ? m.get<int>()
                : m.is_string()                     ? fromStd(m.get<std::string>()).toInt()
                                                    : 0;
        }
    }
    int number(const char *attribute) const
    {
        return attributes.value(QLatin1String(attribute)).toInt();
    }
    // The RedrivePolicy as an object, or null: most queues have none, and an empty text is
    // not parsed (a receive reads this on every call).
    Json redrivePolicy() const
    {
        const QString text = attributes.value(QStringLiteral("RedrivePolicy"));
        if (text.isEmpty())
            return Json();
        auto policy = parseJson(text.toUtf8());
        return policy && policy->is_object() ? std::move(*policy) : Json();
    }
};

SqsStore::Queue *SqsStore::findUtf8(QByteArrayView name) const
{
    if (m_lastFound && m_lastFound->nameUtf8 == name)
        return m_lastFound;
    return find(QString::fromUtf8(name));
}

auto SqsStore::findMessage(Queue &q, qint64 seq)
{
    // A queue is consumed from its front: the oldest message is the one most often asked
    // for (a delete after a receive), and the first node costs no walk of the tree.
    const auto first = q.messages.begin();
    if (first != q.messages.end() && first->first == seq)
        return first;
    return q.messages.find(seq);
}

SqsStore::SqsStore(Store *store, const Clock *clock, QString region, QString accountId)
    : m_store(store)
    , m_clock(clock)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

SqsStore::~SqsStore()
{
    m_saver.reset();
    QMutexLocker lock(&m_mutex);
    if (auto r = writeBehindLocked(); !r)
        qWarning("tarmac: sqs: cannot save the last receives and deletes: %s (the deletes "
                 "are applied at the next start)",
            qPrintable(r.error().message));
    if (m_journal)
        ::munmap(m_journal, kJournalRecords * sizeof(SqsJournalRecord));
}

Result<void> SqsStore::open()
{
    static const std::vector<Migration> migrations = {
        {1,
            "CREATE TABLE sqs_queues (name TEXT PRIMARY KEY, fifo INTEGER NOT NULL,"
            " attributes TEXT NOT NULL, tags TEXT NOT NULL, created_ms INTEGER NOT NULL,"
            " modified_ms INTEGER NOT NULL);"
            "CREATE TABLE sqs_messages (seq INTEGER PRIMARY KEY, queue TEXT NOT NULL,"
            " message_id TEXT NOT NULL, body BLOB NOT NULL, attributes TEXT NOT NULL,"
            " system_attributes TEXT NOT NULL, sent_ms INTEGER NOT NULL,"
            " visible_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL,"
            " first_receive_ms INTEGER NOT NULL, generation INTEGER NOT NULL,"
            " group_id TEXT NOT NULL, deduplication_id TEXT NOT NULL);"
            "CREATE INDEX sqs_messages_queue ON sqs_messages (queue, seq);"},
        {2, "ALTER TABLE sqs_messages ADD COLUMN dead_letter_source TEXT NOT NULL DEFAULT '';"},
        // Every send and delete paid for a second b-tree that only PurgeQueue and DeleteQueue
        // read (the queues live in memory): they scan the table instead.
        {3, "DROP INDEX sqs_messages_queue;"},
    };
    if (auto r = m_store->migrateModule(QLatin1String(kModule), migrations); !r)
        return r;
    QMutexLocker lock(&m_mutex);
    // The sends a crash left before the deletes: a message sent and deleted since the last
    // write-behind is in both.
    if (auto r = openSendJournal(); !r)
        return r;
    if (auto r = openJournal(); !r)
        return r;
    if (auto r = load(); !r)
        return r;
    m_saver = std::make_unique<WakeableThread>(
        "tarmac-sqs-save",
        [this] {
            if (auto r = writeBehind(); !r)
                qWarning("tarmac: sqs: cannot save receives and deletes: %s",
                    qPrintable(r.error().message));
        },
        std::chrono::milliseconds(kWriteBehindDelayMs));
    return {};
}

namespace {

// A journaled send's row, unless the message has one already: a visibility change wrote it,
// or a crash came after the write-behind committed it and before the journal started over.
Result<void> insertJournaled(Database &db, const SqsSendJournal::Entry &e)
{
    auto st = db.cached("INSERT OR IGNORE INTO sqs_messages (seq, queue, message_id, body,"
                        " attributes, system_attributes, sent_ms, visible_ms, receive_count,"
                        " first_receive_ms, generation, group_id, deduplication_id,"
                        " dead_letter_source) VALUES (?,?,?,?,?,?,?,?,0,0,0,?,?,'')");
    if (!st)
        return st.error();
    const auto text = [](QByteArrayView v) { return std::string_view(v.data(), size_t(v.size())); };
    return (*st)
        ->bind(1, e.seq)
        .bindInPlace(2, text(e.queue))
        .bindInPlace(3, text(e.messageId))
        .bindBlobInPlace(4, e.body)
        .bindInPlace(5, text(e.attributes))
        .bindInPlace(6, text(e.systemAttributes))
        .bind(7, e.sentMs)
        .bind(8, e.visibleMs)
        .bindInPlace(9, text(e.groupId))
        .bindInPlace(10, text(e.deduplicationId))
        .exec();
}

} // namespace

QString SqsStore::journalPath(const char *name) const
{
    const QString database = m_store->databasePath();
    if (database.isEmpty() || database == QLatin1String(":memory:"))
        return {};
    return QFileInfo(database).absolutePath() + u'/' + QLatin1String(name);
}

Result<void> SqsStore::openSendJournal()
{
    const QString path = journalPath("sqs-sends");
    if (path.isEmpty())
        return {}; // nowhere to keep it: sends commit their rows
    auto journal = std::make_unique<SqsSendJournal>();
    if (auto r = journal->open(path, kSendJournalBytes); !r)
        return r;
    if (!journal->isEmpty()) {
        // Sends acknowledged whose rows were not written yet.
        auto r = m_store->write([&](Database &db) -> Result<void> {
            Transaction t(db);
            if (!t.began())
                return t.began().error();
            Result<void> inserted;
            journal->forEach([&](const SqsSendJournal::Entry &e) {
                if (inserted)
                    inserted = insertJournaled(db, e);
            });
            if (!inserted)
                return inserted;
            return t.commit();
        });
        if (!r)
            return r;
        journal->clear();
    }
    m_sends = std::move(journal);
    return {};
}

Result<void> SqsStore::openJournal()
{
    const QString path = journalPath("sqs-deletes");
    if (path.isEmpty())
        return {}; // nowhere to keep it: deletes commit their rows
    auto map = mapJournalFile(path, kJournalRecords * sizeof(SqsJournalRecord));
    if (!map)
        return map.error();
    m_journal = reinterpret_cast<SqsJournalRecord *>(*map);
    // What a crash left: deletes acknowledged whose rows were not removed yet.
    QList<qint64> seqs;
    for (qsizetype i = 0; i < kJournalRecords && isRecord(m_journal[i]); ++i) {
        seqs.append(m_journal[i].seq);
        m_nextSeq = std::max(m_nextSeq, m_journal[i].seq + 1); // its handle names no later message
    }
    if (auto r = removeMessages(seqs); !r)
        return r;
    forgetJournal();
    return {};
}

void SqsStore::forgetJournal()
{
    m_removeSoon.clear();
    m_journalEnd = 0;
    if (m_journal)
        std::memset(static_cast<void *>(m_journal), 0, kJournalRecords * sizeof(SqsJournalRecord));
}

Result<void> SqsStore::removeSoon(std::span<const qint64> seqs)
{
    if (seqs.empty())
        return {};
    if (!m_journal)
        return removeMessages(QList<qint64>(seqs.begin(), seqs.end()));
    if (m_journalEnd + qsizetype(seqs.size()) > kJournalRecords) {
        // The write-behind is that far behind: it runs now, and the journal starts over.
        if (auto r = writeBehindLocked(); !r)
            return r;
        if (qsizetype(seqs.size()) > kJournalRecords)
            return removeMessages(QList<qint64>(seqs.begin(), seqs.end()));
    }
    // Stores into the file's pages: in the page cache, and so past a kill -9, at once.
    for (const qint64 seq : seqs) {
        m_journal[m_journalEnd++] = {seq, quint64(seq) ^ kJournalCheck};
        m_removeSoon.append(seq);
    }
    m_saver->wake();
    return {};
}

Result<void> SqsStore::writeBehind()
{
    QMutexLocker lock(&m_mutex);
    return writeBehindLocked();
}

// Under m_mutex, so that no newer row (a visibility change, a move) is overwritten by these
// older values.
Result<void> SqsStore::writeBehindLocked()
{
    if (m_removeSoon.isEmpty() && (!m_sends || m_sends->isEmpty())
        && std::all_of(m_queues.begin(), m_queues.end(),
            [](const auto &entry) { return entry.second->unsaved.empty(); }))
        return {};
    auto r = m_store->write([&](Database &db) -> Result<void> {
        Transaction t(db);
        if (!t.began())
            return t.began().error();
        if (m_sends) {
            // The sends first, as they were sent: the receives below update their rows. A
            // message gone since (deleted, expired) gets none.
            Result<void> inserted;
            m_sends->forEach([&](const SqsSendJournal::Entry &e) {
                Queue *q = inserted ? findUtf8(e.queue) : nullptr;
                if (q && findMessage(*q, e.seq) != q->messages.end())
                    inserted = insertJournaled(db, e);
            });
            if (!inserted)
                return inserted;
        }
        auto st = db.cached("UPDATE sqs_messages SET visible_ms = ?, receive_count = ?,"
                            " first_receive_ms = ?, generation = ? WHERE seq = ?");
        if (!st)
            return st.error();
        for (const auto &[name, q] : m_queues) {
            for (const qint64 seq : q->unsaved) {
                const auto it = q->messages.find(seq);
                if (it == q->messages.end())
                    continue; // deleted, expired or moved since: its row says so already
                const Message &m = it->second;
                if (auto e = (*st)
                                 ->bind(1, m.visibleMs)
                                 .bind(2, m.receiveCount)
                                 .bind(3, m.firstReceiveMs)
                                 .bind(4, m.generation)
                                 .bind(5, m.seq)
                                 .exec();
                    !e)
                    return e;
            }
        }
        if (auto e = deleteRows(db, m_removeSoon); !e)
            return e;
        return t.commit();
    });
    if (!r)
        return r; // kept: the next receive's or delete's wake tries again
    for (const auto &[name, q] : m_queues)
        q->unsaved.clear();
    // The journal's records are applied: zeroed (a few pages at most), so that no crash reads
    // them again, not even after a snapshot brought their rows back; the next go over them.
    if (m_journal)
        std::memset(
            static_cast<void *>(m_journal), 0, size_t(m_journalEnd) * sizeof(SqsJournalRecord));
    m_removeSoon.clear();
    m_journalEnd = 0;
    if (m_sends)
        m_sends->clear();
    return {};
}

Result<void> SqsStore::saveSendsLocked()
{
    if (!m_sends || m_sends->isEmpty())
        return {};
    return writeBehindLocked();
}

Result<void> SqsStore::reload()
{
    // The module's lock before the store's, as every operation takes them. m_nextSeq is not
    // reset: it only grows past the rows' sequences, so that a receipt handle given out
    // before (a function's batch still running, a client's) names no message sent after.
    QMutexLocker lock(&m_mutex);
    m_lastFound = nullptr;
    m_queues.clear(); // with the receives of the rows that went
    forgetJournal(); // and the deletes: their sequences may name rows of the state that came
    if (m_sends)
        m_sends->clear(); // the engine's flushState() wrote them before the rows were replaced
    return load();
}

Result<void> SqsStore::load()
{
    return m_store->write([this](Database &db) -> Result<void> {
        auto queues = db.prepare(
            "SELECT name, fifo, attributes, tags, created_ms, modified_ms FROM sqs_queues");
        if (!queues)
            return queues.error();
        auto read = queues->forEachRow([&] {
            auto q = std::make_unique<Queue>();
            q->name = queues->text(0);
            q->nameUtf8 = q->name.toUtf8();
            q->fifo = queues->int64(1) != 0;
            q->setAttributes(stringMapFrom(jsonColumn(queues->blob(2))));
            q->tags = stringMapFrom(jsonColumn(queues->blob(3)));
            q->createdMs = queues->int64(4);
            q->modifiedMs = queues->int64(5);
            m_queues[q->name] = std::move(q);
        });
        if (!read)
            return read;
        auto messages = db.prepare(
            "SELECT seq, queue, message_id, body, attributes, system_attributes, sent_ms,"
            " visible_ms, receive_count, first_receive_ms, generation, group_id, deduplication_id,"
            " dead_letter_source FROM sqs_messages ORDER BY seq");
        if (!messages)
            return messages.error();
        return messages->forEachRow([&] {
            Message m;
            m.seq = messages->int64(0);
            m_nextSeq = std::max(m_nextSeq, m.seq + 1);
            Queue *q = find(messages->text(1));
            if (!q)
                return;
            m.id = messages->text(2);
            m.body = messages->blob(3);
            m.md5OfBody = md5Hex(m.body);
            m.attributes = attributesFrom(jsonColumn(messages->blob(4)));
            m.md5OfAttributes = m.attributes.isEmpty() ? QString() : md5OfAttributes(m.attributes);
            m.systemAttributes = attributesFrom(jsonColumn(messages->blob(5)));
            m.sentMs = messages->int64(6);
            m.visibleMs = messages->int64(7);
            m.receiveCount = int(messages->int64(8));
            m.firstReceiveMs = messages->int64(9);
            m.generation = messages->int64(10);
            m.groupId = messages->text(11);
            m.deduplicationId = messages->text(12);
            m.deadLetterSource = messages->text(13);
            if (q->fifo && !m.deduplicationId.isEmpty())
                remember(
                    *q, deduplicationKey(*q, m), m.sentMs + kDeduplicationWindowMs, m.id, m.seq);
            place(*q, std::move(m));
        });
    });
}

SqsStore::Queue *SqsStore::find(const QString &name) const
{
    // Clients mostly work one queue at a time: the queue found last is compared first,
    // before a walk of the tree of names (a cache miss a level on a machine just woken).
    if (m_lastFound && m_lastFound->name == name)
        return m_lastFound;
    const auto it = m_queues.find(name);
    if (it == m_queues.end())
        return nullptr;
    m_lastFound = it->second.get();
    return m_lastFound;
}

bool SqsStore::exists(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    return find(name) != nullptr;
}

QString SqsStore::arnOf(const QString &name) const
{
    return QStringLiteral("arn:aws:sqs:%1:%2:%3").arg(m_region, m_accountId, name);
}

QStringList SqsStore::queueNames(const QString &prefix) const
{
    QMutexLocker lock(&m_mutex);
    QStringList out;
    for (const auto &[name, q] : m_queues) {
        if (name.startsWith(prefix))
            out.append(name);
    }
    return out;
}

namespace {

// Checks one settable attribute's value; an error in SQS's words.
Result<QString> checkAttribute(const QString &name, const QString &value, bool fifo, bool creating)
{
    const AttributeRule *rule = ruleFor(name);
    if (!rule)
        return sqsError(QStringLiteral("InvalidAttributeName"),
            QStringLiteral("Unknown Attribute %1.").arg(name));
    const Error bad = invalidValue(QStringLiteral("Invalid value for the parameter %1.").arg(name));
    if (rule->fifoOnly && !fifo)
        return sqsError(QStringLiteral("InvalidAttributeName"),
            QStringLiteral("Unknown Attribute %1.").arg(name));
    if (rule->max > 0) {
        bool ok = false;
        const qint64 v = value.toLongLong(&ok);
        if (!ok || v < rule->min || v > rule->max)
            return bad;
        return QString::number(v);
    }
    if (name == QLatin1String("FifoQueue")) {
        if (!creating)
            return invalidValue(QStringLiteral("Invalid value for the parameter FifoQueue. "
                                               "Reason: Modifying queue type is not supported."));
        if (value != QLatin1String(fifo ? "true" : "false"))
            return bad;
        return value;
    }
    if (name == QLatin1String("SqsManagedSseEnabled")
        || name == QLatin1String("ContentBasedDeduplication")) {
        if (value != QLatin1String("true") && value != QLatin1String("false"))
            return bad;
        return value;
    }
    if (name == QLatin1String("DeduplicationScope") && value != QLatin1String("messageGroup")
        && value != QLatin1String("queue"))
        return bad;
    if (name == QLatin1String("FifoThroughputLimit") && value != QLatin1String("perQueue")
        && value != QLatin1String("perMessageGroupId"))
        return bad;
    if (name == QLatin1String("RedrivePolicy") && !value.isEmpty()) {
        auto json = parseJson(value.toUtf8());
        const Json *p = json ? &*json : nullptr;
        qint64 max = 0;
        if (p && p->is_object() && p->contains("maxReceiveCount")) {
            const Json &m = (*p)["maxReceiveCount"];
            if (m.is_number_integer())
                max = m.get<qint64>();
            else if (m.is_string())
                max = fromStd(m.get<std::string>()).toLongLong();
        }
        if (!p || !p->is_object() || !p->contains("deadLetterTargetArn")
            || !(*p)["deadLetterTargetArn"].is_string())
            return invalidValue(QStringLiteral("Value %1 for parameter RedrivePolicy is invalid. "
                                               "Reason: Redrive policy is not a valid JSON map "
                                               "or is missing deadLetterTargetArn.")
                                    .arg(value));
        if (max < 1 || max > 1000)
            return invalidValue(
                QStringLiteral("Value %1 for parameter RedrivePolicy is invalid. Reason: Invalid "
                               "value for maxReceiveCount: %2, valid values are from 1 to 1000 "
                               "both inclusive.")
                    .arg(value)
                    .arg(max));
    }
    return value;
}

} // namespace

Result<void> SqsStore::createQueue(
    const QString &name, const QMap<QString, QString> &given, const QMap<QString, QString> &tags)
{
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_-]{1,80}$"));
    const bool fifo = name.endsWith(QLatin1String(".fifo"));
    if (!valid.match(fifo ? name.chopped(5) : name).hasMatch() || name.size() > 80)
        return invalidValue(QStringLiteral("Can only include alphanumeric characters, hyphens, or "
                                           "underscores. 1 to 80 in length"));
    if (given.value(QStringLiteral("FifoQueue")) == QLatin1String("true") && !fifo)
        return invalidValue(QStringLiteral("The name of a FIFO queue can only include "
                                           "alphanumeric characters, hyphens, or underscores, "
                                           "must end with .fifo suffix and be 1 to 80 in length."));
    QMap<QString, QString> attributes;
    for (const AttributeRule &r : attributeRules()) {
        if (r.fallback && (!r.fifoOnly || fifo))
            attributes.insert(QLatin1String(r.name), QLatin1String(r.fallback));
    }
    if (fifo)
        attributes.insert(QStringLiteral("FifoQueue"), QStringLiteral("true"));
    for (auto it = given.cbegin(); it != given.cend(); ++it) {
        auto v = checkAttribute(it.key(), it.value(), fifo, true);
        if (!v)
            return v.error();
        if (it.key() != QLatin1String("FifoQueue") || fifo)
            attributes.insert(it.key(), *v);
    }
    QMutexLocker lock(&m_mutex);
    if (Queue *existing = find(name)) {
        for (auto it = given.cbegin(); it != given.cend(); ++it) {
            if (existing->attributes.value(it.key()) != attributes.value(it.key()))
                return sqsError(QStringLiteral("QueueAlreadyExists"),
                    QStringLiteral("A queue already exists with the same name and a different "
                                   "value for attribute %1")
                        .arg(it.key()));
        }
        return {};
    }
    auto q = std::make_unique<Queue>();
    q->name = name;
    q->nameUtf8 = name.toUtf8();
    q->fifo = fifo;
    q->setAttributes(attributes);
    q->tags = tags;
    q->createdMs = q->modifiedMs = m_clock->nowMs();
    if (auto r = persistQueue(*q); !r)
        return r;
    m_queues[name] = std::move(q);
    return {};
}

Result<void> SqsStore::persistQueue(const Queue &q)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("INSERT OR REPLACE INTO sqs_queues (name, fifo, attributes, tags,"
                             " created_ms, modified_ms) VALUES (?, ?, ?, ?, ?, ?)");
        if (!st)
            return st.error();
        const std::string attributes = toJsonBytes(stringMapJson(q.attributes)).toStdString();
        const std::string tags = toJsonBytes(stringMapJson(q.tags)).toStdString();
        return st->bind(1, q.name)
            .bind(2, q.fifo ? 1 : 0)
            .bind(3, std::string_view(attributes))
            .bind(4, std::string_view(tags))
            .bind(5, q.createdMs)
            .bind(6, q.modifiedMs)
            .exec();
    });
}

Result<void> SqsStore::deleteQueue(const QString &name)
{
    QMutexLocker lock(&m_mutex);
    if (!find(name))
        return noQueue();
    if (auto r = saveSendsLocked(); !r)
        return r;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        Transaction t(db);
        if (!t.began())
            return t.began().error();
        for (const char *sql :
            {"DELETE FROM sqs_messages WHERE queue = ?", "DELETE FROM sqs_queues WHERE name = ?"}) {
            auto st = db.prepare(sql);
            if (!st)
                return st.error();
            if (auto e = st->bind(1, name).exec(); !e)
                return e;
        }
        return t.commit();
    });
    if (!r)
        return r;
    m_lastFound = nullptr;
    m_queues.erase(name);
    return {};
}

Result<QMap<QString, QString>> SqsStore::attributes(
    const QString &name, const QStringList &names) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    const qint64 now = m_clock->nowMs();
    const_cast<SqsStore *>(this)->dropExpired(*q, now);
    QMap<QString, QString> all = q->attributes;
    all.insert(QStringLiteral("QueueArn"), arnOf(name));
    // The counts walk every message: only when asked for (a receive reads its queue's wait).
    const bool counts = std::any_of(names.cbegin(), names.cend(), [](const QString &n) {
        return n == u"All" || n.startsWith(u"ApproximateNumberOfMessages");
    });
    if (counts) {
        qint64 visible = 0, inFlight = 0, delayed = 0;
        for (const auto &[seq, m] : q->messages) {
            if (m.visibleMs <= now)
                ++visible;
            else if (m.receiveCount > 0)
                ++inFlight;
            else
                ++delayed;
        }
        all.insert(QStringLiteral("ApproximateNumberOfMessages"), QString::number(visible));
        all.insert(
            QStringLiteral("ApproximateNumberOfMessagesNotVisible"), QString::number(inFlight));
        all.insert(QStringLiteral("ApproximateNumberOfMessagesDelayed"), QString::number(delayed));
    }
    all.insert(QStringLiteral("CreatedTimestamp"), QString::number(q->createdMs / 1000));
    all.insert(QStringLiteral("LastModifiedTimestamp"), QString::number(q->modifiedMs / 1000));
    if (names.contains(QStringLiteral("All")))
        return all;
    QMap<QString, QString> out;
    for (const QString &n : names) {
        if (!all.contains(n) && !ruleFor(n))
            return sqsError(QStringLiteral("InvalidAttributeName"),
                QStringLiteral("Unknown Attribute %1.").arg(n));
        if (all.contains(n))
            out.insert(n, all.value(n));
    }
    return out;
}

Result<QString> SqsStore::attribute(const QString &name, const QString &attribute) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    return q->attributes.value(attribute);
}

Result<void> SqsStore::setAttributes(const QString &name, const QMap<QString, QString> &given)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    QMap<QString, QString> attributes = q->attributes;
    for (auto it = given.cbegin(); it != given.cend(); ++it) {
        auto v = checkAttribute(it.key(), it.value(), q->fifo, false);
        if (!v)
            return v.error();
        if (v->isEmpty() && !ruleFor(it.key())->fallback)
            attributes.remove(it.key()); // "" clears RedrivePolicy, Policy…
        else
            attributes.insert(it.key(), *v);
    }
    QMap<QString, QString> before = q->attributes;
    q->setAttributes(std::move(attributes));
    q->modifiedMs = m_clock->nowMs();
    if (auto r = persistQueue(*q); !r) {
        q->setAttributes(std::move(before));
        return r;
    }
    return {};
}

Result<QMap<QString, QString>> SqsStore::tags(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    return q->tags;
}

Result<void> SqsStore::tag(const QString &name, const QMap<QString, QString> &tags)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    q->tags.insert(tags);
    return persistQueue(*q);
}

Result<void> SqsStore::untag(const QString &name, const QStringList &keys)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    for (const QString &k : keys)
        q->tags.remove(k);
    return persistQueue(*q);
}

Result<QStringList> SqsStore::deadLetterSources(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    if (!find(name))
        return noQueue();
    const QString arn = arnOf(name);
    QStringList out;
    for (const auto &[source, q] : m_queues) {
        const Json policy = q->redrivePolicy();
        if (policy.is_object()
            && policy.value("deadLetterTargetArn", std::string()) == arn.toStdString())
            out.append(source);
    }
    return out;
}

void SqsStore::place(Queue &q, Message &&m)
{
    const auto [at, inserted] = q.messages.emplace(m.seq, std::move(m));
    if (inserted) // sequences are never given twice: always
        index(q, at->second);
}

void SqsStore::index(Queue &q, Message &m)
{
    // Most entries go last: a receive's new visibility time is the latest, and so is a send's
    // when nothing is in flight. The hint saves the walk down the tree when it is right.
    m.visibleAt = q.byVisible.emplace_hint(q.byVisible.end(), std::pair(m.visibleMs, m.seq), &m);
}

void SqsStore::unindex(Queue &q, const Message &m)
{
    Q_ASSERT(m.visibleAt->first.second == m.seq); // `m` may be a copy moved out of its node
    q.byVisible.erase(m.visibleAt);
}

Result<void> SqsStore::insertMessage(Database &db, const QString &queue, const Message &m)
{
    auto st
        = db.cached("INSERT OR REPLACE INTO sqs_messages (seq, queue, message_id, body, attributes,"
                    " system_attributes, sent_ms, visible_ms, receive_count, first_receive_ms,"
                    " generation, group_id, deduplication_id, dead_letter_source)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return st.error();
    const QByteArray attributes = attributesText(m.attributes);
    const QByteArray system = attributesText(m.systemAttributes);
    return (*st)
        ->bind(1, m.seq)
        .bind(2, queue)
        .bind(3, m.id)
        .bind(4, m.body)
        .bind(5, std::string_view(attributes.constData(), size_t(attributes.size())))
        .bind(6, std::string_view(system.constData(), size_t(system.size())))
        .bind(7, m.sentMs)
        .bind(8, m.visibleMs)
        .bind(9, m.receiveCount)
        .bind(10, m.firstReceiveMs)
        .bind(11, m.generation)
        .bind(12, m.groupId)
        .bind(13, m.deduplicationId)
        .bind(14, m.deadLetterSource)
        .exec();
}

Result<void> SqsStore::persistMessage(const QString &queue, const Message &m)
{
    return m_store->write([&](Database &db) { return insertMessage(db, queue, m); });
}

Result<void> SqsStore::removeMessages(const QList<qint64> &seqs)
{
    if (seqs.isEmpty())
        return {};
    return m_store->write([&](Database &db) -> Result<void> {
        Transaction t(db);
        if (!t.began())
            return t.began().error();
        if (auto r = deleteRows(db, seqs); !r)
            return r;
        return t.commit();
    });
}

Result<void> SqsStore::deleteRows(Database &db, const QList<qint64> &seqs)
{
    auto st = db.cached("DELETE FROM sqs_messages WHERE seq = ?");
    if (!st)
        return st.error();
    for (const qint64 seq : seqs) {
        if (auto r = (*st)->bind(1, seq).exec(); !r)
            return r;
    }
    return {};
}

void SqsStore::dropExpired(Queue &q, qint64 nowMs)
{
    const qint64 retentionMs = qint64(q.retentionSeconds) * 1000;
    QList<qint64> gone;
    while (!q.messages.empty() && q.messages.begin()->second.sentMs + retentionMs <= nowMs) {
        unindex(q, q.messages.begin()->second);
        gone.append(q.messages.begin()->first);
        q.messages.erase(q.messages.begin());
    }
    (void)removeMessages(gone); // a row left behind is dropped again at the next open
    // Oldest first: each receive and send looks at the expired ones only.
    while (!q.deduplicationOrder.empty() && q.deduplicationOrder.front().first <= nowMs) {
        const auto &[expiresMs, key] = q.deduplicationOrder.front();
        if (const auto it = q.deduplication.constFind(key);
            it != q.deduplication.cend() && it->expiresMs == expiresMs)
            q.deduplication.erase(it);
        q.deduplicationOrder.pop_front();
    }
}

QString SqsStore::deduplicationKey(const Queue &q, const Message &m)
{
    return q.attributes.value(QStringLiteral("DeduplicationScope")) == QLatin1String("messageGroup")
        ? m.groupId + u'\n' + m.deduplicationId
        : m.deduplicationId;
}

void SqsStore::remember(
    Queue &q, const QString &key, qint64 expiresMs, const QString &messageId, qint64 seq)
{
    q.deduplicationOrder.emplace_back(expiresMs, key);
    q.deduplication.insert(key, {expiresMs, messageId, seq});
}

QString SqsStore::md5Hex(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Md5).toHex());
}

QString SqsStore::md5OfAttributes(const SqsAttributes &attributes)
{
    QByteArray buffer;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it) { // QMap: sorted
        appendLengthPrefixed(buffer, it.key().toUtf8());
        appendLengthPrefixed(buffer, it->dataType.toUtf8());
        buffer.append(char(it->isBinary() ? 2 : 1));
        appendLengthPrefixed(buffer, it->value);
    }
    return md5Hex(buffer);
}

// Checks one send and makes its message (`duplicate`: a FIFO duplicate, answered with the
// first send's result and not stored); the caller persists and indexes it. Under m_mutex.
Result<SqsSendResult> SqsStore::prepareSend(
    Queue *q, const SqsSendRequest &request, Message *out, bool *duplicate)
{
    SqsSendResult result;
    *duplicate = false;
    qint64 size = request.body.size();
    for (auto it = request.attributes.cbegin(); it != request.attributes.cend(); ++it)
        size += it.key().toUtf8().size() + it->dataType.toUtf8().size() + it->value.size();
    const int maxSize = q->maximumMessageSize;
    if (size > maxSize)
        return invalidValue(QStringLiteral("One or more parameters are invalid. Reason: "
                                           "Message must be shorter than %1 bytes.")
                                .arg(maxSize));
    if (request.body.isEmpty())
        return sqsError(QStringLiteral("MissingParameter"),
            QStringLiteral("The request must contain the parameter MessageBody."));
    if (request.delaySeconds && (*request.delaySeconds < 0 || *request.delaySeconds > 900))
        return invalidValue(QStringLiteral(
            "Value %1 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
            ">= 0 and <= 900.")
                                .arg(*request.delaySeconds));
    const qint64 now = m_clock->nowMs();
    Message &m = *out;
    m.body = request.body;
    m.md5OfBody = md5Hex(request.body);
    m.attributes = request.attributes;
    m.md5OfAttributes
        = request.attributes.isEmpty() ? QString() : md5OfAttributes(request.attributes);
    m.systemAttributes = request.systemAttributes;
    m.sentMs = now;
    QString deduplicationKeyOfSend;
    if (q->fifo) {
        if (request.groupId.isEmpty())
            return sqsError(QStringLiteral("MissingParameter"),
                QStringLiteral("The request must contain the parameter MessageGroupId."));
        if (request.delaySeconds && *request.delaySeconds != 0)
            return invalidValue(
                QStringLiteral("Value %1 for parameter DelaySeconds is invalid. Reason: The "
                               "request include parameter that is not valid for this queue "
                               "type.")
                    .arg(*request.delaySeconds));
        m.groupId = request.groupId;
        m.deduplicationId = request.deduplicationId;
        if (m.deduplicationId.isEmpty()) {
            if (q->attributes.value(QStringLiteral("ContentBasedDeduplication"))
                != QLatin1String("true"))
                return invalidValue(QStringLiteral(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"));
            m.deduplicationId = QString::fromLatin1(
                QCryptographicHash::hash(request.body, QCryptographicHash::Sha256).toHex());
        }
        dropExpired(*q, now);
        deduplicationKeyOfSend = deduplicationKey(*q, m);
        if (const auto seen = q->deduplication.constFind(deduplicationKeyOfSend);
            seen != q->deduplication.cend() && seen->expiresMs > now) {
            // Accepted, not delivered again: the first send's answer.
            result.messageId = seen->messageId;
            result.md5OfBody = m.md5OfBody;
            result.md5OfAttributes = m.md5OfAttributes;
            result.sequenceNumber = QString::number(seen->seq).rightJustified(20, u'0');
            *duplicate = true;
            return result;
        }
    }
    m.seq = m_nextSeq++;
    m.id = QString::fromLatin1(newRequestId());
    if (q->fifo)
        remember(*q, deduplicationKeyOfSend, now + kDeduplicationWindowMs, m.id, m.seq);
    const int delay = request.delaySeconds.value_or(q->delaySeconds);
    m.visibleMs = now + qint64(delay) * 1000;
    result.messageId = m.id;
    result.md5OfBody = m.md5OfBody;
    result.md5OfAttributes = m.md5OfAttributes;
    if (!m.systemAttributes.isEmpty() && !request.traceHeaderAdded)
        result.md5OfSystemAttributes = md5OfAttributes(m.systemAttributes);
    if (q->fifo)
        result.sequenceNumber = QString::number(m.seq).rightJustified(20, u'0');
    return result;
}

Result<SqsSendResult> SqsStore::send(const QString &name, const SqsSendRequest &request)
{
    return sendBatch(name, {request}).first();
}

QList<Result<SqsSendResult>> SqsStore::sendBatch(
    const QString &name, const QList<SqsSendRequest> &requests)
{
    QList<std::pair<QString, SqsSendRequest>> sends;
    sends.reserve(requests.size());
    for (const SqsSendRequest &request : requests)
        sends.append({name, request});
    return sendToQueues(sends);
}

QList<Result<SqsSendResult>> SqsStore::sendToQueues(
    const QList<std::pair<QString, SqsSendRequest>> &sends)
{
    QList<Result<SqsSendResult>> results;
    QStringList available;
    {
        QMutexLocker lock(&m_mutex);
        // Each message is acknowledged once it is journaled, or committed.
        struct Made
        {
            Queue *queue;
            Message message;
            qsizetype answers; // the send it answers
        };
        std::vector<Made> made;
        for (const auto &[name, request] : sends) {
            Queue *q = find(name);
            if (!q) {
                results.append(noQueue());
                continue;
            }
            Message m;
            bool duplicate = false;
            results.append(prepareSend(q, request, &m, &duplicate));
            if (results.last() && !duplicate)
                made.push_back({q, std::move(m), results.size() - 1});
        }
        // Stores the sends' records when the journal has room for all of them (after a
        // write-behind when it has to): whether it did.
        const auto journalSends = [&] {
            if (!m_sends)
                return false;
            struct Texts
            {
                QByteArray id, attributes, system, groupId, deduplicationId;
            };
            std::vector<Texts> texts;
            std::vector<SqsSendJournal::Entry> entries;
            texts.reserve(made.size());
            entries.reserve(made.size());
            qsizetype bytes = 0;
            for (const Made &one : made) {
                const Message &m = one.message;
                const Texts &t = texts.emplace_back(Texts {m.id.toLatin1(),
                    attributesText(m.attributes), attributesText(m.systemAttributes),
                    m.groupId.toUtf8(), m.deduplicationId.toUtf8()});
                entries.push_back({m.seq, m.sentMs, m.visibleMs, one.queue->nameUtf8, t.id, m.body,
                    t.attributes, t.system, t.groupId, t.deduplicationId});
                bytes += SqsSendJournal::recordBytes(entries.back());
            }
            if (!m_sends->fits(bytes) && !m_sends->isEmpty())
                (void)writeBehindLocked(); // when it fails, the journal stays full
            if (!m_sends->fits(bytes))
                return false;
            for (const SqsSendJournal::Entry &e : entries)
                m_sends->append(e);
            // A write-behind holds the lock while it writes: past 512 KiB of sends (about
            // 1,500 of 256 bytes, 3 ms of writing), it runs at once rather than gather more.
            // At 10,000 messages a second, that kept the 99.9th percentile of a batch send
            // where it was before the journal (3.4-4.1 ms); with 4 MiB it was 9.9.
            if (m_sends->bytesUsed() >= kSendJournalBytes / 64)
                m_saver->hurry();
            else
                m_saver->wake();
            return true;
        };
        Result<void> written;
        if (!made.empty() && !journalSends()) {
            // Too large for the journal, or no journal: one transaction for them all.
            written = m_store->write([&](Database &db) -> Result<void> {
                Transaction t(db);
                if (!t.began())
                    return t.began().error();
                for (const Made &m : made) {
                    if (auto r = insertMessage(db, m.queue->name, m.message); !r)
                        return r;
                }
                return t.commit();
            });
        }
        if (!written) {
            for (const Made &m : made)
                results[m.answers] = written.error();
            return results;
        }
        const qint64 now = m_clock->nowMs();
        for (Made &m : made) {
            if (m.message.visibleMs <= now && !available.contains(m.queue->name))
                available.append(m.queue->name);
            place(*m.queue, std::move(m.message));
        }
    }
    for (const QString &name : std::as_const(available))
        notify(name);
    return results;
}

// "seq:generation:queue:random", base64url; parseReceiptHandle() reads it back.
QString SqsStore::handleFor(const Queue &q, const Message &m) const
{
    QByteArray raw;
    raw.reserve(64 + q.name.size() * 3); // one allocation
    appendNumber(raw, m.seq);
    raw += ':';
    appendNumber(raw, m.generation);
    raw += ':';
    raw += q.name.toUtf8();
    raw += ':';
    appendNumber(raw, random64(), 36);
    return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding));
}

void SqsStore::resetForMove(Message &m, const Queue &to, qint64 nowMs, const QString &source)
{
    m.visibleMs = nowMs;
    m.receiveCount = 0;
    m.firstReceiveMs = 0;
    m.generation = 0;
    m.deadLetterSource = source;
    if (!to.fifo) {
        m.groupId.clear();
        m.deduplicationId.clear();
    }
}

Result<void> SqsStore::moveRows(Database &db, const QList<MovedRow> &rows, qint64 nowMs)
{
    Transaction t(db);
    if (!t.began())
        return t.began().error();
    auto st = db.cached("UPDATE sqs_messages SET seq = ?, queue = ?, visible_ms = ?,"
                        " receive_count = 0, first_receive_ms = 0, generation = 0,"
                        " dead_letter_source = ? WHERE seq = ?");
    if (!st)
        return st.error();
    for (const MovedRow &row : rows) {
        if (auto e = (*st)
                         ->bind(1, row.newSeq)
                         .bind(2, row.queue)
                         .bind(3, nowMs)
                         .bind(4, row.deadLetterSource)
                         .bind(5, row.oldSeq)
                         .exec();
            !e)
            return e;
    }
    return t.commit();
}

Result<void> SqsStore::moveToDeadLetter(Queue &q, Message m, qint64 nowMs)
{
    // Called with m already out of q.
    const Json policy = q.redrivePolicy();
    const QString target = policy.is_object()
        ? fromStd(policy.value("deadLetterTargetArn", std::string())).section(u':', 5)
        : QString();
    Queue *dlq = find(target);
    if (!dlq)
        return makeError(QStringLiteral("Internal"), QStringLiteral("no dead-letter queue"));
    const qint64 oldSeq = m.seq;
    const int receiveCount = m.receiveCount;
    m.seq = m_nextSeq++;
    resetForMove(m, *dlq, nowMs, q.name);
    auto r = m_store->write([&](Database &db) {
        return moveRows(db, {{oldSeq, m.seq, dlq->name, q.name}}, nowMs);
    });
    if (!r)
        return r;
    if (m_deadLettered)
        m_deadLettered({q.name, dlq->name, m.id, receiveCount,
            QString::fromLatin1(m.systemAttributes.value(QStringLiteral("AWSTraceHeader")).value)});
    place(*dlq, std::move(m));
    return {};
}

Result<QList<SqsMessage>> SqsStore::receive(
    const QString &name, int max, std::optional<int> visibilityTimeout)
{
    if (max < 1 || max > 10)
        return invalidValue(QStringLiteral("Value %1 for parameter MaxNumberOfMessages is invalid. "
                                           "Reason: Must be between 1 and 10, if provided.")
                                .arg(max));
    if (visibilityTimeout && (*visibilityTimeout < 0 || *visibilityTimeout > 43200))
        return invalidValue(QStringLiteral("Value %1 for parameter VisibilityTimeout is invalid. "
                                           "Reason: Must be between 0 and 43200, if provided.")
                                .arg(*visibilityTimeout));
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    const qint64 now = m_clock->nowMs();
    dropExpired(*q, now);
    const int timeout = visibilityTimeout.value_or(q->visibilityTimeout);
    const int maxReceives = q->maxReceiveCount;
    // Candidates: visible messages; for FIFO, in send order with a group held back behind a
    // message of it that is in flight or delayed.
    QVarLengthArray<Message *, 10> picked;
    if (q->fifo) {
        QSet<QString> blocked;
        for (auto &[seq, m] : q->messages) {
            if (blocked.contains(m.groupId))
                continue;
            if (m.visibleMs > now) {
                blocked.insert(m.groupId);
                continue;
            }
            picked.append(&m);
            if (picked.size() == max)
                break;
        }
    } else {
        for (auto it = q->byVisible.begin(); it != q->byVisible.end() && it->first.first <= now;
             ++it) {
            picked.append(it->second);
            if (picked.size() == max)
                break;
        }
    }
    QList<SqsMessage> out;
    for (Message *picks : std::as_const(picked)) {
        Message &m = *picks;
        if (maxReceives > 0 && m.receiveCount >= maxReceives) {
            if (auto r = saveSendsLocked(); !r) // the row moved must be there
                return r.error();
            Message moving = std::move(m);
            unindex(*q, moving);
            q->messages.erase(moving.seq);
            if (auto r = moveToDeadLetter(*q, std::move(moving), now); !r)
                return r.error();
            continue;
        }
        unindex(*q, m);
        m.visibleMs = now + qint64(timeout) * 1000;
        ++m.receiveCount;
        ++m.generation;
        if (m.firstReceiveMs == 0)
            m.firstReceiveMs = now;
        index(*q, m);
        q->unsaved.push_back(m.seq);
        SqsMessage s;
        s.messageId = m.id;
        s.receiptHandle = handleFor(*q, m);
        s.body = m.body;
        s.md5OfBody = m.md5OfBody;
        s.md5OfAttributes = m.md5OfAttributes;
        s.attributes = m.attributes;
        s.senderId = m_accountId;
        s.sentMs = m.sentMs;
        s.receiveCount = m.receiveCount;
        s.firstReceiveMs = m.firstReceiveMs;
        s.fifo = q->fifo;
        s.groupId = m.groupId;
        s.deduplicationId = m.deduplicationId;
        s.sequence = m.seq;
        s.sentSystemAttributes = m.systemAttributes;
        out.append(std::move(s));
    }
    // The first receive since the saver's last run starts its wait; later ones join that run.
    if (!out.isEmpty())
        m_saver->wake();
    return out;
}

QMap<QString, QString> SqsMessage::systemAttributes() const
{
    QMap<QString, QString> sys;
    sys.insert(QStringLiteral("SenderId"), senderId);
    sys.insert(QStringLiteral("SentTimestamp"), QString::number(sentMs));
    sys.insert(QStringLiteral("ApproximateReceiveCount"), QString::number(receiveCount));
    sys.insert(QStringLiteral("ApproximateFirstReceiveTimestamp"), QString::number(firstReceiveMs));
    if (fifo) {
        sys.insert(QStringLiteral("MessageGroupId"), groupId);
        sys.insert(QStringLiteral("MessageDeduplicationId"), deduplicationId);
        sys.insert(
            QStringLiteral("SequenceNumber"), QString::number(sequence).rightJustified(20, u'0'));
    }
    for (auto a = sentSystemAttributes.cbegin(); a != sentSystemAttributes.cend(); ++a)
        sys.insert(a.key(), QString::fromUtf8(a->value));
    return sys;
}

Result<void> SqsStore::deleteMessage(const QString &name, const QString &receiptHandle)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    const auto handle = sqsrequests::parseReceiptHandle(receiptHandle);
    if (!handle)
        return invalidHandle(receiptHandle);
    auto it = findMessage(*q, handle->first);
    const qint64 now = m_clock->nowMs();
    if (it == q->messages.end())
        return {}; // deleted already: SQS answers success
    Message &m = it->second;
    if (handle->second < m.generation) {
        // An older receipt: a standard queue answers success and keeps the message (it was
        // received again since); FIFO refuses it.
        if (q->fifo)
            return invalidHandle(receiptHandle);
        return {};
    }
    // A newer receipt than the row knows comes from a receive a crash lost: it is current.
    if (q->fifo && handle->second == m.generation && m.visibleMs <= now)
        return invalidHandle(receiptHandle); // its visibility timeout ended: it expired
    if (auto r = removeSoon(std::span(&m.seq, 1)); !r)
        return r;
    unindex(*q, m);
    q->messages.erase(it);
    return {};
}

Result<void> SqsStore::deleteMessages(const QString &name, const QStringList &receiptHandles)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    QList<qint64> seqs;
    for (const QString &handle : receiptHandles) {
        const auto h = sqsrequests::parseReceiptHandle(handle);
        const auto it = h ? findMessage(*q, h->first) : q->messages.end();
        if (it != q->messages.end() && h->second >= it->second.generation)
            seqs.append(h->first);
    }
    if (auto r = removeSoon(std::span(seqs.constData(), size_t(seqs.size()))); !r)
        return r;
    for (const qint64 seq : std::as_const(seqs)) {
        const auto it = findMessage(*q, seq);
        unindex(*q, it->second);
        q->messages.erase(it);
    }
    return {};
}

Result<void> SqsStore::changeVisibility(
    const QString &name, const QString &receiptHandle, int visibilityTimeout)
{
    if (visibilityTimeout < 0 || visibilityTimeout > 43200)
        return invalidValue(QStringLiteral("Value %1 for parameter VisibilityTimeout is invalid. "
                                           "Reason: Must be between 0 and 43200.")
                                .arg(visibilityTimeout));
    QString available;
    {
        QMutexLocker lock(&m_mutex);
        Queue *q = find(name);
        if (!q)
            return noQueue();
        const auto handle = sqsrequests::parseReceiptHandle(receiptHandle);
        auto it = handle ? findMessage(*q, handle->first) : q->messages.end();
        const qint64 now = m_clock->nowMs();
        if (!handle || it == q->messages.end() || handle->second < it->second.generation)
            return invalidHandle(receiptHandle);
        Message &m = it->second;
        // A newer receipt than the row knows comes from a receive a crash lost: the message
        // is that receive's again.
        const bool lostReceive = handle->second > m.generation;
        m.generation = handle->second;
        if (!lostReceive && m.visibleMs <= now)
            return sqsError(QStringLiteral("MessageNotInflight"),
                QStringLiteral("Value %1 for parameter ReceiptHandle is invalid. Reason: Message "
                               "does not exist or is not available for visibility timeout "
                               "change.")
                    .arg(receiptHandle));
        unindex(*q, m);
        m.visibleMs = now + qint64(visibilityTimeout) * 1000;
        index(*q, m);
        if (auto r = persistMessage(name, m); !r)
            return r;
        if (visibilityTimeout == 0)
            available = name;
    }
    if (!available.isEmpty())
        notify(available);
    return {};
}

Result<int> SqsStore::purge(const QString &name)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    const qint64 now = m_clock->nowMs();
    if (now - q->lastPurgeMs < 60'000)
        return sqsError(QStringLiteral("PurgeQueueInProgress"),
            QStringLiteral("Only one PurgeQueue operation on %1 is allowed every 60 seconds.")
                .arg(name));
    dropExpired(*q, now);
    if (auto r = saveSendsLocked(); !r)
        return r.error();
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto st = db.prepare("DELETE FROM sqs_messages WHERE queue = ?");
        if (!st)
            return st.error();
        return st->bind(1, name).exec();
    });
    if (!r)
        return r.error();
    const int purged = int(q->messages.size());
    q->messages.clear();
    q->byVisible.clear();
    q->lastPurgeMs = now;
    return purged;
}

Result<int> SqsStore::moveMessages(const QString &source, const QString &destination, int max)
{
    QSet<QString> woken;
    int moved = 0;
    Result<void> outcome;
    {
        QMutexLocker lock(&m_mutex);
        Queue *from = find(source);
        if (!from)
            return noQueue();
        Queue *fixed = destination.isEmpty() ? nullptr : find(destination);
        if (!destination.isEmpty() && !fixed)
            return noQueue();
        const qint64 now = m_clock->nowMs();
        dropExpired(*from, now);
        // The visible messages in send order, each with where it goes.
        struct Move
        {
            qint64 seq;
            Queue *to;
        };
        std::vector<Move> moves;
        for (auto &[seq, m] : from->messages) {
            if (int(moves.size()) >= max)
                break;
            if (m.visibleMs > now)
                continue; // in flight or delayed: it stays
            Queue *to = fixed ? fixed : find(m.deadLetterSource);
            if (!to || to == from) {
                outcome = sqsError(QStringLiteral("InvalidParameterValue"),
                    m.deadLetterSource.isEmpty()
                        ? QStringLiteral("Message %1 has no source queue to return to; name a "
                                         "DestinationArn.")
                              .arg(m.id)
                        : QStringLiteral("The source queue %1 of message %2 no longer exists.")
                              .arg(m.deadLetterSource, m.id));
                break;
            }
            if (to->fifo && m.groupId.isEmpty()) {
                outcome = sqsError(QStringLiteral("InvalidParameterValue"),
                    QStringLiteral("Message %1 has no MessageGroupId and cannot move to the FIFO "
                                   "queue %2.")
                        .arg(m.id, to->name));
                break;
            }
            moves.push_back({seq, to});
        }
        if (moves.empty())
            return outcome ? Result<int>(0) : Result<int>(outcome.error());
        if (auto r = saveSendsLocked(); !r) // the rows moved must be there
            return r.error();
        QList<MovedRow> rows;
        for (const Move &mv : moves)
            rows.append({mv.seq, m_nextSeq + rows.size(), mv.to->name, QString()});
        auto written = m_store->write([&](Database &db) { return moveRows(db, rows, now); });
        if (!written)
            return written.error();
        for (const Move &mv : moves) {
            auto node = from->messages.extract(mv.seq);
            Message m = std::move(node.mapped());
            unindex(*from, m);
            m.seq = m_nextSeq++;
            resetForMove(m, *mv.to, now, QString());
            place(*mv.to, std::move(m));
            woken.insert(mv.to->name);
            ++moved;
        }
    }
    for (const QString &queue : std::as_const(woken))
        notify(queue);
    if (!outcome && moved == 0)
        return outcome.error();
    return moved;
}

Result<QList<SqsPeekedMessage>> SqsStore::peek(
    const QString &name, const QString &after, int max) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    const qint64 now = m_clock->nowMs();
    QList<SqsPeekedMessage> out;
    bool started = after.isEmpty();
    for (const auto &[seq, m] : q->messages) {
        if (!started) {
            started = m.id == after;
            continue;
        }
        if (out.size() >= max)
            break;
        SqsPeekedMessage p;
        p.messageId = m.id;
        p.size = m.body.size();
        p.sentMs = m.sentMs;
        p.receiveCount = m.receiveCount;
        p.inFlight = m.visibleMs > now && m.receiveCount > 0;
        p.delayed = m.visibleMs > now && m.receiveCount == 0;
        p.groupId = m.groupId;
        out.append(p);
    }
    return out;
}

Result<QByteArray> SqsStore::peekBody(const QString &name, const QString &messageId) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    for (const auto &[seq, m] : q->messages) {
        if (m.id == messageId)
            return m.body;
    }
    return sqsError(QStringLiteral("ReceiptHandleIsInvalid"),
        QStringLiteral("The queue %1 has no message %2.").arg(name, messageId));
}

Result<void> SqsStore::deleteById(const QString &name, const QString &messageId)
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return noQueue();
    for (auto it = q->messages.begin(); it != q->messages.end(); ++it) {
        if (it->second.id != messageId)
            continue;
        if (auto r = saveSendsLocked(); !r)
            return r;
        if (auto r = removeMessages({it->first}); !r)
            return r;
        unindex(*q, it->second);
        q->messages.erase(it);
        return {};
    }
    return sqsError(QStringLiteral("ReceiptHandleIsInvalid"),
        QStringLiteral("The queue %1 has no message %2.").arg(name, messageId));
}

int SqsStore::visibleCount(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return 0;
    const qint64 now = m_clock->nowMs();
    int n = 0;
    for (const auto &[seq, m] : q->messages)
        n += m.visibleMs <= now ? 1 : 0;
    return n;
}

std::optional<qint64> SqsStore::nextVisibleMs(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q || q->byVisible.empty())
        return std::nullopt;
    return q->byVisible.begin()->first.first;
}

int SqsStore::receivableCount(const QString &name, int cap) const
{
    QMutexLocker lock(&m_mutex);
    Queue *q = find(name);
    if (!q)
        return 0;
    const qint64 now = m_clock->nowMs();
    int n = 0;
    for (auto it = q->byVisible.begin();
         it != q->byVisible.end() && it->first.first <= now && n < cap; ++it)
        ++n;
    return n;
}

void SqsStore::setMessageAvailable(std::function<void(const QString &)> callback)
{
    m_messageAvailable = std::move(callback);
}

void SqsStore::setDeadLettered(std::function<void(const DeadLettered &)> callback)
{
    m_deadLettered = std::move(callback);
}

void SqsStore::notify(const QString &queue)
{
    if (m_messageAvailable)
        m_messageAvailable(queue);
}

} // namespace tarmac
