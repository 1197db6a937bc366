#pragma once

#include "base/json.h"
#include "services/apigateway/apimodel.h"

namespace tarmac {

// What a JWT authorizer (HTTP APIs) makes of a token: its signature checked against the
// issuer's keys (a JWKS document; RS256, RS384, RS512), then iss, aud (or client_id), exp
// and nbf, then the route's scopes. As API Gateway answers: 401 {"message":"Unauthorized"}
// for a token that fails any check, 403 {"message":"Forbidden"} for one without a scope
// the route needs; an allowed token gives the integration requestContext.authorizer
// {"jwt": {"claims": …, "scopes": …}}.
struct JwtVerdict
{
    int status = 200;
    QByteArray body;
    QString summary; // "allow", "unauthorized: expired", "deny: no scope"
    Json authorizer; // for the integration's event, when allowed
};
// `token` is the identity source's value ("Bearer " is dropped); `nowSeconds` the clock's.
JwtVerdict verifyJwt(const QString &token, const ApiAuthorizer &authorizer, const Json &jwks,
    const QStringList &routeScopes, qint64 nowSeconds);

// "abc-_" base64url, padding optional; empty and false on a bad character.
QByteArray base64UrlDecode(const QByteArray &text, bool *ok);

} // namespace tarmac
