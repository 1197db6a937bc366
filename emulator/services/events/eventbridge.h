#pragma once

#include "base/json.h"
#include "base/result.h"
#include "services/events/eventrecords.h"
#include "services/events/eventtargets.h"

#include <QHash>
#include <QList>
#include <QReadWriteLock>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace tarmac {

class Clock;
class EventPattern;
class ScheduleExpression;
class Store;
struct InputTransformer;

// EventBridge's model: event buses, rules (an event pattern or a schedule expression, the
// state, up to five targets each with its input shaping, retry policy and dead-letter queue),
// tags, and PutEvents, which matches every entry against each enabled rule of its bus and
// hands each match to the rule's targets. Operations take and give the JSON 1.1 protocol's
// bodies (`call("PutRule", request)`), so the wire API is a thin layer and templates create
// rules through the same checks. Persisted as records (EventRecords: each change committed
// before it is answered). Thread-safe: called on I/O threads, ticks on the engine's.
class EventBridge
{
public:
    // The trace a call continues (the request's span), for what it delivers.
    struct CallContext
    {
        QByteArray traceId;
        QByteArray spanId;
    };
    // A rule with a schedule expression, for the module's timers.
    struct ScheduledRule
    {
        QString key; // "bus/name"
        QString name;
        QString arn;
        std::shared_ptr<const ScheduleExpression> schedule;
        qint64 anchorNs = 0; // rate(): the first tick
        bool enabled = false;
    };

    EventBridge(QString region, QString accountId, const Clock *clock);
    ~EventBridge();

    Result<void> open(Store *store);
    // Forgets the buses and rules and reads them from the records again (open() did): the
    // rows were replaced underneath (a reset, a snapshot restored). The module re-arms the
    // timers itself: no rule-changed call is made.
    Result<void> reload();
    // Where matches go; set once before the first call.
    void setSender(EventTargetSender *sender) { m_sender = sender; }
    // Called (on the calling thread, no lock held) after a rule was created, changed or
    // deleted, with its key: the module re-arms its timer.
    void setRuleChanged(std::function<void(const QString &key)> changed)
    {
        m_ruleChanged = std::move(changed);
    }

    // One operation of the API: the request body, the answer's body, or the service's error
    // (UnknownOperationException for an operation it does not have).
    Result<Json> call(const QString &operation, const Json &request, const CallContext &context);

    QList<ScheduledRule> scheduledRules() const;
    std::optional<ScheduledRule> scheduledRule(const QString &key) const;
    // A rule's key by name or ARN (on any bus), or empty.
    QString ruleKey(const QString &nameOrArn) const;
    // Delivers the scheduled event of one tick (its time is `scheduledNs`) to the rule's
    // targets, under `context`'s trace. False when the rule is gone.
    bool fireRule(const QString &key, qint64 scheduledNs, const CallContext &context);
    // Puts one event on a bus by ARN (another rule's or a schedule's EventBridge target):
    // an entry (source, detail type, detail) or, when `source` is empty, a whole event.
    Result<void> putOnBus(const QString &busArn, const QString &source, const QString &detailType,
        const QByteArray &body, const CallContext &context);
    bool busExists(const QString &nameOrArn) const;

    // For the catalog: every rule's record with its bus, and the buses' names.
    QList<Json> rules() const;
    QStringList busNames() const;
    QString region() const { return m_region; }
    QString accountId() const { return m_accountId; }

    // The size AWS counts for one PutEvents entry (the 256 KB limit).
    static qint64 entrySize(const Json &entry);

private:
    struct Target;
    struct Rule;
    struct Bus;

    Result<Json> putRule(JsonFields &f);
    Result<Json> describeRule(JsonFields &f);
    Result<Json> listRules(JsonFields &f);
    Result<Json> setRuleState(JsonFields &f, bool enabled);
    Result<Json> deleteRule(JsonFields &f);
    Result<Json> putTargets(JsonFields &f);
    Result<Json> removeTargets(JsonFields &f);
    Result<Json> listTargetsByRule(JsonFields &f);
    Result<Json> listRuleNamesByTarget(JsonFields &f);
    Result<Json> tagResource(JsonFields &f);
    Result<Json> untagResource(JsonFields &f);
    Result<Json> listTagsForResource(JsonFields &f);
    Result<Json> createEventBus(JsonFields &f);
    Result<Json> deleteEventBus(JsonFields &f);
    Result<Json> listEventBuses(JsonFields &f);
    Result<Json> describeEventBus(JsonFields &f);
    Result<Json> putEvents(JsonFields &f, const CallContext &context);
    Result<Json> testEventPattern(JsonFields &f);

    // The bus a request names (name or ARN; absent: default), or ResourceNotFoundException.
    Result<QString> busName(JsonFields &f, const char *field) const;
    QString busArn(const QString &bus) const;
    QString ruleArn(const QString &bus, const QString &name) const;
    Result<void> persistRule(const Rule &rule);
    // With the write lock held: a copy of the rule `key` (which must exist) changed by
    // `change`, persisted, then put in the old one's place (readers keep the old one).
    Result<void> changeRule(const QString &key, const std::function<Result<void>(Rule &)> &change);
    Json ruleAnswer(const Rule &rule) const;
    // Hands one event to every enabled rule on `bus` whose pattern matches.
    void route(const QString &bus, const Json &event, const CallContext &context);
    void sendToTargets(const Rule &rule, const Json &event, const CallContext &context);
    static Result<std::shared_ptr<Target>> readTarget(JsonFields &t, int index);

    const QString m_region;
    const QString m_accountId;
    const Clock *m_clock;
    EventRecords m_records;
    EventTargetSender *m_sender = nullptr;
    std::function<void(const QString &)> m_ruleChanged;

    mutable QReadWriteLock m_lock;
    QHash<QString, std::shared_ptr<Bus>> m_buses; // by name; "default" always
    QHash<QString, std::shared_ptr<Rule>> m_rules; // by "bus/name"
};

} // namespace tarmac
