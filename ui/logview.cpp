#include "ui/logview.h"

#include "base/json.h"
#include "ui/format.h"
#include "ui/logmodel.h"
#include "ui/spanselection.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace tarmac {

LogView::LogView(LogModel *model, SpanSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_filter(new LogFilterModel(this))
    , m_selection(selection)
    , m_text(new QLineEdit)
    , m_source(new QComboBox)
    , m_level(new QComboBox)
    , m_scopeBox(new QComboBox)
    , m_table(new QTableView)
    , m_details(new QPlainTextEdit)
{
    m_filter->setSourceModel(model);

    m_text->setPlaceholderText(tr("Filter log lines or request ids…"));
    m_text->setClearButtonEnabled(true);
    m_text->setObjectName(QStringLiteral("logFilterText"));
    m_source->setObjectName(QStringLiteral("logFilterFunction"));
    m_source->addItem(tr("All functions"), QString());
    // Long function names must not squeeze the filter box: the list is as wide as it needs,
    // the closed box at most ~22 characters.
    m_source->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_source->setMinimumContentsLength(12);
    m_text->setMinimumWidth(
        fontMetrics().horizontalAdvance(QStringLiteral("Filter log lines")) + 30);
    m_level->setObjectName(QStringLiteral("logFilterLevel"));
    m_level->addItem(tr("All levels"), 0);
    m_level->addItem(tr("Info and above"), int(LogSeverityInfo));
    m_level->addItem(tr("Warnings and errors"), int(LogSeverityWarn));
    m_level->addItem(tr("Errors"), int(LogSeverityError));
    m_scopeBox->setObjectName(QStringLiteral("logFilterScope"));
    m_scopeBox->addItem(tr("Every line"), int(AllLines));
    m_scopeBox->addItem(tr("Selected trace"), int(SelectedTrace));
    m_scopeBox->addItem(tr("Selected span"), int(SelectedSpan));

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_text, 1);
    bar->addWidget(m_source);
    bar->addWidget(m_level);
    bar->addWidget(m_scopeBox);

    m_table->setModel(m_filter);
    m_table->setObjectName(QStringLiteral("logTable"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setHighlightSections(false);
    const QFontMetrics fm = fontMetrics();
    m_table->setColumnWidth(
        LogModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16);
    // Functions show by their logical ids ("SummarizeFunction"); the message takes the rest.
    m_table->setColumnWidth(
        LogModel::SourceColumn, fm.horizontalAdvance(QStringLiteral("SummarizeFunction")) + 16);
    m_table->setColumnWidth(
        LogModel::RequestColumn, fm.horizontalAdvance(QStringLiteral("00000000-00")) + 16);
    // A line's start is what tells lines apart ("START RequestId…", "REPORT RequestId…").
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->setColumnWidth(
        LogModel::LevelColumn, fm.horizontalAdvance(QStringLiteral("ERROR")) + 16);

    m_details->setReadOnly(true);
    m_details->setObjectName(QStringLiteral("logDetails"));
    m_details->setPlaceholderText(tr("Select a log line to read it whole."));
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_details->setFont(mono);

    auto *split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("logSplitter"));
    split->addWidget(m_table);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

    connect(m_text, &QLineEdit::textChanged, m_filter, &LogFilterModel::setText);
    connect(m_source, &QComboBox::currentIndexChanged, this,
        [this] { m_filter->setSource(m_source->currentData().toString()); });
    connect(m_level, &QComboBox::currentIndexChanged, this,
        [this] { m_filter->setMinSeverity(m_level->currentData().toInt()); });
    connect(m_scopeBox, &QComboBox::currentIndexChanged, this,
        [this] { setScope(Scope(m_scopeBox->currentData().toInt())); });
    connect(model, &LogModel::sourcesChanged, this, &LogView::refreshSources);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &LogView::onCurrentChanged);
    // The pane shows the selected line only: a cleared selection clears it.
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (!m_table->selectionModel()->hasSelection())
            m_details->clear();
    });
    connect(selection, &SpanSelection::changed, this, &LogView::onSelectionChanged);

    // Stay at the bottom while the user is there.
    connect(m_filter, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar *bar = m_table->verticalScrollBar();
        m_atBottom = bar->value() >= bar->maximum() - 2;
    });
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_atBottom && !m_table->currentIndex().isValid())
            m_table->scrollToBottom();
    });
}

