// libFuzzer target for what EventBridge and the Scheduler read from clients before anything is
// stored: schedule expressions (PutRule, CreateSchedule) with the next fire times they give,
// event patterns (PutRule, TestEventPattern, Lambda's FilterCriteria) matched against an
// event, and targets' InputPath and InputTransformer applied to an event.
//
// The input's first byte picks the reader; the rest is its input. Whatever comes, parsing must
// end with a value or with the service's 4xx error (never an exception or a crash), and what
// it gives must hold together: a next fire time is after the time asked about and, asked
// again from there, the next one is later still; a pattern that parsed matches or not without
// failing; a transformer that was accepted at PutTargets' check renders.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash.

#include "services/eventpattern.h"
#include "services/events/eventinput.h"
#include "services/events/scheduleexpression.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

using namespace tarmac;

namespace {

void checkError(const Error &e)
{
    FUZZ_CHECK(!e.code.isEmpty() && !e.message.isEmpty());
    FUZZ_CHECK(e.httpStatus >= 400 && e.httpStatus < 500);
}

const Json &sampleEvent()
{
    static const Json event = Json::parse(R"({"version": "0", "id": "1", "detail-type": "Order",
        "source": "shop", "account": "000000000000", "time": "2027-01-01T00:00:00Z",
        "region": "us-east-1", "resources": ["arn:a"], "detail": {"total": 150,
        "country": "EU-DE", "items": [{"sku": "a", "n": 2}, {"sku": "b"}], "flag": null,
        "ip": "10.0.0.1", "nested": {"deep": {"x": "y"}}}})");
    return event;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int reader = data[0] % 4;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size) - 1);
    switch (reader) {
    case 0: { // a schedule expression, then when it fires
        const QString text = QString::fromUtf8(bytes);
        for (auto dialect :
            {ScheduleExpression::Dialect::Rule, ScheduleExpression::Dialect::Scheduler}) {
            auto parsed = ScheduleExpression::parse(text, dialect);
            if (!parsed) {
                checkError(parsed.error());
                continue;
            }
            const qint64 start = qint64(1'800'000'000) * 1'000'000'000;
            for (const QTimeZone &zone : {QTimeZone::utc(), QTimeZone("Europe/Berlin")}) {
                auto next = parsed->nextAfter(start, zone, start);
                if (!next)
                    continue;
                FUZZ_CHECK(*next > start);
                auto after = parsed->nextAfter(*next, zone, start);
                FUZZ_CHECK(!after || *after > *next);
            }
        }
        break;
    }
    case 1: { // an event pattern, matched against a sample event and against itself
        for (bool decode : {false, true}) {
            auto pattern = EventPattern::parse(bytes, {decode});
            if (!pattern) {
                checkError(pattern.error());
                continue;
            }
            (void)pattern->matches(sampleEvent());
            if (auto self = parseJson(bytes))
                (void)pattern->matches(*self);
        }
        break;
    }
    case 2: { // InputPath
        (void)applyInputPath(sampleEvent(), QString::fromUtf8(bytes));
        break;
    }
    case 3: { // InputTransformer: {"InputPathsMap": {...}, "InputTemplate": "..."}
        auto json = parseJson(bytes);
        if (!json || !json->is_object())
            return 0;
        JsonFields fields(*json);
        InputTransformer t;
        t.pathsMap = fields.stringMap("InputPathsMap").value_or(QMap<QString, QString>());
        t.inputTemplate = fields.string("InputTemplate").value_or(QString());
        auto checked = checkInputTransformer(t);
        if (!checked) {
            checkError(checked.error());
            break;
        }
        auto rendered = applyInputTransformer(sampleEvent(), t,
            RuleContext {QStringLiteral("arn:aws:events:us-east-1:0:rule/r"), QStringLiteral("r"),
                QStringLiteral("2027-01-01T00:00:00Z")});
        if (!rendered)
            checkError(rendered.error());
        break;
    }
    }
    return 0;
}
