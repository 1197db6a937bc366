#pragma once

#include "base/result.h"
#include "store/store.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QMap>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

namespace tarmac {

class Clock;
class SqsSendJournal;
class WakeableThread;
struct SqsJournalRecord;

// A message attribute as SQS carries it: DataType "String", "Number" or "Binary", each
// optionally with a custom ".suffix"; String and Number values are text, Binary is bytes.
struct SqsAttributeValue
{
    QString dataType;
    QByteArray value; // the string's UTF-8, or the binary bytes

    bool isBinary() const { return dataType.startsWith(QLatin1String("Binary")); }
    friend bool operator==(const SqsAttributeValue &, const SqsAttributeValue &) = default;
};
using SqsAttributes = QMap<QString, SqsAttributeValue>;

// What SendMessage hands the queue.
struct SqsSendRequest
{
    QByteArray body;
    std::optional<int> delaySeconds; // nullopt: the queue's DelaySeconds
    SqsAttributes attributes; // MessageAttributes
    SqsAttributes systemAttributes; // MessageSystemAttributes (AWSTraceHeader)
    // The AWSTraceHeader was added by Tarmac (the sender's trace), not sent: the answer then has
    // no MD5OfMessageSystemAttributes, which the client would not expect, and none is computed.
    bool traceHeaderAdded = false;
    QString groupId; // FIFO: MessageGroupId
    QString deduplicationId; // FIFO: MessageDeduplicationId (or the body's SHA-256)
};

// What SendMessage answers.
struct SqsSendResult
{
    QString messageId;
    QString md5OfBody;
    QString md5OfAttributes; // empty without attributes
    QString md5OfSystemAttributes;
    QString sequenceNumber; // FIFO only
};

// A message as the resource catalog shows it (peeked: nothing about it changes).
struct SqsPeekedMessage
{
    QString messageId;
    qint64 size = 0;
    qint64 sentMs = 0;
    int receiveCount = 0;
    bool inFlight = false; // received, its visibility timeout not over
    bool delayed = false; // sent with a delay not over
    QString groupId;
};

// A message as ReceiveMessage hands it out.
struct SqsMessage
{
    QString messageId;
    QString receiptHandle;
    QByteArray body;
    QString md5OfBody;
    QString md5OfAttributes;
    SqsAttributes attributes;
    // What the system attributes are made of; systemAttributes() names them.
    QString senderId;
    qint64 sentMs = 0;
    int receiveCount = 0;
    qint64 firstReceiveMs = 0;
    bool fifo = false;
    QString groupId;
    QString deduplicationId;
    qint64 sequence = 0;
    SqsAttributes sentSystemAttributes; // MessageSystemAttributes (AWSTraceHeader)

    // SenderId, SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp,
    // and for FIFO MessageGroupId, MessageDeduplicationId, SequenceNumber; AWSTraceHeader.
    // Made when asked: most receives ask for none of them.
    QMap<QString, QString> systemAttributes() const;
};

// The queue service's model: standard and FIFO queues with SQS's semantics, kept in the
// state database (tables sqs_queues, sqs_messages) and indexed in memory, on an injectable
// clock. Every operation is typed and answers SQS's error codes (QueueDoesNotExist,
// QueueAlreadyExists, InvalidParameterValue, InvalidAttributeName, ReceiptHandleIsInvalid,
// PurgeQueueInProgress); the wire APIs only translate. Thread-safe.
//
// - Standard queues: at-least-once; a received message is invisible for the visibility
//   timeout and comes back with ApproximateReceiveCount + 1; DelaySeconds; retention.
// - FIFO queues (".fifo"): messages of a group in order, one in-flight batch per group;
//   deduplication by id or content over 5 minutes; SequenceNumber.
// - RedrivePolicy: a message received maxReceiveCount times goes to the dead-letter queue
//   instead of being received again.
// - A send is acknowledged once its record is in the sends journal (`sqs-sends`, next to the
//   database, mapped into memory: SqsSendJournal), a delete once it is in the deletes journal
//   (`sqs-deletes`, also mapped: 16 bytes stored), a visibility change once its row is
//   committed. Storing into a mapped file makes no system call, where a send's transaction of
//   its own cost a fifth of the send and a delete's a third of a receive+delete. Nothing
//   acknowledged is lost to a crash: the mapped files' pages are the file system's cache, as
//   the database's own commits are.
// - A receive changes no row at once. The rows of all three, the sent messages, the received
//   messages' visibility, receive count and receipt generation, and the deleted messages'
//   removal, are written behind: within kWriteBehindDelayMs, in one transaction for
//   everything of that time (a message sent and deleted in it never gets a row), after which
//   both journals start over. A kill -9 may lose that moment's receives: those messages are
//   visible again at the restart, with the receive count they had, which is SQS's
//   at-least-once delivery; a receipt handle of such a receive still deletes its message.
//   open() applies both journals to the rows before it reads them, the sends first. Messages
//   in flight at a crash otherwise come back when their timeout ends.
// - What changes rows at once (a purge, a queue's deletion, a move to another queue, a delete
//   by id) writes the journaled sends first, so that none comes back after it.
//
// Known limits: no long polling here (the wire API waits on messageAvailable()); KMS and
// policy attributes are kept and not enforced.
class SqsStore
{
public:
    SqsStore(Store *store, const Clock *clock, QString region, QString accountId);
    ~SqsStore();

