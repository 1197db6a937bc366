#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace tarmac {

struct S3Form;

// The policy document of a browser form POST (S3's sigv4-HTTPPOSTConstructPolicy): the
// base64 JSON {"expiration": ISO 8601, "conditions": [...]} the form's signature covers.
// Conditions are exact matches ({"field": "v"}, ["eq", "$field", "v"]), prefixes
// (["starts-with", "$field", "p"]; for Content-Type every item of a comma-separated list
// must match) and ["content-length-range", min, max]. Checking refuses as S3 does: an
// expired policy, a failed condition, and any form field no condition names (except the
// signature fields, policy, file and x-ignore-*) are AccessDenied with S3's "Invalid
// according to Policy: ..." messages; sizes outside the range are EntityTooSmall/Large.
//
// It does not verify the signature (S3SignatureVerifier does) and does not restrict which
// fields may use starts-with.
class S3PostPolicy
{
public:
    struct Condition
    {
        enum class Kind { Equals, StartsWith, ContentLengthRange };
        Kind kind = Kind::Equals;
        QByteArray field; // lower-case, without '$'
        QByteArray value;
        qint64 min = 0;
        qint64 max = 0;
        QByteArray text; // as S3 quotes it in errors: ["eq", "$key", "a"]
    };

    // InvalidPolicyDocument when the base64, the JSON or its shape is wrong.
    static Result<S3PostPolicy> parse(const QByteArray &base64);

    qint64 expirationNs() const { return m_expirationNs; }
    const QList<Condition> &conditions() const { return m_conditions; }

    // Expiry, every condition but content-length-range, and coverage of the fields. `form`'s
    // values are as sent (the key before ${filename} is replaced).
    Result<void> check(const S3Form &form, const QString &bucket, qint64 nowNs) const;
    // The tightest content-length-range, if any.
    std::optional<std::pair<qint64, qint64>> contentLengthRange() const;
    // EntityTooSmall / EntityTooLarge as S3 answers a size outside the range.
    Result<void> checkSize(qint64 size) const;

    // Error messages; the numbers go into S3's <ProposedSize>/<MinSizeAllowed>/<MaxSizeAllowed>.
    static Error entityTooSmall();
    static Error entityTooLarge();

private:
    qint64 m_expirationNs = 0;
    QList<Condition> m_conditions;
};

} // namespace tarmac
