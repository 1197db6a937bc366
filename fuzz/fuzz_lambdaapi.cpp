// libFuzzer target for the Lambda API's request reading (services/lambda/lambdarequests): every
// operation that takes a body or headers, on whatever bytes arrive.
//
// The input's first byte picks the operation (the event-source mappings' also go through the
// registry's pure rules: the model's checks, the kinds of source, the filter patterns), the second
// the Invoke headers; the rest is the body (JSON, mostly: the seeds and lambdaapi.dict steer the
// mutator to the requests' field names with values of every type). Whatever comes, reading must end
// with a request or with Lambda's own 4xx error (never an exception, which the emulator would die
// of, or a crash), and what it returns must hold together: an error has a code, a client status and
// a message, and a validation message names the field; a CreateFunction names its function and a
// package; a configuration update applies without touching what was not sent.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash; so does an
// escaping exception (std::terminate).

#include "services/lambda/lambdarequests.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty());
    FUZZ_CHECK(e.httpStatus >= 400 && e.httpStatus < 500);
    FUZZ_CHECK(e.code == QLatin1String("InvalidParameterValueException")
        || e.code == QLatin1String("InvalidRequestContentException")
        || e.code == QLatin1String("RequestEntityTooLargeException"));
    // A validation message says which field: "... at 'ephemeralStorage.size' failed ...".
    if (e.message.startsWith(QLatin1String("1 validation error detected")))
        FUZZ_CHECK(e.message.contains(QLatin1String(" at '"))
            && e.message.contains(QLatin1String("' failed to satisfy constraint: ")));
}

template<typename T>
bool failed(const Result<T> &r)
{
    if (r)
        return false;
    checkError(r.error());
    return true;
}

void checkCode(const lambdarequests::CodeSource &code)
{
    if (code.fromS3())
        FUZZ_CHECK(!code.s3Key.isEmpty() && code.zip.isEmpty());
    else
        FUZZ_CHECK(code.s3Key.isEmpty() && code.s3ObjectVersion.isEmpty());
}

const QByteArray kInvocationTypes[] = {{}, "RequestResponse", "Event", "DryRun", "event", "\x01"};
const QByteArray kLogTypes[] = {{}, "None", "Tail", "tail"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const unsigned operation = data[0] % 10;
    const unsigned headers = data[1];
    HttpRequest request;
    request.method = "POST";
    request.body
        = HttpBody(QByteArray(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2)));

    if (operation == 7) { // Invoke: its headers, then its payload
        request.headers.add("x-amz-invocation-type", kInvocationTypes[headers % 6]);
        request.headers.add("x-amz-log-type", kLogTypes[(headers / 6) % 4]);
        auto type = lambdarequests::invocationType(request);
        auto tail = lambdarequests::tailLogs(request);
        if (failed(type) || failed(tail))
            return 0;
        auto payload = lambdarequests::invokePayload(request, *type);
        if (failed(payload))
            return 0;
        FUZZ_CHECK(parseJson(*payload).ok());
        return 0;
    }

    auto body = lambdarequests::bodyObject(request);
    if (failed(body))
        return 0;
    FUZZ_CHECK(body->is_object());

    switch (operation) {
    case 0: { // CreateFunction
        auto r = lambdarequests::createFunction(*body);
        if (failed(r))
            return 0;
        FUZZ_CHECK(!r->function.config.name.isEmpty());
        FUZZ_CHECK(r->function.architectures.size() == 1);
        checkCode(r->code);
        break;
    }
    case 1: { // UpdateFunctionConfiguration
        auto r = lambdarequests::configurationUpdate(*body);
        if (failed(r))
            return 0;
        LambdaFunction fn;
        fn.config.name = QStringLiteral("f");
        fn.tags.insert(QStringLiteral("kept"), QStringLiteral("yes"));
        const LambdaFunction before = fn;
        r->applyTo(fn);
        FUZZ_CHECK(fn.config.name == before.config.name && fn.tags == before.tags);
        FUZZ_CHECK(r->timeout || fn.config.timeoutSeconds == before.config.timeoutSeconds);
        FUZZ_CHECK(r->environment || fn.config.environment == before.config.environment);
        break;
    }
    case 2: { // UpdateFunctionCode
        auto r = lambdarequests::codeUpdate(*body);
        if (failed(r))
            return 0;
        checkCode(r->code);
        break;
    }
    case 3: { // PutFunctionConcurrency
        auto r = lambdarequests::reservedConcurrency(*body);
        if (failed(r))
            return 0;
        FUZZ_CHECK(*r >= 0);
        break;
    }
    case 4: // PutFunctionEventInvokeConfig
    case 5: { // UpdateFunctionEventInvokeConfig, over a configuration with destinations
        EventInvokeConfig base;
        if (operation == 5) {
            base.maximumRetryAttempts = 1;
            base.onSuccess = QStringLiteral("arn:aws:lambda:us-east-1:000000000000:function:s");
        }
        auto r = lambdarequests::eventInvokeConfig(*body, base);
        if (failed(r))
            return 0;
        if (!body->contains("DestinationConfig"))
            FUZZ_CHECK(r->onSuccess == base.onSuccess && r->onFailure == base.onFailure);
        break;
    }
    case 6: { // TagResource
        auto r = lambdarequests::tags(*body);
        if (failed(r))
            return 0;
        break;
    }
    case 8: // CreateEventSourceMapping
    case 9: { // UpdateEventSourceMapping: then the registry's checks of what was sent
        const bool create = operation == 8;
        auto r = lambdarequests::eventSourceMapping(*body, create);
        if (failed(r))
            return 0;
        const EventSourceMappingRequest &s = r->settings;
        FUZZ_CHECK(create || (!s.eventSourceArn && !s.startingPosition && !s.tags));
        FUZZ_CHECK(s.maximumConcurrency || !body->contains("ScalingConfig")
            || !(*body)["ScalingConfig"].is_object());
        if (failed(EventSourceMappings::checkRequest(s)))
            return 0;
        FUZZ_CHECK(!s.batchSize || (*s.batchSize >= 1 && *s.batchSize <= 10000));
        // The filter patterns that passed, matched against the body itself as a record.
        if (s.filterPatterns)
            (void)matchesFilters(*s.filterPatterns, *body);
        // And the rules of either kind of source over the request's settings.
        EventSourceMapping mapping;
        mapping.batchSize = s.batchSize.value_or(0);
        mapping.startingPosition = s.startingPosition.value_or(QString());
        mapping.maximumRetryAttempts = s.maximumRetryAttempts;
        for (const auto kind : {EventSource::Kind::Queue, EventSource::Kind::Stream}) {
            EventSourceMapping m = mapping;
            if (!failed(EventSourceMappings::applyKindRules(m, kind)))
                FUZZ_CHECK(m.batchSize >= 1 && m.batchSize <= 10000);
        }
        break;
    }
    }
    return 0;
}
