// DynamoDb's item operations: single-item reads and writes, batches, transactions, Query and
// Scan (the model's tables, streams and TTL are in dynamodb.cpp).

#include "base/clock.h"
#include "services/dynamodb/ddbexpression.h"
#include "services/dynamodb/ddbinternal.h"
#include "services/dynamodb/ddbvalue.h"
#include "store/store.h"

#include <QCryptographicHash>
#include <QSet>

#include <optional>
#include <utility>
#include <vector>

namespace tarmac {

using namespace ddb;

namespace {

// What a request's expressions share: the maps, and the checked values.
struct Expressions
{
    Json names;
    Json values;
    DdbExpressionContext ctx;
};

Result<std::unique_ptr<Expressions>> expressionsOf(const Json &r, bool useValues = true)
{
    auto e = std::make_unique<Expressions>();
    auto names = member(r, "ExpressionAttributeNames", Json::value_t::object);
    if (!names)
        return names.error();
    if (*names) {
        for (auto it = (*names)->begin(); it != (*names)->end(); ++it) {
            if (!it->is_string())
                return serialization(QStringLiteral("Unexpected value type in payload: "
                                                    "ExpressionAttributeNames values must be "
                                                    "strings"));
        }
        e->names = **names;
        e->ctx.names = &e->names;
    }
    if (useValues) {
        auto values = checkedValues(r);
        if (!values)
            return values.error();
        if (!values->is_null()) {
            e->values = std::move(*values);
            e->ctx.values = &e->values;
        }
    }
    if (auto m = checkExpressionAttributeMaps(e->ctx); !m)
        return m.error();
    return e;
}

Result<std::optional<DdbCondition>> conditionOf(
    const Json &r, const char *field, Expressions &e, DdbExpressionKind kind)
{
    auto text = stringMember(r, field);
    if (!text)
        return text.error();
    if (!text->has_value())
        return std::optional<DdbCondition>();
    auto c = DdbCondition::parse(**text, e.ctx, kind);
    if (!c)
        return c.error();
    return std::optional<DdbCondition>(std::move(*c));
}

Result<std::optional<DdbProjection>> projectionOf(const Json &r, Expressions &e)
{
    auto text = stringMember(r, "ProjectionExpression");
    if (!text)
        return text.error();
    if (!text->has_value())
        return std::optional<DdbProjection>();
    auto p = DdbProjection::parse(**text, e.ctx);
    if (!p)
        return p.error();
    return std::optional<DdbProjection>(std::move(*p));
}

Result<QString> enumMember(const Json &r, const char *name, const QStringList &allowed,
    const QString &fallback, const char *wireName)
{
    auto v = stringMember(r, name);
    if (!v)
        return v.error();
    if (!v->has_value())
        return fallback;
    if (!allowed.contains(**v))
        return validation(
            QStringLiteral("1 validation error detected: Value '%1' at '%2' failed "
                           "to satisfy constraint: Member must satisfy enum value "
                           "set: [%3]")
                .arg(**v, QLatin1String(wireName), allowed.join(QStringLiteral(", "))));
    return **v;
}

// No expression may write or look inside a key attribute.
std::optional<Error> keyAttributeUpdated(const DdbTable &table, const DdbUpdate &update)
{
    const QStringList keys = table.key.names();
    for (const QString &n : update.updatedTopLevelNames()) {
        if (keys.contains(n))
            return validation(QStringLiteral("One or more parameter values were invalid: Cannot "
                                             "update attribute %1. This attribute is part of the "
                                             "key")
                                  .arg(n));
    }
    return std::nullopt;
}

} // namespace

// A write checked and ready to run against the item it names.
struct PreparedWrite
{
    enum Kind { Put, Delete, Update, Check } kind = Put;
    std::shared_ptr<const DdbTable> table;
    DynamoDb::Key key;
    Json keyJson; // the key attributes (Delete, Update, Check)
    // Put's item: the request's own when it came as it is stored (not copied: the request
    // outlives the write), else `reshaped`. Read it with putItem().
    const Json *sentItem = nullptr;
    Json reshaped;
    qint64 size = 0; // itemSize(putItem())
    std::optional<DdbCondition> condition;
    std::optional<DdbUpdate> update;
    bool returnOldOnFailure = false;
    std::unique_ptr<Expressions> expressions;

    const Json &putItem() const { return reshaped.is_null() ? *sentItem : reshaped; }

    // The item after this write, or the update's error.
    Result<Json> after(const Json &before) const
    {
        switch (kind) {
        case Put:
            return putItem();
        case Delete:
            return Json();
        case Check:
            return before;
        case Update: {
            Json base = before.is_null() ? keyJson : before;
            if (!update)
                return base;
            auto updated = update->apply(base, !before.is_null());
            if (!updated)
                return updated.error();
            if (itemSize(*updated) > kDdbMaxItemSize)
                return validation(QStringLiteral("Item size to update has exceeded the maximum "
                                                 "allowed size"));
            if (auto k = itemKey(*table, *updated); !k)
                return k.error();
            return updated;
        }
        }
        return Json();
    }

