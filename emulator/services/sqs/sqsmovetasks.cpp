#include "services/sqs/sqsmovetasks.h"

#include "base/ids.h"
#include "services/sqs/sqsstore.h"

#include <limits>

namespace tarmac {

namespace {

constexpr int kKeptPerSource = 10;

} // namespace

SqsMoveTasks::SqsMoveTasks(SqsStore *store, const Clock *clock)
    : m_store(store)
    , m_clock(clock)
{ }

SqsMoveTasks::~SqsMoveTasks()
{
    stop();
}

Result<QString> SqsMoveTasks::start(const QString &source, const QString &destination,
    const QString &sourceArn, const QString &destinationArn, std::optional<int> rate)
{
    Task task;
    {
        QMutexLocker lock(&m_mutex);
        for (const Task &t : std::as_const(m_tasks)) {
            if (t.source == source && t.status == QLatin1String("RUNNING"))
                return makeError(QStringLiteral("UnsupportedOperation"),
                    QStringLiteral("There is already a task running. Only one active task is "
                                   "allowed for a source queue arn at a given time."),
                    400);
        }
        task.handle
            = QString::fromLatin1(QByteArray(newRequestId() + ':' + sourceArn.toUtf8()).toBase64());
        task.status = QStringLiteral("RUNNING");
        task.source = source;
        task.destination = destination;
        task.sourceArn = sourceArn;
        task.destinationArn = destinationArn;
        task.rate = rate;
        task.toMove = m_store->visibleCount(source);
        task.startedMs = m_clock->nowMs();
        m_tasks.append(task);
        // The source's older tasks beyond the ten kept are forgotten.
        int kept = 0;
        for (qsizetype i = m_tasks.size() - 1; i >= 0; --i) {
            if (m_tasks[i].source == source && ++kept > kKeptPerSource)
                m_tasks.removeAt(i);
        }
    }
    step(task.handle);
    return task.handle;
}

void SqsMoveTasks::step(const QString &handle)
{
    QMutexLocker lock(&m_mutex);
    Task *task = nullptr;
    for (Task &t : m_tasks) {
        if (t.handle == handle)
            task = &t;
    }
    if (!task || task->status != QLatin1String("RUNNING") || m_stopped)
        return;
    task->timer = 0;
    const qint64 left = task->toMove - task->moved;
    const int batch = int(std::min<qint64>(
        task->rate ? *task->rate : std::numeric_limits<int>::max(), std::max<qint64>(left, 0)));
    auto moved = batch > 0 ? m_store->moveMessages(task->source, task->destination, batch)
                           : Result<int>(0);
    if (!moved) {
        task->status = QStringLiteral("FAILED");
        task->failureReason = moved.error().message;
        return;
    }
    task->moved += *moved;
    if (*moved == 0 || task->moved >= task->toMove) {
        task->status = QStringLiteral("COMPLETED");
        return;
    }
    // Paced: the next second's share.
    task->timer = m_clock->scheduleAfter(1'000'000'000, this, [this, handle] { step(handle); });
}

Result<qint64> SqsMoveTasks::cancel(const QString &handle)
{
    QMutexLocker lock(&m_mutex);
    for (Task &t : m_tasks) {
        if (t.handle != handle)
            continue;
        if (t.status != QLatin1String("RUNNING"))
            break;
        if (t.timer)
            m_clock->cancel(t.timer);
        t.timer = 0;
        t.status = QStringLiteral("CANCELLED");
        return t.moved;
    }
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("Task does not exist or is not running."), 400);
}

QList<SqsMoveTasks::Task> SqsMoveTasks::list(const QString &source, int max) const
{
    QMutexLocker lock(&m_mutex);
    QList<Task> out;
    for (qsizetype i = m_tasks.size() - 1; i >= 0 && out.size() < max; --i) {
        if (m_tasks[i].source == source)
            out.append(m_tasks[i]);
    }
    return out;
}

void SqsMoveTasks::stop()
{
    QMutexLocker lock(&m_mutex);
    m_stopped = true;
    for (Task &t : m_tasks) {
        if (t.timer)
            m_clock->cancel(t.timer);
        t.timer = 0;
    }
}

void SqsMoveTasks::clear()
{
    QMutexLocker lock(&m_mutex);
    for (const Task &t : std::as_const(m_tasks)) {
        if (t.timer)
            m_clock->cancel(t.timer);
    }
    // A step already queued to this thread finds no task by its handle and does nothing.
    m_tasks.clear();
}

} // namespace tarmac
