#include "engine/resourcetypes.h"

#include <QCryptographicHash>

namespace tarmac {

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

// Function properties both function types share.
QList<PropertySupport> functionCommon()
{
    return {
        { "Handler", E, "" },
        { "Runtime", E, "" },
        { "Timeout", E, "" },
        { "MemorySize", E, "" },
        { "Environment", E, "" },
        { "Layers", E, "" },
        { "ReservedConcurrentExecutions", E, "" },
        { "FunctionName", E, "" },
        { "Description", E, "" },
        { "Tags", E, "" },
        { "EphemeralStorage", E, "" },
        { "PackageType", E, "" },
        { "Role", I, kNoIam },
        { "Architectures", I, kNoArch },
        { "KmsKeyArn", I, kNoKms },
        { "CodeSigningConfigArn", I, kNoSigning },
        { "RuntimeManagementConfig", I, kNoRuntimeMgmt },
        { "LoggingConfig", I, kLogs },
        { "RecursiveLoop", I, "recursive loops are not detected" },
    };
}

const QList<ResourceTypeInfo> &types()
{
    static const QList<ResourceTypeInfo> all = [] {
        QList<ResourceTypeInfo> t;
        ResourceTypeInfo samFunction { "AWS::Serverless::Function", E, "", functionCommon() };
        samFunction.properties += {
            { "CodeUri", E, "" },
            { "InlineCode", E, "" },
            { "Events", E, "" },
            { "EventInvokeConfig", E, "" },
            { "Policies", I, kNoIam },
            { "PermissionsBoundary", I, kNoIam },
            { "RolePath", I, kNoIam },
            { "AssumeRolePolicyDocument", I, kNoIam },
            { "PropagateTags", I, "tags are not propagated to generated resources" },
            { "Tracing", I, kNoXRay },
        };
        t.append(samFunction);
        ResourceTypeInfo lambdaFunction { "AWS::Lambda::Function", E, "", functionCommon() };
        lambdaFunction.properties += {
            { "Code", E, "" },
            { "TracingConfig", I, kNoXRay },
        };
        t.append(lambdaFunction);
        t.append({ "AWS::S3::Bucket", E, "", {
            { "BucketName", E, "" },
            { "CorsConfiguration", E, "" },
            { "Tags", E, "" },
            { "NotificationConfiguration", E, "" },
            { "VersioningConfiguration", U, "S3 versioning is not emulated" },
            { "BucketEncryption", I, "objects are stored unencrypted" },
            { "PublicAccessBlockConfiguration", I, "access control is not enforced" },
            { "OwnershipControls", I, "access control is not enforced" },
            { "AccessControl", I, "access control is not enforced" },
            { "AccelerateConfiguration", I, "there is nothing to accelerate locally" },
            { "MetricsConfigurations", I, "no CloudWatch metrics" },
        } });
        t.append({ "AWS::Serverless::LayerVersion", E, "", {
            { "ContentUri", E, "" },
            { "LayerName", E, "" },
            { "Description", E, "" },
            { "CompatibleRuntimes", E, "" },
            { "CompatibleArchitectures", I, kNoArch },
            { "LicenseInfo", I, "" },
            { "RetentionPolicy", I, "layers live as long as the template names them" },
        } });
        t.append({ "AWS::Lambda::LayerVersion", E, "", {
            { "Content", E, "" },
            { "LayerName", E, "" },
            { "Description", E, "" },
            { "CompatibleRuntimes", E, "" },
            { "CompatibleArchitectures", I, kNoArch },
            { "LicenseInfo", I, "" },
        } });
        t.append({ "AWS::Lambda::Permission", I, "invoke permissions are not checked", {} });
        t.append({ "AWS::S3::BucketPolicy", I, "bucket policies are not enforced", {} });
        for (const char *iam : { "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
                                 "AWS::IAM::InstanceProfile", "AWS::IAM::User", "AWS::IAM::Group",
                                 "AWS::IAM::AccessKey" })
            t.append({ iam, I, kNoIam, {} });
        t.append({ "AWS::Logs::LogGroup", I, kLogs, {} });
        // Known to the loader (their Ref and attributes are right), not run yet.
        for (const char *known : { "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::SNS::Topic",
                                   "AWS::SNS::Subscription", "AWS::DynamoDB::Table",
                                   "AWS::Serverless::SimpleTable", "AWS::Serverless::Api",
                                   "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi",
                                   "AWS::ApiGatewayV2::Api", "AWS::Events::Rule",
                                   "AWS::Scheduler::Schedule", "AWS::Serverless::StateMachine",
                                   "AWS::StepFunctions::StateMachine", "AWS::Lambda::EventSourceMapping",
                                   "AWS::Lambda::Url", "AWS::Lambda::Alias", "AWS::Lambda::Version",
                                   "AWS::Lambda::EventInvokeConfig", "AWS::Serverless::Application" })
            t.append({ known, U, "", {} });
        return t;
    }();
    return all;
}

QString hashSuffix(const QString &seed, int length, bool lowerCase)
{
    // Base 36 of a SHA-256: the same seed gives the same name on every start.
    const QByteArray digest = QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256);
    const char *alphabet = lowerCase ? "abcdefghijklmnopqrstuvwxyz0123456789" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const auto *bytes = reinterpret_cast<const quint8 *>(digest.constData());
    QString out;
    for (int i = 0; i < length; ++i)
        out += QLatin1Char(alphabet[bytes[i % digest.size()] % 36]);
    return out;
}

