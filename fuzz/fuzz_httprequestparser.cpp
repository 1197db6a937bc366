// libFuzzer target for HttpRequestParser.
//
// Input: two control bytes, then the bytes a client sends on one connection.
//   byte 0  seeds the split points: the stream reaches one parser in pieces of 1 to ~300
//           bytes, the way TCP segments arrive, so the incremental paths are exercised;
//   byte 1  picks the limits: the body limit the head callback returns (bits 0-1) and the
//           header limit (bits 2-3), small enough for 413 and 431 to be reached.
// A second parser gets the whole stream at once. Both handle pipelined requests
// (reset and go on after Complete), stop at the first error and end with finish(), and
// must agree on every request and error: how the bytes were split must not matter.
// Bodies above 1 KiB are spooled to a temporary folder, so the spool path is fuzzed too.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash. The seed
// inputs in corpus/httprequestparser/ start with the two control bytes too ("a@" is: no
// body limit, 64 KiB of headers).

#include "http/httprequestparser.h"

#include "fuzzsupport.h"

#include <QByteArray>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <memory>

using tarmac::HttpRequest;
using tarmac::HttpRequestParser;

namespace {

constexpr qint64 SpoolThreshold = 1024;

std::unique_ptr<QTemporaryDir> spoolDir;

// What a connection saw: one entry per complete request, then at most one error.
struct Outcome
{
    bool isError = false;
    int errorStatus = 0;
    QByteArray method;
    QByteArray target;
    QByteArray path;
    QByteArray query;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool spooled = false;
    bool keepAlive = false;
    bool expectsContinue = false;

    bool operator==(const Outcome &) const = default;
};

// Split points from a seed: mostly small pieces, sometimes one large one.
class Splitter
{
public:
    explicit Splitter(uint8_t seed)
        : m_state(0x9E3779B9u ^ (uint32_t(seed) * 0x01000193u))
    { }

