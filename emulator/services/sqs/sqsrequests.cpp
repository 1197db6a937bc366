#include "services/sqs/sqsrequests.h"

#include <QRegularExpression>
#include <QSet>

#include <charconv>

namespace tarmac::sqsrequests {

Error sqsError(const QString &code, const QString &message)
{
    return makeError(code, message, 400);
}

Error missing(const char *parameter)
{
    return sqsError(QStringLiteral("MissingParameter"),
        QStringLiteral("The request must contain the parameter %1.").arg(QLatin1String(parameter)));
}

Result<QString> queueFromUrl(const QString &url)
{
    // The last non-empty segment of the path (of the URL after its scheme and host).
    QStringView path(url);
    const qsizetype scheme = path.indexOf(QLatin1String("://"));
    if (scheme >= 0) {
        const qsizetype slash = path.indexOf(u'/', scheme + 3);
        path = slash < 0 ? QStringView() : path.mid(slash);
    }
    qsizetype end = path.size();
    while (end > 0 && path[end - 1] == u'/')
        --end;
    if (end == 0)
        return sqsError(QStringLiteral("InvalidAddress"),
            QStringLiteral("The address %1 is not valid for this endpoint.").arg(url));
    const qsizetype start = path.first(end).lastIndexOf(u'/') + 1;
    return path.sliced(start, end - start).toString();
}

QString queueFromArn(const QString &arn)
{
    const QStringList parts = arn.split(u':');
    if (parts.size() != 6 || parts[0] != QLatin1String("arn") || parts[2] != QLatin1String("sqs"))
        return {};
    return parts[5];
}

// MessageAttributes / MessageSystemAttributes of a send: {name: {DataType, StringValue |
// BinaryValue}}.
Result<SqsAttributes> readAttributes(JsonFields &fields, const char *key, bool system)
{
    SqsAttributes out;
    const Json *value = fields.value(key);
    if (!value)
        return out;
    if (!value->is_object())
        return sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("%1 must be a map").arg(QLatin1String(key)));
    if (value->size() > 10)
        return sqsError(QStringLiteral("InvalidParameterValue"),
            QStringLiteral("Number of message attributes [%1] exceeds the allowed maximum [10].")
                .arg(value->size()));
    for (auto it = value->begin(); it != value->end(); ++it) {
        const QString name = QString::fromStdString(it.key());
        if (system && name != QLatin1String("AWSTraceHeader"))
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("Message system attribute name '%1' is invalid.").arg(name));
        if (!system
            && (name.startsWith(QLatin1String("AWS."), Qt::CaseInsensitive)
                || name.startsWith(QLatin1String("Amazon."), Qt::CaseInsensitive)))
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("Message attribute name '%1' cannot start with AWS. or Amazon.")
                    .arg(name));
        JsonFields attribute(it.value());
        const auto type = attribute.string("DataType");
        const auto text = attribute.string("StringValue");
        const auto binary = attribute.bytes("BinaryValue");
        if (!attribute.ok() || !it.value().is_object())
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("The message attribute '%1' is not a valid attribute.").arg(name));
        if (!type || type->isEmpty())
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("The message attribute '%1' must contain non-empty message "
                               "attribute type.")
                    .arg(name));
        SqsAttributeValue v;
        v.dataType = *type;
        const bool isBinary = type->startsWith(QLatin1String("Binary"));
        if (!isBinary && !type->startsWith(QLatin1String("String"))
            && !type->startsWith(QLatin1String("Number")))
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("The type of message (user) attribute '%1' is invalid. You must "
                               "use only the following supported type prefixes: Binary, Number, "
                               "String.")
                    .arg(name));
        if (isBinary ? !binary : !text)
            return sqsError(QStringLiteral("InvalidParameterValue"),
                QStringLiteral("The message attribute '%1' must contain non-empty message "
                               "attribute value for message attribute type '%2'.")
                    .arg(name, *type));
        v.value = isBinary ? QByteArray::fromBase64(*binary) : text->toUtf8();
        out.insert(name, v);
    }
    return out;
}

