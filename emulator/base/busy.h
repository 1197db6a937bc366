#pragma once

#include <QString>

namespace tarmac {

// Work Tarmac has not finished: what POST /_tarmac/settle waits for and names when it times
// out. Each part that holds asynchronous work (the Dispatcher, the asynchronous queue, the
// event-source poller, a service's outbox, the clock's due timers) reports its own.
struct BusyItem
{
    // "delivery" (running), "held" (paused or at a breakpoint), "async" (an asynchronous
    // invocation queued or waiting for a retry), "queue" / "stream" (records a mapping will
    // deliver), "timer" (due on the clock), or a service's own ("outbox").
    QString kind;
    QString resource; // the function, queue, stream or endpoint it concerns
    QString id; // the delivery's, invocation's, mapping's or message's id
    qint64 sinceNs = 0; // since when (Clock time); 0: not known
    QString detail; // one line more ("breakpoint 2", "retry 1 at …"), or empty
};

} // namespace tarmac
