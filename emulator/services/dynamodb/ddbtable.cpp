#include "services/dynamodb/ddbtable.h"

#include "services/dynamodb/ddbinternal.h"

#include <QSet>

#include <algorithm>

namespace tarmac {

namespace {

using ddb::serialization;
using ddb::str;
using ddb::stringMember;
using ddb::validation;

// AWS's prefix for most of its parameter errors.
QString invalidText(const QString &message)
{
    return QStringLiteral("One or more parameter values were invalid: ") + message;
}

Result<const Json *> listMember(const Json &object, const char *name)
{
    const auto it = object.find(name);
    if (it == object.end() || it->is_null())
        return static_cast<const Json *>(nullptr);
    if (!it->is_array())
        return serialization(QStringLiteral("Unexpected value type in payload: %1 is not a list")
                                 .arg(QLatin1String(name)));
    for (const Json &e : *it) {
        if (!e.is_object())
            return serialization(
                QStringLiteral("Unexpected value type in payload: %1 holds a non-structure")
                    .arg(QLatin1String(name)));
    }
    return &*it;
}

Result<const Json *> objectMember(const Json &object, const char *name)
{
    return ddb::member(object, name, Json::value_t::object);
}

Result<qint64> capacity(const Json &throughput, const char *name)
{
    const auto it = throughput.find(name);
    if (it == throughput.end() || it->is_null())
        return qint64(-1);
    if (!it->is_number_integer())
        return serialization(QStringLiteral("Unexpected value type in payload: %1 is not a number")
                                 .arg(QLatin1String(name)));
    const qint64 v = it->get<qint64>();
    if (v < 1)
        return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                         "'provisionedThroughput.%2' failed to satisfy constraint: "
                                         "Member must have value greater than or equal to 1")
                              .arg(v)
                              .arg(QString::fromLatin1(name).replace(0, 1, QChar(name[0] + 32))));
    return v;
}

QString keyList(const QStringList &names)
{
    return u'[' + names.join(QStringLiteral(", ")) + u']';
}

// KeySchema: one HASH then at most one RANGE, each defined in `types` (else "Some index key
// attributes are not defined", naming every one that is not).
Result<DdbKeySchema> parseKeySchema(
    const Json *schema, const QMap<QString, QString> &types, const QString &what)
{
    QStringList undefined;
    DdbKeySchema key;
    if (!schema || schema->empty())
        return validation(QStringLiteral("1 validation error detected: Value null at '%1' failed "
                                         "to satisfy constraint: Member must not be null")
                              .arg(what));
    if (schema->size() > 2)
        return validation(
            QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to satisfy "
                           "constraint: Member must have length less than or equal to 2")
                .arg(QString::fromUtf8(toJsonBytes(*schema)), what));
    int index = 0;
    for (const Json &e : *schema) {
        auto name = stringMember(e, "AttributeName");
        if (!name)
            return name.error();
        auto type = stringMember(e, "KeyType");
        if (!type)
            return type.error();
        if (!name->has_value() || name->value().isEmpty())
            return validation(QStringLiteral("1 validation error detected: Value null at "
                                             "'%1.%2.member.attributeName' failed to satisfy "
                                             "constraint: Member must not be null")
                                  .arg(what)
                                  .arg(index + 1));
        const QString kt = type->value_or(QString());
        if (kt != QLatin1String("HASH") && kt != QLatin1String("RANGE"))
            return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                             "'%2.%3.member.keyType' failed to satisfy "
                                             "constraint: Member must satisfy enum value set: "
                                             "[HASH, RANGE]")
                                  .arg(kt, what)
                                  .arg(index + 1));
        if (index == 0 && kt != QLatin1String("HASH"))
            return validation(QStringLiteral("Invalid KeySchema: The first KeySchemaElement is not "
                                             "a HASH key type"));
        if (index == 1 && kt != QLatin1String("RANGE"))
            return validation(QStringLiteral("Too many hash keys specified.  All Dynamo DB tables "
                                             "must have exactly one hash key"));
        const QString n = **name;
        if (!types.contains(n))
            undefined.append(n);
        if (index == 0) {
            key.hashName = n;
            key.hashType = types.value(n);
        } else {
            if (n == key.hashName)
                return validation(
                    invalidText(QStringLiteral("Both the Hash Key and the Range Key "
                                               "element in the KeySchema have the same "
                                               "name")));
            key.rangeName = n;
            key.rangeType = types.value(n);
        }
        ++index;
    }
    if (!undefined.isEmpty())
        return validation(invalidText(QStringLiteral("Some index key attributes are not defined in "
                                                     "AttributeDefinitions. Keys: %1, "
                                                     "AttributeDefinitions: %2")
                                          .arg(keyList(undefined), keyList(types.keys()))));
    return key;
}

