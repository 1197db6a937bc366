#include "services/eventsourcemappings.h"

#include "base/clock.h"
#include "base/ids.h"
#include "functions/delivery.h"
#include "store/store.h"

#include <QRegularExpression>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    { 1, R"(
CREATE TABLE event_source_mappings (
    uuid TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
)" },
};

const QString kReportBatchItemFailures = QStringLiteral("ReportBatchItemFailures");

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

// AWS's wording for a value outside its model's range.
Result<void> checkRange(const std::optional<int> &value, const char *member, int min, int max)
{
    if (!value)
        return {};
    const auto message = [&](const QString &constraint) {
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to "
                                      "satisfy constraint: Member must have value %3")
                               .arg(*value)
                               .arg(QLatin1String(member), constraint));
    };
    if (*value < min)
        return message(QStringLiteral("greater than or equal to %1").arg(min));
    if (*value > max)
        return message(QStringLiteral("less than or equal to %1").arg(max));
    return {};
}

} // namespace

Result<void> EventSourceMappings::checkRequest(const EventSourceMappingRequest &r)
{
    const std::pair<const std::optional<int> *, std::tuple<const char *, int, int>> ranges[] = {
        { &r.batchSize, { "batchSize", 1, 10000 } },
        { &r.maximumBatchingWindowInSeconds, { "maximumBatchingWindowInSeconds", 0, 300 } },
        { &r.parallelizationFactor, { "parallelizationFactor", 1, 10 } },
        { &r.maximumRetryAttempts, { "maximumRetryAttempts", -1, 10000 } },
        { &r.maximumRecordAgeInSeconds, { "maximumRecordAgeInSeconds", -1, 604800 } },
        { &r.tumblingWindowInSeconds, { "tumblingWindowInSeconds", 0, 900 } },
    };
    for (const auto &[value, limits] : ranges) {
        const auto &[member, min, max] = limits;
        if (auto c = checkRange(*value, member, min, max); !c)
            return c;
    }
    // ScalingConfig: {} removes the setting; a value must be within 2 to 1000.
    if (r.maximumConcurrency && *r.maximumConcurrency != 0) {
        if (auto c = checkRange(r.maximumConcurrency, "scalingConfig.maximumConcurrency", 2, 1000); !c)
            return c;
    }
    if (r.maximumRecordAgeInSeconds && *r.maximumRecordAgeInSeconds >= 0
        && *r.maximumRecordAgeInSeconds < 60)
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at "
                                      "'maximumRecordAgeInSeconds' failed to satisfy constraint: "
                                      "Member must have value greater than or equal to 60, or -1")
                               .arg(*r.maximumRecordAgeInSeconds));
    if (r.startingPosition && *r.startingPosition != QLatin1String("TRIM_HORIZON")
        && *r.startingPosition != QLatin1String("LATEST")
        && *r.startingPosition != QLatin1String("AT_TIMESTAMP"))
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at "
                                      "'startingPosition' failed to satisfy constraint: Member must "
                                      "satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
                               .arg(r.startingPosition->left(100)));
    if (r.functionResponseTypes) {
        if (r.functionResponseTypes->size() > 1)
            return invalid(QStringLiteral("1 validation error detected: Value at "
                                          "'functionResponseTypes' failed to satisfy constraint: "
                                          "Member must have length less than or equal to 1"));
        for (const QString &type : *r.functionResponseTypes) {
            if (type != kReportBatchItemFailures)
                return invalid(QStringLiteral("1 validation error detected: Value '[%1]' at "
                                              "'functionResponseTypes' failed to satisfy "
                                              "constraint: Member must satisfy constraint: [Member "
                                              "must satisfy enum value set: "
                                              "[ReportBatchItemFailures]]")
                                       .arg(type.left(100)));
        }
    }
    if (r.filterPatterns) {
        for (const QString &pattern : *r.filterPatterns) {
            auto parsed = parseJson(pattern.toUtf8());
            if (pattern.size() > 4096 || !parsed || !parsed->is_object())
                return invalid(QStringLiteral("Invalid filter pattern definition."));
        }
    }
    if (r.onFailureDestination && !r.onFailureDestination->isEmpty()
        && !r.onFailureDestination->startsWith(QLatin1String("arn:")))
        return invalid(QStringLiteral("The destination ARN %1 is invalid.").arg(r.onFailureDestination->left(350)));
    return {};
}