    Result<void> open();
    // Writes the sends, receives and deletes not written yet (see above); flushState() and
    // the destructor call it.
    Result<void> writeBehind();
    // The tables' rows were replaced (a reset, a snapshot restored): forgets the queues and
    // messages held in memory (their deduplication and purge times too) and reads them again.
    // Calls no callback: the caller wakes whoever waits on the queues.
    Result<void> reload();

    // Attributes given by name; nothing but the settable ones. An existing queue with the
    // same attributes is answered again (idempotent); other attributes: QueueAlreadyExists.
    Result<void> createQueue(const QString &name, const QMap<QString, QString> &attributes,
        const QMap<QString, QString> &tags);
    Result<void> deleteQueue(const QString &name);
    bool exists(const QString &name) const;
    QStringList queueNames(const QString &prefix = QString()) const; // sorted
    QString arnOf(const QString &name) const;
    // The named attributes ("All" for every one), with the computed ones
    // (ApproximateNumberOfMessages…, QueueArn, CreatedTimestamp…).
    Result<QMap<QString, QString>> attributes(const QString &name, const QStringList &names) const;
    // One attribute the queue was given or defaults to (not a computed one such as QueueArn),
    // or empty: what a receive reads on every call, without building the map above.
    Result<QString> attribute(const QString &name, const QString &attribute) const;
    Result<void> setAttributes(const QString &name, const QMap<QString, QString> &attributes);
    Result<QMap<QString, QString>> tags(const QString &name) const;
    Result<void> tag(const QString &name, const QMap<QString, QString> &tags);
    Result<void> untag(const QString &name, const QStringList &keys);
    // Queues whose RedrivePolicy names this one as their dead-letter queue.
    Result<QStringList> deadLetterSources(const QString &name) const;

    Result<SqsSendResult> send(const QString &name, const SqsSendRequest &request);
    // Sends to several queues at once (a topic's fan-out): each one's result, the accepted
    // ones committed together.
    QList<Result<SqsSendResult>> sendToQueues(
        const QList<std::pair<QString, SqsSendRequest>> &sends);
    // SendMessageBatch: each request's result, the accepted ones committed together.
    QList<Result<SqsSendResult>> sendBatch(
        const QString &name, const QList<SqsSendRequest> &requests);
    // Up to `max` (1–10) visible messages, made invisible for `visibilityTimeout` (the
    // queue's when nullopt). Messages that reached maxReceiveCount move to the dead-letter
    // queue instead.
    Result<QList<SqsMessage>> receive(
        const QString &name, int max, std::optional<int> visibilityTimeout = std::nullopt);
    Result<void> deleteMessage(const QString &name, const QString &receiptHandle);
    // Deletes what the handles name in one transaction (an event source's finished batch);
    // handles that are not current are skipped, as deleteMessage() skips them.
    Result<void> deleteMessages(const QString &name, const QStringList &receiptHandles);
    Result<void> changeVisibility(
        const QString &name, const QString &receiptHandle, int visibilityTimeout);
    // How many messages went.
    Result<int> purge(const QString &name);
    // Moves up to `max` of the queue's visible messages, oldest first, to `destination`, or
    // (empty) each back to the queue it was dead-lettered from (StartMessageMoveTask). How
    // many moved; an error when none could (a message without a source to return to, a
    // standard message for a FIFO queue), the moves before it stand.
    Result<int> moveMessages(const QString &source, const QString &destination, int max);
    // Messages neither in flight nor delayed.
    int visibleCount(const QString &name) const;

    // The desktop's view of a queue (the resource catalog): messages in send order after the
    // one with id `after` (empty: from the first), at most `max`, without receiving them; one
    // message's body; deleting one by its id whatever its state.
    Result<QList<SqsPeekedMessage>> peek(const QString &name, const QString &after, int max) const;
    Result<QByteArray> peekBody(const QString &name, const QString &messageId) const;
    Result<void> deleteById(const QString &name, const QString &messageId);

    // When the next message of the queue becomes visible (wall-clock ms), if any is waiting:
    // for a long poll's wake-up timer.
    std::optional<qint64> nextVisibleMs(const QString &name) const;
    // How many messages a receive could hand out now (counted up to `cap`).
    int receivableCount(const QString &name, int cap) const;
    // Called (outside the lock) with the queue's name whenever a message may have become
    // receivable: a send, a visibility change to 0, a purge's end. Set once, before use.
    void setMessageAvailable(std::function<void(const QString &queue)> callback);
    // A message that its queue's RedrivePolicy moved to the dead-letter queue.
    struct DeadLettered
    {
        QString queue;
        QString deadLetterQueue;
        QString messageId;
        int receiveCount = 0;
        QString traceHeader; // its AWSTraceHeader, or empty
    };
    // Called (under the store's lock: record, do not call back) for each such move. Set once,
    // before use.
    void setDeadLettered(std::function<void(const DeadLettered &)> callback);