    qsizetype next()
    {
        m_state ^= m_state << 13;
        m_state ^= m_state >> 17;
        m_state ^= m_state << 5;
        switch (m_state & 3) {
        case 0:
            return 1;
        case 1:
        case 2:
            return 1 + qsizetype((m_state >> 8) % 16);
        default:
            return 1 + qsizetype((m_state >> 8) % 300);
        }
    }

private:
    uint32_t m_state;
};

void checkComplete(HttpRequestParser &parser, QList<Outcome> &outcomes)
{
    const qint64 received = parser.bodyBytesReceived();
    const bool expectsContinue = parser.expectsContinue();
    HttpRequest request = parser.takeRequest();

    FUZZ_CHECK(!request.method.isEmpty());
    FUZZ_CHECK(request.path.startsWith('/') || request.path == "*");
    FUZZ_CHECK(!request.path.contains('?') && !request.path.contains('#'));
    FUZZ_CHECK(!request.query.contains('#'));
    FUZZ_CHECK(request.versionMajor == 1);
    FUZZ_CHECK(request.body.size() == received);
    FUZZ_CHECK(request.body.isSpooled() == (received > SpoolThreshold));
    const QByteArray body = request.body.toByteArray();
    FUZZ_CHECK(body.size() == received);

    Outcome o;
    o.method = request.method;
    o.target = request.target;
    o.path = request.path;
    o.query = request.query;
    o.headers = request.headers.fields();
    o.body = body;
    o.spooled = request.body.isSpooled();
    o.keepAlive = request.keepAlive;
    o.expectsContinue = expectsContinue;
    outcomes.append(std::move(o));
}

void checkError(const HttpRequestParser &parser, QList<Outcome> &outcomes)
{
    FUZZ_CHECK(parser.errorStatus() >= 400 && parser.errorStatus() <= 599);
    FUZZ_CHECK(!parser.errorReason().isEmpty());
    Outcome o;
    o.isError = true;
    o.errorStatus = parser.errorStatus();
    outcomes.append(std::move(o));
}

// Runs one connection's bytes through a parser, delivered in pieces of nextPiece() bytes.
// Unconsumed bytes stay buffered, as in HttpConnection.
template<typename NextPiece>
QList<Outcome> runConnection(const QByteArray &stream, HttpRequestParser::Limits limits,
    qint64 bodyLimit, NextPiece nextPiece)
{
    HttpRequestParser parser(std::move(limits));
    parser.setHeadCallback([bodyLimit](const HttpRequest &head) {
        FUZZ_CHECK(!head.method.isEmpty());
        return bodyLimit;
    });

    QList<Outcome> outcomes;
    QByteArray buffer;
    qsizetype offset = 0;
    while (offset < stream.size()) {
        const qsizetype piece = qMin(nextPiece(), stream.size() - offset);
        buffer.append(stream.constData() + offset, piece);
        offset += piece;
        while (!buffer.isEmpty()) {
            const qsizetype given = buffer.size();
            const qsizetype consumed = parser.feed(buffer.constData(), given);
            FUZZ_CHECK(consumed >= 0 && consumed <= given);
            buffer.remove(0, consumed);
            switch (parser.state()) {
            case HttpRequestParser::State::Complete:
                checkComplete(parser, outcomes);
                parser.reset();
                FUZZ_CHECK(parser.state() == HttpRequestParser::State::Head);
                FUZZ_CHECK(!parser.hasPartialRequest());
                continue;
            case HttpRequestParser::State::Error:
                checkError(parser, outcomes);
                // The connection answers the error and closes: later bytes are never read.
                FUZZ_CHECK(parser.feed(buffer.constData(), buffer.size()) == 0);
                return outcomes;
            case HttpRequestParser::State::Head:
            case HttpRequestParser::State::Body:
                // Short of a whole request, the parser takes everything it is given.
                FUZZ_CHECK(consumed == given);
                break;
            }
        }
    }

    const bool partial = parser.hasPartialRequest();
    parser.finish();
    if (partial) {
        FUZZ_CHECK(parser.state() == HttpRequestParser::State::Error);
        FUZZ_CHECK(parser.errorStatus() == 400);
    } else {
        FUZZ_CHECK(parser.state() == HttpRequestParser::State::Head);
    }
    if (parser.state() == HttpRequestParser::State::Error)
        checkError(parser, outcomes);
    return outcomes;
}

bool isLimitError(int status)
{
    return status == 413 || status == 431;
}

// Split and whole delivery must agree on every request. A limit error may stand in for a
// malformed request (or the other way round): with pieces, the limit can be crossed by
// bytes that precede the syntax error the parser would otherwise have found first.
bool sameOutcomes(const QList<Outcome> &a, const QList<Outcome> &b)
{
    if (a == b)
        return true;
    if (a.size() != b.size() || a.isEmpty())
        return false;
    for (qsizetype i = 0; i + 1 < a.size(); ++i) {
        if (a.at(i) != b.at(i))
            return false;
    }
    const Outcome &x = a.last();
    const Outcome &y = b.last();
    return x.isError && y.isError
        && ((isLimitError(x.errorStatus) && (isLimitError(y.errorStatus) || y.errorStatus == 400))
            || (isLimitError(y.errorStatus) && x.errorStatus == 400));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    spoolDir = std::make_unique<QTemporaryDir>();
    if (!spoolDir->isValid())
        __builtin_trap();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t splitSeed = data[0];
    const uint8_t limitBits = data[1];
    const QByteArray stream(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));

    static constexpr qint64 bodyLimits[] = {-1, 0, 100, 3000};
    static constexpr qint64 headerLimits[] = {64 * 1024, 64, 300, 1500};
    const qint64 bodyLimit = bodyLimits[limitBits & 3];
    HttpRequestParser::Limits limits;
    limits.maxHeaderBytes = headerLimits[(limitBits >> 2) & 3];
    limits.spoolThreshold = SpoolThreshold;
    limits.spoolDir = spoolDir->path();

    Splitter splitter(splitSeed);
    const QList<Outcome> split
        = runConnection(stream, limits, bodyLimit, [&splitter] { return splitter.next(); });
    const QList<Outcome> whole
        = runConnection(stream, limits, bodyLimit, [&stream] { return stream.size(); });
    FUZZ_CHECK(sameOutcomes(split, whole));
    return 0;
}