    bool conditionHolds(const Json &before) const
    {
        if (!condition)
            return true;
        const Json empty = Json::object();
        auto ok = condition->evaluate(before.is_null() ? empty : before);
        return ok && *ok;
    }
};

namespace {

Result<QString> returnOnFailure(const Json &r)
{
    return enumMember(r, "ReturnValuesOnConditionCheckFailure",
        {QStringLiteral("ALL_OLD"), QStringLiteral("NONE")}, QStringLiteral("NONE"),
        "returnValuesOnConditionCheckFailure");
}

} // namespace

// The parts every write request shares, read in DynamoDB's order.
static Result<PreparedWrite> prepareWrite(
    PreparedWrite::Kind kind, std::shared_ptr<const DdbTable> table, const Json &r)
{
    PreparedWrite w;
    w.kind = kind;
    w.table = table;
    auto e = expressionsOf(r);
    if (!e)
        return e.error();
    w.expressions = std::move(*e);
    if (kind == PreparedWrite::Put) {
        auto item = requiredMember(r, "Item", Json::value_t::object, "item");
        if (!item)
            return item.error();
        auto checked = checkItemInPlace(**item, &w.size);
        if (!checked)
            return checked.error();
        w.sentItem = *item;
        if (*checked)
            w.reshaped = std::move(**checked);
        auto key = itemKey(*table, w.putItem());
        if (!key)
            return key.error();
        w.key = *key; // keyJson stays empty: only an update starts from it
    } else {
        auto key = member(r, "Key", Json::value_t::object);
        if (!key)
            return key.error();
        if (*key) {
            for (auto it = (*key)->begin(); it != (*key)->end(); ++it) {
                if (auto v = checkValue(it.value(), QString::fromStdString(it.key())); !v)
                    return v.error();
            }
        }
        auto k = keyOf(*table, *key);
        if (!k)
            return k.error();
        w.key = *k;
        for (auto it = (*key)->begin(); it != (*key)->end(); ++it)
            w.keyJson[it.key()] = *checkValue(it.value(), {});
    }
    if (kind == PreparedWrite::Update) {
        auto text = stringMember(r, "UpdateExpression");
        if (!text)
            return text.error();
        if (text->has_value()) {
            auto u = DdbUpdate::parse(**text, w.expressions->ctx);
            if (!u)
                return u.error();
            if (auto bad = keyAttributeUpdated(*table, *u))
                return *bad;
            w.update = std::move(*u);
        }
    }
    auto condition
        = conditionOf(r, "ConditionExpression", *w.expressions, DdbExpressionKind::Condition);
    if (!condition)
        return condition.error();
    w.condition = std::move(*condition);
    if (kind == PreparedWrite::Check && !w.condition)
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'conditionExpression' failed to satisfy constraint: "
                                         "Member must not be null"));
    if (auto used = checkAllUsed(w.expressions->ctx); !used)
        return used.error();
    auto failure = returnOnFailure(r);
    if (!failure)
        return failure.error();
    w.returnOldOnFailure = *failure == QLatin1String("ALL_OLD");
    return w;
}

Result<Json> DynamoDb::putItem(const Json &r, DdbCallInfo &info)
{
    return writeOne(r, info, PreparedWrite::Put);
}

Result<Json> DynamoDb::deleteItem(const Json &r, DdbCallInfo &info)
{
    return writeOne(r, info, PreparedWrite::Delete);
}

Result<Json> DynamoDb::updateItem(const Json &r, DdbCallInfo &info)
{
    return writeOne(r, info, PreparedWrite::Update);
}

// PutItem, DeleteItem and UpdateItem: the item read, the condition checked and the write
// made in one transaction; ReturnValues from the item before and after.
Result<Json> DynamoDb::writeOne(const Json &r, DdbCallInfo &info, int kind)
{
    auto t = table(r);
    if (!t)
        return t.error();
    auto returnValues = enumMember(r, "ReturnValues",
        {QStringLiteral("NONE"), QStringLiteral("ALL_OLD"), QStringLiteral("UPDATED_OLD"),
            QStringLiteral("ALL_NEW"), QStringLiteral("UPDATED_NEW")},
        QStringLiteral("NONE"), "returnValues");
    if (!returnValues)
        return returnValues.error();
    const QString &rv = *returnValues;
    if (kind != PreparedWrite::Update && rv != QLatin1String("NONE")
        && rv != QLatin1String("ALL_OLD"))
        return validation(QStringLiteral("ReturnValues can only be ALL_OLD or NONE"));
    auto w = prepareWrite(PreparedWrite::Kind(kind), *t, r);
    if (!w)
        return w.error();
    Json before, after;
    bool failed = false;
    std::optional<qint64> expiry;
    // A plain PutItem (no condition, no old values asked for, no index or stream to keep) needs
    // of the item it replaces only its size, for the capacity it consumes: it is not parsed.
    const DdbTable &table = **t;
    const bool oldSizeOnly = kind == PreparedWrite::Put && !w->condition
        && rv == QLatin1String("NONE") && table.indexes.isEmpty() && !table.streamEnabled;
    qint64 oldSize = 0;
    // A put writes its item as checked, whose size prepareWrite measured; -1: measure `after`.
    const qint64 putSize = kind == PreparedWrite::Put ? w->size : -1;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        if (oldSizeOnly) {
            // The item it replaces matters only if it could have cost more write units than
            // this one: not when no item of the table ever has.
            auto largest = largestItemSize(db, table);
            if (!largest)
                return largest.error();
            if (writeUnits(*largest) > writeUnits(putSize)) {
                auto size = readItemSize(db, table, w->key);
                if (!size)
                    return size.error();
                oldSize = *size;
            }
        } else {
            auto old = readItem(db, table, w->key);
            if (!old)
                return old.error();
            before = std::move(*old);
            if (!w->conditionHolds(before)) {
                failed = true;
                return {};
            }
            auto updated = w->after(before);
            if (!updated)
                return updated.error();
            after = std::move(*updated);
        }
        // A plain put writes the item as checked, without a copy.
        const Json &written = oldSizeOnly ? w->putItem() : after;
        if (auto e = writeItem(db, **t, w->key, before, written, originOf(info), putSize); !e)
            return e;
        auto c = tx.commit();
        expiry = std::exchange(m_pendingExpiry, std::nullopt);
        return c;
    });
    if (!done)
        return done.error();
    if (failed) {
        if (w->returnOldOnFailure && !before.is_null())
            info.errorExtra["Item"] = before;
        return conditionFailed();
    }
    afterWrite({*t}, expiry);
    Json out = Json::object();
    Json attributes;
    if (rv == QLatin1String("ALL_OLD"))
        attributes = before;
    else if (rv == QLatin1String("ALL_NEW"))
        attributes = after;
    else if (rv != QLatin1String("NONE") && w->update) {
        const DdbProjection updated = DdbProjection::fromPaths(w->update->updatedPaths());
        const bool old = rv == QLatin1String("UPDATED_OLD");
        if (!old || !before.is_null())
            attributes = updated.apply(old ? before : after);
    }
    if (attributes.is_object() && !attributes.empty())
        out["Attributes"] = attributes;
    const qint64 afterSize = putSize >= 0 ? putSize : after.is_null() ? 0 : itemSize(after);
    const qint64 size = qMax(afterSize, before.is_null() ? oldSize : itemSize(before));
    if (Json c = consumedCapacity(info, r, **t, writeUnits(size)); !c.is_null())
        out["ConsumedCapacity"] = c;
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.table_names"), (*t)->name});
    return out;
}

