#pragma once

#include "engine/engine.h"
#include "trace/span.h"
#include "trace/tracequery.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QVariantMap>

#include <memory>
#include <vector>

namespace tarmac {

class EngineHost;

// One resource as the tree shows it: a name and the counts its kind reports.
struct ResourceItem
{
    QString name;
    QVariantMap counts; // "warm", "objects", "bytes", …
    QString tooltip;
    QString warning; // something wrong with it (a runtime that is not installed)
    QString status; // the counts as one line, when the kind's source says it itself
    QStringList actions; // "browse", …: what the resource offers
    QString physicalId; // its physical id in a template, when not its name
    friend bool operator==(const ResourceItem &, const ResourceItem &) = default;
};

// A kind of resource in the tree (functions, buckets, …). A service adds its kind by
// implementing this and registering it with ResourceModel::addKind(): collect() runs on the
// engine's thread and reads the service's model; the rest describes what it found.
class ResourceKind
{
public:
    virtual ~ResourceKind() = default;
    virtual QString id() const = 0; // "function"
    virtual QString title() const = 0; // "Functions"
    // What to do to have one; `projectOpen`: a project with a template is open.
    virtual QString emptyText(bool projectOpen) const = 0;
    virtual QList<ResourceItem> collect(Engine &engine) const = 0;
    virtual QString statusText(const ResourceItem &item) const = 0;
};

// Functions: warm instances (busy ones), and, from the traces, invocations and errors.
class FunctionResources : public ResourceKind
{
public:
    QString id() const override { return QStringLiteral("function"); }
    QString title() const override;
    QString emptyText(bool projectOpen) const override;
    QList<ResourceItem> collect(Engine &engine) const override;
    QString statusText(const ResourceItem &item) const override;
};

// A kind a service shows in the resource catalog (buckets, queues, tables, …): its entries,
// counts, status line and actions come from the service through the engine
// (Engine::catalog()), so the tree needs no service's header.
class CatalogResources : public ResourceKind
{
public:
    explicit CatalogResources(CatalogKind kind)
        : m_kind(std::move(kind))
    { }
    QString id() const override { return m_kind.id; }
    QString title() const override { return m_kind.title; }
    QString emptyText(bool) const override { return m_kind.emptyText; }
    QList<ResourceItem> collect(Engine &engine) const override;
    QString statusText(const ResourceItem &item) const override { return item.status; }
    // The catalog's entries of `kind` as the tree's items.
    static QList<ResourceItem> itemsOf(const QList<CatalogEntry> &entries, const QString &kind);

private:
    CatalogKind m_kind;
};

// The tree beside the timeline: a group per kind with its resources and live counts, and
// the project's template with its fidelity report (what Tarmac does not emulate). Empty
// groups say what to do next. refresh() collects everything on the engine's thread; the
// tree is then updated in place so that selection and expansion survive. Invocation counts
// come from the trace store once and from live spans after that.
class ResourceModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Role {
        KindRole = Qt::UserRole + 1, // "function", "bucket", "template", "group", "empty"
        NameRole,
        ActionsRole, // QStringList: what the resource offers ("browse")
        StatusRole, // the live counts, one line ("2 warm · 14 invocations")
    };

    struct TemplateInfo
    {
        bool running = false; // an engine is running
        QString path; // the template, or empty (no project)
        QString stackName;
        QString error; // the last reload error
        int resources = 0; // declared in the template
        int generated = 0; // made of them by the SAM transform
        QString countText; // Stack::countText()
        QHash<QString, QString> names; // a resource's physical name → its logical id
        QList<QPair<QString, QString>> fidelity; // (level, text)
        QString startError; // the engine did not start
    };

    explicit ResourceModel(QObject *parent = nullptr);
    ~ResourceModel() override;

    void addKind(std::unique_ptr<ResourceKind> kind);
    bool hasKind(const QString &id) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Collects every kind's resources and the template on the engine's thread.
    void refresh(EngineHost *host);
    // What refresh() delivers (public for tests).
    void setResources(const QString &kind, const QList<ResourceItem> &items);
    void setTemplate(const TemplateInfo &info);
    const TemplateInfo &templateInfo() const { return m_template; }
    void setInvocations(const QHash<QString, TraceQuery::Invocations> &counts);
    void addLiveSpans(const QList<Span> &spans);
    void setStartError(const QString &message);
    // Whether a start error is the template's (shown in the template's row).
    static bool isTemplateError(const QString &message);
    void clear();

signals:
    // The template's names changed (a project opened or reloaded): views that show physical
    // names show logical ids instead.
    void displayNamesChanged(const QHash<QString, QString> &physicalToLogical);

public:
    const QList<ResourceItem> &items(const QString &kind) const;
    TraceQuery::Invocations invocations(const QString &function) const
    {
        return m_invocations.value(function);
    }

private:
    struct Group;
    int groupOf(const QModelIndex &index) const;
    void updateGroup(int group, const QList<ResourceItem> &items);
    QString templateRowText(int row) const;
    int templateRows() const;

    // Shared with collections running on the engine's thread, which may outlive the model.
    std::vector<std::shared_ptr<const ResourceKind>> m_kinds;
    std::vector<QList<ResourceItem>> m_items;
    TemplateInfo m_template;
    bool m_templateHidden = false; // between removing and inserting the template's rows
    QHash<QString, TraceQuery::Invocations> m_invocations;
};

} // namespace tarmac
