#include "services/lambda/lambdaresources.h"

#include "base/json.h"
#include "services/lambda/functionbuild.h"
#include "services/lambda/lambdarequests.h"
#include "template/intrinsics.h"
#include "template/stack.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace tarmac::lambdaresources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;
constexpr Support U = Support::Unsupported;

const char kNoIam[] = "IAM is not enforced: every function may call every service";
const char kNoArch[] = "functions run on this machine's architecture";
const char kNoXRay[] = "Tarmac traces every invocation itself; there is no X-Ray daemon";
const char kNoKms[] = "nothing is encrypted with KMS locally";
const char kNoSigning[] = "code signing is not checked";
const char kNoRuntimeMgmt[] = "the runtime is whatever is installed on this machine";
const char kLogs[] = "function output goes to Tarmac's log store";

const QLatin1String kSamFunction("AWS::Serverless::Function");
const QLatin1String kLambdaFunction("AWS::Lambda::Function");

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

bool runtimeIsEmulated(const QString &runtime)
{
    return runtime.startsWith(QLatin1String("python3"))
        || runtime.startsWith(QLatin1String("nodejs"))
        || runtime.startsWith(QLatin1String("provided"));
}

// The public OpenTelemetry layers (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION): the
// AWS Distro for OpenTelemetry's (aws-otel-*, and AWSOpenTelemetryDistro* of Application
// Signals) and the OpenTelemetry Lambda project's (opentelemetry-*).
bool isOpenTelemetryLayer(const QString &arn)
{
    const QStringList parts = arn.split(u':');
    if (parts.size() != 8 || parts[0] != QLatin1String("arn") || parts[5] != QLatin1String("layer"))
        return false;
    const QString &account = parts[4];
    const QString &name = parts[6];
    return (account == QLatin1String("901920570463") && name.startsWith(QLatin1String("aws-otel-")))
        || (account == QLatin1String("615299751070")
            && name.startsWith(QLatin1String("AWSOpenTelemetryDistro")))
        || (account == QLatin1String("184161586896")
            && name.startsWith(QLatin1String("opentelemetry-")));
}

QList<PropertySupport> functionCommon()
{
    return {
        {"Handler", E, ""},
        {"Runtime", E, ""},
        {"Timeout", E, ""},
        {"MemorySize", E, ""},
        {"Environment", E, ""},
        {"Layers", E, ""},
        {"ReservedConcurrentExecutions", E, ""},
        {"DeadLetterConfig", E, ""},
        {"FunctionName", E, ""},
        {"Description", E, ""},
        {"Tags", E, ""},
        {"EphemeralStorage", E, ""},
        {"PackageType", E, ""},
        {"Role", I, kNoIam},
        {"Architectures", I, kNoArch},
        {"KmsKeyArn", I, kNoKms},
        {"CodeSigningConfigArn", I, kNoSigning},
        {"RuntimeManagementConfig", I, kNoRuntimeMgmt},
        {"LoggingConfig", I, kLogs},
        {"RecursiveLoop", I, "recursive loops are not detected"},
    };
}

// Reads a function's resolved properties the way the SAM transform and CloudFormation would.
class FunctionReader
{
public:
    FunctionReader(const StackResource &r, ResourceCheck &check)
        : m_r(r)
        , m_p(r.properties)
        , m_check(check)
    { }

