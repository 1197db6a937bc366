#pragma once

#include <QAbstractEventDispatcher>

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

class QSocketNotifier;

namespace tarmac {

// The event dispatcher of the front door's I/O threads: one epoll set. Qt's timers, posted
// events and socket notifiers work on it as on any thread; a descriptor can also be watched
// by a plain callback (FdWatch), which is what a connection does. Qt's own dispatcher polls
// every watched descriptor at each wait and reports readiness as an event to a notifier,
// which emits a signal to its slot: at a client's pace, a sixth of a small request's CPU on
// its I/O thread went there.
//
// Timers fire no earlier than they are due, whatever their type. The earliest of them arms a
// timer descriptor in the set, rearmed only when the earliest changes: a wait with a timeout
// would set and cancel a kernel timer each time the thread sleeps.
class IoEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    // Told which of EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLRDHUP are set.
    class Watcher
    {
    public:
        virtual void fdReady(std::uint32_t events) = 0;

    protected:
        ~Watcher() = default;
    };

    IoEventDispatcher();
    ~IoEventDispatcher() override;

    // The calling thread's dispatcher, when it is one of these; otherwise null.
    static IoEventDispatcher *current();

    // Watches `fd` for reading and/or writing (level-triggered), on this thread; with neither,
    // forgets it. A hang-up or an error is reported while either is watched. A watcher must
    // unwatch before its descriptor closes.
    void watch(int fd, Watcher *watcher, bool read, bool write);
    void unwatch(int fd) { watch(fd, nullptr, false, false); }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    void registerTimer(
        int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

private:
    struct Fd
    {
        Watcher *watcher = nullptr;
        bool watchRead = false;
        bool watchWrite = false;
        QSocketNotifier *notifiers[3] = {}; // Read, Write, Exception
        std::uint32_t events = 0; // what epoll has for it; 0 when it is not in the set
        std::uint32_t serial = 0; // of its entry in the set: stale readiness is dropped
    };
    struct Timer
    {
        qint64 intervalMs;
        Qt::TimerType type;
        QObject *object;
        qint64 dueNs;
        bool firing = false;
    };

    Fd &slot(int fd);
    void update(int fd);
    void dispatch(std::uint64_t data, std::uint32_t events);
    int activateTimers();
    int waitTimeout(); // 0 when a timer is due; otherwise -1, the timer descriptor armed for it
    void armTimerFd(qint64 dueNs);
    static qint64 nowNs();

    int m_epoll = -1;
    int m_wakeFd = -1;
    int m_timerFd = -1; // armed for the earliest timer: the wait itself has no timeout
    qint64 m_armedNs = 0; // what m_timerFd is armed for; 0 when disarmed
    std::atomic<bool> m_wakePending {false};
    std::atomic<bool> m_interrupt {false};
    std::vector<Fd> m_fds; // by descriptor
    std::uint32_t m_nextSerial = 1;
    std::unordered_map<int, Timer> m_timers;
    std::set<std::pair<qint64, int>> m_due; // (due, id): the timers in firing order
};

// One descriptor's readiness, called back on the current thread: straight from the
// dispatcher when the thread runs an IoEventDispatcher, through QSocketNotifiers otherwise.
// Both callbacks may be called after a hang-up or an error; each must cope with EAGAIN.
class FdWatch final : private IoEventDispatcher::Watcher
{
public:
    FdWatch(int fd, QObject *context, std::function<void()> onReadable,
        std::function<void()> onWritable);
    ~FdWatch();
    FdWatch(const FdWatch &) = delete;
    FdWatch &operator=(const FdWatch &) = delete;

    void setReadEnabled(bool enabled);
    void setWriteEnabled(bool enabled);
    bool isReadEnabled() const { return m_read; }
    bool isWriteEnabled() const { return m_write; }
    // Stops watching for good: before the descriptor closes. Safe inside a callback.
    void stop();

private:
    void fdReady(std::uint32_t events) override;
    void apply();

    int m_fd;
    IoEventDispatcher *m_dispatcher;
    std::function<void()> m_onReadable;
    std::function<void()> m_onWritable;
    QSocketNotifier *m_readNotifier = nullptr; // without an IoEventDispatcher
    QSocketNotifier *m_writeNotifier = nullptr;
    bool m_read = false;
    bool m_write = false;
    bool m_stopped = false;
};

} // namespace tarmac