QString stringProperty(const Json &properties, const char *name)
{
    if (properties.is_object() && properties.contains(name) && properties[name].is_string())
        return QString::fromStdString(properties[name].get<std::string>());
    return {};
}

QString arn(const StackNaming &n, const char *service, const QString &resource)
{
    return QStringLiteral("arn:aws:%1:%2:%3:%4").arg(QLatin1String(service), n.region, n.accountId, resource);
}

} // namespace

const PropertySupport *ResourceTypeInfo::property(const QString &name) const
{
    for (const PropertySupport &p : properties) {
        if (name == QLatin1String(p.name))
            return &p;
    }
    return nullptr;
}

const ResourceTypeInfo *resourceTypeInfo(const QString &type)
{
    for (const ResourceTypeInfo &t : types()) {
        if (type == QLatin1String(t.type))
            return &t;
    }
    return nullptr;
}

QString generatedPhysicalName(const StackNaming &naming, const QString &logicalId, int maxLength, bool lowerCase)
{
    const QString suffix = hashSuffix(naming.stackName + u'/' + logicalId, 13, lowerCase);
    // Like CloudFormation: stack name and logical id give way so that the suffix fits.
    const int room = std::max(2, maxLength - int(suffix.size()) - 2);
    QString stack = naming.stackName;
    QString logical = logicalId;
    while (stack.size() + logical.size() > room) {
        if (stack.size() >= logical.size())
            stack.chop(1);
        else
            logical.chop(1);
    }
    QString name = stack + u'-' + logical + u'-' + suffix;
    return lowerCase ? name.toLower() : name;
}

