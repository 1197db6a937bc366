#include "engine/stackloader.h"

#include "engine/resourcetypes.h"
#include "template/intrinsics.h"
#include "template/templatedocument.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QSet>

namespace tarmac {

namespace {

const QLatin1String kSamTransform("AWS::Serverless-2016-10-31");
const QLatin1String kSamFunction("AWS::Serverless::Function");

using Level = FidelityItem::Level;
using Kind = FidelityItem::Kind;

// A template's text as a QString. A leading byte-order mark is kept (QString::fromUtf8 drops
// it), so that a name read back with toStdString() finds its member again.
QString qs(const std::string &s)
{
    QString out = QString::fromStdString(s);
    if (s.starts_with("\xEF\xBB\xBF") && !out.startsWith(QChar(0xFEFF)))
        out.prepend(QChar(0xFEFF));
    return out;
}

// The member of `object` named by a name the loader listed (a name that went through QString
// may not be the template's bytes: malformed UTF-8 comes back as U+FFFD), or null. A missing
// key read with const operator[] read past a node when a fuzzed template named a resource
// "\uFEFFQ".
const Json &memberOf(const Json &object, const QString &key)
{
    return memberOrNull(object, key.toStdString());
}

// A resource of the template while the stack is being built.
struct Resource
{
    QString logicalId;
    QString type;
    Json body = Json::object(); // the resource as written
    QString path; // "/Resources/<id>"
    bool included = true; // its Condition holds
    bool implicit = false; // made by the SAM transform
    QStringList dependsOn; // resolved dependencies (included resources only)
    QString deletionPolicy;

    // Properties before intrinsics, after Globals, each with the path it is written at.
    Json rawProperties = Json::object();
    QHash<QString, QString> propertyPaths;
    QStringList propertyOrder;