Result<Json> DynamoDb::getItem(const Json &r, DdbCallInfo &info)
{
    auto t = table(r);
    if (!t)
        return t.error();
    auto key = member(r, "Key", Json::value_t::object);
    if (!key)
        return key.error();
    if (*key) {
        for (auto it = (*key)->begin(); it != (*key)->end(); ++it) {
            if (auto v = checkValue(it.value(), QString::fromStdString(it.key())); !v)
                return v.error();
        }
    }
    auto consistent = boolMember(r, "ConsistentRead");
    if (!consistent)
        return consistent.error();
    // GetItem reads no ExpressionAttributeValues: DynamoDB ignores them.
    auto e = expressionsOf(r, false);
    if (!e)
        return e.error();
    auto projection = projectionOf(r, **e);
    if (!projection)
        return projection.error();
    if (auto used = checkAllUsed((*e)->ctx); !used)
        return used.error();
    auto k = keyOf(**t, *key);
    if (!k)
        return k.error();
    CachedItem found;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        const QByteArray cacheKey = itemCacheKey(**t, *k);
        if (const auto it = m_itemCache.constFind(cacheKey); it != m_itemCache.cend()) {
            found = *it;
            return {};
        }
        auto st = db.cached("SELECT item, size FROM ddb_items WHERE tbl = ? AND h = ? AND pk = ?"
                            " AND sk = ?");
        if (!st)
            return st.error();
        (*st)->bind(1, (*t)->id).bind(2, k->hash).bind(3, k->pk).bind(4, k->sk);
        auto read = (*st)->forEachRow([&] { found = {(*st)->blob(0), (*st)->int64(1)}; });
        if (read && !found.text.isEmpty())
            cacheItem(cacheKey, found);
        return read;
    });
    if (!done)
        return done.error();
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.table_names"), (*t)->name});
    const QByteArray &text = found.text;
    // The common case answers the stored text as it is: no parse, no serialisation.
    if (info.rawAllowed && !*projection && !wantsCapacity(r)) {
        info.capacityUnits += readUnits(found.size, consistent->value_or(false));
        info.rawAnswer = text.isEmpty() ? QByteArray("{}") : "{\"Item\":" + text + '}';
        return Json();
    }
    Json out = Json::object();
    if (!text.isEmpty()) {
        auto item = parseJson(text);
        if (!item)
            return makeError(QStringLiteral("InternalServerError"),
                QStringLiteral("a stored item is not JSON"), 500);
        if (Json c = consumedCapacity(
                info, r, **t, readUnits(itemSize(*item), consistent->value_or(false)));
            !c.is_null())
            out["ConsumedCapacity"] = c;
        out["Item"] = *projection ? (*projection)->apply(*item) : std::move(*item);
    } else if (Json c = consumedCapacity(info, r, **t, readUnits(0, consistent->value_or(false)));
               !c.is_null()) {
        out["ConsumedCapacity"] = c;
    }
    return out;
}

// --- batches -------------------------------------------------------------------------------

// A batch's or a transaction's ConsumedCapacity: one entry per table.
Json DynamoDb::capacityList(
    DdbCallInfo &info, const Json &r, const QHash<QString, double> &units) const
{
    Json out = Json::array();
    for (auto it = units.cbegin(); it != units.cend(); ++it) {
        if (TablePtr t = findTable(it.key())) {
            if (Json c = consumedCapacity(info, r, *t, it.value()); !c.is_null())
                out.push_back(c);
        }
    }
    return out;
}

// A batch's RequestItems: tables by name, at least one.
static Result<const Json *> requestItems(const Json &r)
{
    auto requests = member(r, "RequestItems", Json::value_t::object);
    if (!requests)
        return requests.error();
    if (!*requests || (*requests)->empty())
        return validation(QStringLiteral("1 validation error detected: Value null at "
                                         "'requestItems' failed to satisfy constraint: Member "
                                         "must not be null"));
    return *requests;
}

Result<Json> DynamoDb::batchGetItem(const Json &r, DdbCallInfo &info)
{
    auto requests = requestItems(r);
    if (!requests)
        return requests.error();
    struct Read
    {
        TablePtr table;
        std::optional<DdbProjection> projection;
        QList<Key> keys;
    };
    QList<Read> reads;
    int total = 0;
    for (auto it = (*requests)->begin(); it != (*requests)->end(); ++it) {
        if (!it->is_object())
            return serialization(QStringLiteral("Unexpected value type in payload: RequestItems "
                                                "values must be structures"));
        auto t = table(Json {{"TableName", it.key()}});
        if (!t)
            return t.error();
        if (auto legacy = legacyParameter(*it))
            return *legacy;
        Read read;
        read.table = *t;
        auto e = expressionsOf(*it, false);
        if (!e)
            return e.error();
        auto projection = projectionOf(*it, **e);
        if (!projection)
            return projection.error();
        if (auto used = checkAllUsed((*e)->ctx); !used)
            return used.error();
        read.projection = std::move(*projection);
        auto keys = member(*it, "Keys", Json::value_t::array);
        if (!keys)
            return keys.error();
        if (!*keys || (*keys)->empty())
            return validation(QStringLiteral("1 validation error detected: Value '[]' at "
                                             "'requestItems.%1.member.keys' failed to satisfy "
                                             "constraint: Member must have length greater than "
                                             "or equal to 1")
                                  .arg(QString::fromStdString(it.key())));
        QSet<QByteArray> seen;
        for (const Json &key : **keys) {
            if (!key.is_object())
                return serialization(QStringLiteral("Unexpected value type in payload: Keys "
                                                    "holds a non-structure"));
            for (auto v = key.begin(); v != key.end(); ++v) {
                if (auto c = checkValue(v.value(), QString::fromStdString(v.key())); !c)
                    return c.error();
            }
            auto k = keyOf(**t, &key);
            if (!k)
                return k.error();
            const QByteArray id = k->pk + '\0' + k->sk;
            if (seen.contains(id))
                return validation(QStringLiteral("Provided list of item keys contains duplicates"));
            seen.insert(id);
            read.keys.append(*k);
            ++total;
        }
        reads.append(std::move(read));
    }
    if (total > 100)
        return validation(QStringLiteral("Too many items requested for the BatchGetItem call"));
    Json responses = Json::object();
    Json capacity = Json::array();
    auto done = m_store->write([&](Database &db) -> Result<void> {
        for (const Read &read : reads) {
            Json items = Json::array();
            qint64 bytes = 0;
            for (const Key &k : read.keys) {
                auto item = readItem(db, *read.table, k);
                if (!item)
                    return item.error();
                if (item->is_null())
                    continue;
                bytes += itemSize(*item);
                items.push_back(read.projection ? read.projection->apply(*item) : *item);
            }
            responses[s(read.table->name)] = items;
            if (Json c = consumedCapacity(info, r, *read.table, readUnits(bytes, false));
                !c.is_null())
                capacity.push_back(c);
        }
        return {};
    });
    if (!done)
        return done.error();
    Json out = {{"Responses", responses}, {"UnprocessedKeys", Json::object()}};
    if (!capacity.empty())
        out["ConsumedCapacity"] = capacity;
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.item_count"), QString::number(total)});
    return out;
}

