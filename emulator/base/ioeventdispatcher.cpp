#include "base/ioeventdispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace tarmac {

namespace {

// epoll_event::data of the wake-up descriptor; a watched one's is (serial << 32) | fd, and
// serials start at 1.
constexpr std::uint64_t kWakeData = ~std::uint64_t(0);
constexpr std::uint64_t kTimerData = ~std::uint64_t(1);
constexpr int kReadyPerWait = 64;
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

} // namespace

IoEventDispatcher::IoEventDispatcher()
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m_timerFd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (m_epoll < 0 || m_wakeFd < 0 || m_timerFd < 0)
        qFatal("tarmac: cannot create an I/O thread's epoll set: %s", std::strerror(errno));
    for (const auto &[fd, data] :
        {std::pair(m_wakeFd, kWakeData), std::pair(m_timerFd, kTimerData)}) {
        epoll_event event {};
        event.events = EPOLLIN;
        event.data.u64 = data;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0)
            qFatal(
                "tarmac: cannot watch an I/O thread's own descriptors: %s", std::strerror(errno));
    }
}

IoEventDispatcher::~IoEventDispatcher()
{
    ::close(m_timerFd);
    ::close(m_wakeFd);
    ::close(m_epoll);
}

IoEventDispatcher *IoEventDispatcher::current()
{
    return qobject_cast<IoEventDispatcher *>(QAbstractEventDispatcher::instance());
}

// CLOCK_MONOTONIC, the timer descriptor's clock.
qint64 IoEventDispatcher::nowNs()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

IoEventDispatcher::Fd &IoEventDispatcher::slot(int fd)
{
    if (size_t(fd) >= m_fds.size())
        m_fds.resize(qMax(size_t(fd) + 1, m_fds.size() * 2));
    return m_fds[size_t(fd)];
}

void IoEventDispatcher::watch(int fd, Watcher *watcher, bool read, bool write)
{
    if (fd < 0)
        return;
    Fd &f = slot(fd);
    f.watcher = (read || write) ? watcher : nullptr;
    f.watchRead = read;
    f.watchWrite = write;
    update(fd);
}

// Brings epoll's entry for `fd` in line with what its watcher and notifiers want.
void IoEventDispatcher::update(int fd)
{
    Fd &f = m_fds[size_t(fd)];
    std::uint32_t wanted = 0;
    if (f.watchRead || f.notifiers[QSocketNotifier::Read])
        wanted |= EPOLLIN | EPOLLRDHUP;
    if (f.watchWrite || f.notifiers[QSocketNotifier::Write])
        wanted |= EPOLLOUT;
    if (f.notifiers[QSocketNotifier::Exception])
        wanted |= EPOLLPRI;
    if (wanted == f.events)
        return;
    if (wanted == 0) {
        // Out of the set rather than in it with no interest: epoll reports a hang-up whatever
        // the mask, and a closed stream nobody reads would wake every wait. A descriptor
        // already closed left the set by itself.
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        f.events = 0;
        return;
    }
    const bool adding = f.events == 0;
    if (adding) {
        f.serial = m_nextSerial++;
        if (m_nextSerial == 0)
            m_nextSerial = 1;
    }
    epoll_event event {};
    event.events = wanted;
    event.data.u64 = (std::uint64_t(f.serial) << 32) | std::uint32_t(fd);
    if (::epoll_ctl(m_epoll, adding ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0) {
        qWarning("tarmac: cannot watch descriptor %d: %s", fd, std::strerror(errno));
        f.events = 0;
        return;
    }
    f.events = wanted;
}

void IoEventDispatcher::dispatch(std::uint64_t data, std::uint32_t events)
{
    const int fd = int(std::uint32_t(data));
    const auto serial = std::uint32_t(data >> 32);
    // Each callback may change the table (a descriptor closed, another watched, the vector
    // grown): look again before each.
    const auto current = [&]() -> Fd * {
        if (size_t(fd) >= m_fds.size())
            return nullptr;
        Fd &f = m_fds[size_t(fd)];
        return f.serial == serial && f.events != 0 ? &f : nullptr;
    };
    Fd *f = current();
    if (!f)
        return;
    if (f->watcher)
        f->watcher->fdReady(events);
    static constexpr std::pair<QSocketNotifier::Type, std::uint32_t> kNotifierEvents[] = {
        {QSocketNotifier::Read, kReadEvents},
        {QSocketNotifier::Write, kWriteEvents},
        {QSocketNotifier::Exception, EPOLLPRI},
    };
    for (const auto &[type, mask] : kNotifierEvents) {
        f = current();
        if (!f)
            return;
        QSocketNotifier *notifier = f->notifiers[type];
        if (!notifier || (events & mask) == 0)
            continue;
        QEvent activation(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &activation);
    }
}

bool IoEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupt.store(false, std::memory_order_relaxed);
    emit awake();
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // Something posted meanwhile (or an interrupt) has already written the wake-up
    // descriptor: the wait below returns at once, and the next pass sends it.
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents)
        && !m_interrupt.load(std::memory_order_relaxed)
        && !m_wakePending.load(std::memory_order_acquire);
    if (canWait)
        emit aboutToBlock();
    if (m_interrupt.load(std::memory_order_relaxed))
        return false;

    const int timeout = !canWait ? 0 : includeTimers ? waitTimeout() : -1;
    epoll_event ready[kReadyPerWait];
    const int n = ::epoll_wait(m_epoll, ready, kReadyPerWait, timeout);
    if (n < 0 && errno != EINTR)
        qWarning("tarmac: epoll_wait failed: %s", std::strerror(errno));
    int handled = 0;
    for (int i = 0; i < n; ++i) {
        if (ready[i].data.u64 == kWakeData) {
            // Cleared before the descriptor is read: a wake after the read writes it again.
            m_wakePending.store(false, std::memory_order_release);
            eventfd_t count;
            ::eventfd_read(m_wakeFd, &count);
            ++handled;
            continue;
        }
        if (ready[i].data.u64 == kTimerData) {
            std::uint64_t expirations;
            (void)!::read(m_timerFd, &expirations, sizeof expirations);
            continue; // the timers below say what was due
        }
        if (includeNotifiers) {
            dispatch(ready[i].data.u64, ready[i].events);
            ++handled;
        }
    }
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

