#pragma once

#include "base/clock.h"
#include "services/servicemodule.h"

#include <QMutex>

#include <memory>

namespace tarmac {

class DdbStreamSource;
struct DdbTable;
class DynamoDb;
class DynamoDbJsonApi;

// DynamoDB: tables on the edge port (DynamoDb holds them and their items in the state), each
// table's stream as an event source for functions (DdbStreamSource, registered with the
// engine's event-source mappings), TTL expiry on the engine's clock, AWS::DynamoDB::Table and
// AWS::Serverless::SimpleTable in templates with SAM's DynamoDB event, and tables in the
// resource catalog (their items to browse, search with Query and Scan, edit and delete).
// Wiring only.
class DynamoDbModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit DynamoDbModule(QObject *parent = nullptr);
    ~DynamoDbModule() override;

    QString name() const override { return QStringLiteral("dynamodb"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    void stop() override;
    Result<void> reloadState() override;
    QList<SampleEvent> sampleEvents() const override;

    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    QStringList eventSourceServices() const override { return {QStringLiteral("dynamodb")}; }
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    Result<CatalogPage> browse(
        const QString &kind, const QString &name, const QString &after, int max) const override;
    Result<CatalogItemBody> readItem(
        const QString &kind, const QString &name, const QString &key) const override;
    Result<void> deleteItem(const QString &kind, const QString &name, const QString &key) override;
    void putItem(const QString &kind, const QString &name, const QString &key, const QString &file,
        std::function<void(Result<void>)> done) override;
    Result<CatalogPage> search(const QString &kind, const QString &name,
        const QMap<QString, QString> &fields, const QString &after, int max) const override;

    // The model, for the streams API's module (null before start).
    DynamoDb *model() const { return m_model.get(); }

private:
    // The table named so, or null (after start).
    std::shared_ptr<const DdbTable> findTable(const QString &name) const;
    // TTL: a timer of the clock at the earliest expiry; re-armed when a write sets an earlier
    // one (any thread).
    void armExpiry(qint64 seconds);
    void expire();
    void trimStreams();

    std::unique_ptr<DynamoDbJsonApi> m_api;
    std::unique_ptr<DynamoDb> m_model;
    std::unique_ptr<DdbStreamSource> m_source;
    EventSourceMappings *m_mappings = nullptr;
    const Clock *m_clock = nullptr;
    QMutex m_timerMutex;
    Clock::TimerId m_expiryTimer = 0;
    qint64 m_expiryDue = 0; // seconds; 0: no timer
    Clock::TimerId m_trimTimer = 0;
    bool m_stopped = false;
};

// DynamoDB Streams' API (ListStreams, DescribeStream, GetShardIterator, GetRecords) on the
// edge port, over DynamoDbModule's model: clients that read streams themselves.
class DynamoDbStreamsModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit DynamoDbStreamsModule(QObject *parent = nullptr);
    ~DynamoDbStreamsModule() override;

    QString name() const override { return QStringLiteral("dynamodbstreams"); }
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;

private:
    std::unique_ptr<DynamoDbJsonApi> m_api;
};

} // namespace tarmac