    Result<FunctionSpec> read()
    {
        FunctionSpec f;
        const bool sam = m_r.type == kSamFunction;
        if (m_p.contains("PackageType") && m_p["PackageType"] != "Zip") {
            m_check.unsupported(QStringLiteral("PackageType: Image"),
                {QStringLiteral("PackageType")},
                QStringLiteral("container image functions are not run"), true);
            f.runnable = false;
            return f;
        }
        if (auto code = sam ? samCode(f) : cfnCode(f); !code)
            return code.error();

        f.runtime = string("Runtime");
        f.handler = string("Handler");
        if (f.runtime.isEmpty())
            return m_check.error(
                {}, QStringLiteral("the function %1 needs a Runtime").arg(m_r.logicalId));
        if (!runtimeIsEmulated(f.runtime)) {
            m_check.unsupported(QStringLiteral("Runtime: ") + f.runtime,
                {QStringLiteral("Runtime")},
                QStringLiteral(
                    "Tarmac runs python3.*, nodejs* and provided.* functions; this one is "
                    "not created"),
                true);
            f.runnable = false;
        }
        if (f.handler.isEmpty() && !f.runtime.startsWith(QLatin1String("provided")))
            return m_check.error(
                {}, QStringLiteral("the function %1 needs a Handler").arg(m_r.logicalId));
        f.description = string("Description");
        f.role = string("Role");
        if (sam && !m_p.contains("Role"))
            f.role = m_check.madeRoleArn(m_r.logicalId);
        if (sam)
            f.autoPublishAlias = string("AutoPublishAlias");

        auto timeout = intProperty("Timeout", 3, 1, 900);
        if (!timeout)
            return timeout.error();
        f.timeoutSeconds = *timeout;
        auto memory = intProperty("MemorySize", 128, 128, 10240);
        if (!memory)
            return memory.error();
        f.memoryMb = *memory;
        if (m_p.contains("EphemeralStorage")) {
            qint64 size = 0;
            if (!m_p["EphemeralStorage"].is_object()
                || !wholeNumber(m_p["EphemeralStorage"].value("Size", Json()), &size) || size < 512
                || size > 10240)
                return m_check.error({QStringLiteral("EphemeralStorage")},
                    QStringLiteral("EphemeralStorage is {Size: 512 to 10240}"));
            f.ephemeralStorageMb = int(size);
        }
        // CloudFormation's DeadLetterConfig {TargetArn}, or SAM's DeadLetterQueue {Type:
        // SQS|SNS, TargetArn}.
        for (const char *key : {"DeadLetterConfig", "DeadLetterQueue"}) {
            if (!m_p.contains(key))
                continue;
            const Json &d = m_p[key];
            QString arn;
            if (!d.is_object()
                || !IntrinsicResolver::scalarToString(d.value("TargetArn", Json()), &arn))
                return m_check.error({QLatin1String(key)},
                    QStringLiteral("%1 is {%2TargetArn}")
                        .arg(QLatin1String(key),
                            qstrcmp(key, "DeadLetterQueue") == 0 ? QStringLiteral("Type, ")
                                                                 : QString()));
            if (!arn.isEmpty() && !m_check.takesMessages(arn))
                m_check.unsupported(QLatin1String(key), {QLatin1String(key)},
                    QStringLiteral("no service Tarmac runs takes messages for %1; events whose "
                                   "retries are spent are logged")
                        .arg(arn));
            f.deadLetterTarget = arn;
        }
        if (m_p.contains("ReservedConcurrentExecutions")) {
            auto reserved = intProperty("ReservedConcurrentExecutions", 0, 0, 1000);
            if (!reserved)
                return reserved.error();
            f.reservedConcurrency = *reserved;
        }
        if (m_p.contains("Environment")) {
            if (!m_p["Environment"].is_object())
                return m_check.error({QStringLiteral("Environment")},
                    QStringLiteral("Environment is {Variables: {…}}"));
            if (m_p["Environment"].contains("Variables")) {
                auto vars = stringMap(m_p["Environment"]["Variables"],
                    {QStringLiteral("Environment"), QStringLiteral("Variables")},
                    "Environment.Variables");
                if (!vars)
                    return vars.error();
                f.environment = *vars;
            }
        }
        if (m_p.contains("Tags")) {
            auto tags = sam ? stringMap(m_p["Tags"], {QStringLiteral("Tags")}, "Tags")
                            : tagList(m_p["Tags"]);
            if (!tags)
                return tags.error();
            f.tags = *tags;
        }
        if (sam)
            f.tags.insert(QStringLiteral("lambda:createdBy"),
                QStringLiteral("SAM")); // as the SAM transform tags it
        if (m_p.contains("Layers")) {
            if (!m_p["Layers"].is_array())
                return m_check.error({QStringLiteral("Layers")},
                    QStringLiteral("Layers is a list of layer version ARNs"));
            bool openTelemetryLayer = false;
            for (size_t i = 0; i < m_p["Layers"].size(); ++i) {
                const Json &l = m_p["Layers"][i];
                const QString arn = l.is_string() ? qs(l.get<std::string>()) : QString();
                const StackResource *layer = arn.isEmpty() ? nullptr : m_check.loaded(arn);
                const QString dir
                    = layer && layer->details.is_object() && layer->details.contains("dir")
                    ? qs(layer->details["dir"].get<std::string>())
                    : QString();
                const QString mapped = dir.isEmpty() ? m_check.layerFolder(arn) : QString();
                if (!dir.isEmpty()) {
                    f.layerDirs.append(dir);
                } else if (!mapped.isEmpty()) {
                    // A public layer (Powertools, …) given as a local folder: a local layer.
                    const QString folder = m_check.localPath(mapped);
                    if (!QFileInfo(folder).isDir())
                        return m_check.error({QStringLiteral("Layers"), QString::number(i)},
                            QStringLiteral("the folder %1 given for layer %2 does not exist")
                                .arg(folder, arn));
                    f.layerDirs.append(folder);
                } else if (isOpenTelemetryLayer(arn)) {
                    openTelemetryLayer = true;
                    m_check.ignored(QStringLiteral("layer ") + arn,
                        {QStringLiteral("Layers"), QString::number(i)},
                        QStringLiteral("an OpenTelemetry layer (ADOT or OpenTelemetry Lambda) is "
                                       "not run locally: Tarmac traces the function itself, and "
                                       "an OpenTelemetry SDK in the function's own code exports "
                                       "to Tarmac's receiver (OTEL_EXPORTER_OTLP_ENDPOINT)"),
                        true);
                } else {
                    m_check.unsupported(QStringLiteral("layer ") + arn,
                        {QStringLiteral("Layers"), QString::number(i)},
                        QStringLiteral("only layers built from local folders in this template, "
                                       "or given with --layer ARN=DIR, are available"),
                        true);
                }
            }
            // The layer's exec wrapper (/opt/otel-instrument, /opt/otel-handler, …) is not
            // there: the function starts without it rather than not at all.
            const QString wrapper = f.environment.value(QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER"));
            if (openTelemetryLayer && wrapper.startsWith(QLatin1String("/opt/otel"))) {
                f.environment.remove(QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER"));
                m_check.ignored(QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER ") + wrapper,
                    {QStringLiteral("Environment"), QStringLiteral("Variables"),
                        QStringLiteral("AWS_LAMBDA_EXEC_WRAPPER")},
                    QStringLiteral("the wrapper comes with the OpenTelemetry layer: the function "
                                   "starts without it"),
                    true);
            }
        }
        if (sam && m_p.contains("EventInvokeConfig")) {
            auto config = invokeConfig(m_p["EventInvokeConfig"]);
            if (!config)
                return config.error();
            f.eventInvokeConfig = *config;
        }
        applyBuild(f);
        if (f.runnable && f.runtime.startsWith(QLatin1String("nodejs")) && !f.codeDir.isEmpty())
            checkNodeDependencies(f);
        if (f.runnable && f.runtime.startsWith(QLatin1String("python")) && !f.codeDir.isEmpty())
            checkPythonDependencies(f);
        return f;
    }

private:
    // What `tarmac build` and esbuild make go to BUILD/LOGICALID: an esbuild bundle is the
    // code the function runs; installed dependencies (python/, nodejs/node_modules) are read
    // after the function's own folder, as its first layer.
    void applyBuild(FunctionSpec &f)
    {
        f.sourceDir = f.codeDir;
        if (f.codeDir.isEmpty() || m_check.buildRoot().isEmpty())
            return;
        const QString out = QDir(m_check.buildRoot()).filePath(m_r.logicalId);
        if (QFileInfo(QDir(out).filePath(QStringLiteral("python"))).isDir()
            || QFileInfo(QDir(out).filePath(QStringLiteral("nodejs"))).isDir())
            f.layerDirs.prepend(out);
        const Json &metadata = m_r.metadata;
        if (f.runtime.startsWith(QLatin1String("nodejs")) && metadata.is_object()
            && metadata.value("BuildMethod", Json()) == Json("esbuild")) {
            f.buildMethod = QStringLiteral("esbuild");
            f.buildProperties = metadata.value("BuildProperties", Json::object());
            f.codeDir = out; // the bundle; the dependencies it bundles are in out/nodejs
        }
    }

    // A Python function whose requirements.txt names distributions that neither its folder,
    // its layers nor `tarmac build` has fails at its first import: said at load.
    void checkPythonDependencies(const FunctionSpec &f)
    {
        QFile file(QDir(f.sourceDir).filePath(QStringLiteral("requirements.txt")));
        if (file.size() > 1024 * 1024 || !file.open(QIODevice::ReadOnly))
            return;
        QStringList roots {f.sourceDir};
        for (const QString &layer : f.layerDirs) {
            roots.append(QDir(layer).filePath(QStringLiteral("python")));
            const QDir lib(QDir(layer).filePath(QStringLiteral("python/lib")));
            for (const QString &v : lib.entryList({QStringLiteral("python3*")}, QDir::Dirs))
                roots.append(lib.filePath(v + QStringLiteral("/site-packages")));
        }
        QStringList missing;
        for (const QString &name : functionbuild::requirementNames(file.readAll())) {
            // What Lambda's Python runtimes bundle.
            if (name.compare(QLatin1String("boto3"), Qt::CaseInsensitive) == 0
                || name.compare(QLatin1String("botocore"), Qt::CaseInsensitive) == 0)
                continue;
            if (!functionbuild::pythonDistributionInstalled(name, roots))
                missing.append(name);
        }
        if (missing.isEmpty())
            return;
        m_check.unsupported(QStringLiteral("dependencies of %1").arg(m_r.logicalId),
            {m_r.type == kSamFunction ? QStringLiteral("CodeUri") : QStringLiteral("Code")},
            QStringLiteral("requirements.txt declares %1, which is not installed: run tarmac "
                           "build")
                .arg(missing.join(QStringLiteral(", "))),
            true);
    }

    // A function whose package.json declares dependencies that no node_modules folder it can
    // see holds fails at its first import: say so at load (`sam build` installs them for a
    // deployment). What Lambda's runtime bundles (@aws-sdk/*) does not count.
    void checkNodeDependencies(const FunctionSpec &f)
    {
        QFile file(QDir(f.sourceDir).filePath(QStringLiteral("package.json")));
        if (file.size() > 4 * 1024 * 1024 || !file.open(QIODevice::ReadOnly))
            return;
        auto json = parseJson(file.readAll());
        if (!json || !json->is_object() || !json->contains("dependencies")
            || !(*json)["dependencies"].is_object())
            return;
        QStringList roots; // where Node looks: the code folder and up, then the layers
        for (QDir dir(f.sourceDir);;) {
            roots.append(dir.filePath(QStringLiteral("node_modules")));
            if (!dir.cdUp())
                break;
        }
        for (const QString &layer : f.layerDirs)
            roots.append(QDir(layer).filePath(QStringLiteral("nodejs/node_modules")));
        QStringList missing;
        for (auto it = (*json)["dependencies"].begin(); it != (*json)["dependencies"].end(); ++it) {
            const QString name = qs(it.key());
            if (name.startsWith(QLatin1String("@aws-sdk/")))
                continue;
            if (std::none_of(roots.begin(), roots.end(),
                    [&](const QString &root) { return QFileInfo(root + u'/' + name).isDir(); }))
                missing.append(name);
        }
        if (missing.isEmpty())
            return;
        m_check.unsupported(QStringLiteral("dependencies of %1").arg(m_r.logicalId),
            {m_r.type == kSamFunction ? QStringLiteral("CodeUri") : QStringLiteral("Code")},
            QStringLiteral("package.json declares %1, which no node_modules folder has: run "
                           "tarmac build (or npm install in %2)")
                .arg(missing.join(QStringLiteral(", ")), f.sourceDir),
            true);
    }

    QString string(const char *key) const
    {
        return m_p.contains(key) && m_p[key].is_string() ? qs(m_p[key].get<std::string>())
                                                         : QString();
    }

    Result<void> samCode(FunctionSpec &f)
    {
        if (m_p.contains("InlineCode") && m_p["InlineCode"].is_string()) {
            f.inlineCode = QByteArray::fromStdString(m_p["InlineCode"].get<std::string>());
        } else if (m_p.contains("CodeUri") && m_p["CodeUri"].is_string()
            && !string("CodeUri").startsWith(QLatin1String("s3://"))) {
            auto dir = codeFolder(string("CodeUri"), "CodeUri");
            if (!dir)
                return dir.error();
            f.codeDir = *dir;
            f.runnable = !dir->isEmpty();
        } else if (m_p.contains("CodeUri")) {
            m_check.unsupported(QStringLiteral("CodeUri in S3"), {QStringLiteral("CodeUri")},
                QStringLiteral("code is read from local folders only; the function is not created"),
                true);
            f.runnable = false;
        } else {
            // SAM CLI's default (every Node `sam init` template relies on it): the code is the
            // template's own folder.
            f.codeDir = QDir::cleanPath(m_check.baseDir());
            f.runnable = true;
        }
        return {};
    }

    Result<void> cfnCode(FunctionSpec &f)
    {
        const Json code = m_p.value("Code", Json());
        if (code.is_string()) {
            auto dir = codeFolder(qs(code.get<std::string>()), "Code");
            if (!dir)
                return dir.error();
            f.codeDir = *dir;
            f.runnable = !dir->isEmpty();
        } else if (code.is_object() && code.contains("ZipFile") && code["ZipFile"].is_string()) {
            f.inlineCode = QByteArray::fromStdString(code["ZipFile"].get<std::string>());
        } else if (code.is_object()) {
            m_check.unsupported(code.contains("ImageUri") ? QStringLiteral("Code.ImageUri")
                                                          : QStringLiteral("Code.S3Bucket"),
                {QStringLiteral("Code")},
                QStringLiteral("code is read from local folders or ZipFile only; the function is "
                               "not created"),
                true);
            f.runnable = false;
        } else {
            return m_check.error(
                {}, QStringLiteral("the function %1 needs Code").arg(m_r.logicalId));
        }
        return {};
    }

    // The absolute folder, or empty (reported) for an archive.
    Result<QString> codeFolder(const QString &uri, const char *property)
    {
        const QString dir = m_check.localPath(uri);
        const QFileInfo info(dir);
        if (!info.exists())
            return m_check.error({QLatin1String(property)},
                QStringLiteral("%1 %2 does not exist (looked in %3)")
                    .arg(QLatin1String(property), uri, dir));
        if (!info.isDir()) {
            m_check.unsupported(QStringLiteral("%1: %2").arg(QLatin1String(property), uri),
                {QLatin1String(property)},
                QStringLiteral("archives are not unpacked: point it at the folder"), true);
            return QString();
        }
        return dir;
    }

    Result<int> intProperty(const char *key, int fallback, int min, int max)
    {
        if (!m_p.contains(key))
            return fallback;
        qint64 v = 0;
        if (!wholeNumber(m_p[key], &v) || v < min || v > max)
            return m_check.error({QLatin1String(key)},
                QStringLiteral("%1 must be a whole number from %2 to %3")
                    .arg(QLatin1String(key))
                    .arg(min)
                    .arg(max));
        return int(v);
    }

    Result<QMap<QString, QString>> stringMap(
        const Json &value, const QStringList &at, const char *what)
    {
        QMap<QString, QString> out;
        if (!value.is_object())
            return m_check.error(
                at, QStringLiteral("%1 must be a map of strings").arg(QLatin1String(what)));
        for (auto it = value.begin(); it != value.end(); ++it) {
            QString s;
            if (!IntrinsicResolver::scalarToString(it.value(), &s))
                return m_check.error(at + QStringList {qs(it.key())},
                    QStringLiteral("%1: the value of %2 must be a string")
                        .arg(QLatin1String(what), qs(it.key())));
            out.insert(qs(it.key()), s);
        }
        return out;
    }

    Result<QMap<QString, QString>> tagList(const Json &value)
    {
        QMap<QString, QString> out;
        if (!value.is_array())
            return m_check.error(
                {QStringLiteral("Tags")}, QStringLiteral("Tags must be a list of {Key, Value}"));
        for (size_t i = 0; i < value.size(); ++i) {
            const Json &t = value[i];
            QString k, v;
            if (!t.is_object() || !t.contains("Key")
                || !IntrinsicResolver::scalarToString(t["Key"], &k)
                || (t.contains("Value") && !IntrinsicResolver::scalarToString(t["Value"], &v)))
                return m_check.error({QStringLiteral("Tags"), QString::number(i)},
                    QStringLiteral("a tag is {Key, Value}"));
            out.insert(k, v);
        }
        return out;
    }

    Result<FunctionSpec::InvokeConfig> invokeConfig(const Json &c)
    {
        const QString at = QStringLiteral("EventInvokeConfig");
        FunctionSpec::InvokeConfig config;
        if (!c.is_object())
            return m_check.error({at}, QStringLiteral("EventInvokeConfig is a map"));
        qint64 v = 0;
        if (c.contains("MaximumRetryAttempts")) {
            if (!wholeNumber(c["MaximumRetryAttempts"], &v) || v < 0 || v > 2)
                return m_check.error({at, QStringLiteral("MaximumRetryAttempts")},
                    QStringLiteral("MaximumRetryAttempts must be 0, 1 or 2"));
            config.maximumRetryAttempts = int(v);
        }
        if (c.contains("MaximumEventAgeInSeconds")) {
            if (!wholeNumber(c["MaximumEventAgeInSeconds"], &v) || v < 60 || v > 21600)
                return m_check.error({at, QStringLiteral("MaximumEventAgeInSeconds")},
                    QStringLiteral("MaximumEventAgeInSeconds must be from 60 to 21600"));
            config.maximumEventAgeSeconds = int(v);
        }
        if (c.contains("DestinationConfig")) {
            const Json &d = c["DestinationConfig"];
            for (const char *which : {"OnSuccess", "OnFailure"}) {
                if (!d.is_object() || !d.contains(which))
                    continue;
                const Json &dest = d[which];
                QString type, arn;
                if (!dest.is_object()
                    || !IntrinsicResolver::scalarToString(dest.value("Destination", Json()), &arn))
                    return m_check.error(
                        {at, QStringLiteral("DestinationConfig"), QLatin1String(which)},
                        QStringLiteral("%1 is {Type, Destination}").arg(QLatin1String(which)));
                IntrinsicResolver::scalarToString(dest.value("Type", Json()), &type);
                // Said at load, not only when an event gets there: the asynchronous policy
                // delivers to functions, and to the resources of services that take messages.
                const QStringList parts = arn.split(u':');
                if (!(parts.size() >= 7 && parts[2] == QLatin1String("lambda")
                        && parts[5] == QLatin1String("function"))
                    && !m_check.takesMessages(arn))
                    m_check.unsupported(
                        QStringLiteral("%1 destination %2")
                            .arg(QLatin1String(which), type.isEmpty() ? parts.value(2) : type),
                        {at, QStringLiteral("DestinationConfig"), QLatin1String(which)},
                        QStringLiteral(
                            "no service Tarmac runs takes these destinations; events for %1 "
                            "are logged and dropped")
                            .arg(arn),
                        false);
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

    const StackResource &m_r;
    const Json &m_p;
    ResourceCheck &m_check;
};

class FunctionType : public ResourceType
{
public:
    explicit FunctionType(bool sam)
        : m_info {sam ? "AWS::Serverless::Function" : "AWS::Lambda::Function", E, "",
            functionCommon(), "function"}
    {
        if (sam) {
            m_info.properties += {
                {"CodeUri", E, ""},
                {"InlineCode", E, ""},
                {"Events", E, ""},
                {"EventInvokeConfig", E, ""},
                {"DeadLetterQueue", E, ""},
                {"AutoPublishAlias", E, ""},
                {"FunctionUrlConfig", U,
                    "the function URL is not served yet; <Function>Url and its FunctionUrl "
                    "resolve as on AWS"},
                {"Policies", I, kNoIam},
                {"PermissionsBoundary", I, kNoIam},
                {"RolePath", I, kNoIam},
                {"AssumeRolePolicyDocument", I, kNoIam},
                {"PropagateTags", I, "tags are not propagated to generated resources"},
                {"Tracing", I, kNoXRay},
            };
        } else {
            m_info.properties += {
                {"Code", E, ""},
                {"TracingConfig", I, kNoXRay},
            };
        }
    }
    const ResourceTypeInfo &info() const override { return m_info; }
    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString given = stringProperty(properties, "FunctionName");
        id.physicalId = given.isEmpty() ? generatedPhysicalName(n, logicalId, 64, false) : given;
        id.ref = Json(id.physicalId.toStdString());
        id.attributes.insert(QStringLiteral("Arn"),
            Json(n.arn("lambda", QStringLiteral("function:") + id.physicalId).toStdString()));
        return id;
    }
    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto spec = FunctionReader(resource, check).read();
        if (!spec)
            return spec.error();
        return spec->toJson();
    }
    std::optional<BuildOutcome> build(
        const StackResource &resource, const QString &buildRoot) const override
    {
        const FunctionSpec spec = FunctionSpec::fromJson(resource.details);
        if (!spec.runnable || spec.sourceDir.isEmpty() || buildRoot.isEmpty())
            return std::nullopt;
        const QString out = QDir(buildRoot).filePath(resource.logicalId);
        std::optional<BuildOutcome> done = functionbuild::installDependencies(spec, out);
        if (spec.buildMethod != QLatin1String("esbuild") || (done && done->failed))
            return done;
        const BuildOutcome bundled = functionbuild::bundle(spec);
        if (!done)
            return bundled;
        done->failed = bundled.failed;
        done->line += QStringLiteral("; ") + bundled.line;
        done->output = bundled.output;
        return done;
    }

private:
    ResourceTypeInfo m_info;
};

class LayerType : public ResourceType
{
public:
    explicit LayerType(bool sam)
        : m_sam(sam)
        , m_info {sam ? "AWS::Serverless::LayerVersion" : "AWS::Lambda::LayerVersion", E, "", {},
              "layer"}
    {
        m_info.properties = {
            {sam ? "ContentUri" : "Content", E, ""},
            {"LayerName", E, ""},
            {"Description", E, ""},
            {"CompatibleRuntimes", E, ""},
            {"CompatibleArchitectures", I, kNoArch},
            {"LicenseInfo", I, ""},
        };
        if (sam)
            m_info.properties.append(
                {"RetentionPolicy", I, "layers live as long as the template names them"});
    }
    const ResourceTypeInfo &info() const override { return m_info; }
    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString given = stringProperty(properties, "LayerName");
        const QString name
            = given.isEmpty() ? generatedPhysicalName(n, logicalId, 64, false) : given;
        id.physicalId = n.arn("lambda", QStringLiteral("layer:%1:1").arg(name));
        id.ref = Json(id.physicalId.toStdString());
        id.attributes.insert(QStringLiteral("LayerVersionArn"), id.ref);
        return id;
    }
    // {"dir": the layer's absolute folder} for the functions that list it.
    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        const char *key = m_sam ? "ContentUri" : "Content";
        const Json content = resource.properties.value(key, Json());
        if (!content.is_string()
            || qs(content.get<std::string>()).startsWith(QLatin1String("s3://"))) {
            check.unsupported(QLatin1String(key), {QLatin1String(key)},
                QStringLiteral("layers are read from local folders only"), true);
            return Json();
        }
        const QString uri = qs(content.get<std::string>());
        const QString dir = check.localPath(uri);
        const QFileInfo info(dir);
        if (!info.exists())
            return check.error({QLatin1String(key)},
                QStringLiteral("%1 %2 does not exist (looked in %3)")
                    .arg(QLatin1String(key), uri, dir));
        if (!info.isDir()) {
            check.unsupported(QStringLiteral("%1: %2").arg(QLatin1String(key), uri),
                {QLatin1String(key)},
                QStringLiteral("archives are not unpacked: point it at the folder"), true);
            return Json();
        }
        return Json {{"dir", dir.toStdString()}};
    }

private:
    bool m_sam;
    ResourceTypeInfo m_info;
};

class PermissionType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {
            "AWS::Lambda::Permission", I, "invoke permissions are not checked", {}};
        return info;
    }
};