Result<void> parseProjection(const Json &index, DdbIndex &out)
{
    auto projection = ddb::requiredMember(
        index, "Projection", Json::value_t::object, "globalSecondaryIndexes.1.member.projection");
    if (!projection)
        return projection.error();
    auto type = stringMember(**projection, "ProjectionType");
    if (!type)
        return type.error();
    const QString t = type->value_or(QString());
    if (t != QLatin1String("ALL") && t != QLatin1String("KEYS_ONLY")
        && t != QLatin1String("INCLUDE"))
        return validation(invalidText(QStringLiteral("Unknown ProjectionType: %1").arg(t)));
    out.projectionType = t;
    const auto nk = (*projection)->find("NonKeyAttributes");
    if (nk != (*projection)->end() && !nk->is_null()) {
        if (!nk->is_array())
            return serialization(QStringLiteral("Unexpected value type in payload: "
                                                "NonKeyAttributes is not a list"));
        for (const Json &a : *nk) {
            if (!a.is_string())
                return serialization(QStringLiteral("Unexpected value type in payload: "
                                                    "NonKeyAttributes holds a non-string"));
            out.nonKeyAttributes.append(str(a));
        }
    }
    if (t == QLatin1String("INCLUDE") && out.nonKeyAttributes.isEmpty())
        return validation(invalidText(QStringLiteral("ProjectionType is INCLUDE, but "
                                                     "NonKeyAttributes is not specified")));
    if (t != QLatin1String("INCLUDE") && !out.nonKeyAttributes.isEmpty())
        return validation(
            invalidText(QStringLiteral("ProjectionType is %1, but NonKeyAttributes is "
                                       "specified")
                            .arg(t)));
    if (out.nonKeyAttributes.size() > 100)
        return validation(
            invalidText(QStringLiteral("The number of projected attributes exceeds the "
                                       "limit of 100")));
    return {};
}

} // namespace

QStringList DdbKeySchema::names() const
{
    return hasRange() ? QStringList {hashName, rangeName} : QStringList {hashName};
}

const DdbIndex *DdbTable::index(const QString &indexName) const
{
    for (const DdbIndex &i : indexes) {
        if (i.name == indexName)
            return &i;
    }
    return nullptr;
}

QString DdbTable::arn(const QString &region, const QString &accountId) const
{
    return QStringLiteral("arn:aws:dynamodb:%1:%2:table/%3").arg(region, accountId, name);
}

QString DdbTable::streamArn(const QString &region, const QString &accountId) const
{
    return arn(region, accountId) + QStringLiteral("/stream/") + streamLabel;
}

std::optional<Error> checkTableName(const QString &name, const char *field)
{
    const bool allowed = std::all_of(name.cbegin(), name.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
            || c == u'_' || c == u'.' || c == u'-';
    });
    if (name.size() < 3 || name.size() > 255 || !allowed)
        return validation(
            QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to satisfy "
                           "constraint: %3")
                .arg(name, QLatin1String(field),
                    name.size() < 3 || name.size() > 255
                        ? QStringLiteral("Member must have length %1")
                              .arg(name.size() < 3 ? QStringLiteral("greater than or equal to 3")
                                                   : QStringLiteral("less than or equal to 255"))
                        : QStringLiteral("Member must satisfy regular expression pattern: "
                                         "[a-zA-Z0-9_.-]+")));
    return std::nullopt;
}