int IoEventDispatcher::waitTimeout()
{
    if (m_due.empty())
        return -1; // an armed descriptor may wake the thread once for nothing
    const qint64 due = m_due.begin()->first;
    if (due <= nowNs())
        return 0;
    armTimerFd(due);
    return -1;
}

void IoEventDispatcher::armTimerFd(qint64 dueNs)
{
    if (dueNs == m_armedNs)
        return;
    itimerspec when {};
    when.it_value.tv_sec = time_t(dueNs / 1'000'000'000);
    when.it_value.tv_nsec = long(dueNs % 1'000'000'000);
    if (::timerfd_settime(m_timerFd, TFD_TIMER_ABSTIME, &when, nullptr) != 0) {
        qWarning("tarmac: cannot arm an I/O thread's timer: %s", std::strerror(errno));
        return;
    }
    m_armedNs = dueNs;
}

int IoEventDispatcher::activateTimers()
{
    if (m_due.empty())
        return 0;
    const qint64 now = nowNs();
    if (m_due.begin()->first > now)
        return 0;
    // The timers due now, each fired once in this pass even when its interval is shorter
    // than the pass (or zero); each looked up again, as an earlier one may have stopped it.
    std::vector<int> due;
    for (auto it = m_due.begin(); it != m_due.end() && it->first <= now; ++it)
        due.push_back(it->second);
    int fired = 0;
    for (const int id : due) {
        auto found = m_timers.find(id);
        if (found == m_timers.end() || found->second.firing || found->second.dueNs > now)
            continue;
        Timer &t = found->second;
        m_due.erase({t.dueNs, id});
        const qint64 interval = t.intervalMs * 1'000'000;
        t.dueNs = t.dueNs + interval > now ? t.dueNs + interval : now + interval;
        m_due.emplace(t.dueNs, id);
        t.firing = true; // not again while its handler runs (a nested event loop)
        QObject *object = t.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        if (auto again = m_timers.find(id); again != m_timers.end())
            again->second.firing = false;
        ++fired;
    }
    return fired;
}

void IoEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    if (fd < 0)
        return;
    Fd &f = slot(fd);
    QSocketNotifier *&held = f.notifiers[notifier->type()];
    if (held && held != notifier)
        qWarning("tarmac: a second socket notifier of the same type for descriptor %d", fd);
    held = notifier;
    update(fd);
}

void IoEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    if (fd < 0 || size_t(fd) >= m_fds.size())
        return;
    QSocketNotifier *&held = m_fds[size_t(fd)].notifiers[notifier->type()];
    if (held != notifier)
        return;
    held = nullptr;
    update(fd);
}

