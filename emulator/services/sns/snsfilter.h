#pragma once

#include "base/result.h"
#include "services/eventpattern.h"

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>
#include <utility>

namespace tarmac {

// A subscription's FilterPolicy, as SNS checks and applies it (docs: sns-message-filtering,
// sns-subscription-filter-policies, sns-filter-policy-constraints): a JSON object whose keys
// name message attributes (FilterPolicyScope MessageAttributes, the default) or, nested, the
// fields of a JSON message body (MessageBody), each with a list of conditions: exact strings
// and numbers, prefix, suffix, equals-ignore-case, anything-but, numeric ranges, exists, cidr
// (IP address matching), and "$or". Matching is EventBridge's event-pattern matcher
// (services/eventpattern.h): SNS and EventBridge share event-ruler.
class SnsFilterPolicy
{
public:
    enum class Scope { MessageAttributes, MessageBody };

    // SNS's InvalidParameter, "Invalid parameter: FilterPolicy: <reason>" (and SNS's limits:
    // keys, the 150 combinations of values, nesting), for a policy SNS refuses. An empty
    // object is a policy that matches everything.
    static Result<SnsFilterPolicy> parse(const QByteArray &json, Scope scope);
    // "MessageAttributes" / "MessageBody"; anything else is an InvalidParameter
    // ("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [x]. Please use
    // either MessageBody or MessageAttributes").
    static Result<Scope> parseScope(const QString &scope);

    // One message attribute as Publish received it: DataType ("String", "Number",
    // "String.Array", "Binary", or with a custom suffix "String.x") and its string value
    // (for Binary, its base64).
    using Attributes = QMap<QString, std::pair<QString, QString>>;

    // Whether a message passes: in attribute scope the attributes (a Number attribute is a
    // number, a String.Array attribute is the JSON array it holds, Binary attributes are not
    // matched); in body scope the message, which must be a JSON object to match any key.
    bool matches(const Attributes &attributes, const QByteArray &message) const;

    Scope scope() const { return m_scope; }

private:
    SnsFilterPolicy(std::optional<EventPattern> pattern, Scope scope)
        : m_pattern(std::move(pattern))
        , m_scope(scope)
    { }
    // None for the empty policy `{}`, which SNS takes as no filter: every message passes (in
    // body scope too, where the body need not be JSON).
    std::optional<EventPattern> m_pattern;
    Scope m_scope;
};

} // namespace tarmac
