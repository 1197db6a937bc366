#include "ui/inspectorwidget.h"

#include "base/json.h"
#include "engine/dispatcher.h"
#include "trace/span.h"
#include "trace/tracequery.h"
#include "ui/enginehost.h"
#include "ui/format.h"
#include "ui/logmodel.h"
#include "ui/logview.h"
#include "ui/queryrunner.h"
#include "ui/spanselection.h"
#include "ui/timelinedata.h"
#include "ui/timelinegeometry.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>

namespace tarmac {

namespace {

struct TraceResult
{
    QList<Span> spans;
    QList<LogRecord> logs;
};

Json valueJson(const AttributeValue &v)
{
    return std::visit(
        [](const auto &x) -> Json {
            using V = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<V, QString>)
                return toStd(x);
            else if constexpr (std::is_same_v<V, double>)
                return std::isfinite(x) ? Json(x) : Json(toStd(QString::number(x)));
            else
                return Json(x);
        },
        v);
}

Json spanJson(const Span &s)
{
    Json attributes = Json::object();
    for (const Attribute &a : s.attributes)
        attributes[toStd(a.key)] = valueJson(a.value);
    Json j = {
        {"traceId", s.traceId.toStdString()},
        {"spanId", s.spanId.toStdString()},
        {"parentSpanId", s.parentSpanId.toStdString()},
        {"name", toStd(s.name)},
        {"service", toStd(s.service)},
        {"operation", toStd(s.operation)},
        {"kind", s.kind},
        {"startTimeUnixNano", std::to_string(s.startNs)},
        {"endTimeUnixNano", std::to_string(s.endNs)},
        {"durationNs", s.endNs - s.startNs},
        {"status", {{"code", s.statusCode}, {"message", toStd(s.statusMessage)}}},
        {"attributes", attributes},
    };
    return j;
}

QString attributeValue(const Span &s, const QStringList &keys)
{
    for (const QString &k : keys) {
        for (const Attribute &a : s.attributes) {
            if (a.key == k)
                return attributeText(a.value);
        }
    }
    return {};
}

constexpr int kSpanIdRole = Qt::UserRole + 1;

} // namespace

InspectorWidget::InspectorWidget(QueryRunner *runner, SpanSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_runner(runner)
    , m_selection(selection)
    , m_title(new QLabel)
    , m_subtitle(new QLabel)
    , m_copy(new QPushButton(tr("Copy as JSON")))
    , m_replay(new QPushButton(tr("Replay this event")))
    , m_tree(new QTreeWidget)
    , m_tabs(new QTabWidget)
    , m_attributes(new QTreeWidget)
    , m_payload(new QPlainTextEdit)
    , m_response(new QPlainTextEdit)
    , m_logs(new QPlainTextEdit)
{
    m_title->setTextFormat(Qt::RichText);
    // A long span name must not set the window's minimum width: it wraps, or is cut.
    m_title->setWordWrap(true);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_title->setText(tr("<b>Nothing selected</b>"));
    m_subtitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_subtitle->setText(tr("Click a span in the timeline or a log line to inspect it."));
    m_subtitle->setWordWrap(true);
    QPalette dim = m_subtitle->palette();
    dim.setColor(QPalette::WindowText, QColor::fromRgb(0x5f6368));
    m_subtitle->setPalette(dim);
    m_copy->setObjectName(QStringLiteral("inspectorCopy"));
    m_replay->setObjectName(QStringLiteral("inspectorReplay"));
    m_copy->setEnabled(false);
    m_replay->setEnabled(false);
    m_replay->setToolTip(tr("Delivers the same event to the function again"));

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_title, 1);
    buttons->addWidget(m_copy);
    buttons->addWidget(m_replay);

    m_tree->setObjectName(QStringLiteral("inspectorTrace"));
    m_tree->setHeaderLabels({tr("Span"), tr("Start"), tr("Duration"), tr("Status")});
    m_tree->setRootIsDecorated(true);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setStretchLastSection(false);
    m_attributes->setObjectName(QStringLiteral("inspectorAttributes"));
    m_attributes->setHeaderLabels({tr("Attribute"), tr("Value")});
    m_attributes->setRootIsDecorated(false);
    m_attributes->header()->setStretchLastSection(true);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    for (QPlainTextEdit *e : {m_payload, m_response, m_logs}) {
        e->setReadOnly(true);
        e->setFont(mono);
    }
    m_payload->setPlaceholderText(tr("This span recorded no event payload."));
    m_response->setPlaceholderText(tr("This span recorded no response."));
    m_logs->setPlaceholderText(tr("No log lines in this trace."));
    m_tabs->addTab(m_attributes, tr("Attributes"));
    m_tabs->addTab(m_payload, tr("Event"));
    m_tabs->addTab(m_response, tr("Response"));
    m_tabs->addTab(m_logs, tr("Logs"));

    auto *split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("inspectorSplitter"));
    split->addWidget(m_tree);
    split->addWidget(m_tabs);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(buttons);
    layout->addWidget(m_subtitle);
    layout->addWidget(split, 1);

    connect(selection, &SpanSelection::changed, this, &InspectorWidget::onSelectionChanged);
    connect(m_copy, &QPushButton::clicked, this, &InspectorWidget::copyJson);
    connect(m_replay, &QPushButton::clicked, this, &InspectorWidget::replay);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (!item || m_syncing)
            return;
        m_syncing = true;
        m_selection->select(m_traceId, item->data(0, kSpanIdRole).toByteArray(), this);
        m_syncing = false;
    });
}