    bool resolved = false;
    Json properties = Json::object();
    ResourceIdentity identity;
};

// The Globals sections applied, and the resource type each applies to.
const QMap<QString, QString> kGlobalSections
    = {{QStringLiteral("Function"), QStringLiteral("AWS::Serverless::Function")},
        {QStringLiteral("Api"), QStringLiteral("AWS::Serverless::Api")},
        {QStringLiteral("HttpApi"), QStringLiteral("AWS::Serverless::HttpApi")}};

// SAM Globals merge: maps merge, lists add up, anything else (and any intrinsic) is
// replaced by the resource's own value.
Json mergeGlobal(const Json &global, const Json &local)
{
    if (!IntrinsicResolver::intrinsicName(global).isEmpty()
        || !IntrinsicResolver::intrinsicName(local).isEmpty())
        return local;
    if (global.is_object() && local.is_object()) {
        Json out = global;
        for (auto it = local.begin(); it != local.end(); ++it)
            out[it.key()]
                = out.contains(it.key()) ? mergeGlobal(out[it.key()], it.value()) : it.value();
        return out;
    }
    if (global.is_array() && local.is_array()) {
        Json out = global;
        for (const Json &v : local)
            out.push_back(v);
        return out;
    }
    return local;
}

bool isAlphanumeric(const QString &s)
{
    if (s.isEmpty())
        return false;
    return std::all_of(s.cbegin(), s.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
    });
}

// A TOML string value as SAM CLI writes them: a basic string ("…", with \" and \\ escapes,
// as SAM CLI writes quotes inside parameter_overrides) or a literal one ('…').
std::optional<QString> tomlString(const QString &value)
{
    if (value.size() < 2 || (value.front() != u'"' && value.front() != u'\''))
        return std::nullopt;
    const bool basic = value.front() == u'"';
    QString out;
    for (qsizetype i = 1; i < value.size(); ++i) {
        const QChar c = value[i];
        if (c == value.front())
            return out;
        if (basic && c == u'\\' && i + 1 < value.size()) {
            const QChar next = value[++i];
            out += next == u'n' ? QChar(u'\n') : next == u't' ? QChar(u'\t') : next;
            continue;
        }
        out += c;
    }
    return std::nullopt;
}

// samconfig.toml's string values by "table\nkey", read once: [tables] and key = "string"
// lines. The first line of a key decides; a value that is not a string is left out.
QHash<QString, QString> readSamconfig(const QString &dir)
{
    QHash<QString, QString> values;
    QFile file(QDir(dir).filePath(QStringLiteral("samconfig.toml")));
    if (file.size() > 1024 * 1024 || !file.open(QIODevice::ReadOnly))
        return values;
    QSet<QString> seen;
    QString current;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    for (QString line : lines) {
        line = line.trimmed();
        if (line.startsWith(u'[')) {
            const qsizetype close = line.indexOf(u']');
            current = close > 0 ? line.mid(1, close - 1).trimmed() : QString();
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            continue;
        const QString key = current + u'\n' + line.left(eq).trimmed();
        if (seen.contains(key))
            continue;
        seen.insert(key);
        if (auto value = tomlString(line.mid(eq + 1).trimmed()))
            values.insert(key, *value);
    }
    return values;
}

class Loader : public IntrinsicContext
{
public:
    Loader(const TemplateDocument &doc, const QString &templatePath,
        const StackLoader::Options &options)
        : m_doc(doc)
        , m_options(options)
        , m_resolver(doc, *this, &m_stack.report)
    {
        m_stack.templatePath = templatePath;
        m_stack.baseDir = QFileInfo(templatePath).absolutePath();
        m_stack.region = options.region;
        m_stack.accountId = options.accountId;
        m_stack.name = options.stackName.isEmpty() ? StackLoader::defaultStackName(templatePath)
                                                   : options.stackName;
        const QByteArray h = QCryptographicHash::hash(
            (m_stack.name + templatePath).toUtf8(), QCryptographicHash::Sha1)
                                 .toHex();
        const QString uuid = QStringLiteral("%1-%2-%3-%4-%5")
                                 .arg(QLatin1String(h.mid(0, 8)), QLatin1String(h.mid(8, 4)),
                                     QLatin1String(h.mid(12, 4)), QLatin1String(h.mid(16, 4)),
                                     QLatin1String(h.mid(20, 12)));
        m_stack.id = QStringLiteral("arn:aws:cloudformation:%1:%2:stack/%3/%4")
                         .arg(m_stack.region, m_stack.accountId, m_stack.name, uuid);
        m_naming = StackNaming {
            m_stack.name, m_stack.id, m_stack.region, m_stack.accountId, m_options.endpoint};
    }

    Result<Stack> run()
    {
        if (!m_doc.root().is_object())
            return error(
                QString(), QStringLiteral("a template is a map of sections (Resources, …)"));
        const std::initializer_list<Result<void> (Loader::*)()> steps
            = {&Loader::readSections, &Loader::readParameters, &Loader::readResources,
                &Loader::expandSam, &Loader::findDependencies, &Loader::sortResources,
                &Loader::resolveResources, &Loader::readOutputs};
        for (auto step : steps) {
            if (auto r = (this->*step)(); !r)
                return r.error();
        }
        return std::move(m_stack);
    }

    // IntrinsicContext
    Result<Json> ref(const QString &name, const TemplateLocation &where) override
    {
        if (name.startsWith(QLatin1String("AWS::"))) {
            if (name == QLatin1String("AWS::Region"))
                return Json(m_stack.region.toStdString());
            if (name == QLatin1String("AWS::AccountId"))
                return Json(m_stack.accountId.toStdString());
            if (name == QLatin1String("AWS::StackName"))
                return Json(m_stack.name.toStdString());
            if (name == QLatin1String("AWS::StackId"))
                return Json(m_stack.id.toStdString());
            if (name == QLatin1String("AWS::Partition"))
                return Json("aws");
            if (name == QLatin1String("AWS::URLSuffix"))
                return Json("amazonaws.com");
            if (name == QLatin1String("AWS::NotificationARNs"))
                return Json::array();
            if (name == QLatin1String("AWS::NoValue"))
                return IntrinsicResolver::noValue();
            return errorAt(where, QStringLiteral("unknown pseudo parameter %1").arg(name));
        }
        if (m_stack.parameters.contains(name))
            return m_stack.parameters.value(name);
        auto r = resourceFor(m_propertyRefs.value(name, name), where);
        if (!r)
            return r.error();
        return (*r)->identity.ref;
    }

    Result<Json> getAtt(
        const QString &resource, const QString &attribute, const TemplateLocation &where) override
    {
        // `${Function.Alias}` in a Sub: SAM makes it the alias's Ref.
        if (const auto t = m_propertyRefs.constFind(resource + u'.' + attribute);
            t != m_propertyRefs.cend())
            return ref(*t, where);
        auto r = resourceFor(resource, where);
        if (!r)
            return r.error();
        const ResourceIdentity &id = (*r)->identity;
        if (const auto it = id.attributes.constFind(attribute); it != id.attributes.cend())
            return *it;
        if (!id.attributesKnown)
            return Json(QStringLiteral("%1.%2").arg(id.physicalId, attribute).toStdString());
        return errorAt(where,
            QStringLiteral("Template error: resource %1 does not support attribute type %2 in "
                           "Fn::GetAtt")
                .arg(resource, attribute));
    }

    Result<bool> condition(const QString &name, const TemplateLocation &where) override
    {
        if (const auto it = m_conditionValues.constFind(name); it != m_conditionValues.cend())
            return *it;
        const Json &conditions = section("Conditions");
        if (!conditions.is_object() || !conditions.contains(name.toStdString()))
            return errorAt(
                where, QStringLiteral("there is no condition %1 in Conditions").arg(name));
        if (m_conditionsInProgress.contains(name))
            return errorAt(where,
                QStringLiteral("circular dependency between conditions: %1")
                    .arg((m_conditionStack + QStringList {name}).join(QLatin1String(" -> "))));
        m_conditionsInProgress.insert(name);
        m_conditionStack.append(name);
        auto value = m_resolver.condition(conditions[name.toStdString()],
            TemplateDocument::childPath(QStringLiteral("/Conditions"), name));
        m_conditionStack.removeLast();
        m_conditionsInProgress.remove(name);
        if (!value)
            return value;
        m_conditionValues.insert(name, *value);
        return value;
    }

    const Json &mappings() const override { return section("Mappings"); }
    QString region() const override { return m_stack.region; }

private:
    const Json &section(const char *name) const
    {
        static const Json none;
        const Json &root = m_doc.root();
        return root.contains(name) ? root[name] : none;
    }

    // The keys of `object` (written at `path`) in template order; keys the document does
    // not know at that path (merged from Globals, or a JSON file read without positions)
    // come last, sorted.
    QStringList keysOf(const QString &path, const Json &object) const
    {
        QStringList keys;
        if (!object.is_object())
            return keys;
        for (const QString &k : m_doc.keys(path)) {
            if (object.contains(k.toStdString()))
                keys.append(k);
        }
        for (auto it = object.begin(); it != object.end(); ++it) {
            const QString k = qs(it.key());
            if (!keys.contains(k))
                keys.append(k);
        }
        return keys;
    }

    Error error(const QString &path, const QString &message) const
    {
        return errorAt(m_doc.locate(path), message);
    }

    static Error errorAt(const TemplateLocation &where, const QString &message)
    {
        return makeError(
            QStringLiteral("ValidationError"), where.toString() + QStringLiteral(": ") + message);
    }

    void report(
        Level level, Kind kind, const QString &subject, const QString &path, const QString &note)
    {
        m_stack.report.add(FidelityItem {
            level, kind, subject, TemplateDocument::displayPath(path), note, m_doc.locate(path)});
    }

    Result<Resource *> resourceFor(const QString &name, const TemplateLocation &where)
    {
        const auto it = m_index.constFind(name);
        if (it == m_index.cend())
            return errorAt(where,
                QStringLiteral("Unresolved resource dependencies [%1] in the Resources block of "
                               "the template")
                    .arg(name));
        Resource &r = m_resources[*it];
        if (!r.included)
            return errorAt(where,
                QStringLiteral("%1 is left out by its condition %2 and cannot be referred to here")
                    .arg(name, qs(r.body.value("Condition", std::string()))));
        if (!r.resolved)
            return errorAt(
                where, QStringLiteral("the resource %1 cannot be referred to here").arg(name));
        return &r;
    }

    // --- sections -----------------------------------------------------------------------

    Result<void> readSections()
    {
        static const char *const known[]
            = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules",
                "Mappings", "Conditions", "Transform", "Resources", "Outputs", "Globals"};
        for (auto it = m_doc.root().begin(); it != m_doc.root().end(); ++it) {
            if (std::none_of(std::begin(known), std::end(known),
                    [&](const char *k) { return it.key() == k; }))
                return error(TemplateDocument::childPath(QString(), qs(it.key())),
                    QStringLiteral(
                        "Template format error: Invalid template property or properties [%1]")
                        .arg(qs(it.key())));
        }
        const Json &transform = section("Transform");
        QList<std::pair<QString, QString>> transforms; // name, path
        if (transform.is_string())
            transforms.append({qs(transform.get<std::string>()), QStringLiteral("/Transform")});
        else if (transform.is_array()) {
            for (size_t i = 0; i < transform.size(); ++i)
                transforms.append({transform[i].is_string() ? qs(transform[i].get<std::string>())
                                                            : QStringLiteral("(macro)"),
                    TemplateDocument::childPath(QStringLiteral("/Transform"), qsizetype(i))});
        } else if (!transform.is_null()) {
            return error(QStringLiteral("/Transform"),
                QStringLiteral("Transform takes a name or a list of names"));
        }
        for (const auto &[t, path] : std::as_const(transforms)) {
            if (t == kSamTransform)
                m_sam = true;
            else if (t != QLatin1String("AWS::LanguageExtensions"))
                report(Level::Unsupported, Kind::Section, t, path,
                    QStringLiteral("macros are not run; the template is used as written"));
        }
        if (!section("Rules").is_null())
            report(Level::Unsupported, Kind::Section, QStringLiteral("Rules"),
                QStringLiteral("/Rules"), QStringLiteral("parameter rules are not checked"));
        const Json &globals = section("Globals");
        if (!globals.is_null()) {
            if (!m_sam)
                return error(QStringLiteral("/Globals"),
                    QStringLiteral("Globals needs `Transform: AWS::Serverless-2016-10-31`"));
            if (!globals.is_object())
                return error(
                    QStringLiteral("/Globals"), QStringLiteral("Globals is a map of sections"));
            for (auto it = globals.begin(); it != globals.end(); ++it) {
                const QString path
                    = TemplateDocument::childPath(QStringLiteral("/Globals"), qs(it.key()));
                const auto type = kGlobalSections.constFind(qs(it.key()));
                if (type != kGlobalSections.cend()) {
                    if (!it.value().is_object())
                        return error(path,
                            QStringLiteral("Globals.%1 is a map of properties").arg(qs(it.key())));
                    m_globals.insert(*type, it.value());
                } else {
                    report(Level::Unsupported, Kind::Section,
                        QStringLiteral("Globals.") + qs(it.key()), path,
                        QStringLiteral("only Globals.Function, Globals.Api and Globals.HttpApi "
                                       "are applied"));
                }
            }
        }
        const Json &mappings = section("Mappings");
        if (!mappings.is_null() && !mappings.is_object())
            return error(QStringLiteral("/Mappings"), QStringLiteral("Mappings is a map of maps"));
        const Json &conditions = section("Conditions");
        if (!conditions.is_null() && !conditions.is_object())
            return error(
                QStringLiteral("/Conditions"), QStringLiteral("Conditions is a map of conditions"));
        return {};
    }

    Result<void> readParameters()
    {
        // samconfig.toml's parameter_overrides first (as SAM CLI reads them, `sam local`'s
        // own table over the deploy one), the command line's over them.
        QStringList given;
        const QString project = StackLoader::projectFolder(m_stack.templatePath);
        const QHash<QString, QString> config = readSamconfig(project);
        // Tarmac's own table: `layers = "ARN=DIR ARN=DIR"` (folders from the project's), under
        // what --layer gives.
        const QString layers = config.value(QStringLiteral("default.tarmac.parameters\nlayers"));
        for (const QString &item : layers.split(u' ', Qt::SkipEmptyParts)) {
            const qsizetype eq = item.indexOf(u'=');
            if (eq <= 0 || !item.startsWith(QLatin1String("arn:")) || eq == item.size() - 1)
                return makeError(QStringLiteral("ValidationError"),
                    QStringLiteral("samconfig.toml: layers takes ARN=DIR items, not '%1'")
                        .arg(item));
            if (!m_options.layerFolders.contains(item.left(eq)))
                m_options.layerFolders.insert(
                    item.left(eq), QDir(project).absoluteFilePath(item.mid(eq + 1)));
        }
        for (const char *table :
            {"default.deploy.parameters", "default.local_start_api.parameters"}) {
            const auto it
                = config.constFind(QLatin1String(table) + QStringLiteral("\nparameter_overrides"));
            if (it != config.cend())
                given.append(*it);
        }
        given += m_options.parameterOverrides;
        auto overrides = StackLoader::parseParameterOverrides(given);
        if (!overrides)
            return overrides.error();
        const Json &params = section("Parameters");
        if (!params.is_null() && !params.is_object())
            return error(
                QStringLiteral("/Parameters"), QStringLiteral("Parameters is a map of parameters"));
        QStringList unknown; // all of them in one error, as CloudFormation lists them
        for (auto it = overrides->cbegin(); it != overrides->cend(); ++it) {
            if (!params.is_object() || !params.contains(it.key().toStdString()))
                unknown.append(it.key());
        }
        if (!unknown.isEmpty())
            return makeError(QStringLiteral("ValidationError"),
                QStringLiteral("Parameters: [%1] do not exist in the template")
                    .arg(unknown.join(QStringLiteral(", "))));
        QStringList missing; // every parameter without a value, named in one error
        for (const QString &name : keysOf(QStringLiteral("/Parameters"), params)) {
            const QString path = TemplateDocument::childPath(QStringLiteral("/Parameters"), name);
            if (!isAlphanumeric(name))
                return error(path,
                    QStringLiteral("Template format error: Parameter name %1 is non alphanumeric")
                        .arg(name));
            const Json &p = memberOf(params, name);
            if (!p.is_object() || !p.contains("Type") || !p["Type"].is_string())
                return error(path, QStringLiteral("the parameter %1 needs a Type").arg(name));
            if (auto known = checkParameterType(p, path); !known)
                return known.error();
            if (!p.contains("Default") && !overrides->contains(name)) {
                missing.append(name);
                continue;
            }
            auto value
                = parameterValue(name, p, path, overrides->value(name), overrides->contains(name));
            if (!value)
                return value.error();
            m_stack.parameters.insert(name, std::move(*value));
        }
        if (!missing.isEmpty()) {
            QStringList pairs;
            for (const QString &name : std::as_const(missing))
                pairs.append(name + QStringLiteral("=VALUE"));
            return error(
                TemplateDocument::childPath(QStringLiteral("/Parameters"), missing.first()),
                QStringLiteral("Parameters: [%1] must have values: pass --parameter-overrides %2 "
                               "(or parameter_overrides in samconfig.toml)")
                    .arg(missing.join(QStringLiteral(", ")), pairs.join(u' ')));
        }
        return {};
    }

    Result<void> checkParameterType(const Json &p, const QString &path)
    {
        const QString type = qs(p["Type"].get<std::string>());
        if (!(type == QLatin1String("String") || type == QLatin1String("Number")
                || type == QLatin1String("CommaDelimitedList")
                || type.startsWith(QLatin1String("List<"))
                || type.startsWith(QLatin1String("AWS::"))))
            return error(TemplateDocument::childPath(path, QStringLiteral("Type")),
                QStringLiteral("Template format error: Unrecognized parameter type: %1").arg(type));
        return {};
    }

    Result<Json> parameterValue(const QString &name, const Json &p, const QString &path,
        const QString &override, bool overridden)
    {
        const QString type = qs(p["Type"].get<std::string>());
        const bool isList = type.startsWith(QLatin1String("List<"))
            || type == QLatin1String("CommaDelimitedList");
        const bool isNumber
            = type == QLatin1String("Number") || type == QLatin1String("List<Number>");
        const bool isSsm = type.startsWith(QLatin1String("AWS::SSM::Parameter::Value<"));
        // readParameters() asks only for parameters that have a value: given, or a Default.
        QString text;
        if (overridden) {
            text = override;
        } else {
            const Json &d = p["Default"];
            if (d.is_array()) {
                QStringList items;
                for (const Json &item : d) {
                    QString s;
                    IntrinsicResolver::scalarToString(item, &s);
                    items.append(s);
                }
                text = items.join(u',');
            } else if (!IntrinsicResolver::scalarToString(d, &text)) {
                return error(TemplateDocument::childPath(path, QStringLiteral("Default")),
                    QStringLiteral("the default of %1 must be a string").arg(name));
            }
        }
        if (isSsm)
            report(Level::Unsupported, Kind::Value, type, path,
                QStringLiteral(
                    "there is no SSM Parameter Store; the value is the parameter's own text"));

        QStringList items = isList ? text.split(u',') : QStringList {text};
        if (isList) {
            for (QString &item : items)
                item = item.trimmed();
            if (text.isEmpty())
                items.clear();
        }
        const auto fail = [&](const QString &why) {
            QString message = QStringLiteral("Parameter '%1' %2").arg(name, why);
            if (p.contains("ConstraintDescription") && p["ConstraintDescription"].is_string())
                message += QStringLiteral(" (%1)").arg(
                    qs(p["ConstraintDescription"].get<std::string>()));
            return error(path, message);
        };
        for (const QString &item : std::as_const(items)) {
            if (isNumber) {
                bool ok = false;
                const double v = item.toDouble(&ok);
                if (!ok)
                    return fail(QStringLiteral("must be a number, not '%1'").arg(item));
                qint64 bound = 0;
                if (p.contains("MinValue") && wholeNumber(p["MinValue"], &bound)
                    && v < double(bound))
                    return fail(QStringLiteral("must be at least %1").arg(bound));
                if (p.contains("MaxValue") && wholeNumber(p["MaxValue"], &bound)
                    && v > double(bound))
                    return fail(QStringLiteral("must be at most %1").arg(bound));
            } else {
                qint64 bound = 0;
                if (p.contains("MinLength") && wholeNumber(p["MinLength"], &bound)
                    && item.size() < bound)
                    return fail(QStringLiteral("must be at least %1 characters long").arg(bound));
                if (p.contains("MaxLength") && wholeNumber(p["MaxLength"], &bound)
                    && item.size() > bound)
                    return fail(QStringLiteral("must be at most %1 characters long").arg(bound));
            }
            if (p.contains("AllowedValues")) {
                const Json &allowed = p["AllowedValues"];
                bool found = false;
                QStringList names;
                for (const Json &a : allowed.is_array() ? allowed : Json::array()) {
                    QString s;
                    IntrinsicResolver::scalarToString(a, &s);
                    names.append(s);
                    found = found || s == item;
                }
                if (!found)
                    return fail(QStringLiteral("must be one of AllowedValues [%1], not '%2'")
                                    .arg(names.join(QLatin1String(", ")), item));
            }
            if (p.contains("AllowedPattern") && p["AllowedPattern"].is_string()) {
                const QString pattern = qs(p["AllowedPattern"].get<std::string>());
                const QRegularExpression re(QRegularExpression::anchoredPattern(pattern));
                if (!re.isValid())
                    return error(
                        TemplateDocument::childPath(path, QStringLiteral("AllowedPattern")),
                        QStringLiteral("AllowedPattern is not a valid regular expression: %1")
                            .arg(re.errorString()));
                if (!re.match(item).hasMatch())
                    return fail(
                        QStringLiteral("failed to satisfy constraint: must match pattern %1")
                            .arg(pattern));
            }
        }
        if (isList) {
            Json list = Json::array();
            for (const QString &item : std::as_const(items))
                list.push_back(item.toStdString());
            return list;
        }
        return Json(text.toStdString());
    }

    // --- resources ----------------------------------------------------------------------

    Result<void> readResources()
    {
        const Json &resources = section("Resources");
        if (!resources.is_object() || resources.empty())
            return error(QStringLiteral("/Resources"),
                QStringLiteral(
                    "Template format error: At least one Resources member must be defined."));
        static const char *const attributes[]
            = {"Type", "Properties", "DependsOn", "Condition", "Metadata", "DeletionPolicy",
                "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy", "Version"};
        for (const QString &id : keysOf(QStringLiteral("/Resources"), resources)) {
            const QString path = TemplateDocument::childPath(QStringLiteral("/Resources"), id);
            if (id.startsWith(QLatin1String("Fn::ForEach::"))) {
                report(Level::Unsupported, Kind::Intrinsic, QStringLiteral("Fn::ForEach"), path,
                    QStringLiteral("the resources it would make are not created"));
                continue;
            }
            if (!isAlphanumeric(id))
                return error(path,
                    QStringLiteral("Template format error: Resource name %1 is non alphanumeric.")
                        .arg(id));
            const Json &body = memberOf(resources, id);
            if (!body.is_object() || !body.contains("Type") || !body["Type"].is_string())
                return error(path, QStringLiteral("the resource %1 needs a Type").arg(id));
            const bool samType
                = body["Type"].get_ref<const std::string &>().starts_with("AWS::Serverless::");
            for (auto it = body.begin(); it != body.end(); ++it) {
                if (std::any_of(std::begin(attributes), std::end(attributes),
                        [&](const char *a) { return it.key() == a; }))
                    continue;
                const QString child = TemplateDocument::childPath(path, qs(it.key()));
                // The SAM transform drops keys it does not know (a resource-level
                // Description), so such templates deploy; CloudFormation's own types do not.
                if (samType) {
                    report(Level::Ignored, Kind::Property, qs(it.key()), child,
                        QStringLiteral("the SAM transform drops it"));
                    continue;
                }
                return error(child,
                    QStringLiteral("Invalid template resource property '%1'").arg(qs(it.key())));
            }
            Resource r;
            r.logicalId = id;
            r.type = qs(body["Type"].get<std::string>());
            r.body = body;
            r.path = path;
            if (r.type.startsWith(QLatin1String("AWS::Serverless::")) && !m_sam)
                return error(TemplateDocument::childPath(path, QStringLiteral("Type")),
                    QStringLiteral("%1 needs `Transform: AWS::Serverless-2016-10-31`").arg(r.type));
            if (body.contains("Properties")) {
                if (!body["Properties"].is_object())
                    return error(TemplateDocument::childPath(path, QStringLiteral("Properties")),
                        QStringLiteral("Properties must be a map"));
                r.rawProperties = body["Properties"];
            }
            const QString propsPath
                = TemplateDocument::childPath(path, QStringLiteral("Properties"));
            for (const QString &key : keysOf(propsPath, r.rawProperties)) {
                r.propertyOrder.append(key);
                r.propertyPaths.insert(key, TemplateDocument::childPath(propsPath, key));
            }
            if (body.contains("Condition")) {
                const QString cpath
                    = TemplateDocument::childPath(path, QStringLiteral("Condition"));
                if (!body["Condition"].is_string())
                    return error(cpath, QStringLiteral("Condition takes the name of a condition"));
                auto holds
                    = condition(qs(body["Condition"].get<std::string>()), m_doc.locate(cpath));
                if (!holds)
                    return holds.error();
                r.included = *holds;
            }
            if (body.contains("DeletionPolicy")) {
                auto policy = m_resolver.resolve(body["DeletionPolicy"],
                    TemplateDocument::childPath(path, QStringLiteral("DeletionPolicy")));
                if (!policy)
                    return policy.error();
                r.deletionPolicy = policy->is_string() ? qs(policy->get<std::string>()) : QString();
                static const QStringList policies
                    = {QStringLiteral("Delete"), QStringLiteral("Retain"),
                        QStringLiteral("RetainExceptOnCreate"), QStringLiteral("Snapshot")};
                if (!policies.contains(r.deletionPolicy))
                    return error(
                        TemplateDocument::childPath(path, QStringLiteral("DeletionPolicy")),
                        QStringLiteral(
                            "DeletionPolicy must be Delete, Retain, RetainExceptOnCreate or "
                            "Snapshot"));
            }
            for (const char *attr : {"CreationPolicy", "UpdatePolicy", "UpdateReplacePolicy"}) {
                if (body.contains(attr) && r.included)
                    report(Level::Ignored, Kind::Property, QLatin1String(attr),
                        TemplateDocument::childPath(path, QLatin1String(attr)),
                        QStringLiteral("resources are created and replaced at once"));
            }
            // esbuild is run (at start and by `tarmac build`); other methods are not.
            if (body.contains("Metadata") && body["Metadata"].is_object()
                && body["Metadata"].contains("BuildMethod") && r.included
                && body["Metadata"]["BuildMethod"] != Json("esbuild")) {
                const Json &method = body["Metadata"]["BuildMethod"];
                report(Level::Ignored, Kind::Property, QStringLiteral("Metadata.BuildMethod"),
                    TemplateDocument::childPath(
                        TemplateDocument::childPath(path, QStringLiteral("Metadata")),
                        QStringLiteral("BuildMethod")),
                    QStringLiteral("`sam build` (%1) is not run: the code folder is used as it is, "
                                   "with the dependencies `tarmac build` installs")
                        .arg(method.is_string() ? qs(method.get<std::string>()) : QString()));
            }
            m_index.insert(id, m_resources.size());
            m_resources.append(std::move(r));
        }
        return {};
    }

    // A resource the SAM transform makes. Its properties (references to what it is made for)
    // give it its place in the order and its identity (an alias's ARN is its function's).
    void addImplicit(const QString &logicalId, const QString &type, const QString &path,
        const Json &properties = Json::object())
    {
        if (m_index.contains(logicalId))
            return;
        Resource r;
        r.logicalId = logicalId;
        r.type = type;
        r.path = path;
        r.implicit = true;
        r.rawProperties = properties;
        for (auto it = properties.begin(); it != properties.end(); ++it) {
            r.propertyOrder.append(qs(it.key()));
            r.propertyPaths.insert(qs(it.key()), path);
        }
        m_index.insert(logicalId, m_resources.size());
        m_resources.append(std::move(r));
    }

    // A SAM function or state machine that names no Role gets `Role: !GetAtt {Id}Role.Arn`
    // from the transform: the role is made, and loaded first (its ARN is what the resource
    // shows, ResourceCheck::madeRoleArn).
    void addMadeRole(qsizetype i)
    {
        if (m_resources[i].rawProperties.contains("Role"))
            return;
        const QString role = m_resources[i].logicalId + QStringLiteral("Role");
        addImplicit(role, QStringLiteral("AWS::IAM::Role"), m_resources[i].path);
        m_resources[i].dependsOn.append(role);
    }

    static Json refTo(const QString &logicalId) { return Json {{"Ref", logicalId.toStdString()}}; }
    static Json getAttOf(const QString &logicalId, const char *attribute)
    {
        return Json {{"Fn::GetAtt", Json::array({logicalId.toStdString(), attribute})}};
    }
    // A literal string property (not an intrinsic), else empty.
    static QString literal(const Json &properties, const char *key)
    {
        return properties.is_object() && properties.contains(key) && properties[key].is_string()
            ? qs(properties[key].get<std::string>())
            : QString();
    }
    // A literal string, or a parameter's value through `!Ref Parameter` (the transform
    // substitutes parameters before it names resources), else empty.
    QString literalOrParameter(const Json &properties, const char *key) const
    {
        if (!properties.is_object() || !properties.contains(key))
            return {};
        const Json &v = properties[key];
        if (v.is_string())
            return qs(v.get<std::string>());
        const QString param
            = v.is_object() && v.size() == 1 && v.contains("Ref") && v["Ref"].is_string()
            ? qs(v["Ref"].get<std::string>())
            : QString();
        const Json value = m_stack.parameters.value(param);
        return value.is_string() ? qs(value.get<std::string>()) : QString();
    }
    // A short hex name part, stable for the same seed (SAM hashes the deployed definition).
    static QString hexSuffix(const QString &seed)
    {
        return QString::fromLatin1(
            QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha1).toHex().left(10));
    }