namespace {

// What a request sets, laid over a mapping (a new one's defaults, or the current one).
void apply(EventSourceMapping &m, const EventSourceMappingRequest &r)
{
    m.enabled = r.enabled.value_or(m.enabled);
    m.batchSize = r.batchSize.value_or(m.batchSize);
    m.maximumBatchingWindowInSeconds
            = r.maximumBatchingWindowInSeconds.value_or(m.maximumBatchingWindowInSeconds);
    m.startingPosition = r.startingPosition.value_or(m.startingPosition);
    if (r.startingPositionTimestamp)
        m.startingPositionTimestamp = r.startingPositionTimestamp;
    m.functionResponseTypes = r.functionResponseTypes.value_or(m.functionResponseTypes);
    m.maximumConcurrency = r.maximumConcurrency.value_or(m.maximumConcurrency);
    m.filterPatterns = r.filterPatterns.value_or(m.filterPatterns);
    if (r.parallelizationFactor)
        m.parallelizationFactor = r.parallelizationFactor;
    if (r.maximumRetryAttempts)
        m.maximumRetryAttempts = r.maximumRetryAttempts;
    if (r.maximumRecordAgeInSeconds)
        m.maximumRecordAgeInSeconds = r.maximumRecordAgeInSeconds;
    if (r.bisectBatchOnFunctionError)
        m.bisectBatchOnFunctionError = r.bisectBatchOnFunctionError;
    if (r.tumblingWindowInSeconds)
        m.tumblingWindowInSeconds = r.tumblingWindowInSeconds;
    if (r.onFailureDestination)
        m.onFailureDestination = r.onFailureDestination;
}

// AWS's rules for the kind of source: defaults, and what a queue or a stream refuses.
Result<void> applyKindRules(EventSourceMapping &m, EventSource::Kind kind)
{
    if (kind == EventSource::Kind::Queue) {
        if (!m.startingPosition.isEmpty() || m.startingPositionTimestamp)
            return invalid(QStringLiteral("StartingPosition is not valid for SQS event sources."));
        const std::pair<bool, const char *> streamOnly[] = {
            { m.parallelizationFactor.has_value(), "ParallelizationFactor" },
            { m.maximumRetryAttempts.has_value(), "MaximumRetryAttempts" },
            { m.maximumRecordAgeInSeconds.has_value(), "MaximumRecordAgeInSeconds" },
            { m.bisectBatchOnFunctionError.has_value(), "BisectBatchOnFunctionError" },
            { m.tumblingWindowInSeconds.has_value(), "TumblingWindowInSeconds" },
            { m.onFailureDestination.has_value(), "DestinationConfig" },
        };
        for (const auto &[set, name] : streamOnly) {
            if (set)
                return invalid(QStringLiteral("Unsupported %1 parameter for given event source "
                                              "mapping type.")
                                       .arg(QLatin1String(name)));
        }
        if (m.batchSize == 0)
            m.batchSize = 10;
        if (m.batchSize > 10 && m.maximumBatchingWindowInSeconds == 0)
            return invalid(QStringLiteral("Maximum batch window in seconds must be greater than 0 "
                                          "if maximum batch size is greater than 10"));
        return {};
    }
    if (m.startingPosition.isEmpty())
        return invalid(QStringLiteral("1 validation error detected: Value null at "
                                      "'startingPosition' failed to satisfy constraint: Member "
                                      "must not be null."));
    if (m.startingPosition == QLatin1String("AT_TIMESTAMP") && !m.startingPositionTimestamp)
        return invalid(QStringLiteral("StartingPositionTimestamp must be provided when "
                                      "StartingPosition is AT_TIMESTAMP."));
    if (m.maximumConcurrency != 0)
        return invalid(QStringLiteral("Unsupported ScalingConfig parameter for given event "
                                      "source mapping type."));
    if (m.batchSize == 0)
        m.batchSize = 100;
    m.parallelizationFactor = m.parallelizationFactor.value_or(1);
    m.maximumRetryAttempts = m.maximumRetryAttempts.value_or(-1);
    m.maximumRecordAgeInSeconds = m.maximumRecordAgeInSeconds.value_or(-1);
    m.bisectBatchOnFunctionError = m.bisectBatchOnFunctionError.value_or(false);
    m.tumblingWindowInSeconds = m.tumblingWindowInSeconds.value_or(0);
    m.onFailureDestination = m.onFailureDestination.value_or(QString());
    return {};
}

// AWS's answer when the service of an ARN has no source here: what it says for a queue or
// stream that does not exist, or that it knows no such kind of source.
Error noSource(const QString &arn, const QString &service)
{
    if (service == QLatin1String("sqs"))
        return invalid(QStringLiteral("Error occurred while ReceiveMessage. SQS Error Code: "
                                      "AWS.SimpleQueueService.NonExistentQueue. SQS Error "
                                      "Message: The specified queue does not exist for this wsdl "
                                      "version."));
    if (service == QLatin1String("kinesis") || service == QLatin1String("dynamodb"))
        return invalid(QStringLiteral("Stream not found: %1").arg(arn));
    return invalid(QStringLiteral("Unrecognized event source, must be kinesis, dynamodb stream "
                                  "or sqs. Unsupported source arn : %1")
                           .arg(arn.left(300)));
}

QString serviceOf(const QString &arn)
{
    return arn.section(u':', 2, 2);
}

std::string str(const Json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template<typename T>
std::optional<T> opt(const Json &j, const char *key)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return std::nullopt;
    if constexpr (std::is_same_v<T, bool>) {
        if (it->is_boolean())
            return it->get<bool>();
    } else if (it->is_number()) {
        return it->get<T>();
    }
    return std::nullopt;
}

QStringList strings(const Json &j, const char *key)
{
    QStringList out;
    auto it = j.find(key);
    if (it != j.end() && it->is_array()) {
        for (const Json &v : *it) {
            if (v.is_string())
                out.append(fromStd(v.get<std::string>()));
        }
    }
    return out;
}

} // namespace

