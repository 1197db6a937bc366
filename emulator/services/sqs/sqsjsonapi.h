#pragma once

#include "http/httphandler.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

#include <memory>

namespace tarmac {

class Clock;
class SqsMoveTasks;
class SqsStore;
class JsonFields;

// SQS's JSON protocol on the edge port (`X-Amz-Target: AmazonSQS.<Operation>`, what current
// botocore, the aws CLI and the JavaScript SDK v3 speak): the queue operations, messages one
// at a time and in batches, and long polls that answer the moment a message arrives (the
// store calls messageAvailable()), not on a polling timer. Errors in the protocol's shape,
// with the legacy code in `x-amzn-query-error` as botocore expects. Client JSON is read only
// through JsonFields: a field of the wrong type is a 400 naming it.
//
// The query protocol (`Action=…` forms, XML answers: SDKs before late 2023) is translated to
// the same operations by sqsquery. Thread-safe; attach() before the first request.
class SqsJsonApi : public QObject, public HttpHandler
{
    Q_OBJECT
public:
    SqsJsonApi();
    ~SqsJsonApi() override;
    // Before it, requests are answered 503: the module has not started.
    void attach(SqsStore *store, const Clock *clock, QString accountId);

    qint64 maxBodySize(const HttpRequest &head) const override;
    HttpResponse bodyTooLarge(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // A message may be receivable on `queue`: long polls on it try again. Any thread.
    void messageAvailable(const QString &queue);
    // Answers every waiting long poll (empty) at once: the engine is stopping.
    void stop();
    // The store was reloaded (SqsStore::reload()): forgets the move tasks, answers the long
    // polls that can be (messages, or QueueDoesNotExist for a queue gone) and re-arms the
    // others' wake-ups on the queues' new messages.
    void reloaded();

private:
    struct Call;
    struct Waiter;
    struct Operation;
    // The operation of that name (as the protocol names it), or null.
    static const Operation *operationNamed(QAnyStringView name);
    HttpResponse createQueue(Call &call);
    HttpResponse getQueueUrl(Call &call);
    HttpResponse listQueues(Call &call);
    HttpResponse deleteQueue(Call &call);
    HttpResponse getQueueAttributes(Call &call);
    HttpResponse setQueueAttributes(Call &call);
    HttpResponse sendMessage(Call &call);
    HttpResponse sendMessageBatch(Call &call);
    std::optional<HttpResponse> receiveMessage(Call &call);
    HttpResponse deleteMessage(Call &call);
    HttpResponse deleteMessageBatch(Call &call);
    HttpResponse changeMessageVisibility(Call &call);
    HttpResponse changeMessageVisibilityBatch(Call &call);
    HttpResponse purgeQueue(Call &call);
    HttpResponse tagQueue(Call &call);
    HttpResponse untagQueue(Call &call);
    HttpResponse listQueueTags(Call &call);
    HttpResponse listDeadLetterSourceQueues(Call &call);
    HttpResponse addPermission(Call &call);
    HttpResponse removePermission(Call &call);
    HttpResponse startMessageMoveTask(Call &call);
    HttpResponse cancelMessageMoveTask(Call &call);
    HttpResponse listMessageMoveTasks(Call &call);

    // Tries a waiting poll; true when it was answered (messages, its time is up, or it was
    // cancelled).
    bool serve(Waiter &waiter, bool final);
    void armWake(const std::shared_ptr<Waiter> &waiter);
    // Every waiting poll, of every queue (a copy: serving one changes the lists).
    QList<std::shared_ptr<Waiter>> allWaiters();

    SqsStore *m_store = nullptr;
    const Clock *m_clock = nullptr;
    QString m_accountId;
    std::unique_ptr<SqsMoveTasks> m_moveTasks;
    QMutex m_policyMutex; // AddPermission/RemovePermission read, change and write Policy
    QMutex m_waitersMutex;
    QHash<QString, QList<std::shared_ptr<Waiter>>> m_waiters; // by queue name
};

} // namespace tarmac
