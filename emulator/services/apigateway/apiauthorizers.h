#pragma once

#include "base/json.h"
#include "services/apigateway/apievents.h"
#include "services/apigateway/apimodel.h"

#include <QHash>
#include <QMutex>

#include <optional>

namespace tarmac {

// The ARN API Gateway names a request by, for authorizers' policies:
// "arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE/METHOD/path/as/sent".
QString executeApiArn(const QString &region, const QString &accountId, const ApiDefinition &api,
    const QByteArray &method, const QByteArray &path);

// The values an authorizer's identity sources give for a request, in order; nullopt when one
// is missing or empty (API Gateway answers 401 without calling the authorizer), or when a
// TOKEN authorizer's token does not match its validation expression.
std::optional<QStringList> authorizerIdentity(
    const ApiAuthorizer &authorizer, const RouteMatch &match, const ApiRequest &request);

// The event a Lambda authorizer receives: REST TOKEN {type, authorizationToken, methodArn};
// REST REQUEST (and HTTP API payload 1.0) the request as payload 1.0 has it plus type and
// methodArn; HTTP API payload 2.0 the request as 2.0 has it plus type, routeArn and
// identitySource.
QByteArray buildAuthorizerEvent(const ApiAuthorizer &authorizer, const RouteMatch &match,
    const ApiRequest &request, const QString &arn, const QStringList &identity);

// What an IAM policy document says about one ARN (execute-api:Invoke on it): a Deny that
// matches wins, then an Allow that matches; nothing matching denies too.
enum class PolicyVerdict { Allow, ExplicitDeny, ImplicitDeny };
PolicyVerdict evaluatePolicy(const Json &policyDocument, const QString &arn);
// An ARN pattern of a policy's Resource: '*' matches any run of characters, '?' one.
bool arnPatternMatches(const QString &pattern, const QString &arn);

// What an authorizer said, as kept in the cache (a policy is evaluated again for each
// request's ARN, as API Gateway does with cached policies).
struct AuthorizerAnswer
{
    enum class Kind {
        Policy, // an IAM policy document (REST; HTTP API unless simple responses)
        Simple, // {"isAuthorized": bool}
        Unauthorized, // the function failed with "Unauthorized": 401
        Invalid, // the function failed otherwise, or answered something else: 500
    };
    Kind kind = Kind::Invalid;
    bool authorized = false; // Simple
    Json policy; // Policy
    QString principalId;
    Json context = Json::object(); // what the integration gets in requestContext.authorizer
    QString reason; // for Invalid, for the log
};
AuthorizerAnswer readAuthorizerAnswer(
    const ApiAuthorizer &authorizer, bool httpApi, bool functionError, const QByteArray &payload);

// The verdict for a request's ARN: allowed, 401, 403 (and which message), or 500.
struct AuthorizerVerdict
{
    int status = 200; // 200: allowed
    QByteArray body; // API Gateway's answer when not allowed
    QString summary; // "allow", "deny", "unauthorized", "error": for the request's span
};
AuthorizerVerdict judge(const AuthorizerAnswer &answer, bool httpApi, const QString &arn);

// What the integration's event carries in requestContext.authorizer: REST {principalId,
// integrationLatency, …context}; HTTP API 2.0 {lambda: context}, 1.0 the context with
// principalId.
Json authorizerContext(const AuthorizerAnswer &answer, bool httpApi, int payloadVersion);

// Authorizer answers by API, authorizer and identity, each for its TTL. Thread-safe.
class AuthorizerCache
{
public:
    std::optional<AuthorizerAnswer> find(const QString &key, qint64 nowMs) const;
    void insert(const QString &key, const AuthorizerAnswer &answer, qint64 expiresMs);
    void clear();

private:
    struct Entry
    {
        AuthorizerAnswer answer;
        qint64 expiresMs = 0;
    };
    mutable QMutex m_mutex;
    QHash<QString, Entry> m_entries;
};

} // namespace tarmac
