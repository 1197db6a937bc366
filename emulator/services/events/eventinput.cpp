#include "services/events/eventinput.h"

#include "base/jsonpath.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tarmac {

namespace {

constexpr qsizetype kMaxPathLength = 256; // TargetInputPath, InputPathsMap's values
constexpr qsizetype kMaxPaths = 100;
constexpr qsizetype kMaxKeyLength = 256;
constexpr qsizetype kMaxTemplateLength = 8192;

const char *const kRuleArn = "aws.events.rule-arn";
const char *const kRuleName = "aws.events.rule-name";
const char *const kIngestionTime = "aws.events.event.ingestion-time";
const char *const kEvent = "aws.events.event";
const char *const kEventJson = "aws.events.event.json";

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

// AWS's wording for a value its model refuses.
Error constraint(const QString &value, const char *member, const QString &rule)
{
    const QString shown = value.size() > 100 ? value.left(100) + QStringLiteral("...") : value;
    return validation(QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to "
                                     "satisfy constraint: %3")
                          .arg(shown, QLatin1String(member), rule));
}

bool isPredefined(std::string_view name)
{
    return name == kRuleArn || name == kRuleName || name == kIngestionTime || name == kEvent
        || name == kEventJson;
}

// EventBridge's path syntax in JsonPath's: each dotted name becomes a quoted one, so that names
// with `/` or `:` (which EventBridge allows) read as they are. `indefinite`: it has a `*`.
Result<JsonPath> eventPath(const QString &text, bool *indefinite)
{
    const auto invalid = [&text](const QString &why) {
        return validation(
            QStringLiteral("%1 is not a valid JSON path: %2").arg(text.left(256), why));
    };
    if (text.size() > kMaxPathLength)
        return invalid(QStringLiteral("a path is at most %1 characters").arg(kMaxPathLength));
    if (!text.startsWith(u'$'))
        return invalid(QStringLiteral("a path starts with $"));
    QString path = QStringLiteral("$");
    *indefinite = false;
    qsizetype i = 1;
    while (i < text.size()) {
        if (text[i] == u'.') {
            const qsizetype start = ++i;
            while (i < text.size() && text[i] != u'.' && text[i] != u'[')
                ++i;
            const QStringView name = QStringView(text).sliced(start, i - start);
            if (name == u"*") {
                *indefinite = true;
                path += QStringLiteral(".*");
                continue;
            }
            const bool plain
                = !name.isEmpty() && std::none_of(name.begin(), name.end(), [](QChar c) {
                      return c.isSpace() || c == u'\'' || c == u'"' || c == u'\\' || c == u']'
                          || c == u'*';
                  });
            if (!plain)
                return invalid(QStringLiteral("a name is expected after '.' at %1").arg(start));
            path += QStringLiteral("['") + name.toString() + QStringLiteral("']");
        } else if (text[i] == u'[') {
            const qsizetype close = text.indexOf(u']', i);
            if (close < 0)
                return invalid(QStringLiteral("unfinished '['"));
            if (QStringView(text).sliced(i, close - i + 1) == u"[*]")
                *indefinite = true;
            path += QStringView(text).sliced(i, close - i + 1);
            i = close + 1;
        } else {
            return invalid(QStringLiteral("unexpected '%1' at %2").arg(text[i]).arg(i));
        }
    }
    auto parsed = JsonPath::parse(path);
    if (!parsed)
        return invalid(parsed.error().message);
    return parsed;
}

// What a path selects: nothing (nullopt), the value, or for a path with `*` the list of what
// it found.
std::optional<Json> select(const Json &event, const JsonPath &path, bool indefinite)
{
    const std::vector<const Json *> found = path.select(event);
    if (indefinite) {
        Json list = Json::array();
        for (const Json *v : found)
            list.push_back(*v);
        return list;
    }
    if (found.empty())
        return std::nullopt;
    return *found.front();
}

std::string dump(const Json &v)
{
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A placeholder's name: what InputPathsMap's keys and the predefined names are made of.
bool isPlaceholderName(std::string_view name)
{
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || c == '.';
    });
}

// Walks a template: its text, and each placeholder with whether it is inside a JSON string.
template<typename Text, typename Placeholder>
void scanTemplate(std::string_view t, Text text, Placeholder placeholder)
{
    bool inString = false;
    for (size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (inString && c == '\\' && i + 1 < t.size()) {
            text(t.substr(i, 2));
            ++i;
            continue;
        }
        if (c == '"')
            inString = !inString;
        if (c == '<') {
            const size_t close = t.find('>', i + 1);
            if (close != std::string_view::npos
                && isPlaceholderName(t.substr(i + 1, close - i - 1))) {
                placeholder(t.substr(i + 1, close - i - 1), inString);
                i = close;
                continue;
            }
        }
        text(t.substr(i, 1));
    }
}

// The whitespace between a JSON text's tokens, removed (EventBridge minifies what it sends).
std::string minified(std::string_view json)
{
    std::string out;
    out.reserve(json.size());
    bool inString = false;
    for (size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString && c == '\\' && i + 1 < json.size()) {
            out += c;
            out += json[++i];
            continue;
        }
        if (c == '"')
            inString = !inString;
        if (!inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            continue;
        out += c;
    }
    return out;
}

} // namespace

Result<QByteArray> applyInputPath(const Json &event, const QString &path)
{
    bool indefinite = false;
    const auto parsed = eventPath(path, &indefinite);
    if (!parsed)
        return parsed.error();
    const std::optional<Json> selected = select(event, *parsed, indefinite);
    return selected ? toJsonBytes(*selected) : QByteArray();
}

