#include "services/lambda/lambdarequests.h"

namespace tarmac::lambdarequests {

namespace {

Error fieldError(const JsonFields &fields)
{
    return invalidParameter(fields.error()->message());
}

// Fields Tarmac accepts and does not act on (no layers, VPCs, dead-letter queues, KMS keys or
// log settings here): their types are still checked, so that a request AWS would refuse is
// not taken here.
void checkIgnoredFields(JsonFields &f)
{
    (void)f.stringList("Layers");
    (void)f.string("KMSKeyArn");
    JsonFields vpc = f.object("VpcConfig");
    (void)vpc.stringList("SubnetIds");
    (void)vpc.stringList("SecurityGroupIds");
    (void)vpc.boolean("Ipv6AllowedForDualStack");
    JsonFields logging = f.object("LoggingConfig");
    for (const char *key : {"LogFormat", "ApplicationLogLevel", "SystemLogLevel", "LogGroup"})
        (void)logging.string(key);
    JsonFields snapStart = f.object("SnapStart");
    (void)snapStart.string("ApplyOn");
}

// The package fields of CreateFunction's Code, or of UpdateFunctionCode's body, as sent.
struct CodeFields
{
    bool isSet = false;
    std::optional<QByteArray> zipFile; // base64, up to 70 MB: kept as bytes, never a QString
    std::optional<QString> s3Bucket;
    std::optional<QString> s3Key;
    std::optional<QString> s3ObjectVersion;
    std::optional<QString> imageUri;
};

CodeFields readCode(JsonFields &code)
{
    CodeFields c;
    c.isSet = code.isSet();
    c.zipFile = code.bytes("ZipFile");
    c.s3Bucket = code.string("S3Bucket");
    c.s3Key = code.string("S3Key");
    c.s3ObjectVersion = code.string("S3ObjectVersion");
    c.imageUri = code.string("ImageUri");
    return c;
}

Result<CodeSource> codeSource(const CodeFields &c)
{
    if (!c.isSet)
        return invalidParameter(QStringLiteral("Code is required"));
    if (c.imageUri)
        return invalidParameter(QStringLiteral("Tarmac runs Zip functions only: container images "
                                               "are not supported"));
    CodeSource out;
    if (c.zipFile) {
        auto decoded
            = QByteArray::fromBase64Encoding(*c.zipFile, QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            return invalidParameter(QStringLiteral("Could not unzip uploaded file. Please check "
                                                   "your file, then try to upload again."));
        out.zip = *decoded;
        return out;
    }
    if (c.s3Bucket || c.s3Key) {
        out.s3Bucket = c.s3Bucket.value_or(QString());
        out.s3Key = c.s3Key.value_or(QString());
        out.s3ObjectVersion = c.s3ObjectVersion.value_or(QString());
        if (out.s3Bucket.isEmpty() || out.s3Key.isEmpty())
            return invalidParameter(QStringLiteral("Code needs both S3Bucket and S3Key"));
        return out;
    }
    return invalidParameter(QStringLiteral("Code must have ZipFile"));
}

// Lambda takes exactly one architecture.
Result<void> checkArchitectures(const std::optional<QStringList> &architectures)
{
    if (architectures && architectures->size() != 1)
        return invalidParameter(QStringLiteral("1 validation error detected: Value '[%1]' at "
                                               "'architectures' failed to satisfy constraint: "
                                               "Member must have length equal to 1")
                                    .arg(architectures->join(QStringLiteral(", ")).left(100)));
    return {};
}

} // namespace

Error invalidParameter(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

Result<Json> bodyObject(const HttpRequest &request)
{
    if (request.body.isEmpty())
        return Json::object();
    auto json = parseJson(request.body.toByteArray());
    if (!json || !json->is_object())
        return makeError(QStringLiteral("InvalidRequestContentException"),
            QStringLiteral("Could not parse request body into json"), 400);
    return json;
}

Result<CreateFunction> createFunction(const Json &body)
{
    JsonFields f(body);
    CreateFunction out;
    LambdaFunction &fn = out.function;
    fn.config.name = f.string("FunctionName").value_or(QString());
    fn.config.runtime = f.string("Runtime").value_or(QString());
    fn.config.handler = f.string("Handler").value_or(QString());
    fn.config.timeoutSeconds = f.integer("Timeout").value_or(3);
    fn.config.memoryMb = f.integer("MemorySize").value_or(128);
    fn.role = f.string("Role").value_or(QString());
    fn.description = f.string("Description").value_or(QString());
    const QString packageType = f.string("PackageType").value_or(QStringLiteral("Zip"));
    JsonFields environment = f.object("Environment");
    fn.config.environment = environment.stringMap("Variables").value_or(QMap<QString, QString>());
    JsonFields tracing = f.object("TracingConfig");
    fn.tracingMode = tracing.string("Mode").value_or(fn.tracingMode);
    JsonFields storage = f.object("EphemeralStorage");
    fn.ephemeralStorageMb = storage.integer("Size").value_or(fn.ephemeralStorageMb);
    fn.tags = f.stringMap("Tags").value_or(QMap<QString, QString>());
    JsonFields deadLetter = f.object("DeadLetterConfig");
    fn.deadLetterTarget = deadLetter.string("TargetArn").value_or(QString());
    const std::optional<QStringList> architectures = f.stringList("Architectures");
    (void)f.boolean("Publish");
    checkIgnoredFields(f);
    JsonFields code = f.object("Code");
    const CodeFields codeFields = readCode(code);
    if (!f.ok())
        return fieldError(f);

    if (packageType != QLatin1String("Zip"))
        return invalidParameter(QStringLiteral("Tarmac runs Zip functions only"));
    if (fn.config.name.isEmpty())
        return invalidParameter(QStringLiteral("FunctionName is required"));
    if (auto r = checkArchitectures(architectures); !r)
        return r.error();
    if (architectures)
        fn.architectures = *architectures;
    auto source = codeSource(codeFields);
    if (!source)
        return source.error();
    out.code = std::move(*source);
    return out;
}

void ConfigurationUpdate::applyTo(LambdaFunction &function) const
{
    FunctionConfig &c = function.config;
    c.runtime = runtime.value_or(c.runtime);
    c.handler = handler.value_or(c.handler);
    c.timeoutSeconds = timeout.value_or(c.timeoutSeconds);
    c.memoryMb = memorySize.value_or(c.memoryMb);
    c.environment = environment.value_or(c.environment);
    function.role = role.value_or(function.role);
    function.description = description.value_or(function.description);
    function.tracingMode = tracingMode.value_or(function.tracingMode);
    function.ephemeralStorageMb = ephemeralStorage.value_or(function.ephemeralStorageMb);
    function.deadLetterTarget = deadLetterTarget.value_or(function.deadLetterTarget);
}

Result<ConfigurationUpdate> configurationUpdate(const Json &body)
{
    JsonFields f(body);
    ConfigurationUpdate u;
    u.revisionId = f.string("RevisionId").value_or(QString());
    u.runtime = f.string("Runtime");
    u.handler = f.string("Handler");
    u.role = f.string("Role");
    u.description = f.string("Description");
    u.timeout = f.integer("Timeout");
    u.memorySize = f.integer("MemorySize");
    // An Environment without Variables clears them, as on AWS.
    JsonFields environment = f.object("Environment");
    if (environment.isSet())
        u.environment = environment.stringMap("Variables").value_or(QMap<QString, QString>());
    JsonFields tracing = f.object("TracingConfig");
    u.tracingMode = tracing.string("Mode");
    JsonFields storage = f.object("EphemeralStorage");
    u.ephemeralStorage = storage.integer("Size");
    // A DeadLetterConfig without TargetArn (or with "") removes the dead-letter queue.
    JsonFields deadLetter = f.object("DeadLetterConfig");
    if (deadLetter.isSet())
        u.deadLetterTarget = deadLetter.string("TargetArn").value_or(QString());
    checkIgnoredFields(f);
    if (!f.ok())
        return fieldError(f);
    return u;
}

Result<CodeUpdate> codeUpdate(const Json &body)
{
    JsonFields f(body);
    CodeUpdate u;
    u.revisionId = f.string("RevisionId").value_or(QString());
    u.dryRun = f.boolean("DryRun").value_or(false);
    (void)f.boolean("Publish");
    const std::optional<QStringList> architectures = f.stringList("Architectures");
    const CodeFields codeFields = readCode(f);
    if (!f.ok())
        return fieldError(f);
    if (auto r = checkArchitectures(architectures); !r)
        return r.error();
    auto source = codeSource(codeFields);
    if (!source)
        return source.error();
    u.code = std::move(*source);
    return u;
}

Result<int> reservedConcurrency(const Json &body)
{
    JsonFields f(body);
    const std::optional<int> reserved = f.integer("ReservedConcurrentExecutions");
    if (!f.ok())
        return fieldError(f);
    if (!reserved || *reserved < 0)
        return invalidParameter(QStringLiteral("ReservedConcurrentExecutions is required and must "
                                               "be 0 or more"));
    return *reserved;
}

Result<EventInvokeConfig> eventInvokeConfig(const Json &body, EventInvokeConfig base)
{
    JsonFields f(body);
    base.maximumRetryAttempts
        = f.integer("MaximumRetryAttempts").value_or(base.maximumRetryAttempts);
    base.maximumEventAgeSeconds
        = f.integer("MaximumEventAgeInSeconds").value_or(base.maximumEventAgeSeconds);
    // A destination that is sent replaces the current one; an empty object removes it.
    JsonFields destinations = f.object("DestinationConfig");
    JsonFields onSuccess = destinations.object("OnSuccess");
    if (onSuccess.isSet())
        base.onSuccess = onSuccess.string("Destination").value_or(QString());
    JsonFields onFailure = destinations.object("OnFailure");
    if (onFailure.isSet())
        base.onFailure = onFailure.string("Destination").value_or(QString());
    if (!f.ok())
        return fieldError(f);
    return base;
}

Result<EventSourceMappingWrite> eventSourceMapping(const Json &body, bool create)
{
    JsonFields f(body);
    EventSourceMappingWrite out;
    EventSourceMappingRequest &s = out.settings;
    out.functionName = f.string("FunctionName");
    s.enabled = f.boolean("Enabled");
    s.batchSize = f.integer("BatchSize");
    s.maximumBatchingWindowInSeconds = f.integer("MaximumBatchingWindowInSeconds");
    s.functionResponseTypes = f.stringList("FunctionResponseTypes");
    JsonFields scaling = f.object("ScalingConfig");
    if (scaling.isSet())
        s.maximumConcurrency = scaling.integer("MaximumConcurrency").value_or(0);
    JsonFields criteria = f.object("FilterCriteria");
    if (criteria.isSet()) {
        QStringList patterns;
        (void)criteria.forEachObject("Filters", [&patterns](JsonFields &filter) {
            patterns.append(filter.string("Pattern").value_or(QString()));
        });
        s.filterPatterns = patterns;
    }
    s.parallelizationFactor = f.integer("ParallelizationFactor");
    s.maximumRetryAttempts = f.integer("MaximumRetryAttempts");
    s.maximumRecordAgeInSeconds = f.integer("MaximumRecordAgeInSeconds");
    s.bisectBatchOnFunctionError = f.boolean("BisectBatchOnFunctionError");
    s.tumblingWindowInSeconds = f.integer("TumblingWindowInSeconds");
    JsonFields destinations = f.object("DestinationConfig");
    JsonFields onFailure = destinations.object("OnFailure");
    if (onFailure.isSet())
        s.onFailureDestination = onFailure.string("Destination").value_or(QString());
    JsonFields onSuccess = destinations.object("OnSuccess");
    const bool onSuccessSet = onSuccess.isSet() && onSuccess.string("Destination").has_value();
    if (create) {
        s.eventSourceArn = f.string("EventSourceArn");
        s.startingPosition = f.string("StartingPosition");
        s.startingPositionTimestamp = f.number("StartingPositionTimestamp");
        s.tags = f.stringMap("Tags");
    }
    // The sources Tarmac has no service for: their settings are refused once their types pass.
    bool unsupported = false;
    for (const char *key : {"Topics", "Queues"})
        unsupported |= f.stringList(key).has_value();
    for (const char *key : {"SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig",
             "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig", "MetricsConfig",
             "ProvisionedPollerConfig"})
        unsupported |= f.object(key).isSet();
    (void)f.forEachObject("SourceAccessConfigurations", [&unsupported](JsonFields &access) {
        (void)access.string("Type");
        (void)access.string("URI");
        unsupported = true;
    });
    (void)f.string("KMSKeyArn");
    if (!f.ok())
        return fieldError(f);
    if (onSuccessSet)
        return invalidParameter(QStringLiteral("Unsupported DestinationConfig parameter for given "
                                               "event source mapping type."));
    if (unsupported)
        return invalidParameter(
            QStringLiteral("Tarmac's event-source mappings read SQS queues and "
                           "Kinesis and DynamoDB streams only: Kafka, Amazon MQ "
                           "and DocumentDB settings are not supported"));
    return out;
}

Result<QMap<QString, QString>> tags(const Json &body)
{
    JsonFields f(body);
    std::optional<QMap<QString, QString>> tags = f.stringMap("Tags");
    if (!f.ok())
        return fieldError(f);
    if (!tags)
        return invalidParameter(QStringLiteral("Tags is required"));
    return std::move(*tags);
}

Result<InvocationType> invocationType(const HttpRequest &request)
{
    const QByteArray type = request.header("x-amz-invocation-type");
    if (type.isEmpty() || type == "RequestResponse")
        return InvocationType::RequestResponse;
    if (type == "Event")
        return InvocationType::Event;
    if (type == "DryRun")
        return InvocationType::DryRun;
    return invalidParameter(QStringLiteral("1 validation error detected: Value '%1' at "
                                           "'invocationType' failed to satisfy constraint: Member "
                                           "must satisfy enum value set: [Event, RequestResponse, "
                                           "DryRun]")
                                .arg(QString::fromUtf8(type.left(100))));
}

Result<bool> tailLogs(const HttpRequest &request)
{
    const QByteArray logType = request.header("x-amz-log-type");
    if (logType.isEmpty() || logType == "None")
        return false;
    if (logType == "Tail")
        return true;
    return invalidParameter(QStringLiteral("1 validation error detected: Value '%1' at 'logType' "
                                           "failed to satisfy constraint: Member must satisfy enum "
                                           "value set: [None, Tail]")
                                .arg(QString::fromUtf8(logType.left(100))));
}

Result<QByteArray> invokePayload(const HttpRequest &request, InvocationType type)
{
    const bool async = type == InvocationType::Event;
    const qint64 limit = async ? kMaxAsyncPayload : kMaxSyncPayload;
    if (request.body.size() > limit)
        return makeError(QStringLiteral("RequestEntityTooLargeException"),
            QStringLiteral("Request must be smaller than %1 bytes for the %2 "
                           "operation")
                .arg(limit)
                .arg(async ? QStringLiteral("InvokeAsync") : QStringLiteral("InvokeFunction")),
            413);
    QByteArray payload = request.body.toByteArray();
    if (payload.trimmed().isEmpty())
        return QByteArrayLiteral("{}");
    if (auto parsed = parseJson(payload); !parsed)
        return makeError(QStringLiteral("InvalidRequestContentException"),
            QStringLiteral("Could not parse request body into json: Could not parse "
                           "payload into json: %1")
                .arg(parsed.error().message.left(300)),
            400);
    return payload;
}

} // namespace tarmac::lambdarequests
