#include "http/awserror.h"

#include "base/json.h"

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
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

HttpResponse awsErrorResponse(AwsProtocol protocol, const Error &error, const QByteArray &requestId,
    const QByteArray &resource)
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
        r.headers.add("content-type",
            protocol == AwsProtocol::Json ? "application/x-amz-json-1.0" : "application/json");
        r.headers.add("x-amzn-requestid", requestId);
        r.headers.add("x-amzn-errortype", code);
        Json body = {{"__type", code.toStdString()}, {"message", message.toStdString()}};
        if (protocol == AwsProtocol::RestJson)
            body["Type"] = error.httpStatus >= 500 ? "Service" : "User";
        r.body = toJsonBytes(body);
        break;
    }
    }
    return r;
}

} // namespace tarmac
