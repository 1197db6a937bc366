#pragma once

#include "services/apigateway/apigatewayresources.h"
#include "services/apigateway/apimodel.h"
#include "services/servicemodule.h"

#include <QRecursiveMutex>
#include <QSet>

#include <memory>

class QNetworkAccessManager;

namespace tarmac {

class ApiGatewayPort;
class ApiManagementHandler;
class ManagedApis;

// API Gateway: the API port (default 3000, `--api-port`), where the application's HTTP
// routes are served; the APIs come from templates (SAM's Api/HttpApi and their function
// events, CloudFormation's RestApi/ApiGatewayV2 APIs with OpenAPI bodies). See
// ApiGatewayPort for how requests are addressed and answered.
class ApiGatewayModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit ApiGatewayModule(QObject *parent = nullptr);
    ~ApiGatewayModule() override;

    QString name() const override { return QStringLiteral("apigateway"); }
    QList<ServicePort> ports(const EngineContext &context) override;
    HttpHandler *edgeHandler() override;
    Result<void> start(const EngineContext &context) override;
    Result<void> reloadState() override;
    QList<SampleEvent> sampleEvents() const override;

    QList<const ResourceType *> resourceTypes() const override;
    QList<const FunctionEventType *> functionEventTypes() const override;
    Result<void> putResource(const StackResource &resource, const StackResource *previous) override;
    Result<QString> deleteResource(const StackResource &resource) override;

    // "https://ID.execute-api.REGION.amazonaws.com/STAGE/…" → "http://HOST:PORT/_aws/
    // execute-api/ID/STAGE/…", which every client reaches (ID.execute-api.localhost does not
    // resolve outside browsers and curl).
    QString localUrl(const QString &value) const override;
    QList<CatalogKind> catalogKinds() const override;
    QList<CatalogEntry> catalog() const override;
    // A route's "send request": its method (GET for ANY) to its path with the parameters
    // filled in, through the API port; the answer goes to the log and the timeline.
    Result<QString> runAction(
        const QString &kind, const QString &name, const QString &action) override;
    Result<QString> runActionWith(const QString &kind, const QString &name, const QString &action,
        const QMap<QString, QString> &fields) override;

private:
    struct Stage
    {
        QString name;
        QMap<QString, QString> variables;
    };
    // Rebuilds what the port serves from the APIs and stages, and says new conflicts.
    void publish();
    void fetchKeys(const QString &url);
    // "http://127.0.0.1:3000/_aws/execute-api/ID/STAGE/": where an API answers on any client.
    QString apiUrl(const ApiDefinition &api) const;

    std::unique_ptr<ApiGatewayPort> m_port;
    std::unique_ptr<ManagedApis> m_managed;
    std::unique_ptr<ApiManagementHandler> m_management;
    // Guards what publish() reads: the management API changes its APIs on I/O threads.
    mutable QRecursiveMutex m_lock;
    QList<ApiDefinition> m_apis; // in the order they were put
    QHash<QString, QString> m_stageResources; // a stage's logical id → its API id
    QHash<QString, Stage> m_stages; // by API id
    QHash<QString, QString> m_apiKeys; // an API key's logical id → its value
    QHash<QString, apigatewayresources::ApiPart> m_parts; // by logical id
    QHash<QString, std::shared_ptr<const Json>> m_jwks; // JWT keys fetched, by URL
    QSet<QString> m_fetching;
    QNetworkAccessManager *m_network = nullptr;
    QStringList m_conflicts; // said already
    QString m_region;
    QUrl m_portUrl;
};

} // namespace tarmac
