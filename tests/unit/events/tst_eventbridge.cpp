// EventBridge's and the Scheduler's models on a ManualClock: PutEvents matched against rules and
// handed to their targets (a queue of the test's own, through MessageTargets) with each
// target's input shaping, what a restart keeps, what bad requests get, and the timers: a rate
// rule's ticks on an advanced clock, a jump of years bounded, a one-time schedule deleted after
// it fires; and the modules' reloadState() when their rows are replaced underneath (a reset, a
// snapshot restored).
#include "base/clock.h"
#include "services/events/eventbridge.h"
#include "services/events/eventsmodule.h"
#include "services/events/eventtargets.h"
#include "services/events/scheduleexpression.h"
#include "services/events/scheduler.h"
#include "services/events/scheduletimers.h"
#include "services/messagetargets.h"
#include "services/servicemodule.h"
#include "store/database.h"
#include "store/store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

// A queue service of the test's own: what each ARN received.
class FakeQueues : public MessageTarget
{
public:
    Result<void> deliverMessage(const QString &arn, const TargetMessage &message) override
    {
        if (arn.endsWith(QLatin1String(":missing")))
            return makeError(QStringLiteral("QueueDoesNotExist"), QStringLiteral("no queue"), 400);
        received[arn].append(message);
        return {};
    }
    bool targetExists(const QString &arn) const override
    {
        return !arn.endsWith(QLatin1String(":missing"));
    }
    QHash<QString, QList<TargetMessage>> received;
};

const QString kQueue = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:q");
const QString kDlq = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:dlq");
const QString kScheduleQueue = QStringLiteral("arn:aws:sqs:us-east-1:000000000000:sq");
constexpr qint64 kMinuteNs = qint64(60) * 1'000'000'000;

Json J(const char *text)
{
    return Json::parse(text);
}

} // namespace

class TestEventBridge : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void putEventsRoutesMatches();
    void targetInputs();
    void missingTargetGoesToTheDeadLetterQueue();
    void rulesSurviveReopen();
    void badRequests();
    void rateRuleTicksInOrder();
    void yearsOfTicksAreBounded();
    void oneTimeScheduleDeletesItself();
    void scheduleStartAndEndDates();
    void reloadForgetsDeletedRows();
    void reloadTakesRestoredRows();

private:
    void reopen();
    // A rule ticking every 5 minutes to kQueue and a schedule every 10 minutes, from 10
    // minutes on, to kScheduleQueue, put in the rows through the test's models.
    void putTickingRuleAndSchedule();
    // Runs `sql` on the store's writer connection, as the engine replaces the rows.
    void exec(const char *sql)
    {
        QVERIFY(m_store->write([sql](Database &db) { return db.exec(sql); }));
    }
    EngineContext moduleContext()
    {
        EngineContext context;
        context.clock = m_clock.get();
        context.store = m_store.get();
        context.messageTargets = &m_targets;
        return context;
    }
    Result<Json> call(const char *op, const char *body)
    {
        return m_bridge->call(QLatin1String(op), J(body), {});
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<Store> m_store;
    MessageTargets m_targets;
    FakeQueues m_queues;
    std::unique_ptr<EventTargetSender> m_sender;
    std::unique_ptr<EventBridge> m_bridge;
    std::unique_ptr<Scheduler> m_scheduler;
};

void TestEventBridge::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_clock = std::make_unique<ManualClock>(qint64(1'800'000'000) * 1'000'000'000);
    m_targets.add(QStringLiteral("sqs"), &m_queues);
    reopen();
}

void TestEventBridge::reopen()
{
    m_bridge.reset();
    m_scheduler.reset();
    m_sender.reset();
    m_store.reset();
    auto store = Store::open(m_dir->path());
    QVERIFY(store);
    m_store = std::move(*store);
    EngineContext context;
    context.clock = m_clock.get();
    context.store = m_store.get();
    context.messageTargets = &m_targets;
    m_sender = std::make_unique<EventTargetSender>(context);
    m_bridge = std::make_unique<EventBridge>(
        QStringLiteral("us-east-1"), QStringLiteral("000000000000"), m_clock.get());
    QVERIFY(m_bridge->open(m_store.get()));
    m_bridge->setSender(m_sender.get());
    m_scheduler = std::make_unique<Scheduler>(
        QStringLiteral("us-east-1"), QStringLiteral("000000000000"), m_clock.get());
    QVERIFY(m_scheduler->open(m_store.get()));
    m_scheduler->setSender(m_sender.get());
}

