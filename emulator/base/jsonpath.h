#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QString>

#include <string>
#include <vector>

namespace tarmac {

// A small JSON path, enough to point into an event: `$`, `.name`, `['name']` or `["name"]`,
// `[3]`, `[-1]` (from the end), and `[*]` / `.*` (every element or member). No filters,
// slices or recursive descent. select() returns the values found, in document order.
class JsonPath
{
public:
    static Result<JsonPath> parse(QStringView text);

    QString text() const { return m_text; }
    std::vector<const Json *> select(const Json &document) const;

private:
    struct Step
    {
        enum Kind { Key, Index, Wildcard } kind;
        std::string key;
        qint64 index = 0;
    };
    std::vector<Step> m_steps;
    QString m_text;
};

// A test on a payload: the path selects values, and the predicate holds when any of them
// passes the test (Exists: when the path selects anything). Equals compares JSON values;
// Contains is substring for strings and membership for arrays.
struct JsonPredicate
{
    enum class Op { Exists, Equals, NotEquals, Contains };

    JsonPath path;
    Op op = Op::Exists;
    Json value;

    bool matches(const Json &document) const;

    static QString opName(Op op);
    static std::optional<Op> opFromName(QStringView name);
};

} // namespace tarmac
