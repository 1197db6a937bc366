#include "services/sns/snsfilter.h"

#include <QLatin1String>

#include <cmath>
#include <string>

// SNS checks a filter policy with event-ruler, the engine EventBridge uses too, and reports its
// reasons as "Invalid parameter: FilterPolicy: <reason>". The reasons and the limits below are
// the ones SNS answers (the AWS-recorded responses of LocalStack's SNS filter-policy tests, and
// moto's SNS): SNS's event-ruler is older than EventBridge's, so the operators added since
// (wildcard, anything-but of a suffix, of equals-ignore-case or of a wildcard, prefix and suffix
// of equals-ignore-case) are refused with the reasons that older engine gave. SNS reads a
// policy in document order; this reads it in nlohmann's key order, so a policy with two faults
// may be answered with the other one.
namespace tarmac {

namespace {

// Docs (subscription-filter-policy-constraints): at most five keys, of a nested policy the
// parent ones only; at most 150 combinations of values.
constexpr qsizetype kMaxKeys = 5;
constexpr double kMaxCombinations = 150;
// EventPattern refuses deeper policies with its own reason; the walks below stop there.
constexpr int kMaxDepth = 1000;

const char *const kOr = "$or";

Error invalidPolicy(const QString &reason)
{
    return makeError(QStringLiteral("InvalidParameter"),
        QStringLiteral("Invalid parameter: FilterPolicy: ") + reason, 400);
}

Error invalidPolicy(const std::string &reason)
{
    return invalidPolicy(QString::fromStdString(reason));
}

// event-ruler's reason in an EventPattern error, without EventBridge's wording around it.
QString reasonOf(const Error &error)
{
    const QLatin1String prefix("Event pattern is not valid. Reason: ");
    return error.message.startsWith(prefix) ? error.message.mid(prefix.size()) : error.message;
}

// The operators SNS's event-ruler does not have, which EventPattern would take: the first
// refusal in key order, as that engine words it.
class Unsupported
{
public:
    std::string reason;

    bool object(const Json &object, int depth)
    {
        if (depth > kMaxDepth)
            return true;
        for (auto it = object.begin(); it != object.end(); ++it) {
            const Json &value = it.value();
            if (it.key() == kOr && value.is_array()) {
                for (const Json &alternative : value) {
                    if (alternative.is_object() && !this->object(alternative, depth + 1))
                        return false;
                }
            } else if (value.is_object()) {
                if (!this->object(value, depth + 1))
                    return false;
            } else if (value.is_array()) {
                for (const Json &item : value) {
                    if (item.is_object() && !expression(item))
                        return false;
                }
            }
        }
        return true;
    }

private:
    bool fail(std::string why)
    {
        reason = std::move(why);
        return false;
    }

    // Only the first key names the operator (as in EventPattern); empty expressions and the
    // rest are EventPattern's to refuse.
    bool expression(const Json &expression)
    {
        if (expression.empty())
            return true;
        const auto first = expression.begin();
        const std::string &name = first.key();
        const Json &operand = first.value();
        if (name == "wildcard")
            return fail("Unrecognized match type wildcard");
        if ((name == "prefix" || name == "suffix") && operand.is_object())
            return fail(name + " match pattern must be a string");
        if (name == "anything-but" && operand.is_object() && !operand.empty()) {
            const auto inner = operand.begin();
            if (inner.key() != "prefix")
                return fail("Unsupported anything-but pattern: " + inner.key());
            if (!inner.value().is_string())
                return fail("prefix match pattern must be a string");
        }
        return true;
    }
};

// A field whose value is an object, anywhere in the policy or its "$or" alternatives.
bool hasNesting(const Json &object)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        const Json &value = it.value();
        if (value.is_object())
            return true;
        if (it.key() == kOr && value.is_array()) {
            for (const Json &alternative : value) {
                if (alternative.is_object() && hasNesting(alternative))
                    return true;
            }
        }
    }
    return false;
}

// The docs' count (subscription-filter-policy-constraints): the product of the lengths of the
// lists, each times the depth of its key (1 at the top), and of "$or" the sum of its
// alternatives, each counted from what came before it ((a)(b + c) = ab + ac).
double combinations(const Json &object, int depth, double count)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        const Json &value = it.value();
        if (it.key() == kOr && value.is_array()) {
            double sum = 0;
            for (const Json &alternative : value)
                sum += combinations(alternative, depth, count);
            count = sum;
        } else if (value.is_object()) {
            count = combinations(value, depth + 1, count);
        } else {
            count *= double(value.size()) * depth;
        }
    }
    return count;
}

