#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QList>
#include <QMutex>
#include <QString>

#include <atomic>
#include <functional>
#include <optional>

namespace tarmac {

// One fault rule (POST /_tarmac/faults): what it matches, what it does, how often.
struct FaultRule
{
    enum class Effect {
        Latency, // a request answers `ms` later
        Error, // a request is refused with an AWS error of the service's own shape
        Drop, // a request's connection is closed without an answer
        Duplicate, // a delivery to a function is made twice (at-least-once made visible)
        Delay, // a delivery to a function waits `ms` first
        ColdStart, // a delivery starts a new instance of its function
        Timeout, // a delivery times out (the function's own timeout, cut short)
    };

    QString id; // "fault-1"
    // What it matches; empty matches anything. `resource` is a physical name or a template's
    // logical id; `function` likewise, for deliveries.
    QString service;
    QString operation;
    QString resource;
    QString function;
    double probability = 1.0;
    int count = -1; // injections left; -1: no limit

    Effect effect = Effect::Error;
    int ms = 0; // Latency, Delay
    QString code; // Error: the AWS error code
    int status = 0; // Error: its HTTP status
    QString message; // Error

    int injected = 0;

    bool forRequests() const
    {
        return effect == Effect::Latency || effect == Effect::Error || effect == Effect::Drop;
    }
    // "error SlowDown (503)", for spans and logs.
    QString describe() const;
};

// What one request or delivery gets from the rules: the first matching rule that fires.
struct InjectedFault
{
    QString ruleId;
    FaultRule::Effect effect = FaultRule::Effect::Error;
    int ms = 0;
    QString code;
    int status = 0;
    QString message;
    QString description; // FaultRule::describe()
};

// The fault rules tests set (LocalStack's "chaos", here for every service): requests on the
// edge port matched by service, operation and resource, deliveries to functions matched by
// function. Each rule fires with its probability until its count is spent; what fired is
// marked on the span of the request or delivery it hit. Thread-safe.
class FaultInjector
{
public:
    // `names` maps a template's logical id to the physical name (Engine::physicalName).
    explicit FaultInjector(std::function<QString(const QString &)> physicalName = {});

    // Parses a rule from POST /_tarmac/faults' body ({"match": {…}, "effect": {…}}) and adds
    // it. ValidationException (400) naming the field for anything wrong.
    Result<FaultRule> add(const Json &body);
    QList<FaultRule> rules() const;
    bool remove(const QString &id);
    void clear();
    bool isEmpty() const;

    // A request to `service`'s `operation` (empty when not known); `names(resource)` says
    // whether the request names that resource (in its path, host or body).
    std::optional<InjectedFault> forRequest(const QString &service, const QString &operation,
        const std::function<bool(const QString &)> &names);
    // A delivery to `function`.
    std::optional<InjectedFault> forDelivery(const QString &function);

    static Json toJson(const FaultRule &rule);
    // The status AWS answers with for a code ("SlowDown": 503); 400 when not known.
    static int defaultStatus(const QString &code);
    // The throttling error `service` answers with ("s3": SlowDown).
    static QString defaultCode(const QString &service);

private:
    bool fires(FaultRule &rule); // under m_mutex
    InjectedFault injected(const FaultRule &rule) const;

    std::function<QString(const QString &)> m_physicalName;
    mutable QMutex m_mutex;
    QList<FaultRule> m_rules;
    int m_nextId = 1;
    std::atomic<bool> m_any {false}; // rules exist: without, the hot paths skip the lock
};

} // namespace tarmac