// A send's fields (SendMessage, or one entry of a batch).
Result<SqsSendRequest> readSend(JsonFields &fields)
{
    SqsSendRequest r;
    const auto body = fields.string("MessageBody");
    if (!fields.ok())
        return sqsError(QStringLiteral("InvalidParameterValue"), fields.error()->message());
    if (!body || body->isEmpty())
        return missing("MessageBody");
    // XML 1.0's characters only, as SQS accepts them.
    for (const QChar c : *body) {
        const ushort u = c.unicode();
        if (u < 0x20 && u != 0x9 && u != 0xA && u != 0xD)
            return sqsError(QStringLiteral("InvalidMessageContents"),
                QStringLiteral("Invalid characters found. Valid unicode characters are #x9 | #xA "
                               "| #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"));
    }
    r.body = body->toUtf8();
    r.delaySeconds = fields.integer("DelaySeconds");
    r.groupId = fields.string("MessageGroupId").value_or(QString());
    r.deduplicationId = fields.string("MessageDeduplicationId").value_or(QString());
    if (!fields.ok())
        return sqsError(QStringLiteral("InvalidParameterValue"), fields.error()->message());
    auto attributes = readAttributes(fields, "MessageAttributes", false);
    if (!attributes)
        return attributes.error();
    r.attributes = *attributes;
    auto system = readAttributes(fields, "MessageSystemAttributes", true);
    if (!system)
        return system.error();
    r.systemAttributes = *system;
    return r;
}

Result<QStringList> checkBatchEntries(const Json *entries)
{
    if (!entries || (entries->is_array() && entries->empty()))
        return sqsError(QStringLiteral("EmptyBatchRequest"),
            QStringLiteral("There should be at least one SendMessageBatchRequestEntry in the "
                           "request."));
    if (!entries->is_array())
        return sqsError(
            QStringLiteral("InvalidParameterValue"), QStringLiteral("Entries must be a list"));
    if (entries->size() > 10)
        return sqsError(QStringLiteral("TooManyEntriesInBatchRequest"),
            QStringLiteral("Maximum number of entries per request are 10. You have sent %1.")
                .arg(entries->size()));
    static const QRegularExpression validId(QStringLiteral("^[A-Za-z0-9_-]{1,80}$"));
    QStringList ids;
    for (const Json &e : *entries) {
        JsonFields entry(e);
        const auto id = entry.string("Id");
        if (!e.is_object() || !entry.ok() || !id)
            return missing("Id");
        if (!validId.match(*id).hasMatch())
            return sqsError(QStringLiteral("InvalidBatchEntryId"),
                QStringLiteral("A batch entry id can only contain alphanumeric characters, "
                               "hyphens and underscores. It can be at most 80 letters long."));
        if (ids.contains(*id))
            return sqsError(QStringLiteral("BatchEntryIdsNotDistinct"),
                QStringLiteral("Id %1 repeated.").arg(*id));
        ids.append(*id);
    }
    return ids;
}

std::optional<std::pair<qint64, qint64>> parseReceiptHandle(const QString &handle)
{
    if (handle.size() > 4096)
        return std::nullopt;
    // SEQ:GENERATION:QUEUE:NONCE in base64url; the queue and nonce are not read. A character
    // beyond Latin-1 becomes '?', which is not base64 either.
    const auto decoded = QByteArray::fromBase64Encoding(
        handle.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    const QByteArrayView raw(*decoded);
    if (raw.count(':') < 3)
        return std::nullopt;
    const auto number = [](QByteArrayView text) -> qint64 {
        qint64 value = 0;
        const auto [end, error] = std::from_chars(text.begin(), text.end(), value);
        return error == std::errc() && end == text.end() && value > 0 ? value : 0;
    };
    const qsizetype first = raw.indexOf(':');
    const qsizetype second = raw.indexOf(':', first + 1);
    const qint64 seq = number(raw.first(first));
    const qint64 generation = number(raw.sliced(first + 1, second - first - 1));
    if (seq == 0 || generation == 0)
        return std::nullopt;
    return std::make_pair(seq, generation);
}

} // namespace tarmac::sqsrequests
