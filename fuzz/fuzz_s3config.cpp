// libFuzzer target for the S3 configuration documents clients send, and the rules built on
// them: bucket policies (JSON, then evaluated), AccessControlPolicy bodies and grant headers,
// public access blocks, ownership controls, lifecycle configurations (then evaluated on a
// version), object lock configurations, retentions and legal holds, bucket encryption, and the
// server-side encryption headers.
//
// Input: the document (the first byte also picks a few evaluation inputs). Invariants: no
// crash or hang; errors are 4xx with an S3 code; what Tarmac renders from an accepted document
// parses again to the same thing (what GET returns is what PUT stored).

#include "services/s3/s3access.h"
#include "services/s3/s3lifecycle.h"
#include "services/s3/s3objectlock.h"
#include "services/s3/s3sse.h"

#include "fuzzsupport.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    FUZZ_CHECK(!e.code.isEmpty());
    FUZZ_CHECK(e.httpStatus >= 400 && e.httpStatus < 500);
}

void policy(const QByteArray &doc, quint8 pick)
{
    auto p = S3BucketPolicy::parse(doc, QStringLiteral("fuzz-bucket"));
    if (!p) {
        checkError(p.error());
        return;
    }
    (void)p->isPublic();
    const S3Account account = s3access::makeAccount(QStringLiteral("111122223333"), {});
    S3AccessRequest request;
    request.requester = (pick & 1) ? &account : nullptr;
    request.action = (pick & 2) ? QStringLiteral("s3:GetObject") : QStringLiteral("s3:ListBucket");
    request.resource = (pick & 2) ? s3access::objectArn(QStringLiteral("fuzz-bucket"), "a/b")
                                  : s3access::bucketArn(QStringLiteral("fuzz-bucket"));
    request.context.set(QStringLiteral("aws:SourceIp"), QStringLiteral("127.0.0.1"));
    request.context.set(QStringLiteral("s3:prefix"), QString::fromUtf8(doc.left(8)));
    (void)p->evaluate(request);
}

void acl(const QByteArray &doc)
{
    const S3Account owner = s3access::defaultAccount();
    if (auto a = s3access::parseAccessControlPolicy(doc, owner, {}); !a) {
        checkError(a.error());
    } else {
        auto again = s3access::parseAccessControlPolicy(
            s3access::renderAccessControlPolicy(*a), owner, {});
        FUZZ_CHECK(again && again->grants.size() == a->grants.size());
        auto stored = s3access::aclFromStorage(s3access::aclToStorage(*a));
        FUZZ_CHECK(stored && stored->grants.size() == a->grants.size());
    }
    (void)s3access::aclFromStorage(doc);
    S3GrantHeaders grants;
    grants.read = doc;
    if (auto a = s3access::aclFromHeaders({}, grants, owner, nullptr, {}); !a)
        checkError(a.error());
    if (auto a = s3access::aclFromHeaders(doc, {}, owner, &owner, {}); !a)
        checkError(a.error());
    if (auto b = s3access::parsePublicAccessBlock(doc); !b) {
        checkError(b.error());
    } else {
        auto again = s3access::parsePublicAccessBlock(s3access::renderPublicAccessBlock(*b));
        FUZZ_CHECK(again && *again == *b);
    }
    if (auto o = s3access::parseOwnershipControls(doc); !o) {
        checkError(o.error());
    } else {
        auto again = s3access::parseOwnershipControls(s3access::renderOwnershipControls(*o));
        FUZZ_CHECK(again && *again == *o);
    }
}

void lifecycle(const QByteArray &doc, quint8 pick)
{
    auto c = s3lifecycle::parseConfiguration(doc);
    if (!c) {
        checkError(c.error());
        return;
    }
    auto again = s3lifecycle::parseConfiguration(s3lifecycle::renderConfiguration(*c));
    FUZZ_CHECK(again && again->rules.size() == c->rules.size());
    s3lifecycle::ObjectVersion v;
    v.key = doc.left(16);
    v.size = pick * 4096;
    v.lastModifiedNs = 1'700'000'000'000'000'000;
    v.isCurrent = pick & 1;
    v.isDeleteMarker = pick & 2;
    v.versioned = pick & 4;
    v.noncurrentSinceNs = v.lastModifiedNs;
    v.onlyVersion = pick & 8;
    const auto d
        = s3lifecycle::evaluate(*c, v, v.lastModifiedNs + qint64(pick) * 86'400'000'000'000);
    FUZZ_CHECK(d.nextDueNs >= 0);
    (void)s3lifecycle::expirationHeader(*c, v);
    (void)s3lifecycle::evaluateUpload(*c, v.key, v.lastModifiedNs, v.lastModifiedNs);
}

void objectLock(const QByteArray &doc)
{
    const qint64 now = 1'700'000'000'000'000'000;
    if (auto c = s3objectlock::parseConfiguration(doc); !c) {
        checkError(c.error());
    } else {
        auto again = s3objectlock::parseConfiguration(s3objectlock::renderConfiguration(*c));
        FUZZ_CHECK(again && *again == *c);
    }
    if (auto r = s3objectlock::parseRetention(doc, now); !r) {
        checkError(r.error());
    } else {
        (void)s3objectlock::renderRetention(*r);
        (void)s3objectlock::checkRetentionChange(*r, {}, now, false);
    }
    if (auto h = s3objectlock::parseLegalHold(doc); !h)
        checkError(h.error());
    const QList<QByteArray> parts = doc.split('\n');
    if (parts.size() >= 3) {
        if (auto l = s3objectlock::parseHeaders(parts[0], parts[1], parts[2], now); !l)
            checkError(l.error());
        else
            (void)s3objectlock::checkDelete(*l, now, parts.size() > 3);
    }
}

void encryption(const QByteArray &doc)
{
    if (auto e = s3sse::parseBucketEncryption(doc); !e) {
        checkError(e.error());
    } else {
        auto again = s3sse::parseBucketEncryption(s3sse::renderBucketEncryption(*e));
        FUZZ_CHECK(again && *again == *e);
    }
    // Headers: "name: value" lines.
    QList<std::pair<QByteArray, QByteArray>> headers;
    for (const QByteArray &line : doc.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    const s3sse::HeaderLookup lookup = [&headers](QByteArrayView name) {
        for (const auto &[n, v] : headers) {
            if (n == name)
                return v.isNull() ? QByteArray("") : v;
        }
        return QByteArray();
    };
    if (auto w = s3sse::parseWriteRequest(lookup); !w) {
        checkError(w.error());
    } else {
        const s3sse::Encryption resolved = s3sse::resolveWrite(*w, {}, {});
        const s3sse::Encryption stored = s3sse::fromStoredForm(s3sse::storedForm(resolved));
        FUZZ_CHECK(stored.algorithm == resolved.algorithm);
        FUZZ_CHECK(stored.customerKeyMd5 == resolved.customerKeyMd5);
    }
    if (auto k
        = s3sse::parseCustomerKey(lookup, s3sse::KeyHeaders::CopySource, s3sse::KeyUse::Read);
        !k)
        checkError(k.error());
    if (auto r = s3sse::checkReadRequest(lookup); !r)
        checkError(r.error());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const quint8 pick = data[0];
    const QByteArray doc(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    policy(doc, pick);
    acl(doc);
    lifecycle(doc, pick);
    objectLock(doc);
    encryption(doc);
    return 0;
}
