#include "services/sqs/sqsjsonapi.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/jsonwriter.h"
#include "http/awserror.h"
#include "services/sqs/sqsmovetasks.h"
#include "services/sqs/sqsquery.h"
#include "services/sqs/sqsrequests.h"
#include "services/sqs/sqsstore.h"
#include "trace/tracecontext.h"

#include <QRegularExpression>
#include <QSet>

namespace tarmac {

namespace {

constexpr qint64 kMaxBody = 3 * 1024 * 1024; // a batch of ten, with JSON's escaping
const QLatin1String kTargetPrefix("AmazonSQS.");

// The legacy (query) code botocore reports for a modelled error, and the HTTP status.
struct ErrorShape
{
    const char *code; // the model's (and SqsStore's) code
    const char *type; // the JSON protocol's __type suffix
    const char *legacy; // x-amzn-query-error
    int status;
};

const ErrorShape kShapes[] = {
    {"QueueDoesNotExist", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400},
    {"QueueAlreadyExists", "QueueNameExists", "QueueAlreadyExists", 400},
    {"PurgeQueueInProgress", "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
        403},
    {"MessageNotInflight", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400},
    {"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 400},
    {"TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400},
    {"EmptyBatchRequest", "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", 400},
    {"BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct",
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400},
    {"InvalidBatchEntryId", "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
        400},
    {"UnsupportedOperation", "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
        400},
    {"InvalidAttributeName", "InvalidAttributeName", "InvalidAttributeName", 400},
    {"InvalidMessageContents", "InvalidMessageContents", "InvalidMessageContents", 400},
    {"ResourceNotFoundException", "ResourceNotFoundException", "ResourceNotFoundException", 404},
    {"OverLimit", "OverLimit", "OverLimit", 403},
};

using sqsrequests::missing;
using sqsrequests::sqsError;

Json stringMapJson(const QMap<QString, QString> &map)
{
    Json out = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out[toStd(it.key())] = toStd(it.value());
    return out;
}

} // namespace

struct SqsJsonApi::Call
{
    HttpRequest request;
    HttpResponder responder;
    QString operation;
    Json body;
    std::optional<JsonFields> fields; // over body, made in place
    bool query = false; // the query protocol: form fields in, XML out

    // The response as the front door's span records it.
    HttpResponse tagged(HttpResponse r) const
    {
        r.service = QStringLiteral("sqs");
        r.operation = operation;
        return r;
    }
    // A query-protocol answer.
    HttpResponse xml(int status, QByteArray body) const
    {
        HttpResponse r;
        r.status = status;
        r.headers.set("content-type", "text/xml");
        r.headers.add("x-amzn-requestid", request.requestId);
        r.body = std::move(body);
        return tagged(std::move(r));
    }

    // The answer to a request, or the error in this protocol's shape.
    HttpResponse ok(const Json &out) const
    {
        if (query)
            return xml(200, sqsquery::toXml(operation, out, request.requestId));
        return okBytes(toJsonBytes(out));
    }
    // The same from JSON already written (the answers made on every send and receive). The
    // query protocol reads it back: its XML is made from the JSON shape.
    HttpResponse okBytes(QByteArray json) const
    {
        if (query) {
            auto parsed = parseJson(json); // what this file wrote: always an object
            return ok(parsed ? *parsed : Json::object());
        }
        HttpResponse r;
        r.headers.add("content-type", QByteArrayLiteral("application/x-amz-json-1.0"));
        r.headers.add("x-amzn-requestid", request.requestId);
        r.body = std::move(json);
        return tagged(std::move(r));
    }
    HttpResponse fail(const Error &error) const
    {
        Error shaped = error;
        QByteArray legacy = error.code.toUtf8();
        for (const ErrorShape &s : kShapes) {
            if (error.code == QLatin1String(s.code)) {
                shaped.code = QLatin1String(s.type);
                shaped.httpStatus = s.status;
                legacy = s.legacy;
            }
        }
        if (shaped.httpStatus < 400)
            shaped.httpStatus = 400;
        if (query)
            return xml(shaped.httpStatus,
                sqsquery::errorXml(
                    legacy, shaped.message, shaped.httpStatus < 500, request.requestId));
        const QString code = shaped.code;
        shaped.code = QStringLiteral("com.amazonaws.sqs#") + code;
        HttpResponse r = awsErrorResponse(AwsProtocol::Json, shaped, request.requestId);
        r.headers.set("x-amzn-errortype", code.toUtf8());
        r.headers.add(
            "x-amzn-query-error", legacy + (shaped.httpStatus >= 500 ? ";Receiver" : ";Sender"));
        return tagged(std::move(r));
    }
    // The first field of the wrong type, as SQS words it.
    std::optional<HttpResponse> badFields() const
    {
        if (fields->ok())
            return std::nullopt;
        return fail(sqsError(QStringLiteral("InvalidParameterValue"), fields->error()->message()));
    }
    // The queue a QueueUrl names: its last path segment (any host, as SDKs send it).
    Result<QString> queue()
    {
        const auto url = fields->string("QueueUrl");
        if (!url || url->isEmpty())
            return missing("QueueUrl");
        return sqsrequests::queueFromUrl(*url);
    }
    // The QueueUrl's queue, once every field read so far had the right type.
    Result<QString> target()
    {
        auto q = queue();
        if (!fields->ok())
            return sqsError(QStringLiteral("InvalidParameterValue"), fields->error()->message());
        return q;
    }
    // The same, for a queue that must exist (the batch operations answer per entry).
    Result<QString> existing(const SqsStore &store)
    {
        auto q = target();
        if (q && !store.exists(*q))
            return sqsError(QStringLiteral("QueueDoesNotExist"),
                QStringLiteral("The specified queue does not exist."));
        return q;
    }
    QString urlOf(const QString &queue, const QString &account) const
    {
        QByteArray host = request.header("host");
        if (host.isEmpty())
            host = "localhost:4566";
        return QStringLiteral("http://%1/%2/%3").arg(QString::fromUtf8(host), account, queue);
    }
};

struct SqsJsonApi::Waiter
{
    std::shared_ptr<Call> call;
    QString queue;
    int max = 1;
    std::optional<int> visibility;
    QStringList systemNames;
    QStringList attributeNames;
    qint64 deadlineNs = 0;
    Clock::TimerId deadline = 0;
    Clock::TimerId wake = 0;
    bool done = false;
    QMutex mutex; // one answer
};

namespace {

// The message attribute names a receive asked for: All / .* / a name / prefix.*.
bool wanted(const QStringList &names, const QString &name)
{
    for (const QString &n : names) {
        if (n == QLatin1String("All") || n == QLatin1String(".*") || n == name)
            return true;
        if (n.endsWith(QLatin1String(".*")) && name.startsWith(n.chopped(1)))
            return true;
    }
    return false;
}

// A received message, written straight as JSON (members in the order nlohmann::json writes
// them, so the bytes are what they were); `names` picks the message attributes.
void writeMessage(
    JsonWriter &w, const SqsMessage &m, const QStringList &systemNames, const QStringList &names)
{
    w.beginObject();
    if (!systemNames.isEmpty()) {
        const bool allSystem = systemNames.contains(QStringLiteral("All"));
        const QMap<QString, QString> system = m.systemAttributes();
        bool hasAttributes = false;
        for (auto it = system.cbegin(); it != system.cend(); ++it) {
            if (!allSystem && !systemNames.contains(it.key()))
                continue;
            if (!hasAttributes)
                w.key("Attributes").beginObject();
            hasAttributes = true;
            w.key(it.key()).string(it.value());
        }
        if (hasAttributes)
            w.endObject();
    }
    w.key("Body").string(m.body);
    w.key("MD5OfBody").string(m.md5OfBody);
    SqsAttributes chosen;
    for (auto it = m.attributes.cbegin(); it != m.attributes.cend(); ++it) {
        if (wanted(names, it.key()))
            chosen.insert(it.key(), it.value());
    }
    if (!chosen.isEmpty()) {
        w.key("MD5OfMessageAttributes").string(SqsStore::md5OfAttributes(chosen));
        w.key("MessageAttributes").beginObject();
        for (auto it = chosen.cbegin(); it != chosen.cend(); ++it) {
            w.key(it.key()).beginObject();
            if (it->isBinary()) {
                w.key("BinaryValue").string(it->value.toBase64());
                w.key("DataType").string(it->dataType);
            } else {
                w.key("DataType").string(it->dataType);
                w.key("StringValue").string(it->value);
            }
            w.endObject();
        }
        w.endObject();
    }
    w.key("MessageId").string(m.messageId);
    w.key("ReceiptHandle").string(m.receiptHandle);
    w.endObject();
}

// ReceiveMessage's answer: {"Messages": [...]}, or {} when none came.
QByteArray receiveResultBytes(
    const QList<SqsMessage> &got, const QStringList &systemNames, const QStringList &names)
{
    if (got.isEmpty())
        return QByteArrayLiteral("{}");
    // Room for a message without attributes (ids, digests, handle), so that a small answer
    // comes from the allocator's per-thread cache (not over 1 KiB); more grows the buffer.
    qsizetype room = 128;
    for (const SqsMessage &m : got)
        room += m.body.size() + 384;
    JsonWriter w(room);
    w.beginObject().key("Messages").beginArray();
    for (const SqsMessage &m : got)
        writeMessage(w, m, systemNames, names);
    w.endArray().endObject();
    return w.take();
}

// One send's answer (a batch entry also has its Id), in nlohmann::json's member order.
void writeSendResult(JsonWriter &w, const SqsSendResult &s, const QString *batchId = nullptr)
{
    w.beginObject();
    if (batchId)
        w.key("Id").string(*batchId);
    if (!s.md5OfAttributes.isEmpty())
        w.key("MD5OfMessageAttributes").string(s.md5OfAttributes);
    w.key("MD5OfMessageBody").string(s.md5OfBody);
    if (!s.md5OfSystemAttributes.isEmpty())
        w.key("MD5OfMessageSystemAttributes").string(s.md5OfSystemAttributes);
    w.key("MessageId").string(s.messageId);
    if (!s.sequenceNumber.isEmpty())
        w.key("SequenceNumber").string(s.sequenceNumber);
    w.endObject();
}

} // namespace

SqsJsonApi::SqsJsonApi() = default;

void SqsJsonApi::attach(SqsStore *store, const Clock *clock, QString accountId)
{
    m_moveTasks = std::make_unique<SqsMoveTasks>(store, clock);
    m_store = store;
    m_clock = clock;
    m_accountId = std::move(accountId);
}

SqsJsonApi::~SqsJsonApi()
{
    stop();
}

qint64 SqsJsonApi::maxBodySize(const HttpRequest &) const
{
    return kMaxBody;
}

HttpResponse SqsJsonApi::bodyTooLarge(const HttpRequest &head) const
{
    Call call;
    call.request.requestId = head.requestId;
    return call.fail(sqsError(QStringLiteral("BatchRequestTooLong"),
        QStringLiteral("Batch requests cannot be longer than 1048576 bytes.")));
}

HttpResponse SqsJsonApi::internalError(const HttpRequest &head, const QString &message) const
{
    Call call;
    call.request.requestId = head.requestId;
    return call.fail(makeError(QStringLiteral("InternalFailure"), message, 500));
}

// The operations, by name; ReceiveMessage is answered apart (a long poll may wait). The names
// are literals: an operation's name costs no allocation per call.
struct SqsJsonApi::Operation
{
    QString name;
    HttpResponse (SqsJsonApi::*handler)(Call &); // null: ReceiveMessage
};

const SqsJsonApi::Operation *SqsJsonApi::operationNamed(QAnyStringView name)
{
    static const Operation operations[] = {
        {QStringLiteral("SendMessage"), &SqsJsonApi::sendMessage},
        {QStringLiteral("ReceiveMessage"), nullptr},
        {QStringLiteral("DeleteMessage"), &SqsJsonApi::deleteMessage},
        {QStringLiteral("SendMessageBatch"), &SqsJsonApi::sendMessageBatch},
        {QStringLiteral("DeleteMessageBatch"), &SqsJsonApi::deleteMessageBatch},
        {QStringLiteral("ChangeMessageVisibility"), &SqsJsonApi::changeMessageVisibility},
        {QStringLiteral("ChangeMessageVisibilityBatch"), &SqsJsonApi::changeMessageVisibilityBatch},
        {QStringLiteral("GetQueueUrl"), &SqsJsonApi::getQueueUrl},
        {QStringLiteral("CreateQueue"), &SqsJsonApi::createQueue},
        {QStringLiteral("ListQueues"), &SqsJsonApi::listQueues},
        {QStringLiteral("DeleteQueue"), &SqsJsonApi::deleteQueue},
        {QStringLiteral("GetQueueAttributes"), &SqsJsonApi::getQueueAttributes},
        {QStringLiteral("SetQueueAttributes"), &SqsJsonApi::setQueueAttributes},
        {QStringLiteral("PurgeQueue"), &SqsJsonApi::purgeQueue},
        {QStringLiteral("TagQueue"), &SqsJsonApi::tagQueue},
        {QStringLiteral("UntagQueue"), &SqsJsonApi::untagQueue},
        {QStringLiteral("ListQueueTags"), &SqsJsonApi::listQueueTags},
        {QStringLiteral("ListDeadLetterSourceQueues"), &SqsJsonApi::listDeadLetterSourceQueues},
        {QStringLiteral("AddPermission"), &SqsJsonApi::addPermission},
        {QStringLiteral("RemovePermission"), &SqsJsonApi::removePermission},
        {QStringLiteral("StartMessageMoveTask"), &SqsJsonApi::startMessageMoveTask},
        {QStringLiteral("CancelMessageMoveTask"), &SqsJsonApi::cancelMessageMoveTask},
        {QStringLiteral("ListMessageMoveTasks"), &SqsJsonApi::listMessageMoveTasks},
    };
    for (const Operation &op : operations) {
        if (QAnyStringView::equal(op.name, name))
            return &op;
    }
    return nullptr;
}

void SqsJsonApi::handle(HttpRequest &&request, HttpResponder responder)
{
    auto call = std::make_shared<Call>();
    const Operation *operation = nullptr;
    call->request = std::move(request);
    call->responder = responder;
    const QByteArray target = call->request.header("x-amz-target");
    if (!target.startsWith(QByteArrayView(kTargetPrefix.data(), kTargetPrefix.size()))) {
        // The query protocol (Action=…), as SDKs before late 2023 speak it.
        call->query = true;
        auto translated = sqsquery::toJsonRequest(call->request.body.toByteArray(),
            call->request.query, QString::fromUtf8(call->request.decodedPath()));
        if (!translated) {
            responder.send(call->fail(translated.error()));
            return;
        }
        call->operation = translated->operation;
        operation = operationNamed(call->operation);
        call->body = std::move(translated->body);
    } else {
        const QByteArrayView name = QByteArrayView(target).sliced(kTargetPrefix.size());
        operation = operationNamed(name);
        call->operation = operation ? operation->name : QString::fromUtf8(name);
        const QByteArray bytes = call->request.body.toByteArray();
        auto json = parseJson(bytes.isEmpty() ? QByteArray("{}") : bytes);
        if (!json || !json->is_object()) {
            responder.send(call->fail(makeError(QStringLiteral("SerializationException"),
                QStringLiteral("The request body is not a JSON object"), 400)));
            return;
        }
        call->body = std::move(*json);
    }
    if (!m_store) {
        responder.send(call->fail(makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("the sqs module has not started"), 503)));
        return;
    }
    call->fields.emplace(call->body);
    if (!operation) {
        responder.send(call->fail(makeError(QStringLiteral("UnknownOperationException"),
            QStringLiteral("Tarmac's SQS does not implement %1 yet").arg(call->operation), 400)));
        return;
    }
    if (!operation->handler) {
        // ReceiveMessage: a long poll keeps the call and answers later.
        auto answer = receiveMessage(*call);
        if (answer)
            responder.send(std::move(*answer));
        return;
    }
    responder.send((this->*(operation->handler))(*call));
}

HttpResponse SqsJsonApi::createQueue(Call &call)
{
    const auto name = call.fields->string("QueueName");
    const auto attributes = call.fields->stringMap("Attributes");
    const auto tags = call.fields->stringMap("tags");
    if (auto bad = call.badFields())
        return *bad;
    if (!name || name->isEmpty())
        return call.fail(missing("QueueName"));
    if (auto r = m_store->createQueue(*name, attributes.value_or(QMap<QString, QString>()),
            tags.value_or(QMap<QString, QString>()));
        !r)
        return call.fail(r.error());
    return call.ok({{"QueueUrl", toStd(call.urlOf(*name, m_accountId))}});
}

HttpResponse SqsJsonApi::getQueueUrl(Call &call)
{
    const auto name = call.fields->string("QueueName");
    const auto owner = call.fields->string("QueueOwnerAWSAccountId");
    if (auto bad = call.badFields())
        return *bad;
    if (!name || name->isEmpty())
        return call.fail(missing("QueueName"));
    if (!m_store->exists(*name) || (owner && *owner != m_accountId))
        return call.fail(sqsError(QStringLiteral("QueueDoesNotExist"),
            QStringLiteral("The specified queue does not exist.")));
    return call.ok({{"QueueUrl", toStd(call.urlOf(*name, m_accountId))}});
}

HttpResponse SqsJsonApi::listQueues(Call &call)
{
    const auto prefix = call.fields->string("QueueNamePrefix");
    const auto max = call.fields->integer("MaxResults");
    const auto token = call.fields->string("NextToken");
    if (auto bad = call.badFields())
        return *bad;
    if (max && (*max < 1 || *max > 1000))
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter MaxResults is invalid. Reason: MaxResults "
                           "must be an integer between 1 and 1000.")
                .arg(*max)));
    const QStringList names = m_store->queueNames(prefix.value_or(QString()));
    qsizetype start = 0;
    if (token && !token->isEmpty()) {
        // The token is the last name of the previous page.
        const QString after = QString::fromUtf8(QByteArray::fromBase64(token->toLatin1()));
        start = std::upper_bound(names.cbegin(), names.cend(), after) - names.cbegin();
    }
    const qsizetype count = max ? std::min<qsizetype>(*max, names.size() - start)
                                : std::min<qsizetype>(1000, names.size() - start);
    Json urls = Json::array();
    for (qsizetype i = start; i < start + count; ++i)
        urls.push_back(toStd(call.urlOf(names[i], m_accountId)));
    Json out = Json::object();
    if (!urls.empty())
        out["QueueUrls"] = urls;
    if (max && start + count < names.size())
        out["NextToken"] = names[start + count - 1].toUtf8().toBase64().toStdString();
    return call.ok(out);
}

