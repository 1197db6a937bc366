#pragma once

#include "services/servicemodule.h"

#include <memory>

namespace tarmac {

class ApiGatewayPort;

// API Gateway: declares the API port (default 3000, `--api-port`), where the application's
// HTTP routes are served. The management API on the edge port comes with the routes.
class ApiGatewayModule : public ServiceModule
{
    Q_OBJECT
public:
    explicit ApiGatewayModule(QObject *parent = nullptr);
    ~ApiGatewayModule() override;

    QString name() const override { return QStringLiteral("apigateway"); }
    QList<ServicePort> ports(const EngineContext &context) override;
    Result<void> start(const EngineContext &context) override;

private:
    std::unique_ptr<ApiGatewayPort> m_port;
};

} // namespace tarmac