ResourceIdentity resourceIdentity(const QString &type, const QString &logicalId, const Json &properties,
                                  const StackNaming &n)
{
    ResourceIdentity id;
    const auto named = [&](const char *property, int maxLength, bool lowerCase) {
        const QString given = stringProperty(properties, property);
        return given.isEmpty() ? generatedPhysicalName(n, logicalId, maxLength, lowerCase) : given;
    };
    const auto str = [](const QString &s) { return Json(s.toStdString()); };

    if (type == QLatin1String("AWS::Serverless::Function") || type == QLatin1String("AWS::Lambda::Function")) {
        id.physicalId = named("FunctionName", 64, false);
        id.attributes.insert(QStringLiteral("Arn"), str(arn(n, "lambda", QStringLiteral("function:") + id.physicalId)));
    } else if (type == QLatin1String("AWS::S3::Bucket")) {
        id.physicalId = named("BucketName", 63, true);
        const QString b = id.physicalId;
        id.attributes.insert(QStringLiteral("Arn"), str(QStringLiteral("arn:aws:s3:::") + b));
        id.attributes.insert(QStringLiteral("DomainName"), str(b + QStringLiteral(".s3.amazonaws.com")));
        id.attributes.insert(QStringLiteral("RegionalDomainName"),
                             str(QStringLiteral("%1.s3.%2.amazonaws.com").arg(b, n.region)));
        id.attributes.insert(QStringLiteral("DualStackDomainName"),
                             str(QStringLiteral("%1.s3.dualstack.%2.amazonaws.com").arg(b, n.region)));
        id.attributes.insert(QStringLiteral("WebsiteURL"),
                             str(QStringLiteral("http://%1.s3-website-%2.amazonaws.com").arg(b, n.region)));
    } else if (type == QLatin1String("AWS::Serverless::LayerVersion")
               || type == QLatin1String("AWS::Lambda::LayerVersion")) {
        const QString name = named("LayerName", 64, false);
        id.physicalId = arn(n, "lambda", QStringLiteral("layer:%1:1").arg(name));
        id.attributes.insert(QStringLiteral("LayerVersionArn"), str(id.physicalId));
    } else if (type == QLatin1String("AWS::IAM::Role")) {
        id.physicalId = named("RoleName", 64, false);
        id.attributes.insert(QStringLiteral("Arn"),
                             str(QStringLiteral("arn:aws:iam::%1:role/%2").arg(n.accountId, id.physicalId)));
        id.attributes.insert(QStringLiteral("RoleId"), str(QStringLiteral("AROA") + hashSuffix(id.physicalId, 17, false)));
    } else if (type == QLatin1String("AWS::IAM::ManagedPolicy")) {
        const QString name = named("ManagedPolicyName", 128, false);
        id.physicalId = QStringLiteral("arn:aws:iam::%1:policy/%2").arg(n.accountId, name);
        id.attributes.insert(QStringLiteral("PolicyArn"), str(id.physicalId));
    } else if (type == QLatin1String("AWS::IAM::User") || type == QLatin1String("AWS::IAM::Group")) {
        const bool user = type == QLatin1String("AWS::IAM::User");
        id.physicalId = named(user ? "UserName" : "GroupName", 64, false);
        id.attributes.insert(QStringLiteral("Arn"), str(QStringLiteral("arn:aws:iam::%1:%2/%3")
                                                                .arg(n.accountId, user ? QStringLiteral("user")
                                                                                       : QStringLiteral("group"),
                                                                     id.physicalId)));
    } else if (type == QLatin1String("AWS::IAM::InstanceProfile")) {
        id.physicalId = named("InstanceProfileName", 128, false);
        id.attributes.insert(QStringLiteral("Arn"), str(QStringLiteral("arn:aws:iam::%1:instance-profile/%2")
                                                                .arg(n.accountId, id.physicalId)));
    } else if (type == QLatin1String("AWS::IAM::Policy") || type == QLatin1String("AWS::Lambda::Permission")
               || type == QLatin1String("AWS::S3::BucketPolicy") || type == QLatin1String("AWS::SQS::QueuePolicy")
               || type == QLatin1String("AWS::IAM::AccessKey")) {
        id.physicalId = generatedPhysicalName(n, logicalId, 128, false);
        if (type == QLatin1String("AWS::IAM::AccessKey"))
            id.attributes.insert(QStringLiteral("SecretAccessKey"), str(QStringLiteral("test")));
    } else if (type == QLatin1String("AWS::Logs::LogGroup")) {
        id.physicalId = named("LogGroupName", 512, false);
        id.attributes.insert(QStringLiteral("Arn"),
                             str(arn(n, "logs", QStringLiteral("log-group:%1:*").arg(id.physicalId))));
    } else if (type == QLatin1String("AWS::SQS::Queue")) {
        QString name = named("QueueName", 80, false);
        if (properties.is_object() && properties.value("FifoQueue", Json(false)) == Json(true)
            && !name.endsWith(QLatin1String(".fifo")))
            name = generatedPhysicalName(n, logicalId, 75, false) + QStringLiteral(".fifo");
        id.physicalId = QStringLiteral("https://sqs.%1.amazonaws.com/%2/%3").arg(n.region, n.accountId, name);
        id.attributes.insert(QStringLiteral("Arn"), str(arn(n, "sqs", name)));
        id.attributes.insert(QStringLiteral("QueueName"), str(name));
        id.attributes.insert(QStringLiteral("QueueUrl"), str(id.physicalId));
    } else if (type == QLatin1String("AWS::SNS::Topic")) {
        const QString name = named("TopicName", 256, false);
        id.physicalId = arn(n, "sns", name);
        id.attributes.insert(QStringLiteral("TopicArn"), str(id.physicalId));
        id.attributes.insert(QStringLiteral("TopicName"), str(name));
    } else if (type == QLatin1String("AWS::SNS::Subscription")) {
        id.physicalId = arn(n, "sns", generatedPhysicalName(n, logicalId, 256, false));
    } else if (type == QLatin1String("AWS::DynamoDB::Table") || type == QLatin1String("AWS::Serverless::SimpleTable")) {
        id.physicalId = named("TableName", 255, false);
        id.attributes.insert(QStringLiteral("Arn"), str(arn(n, "dynamodb", QStringLiteral("table/") + id.physicalId)));
        id.attributes.insert(QStringLiteral("StreamArn"),
                             str(arn(n, "dynamodb", QStringLiteral("table/%1/stream/1970-01-01T00:00:00.000")
                                                            .arg(id.physicalId))));
    } else if (type == QLatin1String("AWS::Events::Rule")) {
        id.physicalId = named("Name", 64, false);
        id.attributes.insert(QStringLiteral("Arn"), str(arn(n, "events", QStringLiteral("rule/") + id.physicalId)));
    } else if (type == QLatin1String("AWS::Scheduler::Schedule")) {
        id.physicalId = named("Name", 64, false);
        id.attributes.insert(QStringLiteral("Arn"),
                             str(arn(n, "scheduler", QStringLiteral("schedule/default/") + id.physicalId)));
    } else if (type == QLatin1String("AWS::Serverless::Api") || type == QLatin1String("AWS::ApiGateway::RestApi")) {
        id.physicalId = hashSuffix(n.stackName + u'/' + logicalId, 10, true);
        id.attributes.insert(QStringLiteral("RootResourceId"), str(hashSuffix(id.physicalId, 10, true)));
    } else if (type == QLatin1String("AWS::Serverless::HttpApi") || type == QLatin1String("AWS::ApiGatewayV2::Api")) {
        id.physicalId = hashSuffix(n.stackName + u'/' + logicalId, 10, true);
        id.attributes.insert(QStringLiteral("ApiEndpoint"),
                             str(QStringLiteral("https://%1.execute-api.%2.amazonaws.com").arg(id.physicalId, n.region)));
        id.attributes.insert(QStringLiteral("ApiId"), str(id.physicalId));
    } else if (type == QLatin1String("AWS::Serverless::StateMachine")
               || type == QLatin1String("AWS::StepFunctions::StateMachine")) {
        const QString name = named("Name", 80, false);
        id.physicalId = arn(n, "states", QStringLiteral("stateMachine:") + name);
        id.attributes.insert(QStringLiteral("Arn"), str(id.physicalId));
        id.attributes.insert(QStringLiteral("Name"), str(name));
    } else {
        id.physicalId = generatedPhysicalName(n, logicalId, 128, false);
        id.attributesKnown = false;
    }
    id.ref = str(id.physicalId);
    return id;
}

} // namespace tarmac