// AWS::Lambda::EventSourceMapping (what SAM's SQS event makes): its properties are
// CreateEventSourceMapping's fields; LambdaModule creates it in the engine's registry once
// the function and the queue exist.
class EventSourceMappingType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::Lambda::EventSourceMapping", E, "",
            {{"FunctionName", E, ""}, {"EventSourceArn", E, ""}, {"BatchSize", E, ""},
                {"Enabled", E, ""}, {"MaximumBatchingWindowInSeconds", E, ""},
                {"FunctionResponseTypes", E, ""}, {"ScalingConfig", E, ""},
                {"FilterCriteria", E, ""}, {"StartingPosition", E, ""},
                {"StartingPositionTimestamp", E, ""}, {"MaximumRetryAttempts", E, ""},
                {"MaximumRecordAgeInSeconds", E, ""}, {"BisectBatchOnFunctionError", E, ""},
                {"ParallelizationFactor", E, ""}, {"TumblingWindowInSeconds", E, ""},
                {"DestinationConfig", E, ""},
                {"Tags", I, "tags of mappings from a template are not kept"}},
            "event source mapping"};
        return info;
    }
    ResourceIdentity identity(
        const QString &logicalId, const Json &, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QByteArray h = QCryptographicHash::hash(
            (n.stackName + u'/' + logicalId).toUtf8(), QCryptographicHash::Sha1)
                                 .toHex();
        id.physicalId = QStringLiteral("%1-%2-%3-%4-%5")
                            .arg(QLatin1String(h.mid(0, 8)), QLatin1String(h.mid(8, 4)),
                                QLatin1String(h.mid(12, 4)), QLatin1String(h.mid(16, 4)),
                                QLatin1String(h.mid(20, 12)));
        id.ref = Json(id.physicalId.toStdString());
        id.attributes.insert(QStringLiteral("Id"), id.ref);
        id.attributes.insert(QStringLiteral("EventSourceMappingArn"),
            Json(n.arn("lambda", QStringLiteral("event-source-mapping:") + id.physicalId)
                     .toStdString()));
        return id;
    }
    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        Json body = resource.properties;
        if (body.is_object())
            body.erase("Tags"); // a list in templates, a map in the API
        auto read = lambdarequests::eventSourceMapping(body, true);
        if (!read)
            return check.error({}, read.error().message);
        // A source no service offers (Kinesis, Kafka; an event SAM expands into a mapping
        // is reported as its event type already): not created, said once.
        const QString arn = read->settings.eventSourceArn.value_or(QString());
        if (!check.offersEventSource(arn)) {
            if (!resource.implicit)
                check.unsupported(QStringLiteral("EventSourceArn"),
                    {QStringLiteral("EventSourceArn")},
                    QStringLiteral("no service Tarmac runs offers this kind of event source; "
                                   "the mapping is not created"),
                    true);
            return Json {{"skip", true}};
        }
        return Json();
    }
};