HttpResponse SqsJsonApi::deleteQueue(Call &call)
{
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (auto r = m_store->deleteQueue(*queue); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::getQueueAttributes(Call &call)
{
    const auto names = call.fields->stringList("AttributeNames");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    auto attributes = m_store->attributes(*queue, names.value_or(QStringList()));
    if (!attributes)
        return call.fail(attributes.error());
    Json out = Json::object();
    if (!attributes->isEmpty())
        out["Attributes"] = stringMapJson(*attributes);
    return call.ok(out);
}

HttpResponse SqsJsonApi::setQueueAttributes(Call &call)
{
    const auto attributes = call.fields->stringMap("Attributes");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (!attributes)
        return call.fail(missing("Attributes"));
    if (auto r = m_store->setAttributes(*queue, *attributes); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

// The sender's trace goes with the message (AWSTraceHeader, as X-Ray's SDKs put it there), so
// that the send, the delivery and what the consumer calls join one trace. Not echoed in
// MD5OfMessageSystemAttributes when the client sent no system attributes of its own.
static void carryTrace(const HttpRequest &request, SqsSendRequest &send)
{
    if (send.systemAttributes.contains(QStringLiteral("AWSTraceHeader"))
        || request.traceId.size() != 32)
        return;
    send.systemAttributes.insert(QStringLiteral("AWSTraceHeader"),
        {QStringLiteral("String"), TraceContext {request.traceId, request.spanId}.toXRay()});
    send.traceHeaderAdded = true;
}

HttpResponse SqsJsonApi::sendMessage(Call &call)
{
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    auto request = sqsrequests::readSend(*call.fields);
    if (!request)
        return call.fail(request.error());
    carryTrace(call.request, *request);
    auto sent = m_store->send(*queue, *request);
    if (!sent)
        return call.fail(sent.error());
    JsonWriter w(256);
    writeSendResult(w, *sent);
    return call.okBytes(w.take());
}

namespace {

// The entries of a batch request, checked as SQS checks them (sqsrequests); each reader is
// handed to `each`.
Result<void> forEachEntry(
    JsonFields &fields, const std::function<void(JsonFields &entry, const QString &id)> &each)
{
    const Json *list = fields.value("Entries");
    if (auto ids = sqsrequests::checkBatchEntries(list); !ids)
        return ids.error();
    for (const Json &e : *list) {
        JsonFields entry(e);
        const QString id = entry.string("Id").value_or(QString());
        each(entry, id);
    }
    return {};
}

Json failedEntry(const QString &id, const Error &error)
{
    return {{"Id", toStd(id)}, {"SenderFault", error.httpStatus < 500}, {"Code", toStd(error.code)},
        {"Message", toStd(error.message)}};
}

} // namespace

HttpResponse SqsJsonApi::sendMessageBatch(Call &call)
{
    auto queue = call.existing(*m_store);
    if (!queue)
        return call.fail(queue.error());
    // Read every entry first; the good ones are sent together (one commit).
    QStringList ids;
    QList<std::optional<Error>> refused;
    QList<SqsSendRequest> requests;
    auto r = forEachEntry(*call.fields, [&](JsonFields &entry, const QString &id) {
        ids.append(id);
        auto request = sqsrequests::readSend(entry);
        if (!request) {
            refused.append(request.error());
            return;
        }
        refused.append(std::nullopt);
        carryTrace(call.request, *request);
        requests.append(*request);
    });
    if (!r)
        return call.fail(r.error());
    const QList<Result<SqsSendResult>> sent = m_store->sendBatch(*queue, requests);
    Json failed = Json::array();
    QList<std::pair<qsizetype, qsizetype>> succeeded; // (entry, its send)
    qsizetype next = 0;
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (refused[i]) {
            failed.push_back(failedEntry(ids[i], *refused[i]));
            continue;
        }
        const qsizetype k = next++;
        if (!sent[k]) {
            failed.push_back(failedEntry(ids[i], sent[k].error()));
            continue;
        }
        succeeded.append({i, k});
    }
    // The members in nlohmann::json's order.
    JsonWriter w(256 * (ids.size() + 1));
    w.beginObject().key("Failed").value(failed).key("Successful").beginArray();
    for (const auto &[i, k] : std::as_const(succeeded))
        writeSendResult(w, *sent[k], &ids[i]);
    w.endArray().endObject();
    return call.okBytes(w.take());
}

std::optional<HttpResponse> SqsJsonApi::receiveMessage(Call &call)
{
    const auto max = call.fields->integer("MaxNumberOfMessages");
    const auto wait = call.fields->integer("WaitTimeSeconds");
    const auto visibility = call.fields->integer("VisibilityTimeout");
    QStringList systemNames = call.fields->stringList("AttributeNames").value_or(QStringList());
    systemNames += call.fields->stringList("MessageSystemAttributeNames").value_or(QStringList());
    const auto names = call.fields->stringList("MessageAttributeNames");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (wait && (*wait < 0 || *wait > 20))
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter WaitTimeSeconds is invalid. Reason: Must be "
                           ">= 0 and <= 20, if provided.")
                .arg(*wait)));
    auto got = m_store->receive(*queue, max.value_or(1), visibility);
    if (!got)
        return call.fail(got.error());
    if (!got->isEmpty())
        return call.okBytes(receiveResultBytes(*got, systemNames, names.value_or(QStringList())));
    // Nothing now: the request's wait, or the queue's (read only here, where it matters).
    int seconds = wait.value_or(0);
    if (!wait) {
        auto queueWait
            = m_store->attribute(*queue, QStringLiteral("ReceiveMessageWaitTimeSeconds"));
        if (!queueWait)
            return call.fail(queueWait.error());
        seconds = queueWait->toInt();
    }
    if (seconds == 0)
        return call.okBytes(receiveResultBytes(*got, systemNames, names.value_or(QStringList())));
    // Long poll: answered by the next send (messageAvailable), a message becoming visible,
    // or the end of the wait.
    auto waiter = std::make_shared<Waiter>();
    waiter->queue = *queue;
    waiter->max = max.value_or(1);
    waiter->visibility = visibility;
    waiter->systemNames = systemNames;
    waiter->attributeNames = names.value_or(QStringList());
    auto held = std::make_shared<Call>();
    held->request = std::move(call.request);
    held->responder = call.responder;
    held->operation = call.operation;
    waiter->call = held;
    waiter->deadlineNs = m_clock->nowNs() + qint64(seconds) * 1'000'000'000;
    {
        QMutexLocker lock(&m_waitersMutex);
        m_waiters[waiter->queue].append(waiter);
    }
    std::weak_ptr<Waiter> weak = waiter;
    waiter->deadline = m_clock->scheduleAt(waiter->deadlineNs, this, [this, weak] {
        if (auto w = weak.lock())
            serve(*w, true);
    });
    armWake(waiter);
    // A send between the first receive and the registration must not be missed.
    serve(*waiter, false);
    return std::nullopt;
}

