#include "http/servicedetector.h"

#include "http/httpmessage.h"

#include <QIODevice>

#include <memory>
#include <optional>

namespace tarmac {

namespace {

constexpr QByteArrayView kDefaultRegion = "us-east-1";

// botocore, the CLI and the JS SDK serialise Action and Version first, so a spooled form body
// never needs to be read whole just to route it.
constexpr qint64 kFormPrefixLimit = 16 * 1024;

// What the service models say about each service we recognise. The ones after scheduler are
// not emulated; knowing them keeps, say, a Kinesis call from being misread as an S3 request.
struct ServiceInfo
{
    QByteArrayView service;
    QByteArrayView signingName;
    QByteArrayView endpointPrefix; // the host prefix of its regional endpoint
    QByteArrayView targetPrefix; // X-Amz-Target prefix of json services
    QByteArrayView protocol;
};

// Entries sharing a signing name are told apart by target prefix; the first is the default.
constexpr ServiceInfo kServices[] = {
    {"s3", "s3", "s3", "", "rest-xml"},
    {"sqs", "sqs", "sqs", "AmazonSQS", "json"},
    {"dynamodb", "dynamodb", "dynamodb", "DynamoDB_20120810", "json"},
    {"dynamodbstreams", "dynamodb", "streams.dynamodb", "DynamoDBStreams_20120810", "json"},
    {"lambda", "lambda", "lambda", "", "rest-json"},
    {"sts", "sts", "sts", "", "query"},
    {"iam", "iam", "iam", "", "query"},
    {"events", "events", "events", "AWSEvents", "json"},
    {"logs", "logs", "logs", "Logs_20140328", "json"},
    {"scheduler", "scheduler", "scheduler", "", "rest-json"},
    {"sns", "sns", "sns", "", "query"},
    {"kinesis", "kinesis", "kinesis", "Kinesis_20131202", "json"},
    {"firehose", "firehose", "firehose", "Firehose_20150804", "json"},
    {"ssm", "ssm", "ssm", "AmazonSSM", "json"},
    {"secretsmanager", "secretsmanager", "secretsmanager", "secretsmanager", "json"},
    {"kms", "kms", "kms", "TrentService", "json"},
    {"stepfunctions", "states", "states", "AWSStepFunctions", "json"},
    {"cloudwatch", "monitoring", "monitoring", "GraniteServiceVersion20100801", "query"},
    {"cloudformation", "cloudformation", "cloudformation", "", "query"},
    {"xray", "xray", "xray", "", "rest-json"},
    {"apigateway", "apigateway", "apigateway", "", "rest-json"},
};

const ServiceInfo &serviceInfo(QByteArrayView service)
{
    for (const ServiceInfo &info : kServices) {
        if (info.service == service)
            return info;
    }
    Q_UNREACHABLE();
}

// The service's name as a match carries it: made once per service, shared by every match.
const QString &serviceName(const ServiceInfo &info)
{
    static const QList<QString> names = [] {
        QList<QString> out;
        for (const ServiceInfo &i : kServices)
            out.append(QString::fromLatin1(i.service));
        return out;
    }();
    return names.at(&info - kServices);
}

// Query-protocol services by the Version they send; the Action alone is ambiguous.
struct QueryVersion
{
    QByteArrayView version;
    QByteArrayView service;
};

constexpr QueryVersion kQueryVersions[] = {
    {"2012-11-05", "sqs"},
    {"2011-06-15", "sts"},
    {"2010-05-08", "iam"},
    {"2010-03-31", "sns"},
    {"2010-05-15", "cloudformation"},
    {"2010-08-01", "cloudwatch"},
};

// Lambda's REST resources; each lives under the API date it was introduced with.
constexpr QByteArrayView kLambdaResources[] = {
    "functions",
    "event-source-mappings",
    "layers",
    "tags",
    "account-settings",
    "code-signing-configs",
    "capacity-providers",
    "durable-executions",
    "durable-execution-callbacks",
};

// X-Ray's paths are capitalised, so they can never be an S3 bucket.
constexpr QByteArrayView kXRayPaths[] = {
    "/TraceSegments",
    "/TelemetryRecords",
    "/Traces",
    "/TraceSummaries",
    "/TraceGraph",
    "/ServiceGraph",
    "/GetSamplingRules",
    "/SamplingTargets",
};

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// QByteArrayView::lastIndexOf in Qt 6.4 looks one byte past the end of the view.
qsizetype lastIndexOf(QByteArrayView s, char c)
{
    for (qsizetype i = s.size() - 1; i >= 0; --i) {
        if (s.at(i) == c)
            return i;
    }
    return -1;
}

bool startsWithCaseInsensitive(QByteArrayView s, QByteArrayView prefix)
{
    return s.size() >= prefix.size()
        && s.first(prefix.size()).compare(prefix, Qt::CaseInsensitive) == 0;
}

// The first path segment after `from` (which must point at a '/'), without the slash.
QByteArrayView segmentAt(QByteArrayView path, qsizetype from)
{
    if (from >= path.size() || path.at(from) != '/')
        return {};
    const qsizetype end = path.indexOf('/', from + 1);
    return path.sliced(from + 1, (end < 0 ? path.size() : end) - from - 1);
}

// The decoded value of `name` in an application/x-www-form-urlencoded string (also the shape of
// a query string). Names are matched undecoded: the ones routing needs are plain ASCII.
std::optional<QByteArray> formValue(QByteArrayView form, QByteArrayView name)
{
    qsizetype pos = 0;
    while (pos <= form.size()) {
        qsizetype end = form.indexOf('&', pos);
        if (end < 0)
            end = form.size();
        const QByteArrayView pair = form.sliced(pos, end - pos);
        if (pair.startsWith(name) && (pair.size() == name.size() || pair.at(name.size()) == '=')) {
            const QByteArrayView raw = pair.sliced(qMin(name.size() + 1, pair.size()));
            return percentDecode(raw.toByteArray(), true);
        }
        pos = end + 1;
    }
    return std::nullopt;
}

// The last '/'-separated field counted from the end (0 = last), or empty if there are fewer.
QByteArrayView fieldFromEnd(QByteArrayView s, int index)
{
    qsizetype end = s.size();
    for (int i = 0;; ++i) {
        const qsizetype slash = lastIndexOf(s.first(end), '/');
        if (i == index)
            return s.sliced(slash + 1, end - slash - 1);
        if (slash < 0)
            return {};
        end = slash;
    }
}

bool isRegionLike(QByteArrayView region)
{
    if (region.isEmpty() || region.size() > 32)
        return false;
    for (char c : region) {
        if (!((c >= 'a' && c <= 'z') || isDigit(c) || c == '-'))
            return false;
    }
    return true;
}

// A scope is "<akid>/<date>/<region>/<service>/aws4_request"; SigV4a drops the region.
CredentialScope parseScope(QByteArrayView credential, bool sigV4a, QByteArrayView regionSet)
{
    CredentialScope scope;
    const int fields = sigV4a ? 4 : 5;
    if (credential.count('/') < fields - 1 || fieldFromEnd(credential, 0) != "aws4_request")
        return scope;
    scope.signingName = fieldFromEnd(credential, 1);
    if (sigV4a) {
        const qsizetype comma = regionSet.indexOf(',');
        const QByteArrayView first = (comma < 0 ? regionSet : regionSet.first(comma)).trimmed();
        if (isRegionLike(first))
            scope.region = first;
    } else {
        scope.region = fieldFromEnd(credential, 2);
    }
    return scope;
}

// Host without port, lower-cased; IPv6 literals keep their brackets.
QByteArray hostName(QByteArrayView host)
{
    host = host.trimmed();
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        return (close < 0 ? host : host.first(close + 1)).toByteArray().toLower();
    }
    const qsizetype colon = host.indexOf(':');
    if (colon >= 0)
        host = host.first(colon);
    if (host.endsWith('.'))
        host.chop(1);
    return host.toByteArray().toLower();
}

bool isIpLiteral(QByteArrayView host)
{
    if (host.startsWith('['))
        return true;
    int dots = 0;
    for (char c : host) {
        if (c == '.')
            ++dots;
        else if (!isDigit(c))
            return false;
    }
    return dots == 3;
}

// Index of the first label that is "s3" or "s3-…" (s3-website, s3-us-west-2), or -1.
qsizetype s3LabelIndex(QByteArrayView host)
{
    qsizetype pos = 0;
    while (pos < host.size()) {
        qsizetype end = host.indexOf('.', pos);
        if (end < 0)
            end = host.size();
        const QByteArrayView label = host.sliced(pos, end - pos);
        if (label == "s3" || label.startsWith("s3-"))
            return pos;
        pos = end + 1;
    }
    return -1;
}

bool isFunctionUrlHost(QByteArrayView host)
{
    return host.contains(".lambda-url.");
}

// What detectService looks at, each header fetched once.
class RequestFacts
{
public:
    explicit RequestFacts(const HttpRequest &request)
        : target(request.header(QByteArrayLiteral("x-amz-target")))
        , contentType(request.header(QByteArrayLiteral("content-type")))
        , path(request.path)
        , method(request.method)
        , m_request(request)
    { }

