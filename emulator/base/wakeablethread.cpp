#include "base/wakeablethread.h"

#include <pthread.h>

namespace tarmac {

WakeableThread::WakeableThread(
    const char *name, std::function<void()> work, std::chrono::milliseconds gather)
    : m_name(name)
    , m_work(std::move(work))
    , m_gather(gather)
    , m_thread([this] { loop(); })
{ }

WakeableThread::~WakeableThread()
{
    stop();
}

void WakeableThread::wake()
{
    signal(false);
}

void WakeableThread::hurry()
{
    signal(true);
}

void WakeableThread::signal(bool hurry)
{
    {
        std::lock_guard lock(m_mutex);
        // Already wanted: the thread is on its way, or will look again after its run.
        if (m_wanted && (!hurry || m_hurry))
            return;
        m_wanted = true;
        m_hurry = m_hurry || hurry;
    }
    m_wake.notify_one();
}

void WakeableThread::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable())
        m_thread.join();
}

void WakeableThread::loop()
{
    pthread_setname_np(pthread_self(), m_name);
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_wanted || m_stopping; });
        if (m_stopping)
            return;
        if (m_gather.count() > 0)
            m_wake.wait_for(lock, m_gather, [this] { return m_hurry || m_stopping; });
        m_wanted = false;
        m_hurry = false;
        lock.unlock();
        m_work();
        lock.lock();
    }
}

} // namespace tarmac