Result<Json> DynamoDb::batchWriteItem(const Json &r, DdbCallInfo &info)
{
    auto requests = requestItems(r);
    if (!requests)
        return requests.error();
    std::vector<PreparedWrite> writes;
    int total = 0;
    for (auto it = (*requests)->begin(); it != (*requests)->end(); ++it) {
        if (!it->is_array())
            return serialization(QStringLiteral("Unexpected value type in payload: RequestItems "
                                                "values must be lists"));
        auto t = table(Json {{"TableName", it.key()}});
        if (!t)
            return t.error();
        total += int(it->size());
        if (total > 25)
            return validation(QStringLiteral("Too many items requested for the BatchWriteItem "
                                             "call"));
        QSet<QByteArray> seen;
        for (const Json &request : *it) {
            if (!request.is_object())
                return serialization(QStringLiteral("Unexpected value type in payload: a write "
                                                    "request must be a structure"));
            const bool put = request.contains("PutRequest") && !request["PutRequest"].is_null();
            const bool del
                = request.contains("DeleteRequest") && !request["DeleteRequest"].is_null();
            if (put == del)
                return validation(QStringLiteral("Supplied AttributeValue has more than one "
                                                 "datatypes set, must contain exactly one of the "
                                                 "supported datatypes"));
            const Json &body = put ? request["PutRequest"] : request["DeleteRequest"];
            if (!body.is_object())
                return serialization(QStringLiteral("Unexpected value type in payload: a write "
                                                    "request must be a structure"));
            auto w = prepareWrite(put ? PreparedWrite::Put : PreparedWrite::Delete, *t, body);
            if (!w)
                return w.error();
            const QByteArray id = w->key.pk + '\0' + w->key.sk;
            if (seen.contains(id))
                return validation(QStringLiteral("Provided list of item keys contains duplicates"));
            seen.insert(id);
            writes.push_back(std::move(*w));
        }
    }
    if (total == 0)
        return validation(QStringLiteral("1 validation error detected: Value '{}' at "
                                         "'requestItems' failed to satisfy constraint: Member "
                                         "must have length greater than or equal to 1"));
    QHash<QString, double> units;
    QList<TablePtr> touched;
    std::optional<qint64> expiry;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        for (const PreparedWrite &w : writes) {
            auto before = readItem(db, *w.table, w.key);
            if (!before)
                return before.error();
            const Json after = w.kind == PreparedWrite::Put ? w.putItem() : Json();
            if (auto e = writeItem(db, *w.table, w.key, *before, after, originOf(info)); !e)
                return e;
            units[w.table->name] += writeUnits(qMax(
                after.is_null() ? 0 : itemSize(after), before->is_null() ? 0 : itemSize(*before)));
            touched.append(w.table);
        }
        auto c = tx.commit();
        expiry = std::exchange(m_pendingExpiry, std::nullopt);
        return c;
    });
    if (!done)
        return done.error();
    afterWrite(touched, expiry);
    Json out = {{"UnprocessedItems", Json::object()}};
    if (Json c = capacityList(info, r, units); !c.empty())
        out["ConsumedCapacity"] = c;
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.item_count"), QString::number(total)});
    return out;
}

// --- transactions ---------------------------------------------------------------------------

// TransactItems: 1 to 100 entries (each entry's shape is the operation's to check).
static Result<const Json *> transactItems(const Json &r)
{
    auto items = member(r, "TransactItems", Json::value_t::array);
    if (!items)
        return items.error();
    if (!*items || (*items)->empty() || (*items)->size() > 100)
        return validation(QStringLiteral("1 validation error detected: Value at 'transactItems' "
                                         "failed to satisfy constraint: Member must have length "
                                         "less than or equal to 100, Member must have length "
                                         "greater than or equal to 1"));
    return *items;
}