    Result<void> expandSam()
    {
        const qsizetype count = m_resources.size();
        for (qsizetype i = 0; i < count; ++i) {
            if (!m_resources[i].included)
                continue;
            // Globals first: they decide whether a function has a Role.
            applyGlobals(m_resources[i]);
            addSamApiParts(i);
            if (m_resources[i].type == QLatin1String("AWS::Serverless::StateMachine"))
                addMadeRole(i);
            // A SAM type that expands its own Events (a state machine's), with its own types.
            if (const ResourceType *t = offeredType(m_resources[i].type);
                t && !t->eventTypes().isEmpty()) {
                if (auto r = expandEvents(i, t->eventTypes()); !r)
                    return r;
                continue;
            }
            if (m_resources[i].type != kSamFunction)
                continue;
            addMadeRole(i);
            addFunctionParts(i);
            if (auto r = expandEvents(i); !r)
                return r;
        }
        return {};
    }

    // SAM's Globals section for the resource's type (Function, Api, HttpApi): maps merge,
    // lists add up, the resource's own values win.
    void applyGlobals(Resource &r)
    {
        const auto section = std::find_if(kGlobalSections.cbegin(), kGlobalSections.cend(),
            [&](const QString &type) { return type == r.type; });
        if (section == kGlobalSections.cend() || !m_globals.contains(r.type))
            return;
        const Json &globals = m_globals[r.type];
        for (auto it = globals.begin(); it != globals.end(); ++it) {
            const QString key = qs(it.key());
            const QString globalPath
                = TemplateDocument::childPath(QStringLiteral("/Globals/") + section.key(), key);
            if (r.rawProperties.contains(it.key())) {
                r.rawProperties[it.key()] = mergeGlobal(it.value(), r.rawProperties[it.key()]);
            } else {
                r.rawProperties[it.key()] = it.value();
                r.propertyPaths.insert(key, globalPath);
                r.propertyOrder.prepend(key);
            }
        }
    }