void InspectorWidget::setEngine(EngineHost *host)
{
    m_host = host;
    showSpan();
}

QByteArray InspectorWidget::deliveryIdFor(const Span &span, const QList<Span> &trace)
{
    const auto attribute = [](const Span &s, QLatin1String key) -> QString {
        for (const Attribute &a : s.attributes) {
            if (a.key == key) {
                if (const QString *v = std::get_if<QString>(&a.value))
                    return *v;
            }
        }
        return {};
    };
    const QLatin1String key("tarmac.delivery_id");
    if (const QString own = attribute(span, key); !own.isEmpty())
        return own.toLatin1();
    const QString function = TraceQuery::functionOf(span);
    if (function.isEmpty())
        return {};
    for (const Span &s : trace) {
        if (TraceQuery::functionOf(s) == function && s.startNs <= span.endNs
            && s.endNs >= span.startNs) {
            if (const QString id = attribute(s, key); !id.isEmpty())
                return id.toLatin1();
        }
    }
    return {};
}

void InspectorWidget::loadDelivery(const QByteArray &id)
{
    if (!m_host || id.isEmpty() || id == m_deliveryId)
        return;
    m_deliveryId = id;
    m_deliveryPayload.clear();
    m_deliveryFunction.clear();
    m_host->call<Result<DeliveryRecord>>(
        this,
        [id](Engine &engine) -> Result<DeliveryRecord> {
            if (!engine.dispatcher())
                return makeError(
                    QStringLiteral("Unavailable"), tr("no function runtime is running"));
            return engine.dispatcher()->record(id);
        },
        [this, id](Result<DeliveryRecord> r) {
            if (id != m_deliveryId || !r)
                return;
            m_deliveryFunction = r->functionName;
            m_deliveryPayload = r->payload;
            QString event = LogView::prettyText(QString::fromUtf8(r->payload));
            if (!r->originalPayload.isEmpty())
                event += tr("\n\n--- as submitted, before it was edited ---\n")
                    + LogView::prettyText(QString::fromUtf8(r->originalPayload));
            m_payload->setPlainText(event);
            QString response = LogView::prettyText(QString::fromUtf8(r->result));
            if (!r->errorType.isEmpty())
                response = tr("%1: %2\n\n").arg(r->errorType, r->errorMessage) + response;
            m_response->setPlainText(tr("status: %1\n\n").arg(r->status) + response);
            m_replay->setEnabled(!m_deliveryFunction.isEmpty());
            emit deliveryLoaded();
        });
}

