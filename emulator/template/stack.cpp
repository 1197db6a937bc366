#include "template/stack.h"

#include <algorithm>

#include <QSet>

namespace tarmac {

QString TemplateLocation::toString() const
{
    if (!isValid())
        return file;
    return QStringLiteral("%1:%2:%3").arg(file).arg(line).arg(column);
}

namespace {

QString kindName(FidelityItem::Kind kind)
{
    switch (kind) {
    case FidelityItem::Kind::ResourceType:
        return QStringLiteral("resource type");
    case FidelityItem::Kind::Property:
        return QStringLiteral("property");
    case FidelityItem::Kind::EventType:
        return QStringLiteral("event type");
    case FidelityItem::Kind::Intrinsic:
        return QStringLiteral("intrinsic function");
    case FidelityItem::Kind::Section:
        return QStringLiteral("section");
    case FidelityItem::Kind::Value:
        return QStringLiteral("value");
    }
    return {};
}

} // namespace

int FidelityReport::count(FidelityItem::Level level) const
{
    return int(std::count_if(
        items.cbegin(), items.cend(), [level](const FidelityItem &i) { return i.level == level; }));
}

void FidelityReport::add(FidelityItem item)
{
    for (const FidelityItem &i : std::as_const(items)) {
        if (i.subject == item.subject && i.path == item.path && i.kind == item.kind)
            return;
    }
    items.append(std::move(item));
}

QStringList FidelityReport::lines() const
{
    QStringList out;
    for (const FidelityItem &i : items) {
        QString line
            = QStringLiteral("  %1  %2 %3 %4")
                  .arg(i.location.toString(),
                      i.level == FidelityItem::Level::Unsupported ? QStringLiteral("unsupported")
                                                                  : QStringLiteral("ignored"),
                      kindName(i.kind), i.subject);
        if (!i.path.isEmpty())
            line += QStringLiteral(" (%1)").arg(i.path);
        if (!i.note.isEmpty())
            line += QStringLiteral(": ") + i.note;
        out.append(line);
    }
    return out;
}

Json FidelityReport::toJson() const
{
    Json list = Json::array();
    for (const FidelityItem &i : items) {
        list.push_back(
            {{"level", i.level == FidelityItem::Level::Unsupported ? "unsupported" : "ignored"},
                {"kind", kindName(i.kind).toStdString()}, {"subject", i.subject.toStdString()},
                {"path", i.path.toStdString()}, {"note", i.note.toStdString()},
                {"file", i.location.file.toStdString()}, {"line", i.location.line},
                {"column", i.location.column}});
    }
    return list;
}

const StackResource *Stack::resource(const QString &logicalId) const
{
    for (const StackResource &r : resources) {
        if (r.logicalId == logicalId)
            return &r;
    }
    return nullptr;
}

QList<const StackResource *> Stack::resourcesOf(const QString &noun) const
{
    QList<const StackResource *> out;
    for (const StackResource &r : resources) {
        if (r.noun == noun)
            out.append(&r);
    }
    return out;
}

qsizetype Stack::declaredCount() const
{
    return std::count_if(
        resources.begin(), resources.end(), [](const StackResource &r) { return !r.implicit; });
}

QString Stack::countText() const
{
    const qsizetype declared = declaredCount();
    const qsizetype made = resources.size() - declared;
    QString text = QStringLiteral("%1 resource(s)").arg(declared);
    if (made > 0)
        text += QStringLiteral(" (+%1 made by the SAM transform)").arg(made);
    return text;
}

} // namespace tarmac