    bool isForm() const
    {
        return startsWithCaseInsensitive(contentType, "application/x-www-form-urlencoded");
    }
    bool isAwsJson() const
    {
        return startsWithCaseInsensitive(contentType, "application/x-amz-json");
    }
    bool queryHasAction() const { return formValue(m_request.query, "Action").has_value(); }
    bool isSmithyRpc() const
    {
        return m_request.headers.contains(QByteArrayLiteral("smithy-protocol"));
    }

    // A query-protocol parameter (Action, Version): the query string first, then a form
    // body. Nothing else in the router may touch the body.
    QByteArray queryParameter(QByteArrayView name) const
    {
        if (std::optional<QByteArray> value = formValue(m_request.query, name))
            return *value;
        if (!isForm())
            return {};
        return formValue(formBody(), name).value_or(QByteArray());
    }

    // Host without port, lower-cased: made on first use (a signed request never asks).
    const QByteArray &host() const
    {
        if (!m_host)
            m_host = hostName(m_request.header(QByteArrayLiteral("host")));
        return *m_host;
    }

    const QByteArray target;
    const QByteArray contentType;
    const QByteArrayView path;
    const QByteArrayView method;

private:
    const QByteArray &formBody() const
    {
        if (!m_formBody) {
            if (!m_request.body.isSpooled()) {
                m_formBody = m_request.body.toByteArray();
            } else {
                const std::unique_ptr<QIODevice> device = m_request.body.open();
                m_formBody = device ? device->read(kFormPrefixLimit) : QByteArray();
            }
        }
        return *m_formBody;
    }