const FunctionType g_samFunction(true);
const FunctionType g_lambdaFunction(false);
const LayerType g_samLayer(true);
const LayerType g_lambdaLayer(false);
const PermissionType g_permission;
const EventSourceMappingType g_mapping;

Json stringMapJson(const QMap<QString, QString> &map)
{
    Json out = Json::object();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        out[it.key().toStdString()] = it.value().toStdString();
    return out;
}

QMap<QString, QString> stringMapOf(const Json &json)
{
    QMap<QString, QString> out;
    if (json.is_object()) {
        for (auto it = json.begin(); it != json.end(); ++it)
            out.insert(qs(it.key()),
                it.value().is_string() ? qs(it.value().get<std::string>()) : QString());
    }
    return out;
}

std::optional<int> optionalInt(const Json &json, const char *key)
{
    if (json.contains(key) && json[key].is_number_integer())
        return int(json[key].get<qint64>());
    return std::nullopt;
}

QString stringOf(const Json &json, const char *key)
{
    return json.contains(key) && json[key].is_string() ? qs(json[key].get<std::string>())
                                                       : QString();
}

} // namespace

QList<const ResourceType *> types()
{
    return {
        &g_samFunction, &g_lambdaFunction, &g_samLayer, &g_lambdaLayer, &g_permission, &g_mapping};
}

