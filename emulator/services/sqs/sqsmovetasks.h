#pragma once

#include "base/clock.h"
#include "base/result.h"

#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

#include <optional>

namespace tarmac {

class SqsStore;

// StartMessageMoveTask's tasks: messages moved out of a dead-letter queue (back to the queues
// they came from, or to a named queue) by the store, all at once or, with a rate, that many
// each second on the clock (so a frozen clock holds a paced move). One running task per
// source queue; the ten newest tasks of each source are listed. Tasks are kept in memory:
// after a restart the messages a task had not moved yet are still in the dead-letter queue.
// Thread-safe; timers run on this object's thread.
class SqsMoveTasks : public QObject
{
    Q_OBJECT
public:
    struct Task
    {
        QString handle;
        QString status; // RUNNING, COMPLETED, CANCELLED, FAILED
        QString source; // queue names
        QString destination; // empty: each message's source queue
        QString sourceArn, destinationArn;
        std::optional<int> rate; // MaxNumberOfMessagesPerSecond
        qint64 moved = 0;
        qint64 toMove = 0;
        QString failureReason;
        qint64 startedMs = 0;
        Clock::TimerId timer = 0;
    };

    SqsMoveTasks(SqsStore *store, const Clock *clock);
    ~SqsMoveTasks() override;

    // Starts a task (source and destination are queue names; the store must know them). Its
    // handle; UnsupportedOperation when the source already has a running task.
    Result<QString> start(const QString &source, const QString &destination,
        const QString &sourceArn, const QString &destinationArn, std::optional<int> rate);
    // How many messages the task had moved; ResourceNotFoundException for an unknown or
    // finished task.
    Result<qint64> cancel(const QString &handle);
    // The source's newest tasks first, at most `max`.
    QList<Task> list(const QString &source, int max) const;
    void stop(); // cancels every timer
    // Forgets every task, cancelling the running ones' timers: the queues' rows were replaced
    // (a reset, a snapshot restored), as after a restart no task is known.
    void clear();

private:
    void step(const QString &handle);

    SqsStore *m_store;
    const Clock *m_clock;
    mutable QMutex m_mutex;
    QList<Task> m_tasks; // oldest first
    bool m_stopped = false;
};

} // namespace tarmac
