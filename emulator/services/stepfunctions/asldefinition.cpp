#include "services/stepfunctions/asldefinition.h"

#include "services/stepfunctions/aslintrinsics.h"

#include <QRandomGenerator>
#include <QSet>

#include <cmath>
#include <deque>

namespace tarmac {

namespace {

constexpr int kMaxStateNameLength = 80;
constexpr double kMaxSeconds = 99999999;

const QString kSchema = QStringLiteral("SCHEMA_VALIDATION_FAILED");
const QString kMissingTarget = QStringLiteral("MISSING_TRANSITION_TARGET");

struct TypeInfo
{
    AslState::Type type;
    const char *name;
    // The fields this type accepts besides Type, Comment and QueryLanguage.
    std::vector<const char *> fields;
};

const std::vector<TypeInfo> kTypes = {
    {AslState::Type::Task, "Task",
        {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
            "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath",
            "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign", "Output",
            "Arguments"}},
    {AslState::Type::Pass, "Pass",
        {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign",
            "Output"}},
    {AslState::Type::Choice, "Choice",
        {"InputPath", "OutputPath", "Choices", "Default", "Assign", "Output"}},
    {AslState::Type::Wait, "Wait",
        {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp",
            "TimestampPath", "Assign", "Output"}},
    {AslState::Type::Succeed, "Succeed", {"InputPath", "OutputPath", "Output"}},
    {AslState::Type::Fail, "Fail", {"Error", "ErrorPath", "Cause", "CausePath"}},
    {AslState::Type::Parallel, "Parallel",
        {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
            "Retry", "Catch", "Branches", "Assign", "Output", "Arguments"}},
    {AslState::Type::Map, "Map",
        {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector",
            "ResultSelector", "Retry", "Catch", "Iterator", "ItemProcessor", "ItemsPath", "Items",
            "MaxConcurrency", "MaxConcurrencyPath", "ItemReader", "ItemBatcher", "ResultWriter",
            "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount",
            "ToleratedFailureCountPath", "Label", "Assign", "Output", "Arguments"}},
};

// The input and output fields of one query language that the other does not have.
const std::initializer_list<const char *> kJsonPathOnlyFields = {"InputPath", "OutputPath",
    "ResultPath", "Parameters", "ResultSelector", "ItemsPath", "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
    "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"};
const std::initializer_list<const char *> kJsonataOnlyFields = {"Arguments", "Output", "Items"};

const TypeInfo *typeInfo(QStringView name)
{
    for (const TypeInfo &t : kTypes) {
        if (name == QLatin1String(t.name))
            return &t;
    }
    return nullptr;
}

bool isWholeNumber(const Json &v)
{
    if (v.is_number_integer())
        return true;
    if (!v.is_number_float())
        return false;
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

QString field(const QString &location, const char *name)
{
    return QString(location + QLatin1Char('/') + QLatin1String(name));
}

QString indexed(const QString &location, const char *name, size_t i)
{
    return QString(location + QLatin1Char('/') + QLatin1String(name) + QLatin1Char('[')
        + QString::number(i) + QLatin1Char(']'));
}

class Validator
{
public:
    std::vector<AslDiagnostic> diagnostics;

    void add(const QString &code, const QString &message, const QString &location)
    {
        diagnostics.push_back(AslDiagnostic {QStringLiteral("ERROR"), code, message, location});
    }

    // A machine, branch or item processor at `location` ("" for the top).
    AslStateMachine machine(const Json &json, const QString &location, const QString &language,
        bool top, bool processor)
    {
        AslStateMachine m;
        m.queryLanguage = language;
        const QString here = location.isEmpty() ? QStringLiteral("/") : location;
        if (!json.is_object()) {
            add(kSchema, QStringLiteral("The state machine must be a JSON object"), here);
            return m;
        }
        for (auto it = json.begin(); it != json.end(); ++it) {
            const QString key = fromStd(it.key());
            static const QStringList common {QStringLiteral("Comment"), QStringLiteral("StartAt"),
                QStringLiteral("States"), QStringLiteral("QueryLanguage")};
            const bool allowed = common.contains(key)
                || (top
                    && (key == QLatin1String("TimeoutSeconds") || key == QLatin1String("Version")))
                || (processor && key == QLatin1String("ProcessorConfig"));
            if (!allowed)
                add(kSchema, QStringLiteral("Field '%1' is not supported").arg(key), here);
        }
        QStringList missing;
        if (!json.contains("StartAt"))
            missing << QStringLiteral("StartAt");
        if (!json.contains("States"))
            missing << QStringLiteral("States");
        if (!missing.isEmpty())
            add(kSchema,
                QStringLiteral("These fields are required: [%1]")
                    .arg(missing.join(QStringLiteral(", "))),
                here);
        if (auto v = string(json, "Comment", location))
            m.comment = *v;
        if (auto v = string(json, "Version", location))
            m.version = *v;
        if (auto v = string(json, "QueryLanguage", location)) {
            if (*v != QLatin1String("JSONPath") && *v != QLatin1String("JSONata"))
                add(kSchema,
                    QStringLiteral("The value for the field 'QueryLanguage' must be JSONPath or "
                                   "JSONata"),
                    field(location, "QueryLanguage"));
            else
                m.queryLanguage = *v;
        }
        if (top)
            m.timeoutSeconds = integer(json, "TimeoutSeconds", location, 1, kMaxSeconds);
        if (auto v = string(json, "StartAt", location))
            m.startAt = *v;

        const auto states = json.find("States");
        if (states != json.end()) {
            if (!states->is_object() || states->empty()) {
                add(kSchema,
                    QStringLiteral("The value for the field 'States' must be a non-empty OBJECT"),
                    field(location, "States"));
            } else {
                for (auto it = states->begin(); it != states->end(); ++it)
                    m.states.push_back(state(fromStd(it.key()), it.value(),
                        QString(field(location, "States") + QLatin1Char('/') + fromStd(it.key())),
                        m.queryLanguage));
            }
        }
        checkGraph(m, location, json);
        return m;
    }

private:
    QSet<QString> m_names;
    bool m_jsonataState = false; // reading a state whose QueryLanguage is JSONata

    std::optional<QString> string(const Json &obj, const char *key, const QString &location)
    {
        const auto it = obj.find(key);
        if (it == obj.end())
            return std::nullopt;
        if (!it->is_string()) {
            add(kSchema,
                QStringLiteral("The value for the field '%1' must be a STRING")
                    .arg(QLatin1String(key)),
                field(location, key));
            return std::nullopt;
        }
        return fromStd(it->get<std::string>());
    }

    std::optional<double> number(const Json &obj, const char *key, const QString &location,
        double min, double max, bool whole)
    {
        const auto it = obj.find(key);
        if (it == obj.end())
            return std::nullopt;
        if (m_jsonataState && aslIsJsonataExpression(*it))
            return std::nullopt; // evaluated as the state runs
        if (!it->is_number() || (whole && !isWholeNumber(*it)) || it->get<double>() < min
            || it->get<double>() > max) {
            add(kSchema,
                QStringLiteral("The value for the field '%1' must be %2 from %3 to %4")
                    .arg(QLatin1String(key),
                        whole ? QStringLiteral("an INTEGER") : QStringLiteral("a NUMBER"))
                    .arg(min)
                    .arg(max, 0, 'f', 0),
                field(location, key));
            return std::nullopt;
        }
        return it->get<double>();
    }

    std::optional<int> integer(
        const Json &obj, const char *key, const QString &location, double min, double max)
    {
        if (auto v = number(obj, key, location, min, max, true))
            return int(*v);
        return std::nullopt;
    }

    // InputPath, OutputPath, ResultPath, ItemsPath: absent keeps `fallback`, null is nullopt.
    // A variable (`$name.field`) may be read by any of them but ResultPath, which is where the
    // result goes in the input.
    std::optional<QString> pathField(const Json &obj, const char *key, const QString &location,
        bool reference, const std::optional<QString> &fallback)
    {
        const auto it = obj.find(key);
        if (it == obj.end())
            return fallback;
        if (it->is_null())
            return std::nullopt;
        if (it->is_string()) {
            const QString text = fromStd(it->get<std::string>());
            auto path = AslPath::parse(text);
            if (path && (path->variable().isEmpty() || qstrcmp(key, "ResultPath") != 0)
                && (!reference || (path->isReferencePath() && !path->isContextPath())))
                return text;
        }
        add(kSchema,
            QStringLiteral("The value for the field '%1' must be a valid %2")
                .arg(QLatin1String(key),
                    reference ? QStringLiteral("ReferencePath") : QStringLiteral("JSONPath")),
            field(location, key));
        return fallback;
    }

    // A "...Path" field holding a reference path (TimeoutSecondsPath, SecondsPath, ...), or
    // also an intrinsic call where Step Functions allows one (ErrorPath, CausePath).
    std::optional<QString> referencePath(
        const Json &obj, const char *key, const QString &location, bool intrinsicAllowed = false)
    {
        auto text = string(obj, key, location);
        if (!text)
            return std::nullopt;
        if (intrinsicAllowed && text->trimmed().startsWith(QLatin1String("States."))) {
            if (auto call = AslIntrinsic::parse(*text); !call)
                add(kSchema, call.error().message, field(location, key));
            return text;
        }
        auto path = AslPath::parse(*text);
        if (!path || !path->isReferencePath())
            add(kSchema,
                QStringLiteral("The value for the field '%1' must be a valid ReferencePath")
                    .arg(QLatin1String(key)),
                field(location, key));
        return text;
    }

    std::optional<Json> payloadTemplate(const Json &obj, const char *key, const QString &location)
    {
        const auto it = obj.find(key);
        if (it == obj.end())
            return std::nullopt;
        checkTemplate(*it, field(location, key));
        return *it;
    }

    void checkTemplate(const Json &node, const QString &location)
    {
        if (node.is_array()) {
            for (size_t i = 0; i < node.size(); ++i)
                checkTemplate(node[i],
                    QString(location + QLatin1Char('[') + QString::number(i) + QLatin1Char(']')));
            return;
        }
        if (!node.is_object())
            return;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const QString key = fromStd(it.key());
            const QString here = QString(location + QLatin1Char('/') + key);
            if (!key.endsWith(QLatin1String(".$")) || key.size() <= 2) {
                checkTemplate(it.value(), here);
                continue;
            }
            bool valid = false;
            if (it.value().is_string()) {
                const QString text = fromStd(it.value().get<std::string>()).trimmed();
                if (text.startsWith(QLatin1String("States.")))
                    valid = AslIntrinsic::parse(text).ok();
                else
                    valid = AslPath::parse(text).ok();
            }
            if (!valid)
                add(kSchema,
                    QStringLiteral("The value for the field '%1' must be a valid JSONPath or a "
                                   "valid intrinsic function call")
                        .arg(key),
                    here);
        }
    }

    QStringList errorEquals(const Json &obj, const QString &location)
    {
        QStringList names;
        const auto it = obj.find("ErrorEquals");
        if (it == obj.end()) {
            add(kSchema, QStringLiteral("These fields are required: [ErrorEquals]"), location);
            return names;
        }
        if (!it->is_array() || it->empty()) {
            add(kSchema,
                QStringLiteral("The value for the field 'ErrorEquals' must be a non-empty ARRAY "
                               "of STRING"),
                field(location, "ErrorEquals"));
            return names;
        }
        for (const Json &name : *it) {
            if (!name.is_string()) {
                add(kSchema,
                    QStringLiteral("The value for the field 'ErrorEquals' must be a non-empty "
                                   "ARRAY of STRING"),
                    field(location, "ErrorEquals"));
                return {};
            }
            names << fromStd(name.get<std::string>());
        }
        if (names.contains(AslErrors::All) && names.size() > 1)
            add(kSchema,
                QStringLiteral("The value 'States.ALL' must appear alone in 'ErrorEquals'"),
                field(location, "ErrorEquals"));
        return names;
    }

    void unknownFields(
        const Json &obj, std::initializer_list<const char *> allowed, const QString &location)
    {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            const std::string &key = it.key();
            if (std::none_of(
                    allowed.begin(), allowed.end(), [&](const char *a) { return key == a; }))
                add(kSchema, QStringLiteral("Field '%1' is not supported").arg(fromStd(key)),
                    location);
        }
    }