    // The stage and deployment the SAM transform makes for a SAM API.
    void addSamApiParts(qsizetype index)
    {
        // Copies: adding the parts may move the list's elements.
        const QString id = m_resources[index].logicalId;
        const QString type = m_resources[index].type;
        const QString path = m_resources[index].path;
        if (type == QLatin1String("AWS::Serverless::Api"))
            addRestApiParts(
                id, literalOrParameter(m_resources[index].rawProperties, "StageName"), path);
        if (type == QLatin1String("AWS::Serverless::HttpApi"))
            addHttpApiParts(id, path);
    }

    // What a SAM function's own properties make: its URL, and with AutoPublishAlias a version
    // and an alias (`Ref Function.Alias`, `Ref Function.Version`).
    void addFunctionParts(qsizetype index)
    {
        const Json props = m_resources[index].rawProperties;
        const QString id = m_resources[index].logicalId;
        const QString path = m_resources[index].path;
        if (props.contains("FunctionUrlConfig") && props["FunctionUrlConfig"].is_object()) {
            const Json &config = props["FunctionUrlConfig"];
            Json url = {{"TargetFunctionArn", getAttOf(id, "Arn")}};
            if (config.contains("AuthType"))
                url["AuthType"] = config["AuthType"];
            addImplicit(id + QStringLiteral("Url"), QStringLiteral("AWS::Lambda::Url"), path, url);
            if (literal(config, "AuthType") == QLatin1String("NONE"))
                addImplicit(id + QStringLiteral("UrlPublicPermissions"),
                    QStringLiteral("AWS::Lambda::Permission"), path);
        }
        const QString alias = literalOrParameter(props, "AutoPublishAlias");
        if (!alias.isEmpty() && isAlphanumeric(alias)) {
            const QString version = id + QStringLiteral("Version")
                + hexSuffix(id + QString::fromStdString(props.dump()));
            addImplicit(version, QStringLiteral("AWS::Lambda::Version"), path,
                Json {{"FunctionName", refTo(id)}});
            const QString aliasId = id + QStringLiteral("Alias") + alias;
            addImplicit(aliasId, QStringLiteral("AWS::Lambda::Alias"), path,
                Json {{"FunctionName", refTo(id)}, {"Name", alias.toStdString()},
                    {"FunctionVersion", getAttOf(version, "Version")}});
            m_propertyRefs.insert(id + QStringLiteral(".Version"), version);
            m_propertyRefs.insert(id + QStringLiteral(".Alias"), aliasId);
        }
    }

