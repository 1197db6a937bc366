#pragma once

#include "base/result.h"
#include "http/httpmessage.h"
#include "services/s3/s3store.h"

#include <optional>

namespace tarmac {

class Clock;
class S3SignatureVerifier;

// PostObject, S3's browser form upload (POST /bucket with a multipart/form-data body), for
// S3RestApi: reads the form (S3FormUpload), verifies the policy's signature when signatures
// are verified, checks the policy (S3PostPolicy) before the file is stored and its
// content-length-range after, turns the form's fields into the object's headers, metadata,
// tags and storage class, stores it (the event is ObjectCreated:Post) and answers as
// success_action_redirect / success_action_status ask.
//
// Without a policy and without signature verification the upload is accepted, as S3 does
// for a publicly writable bucket. The acl field is accepted (a canned ACL) and not applied.
class S3PostObject
{
public:
    struct Outcome
    {
        HttpResponse response; // when `error` is empty
        std::optional<Error> error;
        QByteArray errorElements; // extra XML elements S3 puts in this error
        QByteArray key; // the object's key, once known
        qint64 size = -1; // bytes stored
    };

    S3PostObject(S3Store *store, const S3SignatureVerifier *verifier, const Clock *clock);

    Outcome run(const HttpRequest &request, const QString &bucket, const S3Origin &origin);

private:
    S3Store *m_store;
    const S3SignatureVerifier *m_verifier;
    const Clock *m_clock;
};

} // namespace tarmac