void SqsJsonApi::armWake(const std::shared_ptr<Waiter> &waiter)
{
    // A delayed or in-flight message becoming visible before the deadline wakes the poll too.
    const auto next = m_store->nextVisibleMs(waiter->queue);
    if (!next || *next * 1'000'000 >= waiter->deadlineNs)
        return;
    std::weak_ptr<Waiter> weak = waiter;
    QMutexLocker lock(&waiter->mutex);
    if (waiter->done)
        return;
    if (waiter->wake)
        m_clock->cancel(waiter->wake);
    waiter->wake = m_clock->scheduleAt(*next * 1'000'000, this, [this, weak] {
        if (auto w = weak.lock()) {
            if (!serve(*w, false))
                armWake(w);
        }
    });
}

bool SqsJsonApi::serve(Waiter &waiter, bool final)
{
    QMutexLocker lock(&waiter.mutex);
    if (waiter.done)
        return true;
    QList<SqsMessage> got;
    if (!waiter.call->responder.isCancelled()) {
        auto r = m_store->receive(waiter.queue, waiter.max, waiter.visibility);
        if (!r) {
            waiter.done = true;
            waiter.call->responder.send(waiter.call->fail(r.error()));
        } else {
            got = *r;
        }
    }
    if (!waiter.done && (got.isEmpty() && !final && !waiter.call->responder.isCancelled()))
        return false;
    if (!waiter.done) {
        waiter.done = true;
        waiter.call->responder.send(waiter.call->okBytes(
            receiveResultBytes(got, waiter.systemNames, waiter.attributeNames)));
    }
    m_clock->cancel(waiter.deadline);
    if (waiter.wake)
        m_clock->cancel(waiter.wake);
    QMutexLocker all(&m_waitersMutex);
    auto &list = m_waiters[waiter.queue];
    list.removeIf([&](const std::shared_ptr<Waiter> &w) { return w.get() == &waiter; });
    if (list.isEmpty())
        m_waiters.remove(waiter.queue);
    return true;
}

