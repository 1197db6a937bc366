#include "services/sqs/sqsmodule.h"

#include "services/sqs/sqseventsource.h"
#include "services/sqs/sqsjsonapi.h"
#include "services/sqs/sqsresources.h"
#include "services/sqs/sqsstore.h"

namespace tarmac {

SqsModule::SqsModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<SqsJsonApi>())
{ }

SqsModule::~SqsModule()
{
    if (m_mappings && m_source)
        m_mappings->removeSource(m_source.get());
    m_api.reset(); // answers its waiting polls before the store goes
}

HttpHandler *SqsModule::edgeHandler()
{
    return m_api.get();
}

Result<void> SqsModule::start(const EngineContext &context)
{
    m_store = std::make_unique<SqsStore>(
        context.store, context.clock, context.region, context.accountId);
    if (auto r = m_store->open(); !r)
        return r;
    m_api->attach(m_store.get(), context.clock, context.accountId);
    m_source = std::make_unique<SqsEventSource>(m_store.get(), context.region, context.accountId);
    m_mappings = context.mappings;
    if (m_mappings)
        m_mappings->addSource(m_source.get());
    SqsJsonApi *api = m_api.get();
    EventSourceMappings *mappings = m_mappings;
    SqsStore *store = m_store.get();
    m_store->setMessageAvailable([api, mappings, store](const QString &queue) {
        api->messageAvailable(queue); // long polls first, as on AWS they compete for it
        if (mappings)
            mappings->wake(store->arnOf(queue));
    });
    return {};
}

void SqsModule::stop()
{
    if (m_mappings && m_source)
        m_mappings->removeSource(m_source.get());
    m_mappings = nullptr;
    if (m_api)
        m_api->stop();
}

QList<const ResourceType *> SqsModule::resourceTypes() const
{
    return {&sqsresources::queueType(), &sqsresources::queuePolicyType()};
}

QList<const FunctionEventType *> SqsModule::functionEventTypes() const
{
    return {&sqsresources::sqsEventType()};
}

Result<void> SqsModule::putResource(const StackResource &resource, const StackResource *previous)
{
    if (resource.type != QLatin1String("AWS::SQS::Queue"))
        return ServiceModule::putResource(resource, previous);
    if (!m_store)
        return makeError(QStringLiteral("ServiceUnavailable"),
            QStringLiteral("the sqs module has not started"), 503);
    auto attributes = sqsresources::queueAttributes(resource.properties);
    if (!attributes)
        return attributes.error();
    const QString name = sqsresources::queueName(resource.physicalId);
    if (!m_store->exists(name)) {
        if (auto r
            = m_store->createQueue(name, *attributes, sqsresources::queueTags(resource.properties));
            !r)
            return r;
        return {};
    }
    // Defined again (a restart, a template edit): the queue keeps its messages.
    attributes->remove(QStringLiteral("FifoQueue"));
    if (auto r = m_store->setAttributes(name, *attributes); !r)
        return r;
    return m_store->tag(name, sqsresources::queueTags(resource.properties));
}

Result<QString> SqsModule::deleteResource(const StackResource &resource)
{
    if (resource.type != QLatin1String("AWS::SQS::Queue") || !m_store)
        return QStringLiteral("removed");
    auto r = m_store->deleteQueue(sqsresources::queueName(resource.physicalId));
    if (!r && r.error().code != QLatin1String("QueueDoesNotExist"))
        return r.error();
    return QStringLiteral("removed");
}

} // namespace tarmac