    const HttpRequest &m_request;
    mutable std::optional<QByteArray> m_host;
    mutable std::optional<QByteArray> m_formBody;
};

QByteArrayView targetPrefix(QByteArrayView target)
{
    const qsizetype dot = lastIndexOf(target, '.');
    return dot < 0 ? target : target.first(dot);
}

QByteArrayView targetOperation(QByteArrayView target)
{
    const qsizetype dot = lastIndexOf(target, '.');
    return dot < 0 ? QByteArrayView() : target.sliced(dot + 1);
}

const ServiceInfo *serviceForSigningName(QByteArrayView signingName, QByteArrayView target)
{
    const ServiceInfo *first = nullptr;
    for (const ServiceInfo &info : kServices) {
        if (info.signingName != signingName)
            continue;
        if (!first)
            first = &info;
        if (!info.targetPrefix.isEmpty() && targetPrefix(target) == info.targetPrefix)
            return &info;
    }
    return first;
}

const ServiceInfo *serviceForTargetPrefix(QByteArrayView prefix)
{
    for (const ServiceInfo &info : kServices) {
        if (!info.targetPrefix.isEmpty() && info.targetPrefix == prefix)
            return &info;
    }
    return nullptr;
}

// Smithy RPC v2: POST /service/<ServiceShape>/operation/<Operation> (CloudWatch in botocore).
bool smithyRpcPath(QByteArrayView path, QByteArrayView *serviceShape, QByteArrayView *operation)
{
    if (!path.startsWith("/service/"))
        return false;
    const QByteArrayView shape = segmentAt(path, 8);
    const qsizetype next = 8 + 1 + shape.size();
    if (shape.isEmpty() || segmentAt(path, next) != "operation")
        return false;
    *serviceShape = shape;
    *operation = segmentAt(path, next + 10);
    return true;
}

// "/<yyyy-mm-dd>/<resource>…" with a Lambda resource. Any date is accepted: Lambda adds a new
// one with most features, and no other service in scope uses this shape.
bool isLambdaPath(QByteArrayView path)
{
    const QByteArrayView date = segmentAt(path, 0);
    if (date.size() != 10 || date.at(4) != '-' || date.at(7) != '-')
        return false;
    for (qsizetype i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        if (!isDigit(date.at(i)))
            return false;
    }
    const QByteArrayView resource = segmentAt(path, 11);
    for (QByteArrayView known : kLambdaResources) {
        if (resource == known)
            return true;
    }
    return false;
}

// "/<12-digit account>/<queue name>", the path of an SQS queue URL (names: 80 chars incl. .fifo).
bool isQueuePath(QByteArrayView path)
{
    const QByteArrayView account = segmentAt(path, 0);
    if (account.size() != 12)
        return false;
    for (char c : account) {
        if (!isDigit(c))
            return false;
    }
    QByteArrayView rest = path.sliced(13);
    if (rest.endsWith('/'))
        rest.chop(1);
    const QByteArrayView queue = segmentAt(rest, 0);
    if (queue.isEmpty() || queue.size() != rest.size() - 1 || queue.size() > 80)
        return false;
    for (char c : queue) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '-' || c == '_'
                || c == '.'))
            return false;
    }
    return true;
}

