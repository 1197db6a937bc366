#include "ui/resourcemodel.h"

#include "engine/engine.h"
#include "engine/stackapplier.h"
#include "ui/enginehost.h"
#include "ui/timelinedata.h"
#include "ui/timelinegeometry.h"

#include <QColor>
#include <QFileInfo>
#include <QFont>
#include <QLocale>
#include <QRegularExpression>

namespace tarmac {

namespace {

constexpr quintptr kTopLevel = 0;

QString plural(qint64 n, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(QLocale().toString(n), QLatin1String(n == 1 ? one : many));
}

struct Snapshot
{
    QList<QList<ResourceItem>> kinds;
    QList<CatalogKind> catalogKinds;
    QList<CatalogEntry> catalog;
    ResourceModel::TemplateInfo templateInfo;
};

} // namespace

QString FunctionResources::title() const
{
    return QObject::tr("Functions");
}

QString FunctionResources::emptyText(bool projectOpen) const
{
    if (projectOpen)
        return QObject::tr("The template defines no function: add one to it, or create one "
                           "with aws lambda create-function.");
    return QObject::tr(
        "No functions yet: open a project with a template.yaml (File › Open project…) "
        "or create one with aws lambda create-function.");
}

QList<ResourceItem> FunctionResources::collect(Engine &engine) const
{
    // Lambda's catalog entries (runtime, handler, warm and busy instances), as the IDE API
    // lists them; the invocation counts join from the trace store.
    return CatalogResources::itemsOf(engine.catalog(), id());
}

QString FunctionResources::statusText(const ResourceItem &item) const
{
    const int warm = item.counts.value(QStringLiteral("warm")).toInt();
    const int busy = item.counts.value(QStringLiteral("busy")).toInt();
    const qint64 invocations = item.counts.value(QStringLiteral("invocations")).toLongLong();
    const qint64 errors = item.counts.value(QStringLiteral("errors")).toLongLong();
    QStringList parts;
    parts << (busy ? QObject::tr("%1 warm (%2 busy)").arg(warm).arg(busy)
                   : QObject::tr("%1 warm").arg(warm));
    parts << plural(invocations, "invocation", "invocations");
    if (errors)
        parts << plural(errors, "error", "errors");
    return parts.join(QStringLiteral(" · "));
}

QList<ResourceItem> CatalogResources::itemsOf(
    const QList<CatalogEntry> &entries, const QString &kind)
{
    QList<ResourceItem> out;
    for (const CatalogEntry &e : entries) {
        if (e.kind != kind)
            continue;
        ResourceItem item;
        item.name = e.name;
        item.physicalId = e.physicalId;
        item.counts = e.counts;
        item.status = e.status;
        item.tooltip = e.tooltip;
        if (!e.arn.isEmpty())
            item.tooltip += (item.tooltip.isEmpty() ? QString() : QStringLiteral("\n")) + e.arn;
        // What it is set to, one "name: value" line each (a bucket's versioning, a queue's
        // visibility timeout, …), as the IDE API's catalog lists them.
        for (const auto &[name, value] : e.properties)
            item.tooltip += (item.tooltip.isEmpty() ? QString() : QStringLiteral("\n")) + name
                + QStringLiteral(": ") + value;
        item.warning = e.warning;
        item.actions = e.actions;
        out.append(item);
    }
    return out;
}

QList<ResourceItem> CatalogResources::collect(Engine &engine) const
{
    return itemsOf(engine.catalog(), m_kind.id);
}

ResourceModel::ResourceModel(QObject *parent)
    : QAbstractItemModel(parent)
{
    addKind(std::make_unique<FunctionResources>());
    // The services' kinds (buckets, …) join at the first refresh, from the engine's catalog.
}

ResourceModel::~ResourceModel() = default;

bool ResourceModel::hasKind(const QString &id) const
{
    return std::any_of(
        m_kinds.cbegin(), m_kinds.cend(), [&](const auto &k) { return k->id() == id; });
}

void ResourceModel::addKind(std::unique_ptr<ResourceKind> kind)
{
    const int row = int(m_kinds.size());
    beginInsertRows({}, row, row);
    m_kinds.push_back(std::move(kind));
    m_items.emplace_back();
    endInsertRows();
}

bool ResourceModel::isTemplateError(const QString &message)
{
    // Load errors start with the template's name and position ("template.yaml:5:19: …").
    static const QRegularExpression re(
        QStringLiteral(R"(^[^ :]+\.(ya?ml|json|template)(:\d+)*: )"));
    return re.match(message).hasMatch();
}

int ResourceModel::templateRows() const
{
    if (m_templateHidden)
        return 0;
    if (!m_template.startError.isEmpty() || !m_template.running || m_template.path.isEmpty())
        return 1;
    return 1 + (m_template.error.isEmpty() ? 0 : 1)
        + std::max<int>(1, int(m_template.fidelity.size()));
}

QString ResourceModel::templateRowText(int row) const
{
    if (!m_template.startError.isEmpty()) {
        // The template's own errors belong here; others (a taken port) are in the banner.
        return isTemplateError(m_template.startError)
            ? tr("The template did not load: %1").arg(m_template.startError)
            : tr("Tarmac is not running (see the message above).");
    }
    if (!m_template.running)
        return tr("Tarmac is not running.");
    if (m_template.path.isEmpty())
        return tr("No template: an empty project. File › Open project… opens a folder with a "
                  "template.yaml.");
    if (row == 0)
        // Short enough for the dock: the stack, its resources, what SAM added; the file and
        // the whole count are in the tooltip.
        return m_template.generated > 0
            ? tr("stack %1 · %2 resource(s), +%3 from SAM")
                  .arg(m_template.stackName)
                  .arg(m_template.resources)
                  .arg(m_template.generated)
            : tr("stack %1 · %2 resource(s)").arg(m_template.stackName).arg(m_template.resources);
    --row;
    if (!m_template.error.isEmpty()) {
        if (row == 0)
            return tr("The last change did not load (the stack runs as before): %1")
                .arg(m_template.error);
        --row;
    }
    if (m_template.fidelity.isEmpty())
        return tr("Everything in it is emulated.");
    const auto &[level, text] = m_template.fidelity.value(row);
    return level + QStringLiteral(": ") + text;
}

QModelIndex ResourceModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, kTopLevel);
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex ResourceModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == kTopLevel)
        return {};
    return createIndex(int(child.internalId() - 1), 0, kTopLevel);
}

int ResourceModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_kinds.size()) + 1;
    if (parent.internalId() != kTopLevel || parent.column() != 0)
        return 0;
    const int group = parent.row();
    if (group < int(m_kinds.size()))
        return std::max<int>(1, int(m_items[size_t(group)].size())); // an empty group says so
    return templateRows();
}

int ResourceModel::columnCount(const QModelIndex &) const
{
    return 1;
}

QVariant ResourceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    return tr("Resource");
}

QVariant ResourceModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const int kinds = int(m_kinds.size());
    if (index.internalId() == kTopLevel) {
        const bool isTemplate = index.row() == kinds;
        if (role == KindRole)
            return QStringLiteral("group");
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(true);
            return f;
        }
        if (role == StatusRole && !isTemplate)
            return QLocale().toString(m_items[size_t(index.row())].size());
        if (role != Qt::DisplayRole)
            return {};
        return isTemplate ? tr("Template") : m_kinds[size_t(index.row())]->title();
    }
    const int group = int(index.internalId() - 1);
    if (group == kinds) {
        const bool fidelityRow = !m_template.path.isEmpty() && index.row() > 0;
        switch (role) {
        case Qt::DisplayRole:
            return templateRowText(index.row());
        case Qt::ToolTipRole:
            // The first row's whole story: the file and the count the CLI prints.
            if (index.row() == 0 && !m_template.path.isEmpty() && m_template.startError.isEmpty()
                && m_template.running)
                return QStringLiteral("%1\nstack %2, %3")
                    .arg(m_template.path, m_template.stackName, m_template.countText);
            return templateRowText(index.row());
        case Qt::ForegroundRole:
            if ((!m_template.startError.isEmpty() && isTemplateError(m_template.startError))
                || (!m_template.error.isEmpty() && index.row() == 1))
                return QColor::fromRgb(0xc5221f);
            if (fidelityRow && !m_template.fidelity.isEmpty()
                && templateRowText(index.row()).startsWith(QLatin1String("unsupported")))
                return QColor::fromRgb(0xb06000);
            return fidelityRow ? QColor::fromRgb(0x5f6368) : QVariant();
        case KindRole:
            return QStringLiteral("template");
        default:
            return {};
        }
    }
    const ResourceKind &kind = *m_kinds[size_t(group)];
    const QList<ResourceItem> &items = m_items[size_t(group)];
    if (items.isEmpty()) {
        // The empty state: what to do next.
        if (role == Qt::DisplayRole || role == Qt::ToolTipRole)
            return kind.emptyText(!m_template.path.isEmpty());
        if (role == Qt::ForegroundRole)
            return QColor::fromRgb(0x80868b);
        if (role == KindRole)
            return QStringLiteral("empty");
        return {};
    }
    const ResourceItem &item = items.value(index.row());
    // The template's name first; the resource's own name (what the APIs take) on its status
    // line.
    const QString logical
        = m_template.names.value(item.physicalId.isEmpty() ? item.name : item.physicalId);
    switch (role) {
    case Qt::DisplayRole:
        return logical.isEmpty() ? item.name : logical;
    case StatusRole:
        // The counts first: at the dock's width the name is what gets cut.
        return logical.isEmpty() ? kind.statusText(item)
                                 : kind.statusText(item) + QStringLiteral(" · ") + item.name;
    case Qt::ToolTipRole: {
        QString tip = (logical.isEmpty() ? QString() : logical + u'\n') + item.name + u'\n'
            + kind.statusText(item) + u'\n' + item.tooltip;
        if (!item.warning.isEmpty())
            tip += u'\n' + item.warning;
        return tip;
    }
    case Qt::ForegroundRole:
        return item.warning.isEmpty() ? QVariant() : QVariant(QColor::fromRgb(0xb06000));
    case Qt::DecorationRole:
        return TimelinePalette::colour(kind.id() == QLatin1String("function")
                ? TimelineData::ColourFunction
                : TimelineData::ColourS3);
    case KindRole:
        return kind.id();
    case NameRole:
        return item.name;
    case ActionsRole:
        return kind.id() == QLatin1String("function") ? QStringList {QStringLiteral("invoke")}
                                                      : item.actions;
    default:
        return {};
    }
}