bool EventSourceMapping::reportsBatchItemFailures() const
{
    return functionResponseTypes.contains(kReportBatchItemFailures);
}

QString EventSourceMapping::functionName() const
{
    return functionArn.section(u':', 6, 6);
}

QString EventSourceMapping::qualifier() const
{
    return functionArn.section(u':', 7, 7);
}

QString EventSourceMapping::sourceService() const
{
    return serviceOf(eventSourceArn);
}

EventSourceMappings::EventSourceMappings(Store *store, const Clock *clock, QString region,
                                         QString accountId, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{
}

EventSourceMappings::~EventSourceMappings() = default;

Error EventSourceMappings::notFound()
{
    return makeError(QStringLiteral("ResourceNotFoundException"),
                     QStringLiteral("The resource you requested does not exist."), 404);
}

Result<void> EventSourceMappings::open()
{
    if (auto r = m_store->migrateModule(QStringLiteral("event_source_mappings"), kMigrations); !r)
        return r;
    QMap<QString, EventSourceMapping> loaded;
    auto r = m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("SELECT document FROM event_source_mappings");
        if (!s)
            return s.error();
        return s->forEachRow([&] {
            auto json = parseJson(s->text(0).toUtf8());
            if (!json || !json->is_object())
                return;
            EventSourceMapping m = fromDocument(*json);
            if (!m.uuid.isEmpty())
                loaded.insert(m.uuid, std::move(m));
        });
    });
    if (!r)
        return r;
    QMutexLocker lock(&m_mutex);
    m_mappings = std::move(loaded);
    return {};
}

void EventSourceMappings::addSource(EventSource *source)
{
    {
        QMutexLocker lock(&m_mutex);
        m_sources.insert(source->service(), source);
    }
    emit sourcesChanged();
}

void EventSourceMappings::removeSource(EventSource *source)
{
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_sources.find(source->service());
        if (it == m_sources.end() || *it != source)
            return;
        m_sources.erase(it);
    }
    emit sourcesChanged();
}

EventSource *EventSourceMappings::sourceFor(const QString &eventSourceArn) const
{
    QMutexLocker lock(&m_mutex);
    return m_sources.value(serviceOf(eventSourceArn));
}

void EventSourceMappings::wake(const QString &eventSourceArn)
{
    emit sourceReady(eventSourceArn);
}

Result<void> EventSourceMappings::validate(EventSourceMapping &m, const EventSource *source) const
{
    if (auto r = applyKindRules(m, source->kind()); !r)
        return r;
    return source->check(m);
}

