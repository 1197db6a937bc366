#include "services/apigateway/apigatewaymodule.h"

#include "services/apigateway/apigatewayport.h"

namespace tarmac {

ApiGatewayModule::ApiGatewayModule(QObject *parent)
    : ServiceModule(parent)
{ }
ApiGatewayModule::~ApiGatewayModule() = default;

QList<ServicePort> ApiGatewayModule::ports(const EngineContext &context)
{
    if (!m_port)
        m_port = std::make_unique<ApiGatewayPort>(context.tracer, context.clock);
    return {ServicePort {QStringLiteral("api"), QStringLiteral("API"), 3000, m_port.get()}};
}

Result<void> ApiGatewayModule::start(const EngineContext &context)
{
    Q_UNUSED(context);
    return {};
}

} // namespace tarmac