    std::vector<AslRetrier> retriers(const Json &obj, const QString &location)
    {
        std::vector<AslRetrier> out;
        const auto it = obj.find("Retry");
        if (it == obj.end())
            return out;
        if (!it->is_array()) {
            add(kSchema, QStringLiteral("The value for the field 'Retry' must be an ARRAY"),
                field(location, "Retry"));
            return out;
        }
        for (size_t i = 0; i < it->size(); ++i) {
            const Json &r = (*it)[i];
            const QString here = indexed(location, "Retry", i);
            if (!r.is_object()) {
                add(kSchema, QStringLiteral("A Retrier must be an OBJECT"), here);
                continue;
            }
            unknownFields(r,
                {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                    "JitterStrategy", "Comment"},
                here);
            AslRetrier retrier;
            retrier.errorEquals = errorEquals(r, here);
            if (auto v = integer(r, "IntervalSeconds", here, 1, kMaxSeconds))
                retrier.intervalSeconds = *v;
            if (auto v = integer(r, "MaxAttempts", here, 0, kMaxSeconds))
                retrier.maxAttempts = *v;
            if (auto v = number(r, "BackoffRate", here, 1.0, kMaxSeconds, false))
                retrier.backoffRate = *v;
            if (auto v = integer(r, "MaxDelaySeconds", here, 1, 31622400))
                retrier.maxDelaySeconds = *v;
            if (auto v = string(r, "JitterStrategy", here)) {
                if (*v == QLatin1String("FULL"))
                    retrier.jitter = AslRetrier::Jitter::Full;
                else if (*v != QLatin1String("NONE"))
                    add(kSchema,
                        QStringLiteral("The value for the field 'JitterStrategy' must be FULL or "
                                       "NONE"),
                        field(here, "JitterStrategy"));
            }
            if (auto v = string(r, "Comment", here))
                retrier.comment = *v;
            if (retrier.errorEquals.contains(AslErrors::All) && i + 1 != it->size())
                add(kSchema,
                    QStringLiteral("A Retrier with 'States.ALL' must be the last one in "
                                   "'Retry'"),
                    here);
            out.push_back(std::move(retrier));
        }
        return out;
    }

