#include "services/dynamodb/dynamodbmodule.h"

#include "services/dynamodb/ddbapi.h"
#include "services/dynamodb/ddbresources.h"
#include "services/dynamodb/ddbsearch.h"
#include "services/dynamodb/ddbstreamsource.h"
#include "services/dynamodb/dynamodb.h"
#include "services/eventsourcemappings.h"

#include <QFile>
#include <QLocale>

#include <algorithm>
#include <climits>

namespace tarmac {

namespace {

const QString kTableKind = QStringLiteral("table");
constexpr qint64 kTrimIntervalNs = 3600LL * 1'000'000'000;

Error notRunning()
{
    return makeError(QStringLiteral("ServiceUnavailable"),
        QStringLiteral("the dynamodb module has not started"), 503);
}

QString bytesText(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace

DynamoDbModule::DynamoDbModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<DynamoDbJsonApi>(false))
{ }

DynamoDbModule::~DynamoDbModule()
{
    stop();
}

HttpHandler *DynamoDbModule::edgeHandler()
{
    return m_api.get();
}

Result<void> DynamoDbModule::start(const EngineContext &context)
{
    m_clock = context.clock;
    m_model = std::make_unique<DynamoDb>(context.region, context.accountId, context.clock);
    if (auto r = m_model->open(context.store); !r)
        return r;
    m_source
        = std::make_unique<DdbStreamSource>(m_model.get(), context.clock, context.messageTargets);
    m_mappings = context.mappings;
    if (m_mappings) {
        m_mappings->addSource(m_source.get());
        EventSourceMappings *mappings = m_mappings;
        m_model->setStreamWritten([mappings](const QString &arn) { mappings->wake(arn); });
    }
    m_model->setExpiryAdded([this](qint64 seconds) { armExpiry(seconds); });
    if (const auto next = m_model->nextExpiry())
        armExpiry(*next);
    m_trimTimer = m_clock->scheduleAfter(kTrimIntervalNs, this, [this] { trimStreams(); });
    m_api->attach(m_model.get());
    return {};
}

void DynamoDbModule::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    if (m_mappings && m_source)
        m_mappings->removeSource(m_source.get());
    m_mappings = nullptr;
    if (m_clock) {
        QMutexLocker lock(&m_timerMutex);
        m_clock->cancel(m_expiryTimer);
        m_clock->cancel(m_trimTimer);
        m_expiryTimer = m_trimTimer = 0;
    }
}

Result<void> DynamoDbModule::reloadState()
{
    if (m_stopped || !m_model)
        return {};
    // The TTL timer was armed for an item of the old rows.
    {
        QMutexLocker lock(&m_timerMutex);
        if (m_expiryTimer)
            m_clock->cancel(m_expiryTimer);
        m_expiryTimer = 0;
        m_expiryDue = 0;
    }
    // The streams before and after: a mapping on a stream that went learns it, one on a
    // stream that came back polls it again.
    QStringList streams;
    const auto collect = [&] {
        for (const auto &t : m_model->tables()) {
            if (t->streamEnabled)
                streams.append(t->streamArn(m_model->region(), m_model->accountId()));
        }
    };
    collect();
    const Result<void> loaded = m_model->reload();
    collect();
    streams.removeDuplicates();
    // Even when the rows could not all be read, no position from the old rows may stay.
    m_source->reload();
    if (const auto next = m_model->nextExpiry())
        armExpiry(*next);
    if (m_mappings) {
        for (const QString &arn : std::as_const(streams))
            m_mappings->wake(arn);
    }
    return loaded;
}

void DynamoDbModule::armExpiry(qint64 seconds)
{
    QMutexLocker lock(&m_timerMutex);
    if (m_stopped || (m_expiryDue != 0 && m_expiryDue <= seconds))
        return;
    if (m_expiryTimer)
        m_clock->cancel(m_expiryTimer);
    m_expiryDue = seconds;
    m_expiryTimer = m_clock->scheduleAt(seconds * 1'000'000'000, this, [this] { expire(); });
}

void DynamoDbModule::expire()
{
    {
        QMutexLocker lock(&m_timerMutex);
        m_expiryTimer = 0;
        m_expiryDue = 0;
    }
    if (m_stopped || !m_model)
        return;
    auto removed = m_model->expireDue();
    if (!removed) {
        qWarning("dynamodb: TTL expiry failed: %s", qPrintable(removed.error().message));
        return;
    }
    if (*removed > 0)
        qInfo("dynamodb: TTL expired %d item%s", *removed, *removed == 1 ? "" : "s");
    if (const auto next = m_model->nextExpiry())
        armExpiry(*next);
}

void DynamoDbModule::trimStreams()
{
    if (m_stopped || !m_model)
        return;
    (void)m_model->trimStreams();
    QMutexLocker lock(&m_timerMutex);
    m_trimTimer = m_clock->scheduleAfter(kTrimIntervalNs, this, [this] { trimStreams(); });
}

QList<SampleEvent> DynamoDbModule::sampleEvents() const
{
    SampleEvent e;
    e.source = QStringLiteral("dynamodb-update");
    e.description = QStringLiteral("A DynamoDB stream batch: an INSERT, a MODIFY and a REMOVE");
    e.options = {{QStringLiteral("table"), QStringLiteral("The table (ExampleTable).")},
        {QStringLiteral("region"), QStringLiteral("The region (us-east-1).")}};
    e.generate = [](const QMap<QString, QString> &o) -> Result<QByteArray> {
        const std::string table
            = o.value(QStringLiteral("table"), QStringLiteral("ExampleTable")).toStdString();
        const std::string region
            = o.value(QStringLiteral("region"), QStringLiteral("us-east-1")).toStdString();
        const std::string arn = "arn:aws:dynamodb:" + region + ":000000000000:table/" + table
            + "/stream/2024-01-01T00:00:00.000";
        const auto record = [&](const char *name, int seq, Json change) {
            change["ApproximateCreationDateTime"] = 1704067200;
            change["Keys"] = {{"Id", {{"N", "101"}}}};
            change["SequenceNumber"]
                = QStringLiteral("%1").arg(seq, 21, 10, QLatin1Char('0')).toStdString();
            change["SizeBytes"] = 26;
            change["StreamViewType"] = "NEW_AND_OLD_IMAGES";
            return Json {{"eventID", std::to_string(seq)}, {"eventName", name},
                {"eventVersion", "1.1"}, {"eventSource", "aws:dynamodb"}, {"awsRegion", region},
                {"dynamodb", change}, {"eventSourceARN", arn}};
        };
        const Json added = {{"Message", {{"S", "New item!"}}}, {"Id", {{"N", "101"}}}};
        const Json changed
            = {{"Message", {{"S", "This item has changed"}}}, {"Id", {{"N", "101"}}}};
        Json records = Json::array({record("INSERT", 1, {{"NewImage", added}}),
            record("MODIFY", 2, {{"OldImage", added}, {"NewImage", changed}}),
            record("REMOVE", 3, {{"OldImage", changed}})});
        return toJsonBytes(Json {{"Records", records}}, 2);
    };
    return {e};
}

QList<const ResourceType *> DynamoDbModule::resourceTypes() const
{
    return {&ddbresources::tableType(), &ddbresources::simpleTableType()};
}

QList<const FunctionEventType *> DynamoDbModule::functionEventTypes() const
{
    return {&ddbresources::dynamoDbEventType()};
}

Result<void> DynamoDbModule::putResource(
    const StackResource &resource, const StackResource *previous)
{
    if (resource.type != QLatin1String("AWS::DynamoDB::Table")
        && resource.type != QLatin1String("AWS::Serverless::SimpleTable"))
        return ServiceModule::putResource(resource, previous);
    if (!m_model)
        return notRunning();
    auto request
        = ddbresources::createTableRequest(resource.type, resource.physicalId, resource.properties);
    if (!request)
        return request.error();
    const QString arn = QStringLiteral("arn:aws:dynamodb:%1:%2:table/%3")
                            .arg(m_model->region(), m_model->accountId(), resource.physicalId);
    return m_model->putTable(
        *request, ddbresources::ttlAttribute(resource.properties), ddbresources::streamLabel(arn));
}

Result<QString> DynamoDbModule::deleteResource(const StackResource &resource)
{
    if (!m_model)
        return QStringLiteral("removed");
    auto r = m_model->deleteTableByName(resource.physicalId);
    if (!r && r.error().code != QLatin1String("ResourceNotFoundException"))
        return r.error();
    return r ? *r : QStringLiteral("removed");
}

QList<CatalogKind> DynamoDbModule::catalogKinds() const
{
    return {{kTableKind, tr("Tables"),
        tr("No tables yet: add an AWS::DynamoDB::Table to the template, or run aws dynamodb "
           "create-table --endpoint-url EDGE …")}};
}

QList<CatalogEntry> DynamoDbModule::catalog() const
{
    QList<CatalogEntry> out;
    if (!m_model)
        return out;
    const QLocale locale;
    for (const auto &t : m_model->tables()) {
        const auto [items, bytes] = m_model->counts(*t);
        CatalogEntry e;
        e.kind = kTableKind;
        e.name = t->name;
        e.arn = t->arn(m_model->region(), m_model->accountId());
        e.counts = {{QStringLiteral("items"), items}, {QStringLiteral("bytes"), bytes}};
        e.status = tr("%n item(s) · %1", nullptr, int(qMin<qint64>(items, INT_MAX)))
                       .arg(bytesText(bytes));
        QString key = QStringLiteral("%1 (%2)").arg(t->key.hashName, t->key.hashType);
        if (t->key.hasRange())
            key += QStringLiteral(", %1 (%2)").arg(t->key.rangeName, t->key.rangeType);
        e.properties = {{tr("Key"), key},
            {tr("Billing"),
                t->billingMode == QLatin1String("PAY_PER_REQUEST")
                    ? tr("on demand")
                    : tr("provisioned %1 read / %2 write")
                          .arg(t->readCapacity)
                          .arg(t->writeCapacity)}};
        QStringList indexes;
        for (const DdbIndex &i : t->indexes)
            indexes.append(QStringLiteral("%1 (%2, %3)")
                               .arg(i.name, i.global ? tr("global") : tr("local"),
                                   i.key.names().join(QStringLiteral(", "))));
        if (!indexes.isEmpty())
            e.properties.append({tr("Indexes"), indexes.join(QStringLiteral("; "))});
        if (t->streamEnabled)
            e.properties.append({tr("Stream"), t->streamViewType});
        if (!t->ttlAttribute.isEmpty())
            e.properties.append({tr("TTL attribute"), t->ttlAttribute});
        e.tooltip = e.arn;
        e.actions = {QStringLiteral("browse")};
        e.search = ddbsearch::fields(*t);
        out.append(e);
    }
    return out;
}

Result<CatalogPage> DynamoDbModule::browse(
    const QString &kind, const QString &name, const QString &after, int max) const
{
    if (kind != kTableKind)
        return ServiceModule::browse(kind, name, after, max);
    if (!m_model)
        return notRunning();
    const int limit = std::clamp(max, 1, 1000);
    auto items = m_model->browse(name, after, limit + 1);
    if (!items)
        return items.error();
    const auto table = findTable(name);
    CatalogPage page;
    page.truncated = items->size() > limit;
    for (qsizetype i = 0; i < std::min<qsizetype>(items->size(), limit); ++i) {
        const auto &[key, item] = items->at(i);
        page.items.append({key, qint64(item.dump().size()), 0,
            table ? ddbsearch::preview(*table, item) : QString()});
    }
    return page;
}

std::shared_ptr<const DdbTable> DynamoDbModule::findTable(const QString &name) const
{
    for (const auto &t : m_model->tables()) {
        if (t->name == name)
            return t;
    }
    return nullptr;
}

Result<CatalogPage> DynamoDbModule::search(const QString &kind, const QString &name,
    const QMap<QString, QString> &fields, const QString &after, int max) const
{
    if (kind != kTableKind)
        return ServiceModule::search(kind, name, fields, after, max);
    if (!m_model)
        return notRunning();
    if (const auto table = findTable(name))
        return ddbsearch::run(*m_model, *table, fields, after, max);
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("Requested resource not found: Table: %1 not found").arg(name));
}

Result<CatalogItemBody> DynamoDbModule::readItem(
    const QString &kind, const QString &name, const QString &key) const
{
    if (kind != kTableKind)
        return ServiceModule::readItem(kind, name, key);
    if (!m_model)
        return notRunning();
    DdbCallInfo info;
    auto keyJson = parseJson(key.toUtf8());
    if (!keyJson)
        return makeError(QStringLiteral("ValidationException"), tr("not a key: %1").arg(key));
    auto got = m_model->call(QStringLiteral("GetItem"),
        Json {{"TableName", name.toStdString()}, {"Key", *keyJson}}, info);
    if (!got)
        return got.error();
    if (!got->contains("Item"))
        return makeError(
            QStringLiteral("ResourceNotFoundException"), tr("no item has the key %1").arg(key));
    return CatalogItemBody {toJsonBytes((*got)["Item"], 2), QString()};
}

Result<void> DynamoDbModule::deleteItem(
    const QString &kind, const QString &name, const QString &key)
{
    if (kind != kTableKind)
        return ServiceModule::deleteItem(kind, name, key);
    if (!m_model)
        return notRunning();
    auto keyJson = parseJson(key.toUtf8());
    if (!keyJson)
        return makeError(QStringLiteral("ValidationException"), tr("not a key: %1").arg(key));
    DdbCallInfo info;
    auto r = m_model->call(QStringLiteral("DeleteItem"),
        Json {{"TableName", name.toStdString()}, {"Key", *keyJson}}, info);
    if (!r)
        return r.error();
    return {};
}

void DynamoDbModule::putItem(const QString &kind, const QString &name, const QString &key,
    const QString &file, std::function<void(Result<void>)> done)
{
    Q_UNUSED(key); // an item's key is in the item
    if (kind != kTableKind || !m_model) {
        ServiceModule::putItem(kind, name, key, file, std::move(done));
        return;
    }
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        done(makeError(QStringLiteral("ValidationException"),
            tr("cannot read %1: %2").arg(file, f.errorString())));
        return;
    }
    auto item = parseJson(f.read(1024 * 1024));
    if (!item || !item->is_object()) {
        done(makeError(QStringLiteral("ValidationException"),
            tr("%1 is not an item: a JSON object of attribute names to values such as "
               "{\"pk\": {\"S\": \"a\"}}")
                .arg(file)));
        return;
    }
    DdbCallInfo info;
    auto r = m_model->call(
        QStringLiteral("PutItem"), Json {{"TableName", name.toStdString()}, {"Item", *item}}, info);
    done(r ? Result<void>() : Result<void>(r.error()));
}

DynamoDbStreamsModule::DynamoDbStreamsModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<DynamoDbJsonApi>(true))
{ }

DynamoDbStreamsModule::~DynamoDbStreamsModule() = default;

HttpHandler *DynamoDbStreamsModule::edgeHandler()
{
    return m_api.get();
}

Result<void> DynamoDbStreamsModule::start(const EngineContext &context)
{
    auto *tables = context.module
        ? qobject_cast<DynamoDbModule *>(context.module(QStringLiteral("dynamodb")))
        : nullptr;
    if (!tables || !tables->model())
        return makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("DynamoDB Streams needs the dynamodb module, started first"), 503);
    m_api->attach(tables->model());
    return {};
}

} // namespace tarmac
