#include "services/s3/s3module.h"

#include "core/clock.h"
#include "http/awserror.h"
#include "services/s3/s3notifier.h"
#include "services/s3/s3restapi.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3store.h"

#include <atomic>

namespace tarmac {

namespace {

// The engine registers edge handlers before modules start, so the module hands out this
// stable forwarder and points it at the API once the model is open.
class ForwardingHandler : public HttpHandler
{
public:
    void setTarget(HttpHandler *target) { m_target.store(target, std::memory_order_release); }

    qint64 maxBodySize(const HttpRequest &head) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->maxBodySize(head) : 16 * 1024 * 1024;
    }

    HttpResponse bodyTooLarge(const HttpRequest &head) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->bodyTooLarge(head) : HttpHandler::bodyTooLarge(head);
    }

    HttpResponse internalError(const HttpRequest &head, const QString &message) const override
    {
        HttpHandler *t = m_target.load(std::memory_order_acquire);
        return t ? t->internalError(head, message) : HttpHandler::internalError(head, message);
    }

    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        if (HttpHandler *t = m_target.load(std::memory_order_acquire)) {
            t->handle(std::move(request), std::move(responder));
            return;
        }
        responder.send(awsErrorResponse(
                AwsProtocol::RestXml,
                makeError(QStringLiteral("ServiceUnavailable"),
                          QStringLiteral("The s3 service is not running"), 503),
                request.requestId, request.path));
    }

private:
    std::atomic<HttpHandler *> m_target { nullptr };
};

} // namespace

S3Module::S3Module(QObject *parent)
    : ServiceModule(parent)
    , m_proxy(std::make_unique<ForwardingHandler>())
{
}

S3Module::~S3Module()
{
    static_cast<ForwardingHandler *>(m_proxy.get())->setTarget(nullptr);
}

HttpHandler *S3Module::edgeHandler()
{
    return m_proxy.get();
}

Result<void> S3Module::start(const EngineContext &context)
{
    // Segments of the small-body log start over at 64 MiB (tests make them smaller).
    bool ok = false;
    const qint64 segmentBytes = qEnvironmentVariable("TARMAC_S3_LOG_SEGMENT_BYTES").toLongLong(&ok);
    m_store = std::make_unique<S3Store>(context.store, context.clock, context.stateDir,
                                        ok && segmentBytes > 0 ? segmentBytes
                                                               : 64LL * 1024 * 1024);
    if (auto r = m_store->open(); !r)
        return r;
    m_notifier = std::make_unique<S3Notifier>(m_store.get(), context.deliveries, context.tracer,
                                              context.clock, context.region, context.accountId);
    m_store->setEventListener([notifier = m_notifier.get()](const S3Event &e) {
        notifier->onEvent(e);
    });
    m_api = std::make_unique<S3RestApi>(m_store.get(), m_notifier.get(), context.tracer,
                                        context.clock, context.region);
    // `tarmac serve --verify-signatures --credentials FILE` puts the file's path here.
    const QString credentials = qEnvironmentVariable("TARMAC_VERIFY_SIGNATURES_CREDENTIALS");
    if (!credentials.isEmpty()) {
        auto verifier = S3SignatureVerifier::fromCredentialsFile(credentials);
        if (!verifier)
            return verifier.error();
        m_api->setSignatureVerifier(
                std::make_shared<const S3SignatureVerifier>(std::move(*verifier)));
    }
    static_cast<ForwardingHandler *>(m_proxy.get())->setTarget(m_api.get());
    return {};
}

void S3Module::bucketSettingsChanged(const QString &bucket)
{
    if (m_api)
        m_api->invalidateBucketCaches(bucket);
}

Result<void> S3Module::addBlobReferences(QSet<QByteArray> &live) const
{
    return m_store ? m_store->addBlobReferences(live) : Result<void>();
}

Result<void> S3Module::reclaimSpace()
{
    if (!m_store)
        return {};
    auto removed = m_store->compactLog();
    if (!removed)
        return removed.error();
    return {};
}

void S3Module::stop()
{
    // In-flight requests finish against the API; it stays until destruction.
}

} // namespace tarmac
