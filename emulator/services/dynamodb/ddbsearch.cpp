#include "services/dynamodb/ddbsearch.h"

#include "services/dynamodb/dynamodb.h"

#include <QObject>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace tarmac::ddbsearch {

namespace {

const QString kScan = QStringLiteral("Scan");
const QString kQuery = QStringLiteral("Query");
constexpr int kMaxPages = 50; // pages read for one search page, at most
constexpr qsizetype kPreviewChars = 160;

// Scan when the field is left out or empty.
QString operationOf(const QMap<QString, QString> &fields)
{
    const QString operation = fields.value(QStringLiteral("operation")).trimmed();
    return operation.isEmpty() ? kScan : operation;
}

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message);
}

const DdbKeySchema *keyOf(const DdbTable &table, const QString &index)
{
    if (index.isEmpty() || index == table.name)
        return &table.key;
    const DdbIndex *i = table.index(index);
    return i ? &i->key : nullptr;
}

// Every `#name` in the expressions, as the attribute it spells.
Json attributeNames(const QStringList &expressions)
{
    static const QRegularExpression placeholder(QStringLiteral("#([A-Za-z0-9_]+)"));
    Json names = Json::object();
    for (const QString &e : expressions) {
        for (auto it = placeholder.globalMatch(e); it.hasNext();) {
            const auto m = it.next();
            names[toStd(m.captured(0))] = toStd(m.captured(1));
        }
    }
    return names;
}

bool isTyped(const Json &v)
{
    static const QSet<QString> types {QStringLiteral("S"), QStringLiteral("N"), QStringLiteral("B"),
        QStringLiteral("BOOL"), QStringLiteral("NULL"), QStringLiteral("M"), QStringLiteral("L"),
        QStringLiteral("SS"), QStringLiteral("NS"), QStringLiteral("BS")};
    return v.is_object() && v.size() == 1 && types.contains(fromStd(v.begin().key()));
}

QString shortValue(const Json &typed)
{
    if (!typed.is_object() || typed.empty())
        return QStringLiteral("?");
    const std::string &type = typed.begin().key();
    const Json &v = typed.begin().value();
    if (type == "S" && v.is_string())
        return QString::fromUtf8(toJsonBytes(v));
    if (type == "N" && v.is_string())
        return fromStd(v.get<std::string>());
    if (type == "BOOL" && v.is_boolean())
        return v.get<bool>() ? QStringLiteral("true") : QStringLiteral("false");
    if (type == "NULL")
        return QStringLiteral("null");
    if (type == "B" && v.is_string())
        return QObject::tr("<binary>");
    if (type == "M" && v.is_object())
        return QObject::tr("{%n attribute(s)}", nullptr, int(v.size()));
    if (type == "L" && v.is_array())
        return QObject::tr("[%n value(s)]", nullptr, int(v.size()));
    if (v.is_array()) { // SS, NS, BS
        QStringList parts;
        for (const Json &e : v)
            parts.append(type == "BS"               ? QObject::tr("<binary>")
                    : e.is_string() && type == "NS" ? fromStd(e.get<std::string>())
                                                    : QString::fromUtf8(toJsonBytes(e)));
        return QStringLiteral("«") + parts.join(QStringLiteral(", ")) + QStringLiteral("»");
    }
    return QString::fromUtf8(toJsonBytes(typed));
}

} // namespace

QList<CatalogField> fields(const DdbTable &table)
{
    QStringList indexes {table.name};
    for (const DdbIndex &i : table.indexes)
        indexes.append(i.name);
    QString keyExample = QStringLiteral("#%1 = :%1").arg(table.key.hashName);
    if (table.key.hasRange())
        keyExample += QStringLiteral(" AND begins_with(#%1, :prefix)").arg(table.key.rangeName);
    return {
        {QStringLiteral("operation"), QObject::tr("Operation"), QString(), {kScan, kQuery}},
        {QStringLiteral("index"), QObject::tr("Table or index"), QString(), indexes},
        {QStringLiteral("key"), QObject::tr("Key condition (Query)"), keyExample, {}},
        {QStringLiteral("filter"), QObject::tr("Filter"),
            QStringLiteral("attribute_exists(#done) AND #size > :min"), {}},
        {QStringLiteral("values"), QObject::tr("Values"),
            QStringLiteral(R"({":%1": "a", ":min": 10})").arg(table.key.hashName), {}},
        {QStringLiteral("order"), QObject::tr("Order (Query)"), QString(),
            {QObject::tr("ascending"), QObject::tr("descending")}},
    };
}