    // A REST API's stage and deployment (`Ref Api.Stage`, `Ref Api.Deployment`).
    void addRestApiParts(const QString &api, const QString &stageName, const QString &path)
    {
        const QString stage = stageName.isEmpty() ? QStringLiteral("Prod") : stageName;
        const QString deployment = api + QStringLiteral("Deployment") + hexSuffix(api + stage);
        addImplicit(deployment, QStringLiteral("AWS::ApiGateway::Deployment"), path,
            Json {{"RestApiId", refTo(api)}});
        if (isAlphanumeric(stage)) {
            addImplicit(api + stage + QStringLiteral("Stage"),
                QStringLiteral("AWS::ApiGateway::Stage"), path,
                Json {{"RestApiId", refTo(api)}, {"StageName", stage.toStdString()},
                    {"DeploymentId", refTo(deployment)}});
            m_propertyRefs.insert(
                api + QStringLiteral(".Stage"), api + stage + QStringLiteral("Stage"));
        }
        m_propertyRefs.insert(api + QStringLiteral(".Deployment"), deployment);
    }

    void addHttpApiParts(const QString &api, const QString &path)
    {
        const QString stage = api + QStringLiteral("ApiGatewayDefaultStage");
        addImplicit(stage, QStringLiteral("AWS::ApiGatewayV2::Stage"), path,
            Json {{"ApiId", refTo(api)}, {"StageName", "$default"}});
        m_propertyRefs.insert(api + QStringLiteral(".Stage"), stage);
    }

    // The resources the SAM transform makes for an event type no service offers yet: named as
    // SAM names them, so that outputs and other resources can refer to them.
    void addEventParts(
        const QString &function, const QString &name, const QString &type, const QString &path)
    {
        const QString base = function + name;
        const QString permission = base + QStringLiteral("Permission");
        const auto made = [&](const char *madeType) {
            addImplicit(
                base, QLatin1String(madeType), path, Json {{"FunctionName", refTo(function)}});
        };
        if (type == QLatin1String("SQS") || type == QLatin1String("Kinesis")
            || type == QLatin1String("DynamoDB") || type == QLatin1String("MQ")
            || type == QLatin1String("MSK") || type == QLatin1String("SelfManagedKafka")
            || type == QLatin1String("DocumentDB")) {
            made("AWS::Lambda::EventSourceMapping");
        } else if (type == QLatin1String("SNS")) {
            made("AWS::SNS::Subscription");
            addImplicit(permission, QStringLiteral("AWS::Lambda::Permission"), path);
        } else if (type == QLatin1String("CloudWatchLogs")) {
            made("AWS::Logs::SubscriptionFilter");
            addImplicit(permission, QStringLiteral("AWS::Lambda::Permission"), path);
        } else if (type == QLatin1String("IoTRule")) {
            made("AWS::IoT::TopicRule");
            addImplicit(permission, QStringLiteral("AWS::Lambda::Permission"), path);
        } else if (type == QLatin1String("Cognito") || type == QLatin1String("AlexaSkill")) {
            addImplicit(permission, QStringLiteral("AWS::Lambda::Permission"), path);
        }
    }

    // A function's events, with the event types the services offer; or (`own` not empty) the
    // events of a resource whose type expands its own, with those types alone.
    Result<void> expandEvents(qsizetype index, const QList<const FunctionEventType *> &own = {})
    {
        if (!m_resources[index].rawProperties.contains("Events"))
            return {};
        const Json events = m_resources[index].rawProperties["Events"];
        const QString id = m_resources[index].logicalId;
        const QString eventsPath = m_resources[index].propertyPaths.value(QStringLiteral("Events"));
        if (!events.is_object())
            return error(eventsPath, QStringLiteral("Events is a map of events"));
        for (const QString &name : keysOf(eventsPath, events)) {
            const QString path = TemplateDocument::childPath(eventsPath, name);
            const Json &event = memberOf(events, name);
            if (!event.is_object() || !event.contains("Type") || !event["Type"].is_string())
                return error(path, QStringLiteral("the event %1 needs a Type").arg(name));
            const QString type = qs(event["Type"].get<std::string>());
            const Json props = event.value("Properties", Json::object());
            const QString propsPath
                = TemplateDocument::childPath(path, QStringLiteral("Properties"));
            if (!props.is_object())
                return error(propsPath, QStringLiteral("the Properties of an event are a map"));
            if (const FunctionEventType *offered = eventType(type, own, m_resources[index].type)) {
                if (auto r = expandOffered(*offered, id, name, props, path, propsPath); !r)
                    return r;
                continue;
            }
            if (!own.isEmpty()) {
                report(Level::Unsupported, Kind::EventType, type, path,
                    QStringLiteral("%1 is not started by %2 events yet").arg(id, type));
                continue;
            }
            addEventParts(id, name, type, path);
            report(Level::Unsupported, Kind::EventType, type, path,
                QStringLiteral("the function is not triggered by %1 events yet").arg(type));
        }
        return {};
    }