void TestEventBridge::cleanup()
{
    m_bridge.reset();
    m_scheduler.reset();
    m_sender.reset();
    m_store.reset();
    m_targets.remove(&m_queues);
    m_queues.received.clear();
}

void TestEventBridge::putEventsRoutesMatches()
{
    QVERIFY(call("CreateEventBus", R"j({"Name": "orders"})j"));
    QVERIFY(call("PutRule",
        R"j({"Name": "big", "EventBusName": "orders",
            "EventPattern": "{\u0022detail\u0022: {\u0022total\u0022: [{\u0022numeric\u0022: [\u0022>\u0022, 100]}]}}"})j"));
    QVERIFY(call("PutRule",
        R"j({"Name": "default-bus", "EventPattern": "{\u0022source\u0022: [\u0022shop\u0022]}"})j"));
    QVERIFY(call("PutTargets", R"j({"Rule": "big", "EventBusName": "orders",
        "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    QVERIFY(call("PutTargets", R"j({"Rule": "default-bus",
        "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    auto r = call("PutEvents", R"j({"Entries": [
        {"Source": "shop", "DetailType": "t", "Detail": "{\u0022total\u0022: 150}", "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "t", "Detail": "{\u0022total\u0022: 50}", "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "t", "Detail": "{\u0022total\u0022: 500}"},
        {"Source": "shop", "DetailType": "t", "Detail": "[1]"},
        {"Source": "shop", "DetailType": "t", "Detail": "{}", "EventBusName": "nope"}]})j");
    QVERIFY(r);
    QCOMPARE((*r)["FailedEntryCount"].get<int>(), 2);
    QCOMPARE((*r)["Entries"][3]["ErrorCode"].get<std::string>(), std::string("MalformedDetail"));
    QCOMPARE((*r)["Entries"][4]["ErrorCode"].get<std::string>(),
        std::string("ResourceNotFoundException"));
    const auto &got = m_queues.received[kQueue];
    QCOMPARE(got.size(), 2); // entry 0 on orders (big), entry 2 on default (default-bus)
    const Json first = Json::parse(got[0].body.toStdString());
    QCOMPARE(first["detail"]["total"].get<int>(), 150);
    QVERIFY(first["id"] == (*r)["Entries"][0]["EventId"]);
    QCOMPARE(first["account"].get<std::string>(), std::string("000000000000"));
    QCOMPARE(Json::parse(got[1].body.toStdString())["detail"]["total"].get<int>(), 500);
}

void TestEventBridge::targetInputs()
{
    QVERIFY(call(
        "PutRule", R"j({"Name": "r", "EventPattern": "{\u0022source\u0022: [\u0022s\u0022]}"})j"));
    auto put = call("PutTargets", R"j({"Rule": "r", "Targets": [
        {"Id": "a", "Arn": "arn:aws:sqs:us-east-1:000000000000:a", "Input": "{\u0022fixed\u0022: true}"},
        {"Id": "b", "Arn": "arn:aws:sqs:us-east-1:000000000000:b", "InputPath": "$.detail.order"},
        {"Id": "c", "Arn": "arn:aws:sqs:us-east-1:000000000000:c", "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.order.id", "src": "$.source"},
            "InputTemplate": "{\u0022order\u0022: <id>, \u0022text\u0022: \u0022from <src>\u0022}"}}]})j");
    QVERIFY(put);
    QCOMPARE((*put)["FailedEntryCount"].get<int>(), 0);
    QVERIFY(call("PutEvents", R"j({"Entries": [{"Source": "s", "DetailType": "t",
        "Detail": "{\u0022order\u0022: {\u0022id\u0022: 7, \u0022sku\u0022: \u0022x\u0022}}"}]})j"));
    const auto body = [&](const char *q) {
        const auto &list = m_queues.received[QStringLiteral("arn:aws:sqs:us-east-1:000000000000:")
            + QLatin1String(q)];
        return list.isEmpty() ? Json() : Json::parse(list[0].body.toStdString());
    };
    QVERIFY(body("a") == J(R"j({"fixed": true})j"));
    QVERIFY(body("b") == J(R"j({"id": 7, "sku": "x"})j"));
    QVERIFY(body("c") == J(R"j({"order": 7, "text": "from s"})j"));
}

