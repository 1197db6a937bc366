#include "ui/stepperpanel.h"

#include "base/json.h"
#include "ui/format.h"
#include "ui/steppercontroller.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace tarmac {

namespace {

constexpr qint64 kSecond = 1'000'000'000;

} // namespace

StepperPanel::StepperPanel(StepperController *stepper, QWidget *parent)
    : QWidget(parent)
    , m_stepper(stepper)
    , m_model(new PendingModel(stepper, this))
    , m_pause(new QPushButton(tr("Pause")))
    , m_step(new QPushButton(tr("Step")))
    , m_resume(new QPushButton(tr("Resume")))
    , m_state(new QLabel)
    , m_pending(new QTableView)
    , m_editor(new QPlainTextEdit)
    , m_syntax(new QLabel)
    , m_deliver(new QPushButton(tr("Deliver")))
    , m_drop(new QPushButton(tr("Drop")))
    , m_breakpoints(new QTreeWidget)
    , m_bpFunction(new QComboBox)
    , m_bpOrigin(new QComboBox)
    , m_bpCondition(new QLineEdit)
    , m_bpAdd(new QPushButton(tr("Add")))
    , m_bpRemove(new QPushButton(tr("Remove")))
    , m_clock(new QLabel)
    , m_freeze(new QPushButton(tr("Freeze clock")))
    , m_advanceBy(new QComboBox)
    , m_advance(new QPushButton(tr("Advance")))
    , m_clockTimer(new QTimer(this))
{
    m_pause->setObjectName(QStringLiteral("stepperPause"));
    m_step->setObjectName(QStringLiteral("stepperStep"));
    m_resume->setObjectName(QStringLiteral("stepperResume"));
    m_pause->setToolTip(tr("Hold every event for functions until you step or resume"));
    m_step->setToolTip(tr("Deliver the oldest waiting event, stay paused"));
    m_resume->setToolTip(tr("Deliver everything waiting and stop holding events"));
    m_state->setWordWrap(true);
    // Long function names must not widen the dock (its tabs share one width).
    for (QComboBox *box : {m_bpFunction, m_bpOrigin}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(8);
    }
    m_syntax->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_clock->setWordWrap(true); // "Tarmac time 08:28:31.553 (frozen)" wraps beside its buttons
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_pause);
    controls->addWidget(m_step);
    controls->addWidget(m_resume);
    controls->addStretch();

    m_pending->setModel(m_model);
    m_pending->setObjectName(QStringLiteral("pendingDeliveries"));
    m_pending->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_pending->setSelectionMode(QAbstractItemView::SingleSelection);
    m_pending->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_pending->verticalHeader()->hide();
    m_pending->horizontalHeader()->setStretchLastSection(true);
    m_pending->setShowGrid(false);

    m_editor->setObjectName(QStringLiteral("pendingEditor"));
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("Pick a waiting event to read or edit it."));
    m_syntax->setObjectName(QStringLiteral("pendingSyntax"));
    m_deliver->setObjectName(QStringLiteral("pendingDeliver"));
    m_drop->setObjectName(QStringLiteral("pendingDrop"));
    m_deliver->setToolTip(tr("Deliver this event, with your edits, to its function"));
    m_drop->setToolTip(tr("Finish this delivery without running the function"));
    auto *editButtons = new QHBoxLayout;
    editButtons->addWidget(m_syntax, 1);
    editButtons->addWidget(m_deliver);
    editButtons->addWidget(m_drop);
    auto *editorBox = new QWidget;
    auto *editorLayout = new QVBoxLayout(editorBox);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addWidget(m_editor, 1);
    editorLayout->addLayout(editButtons);

    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_pending);
    split->addWidget(editorBox);
    split->setStretchFactor(1, 2);

    // Breakpoints.
    m_breakpoints->setObjectName(QStringLiteral("breakpoints"));
    m_breakpoints->setHeaderLabels({tr("Function"), tr("Source"), tr("Condition"), tr("Hits")});
    m_breakpoints->setRootIsDecorated(false);
    m_breakpoints->setMaximumHeight(110);
    m_bpFunction->setEditable(true);
    m_bpFunction->setObjectName(QStringLiteral("breakpointFunction"));
    m_bpOrigin->setObjectName(QStringLiteral("breakpointOrigin"));
    m_bpOrigin->setEditable(true);
    m_bpOrigin->addItem(tr("any source"), QString());
    for (const char *o : {"s3", "sqs", "apigateway", "schedule", "invoke", "replay", "manual"})
        m_bpOrigin->addItem(QString::fromLatin1(o), QString::fromLatin1(o));
    m_bpCondition->setObjectName(QStringLiteral("breakpointCondition"));
    m_bpCondition->setPlaceholderText(tr("$.Records[0].s3.object.key contains .txt"));
    m_bpCondition->setToolTip(tr("A JSON path into the event: $.path (present), $.path == value, "
                                 "$.path != value, $.path contains value"));
    auto *bpWhere = new QHBoxLayout;
    bpWhere->addWidget(m_bpFunction, 1);
    bpWhere->addWidget(m_bpOrigin);
    auto *bpCondition = new QHBoxLayout;
    bpCondition->addWidget(m_bpCondition, 1);
    bpCondition->addWidget(m_bpAdd);
    bpCondition->addWidget(m_bpRemove);
    auto *bpBox = new QGroupBox(tr("Breakpoints"));
    auto *bpLayout = new QVBoxLayout(bpBox);
    bpLayout->addWidget(m_breakpoints);
    bpLayout->addLayout(bpWhere);
    bpLayout->addLayout(bpCondition);

    // Clock.
    m_clock->setObjectName(QStringLiteral("clockLabel"));
    m_freeze->setObjectName(QStringLiteral("clockFreeze"));
    m_advance->setObjectName(QStringLiteral("clockAdvance"));
    for (const auto &[label, ns] : std::initializer_list<std::pair<const char *, qint64>> {
             {"1 s", kSecond}, {"10 s", 10 * kSecond}, {"1 min", 60 * kSecond},
             {"5 min", 300 * kSecond}, {"1 h", 3600 * kSecond}, {"1 day", 86400 * kSecond}})
        m_advanceBy->addItem(QString::fromLatin1(label), ns);
    m_advanceBy->setCurrentIndex(2);
    auto *clockRow = new QHBoxLayout;
    clockRow->addWidget(m_clock, 1);
    clockRow->addWidget(m_freeze);
    clockRow->addWidget(m_advanceBy);
    clockRow->addWidget(m_advance);
    auto *clockBox = new QGroupBox(tr("Clock"));
    clockBox->setLayout(clockRow);
    clockBox->setToolTip(
        tr("The time Tarmac's services see: timeouts and schedules stop while it is frozen"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(controls);
    layout->addWidget(m_state);
    layout->addWidget(split, 1);
    layout->addWidget(bpBox);
    layout->addWidget(clockBox);

    connect(m_pause, &QPushButton::clicked, stepper, &StepperController::pause);
    connect(m_step, &QPushButton::clicked, stepper, &StepperController::step);
    connect(m_resume, &QPushButton::clicked, stepper, &StepperController::resume);
    connect(m_deliver, &QPushButton::clicked, this, &StepperPanel::deliverCurrent);
    connect(m_drop, &QPushButton::clicked, this, &StepperPanel::dropCurrent);
    connect(m_editor, &QPlainTextEdit::textChanged, this, &StepperPanel::checkSyntax);
    connect(m_pending->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &StepperPanel::onCurrentChanged);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        // Keep the editor on its delivery while it waits; pick the oldest otherwise.
        const int row = m_model->rowOf(m_currentId);
        if (row >= 0) {
            QSignalBlocker block(m_pending->selectionModel());
            m_pending->setCurrentIndex(m_model->index(row, 0));
        } else if (m_model->rowCount() > 0) {
            m_pending->setCurrentIndex(m_model->index(0, 0));
        } else {
            onCurrentChanged();
        }
    });
    connect(m_bpAdd, &QPushButton::clicked, this, &StepperPanel::addBreakpoint);
    connect(m_bpCondition, &QLineEdit::returnPressed, this, &StepperPanel::addBreakpoint);
    connect(m_bpRemove, &QPushButton::clicked, this, [this] {
        if (QTreeWidgetItem *item = m_breakpoints->currentItem())
            m_stepper->removeBreakpoint(item->data(0, Qt::UserRole).toInt());
    });
    connect(m_freeze, &QPushButton::clicked, this, [this] {
        if (m_stepper->isClockFrozen())
            m_stepper->resumeClock();
        else
            m_stepper->freezeClock();
    });
    connect(m_advance, &QPushButton::clicked, this,
        [this] { m_stepper->advanceClock(m_advanceBy->currentData().toLongLong()); });
    connect(stepper, &StepperController::changed, this, &StepperPanel::updateState);
    connect(stepper, &StepperController::availableChanged, this, &StepperPanel::updateState);
    connect(stepper, &StepperController::clockChanged, this, &StepperPanel::updateClock);
    connect(m_clockTimer, &QTimer::timeout, this, &StepperPanel::updateClock);
    m_clockTimer->start(500);
    updateState();
    updateClock();
    onCurrentChanged();
}