bool isFunctionType(const QString &type)
{
    return type == kSamFunction || type == kLambdaFunction;
}

Json FunctionSpec::toJson() const
{
    Json j = {{"runnable", runnable}, {"runtime", runtime.toStdString()},
        {"handler", handler.toStdString()}, {"codeDir", codeDir.toStdString()},
        {"inlineCode", inlineCode.toStdString()}, {"description", description.toStdString()},
        {"role", role.toStdString()}, {"timeoutSeconds", timeoutSeconds}, {"memoryMb", memoryMb},
        {"ephemeralStorageMb", ephemeralStorageMb}, {"environment", stringMapJson(environment)},
        {"tags", stringMapJson(tags)}, {"sourceDir", sourceDir.toStdString()},
        {"buildMethod", buildMethod.toStdString()}, {"buildProperties", buildProperties},
        {"autoPublishAlias", autoPublishAlias.toStdString()}};
    Json layers = Json::array();
    for (const QString &d : layerDirs)
        layers.push_back(d.toStdString());
    j["layerDirs"] = layers;
    if (reservedConcurrency)
        j["reservedConcurrency"] = *reservedConcurrency;
    if (!deadLetterTarget.isEmpty())
        j["deadLetterTarget"] = deadLetterTarget.toStdString();
    if (eventInvokeConfig) {
        Json c = {{"onSuccessType", eventInvokeConfig->onSuccessType.toStdString()},
            {"onSuccess", eventInvokeConfig->onSuccess.toStdString()},
            {"onFailureType", eventInvokeConfig->onFailureType.toStdString()},
            {"onFailure", eventInvokeConfig->onFailure.toStdString()}};
        if (eventInvokeConfig->maximumRetryAttempts)
            c["maximumRetryAttempts"] = *eventInvokeConfig->maximumRetryAttempts;
        if (eventInvokeConfig->maximumEventAgeSeconds)
            c["maximumEventAgeSeconds"] = *eventInvokeConfig->maximumEventAgeSeconds;
        j["eventInvokeConfig"] = c;
    }
    return j;
}