QString LogView::prettyText(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.startsWith(u'{') || trimmed.startsWith(u'[')) {
        if (auto json = parseJson(trimmed.toUtf8());
            json && (json->is_object() || json->is_array()))
            return QString::fromUtf8(toJsonBytes(*json, 2));
    }
    // Lambda's text lines put the JSON after a timestamp, request id and level.
    const qsizetype brace = text.indexOf(u'{');
    if (brace > 0 && trimmed.endsWith(u'}')) {
        if (auto json = parseJson(text.mid(brace).trimmed().toUtf8()); json && json->is_object())
            return text.left(brace) + u'\n' + QString::fromUtf8(toJsonBytes(*json, 2));
    }
    return text;
}

void LogView::onCurrentChanged()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_details->clear();
        return;
    }
    const QModelIndex source = m_filter->mapToSource(current);
    const LogRecord &r = m_model->record(source.row());
    QString header
        = QStringLiteral("%1  %2  %3")
              .arg(format::clock(r.timeNs, 6), r.source, LogModel::levelName(r.severity));
    if (!r.requestId.isEmpty())
        header += QStringLiteral("  request %1").arg(r.requestId);
    m_details->setPlainText(header + QStringLiteral("\n\n") + prettyText(r.text));
    if (m_syncing || r.traceId.isEmpty())
        return;
    m_syncing = true;
    m_selection->select(r.traceId, r.spanId, this, r.timeNs);
    m_syncing = false;
}

void LogView::onSelectionChanged(
    const QByteArray &traceId, const QByteArray &spanId, QObject *origin)
{
    applyScope();
    if (origin == this)
        return;
    if (traceId.isEmpty()) {
        // Cleared elsewhere (Escape in the timeline): nothing is selected here either.
        m_syncing = true;
        m_table->selectionModel()->clear();
        m_syncing = false;
        m_details->clear();
        return;
    }
    // Selected in the timeline: show its first line, without echoing the selection back.
    const int row = m_model->firstRowOf(traceId, spanId);
    if (row < 0)
        return;
    const QModelIndex proxy = m_filter->mapFromSource(m_model->index(row, 0));
    if (!proxy.isValid())
        return;
    m_syncing = true;
    m_table->setCurrentIndex(proxy);
    m_table->scrollTo(proxy, QAbstractItemView::PositionAtCenter);
    m_syncing = false;
}

void LogView::applyScope()
{
    switch (m_scope) {
    case AllLines:
        m_filter->setTrace({}, {});
        break;
    case SelectedTrace:
        m_filter->setTrace(m_selection->traceId(), {});
        break;
    case SelectedSpan:
        m_filter->setTrace(m_selection->traceId(), m_selection->spanId());
        break;
    }
}

void LogView::setScope(Scope scope)
{
    m_scope = scope;
    const int i = m_scopeBox->findData(int(scope));
    if (i >= 0 && i != m_scopeBox->currentIndex())
        m_scopeBox->setCurrentIndex(i);
    applyScope();
}

void LogView::setFilterText(const QString &text)
{
    m_text->setText(text);
}

void LogView::setSourceFilter(const QString &source)
{
    refreshSources();
    int i = m_source->findData(source);
    if (i < 0 && !source.isEmpty()) {
        m_source->addItem(source, source);
        i = m_source->count() - 1;
    }
    m_source->setCurrentIndex(std::max(0, i));
}

void LogView::setMinSeverity(int severity)
{
    const int i = m_level->findData(severity);
    m_level->setCurrentIndex(std::max(0, i));
}

void LogView::refreshSources()
{
    const QString current = m_source->currentData().toString();
    QSignalBlocker block(m_source);
    m_source->clear();
    m_source->addItem(tr("All functions"), QString());
    QStringList sources = m_model->sources();
    if (!current.isEmpty() && !sources.contains(current))
        sources.append(current);
    for (const QString &s : std::as_const(sources))
        m_source->addItem(m_model->displayName(s), s);
    m_source->setCurrentIndex(std::max(0, m_source->findData(current)));
}

QVariantMap LogView::saveState() const
{
    return {
        {QStringLiteral("text"), m_text->text()},
        {QStringLiteral("source"), m_source->currentData().toString()},
        {QStringLiteral("level"), m_level->currentData().toInt()},
        {QStringLiteral("scope"), int(m_scope)},
    };
}

void LogView::restoreState(const QVariantMap &state)
{
    setFilterText(state.value(QStringLiteral("text")).toString());
    setSourceFilter(state.value(QStringLiteral("source")).toString());
    setMinSeverity(state.value(QStringLiteral("level")).toInt());
    setScope(Scope(std::clamp(state.value(QStringLiteral("scope")).toInt(), 0, 2)));
}

} // namespace tarmac