    // A function's event type, from the services' types; or a resource's of a type that
    // expands its own events (`own`): one of those, else a service's type that also wires
    // events of that resource type.
    const FunctionEventType *eventType(const QString &type,
        const QList<const FunctionEventType *> &own, const QString &resourceType) const
    {
        for (const FunctionEventType *t : own.isEmpty() ? m_options.eventTypes : own) {
            if (t->type() == type)
                return t;
        }
        if (own.isEmpty())
            return nullptr;
        for (const FunctionEventType *t : m_options.eventTypes) {
            if (t->type() == type && t->alsoFor(resourceType))
                return t;
        }
        return nullptr;
    }

    const ResourceType *offeredType(const QString &type) const
    {
        for (const ResourceType *t : m_options.resourceTypes) {
            if (QLatin1String(t->info().type) == type)
                return t;
        }
        return nullptr;
    }

    const ResourceTypeInfo *typeInfo(const QString &type) const
    {
        if (const ResourceType *t = offeredType(type))
            return &t->info();
        return resourceTypeInfo(type);
    }

    // An event type a service offers: the resources its expansion makes join the template as
    // the SAM transform's own (their references make their dependencies), and its additions
    // go into the resources they name.
    Result<void> expandOffered(const FunctionEventType &type, const QString &functionId,
        const QString &name, const Json &props, const QString &path, const QString &propsPath)
    {
        FunctionEvent event {functionId, name, props,
            [this](const QString &logicalId) {
                const auto it = m_index.constFind(logicalId);
                return it == m_index.cend() ? QString() : m_resources[*it].type;
            },
            [this](const QString &logicalId) {
                const auto it = m_index.constFind(logicalId);
                return it == m_index.cend() ? Json::object() : m_resources[*it].rawProperties;
            }};
        auto expanded = type.expand(event);
        if (!expanded)
            return error(path,
                QStringLiteral("Event with id [%1] is invalid. %2")
                    .arg(name, expanded.error().message));
        for (const auto &[property, note] : std::as_const(expanded->unsupported))
            report(Level::Unsupported, Kind::Property, property,
                TemplateDocument::childPath(propsPath, property), note);
        QStringList made;
        for (const ExpandedResource &e : std::as_const(expanded->resources)) {
            // A resource every event of its kind shares (an implicit API): made once.
            if (e.shared && m_index.contains(e.logicalId)
                && m_resources[m_index.value(e.logicalId)].implicit
                && m_resources[m_index.value(e.logicalId)].type == e.type)
                continue;
            if (m_index.contains(e.logicalId))
                return error(path,
                    QStringLiteral(
                        "the event %1 makes a resource %2, and the template has one so named")
                        .arg(name, e.logicalId));
            if (!isAlphanumeric(e.logicalId) || !e.properties.is_object())
                return error(path,
                    QStringLiteral("the %1 event type made an invalid resource %2")
                        .arg(type.type(), e.logicalId));
            Resource r;
            r.logicalId = e.logicalId;
            r.type = e.type;
            r.path = path;
            r.implicit = true;
            r.rawProperties = e.properties;
            for (auto it = e.properties.begin(); it != e.properties.end(); ++it) {
                r.propertyOrder.append(qs(it.key()));
                r.propertyPaths.insert(qs(it.key()), propsPath);
            }
            m_index.insert(r.logicalId, m_resources.size());
            m_resources.append(std::move(r));
            made.append(e.logicalId);
            if (e.shared) {
                applyGlobals(m_resources.last());
                addSamApiParts(m_resources.size() - 1);
            }
        }
        for (const EventExpansion::Addition &a : std::as_const(expanded->additions)) {
            const auto it = m_index.constFind(a.logicalId);
            if (it == m_index.cend() || a.property.isEmpty())
                return error(path,
                    QStringLiteral(
                        "the %1 event type added to a resource %2 the template does not have")
                        .arg(type.type(), a.logicalId));
            Resource &target = m_resources[*it];
            if (!target.included)
                continue;
            const QString top = a.property.first();
            if (!target.rawProperties.contains(top.toStdString())) {
                target.propertyOrder.append(top);
                target.propertyPaths.insert(top, propsPath);
            }
            Json *at = &target.rawProperties;
            for (qsizetype i = 0; i < a.property.size(); ++i) {
                Json &next = (*at)[a.property[i].toStdString()];
                if (next.is_null())
                    next = i + 1 == a.property.size() ? Json::array() : Json::object();
                at = &next;
            }
            if (!at->is_array())
                return error(target.propertyPaths.value(top),
                    QStringLiteral("%1 must be a list").arg(a.property.join(u'.')));
            at->push_back(a.value);
            // The resource names the function, so it comes after it (and after what the
            // event made); a function that refers to the resource makes a cycle, as in SAM.
            for (const QString &d : QStringList {functionId} + made) {
                if (d != a.logicalId && !target.dependsOn.contains(d))
                    target.dependsOn.append(d);
            }
            if (!expanded->cycleHint.isEmpty())
                m_cycleHints.insert(a.logicalId, expanded->cycleHint);
        }
        return {};
    }

    bool isParameterOrPseudo(const QString &name) const
    {
        return name.startsWith(QLatin1String("AWS::")) || m_stack.parameters.contains(name);
    }

    Result<void> checkReferences(const Json &value, const QString &path, QStringList *dependsOn)
    {
        for (const IntrinsicReference &ref : IntrinsicResolver::references(value, path)) {
            if (isParameterOrPseudo(ref.name))
                continue;
            const QString property
                = ref.attribute.isEmpty() ? ref.name : ref.name + u'.' + ref.attribute;
            const QString name = m_propertyRefs.value(property, ref.name);
            const auto it = m_index.constFind(name);
            if (it == m_index.cend())
                return error(ref.path,
                    QStringLiteral("Unresolved resource dependencies [%1] in the Resources block "
                                   "of the template")
                        .arg(ref.name));
            if (dependsOn && m_resources[*it].included && !dependsOn->contains(name))
                dependsOn->append(name);
        }
        return {};
    }

    Result<void> findDependencies()
    {
        for (Resource &r : m_resources) {
            if (r.implicit && r.propertyOrder.isEmpty())
                continue;
            if (r.body.contains("DependsOn")) {
                const Json &d = r.body["DependsOn"];
                const QString dpath
                    = TemplateDocument::childPath(r.path, QStringLiteral("DependsOn"));
                const Json list = d.is_string() ? Json::array({d}) : d;
                if (!list.is_array())
                    return error(
                        dpath, QStringLiteral("DependsOn takes a resource name or a list of them"));
                for (size_t i = 0; i < list.size(); ++i) {
                    const QString name
                        = list[i].is_string() ? qs(list[i].get<std::string>()) : QString();
                    const auto it = m_index.constFind(name);
                    if (it == m_index.cend())
                        return error(
                            d.is_array() ? TemplateDocument::childPath(dpath, qsizetype(i)) : dpath,
                            QStringLiteral(
                                "Template format error: Unresolved resource dependencies [%1] "
                                "in the Resources block of the template")
                                .arg(name));
                    if (m_resources[*it].included && !r.dependsOn.contains(name))
                        r.dependsOn.append(name);
                }
            }
            for (const QString &key : std::as_const(r.propertyOrder)) {
                const Json &value = memberOf(r.rawProperties, key);
                // A SAM function's events are not properties of the function it makes: they
                // become resources that depend on it.
                const bool events = r.type == kSamFunction && key == QLatin1String("Events");
                if (auto c = checkReferences(
                        value, r.propertyPaths.value(key), events ? nullptr : &r.dependsOn);
                    !c)
                    return c;
            }
        }
        return {};
    }

    Result<void> sortResources()
    {
        QList<qsizetype> order;
        QSet<QString> done;
        QList<bool> placed(m_resources.size(), false);
        for (;;) {
            bool progress = false;
            for (qsizetype i = 0; i < m_resources.size(); ++i) {
                const Resource &r = m_resources[i];
                if (placed[i] || !r.included)
                    continue;
                if (std::all_of(r.dependsOn.cbegin(), r.dependsOn.cend(),
                        [&](const QString &d) { return done.contains(d); })) {
                    placed[i] = true;
                    done.insert(r.logicalId);
                    order.append(i);
                    progress = true;
                    break; // restart from the top: template order among the ready ones
                }
            }
            if (!progress)
                break;
        }
        for (qsizetype i = 0; i < m_resources.size(); ++i) {
            if (!placed[i] && m_resources[i].included)
                return cycleError(i, placed);
        }
        m_order = order;
        return {};
    }