void InspectorWidget::replay()
{
    if (!m_host || m_deliveryFunction.isEmpty())
        return;
    const QString function = m_deliveryFunction;
    const QByteArray payload = m_deliveryPayload;
    m_host->call<QByteArray>(
        this,
        [function, payload](Engine &engine) -> QByteArray {
            auto invoked = engine.invoke(Engine::Invocation {
                .function = function, .payload = payload, .origin = QStringLiteral("replay")});
            return invoked ? invoked->traceId : QByteArray();
        },
        [this](QByteArray trace) {
            if (!trace.isEmpty())
                emit replayed(trace);
        });
}

QStringList InspectorWidget::payloadKeys()
{
    return {QStringLiteral("tarmac.payload"), QStringLiteral("tarmac.event"),
        QStringLiteral("faas.payload"), QStringLiteral("http.request.body")};
}

QStringList InspectorWidget::responseKeys()
{
    return {QStringLiteral("tarmac.response"), QStringLiteral("tarmac.result"),
        QStringLiteral("tarmac.error"), QStringLiteral("http.response.body")};
}

const Span *InspectorWidget::selectedSpan() const
{
    for (const Span &s : m_trace) {
        if (s.spanId == m_selection->spanId())
            return &s;
    }
    return nullptr;
}

void InspectorWidget::onSelectionChanged(const QByteArray &traceId, const QByteArray &, QObject *)
{
    if (traceId.isEmpty()) {
        m_traceId.clear();
        m_trace.clear();
        m_traceLogs.clear();
        m_tree->clear();
        showSpan();
        return;
    }
    if (traceId != m_traceId) {
        load(traceId);
        return;
    }
    showSpan();
}

void InspectorWidget::load(const QByteArray &traceId)
{
    m_traceId = traceId;
    m_runner->run<Result<TraceResult>>(
        QueryRunner::Trace, this,
        [traceId](TraceQuery *q, const QueryRunner::Cancelled &) -> Result<TraceResult> {
            if (!q)
                return makeError(QStringLiteral("NoStore"), QStringLiteral("no trace store"));
            TraceResult r;
            auto spans = q->trace(traceId);
            if (!spans)
                return spans.error();
            r.spans = std::move(*spans);
            TraceQuery::LogQuery lq;
            lq.traceId = traceId;
            lq.limit = 5000;
            if (auto logs = q->logs(lq))
                r.logs = std::move(*logs);
            return r;
        },
        [this](Result<TraceResult> r) {
            if (!r) {
                showTrace({}, {});
                m_subtitle->setText(tr("Could not read the trace: %1").arg(r.error().message));
                return;
            }
            showTrace(r->spans, r->logs);
        });
}

void InspectorWidget::showTrace(const QList<Span> &spans, const QList<LogRecord> &logs)
{
    m_trace = spans;
    m_traceLogs = logs;
    m_syncing = true;
    m_tree->clear();
    qint64 traceStart = spans.isEmpty() ? 0 : spans.first().startNs;
    for (const Span &s : spans)
        traceStart = std::min(traceStart, s.startNs);
    QHash<QByteArray, QTreeWidgetItem *> items;
    // Spans are ordered by start, so a parent that exists comes before its children…
    // except when a child starts first; a second pass re-parents those.
    QList<QPair<QTreeWidgetItem *, QByteArray>> orphans;
    for (const Span &s : spans) {
        auto *item = new QTreeWidgetItem;
        item->setText(0, s.name);
        item->setText(1, QStringLiteral("+") + format::duration(s.startNs - traceStart));
        item->setText(2, format::duration(s.endNs - s.startNs));
        item->setText(3, s.statusCode == SpanStatusError ? tr("error") : tr("ok"));
        if (s.statusCode == SpanStatusError)
            item->setForeground(3, TimelinePalette::error());
        item->setData(0, Qt::DecorationRole,
            TimelinePalette::colour(TimelineData::colourFor(s.service, TraceQuery::functionOf(s))));
        item->setData(0, kSpanIdRole, s.spanId);
        item->setToolTip(0, s.service + QStringLiteral(" · ") + QString::fromLatin1(s.spanId));
        items.insert(s.spanId, item);
        if (QTreeWidgetItem *parent = items.value(s.parentSpanId))
            parent->addChild(item);
        else
            orphans.append({item, s.parentSpanId});
    }
    for (const auto &[item, parentId] : orphans) {
        if (QTreeWidgetItem *parent = items.value(parentId); parent && parent != item)
            parent->addChild(item);
        else
            m_tree->addTopLevelItem(item);
    }
    m_tree->expandAll();
    for (int c = 1; c < m_tree->columnCount(); ++c)
        m_tree->resizeColumnToContents(c);

    QString logText;
    for (const LogRecord &l : logs) {
        logText += format::clock(l.timeNs, 3) + u' ' + l.source + u' '
            + LogModel::levelName(l.severity) + u' ' + l.text + u'\n';
    }
    m_logs->setPlainText(logText);
    m_syncing = false;
    showSpan();
    emit loaded();
}

