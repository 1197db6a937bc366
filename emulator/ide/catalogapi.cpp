#include "base/json.h"
#include "engine/engine.h"
#include "ide/ideapi.h"
#include "ide/jsonrpc.h"
#include "services/servicemodule.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace tarmac {

namespace {

Json fieldsJson(const QList<CatalogField> &fields)
{
    Json out = Json::array();
    for (const CatalogField &field : fields) {
        Json choices = Json::array();
        for (const QString &c : field.choices)
            choices.push_back(toStd(c));
        out.push_back({{"id", toStd(field.id)}, {"label", toStd(field.label)},
            {"placeholder", toStd(field.placeholder)}, {"choices", choices},
            {"value", toStd(field.value)}, {"multiline", field.multiline}});
    }
    return out;
}

// Field ids a request names that the form does not have: the first, or empty.
QString unknownField(const QMap<QString, QString> &given, const QList<CatalogField> &fields)
{
    for (auto it = given.begin(); it != given.end(); ++it) {
        if (std::none_of(fields.begin(), fields.end(),
                [&](const CatalogField &f) { return f.id == it.key(); }))
            return it.key();
    }
    return {};
}

} // namespace

Json catalogEntryJson(const CatalogEntry &e, const Engine &engine)
{
    const QString logical = engine.logicalName(e.physicalId.isEmpty() ? e.name : e.physicalId);
    Json properties = Json::object();
    for (const auto &[key, value] : e.properties)
        properties[toStd(key)] = toStd(value);
    Json actions = Json::array();
    for (const QString &a : e.actions)
        actions.push_back(toStd(a));
    auto counts = parseJson(QJsonDocument(QJsonObject::fromVariantMap(e.counts)).toJson());
    Json out = {{"kind", toStd(e.kind)},
        {"logicalId",
            logical == e.name || logical == e.physicalId ? Json(nullptr) : Json(toStd(logical))},
        {"name", toStd(e.name)}, {"arn", toStd(e.arn)}, {"status", toStd(e.status)},
        {"counts", counts ? *counts : Json::object()}, {"properties", properties},
        {"actions", actions}};
    if (!e.search.isEmpty())
        out["search"] = fieldsJson(e.search);
    if (!e.actionFields.isEmpty()) {
        Json actionFields = Json::object();
        for (auto it = e.actionFields.begin(); it != e.actionFields.end(); ++it)
            actionFields[toStd(it.key())] = fieldsJson(it.value());
        out["actionFields"] = actionFields;
    }
    if (!e.warning.isEmpty())
        out["warning"] = toStd(e.warning);
    return out;
}

namespace {

// The catalog entry a request names (by its own name or the template's logical id).
Result<CatalogEntry> find(const Engine &engine, const Json &params)
{
    JsonFields f(params);
    const auto kind = f.string("kind");
    const auto name = f.string("name");
    if (!f.ok())
        return invalidParams(f.error()->message());
    if (!kind || !name)
        return invalidParams(QStringLiteral("params need kind and name"));
    const QString physical = engine.physicalName(*name);
    for (const CatalogEntry &e : engine.catalog()) {
        if (e.kind == *kind
            && (e.name == *name || e.name == physical
                || (!e.physicalId.isEmpty() && e.physicalId == physical)))
            return e;
    }
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("no %1 named %2").arg(*kind, *name));
}

Error noOwner(const CatalogEntry &entry)
{
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("no running service shows %1 resources").arg(entry.kind));
}

Json pageJson(const CatalogPage &page)
{
    Json items = Json::array();
    for (const CatalogItem &item : page.items) {
        Json i = {{"key", toStd(item.key)}, {"size", item.size}, {"detail", toStd(item.detail)}};
        if (!item.label.isEmpty())
            i["label"] = toStd(item.label);
        i["modified"] = item.modifiedNs > 0
            ? Json(toStd(QDateTime::fromMSecsSinceEpoch(item.modifiedNs / 1'000'000, Qt::UTC)
                             .toString(Qt::ISODateWithMs)))
            : Json(nullptr);
        items.push_back(std::move(i));
    }
    Json out = {{"items", items}, {"truncated", page.truncated}};
    if (!page.next.isEmpty())
        out["next"] = toStd(page.next);
    return out;
}

} // namespace