    Error cycleError(qsizetype start, const QList<bool> &placed)
    {
        // Walk unplaced dependencies until a resource repeats: that stretch is a cycle.
        QStringList walk;
        QString current = m_resources[start].logicalId;
        while (!walk.contains(current)) {
            walk.append(current);
            const Resource &r = m_resources[m_index.value(current)];
            QString next;
            for (const QString &d : r.dependsOn) {
                if (!placed[m_index.value(d)]) {
                    next = d;
                    break;
                }
            }
            if (next.isEmpty())
                break;
            current = next;
        }
        QStringList cycle = walk.mid(walk.indexOf(current));
        cycle.append(current);
        const Resource &first = m_resources[m_index.value(cycle.first())];
        QString message = QStringLiteral("Circular dependency between resources: %1")
                              .arg(cycle.join(QLatin1String(" -> ")));
        for (const QString &id : std::as_const(cycle)) {
            if (m_cycleHints.contains(id)) {
                message += QStringLiteral(" (%1)").arg(m_cycleHints.value(id));
                break;
            }
        }
        return error(first.path, message);
    }

    // --- resolution ---------------------------------------------------------------------

    Result<void> resolveResources()
    {
        for (const qsizetype i : std::as_const(m_order)) {
            if (auto r = resolveResource(m_resources[i]); !r)
                return r;
        }
        return {};
    }

    Result<void> resolveResource(Resource &r)
    {
        Json props = Json::object();
        for (const QString &key : std::as_const(r.propertyOrder)) {
            if (r.type == kSamFunction && key == QLatin1String("Events"))
                continue;
            auto v = m_resolver.resolve(memberOf(r.rawProperties, key), r.propertyPaths.value(key));
            if (!v)
                return v.error();
            if (!IntrinsicResolver::isNoValue(*v))
                props[key.toStdString()] = std::move(*v);
        }
        r.properties = std::move(props);
        if (const ResourceType *offered = offeredType(r.type))
            r.identity = offered->identity(r.logicalId, r.properties, m_naming);
        else
            r.identity = resourceIdentity(r.type, r.logicalId, r.properties, m_naming);
        r.resolved = true;

        if (!r.implicit)
            reportType(r);

        StackResource out;
        out.logicalId = r.logicalId;
        out.type = r.type;
        out.properties = r.properties;
        out.dependsOn = r.dependsOn;
        out.physicalId = r.identity.physicalId;
        out.deletionPolicy = r.deletionPolicy;
        out.implicit = r.implicit;
        out.location = m_doc.locate(r.path);
        if (r.body.contains("Metadata") && r.body["Metadata"].is_object())
            out.metadata = r.body["Metadata"];
        m_stack.resources.append(out);

        if (const ResourceType *offered = offeredType(r.type))
            return checkOffered(*offered, r);
        return {};
    }

    void reportType(const Resource &r)
    {
        const ResourceTypeInfo *info = typeInfo(r.type);
        if (!info) {
            const bool custom = r.type.startsWith(QLatin1String("Custom::"))
                || r.type == QLatin1String("AWS::CloudFormation::CustomResource");
            report(Level::Unsupported, Kind::ResourceType, r.type, r.path,
                custom ? QStringLiteral("custom resources are not run")
                       : QStringLiteral("Tarmac does not emulate this type; it is not created"));
            return;
        }
        if (info->support == Support::Unsupported) {
            report(Level::Unsupported, Kind::ResourceType, r.type, r.path,
                QStringLiteral("not emulated yet; it is not created"));
            return;
        }
        if (info->support == Support::Ignored) {
            report(Level::Ignored, Kind::ResourceType, r.type, r.path, QLatin1String(info->note));
            return;
        }
        for (const QString &key : r.propertyOrder) {
            const PropertySupport *p = info->property(key);
            if (p && p->support == Support::Emulated)
                continue;
            report(p ? (p->support == Support::Ignored ? Level::Ignored : Level::Unsupported)
                     : Level::Unsupported,
                Kind::Property, key, r.propertyPaths.value(key),
                p ? QLatin1String(p->note)
                  : QStringLiteral("not emulated: Tarmac goes on without it"));
        }
    }

    // A service's type checks its resolved properties; errors and reports get positions, and
    // what the check made of the resource is kept with it for the service's putResource.
    Result<void> checkOffered(const ResourceType &type, const Resource &r)
    {
        class Check : public ResourceCheck
        {
        public:
            Check(Loader &loader, const Resource &r)
                : m_loader(loader)
                , m_resource(r)
            { }
            QString pathOf(const QStringList &property) const
            {
                if (property.isEmpty())
                    return m_resource.path;
                QString path = m_resource.propertyPaths.value(property.first(),
                    TemplateDocument::childPath(m_resource.path, QStringLiteral("Properties")));
                for (qsizetype i = 1; i < property.size(); ++i)
                    path = TemplateDocument::childPath(path, property[i]);
                return path;
            }
            void unsupported(const QString &subject, const QStringList &property,
                const QString &note, bool value) override
            {
                m_loader.report(Level::Unsupported, value ? Kind::Value : Kind::Property, subject,
                    pathOf(property), note);
            }
            void ignored(const QString &subject, const QStringList &property, const QString &note,
                bool value) override
            {
                m_loader.report(Level::Ignored, value ? Kind::Value : Kind::Property, subject,
                    pathOf(property), note);
            }
            Error error(const QStringList &property, const QString &message) const override
            {
                return m_loader.error(pathOf(property), message);
            }
            QString baseDir() const override { return m_loader.m_stack.baseDir; }
            QString buildRoot() const override { return m_loader.m_options.buildRoot; }
            bool takesMessages(const QString &arn) const override
            {
                return arn.startsWith(QLatin1String("arn:"))
                    && m_loader.m_options.messageServices.contains(arn.section(u':', 2, 2));
            }
            bool offersEventSource(const QString &arn) const override
            {
                return arn.startsWith(QLatin1String("arn:"))
                    && m_loader.m_options.eventSourceServices.contains(arn.section(u':', 2, 2));
            }
            QString layerFolder(const QString &arn) const override
            {
                const auto &folders = m_loader.m_options.layerFolders;
                if (folders.contains(arn))
                    return folders.value(arn);
                // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION → without the version
                const qsizetype colon = arn.lastIndexOf(u':');
                return arn.count(u':') == 7 ? folders.value(arn.left(colon)) : QString();
            }
            const StackResource *loaded(const QString &physicalId) const override
            {
                for (const StackResource &s : m_loader.m_stack.resources) {
                    if (s.physicalId == physicalId)
                        return &s;
                }
                return nullptr;
            }
            Json attribute(const QString &logicalId, const QString &name) const override
            {
                const auto it = m_loader.m_index.constFind(logicalId);
                if (it == m_loader.m_index.cend())
                    return Json();
                const Resource &r = m_loader.m_resources[*it];
                if (!r.included || !r.resolved)
                    return Json();
                return r.identity.attributes.value(name, Json());
            }

        private:
            Loader &m_loader;
            const Resource &m_resource;
        } check(*this, r);
        StackResource &out = m_stack.resources.last(); // this resource, just added
        out.noun = type.info().noun ? QLatin1String(type.info().noun) : QString();
        auto details = type.check(out, check);
        if (!details)
            return details.error();
        out.details = std::move(*details);
        return {};
    }