Result<std::pair<bool, QString>> parseStreamSpecification(const Json &spec)
{
    const auto enabled = spec.find("StreamEnabled");
    if (enabled == spec.end() || enabled->is_null())
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'streamSpecification.streamEnabled' failed to satisfy "
                                         "constraint: Member must not be null"));
    if (!enabled->is_boolean())
        return serialization(QStringLiteral("Unexpected value type in payload: StreamEnabled is "
                                            "not a boolean"));
    auto view = stringMember(spec, "StreamViewType");
    if (!view)
        return view.error();
    const QString v = view->value_or(QString());
    if (!enabled->get<bool>()) {
        if (!v.isEmpty())
            return validation(invalidText(QStringLiteral("You cannot specify a StreamViewType when "
                                                         "disabling streams")));
        return std::pair<bool, QString>(false, QString());
    }
    if (v.isEmpty())
        return validation(
            invalidText(QStringLiteral("You must specify a StreamViewType when enabling "
                                       "streams")));
    static const QStringList views = {QStringLiteral("KEYS_ONLY"), QStringLiteral("NEW_IMAGE"),
        QStringLiteral("OLD_IMAGE"), QStringLiteral("NEW_AND_OLD_IMAGES")};
    if (!views.contains(v))
        return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                         "'streamSpecification.streamViewType' failed to satisfy "
                                         "constraint: Member must satisfy enum value set: "
                                         "[NEW_IMAGE, KEYS_ONLY, OLD_IMAGE, NEW_AND_OLD_IMAGES]")
                              .arg(v));
    return std::pair<bool, QString>(true, v);
}

Result<DdbIndex> parseIndex(
    const Json &index, bool global, const QMap<QString, QString> &attributeTypes, bool provisioned)
{
    DdbIndex out;
    out.global = global;
    auto name = stringMember(index, "IndexName");
    if (!name)
        return name.error();
    out.name = name->value_or(QString());
    if (auto e = checkTableName(out.name,
            global ? "globalSecondaryIndexes.1.member.indexName"
                   : "localSecondaryIndexes.1.member.indexName"))
        return *e;
    auto schema = listMember(index, "KeySchema");
    if (!schema)
        return schema.error();
    auto key = parseKeySchema(*schema, attributeTypes,
        global ? QStringLiteral("globalSecondaryIndexes.1.member.keySchema")
               : QStringLiteral("localSecondaryIndexes.1.member.keySchema"));
    if (!key)
        return key.error();
    out.key = *key;
    if (auto p = parseProjection(index, out); !p)
        return p.error();
    auto throughput = objectMember(index, "ProvisionedThroughput");
    if (!throughput)
        return throughput.error();
    if (global && *throughput) {
        if (!provisioned)
            return validation(
                invalidText(QStringLiteral("ProvisionedThroughput should not be "
                                           "specified for index: %1 when BillingMode is "
                                           "PAY_PER_REQUEST")
                                .arg(out.name)));
        auto r = capacity(**throughput, "ReadCapacityUnits");
        if (!r)
            return r.error();
        auto w = capacity(**throughput, "WriteCapacityUnits");
        if (!w)
            return w.error();
        out.readCapacity = qMax<qint64>(*r, 0);
        out.writeCapacity = qMax<qint64>(*w, 0);
    } else if (global && provisioned) {
        return validation(invalidText(QStringLiteral("ProvisionedThroughput is not specified for "
                                                     "index: %1")
                                          .arg(out.name)));
    }
    return out;
}

