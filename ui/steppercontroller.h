#pragma once

#include "engine/dispatcher.h"

#include <QAbstractTableModel>
#include <QObject>
#include <QTimer>

namespace tarmac {

class EngineHost;

// The GUI's side of the Dispatcher: whether delivery is paused, which deliveries wait, and
// the breakpoints, kept current from the Dispatcher's signals, and the commands the stepper
// sends (pause, step, resume, deliver a pending event as edited, drop it, add or remove a
// breakpoint) plus the clock controls. Every call runs on the engine's thread through
// EngineHost; nothing here touches the store.
//
// Unavailable (isAvailable() false) while no engine runs or the build has no function
// runtime; commands then do nothing.
class StepperController : public QObject
{
    Q_OBJECT
public:
    explicit StepperController(EngineHost *host, QObject *parent = nullptr);

    bool isAvailable() const { return m_available; }
    bool isPaused() const { return m_paused; }
    const QList<PendingDelivery> &pending() const { return m_pending; }
    const QList<Breakpoint> &breakpoints() const { return m_breakpoints; }
    const QStringList &functionNames() const { return m_functions; }

    void pause();
    void resume();
    void step();
    // Delivers one pending delivery with `payload` in place of its own (checked to be JSON).
    void deliver(const QByteArray &id, const QByteArray &payload);
    void drop(const QByteArray &id);
    // Empty function or origin: any. The condition is "$.path", "$.path == value",
    // "$.path != value" or "$.path contains value" (value: JSON, or a bare word as a string).
    void addBreakpoint(const QString &function, const QString &origin, const QString &condition);
    void removeBreakpoint(int id);

    static Result<JsonPredicate> parseCondition(const QString &text);
    static QString conditionText(const Breakpoint &breakpoint);

    // Clock controls (the engine's ControlledClock).
    bool isClockFrozen() const;
    qint64 clockNowNs() const;
    void freezeClock();
    void resumeClock();
    void advanceClock(qint64 ns);

    // Re-reads everything from the Dispatcher (coalesced).
    void refresh();

signals:
    void changed();
    void availableChanged(bool available);
    void clockChanged();
    void failed(const QString &message);
    void deliveryFinished(const QByteArray &id, const QString &status);

private:
    void attach();
    void detach();
    void fetch();

    EngineHost *m_host;
    bool m_available = false;
    bool m_paused = false;
    QList<PendingDelivery> m_pending;
    QList<Breakpoint> m_breakpoints;
    QStringList m_functions;
    QTimer m_refresh;
};

// The pending deliveries as a table: function, source, when it was submitted, why it is
// held, and the start of its payload.
class PendingModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        FunctionColumn,
        OriginColumn,
        SubmittedColumn,
        ReasonColumn,
        PayloadColumn,
        ColumnCount
    };
    enum Role { IdRole = Qt::UserRole + 1, PayloadRole };

    explicit PendingModel(StepperController *stepper, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    int rowOf(const QByteArray &id) const;

private:
    void update();

    StepperController *m_stepper;
    QList<PendingDelivery> m_rows;
};

} // namespace tarmac
