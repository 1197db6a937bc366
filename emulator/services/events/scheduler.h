#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/events/eventrecords.h"
#include "services/events/eventtargets.h"

#include <QHash>
#include <QMap>
#include <QReadWriteLock>
#include <QString>
#include <QTimeZone>

#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class ScheduleExpression;
class Store;

// EventBridge Scheduler's model: schedule groups ("default" always) and schedules (a rate,
// cron or at() expression in a time zone, start and end dates, one target with its input,
// retry policy and dead-letter queue, ActionAfterCompletion). Operations take and give the
// REST-JSON protocol's bodies; the wire layer (SchedulerApi) maps paths to them. Persisted as
// records, each change committed before it is answered. Thread-safe.
//
// Flexible time windows are accepted and kept, and a schedule fires at its window's start.
class Scheduler
{
public:
    struct Due
    {
        QString key; // "group/name"
        QString name;
        QString arn;
        std::optional<qint64> nextNs; // none: it will not fire again
        bool enabled = false;
    };

    Scheduler(QString region, QString accountId, const Clock *clock);
    ~Scheduler();

    Result<void> open(Store *store);
    // Forgets the groups and schedules and reads them from the records again (open() did):
    // the rows were replaced underneath (a reset, a snapshot restored). The module re-arms
    // the timers itself: no schedule-changed call is made.
    Result<void> reload();
    void setSender(EventTargetSender *sender) { m_sender = sender; }
    // After a schedule was created, changed or deleted (by key), with no lock held.
    void setScheduleChanged(std::function<void(const QString &key)> changed)
    {
        m_scheduleChanged = std::move(changed);
    }

    // The operations, by the REST API's names. `group` is the groupName query parameter.
    Result<Json> createSchedule(const QString &name, const Json &body);
    Result<Json> updateSchedule(const QString &name, const Json &body);
    Result<Json> getSchedule(const QString &name, const QString &group) const;
    Result<Json> deleteSchedule(const QString &name, const QString &group);
    Result<Json> listSchedules(const QString &namePrefix, const QString &group,
        const QString &state, const QString &token, const QString &maxResults) const;
    Result<Json> createScheduleGroup(const QString &name, const Json &body);
    Result<Json> getScheduleGroup(const QString &name) const;
    Result<Json> deleteScheduleGroup(const QString &name);
    Result<Json> listScheduleGroups(
        const QString &namePrefix, const QString &token, const QString &maxResults) const;
    Result<Json> tagResource(const QString &arn, const Json &body);
    Result<Json> untagResource(const QString &arn, const QStringList &keys);
    Result<Json> listTagsForResource(const QString &arn) const;

    // When the schedule fires next after `afterNs`, and whether it is enabled.
    std::optional<Due> due(const QString &key, qint64 afterNs) const;
    QStringList keys() const;
    // A schedule's key by name ("default" group first), "group/name" or ARN; empty if none.
    QString keyOf(const QString &nameOrArn) const;
    // Sends one firing (scheduled at `scheduledNs`) to the target, under the trace given;
    // a one-time schedule with ActionAfterCompletion DELETE is deleted afterwards. False when
    // the schedule is gone.
    bool fire(const QString &key, qint64 scheduledNs, const QByteArray &traceId,
        const QByteArray &spanId);
    // Every schedule's GetSchedule answer, for the catalog.
    QList<Json> schedules() const;

private:
    struct Schedule;

    Result<Json> put(const QString &name, const Json &body, bool create);
    Result<void> removeKey(const QString &key);
    QString groupArn(const QString &group) const;
    QString scheduleArn(const QString &group, const QString &name) const;
    Json answer(const Schedule &s) const;
    Result<std::shared_ptr<Schedule>> read(const QString &name, const Json &body) const;

    const QString m_region;
    const QString m_accountId;
    const Clock *m_clock;
    EventRecords m_records;
    EventTargetSender *m_sender = nullptr;
    std::function<void(const QString &)> m_scheduleChanged;

    mutable QReadWriteLock m_lock;
    QHash<QString, Json> m_groups; // by name: the GetScheduleGroup answer plus Tags
    QHash<QString, std::shared_ptr<Schedule>> m_schedules; // by "group/name"
};

} // namespace tarmac
