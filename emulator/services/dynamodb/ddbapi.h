#pragma once

#include "http/httphandler.h"

#include <atomic>

namespace tarmac {

class DynamoDb;

// DynamoDB's JSON 1.0 protocol on the edge port (`X-Amz-Target: DynamoDB_20120810.<Op>`, or
// `DynamoDBStreams_20120810.<Op>` for the streams API): the body goes to DynamoDb::call or
// callStreams, the answer or the error goes back in the protocol's shape, with DynamoDB's
// namespaced __type and an error's extra members (a condition failure's Item, a cancelled
// transaction's CancellationReasons), and the operation and table on the request's span.
// Thread-safe; attach() before the first request (503 until then).
class DynamoDbJsonApi : public HttpHandler
{
public:
    explicit DynamoDbJsonApi(bool streams)
        : m_streams(streams)
    { }
    void attach(DynamoDb *model) { m_model.store(model); }
    qint64 maxBodySize(const HttpRequest &head) const override;
    void handle(HttpRequest &&request, HttpResponder responder) override;
    HttpResponse internalError(const HttpRequest &head, const QString &message) const override;

private:
    const bool m_streams;
    std::atomic<DynamoDb *> m_model {nullptr};
};

} // namespace tarmac
