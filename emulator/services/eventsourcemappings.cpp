#include "services/eventsourcemappings.h"

#include "base/clock.h"
#include "base/ids.h"
#include "store/store.h"

#include <QRegularExpression>
#include <QSet>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"(
CREATE TABLE event_source_mappings (
    uuid TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
)"},
};

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

// A setting sent replaces the one kept; one not sent leaves it.
template<typename T>
void overlay(T &kept, const std::optional<T> &sent)
{
    if (sent)
        kept = *sent;
}

template<typename T>
void overlay(std::optional<T> &kept, const std::optional<T> &sent)
{
    if (sent)
        kept = sent;
}

// What a request sets, laid over a mapping (a new one's defaults, or the current one).
void apply(EventSourceMapping &m, const EventSourceMappingRequest &r)
{
    overlay(m.enabled, r.enabled);
    overlay(m.batchSize, r.batchSize);
    overlay(m.maximumBatchingWindowInSeconds, r.maximumBatchingWindowInSeconds);
    overlay(m.startingPosition, r.startingPosition);
    overlay(m.startingPositionTimestamp, r.startingPositionTimestamp);
    overlay(m.functionResponseTypes, r.functionResponseTypes);
    overlay(m.maximumConcurrency, r.maximumConcurrency);
    overlay(m.filterPatterns, r.filterPatterns);
    overlay(m.parallelizationFactor, r.parallelizationFactor);
    overlay(m.maximumRetryAttempts, r.maximumRetryAttempts);
    overlay(m.maximumRecordAgeInSeconds, r.maximumRecordAgeInSeconds);
    overlay(m.bisectBatchOnFunctionError, r.bisectBatchOnFunctionError);
    overlay(m.tumblingWindowInSeconds, r.tumblingWindowInSeconds);
    overlay(m.onFailureDestination, r.onFailureDestination);
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

EventSourceMappings::EventSourceMappings(
    Store *store, const Clock *clock, QString region, QString accountId, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

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
    return load();
}

Result<void> EventSourceMappings::reload()
{
    QSet<QString> uuids;
    {
        QMutexLocker lock(&m_mutex);
        for (auto it = m_mappings.cbegin(); it != m_mappings.cend(); ++it)
            uuids.insert(it.key());
    }
    if (auto r = load(); !r)
        return r;
    {
        QMutexLocker lock(&m_mutex);
        for (auto it = m_mappings.cbegin(); it != m_mappings.cend(); ++it)
            uuids.insert(it.key());
    }
    // The poller looks at each again: a gone one's slot goes, a new one is polled.
    for (const QString &uuid : std::as_const(uuids))
        emit mappingChanged(uuid);
    return {};
}

Result<void> EventSourceMappings::load()
{
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
    // Only when an enabled mapping reads the source: a send to a queue no function reads must
    // not wake the engine's thread.
    {
        QMutexLocker lock(&m_mutex);
        if (std::none_of(m_mappings.cbegin(), m_mappings.cend(), [&](const EventSourceMapping &m) {
                return m.enabled && m.eventSourceArn == eventSourceArn;
            }))
            return;
    }
    emit sourceReady(eventSourceArn);
}

Result<void> EventSourceMappings::validate(EventSourceMapping &m, const EventSource *source) const
{
    if (auto r = applyKindRules(m, source->kind()); !r)
        return r;
    return source->check(m);
}

Result<EventSourceMapping> EventSourceMappings::create(
    const QString &functionArn, const EventSourceMappingRequest &request)
{
    if (auto r = checkRequest(request); !r)
        return r.error();
    const QString arn = request.eventSourceArn.value_or(QString());
    if (arn.isEmpty())
        return invalid(QStringLiteral("Unrecognized event source."));
    static const QRegularExpression arnPattern(QStringLiteral(
        R"(^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$)"));
    if (!arnPattern.match(arn).hasMatch())
        return invalid(
            QStringLiteral("1 validation error detected: Value '%1' at 'eventSourceArn' "
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
            // AWS words it one way for a queue and another for a stream.
            const QString message = source->kind() == EventSource::Kind::Queue
                ? QStringLiteral("An event source mapping with SQS arn (\" %1 \") and function "
                                 "(\" %2 \") already exists. Please update or delete the "
                                 "existing mapping with UUID %3")
                : QStringLiteral("The event source arn (\" %1 \") and function (\" %2 \") "
                                 "provided mapping already exists. Please update or delete the "
                                 "existing mapping with UUID %3");
            return makeError(QStringLiteral("ResourceConflictException"),
                message.arg(arn, m.functionName(), other.uuid), 409);
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
    std::stable_sort(
        all.begin(), all.end(), [](const EventSourceMapping &a, const EventSourceMapping &b) {
            return a.createdNs < b.createdNs;
        });
    return all;
}

Result<EventSourceMapping> EventSourceMappings::update(
    const QString &uuid, const QString &functionArn, const EventSourceMappingRequest &request)
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
    // A source whose module is not running: only the model's checks, made above.
    if (const EventSource *source = sourceFor(m.eventSourceArn)) {
        if (auto r = validate(m, source); !r)
            return r.error();
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
        : m.enabled                   ? QStringLiteral("Enabling")
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
    if (EventSource *source = sourceFor(m.eventSourceArn))
        source->forget(m);
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
        {"UUID", toStd(m.uuid)},
        {"BatchSize", m.batchSize},
        {"MaximumBatchingWindowInSeconds", m.maximumBatchingWindowInSeconds},
        {"EventSourceArn", toStd(m.eventSourceArn)},
        {"FunctionArn", toStd(m.functionArn)},
        {"LastModified", double(m.lastModifiedNs / 1'000'000) / 1e3},
        {"LastProcessingResult", toStd(m.lastProcessingResult)},
        {"State", toStd(m.state)},
        {"StateTransitionReason", toStd(m.stateTransitionReason)},
        {"EventSourceMappingArn",
            toStd(QStringLiteral("arn:aws:lambda:%1:%2:event-source-mapping:%3")
                      .arg(m_region, m_accountId, m.uuid))},
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
        j["ScalingConfig"] = {{"MaximumConcurrency", m.maximumConcurrency}};
    if (!m.filterPatterns.isEmpty()) {
        Json filters = Json::array();
        for (const QString &p : m.filterPatterns)
            filters.push_back({{"Pattern", toStd(p)}});
        j["FilterCriteria"] = {{"Filters", filters}};
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
        j["DestinationConfig"] = {{"OnFailure", onFailure}};
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
    if (const std::string reason = str(j, "StateTransitionReason"); !reason.empty())
        m.stateTransitionReason = fromStd(reason);
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

} // namespace tarmac