QString StepperPanel::syntaxError(const QByteArray &text)
{
    auto json = parseJson(text);
    if (json)
        return {};
    // nlohmann reports a byte offset; people read lines and columns.
    QString message = json.error().message;
    const qsizetype at = message.indexOf(QLatin1String("at line "));
    if (at >= 0)
        return message.mid(at);
    return message;
}

void StepperPanel::checkSyntax()
{
    if (m_currentId.isEmpty()) {
        m_syntax->clear();
        m_deliver->setEnabled(false);
        return;
    }
    const QString error = syntaxError(m_editor->toPlainText().toUtf8());
    const bool edited = m_editor->toPlainText().toUtf8() != m_loadedPayload;
    if (error.isEmpty()) {
        m_syntax->setText(edited ? tr("<span style='color:#188038'>Valid JSON, edited</span>")
                                 : tr("<span style='color:#188038'>Valid JSON</span>"));
    } else {
        m_syntax->setText(
            tr("<span style='color:#d93025'>Not JSON: %1</span>").arg(error.toHtmlEscaped()));
    }
    m_deliver->setEnabled(error.isEmpty() && m_stepper->isAvailable());
}

void StepperPanel::onCurrentChanged()
{
    const QModelIndex current = m_pending->currentIndex();
    const QByteArray id
        = current.isValid() ? current.data(PendingModel::IdRole).toByteArray() : QByteArray();
    if (id == m_currentId && !id.isEmpty())
        return;
    m_currentId = id;
    if (id.isEmpty()) {
        m_loadedPayload.clear();
        m_editor->clear();
        m_editor->setReadOnly(true);
    } else {
        const QByteArray payload = current.data(PendingModel::PayloadRole).toByteArray();
        auto json = parseJson(payload);
        m_loadedPayload = json ? toJsonBytes(*json, 2) : payload;
        m_editor->setReadOnly(false);
        m_editor->setPlainText(QString::fromUtf8(m_loadedPayload));
    }
    m_drop->setEnabled(!id.isEmpty());
    checkSyntax();
}