FunctionSpec FunctionSpec::fromJson(const Json &j)
{
    FunctionSpec f;
    if (!j.is_object())
        return f;
    f.runnable = j.value("runnable", true);
    f.runtime = stringOf(j, "runtime");
    f.handler = stringOf(j, "handler");
    f.codeDir = stringOf(j, "codeDir");
    f.sourceDir = stringOf(j, "sourceDir");
    f.buildMethod = stringOf(j, "buildMethod");
    f.buildProperties = j.value("buildProperties", Json());
    f.autoPublishAlias = stringOf(j, "autoPublishAlias");
    f.inlineCode = QByteArray::fromStdString(j.value("inlineCode", std::string()));
    f.description = stringOf(j, "description");
    f.role = stringOf(j, "role");
    f.timeoutSeconds = optionalInt(j, "timeoutSeconds").value_or(3);
    f.memoryMb = optionalInt(j, "memoryMb").value_or(128);
    f.ephemeralStorageMb = optionalInt(j, "ephemeralStorageMb").value_or(512);
    f.environment = stringMapOf(j.value("environment", Json()));
    f.tags = stringMapOf(j.value("tags", Json()));
    for (const Json &d : j.value("layerDirs", Json::array()))
        f.layerDirs.append(d.is_string() ? qs(d.get<std::string>()) : QString());
    f.reservedConcurrency = optionalInt(j, "reservedConcurrency");
    f.deadLetterTarget = stringOf(j, "deadLetterTarget");
    if (j.contains("eventInvokeConfig") && j["eventInvokeConfig"].is_object()) {
        const Json &c = j["eventInvokeConfig"];
        InvokeConfig config;
        config.maximumRetryAttempts = optionalInt(c, "maximumRetryAttempts");
        config.maximumEventAgeSeconds = optionalInt(c, "maximumEventAgeSeconds");
        config.onSuccessType = stringOf(c, "onSuccessType");
        config.onSuccess = stringOf(c, "onSuccess");
        config.onFailureType = stringOf(c, "onFailureType");
        config.onFailure = stringOf(c, "onFailure");
        f.eventInvokeConfig = config;
    }
    return f;
}

std::optional<FunctionSpec> functionSpec(const StackResource &resource)
{
    if (!isFunctionType(resource.type))
        return std::nullopt;
    return FunctionSpec::fromJson(resource.details);
}

} // namespace tarmac::lambdaresources
