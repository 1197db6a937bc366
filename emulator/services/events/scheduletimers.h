#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace tarmac {

class Clock;
class Tracer;

// One chained timer per schedule on the engine's clock: each tick arms the next, so a frozen
// clock holds them, an advance fires every tick it passes in order (each seeing its own due
// time), and the real clock fires them as they fall due. What is due comes from the model
// (`next`); what a tick does is `fire`, given the tick's due time and its trace: a span named
// for the schedule that parents every delivery the tick makes.
//
// A jump of the clock runs at most kMaxTicksPerMove ticks of one schedule; the ticks after
// those, up to where the jump goes, are skipped and the skip is logged (a per-minute rule and
// a clock advanced by ten years would otherwise make five million deliveries). Missed ticks
// while Tarmac was not running are not made up for, as on AWS. Lives on the engine's thread.
class ScheduleTimers : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxTicksPerMove = 10'000;
    // Ticks of one jump the terminal shows a line for.
    static constexpr int kTicksShownPerMove = 20;

    struct Hooks
    {
        QString service; // "events" or "scheduler": the span's service
        // The first due time strictly after `afterNs`, or none (disabled, gone, finished).
        std::function<std::optional<qint64>(const QString &key, qint64 afterNs)> next;
        // A display name for spans and log lines ("rule nightly").
        std::function<QString(const QString &key)> label;
        std::function<void(
            const QString &key, qint64 dueNs, const QByteArray &traceId, const QByteArray &spanId)>
            fire;
    };

    ScheduleTimers(const Clock *clock, Tracer *tracer, Hooks hooks, QObject *parent = nullptr);
    ~ScheduleTimers() override;

    // Looks at a schedule again (created, changed, deleted): its timer goes to its next due
    // time after now (or after its last tick, if that was later). Engine thread.
    void rearm(const QString &key);
    // rearm() for any thread: what the models call when a schedule changes (queued to this
    // object's thread; nothing once it is gone).
    std::function<void(const QString &key)> rearmLater();
    // Fires a schedule now, outside its timetable ("fire now"), its timer untouched.
    void fireNow(const QString &key);
    // When it fires next, if armed.
    std::optional<qint64> nextDue(const QString &key) const;
    // Cancels every timer and forgets every schedule's last tick, and keeps taking rearm():
    // the schedules were replaced underneath (a reset, a snapshot restored), and the module
    // re-arms the ones there are now.
    void resetAll();
    void stop();

private:
    struct Slot
    {
        quint64 timer = 0;
        qint64 dueNs = 0;
        qint64 lastFiredNs = std::numeric_limits<qint64>::min();
        qint64 moveTarget = 0; // the jump the ticks below were counted in
        int ticksInMove = 0;
    };
    void tick(const QString &key, qint64 dueNs);
    void arm(const QString &key, Slot &slot, qint64 afterNs);
    // `ordinal`: how many ticks of this schedule the same jump of the clock fired before (-1:
    // fired by hand).
    void fire(const QString &key, qint64 dueNs, int ordinal);

    const Clock *m_clock;
    Tracer *m_tracer;
    Hooks m_hooks;
    QHash<QString, Slot> m_slots;
    bool m_stopped = false;
};

} // namespace tarmac