int ResourceModel::groupOf(const QModelIndex &index) const
{
    return index.internalId() == kTopLevel ? index.row() : int(index.internalId() - 1);
}

const QList<ResourceItem> &ResourceModel::items(const QString &kind) const
{
    static const QList<ResourceItem> none;
    for (size_t i = 0; i < m_kinds.size(); ++i) {
        if (m_kinds[i]->id() == kind)
            return m_items[i];
    }
    return none;
}

void ResourceModel::updateGroup(int group, const QList<ResourceItem> &next)
{
    QList<ResourceItem> &items = m_items[size_t(group)];
    const QModelIndex parent = index(group, 0);
    QList<ResourceItem> withCounts = next;
    if (m_kinds[size_t(group)]->id() == QLatin1String("function")) {
        for (ResourceItem &item : withCounts) {
            const TraceQuery::Invocations n = m_invocations.value(item.name);
            item.counts.insert(QStringLiteral("invocations"), n.count);
            item.counts.insert(QStringLiteral("errors"), n.errors);
        }
    }
    bool sameNames = items.size() == withCounts.size();
    for (qsizetype i = 0; sameNames && i < items.size(); ++i)
        sameNames = items[i].name == withCounts[i].name;
    if (sameNames) {
        if (items != withCounts) {
            items = withCounts;
            emit dataChanged(index(0, 0, parent), index(int(items.size()) - 1, 0, parent));
        }
    } else {
        // Rows come and go: replace the group's children (at least one row stays: the
        // empty state or an item).
        const int oldRows = std::max<int>(1, int(items.size()));
        const int newRows = std::max<int>(1, int(withCounts.size()));
        if (oldRows > 1) {
            beginRemoveRows(parent, 1, oldRows - 1);
            items = items.mid(0, 1);
            endRemoveRows();
        }
        // Row 0 now becomes the new first item (or the empty state).
        items = withCounts.mid(0, std::min<qsizetype>(1, withCounts.size()));
        emit dataChanged(index(0, 0, parent), index(0, 0, parent));
        if (newRows > 1) {
            beginInsertRows(parent, 1, newRows - 1);
            items = withCounts;
            endInsertRows();
        }
    }
    const QModelIndex count = index(group, 0);
    emit dataChanged(count, count);
}

void ResourceModel::setResources(const QString &kindId, const QList<ResourceItem> &items)
{
    for (size_t i = 0; i < m_kinds.size(); ++i) {
        if (m_kinds[i]->id() == kindId)
            updateGroup(int(i), items);
    }
}