Result<EventSourceMapping> EventSourceMappings::create(const QString &functionArn,
                                                       const EventSourceMappingRequest &request)
{
    if (auto r = checkRequest(request); !r)
        return r.error();
    const QString arn = request.eventSourceArn.value_or(QString());
    if (arn.isEmpty())
        return invalid(QStringLiteral("Unrecognized event source."));
    static const QRegularExpression arnPattern(QStringLiteral(
            R"(^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$)"));
    if (!arnPattern.match(arn).hasMatch())
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at 'eventSourceArn' "
                                      "failed to satisfy constraint: Member must satisfy regular "
                                      "expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:"
                                      "([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)")
                               .arg(arn.left(300)));
    const EventSource *source = sourceFor(arn);
    if (!source)
        return noSource(arn, serviceOf(arn));

    EventSourceMapping m;
    m.uuid = QString::fromLatin1(newRequestId());
    m.eventSourceArn = arn;
    m.functionArn = functionArn;
    m.tags = request.tags.value_or(QMap<QString, QString>());
    apply(m, request);
    if (auto r = validate(m, source); !r)
        return r.error();
    m.state = m.enabled ? QStringLiteral("Enabled") : QStringLiteral("Disabled");
    m.createdNs = m.lastModifiedNs = m_clock->nowNs();
    {
        QMutexLocker lock(&m_mutex);
        for (const EventSourceMapping &other : std::as_const(m_mappings)) {
            if (other.eventSourceArn != m.eventSourceArn || other.functionArn != m.functionArn)
                continue;
            if (source->kind() == EventSource::Kind::Queue)
                return makeError(QStringLiteral("ResourceConflictException"),
                                 QStringLiteral("An event source mapping with SQS arn (\" %1 \") "
                                                "and function (\" %2 \") already exists. Please "
                                                "update or delete the existing mapping with UUID %3")
                                         .arg(arn, m.functionName(), other.uuid),
                                 409);
            return makeError(QStringLiteral("ResourceConflictException"),
                             QStringLiteral("The event source arn (\" %1 \") and function (\" %2 \") "
                                            "provided mapping already exists. Please update or "
                                            "delete the existing mapping with UUID %3")
                                     .arg(arn, m.functionName(), other.uuid),
                             409);
        }
        if (auto r = persist(m); !r)
            return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
        m_mappings.insert(m.uuid, m);
    }
    emit mappingChanged(m.uuid);
    m.state = QStringLiteral("Creating");
    return m;
}

Result<EventSourceMapping> EventSourceMappings::get(const QString &uuid) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_mappings.constFind(uuid);
    if (it == m_mappings.cend())
        return notFound();
    return *it;
}

QList<EventSourceMapping> EventSourceMappings::list() const
{
    QList<EventSourceMapping> all;
    {
        QMutexLocker lock(&m_mutex);
        all = m_mappings.values();
    }
    std::stable_sort(all.begin(), all.end(), [](const EventSourceMapping &a, const EventSourceMapping &b) {
        return a.createdNs < b.createdNs;
    });
    return all;
}

Result<EventSourceMapping> EventSourceMappings::update(const QString &uuid, const QString &functionArn,
                                                       const EventSourceMappingRequest &request)
{
    if (auto r = checkRequest(request); !r)
        return r.error();
    EventSourceMapping m;
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_mappings.constFind(uuid);
        if (it == m_mappings.cend())
            return notFound();
        m = *it;
    }
    const bool wasEnabled = m.enabled;
    if (!functionArn.isEmpty())
        m.functionArn = functionArn;
    apply(m, request);
    const EventSource *source = sourceFor(m.eventSourceArn);
    if (source) {
        if (auto r = validate(m, source); !r)
            return r.error();
    } else if (auto r = checkRange(m.batchSize, "batchSize", 1, 10000); !r) {
        return r.error(); // the source's module is not running: only the model's checks
    }
    m.state = m.enabled ? QStringLiteral("Enabled") : QStringLiteral("Disabled");
    m.stateTransitionReason = QStringLiteral("USER_INITIATED");
    m.lastModifiedNs = m_clock->nowNs();
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_mappings.find(uuid);
        if (it == m_mappings.end())
            return notFound();
        m.lastProcessingResult = it->lastProcessingResult;
        if (auto r = persist(m); !r)
            return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
        *it = m;
    }
    emit mappingChanged(uuid);
    m.state = m.enabled == wasEnabled ? QStringLiteral("Updating")
            : m.enabled              ? QStringLiteral("Enabling")
                                     : QStringLiteral("Disabling");
    return m;
}

