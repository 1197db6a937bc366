#include "services/s3/s3resources.h"

#include "services/s3/s3configs.h"

#include "services/s3/s3access.h"
#include "services/s3/s3lifecycle.h"
#include "services/s3/s3objectlock.h"
#include "services/s3/s3sse.h"
#include "template/intrinsics.h"
#include "template/stack.h"

namespace tarmac::s3resources {

namespace {

constexpr Support E = Support::Emulated;
constexpr Support I = Support::Ignored;

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

QStringList stringList(const Json &value)
{
    QStringList out;
    QString s;
    if (value.is_array()) {
        for (const Json &v : value) {
            if (IntrinsicResolver::scalarToString(v, &s))
                out.append(s);
        }
    } else if (IntrinsicResolver::scalarToString(value, &s)) {
        out.append(s);
    }
    return out;
}

class BucketType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {"AWS::S3::Bucket", E, "",
            {
                {"BucketName", E, ""},
                {"CorsConfiguration", E, ""},
                {"Tags", E, ""},
                {"NotificationConfiguration", E, ""},
                {"VersioningConfiguration", E, ""},
                {"BucketEncryption", E, ""},
                {"LifecycleConfiguration", E, ""},
                {"ObjectLockEnabled", E, ""},
                {"ObjectLockConfiguration", E, ""},
                {"PublicAccessBlockConfiguration", E,
                    "kept; access control is enforced under --verify-signatures"},
                {"OwnershipControls", E,
                    "kept; access control is enforced under --verify-signatures"},
                {"AccessControl", E, "kept; access control is enforced under --verify-signatures"},
                // Kept for the API's Get… calls, but what they configure does not happen here.
                {"AccelerateConfiguration", I,
                    "kept (GetBucketAccelerateConfiguration); there is nothing to accelerate "
                    "locally"},
                {"WebsiteConfiguration", I,
                    "kept (GetBucketWebsite); no website endpoint serves the bucket"},
                {"LoggingConfiguration", I, "kept (GetBucketLogging); no access logs are written"},
                {"MetricsConfigurations", I, "no CloudWatch metrics"},
            },
            "bucket"};
        return info;
    }

    ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &n) const override
    {
        ResourceIdentity id;
        const QString given = stringProperty(properties, "BucketName");
        id.physicalId = given.isEmpty() ? generatedPhysicalName(n, logicalId, 63, true) : given;
        const QString b = id.physicalId;
        const auto str = [](const QString &s) { return Json(s.toStdString()); };
        id.ref = str(b);
        id.attributes.insert(QStringLiteral("Arn"), str(QStringLiteral("arn:aws:s3:::") + b));
        id.attributes.insert(
            QStringLiteral("DomainName"), str(b + QStringLiteral(".s3.amazonaws.com")));
        id.attributes.insert(QStringLiteral("RegionalDomainName"),
            str(QStringLiteral("%1.s3.%2.amazonaws.com").arg(b, n.region)));
        id.attributes.insert(QStringLiteral("DualStackDomainName"),
            str(QStringLiteral("%1.s3.dualstack.%2.amazonaws.com").arg(b, n.region)));
        id.attributes.insert(QStringLiteral("WebsiteURL"),
            str(QStringLiteral("http://%1.s3-website-%2.amazonaws.com").arg(b, n.region)));
        return id;
    }

    Result<Json> check(const StackResource &resource, ResourceCheck &check) const override
    {
        auto settings = readBucket(resource.logicalId, resource.properties, &check);
        if (!settings)
            return settings.error();
        return Json();
    }
};

class BucketPolicyType : public ResourceType
{
public:
    const ResourceTypeInfo &info() const override
    {
        static const ResourceTypeInfo info {
            "AWS::S3::BucketPolicy", I, "bucket policies are not enforced", {}};
        return info;
    }
};

// `Events: {Upload: {Type: S3, Properties: {Bucket: !Ref B, Events: …, Filter: …}}}`
class S3EventType : public FunctionEventType
{
public:
    QString type() const override { return QStringLiteral("S3"); }

