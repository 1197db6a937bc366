#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tarmac {

// A named thread that runs `work` whenever it is woken, for background jobs that batch what
// piles up (the WAL checkpointer, S3's indexer). Wakes that arrive while it waits or works
// coalesce into one more run. With a `gather` delay, a wake() lets the thread wait that long
// before it runs, so more work joins the run; hurry() ends that wait at once. The destructor
// (or stop()) lets a run in progress finish, runs nothing more, and joins.
class WakeableThread
{
public:
    WakeableThread(const char *name, std::function<void()> work,
        std::chrono::milliseconds gather = std::chrono::milliseconds(0));
    ~WakeableThread();
    WakeableThread(const WakeableThread &) = delete;
    WakeableThread &operator=(const WakeableThread &) = delete;

    void wake();
    void hurry(); // wake, and skip the gather delay
    void stop();

private:
    void loop();
    void signal(bool hurry);

    const char *m_name; // at most 15 characters (the kernel's limit)
    std::function<void()> m_work;
    std::chrono::milliseconds m_gather;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_wanted = false;
    bool m_hurry = false;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace tarmac