    std::vector<AslCatcher> catchers(const Json &obj, const QString &location)
    {
        std::vector<AslCatcher> out;
        const auto it = obj.find("Catch");
        if (it == obj.end())
            return out;
        if (!it->is_array()) {
            add(kSchema, QStringLiteral("The value for the field 'Catch' must be an ARRAY"),
                field(location, "Catch"));
            return out;
        }
        for (size_t i = 0; i < it->size(); ++i) {
            const Json &c = (*it)[i];
            const QString here = indexed(location, "Catch", i);
            if (!c.is_object()) {
                add(kSchema, QStringLiteral("A Catcher must be an OBJECT"), here);
                continue;
            }
            unknownFields(
                c, {"ErrorEquals", "Next", "ResultPath", "Comment", "Assign", "Output"}, here);
            AslCatcher catcher;
            catcher.errorEquals = errorEquals(c, here);
            if (!c.contains("Next"))
                add(kSchema, QStringLiteral("These fields are required: [Next]"), here);
            if (auto v = string(c, "Next", here))
                catcher.next = *v;
            catcher.resultPath = pathField(c, "ResultPath", here, true, QStringLiteral("$"));
            if (m_jsonataState && c.contains("ResultPath"))
                languageField("ResultPath", here);
            if (!m_jsonataState && c.contains("Output"))
                languageField("Output", here);
            catcher.assign = assignField(c, here);
            if (const auto o = c.find("Output"); o != c.end())
                catcher.output = *o;
            if (auto v = string(c, "Comment", here))
                catcher.comment = *v;
            if (catcher.errorEquals.contains(AslErrors::All) && i + 1 != it->size())
                add(kSchema,
                    QStringLiteral("A Catcher with 'States.ALL' must be the last one in "
                                   "'Catch'"),
                    here);
            out.push_back(std::move(catcher));
        }
        return out;
    }