bool isSchedulerPath(QByteArrayView path)
{
    const QByteArrayView first = segmentAt(path, 0);
    if (first == "schedules" || first == "schedule-groups")
        return true;
    // Scheduler's TagResource shares "/tags/<arn>" with other services; the ARN decides.
    return first == "tags"
        && percentDecode(path.toByteArray(), false).startsWith("/tags/arn:aws:scheduler:");
}

bool isXRayPath(QByteArrayView path)
{
    for (QByteArrayView known : kXRayPaths) {
        if (path == known)
            return true;
    }
    return false;
}

// The service whose regional endpoint host this is ("sqs.", "streams.dynamodb.", …).
const ServiceInfo *serviceForHost(QByteArrayView host)
{
    for (const ServiceInfo &info : kServices) {
        if (host.size() > info.endpointPrefix.size() && host.startsWith(info.endpointPrefix)
            && host.at(info.endpointPrefix.size()) == '.')
            return &info;
    }
    return nullptr;
}

ServiceMatch finish(const ServiceInfo &info, const RequestFacts &facts, QString region)
{
    ServiceMatch match;
    match.service = serviceName(info);
    match.region = std::move(region);
    // The table's own bytes, not a copy: it is static.
    match.protocol = QByteArray::fromRawData(info.protocol.data(), info.protocol.size());

    // SQS speaks json (new clients) or query (old ones) on the same signing name and paths.
    if (info.service == "sqs" && !facts.isAwsJson() && targetPrefix(facts.target) != "AmazonSQS")
        match.protocol = QByteArrayLiteral("query");
    // CloudWatch: query in old clients, json or CBOR in newer ones.
    if (info.service == "cloudwatch") {
        QByteArrayView shape, operation;
        if (smithyRpcPath(facts.path, &shape, &operation)) {
            match.protocol = QByteArrayLiteral("smithy-rpc-v2-cbor");
            match.operation = QString::fromLatin1(operation);
            return match;
        }
        if (facts.isAwsJson() || !facts.target.isEmpty())
            match.protocol = QByteArrayLiteral("json");
    }

    if (match.protocol == "json")
        match.operation = QString::fromLatin1(targetOperation(facts.target));
    else if (match.protocol == "query")
        match.operation = QString::fromUtf8(facts.queryParameter("Action"));
    else if (info.service == "lambda" && isFunctionUrlHost(facts.host()))
        match.operation = QStringLiteral("InvokeFunctionUrl");
    return match;
}

} // namespace