void IoEventDispatcher::registerTimer(
    int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    unregisterTimer(timerId);
    const qint64 due = nowNs() + qMax<qint64>(interval, 0) * 1'000'000;
    m_timers.emplace(timerId, Timer {qMax<qint64>(interval, 0), timerType, object, due});
    m_due.emplace(due, timerId);
}

bool IoEventDispatcher::unregisterTimer(int timerId)
{
    const auto found = m_timers.find(timerId);
    if (found == m_timers.end())
        return false;
    m_due.erase({found->second.dueNs, timerId});
    m_timers.erase(found);
    return true;
}

bool IoEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object != object) {
            ++it;
            continue;
        }
        m_due.erase({it->second.dueNs, it->first});
        it = m_timers.erase(it);
        any = true;
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> IoEventDispatcher::registeredTimers(
    QObject *object) const
{
    QList<TimerInfo> list;
    for (const auto &[id, t] : m_timers) {
        if (t.object == object)
            list.append(TimerInfo(id, int(t.intervalMs), t.type));
    }
    return list;
}

int IoEventDispatcher::remainingTime(int timerId)
{
    const auto found = m_timers.find(timerId);
    if (found == m_timers.end())
        return -1;
    const qint64 left = found->second.dueNs - nowNs();
    return left <= 0 ? 0 : int(qMin<qint64>((left + 999'999) / 1'000'000, INT_MAX));
}

void IoEventDispatcher::wakeUp()
{
    // One write until the loop reads it: posting many events costs one system call.
    if (!m_wakePending.exchange(true, std::memory_order_acq_rel))
        ::eventfd_write(m_wakeFd, 1);
}

void IoEventDispatcher::interrupt()
{
    m_interrupt.store(true, std::memory_order_relaxed);
    wakeUp(); // a loop that cleared the flag at its start still returns from its wait
}

FdWatch::FdWatch(
    int fd, QObject *context, std::function<void()> onReadable, std::function<void()> onWritable)
    : m_fd(fd)
    , m_dispatcher(IoEventDispatcher::current())
    , m_onReadable(std::move(onReadable))
    , m_onWritable(std::move(onWritable))
{
    if (m_dispatcher)
        return;
    m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, context);
    m_readNotifier->setEnabled(false);
    QObject::connect(
        m_readNotifier, &QSocketNotifier::activated, context, [this] { m_onReadable(); });
    m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, context);
    m_writeNotifier->setEnabled(false);
    QObject::connect(
        m_writeNotifier, &QSocketNotifier::activated, context, [this] { m_onWritable(); });
}

FdWatch::~FdWatch()
{
    if (m_stopped)
        return;
    if (m_dispatcher)
        m_dispatcher->unwatch(m_fd);
    delete m_readNotifier;
    delete m_writeNotifier;
}

void FdWatch::setReadEnabled(bool enabled)
{
    if (m_stopped || m_read == enabled)
        return;
    m_read = enabled;
    apply();
}

void FdWatch::setWriteEnabled(bool enabled)
{
    if (m_stopped || m_write == enabled)
        return;
    m_write = enabled;
    apply();
}

void FdWatch::apply()
{
    if (m_dispatcher) {
        m_dispatcher->watch(m_fd, this, m_read, m_write);
        return;
    }
    m_readNotifier->setEnabled(m_read);
    m_writeNotifier->setEnabled(m_write);
}

void FdWatch::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_read = false;
    m_write = false;
    if (m_dispatcher) {
        m_dispatcher->unwatch(m_fd);
        return;
    }
    // Deleted later, as this may run inside their signal.
    for (QSocketNotifier *notifier : {m_readNotifier, m_writeNotifier}) {
        notifier->setEnabled(false);
        notifier->deleteLater();
    }
    m_readNotifier = nullptr;
    m_writeNotifier = nullptr;
}

void FdWatch::fdReady(std::uint32_t events)
{
    if (m_read && (events & kReadEvents))
        m_onReadable();
    // The read may have closed the connection, or stopped waiting for output.
    if (m_write && (events & kWriteEvents))
        m_onWritable();
}

} // namespace tarmac