    Result<EventExpansion> expand(const FunctionEvent &e) const override
    {
        const Json &p = e.properties;
        const Json bucket = p.value("Bucket", Json());
        const QString target = bucket.is_object() && bucket.size() == 1 && bucket.contains("Ref")
                && bucket["Ref"].is_string()
            ? qs(bucket["Ref"].get<std::string>())
            : QString();
        if (target.isEmpty() || e.typeOf(target) != QLatin1String("AWS::S3::Bucket"))
            return makeError(QStringLiteral("InvalidEvent"),
                QStringLiteral("S3 events must reference an S3 bucket in the same template."));
        if (!p.contains("Events"))
            return makeError(
                QStringLiteral("InvalidEvent"), QStringLiteral("The S3 event needs Events."));
        EventExpansion out;
        for (auto it = p.begin(); it != p.end(); ++it) {
            if (it.key() != "Bucket" && it.key() != "Events" && it.key() != "Filter")
                out.unsupported.append(
                    {qs(it.key()), QStringLiteral("not a property Tarmac knows for S3 events")});
        }
        const std::string fn = e.functionLogicalId.toStdString();
        const QString permission = e.functionLogicalId + e.name + QStringLiteral("Permission");
        out.resources.append(
            ExpandedResource {permission, QStringLiteral("AWS::Lambda::Permission"),
                Json {{"Action", "lambda:InvokeFunction"}, {"FunctionName", {{"Ref", fn}}},
                    {"Principal", "s3.amazonaws.com"},
                    {"SourceAccount", {{"Ref", "AWS::AccountId"}}}}});
        Json configuration = {{"Id", QString(e.functionLogicalId + e.name).toStdString()},
            {"Event", p["Events"]}, {"Function", {{"Fn::GetAtt", Json::array({fn, "Arn"})}}}};
        if (p.contains("Filter"))
            configuration["Filter"] = p["Filter"];
        out.additions.append({target,
            {QStringLiteral("NotificationConfiguration"), QStringLiteral("LambdaConfigurations")},
            configuration});
        out.cycleHint = QStringLiteral(
            "a function that refers to the bucket whose events trigger it: give the bucket a "
            "fixed BucketName and build the name with !Sub in the function");
        return out;
    }
};

const BucketType g_bucket;
const BucketPolicyType g_policy;
const S3EventType g_event;

} // namespace

const ResourceType &bucketType()
{
    return g_bucket;
}

const ResourceType &bucketPolicyType()
{
    return g_policy;
}

const FunctionEventType &s3EventType()
{
    return g_event;
}

// --- CloudFormation's bucket settings as the S3 documents the API keeps ------------------
// Each property is written as the XML body its Put… call takes and read back by that call's
// own parser, so a template is checked exactly as the API checks a request.

