#include "engine/resourcetypes.h"

#include <QCryptographicHash>

namespace tarmac {

namespace {

constexpr Support I = Support::Ignored;
constexpr Support U = Support::Unsupported;

const char kNoIam[] = "IAM is not enforced: every function may call every service";
const char kLogs[] = "function output goes to Tarmac's log store";

const QList<ResourceTypeInfo> &types()
{
    static const QList<ResourceTypeInfo> all = [] {
        QList<ResourceTypeInfo> t;
        for (const char *iam : {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
                 "AWS::IAM::InstanceProfile", "AWS::IAM::User", "AWS::IAM::Group",
                 "AWS::IAM::AccessKey"})
            t.append({iam, I, kNoIam, {}});
        t.append({"AWS::Logs::LogGroup", I, kLogs, {}});
        // Known to the loader (their Ref and attributes are right), not run yet.
        for (const char *known : {"AWS::SNS::Topic", "AWS::SNS::Subscription",
                 "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine",
                 "AWS::Lambda::Url", "AWS::Lambda::Alias", "AWS::Lambda::Version",
                 "AWS::Lambda::EventInvokeConfig", "AWS::Serverless::Application"})
            t.append({known, U, "", {}});
        return t;
    }();
    return all;
}

} // namespace

const ResourceTypeInfo *resourceTypeInfo(const QString &type)
{
    for (const ResourceTypeInfo &t : types()) {
        if (type == QLatin1String(t.type))
            return &t;
    }
    return nullptr;
}

ResourceIdentity resourceIdentity(
    const QString &type, const QString &logicalId, const Json &properties, const StackNaming &n)
{
    ResourceIdentity id;
    const auto named = [&](const char *property, int maxLength, bool lowerCase) {
        const QString given = stringProperty(properties, property);
        return given.isEmpty() ? generatedPhysicalName(n, logicalId, maxLength, lowerCase) : given;
    };
    const auto str = [](const QString &s) { return Json(s.toStdString()); };

    if (type == QLatin1String("AWS::IAM::Role")) {
        id.physicalId = named("RoleName", 64, false);
        id.attributes.insert(QStringLiteral("Arn"),
            str(QStringLiteral("arn:aws:iam::%1:role/%2").arg(n.accountId, id.physicalId)));
        id.attributes.insert(QStringLiteral("RoleId"),
            str(QStringLiteral("AROA") + stableSuffix(id.physicalId, 17, false)));
    } else if (type == QLatin1String("AWS::IAM::ManagedPolicy")) {
        const QString name = named("ManagedPolicyName", 128, false);
        id.physicalId = QStringLiteral("arn:aws:iam::%1:policy/%2").arg(n.accountId, name);
        id.attributes.insert(QStringLiteral("PolicyArn"), str(id.physicalId));
    } else if (type == QLatin1String("AWS::IAM::User")
        || type == QLatin1String("AWS::IAM::Group")) {
        const bool user = type == QLatin1String("AWS::IAM::User");
        id.physicalId = named(user ? "UserName" : "GroupName", 64, false);
        id.attributes.insert(QStringLiteral("Arn"),
            str(QStringLiteral("arn:aws:iam::%1:%2/%3")
                    .arg(n.accountId, user ? QStringLiteral("user") : QStringLiteral("group"),
                        id.physicalId)));
    } else if (type == QLatin1String("AWS::IAM::InstanceProfile")) {
        id.physicalId = named("InstanceProfileName", 128, false);
        id.attributes.insert(QStringLiteral("Arn"),
            str(QStringLiteral("arn:aws:iam::%1:instance-profile/%2")
                    .arg(n.accountId, id.physicalId)));
    } else if (type == QLatin1String("AWS::IAM::Policy")
        || type == QLatin1String("AWS::IAM::AccessKey")) {
        id.physicalId = generatedPhysicalName(n, logicalId, 128, false);
        if (type == QLatin1String("AWS::IAM::AccessKey"))
            id.attributes.insert(QStringLiteral("SecretAccessKey"), str(QStringLiteral("test")));
    } else if (type == QLatin1String("AWS::Logs::LogGroup")) {
        id.physicalId = named("LogGroupName", 512, false);
        id.attributes.insert(QStringLiteral("Arn"),
            str(n.arn("logs", QStringLiteral("log-group:%1:*").arg(id.physicalId))));
    } else if (type == QLatin1String("AWS::SNS::Topic")) {
        const QString name = named("TopicName", 256, false);
        id.physicalId = n.arn("sns", name);
        id.attributes.insert(QStringLiteral("TopicArn"), str(id.physicalId));
        id.attributes.insert(QStringLiteral("TopicName"), str(name));
    } else if (type == QLatin1String("AWS::SNS::Subscription")) {
        id.physicalId = n.arn("sns", generatedPhysicalName(n, logicalId, 256, false));
    } else if (type == QLatin1String("AWS::Serverless::StateMachine")
        || type == QLatin1String("AWS::StepFunctions::StateMachine")) {
        const QString name = named("Name", 80, false);
        id.physicalId = n.arn("states", QStringLiteral("stateMachine:") + name);
        id.attributes.insert(QStringLiteral("Arn"), str(id.physicalId));
        id.attributes.insert(QStringLiteral("Name"), str(name));
    } else if (type == QLatin1String("AWS::Lambda::Url")) {
        const QString function = stringProperty(properties, "TargetFunctionArn");
        id.physicalId = function;
        id.attributes.insert(QStringLiteral("FunctionArn"), str(function));
        id.attributes.insert(QStringLiteral("FunctionUrl"),
            str(QStringLiteral("https://%1.lambda-url.%2.on.aws/")
                    .arg(stableSuffix(n.stackName + u'/' + logicalId, 32, true), n.region)));
    } else if (type == QLatin1String("AWS::Lambda::Version")
        || type == QLatin1String("AWS::Lambda::Alias")) {
        const QString function = stringProperty(properties, "FunctionName");
        const QString arn = function.startsWith(QLatin1String("arn:"))
            ? function
            : n.arn("lambda", QStringLiteral("function:") + function);
        const bool alias = type == QLatin1String("AWS::Lambda::Alias");
        id.physicalId
            = arn + u':' + (alias ? stringProperty(properties, "Name") : QStringLiteral("1"));
        if (alias) {
            id.attributes.insert(QStringLiteral("AliasArn"), str(id.physicalId));
        } else {
            id.attributes.insert(QStringLiteral("Version"), str(QStringLiteral("1")));
            id.attributes.insert(QStringLiteral("FunctionArn"), str(arn));
        }
    } else {
        id.physicalId = generatedPhysicalName(n, logicalId, 128, false);
        id.attributesKnown = false;
    }
    id.ref = str(id.physicalId);
    return id;
}

} // namespace tarmac
