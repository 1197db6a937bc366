#include "engine/stackloader.h"

#include "template/intrinsics.h"
#include "engine/resourcetypes.h"
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
const QLatin1String kLambdaFunction("AWS::Lambda::Function");
const QLatin1String kBucket("AWS::S3::Bucket");

using Level = FidelityItem::Level;
using Kind = FidelityItem::Kind;

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// A resource of the template while the stack is being built.
struct Resource
{
    QString logicalId;
    QString type;
    Json body = Json::object(); // the resource as written
    QString path;               // "/Resources/<id>"
    bool included = true;       // its Condition holds
    bool implicit = false;      // made by the SAM transform
    QStringList dependsOn;      // resolved dependencies (included resources only)
    QString deletionPolicy;

    // Properties before intrinsics, after Globals, each with the path it is written at.
    Json rawProperties = Json::object();
    QHash<QString, QString> propertyPaths;
    QStringList propertyOrder;

    bool resolved = false;
    Json properties = Json::object();
    ResourceIdentity identity;
};

// A SAM function's `S3` event: becomes a notification of its bucket.
struct S3Event
{
    QString functionLogicalId;
    QString eventName;
    QString bucketLogicalId;
    Json events;
    Json filter;
    QString path;
};

// SAM Globals merge: maps merge, lists add up, anything else (and any intrinsic) is
// replaced by the resource's own value.
Json mergeGlobal(const Json &global, const Json &local)
{
    if (!IntrinsicResolver::intrinsicName(global).isEmpty() || !IntrinsicResolver::intrinsicName(local).isEmpty())
        return local;
    if (global.is_object() && local.is_object()) {
        Json out = global;
        for (auto it = local.begin(); it != local.end(); ++it)
            out[it.key()] = out.contains(it.key()) ? mergeGlobal(out[it.key()], it.value()) : it.value();
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

bool toInt(const Json &v, qint64 *out)
{
    if (v.is_number_integer()) {
        *out = v.get<qint64>();
        return true;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d != std::floor(d) || std::fabs(d) > 1e15)
            return false;
        *out = qint64(d);
        return true;
    }
    if (v.is_string()) {
        bool ok = false;
        *out = qs(v.get<std::string>()).trimmed().toLongLong(&ok);
        return ok;
    }
    return false;
}

QString functionNameFromArn(const QString &arn)
{
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    const QStringList parts = arn.split(u':');
    if (parts.size() >= 7 && parts[0] == QLatin1String("arn") && parts[5] == QLatin1String("function"))
        return parts[6];
    return arn; // a plain name is accepted where an ARN is
}

bool runtimeIsEmulated(const QString &runtime)
{
    return runtime.startsWith(QLatin1String("python3")) || runtime.startsWith(QLatin1String("nodejs"))
            || runtime == QLatin1String("provided") || runtime.startsWith(QLatin1String("provided."));
}

class Loader : public IntrinsicContext
{
public:
    Loader(const TemplateDocument &doc, const QString &templatePath, const StackLoader::Options &options)
        : m_doc(doc), m_options(options), m_resolver(doc, *this, &m_stack.report)
    {
        m_stack.templatePath = templatePath;
        m_stack.baseDir = QFileInfo(templatePath).absolutePath();
        m_stack.region = options.region;
        m_stack.accountId = options.accountId;
        m_stack.name = options.stackName.isEmpty() ? StackLoader::defaultStackName(templatePath) : options.stackName;
        const QByteArray h = QCryptographicHash::hash((m_stack.name + templatePath).toUtf8(), QCryptographicHash::Sha1)
                                     .toHex();
        const QString uuid = QStringLiteral("%1-%2-%3-%4-%5")
                                     .arg(QLatin1String(h.mid(0, 8)), QLatin1String(h.mid(8, 4)),
                                          QLatin1String(h.mid(12, 4)), QLatin1String(h.mid(16, 4)),
                                          QLatin1String(h.mid(20, 12)));
        m_stack.id = QStringLiteral("arn:aws:cloudformation:%1:%2:stack/%3/%4")
                             .arg(m_stack.region, m_stack.accountId, m_stack.name, uuid);
        m_naming = StackNaming { m_stack.name, m_stack.id, m_stack.region, m_stack.accountId };
    }

    Result<Stack> run()
    {
        if (!m_doc.root().is_object())
            return error(QString(), QStringLiteral("a template is a map of sections (Resources, …)"));
        const std::initializer_list<Result<void> (Loader::*)()> steps = {
            &Loader::readSections, &Loader::readParameters, &Loader::readResources, &Loader::expandSam,
            &Loader::findDependencies, &Loader::sortResources, &Loader::resolveResources, &Loader::readOutputs
        };
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
        auto r = resourceFor(name, where);
        if (!r)
            return r.error();
        return (*r)->identity.ref;
    }

    Result<Json> getAtt(const QString &resource, const QString &attribute, const TemplateLocation &where) override
    {
        auto r = resourceFor(resource, where);
        if (!r)
            return r.error();
        const ResourceIdentity &id = (*r)->identity;
        if (const auto it = id.attributes.constFind(attribute); it != id.attributes.cend())
            return *it;
        if (!id.attributesKnown)
            return Json(QStringLiteral("%1.%2").arg(id.physicalId, attribute).toStdString());
        return errorAt(where, QStringLiteral("Template error: resource %1 does not support attribute type %2 in "
                                             "Fn::GetAtt")
                                      .arg(resource, attribute));
    }

    Result<bool> condition(const QString &name, const TemplateLocation &where) override
    {
        if (const auto it = m_conditionValues.constFind(name); it != m_conditionValues.cend())
            return *it;
        const Json &conditions = section("Conditions");
        if (!conditions.is_object() || !conditions.contains(name.toStdString()))
            return errorAt(where, QStringLiteral("there is no condition %1 in Conditions").arg(name));
        if (m_conditionsInProgress.contains(name))
            return errorAt(where, QStringLiteral("circular dependency between conditions: %1")
                                          .arg((m_conditionStack + QStringList { name }).join(QLatin1String(" -> "))));
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
        return makeError(QStringLiteral("ValidationError"), where.toString() + QStringLiteral(": ") + message);
    }

    void report(Level level, Kind kind, const QString &subject, const QString &path, const QString &note)
    {
        m_stack.report.add(FidelityItem { level, kind, subject, TemplateDocument::displayPath(path), note,
                                          m_doc.locate(path) });
    }

    Result<Resource *> resourceFor(const QString &name, const TemplateLocation &where)
    {
        const auto it = m_index.constFind(name);
        if (it == m_index.cend())
            return errorAt(where, QStringLiteral("Unresolved resource dependencies [%1] in the Resources block of "
                                                 "the template")
                                          .arg(name));
        Resource &r = m_resources[*it];
        if (!r.included)
            return errorAt(where, QStringLiteral("%1 is left out by its condition %2 and cannot be referred to here")
                                          .arg(name, qs(r.body.value("Condition", std::string()))));
        if (!r.resolved)
            return errorAt(where, QStringLiteral("the resource %1 cannot be referred to here").arg(name));
        return &r;
    }

    // --- sections -----------------------------------------------------------------------

    Result<void> readSections()
    {
        static const char *const known[] = { "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters",
                                              "Rules", "Mappings", "Conditions", "Transform", "Resources",
                                              "Outputs", "Globals" };
        for (auto it = m_doc.root().begin(); it != m_doc.root().end(); ++it) {
            if (std::none_of(std::begin(known), std::end(known), [&](const char *k) { return it.key() == k; }))
                return error(TemplateDocument::childPath(QString(), qs(it.key())),
                             QStringLiteral("Template format error: Invalid template property or properties [%1]")
                                     .arg(qs(it.key())));
        }
        const Json &transform = section("Transform");
        QList<std::pair<QString, QString>> transforms; // name, path
        if (transform.is_string())
            transforms.append({ qs(transform.get<std::string>()), QStringLiteral("/Transform") });
        else if (transform.is_array()) {
            for (size_t i = 0; i < transform.size(); ++i)
                transforms.append({ transform[i].is_string() ? qs(transform[i].get<std::string>()) : QStringLiteral("(macro)"),
                                    TemplateDocument::childPath(QStringLiteral("/Transform"), qsizetype(i)) });
        } else if (!transform.is_null()) {
            return error(QStringLiteral("/Transform"), QStringLiteral("Transform takes a name or a list of names"));
        }
        for (const auto &[t, path] : std::as_const(transforms)) {
            if (t == kSamTransform)
                m_sam = true;
            else if (t != QLatin1String("AWS::LanguageExtensions"))
                report(Level::Unsupported, Kind::Section, t, path,
                       QStringLiteral("macros are not run; the template is used as written"));
        }
        if (!section("Rules").is_null())
            report(Level::Unsupported, Kind::Section, QStringLiteral("Rules"), QStringLiteral("/Rules"),
                   QStringLiteral("parameter rules are not checked"));
        const Json &globals = section("Globals");
        if (!globals.is_null()) {
            if (!m_sam)
                return error(QStringLiteral("/Globals"),
                             QStringLiteral("Globals needs `Transform: AWS::Serverless-2016-10-31`"));
            if (!globals.is_object())
                return error(QStringLiteral("/Globals"), QStringLiteral("Globals is a map of sections"));
            for (auto it = globals.begin(); it != globals.end(); ++it) {
                const QString path = TemplateDocument::childPath(QStringLiteral("/Globals"), qs(it.key()));
                if (it.key() == "Function") {
                    if (!it.value().is_object())
                        return error(path, QStringLiteral("Globals.Function is a map of properties"));
                    m_globalFunction = it.value();
                } else {
                    report(Level::Unsupported, Kind::Section, QStringLiteral("Globals.") + qs(it.key()), path,
                           QStringLiteral("only Globals.Function is applied"));
                }
            }
        }
        const Json &mappings = section("Mappings");
        if (!mappings.is_null() && !mappings.is_object())
            return error(QStringLiteral("/Mappings"), QStringLiteral("Mappings is a map of maps"));
        const Json &conditions = section("Conditions");
        if (!conditions.is_null() && !conditions.is_object())
            return error(QStringLiteral("/Conditions"), QStringLiteral("Conditions is a map of conditions"));
        return {};
    }

    Result<void> readParameters()
    {
        auto overrides = StackLoader::parseParameterOverrides(m_options.parameterOverrides);
        if (!overrides)
            return overrides.error();
        const Json &params = section("Parameters");
        if (!params.is_null() && !params.is_object())
            return error(QStringLiteral("/Parameters"), QStringLiteral("Parameters is a map of parameters"));
        for (auto it = overrides->cbegin(); it != overrides->cend(); ++it) {
            if (!params.is_object() || !params.contains(it.key().toStdString()))
                return makeError(QStringLiteral("ValidationError"),
                                 QStringLiteral("Parameters: [%1] do not exist in the template").arg(it.key()));
        }
        for (const QString &name : keysOf(QStringLiteral("/Parameters"), params)) {
            const QString path = TemplateDocument::childPath(QStringLiteral("/Parameters"), name);
            if (!isAlphanumeric(name))
                return error(path, QStringLiteral("Template format error: Parameter name %1 is non alphanumeric")
                                           .arg(name));
            const Json &p = params[name.toStdString()];
            if (!p.is_object() || !p.contains("Type") || !p["Type"].is_string())
                return error(path, QStringLiteral("the parameter %1 needs a Type").arg(name));
            auto value = parameterValue(name, p, path, overrides->value(name), overrides->contains(name));
            if (!value)
                return value.error();
            m_stack.parameters.insert(name, std::move(*value));
        }
        return {};
    }

    Result<Json> parameterValue(const QString &name, const Json &p, const QString &path, const QString &override,
                                bool overridden)
    {
        const QString type = qs(p["Type"].get<std::string>());
        const bool isList = type.startsWith(QLatin1String("List<")) || type == QLatin1String("CommaDelimitedList");
        const bool isNumber = type == QLatin1String("Number") || type == QLatin1String("List<Number>");
        const bool isSsm = type.startsWith(QLatin1String("AWS::SSM::Parameter::Value<"));
        if (!(type == QLatin1String("String") || isList || isNumber || isSsm || type.startsWith(QLatin1String("AWS::"))
              || type == QLatin1String("AWS::SSM::Parameter::Name")))
            return error(TemplateDocument::childPath(path, QStringLiteral("Type")),
                         QStringLiteral("Template format error: Unrecognized parameter type: %1").arg(type));
        QString text;
        if (overridden) {
            text = override;
        } else if (p.contains("Default")) {
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
        } else {
            return error(path, QStringLiteral("Parameters: [%1] must have values (give a Default or "
                                              "--parameter-overrides %1=VALUE)")
                                       .arg(name));
        }
        if (isSsm)
            report(Level::Unsupported, Kind::Value, type, path,
                   QStringLiteral("there is no SSM Parameter Store; the value is the parameter's own text"));

        QStringList items = isList ? text.split(u',') : QStringList { text };
        if (isList) {
            for (QString &item : items)
                item = item.trimmed();
            if (text.isEmpty())
                items.clear();
        }
        const auto fail = [&](const QString &why) {
            QString message = QStringLiteral("Parameter '%1' %2").arg(name, why);
            if (p.contains("ConstraintDescription") && p["ConstraintDescription"].is_string())
                message += QStringLiteral(" (%1)").arg(qs(p["ConstraintDescription"].get<std::string>()));
            return error(path, message);
        };
        for (const QString &item : std::as_const(items)) {
            if (isNumber) {
                bool ok = false;
                const double v = item.toDouble(&ok);
                if (!ok)
                    return fail(QStringLiteral("must be a number, not '%1'").arg(item));
                qint64 bound = 0;
                if (p.contains("MinValue") && toInt(p["MinValue"], &bound) && v < double(bound))
                    return fail(QStringLiteral("must be at least %1").arg(bound));
                if (p.contains("MaxValue") && toInt(p["MaxValue"], &bound) && v > double(bound))
                    return fail(QStringLiteral("must be at most %1").arg(bound));
            } else {
                qint64 bound = 0;
                if (p.contains("MinLength") && toInt(p["MinLength"], &bound) && item.size() < bound)
                    return fail(QStringLiteral("must be at least %1 characters long").arg(bound));
                if (p.contains("MaxLength") && toInt(p["MaxLength"], &bound) && item.size() > bound)
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
                    return error(TemplateDocument::childPath(path, QStringLiteral("AllowedPattern")),
                                 QStringLiteral("AllowedPattern is not a valid regular expression: %1")
                                         .arg(re.errorString()));
                if (!re.match(item).hasMatch())
                    return fail(QStringLiteral("failed to satisfy constraint: must match pattern %1").arg(pattern));
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
                         QStringLiteral("Template format error: At least one Resources member must be defined."));
        static const char *const attributes[] = { "Type", "Properties", "DependsOn", "Condition", "Metadata",
                                                  "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy",
                                                  "UpdatePolicy", "Version" };
        for (const QString &id : keysOf(QStringLiteral("/Resources"), resources)) {
            const QString path = TemplateDocument::childPath(QStringLiteral("/Resources"), id);
            if (id.startsWith(QLatin1String("Fn::ForEach::"))) {
                report(Level::Unsupported, Kind::Intrinsic, QStringLiteral("Fn::ForEach"), path,
                       QStringLiteral("the resources it would make are not created"));
                continue;
            }
            if (!isAlphanumeric(id))
                return error(path, QStringLiteral("Template format error: Resource name %1 is non alphanumeric.").arg(id));
            const Json &body = resources[id.toStdString()];
            if (!body.is_object() || !body.contains("Type") || !body["Type"].is_string())
                return error(path, QStringLiteral("the resource %1 needs a Type").arg(id));
            for (auto it = body.begin(); it != body.end(); ++it) {
                if (std::none_of(std::begin(attributes), std::end(attributes),
                                 [&](const char *a) { return it.key() == a; }))
                    return error(TemplateDocument::childPath(path, qs(it.key())),
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
            const QString propsPath = TemplateDocument::childPath(path, QStringLiteral("Properties"));
            for (const QString &key : keysOf(propsPath, r.rawProperties)) {
                r.propertyOrder.append(key);
                r.propertyPaths.insert(key, TemplateDocument::childPath(propsPath, key));
            }
            if (body.contains("Condition")) {
                const QString cpath = TemplateDocument::childPath(path, QStringLiteral("Condition"));
                if (!body["Condition"].is_string())
                    return error(cpath, QStringLiteral("Condition takes the name of a condition"));
                auto holds = condition(qs(body["Condition"].get<std::string>()), m_doc.locate(cpath));
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
                static const QStringList policies = { QStringLiteral("Delete"), QStringLiteral("Retain"),
                                                      QStringLiteral("RetainExceptOnCreate"),
                                                      QStringLiteral("Snapshot") };
                if (!policies.contains(r.deletionPolicy))
                    return error(TemplateDocument::childPath(path, QStringLiteral("DeletionPolicy")),
                                 QStringLiteral("DeletionPolicy must be Delete, Retain, RetainExceptOnCreate or "
                                                "Snapshot"));
            }
            for (const char *attr : { "CreationPolicy", "UpdatePolicy", "UpdateReplacePolicy" }) {
                if (body.contains(attr) && r.included)
                    report(Level::Ignored, Kind::Property, QLatin1String(attr),
                           TemplateDocument::childPath(path, QLatin1String(attr)),
                           QStringLiteral("resources are created and replaced at once"));
            }
            if (body.contains("Metadata") && body["Metadata"].is_object() && body["Metadata"].contains("BuildMethod")
                && r.included) {
                const Json &method = body["Metadata"]["BuildMethod"];
                report(Level::Ignored, Kind::Property, QStringLiteral("Metadata.BuildMethod"),
                       TemplateDocument::childPath(TemplateDocument::childPath(path, QStringLiteral("Metadata")),
                                                   QStringLiteral("BuildMethod")),
                       QStringLiteral("`sam build` (%1) is not run: the code folder is used as it is")
                               .arg(method.is_string() ? qs(method.get<std::string>()) : QString()));
            }
            m_index.insert(id, m_resources.size());
            m_resources.append(std::move(r));
        }
        return {};
    }

    void addImplicit(const QString &logicalId, const QString &type, const QString &path, const QStringList &dependsOn)
    {
        if (m_index.contains(logicalId))
            return;
        Resource r;
        r.logicalId = logicalId;
        r.type = type;
        r.path = path;
        r.implicit = true;
        r.dependsOn = dependsOn;
        m_index.insert(logicalId, m_resources.size());
        m_resources.append(std::move(r));
    }

    Result<void> expandSam()
    {
        const qsizetype count = m_resources.size();
        for (qsizetype i = 0; i < count; ++i) {
            if (m_resources[i].type != kSamFunction || !m_resources[i].included)
                continue;
            // Globals first: they decide whether the function has a Role.
            if (m_globalFunction.is_object()) {
                Resource &r = m_resources[i];
                for (auto it = m_globalFunction.begin(); it != m_globalFunction.end(); ++it) {
                    const QString key = qs(it.key());
                    const QString globalPath = TemplateDocument::childPath(QStringLiteral("/Globals/Function"), key);
                    if (r.rawProperties.contains(it.key())) {
                        r.rawProperties[it.key()] = mergeGlobal(it.value(), r.rawProperties[it.key()]);
                    } else {
                        r.rawProperties[it.key()] = it.value();
                        r.propertyPaths.insert(key, globalPath);
                        r.propertyOrder.prepend(key);
                    }
                }
            }
            const QString id = m_resources[i].logicalId;
            const QString path = m_resources[i].path;
            if (!m_resources[i].rawProperties.contains("Role"))
                addImplicit(id + QStringLiteral("Role"), QStringLiteral("AWS::IAM::Role"), path, {});
            if (auto r = expandEvents(i); !r)
                return r;
        }
        return {};
    }

    Result<void> expandEvents(qsizetype index)
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
            const Json &event = events[name.toStdString()];
            if (!event.is_object() || !event.contains("Type") || !event["Type"].is_string())
                return error(path, QStringLiteral("the event %1 needs a Type").arg(name));
            const QString type = qs(event["Type"].get<std::string>());
            const Json props = event.value("Properties", Json::object());
            const QString propsPath = TemplateDocument::childPath(path, QStringLiteral("Properties"));
            if (!props.is_object())
                return error(propsPath, QStringLiteral("the Properties of an event are a map"));
            if (type == QLatin1String("S3")) {
                const Json bucket = props.value("Bucket", Json());
                const QString bucketPath = TemplateDocument::childPath(propsPath, QStringLiteral("Bucket"));
                const QString target = bucket.is_object() && bucket.size() == 1 && bucket.contains("Ref")
                                && bucket["Ref"].is_string()
                        ? qs(bucket["Ref"].get<std::string>())
                        : QString();
                const auto it = m_index.constFind(target);
                if (target.isEmpty() || it == m_index.cend() || m_resources[*it].type != kBucket)
                    return error(bucketPath.isEmpty() ? path : bucketPath,
                                 QStringLiteral("Event with id [%1] is invalid. S3 events must reference an S3 "
                                                "bucket in the same template.")
                                         .arg(name));
                if (!props.contains("Events"))
                    return error(propsPath, QStringLiteral("the S3 event %1 needs Events").arg(name));
                for (auto p = props.begin(); p != props.end(); ++p) {
                    if (p.key() != "Bucket" && p.key() != "Events" && p.key() != "Filter")
                        report(Level::Unsupported, Kind::Property, qs(p.key()),
                               TemplateDocument::childPath(propsPath, qs(p.key())),
                               QStringLiteral("not a property Tarmac knows for S3 events"));
                }
                if (!m_resources[*it].included)
                    continue;
                m_s3Events.append(S3Event { id, name, target, props["Events"], props.value("Filter", Json()), propsPath });
                const QString permission = id + name + QStringLiteral("Permission");
                addImplicit(permission, QStringLiteral("AWS::Lambda::Permission"), path, { id });
                // As in SAM: the bucket's notification names the function, so the bucket
                // depends on it (and a function that refers to that bucket makes a cycle).
                m_resources[*it].dependsOn.append(id);
                m_resources[*it].dependsOn.append(permission);
                continue;
            }
            if (type == QLatin1String("Api") && !props.contains("RestApiId"))
                addImplicit(QStringLiteral("ServerlessRestApi"), QStringLiteral("AWS::Serverless::Api"), path, {});
            if (type == QLatin1String("HttpApi") && !props.contains("ApiId"))
                addImplicit(QStringLiteral("ServerlessHttpApi"), QStringLiteral("AWS::Serverless::HttpApi"), path, {});
            report(Level::Unsupported, Kind::EventType, type, path,
                   QStringLiteral("the function is not triggered by %1 events yet").arg(type));
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
            const auto it = m_index.constFind(ref.name);
            if (it == m_index.cend())
                return error(ref.path, QStringLiteral("Unresolved resource dependencies [%1] in the Resources block "
                                                      "of the template")
                                               .arg(ref.name));
            if (dependsOn && m_resources[*it].included && !dependsOn->contains(ref.name))
                dependsOn->append(ref.name);
        }
        return {};
    }

    Result<void> findDependencies()
    {
        for (Resource &r : m_resources) {
            if (r.implicit)
                continue;
            if (r.body.contains("DependsOn")) {
                const Json &d = r.body["DependsOn"];
                const QString dpath = TemplateDocument::childPath(r.path, QStringLiteral("DependsOn"));
                const Json list = d.is_string() ? Json::array({ d }) : d;
                if (!list.is_array())
                    return error(dpath, QStringLiteral("DependsOn takes a resource name or a list of them"));
                for (size_t i = 0; i < list.size(); ++i) {
                    const QString name = list[i].is_string() ? qs(list[i].get<std::string>()) : QString();
                    const auto it = m_index.constFind(name);
                    if (it == m_index.cend())
                        return error(d.is_array() ? TemplateDocument::childPath(dpath, qsizetype(i)) : dpath,
                                     QStringLiteral("Template format error: Unresolved resource dependencies [%1] "
                                                    "in the Resources block of the template")
                                             .arg(name));
                    if (m_resources[*it].included && !r.dependsOn.contains(name))
                        r.dependsOn.append(name);
                }
            }
            for (const QString &key : std::as_const(r.propertyOrder)) {
                const Json &value = r.rawProperties[key.toStdString()];
                // A SAM function's events are not properties of the function it makes: they
                // become resources that depend on it.
                const bool events = r.type == kSamFunction && key == QLatin1String("Events");
                if (auto c = checkReferences(value, r.propertyPaths.value(key), events ? nullptr : &r.dependsOn); !c)
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
        QString message = QStringLiteral("Circular dependency between resources: %1").arg(cycle.join(QLatin1String(" -> ")));
        bool s3 = std::any_of(m_s3Events.cbegin(), m_s3Events.cend(),
                              [&](const S3Event &e) { return cycle.contains(e.bucketLogicalId); });
        if (s3)
            message += QStringLiteral(" (a function that refers to the bucket whose events trigger it: give the bucket "
                                      "a fixed BucketName and build the name with !Sub in the function)");
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
            auto v = m_resolver.resolve(r.rawProperties[key.toStdString()], r.propertyPaths.value(key));
            if (!v)
                return v.error();
            if (!IntrinsicResolver::isNoValue(*v))
                props[key.toStdString()] = std::move(*v);
        }
        r.properties = std::move(props);
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
        m_stack.resources.append(out);

        if (r.type == kSamFunction || r.type == kLambdaFunction)
            return buildFunction(r);
        if (r.type == kBucket)
            return buildBucket(r);
        if (r.type == QLatin1String("AWS::Serverless::LayerVersion") || r.type == QLatin1String("AWS::Lambda::LayerVersion"))
            return buildLayer(r);
        return {};
    }

    void reportType(const Resource &r)
    {
        const ResourceTypeInfo *info = resourceTypeInfo(r.type);
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
            report(p ? (p->support == Support::Ignored ? Level::Ignored : Level::Unsupported) : Level::Unsupported,
                   Kind::Property, key, r.propertyPaths.value(key),
                   p ? QLatin1String(p->note) : QStringLiteral("not emulated: Tarmac goes on without it"));
        }
    }

    void unsupportedValue(const QString &subject, const QString &path, const QString &note)
    {
        report(Level::Unsupported, Kind::Value, subject, path, note);
    }

    QString propPath(const Resource &r, const char *key) const
    {
        return r.propertyPaths.value(QLatin1String(key), TemplateDocument::childPath(r.path, QStringLiteral("Properties")));
    }

    Result<int> intProperty(const Resource &r, const char *key, int fallback, int min, int max)
    {
        if (!r.properties.contains(key))
            return fallback;
        qint64 v = 0;
        if (!toInt(r.properties[key], &v) || v < min || v > max)
            return error(propPath(r, key), QStringLiteral("%1 must be a whole number from %2 to %3")
                                                   .arg(QLatin1String(key))
                                                   .arg(min)
                                                   .arg(max));
        return int(v);
    }

    Result<QMap<QString, QString>> stringMap(const Json &value, const QString &path, const char *what)
    {
        QMap<QString, QString> out;
        if (!value.is_object())
            return error(path, QStringLiteral("%1 must be a map of strings").arg(QLatin1String(what)));
        for (auto it = value.begin(); it != value.end(); ++it) {
            QString s;
            if (!IntrinsicResolver::scalarToString(it.value(), &s))
                return error(TemplateDocument::childPath(path, qs(it.key())),
                             QStringLiteral("%1: the value of %2 must be a string").arg(QLatin1String(what), qs(it.key())));
            out.insert(qs(it.key()), s);
        }
        return out;
    }

    Result<QMap<QString, QString>> tagList(const Json &value, const QString &path)
    {
        QMap<QString, QString> out;
        if (!value.is_array())
            return error(path, QStringLiteral("Tags must be a list of {Key, Value}"));
        for (size_t i = 0; i < value.size(); ++i) {
            const Json &t = value[i];
            QString k, v;
            if (!t.is_object() || !t.contains("Key") || !IntrinsicResolver::scalarToString(t["Key"], &k)
                || (t.contains("Value") && !IntrinsicResolver::scalarToString(t["Value"], &v)))
                return error(TemplateDocument::childPath(path, qsizetype(i)), QStringLiteral("a tag is {Key, Value}"));
            out.insert(k, v);
        }
        return out;
    }

    Result<QString> codeFolder(const QString &uri, const QString &path, const char *property)
    {
        const QString dir = QDir::cleanPath(QDir(m_stack.baseDir).absoluteFilePath(uri));
        const QFileInfo info(dir);
        if (!info.exists())
            return error(path, QStringLiteral("%1 %2 does not exist (looked in %3)").arg(QLatin1String(property), uri, dir));
        if (!info.isDir()) {
            unsupportedValue(QStringLiteral("%1: %2").arg(QLatin1String(property), uri), path,
                             QStringLiteral("archives are not unpacked: point it at the folder"));
            return QString();
        }
        return dir;
    }

    Result<void> buildFunction(const Resource &r)
    {
        FunctionSpec f;
        f.logicalId = r.logicalId;
        f.type = r.type;
        f.name = r.identity.physicalId;
        f.arn = qs(r.identity.attributes.value(QStringLiteral("Arn")).get<std::string>());
        f.location = m_doc.locate(r.path);
        const Json &p = r.properties;
        const bool sam = r.type == kSamFunction;

        if (p.contains("PackageType") && p["PackageType"] != "Zip") {
            unsupportedValue(QStringLiteral("PackageType: Image"), propPath(r, "PackageType"),
                             QStringLiteral("container image functions are not run"));
            return {};
        }
        // Code: a local folder, or inline.
        bool runnable = true;
        if (sam) {
            if (p.contains("InlineCode") && p["InlineCode"].is_string()) {
                f.inlineCode = QByteArray::fromStdString(p["InlineCode"].get<std::string>());
            } else if (p.contains("CodeUri") && p["CodeUri"].is_string()
                       && !qs(p["CodeUri"].get<std::string>()).startsWith(QLatin1String("s3://"))) {
                auto dir = codeFolder(qs(p["CodeUri"].get<std::string>()), propPath(r, "CodeUri"), "CodeUri");
                if (!dir)
                    return dir.error();
                f.codeDir = *dir;
                runnable = !dir->isEmpty();
            } else if (p.contains("CodeUri")) {
                unsupportedValue(QStringLiteral("CodeUri in S3"), propPath(r, "CodeUri"),
                                 QStringLiteral("code is read from local folders only; the function is not created"));
                runnable = false;
            } else {
                return error(r.path, QStringLiteral("the function %1 needs CodeUri or InlineCode").arg(r.logicalId));
            }
        } else {
            const Json code = p.value("Code", Json());
            if (code.is_string()) {
                auto dir = codeFolder(qs(code.get<std::string>()), propPath(r, "Code"), "Code");
                if (!dir)
                    return dir.error();
                f.codeDir = *dir;
                runnable = !dir->isEmpty();
            } else if (code.is_object() && code.contains("ZipFile") && code["ZipFile"].is_string()) {
                f.inlineCode = QByteArray::fromStdString(code["ZipFile"].get<std::string>());
            } else if (code.is_object()) {
                unsupportedValue(code.contains("ImageUri") ? QStringLiteral("Code.ImageUri") : QStringLiteral("Code.S3Bucket"),
                                 propPath(r, "Code"),
                                 QStringLiteral("code is read from local folders or ZipFile only; the function is "
                                                "not created"));
                runnable = false;
            } else {
                return error(r.path, QStringLiteral("the function %1 needs Code").arg(r.logicalId));
            }
        }

        f.runtime = p.contains("Runtime") && p["Runtime"].is_string() ? qs(p["Runtime"].get<std::string>()) : QString();
        f.handler = p.contains("Handler") && p["Handler"].is_string() ? qs(p["Handler"].get<std::string>()) : QString();
        if (f.runtime.isEmpty())
            return error(r.path, QStringLiteral("the function %1 needs a Runtime").arg(r.logicalId));
        if (!runtimeIsEmulated(f.runtime)) {
            unsupportedValue(QStringLiteral("Runtime: ") + f.runtime, propPath(r, "Runtime"),
                             QStringLiteral("Tarmac runs python3.*, nodejs* and provided.* functions; this one is "
                                            "not created"));
            runnable = false;
        }
        if (f.handler.isEmpty() && !f.runtime.startsWith(QLatin1String("provided")))
            return error(r.path, QStringLiteral("the function %1 needs a Handler").arg(r.logicalId));
        if (p.contains("Description") && p["Description"].is_string())
            f.description = qs(p["Description"].get<std::string>());

        auto timeout = intProperty(r, "Timeout", 3, 1, 900);
        if (!timeout)
            return timeout.error();
        f.timeoutSeconds = *timeout;
        auto memory = intProperty(r, "MemorySize", 128, 128, 10240);
        if (!memory)
            return memory.error();
        f.memoryMb = *memory;
        if (p.contains("EphemeralStorage")) {
            qint64 size = 0;
            if (!p["EphemeralStorage"].is_object() || !toInt(p["EphemeralStorage"].value("Size", Json()), &size)
                || size < 512 || size > 10240)
                return error(propPath(r, "EphemeralStorage"),
                             QStringLiteral("EphemeralStorage is {Size: 512 to 10240}"));
            f.ephemeralStorageMb = int(size);
        }
        if (p.contains("ReservedConcurrentExecutions")) {
            auto reserved = intProperty(r, "ReservedConcurrentExecutions", 0, 0, 1000);
            if (!reserved)
                return reserved.error();
            f.reservedConcurrency = *reserved;
        }
        if (p.contains("Environment")) {
            const QString envPath = propPath(r, "Environment");
            if (!p["Environment"].is_object())
                return error(envPath, QStringLiteral("Environment is {Variables: {…}}"));
            if (p["Environment"].contains("Variables")) {
                auto vars = stringMap(p["Environment"]["Variables"],
                                      TemplateDocument::childPath(envPath, QStringLiteral("Variables")),
                                      "Environment.Variables");
                if (!vars)
                    return vars.error();
                f.environment = *vars;
            }
        }
        if (p.contains("Tags")) {
            auto tags = sam ? stringMap(p["Tags"], propPath(r, "Tags"), "Tags") : tagList(p["Tags"], propPath(r, "Tags"));
            if (!tags)
                return tags.error();
            f.tags = *tags;
        }
        if (sam)
            f.tags.insert(QStringLiteral("lambda:createdBy"), QStringLiteral("SAM")); // as the SAM transform tags it
        if (p.contains("Layers")) {
            const QString layersPath = propPath(r, "Layers");
            if (!p["Layers"].is_array())
                return error(layersPath, QStringLiteral("Layers is a list of layer version ARNs"));
            for (size_t i = 0; i < p["Layers"].size(); ++i) {
                const Json &l = p["Layers"][i];
                const QString arn = l.is_string() ? qs(l.get<std::string>()) : QString();
                if (m_layerDirs.contains(arn))
                    f.layerDirs.append(m_layerDirs.value(arn));
                else
                    unsupportedValue(QStringLiteral("layer ") + arn, TemplateDocument::childPath(layersPath, qsizetype(i)),
                                     QStringLiteral("only layers built from local folders in this template are "
                                                    "available"));
            }
        }
        if (sam && p.contains("EventInvokeConfig")) {
            auto config = invokeConfig(p["EventInvokeConfig"], propPath(r, "EventInvokeConfig"));
            if (!config)
                return config.error();
            f.eventInvokeConfig = *config;
        }
        if (runnable)
            m_stack.functions.append(f);
        return {};
    }

    Result<FunctionSpec::InvokeConfig> invokeConfig(const Json &c, const QString &path)
    {
        FunctionSpec::InvokeConfig config;
        if (!c.is_object())
            return error(path, QStringLiteral("EventInvokeConfig is a map"));
        qint64 v = 0;
        if (c.contains("MaximumRetryAttempts")) {
            if (!toInt(c["MaximumRetryAttempts"], &v) || v < 0 || v > 2)
                return error(TemplateDocument::childPath(path, QStringLiteral("MaximumRetryAttempts")),
                             QStringLiteral("MaximumRetryAttempts must be 0, 1 or 2"));
            config.maximumRetryAttempts = int(v);
        }
        if (c.contains("MaximumEventAgeInSeconds")) {
            if (!toInt(c["MaximumEventAgeInSeconds"], &v) || v < 60 || v > 21600)
                return error(TemplateDocument::childPath(path, QStringLiteral("MaximumEventAgeInSeconds")),
                             QStringLiteral("MaximumEventAgeInSeconds must be from 60 to 21600"));
            config.maximumEventAgeSeconds = int(v);
        }
        if (c.contains("DestinationConfig")) {
            const Json &d = c["DestinationConfig"];
            const QString dpath = TemplateDocument::childPath(path, QStringLiteral("DestinationConfig"));
            for (const char *which : { "OnSuccess", "OnFailure" }) {
                if (!d.is_object() || !d.contains(which))
                    continue;
                const Json &dest = d[which];
                QString type, arn;
                if (!dest.is_object() || !IntrinsicResolver::scalarToString(dest.value("Destination", Json()), &arn))
                    return error(TemplateDocument::childPath(dpath, QLatin1String(which)),
                                 QStringLiteral("%1 is {Type, Destination}").arg(QLatin1String(which)));
                IntrinsicResolver::scalarToString(dest.value("Type", Json()), &type);
                if (qstrcmp(which, "OnSuccess") == 0) {
                    config.onSuccessType = type;
                    config.onSuccess = arn;
                } else {
                    config.onFailureType = type;
                    config.onFailure = arn;
                }
            }
        }
        return config;
    }

    Result<BucketNotification> notification(const QString &bucketId, const QString &bucketName, const Json &events,
                                            const Json &filter, const QString &functionArn, const QString &path,
                                            const QString &configId)
    {
        BucketNotification n;
        n.id = configId;
        n.bucketLogicalId = bucketId;
        n.bucketName = bucketName;
        n.functionArn = functionArn;
        n.functionName = functionNameFromArn(functionArn);
        n.location = m_doc.locate(path);
        const Json list = events.is_array() ? events : Json::array({ events });
        for (const Json &e : list) {
            QString s;
            if (!IntrinsicResolver::scalarToString(e, &s) || !s.startsWith(QLatin1String("s3:")))
                return error(path, QStringLiteral("S3 event names look like s3:ObjectCreated:*"));
            n.events.append(s);
        }
        if (!filter.is_null()) {
            const Json rules = filter.is_object() && filter.contains("S3Key") && filter["S3Key"].is_object()
                    ? filter["S3Key"].value("Rules", Json::array())
                    : Json();
            if (!rules.is_array())
                return error(path, QStringLiteral("Filter is {S3Key: {Rules: [{Name: prefix|suffix, Value}]}}"));
            for (const Json &rule : rules) {
                QString name, value;
                if (!rule.is_object() || !IntrinsicResolver::scalarToString(rule.value("Name", Json()), &name)
                    || !IntrinsicResolver::scalarToString(rule.value("Value", Json()), &value))
                    return error(path, QStringLiteral("a filter rule is {Name: prefix|suffix, Value}"));
                if (name.compare(QLatin1String("prefix"), Qt::CaseInsensitive) == 0)
                    n.prefix = value;
                else if (name.compare(QLatin1String("suffix"), Qt::CaseInsensitive) == 0)
                    n.suffix = value;
                else
                    return error(path, QStringLiteral("filter rule names are prefix and suffix, not %1").arg(name));
            }
        }
        return n;
    }

    Result<void> buildBucket(const Resource &r)
    {
        BucketSpec b;
        b.logicalId = r.logicalId;
        b.name = r.identity.physicalId;
        b.arn = qs(r.identity.attributes.value(QStringLiteral("Arn")).get<std::string>());
        b.location = m_doc.locate(r.path);
        b.retainOnDelete = r.deletionPolicy.startsWith(QLatin1String("Retain"));
        const Json &p = r.properties;
        if (p.contains("CorsConfiguration")) {
            const Json &cors = p["CorsConfiguration"];
            if (!cors.is_object() || !cors.contains("CorsRules") || !cors["CorsRules"].is_array())
                return error(propPath(r, "CorsConfiguration"), QStringLiteral("CorsConfiguration is {CorsRules: [...]}"));
            b.corsRules = cors["CorsRules"];
        }
        if (p.contains("Tags")) {
            auto tags = tagList(p["Tags"], propPath(r, "Tags"));
            if (!tags)
                return tags.error();
            b.tags = *tags;
        }
        if (p.contains("VersioningConfiguration")) {
            const Json &v = p["VersioningConfiguration"];
            const std::string status = v.is_object() && v.contains("Status") && v["Status"].is_string()
                    ? v["Status"].get<std::string>()
                    : std::string();
            if (status != "Enabled" && status != "Suspended")
                return error(propPath(r, "VersioningConfiguration"),
                             QStringLiteral("VersioningConfiguration is {Status: Enabled|Suspended}"));
            b.versioning = status == "Enabled";
        }
        if (p.contains("NotificationConfiguration")) {
            const Json &nc = p["NotificationConfiguration"];
            const QString ncPath = propPath(r, "NotificationConfiguration");
            if (!nc.is_object())
                return error(ncPath, QStringLiteral("NotificationConfiguration is a map"));
            for (auto it = nc.begin(); it != nc.end(); ++it) {
                const QString key = qs(it.key());
                const QString keyPath = TemplateDocument::childPath(ncPath, key);
                if (key != QLatin1String("LambdaConfigurations")) {
                    report(Level::Unsupported, Kind::Property, QStringLiteral("NotificationConfiguration.") + key,
                           keyPath, QStringLiteral("only notifications to functions are sent"));
                    continue;
                }
                if (!it.value().is_array())
                    return error(keyPath, QStringLiteral("LambdaConfigurations is a list"));
                for (size_t i = 0; i < it.value().size(); ++i) {
                    const Json &c = it.value()[i];
                    const QString cPath = TemplateDocument::childPath(keyPath, qsizetype(i));
                    QString fn;
                    if (!c.is_object() || !c.contains("Event") || !IntrinsicResolver::scalarToString(c.value("Function", Json()), &fn))
                        return error(cPath, QStringLiteral("a LambdaConfiguration is {Event, Function, Filter}"));
                    auto n = notification(r.logicalId, b.name, c["Event"], c.value("Filter", Json()), fn, cPath,
                                          QStringLiteral("%1-lambda-%2").arg(r.logicalId).arg(i));
                    if (!n)
                        return n.error();
                    m_stack.notifications.append(*n);
                }
            }
        }
        for (const S3Event &e : std::as_const(m_s3Events)) {
            if (e.bucketLogicalId != r.logicalId)
                continue;
            const Resource &fn = m_resources[m_index.value(e.functionLogicalId)];
            auto events = m_resolver.resolve(e.events, TemplateDocument::childPath(e.path, QStringLiteral("Events")));
            if (!events)
                return events.error();
            auto filter = m_resolver.resolve(e.filter, TemplateDocument::childPath(e.path, QStringLiteral("Filter")));
            if (!filter)
                return filter.error();
            auto n = notification(r.logicalId, b.name, *events, IntrinsicResolver::isNoValue(*filter) ? Json() : *filter,
                                  qs(fn.identity.attributes.value(QStringLiteral("Arn")).get<std::string>()), e.path,
                                  e.functionLogicalId + e.eventName);
            if (!n)
                return n.error();
            m_stack.notifications.append(*n);
        }
        m_stack.buckets.append(b);
        return {};
    }

    Result<void> buildLayer(const Resource &r)
    {
        const bool sam = r.type == QLatin1String("AWS::Serverless::LayerVersion");
        const char *key = sam ? "ContentUri" : "Content";
        const Json content = r.properties.value(key, Json());
        if (!content.is_string() || qs(content.get<std::string>()).startsWith(QLatin1String("s3://"))) {
            unsupportedValue(QLatin1String(key), propPath(r, key),
                             QStringLiteral("layers are read from local folders only"));
            return {};
        }
        auto dir = codeFolder(qs(content.get<std::string>()), propPath(r, key), key);
        if (!dir)
            return dir.error();
        if (!dir->isEmpty())
            m_layerDirs.insert(r.identity.physicalId, *dir);
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
            const Json &o = outputs[name.toStdString()];
            if (!isAlphanumeric(name))
                return error(path, QStringLiteral("Template format error: Output name %1 is non alphanumeric").arg(name));
            if (!o.is_object() || !o.contains("Value"))
                return error(path, QStringLiteral("the output %1 needs a Value").arg(name));
            if (o.contains("Condition")) {
                const QString cpath = TemplateDocument::childPath(path, QStringLiteral("Condition"));
                if (!o["Condition"].is_string())
                    return error(cpath, QStringLiteral("Condition takes the name of a condition"));
                auto holds = condition(qs(o["Condition"].get<std::string>()), m_doc.locate(cpath));
                if (!holds)
                    return holds.error();
                if (!*holds)
                    continue;
            }
            if (auto c = checkReferences(o["Value"], TemplateDocument::childPath(path, QStringLiteral("Value")), nullptr); !c)
                return c.error();
            auto value = m_resolver.resolve(o["Value"], TemplateDocument::childPath(path, QStringLiteral("Value")));
            if (!value)
                return value.error();
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
            } else if (!IntrinsicResolver::isNoValue(*value) && !IntrinsicResolver::scalarToString(*value, &out.value)) {
                return error(path, QStringLiteral("Template format error: Every Value member of Outputs must be a "
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
    Json m_globalFunction;
    QList<Resource> m_resources;
    QHash<QString, qsizetype> m_index;
    QList<qsizetype> m_order;
    QList<S3Event> m_s3Events;
    QHash<QString, QString> m_layerDirs; // layer version ARN → folder
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
    for (const char *name : { "template.yaml", "template.yml", "template.json" }) {
        const QFileInfo candidate(QDir(info.absoluteFilePath()).absoluteFilePath(QLatin1String(name)));
        if (candidate.isFile())
            return candidate.absoluteFilePath();
    }
    return {};
}

QString StackLoader::defaultStackName(const QString &templatePath)
{
    // A stack name: letters, digits and hyphens, starting with a letter, at most 128.
    QString name = QFileInfo(QFileInfo(templatePath).absolutePath()).fileName();
    QString out;
    for (const QChar c : std::as_const(name)) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
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

Result<Stack> StackLoader::load(const QByteArray &text, const QString &templatePath, const Options &options)
{
    auto doc = TemplateDocument::parse(text, QFileInfo(templatePath).fileName());
    if (!doc)
        return doc.error();
    Loader loader(*doc, templatePath, options);
    return loader.run();
}

} // namespace tarmac
