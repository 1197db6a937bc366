#include "replay/expectation.h"

#include "base/jsonpath.h"

namespace tarmac {

QString shownJson(const Json &v)
{
    QString s = QString::fromUtf8(toJsonBytes(v));
    if (s.size() > 200)
        s = s.left(200) + QStringLiteral("…");
    return s;
}

void matchSubset(const Json &expected, const Json &actual, const QString &path, QStringList &out)
{
    if (expected.is_object()) {
        if (!actual.is_object()) {
            out.append(QStringLiteral("%1: expected an object %2, got %3")
                           .arg(path, shownJson(expected), shownJson(actual)));
            return;
        }
        for (const auto &[key, value] : expected.items()) {
            const QString at = path + u'.' + fromStd(key);
            const auto it = actual.find(key);
            if (it == actual.end()) {
                out.append(QStringLiteral("%1: missing (expected %2)").arg(at, shownJson(value)));
                continue;
            }
            matchSubset(value, *it, at, out);
        }
        return;
    }
    if (expected != actual)
        out.append(QStringLiteral("%1: expected %2, got %3")
                       .arg(path, shownJson(expected), shownJson(actual)));
}

namespace {

Error badExpectation(const QString &message)
{
    return makeError(QStringLiteral("InvalidExpectation"), message);
}

} // namespace

Result<QStringList> checkExpectation(const Json *expect, const ReplayOutcome &outcome)
{
    QStringList out;
    if (!outcome.delivered) {
        out.append(
            QStringLiteral("not delivered: %1 %2").arg(outcome.errorType, outcome.errorMessage));
        return out;
    }
    if (!expect)
        return out;
    if (!expect->is_object())
        return badExpectation(QStringLiteral("expect is an object"));
    if (const auto e = expect->find("error"); e != expect->end() && !e->is_null()) {
        if (e->is_boolean()) {
            if (e->get<bool>() && !outcome.functionError)
                out.append(QStringLiteral("error: expected the function to fail, it succeeded"));
            if (!e->get<bool>() && outcome.functionError)
                out.append(QStringLiteral("error: expected no error, got %1: %2")
                               .arg(outcome.errorType, outcome.errorMessage.left(200)));
        } else if (e->is_string()) {
            const QString type = fromStd(e->get<std::string>());
            if (!outcome.functionError)
                out.append(QStringLiteral("error: expected %1, it succeeded").arg(type));
            else if (outcome.errorType != type)
                out.append(
                    QStringLiteral("error: expected %1, got %2").arg(type, outcome.errorType));
        } else {
            return badExpectation(QStringLiteral("expect.error is false, true or an errorType"));
        }
    }
    if (const auto r = expect->find("response"); r != expect->end())
        matchSubset(*r, outcome.response, QStringLiteral("$"), out);
    if (const auto p = expect->find("paths"); p != expect->end() && !p->is_null()) {
        if (!p->is_array())
            return badExpectation(QStringLiteral("expect.paths is a list"));
        for (const Json &item : *p) {
            JsonFields f(item);
            const auto path = f.string("path");
            const auto op = f.string("op");
            if (!item.is_object() || !f.ok() || !path)
                return badExpectation(
                    QStringLiteral("each of expect.paths is {\"path\", \"op\"?, \"value\"?}"));
            auto parsed = JsonPath::parse(*path);
            if (!parsed)
                return badExpectation(
                    QStringLiteral("expect.paths: %1").arg(parsed.error().message));
            JsonPredicate predicate;
            predicate.path = *parsed;
            if (op) {
                auto o = JsonPredicate::opFromName(*op);
                if (!o)
                    return badExpectation(QStringLiteral(
                        "expect.paths: op is exists, equals, notEquals or contains, not %1")
                                              .arg(*op));
                predicate.op = *o;
            } else {
                predicate.op = item.contains("value") ? JsonPredicate::Op::Equals
                                                      : JsonPredicate::Op::Exists;
            }
            if (predicate.op != JsonPredicate::Op::Exists)
                predicate.value = item.contains("value") ? item["value"] : Json();
            if (!predicate.matches(outcome.response)) {
                const auto found = parsed->select(outcome.response);
                out.append(
                    QStringLiteral("%1 %2%3: got %4")
                        .arg(*path, JsonPredicate::opName(predicate.op),
                            predicate.op == JsonPredicate::Op::Exists
                                ? QString()
                                : QString(u' ' + shownJson(predicate.value)),
                            found.empty() ? QStringLiteral("nothing") : shownJson(*found.front())));
            }
        }
    }
    return out;
}

} // namespace tarmac