namespace {

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString scalar(const Json &value)
{
    QString s;
    IntrinsicResolver::scalarToString(value, &s);
    return s;
}

// `<Name>value</Name>` for a scalar property that is there; empty otherwise.
QString element(const char *name, const Json &object, const char *property)
{
    if (!object.is_object() || !object.contains(property))
        return {};
    const QString n = QLatin1String(name);
    return u'<' + n + u'>' + escaped(scalar(object[property])) + QStringLiteral("</") + n + u'>';
}

QString wrap(const char *name, const QString &inner)
{
    const QString n = QLatin1String(name);
    return u'<' + n + u'>' + inner + QStringLiteral("</") + n + u'>';
}

QString encryptionXml(const Json &p)
{
    QString rules;
    const Json &list = memberOrNull(p, "ServerSideEncryptionConfiguration");
    if (list.is_array()) {
        for (const Json &r : list) {
            const Json &byDefault = memberOrNull(r, "ServerSideEncryptionByDefault");
            rules += wrap("Rule",
                (byDefault.is_object() ? wrap("ApplyServerSideEncryptionByDefault",
                     element("SSEAlgorithm", byDefault, "SSEAlgorithm")
                         + element("KMSMasterKeyID", byDefault, "KMSMasterKeyID"))
                                       : QString())
                    + element("BucketKeyEnabled", r, "BucketKeyEnabled"));
        }
    }
    return wrap("ServerSideEncryptionConfiguration", rules);
}

QString websiteXml(const Json &p)
{
    QString inner;
    const Json &redirectAll = memberOrNull(p, "RedirectAllRequestsTo");
    if (redirectAll.is_object())
        inner += wrap("RedirectAllRequestsTo",
            element("HostName", redirectAll, "HostName")
                + element("Protocol", redirectAll, "Protocol"));
    if (p.is_object() && p.contains("IndexDocument"))
        inner += wrap("IndexDocument", element("Suffix", p, "IndexDocument"));
    if (p.is_object() && p.contains("ErrorDocument"))
        inner += wrap("ErrorDocument", element("Key", p, "ErrorDocument"));
    const Json &rules = memberOrNull(p, "RoutingRules");
    if (rules.is_array()) {
        QString list;
        for (const Json &r : rules) {
            const Json &condition = memberOrNull(r, "RoutingRuleCondition");
            const Json &redirect = memberOrNull(r, "RedirectRule");
            list += wrap("RoutingRule",
                (condition.is_object() ? wrap("Condition",
                     element(
                         "HttpErrorCodeReturnedEquals", condition, "HttpErrorCodeReturnedEquals")
                         + element("KeyPrefixEquals", condition, "KeyPrefixEquals"))
                                       : QString())
                    + wrap("Redirect",
                        element("HostName", redirect, "HostName")
                            + element("HttpRedirectCode", redirect, "HttpRedirectCode")
                            + element("Protocol", redirect, "Protocol")
                            + element("ReplaceKeyPrefixWith", redirect, "ReplaceKeyPrefixWith")
                            + element("ReplaceKeyWith", redirect, "ReplaceKeyWith")));
        }
        inner += wrap("RoutingRules", list);
    }
    return wrap("WebsiteConfiguration", inner);
}

// TargetBucket is left empty when the template names none: the bucket logs to itself, and its
// name is known only once it is made.
QString loggingXml(const Json &p)
{
    return wrap("BucketLoggingStatus",
        wrap("LoggingEnabled",
            (p.is_object() && p.contains("DestinationBucketName")
                    ? element("TargetBucket", p, "DestinationBucketName")
                    : QStringLiteral("<TargetBucket></TargetBucket>"))
                + wrap("TargetPrefix", escaped(scalar(memberOrNull(p, "LogFilePrefix"))))));
}

QString accelerateXml(const Json &p)
{
    return wrap("AccelerateConfiguration", element("Status", p, "AccelerationStatus"));
}

QString publicAccessBlockXml(const Json &p)
{
    return wrap("PublicAccessBlockConfiguration",
        element("BlockPublicAcls", p, "BlockPublicAcls")
            + element("IgnorePublicAcls", p, "IgnorePublicAcls")
            + element("BlockPublicPolicy", p, "BlockPublicPolicy")
            + element("RestrictPublicBuckets", p, "RestrictPublicBuckets"));
}

QString ownershipXml(const Json &p)
{
    QString rules;
    const Json &list = memberOrNull(p, "Rules");
    if (list.is_array()) {
        for (const Json &r : list)
            rules += wrap("Rule", element("ObjectOwnership", r, "ObjectOwnership"));
    }
    return wrap("OwnershipControls", rules);
}

// CloudFormation's rule properties, as PutBucketLifecycleConfiguration's elements.
QString lifecycleRuleXml(const Json &r)
{
    // The filter: a prefix, tags and sizes; more than one of them go in an And.
    QStringList conditions;
    if (r.contains("Prefix"))
        conditions.append(element("Prefix", r, "Prefix"));
    for (const Json &t : memberOrNull(r, "TagFilters"))
        conditions.append(wrap("Tag", element("Key", t, "Key") + element("Value", t, "Value")));
    if (r.contains("ObjectSizeGreaterThan"))
        conditions.append(element("ObjectSizeGreaterThan", r, "ObjectSizeGreaterThan"));
    if (r.contains("ObjectSizeLessThan"))
        conditions.append(element("ObjectSizeLessThan", r, "ObjectSizeLessThan"));
    QString out = element("ID", r, "Id");
    out += wrap("Filter",
        conditions.size() > 1 ? wrap("And", conditions.join(QString()))
                              : conditions.join(QString()));
    out += element("Status", r, "Status");
    const auto transition = [](const Json &t, bool noncurrent) {
        return wrap(noncurrent ? "NoncurrentVersionTransition" : "Transition",
            (noncurrent
                    ? element("NoncurrentDays", t, "TransitionInDays")
                        + element("NewerNoncurrentVersions", t, "NewerNoncurrentVersions")
                    : element("Days", t, "TransitionInDays") + element("Date", t, "TransitionDate"))
                + element("StorageClass", t, "StorageClass"));
    };
    for (const Json &t : memberOrNull(r, "Transitions"))
        out += transition(t, false);
    if (r.contains("Transition"))
        out += transition(r["Transition"], false);
    if (r.contains("ExpirationInDays") || r.contains("ExpirationDate")
        || r.contains("ExpiredObjectDeleteMarker"))
        out += wrap("Expiration",
            element("Days", r, "ExpirationInDays") + element("Date", r, "ExpirationDate")
                + element("ExpiredObjectDeleteMarker", r, "ExpiredObjectDeleteMarker"));
    for (const Json &t : memberOrNull(r, "NoncurrentVersionTransitions"))
        out += transition(t, true);
    if (r.contains("NoncurrentVersionTransition"))
        out += transition(r["NoncurrentVersionTransition"], true);
    const Json &noncurrent = memberOrNull(r, "NoncurrentVersionExpiration");
    if (noncurrent.is_object())
        out += wrap("NoncurrentVersionExpiration",
            element("NoncurrentDays", noncurrent, "NoncurrentDays")
                + element("NewerNoncurrentVersions", noncurrent, "NewerNoncurrentVersions"));
    else if (r.contains("NoncurrentVersionExpirationInDays"))
        out += wrap("NoncurrentVersionExpiration",
            element("NoncurrentDays", r, "NoncurrentVersionExpirationInDays"));
    const Json &abort = memberOrNull(r, "AbortIncompleteMultipartUpload");
    if (abort.is_object())
        out += wrap("AbortIncompleteMultipartUpload",
            element("DaysAfterInitiation", abort, "DaysAfterInitiation"));
    return wrap("Rule", out);
}

QString objectLockXml(const Json &p)
{
    const Json &retention = memberOrNull(memberOrNull(p, "Rule"), "DefaultRetention");
    return wrap("ObjectLockConfiguration",
        QStringLiteral("<ObjectLockEnabled>Enabled</ObjectLockEnabled>")
            + (retention.is_object() ? wrap("Rule",
                   wrap("DefaultRetention",
                       element("Mode", retention, "Mode") + element("Days", retention, "Days")
                           + element("Years", retention, "Years")))
                                     : QString()));
}

// An API error about a property's document, for a template: the property, then what is
// wrong (without the API's words about XML, which the template did not write).
QString templateMessage(const char *property, const Error &e)
{
    static const QString xml = QStringLiteral(
        "The XML you provided was not well-formed or did not validate against our published "
        "schema: ");
    QString message = e.message;
    if (message.startsWith(xml))
        message = message.mid(xml.size());
    return QLatin1String(property) + QStringLiteral(": ") + message;
}

// "PublicRead" → "public-read", as x-amz-acl names canned ACLs.
QString cannedAclName(const QString &cloudFormationName)
{
    QString out;
    for (const QChar c : cloudFormationName) {
        if (c.isUpper() && !out.isEmpty())
            out += u'-';
        out += c.toLower();
    }
    return out;
}

Result<void> readBucketDocuments(const Json &p, BucketSettings &out,
    const std::function<Error(const QStringList &, const QString &)> &fail)
{
    const auto document
        = [&](const char *property, auto parse, auto render, QByteArray &into) -> Result<void> {
        if (!p.contains(property))
            return {};
        auto parsed = parse(p[property]);
        if (!parsed)
            return fail({QLatin1String(property)}, templateMessage(property, parsed.error()));
        into = render(*parsed);
        return {};
    };
    if (auto r = document(
            "BucketEncryption",
            [](const Json &v) { return s3sse::parseBucketEncryption(encryptionXml(v).toUtf8()); },
            [](const s3sse::BucketEncryption &c) { return s3sse::renderBucketEncryption(c); },
            out.encryption);
        !r)
        return r;
    if (auto r = document(
            "PublicAccessBlockConfiguration",
            [](const Json &v) {
                return s3access::parsePublicAccessBlock(publicAccessBlockXml(v).toUtf8());
            },
            [](const S3PublicAccessBlock &b) { return s3access::renderPublicAccessBlock(b); },
            out.publicAccessBlock);
        !r)
        return r;
    if (auto r = document(
            "OwnershipControls",
            [](const Json &v) {
                return s3access::parseOwnershipControls(ownershipXml(v).toUtf8());
            },
            [](S3ObjectOwnership o) { return s3access::renderOwnershipControls(o); },
            out.ownership);
        !r)
        return r;
    if (auto r = document(
            "LifecycleConfiguration",
            [](const Json &v) {
                QString rules;
                for (const Json &rule : memberOrNull(v, "Rules"))
                    rules += lifecycleRuleXml(rule);
                return s3lifecycle::parseConfiguration(
                    wrap("LifecycleConfiguration", rules).toUtf8(),
                    scalar(memberOrNull(v, "TransitionDefaultMinimumObjectSize")).toUtf8());
            },
            [](const s3lifecycle::Configuration &c) { return s3lifecycle::renderConfiguration(c); },
            out.lifecycle);
        !r)
        return r;
    if (auto r = document(
            "ObjectLockConfiguration",
            [](const Json &v) {
                return s3objectlock::parseConfiguration(objectLockXml(v).toUtf8());
            },
            [](const s3objectlock::Configuration &c) {
                return s3objectlock::renderConfiguration(c);
            },
            out.objectLock);
        !r)
        return r;
    // Kept as the API keeps them: the property as the document's XML, which the API's Put…
    // call would have to accept.
    const auto keptAs = [](QString (*toXml)(const Json &), auto check) {
        return [toXml, check](const Json &v) -> Result<QByteArray> {
            QByteArray xml = toXml(v).toUtf8();
            auto parsed = s3xml::parse(xml);
            if (!parsed)
                return parsed.error();
            if (auto r = check(*parsed); !r)
                return r.error();
            return xml;
        };
    };
    const auto asIs = [](const QByteArray &xml) { return xml; };
    if (auto r = document(
            "WebsiteConfiguration", keptAs(websiteXml, s3configs::checkWebsite), asIs, out.website);
        !r)
        return r;
    // Its TargetBucket may be left empty for the bucket itself, which checkLogging refuses.
    if (auto r = document("LoggingConfiguration",
            keptAs(loggingXml, [](const XmlElement &) { return Result<void>(); }), asIs,
            out.logging);
        !r)
        return r;
    if (auto r = document("AccelerateConfiguration",
            keptAs(accelerateXml,
                [](const XmlElement &e) { return s3configs::checkAccelerate(e, QString()); }),
            asIs, out.accelerate);
        !r)
        return r;
    if (p.contains("ObjectLockEnabled")) {
        const QString on = scalar(p["ObjectLockEnabled"]);
        if (on != QLatin1String("true") && on != QLatin1String("false"))
            return fail({QStringLiteral("ObjectLockEnabled")}, QStringLiteral("true or false"));
        out.objectLockEnabled = on == QLatin1String("true");
    }
    if (!out.objectLock.isEmpty() && !out.objectLockEnabled)
        return fail({QStringLiteral("ObjectLockConfiguration")},
            QStringLiteral("needs ObjectLockEnabled: true"));
    if (p.contains("AccessControl")) {
        out.cannedAcl = cannedAclName(scalar(p["AccessControl"]));
        if (auto acl = s3access::cannedBucketAcl(out.cannedAcl, s3access::defaultAccount()); !acl)
            return fail(
                {QStringLiteral("AccessControl")}, templateMessage("AccessControl", acl.error()));
    }
    return {};
}

} // namespace