void SqsJsonApi::messageAvailable(const QString &queue)
{
    QList<std::shared_ptr<Waiter>> waiting;
    {
        QMutexLocker lock(&m_waitersMutex);
        waiting = m_waiters.value(queue);
    }
    for (const auto &w : std::as_const(waiting)) {
        if (!serve(*w, false))
            break; // nothing left for the others either
    }
}

QList<std::shared_ptr<SqsJsonApi::Waiter>> SqsJsonApi::allWaiters()
{
    QList<std::shared_ptr<Waiter>> all;
    QMutexLocker lock(&m_waitersMutex);
    for (const auto &list : std::as_const(m_waiters))
        all += list;
    return all;
}

void SqsJsonApi::stop()
{
    if (m_moveTasks)
        m_moveTasks->stop();
    const QList<std::shared_ptr<Waiter>> all = allWaiters();
    for (const auto &w : std::as_const(all))
        serve(*w, true);
}

void SqsJsonApi::reloaded()
{
    if (m_moveTasks)
        m_moveTasks->clear();
    const QList<std::shared_ptr<Waiter>> all = allWaiters();
    // Each poll is tried (not only the first of a queue, as messageAvailable() does): the
    // wake-up each had armed was for a message that may be gone, and a restored queue may have
    // one becoming visible sooner.
    for (const auto &w : std::as_const(all)) {
        if (!serve(*w, false))
            armWake(w);
    }
}