    // A field of the other query language.
    void languageField(const char *key, const QString &location)
    {
        add(kSchema,
            QStringLiteral("The field '%1' is not supported when the QueryLanguage is %2")
                .arg(QLatin1String(key),
                    m_jsonataState ? QStringLiteral("JSONata") : QStringLiteral("JSONPath")),
            field(location, key));
    }

    // Assign: an object of variable names.
    std::optional<Json> assignField(const Json &obj, const QString &location)
    {
        const auto it = obj.find("Assign");
        if (it == obj.end())
            return std::nullopt;
        if (!it->is_object()) {
            add(kSchema, QStringLiteral("The value for the field 'Assign' must be an OBJECT"),
                field(location, "Assign"));
            return std::nullopt;
        }
        for (auto v = it->begin(); v != it->end(); ++v) {
            const std::string &name = v.key();
            std::string_view bare = name;
            if (!m_jsonataState && bare.size() > 2 && bare.substr(bare.size() - 2) == ".$")
                bare.remove_suffix(2);
            const bool valid = !bare.empty() && bare.size() <= 80
                && (std::isalpha(static_cast<unsigned char>(bare[0])) || bare[0] == '_')
                && std::all_of(bare.begin(), bare.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
            if (!valid || bare == "states")
                add(kSchema,
                    QStringLiteral("The variable name '%1' is not valid").arg(fromStd(name)),
                    field(field(location, "Assign"), name.c_str()));
        }
        return *it;
    }

    AslState state(
        const QString &name, const Json &json, const QString &location, const QString &language)
    {
        AslState s;
        s.name = name;
        s.queryLanguage = language;
        if (m_names.contains(name))
            add(QStringLiteral("DUPLICATE_STATE_NAME"),
                QStringLiteral("Duplicate State name: %1").arg(name), location);
        m_names.insert(name);
        if (name.size() > kMaxStateNameLength)
            add(kSchema,
                QStringLiteral("A State name is at most %1 characters long")
                    .arg(kMaxStateNameLength),
                location);
        if (!json.is_object()) {
            add(kSchema, QStringLiteral("A State must be an OBJECT"), location);
            return s;
        }
        const auto typeField = json.find("Type");
        if (typeField == json.end()) {
            add(kSchema, QStringLiteral("These fields are required: [Type]"), location);
            return s;
        }
        const TypeInfo *info
            = typeField->is_string() ? typeInfo(fromStd(typeField->get<std::string>())) : nullptr;
        if (!info) {
            add(kSchema,
                QStringLiteral("The value for the field 'Type' must be one of Task, Pass, "
                               "Choice, Wait, Succeed, Fail, Parallel, Map"),
                field(location, "Type"));
            return s;
        }
        s.type = info->type;
        for (auto it = json.begin(); it != json.end(); ++it) {
            const std::string &key = it.key();
            if (key == "Type" || key == "Comment" || key == "QueryLanguage")
                continue;
            if (std::none_of(info->fields.begin(), info->fields.end(),
                    [&](const char *f) { return key == f; }))
                add(kSchema, QStringLiteral("Field '%1' is not supported").arg(fromStd(key)),
                    location);
        }
        if (auto v = string(json, "Comment", location))
            s.comment = *v;
        if (auto v = string(json, "QueryLanguage", location)) {
            if (*v == QLatin1String("JSONPath") || *v == QLatin1String("JSONata"))
                s.queryLanguage = *v;
            else
                add(kSchema,
                    QStringLiteral("The value for the field 'QueryLanguage' must be JSONPath or "
                                   "JSONata"),
                    field(location, "QueryLanguage"));
        }
        const bool jsonPath = s.queryLanguage != QLatin1String("JSONata");
        m_jsonataState = !jsonPath;
        // Each language has its own fields for input and output.
        for (const char *f : jsonPath ? kJsonataOnlyFields : kJsonPathOnlyFields) {
            if (json.contains(f))
                languageField(f, location);
        }
        s.assign = assignField(json, location);
        if (!jsonPath)
            s.jsonata = json;

        // Next / End
        const bool transitions = std::any_of(info->fields.begin(), info->fields.end(),
            [](const char *f) { return qstrcmp(f, "Next") == 0; });
        if (transitions) {
            s.next = string(json, "Next", location);
            const auto end = json.find("End");
            if (end != json.end()) {
                if (!end->is_boolean())
                    add(kSchema, QStringLiteral("The value for the field 'End' must be a BOOLEAN"),
                        field(location, "End"));
                else
                    s.end = end->get<bool>();
            }
            if (s.next && s.end)
                add(kSchema, QStringLiteral("Only one of 'Next' or 'End' can be given"), location);
            else if (!s.next && !s.end && !json.contains("Next"))
                add(kSchema,
                    QStringLiteral("A %1 state needs either 'Next' or \"End\": true")
                        .arg(QLatin1String(info->name)),
                    location);
        }

        if (jsonPath) {
            s.inputPath = pathField(json, "InputPath", location, false, QStringLiteral("$"));
            s.outputPath = pathField(json, "OutputPath", location, false, QStringLiteral("$"));
            s.resultPath = pathField(json, "ResultPath", location, true, QStringLiteral("$"));
            s.parameters = payloadTemplate(json, "Parameters", location);
            s.resultSelector = payloadTemplate(json, "ResultSelector", location);
        }
        s.retry = retriers(json, location);
        s.catchers = catchers(json, location);

        switch (s.type) {
        case AslState::Type::Task:
            task(s, json, location);
            break;
        case AslState::Type::Pass:
            if (auto it = json.find("Result"); it != json.end())
                s.result = *it;
            break;
        case AslState::Type::Choice:
            choice(s, json, location);
            break;
        case AslState::Type::Wait:
            wait(s, json, location);
            break;
        case AslState::Type::Succeed:
            break;
        case AslState::Type::Fail:
            fail(s, json, location);
            break;
        case AslState::Type::Parallel: {
            const auto branches = json.find("Branches");
            if (branches == json.end()) {
                add(kSchema, QStringLiteral("These fields are required: [Branches]"), location);
            } else if (!branches->is_array() || branches->empty()) {
                add(kSchema,
                    QStringLiteral("The value for the field 'Branches' must be a non-empty "
                                   "ARRAY"),
                    field(location, "Branches"));
            } else {
                for (size_t i = 0; i < branches->size(); ++i)
                    s.branches.push_back(machine((*branches)[i], indexed(location, "Branches", i),
                        s.queryLanguage, false, false));
            }
            break;
        }
        case AslState::Type::Map:
            map(s, json, location);
            break;
        }
        return s;
    }

    void task(AslState &s, const Json &json, const QString &location)
    {
        if (!json.contains("Resource"))
            add(kSchema, QStringLiteral("These fields are required: [Resource]"), location);
        if (auto v = string(json, "Resource", location))
            s.resource = *v;
        s.timeoutSeconds = integer(json, "TimeoutSeconds", location, 1, kMaxSeconds);
        s.timeoutSecondsPath = referencePath(json, "TimeoutSecondsPath", location);
        s.heartbeatSeconds = integer(json, "HeartbeatSeconds", location, 1, kMaxSeconds);
        s.heartbeatSecondsPath = referencePath(json, "HeartbeatSecondsPath", location);
        if (json.contains("TimeoutSeconds") && json.contains("TimeoutSecondsPath"))
            add(kSchema,
                QStringLiteral("Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' can be "
                               "given"),
                location);
        if (json.contains("HeartbeatSeconds") && json.contains("HeartbeatSecondsPath"))
            add(kSchema,
                QStringLiteral("Only one of 'HeartbeatSeconds' or 'HeartbeatSecondsPath' can be "
                               "given"),
                location);
        if (s.timeoutSeconds && s.heartbeatSeconds && *s.heartbeatSeconds >= *s.timeoutSeconds)
            add(kSchema, QStringLiteral("'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'"),
                field(location, "HeartbeatSeconds"));
        if (auto it = json.find("Credentials"); it != json.end()) {
            checkTemplate(*it, field(location, "Credentials"));
            s.credentials = *it;
        }
    }

    void choice(AslState &s, const Json &json, const QString &location)
    {
        s.defaultState = string(json, "Default", location);
        const auto choices = json.find("Choices");
        if (choices == json.end()) {
            add(kSchema, QStringLiteral("These fields are required: [Choices]"), location);
            return;
        }
        if (!choices->is_array() || choices->empty()) {
            add(kSchema,
                QStringLiteral("The value for the field 'Choices' must be a non-empty ARRAY"),
                field(location, "Choices"));
            return;
        }
        if (s.queryLanguage == QLatin1String("JSONata")) {
            // Condition rules: a JSONata expression (or a boolean) and where it leads; the
            // expression is evaluated as the state runs.
            for (size_t i = 0; i < choices->size(); ++i) {
                const Json &c = (*choices)[i];
                const QString here = indexed(location, "Choices", i);
                if (!c.is_object()) {
                    add(kSchema, QStringLiteral("A Choice Rule must be an OBJECT"), here);
                    continue;
                }
                unknownFields(c, {"Condition", "Next", "Comment", "Assign", "Output"}, here);
                const auto condition = c.find("Condition");
                if (condition == c.end() || !c.contains("Next"))
                    add(kSchema, QStringLiteral("These fields are required: [Condition, Next]"),
                        here);
                else if (!condition->is_boolean() && !aslIsJsonataExpression(*condition))
                    add(kSchema,
                        QStringLiteral("The value for the field 'Condition' must be a JSONata "
                                       "expression or a BOOLEAN"),
                        field(here, "Condition"));
                AslChoiceRule rule;
                rule.value = condition == c.end() ? Json() : *condition;
                if (auto v = string(c, "Next", here))
                    rule.next = *v;
                if (auto v = string(c, "Comment", here))
                    rule.comment = *v;
                assignField(c, here);
                s.choices.push_back(std::move(rule));
            }
            return;
        }
        for (size_t i = 0; i < choices->size(); ++i) {
            QString where;
            auto rule
                = parseChoiceRule((*choices)[i], indexed(location, "Choices", i), true, &where);
            if (!rule) {
                add(rule.error().code, rule.error().message, where);
                continue;
            }
            s.choices.push_back(std::move(*rule));
        }
    }

    void wait(AslState &s, const Json &json, const QString &location)
    {
        int given = 0;
        for (const char *f : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"})
            given += json.contains(f) ? 1 : 0;
        if (given != 1)
            add(kSchema,
                QStringLiteral("Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or "
                               "'TimestampPath' is required"),
                location);
        s.seconds = number(json, "Seconds", location, 0, kMaxSeconds, true);
        s.secondsPath = referencePath(json, "SecondsPath", location);
        s.timestamp = string(json, "Timestamp", location);
        if (s.timestamp && !parseAslTimestamp(*s.timestamp)
            && !(m_jsonataState && aslIsJsonataExpression(json["Timestamp"])))
            add(kSchema,
                QStringLiteral("The value for the field 'Timestamp' must be a valid RFC3339 "
                               "timestamp"),
                field(location, "Timestamp"));
        s.timestampPath = referencePath(json, "TimestampPath", location);
    }

    void fail(AslState &s, const Json &json, const QString &location)
    {
        s.error = string(json, "Error", location);
        s.cause = string(json, "Cause", location);
        s.errorPath = referencePath(json, "ErrorPath", location, true);
        s.causePath = referencePath(json, "CausePath", location, true);
        if (json.contains("Error") && json.contains("ErrorPath"))
            add(kSchema, QStringLiteral("Only one of 'Error' or 'ErrorPath' can be given"),
                location);
        if (json.contains("Cause") && json.contains("CausePath"))
            add(kSchema, QStringLiteral("Only one of 'Cause' or 'CausePath' can be given"),
                location);
    }

    void map(AslState &s, const Json &json, const QString &location)
    {
        const bool hasProcessor = json.contains("ItemProcessor");
        const bool hasIterator = json.contains("Iterator");
        if (hasProcessor == hasIterator)
            add(kSchema,
                hasProcessor ? QStringLiteral("Only one of 'ItemProcessor' or 'Iterator' can be "
                                              "given")
                             : QStringLiteral("These fields are required: [ItemProcessor]"),
                location);
        const char *processorKey = hasProcessor ? "ItemProcessor" : "Iterator";
        if (const auto it = json.find(processorKey); it != json.end()) {
            s.branches.push_back(
                machine(*it, field(location, processorKey), s.queryLanguage, false, hasProcessor));
            if (hasProcessor && it->is_object())
                processorConfig(s, *it, field(location, processorKey));
        }
        if (json.contains("ItemSelector") && json.contains("Parameters"))
            add(kSchema, QStringLiteral("Only one of 'ItemSelector' or 'Parameters' can be given"),
                location);
        if (const auto selector = payloadTemplate(json, "ItemSelector", location))
            s.parameters = selector;
        s.itemsPath = pathField(json, "ItemsPath", location, true, QStringLiteral("$"));
        if (auto v = integer(json, "MaxConcurrency", location, 0, kMaxSeconds))
            s.maxConcurrency = *v;
        s.maxConcurrencyPath = referencePath(json, "MaxConcurrencyPath", location);
        for (const auto &[key, slot] :
            {std::pair {"ItemReader", &s.itemReader}, std::pair {"ItemBatcher", &s.itemBatcher},
                std::pair {"ResultWriter", &s.resultWriter}}) {
            if (const auto it = json.find(key); it != json.end()) {
                if (!it->is_object())
                    add(kSchema,
                        QStringLiteral("The value for the field '%1' must be an OBJECT")
                            .arg(QLatin1String(key)),
                        field(location, key));
                else
                    *slot = *it;
            }
        }
        s.toleratedFailurePercentage
            = number(json, "ToleratedFailurePercentage", location, 0, 100, false);
        s.toleratedFailurePercentagePath
            = referencePath(json, "ToleratedFailurePercentagePath", location);
        s.toleratedFailureCount = integer(json, "ToleratedFailureCount", location, 0, kMaxSeconds);
        s.toleratedFailureCountPath = referencePath(json, "ToleratedFailureCountPath", location);
        if (auto v = string(json, "Label", location))
            s.label = *v;
    }

    void processorConfig(AslState &s, const Json &processor, const QString &location)
    {
        const auto config = processor.find("ProcessorConfig");
        if (config == processor.end())
            return;
        const QString here = field(location, "ProcessorConfig");
        if (!config->is_object()) {
            add(kSchema,
                QStringLiteral("The value for the field 'ProcessorConfig' must be an OBJECT"),
                here);
            return;
        }
        unknownFields(*config, {"Mode", "ExecutionType"}, here);
        if (auto v = string(*config, "Mode", here)) {
            if (*v != QLatin1String("INLINE") && *v != QLatin1String("DISTRIBUTED"))
                add(kSchema,
                    QStringLiteral("The value for the field 'Mode' must be INLINE or "
                                   "DISTRIBUTED"),
                    field(here, "Mode"));
            else
                s.processorMode = *v;
        }
        if (auto v = string(*config, "ExecutionType", here)) {
            if (*v != QLatin1String("STANDARD") && *v != QLatin1String("EXPRESS"))
                add(kSchema,
                    QStringLiteral("The value for the field 'ExecutionType' must be STANDARD or "
                                   "EXPRESS"),
                    field(here, "ExecutionType"));
            else
                s.executionType = *v;
        }
    }

    // Transitions name states of the same machine; every state is reachable; one can end it.
    void checkGraph(const AslStateMachine &m, const QString &location, const Json &json)
    {
        if (m.states.empty())
            return;
        auto known = [&](const QString &name) { return m.state(name) != nullptr; };
        auto missing = [&](const QString &name, const QString &where) {
            add(kMissingTarget, QStringLiteral("Missing 'Next' target: %1").arg(name), where);
        };
        const QString statesAt = field(location, "States");
        for (const AslState &s : m.states) {
            const QString here = QString(statesAt + QLatin1Char('/') + s.name);
            if (s.next && !known(*s.next))
                missing(*s.next, field(here, "Next"));
            for (size_t i = 0; i < s.choices.size(); ++i) {
                if (!known(s.choices[i].next))
                    missing(s.choices[i].next, field(indexed(here, "Choices", i), "Next"));
            }
            if (s.defaultState && !known(*s.defaultState))
                missing(*s.defaultState, field(here, "Default"));
            for (size_t i = 0; i < s.catchers.size(); ++i) {
                if (!s.catchers[i].next.isEmpty() && !known(s.catchers[i].next))
                    missing(s.catchers[i].next, field(indexed(here, "Catch", i), "Next"));
            }
        }
        const bool startKnown = known(m.startAt);
        if (json.contains("StartAt") && !m.startAt.isEmpty() && !startKnown)
            add(kMissingTarget, QStringLiteral("Missing 'StartAt' target: %1").arg(m.startAt),
                field(location, "StartAt"));

        if (std::none_of(m.states.begin(), m.states.end(),
                [](const AslState &s) { return s.isTerminal(); })) {
            add(QStringLiteral("MISSING_END_STATE"),
                QStringLiteral("Workflow has no terminal state"), QString());
            return;
        }
        if (!startKnown)
            return;
        QSet<QString> reached {m.startAt};
        std::deque<QString> queue {m.startAt};
        while (!queue.empty()) {
            const AslState *s = m.state(queue.front());
            queue.pop_front();
            if (!s)
                continue;
            QStringList targets;
            if (s->next)
                targets << *s->next;
            if (s->defaultState)
                targets << *s->defaultState;
            for (const AslChoiceRule &rule : s->choices)
                targets << rule.next;
            for (const AslCatcher &c : s->catchers)
                targets << c.next;
            for (const QString &t : std::as_const(targets)) {
                if (!reached.contains(t) && known(t)) {
                    reached.insert(t);
                    queue.push_back(t);
                }
            }
        }
        for (const AslState &s : m.states) {
            if (!reached.contains(s.name))
                add(kMissingTarget, QStringLiteral("State \"%1\" is not reachable.").arg(s.name),
                    QString(statesAt + QLatin1Char('/') + s.name));
        }
    }
};

} // namespace

const AslStateMachine *AslState::itemProcessor() const
{
    return type == Type::Map && !branches.empty() ? &branches.front() : nullptr;
}

bool AslState::isTerminal() const
{
    return end || type == Type::Succeed || type == Type::Fail;
}

const AslState *AslStateMachine::state(QStringView name) const
{
    for (const AslState &s : states) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

bool aslIsJsonataExpression(const Json &value)
{
    if (!value.is_string())
        return false;
    const std::string &s = value.get_ref<const std::string &>();
    return s.size() >= 4 && s.compare(0, 2, "{%") == 0 && s.compare(s.size() - 2, 2, "%}") == 0;
}

AslValidation validateAslDefinition(const QByteArray &definition)
{
    AslValidation out;
    auto json = parseJson(definition);
    if (!json) {
        out.diagnostics.push_back(
            AslDiagnostic {QStringLiteral("ERROR"), QStringLiteral("INVALID_JSON_DESCRIPTION"),
                QStringLiteral("The definition is not valid JSON"), QStringLiteral("/")});
        return out;
    }
    Validator validator;
    out.machine = validator.machine(*json, QString(), QStringLiteral("JSONPath"), true, false);
    out.diagnostics = std::move(validator.diagnostics);
    return out;
}

Result<AslStateMachine> parseAslDefinition(const QByteArray &definition)
{
    AslValidation v = validateAslDefinition(definition);
    if (v.ok())
        return std::move(v.machine);
    QStringList parts;
    for (const AslDiagnostic &d : v.diagnostics)
        parts << QStringLiteral("%1: %2 at %3")
                     .arg(d.code, d.message,
                         d.location.isEmpty() ? QStringLiteral("null") : d.location);
    return makeError(QStringLiteral("InvalidDefinition"),
        QString(QStringLiteral("Invalid State Machine Definition: '")
            + parts.join(QStringLiteral(", ")) + QLatin1Char('\'')));
}

bool aslErrorMatches(const QStringList &errorEquals, QStringView error)
{
    if (error == AslErrors::Runtime)
        return false;
    for (const QString &name : errorEquals) {
        if (name == error)
            return true;
        if (error == AslErrors::DataLimitExceeded)
            continue;
        if (name == AslErrors::All)
            return true;
        if (name == AslErrors::TaskFailed && error != AslErrors::Timeout)
            return true;
    }
    return false;
}

const AslRetrier *findRetrier(const std::vector<AslRetrier> &retry, QStringView error)
{
    for (const AslRetrier &r : retry) {
        if (aslErrorMatches(r.errorEquals, error))
            return &r;
    }
    return nullptr;
}

const AslCatcher *findCatcher(const std::vector<AslCatcher> &catchers, QStringView error)
{
    for (const AslCatcher &c : catchers) {
        if (aslErrorMatches(c.errorEquals, error))
            return &c;
    }
    return nullptr;
}

std::optional<double> aslRetryDelaySeconds(
    const AslRetrier &retrier, int attempt, const AslRandomSource &random)
{
    if (attempt < 1 || attempt > retrier.maxAttempts)
        return std::nullopt;
    double delay = retrier.intervalSeconds * std::pow(retrier.backoffRate, attempt - 1);
    if (retrier.maxDelaySeconds)
        delay = std::min(delay, *retrier.maxDelaySeconds);
    if (retrier.jitter == AslRetrier::Jitter::Full) {
        const double draw = random ? random() : QRandomGenerator::global()->generateDouble();
        delay *= std::clamp(draw, 0.0, 1.0);
    }
    return delay;
}

QString aslStateTypeName(AslState::Type type)
{
    for (const TypeInfo &t : kTypes) {
        if (t.type == type)
            return QLatin1String(t.name);
    }
    return QString();
}

} // namespace tarmac