Result<DdbTable> parseCreateTable(const Json &request)
{
    DdbTable t;
    auto name = stringMember(request, "TableName");
    if (!name)
        return name.error();
    if (!name->has_value())
        return validation(QStringLiteral("1 validation error detected: Value null at 'tableName' "
                                         "failed to satisfy constraint: Member must not be null"));
    t.name = **name;
    if (auto e = checkTableName(t.name))
        return *e;

    auto definitions = listMember(request, "AttributeDefinitions");
    if (!definitions)
        return definitions.error();
    if (!*definitions)
        return ddb::requiredMember(
            request, "AttributeDefinitions", Json::value_t::array, "attributeDefinitions")
            .error();
    int n = 0;
    for (const Json &d : **definitions) {
        ++n;
        auto an = stringMember(d, "AttributeName");
        if (!an)
            return an.error();
        auto at = stringMember(d, "AttributeType");
        if (!at)
            return at.error();
        const QString type = at->value_or(QString());
        if (type != QLatin1String("S") && type != QLatin1String("N") && type != QLatin1String("B"))
            return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                             "'attributeDefinitions.%2.member.attributeType' "
                                             "failed to satisfy constraint: Member must satisfy "
                                             "enum value set: [B, N, S]")
                                  .arg(type)
                                  .arg(n));
        const QString attr = an->value_or(QString());
        if (attr.isEmpty())
            return validation(QStringLiteral("1 validation error detected: Value null at "
                                             "'attributeDefinitions.%1.member.attributeName' "
                                             "failed to satisfy constraint: Member must not be "
                                             "null")
                                  .arg(n));
        if (t.attributeTypes.contains(attr))
            return validation(invalidText(QStringLiteral("Duplicate AttributeName %1 in "
                                                         "AttributeDefinitions")
                                              .arg(attr)));
        t.attributeTypes.insert(attr, type);
    }

    auto schema = listMember(request, "KeySchema");
    if (!schema)
        return schema.error();
    auto key = parseKeySchema(*schema, t.attributeTypes, QStringLiteral("keySchema"));
    if (!key)
        return key.error();
    t.key = *key;

    auto billing = stringMember(request, "BillingMode");
    if (!billing)
        return billing.error();
    if (billing->has_value()) {
        if (**billing != QLatin1String("PROVISIONED")
            && **billing != QLatin1String("PAY_PER_REQUEST"))
            return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                             "'billingMode' failed to satisfy constraint: Member "
                                             "must satisfy enum value set: [PROVISIONED, "
                                             "PAY_PER_REQUEST]")
                                  .arg(**billing));
        t.billingMode = **billing;
    }
    const bool provisioned = t.billingMode == QLatin1String("PROVISIONED");
    auto throughput = objectMember(request, "ProvisionedThroughput");
    if (!throughput)
        return throughput.error();
    if (provisioned) {
        if (!*throughput)
            return validation(
                invalidText(QStringLiteral("ReadCapacityUnits and WriteCapacityUnits "
                                           "must both be specified when BillingMode is "
                                           "PROVISIONED")));
        auto r = capacity(**throughput, "ReadCapacityUnits");
        if (!r)
            return r.error();
        auto w = capacity(**throughput, "WriteCapacityUnits");
        if (!w)
            return w.error();
        if (*r < 0 || *w < 0)
            return validation(
                invalidText(QStringLiteral("ReadCapacityUnits and WriteCapacityUnits "
                                           "must both be specified when BillingMode is "
                                           "PROVISIONED")));
        t.readCapacity = *r;
        t.writeCapacity = *w;
    } else if (*throughput) {
        return validation(invalidText(QStringLiteral("Neither ReadCapacityUnits nor "
                                                     "WriteCapacityUnits can be specified when "
                                                     "BillingMode is PAY_PER_REQUEST")));
    }

    const QStringList keyNames = t.key.names();
    QSet<QString> used(keyNames.begin(), keyNames.end());
    QSet<QString> indexNames;
    for (const bool global : {false, true}) {
        auto list
            = listMember(request, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
        if (!list)
            return list.error();
        if (!*list)
            continue;
        if ((*list)->empty())
            return validation(
                invalidText(QStringLiteral("List of %1 is empty")
                                .arg(global ? QStringLiteral("GlobalSecondaryIndexes")
                                            : QStringLiteral("LocalSecondaryIndexes"))));
        if ((*list)->size() > (global ? 20u : 5u))
            return validation(
                invalidText(global ? QStringLiteral("GlobalSecondaryIndex count "
                                                    "exceeds the per-table limit of 20")
                                   : QStringLiteral("LocalSecondaryIndex count exceeds "
                                                    "the per-table limit of 5")));
        for (const Json &j : **list) {
            auto index = parseIndex(j, global, t.attributeTypes, provisioned);
            if (!index)
                return index.error();
            if (indexNames.contains(index->name))
                return validation(
                    invalidText(QStringLiteral("Duplicate index name: %1").arg(index->name)));
            indexNames.insert(index->name);
            if (!global) {
                if (!t.key.hasRange())
                    return validation(
                        invalidText(QStringLiteral("Table KeySchema does not have a "
                                                   "range key, which is required when "
                                                   "specifying a LocalSecondaryIndex")));
                if (index->key.hashName != t.key.hashName)
                    return validation(
                        invalidText(QStringLiteral("Index KeySchema does not have the "
                                                   "same leading hash key as table "
                                                   "KeySchema for index: %1. index hash "
                                                   "key: %2, table hash key: %3")
                                        .arg(index->name, index->key.hashName, t.key.hashName)));
                if (!index->key.hasRange())
                    return validation(invalidText(QStringLiteral("Index KeySchema does not have a "
                                                                 "range key for index: %1")
                                                      .arg(index->name)));
            }
            for (const QString &k : index->key.names())
                used.insert(k);
            index->number = t.nextIndexNumber++;
            t.indexes.append(*index);
        }
    }
    if (used.size() != t.attributeTypes.size())
        return validation(
            invalidText(QStringLiteral("Number of attributes in KeySchema does not "
                                       "exactly match number of attributes defined in "
                                       "AttributeDefinitions")));

    auto stream = objectMember(request, "StreamSpecification");
    if (!stream)
        return stream.error();
    if (*stream) {
        auto spec = parseStreamSpecification(**stream);
        if (!spec)
            return spec.error();
        t.streamEnabled = spec->first;
        t.streamViewType = spec->second;
    }
    auto tags = listMember(request, "Tags");
    if (!tags)
        return tags.error();
    if (*tags) {
        for (const Json &tag : **tags) {
            auto k = stringMember(tag, "Key");
            if (!k)
                return k.error();
            auto v = stringMember(tag, "Value");
            if (!v)
                return v.error();
            if (!k->has_value() || (*k)->isEmpty())
                return validation(QStringLiteral("1 validation error detected: Value null at "
                                                 "'tags.1.member.key' failed to satisfy "
                                                 "constraint: Member must not be null"));
            t.tags.insert(**k, v->value_or(QString()));
        }
    }
    auto tableClass = stringMember(request, "TableClass");
    if (!tableClass)
        return tableClass.error();
    if (tableClass->has_value())
        t.tableClass = **tableClass;
    const auto protection = request.find("DeletionProtectionEnabled");
    if (protection != request.end() && protection->is_boolean())
        t.deletionProtection = protection->get<bool>();
    return t;
}

