// libFuzzer target for what SQS's APIs read from the network (services/sqs/sqsrequests,
// sqsquery): a send's body and message attributes, a batch's entries, a QueueUrl, a receipt
// handle, and a query-protocol form (translated to the JSON request, which is then read as
// the API reads it, and its XML answer written back).
//
// The input's first byte picks the reader; the rest is its input (JSON for the first two: the
// seeds and sqsapi.dict steer the mutator to the field names with values of every type).
// Whatever comes, reading must end with a value or with SQS's own 4xx error (never an
// exception, which the emulator would die of, or a crash), and what it returns must hold
// together: an error has a code, a client status and a message; a send has a body and at most
// ten attributes of the three types; a batch has one to ten distinct ids; a queue name has no
// slash.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash; so does an
// escaping exception (std::terminate).

#include "services/sqs/sqsquery.h"
#include "services/sqs/sqsrequests.h"

#include "fuzzsupport.h"

#include <QSet>

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty());
    FUZZ_CHECK(e.httpStatus >= 400 && e.httpStatus < 500);
}

void checkAttributes(const SqsAttributes &attributes)
{
    FUZZ_CHECK(attributes.size() <= 10);
    for (const SqsAttributeValue &v : attributes) {
        FUZZ_CHECK(v.dataType.startsWith(QLatin1String("String"))
            || v.dataType.startsWith(QLatin1String("Number"))
            || v.dataType.startsWith(QLatin1String("Binary")));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int reader = data[0] % 5;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    switch (reader) {
    case 0: { // SendMessage's body
        auto json = parseJson(bytes);
        if (!json)
            return 0;
        JsonFields fields(*json);
        auto send = sqsrequests::readSend(fields);
        if (!send) {
            checkError(send.error());
            return 0;
        }
        FUZZ_CHECK(!send->body.isEmpty());
        checkAttributes(send->attributes);
        for (auto it = send->systemAttributes.cbegin(); it != send->systemAttributes.cend(); ++it)
            FUZZ_CHECK(it.key() == QLatin1String("AWSTraceHeader"));
        break;
    }
    case 1: { // a batch's Entries
        auto json = parseJson(bytes);
        if (!json)
            return 0;
        const Json *entries
            = json->is_object() && json->contains("Entries") ? &(*json)["Entries"] : nullptr;
        auto ids = sqsrequests::checkBatchEntries(entries);
        if (!ids) {
            checkError(ids.error());
            return 0;
        }
        FUZZ_CHECK(!ids->isEmpty() && ids->size() <= 10);
        FUZZ_CHECK(QSet<QString>(ids->cbegin(), ids->cend()).size() == ids->size());
        for (const Json &e : *entries) {
            JsonFields entry(e);
            (void)sqsrequests::readSend(entry); // each entry read as a send, as the API does
        }
        break;
    }
    case 2: { // a QueueUrl
        auto queue = sqsrequests::queueFromUrl(QString::fromUtf8(bytes));
        if (!queue) {
            checkError(queue.error());
            return 0;
        }
        FUZZ_CHECK(!queue->isEmpty() && !queue->contains(u'/'));
        break;
    }
    case 3: { // a receipt handle
        const auto handle = sqsrequests::parseReceiptHandle(QString::fromUtf8(bytes));
        if (handle)
            FUZZ_CHECK(handle->first > 0 && handle->second > 0);
        break;
    }
    case 4: { // a query-protocol form: the body, then (after a newline) the URL's query
        const qsizetype nl = bytes.indexOf('\n');
        auto request = sqsquery::toJsonRequest(nl < 0 ? bytes : bytes.left(nl),
            nl < 0 ? QByteArray() : bytes.mid(nl + 1), QStringLiteral("/000000000000/q"));
        if (!request) {
            checkError(request.error());
            return 0;
        }
        FUZZ_CHECK(!request->operation.isEmpty() && request->body.is_object());
        JsonFields fields(request->body);
        if (auto send = sqsrequests::readSend(fields))
            checkAttributes(send->attributes);
        if (request->body.contains("Entries"))
            (void)sqsrequests::checkBatchEntries(&request->body["Entries"]);
        // The request echoed as an answer: XML whatever the values.
        const QByteArray xml = sqsquery::toXml(request->operation, request->body, "id");
        FUZZ_CHECK(xml.startsWith("<?xml") && xml.endsWith("Response>"));
        break;
    }
    }
    return 0;
}