void ResourceModel::setTemplate(const TemplateInfo &info)
{
    const int group = int(m_kinds.size());
    const QModelIndex parent = index(group, 0);
    // The rows are few: replace them all.
    beginRemoveRows(parent, 0, templateRows() - 1);
    m_templateHidden = true;
    endRemoveRows();
    m_template = info;
    m_templateHidden = false;
    const int rows = templateRows();
    m_templateHidden = true;
    beginInsertRows(parent, 0, rows - 1);
    m_templateHidden = false;
    endInsertRows();
}

void ResourceModel::setStartError(const QString &message)
{
    TemplateInfo info;
    info.startError = message;
    setTemplate(info);
    for (size_t i = 0; i < m_kinds.size(); ++i)
        updateGroup(int(i), {});
}

void ResourceModel::setInvocations(const QHash<QString, TraceQuery::Invocations> &counts)
{
    m_invocations = counts;
    for (size_t i = 0; i < m_kinds.size(); ++i) {
        if (m_kinds[i]->id() == QLatin1String("function")) {
            QList<ResourceItem> items = m_items[i];
            updateGroup(int(i), items);
        }
    }
}

void ResourceModel::addLiveSpans(const QList<Span> &spans)
{
    bool any = false;
    for (const Span &s : spans) {
        if (!TraceQuery::isInvocation(s))
            continue;
        TraceQuery::Invocations &n = m_invocations[TraceQuery::functionOf(s)];
        ++n.count;
        if (s.statusCode == SpanStatusError)
            ++n.errors;
        any = true;
    }
    if (any)
        setInvocations(m_invocations);
}

void ResourceModel::clear()
{
    m_invocations.clear();
    for (size_t i = 0; i < m_kinds.size(); ++i)
        updateGroup(int(i), {});
    setTemplate({});
}

void ResourceModel::refresh(EngineHost *host)
{
    const std::vector<std::shared_ptr<const ResourceKind>> kinds = m_kinds;
    QStringList ids;
    for (const auto &k : m_kinds)
        ids.append(k->id());
    host->call<Snapshot>(
        this,
        [kinds](Engine &engine) {
            Snapshot s;
            s.catalogKinds = engine.catalogKinds();
            s.catalog = engine.catalog();
            for (const auto &k : kinds) {
                // The catalog's kinds from the one catalog read above.
                if (dynamic_cast<const CatalogResources *>(k.get()))
                    s.kinds.append(CatalogResources::itemsOf(s.catalog, k->id()));
                else
                    s.kinds.append(k->collect(engine));
            }
            TemplateInfo &t = s.templateInfo;
            t.running = true;
            if (StackApplier *stack = engine.stack()) {
                t.path = stack->templatePath();
                t.error = stack->lastError();
                if (const Stack *st = stack->stack()) {
                    t.stackName = st->name;
                    t.resources = int(st->declaredCount());
                    t.generated = int(st->resources.size()) - t.resources;
                    t.countText = st->countText();
                    for (const StackResource &r : st->resources) {
                        if (!r.implicit && !r.physicalId.isEmpty() && r.physicalId != r.logicalId)
                            t.names.insert(r.physicalId, r.logicalId);
                    }
                    for (const FidelityItem &item : st->report.items) {
                        const QString level = item.level == FidelityItem::Level::Unsupported
                            ? QStringLiteral("unsupported")
                            : QStringLiteral("ignored");
                        QString text = item.subject;
                        if (!item.path.isEmpty())
                            text += QStringLiteral(" (") + item.path + u')';
                        if (!item.note.isEmpty())
                            text += QStringLiteral(" — ") + item.note;
                        const QString where = item.location.toString();
                        if (!where.isEmpty())
                            text += QStringLiteral(" [") + where + u']';
                        t.fidelity.append({level, text});
                    }
                }
            }
            return s;
        },
        [this, ids](Snapshot s) {
            for (qsizetype i = 0; i < ids.size() && i < s.kinds.size(); ++i)
                setResources(ids[i], s.kinds[i]);
            for (const CatalogKind &k : std::as_const(s.catalogKinds)) {
                if (hasKind(k.id))
                    continue;
                addKind(std::make_unique<CatalogResources>(k));
                setResources(k.id, CatalogResources::itemsOf(s.catalog, k.id));
            }
            const TemplateInfo &t = s.templateInfo;
            if (t.names != m_template.names) {
                m_template.names = t.names;
                emit displayNamesChanged(t.names);
            }
            if (t.path != m_template.path || t.error != m_template.error
                || t.fidelity != m_template.fidelity || t.running != m_template.running
                || t.resources != m_template.resources || !m_template.startError.isEmpty())
                setTemplate(t);
        });
}

} // namespace tarmac