Result<Json> DynamoDb::transactWriteItems(const Json &r, DdbCallInfo &info)
{
    auto items = transactItems(r);
    if (!items)
        return items.error();
    auto token = stringMember(r, "ClientRequestToken");
    if (!token)
        return token.error();
    std::vector<PreparedWrite> writes;
    QSet<QByteArray> seen;
    for (const Json &entry : **items) {
        if (!entry.is_object())
            return serialization(QStringLiteral("Unexpected value type in payload: TransactItems "
                                                "holds a non-structure"));
        int kinds = 0;
        PreparedWrite::Kind kind = PreparedWrite::Put;
        const Json *body = nullptr;
        for (const auto &[name, k] : {std::pair {"ConditionCheck", PreparedWrite::Check},
                 std::pair {"Put", PreparedWrite::Put}, std::pair {"Delete", PreparedWrite::Delete},
                 std::pair {"Update", PreparedWrite::Update}}) {
            const auto it = entry.find(name);
            if (it == entry.end() || it->is_null())
                continue;
            if (!it->is_object())
                return serialization(QStringLiteral("Unexpected value type in payload: %1 must "
                                                    "be a structure")
                                         .arg(QLatin1String(name)));
            ++kinds;
            kind = k;
            body = &*it;
        }
        if (kinds != 1)
            return validation(QStringLiteral("TransactItems can only contain one of Check, Put, "
                                             "Update or Delete"));
        auto t = table(*body);
        if (!t)
            return t.error();
        auto w = prepareWrite(kind, *t, *body);
        if (!w)
            return w.error();
        const QByteArray id = QByteArray::number((*t)->id) + '\0' + w->key.pk + '\0' + w->key.sk;
        if (seen.contains(id))
            return validation(QStringLiteral("Transaction request cannot include multiple "
                                             "operations on one item"));
        seen.insert(id);
        writes.push_back(std::move(*w));
    }
    // ClientRequestToken: the same request again within 10 minutes is answered without
    // running twice; another request with the token is refused.
    const QByteArray hash
        = QCryptographicHash::hash(QByteArray::fromStdString(r.dump()), QCryptographicHash::Sha256);
    if (token->has_value()) {
        QMutexLocker lock(&m_tokensMutex);
        const qint64 now = m_clock->nowNs();
        for (auto it = m_tokens.begin(); it != m_tokens.end();) {
            if (now - it->atNs > kTokenLifetimeNs)
                it = m_tokens.erase(it);
            else
                ++it;
        }
        const auto it = m_tokens.constFind(**token);
        if (it != m_tokens.cend()) {
            if (it->requestHash != hash)
                return makeError(QStringLiteral("IdempotentParameterMismatchException"),
                    QStringLiteral("The request uses the same client token as a previous, but "
                                   "non-identical request."),
                    400);
            return Json::object();
        }
    }
    Json reasons = Json::array();
    bool cancelled = false;
    QList<TablePtr> touched;
    std::optional<qint64> expiry;
    QHash<QString, double> units;
    auto done = m_store->write([&](Database &db) -> Result<void> {
        Transaction tx(db);
        if (!tx.began())
            return tx.began();
        QList<Json> befores, afters;
        for (const PreparedWrite &w : writes) {
            auto before = readItem(db, *w.table, w.key);
            if (!before)
                return before.error();
            Json reason = {{"Code", "None"}};
            Json after;
            if (!w.conditionHolds(*before)) {
                reason = {{"Code", "ConditionalCheckFailed"},
                    {"Message", "The conditional request failed"}};
                if (w.returnOldOnFailure && !before->is_null())
                    reason["Item"] = *before;
                cancelled = true;
            } else {
                auto a = w.after(*before);
                if (!a) {
                    reason = {{"Code", "ValidationError"}, {"Message", s(a.error().message)}};
                    cancelled = true;
                } else {
                    after = std::move(*a);
                }
            }
            reasons.push_back(reason);
            befores.append(*before);
            afters.append(after);
        }
        if (cancelled)
            return {}; // the transaction rolls back
        for (size_t i = 0; i < writes.size(); ++i) {
            const PreparedWrite &w = writes[i];
            if (w.kind == PreparedWrite::Check)
                continue;
            const Json &before = befores[qsizetype(i)];
            const Json &after = afters[qsizetype(i)];
            if (auto e = writeItem(db, *w.table, w.key, before, after, originOf(info)); !e)
                return e;
            touched.append(w.table);
            units[w.table->name] += 2
                * writeUnits(qMax(after.is_null() ? 0 : itemSize(after),
                    before.is_null() ? 0 : itemSize(before)));
        }
        auto c = tx.commit();
        expiry = std::exchange(m_pendingExpiry, std::nullopt);
        return c;
    });
    if (!done)
        return done.error();
    if (cancelled) {
        QStringList codes;
        for (const Json &reason : reasons)
            codes.append(str(reason["Code"]));
        info.errorExtra["CancellationReasons"] = reasons;
        return makeError(QStringLiteral("TransactionCanceledException"),
            QStringLiteral("Transaction cancelled, please refer cancellation reasons for specific "
                           "reasons [%1]")
                .arg(codes.join(QStringLiteral(", "))),
            400);
    }
    if (token->has_value()) {
        QMutexLocker lock(&m_tokensMutex);
        m_tokens.insert(**token, Token {hash, m_clock->nowNs()});
    }
    afterWrite(touched, expiry);
    Json out = Json::object();
    if (Json c = capacityList(info, r, units); !c.empty())
        out["ConsumedCapacity"] = c;
    info.spanAttributes.append(
        {QStringLiteral("aws.dynamodb.item_count"), QString::number(qsizetype(writes.size()))});
    return out;
}

Result<Json> DynamoDb::transactGetItems(const Json &r, DdbCallInfo &info)
{
    auto items = transactItems(r);
    if (!items)
        return items.error();
    struct Get
    {
        TablePtr table;
        Key key;
        std::optional<DdbProjection> projection;
    };
    QList<Get> gets;
    for (const Json &entry : **items) {
        if (!entry.is_object())
            return serialization(QStringLiteral("Unexpected value type in payload: TransactItems "
                                                "holds a non-structure"));
        auto get
            = requiredMember(entry, "Get", Json::value_t::object, "transactItems.1.member.get");
        if (!get)
            return get.error();
        auto t = table(**get);
        if (!t)
            return t.error();
        auto e = expressionsOf(**get, false);
        if (!e)
            return e.error();
        auto projection = projectionOf(**get, **e);
        if (!projection)
            return projection.error();
        if (auto used = checkAllUsed((*e)->ctx); !used)
            return used.error();
        auto key = member(**get, "Key", Json::value_t::object);
        if (!key)
            return key.error();
        auto k = keyOf(**t, *key);
        if (!k)
            return k.error();
        gets.append({*t, *k, std::move(*projection)});
    }
    Json responses = Json::array();
    auto done = m_store->write([&](Database &db) -> Result<void> {
        for (const Get &g : gets) {
            auto item = readItem(db, *g.table, g.key);
            if (!item)
                return item.error();
            if (item->is_null())
                responses.push_back(Json::object());
            else
                responses.push_back({{"Item", g.projection ? g.projection->apply(*item) : *item}});
        }
        return {};
    });
    if (!done)
        return done.error();
    info.spanAttributes.append(
        {QStringLiteral("aws.dynamodb.item_count"), QString::number(gets.size())});
    return Json {{"Responses", responses}};
}

// --- Query and Scan -------------------------------------------------------------------------

namespace {

// What Query and Scan share: the table or index read, the expressions, the page.
struct ReadPlan
{
    std::shared_ptr<const DdbTable> table;
    const DdbIndex *index = nullptr;
    std::unique_ptr<Expressions> expressions;
    std::optional<DdbCondition> filter;
    std::optional<DdbProjection> projection;
    QString select;
    qint64 limit = -1;
    bool consistent = false;
    Json startKey; // ExclusiveStartKey, or null