void StepperPanel::selectPending(const QByteArray &id)
{
    const int row = m_model->rowOf(id);
    if (row >= 0)
        m_pending->setCurrentIndex(m_model->index(row, 0));
}

void StepperPanel::deliverCurrent()
{
    if (m_currentId.isEmpty() || !syntaxError(m_editor->toPlainText().toUtf8()).isEmpty())
        return;
    m_stepper->deliver(m_currentId, m_editor->toPlainText().toUtf8());
}

void StepperPanel::dropCurrent()
{
    if (!m_currentId.isEmpty())
        m_stepper->drop(m_currentId);
}

void StepperPanel::addBreakpoint()
{
    const QString function = m_bpFunction->currentText().trimmed();
    const QString origin = m_bpOrigin->currentText().trimmed();
    m_stepper->addBreakpoint(function == tr("any function") ? QString() : function,
        origin == tr("any source") ? QString() : origin, m_bpCondition->text());
    m_bpCondition->clear();
}

void StepperPanel::updateState()
{
    const bool available = m_stepper->isAvailable();
    const bool paused = m_stepper->isPaused();
    const qsizetype waiting = m_stepper->pending().size();
    m_pause->setEnabled(available && !paused);
    m_step->setEnabled(available && waiting > 0);
    m_resume->setEnabled(available && (paused || waiting > 0));
    m_bpAdd->setEnabled(available);
    if (!available)
        m_state->setText(tr("The stepper needs a running Tarmac with functions."));
    else if (paused)
        m_state->setText(tr(
            "<b>Paused</b>: events for functions wait here. %n waiting.", nullptr, int(waiting)));
    else if (waiting > 0)
        m_state->setText(tr("<b>Held by breakpoints</b>: %n waiting.", nullptr, int(waiting)));
    else
        m_state->setText(
            tr("Delivering events as they come. Pause, or add a breakpoint, to hold them."));

    // Function names for the breakpoint editor, keeping what the user typed.
    const QString typed = m_bpFunction->currentText();
    QSignalBlocker block(m_bpFunction);
    m_bpFunction->clear();
    m_bpFunction->addItem(tr("any function"));
    m_bpFunction->addItems(m_stepper->functionNames());
    m_bpFunction->setCurrentText(typed.isEmpty() ? tr("any function") : typed);

    m_breakpoints->clear();
    for (const Breakpoint &b : m_stepper->breakpoints()) {
        auto *item = new QTreeWidgetItem({b.functionName.isEmpty() ? tr("any") : b.functionName,
            b.origin.isEmpty() ? tr("any") : b.origin, StepperController::conditionText(b),
            QString::number(b.hits)});
        item->setData(0, Qt::UserRole, b.id);
        m_breakpoints->addTopLevelItem(item);
    }
    checkSyntax();
}

void StepperPanel::updateClock()
{
    const qint64 now = m_stepper->clockNowNs();
    if (now == 0) {
        m_clock->setText(tr("Tarmac is not running"));
        m_freeze->setEnabled(false);
        m_advance->setEnabled(false);
        return;
    }
    const bool frozen = m_stepper->isClockFrozen();
    m_clock->setText(frozen ? tr("Tarmac time <b>%1</b> (frozen)").arg(format::clock(now, 3))
                            : tr("Tarmac time %1").arg(format::clock(now, 0)));
    m_freeze->setText(frozen ? tr("Resume clock") : tr("Freeze clock"));
    m_freeze->setEnabled(true);
    m_advance->setEnabled(true);
}

} // namespace tarmac