    Result<void> readOutputs()
    {
        const Json &outputs = section("Outputs");
        if (outputs.is_null())
            return {};
        if (!outputs.is_object())
            return error(QStringLiteral("/Outputs"), QStringLiteral("Outputs is a map of outputs"));
        for (const QString &name : keysOf(QStringLiteral("/Outputs"), outputs)) {
            const QString path = TemplateDocument::childPath(QStringLiteral("/Outputs"), name);
            const Json &o = memberOf(outputs, name);
            if (!isAlphanumeric(name))
                return error(path,
                    QStringLiteral("Template format error: Output name %1 is non alphanumeric")
                        .arg(name));
            if (!o.is_object() || !o.contains("Value"))
                return error(path, QStringLiteral("the output %1 needs a Value").arg(name));
            if (o.contains("Condition")) {
                const QString cpath
                    = TemplateDocument::childPath(path, QStringLiteral("Condition"));
                if (!o["Condition"].is_string())
                    return error(cpath, QStringLiteral("Condition takes the name of a condition"));
                auto holds = condition(qs(o["Condition"].get<std::string>()), m_doc.locate(cpath));
                if (!holds)
                    return holds.error();
                if (!*holds)
                    continue;
            }
            // An output that names what Tarmac does not make (a SAM-generated resource it does
            // not model, say) is a line in the report; the rest of the stack runs.
            const QString vpath = TemplateDocument::childPath(path, QStringLiteral("Value"));
            auto checked = checkReferences(o["Value"], vpath, nullptr);
            Result<Json> value
                = checked ? m_resolver.resolve(o["Value"], vpath) : Result<Json>(checked.error());
            if (!value) {
                QString why = value.error().message;
                // "template.yaml:12:5: Unresolved …": the position is the report's own.
                static const QRegularExpression position(QStringLiteral(R"(^\S+:\d+:\d+: )"));
                why.remove(position);
                report(Level::Unsupported, Kind::Value, QStringLiteral("output ") + name, vpath,
                    why + QStringLiteral("; the output is left out"));
                continue;
            }
            StackOutput out;
            out.name = name;
            if (value->is_array()) {
                QStringList items;
                for (const Json &item : *value) {
                    QString s;
                    IntrinsicResolver::scalarToString(item, &s);
                    items.append(s);
                }
                out.value = items.join(u',');
            } else if (!IntrinsicResolver::isNoValue(*value)
                && !IntrinsicResolver::scalarToString(*value, &out.value)) {
                return error(path,
                    QStringLiteral("Template format error: Every Value member of Outputs must be a "
                                   "string"));
            }
            if (o.contains("Description"))
                IntrinsicResolver::scalarToString(o["Description"], &out.description);
            if (o.contains("Export")) {
                const QString epath = TemplateDocument::childPath(path, QStringLiteral("Export"));
                auto exported = m_resolver.resolve(o["Export"], epath);
                if (!exported)
                    return exported.error();
                if (exported->is_object() && exported->contains("Name"))
                    IntrinsicResolver::scalarToString((*exported)["Name"], &out.exportName);
                report(Level::Ignored, Kind::Property, QStringLiteral("Export"), epath,
                    QStringLiteral("there are no other stacks to import it"));
            }
            m_stack.outputs.append(out);
        }
        return {};
    }

    const TemplateDocument &m_doc;
    StackLoader::Options m_options;
    Stack m_stack;
    StackNaming m_naming;
    IntrinsicResolver m_resolver;
    bool m_sam = false;
    QHash<QString, Json> m_globals; // by resource type
    QList<Resource> m_resources;
    QHash<QString, qsizetype> m_index;
    QList<qsizetype> m_order;
    QHash<QString, QString> m_cycleHints; // resource → how to break a cycle through it
    // SAM's property references: "Function.Alias", "Api.Stage"… → the resource they name.
    QHash<QString, QString> m_propertyRefs;
    QHash<QString, bool> m_conditionValues;
    QSet<QString> m_conditionsInProgress;
    QStringList m_conditionStack;
};

} // namespace

QString StackLoader::findTemplate(const QString &projectPath)
{
    const QFileInfo info(projectPath);
    if (info.isFile())
        return info.absoluteFilePath();
    if (!info.isDir())
        return {};
    // What `sam build` made, as `sam local` serves it: the built functions, with their
    // dependencies installed.
    const QFileInfo built(QDir(info.absoluteFilePath())
                              .absoluteFilePath(QStringLiteral(".aws-sam/build/template.yaml")));
    if (built.isFile())
        return built.absoluteFilePath();
    for (const char *name : {"template.yaml", "template.yml", "template.json"}) {
        const QFileInfo candidate(
            QDir(info.absoluteFilePath()).absoluteFilePath(QLatin1String(name)));
        if (candidate.isFile())
            return candidate.absoluteFilePath();
    }
    return {};
}

std::optional<QString> StackLoader::samconfigValue(
    const QString &dir, const QString &table, const QString &key)
{
    const QHash<QString, QString> values = readSamconfig(dir);
    const auto it = values.constFind(table + u'\n' + key);
    return it == values.cend() ? std::nullopt : std::optional<QString>(*it);
}

Result<void> StackLoader::checkStackName(const QString &name)
{
    bool ok = !name.isEmpty() && name.size() <= 128
        && ((name.front() >= u'a' && name.front() <= u'z')
            || (name.front() >= u'A' && name.front() <= u'Z'));
    for (const QChar c : name) {
        ok = ok
            && ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
                || c == u'-');
    }
    if (!ok)
        return makeError(QStringLiteral("ValidationError"),
            QStringLiteral("'%1' is not a stack name: a letter, then letters, digits and "
                           "hyphens, at most 128 characters")
                .arg(name));
    return {};
}

QString StackLoader::projectFolder(const QString &templatePath)
{
    const QString dir = QFileInfo(templatePath).absolutePath();
    if (dir.endsWith(QLatin1String("/.aws-sam/build")))
        return QDir::cleanPath(dir + QStringLiteral("/../.."));
    return dir;
}

QString StackLoader::defaultBuildRoot(const QString &templatePath)
{
    return QDir(projectFolder(templatePath)).absoluteFilePath(QStringLiteral(".tarmac/build"));
}

QString StackLoader::defaultStackName(const QString &templatePath)
{
    if (auto configured = samconfigValue(projectFolder(templatePath),
            QStringLiteral("default.deploy.parameters"), QStringLiteral("stack_name"));
        configured && checkStackName(*configured))
        return *configured;
    // A stack name: letters, digits and hyphens, starting with a letter, at most 128.
    QString name = QFileInfo(projectFolder(templatePath)).fileName();
    QString out;
    for (const QChar c : std::as_const(name)) {
        const bool ok
            = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
        out += ok ? c : QChar(u'-');
    }
    while (out.contains(QLatin1String("--")))
        out.replace(QLatin1String("--"), QLatin1String("-"));
    while (out.startsWith(u'-') || (!out.isEmpty() && out.front().isDigit()))
        out.remove(0, 1);
    while (out.endsWith(u'-'))
        out.chop(1);
    if (out.isEmpty())
        out = QStringLiteral("tarmac");
    return out.left(128);
}

Result<QMap<QString, QString>> StackLoader::parseParameterOverrides(const QStringList &overrides)
{
    QMap<QString, QString> out;
    for (const QString &item : overrides) {
        // Split on spaces outside quotes, as a shell would have if the user had not quoted.
        QStringList pairs;
        QString current;
        QChar quote;
        for (const QChar c : item) {
            if (!quote.isNull()) {
                if (c == quote)
                    quote = QChar();
                else
                    current += c;
            } else if (c == u'"' || c == u'\'') {
                quote = c;
            } else if (c.isSpace()) {
                if (!current.isEmpty())
                    pairs.append(std::exchange(current, QString()));
            } else {
                current += c;
            }
        }
        if (!current.isEmpty())
            pairs.append(current);
        for (const QString &pair : std::as_const(pairs)) {
            if (pair.startsWith(QLatin1String("ParameterKey="))) {
                const qsizetype comma = pair.indexOf(QLatin1String(",ParameterValue="));
                if (comma < 0)
                    return makeError(QStringLiteral("Usage"),
                        QStringLiteral("'%1': expected ParameterKey=K,ParameterValue=V").arg(pair));
                out.insert(pair.mid(13, comma - 13), pair.mid(comma + 16));
                continue;
            }
            const qsizetype eq = pair.indexOf(u'=');
            if (eq <= 0)
                return makeError(QStringLiteral("Usage"),
                    QStringLiteral("'%1': a parameter override is Key=Value").arg(pair));
            out.insert(pair.left(eq), pair.mid(eq + 1));
        }
    }
    return out;
}

Result<Stack> StackLoader::loadFile(const QString &templatePath, const Options &options)
{
    QFile file(templatePath);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(QStringLiteral("ValidationError"),
            QStringLiteral("cannot read %1: %2").arg(templatePath, file.errorString()));
    const QByteArray text = file.read(TemplateDocument::kMaxBytes + 1);
    return load(text, QFileInfo(templatePath).absoluteFilePath(), options);
}

Result<Stack> StackLoader::load(
    const QByteArray &text, const QString &templatePath, const Options &options)
{
    if (!options.stackName.isEmpty()) {
        if (auto r = checkStackName(options.stackName); !r)
            return r.error();
    }
    auto doc = TemplateDocument::parse(text, QFileInfo(templatePath).fileName());
    if (!doc)
        return doc.error();
    Loader loader(*doc, templatePath, options);
    return loader.run();
}

} // namespace tarmac