void InspectorWidget::showSpan()
{
    const Span *s = selectedSpan();
    m_copy->setEnabled(s != nullptr);
    m_replay->setEnabled(false);
    m_attributes->clear();
    m_payload->clear();
    m_response->clear();
    m_deliveryId.clear();
    if (!s) {
        m_title->setText(
            m_selection->isEmpty() ? tr("<b>Nothing selected</b>") : tr("<b>Loading…</b>"));
        if (m_selection->isEmpty())
            m_subtitle->setText(tr("Click a span in the timeline or a log line to inspect it."));
        return;
    }
    const bool error = s->statusCode == SpanStatusError;
    m_title->setText(
        QStringLiteral("<b>%1</b> · %2 · %3")
            .arg(s->name.toHtmlEscaped(), format::duration(s->endNs - s->startNs),
                error ? tr("<span style='color:#d93025'><b>error</b></span>") : tr("ok")));
    QString sub = tr("%1 → %2 · trace %3 · span %4")
                      .arg(format::clock(s->startNs, 6), format::clock(s->endNs, 6),
                          QString::fromLatin1(s->traceId), QString::fromLatin1(s->spanId));
    if (error && !s->statusMessage.isEmpty())
        sub += u'\n' + s->statusMessage;
    m_subtitle->setText(sub);

    const auto row = [this](const QString &k, const QString &v) {
        auto *item = new QTreeWidgetItem({k, v});
        item->setToolTip(1, v.left(2000));
        m_attributes->addTopLevelItem(item);
    };
    row(tr("service"), s->service);
    if (!s->operation.isEmpty())
        row(tr("operation"), s->operation);
    row(tr("kind"), QString::fromLatin1(spanKindName(s->kind)));
    if (!s->parentSpanId.isEmpty())
        row(tr("parent span"), QString::fromLatin1(s->parentSpanId));
    for (const Attribute &a : s->attributes)
        row(a.key, attributeText(a.value));
    m_attributes->resizeColumnToContents(0);

    m_payload->setPlainText(LogView::prettyText(attributeValue(*s, payloadKeys())));
    m_response->setPlainText(LogView::prettyText(attributeValue(*s, responseKeys())));
    // A function's span: its delivery holds the event and the response.
    loadDelivery(deliveryIdFor(*s, m_trace));

    // Keep the tree's current row on the selected span.
    m_syncing = true;
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        if ((*it)->data(0, kSpanIdRole).toByteArray() == s->spanId) {
            m_tree->setCurrentItem(*it);
            m_tree->scrollToItem(*it);
            break;
        }
    }
    m_syncing = false;
}

QByteArray InspectorWidget::toJson(const Span &span, const QList<Span> &trace)
{
    Json spans = Json::array();
    for (const Span &s : trace)
        spans.push_back(spanJson(s));
    const Json doc = {{"span", spanJson(span)}, {"trace", spans}};
    return toJsonBytes(doc, 2);
}

QByteArray InspectorWidget::selectedJson() const
{
    const Span *s = selectedSpan();
    return s ? toJson(*s, m_trace) : QByteArray();
}

void InspectorWidget::copyJson()
{
    const QByteArray json = selectedJson();
    if (!json.isEmpty())
        QApplication::clipboard()->setText(QString::fromUtf8(json));
}

} // namespace tarmac