namespace {

Json keySchemaJson(const DdbKeySchema &key)
{
    Json out = Json::array();
    out.push_back({{"AttributeName", toStd(key.hashName)}, {"KeyType", "HASH"}});
    if (key.hasRange())
        out.push_back({{"AttributeName", toStd(key.rangeName)}, {"KeyType", "RANGE"}});
    return out;
}

std::optional<DdbKeySchema> keySchemaOf(const Json &json, const QMap<QString, QString> &types)
{
    if (!json.is_array() || json.empty())
        return std::nullopt;
    DdbKeySchema key;
    key.hashName = str(json[0].value("AttributeName", Json()));
    key.hashType = types.value(key.hashName);
    if (json.size() > 1) {
        key.rangeName = str(json[1].value("AttributeName", Json()));
        key.rangeType = types.value(key.rangeName);
    }
    return key;
}

QStringList stringsOf(const Json &json)
{
    QStringList out;
    if (json.is_array()) {
        for (const Json &s : json)
            out.append(str(s));
    }
    return out;
}

qint64 int64Of(const Json &json, const char *name)
{
    const auto it = json.find(name);
    return it != json.end() && it->is_number_integer() ? it->get<qint64>() : 0;
}

} // namespace

Json DdbTable::toDocument() const
{
    Json attributes = Json::object();
    for (auto it = attributeTypes.cbegin(); it != attributeTypes.cend(); ++it)
        attributes[toStd(it.key())] = toStd(it.value());
    Json idx = Json::array();
    for (const DdbIndex &i : indexes) {
        Json nk = Json::array();
        for (const QString &a : i.nonKeyAttributes)
            nk.push_back(toStd(a));
        idx.push_back({{"IndexName", toStd(i.name)}, {"Global", i.global},
            {"KeySchema", keySchemaJson(i.key)}, {"ProjectionType", toStd(i.projectionType)},
            {"NonKeyAttributes", nk}, {"Read", i.readCapacity}, {"Write", i.writeCapacity},
            {"Number", i.number}});
    }
    Json tagJson = Json::object();
    for (auto it = tags.cbegin(); it != tags.cend(); ++it)
        tagJson[toStd(it.key())] = toStd(it.value());
    return {{"TableName", toStd(name)}, {"Id", id}, {"TableId", toStd(tableId)},
        {"Created", createdSeconds}, {"KeySchema", keySchemaJson(key)},
        {"AttributeTypes", attributes}, {"BillingMode", toStd(billingMode)}, {"Read", readCapacity},
        {"Write", writeCapacity}, {"Indexes", idx}, {"StreamEnabled", streamEnabled},
        {"StreamViewType", toStd(streamViewType)}, {"StreamLabel", toStd(streamLabel)},
        {"TtlAttribute", toStd(ttlAttribute)}, {"Tags", tagJson}, {"TableClass", toStd(tableClass)},
        {"DeletionProtection", deletionProtection}, {"NextIndex", nextIndexNumber}};
}

