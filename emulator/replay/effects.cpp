#include "replay/effects.h"

#include "replay/expectation.h"

namespace tarmac {

namespace {

constexpr int kMaxWithinMs = 600'000;

Error badEffect(int index, const QString &message)
{
    return makeError(QStringLiteral("InvalidExpectation"),
        QStringLiteral("expect.effects[%1]: %2").arg(index).arg(message));
}

} // namespace

QString Effect::label() const
{
    switch (kind) {
    case Kind::S3:
        return QStringLiteral("s3 %1/%2").arg(resource, key);
    case Kind::Sqs:
        return QStringLiteral("sqs %1").arg(resource);
    case Kind::DynamoDb:
        return QStringLiteral("dynamodb %1 %2").arg(resource, shownJson(itemKey));
    }
    return {};
}

Result<QList<Effect>> parseEffects(const Json *expect)
{
    QList<Effect> out;
    if (!expect || !expect->is_object())
        return out;
    const auto list = expect->find("effects");
    if (list == expect->end() || list->is_null())
        return out;
    if (!list->is_array())
        return makeError(QStringLiteral("InvalidExpectation"),
            QStringLiteral("expect.effects is a list of {\"s3\"|\"sqs\"|\"dynamodb\": …}"));
    int index = 0;
    for (const Json &item : *list) {
        if (!item.is_object())
            return badEffect(index, QStringLiteral("is an object"));
        JsonFields f(item);
        Effect e;
        const auto within = f.integer("within");
        const auto exists = f.boolean("exists");
        const auto body = f.string("body");
        const auto messages = f.integer("messages");
        if (!f.ok())
            return badEffect(index, f.error()->message());
        if (within && (*within < 0 || *within > kMaxWithinMs))
            return badEffect(
                index, QStringLiteral("within is milliseconds from 0 to %1").arg(kMaxWithinMs));
        e.withinMs = within.value_or(0);
        e.exists = exists.value_or(true);
        if (const Json *s3 = f.value("s3")) {
            e.kind = Effect::Kind::S3;
            if (s3->is_string()) {
                const QString path = fromStd(s3->get<std::string>());
                e.resource = path.section(u'/', 0, 0);
                e.key = path.section(u'/', 1);
            } else if (s3->is_object()) {
                JsonFields o(*s3);
                e.resource = o.string("bucket").value_or(QString());
                e.key = o.string("key").value_or(QString());
                if (!o.ok())
                    return badEffect(index, o.error()->message());
            }
            if (e.resource.isEmpty() || e.key.isEmpty())
                return badEffect(
                    index, QStringLiteral("s3 is \"BUCKET/KEY\" or {\"bucket\", \"key\"}"));
            if (body)
                e.body = body->toUtf8();
            if (const Json *j = f.value("json"))
                e.subset = *j;
        } else if (const Json *sqs = f.value("sqs")) {
            e.kind = Effect::Kind::Sqs;
            if (!sqs->is_string() || sqs->get<std::string>().empty())
                return badEffect(index, QStringLiteral("sqs names a queue"));
            e.resource = fromStd(sqs->get<std::string>());
            if (!messages || *messages < 0)
                return badEffect(index, QStringLiteral("an sqs effect takes \"messages\": N"));
            e.messages = *messages;
        } else if (const Json *table = f.value("dynamodb")) {
            e.kind = Effect::Kind::DynamoDb;
            if (!table->is_string() || table->get<std::string>().empty())
                return badEffect(index, QStringLiteral("dynamodb names a table"));
            e.resource = fromStd(table->get<std::string>());
            const Json *key = f.value("key");
            if (!key || !key->is_object() || key->empty())
                return badEffect(
                    index, QStringLiteral("a dynamodb effect takes \"key\": {NAME: VALUE, …}"));
            e.itemKey = *key;
            if (const Json *i = f.value("item"))
                e.subset = *i;
        } else {
            return badEffect(index, QStringLiteral("names one of s3, sqs or dynamodb"));
        }
        if (!e.exists && (e.body || e.subset))
            return badEffect(
                index, QStringLiteral("\"exists\": false takes no body, json or item"));
        out.append(std::move(e));
        ++index;
    }
    return out;
}

Json toAttributeValue(const Json &plain)
{
    if (plain.is_string())
        return {{"S", plain}};
    if (plain.is_boolean())
        return {{"BOOL", plain}};
    if (plain.is_null())
        return {{"NULL", true}};
    if (plain.is_number())
        return {{"N", plain.dump()}};
    if (plain.is_array()) {
        Json list = Json::array();
        for (const Json &v : plain)
            list.push_back(toAttributeValue(v));
        return {{"L", std::move(list)}};
    }
    Json map = Json::object();
    for (const auto &[k, v] : plain.items())
        map[k] = toAttributeValue(v);
    return {{"M", std::move(map)}};
}

Json fromAttributeValue(const Json &typed)
{
    if (!typed.is_object() || typed.size() != 1)
        return typed;
    const auto first = typed.begin();
    const std::string type = first.key();
    const Json &v = first.value();
    const auto number = [](const Json &n) -> Json {
        if (!n.is_string())
            return n;
        auto parsed = parseJson(QByteArray::fromStdString(n.get<std::string>()));
        return parsed && parsed->is_number() ? *parsed : n;
    };
    if (type == "N")
        return number(v);
    if (type == "NULL")
        return nullptr;
    if (type == "NS" && v.is_array()) {
        Json list = Json::array();
        for (const Json &n : v)
            list.push_back(number(n));
        return list;
    }
    if (type == "L" && v.is_array()) {
        Json list = Json::array();
        for (const Json &item : v)
            list.push_back(fromAttributeValue(item));
        return list;
    }
    if (type == "M" && v.is_object()) {
        Json map = Json::object();
        for (const auto &[k, item] : v.items())
            map[k] = fromAttributeValue(item);
        return map;
    }
    return v; // S, B (base64), BOOL, SS, BS
}

} // namespace tarmac
