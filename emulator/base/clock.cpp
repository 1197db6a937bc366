#include "base/clock.h"

#include <QHash>
#include <QScopeGuard>
#include <QThread>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <pthread.h>

namespace tarmac {

namespace {

// The due time a callback run by a move of the clock sees as nowNs(), on its own thread: a
// queued callback runs after the clock has moved on, but should still see the time it was due.
struct TimerTime
{
    const Clock *clock = nullptr;
    qint64 ns = 0;
};

thread_local TimerTime t_timerTime;

// While one is alive, nowNs() of that clock reads `ns` on this thread.
class TimerTimeScope
{
public:
    TimerTimeScope(const Clock *clock, qint64 ns, bool active)
        : m_saved(t_timerTime)
    {
        if (active)
            t_timerTime = {clock, ns};
    }
    ~TimerTimeScope() { t_timerTime = m_saved; }
    Q_DISABLE_COPY_MOVE(TimerTimeScope)

private:
    TimerTime m_saved;
};

// How long the real-time thread sleeps at most before it reads the clock again: its sleep is
// measured on the monotonic clock, which the system clock can drift from (a suspended laptop,
// a corrected wall clock).
constexpr qint64 kLongestWaitNs = 60'000'000'000;

} // namespace

// The timers of one clock, shared with the callbacks queued to other threads and the context
// watchers, so that those outliving the clock find it closed rather than gone.
class ClockTimers : public std::enable_shared_from_this<ClockTimers>
{
public:
    using Key = std::pair<qint64, Clock::TimerId>; // due time, then scheduling order

    struct Timer
    {
        QObject *context = nullptr; // alive while the timer is in a map: its watch removes it
        std::function<void()> fn;
        QMetaObject::Connection watch; // the context's destroyed()
        // Run by a move of the clock: the time its callback sees (its due time, or the time
        // the move had reached when it was overdue). Fired by real time: none.
        std::optional<qint64> seenNs;
    };
    using Timers = std::map<Key, Timer>;

    explicit ClockTimers(Clock *clock)
        : m_clock(clock)
    { }

    Clock::TimerId add(qint64 dueNs, QObject *context, std::function<void()> fn);
    bool remove(Clock::TimerId id);
    int size() const;
    int dueBy(qint64 untilNs) const;
    void runDue(qint64 fromNs, qint64 untilNs, const std::function<void(qint64)> &moveTo);
    // The target of the move running timers now, or nullopt.
    std::optional<qint64> moveTarget() const
    {
        const qint64 t = m_moveTarget.load(std::memory_order_relaxed);
        return t == kNoMove ? std::nullopt : std::optional<qint64>(t);
    }
    void beginStep();
    void endStep();
    void changed();
    void close();

private:
    // With the lock held: whoever fires timers in the clock's present mode looks again.
    // `onlyIfSooner` (a timer was added) wakes the real-time thread only when the earliest
    // timer is now due before the time it sleeps until.
    void reconsider(std::unique_lock<std::mutex> &lock, bool onlyIfSooner = false);
    void queue(Timers::node_type node);
    void runQueued(Key limit);
    void kick();
    void wait();

    Clock *const m_clock;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    Timers m_waiting; // not yet taken by a move or the real-time thread
    Timers m_queued; // taken: queued to the context's thread, or about to run here
    QHash<Clock::TimerId, qint64> m_dueOf;
    Clock::TimerId m_lastId = 0;
    int m_steps = 0;
    static constexpr qint64 kNoMove = std::numeric_limits<qint64>::min();
    std::atomic<qint64> m_moveTarget {kNoMove};
    bool m_kickPosted = false;
    bool m_closed = false;
    std::thread m_waiter;
    // The clock time the real-time thread looks again at by itself; max while it waits for
    // a notification only. A timer due later needs no wake-up: a function's idle timer,
    // made again after every invocation, otherwise woke the thread for nothing.
    qint64 m_sleepsUntilNs = std::numeric_limits<qint64>::max();
};

Clock::TimerId ClockTimers::add(qint64 dueNs, QObject *context, std::function<void()> fn)
{
    Clock::TimerId id = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return 0;
        id = ++m_lastId;
    }
    // Connected outside the lock: the watch itself takes it when the context goes.
    QMetaObject::Connection watch
        = QObject::connect(context, &QObject::destroyed, [weak = weak_from_this(), id] {
              if (auto timers = weak.lock())
                  timers->remove(id);
          });
    std::unique_lock lock(m_mutex);
    if (m_closed) {
        lock.unlock();
        QObject::disconnect(watch);
        return 0;
    }
    m_waiting.emplace(Key {dueNs, id}, Timer {context, std::move(fn), watch, std::nullopt});
    m_dueOf.insert(id, dueNs);
    reconsider(lock, true);
    return id;
}

bool ClockTimers::remove(Clock::TimerId id)
{
    QMetaObject::Connection watch;
    {
        std::lock_guard lock(m_mutex);
        const auto due = m_dueOf.constFind(id);
        if (due == m_dueOf.cend())
            return false;
        const Key key {*due, id};
        m_dueOf.erase(due);
        auto node = m_waiting.extract(key);
        if (node.empty())
            node = m_queued.extract(key);
        if (!node.empty())
            watch = node.mapped().watch;
    }
    QObject::disconnect(watch);
    return true;
}