bool isType(const QString &type, QLatin1String base)
{
    return type == base
        || (type.startsWith(base) && type.size() > base.size()
            && type.at(base.size()) == QLatin1Char('.'));
}

// One attribute as the event's field: a String as a string, a String.Array as the array it
// holds, a Number as a number (with custom suffixes as their base type); a value that does not
// parse as its type stays a string. Binary (and anything else) is not matched.
std::optional<Json> attributeValue(const QString &type, const QString &value)
{
    if (type == QLatin1String("String.Array")) {
        auto array = parseJson(value.toUtf8());
        if (array && array->is_array())
            return std::move(*array);
        return Json(toStd(value));
    }
    if (isType(type, QLatin1String("String")))
        return Json(toStd(value));
    if (isType(type, QLatin1String("Number"))) {
        auto number = parseJson(value.toUtf8());
        if (number && number->is_number())
            return std::move(*number);
        bool ok = false;
        const double d = value.toDouble(&ok);
        if (ok && std::isfinite(d))
            return Json(d);
        return Json(toStd(value));
    }
    return std::nullopt;
}

} // namespace

Result<SnsFilterPolicy> SnsFilterPolicy::parse(const QByteArray &json, Scope scope)
{
    auto parsed = parseJson(json);
    if (!parsed) {
        // SNS gives Jackson's reason after "failed to parse JSON. "; this gives nlohmann's, as
        // EventPattern words it for text that is not JSON.
        const auto pattern = EventPattern::parse(json);
        return invalidPolicy(QStringLiteral("failed to parse JSON. ")
            + (pattern ? QString() : reasonOf(pattern.error())));
    }
    const Json &policy = *parsed;
    // Docs (message-filtering-policy-remove): an empty JSON body removes the filter.
    if (policy.is_object() && policy.empty())
        return SnsFilterPolicy(std::nullopt, scope);

    Unsupported unsupported;
    if (policy.is_object() && !unsupported.object(policy, 0))
        return invalidPolicy(unsupported.reason);
    auto pattern = EventPattern::fromJson(policy);
    if (!pattern)
        return invalidPolicy(reasonOf(pattern.error()));

    if (qsizetype(policy.size()) > kMaxKeys)
        return invalidPolicy(QStringLiteral("Filter policy can not have more than 5 keys"));
    // SNS's own words, without "FilterPolicy: " (docs: no nested policy for attribute-based
    // filtering).
    if (scope == Scope::MessageAttributes && hasNesting(policy))
        return makeError(QStringLiteral("InvalidParameter"),
            QStringLiteral("Invalid parameter: Filter policy scope MessageAttributes does not "
                           "support nested filter policy"),
            400);
    if (combinations(policy, 1, 1) > kMaxCombinations)
        return invalidPolicy(QStringLiteral("Filter policy is too complex"));
    return SnsFilterPolicy(std::move(*pattern), scope);
}

Result<SnsFilterPolicy::Scope> SnsFilterPolicy::parseScope(const QString &scope)
{
    if (scope == QLatin1String("MessageAttributes"))
        return Scope::MessageAttributes;
    if (scope == QLatin1String("MessageBody"))
        return Scope::MessageBody;
    return makeError(QStringLiteral("InvalidParameter"),
        QStringLiteral("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [")
            + scope + QStringLiteral("]. Please use either MessageBody or MessageAttributes"),
        400);
}

bool SnsFilterPolicy::matches(const Attributes &attributes, const QByteArray &message) const
{
    if (!m_pattern)
        return true;
    if (m_scope == Scope::MessageBody) {
        // Docs (sns-message-filtering): body filtering takes the payload for a JSON object.
        const auto body = parseJson(message);
        return body && body->is_object() && m_pattern->matches(*body);
    }
    Json event = Json::object();
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it) {
        if (std::optional<Json> value = attributeValue(it->first, it->second))
            event[toStd(it.key())] = std::move(*value);
    }
    return m_pattern->matches(event);
}

} // namespace tarmac