HttpResponse SqsJsonApi::deleteMessage(Call &call)
{
    const auto handle = call.fields->string("ReceiptHandle");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (!handle || handle->isEmpty())
        return call.fail(missing("ReceiptHandle"));
    if (auto r = m_store->deleteMessage(*queue, *handle); !r)
        return call.fail(r.error());
    return call.okBytes(QByteArrayLiteral("{}"));
}

HttpResponse SqsJsonApi::deleteMessageBatch(Call &call)
{
    auto queue = call.existing(*m_store);
    if (!queue)
        return call.fail(queue.error());
    Json ok = Json::array(), failed = Json::array();
    auto r = forEachEntry(*call.fields, [&](JsonFields &entry, const QString &id) {
        const auto handle = entry.string("ReceiptHandle");
        Result<void> done = !entry.ok() || !handle || handle->isEmpty()
            ? Result<void>(missing("ReceiptHandle"))
            : m_store->deleteMessage(*queue, *handle);
        if (done)
            ok.push_back({{"Id", toStd(id)}});
        else
            failed.push_back(failedEntry(id, done.error()));
    });
    if (!r)
        return call.fail(r.error());
    return call.ok({{"Successful", ok}, {"Failed", failed}});
}

HttpResponse SqsJsonApi::changeMessageVisibility(Call &call)
{
    const auto handle = call.fields->string("ReceiptHandle");
    const auto timeout = call.fields->integer("VisibilityTimeout");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (!handle || handle->isEmpty())
        return call.fail(missing("ReceiptHandle"));
    if (!timeout)
        return call.fail(missing("VisibilityTimeout"));
    if (auto r = m_store->changeVisibility(*queue, *handle, *timeout); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::changeMessageVisibilityBatch(Call &call)
{
    auto queue = call.existing(*m_store);
    if (!queue)
        return call.fail(queue.error());
    Json ok = Json::array(), failed = Json::array();
    auto r = forEachEntry(*call.fields, [&](JsonFields &entry, const QString &id) {
        const auto handle = entry.string("ReceiptHandle");
        const auto timeout = entry.integer("VisibilityTimeout");
        Result<void> done = !entry.ok() || !handle || !timeout
            ? Result<void>(missing(!handle ? "ReceiptHandle" : "VisibilityTimeout"))
            : m_store->changeVisibility(*queue, *handle, *timeout);
        if (done)
            ok.push_back({{"Id", toStd(id)}});
        else
            failed.push_back(failedEntry(id, done.error()));
    });
    if (!r)
        return call.fail(r.error());
    return call.ok({{"Successful", ok}, {"Failed", failed}});
}

HttpResponse SqsJsonApi::purgeQueue(Call &call)
{
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (auto r = m_store->purge(*queue); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::tagQueue(Call &call)
{
    const auto tags = call.fields->stringMap("Tags");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (!tags)
        return call.fail(missing("Tags"));
    if (auto r = m_store->tag(*queue, *tags); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::untagQueue(Call &call)
{
    const auto keys = call.fields->stringList("TagKeys");
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    if (!keys)
        return call.fail(missing("TagKeys"));
    if (auto r = m_store->untag(*queue, *keys); !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::listQueueTags(Call &call)
{
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    auto tags = m_store->tags(*queue);
    if (!tags)
        return call.fail(tags.error());
    Json out = Json::object();
    if (!tags->isEmpty())
        out["Tags"] = stringMapJson(*tags);
    return call.ok(out);
}

HttpResponse SqsJsonApi::listDeadLetterSourceQueues(Call &call)
{
    auto queue = call.target();
    if (!queue)
        return call.fail(queue.error());
    auto sources = m_store->deadLetterSources(*queue);
    if (!sources)
        return call.fail(sources.error());
    Json urls = Json::array();
    for (const QString &s : std::as_const(*sources))
        urls.push_back(toStd(call.urlOf(s, m_accountId)));
    return call.ok({{"queueUrls", urls}});
}

namespace {

Error notFound()
{
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("The resource that you specified for the SourceArn parameter doesn't "
                       "exist."),
        404);
}

} // namespace

// AddPermission writes the statement into the queue's Policy attribute, as SQS does (kept,
// not enforced: Tarmac checks no IAM).
HttpResponse SqsJsonApi::addPermission(Call &call)
{
    const auto label = call.fields->string("Label");
    const auto accounts = call.fields->stringList("AWSAccountIds");
    const auto actions = call.fields->stringList("Actions");
    auto queue = call.existing(*m_store);
    if (!queue)
        return call.fail(queue.error());
    if (!label || label->isEmpty())
        return call.fail(missing("Label"));
    if (!accounts || accounts->isEmpty())
        return call.fail(missing("AWSAccountIds"));
    if (!actions || actions->isEmpty())
        return call.fail(missing("Actions"));
    static const QRegularExpression validLabel(QStringLiteral("^[A-Za-z0-9_-]{1,80}$"));
    if (!validLabel.match(*label).hasMatch())
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter Label is invalid. Reason: Must consist of "
                           "alphanumeric characters, hyphens and underscores, up to 80.")
                .arg(*label)));
    if (actions->size() > 7)
        return call.fail(sqsError(QStringLiteral("OverLimit"),
            QStringLiteral("%1 Actions were found, maximum allowed is 7.").arg(actions->size())));
    QMutexLocker lock(&m_policyMutex);
    auto current = m_store->attributes(*queue, {QStringLiteral("Policy")});
    if (!current)
        return call.fail(current.error());
    const QString arn = m_store->arnOf(*queue);
    auto policy = parseJson(current->value(QStringLiteral("Policy")).toUtf8());
    Json doc = policy && policy->is_object()
        ? *policy
        : Json {{"Version", "2012-10-17"}, {"Id", toStd(arn + QStringLiteral("/SQSDefaultPolicy"))},
            {"Statement", Json::array()}};
    if (!doc["Statement"].is_array())
        doc["Statement"] = Json::array();
    for (const Json &s : doc["Statement"]) {
        if (s.is_object() && s.value("Sid", std::string()) == label->toStdString())
            return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("Value %1 for parameter Label is invalid. Reason: Already exists.")
                    .arg(*label)));
    }
    Json principals = Json::array();
    for (const QString &a : *accounts)
        principals.push_back(toStd(QStringLiteral("arn:aws:iam::%1:root").arg(a)));
    Json verbs = Json::array();
    for (const QString &a : *actions)
        verbs.push_back(toStd(QStringLiteral("SQS:") + a));
    doc["Statement"].push_back({{"Sid", toStd(*label)}, {"Effect", "Allow"},
        {"Principal", {{"AWS", principals.size() == 1 ? principals[0] : principals}}},
        {"Action", verbs.size() == 1 ? verbs[0] : verbs}, {"Resource", toStd(arn)}});
    if (auto r = m_store->setAttributes(
            *queue, {{QStringLiteral("Policy"), QString::fromUtf8(toJsonBytes(doc))}});
        !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::removePermission(Call &call)
{
    const auto label = call.fields->string("Label");
    auto queue = call.existing(*m_store);
    if (!queue)
        return call.fail(queue.error());
    if (!label || label->isEmpty())
        return call.fail(missing("Label"));
    QMutexLocker lock(&m_policyMutex);
    auto current = m_store->attributes(*queue, {QStringLiteral("Policy")});
    if (!current)
        return call.fail(current.error());
    auto policy = parseJson(current->value(QStringLiteral("Policy")).toUtf8());
    bool found = false;
    if (policy && policy->is_object() && (*policy)["Statement"].is_array()) {
        Json &statements = (*policy)["Statement"];
        for (auto it = statements.begin(); it != statements.end(); ++it) {
            if (it->is_object() && it->value("Sid", std::string()) == label->toStdString()) {
                statements.erase(it);
                found = true;
                break;
            }
        }
    }
    if (!found)
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter Label is invalid. Reason: can't find label.")
                .arg(*label)));
    const bool empty = (*policy)["Statement"].empty();
    if (auto r = m_store->setAttributes(*queue,
            {{QStringLiteral("Policy"),
                empty ? QString() : QString::fromUtf8(toJsonBytes(*policy))}});
        !r)
        return call.fail(r.error());
    return call.ok(Json::object());
}

HttpResponse SqsJsonApi::startMessageMoveTask(Call &call)
{
    const auto sourceArn = call.fields->string("SourceArn");
    const auto destinationArn = call.fields->string("DestinationArn");
    const auto rate = call.fields->integer("MaxNumberOfMessagesPerSecond");
    if (auto bad = call.badFields())
        return *bad;
    if (!sourceArn || sourceArn->isEmpty())
        return call.fail(missing("SourceArn"));
    const QString source = sqsrequests::queueFromArn(*sourceArn);
    if (source.isEmpty() || !m_store->exists(source))
        return call.fail(notFound());
    auto sources = m_store->deadLetterSources(source);
    if (!sources)
        return call.fail(sources.error());
    if (sources->isEmpty())
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Source queue must be configured as a Dead Letter Queue.")));
    QString destination;
    if (destinationArn && !destinationArn->isEmpty()) {
        destination = sqsrequests::queueFromArn(*destinationArn);
        if (destination.isEmpty() || !m_store->exists(destination))
            return call.fail(makeError(QStringLiteral("ResourceNotFoundException"),
                QStringLiteral("The resource that you specified for the DestinationArn "
                               "parameter doesn't exist."),
                404));
        if (destination == source)
            return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("Source and destination queues must be different.")));
    }
    if (rate && (*rate < 1 || *rate > 500))
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter MaxNumberOfMessagesPerSecond is invalid. "
                           "Reason: must be between 1 and 500.")
                .arg(*rate)));
    auto handle = m_moveTasks->start(
        source, destination, *sourceArn, destination.isEmpty() ? QString() : *destinationArn, rate);
    if (!handle)
        return call.fail(handle.error());
    return call.ok({{"TaskHandle", toStd(*handle)}});
}