Json typedValue(const Json &plain)
{
    if (isTyped(plain))
        return plain;
    switch (plain.type()) {
    case Json::value_t::string:
        return Json {{"S", plain}};
    case Json::value_t::boolean:
        return Json {{"BOOL", plain}};
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
        return Json {{"N", plain.dump()}};
    case Json::value_t::array: {
        Json list = Json::array();
        for (const Json &e : plain)
            list.push_back(typedValue(e));
        return Json {{"L", list}};
    }
    case Json::value_t::object: {
        Json map = Json::object();
        for (auto it = plain.begin(); it != plain.end(); ++it)
            map[it.key()] = typedValue(it.value());
        return Json {{"M", map}};
    }
    default:
        return Json {{"NULL", true}};
    }
}

Result<Json> request(const DdbTable &table, const QMap<QString, QString> &fields)
{
    const QString operation = operationOf(fields);
    if (operation != kScan && operation != kQuery)
        return invalid(QObject::tr("the operation is Scan or Query, not %1").arg(operation));
    const QString index = fields.value(QStringLiteral("index")).trimmed();
    const DdbKeySchema *key = keyOf(table, index);
    if (!key)
        return invalid(QObject::tr("%1 has no index named %2").arg(table.name, index));
    const QString keyCondition = fields.value(QStringLiteral("key")).trimmed();
    const QString filter = fields.value(QStringLiteral("filter")).trimmed();
    const QString valuesText = fields.value(QStringLiteral("values")).trimmed();

    Json r = {{"TableName", toStd(table.name)}};
    if (!index.isEmpty() && index != table.name)
        r["IndexName"] = toStd(index);
    if (operation == kQuery) {
        if (keyCondition.isEmpty())
            return invalid(QObject::tr("a Query needs a key condition on %1, such as #%1 = :%1")
                               .arg(key->hashName));
        r["KeyConditionExpression"] = toStd(keyCondition);
        if (fields.value(QStringLiteral("order")).trimmed() == QObject::tr("descending"))
            r["ScanIndexForward"] = false;
    } else if (!keyCondition.isEmpty()) {
        return invalid(
            QObject::tr("a key condition is for a Query; a Scan reads every item (use the "
                        "filter)"));
    }
    if (!filter.isEmpty())
        r["FilterExpression"] = toStd(filter);
    const Json names = attributeNames({keyCondition, filter});
    if (!names.empty())
        r["ExpressionAttributeNames"] = names;
    if (!valuesText.isEmpty()) {
        auto values = parseJson(valuesText.toUtf8());
        if (!values || !values->is_object())
            return invalid(QObject::tr("the values are a JSON object such as {\":pk\": \"a\", "
                                       "\":min\": 10}"));
        Json typed = Json::object();
        for (auto it = values->begin(); it != values->end(); ++it) {
            const std::string name
                = it.key().starts_with(':') ? it.key() : std::string(":") + it.key();
            typed[name] = typedValue(it.value());
        }
        if (!typed.empty())
            r["ExpressionAttributeValues"] = typed;
    }
    return r;
}

Result<CatalogPage> run(DynamoDb &model, const DdbTable &table,
    const QMap<QString, QString> &fields, const QString &after, int max)
{
    auto base = request(table, fields);
    if (!base)
        return base.error();
    const QString operation = operationOf(fields);
    Json startKey;
    if (!after.isEmpty()) {
        auto k = parseJson(after.toUtf8());
        if (!k || !k->is_object())
            return invalid(QObject::tr("not where a page starts: %1").arg(after));
        startKey = std::move(*k);
    }
    CatalogPage page;
    max = std::clamp(max, 1, 1000);
    for (int pages = 0; pages < kMaxPages && page.items.size() < max; ++pages) {
        Json r = *base;
        r["Limit"] = max - page.items.size();
        if (!startKey.is_null())
            r["ExclusiveStartKey"] = startKey;
        DdbCallInfo info;
        auto answer = model.call(operation, r, info);
        if (!answer)
            return answer.error();
        if (answer->contains("Items") && (*answer)["Items"].is_array()) {
            for (const Json &item : (*answer)["Items"])
                page.items.append({DynamoDb::keyText(table, item), qint64(item.dump().size()), 0,
                    preview(table, item)});
        }
        startKey = answer->contains("LastEvaluatedKey") ? (*answer)["LastEvaluatedKey"] : Json();
        if (startKey.is_null())
            break;
    }
    page.truncated = !startKey.is_null();
    if (page.truncated)
        page.next = QString::fromUtf8(toJsonBytes(startKey));
    return page;
}

QString preview(const DdbTable &table, const Json &item)
{
    if (!item.is_object())
        return {};
    const QStringList keys = table.key.names();
    QStringList parts;
    qsizetype length = 0;
    for (auto it = item.begin(); it != item.end() && length < kPreviewChars; ++it) {
        const QString name = fromStd(it.key());
        if (keys.contains(name))
            continue;
        parts.append(name + QStringLiteral(": ") + shortValue(it.value()));
        length += parts.last().size() + 2;
    }
    QString text = parts.join(QStringLiteral(", "));
    if (text.size() > kPreviewChars)
        text = text.left(kPreviewChars - 1) + QChar(0x2026);
    return text;
}

} // namespace tarmac::ddbsearch