    // What a row of the read shows (an index's projection), or null when the row is not
    // wanted.
    Json visible(const Json &item) const
    {
        return index ? projectToIndex(*table, *index, item) : item;
    }
};

Result<void> readPlan(const Json &r, ReadPlan &plan, bool query)
{
    auto indexName = stringMember(r, "IndexName");
    if (!indexName)
        return indexName.error();
    if (indexName->has_value()) {
        plan.index = plan.table->index(**indexName);
        if (!plan.index)
            return validation(
                QStringLiteral("The table does not have the specified index: %1").arg(**indexName));
    }
    auto limit = intMember(r, "Limit");
    if (!limit)
        return limit.error();
    if (limit->has_value()) {
        if (**limit < 1)
            return validation(QStringLiteral("1 validation error detected: Value '%1' at 'limit' "
                                             "failed to satisfy constraint: Member must have "
                                             "value greater than or equal to 1")
                                  .arg(**limit));
        plan.limit = **limit;
    }
    auto consistent = boolMember(r, "ConsistentRead");
    if (!consistent)
        return consistent.error();
    plan.consistent = consistent->value_or(false);
    if (plan.consistent && plan.index && plan.index->global)
        return validation(QStringLiteral("Consistent reads are not supported on global secondary "
                                         "indexes"));
    auto e = expressionsOf(r);
    if (!e)
        return e.error();
    plan.expressions = std::move(*e);
    auto filter = conditionOf(r, "FilterExpression", *plan.expressions, DdbExpressionKind::Filter);
    if (!filter)
        return filter.error();
    plan.filter = std::move(*filter);
    auto projection = projectionOf(r, *plan.expressions);
    if (!projection)
        return projection.error();
    plan.projection = std::move(*projection);
    auto select = enumMember(r, "Select",
        {QStringLiteral("ALL_ATTRIBUTES"), QStringLiteral("ALL_PROJECTED_ATTRIBUTES"),
            QStringLiteral("SPECIFIC_ATTRIBUTES"), QStringLiteral("COUNT")},
        QString(), "select");
    if (!select)
        return select.error();
    plan.select = *select;
    if (plan.select.isEmpty())
        plan.select = plan.projection ? QStringLiteral("SPECIFIC_ATTRIBUTES")
            : plan.index              ? QStringLiteral("ALL_PROJECTED_ATTRIBUTES")
                                      : QStringLiteral("ALL_ATTRIBUTES");
    if (plan.projection && plan.select != QLatin1String("SPECIFIC_ATTRIBUTES"))
        return validation(QStringLiteral("Cannot specify the ProjectionExpression when choosing "
                                         "to get %1")
                              .arg(plan.select));
    if (plan.select == QLatin1String("ALL_PROJECTED_ATTRIBUTES") && !plan.index)
        return validation(QStringLiteral("ALL_PROJECTED_ATTRIBUTES can be used only when Querying "
                                         "using an IndexName"));
    if (plan.select == QLatin1String("ALL_ATTRIBUTES") && plan.index && plan.index->global
        && plan.index->projectionType != QLatin1String("ALL"))
        return validation(QStringLiteral("One or more parameter values were invalid: Select type "
                                         "ALL_ATTRIBUTES is not supported for global secondary "
                                         "index %1 because its projection type is not ALL")
                              .arg(plan.index->name));
    auto start = member(r, "ExclusiveStartKey", Json::value_t::object);
    if (!start)
        return start.error();
    if (*start) {
        Json checked = Json::object();
        for (auto it = (*start)->begin(); it != (*start)->end(); ++it) {
            auto v = checkValue(it.value(), QString::fromStdString(it.key()));
            if (!v)
                return v.error();
            checked[it.key()] = std::move(*v);
        }
        plan.startKey = std::move(checked);
    }
    Q_UNUSED(query);
    return {};
}

Error badStartKey()
{
    return validation(QStringLiteral("The provided starting key is invalid: The provided key "
                                     "element does not match the schema"));
}

// The sort bytes of `name` in a start key, of `type`.
std::optional<QByteArray> startBytes(const Json &start, const QString &name, const QString &type)
{
    const auto it = start.find(name.toStdString());
    if (it == start.end() || typeOf(*it) != type)
        return std::nullopt;
    const QByteArray b = keySortBytes(*it);
    if (b.isEmpty())
        return std::nullopt;
    return b;
}

// A start key's partition and sort key bytes for a key schema (an empty sort key for a hash
// key), or the error when it does not have them.
Result<DynamoDb::Key> startKeyOf(const Json &start, const DdbKeySchema &schema)
{
    DynamoDb::Key k;
    auto pk = startBytes(start, schema.hashName, schema.hashType);
    if (!pk)
        return badStartKey();
    k.pk = *pk;
    if (schema.hasRange()) {
        auto sk = startBytes(start, schema.rangeName, schema.rangeType);
        if (!sk)
            return badStartKey();
        k.sk = *sk;
    }
    k.hash = partitionHash(k.pk);
    return k;
}

// The successor of every key starting with `prefix` (memcmp order), within the key sizes.
QByteArray prefixEnd(const QByteArray &prefix)
{
    return prefix + maxBound();
}

} // namespace

// One page of a Query or Scan: walks the rows the statement yields (each the item's text and
// size), applies the filter and projection, stops at Limit or 1 MB.
struct PageResult
{
    Json items = Json::array();
    qint64 count = 0;
    qint64 scanned = 0;
    qint64 bytes = 0;
    Json lastKey;
};

static Result<PageResult> readPage(Statement &st, const ReadPlan &plan, int itemColumn)
{
    PageResult page;
    const bool count = plan.select == QLatin1String("COUNT");
    Error failure;
    bool failed = false;
    auto walked = st.forEachRow([&]() -> bool {
        auto item = parseJson(st.blob(itemColumn));
        if (!item) {
            failure = makeError(QStringLiteral("InternalServerError"),
                QStringLiteral("a stored item is not JSON"), 500);
            failed = true;
            return false;
        }
        ++page.scanned;
        page.bytes += st.int64(itemColumn + 1);
        const Json shown = plan.visible(*item);
        bool passes = true;
        if (plan.filter) {
            auto ok = plan.filter->evaluate(shown);
            passes = ok && *ok;
        }
        if (passes) {
            ++page.count;
            if (!count)
                page.items.push_back(plan.projection ? plan.projection->apply(shown) : shown);
        }
        if ((plan.limit > 0 && page.scanned >= plan.limit) || page.bytes >= kPageBytes) {
            page.lastKey = keyAttributes(*plan.table, *item, plan.index);
            return false;
        }
        return true;
    });
    if (failed)
        return failure;
    if (!walked)
        return walked.error();
    return page;
}