int ClockTimers::size() const
{
    std::lock_guard lock(m_mutex);
    return int(m_waiting.size() + m_queued.size());
}

int ClockTimers::dueBy(qint64 untilNs) const
{
    std::lock_guard lock(m_mutex);
    int due = int(m_queued.size());
    for (auto it = m_waiting.begin(); it != m_waiting.end() && it->first.first <= untilNs; ++it)
        ++due;
    return due;
}

// Under the lock, which is what keeps the context alive: its watch needs the lock to remove
// the timer, and the context's posted events are discarded only after destroyed().
void ClockTimers::queue(Timers::node_type node)
{
    QObject *context = node.mapped().context;
    const Key key = node.key();
    m_queued.insert(std::move(node));
    QMetaObject::invokeMethod(
        context,
        [weak = weak_from_this(), key] {
            if (auto timers = weak.lock())
                timers->runQueued(key);
        },
        Qt::QueuedConnection);
}

// Runs, in order, the queued timers of this thread up to `limit`: a timer queued before one
// that a move of the clock runs directly on this thread still runs first.
void ClockTimers::runQueued(Key limit)
{
    QThread *const here = QThread::currentThread();
    for (;;) {
        Timer timer;
        Key key;
        {
            std::lock_guard lock(m_mutex);
            auto it = m_queued.begin();
            while (
                it != m_queued.end() && it->first <= limit && it->second.context->thread() != here)
                ++it;
            if (it == m_queued.end() || it->first > limit)
                return;
            key = it->first;
            timer = std::move(it->second);
            m_queued.erase(it);
            m_dueOf.remove(key.second);
        }
        QObject::disconnect(timer.watch);
        TimerTimeScope scope(m_clock, timer.seenNs.value_or(0), timer.seenNs.has_value());
        timer.fn();
    }
}

void ClockTimers::runDue(qint64 fromNs, qint64 untilNs, const std::function<void(qint64)> &moveTo)
{
    // A callback that moves the clock sees the moved clock from then on, not its due time.
    if (t_timerTime.clock == m_clock)
        t_timerTime.clock = nullptr;
    QThread *const here = QThread::currentThread();
    qint64 reached = fromNs;
    // Nested moves (a callback that moves the clock) go further, never back.
    const qint64 outerTarget = m_moveTarget.load();
    m_moveTarget.store(std::max(outerTarget, untilNs));
    const auto restore = qScopeGuard([&] { m_moveTarget.store(outerTarget); });
    for (;;) {
        std::unique_lock lock(m_mutex);
        if (m_closed || m_waiting.empty() || m_waiting.begin()->first.first > untilNs)
            return;
        auto node = m_waiting.extract(m_waiting.begin());
        const Key key = node.key();
        // Time does not run backwards within a move: a timer that was overdue (held, or
        // scheduled in the past) runs at the time the move has reached.
        reached = qMax(key.first, reached);
        node.mapped().seenNs = reached;
        if (node.mapped().context->thread() == here) {
            m_queued.insert(std::move(node));
            lock.unlock();
            if (moveTo)
                moveTo(key.first);
            runQueued(key);
        } else {
            queue(std::move(node));
            lock.unlock();
            if (moveTo)
                moveTo(key.first);
        }
    }
}

void ClockTimers::beginStep()
{
    std::lock_guard lock(m_mutex);
    ++m_steps;
}

void ClockTimers::endStep()
{
    std::unique_lock lock(m_mutex);
    --m_steps;
    // Callbacks on other threads may have scheduled timers that are already due.
    reconsider(lock);
}

void ClockTimers::changed()
{
    std::unique_lock lock(m_mutex);
    reconsider(lock);
}

void ClockTimers::reconsider(std::unique_lock<std::mutex> &lock, bool onlyIfSooner)
{
    Q_UNUSED(lock);
    if (m_closed || m_steps > 0)
        return; // the step looks again when it ends
    switch (m_clock->timerMode()) {
    case Clock::TimerMode::RealTime:
        if (m_waiting.empty())
            return;
        if (!m_waiter.joinable())
            m_waiter = std::thread([this] { wait(); });
        else if (!onlyIfSooner || m_waiting.begin()->first.first < m_sleepsUntilNs)
            m_wake.notify_one();
        return;
    case Clock::TimerMode::Stepped:
        if (m_kickPosted || m_waiting.empty()
            || m_waiting.begin()->first.first > m_clock->currentNs())
            return;
        m_kickPosted = true;
        QMetaObject::invokeMethod(
            m_clock,
            [weak = weak_from_this()] {
                if (auto timers = weak.lock())
                    timers->kick();
            },
            Qt::QueuedConnection);
        return;
    case Clock::TimerMode::Held:
        m_wake.notify_one(); // the real-time thread, if any, stops waiting for a time
        return;
    }
}