HttpResponse SqsJsonApi::cancelMessageMoveTask(Call &call)
{
    const auto handle = call.fields->string("TaskHandle");
    if (auto bad = call.badFields())
        return *bad;
    if (!handle || handle->isEmpty())
        return call.fail(missing("TaskHandle"));
    auto moved = m_moveTasks->cancel(*handle);
    if (!moved)
        return call.fail(moved.error());
    return call.ok({{"ApproximateNumberOfMessagesMoved", *moved}});
}

HttpResponse SqsJsonApi::listMessageMoveTasks(Call &call)
{
    const auto sourceArn = call.fields->string("SourceArn");
    const auto max = call.fields->integer("MaxResults");
    if (auto bad = call.badFields())
        return *bad;
    if (!sourceArn || sourceArn->isEmpty())
        return call.fail(missing("SourceArn"));
    if (max && (*max < 1 || *max > 10))
        return call.fail(sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Value %1 for parameter MaxResults is invalid. Reason: must be "
                           "between 1 and 10.")
                .arg(*max)));
    const QString source = sqsrequests::queueFromArn(*sourceArn);
    if (source.isEmpty() || !m_store->exists(source))
        return call.fail(notFound());
    Json results = Json::array();
    for (const SqsMoveTasks::Task &t : m_moveTasks->list(source, max.value_or(1))) {
        Json r = {{"Status", toStd(t.status)}, {"SourceArn", toStd(t.sourceArn)},
            {"ApproximateNumberOfMessagesMoved", t.moved},
            {"ApproximateNumberOfMessagesToMove", t.toMove}, {"StartedTimestamp", t.startedMs}};
        if (t.status == QLatin1String("RUNNING"))
            r["TaskHandle"] = toStd(t.handle);
        if (!t.destinationArn.isEmpty())
            r["DestinationArn"] = toStd(t.destinationArn);
        if (t.rate)
            r["MaxNumberOfMessagesPerSecond"] = *t.rate;
        if (!t.failureReason.isEmpty())
            r["FailureReason"] = toStd(t.failureReason);
        results.push_back(std::move(r));
    }
    return call.ok({{"Results", results}});
}

} // namespace tarmac