static Result<Json> pageAnswer(
    DdbCallInfo &info, const Json &r, const ReadPlan &plan, Result<PageResult> &result)
{
    if (!result)
        return result.error();
    PageResult &page = *result;
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.table_names"), plan.table->name});
    info.spanAttributes.append({QStringLiteral("aws.dynamodb.count"), QString::number(page.count)});
    Json out;
    if (plan.select != QLatin1String("COUNT"))
        out["Items"] = std::move(page.items);
    out["Count"] = page.count;
    out["ScannedCount"] = page.scanned;
    if (!page.lastKey.is_null())
        out["LastEvaluatedKey"] = page.lastKey;
    const double units = readUnits(page.bytes, plan.consistent);
    QHash<QString, double> indexUnits;
    if (plan.index)
        indexUnits.insert(plan.index->name, units);
    if (Json c = consumedCapacity(info, r, *plan.table, plan.index ? 0 : units, indexUnits);
        !c.is_null())
        out["ConsumedCapacity"] = c;
    return out;
}

Result<Json> DynamoDb::query(const Json &r, DdbCallInfo &info)
{
    auto t = table(r);
    if (!t)
        return t.error();
    ReadPlan plan;
    plan.table = *t;
    if (auto p = readPlan(r, plan, true); !p)
        return p.error();
    auto forward = boolMember(r, "ScanIndexForward");
    if (!forward)
        return forward.error();
    auto text = stringMember(r, "KeyConditionExpression");
    if (!text)
        return text.error();
    if (!text->has_value())
        return validation(QStringLiteral("Either the KeyConditions or KeyConditionExpression "
                                         "parameter must be specified in the request."));
    const DdbKeySchema &schema = plan.index ? plan.index->key : plan.table->key;
    auto kc = parseKeyCondition(**text, plan.expressions->ctx, schema.hashName, schema.rangeName);
    if (!kc)
        return kc.error();
    if (auto used = checkAllUsed(plan.expressions->ctx); !used)
        return used.error();
    if (plan.filter) {
        for (const QString &n : plan.filter->topLevelNames()) {
            if (schema.names().contains(n))
                return validation(QStringLiteral("Filter Expression can only contain non-primary "
                                                 "key attributes: Primary key attribute: %1")
                                      .arg(n));
        }
    }
    const Error typeMismatch
        = invalid(QStringLiteral("Condition parameter type does not match schema type"));
    if (typeOf(kc->partitionValue) != schema.hashType)
        return typeMismatch;
    const QByteArray pk = keySortBytes(kc->partitionValue);
    if (pk.isEmpty())
        return validation(QStringLiteral("One or more parameter values are not valid. The "
                                         "AttributeValue for a key attribute cannot contain an "
                                         "empty string value. Key: %1")
                              .arg(schema.hashName));
    QByteArray lo, hi = maxBound(); // [lo, hi)
    if (kc->op != DdbKeyCondition::None) {
        if (typeOf(kc->sortValue) != schema.rangeType
            || (kc->op == DdbKeyCondition::Between && typeOf(kc->sortValue2) != schema.rangeType))
            return typeMismatch;
        if (kc->op == DdbKeyCondition::BeginsWith && schema.rangeType == QLatin1String("N"))
            return validation(QStringLiteral("Invalid KeyConditionExpression: Incorrect operand "
                                             "type for operator or function; operator or "
                                             "function: begins_with, operand type: N"));
        const QByteArray v = keySortBytes(kc->sortValue);
        switch (kc->op) {
        case DdbKeyCondition::Eq:
            lo = v;
            hi = v + '\0';
            break;
        case DdbKeyCondition::Lt:
            hi = v;
            break;
        case DdbKeyCondition::Le:
            hi = v + '\0';
            break;
        case DdbKeyCondition::Gt:
            lo = v + '\0';
            break;
        case DdbKeyCondition::Ge:
            lo = v;
            break;
        case DdbKeyCondition::Between: {
            const QByteArray v2 = keySortBytes(kc->sortValue2);
            if (compareValues(kc->sortValue, kc->sortValue2).value_or(0) > 0)
                return validation(
                    QStringLiteral("Invalid KeyConditionExpression: The BETWEEN "
                                   "operator requires upper bound to be greater "
                                   "than or equal to lower bound; lower bound "
                                   "operand: AttributeValue: {%1:%2}, upper bound "
                                   "operand: AttributeValue: {%1:%3}")
                        .arg(schema.rangeType,
                            QString::fromStdString(
                                kc->sortValue[schema.rangeType.toStdString()].dump()),
                            QString::fromStdString(
                                kc->sortValue2[schema.rangeType.toStdString()].dump())));
            lo = v;
            hi = v2 + '\0';
            break;
        }
        case DdbKeyCondition::BeginsWith:
            lo = v;
            hi = prefixEnd(v);
            break;
        case DdbKeyCondition::None:
            break;
        }
    }
    const bool asc = forward->value_or(true);
    const qint64 h = partitionHash(pk);
    // The start key: the table's key, and an index's.
    QByteArray startSk, startPk, startTableSk;
    const bool hasStart = !plan.startKey.is_null();
    if (hasStart) {
        auto tableKey = startKeyOf(plan.startKey, plan.table->key);
        if (!tableKey)
            return tableKey.error();
        startPk = tableKey->pk;
        startTableSk = tableKey->sk;
        if (plan.index) {
            auto indexKey = startKeyOf(plan.startKey, schema);
            if (!indexKey)
                return indexKey.error();
            if (indexKey->pk != pk)
                return badStartKey();
            startSk = indexKey->sk;
        } else {
            if (startPk != pk)
                return badStartKey();
            startSk = startTableSk;
            if (asc) {
                const QByteArray after = startSk + '\0';
                if (after > lo)
                    lo = after;
            } else if (startSk < hi) {
                hi = startSk;
            }
        }
    }
    Result<PageResult> page = PageResult {};
    auto done = m_store->write([&](Database &db) -> Result<void> {
        if (!plan.index) {
            auto st = asc ? db.cached("SELECT item, size FROM ddb_items WHERE tbl = ? AND h = ? AND"
                                      " pk = ? AND sk >= ? AND sk < ? ORDER BY sk ASC")
                          : db.cached("SELECT item, size FROM ddb_items WHERE tbl = ? AND h = ? AND"
                                      " pk = ? AND sk >= ? AND sk < ? ORDER BY sk DESC");
            if (!st)
                return st.error();
            (*st)->bind(1, plan.table->id).bind(2, h).bind(3, pk).bind(4, lo).bind(5, hi);
            page = readPage(**st, plan, 0);
            return {};
        }
        auto st = asc
            ? db.cached("SELECT i.item, i.size FROM ddb_index x JOIN ddb_items i ON i.tbl = x.tbl"
                        " AND i.h = x.bh AND i.pk = x.pk AND i.sk = x.sk WHERE x.tbl = ? AND"
                        " x.idx = ? AND x.h = ? AND x.ipk = ? AND x.isk >= ? AND x.isk < ? AND"
                        " (x.isk, x.pk, x.sk) > (?, ?, ?) ORDER BY x.isk, x.pk, x.sk")
            : db.cached("SELECT i.item, i.size FROM ddb_index x JOIN ddb_items i ON i.tbl = x.tbl"
                        " AND i.h = x.bh AND i.pk = x.pk AND i.sk = x.sk WHERE x.tbl = ? AND"
                        " x.idx = ? AND x.h = ? AND x.ipk = ? AND x.isk >= ? AND x.isk < ? AND"
                        " (x.isk, x.pk, x.sk) < (?, ?, ?) ORDER BY x.isk DESC, x.pk DESC,"
                        " x.sk DESC");
        if (!st)
            return st.error();
        (*st)
            ->bind(1, plan.table->id)
            .bind(2, plan.index->number)
            .bind(3, h)
            .bind(4, pk)
            .bind(5, lo)
            .bind(6, hi);
        if (hasStart)
            (*st)->bind(7, startSk).bind(8, startPk).bind(9, startTableSk);
        else if (asc)
            (*st)->bind(7, QByteArray("")).bind(8, QByteArray("")).bind(9, QByteArray(""));
        else
            (*st)->bind(7, maxBound()).bind(8, maxBound()).bind(9, maxBound());
        page = readPage(**st, plan, 0);
        return {};
    });
    if (!done)
        return done.error();
    return pageAnswer(info, r, plan, page);
}

