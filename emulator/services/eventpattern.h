#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>

#include <memory>

namespace tarmac {

// How a pattern reads the events it is matched against (EventPattern::Options; outside the
// class only so that `Options options = {}` can be a default argument in it).
struct EventPatternOptions
{
    // Lambda's FilterCriteria: a nested object of the pattern may meet a string holding JSON
    // (an SQS body) or base64 of JSON (a Kinesis record's data); a string that is neither
    // matches no nested object, as Lambda drops such a record.
    bool decodeNestedStrings = false;
};

// An event pattern, as EventBridge rules, Pipes and Lambda's FilterCriteria use it: checked as
// EventBridge checks it (its InvalidEventPatternException and the reasons of its event-ruler
// engine) and compiled once into a tree, so that matching walks the event only, without
// parsing anything or making a QString: PutEvents matches every rule of a bus per entry.
//
// Matching (docs: eb-event-patterns, eb-create-pattern-operators, eb-event-patterns-arrays):
// the fields of a pattern's object must all match (AND, and a "$or" list of objects needs one
// of them); a list matches when one of its values does; a field that is a list in the event
// matches when one of its elements does, and a nested object matches one element of a list
// of objects as a whole (fields from different elements do not combine). Values: strings,
// numbers (compared as numbers: 300 is 3.0e2), true, false, null, and the operators prefix,
// suffix (each also with equals-ignore-case), equals-ignore-case, wildcard (`*`, `\*`, `\\`),
// anything-but (a value, a list of strings or of numbers, or prefix, suffix,
// equals-ignore-case or wildcard of a string or a list), numeric (=, <, <=, >, >=, and a range
// of a lower then an upper bound), exists (leaves only: an object is not a value) and cidr
// (IPv4, IPv6). A string-only operator never matches another type; anything-but matches any
// value that is there, null included, and not excluded; only exists:false matches an absent
// field. A key with dots stands for the nested path (event-ruler joins names with dots), and
// an event's dotted key for nested names too, when the plain key is not there.
//
// Cheap to copy (the tree is shared and immutable) and safe to use from several threads.
class EventPattern
{
public:
    using Options = EventPatternOptions;

    // InvalidEventPatternException, "Event pattern is not valid. Reason: ..." with
    // event-ruler's reason, for JSON that is not a pattern.
    static Result<EventPattern> parse(const QByteArray &json, Options options = {});
    static Result<EventPattern> fromJson(const Json &pattern, Options options = {});

    // False for an event that is not a JSON object.
    bool matches(const Json &event) const;

    struct Node;

private:
    EventPattern() = default;

    std::shared_ptr<const Node> m_root;
    Options m_options;
};

} // namespace tarmac
