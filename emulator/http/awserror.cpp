#include "http/awserror.h"

#include "core/json.h"

#include <QRandomGenerator>

#include <array>
#include <random>

namespace tarmac {

AwsProtocol protocolFromName(const QByteArray &name)
{
    if (name == "json")
        return AwsProtocol::Json;
    if (name == "rest-json")
        return AwsProtocol::RestJson;
    if (name == "query")
        return AwsProtocol::Query;
    return AwsProtocol::RestXml;
}

QByteArray xmlEscape(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
}

QByteArray newRequestId()
{
    // A version-4 UUID from a per-thread generator seeded once: QUuid::createUuid() asks the
    // kernel for randomness on every call, and this runs on every request.
    thread_local std::mt19937_64 rng = [] {
        std::array<quint32, 8> seed;
        QRandomGenerator::system()->fillRange(seed.data(), seed.size());
        std::seed_seq seq(seed.begin(), seed.end());
        return std::mt19937_64(seq);
    }();
    quint64 hi = rng(), lo = rng();
    hi = (hi & ~quint64(0xF000)) | 0x4000;              // version 4
    lo = (lo & ~(quint64(0xC) << 60)) | (quint64(0x8) << 60); // RFC 4122 variant
    static const char digits[] = "0123456789abcdef";
    QByteArray out(36, Qt::Uninitialized);
    char *p = out.data();
    int written = 0;
    for (int i = 0; i < 32; ++i) {
        if (written == 8 || written == 12 || written == 16 || written == 20)
            *p++ = '-';
        const quint64 word = i < 16 ? hi : lo;
        *p++ = digits[(word >> (60 - 4 * (i % 16))) & 0xF];
        ++written;
    }
    return out;
}

HttpResponse awsErrorResponse(AwsProtocol protocol, const Error &error,
                              const QByteArray &requestId, const QByteArray &resource)
{
    HttpResponse r;
    r.status = error.httpStatus;
    const QByteArray code = error.code.toUtf8();
    const QByteArray message = error.message.toUtf8();
    switch (protocol) {
    case AwsProtocol::RestXml:
        r.headers.add("content-type", "application/xml");
        r.headers.add("x-amz-request-id", requestId);
        r.headers.add("x-amz-id-2", requestId);
        r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + xmlEscape(code)
                + "</Code><Message>" + xmlEscape(message) + "</Message>"
                + (resource.isEmpty() ? QByteArray()
                                      : "<Resource>" + xmlEscape(resource) + "</Resource>")
                + "<RequestId>" + requestId + "</RequestId></Error>";
        break;
    case AwsProtocol::Query:
        r.headers.add("content-type", "text/xml");
        r.headers.add("x-amzn-requestid", requestId);
        r.body = "<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>"
                + QByteArray(error.httpStatus >= 500 ? "Receiver" : "Sender") + "</Type><Code>"
                + xmlEscape(code) + "</Code><Message>" + xmlEscape(message)
                + "</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
        break;
    case AwsProtocol::Json:
    case AwsProtocol::RestJson: {
        r.headers.add("content-type", protocol == AwsProtocol::Json ? "application/x-amz-json-1.0"
                                                                     : "application/json");
        r.headers.add("x-amzn-requestid", requestId);
        r.headers.add("x-amzn-errortype", code);
        Json body = { { "__type", code.toStdString() }, { "message", message.toStdString() } };
        if (protocol == AwsProtocol::RestJson)
            body["Type"] = error.httpStatus >= 500 ? "Service" : "User";
        r.body = toJsonBytes(body);
        break;
    }
    }
    return r;
}

} // namespace tarmac
