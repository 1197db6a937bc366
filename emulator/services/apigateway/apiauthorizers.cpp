#include "services/apigateway/apiauthorizers.h"

#include "http/httpmessage.h"
#include "services/apigateway/apiopenapi.h"

#include <QRegularExpression>

namespace tarmac {

namespace {

Json messageBody(const char *key, const char *text)
{
    return Json {{key, text}};
}

// Statements as a list, whether the document has one or a list.
QList<Json> statementsOf(const Json &policy)
{
    QList<Json> out;
    if (!policy.is_object() || !policy.contains("Statement"))
        return out;
    const Json &s = policy["Statement"];
    if (s.is_object())
        out.append(s);
    else if (s.is_array())
        for (const Json &one : s)
            out.append(one);
    return out;
}

bool actionMatches(const Json &action)
{
    for (const QString &a : jsonStrings(action)) {
        if (arnPatternMatches(a.toLower(), QStringLiteral("execute-api:invoke")))
            return true;
    }
    return false;
}

// A context value API Gateway passes on to a REST integration: a string, number or boolean.
bool scalar(const Json &v)
{
    return v.is_string() || v.is_number() || v.is_boolean();
}

} // namespace

QString executeApiArn(const QString &region, const QString &accountId, const ApiDefinition &api,
    const QByteArray &method, const QByteArray &path)
{
    return QStringLiteral("arn:aws:execute-api:%1:%2:%3/%4/%5%6")
        .arg(region, accountId, api.id, api.stage, QString::fromLatin1(method),
            QString::fromUtf8(percentDecode(path, false)));
}

std::optional<QStringList> authorizerIdentity(
    const ApiAuthorizer &authorizer, const RouteMatch &match, const ApiRequest &request)
{
    QStringList values;
    const auto query = decodeQuery(request.query);
    for (const QString &source : authorizer.identitySources) {
        QString s = source.trimmed();
        if (s.startsWith(u'$'))
            s.remove(0, 1);
        QString value;
        if (s.startsWith(QLatin1String("method.request.header."))
            || s.startsWith(QLatin1String("request.header."))) {
            const QByteArray name = s.section(u'.', -1).toLower().toUtf8();
            QByteArrayList all;
            if (request.headers) {
                for (const auto &[n, v] : request.headers->fields()) {
                    if (n == name)
                        all.append(v);
                }
            }
            value = QString::fromUtf8(all.join(','));
        } else if (s.startsWith(QLatin1String("method.request.querystring."))
            || s.startsWith(QLatin1String("request.querystring."))) {
            const QByteArray name = s.section(u'.', -1).toUtf8();
            QByteArrayList all;
            for (const auto &[k, v] : query) {
                if (k == name)
                    all.append(v);
            }
            value = QString::fromUtf8(all.join(','));
        } else if (s.startsWith(QLatin1String("stageVariables."))) {
            value = match.api->stageVariables.value(s.section(u'.', 1));
        } else if (s.startsWith(QLatin1String("context."))) {
            const QString key = s.section(u'.', 1);
            if (key == QLatin1String("requestId"))
                value = QString::fromLatin1(request.requestId);
            else if (key == QLatin1String("identity.sourceIp"))
                value = request.sourceIp;
            else if (key == QLatin1String("httpMethod"))
                value = QString::fromLatin1(request.method);
            else if (key == QLatin1String("stage"))
                value = match.api->stage;
        }
        if (value.isEmpty())
            return std::nullopt;
        values.append(value);
    }
    if (authorizer.kind == ApiAuthorizer::Kind::Token) {
        if (values.isEmpty())
            return std::nullopt;
        if (!authorizer.validationExpression.isEmpty()) {
            const QRegularExpression re(
                QRegularExpression::anchoredPattern(authorizer.validationExpression));
            if (!re.isValid() || !re.match(values.first()).hasMatch())
                return std::nullopt;
        }
    }
    return values;
}

QByteArray buildAuthorizerEvent(const ApiAuthorizer &authorizer, const RouteMatch &match,
    const ApiRequest &request, const QString &arn, const QStringList &identity)
{
    const ApiDefinition &api = *match.api;
    if (authorizer.kind == ApiAuthorizer::Kind::Token) {
        return toJsonBytes(
            Json {{"type", "TOKEN"}, {"authorizationToken", identity.value(0).toStdString()},
                {"methodArn", arn.toStdString()}});
    }
    ApiRequest withoutAuthorizer = request;
    withoutAuthorizer.authorizer = nullptr;
    const bool v2 = api.http && authorizer.payloadVersion == 2;
    Json event = *parseJson(
        v2 ? buildEventV2(match, withoutAuthorizer) : buildEventV1(match, withoutAuthorizer));
    event.erase("body");
    event.erase("isBase64Encoded");
    event["type"] = "REQUEST";
    if (v2) {
        event["routeArn"] = arn.toStdString();
        Json sources = Json::array();
        for (const QString &v : identity)
            sources.push_back(v.toStdString());
        event["identitySource"] = std::move(sources);
    } else {
        event["methodArn"] = arn.toStdString();
        if (api.http) {
            event["identitySource"] = identity.join(u',').toStdString();
            event["authorizationToken"] = identity.value(0).toStdString();
        }
    }
    return toJsonBytes(event);
}

bool arnPatternMatches(const QString &pattern, const QString &arn)
{
    // Iterative wildcard match: '*' any run, '?' one character.
    qsizetype p = 0, a = 0, star = -1, mark = 0;
    while (a < arn.size()) {
        if (p < pattern.size() && (pattern[p] == u'?' || pattern[p] == arn[a])) {
            ++p;
            ++a;
        } else if (p < pattern.size() && pattern[p] == u'*') {
            star = p++;
            mark = a;
        } else if (star >= 0) {
            p = star + 1;
            a = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == u'*')
        ++p;
    return p == pattern.size();
}

PolicyVerdict evaluatePolicy(const Json &policyDocument, const QString &arn)
{
    bool allowed = false;
    for (const Json &statement : statementsOf(policyDocument)) {
        if (!statement.is_object() || !statement.contains("Action")
            || !actionMatches(statement["Action"]))
            continue;
        bool resource = false;
        for (const QString &r : jsonStrings(statement.value("Resource", Json())))
            resource = resource || arnPatternMatches(r, arn);
        if (!resource)
            continue;
        const QString effect = jsonText(statement.value("Effect", Json()));
        if (effect == QLatin1String("Deny"))
            return PolicyVerdict::ExplicitDeny;
        if (effect == QLatin1String("Allow"))
            allowed = true;
    }
    return allowed ? PolicyVerdict::Allow : PolicyVerdict::ImplicitDeny;
}

AuthorizerAnswer readAuthorizerAnswer(
    const ApiAuthorizer &authorizer, bool httpApi, bool functionError, const QByteArray &payload)
{
    AuthorizerAnswer a;
    auto parsed = parseJson(payload);
    if (functionError) {
        // A Lambda authorizer says "no token" by failing with the message "Unauthorized".
        const bool unauthorized = parsed && parsed->is_object()
            && jsonText(parsed->value("errorMessage", Json())) == QLatin1String("Unauthorized");
        a.kind
            = unauthorized ? AuthorizerAnswer::Kind::Unauthorized : AuthorizerAnswer::Kind::Invalid;
        a.reason = QStringLiteral("the authorizer function failed: %1")
                       .arg(QString::fromUtf8(payload.left(300)));
        return a;
    }
    if (!parsed || !parsed->is_object()) {
        a.reason = QStringLiteral("the authorizer's answer is not a JSON object");
        return a;
    }
    const Json &o = *parsed;
    if (o.contains("context") && !o["context"].is_null()) {
        if (!o["context"].is_object()) {
            a.reason = QStringLiteral("context must be an object");
            return a;
        }
        a.context = o["context"];
        if (!httpApi) {
            for (auto it = a.context.begin(); it != a.context.end(); ++it) {
                if (!scalar(it.value())) {
                    a.reason = QStringLiteral("context.%1 is not a string, number or boolean")
                                   .arg(QString::fromStdString(it.key()));
                    return a;
                }
            }
        }
    }
    if (httpApi && authorizer.simpleResponses) {
        if (!o.contains("isAuthorized") || !o["isAuthorized"].is_boolean()) {
            a.reason = QStringLiteral("a simple response needs isAuthorized, a boolean");
            return a;
        }
        a.kind = AuthorizerAnswer::Kind::Simple;
        a.authorized = o["isAuthorized"].get<bool>();
        return a;
    }
    if (!o.contains("policyDocument") || !o["policyDocument"].is_object()) {
        a.reason = QStringLiteral("the answer has no policyDocument");
        return a;
    }
    if (!httpApi && !(o.contains("principalId") && o["principalId"].is_string())) {
        a.reason = QStringLiteral("the answer has no principalId");
        return a;
    }
    a.kind = AuthorizerAnswer::Kind::Policy;
    a.policy = o["policyDocument"];
    a.principalId = jsonText(o.value("principalId", Json()));
    return a;
}

AuthorizerVerdict judge(const AuthorizerAnswer &answer, bool httpApi, const QString &arn)
{
    const auto refuse = [&](int status, const Json &body, const char *summary) {
        return AuthorizerVerdict {status, toJsonBytes(body), QString::fromLatin1(summary)};
    };
    switch (answer.kind) {
    case AuthorizerAnswer::Kind::Unauthorized:
        return refuse(401, messageBody("message", "Unauthorized"), "unauthorized");
    case AuthorizerAnswer::Kind::Invalid:
        return httpApi ? refuse(500, messageBody("message", "Internal Server Error"), "error")
                       : refuse(500, Json {{"message", nullptr}}, "error");
    case AuthorizerAnswer::Kind::Simple:
        if (answer.authorized)
            return AuthorizerVerdict {200, {}, QStringLiteral("allow")};
        return refuse(403, messageBody("message", "Forbidden"), "deny");
    case AuthorizerAnswer::Kind::Policy:
        break;
    }
    switch (evaluatePolicy(answer.policy, arn)) {
    case PolicyVerdict::Allow:
        return AuthorizerVerdict {200, {}, QStringLiteral("allow")};
    case PolicyVerdict::ExplicitDeny:
        return httpApi ? refuse(403, messageBody("message", "Forbidden"), "deny")
                       : refuse(403,
                           messageBody("Message",
                               "User is not authorized to access this resource with an explicit "
                               "deny"),
                           "deny");
    case PolicyVerdict::ImplicitDeny:
        break;
    }
    return httpApi
        ? refuse(403, messageBody("message", "Forbidden"), "deny")
        : refuse(
            403, messageBody("Message", "User is not authorized to access this resource"), "deny");
}

Json authorizerContext(const AuthorizerAnswer &answer, bool httpApi, int payloadVersion)
{
    if (httpApi && payloadVersion == 2) {
        Json lambda = answer.context;
        return Json {{"lambda", std::move(lambda)}};
    }
    Json out = answer.context;
    if (!answer.principalId.isEmpty() || !httpApi)
        out["principalId"] = answer.principalId.toStdString();
    if (!httpApi)
        out["integrationLatency"] = 0;
    return out;
}

std::optional<AuthorizerAnswer> AuthorizerCache::find(const QString &key, qint64 nowMs) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_entries.constFind(key);
    if (it == m_entries.cend() || it->expiresMs <= nowMs)
        return std::nullopt;
    return it->answer;
}

void AuthorizerCache::insert(const QString &key, const AuthorizerAnswer &answer, qint64 expiresMs)
{
    QMutexLocker lock(&m_mutex);
    if (m_entries.size() >= 10'000)
        m_entries.clear(); // a bound, not a policy: identities are few locally
    m_entries.insert(key, Entry {answer, expiresMs});
}

void AuthorizerCache::clear()
{
    QMutexLocker lock(&m_mutex);
    m_entries.clear();
}

} // namespace tarmac