CredentialScope credentialScope(const HttpRequest &request)
{
    const QByteArray authorization = request.header(QByteArrayLiteral("authorization"));
    if (!authorization.isEmpty()) {
        const QByteArrayView auth = QByteArrayView(authorization).trimmed();
        const bool sigV4a = auth.startsWith("AWS4-ECDSA-P256-SHA256");
        if (!sigV4a && !auth.startsWith("AWS4-HMAC-SHA256"))
            return {};
        const qsizetype start = auth.indexOf("Credential=");
        if (start < 0)
            return {};
        QByteArrayView credential = auth.sliced(start + 11);
        for (qsizetype i = 0; i < credential.size(); ++i) {
            if (credential.at(i) == ',' || credential.at(i) == ' ') {
                credential.truncate(i);
                break;
            }
        }
        return parseScope(
            credential, sigV4a, request.header(QByteArrayLiteral("x-amz-region-set")));
    }

    // Presigned URL: same scope, percent-encoded in the query.
    if (!request.query.contains("X-Amz-Credential="))
        return {};
    const QByteArray algorithm = formValue(request.query, "X-Amz-Algorithm").value_or(QByteArray());
    const bool sigV4a = algorithm == "AWS4-ECDSA-P256-SHA256";
    QByteArray credential = formValue(request.query, "X-Amz-Credential").value_or(QByteArray());
    QByteArray regionSet = formValue(request.query, "X-Amz-Region-Set").value_or(QByteArray());
    CredentialScope scope = parseScope(credential, sigV4a, regionSet);
    // Decoded copies: the scope keeps them (a move keeps their bytes where the views point).
    scope.decoded = {std::move(credential), std::move(regionSet)};
    return scope;
}

