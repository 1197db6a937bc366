#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/resourcetype.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

namespace tarmac {

struct StackResource;

// Step Functions' part of templates: AWS::StepFunctions::StateMachine and SAM's
// AWS::Serverless::StateMachine. Ref is the state machine's ARN
// (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME); Fn::GetAtt gives Arn, Name and
// StateMachineRevisionId (the ARN: Tarmac keeps no revisions).
//
// The check reads the definition when the template is loaded (Definition as a map,
// DefinitionString, or SAM's DefinitionUri: a local JSON or YAML file relative to the template),
// applies DefinitionSubstitutions (`${Key}` → the value's text; an unknown `${…}` stays as it
// is) and validates it as CreateStateMachine does, so that a broken definition is an error
// with its position: "Invalid State Machine Definition: 'CODE: message at /location'". What it
// made of the resource is kept with it (StackResource::details) for putResource, which reads
// it back with stateMachineSpec().
//
// SAM's events of a state machine are expanded as the SAM transform expands them, into
// resources the events service runs: Schedule, CloudWatchEvent and EventBridgeRule into an
// AWS::Events::Rule `{StateMachine}{Event}` whose target is the state machine (Id
// `{Rule}StepFunctionsTarget`, or Target.Id), ScheduleV2 into an AWS::Scheduler::Schedule; each
// with the role SAM makes for it, `{Rule}Role`, unless RoleArn is given. The state machine
// without Role has the role SAM makes for it too, `{StateMachine}Role` (the loader makes it).
//
// Not read: a definition in S3 (DefinitionS3Location, a DefinitionUri {Bucket, Key}); the Api
// and HttpApi events, AutoPublishAlias and DeploymentPreference: all reported as not
// emulated. IAM, logging, tracing and tags are accepted without effect.
namespace sfnresources {

// AWS::StepFunctions::StateMachine, AWS::Serverless::StateMachine.
const QList<const ResourceType *> &types();
const ResourceType &stateMachineType();
const ResourceType &samStateMachineType();
// The SAM event types a state machine's Events are expanded with (the SAM type's
// eventTypes()): Schedule, CloudWatchEvent, EventBridgeRule, ScheduleV2.
QList<const FunctionEventType *> samEventTypes();

// A state machine as a template sets it, for CreateStateMachine.
struct StateMachineSpec
{
    QString name;
    QString type; // "STANDARD" or "EXPRESS"
    QByteArray definition; // the final JSON text: substitutions applied, validated
    QString roleArn; // RoleArn, or SAM's Role when it is a string; else empty
    QString logicalId;
};

// From what the type's check kept with the resource (StackResource::details). An error
// ("Unsupported") for a state machine whose definition could not be read (it is in S3),
// or one that was not checked.
Result<StateMachineSpec> stateMachineSpec(const StackResource &resource);

// `${Key}` in `text` replaced by the value of Key; anything else, an unknown `${…}` too, is
// left as it is. No substitution is applied to what a value brings in.
QString applySubstitutions(const QString &text, const QMap<QString, QString> &substitutions);

} // namespace sfnresources

} // namespace tarmac