    // AWS's MD5 of message attributes (what SDKs verify): the names sorted, each encoded as
    // length-prefixed name, data type, a transport byte (1 string, 2 binary) and value.
    static QString md5OfAttributes(const SqsAttributes &attributes);
    static QString md5Hex(const QByteArray &bytes);

    static constexpr int kDeduplicationWindowMs = 5 * 60 * 1000;
    // A write-behind's cost is mostly its commit: at a client's pace, 50 ms gathered a handful
    // of receives and deletes per transaction, and the thread cost 7 us per receive+delete
    // (1.7 us at 500 ms).
    static constexpr int kWriteBehindDelayMs = 500;
    // Deletes the journal holds between two write-behinds (512 KiB mapped; a drain deletes
    // about 19,000 messages a second); past them, the write-behind runs first.
    static constexpr qsizetype kJournalRecords = 32768;
    // The sends journal's size: the file is sparse, and holds a write-behind's sends at a
    // drain's pace. Past a 64th of it, the write-behind runs at once; a send that does not
    // fit writes the journal's sends first.
    static constexpr qsizetype kSendJournalBytes = 32 << 20;

private:
    struct Queue;
    struct Message;

    Queue *find(const QString &name) const; // under m_mutex
    // The message of that sequence in q.messages (or its end), the oldest looked at first.
    static auto findMessage(Queue &q, qint64 seq);
    Result<void> writeBehindLocked(); // under m_mutex
    // writeBehindLocked() when sends are journaled: before rows change at once.
    Result<void> saveSendsLocked();
    Result<void> openSendJournal(); // replays what a crash left; under m_mutex
    // The file of that name beside the database, or empty when the database has none.
    QString journalPath(const char *name) const;
    Queue *findUtf8(QByteArrayView name) const; // under m_mutex
    // The deletes journal: opened at open(), its deletes applied to the rows and m_nextSeq
    // moved past them; removeSoon() stores deletes there for writeBehind() to apply;
    // forgetJournal() empties it (the rows were replaced).
    Result<void> openJournal(); // under m_mutex
    Result<void> removeSoon(std::span<const qint64> seqs); // under m_mutex
    void forgetJournal(); // under m_mutex
    Result<void> load(); // the rows into m_queues, under m_mutex
    Result<void> persistQueue(const Queue &q);
    Result<void> persistMessage(const QString &queue, const Message &m);
    static Result<void> insertMessage(Database &db, const QString &queue, const Message &m);
    Result<SqsSendResult> prepareSend(
        Queue *q, const SqsSendRequest &request, Message *out, bool *duplicate);
    Result<void> removeMessages(const QList<qint64> &seqs); // in a transaction of its own
    static Result<void> deleteRows(Database &db, const QList<qint64> &seqs); // in the caller's
    void dropExpired(Queue &q, qint64 nowMs);
    // A FIFO send's deduplication key (its group's too under DeduplicationScope messageGroup),
    // and the record of it for kDeduplicationWindowMs.
    static QString deduplicationKey(const Queue &q, const Message &m);
    static void remember(
        Queue &q, const QString &key, qint64 expiresMs, const QString &messageId, qint64 seq);
    // Puts a message in its queue: in messages, and in byVisible.
    static void place(Queue &q, Message &&m);
    static void index(Queue &q, Message &m);
    static void unindex(Queue &q, const Message &m);
    Result<void> moveToDeadLetter(Queue &q, Message m, qint64 nowMs);
    // A message moved to another queue starts over there: visible now, never received;
    // `source` is the queue it was dead-lettered from, or empty.
    static void resetForMove(Message &m, const Queue &to, qint64 nowMs, const QString &source);
    struct MovedRow
    {
        qint64 oldSeq;
        qint64 newSeq;
        QString queue;
        QString deadLetterSource;
    };
    static Result<void> moveRows(Database &db, const QList<MovedRow> &rows, qint64 nowMs);
    QString handleFor(const Queue &q, const Message &m) const;
    void notify(const QString &queue);

    Store *m_store;
    const Clock *m_clock;
    QString m_region;
    QString m_accountId;
    mutable QMutex m_mutex;
    std::map<QString, std::unique_ptr<Queue>> m_queues;
    mutable Queue *m_lastFound = nullptr; // find()'s last answer; null when queues go
    qint64 m_nextSeq = 1;
    std::function<void(const QString &)> m_messageAvailable;
    std::function<void(const DeadLettered &)> m_deadLettered;
    std::unique_ptr<WakeableThread> m_saver; // writeBehind() kWriteBehindDelayMs after a wake
    // The deletes journal, mapped: kJournalRecords records of 16 bytes; null without one
    // (deletes commit their rows at once).
    SqsJournalRecord *m_journal = nullptr;
    qsizetype m_journalEnd = 0; // where the next record goes: 0 after each writeBehind()
    QList<qint64> m_removeSoon; // journaled deletes whose rows writeBehind() has not removed
    std::unique_ptr<SqsSendJournal> m_sends; // null without a database file
};

} // namespace tarmac
