#include "base/terminationsignals.h"

#include <QObject>
#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace tarmac {

namespace {

int g_pipe[2] = {-1, -1};

void onSignal(int sig)
{
    const char c = char(sig);
    [[maybe_unused]] auto n = ::write(g_pipe[1], &c, 1);
}

} // namespace

void onTerminationSignals(QObject *context, std::function<void(int count)> handler)
{
    if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    auto *notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, context);
    auto count = std::make_shared<int>(0);
    QObject::connect(
        notifier, &QSocketNotifier::activated, context, [handler = std::move(handler), count] {
            char c;
            int received = 0;
            while (::read(g_pipe[0], &c, 1) == 1)
                ++received;
            for (int i = 0; i < received; ++i)
                handler(++*count);
        });
}

} // namespace tarmac
