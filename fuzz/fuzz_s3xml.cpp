// libFuzzer target for the XML documents S3 clients send: the bounded tree parser and every
// request document built on it (Delete, CompleteMultipartUpload, CreateBucketConfiguration,
// Tagging, CORSConfiguration, NotificationConfiguration), plus the x-amz-tagging header form.
//
// Input: the document. Invariants: no crash or hang; an error is always MalformedXML or one of
// the documented S3 codes; documents Tarmac renders from what it accepted parse again to the
// same values (what GET returns is what PUT stored).

#include "services/s3/s3xml.h"

#include "fuzzsupport.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    static const QStringList known = {QStringLiteral("MalformedXML"), QStringLiteral("InvalidTag"),
        QStringLiteral("InvalidRequest"), QStringLiteral("InvalidArgument")};
    FUZZ_CHECK(known.contains(e.code));
    FUZZ_CHECK(e.httpStatus == 400);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray doc(reinterpret_cast<const char *>(data), qsizetype(size));
    if (auto r = s3xml::parse(doc); !r)
        checkError(r.error());
    if (auto r = s3xml::parseDelete(doc); !r)
        checkError(r.error());
    else
        FUZZ_CHECK(!r->keys.isEmpty() && r->keys.size() <= 1000);
    if (auto r = s3xml::parseCompleteMultipartUpload(doc); !r)
        checkError(r.error());
    if (auto r = s3xml::parseCreateBucketConfiguration(doc); !r)
        checkError(r.error());
    if (auto r = s3xml::parseTagging(doc, 50); !r) {
        checkError(r.error());
    } else {
        auto again = s3xml::parseTagging(s3xml::renderTagging(*r), 50);
        FUZZ_CHECK(again && *again == *r);
    }
    if (auto r = s3xml::parseTaggingHeader(doc); r) {
        auto again = s3xml::parseTaggingHeader(s3xml::taggingToHeader(*r));
        FUZZ_CHECK(again && *again == *r);
    }
    if (auto r = s3xml::parseCors(doc); !r) {
        checkError(r.error());
    } else {
        auto again = s3xml::parseCors(s3xml::renderCors(*r));
        FUZZ_CHECK(again && again->size() == r->size());
    }
    if (auto r = s3xml::parseNotification(doc); !r) {
        checkError(r.error());
    } else {
        auto again = s3xml::parseNotification(s3xml::renderNotification(*r));
        FUZZ_CHECK(again && again->targets.size() == r->targets.size());
        for (qsizetype i = 0; i < r->targets.size(); ++i) {
            FUZZ_CHECK(again->targets[i].arn == r->targets[i].arn);
            FUZZ_CHECK(again->targets[i].events == r->targets[i].events);
        }
    }
    return 0;
}
