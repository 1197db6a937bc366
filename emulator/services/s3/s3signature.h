#pragma once

#include "base/result.h"
#include "services/s3/awschunkeddecoder.h"
#include "services/s3/s3access.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QString>

#include <optional>

namespace tarmac {

struct HttpRequest;

// Verifies AWS Signature Version 4 on S3 requests when the user asks for it (`tarmac serve
// --verify-signatures --credentials FILE`): the Authorization header form and presigned URLs
// (PROTOCOLS.md §8.1), with S3's canonical URI rules (the path as sent, not normalised). For
// signed aws-chunked uploads it hands back the seed context the body's chunk signatures chain
// from. Secrets come from a shared-credentials style file: [profile] sections with
// aws_access_key_id and aws_secret_access_key.
//
// SigV2 is accepted too, in presigned URLs (boto3 still makes those by default) and in
// Authorization headers ("AWS AKID:signature"); SigV4a is refused as AccessDenied. A request
// signed in a header must carry a time (x-amz-date or Date) within 15 minutes of the real time
// (RequestTimeTooSkewed otherwise, whatever the engine's clock says); presigned URLs are
// refused once they expire on the engine's clock.
class S3SignatureVerifier
{
public:
    // Each profile is an account: `aws_account_id` names it (else the first profile is the
    // default account and later ones get an id derived from their key), the profile's name is
    // its display name.
    static Result<S3SignatureVerifier> fromCredentialsFile(const QString &path);
    void addCredentials(const QByteArray &accessKeyId, const QByteArray &secret,
        const S3Account &account = s3access::defaultAccount());
    // The account of an access key; nullptr for an unknown one.
    const S3Account *account(const QByteArray &accessKeyId) const;
    QList<S3Account> accounts() const;

    struct Verified
    {
        // Set for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) bodies.
        std::optional<AwsChunkedDecoder::Signing> chunkSigning;
        QByteArray accessKeyId; // empty: an anonymous (unsigned) request
    };
    // `nowSeconds` is the engine clock's Unix time, for presigned URL expiry; `wallSeconds` the
    // real one, for the skew of header-signed requests (a client signs with its own clock).
    Result<Verified> verify(
        const HttpRequest &request, qint64 nowSeconds, qint64 wallSeconds) const;
    // How far a header-signed request's time may be from the real time (S3's 15 minutes).
    static constexpr qint64 kMaxSkewSeconds = 15 * 60;
    // The request time check: AccessDenied when it is missing or malformed (`iso8601`:
    // x-amz-date's yyyyMMddTHHmmssZ, else an HTTP date), RequestTimeTooSkewed when too far.
    static Result<void> checkRequestTime(const QByteArray &value, bool iso8601, qint64 wallSeconds);
    // An HTTP (RFC 1123) date, "GMT" included; invalid when it is not one.
    static QDateTime parseHttpDate(const QByteArray &value);
    // A presigned URL's lifetime (SigV4 X-Amz-Date + X-Amz-Expires, at most a week; SigV2
    // Expires): checked on every request, verified or not, since it needs no secret.
    static Result<void> checkPresignedExpiry(const HttpRequest &request, qint64 nowSeconds);

    // A browser form POST (PostObject) signs its base64 policy document, not the request:
    // SigV4 x-amz-signature = hex(HMAC-SHA256(signing key of x-amz-credential's scope,
    // policy)); SigV2 signature = base64(HMAC-SHA1(secret, policy)) with AWSAccessKeyId.
    // Field values as the form sent them; empty when absent.
    struct PostSignature
    {
        QByteArray algorithm; // x-amz-algorithm
        QByteArray credential; // x-amz-credential
        QByteArray signature; // x-amz-signature
        QByteArray accessKeyId; // AWSAccessKeyId (SigV2)
        QByteArray signatureV2; // signature (SigV2)
    };
    Result<void> verifyPostPolicy(const QByteArray &policy, const PostSignature &fields) const;

    // The derived signing key: HMAC chain over date, region, service, "aws4_request".
    static QByteArray signingKey(const QByteArray &secret, const QByteArray &date,
        const QByteArray &region, const QByteArray &service);
    // RFC 3986 encoding as SigV4 wants it (unreserved characters kept; '/' kept when asked).
    static QByteArray uriEncode(const QByteArray &bytes, bool keepSlash);

private:
    // Presigned URLs in the legacy SigV2 query form (AWSAccessKeyId, Expires, Signature), which
    // is what boto3 still generates for S3 by default.
    Result<Verified> verifyV2Query(const HttpRequest &request, qint64 nowSeconds) const;
    // An Authorization header in the legacy SigV2 form, "AWS AKID:signature".
    Result<Verified> verifyV2Header(const HttpRequest &request, qint64 wallSeconds) const;

    QHash<QByteArray, QByteArray> m_secrets; // access key id → secret
    QHash<QByteArray, S3Account> m_accounts; // access key id → account
};

} // namespace tarmac
