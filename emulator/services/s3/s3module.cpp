#include "services/s3/s3module.h"

#include "base/clock.h"
#include "http/awserror.h"
#include "services/s3/s3notifier.h"
#include "services/s3/s3restapi.h"
#include "services/s3/s3signature.h"
#include "services/s3/s3store.h"
#include "store/store.h"

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
    m_state = context.store;
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
    // `tarmac serve --verify-signatures --credentials FILE`
    const QString credentials = context.options.value(QStringLiteral("s3.signatureCredentials"));
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

Result<QByteArray> S3Module::readObject(const QString &uri, qint64 maxBytes) const
{
    if (!m_store)
        return makeError(QStringLiteral("ServiceUnavailable"), QStringLiteral("S3 has not started"), 503);
    // s3://BUCKET/KEY, the key as it is (not URL-encoded)
    const qsizetype slash = uri.indexOf(u'/', 5);
    if (!uri.startsWith(QLatin1String("s3://")) || slash <= 5)
        return makeError(QStringLiteral("InvalidURI"), QStringLiteral("not an s3://bucket/key URI: %1").arg(uri), 400);
    const QString bucket = uri.mid(5, slash - 5);
    const QByteArray key = uri.mid(slash + 1).toUtf8();
    // A small body comes with its row; a large one is only named (its blob), not read.
    auto object = m_store->object(bucket, key);
    if (!object)
        return object.error();
    if (object->size > maxBytes)
        return makeError(QStringLiteral("EntityTooLarge"),
                         QStringLiteral("%1 is %2 bytes, more than %3").arg(uri).arg(object->size).arg(maxBytes),
                         400);
    if (!object->blob.isEmpty())
        return m_state->blobs().read(object->blob);
    return object->data;
}

QList<SampleEvent> S3Module::sampleEvents() const
{
    const QList<std::pair<QString, QString>> options = {
        { QStringLiteral("bucket"), QStringLiteral("The bucket (example-bucket).") },
        { QStringLiteral("key"), QStringLiteral("The object key (test/key).") },
        { QStringLiteral("size"), QStringLiteral("The object size in bytes (1024).") },
        { QStringLiteral("region"), QStringLiteral("The region (us-east-1).") },
    };
    const auto generator = [](const QString &eventName) {
        return [eventName](const QMap<QString, QString> &o) -> Result<QByteArray> {
            S3Event event;
            event.eventName = eventName;
            event.bucket = o.value(QStringLiteral("bucket"), QStringLiteral("example-bucket"));
            event.key = o.value(QStringLiteral("key"), QStringLiteral("test/key")).toUtf8();
            bool ok = false;
            event.size = o.value(QStringLiteral("size"), QStringLiteral("1024")).toLongLong(&ok);
            if (!ok || event.size < 0)
                return makeError(QStringLiteral("Usage"), QStringLiteral("--size takes a number of bytes"));
            if (event.bucket.isEmpty() || event.key.isEmpty())
                return makeError(QStringLiteral("Usage"), QStringLiteral("--bucket and --key must not be empty"));
            event.etag = QByteArrayLiteral("0123456789abcdef0123456789abcdef");
            event.sequencer = QByteArrayLiteral("0A1B2C3D4E5F678901");
            event.timeNs = SystemClock().nowNs();
            event.origin.requestId = QByteArrayLiteral("EXAMPLE123456789");
            return S3Notifier::record(event, QStringLiteral("testConfigRule"),
                                      o.value(QStringLiteral("region"), QStringLiteral("us-east-1")));
        };
    };
    return {
        { QStringLiteral("s3-put"), QStringLiteral("an object was created (ObjectCreated:Put)"), options,
          generator(QStringLiteral("ObjectCreated:Put")) },
        { QStringLiteral("s3-delete"), QStringLiteral("an object was deleted (ObjectRemoved:Delete)"), options,
          generator(QStringLiteral("ObjectRemoved:Delete")) },
    };
}

void S3Module::stop()
{
    // In-flight requests finish against the API; it stays until destruction.
}

} // namespace tarmac
