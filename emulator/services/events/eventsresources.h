#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/resourcetype.h"

namespace tarmac::eventsresources {

// EventBridge's template types: AWS::Events::Rule (a pattern or a schedule, with targets) and
// AWS::Events::EventBus; and SAM's Schedule, EventBridgeRule and CloudWatchEvent events, each
// of which becomes a rule whose target is the function (SAM's names: the rule is
// FunctionEvent, its target FunctionEventLambdaTarget).
QList<const ResourceType *> eventBridgeTypes();
QList<const FunctionEventType *> eventBridgeEvents();

// EventBridge Scheduler's: AWS::Scheduler::Schedule and AWS::Scheduler::ScheduleGroup; and
// SAM's ScheduleV2 event (a schedule whose target is the function).
QList<const ResourceType *> schedulerTypes();
QList<const FunctionEventType *> schedulerEvents();

// A rule's resolved properties as PutRule's and PutTargets' requests.
Json putRuleRequest(const QString &name, const Json &properties);
Json putTargetsRequest(const QString &name, const Json &properties);
// A schedule's resolved properties as CreateSchedule's request (dates as epoch seconds).
Result<Json> scheduleRequest(const Json &properties);

} // namespace tarmac::eventsresources