void addCatalogMethods(JsonRpc &rpc, const IdeContext &context)
{
    // On the engine's thread, where the catalog is read.
    const auto add = [&rpc, context](const char *name,
                         std::function<Result<Json>(Engine * e, const Json &params)> fn) {
        rpc.add(QLatin1String(name),
            engineMethod(context, [fn](Engine &e, const Json &params) { return fn(&e, params); }));
    };
    add("resources.list", [](Engine *e, const Json &params) -> Result<Json> {
        JsonFields f(params);
        const auto kind = f.string("kind");
        if (!f.ok())
            return invalidParams(f.error()->message());
        Json list = Json::array();
        for (const CatalogEntry &entry : e->catalog()) {
            if (!kind || entry.kind == *kind)
                list.push_back(catalogEntryJson(entry, *e));
        }
        return Json {{"resources", list}};
    });
    add("resources.get", [](Engine *e, const Json &params) -> Result<Json> {
        auto entry = find(*e, params);
        if (!entry)
            return entry.error();
        return catalogEntryJson(*entry, *e);
    });
    add("resources.items", [](Engine *e, const Json &params) -> Result<Json> {
        auto entry = find(*e, params);
        if (!entry)
            return entry.error();
        JsonFields f(params);
        const auto after = f.string("after");
        const auto max = f.integer("max");
        if (!f.ok())
            return invalidParams(f.error()->message());
        ServiceModule *owner = e->catalogModule(entry->kind);
        if (!owner)
            return noOwner(*entry);
        auto page = owner->browse(entry->kind, entry->name, after.value_or(QString()),
            std::clamp(max.value_or(100), 1, 1000));
        if (!page)
            return page.error();
        return pageJson(*page);
    });
    add("resources.search", [](Engine *e, const Json &params) -> Result<Json> {
        auto entry = find(*e, params);
        if (!entry)
            return entry.error();
        JsonFields f(params);
        const auto after = f.string("after");
        const auto max = f.integer("max");
        const auto fields = f.stringMap("fields");
        if (!f.ok())
            return invalidParams(f.error()->message());
        if (entry->search.isEmpty())
            return makeError(QStringLiteral("InvalidAction"),
                QStringLiteral("%1 %2 offers no search").arg(entry->kind, entry->name));
        const QMap<QString, QString> given = fields.value_or(QMap<QString, QString>());
        if (const QString unknown = unknownField(given, entry->search); !unknown.isEmpty())
            return invalidParams(QStringLiteral("%1 is not a search field of %2 %3")
                                     .arg(unknown, entry->kind, entry->name));
        ServiceModule *owner = e->catalogModule(entry->kind);
        if (!owner)
            return noOwner(*entry);
        auto page = owner->search(entry->kind, entry->name, given, after.value_or(QString()),
            std::clamp(max.value_or(100), 1, 1000));
        if (!page)
            return page.error();
        return pageJson(*page);
    });
    add("resources.action", [](Engine *e, const Json &params) -> Result<Json> {
        auto entry = find(*e, params);
        if (!entry)
            return entry.error();
        JsonFields f(params);
        const auto action = f.string("action");
        const auto fields = f.stringMap("fields");
        if (!f.ok())
            return invalidParams(f.error()->message());
        if (!action)
            return invalidParams(QStringLiteral("params need an action (a string)"));
        if (!entry->actions.contains(*action) || *action == QLatin1String("browse")
            || *action == QLatin1String("invoke"))
            return makeError(QStringLiteral("InvalidAction"),
                QStringLiteral("%1 %2 offers %3, not %4")
                    .arg(entry->kind, entry->name, entry->actions.join(QStringLiteral(", ")),
                        *action));
        const QMap<QString, QString> given = fields.value_or(QMap<QString, QString>());
        if (const QString unknown = unknownField(given, entry->actionFields.value(*action));
            !unknown.isEmpty())
            return invalidParams(
                QStringLiteral("%1 is not a field of %2's %3").arg(unknown, entry->name, *action));
        auto done = e->runCatalogAction(entry->kind, entry->name, *action, given);
        if (!done)
            return done.error();
        return Json {{"result", toStd(*done)}};
    });
}

} // namespace tarmac