ServiceMatch detectService(const HttpRequest &request)
{
    const RequestFacts facts(request);
    const CredentialScope scope = credentialScope(request);
    static const QString defaultRegion = QString::fromLatin1(kDefaultRegion);
    QString region = isRegionLike(scope.region) && scope.region != kDefaultRegion
        ? QString::fromLatin1(scope.region)
        : defaultRegion;

    // 1. The signing name. A signed request for a service we do not know stays unknown: every
    //    rule below is a guess, and the signature already said what it is not.
    if (scope.isValid()) {
        if (scope.signingName == "s3" && facts.path.startsWith("/v20180820")) {
            ServiceMatch control;
            control.service = QStringLiteral("s3control");
            control.region = region;
            control.protocol = QByteArrayLiteral("rest-xml");
            return control;
        }
        if (const ServiceInfo *info = serviceForSigningName(scope.signingName, facts.target))
            return finish(*info, facts, region);
        ServiceMatch unknown;
        unknown.region = region;
        unknown.signingName = scope.signingName.toByteArray();
        if (!facts.target.isEmpty())
            unknown.protocol = QByteArrayLiteral("json");
        else if (facts.isForm())
            unknown.protocol = QByteArrayLiteral("query");
        else if (facts.path.startsWith("/v2/") || facts.path.startsWith("/20"))
            unknown.protocol = QByteArrayLiteral("rest-json"); // sesv2, appsync and the like
        return unknown;
    }

    // 2. The X-Amz-Target prefix (and its Smithy RPC v2 counterpart, the service shape in the
    //    path). A target we do not know is no S3 request either.
    if (!facts.target.isEmpty()) {
        if (const ServiceInfo *info = serviceForTargetPrefix(targetPrefix(facts.target)))
            return finish(*info, facts, region);
        ServiceMatch unknown;
        unknown.region = region;
        unknown.protocol = QByteArrayLiteral("json");
        return unknown;
    }
    QByteArrayView shape, operation;
    if (facts.isSmithyRpc() && smithyRpcPath(facts.path, &shape, &operation)) {
        if (const ServiceInfo *info = serviceForTargetPrefix(shape))
            return finish(*info, facts, region);
        ServiceMatch unknown;
        unknown.region = region;
        unknown.protocol = QByteArrayLiteral("smithy-rpc-v2-cbor");
        return unknown;
    }

    // 3. Paths. A queue path is also a valid S3 object path (a 12-digit bucket), so it counts
    //    only with the marks of a query request.
    if (isLambdaPath(facts.path))
        return finish(serviceInfo("lambda"), facts, region);
    if (isQueuePath(facts.path)
        && (facts.queryHasAction()
            || (facts.method == "POST" && (facts.isForm() || facts.isAwsJson()))))
        return finish(serviceInfo("sqs"), facts, region);
    if (isSchedulerPath(facts.path))
        return finish(serviceInfo("scheduler"), facts, region);
    if (facts.method == "POST" && isXRayPath(facts.path))
        return finish(serviceInfo("xray"), facts, region);

    // 4. Hosts: a function URL, an S3-style host, or a regional endpoint name.
    if (isFunctionUrlHost(facts.host()))
        return finish(serviceInfo("lambda"), facts, region);
    if (s3LabelIndex(facts.host()) >= 0)
        return finish(serviceInfo("s3"), facts, region);
    if (const ServiceInfo *info = serviceForHost(facts.host()))
        return finish(*info, facts, region);

    // 5. Query-protocol Action + Version, from the query string of a request to "/" or from a
    //    form body. S3 has no form-urlencoded operations, so such a body is never S3's.
    if ((facts.path == "/" && facts.queryHasAction()) || facts.isForm()) {
        const QByteArray action = facts.queryParameter("Action");
        if (!action.isEmpty()) {
            const QByteArray version = facts.queryParameter("Version");
            for (const QueryVersion &known : kQueryVersions) {
                if (known.version == version)
                    return finish(serviceInfo(known.service), facts, region);
            }
            ServiceMatch unknown;
            unknown.region = region;
            unknown.operation = QString::fromUtf8(action);
            unknown.protocol = QByteArrayLiteral("query");
            return unknown;
        }
    }

    // 6. Everything else is S3, the one service whose requests have no fingerprint.
    return finish(serviceInfo("s3"), facts, region);
}

QString s3BucketFromHost(QByteArrayView hostHeader)
{
    const QByteArray host = hostName(hostHeader);
    if (host.isEmpty() || isIpLiteral(host))
        return {};
    const qsizetype s3 = s3LabelIndex(host);
    if (s3 > 0)
        return QString::fromLatin1(QByteArrayView(host).first(s3 - 1));
    if (s3 == 0)
        return {};
    for (QByteArrayView base :
        {QByteArrayView(".localhost.localstack.cloud"), QByteArrayView(".localhost")}) {
        if (host.size() > base.size() && host.endsWith(base))
            return QString::fromLatin1(QByteArrayView(host).chopped(base.size()));
    }
    return {};
}

S3Address s3Address(const HttpRequest &request)
{
    S3Address address;
    address.bucket = s3BucketFromHost(request.header(QByteArrayLiteral("host")));
    QByteArrayView path = request.path;
    if (path.startsWith('/'))
        path = path.sliced(1);
    if (!address.bucket.isEmpty()) {
        address.virtualHosted = true;
        address.key = QString::fromUtf8(percentDecode(path.toByteArray(), false));
        return address;
    }
    const qsizetype slash = path.indexOf('/');
    const QByteArrayView bucket = slash < 0 ? path : path.first(slash);
    address.bucket = QString::fromUtf8(percentDecode(bucket.toByteArray(), false));
    if (slash >= 0)
        address.key = QString::fromUtf8(percentDecode(path.sliced(slash + 1).toByteArray(), false));
    return address;
}

} // namespace tarmac