Result<EventSourceMapping> EventSourceMappings::remove(const QString &uuid)
{
    EventSourceMapping m;
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_mappings.find(uuid);
        if (it == m_mappings.end())
            return notFound();
        auto r = m_store->write([&](Database &db) -> Result<void> {
            auto s = db.prepare("DELETE FROM event_source_mappings WHERE uuid = ?1");
            if (!s)
                return s.error();
            s->bind(1, uuid);
            return s->exec();
        });
        if (!r)
            return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
        m = *it;
        m_mappings.erase(it);
    }
    emit mappingChanged(uuid);
    m.state = QStringLiteral("Deleting");
    return m;
}

void EventSourceMappings::setLastProcessingResult(const QString &uuid, const QString &result)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_mappings.find(uuid);
    if (it != m_mappings.end())
        it->lastProcessingResult = result;
}

Result<void> EventSourceMappings::persist(const EventSourceMapping &m)
{
    const QByteArray doc = toJsonBytes(toDocument(m));
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("INSERT INTO event_source_mappings (uuid, document) VALUES (?1, ?2) "
                            "ON CONFLICT(uuid) DO UPDATE SET document = excluded.document");
        if (!s)
            return s.error();
        s->bind(1, m.uuid).bind(2, std::string_view(doc.constData(), size_t(doc.size())));
        return s->exec();
    });
}

Json EventSourceMappings::toJson(const EventSourceMapping &m) const
{
    Json j = {
        { "UUID", toStd(m.uuid) },
        { "BatchSize", m.batchSize },
        { "MaximumBatchingWindowInSeconds", m.maximumBatchingWindowInSeconds },
        { "EventSourceArn", toStd(m.eventSourceArn) },
        { "FunctionArn", toStd(m.functionArn) },
        { "LastModified", double(m.lastModifiedNs / 1'000'000) / 1e3 },
        { "LastProcessingResult", toStd(m.lastProcessingResult) },
        { "State", toStd(m.state) },
        { "StateTransitionReason", toStd(m.stateTransitionReason) },
        { "EventSourceMappingArn",
          toStd(QStringLiteral("arn:aws:lambda:%1:%2:event-source-mapping:%3")
                        .arg(m_region, m_accountId, m.uuid)) },
    };
    Json types = Json::array();
    for (const QString &t : m.functionResponseTypes)
        types.push_back(toStd(t));
    j["FunctionResponseTypes"] = types;
    if (!m.startingPosition.isEmpty())
        j["StartingPosition"] = toStd(m.startingPosition);
    if (m.startingPositionTimestamp)
        j["StartingPositionTimestamp"] = *m.startingPositionTimestamp;
    if (m.maximumConcurrency > 0)
        j["ScalingConfig"] = { { "MaximumConcurrency", m.maximumConcurrency } };
    if (!m.filterPatterns.isEmpty()) {
        Json filters = Json::array();
        for (const QString &p : m.filterPatterns)
            filters.push_back({ { "Pattern", toStd(p) } });
        j["FilterCriteria"] = { { "Filters", filters } };
    }
    if (m.parallelizationFactor)
        j["ParallelizationFactor"] = *m.parallelizationFactor;
    if (m.maximumRetryAttempts)
        j["MaximumRetryAttempts"] = *m.maximumRetryAttempts;
    if (m.maximumRecordAgeInSeconds)
        j["MaximumRecordAgeInSeconds"] = *m.maximumRecordAgeInSeconds;
    if (m.bisectBatchOnFunctionError)
        j["BisectBatchOnFunctionError"] = *m.bisectBatchOnFunctionError;
    if (m.tumblingWindowInSeconds)
        j["TumblingWindowInSeconds"] = *m.tumblingWindowInSeconds;
    if (m.onFailureDestination) {
        Json onFailure = Json::object();
        if (!m.onFailureDestination->isEmpty())
            onFailure["Destination"] = toStd(*m.onFailureDestination);
        j["DestinationConfig"] = { { "OnFailure", onFailure } };
    }
    return j;
}

Json EventSourceMappings::toDocument(const EventSourceMapping &m) const
{
    Json j = toJson(m);
    j["Enabled"] = m.enabled;
    j["LastModifiedNs"] = m.lastModifiedNs;
    j["CreatedNs"] = m.createdNs;
    Json tags = Json::object();
    for (auto it = m.tags.cbegin(); it != m.tags.cend(); ++it)
        tags[toStd(it.key())] = toStd(it.value());
    j["Tags"] = tags;
    return j;
}

