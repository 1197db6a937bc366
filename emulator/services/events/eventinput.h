#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QMap>
#include <QString>

namespace tarmac {

// What an EventBridge target receives instead of the whole event (eb-transform-target-input):
// a part of it (InputPath) or a template filled from it (InputTransformer). Rules' targets and
// PutEvents' deliveries both shape their input here.
//
// Paths are EventBridge's JSONPath: `$`, dot notation (names of letters, digits, `-`, `_`, `/`
// and the like), array indices and `*`. A path with `*` selects a list of what it finds.

// InputPath: the JSON text of what `path` selects ("$.detail"); empty when it selects nothing
// (the caller decides what a target then gets). ValidationException for a path that is not
// one.
Result<QByteArray> applyInputPath(const Json &event, const QString &path);

// InputTransformer: InputPathsMap names JSONPaths (up to 100), InputTemplate uses them as
// <name>, along with the predefined <aws.events.rule-arn>, <aws.events.rule-name>,
// <aws.events.event.ingestion-time>, <aws.events.event> (the event without its detail) and
// <aws.events.event.json> (the whole event).
struct InputTransformer
{
    QMap<QString, QString> pathsMap;
    QString inputTemplate;
};

// PutTargets' checks (ValidationException): the model's limits, and every placeholder of the
// template named in InputPathsMap or predefined ("InputTemplate for target ID contains invalid
// placeholder NAME."). As AWS, the paths themselves are not checked: one that is not a path
// selects nothing.
Result<void> checkInputTransformer(const InputTransformer &t, const QString &targetId = {});

struct RuleContext
{
    QString ruleArn;
    QString ruleName;
    QString ingestionTime; // ISO 8601
};

// Fills the template as EventBridge does. Inside a JSON string of the template a placeholder
// becomes the value's text, unescaped: a string without its quotes, a number or true as
// written, an object or a list as JSON without quotes ({a:1}); outside a string it becomes the
// JSON value. A path that selects nothing gives the empty string ("" outside a string). A
// template that is a JSON object or list must still be JSON once filled (an object put inside
// one of its strings is not: EventBridge then delivers nothing), and is sent minified;
// ValidationException otherwise. A string template, or any other text, is sent as filled.
Result<QByteArray> applyInputTransformer(
    const Json &event, const InputTransformer &t, const RuleContext &context);

} // namespace tarmac