Result<BucketSettings> readBucket(const QString &logicalId, const Json &p, ResourceCheck *check)
{
    const auto fail = [&](const QStringList &property, const QString &message) -> Error {
        if (check)
            return check->error(property, message);
        return makeError(QStringLiteral("ValidationError"),
            QStringLiteral("bucket %1: %2: %3").arg(logicalId, property.join(u'.'), message));
    };
    BucketSettings out;
    if (p.contains("CorsConfiguration")) {
        const Json &cors = p["CorsConfiguration"];
        if (!cors.is_object() || !cors.contains("CorsRules") || !cors["CorsRules"].is_array())
            return fail({QStringLiteral("CorsConfiguration")},
                QStringLiteral("CorsConfiguration is {CorsRules: [...]}"));
        const Json &rules = cors["CorsRules"];
        for (size_t i = 0; i < rules.size(); ++i) {
            const Json &r = rules[i];
            const QStringList at {QStringLiteral("CorsConfiguration"), QStringLiteral("CorsRules"),
                QString::number(i)};
            if (!r.is_object())
                return fail(at, QStringLiteral("a CORS rule is a map"));
            s3xml::CorsRule rule;
            if (r.contains("Id") && r["Id"].is_string())
                rule.id = qs(r["Id"].get<std::string>());
            rule.allowedOrigins = stringList(r.value("AllowedOrigins", Json()));
            rule.allowedMethods = stringList(r.value("AllowedMethods", Json()));
            rule.allowedHeaders = stringList(r.value("AllowedHeaders", Json()));
            rule.exposeHeaders = stringList(r.value("ExposedHeaders", Json()));
            QString maxAge;
            if (r.contains("MaxAge") && IntrinsicResolver::scalarToString(r["MaxAge"], &maxAge))
                rule.maxAgeSeconds = maxAge.toInt();
            if (rule.allowedOrigins.isEmpty() || rule.allowedMethods.isEmpty())
                return fail(
                    at, QStringLiteral("a CORS rule needs AllowedOrigins and AllowedMethods"));
            out.cors.append(rule);
        }
    }
    if (p.contains("Tags")) {
        const Json &tags = p["Tags"];
        if (!tags.is_array())
            return fail(
                {QStringLiteral("Tags")}, QStringLiteral("Tags must be a list of {Key, Value}"));
        for (size_t i = 0; i < tags.size(); ++i) {
            const Json &t = tags[i];
            s3xml::Tag tag;
            if (!t.is_object() || !t.contains("Key")
                || !IntrinsicResolver::scalarToString(t["Key"], &tag.key)
                || (t.contains("Value")
                    && !IntrinsicResolver::scalarToString(t["Value"], &tag.value)))
                return fail({QStringLiteral("Tags"), QString::number(i)},
                    QStringLiteral("a tag is {Key, Value}"));
            out.tags.append(tag);
        }
    }
    if (p.contains("VersioningConfiguration")) {
        const Json &v = p["VersioningConfiguration"];
        const std::string status = v.is_object() && v.contains("Status") && v["Status"].is_string()
            ? v["Status"].get<std::string>()
            : std::string();
        if (status != "Enabled" && status != "Suspended")
            return fail({QStringLiteral("VersioningConfiguration")},
                QStringLiteral("VersioningConfiguration is {Status: Enabled|Suspended}"));
        out.versioning = status == "Enabled" ? S3Versioning::Enabled : S3Versioning::Suspended;
    }
    if (p.contains("NotificationConfiguration")) {
        const Json &nc = p["NotificationConfiguration"];
        const QString ncName = QStringLiteral("NotificationConfiguration");
        if (!nc.is_object())
            return fail({ncName}, QStringLiteral("NotificationConfiguration is a map"));
        for (auto it = nc.begin(); it != nc.end(); ++it) {
            const QString key = qs(it.key());
            // Each list, its target's property and the target kind S3's XML names.
            const char *field = key == QLatin1String("LambdaConfigurations") ? "Function"
                : key == QLatin1String("QueueConfigurations")                ? "Queue"
                : key == QLatin1String("TopicConfigurations")                ? "Topic"
                                                                             : nullptr;
            if (!field) {
                if (check)
                    check->unsupported(ncName + u'.' + key, {ncName, key},
                        QStringLiteral("notifications go to functions and queues"));
                continue;
            }
            const QString singular = key.chopped(1);
            if (!it.value().is_array())
                return fail({ncName, key}, QStringLiteral("%1 is a list").arg(key));
            for (size_t i = 0; i < it.value().size(); ++i) {
                const Json &c = it.value()[i];
                const QStringList at {ncName, key, QString::number(i)};
                s3xml::NotificationTarget target;
                target.kind = qstrcmp(field, "Function") == 0 ? QStringLiteral("CloudFunction")
                                                              : QLatin1String(field);
                if (!c.is_object() || !c.contains("Event")
                    || !IntrinsicResolver::scalarToString(c.value(field, Json()), &target.arn))
                    return fail(at,
                        QStringLiteral("a %1 is {Event, %2, Filter}")
                            .arg(singular, QLatin1String(field)));
                if (check && target.kind != QLatin1String("CloudFunction")
                    && !check->takesMessages(target.arn))
                    check->unsupported(ncName + u'.' + key, at,
                        QStringLiteral("no service Tarmac runs takes messages for %1; its events "
                                       "are logged as undeliverable")
                            .arg(target.arn));
                target.id = c.contains("Id") && c["Id"].is_string()
                    ? qs(c["Id"].get<std::string>())
                    : QStringLiteral("%1-%2-%3")
                          .arg(logicalId, QString::fromLatin1(field).toLower())
                          .arg(i);
                const Json events = c["Event"].is_array() ? c["Event"] : Json::array({c["Event"]});
                for (const Json &e : events) {
                    QString s;
                    if (!IntrinsicResolver::scalarToString(e, &s)
                        || !s.startsWith(QLatin1String("s3:")))
                        return fail(
                            at, QStringLiteral("S3 event names look like s3:ObjectCreated:*"));
                    target.events.append(s);
                }
                const Json filter = c.value("Filter", Json());
                if (!filter.is_null()) {
                    const Json rules = filter.is_object() && filter.contains("S3Key")
                            && filter["S3Key"].is_object()
                        ? filter["S3Key"].value("Rules", Json::array())
                        : Json();
                    if (!rules.is_array())
                        return fail(at,
                            QStringLiteral(
                                "Filter is {S3Key: {Rules: [{Name: prefix|suffix, Value}]}}"));
                    for (const Json &rule : rules) {
                        QString name, value;
                        if (!rule.is_object()
                            || !IntrinsicResolver::scalarToString(rule.value("Name", Json()), &name)
                            || !IntrinsicResolver::scalarToString(
                                rule.value("Value", Json()), &value))
                            return fail(at,
                                QStringLiteral("a filter rule is {Name: prefix|suffix, Value}"));
                        if (name.compare(QLatin1String("prefix"), Qt::CaseInsensitive) == 0)
                            target.prefix = value;
                        else if (name.compare(QLatin1String("suffix"), Qt::CaseInsensitive) == 0)
                            target.suffix = value;
                        else
                            return fail(at,
                                QStringLiteral("filter rule names are prefix and suffix, not %1")
                                    .arg(name));
                    }
                }
                out.notification.targets.append(target);
            }
        }
    }
    if (auto r = readBucketDocuments(p, out, fail); !r)
        return r.error();
    return out;
}

} // namespace tarmac::s3resources