EventSourceMapping EventSourceMappings::fromDocument(const Json &j)
{
    EventSourceMapping m;
    m.uuid = fromStd(str(j, "UUID"));
    m.eventSourceArn = fromStd(str(j, "EventSourceArn"));
    m.functionArn = fromStd(str(j, "FunctionArn"));
    m.batchSize = opt<int>(j, "BatchSize").value_or(10);
    m.maximumBatchingWindowInSeconds = opt<int>(j, "MaximumBatchingWindowInSeconds").value_or(0);
    m.enabled = opt<bool>(j, "Enabled").value_or(true);
    m.state = m.enabled ? QStringLiteral("Enabled") : QStringLiteral("Disabled");
    m.stateTransitionReason = fromStd(str(j, "StateTransitionReason"));
    m.startingPosition = fromStd(str(j, "StartingPosition"));
    m.startingPositionTimestamp = opt<double>(j, "StartingPositionTimestamp");
    m.functionResponseTypes = strings(j, "FunctionResponseTypes");
    if (auto s = j.find("ScalingConfig"); s != j.end() && s->is_object())
        m.maximumConcurrency = opt<int>(*s, "MaximumConcurrency").value_or(0);
    if (auto f = j.find("FilterCriteria"); f != j.end() && f->is_object()) {
        if (auto filters = f->find("Filters"); filters != f->end() && filters->is_array()) {
            for (const Json &filter : *filters)
                m.filterPatterns.append(fromStd(str(filter, "Pattern")));
        }
    }
    m.parallelizationFactor = opt<int>(j, "ParallelizationFactor");
    m.maximumRetryAttempts = opt<int>(j, "MaximumRetryAttempts");
    m.maximumRecordAgeInSeconds = opt<int>(j, "MaximumRecordAgeInSeconds");
    m.bisectBatchOnFunctionError = opt<bool>(j, "BisectBatchOnFunctionError");
    m.tumblingWindowInSeconds = opt<int>(j, "TumblingWindowInSeconds");
    if (auto d = j.find("DestinationConfig"); d != j.end() && d->is_object()) {
        const Json onFailure = d->value("OnFailure", Json::object());
        m.onFailureDestination = fromStd(str(onFailure, "Destination"));
    }
    if (auto t = j.find("Tags"); t != j.end() && t->is_object()) {
        for (auto it = t->begin(); it != t->end(); ++it) {
            if (it->is_string())
                m.tags.insert(fromStd(it.key()), fromStd(it->get<std::string>()));
        }
    }
    m.lastModifiedNs = opt<qint64>(j, "LastModifiedNs").value_or(0);
    m.createdNs = opt<qint64>(j, "CreatedNs").value_or(m.lastModifiedNs);
    return m;
}

BatchOutcome batchOutcome(const EventSourceMapping &mapping, const EventBatch &batch,
                          const DeliveryResult &result)
{
    BatchOutcome out;
    const auto failed = [&out](QString why) {
        out.status = BatchOutcome::Status::Failed;
        out.error = std::move(why);
        return out;
    };
    if (!result.delivered) {
        if (result.errorType == QLatin1String("Tarmac.Dropped"))
            return out;
        return failed(result.errorType.isEmpty() ? result.errorMessage : result.errorType);
    }
    if (result.functionError)
        return failed(result.errorType.isEmpty() ? QStringLiteral("Unhandled") : result.errorType);
    if (!mapping.reportsBatchItemFailures() || result.payload.trimmed().isEmpty())
        return out;
    auto response = parseJson(result.payload);
    if (!response)
        return failed(QStringLiteral("the function's response is not JSON"));
    if (response->is_null())
        return out;
    if (!response->is_object())
        return failed(QStringLiteral("the function's response is not a batch response"));
    const auto failures = response->find("batchItemFailures");
    if (failures == response->end() || failures->is_null())
        return out;
    if (!failures->is_array())
        return failed(QStringLiteral("batchItemFailures is not a list"));
    QSet<QString> known;
    for (const EventRecord &r : batch.records)
        known.insert(r.itemId);
    for (const Json &failure : *failures) {
        const auto id = failure.is_object() ? failure.find("itemIdentifier") : failure.end();
        if (!failure.is_object() || id == failure.end() || !id->is_string() || id->get<std::string>().empty())
            return failed(QStringLiteral("a batchItemFailures entry has no itemIdentifier"));
        const QString itemId = fromStd(id->get<std::string>());
        if (!known.contains(itemId))
            return failed(QStringLiteral("itemIdentifier %1 is not in the batch").arg(itemId.left(100)));
        if (!out.failedItemIds.contains(itemId))
            out.failedItemIds.append(itemId);
    }
    if (!out.failedItemIds.isEmpty())
        out.status = BatchOutcome::Status::PartiallyFailed;
    return out;
}

