#include "services/dynamodb/ddbapi.h"

#include "base/json.h"
#include "services/dynamodb/dynamodb.h"

#include <QHash>
#include <QStringList>

namespace tarmac {

namespace {

// The request members of every operation by JSON type (ddbshapes.inc, from botocore's model).
struct MemberShape
{
    int streams;
    const char *operation;
    const char *member;
    char kind; // S string, B boolean, N number, T timestamp, O object, L list
    const char *values; // a string's enumeration, '|'-separated; empty: any
};

const MemberShape kShapes[] = {
#include "services/dynamodb/ddbshapes.inc"
};

using ShapeIndex = QHash<QString, QList<const MemberShape *>>;

const ShapeIndex &shapes(bool streams)
{
    static const auto build = [](int which) {
        ShapeIndex index;
        for (const MemberShape &m : kShapes) {
            if (m.streams == which)
                index[QLatin1String(m.operation)].append(&m);
        }
        return index;
    };
    static const ShapeIndex tables = build(0);
    static const ShapeIndex streamShapes = build(1);
    return streams ? streamShapes : tables;
}

// What Coral's JSON reader calls the token it found.
QString tokenOf(const Json &v)
{
    if (v.is_boolean())
        return v.get<bool>() ? QStringLiteral("TRUE_VALUE") : QStringLiteral("FALSE_VALUE");
    if (v.is_number_float())
        return QStringLiteral("DECIMAL_VALUE");
    if (v.is_number())
        return QStringLiteral("NUMBER_VALUE");
    return QStringLiteral("STRING_VALUE");
}

// Every top-level member checked against its type (SerializationException, as Coral reads the
// body) and a string against its enumeration (ValidationException), before the operation
// reads any: so a member Tarmac does not act on is refused for a wrong type all the same.
std::optional<Error> checkShape(bool streams, const QString &operation, const Json &request)
{
    const auto it = shapes(streams).constFind(operation);
    if (it == shapes(streams).cend())
        return std::nullopt;
    for (const MemberShape *m : *it) {
        const auto v = request.find(m->member);
        if (v == request.end() || v->is_null())
            continue;
        const auto wrong = [&](const QString &message) {
            return makeError(QStringLiteral("SerializationException"), message, 400);
        };
        switch (m->kind) {
        case 'S':
            if (v->is_object())
                return wrong(QStringLiteral("Start of structure or map found where not expected."));
            if (v->is_array())
                return wrong(QStringLiteral("Unrecognized collection type class java.lang.String"));
            if (!v->is_string())
                return wrong(QStringLiteral("%1 cannot be converted to String").arg(tokenOf(*v)));
            if (*m->values) {
                const QStringList allowed = QString::fromLatin1(m->values).split(u'|');
                const QString value = QString::fromStdString(v->get<std::string>());
                if (!allowed.contains(value)) {
                    QString field = QLatin1String(m->member);
                    field[0] = field[0].toLower();
                    return makeError(QStringLiteral("ValidationException"),
                        QStringLiteral("1 validation error detected: Value '%1' at '%2' failed "
                                       "to satisfy constraint: Member must satisfy enum value "
                                       "set: [%3]")
                            .arg(value, field, allowed.join(QStringLiteral(", "))),
                        400);
                }
            }
            break;
        case 'B':
            if (!v->is_boolean())
                return wrong(v->is_object() || v->is_array()
                        ? QStringLiteral("Start of %1 found where not expected")
                              .arg(v->is_object() ? QStringLiteral("structure or map")
                                                  : QStringLiteral("list"))
                        : QStringLiteral("%1 cannot be converted to Boolean").arg(tokenOf(*v)));
            break;
        case 'N':
        case 'T':
            if (!v->is_number())
                return wrong(v->is_object() || v->is_array()
                        ? QStringLiteral("Start of %1 found where not expected")
                              .arg(v->is_object() ? QStringLiteral("structure or map")
                                                  : QStringLiteral("list"))
                        : QStringLiteral("%1 cannot be converted to %2")
                              .arg(tokenOf(*v),
                                  m->kind == 'T' ? QStringLiteral("Date")
                                                 : QStringLiteral("Integer")));
            if (m->kind == 'N' && v->is_number_float()
                && v->get<double>() != double(qint64(v->get<double>())))
                return wrong(QStringLiteral("DECIMAL_VALUE cannot be converted to Integer"));
            break;
        case 'O':
            if (!v->is_object())
                return wrong(v->is_array()
                        ? QStringLiteral("Start of list found where not expected")
                        : QStringLiteral("Unexpected value type in payload"));
            break;
        case 'L':
            if (!v->is_array())
                return wrong(v->is_object()
                        ? QStringLiteral("Start of structure or map found where not expected.")
                        : QStringLiteral("Unexpected value type in payload"));
            break;
        default:
            break;
        }
    }
    return std::nullopt;
}

// The namespace clients see in __type: Coral's for request-level errors, DynamoDB's own for
// the service's.
QByteArray typeOf(const QString &code)
{
    if (code == QLatin1String("ValidationException"))
        return "com.amazon.coral.validate#ValidationException";
    if (code == QLatin1String("SerializationException")
        || code == QLatin1String("UnknownOperationException"))
        return "com.amazon.coral.service#" + code.toUtf8();
    return "com.amazonaws.dynamodb.v20120810#" + code.toUtf8();
}

HttpResponse errorAnswer(const Error &error, const Json &extra, const HttpRequest &request)
{
    Json body = extra.is_object() ? extra : Json::object();
    body["__type"] = typeOf(error.code).toStdString();
    // DynamoDB writes "message" for most errors and "Message" for some; clients read both.
    body["message"] = error.message.toStdString();
    HttpResponse r = HttpResponse::json(error.httpStatus, toJsonBytes(body));
    r.headers.set("Content-Type", "application/x-amz-json-1.0");
    r.headers.add("x-amzn-RequestId", request.requestId);
    return r;
}

} // namespace

qint64 DynamoDbJsonApi::maxBodySize(const HttpRequest &head) const
{
    Q_UNUSED(head);
    // 25 items of 400 KB in a BatchWriteItem (100 in a transaction), base64 and escapes.
    return 64LL * 1024 * 1024;
}

HttpResponse DynamoDbJsonApi::internalError(const HttpRequest &head, const QString &message) const
{
    return errorAnswer(
        makeError(QStringLiteral("InternalServerError"), message, 500), Json(), head);
}

void DynamoDbJsonApi::handle(HttpRequest &&request, HttpResponder responder)
{
    const QByteArray prefix
        = m_streams ? QByteArray("DynamoDBStreams_20120810.") : QByteArray("DynamoDB_20120810.");
    const QString service
        = m_streams ? QStringLiteral("dynamodbstreams") : QStringLiteral("dynamodb");
    const QByteArray target = request.header("x-amz-target");
    QString operation;
    const auto send = [&](HttpResponse r) {
        r.service = service;
        r.operation = operation;
        responder.send(std::move(r));
    };
    DynamoDb *model = m_model.load();
    if (!model) {
        send(errorAnswer(makeError(QStringLiteral("ServiceUnavailable"),
                             QStringLiteral("the DynamoDB module has not started"), 503),
            Json(), request));
        return;
    }
    if (!target.startsWith(prefix)) {
        send(errorAnswer(makeError(QStringLiteral("UnknownOperationException"),
                             QStringLiteral("DynamoDB takes JSON requests with X-Amz-Target: %1"
                                            "<Operation>")
                                 .arg(QString::fromUtf8(prefix)),
                             400),
            Json(), request));
        return;
    }
    operation = QString::fromUtf8(target.mid(prefix.size()));
    const QByteArray bytes = request.body.toByteArray();
    auto body = parseJson(bytes.isEmpty() ? QByteArray("{}") : bytes);
    if (!body || !body->is_object()) {
        send(errorAnswer(makeError(QStringLiteral("SerializationException"),
                             body ? QStringLiteral("Start of list found where not expected")
                                  : QStringLiteral("Unexpected character in the request body")),
            Json(), request));
        return;
    }
    if (auto bad = checkShape(m_streams, operation, *body)) {
        send(errorAnswer(*bad, Json(), request));
        return;
    }
    DdbCallInfo info;
    info.rawAllowed = true;
    info.traceId = request.traceId;
    info.spanId = request.spanId;
    const Result<Json> answer = m_streams ? model->callStreams(operation, *body, info)
                                          : model->call(operation, *body, info);
    HttpResponse r;
    if (!answer) {
        r = errorAnswer(answer.error(), info.errorExtra, request);
    } else {
        r = HttpResponse::json(
            200, info.rawAnswer.isEmpty() ? toJsonBytes(*answer) : std::move(info.rawAnswer));
        r.headers.set("Content-Type", "application/x-amz-json-1.0");
        r.headers.add("x-amzn-RequestId", request.requestId);
    }
    r.spanAttributes = std::move(info.spanAttributes);
    if (info.capacityUnits > 0) {
        // Whole units are the common case, and formatting a double is slow.
        const double units = info.capacityUnits;
        const bool whole = units < 1e15 && units == double(qint64(units));
        r.spanAttributes.append({QStringLiteral("aws.dynamodb.consumed_capacity"),
            whole ? QString::number(qint64(units)) : QString::number(units)});
    }
    send(std::move(r));
}

} // namespace tarmac