void TestEventBridge::missingTargetGoesToTheDeadLetterQueue()
{
    QVERIFY(call(
        "PutRule", R"j({"Name": "r", "EventPattern": "{\u0022source\u0022: [\u0022s\u0022]}"})j"));
    QVERIFY(call("PutTargets", R"j({"Rule": "r", "Targets": [
        {"Id": "a", "Arn": "arn:aws:sqs:us-east-1:000000000000:missing",
         "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"}}]})j"));
    QVERIFY(call(
        "PutEvents", R"j({"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}"}]})j"));
    const auto &dead = m_queues.received[kDlq];
    QCOMPARE(dead.size(), 1);
    QCOMPARE(dead[0].attributes.value(QStringLiteral("ERROR_CODE")).second,
        QStringLiteral("QueueDoesNotExist"));
    QCOMPARE(dead[0].attributes.value(QStringLiteral("RULE_ARN")).second,
        QStringLiteral("arn:aws:events:us-east-1:000000000000:rule/r"));
    QCOMPARE(
        Json::parse(dead[0].body.toStdString())["source"].get<std::string>(), std::string("s"));
}

void TestEventBridge::rulesSurviveReopen()
{
    QVERIFY(call("CreateEventBus", R"j({"Name": "b"})j"));
    QVERIFY(call("PutRule",
        R"j({"Name": "r", "EventBusName": "b", "EventPattern": "{\u0022source\u0022: [\u0022s\u0022]}", "State": "DISABLED"})j"));
    QVERIFY(call("PutTargets", R"j({"Rule": "r", "EventBusName": "b",
        "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    reopen();
    auto r = call("DescribeRule", R"j({"Name": "r", "EventBusName": "b"})j");
    QVERIFY(r);
    QCOMPARE((*r)["State"].get<std::string>(), std::string("DISABLED"));
    QVERIFY(call("EnableRule", R"j({"Name": "r", "EventBusName": "b"})j"));
    QVERIFY(call("PutEvents",
        R"j({"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}", "EventBusName": "b"}]})j"));
    QCOMPARE(m_queues.received[kQueue].size(), 1);
}

void TestEventBridge::badRequests()
{
    const auto code = [&](const char *op, const char *body) {
        auto r = call(op, body);
        return r ? QString() : r.error().code;
    };
    QCOMPARE(code("PutRule", R"j({"Name": "x", "ScheduleExpression": "rate(1 minutes)"})j"),
        QStringLiteral("ValidationException"));
    QCOMPARE(code("PutRule",
                 R"j({"Name": "x", "EventPattern": "{\u0022a\u0022: [{\u0022nope\u0022: 1}]}"})j"),
        QStringLiteral("InvalidEventPatternException"));
    QCOMPARE(code("PutRule", R"j({"Name": "x"})j"), QStringLiteral("ValidationException"));
    QCOMPARE(code("PutRule", R"j({"Name": "bad name", "EventPattern": "{}"})j"),
        QStringLiteral("ValidationException"));
    QCOMPARE(code("PutRule", R"j({"Name": 5, "EventPattern": "{}"})j"),
        QStringLiteral("ValidationException"));
    QCOMPARE(code("PutTargets", R"j({"Rule": "none", "Targets": [{"Id": "a", "Arn": "x"}]})j"),
        QStringLiteral("ResourceNotFoundException"));
    QVERIFY(call(
        "PutRule", R"j({"Name": "r", "EventPattern": "{\u0022source\u0022: [\u0022s\u0022]}"})j"));
    QCOMPARE(
        code("PutTargets",
            R"j({"Rule": "r", "Targets": [{"Id": "a", "Arn": "x", "Input": "{}", "InputPath": "$"}]})j"),
        QStringLiteral("ValidationException"));
    QCOMPARE(code("PutTargets", R"j({"Rule": "r", "Targets": "x"})j"),
        QStringLiteral("ValidationException"));
    QCOMPARE(code("PutEvents", R"j({"Entries": []})j"), QStringLiteral("ValidationException"));
    QCOMPARE(code("Nope", R"j({})j"), QStringLiteral("UnknownOperationException"));
    QCOMPARE(
        code("DeleteEventBus", R"j({"Name": "default"})j"), QStringLiteral("ValidationException"));
}

void TestEventBridge::rateRuleTicksInOrder()
{
    QVERIFY(call("PutRule", R"j({"Name": "tick", "ScheduleExpression": "rate(5 minutes)"})j"));
    QVERIFY(call("PutTargets",
        R"j({"Rule": "tick", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    EventBridge *bridge = m_bridge.get();
    ScheduleTimers timers(m_clock.get(), nullptr,
        {QStringLiteral("events"),
            [bridge](const QString &key, qint64 after) -> std::optional<qint64> {
                const auto rule = bridge->scheduledRule(key);
                if (!rule || !rule->enabled)
                    return std::nullopt;
                return rule->schedule->nextAfter(after, QTimeZone::utc(), rule->anchorNs);
            },
            [](const QString &key) { return key; },
            [bridge](const QString &key, qint64 due, const QByteArray &t, const QByteArray &s) {
                bridge->fireRule(key, due, {t, s});
            }});
    const qint64 start = m_clock->nowNs();
    timers.rearm(QStringLiteral("default/tick"));
    m_clock->advanceNs(qint64(31) * 60 * 1'000'000'000);
    const auto &got = m_queues.received[kQueue];
    QCOMPARE(got.size(), 6);
    for (int i = 0; i < got.size(); ++i) {
        const Json e = Json::parse(got[i].body.toStdString());
        const QString expected
            = QDateTime::fromMSecsSinceEpoch(start / 1'000'000 + qint64(i + 1) * 300'000, Qt::UTC)
                  .toString(Qt::ISODate);
        QCOMPARE(fromStd(e["time"].get<std::string>()), expected);
        QCOMPARE(e["detail-type"].get<std::string>(), std::string("Scheduled Event"));
    }
}

void TestEventBridge::yearsOfTicksAreBounded()
{
    QVERIFY(call("PutRule", R"j({"Name": "tick", "ScheduleExpression": "rate(1 minute)"})j"));
    QVERIFY(call("PutTargets",
        R"j({"Rule": "tick", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    EventBridge *bridge = m_bridge.get();
    int fired = 0;
    ScheduleTimers timers(m_clock.get(), nullptr,
        {QStringLiteral("events"),
            [bridge](const QString &key, qint64 after) -> std::optional<qint64> {
                const auto rule = bridge->scheduledRule(key);
                return rule->schedule->nextAfter(after, QTimeZone::utc(), rule->anchorNs);
            },
            [](const QString &key) { return key; },
            [&fired](
                const QString &, qint64, const QByteArray &, const QByteArray &) { ++fired; }});
    timers.rearm(QStringLiteral("default/tick"));
    m_clock->advanceNs(qint64(10) * 365 * 86400 * 1'000'000'000);
    QCOMPARE(fired, ScheduleTimers::kMaxTicksPerMove + 1); // and the tick at the jump's end
    m_clock->advanceNs(qint64(60) * 1'000'000'000);
    QCOMPARE(fired, ScheduleTimers::kMaxTicksPerMove + 2);
}

void TestEventBridge::oneTimeScheduleDeletesItself()
{
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(m_clock->nowMs(), Qt::UTC).addSecs(3600);
    Json body
        = {{"ScheduleExpression",
               "at(" + at.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")).toStdString() + ")"},
            {"FlexibleTimeWindow", {{"Mode", "OFF"}}}, {"ActionAfterCompletion", "DELETE"},
            {"Target",
                {{"Arn", toStd(kQueue)}, {"RoleArn", "arn:aws:iam::000000000000:role/r"},
                    {"Input", "{\"n\": \"<aws.scheduler.attempt-number>\"}"}}}};
    QVERIFY(m_scheduler->createSchedule(QStringLiteral("once"), body));
    auto due = m_scheduler->due(QStringLiteral("default/once"), m_clock->nowNs());
    QVERIFY(due && due->nextNs);
    QCOMPARE(*due->nextNs, at.toMSecsSinceEpoch() * 1'000'000);
    QVERIFY(m_scheduler->fire(QStringLiteral("default/once"), *due->nextNs, {}, {}));
    QCOMPARE(m_queues.received[kQueue].size(), 1);
    QCOMPARE(m_queues.received[kQueue][0].body, QByteArray("{\"n\": \"1\"}"));
    QVERIFY(!m_scheduler->getSchedule(QStringLiteral("once"), {}));
    // Bad requests: the service's ValidationException / ConflictException.
    QCOMPARE(
        m_scheduler
            ->createSchedule(QStringLiteral("x"), Json {{"ScheduleExpression", "rate(0 minutes)"}})
            .error()
            .code,
        QStringLiteral("ValidationException"));
    body["ScheduleExpression"] = "rate(1 hour)";
    body["ScheduleExpressionTimezone"] = "Mars/Olympus";
    QCOMPARE(m_scheduler->createSchedule(QStringLiteral("x"), body).error().code,
        QStringLiteral("ValidationException"));
    body.erase("ScheduleExpressionTimezone");
    QVERIFY(m_scheduler->createSchedule(QStringLiteral("x"), body));
    QCOMPARE(m_scheduler->createSchedule(QStringLiteral("x"), body).error().httpStatus, 409);
}

void TestEventBridge::scheduleStartAndEndDates()
{
    const qint64 now = m_clock->nowNs();
    const qint64 hour = qint64(3600) * 1'000'000'000;
    const double nowS = double(now / 1'000'000) / 1000.0;
    Json body = {{"ScheduleExpression", "rate(1 hour)"}, {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
        {"StartDate", nowS + 7200}, {"EndDate", nowS + 5 * 3600},
        {"Target", {{"Arn", toStd(kQueue)}, {"RoleArn", "arn:aws:iam::000000000000:role/r"}}}};
    QVERIFY(m_scheduler->createSchedule(QStringLiteral("window"), body));
    const QString key = QStringLiteral("default/window");
    QCOMPARE(m_scheduler->due(key, now)->nextNs, std::optional<qint64>(now + 2 * hour));
    QCOMPARE(m_scheduler->due(key, now + 2 * hour)->nextNs, std::optional<qint64>(now + 3 * hour));
    QCOMPARE(m_scheduler->due(key, now + 4 * hour)->nextNs, std::optional<qint64>(now + 5 * hour));
    QVERIFY(!m_scheduler->due(key, now + 5 * hour)->nextNs); // the end date is its last
    // Without a start date a rate schedule fires at once, then every period.
    body.erase("StartDate");
    body.erase("EndDate");
    QVERIFY(m_scheduler->createSchedule(QStringLiteral("now"), body));
    QCOMPARE(m_scheduler->due(QStringLiteral("default/now"), now - 1)->nextNs,
        std::optional<qint64>(now));
    // Disabled, it does not fire; a default notification without Input.
    body["State"] = "DISABLED";
    QVERIFY(m_scheduler->updateSchedule(QStringLiteral("now"), body));
    QVERIFY(!m_scheduler->due(QStringLiteral("default/now"), now)->nextNs);
    QVERIFY(m_scheduler->fire(QStringLiteral("default/now"), now, {}, {}));
    const Json event = Json::parse(m_queues.received[kQueue].last().body.toStdString());
    QCOMPARE(event["detail-type"].get<std::string>(), std::string("Scheduled Event"));
    QCOMPARE(event["source"].get<std::string>(), std::string("aws.scheduler"));
}

void TestEventBridge::putTickingRuleAndSchedule()
{
    QVERIFY(call("PutRule", R"j({"Name": "tick", "ScheduleExpression": "rate(5 minutes)"})j"));
    QVERIFY(call("PutTargets",
        R"j({"Rule": "tick", "Targets": [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]})j"));
    const double nowS = double(m_clock->nowMs()) / 1000.0;
    const Json body = {{"ScheduleExpression", "rate(10 minutes)"},
        {"FlexibleTimeWindow", {{"Mode", "OFF"}}}, {"StartDate", nowS + 600},
        {"Target",
            {{"Arn", toStd(kScheduleQueue)}, {"RoleArn", "arn:aws:iam::000000000000:role/r"}}}};
    QVERIFY(m_scheduler->createSchedule(QStringLiteral("every"), body));
}

void TestEventBridge::reloadForgetsDeletedRows()
{
    putTickingRuleAndSchedule();
    EventsModule events;
    SchedulerModule scheduler;
    QVERIFY(events.start(moduleContext()));
    QVERIFY(scheduler.start(moduleContext()));
    QCOMPARE(events.catalog().size(), 1);
    QCOMPARE(scheduler.catalog().size(), 1);
    m_clock->advanceNs(10 * kMinuteNs + 1'000'000'000);
    QCOMPARE(m_queues.received[kQueue].size(), 2);
    QCOMPARE(m_queues.received[kScheduleQueue].size(), 1);

    exec("DELETE FROM events_records; DELETE FROM scheduler_records");
    QVERIFY(events.reloadState());
    QVERIFY(scheduler.reloadState());
    QVERIFY(events.catalog().isEmpty());
    QVERIFY(scheduler.catalog().isEmpty());
    QCOMPARE(events.fireNow(QStringLiteral("tick")).error().code,
        QStringLiteral("ResourceNotFoundException"));
    QCOMPARE(scheduler.fireNow(QStringLiteral("every")).error().code,
        QStringLiteral("ResourceNotFoundException"));
    // The default bus is there as after a start on empty rows.
    QVERIFY(events.targetExists(
        QStringLiteral("arn:aws:events:us-east-1:000000000000:event-bus/default")));
    // Their timers went with them.
    m_clock->advanceNs(60 * kMinuteNs);
    QCOMPARE(m_queues.received[kQueue].size(), 2);
    QCOMPARE(m_queues.received[kScheduleQueue].size(), 1);
}

void TestEventBridge::reloadTakesRestoredRows()
{
    putTickingRuleAndSchedule();
    EventsModule events;
    SchedulerModule scheduler;
    QVERIFY(events.start(moduleContext()));
    QVERIFY(scheduler.start(moduleContext()));
    m_clock->advanceNs(10 * kMinuteNs + 1'000'000'000); // ticks at 5 and 10 minutes, and 10
    QCOMPARE(m_queues.received[kQueue].size(), 2);
    QCOMPARE(m_queues.received[kScheduleQueue].size(), 1);

    // A snapshot taken, then a reset.
    exec("CREATE TEMP TABLE saved_events AS SELECT * FROM events_records;"
         "CREATE TEMP TABLE saved_scheduler AS SELECT * FROM scheduler_records;"
         "DELETE FROM events_records; DELETE FROM scheduler_records");
    QVERIFY(events.reloadState());
    QVERIFY(scheduler.reloadState());
    QVERIFY(events.catalog().isEmpty());
    m_clock->advanceNs(10 * kMinuteNs); // to 20:01, past ticks at 15, 20 and 20
    QCOMPARE(m_queues.received[kQueue].size(), 2);
    QCOMPARE(m_queues.received[kScheduleQueue].size(), 1);

    // The snapshot restored. Reloading twice arms each timer once.
    exec("INSERT INTO events_records SELECT * FROM saved_events;"
         "INSERT INTO scheduler_records SELECT * FROM saved_scheduler;"
         "DROP TABLE saved_events; DROP TABLE saved_scheduler");
    QVERIFY(events.reloadState());
    QVERIFY(scheduler.reloadState());
    QVERIFY(events.reloadState());
    QVERIFY(scheduler.reloadState());
    QCOMPARE(events.catalog().size(), 1);
    QCOMPARE(scheduler.catalog().size(), 1);
    // On their timetables, from now: the rule at 25 and 30, the schedule at 30.
    m_clock->advanceNs(10 * kMinuteNs);
    QCOMPARE(m_queues.received[kQueue].size(), 4);
    QCOMPARE(m_queues.received[kScheduleQueue].size(), 2);
    QCOMPARE(
        Json::parse(m_queues.received[kQueue].last().body.toStdString())["time"].get<std::string>(),
        QDateTime::fromMSecsSinceEpoch(m_clock->nowMs() - 1000, Qt::UTC)
            .toString(Qt::ISODate)
            .toStdString());
    QVERIFY(events.fireNow(QStringLiteral("tick")));
    QCOMPARE(m_queues.received[kQueue].size(), 5);
}

QTEST_GUILESS_MAIN(TestEventBridge)
#include "tst_eventbridge.moc"