std::optional<DdbTable> DdbTable::fromDocument(const Json &d)
{
    if (!d.is_object())
        return std::nullopt;
    DdbTable t;
    t.name = str(d.value("TableName", Json()));
    t.id = int64Of(d, "Id");
    t.tableId = str(d.value("TableId", Json()));
    const Json created = d.value("Created", Json(0));
    t.createdSeconds = created.is_number() ? created.get<double>() : 0;
    const Json attributes = d.value("AttributeTypes", Json::object());
    if (attributes.is_object()) {
        for (auto it = attributes.begin(); it != attributes.end(); ++it)
            t.attributeTypes.insert(QString::fromStdString(it.key()), str(it.value()));
    }
    const auto key = keySchemaOf(d.value("KeySchema", Json()), t.attributeTypes);
    if (t.name.isEmpty() || t.id <= 0 || !key)
        return std::nullopt;
    t.key = *key;
    t.billingMode = str(d.value("BillingMode", Json("PROVISIONED")));
    t.readCapacity = int64Of(d, "Read");
    t.writeCapacity = int64Of(d, "Write");
    const Json idx = d.value("Indexes", Json::array());
    if (idx.is_array()) {
        for (const Json &i : idx) {
            if (!i.is_object())
                continue;
            DdbIndex index;
            index.name = str(i.value("IndexName", Json()));
            index.global = i.value("Global", Json(true)) == Json(true);
            const auto ik = keySchemaOf(i.value("KeySchema", Json()), t.attributeTypes);
            if (!ik)
                continue;
            index.key = *ik;
            index.projectionType = str(i.value("ProjectionType", Json("ALL")));
            index.nonKeyAttributes = stringsOf(i.value("NonKeyAttributes", Json()));
            index.readCapacity = int64Of(i, "Read");
            index.writeCapacity = int64Of(i, "Write");
            index.number = int(int64Of(i, "Number"));
            t.indexes.append(index);
        }
    }
    t.streamEnabled = d.value("StreamEnabled", Json(false)) == Json(true);
    t.streamViewType = str(d.value("StreamViewType", Json()));
    t.streamLabel = str(d.value("StreamLabel", Json()));
    t.ttlAttribute = str(d.value("TtlAttribute", Json()));
    const Json tagJson = d.value("Tags", Json::object());
    if (tagJson.is_object()) {
        for (auto it = tagJson.begin(); it != tagJson.end(); ++it)
            t.tags.insert(QString::fromStdString(it.key()), str(it.value()));
    }
    t.tableClass = str(d.value("TableClass", Json("STANDARD")));
    t.deletionProtection = d.value("DeletionProtection", Json(false)) == Json(true);
    t.nextIndexNumber = qMax(1, int(int64Of(d, "NextIndex")));
    return t;
}

