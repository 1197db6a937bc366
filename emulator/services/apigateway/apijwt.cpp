#include "services/apigateway/apijwt.h"

#include "services/apigateway/apiopenapi.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace tarmac {

namespace {

JwtVerdict unauthorized(const QString &why)
{
    return JwtVerdict {401, QByteArrayLiteral(R"({"message":"Unauthorized"})"),
        QStringLiteral("unauthorized: ") + why, nullptr};
}

struct PkeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An RSA public key from a JWK's n and e (base64url, big-endian).
Pkey rsaKey(const Json &jwk)
{
    bool okN = false, okE = false;
    const QByteArray n = base64UrlDecode(jsonText(jwk.value("n", Json())).toLatin1(), &okN);
    const QByteArray e = base64UrlDecode(jsonText(jwk.value("e", Json())).toLatin1(), &okE);
    if (!okN || !okE || n.isEmpty() || e.isEmpty() || n.size() > 1024 || e.size() > 16)
        return nullptr;
    BIGNUM *bn
        = BN_bin2bn(reinterpret_cast<const unsigned char *>(n.constData()), int(n.size()), nullptr);
    BIGNUM *be
        = BN_bin2bn(reinterpret_cast<const unsigned char *>(e.constData()), int(e.size()), nullptr);
    OSSL_PARAM_BLD *build = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = nullptr;
    EVP_PKEY *key = nullptr;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    if (bn && be && build && ctx && OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn)
        && OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, be)
        && (params = OSSL_PARAM_BLD_to_param(build)) != nullptr && EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
    BN_free(bn);
    BN_free(be);
    return Pkey(key);
}

bool verifySignature(
    EVP_PKEY *key, const EVP_MD *digest, const QByteArray &signedPart, const QByteArray &signature)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, digest, nullptr, key) == 1
        && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.constData()),
               size_t(signature.size()),
               reinterpret_cast<const unsigned char *>(signedPart.constData()),
               size_t(signedPart.size()))
            == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

// A NumericDate claim (seconds), or nullopt when absent or not a number.
std::optional<double> numericClaim(const Json &claims, const char *name)
{
    if (!claims.contains(name) || !claims[name].is_number())
        return std::nullopt;
    return claims[name].get<double>();
}

} // namespace

QByteArray base64UrlDecode(const QByteArray &text, bool *ok)
{
    auto r = QByteArray::fromBase64Encoding(text,
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals
            | QByteArray::AbortOnBase64DecodingErrors);
    *ok = bool(r);
    return r ? r.decoded : QByteArray();
}

JwtVerdict verifyJwt(const QString &token, const ApiAuthorizer &authorizer, const Json &jwks,
    const QStringList &routeScopes, qint64 nowSeconds)
{
    QString t = token.trimmed();
    if (t.startsWith(QLatin1String("Bearer "), Qt::CaseInsensitive))
        t = t.mid(7).trimmed();
    const QList<QByteArray> parts = t.toLatin1().split('.');
    if (parts.size() != 3)
        return unauthorized(QStringLiteral("not a JWT"));
    bool okHeader = false, okClaims = false, okSignature = false;
    const auto header = parseJson(base64UrlDecode(parts[0], &okHeader));
    const auto claims = parseJson(base64UrlDecode(parts[1], &okClaims));
    const QByteArray signature = base64UrlDecode(parts[2], &okSignature);
    if (!okHeader || !okClaims || !okSignature || !header || !claims || !header->is_object()
        || !claims->is_object())
        return unauthorized(QStringLiteral("not a JWT"));

    const QString alg = jsonText(header->value("alg", Json()));
    const EVP_MD *digest = alg == QLatin1String("RS256") ? EVP_sha256()
        : alg == QLatin1String("RS384")                  ? EVP_sha384()
        : alg == QLatin1String("RS512")                  ? EVP_sha512()
                                                         : nullptr;
    if (!digest)
        return unauthorized(QStringLiteral("algorithm %1 is not accepted").arg(alg));
    const QString kid = jsonText(header->value("kid", Json()));
    const Json keys = jwks.is_object() ? jwks.value("keys", Json::array()) : Json::array();
    bool verified = false;
    if (keys.is_array()) {
        for (const Json &jwk : keys) {
            if (!jwk.is_object() || jsonText(jwk.value("kty", Json())) != QLatin1String("RSA"))
                continue;
            if (!kid.isEmpty() && jsonText(jwk.value("kid", Json())) != kid)
                continue;
            Pkey key = rsaKey(jwk);
            if (key && verifySignature(key.get(), digest, parts[0] + '.' + parts[1], signature)) {
                verified = true;
                break;
            }
        }
    }
    if (!verified)
        return unauthorized(QStringLiteral("the signature does not match the issuer's keys"));

    const Json &c = *claims;
    if (jsonText(c.value("iss", Json())) != authorizer.issuer)
        return unauthorized(QStringLiteral("issuer %1").arg(jsonText(c.value("iss", Json()))));
    QStringList audiences = jsonStrings(c.value("aud", Json()));
    audiences += jsonStrings(c.value("client_id", Json()));
    if (!authorizer.audience.isEmpty()
        && std::none_of(audiences.cbegin(), audiences.cend(),
            [&](const QString &a) { return authorizer.audience.contains(a); }))
        return unauthorized(QStringLiteral("audience"));
    const auto exp = numericClaim(c, "exp");
    if (!exp || *exp <= double(nowSeconds))
        return unauthorized(QStringLiteral("expired"));
    if (const auto nbf = numericClaim(c, "nbf"); nbf && *nbf > double(nowSeconds))
        return unauthorized(QStringLiteral("not valid yet"));

    QStringList scopes = jsonText(c.value("scope", Json())).split(u' ', Qt::SkipEmptyParts);
    scopes += jsonStrings(c.value("scp", Json()));
    if (!routeScopes.isEmpty()
        && std::none_of(routeScopes.cbegin(), routeScopes.cend(),
            [&](const QString &s) { return scopes.contains(s); }))
        return JwtVerdict {403, QByteArrayLiteral(R"({"message":"Forbidden"})"),
            QStringLiteral("deny: no scope the route needs"), nullptr};
    // Claims as API Gateway passes them: each value as text.
    Json passed = Json::object();
    for (auto it = c.begin(); it != c.end(); ++it)
        passed[it.key()] = it.value().is_string() ? it.value() : Json(it.value().dump());
    Json scopeList = nullptr;
    if (!scopes.isEmpty()) {
        scopeList = Json::array();
        for (const QString &s : std::as_const(scopes))
            scopeList.push_back(s.toStdString());
    }
    return JwtVerdict {200, {}, QStringLiteral("allow"),
        Json {{"jwt", {{"claims", std::move(passed)}, {"scopes", std::move(scopeList)}}}}};
}

} // namespace tarmac