// A stepped clock's timer that was scheduled already due: run from the clock's thread, as a
// move that does not move.
void ClockTimers::kick()
{
    {
        std::lock_guard lock(m_mutex);
        m_kickPosted = false;
    }
    beginStep();
    const qint64 now = m_clock->currentNs();
    runDue(now, now, {});
    endStep();
}

// The real-time thread: sleeps until the earliest due time, queues what is due, and sleeps
// again; idle while a step runs (it fires in order itself) or while timers are held.
void ClockTimers::wait()
{
    pthread_setname_np(pthread_self(), "tarmac-clock");
    std::unique_lock lock(m_mutex);
    while (!m_closed) {
        if (m_steps > 0 || m_clock->timerMode() != Clock::TimerMode::RealTime) {
            m_sleepsUntilNs = std::numeric_limits<qint64>::max();
            m_wake.wait(lock);
            continue;
        }
        const qint64 now = m_clock->currentNs();
        const qint64 due
            = m_waiting.empty() ? now + kLongestWaitNs : m_waiting.begin()->first.first;
        if (due > now) {
            const qint64 waitNs = qMin(due - now, kLongestWaitNs);
            m_sleepsUntilNs = now + waitNs;
            m_wake.wait_for(lock, std::chrono::nanoseconds(waitNs));
            continue;
        }
        while (!m_waiting.empty() && m_waiting.begin()->first.first <= now)
            queue(m_waiting.extract(m_waiting.begin()));
    }
}

void ClockTimers::close()
{
    QList<QMetaObject::Connection> watches;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return;
        m_closed = true;
        for (const Timers *timers : {&m_waiting, &m_queued}) {
            for (const auto &[key, timer] : *timers)
                watches.append(timer.watch);
        }
        m_waiting.clear();
        m_queued.clear();
        m_dueOf.clear();
    }
    m_wake.notify_one();
    if (m_waiter.joinable())
        m_waiter.join();
    for (const auto &watch : std::as_const(watches))
        QObject::disconnect(watch);
}

Clock::Clock(QObject *parent)
    : QObject(parent)
    , m_timers(std::make_shared<ClockTimers>(this))
{ }

Clock::~Clock()
{
    stopTimers();
}

qint64 Clock::nowNs() const
{
    if (t_timerTime.clock == this)
        return t_timerTime.ns;
    return currentNs();
}

QDateTime Clock::now() const
{
    return QDateTime::fromMSecsSinceEpoch(nowMs(), Qt::UTC);
}

Clock::TimerId Clock::scheduleAt(qint64 dueNs, QObject *context, std::function<void()> fn) const
{
    Q_ASSERT(context && fn);
    if (!context || !fn)
        return 0;
    return m_timers->add(dueNs, context, std::move(fn));
}

bool Clock::cancel(TimerId id) const
{
    return id != 0 && m_timers->remove(id);
}

int Clock::pendingTimers() const
{
    return m_timers->size();
}

int Clock::dueTimers(qint64 untilNs) const
{
    return m_timers->dueBy(untilNs);
}

qint64 Clock::moveTargetNs() const
{
    return m_timers->moveTarget().value_or(nowNs());
}

void Clock::timersChanged() const
{
    m_timers->changed();
}

void Clock::stopTimers()
{
    m_timers->close();
}

Clock::TimerStep::TimerStep(const Clock *clock)
    : m_clock(clock)
    , m_fromNs(clock->currentNs())
{
    m_clock->m_timers->beginStep();
}

Clock::TimerStep::~TimerStep()
{
    m_clock->m_timers->endStep();
}

void Clock::TimerStep::runDue(qint64 untilNs, const std::function<void(qint64)> &moveTo)
{
    m_clock->m_timers->runDue(m_fromNs, untilNs, moveTo);
}

SystemClock::~SystemClock()
{
    stopTimers();
}

qint64 SystemClock::currentNs() const
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

qint64 SystemClock::monotonicNs() const
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

ManualClock::ManualClock(qint64 startNs, QObject *parent)
    : Clock(parent)
    , m_now(startNs)
{ }

ManualClock::~ManualClock()
{
    stopTimers();
}

void ManualClock::raiseTo(qint64 ns)
{
    qint64 now = m_now.load(std::memory_order_relaxed);
    while (now < ns && !m_now.compare_exchange_weak(now, ns, std::memory_order_relaxed)) { }
}

void ManualClock::moveTo(qint64 ns)
{
    {
        QMutexLocker moving(&m_moving);
        if (ns < currentNs()) {
            m_now.store(ns, std::memory_order_relaxed);
        } else {
            TimerStep step(this);
            step.runDue(ns, [this](qint64 due) { raiseTo(due); });
            // Raised, not set: a callback may have moved the clock further.
            raiseTo(ns);
        }
    }
    emit jumped();
}

void ManualClock::setNowNs(qint64 ns)
{
    moveTo(ns);
}

void ManualClock::advanceNs(qint64 ns)
{
    QMutexLocker moving(&m_moving);
    moveTo(currentNs() + ns);
}

} // namespace tarmac