namespace {

bool matchesObject(const Json &pattern, const Json &value);

// A nested field as the pattern sees it: an object, or a string holding one (an SQS body is
// JSON text, a Kinesis record's data is base64 of it).
std::optional<Json> asObject(const Json *value)
{
    if (!value)
        return std::nullopt;
    if (value->is_object())
        return *value;
    if (!value->is_string())
        return std::nullopt;
    const std::string &text = value->get_ref<const std::string &>();
    if (auto parsed = parseJson(std::string_view(text)); parsed && parsed->is_object())
        return *parsed;
    auto decoded = QByteArray::fromBase64Encoding(QByteArray::fromStdString(text),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (decoded) {
        if (auto parsed = parseJson(*decoded); parsed && parsed->is_object())
            return *parsed;
    }
    return std::nullopt;
}

bool numericMatch(const Json &conditions, double v)
{
    if (!conditions.is_array() || conditions.size() % 2 != 0 || conditions.empty())
        return false;
    for (size_t i = 0; i < conditions.size(); i += 2) {
        const Json &op = conditions[i];
        const Json &bound = conditions[i + 1];
        if (!op.is_string() || !bound.is_number())
            return false;
        const std::string &o = op.get_ref<const std::string &>();
        const double b = bound.get<double>();
        const bool ok = o == "=" ? v == b : o == ">" ? v > b : o == ">=" ? v >= b : o == "<" ? v < b
                : o == "<=" ? v <= b : false;
        if (!ok)
            return false;
    }
    return true;
}

// One value of a pattern's list against a field's value (null: the field is absent).
bool matchesRule(const Json &rule, const Json *value)
{
    if (rule.is_object() && rule.size() == 1) {
        const auto &[op, arg] = *rule.items().begin();
        if (op == "exists")
            return arg.is_boolean() && arg.get<bool>() == (value != nullptr);
        if (!value)
            return false;
        if (op == "anything-but") {
            if (arg.is_object())
                return !matchesRule(arg, value);
            if (arg.is_array())
                return std::none_of(arg.begin(), arg.end(), [&](const Json &a) { return matchesRule(a, value); });
            return !matchesRule(arg, value);
        }
        if (op == "numeric")
            return value->is_number() && numericMatch(arg, value->get<double>());
        if (!value->is_string() || !arg.is_string())
            return false;
        const QString v = fromStd(value->get<std::string>());
        const QString a = fromStd(arg.get<std::string>());
        if (op == "prefix")
            return v.startsWith(a);
        if (op == "suffix")
            return v.endsWith(a);
        if (op == "equals-ignore-case")
            return v.compare(a, Qt::CaseInsensitive) == 0;
        return false;
    }
    if (!value)
        return false;
    if (rule.is_number() && value->is_number())
        return rule.get<double>() == value->get<double>();
    return rule == *value;
}

bool matchesList(const Json &rules, const Json *value)
{
    const auto any = [&](const Json *v) {
        return std::any_of(rules.begin(), rules.end(), [&](const Json &r) { return matchesRule(r, v); });
    };
    if (value && value->is_array())
        return std::any_of(value->begin(), value->end(), [&](const Json &item) { return any(&item); });
    return any(value);
}

bool matchesObject(const Json &pattern, const Json &value)
{
    for (const auto &[key, rules] : pattern.items()) {
        const auto it = value.find(key);
        const Json *field = it == value.end() ? nullptr : &*it;
        if (rules.is_object()) {
            const std::optional<Json> nested = asObject(field);
            if (!nested || !matchesObject(rules, *nested))
                return false;
        } else if (!rules.is_array() || !matchesList(rules, field)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool matchesFilters(const QStringList &patterns, const Json &record)
{
    if (patterns.isEmpty())
        return true;
    for (const QString &text : patterns) {
        auto pattern = parseJson(text.toUtf8());
        if (pattern && pattern->is_object() && record.is_object() && matchesObject(*pattern, record))
            return true;
    }
    return false;
}

} // namespace tarmac