Json tableDescription(const DdbTable &t, const QString &region, const QString &accountId,
    qint64 itemCount, qint64 sizeBytes, const QString &status)
{
    Json attributes = Json::array();
    for (auto it = t.attributeTypes.cbegin(); it != t.attributeTypes.cend(); ++it)
        attributes.push_back(
            {{"AttributeName", toStd(it.key())}, {"AttributeType", toStd(it.value())}});
    const QString arn = t.arn(region, accountId);
    Json out = {{"AttributeDefinitions", attributes}, {"TableName", toStd(t.name)},
        {"KeySchema", keySchemaJson(t.key)}, {"TableStatus", toStd(status)},
        {"CreationDateTime", t.createdSeconds},
        {"ProvisionedThroughput",
            {{"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", t.readCapacity},
                {"WriteCapacityUnits", t.writeCapacity}}},
        {"TableSizeBytes", sizeBytes}, {"ItemCount", itemCount}, {"TableArn", toStd(arn)},
        {"TableId", toStd(t.tableId)}, {"DeletionProtectionEnabled", t.deletionProtection}};
    if (t.billingMode == QLatin1String("PAY_PER_REQUEST"))
        out["BillingModeSummary"] = {{"BillingMode", "PAY_PER_REQUEST"},
            {"LastUpdateToPayPerRequestDateTime", t.createdSeconds}};
    else
        out["BillingModeSummary"] = {{"BillingMode", "PROVISIONED"}};
    if (t.tableClass != QLatin1String("STANDARD"))
        out["TableClassSummary"] = {{"TableClass", toStd(t.tableClass)}};
    Json gsis = Json::array();
    Json lsis = Json::array();
    for (const DdbIndex &i : t.indexes) {
        Json projection = {{"ProjectionType", toStd(i.projectionType)}};
        if (!i.nonKeyAttributes.isEmpty()) {
            Json nk = Json::array();
            for (const QString &a : i.nonKeyAttributes)
                nk.push_back(toStd(a));
            projection["NonKeyAttributes"] = nk;
        }
        Json d = {{"IndexName", toStd(i.name)}, {"KeySchema", keySchemaJson(i.key)},
            {"Projection", projection}, {"IndexSizeBytes", 0}, {"ItemCount", 0},
            {"IndexArn", toStd(arn + QStringLiteral("/index/") + i.name)}};
        if (i.global) {
            d["IndexStatus"] = "ACTIVE";
            d["ProvisionedThroughput"] = {{"NumberOfDecreasesToday", 0},
                {"ReadCapacityUnits", i.readCapacity}, {"WriteCapacityUnits", i.writeCapacity}};
            gsis.push_back(d);
        } else {
            lsis.push_back(d);
        }
    }
    if (!gsis.empty())
        out["GlobalSecondaryIndexes"] = gsis;
    if (!lsis.empty())
        out["LocalSecondaryIndexes"] = lsis;
    if (t.streamEnabled)
        out["StreamSpecification"]
            = {{"StreamEnabled", true}, {"StreamViewType", toStd(t.streamViewType)}};
    if (!t.streamLabel.isEmpty()) {
        out["LatestStreamLabel"] = toStd(t.streamLabel);
        out["LatestStreamArn"] = toStd(t.streamArn(region, accountId));
    }
    return out;
}

} // namespace tarmac
