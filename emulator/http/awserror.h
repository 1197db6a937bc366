#pragma once

#include "base/ids.h" // newRequestId(), which every error answer carries
#include "base/result.h"
#include "http/httpmessage.h"

namespace tarmac {

// The wire shape of an error for each AWS protocol (PROTOCOLS.md §0). API layers build their
// error answers here so that every service answers in its own clients' terms.
enum class AwsProtocol { RestXml, RestJson, Json, Query };

AwsProtocol protocolFromName(const QByteArray &name); // "rest-xml", "json", … (rest-xml if unknown)

// `resource` goes into S3's <Resource>; `requestId` into the body and request-id headers.
HttpResponse awsErrorResponse(AwsProtocol protocol, const Error &error, const QByteArray &requestId,
    const QByteArray &resource = {});

QByteArray xmlEscape(const QByteArray &text);

} // namespace tarmac