Result<Json> DynamoDb::scan(const Json &r, DdbCallInfo &info)
{
    auto t = table(r);
    if (!t)
        return t.error();
    ReadPlan plan;
    plan.table = *t;
    if (auto p = readPlan(r, plan, false); !p)
        return p.error();
    if (auto used = checkAllUsed(plan.expressions->ctx); !used)
        return used.error();
    auto segment = intMember(r, "Segment");
    if (!segment)
        return segment.error();
    auto total = intMember(r, "TotalSegments");
    if (!total)
        return total.error();
    if (segment->has_value() != total->has_value())
        return validation(QStringLiteral("The TotalSegments parameter is required but was not "
                                         "present in the request when Segment parameter is "
                                         "present"));
    qint64 segLo = 0, segHi = qint64(1) << 32;
    if (total->has_value()) {
        if (**total < 1 || **total > 1000000)
            return validation(QStringLiteral("1 validation error detected: Value '%1' at "
                                             "'totalSegments' failed to satisfy constraint: "
                                             "Member must have value less than or equal to "
                                             "1000000")
                                  .arg(**total));
        if (**segment < 0 || **segment >= **total)
            return validation(QStringLiteral("The Segment parameter is zero-based and must be "
                                             "less than parameter TotalSegments: Segment: %1 is "
                                             "not less than TotalSegments: %2")
                                  .arg(**segment)
                                  .arg(**total));
        const qint64 span = (qint64(1) << 32);
        segLo = span * **segment / **total;
        segHi = span * (**segment + 1) / **total;
    }
    // The start: the row's position in hash order.
    qint64 sh = -1;
    QByteArray spk, ssk, sipk, sisk;
    if (!plan.startKey.is_null()) {
        auto tableKey = startKeyOf(plan.startKey, plan.table->key);
        if (!tableKey)
            return tableKey.error();
        spk = tableKey->pk;
        ssk = tableKey->sk;
        sh = tableKey->hash;
        if (plan.index) {
            auto indexKey = startKeyOf(plan.startKey, plan.index->key);
            if (!indexKey)
                return indexKey.error();
            sipk = indexKey->pk;
            sisk = indexKey->sk;
            sh = indexKey->hash;
        }
    }
    Result<PageResult> page = PageResult {};
    auto done = m_store->write([&](Database &db) -> Result<void> {
        if (!plan.index) {
            auto st = db.cached("SELECT item, size FROM ddb_items WHERE tbl = ? AND h >= ? AND"
                                " h < ? AND (h, pk, sk) > (?, ?, ?) ORDER BY h, pk, sk");
            if (!st)
                return st.error();
            (*st)
                ->bind(1, plan.table->id)
                .bind(2, segLo)
                .bind(3, segHi)
                .bind(4, sh)
                .bind(5, spk)
                .bind(6, ssk);
            page = readPage(**st, plan, 0);
            return {};
        }
        auto st = db.cached("SELECT i.item, i.size FROM ddb_index x JOIN ddb_items i ON"
                            " i.tbl = x.tbl AND i.h = x.bh AND i.pk = x.pk AND i.sk = x.sk WHERE"
                            " x.tbl = ? AND x.idx = ? AND x.h >= ? AND x.h < ? AND"
                            " (x.h, x.ipk, x.isk, x.pk, x.sk) > (?, ?, ?, ?, ?)"
                            " ORDER BY x.h, x.ipk, x.isk, x.pk, x.sk");
        if (!st)
            return st.error();
        (*st)
            ->bind(1, plan.table->id)
            .bind(2, plan.index->number)
            .bind(3, segLo)
            .bind(4, segHi)
            .bind(5, sh)
            .bind(6, sipk)
            .bind(7, sisk)
            .bind(8, spk)
            .bind(9, ssk);
        page = readPage(**st, plan, 0);
        return {};
    });
    if (!done)
        return done.error();
    return pageAnswer(info, r, plan, page);
}

} // namespace tarmac
