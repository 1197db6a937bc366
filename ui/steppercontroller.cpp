#include "ui/steppercontroller.h"

#include "engine/dispatcher.h"
#include "functions/functionrunner.h"
#include "ui/enginehost.h"
#include "ui/format.h"

namespace tarmac {

namespace {

Dispatcher *dispatcherOf(Engine &engine)
{
    return engine.dispatcher();
}

struct State
{
    bool available = false;
    bool paused = false;
    QList<PendingDelivery> pending;
    QList<Breakpoint> breakpoints;
    QStringList functions;
};

} // namespace

StepperController::StepperController(EngineHost *host, QObject *parent)
    : QObject(parent)
    , m_host(host)
{
    m_refresh.setSingleShot(true);
    m_refresh.setInterval(0);
    connect(&m_refresh, &QTimer::timeout, this, &StepperController::fetch);
    connect(host, &EngineHost::started, this, &StepperController::attach);
    connect(host, &EngineHost::stopped, this, &StepperController::detach);
    if (host->isRunning())
        attach();
}

void StepperController::attach()
{
    // Find the Dispatcher on its thread; connect to it here (the engine cannot go away while
    // this runs: only the GUI thread stops it, and results for a stopped engine are dropped).
    m_host->call<Dispatcher *>(
        this, [](Engine &engine) { return dispatcherOf(engine); },
        [this](Dispatcher *d) {
            if (!d)
                return;
            connect(d, &Dispatcher::held, this, &StepperController::refresh);
            connect(d, &Dispatcher::released, this, &StepperController::refresh);
            connect(d, &Dispatcher::pausedChanged, this, &StepperController::refresh);
            connect(d, &Dispatcher::finished, this, &StepperController::deliveryFinished);
            connect(d, &Dispatcher::finished, this, &StepperController::refresh);
            fetch();
        });
    emit clockChanged();
}

void StepperController::detach()
{
    m_available = false;
    m_paused = false;
    m_pending.clear();
    m_breakpoints.clear();
    m_functions.clear();
    emit availableChanged(false);
    emit changed();
    emit clockChanged();
}

void StepperController::refresh()
{
    if (!m_refresh.isActive())
        m_refresh.start();
}

void StepperController::fetch()
{
    m_host->call<State>(
        this,
        [](Engine &engine) {
            State s;
            Dispatcher *d = dispatcherOf(engine);
            if (!d)
                return s;
            s.available = true;
            s.paused = d->isPaused();
            s.pending = d->pending();
            s.breakpoints = d->breakpoints();
            if (FunctionRunner *runner = engine.functionRunner())
                s.functions = runner->functionNames();
            s.functions.sort();
            return s;
        },
        [this](State s) {
            const bool wasAvailable = m_available;
            m_available = s.available;
            m_paused = s.paused;
            m_pending = std::move(s.pending);
            m_breakpoints = std::move(s.breakpoints);
            m_functions = std::move(s.functions);
            if (wasAvailable != m_available)
                emit availableChanged(m_available);
            emit changed();
        });
}

void StepperController::pause()
{
    m_host->post([](Engine &e) {
        if (Dispatcher *d = dispatcherOf(e))
            d->pause();
    });
    refresh();
}

void StepperController::resume()
{
    m_host->post([](Engine &e) {
        if (Dispatcher *d = dispatcherOf(e))
            d->resume();
    });
    refresh();
}

void StepperController::step()
{
    m_host->call<Result<QByteArray>>(
        this,
        [](Engine &e) -> Result<QByteArray> {
            Dispatcher *d = dispatcherOf(e);
            if (!d)
                return makeError(
                    QStringLiteral("Unavailable"), tr("no function runtime is running"));
            return d->step();
        },
        [this](Result<QByteArray> r) {
            if (!r)
                emit failed(r.error().message);
            refresh();
        });
}

void StepperController::deliver(const QByteArray &id, const QByteArray &payload)
{
    if (auto json = parseJson(payload); !json) {
        emit failed(tr("The event is not valid JSON: %1").arg(json.error().message));
        return;
    }
    m_host->call<Result<void>>(
        this,
        [id, payload](Engine &e) -> Result<void> {
            Dispatcher *d = dispatcherOf(e);
            if (!d)
                return makeError(
                    QStringLiteral("Unavailable"), tr("no function runtime is running"));
            return d->release(id, payload);
        },
        [this](Result<void> r) {
            if (!r)
                emit failed(r.error().message);
            refresh();
        });
}

void StepperController::drop(const QByteArray &id)
{
    m_host->call<Result<void>>(
        this,
        [id](Engine &e) -> Result<void> {
            Dispatcher *d = dispatcherOf(e);
            if (!d)
                return makeError(
                    QStringLiteral("Unavailable"), tr("no function runtime is running"));
            return d->drop(id);
        },
        [this](Result<void> r) {
            if (!r)
                emit failed(r.error().message);
            refresh();
        });
}

Result<JsonPredicate> StepperController::parseCondition(const QString &text)
{
    const QString t = text.trimmed();
    JsonPredicate p;
    struct Op
    {
        const char *token;
        JsonPredicate::Op op;
    };
    const Op ops[] = {{" == ", JsonPredicate::Op::Equals}, {" != ", JsonPredicate::Op::NotEquals},
        {" contains ", JsonPredicate::Op::Contains}};
    QString pathText = t;
    for (const Op &op : ops) {
        const qsizetype at = t.indexOf(QLatin1String(op.token));
        if (at < 0)
            continue;
        pathText = t.left(at).trimmed();
        const QString valueText = t.mid(at + qsizetype(qstrlen(op.token))).trimmed();
        if (valueText.isEmpty())
            return makeError(QStringLiteral("InvalidCondition"),
                tr("the condition has no value after the operator"));
        // A JSON value, or else the words as a string: $.Records[0].eventName == ObjectCreated:Put
        auto json = parseJson(valueText.toUtf8());
        p.value = json ? *json : Json(toStd(valueText));
        p.op = op.op;
        break;
    }
    auto path = JsonPath::parse(pathText);
    if (!path)
        return makeError(QStringLiteral("InvalidCondition"),
            tr("%1 is not a JSON path: %2").arg(pathText, path.error().message));
    p.path = std::move(*path);
    return p;
}

QString StepperController::conditionText(const Breakpoint &b)
{
    if (!b.predicate)
        return {};
    const JsonPredicate &p = *b.predicate;
    if (p.op == JsonPredicate::Op::Exists)
        return p.path.text();
    const QString op = p.op == JsonPredicate::Op::Equals ? QStringLiteral("==")
        : p.op == JsonPredicate::Op::NotEquals           ? QStringLiteral("!=")
                                                         : QStringLiteral("contains");
    return QStringLiteral("%1 %2 %3")
        .arg(p.path.text(), op, QString::fromUtf8(toJsonBytes(p.value)));
}

void StepperController::addBreakpoint(
    const QString &function, const QString &origin, const QString &condition)
{
    Breakpoint b;
    b.functionName = function.trimmed();
    b.origin = origin.trimmed();
    if (!condition.trimmed().isEmpty()) {
        auto p = parseCondition(condition);
        if (!p) {
            emit failed(p.error().message);
            return;
        }
        b.predicate = std::move(*p);
    }
    m_host->call<Result<Breakpoint>>(
        this,
        [b](Engine &e) -> Result<Breakpoint> {
            Dispatcher *d = dispatcherOf(e);
            if (!d)
                return makeError(
                    QStringLiteral("Unavailable"), tr("no function runtime is running"));
            return d->addBreakpoint(b);
        },
        [this](Result<Breakpoint> r) {
            if (!r)
                emit failed(r.error().message);
            refresh();
        });
}

void StepperController::removeBreakpoint(int id)
{
    m_host->post([id](Engine &e) {
        if (Dispatcher *d = dispatcherOf(e))
            (void)d->removeBreakpoint(id);
    });
    refresh();
}

bool StepperController::isClockFrozen() const
{
    return m_host->clock() && m_host->clock()->isFrozen();
}

qint64 StepperController::clockNowNs() const
{
    return m_host->clock() ? m_host->clock()->nowNs() : 0;
}

void StepperController::freezeClock()
{
    if (ControlledClock *c = m_host->clock())
        c->freeze();
    emit clockChanged();
}

void StepperController::resumeClock()
{
    if (ControlledClock *c = m_host->clock())
        c->resume();
    emit clockChanged();
}

void StepperController::advanceClock(qint64 ns)
{
    if (ControlledClock *c = m_host->clock())
        c->advanceNs(ns);
    emit clockChanged();
}

PendingModel::PendingModel(StepperController *stepper, QObject *parent)
    : QAbstractTableModel(parent)
    , m_stepper(stepper)
{
    connect(stepper, &StepperController::changed, this, &PendingModel::update);
    update();
}

void PendingModel::update()
{
    const QList<PendingDelivery> &next = m_stepper->pending();
    bool same = next.size() == m_rows.size();
    for (qsizetype i = 0; same && i < next.size(); ++i)
        same = next[i].id == m_rows[i].id && next[i].payload == m_rows[i].payload;
    if (same)
        return;
    beginResetModel();
    m_rows = next;
    endResetModel();
}

int PendingModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PendingModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PendingModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const PendingDelivery &p = m_rows[index.row()];
    if (role == IdRole)
        return p.id;
    if (role == PayloadRole)
        return p.payload;
    if (role == Qt::ToolTipRole && index.column() == PayloadColumn)
        return QString::fromUtf8(p.payload.left(2000));
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case FunctionColumn:
        return p.functionName;
    case OriginColumn:
        return QString(p.origin + (p.async ? tr(" (async)") : QString()));
    case SubmittedColumn:
        return format::clock(p.submittedNs, 3);
    case ReasonColumn:
        return p.breakpointId ? tr("breakpoint %1").arg(p.breakpointId) : tr("paused");
    case PayloadColumn:
        return QString::fromUtf8(p.payload.left(200)).simplified();
    }
    return {};
}

QVariant PendingModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case FunctionColumn:
        return tr("Function");
    case OriginColumn:
        return tr("Source");
    case SubmittedColumn:
        return tr("Submitted");
    case ReasonColumn:
        return tr("Held by");
    case PayloadColumn:
        return tr("Event");
    }
    return {};
}

int PendingModel::rowOf(const QByteArray &id) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == id)
            return int(i);
    }
    return -1;
}

} // namespace tarmac
