#pragma once

#include "base/result.h"
#include "http/httphandler.h"

#include <QMap>
#include <QString>

#include <atomic>

namespace tarmac {

class Clock;
class SnsDelivery;
class LazySnsSigner;
class SnsStore;
struct SnsPublished;

// SNS's query protocol on the edge port (form-encoded `Action=…` requests, XML answers in
// SNS's namespace; what every SDK and the aws CLI speak to SNS), and what SNS's messages link
// to under /_tarmac/sns/: the signing certificate, SubscribeURL (a GET confirming an HTTP
// subscription) and UnsubscribeURL. Every outcome is an answer or SNS's own error
// (InvalidParameter with SNS's messages, NotFound, …). Thread-safe; attach() before the first
// request (until then 503).
class SnsApi : public HttpHandler
{
public:
    SnsApi();
    ~SnsApi() override;
    void attach(SnsStore *store, SnsDelivery *delivery, LazySnsSigner *signer, const Clock *clock);

    qint64 maxBodySize(const HttpRequest &head) const override;
    HttpResponse bodyTooLarge(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

    // A form (`a=b&c=d`, '+' as space) as a map; a field given twice keeps its last value.
    static QMap<QString, QString> parseForm(const QByteArray &form);

    static constexpr const char *prefix = "/_tarmac/sns/";

private:
    struct Call;
    HttpResponse dispatch(Call &call);
    // Publish, or one entry of PublishBatch (its fields under `prefix`).
    Result<SnsPublished> publishOne(
        SnsStore &store, const Call &call, const QString &topicArn, const QString &prefix);

    std::atomic<SnsStore *> m_store {nullptr};
    SnsDelivery *m_delivery = nullptr;
    LazySnsSigner *m_signer = nullptr;
    const Clock *m_clock = nullptr;
};

} // namespace tarmac
