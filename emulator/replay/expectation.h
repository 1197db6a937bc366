#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QStringList>

namespace tarmac {

// What came of one replayed event.
struct ReplayOutcome
{
    bool delivered = false; // false: the function could not be run (no such function, …)
    bool functionError = false;
    QString errorType;
    QString errorMessage;
    Json response; // the function's response (JSON, or a string when it is not JSON)
};

// Checks an event's `expect` (docs/replay.md) against what came of it:
// - "response": matched as a subset: every key given must match, recursively; arrays and
//   scalars must be equal;
// - "error": false (it ran without error), true (it failed), or the errorType it failed with;
// - "paths": [{"path": "$.a.b", "op": "equals|exists|contains|notEquals", "value": …}] on
//   the response;
// - "effects": the side effects (effects.h), checked by the Replayer, not here.
// Returns the mismatches, one readable line each ("$.body.count: expected 3, got 2"); none
// when everything holds. An expectation that is malformed is an error naming what is wrong.
// An event that could not be delivered is always a mismatch.
Result<QStringList> checkExpectation(const Json *expect, const ReplayOutcome &outcome);

// `expected` matched as a subset of `actual` (objects: every key given must match,
// recursively; arrays and scalars: equal); each mismatch appended as a line naming its path
// from `path` ("$.body.count: expected 3, got 2").
void matchSubset(const Json &expected, const Json &actual, const QString &path, QStringList &out);
// A value as it appears in a mismatch line: its JSON, cut at 200 characters.
QString shownJson(const Json &value);

} // namespace tarmac