Result<void> checkInputTransformer(const InputTransformer &t, const QString &targetId)
{
    if (t.pathsMap.size() > kMaxPaths)
        return validation(QStringLiteral("1 validation error detected: Value at "
                                         "'inputTransformer.inputPathsMap' failed to satisfy "
                                         "constraint: Member must have length less than or "
                                         "equal to %1")
                              .arg(kMaxPaths));
    for (auto it = t.pathsMap.cbegin(); it != t.pathsMap.cend(); ++it) {
        const QString &key = it.key();
        const bool keyOk = !key.isEmpty() && key.size() <= kMaxKeyLength
            && std::all_of(key.begin(), key.end(), [](QChar c) {
                   return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z')
                       || (c >= u'0' && c <= u'9') || c == u'_' || c == u'-';
               });
        if (!keyOk)
            return constraint(key, "inputTransformer.inputPathsMap",
                QStringLiteral("Map keys must satisfy constraint: [Member must have length less "
                               "than or equal to 256, Member must have length greater than or "
                               "equal to 1, Member must satisfy regular expression pattern: "
                               "[A-Za-z0-9\\_\\-]+]"));
        if (it.value().size() > kMaxPathLength)
            return constraint(it.value(), "inputTransformer.inputPathsMap",
                QStringLiteral("Map value must satisfy constraint: [Member must have length less "
                               "than or equal to 256]"));
    }
    if (t.inputTemplate.isEmpty())
        return validation(QStringLiteral("1 validation error detected: Value at "
                                         "'inputTransformer.inputTemplate' failed to satisfy "
                                         "constraint: Member must have length greater than or "
                                         "equal to 1"));
    if (t.inputTemplate.size() > kMaxTemplateLength)
        return constraint(t.inputTemplate, "inputTransformer.inputTemplate",
            QStringLiteral("Member must have length less than or equal to %1")
                .arg(kMaxTemplateLength));
    const std::string text = t.inputTemplate.toStdString();
    std::optional<QString> undefined;
    scanTemplate(
        text, [](std::string_view) {},
        [&](std::string_view name, bool) {
            const QString key = QString::fromUtf8(name.data(), qsizetype(name.size()));
            if (!undefined && !isPredefined(name) && !t.pathsMap.contains(key))
                undefined = key;
        });
    if (undefined)
        return validation(QStringLiteral("InputTemplate for target %1 contains invalid "
                                         "placeholder %2.")
                              .arg(targetId, *undefined));
    return {};
}

Result<QByteArray> applyInputTransformer(
    const Json &event, const InputTransformer &t, const RuleContext &context)
{
    const std::string text = t.inputTemplate.toStdString();
    const size_t first = text.find_first_not_of(" \t\r\n");
    const char kind = first == std::string::npos ? '\0' : text[first];
    const bool jsonTemplate = kind == '{' || kind == '[';

    // Each placeholder's value, found once: nullopt where its path selects nothing.
    std::map<std::string, std::optional<Json>, std::less<>> values;
    const auto valueOf = [&](std::string_view name) -> const std::optional<Json> & {
        const auto known = values.find(name);
        if (known != values.end())
            return known->second;
        std::optional<Json> v;
        if (name == kRuleArn) {
            v = context.ruleArn.toStdString();
        } else if (name == kRuleName) {
            v = context.ruleName.toStdString();
        } else if (name == kIngestionTime) {
            v = context.ingestionTime.toStdString();
        } else if (name == kEventJson) {
            v = event;
        } else if (name == kEvent) {
            // As EventBridge shows it: without the detail, and detail-type as detailType.
            Json envelope = Json::object();
            if (event.is_object()) {
                for (auto it = event.begin(); it != event.end(); ++it) {
                    if (it.key() == "detail-type")
                        envelope["detailType"] = it.value();
                    else if (it.key() != "detail")
                        envelope[it.key()] = it.value();
                }
            }
            v = std::move(envelope);
        } else {
            // A path that is not one selects nothing (AWS does not check them either).
            const auto mapped
                = t.pathsMap.constFind(QString::fromUtf8(name.data(), qsizetype(name.size())));
            bool indefinite = false;
            if (mapped != t.pathsMap.cend()) {
                if (const auto path = eventPath(*mapped, &indefinite))
                    v = select(event, *path, indefinite);
            }
        }
        return values.emplace(std::string(name), std::move(v)).first->second;
    };

    std::string out;
    out.reserve(text.size());
    scanTemplate(
        text, [&out](std::string_view piece) { out += piece; },
        [&](std::string_view name, bool inString) {
            const std::optional<Json> &v = valueOf(name);
            if (!v) {
                out += inString ? "" : "\"\"";
            } else if (!inString) {
                out += dump(*v);
            } else if (const std::string *s = v->get_ptr<const std::string *>()) {
                out += *s; // unescaped, as EventBridge inserts it
            } else if (v->is_structured() && !jsonTemplate) {
                // A string template gets an object or a list without its quotes: {a:1}.
                std::string json = dump(*v);
                json.erase(std::remove(json.begin(), json.end(), '"'), json.end());
                out += json;
            } else {
                out += dump(*v);
            }
        });

    if (!jsonTemplate)
        return QByteArray::fromStdString(out);
    if (!parseJson(std::string_view(out)))
        return validation(QStringLiteral("The InputTemplate filled from the event is not valid "
                                         "JSON: %1")
                              .arg(QString::fromStdString(out).left(256)));
    return QByteArray::fromStdString(minified(out));
}

} // namespace tarmac
