#include "services/stepfunctions/sfnmodule.h"

#include "base/clock.h"
#include "http/awserror.h"
#include "http/httphandler.h"
#include "services/stepfunctions/sfnexecutor.h"
#include "services/stepfunctions/sfnresources.h"
#include "template/stack.h"

#include <QPointer>
#include <QRegularExpression>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <cmath>

namespace tarmac {

namespace {

const QString kStartExecution = QStringLiteral("start execution");

constexpr QByteArrayView kTargetPrefix = "AWSStepFunctions.";
constexpr int kMaxKeptExecutions = 10'000;

Error invalid(const char *code, const QString &message)
{
    return makeError(QLatin1String(code), message, 400);
}

Error noMachine(const QString &arn)
{
    return invalid("StateMachineDoesNotExist",
        QStringLiteral("State Machine Does Not Exist: '%1'").arg(arn.left(300)));
}

Error noExecution(const QString &arn)
{
    return invalid("ExecutionDoesNotExist",
        QStringLiteral("Execution Does Not Exist: '%1'").arg(arn.left(300)));
}

double epochSeconds(qint64 ms)
{
    return double(ms) / 1000.0;
}

bool validName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_\\-]{1,80}$"));
    return re.match(name).hasMatch();
}

// A required string member, or the ValidationException AWS answers without it.
Result<QString> required(JsonFields &f, const char *key)
{
    const auto v = f.string(key);
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (!v || v->isEmpty())
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value null at '%1' failed to satisfy "
                           "constraint: Member must not be null")
                .arg(QLatin1String(key)));
    return *v;
}

Error noMapRun(const QString &arn)
{
    return invalid(
        "ResourceNotFound", QStringLiteral("Resource not found: '%1'").arg(arn.left(300)));
}

bool isStatesArn(const QString &arn)
{
    return arn.startsWith(QLatin1String("arn:aws:states:"));
}

Error invalidArn(const QString &arn)
{
    return invalid("InvalidArn", QStringLiteral("Invalid Arn: '%1'").arg(arn.left(300)));
}

// A required member that is a Step Functions ARN, or the error AWS answers.
Result<QString> requiredArn(JsonFields &f, const char *key)
{
    auto arn = required(f, key);
    if (arn && !isStatesArn(*arn))
        return invalidArn(*arn);
    return arn;
}

// A page of a list (maxResults, nextToken as the index to start at).
Result<std::pair<int, int>> page(JsonFields &f, int size)
{
    const auto max = f.integer("maxResults");
    const auto token = f.string("nextToken");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (max && (*max < 0 || *max > 1000))
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value '%1' at 'maxResults' failed to "
                           "satisfy constraint: Member must have value less than or equal to 1000")
                .arg(*max));
    int start = 0;
    if (token) {
        bool ok = false;
        start = token->toInt(&ok);
        if (!ok || start < 0 || start > size)
            return invalid(
                "InvalidToken", QStringLiteral("Invalid Token: '%1'").arg(token->left(100)));
    }
    const int count = max && *max > 0 ? *max : 100;
    return std::pair<int, int> {start, std::min(size, start + count)};
}

} // namespace

// The JSON 1.0 wire API on the edge port: each call is handed to the module on the engine's
// thread, where the state machines and executions live.
class SfnApi : public HttpHandler
{
public:
    std::atomic<SfnModule *> module {nullptr};

    qint64 maxBodySize(const HttpRequest &) const override { return 2 * 1024 * 1024; }

    HttpResponse internalError(const HttpRequest &head, const QString &message) const override
    {
        return awsErrorResponse(AwsProtocol::Json,
            makeError(QStringLiteral("InternalFailure"), message, 500), head.requestId);
    }

    void handle(HttpRequest &&request, HttpResponder responder) override
    {
        SfnModule *m = module.load();
        if (!m) {
            responder.send(awsErrorResponse(AwsProtocol::Json,
                makeError(QStringLiteral("ServiceUnavailable"),
                    QStringLiteral("the stepfunctions module has not started"), 503),
                request.requestId));
            return;
        }
        const QByteArray target = request.header("x-amz-target");
        if (!target.startsWith(kTargetPrefix)) {
            responder.send(awsErrorResponse(AwsProtocol::Json,
                makeError(QStringLiteral("UnknownOperationException"),
                    QStringLiteral("Step Functions takes JSON requests with X-Amz-Target: "
                                   "AWSStepFunctions.<Operation>"),
                    400),
                request.requestId));
            return;
        }
        const QByteArray bytes = request.body.toByteArray();
        auto body = parseJson(bytes.isEmpty() ? QByteArray("{}") : bytes);
        if (!body || !body->is_object()) {
            responder.send(awsErrorResponse(AwsProtocol::Json,
                makeError(QStringLiteral("SerializationException"),
                    QStringLiteral("The request body is not a JSON object"), 400),
                request.requestId));
            return;
        }
        QPointer<SfnModule> guard(m);
        QMetaObject::invokeMethod(
            m,
            [guard, operation = QString::fromUtf8(target.mid(kTargetPrefix.size())),
                body = std::move(*body), traceId = request.traceId, requestId = request.requestId,
                responder = std::move(responder)] {
                if (!guard) {
                    responder.send(awsErrorResponse(AwsProtocol::Json,
                        makeError(QStringLiteral("ServiceUnavailable"),
                            QStringLiteral("the stepfunctions module has stopped"), 503),
                        requestId));
                    return;
                }
                guard->call(operation, body, traceId, requestId, responder);
            },
            Qt::QueuedConnection);
    }
};

SfnModule::SfnModule(QObject *parent)
    : ServiceModule(parent)
    , m_api(std::make_unique<SfnApi>())
{ }

SfnModule::~SfnModule()
{
    if (m_targets)
        m_targets->remove(this);
    m_api->module = nullptr;
    m_executor.reset();
}

HttpHandler *SfnModule::edgeHandler()
{
    return m_api.get();
}

Result<void> SfnModule::start(const EngineContext &context)
{
    m_clock = context.clock;
    m_region = context.region;
    m_accountId = context.accountId;
    m_store = std::make_unique<SfnStore>(context.store);
    if (auto r = m_store->open(); !r)
        return r;
    SfnExecutor::Context ec;
    ec.clock = context.clock;
    ec.tracer = context.tracer;
    ec.deliveries = context.deliveries;
    ec.store = m_store.get();
    ec.edgeUrl = context.edgeUrl;
    ec.region = context.region;
    ec.accountId = context.accountId;
    ec.childExecutionChanged = [this](const SfnExecution &e) { keepExecution(e); };
    ec.mapRunChanged = [this](const SfnMapRun &r) {
        if (!m_mapRuns.contains(r.arn))
            m_mapRunOrder.append(r.arn);
        m_mapRuns.insert(r.arn, r);
    };
    m_executor = std::make_unique<SfnExecutor>(ec);
    if (auto r = load(); !r)
        return r;
    m_api->module = this;
    m_targets = context.messageTargets;
    if (m_targets)
        m_targets->add(QStringLiteral("states"), this);
    return {};
}

Result<void> SfnModule::deliverMessage(const QString &arn, const TargetMessage &message)
{
    Result<void> result;
    const auto deliver = [&] {
        if (!m_executor) {
            result = makeError(QStringLiteral("ServiceUnavailable"),
                QStringLiteral("Step Functions has stopped"), 503);
            return;
        }
        const Json body = {{"stateMachineArn", toStd(arn)}, {"input", message.body.toStdString()}};
        auto started = startExecution(body, message.traceId, false,
            [this](const SfnExecution &e) { m_executions.insert(e.arn, e); });
        if (!started) {
            // A state machine that is gone is a target that does not exist: not retried.
            const bool missing = started.error().code == QLatin1String("StateMachineDoesNotExist");
            result = missing ? makeError(
                         QStringLiteral("ResourceNotFoundException"), started.error().message, 400)
                             : Result<void>(started.error());
        }
    };
    if (QThread::currentThread() == thread())
        deliver();
    else
        QMetaObject::invokeMethod(this, deliver, Qt::BlockingQueuedConnection);
    return result;
}

bool SfnModule::targetExists(const QString &arn) const
{
    bool exists = false;
    const auto look = [&] { exists = machine(arn) != nullptr; };
    if (QThread::currentThread() == thread())
        look();
    else
        QMetaObject::invokeMethod(
            const_cast<SfnModule *>(this), look, Qt::BlockingQueuedConnection);
    return exists;
}

Result<void> SfnModule::load()
{
    auto machines = m_store->machines();
    if (!machines)
        return machines.error();
    m_machines.clear();
    for (const SfnMachine &row : *machines) {
        auto parsed = parseAslDefinition(row.definition);
        if (!parsed) {
            qWarning("tarmac: stepfunctions: %s: %s", qPrintable(row.name),
                qPrintable(parsed.error().message));
            continue;
        }
        if (row.definition.contains("\"JSONata\""))
            m_executor->prepareJsonata();
        m_machines.insert(
            row.arn, Machine {row, std::make_shared<const AslStateMachine>(std::move(*parsed))});
    }
    auto executions = m_store->executions();
    if (!executions)
        return executions.error();
    m_executions.clear();
    m_executionOrder.clear();
    QList<SfnExecution> resume;
    for (const SfnExecution &e : *executions) {
        m_executions.insert(e.arn, e);
        m_executionOrder.append(e.arn);
        // A distributed Map's child goes on when its parent's Map state does.
        if (e.status == QLatin1String("RUNNING") && e.mapRunArn.isEmpty())
            resume.append(e);
    }
    auto mapRuns = m_store->mapRuns();
    if (!mapRuns)
        return mapRuns.error();
    m_mapRuns.clear();
    m_mapRunOrder.clear();
    for (const SfnMapRun &r : *mapRuns) {
        m_mapRuns.insert(r.arn, r);
        m_mapRunOrder.append(r.arn);
    }
    // Executions that were running when Tarmac stopped go on from their last state, once
    // every module has started (their functions are there).
    if (!resume.isEmpty()) {
        QMetaObject::invokeMethod(
            this,
            [this, resume] {
                for (const SfnExecution &e : resume) {
                    const Machine *m = machine(e.machineArn);
                    if (!m || !m_executor)
                        continue;
                    m_executor->start(e, m->row, m->parsed, true,
                        [this](const SfnExecution &done) { m_executions.insert(done.arn, done); });
                }
            },
            Qt::QueuedConnection);
    }
    return {};
}

void SfnModule::stop()
{
    if (m_targets)
        m_targets->remove(this);
    m_targets = nullptr;
    m_api->module = nullptr; // requests from now on: 503
    if (m_executor)
        m_executor->stopAll();
}

Result<void> SfnModule::flushState()
{
    if (m_executor)
        m_executor->flushAll();
    return {};
}

Result<void> SfnModule::reloadState()
{
    if (!m_store || !m_executor)
        return {};
    m_executor->stopAll();
    return load();
}

QList<BusyItem> SfnModule::busy(bool includeFuture) const
{
    return m_executor ? m_executor->busy(includeFuture) : QList<BusyItem> {};
}

const SfnModule::Machine *SfnModule::machine(const QString &arn) const
{
    const auto it = m_machines.constFind(arn);
    return it == m_machines.cend() ? nullptr : &*it;
}

QString SfnModule::machineArn(const QString &name) const
{
    return QStringLiteral("arn:aws:states:%1:%2:stateMachine:%3").arg(m_region, m_accountId, name);
}

void SfnModule::call(const QString &operation, const Json &body, const QByteArray &traceId,
    const QByteArray &requestId, const HttpResponder &responder)
{
    // The answer; by value, since StartSyncExecution and TestState answer later.
    const auto answer = [responder, requestId](const Result<Json> &r) {
        if (!r) {
            responder.send(awsErrorResponse(AwsProtocol::Json, r.error(), requestId));
            return;
        }
        HttpResponse response = HttpResponse::json(200, toJsonBytes(*r));
        response.headers.set("Content-Type", "application/x-amz-json-1.0");
        responder.send(std::move(response));
    };
    if (operation == QLatin1String("StartExecution")
        || operation == QLatin1String("StartSyncExecution")) {
        const bool sync = operation == QLatin1String("StartSyncExecution");
        auto started = startExecution(
            body, traceId, sync, [this, sync, answer](const SfnExecution &e) {
                m_executions.insert(e.arn, e);
                if (!sync)
                    return;
                Json out = executionJson(e, true);
                out["billingDetails"] = {{"billedMemoryUsedInMB", 64},
                    {"billedDurationInMilliseconds", std::max<qint64>(100, e.stopMs - e.startMs)}};
                answer(out);
            });
        if (!started) {
            answer(started.error());
            return;
        }
        if (!sync)
            answer(Json {{"executionArn", toStd(started->arn)},
                {"startDate", epochSeconds(started->startMs)}});
        return;
    }
    if (operation == QLatin1String("TestState")) {
        // Answered when the state has run.
        if (auto started = testState(body, answer); !started)
            answer(started.error());
        return;
    }
    using Operation = Result<Json> (*)(SfnModule &, const Json &);
    static const QHash<QString, Operation> operations = {
        {QStringLiteral("CreateStateMachine"),
            [](SfnModule &m, const Json &b) { return m.createStateMachine(b); }},
        {QStringLiteral("DescribeStateMachine"),
            [](SfnModule &m, const Json &b) { return m.describeStateMachine(b); }},
        {QStringLiteral("UpdateStateMachine"),
            [](SfnModule &m, const Json &b) { return m.updateStateMachine(b); }},
        {QStringLiteral("DeleteStateMachine"),
            [](SfnModule &m, const Json &b) { return m.deleteStateMachine(b); }},
        {QStringLiteral("ListStateMachines"),
            [](SfnModule &m, const Json &b) { return m.listStateMachines(b); }},
        {QStringLiteral("DescribeExecution"),
            [](SfnModule &m, const Json &b) { return m.describeExecution(b); }},
        {QStringLiteral("StopExecution"),
            [](SfnModule &m, const Json &b) { return m.stopExecution(b); }},
        {QStringLiteral("ListExecutions"),
            [](SfnModule &m, const Json &b) { return m.listExecutions(b); }},
        {QStringLiteral("GetExecutionHistory"),
            [](SfnModule &m, const Json &b) { return m.getExecutionHistory(b); }},
        {QStringLiteral("DescribeMapRun"),
            [](SfnModule &m, const Json &b) { return m.describeMapRun(b); }},
        {QStringLiteral("ListMapRuns"),
            [](SfnModule &m, const Json &b) { return m.listMapRuns(b); }},
        {QStringLiteral("UpdateMapRun"),
            [](SfnModule &m, const Json &b) { return m.updateMapRun(b); }},
        {QStringLiteral("SendTaskSuccess"),
            [](SfnModule &m, const Json &b) {
                return m.sendTask(QStringLiteral("SendTaskSuccess"), b);
            }},
        {QStringLiteral("SendTaskFailure"),
            [](SfnModule &m, const Json &b) {
                return m.sendTask(QStringLiteral("SendTaskFailure"), b);
            }},
        {QStringLiteral("SendTaskHeartbeat"),
            [](SfnModule &m, const Json &b) {
                return m.sendTask(QStringLiteral("SendTaskHeartbeat"), b);
            }},
        {QStringLiteral("ValidateStateMachineDefinition"),
            [](SfnModule &m, const Json &b) { return m.validateDefinition(b); }},
        {QStringLiteral("ListTagsForResource"),
            [](SfnModule &, const Json &) -> Result<Json> {
                return Json {{"tags", Json::array()}};
            }},
        {QStringLiteral("TagResource"),
            [](SfnModule &, const Json &) -> Result<Json> { return Json::object(); }},
        {QStringLiteral("UntagResource"),
            [](SfnModule &, const Json &) -> Result<Json> { return Json::object(); }},
    };
    if (const auto op = operations.value(operation)) {
        answer(op(*this, body));
        return;
    }
    answer(makeError(QStringLiteral("UnknownOperationException"),
        QStringLiteral("Tarmac does not emulate Step Functions' %1").arg(operation.left(100)),
        400));
}

Result<void> SfnModule::putMachine(SfnMachine row)
{
    auto parsed = parseAslDefinition(row.definition);
    if (!parsed)
        return invalid("InvalidDefinition", parsed.error().message);
    if (auto r = m_store->saveMachine(row); !r)
        return r;
    if (row.definition.contains("\"JSONata\""))
        m_executor->prepareJsonata();
    m_machines.insert(
        row.arn, Machine {row, std::make_shared<const AslStateMachine>(std::move(*parsed))});
    return {};
}

Result<Json> SfnModule::createStateMachine(const Json &body)
{
    JsonFields f(body);
    auto name = required(f, "name");
    if (!name)
        return name.error();
    auto definition = required(f, "definition");
    if (!definition)
        return definition.error();
    const auto role = f.string("roleArn");
    const auto type = f.string("type");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (!validName(*name))
        return invalid("InvalidName", QStringLiteral("Invalid Name: '%1'").arg(name->left(100)));
    const QString t = type.value_or(QStringLiteral("STANDARD"));
    if (t != QLatin1String("STANDARD") && t != QLatin1String("EXPRESS"))
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value '%1' at 'type' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]")
                .arg(t.left(100)));
    const QString arn = machineArn(*name);
    if (const Machine *existing = machine(arn)) {
        // Idempotent with the same definition and role, as AWS is.
        if (existing->row.definition == definition->toUtf8() && existing->row.type == t)
            return Json {{"stateMachineArn", toStd(arn)},
                {"creationDate", epochSeconds(existing->row.createdMs)}};
        return invalid("StateMachineAlreadyExists",
            QStringLiteral("State Machine Already Exists: '%1'").arg(arn));
    }
    SfnMachine row;
    row.arn = arn;
    row.name = *name;
    row.type = t;
    row.definition = definition->toUtf8();
    row.roleArn = role.value_or(QString());
    row.createdMs = row.updatedMs = m_clock->nowMs();
    if (auto r = putMachine(row); !r)
        return r.error();
    return Json {{"stateMachineArn", toStd(arn)}, {"creationDate", epochSeconds(row.createdMs)}};
}

Result<Json> SfnModule::describeStateMachine(const Json &body) const
{
    JsonFields f(body);
    auto arn = required(f, "stateMachineArn");
    if (!arn)
        return arn.error();
    const Machine *m = machine(*arn);
    if (!m)
        return noMachine(*arn);
    return Json {{"stateMachineArn", toStd(m->row.arn)}, {"name", toStd(m->row.name)},
        {"status", "ACTIVE"}, {"definition", m->row.definition.toStdString()},
        {"roleArn", toStd(m->row.roleArn)}, {"type", toStd(m->row.type)},
        {"creationDate", epochSeconds(m->row.createdMs)},
        {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
        {"tracingConfiguration", {{"enabled", false}}}};
}

Result<Json> SfnModule::updateStateMachine(const Json &body)
{
    JsonFields f(body);
    auto arn = required(f, "stateMachineArn");
    if (!arn)
        return arn.error();
    const auto definition = f.string("definition");
    const auto role = f.string("roleArn");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    const Machine *m = machine(*arn);
    if (!m)
        return noMachine(*arn);
    if (!definition && !role)
        return invalid("MissingRequiredParameter",
            QStringLiteral("Either the definition or the roleArn must be specified"));
    SfnMachine row = m->row;
    if (definition)
        row.definition = definition->toUtf8();
    if (role)
        row.roleArn = *role;
    row.updatedMs = m_clock->nowMs();
    if (auto r = putMachine(row); !r)
        return r.error();
    return Json {{"updateDate", epochSeconds(row.updatedMs)}};
}

Result<Json> SfnModule::deleteStateMachine(const Json &body)
{
    JsonFields f(body);
    auto arn = requiredArn(f, "stateMachineArn");
    if (!arn)
        return arn.error();
    if (machine(*arn)) {
        if (auto r = m_store->deleteMachine(*arn); !r)
            return r.error();
        m_machines.remove(*arn);
    }
    return Json::object();
}

Result<Json> SfnModule::listStateMachines(const Json &body) const
{
    JsonFields f(body);
    QList<const Machine *> all;
    for (const Machine &m : m_machines)
        all.append(&m);
    std::sort(all.begin(), all.end(),
        [](const Machine *a, const Machine *b) { return a->row.name < b->row.name; });
    auto range = page(f, int(all.size()));
    if (!range)
        return range.error();
    Json list = Json::array();
    for (int i = range->first; i < range->second; ++i)
        list.push_back({{"stateMachineArn", toStd(all[i]->row.arn)},
            {"name", toStd(all[i]->row.name)}, {"type", toStd(all[i]->row.type)},
            {"creationDate", epochSeconds(all[i]->row.createdMs)}});
    Json out = {{"stateMachines", list}};
    if (range->second < all.size())
        out["nextToken"] = std::to_string(range->second);
    return out;
}

Result<SfnExecution> SfnModule::startExecution(const Json &body, const QByteArray &traceId,
    bool sync, std::function<void(const SfnExecution &)> finished)
{
    JsonFields f(body);
    auto arn = required(f, "stateMachineArn");
    if (!arn)
        return arn.error();
    const auto name = f.string("name");
    const auto input = f.string("input");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    const Machine *m = machine(*arn);
    if (!m)
        return noMachine(*arn);
    if (sync && m->row.type != QLatin1String("EXPRESS"))
        return invalid("StateMachineTypeNotSupported",
            QStringLiteral("This operation is not supported by this type of state machine"));
    const QString executionName = name.value_or(QUuid::createUuid().toString(QUuid::WithoutBraces));
    if (!validName(executionName))
        return invalid(
            "InvalidName", QStringLiteral("Invalid Name: '%1'").arg(executionName.left(100)));
    const QByteArray inputText = input.value_or(QStringLiteral("{}")).toUtf8();
    if (!parseJson(inputText))
        return invalid("InvalidExecutionInput",
            QStringLiteral("Invalid State Machine Execution Input: 'Unexpected input'"));
    const bool express = m->row.type == QLatin1String("EXPRESS");
    const QString executionArn = express
        ? QStringLiteral("arn:aws:states:%1:%2:express:%3:%4:%5")
              .arg(m_region, m_accountId, m->row.name, executionName,
                  QUuid::createUuid().toString(QUuid::WithoutBraces))
        : QStringLiteral("arn:aws:states:%1:%2:execution:%3:%4")
              .arg(m_region, m_accountId, m->row.name, executionName);
    if (const auto it = m_executions.constFind(executionArn); it != m_executions.cend()) {
        // Idempotent while it runs with the same input, as AWS is.
        if (it->status == QLatin1String("RUNNING") && it->input == inputText)
            return *it;
        return invalid("ExecutionAlreadyExists",
            QStringLiteral("Execution Already Exists: '%1'").arg(executionArn));
    }
    SfnExecution e;
    e.arn = executionArn;
    e.machineArn = m->row.arn;
    e.name = executionName;
    e.input = inputText;
    e.startMs = m_clock->nowMs();
    e.traceId = traceId;
    keepExecution(e);
    m_executor->start(e, m->row, m->parsed, false, std::move(finished));
    return e;
}

void SfnModule::keepExecution(const SfnExecution &e)
{
    if (m_executions.contains(e.arn)) {
        m_executions.insert(e.arn, e);
        return;
    }
    m_executions.insert(e.arn, e);
    m_executionOrder.append(e.arn);
    while (m_executionOrder.size() > kMaxKeptExecutions) {
        const QString oldest = m_executionOrder.takeFirst();
        if (m_executions.value(oldest).status != QLatin1String("RUNNING"))
            m_executions.remove(oldest);
    }
}

Json SfnModule::executionJson(const SfnExecution &e, bool full) const
{
    Json out = {{"executionArn", toStd(e.arn)}, {"stateMachineArn", toStd(e.machineArn)},
        {"name", toStd(e.name)}, {"status", toStd(e.status)},
        {"startDate", epochSeconds(e.startMs)}};
    if (e.stopMs > 0 && e.status != QLatin1String("RUNNING"))
        out["stopDate"] = epochSeconds(e.stopMs);
    if (!full)
        return out;
    out["input"] = e.input.toStdString();
    out["inputDetails"] = {{"included", true}};
    if (e.status == QLatin1String("SUCCEEDED")) {
        out["output"] = e.output.toStdString();
        out["outputDetails"] = {{"included", true}};
    }
    if (!e.error.isEmpty())
        out["error"] = toStd(e.error);
    if (!e.cause.isEmpty())
        out["cause"] = toStd(e.cause);
    if (!e.mapRunArn.isEmpty())
        out["mapRunArn"] = toStd(e.mapRunArn);
    if (!e.traceId.isEmpty())
        out["traceHeader"]
            = QByteArray("Root=1-" + e.traceId.left(8) + '-' + e.traceId.mid(8)).toStdString();
    return out;
}

Result<Json> SfnModule::describeExecution(const Json &body) const
{
    JsonFields f(body);
    auto arn = requiredArn(f, "executionArn");
    if (!arn)
        return arn.error();
    if (auto running = m_executor->running(*arn))
        return executionJson(*running, true);
    const auto it = m_executions.constFind(*arn);
    if (it == m_executions.cend() || arn->contains(QLatin1String(":express:")))
        return noExecution(*arn);
    return executionJson(*it, true);
}

Result<Json> SfnModule::stopExecution(const Json &body)
{
    JsonFields f(body);
    auto arn = required(f, "executionArn");
    if (!arn)
        return arn.error();
    const auto error = f.string("error");
    const auto cause = f.string("cause");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (!m_executor->stop(*arn, error.value_or(QString()), cause.value_or(QString()))) {
        if (!m_executions.contains(*arn))
            return noExecution(*arn);
    }
    return Json {{"stopDate", epochSeconds(m_clock->nowMs())}};
}

Result<Json> SfnModule::listExecutions(const Json &body) const
{
    JsonFields f(body);
    const auto machineArn = f.string("stateMachineArn");
    const auto mapRunArn = f.string("mapRunArn");
    const auto status = f.string("statusFilter");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    // A state machine's executions, or a Map Run's children: one of the two.
    if (bool(machineArn) == bool(mapRunArn))
        return invalid("ValidationException",
            machineArn ? QStringLiteral("Provide a stateMachineArn or a mapRunArn, not both")
                       : QStringLiteral("Provide a stateMachineArn or a mapRunArn"));
    const QString arn = machineArn ? *machineArn : *mapRunArn;
    if (!isStatesArn(arn))
        return invalidArn(arn);
    if (machineArn && !machine(arn))
        return noMachine(arn);
    if (mapRunArn && !m_mapRuns.contains(arn))
        return noMapRun(arn);
    QList<SfnExecution> all;
    for (auto it = m_executionOrder.crbegin(); it != m_executionOrder.crend(); ++it) {
        auto e = m_executor->running(*it);
        if (!e) {
            const auto found = m_executions.constFind(*it);
            if (found == m_executions.cend())
                continue;
            e = *found;
        }
        if ((machineArn ? e->machineArn : e->mapRunArn) != arn
            || e->arn.contains(QLatin1String(":express:")))
            continue;
        if (status && e->status != *status)
            continue;
        all.append(*e);
    }
    auto range = page(f, int(all.size()));
    if (!range)
        return range.error();
    Json list = Json::array();
    for (int i = range->first; i < range->second; ++i) {
        Json item = executionJson(all[i], false);
        if (mapRunArn) // AWS names the Map Run only when it was asked for
            item["mapRunArn"] = toStd(arn);
        list.push_back(std::move(item));
    }
    Json out = {{"executions", list}};
    if (range->second < all.size())
        out["nextToken"] = std::to_string(range->second);
    return out;
}

Result<Json> SfnModule::getExecutionHistory(const Json &body)
{
    JsonFields f(body);
    auto arn = required(f, "executionArn");
    if (!arn)
        return arn.error();
    const auto reverse = f.boolean("reverseOrder");
    const auto includeData = f.boolean("includeExecutionData");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    QList<SfnHistoryEvent> events;
    if (auto h = m_executor->history(*arn)) {
        events = *h;
    } else if (m_executions.contains(*arn) && !arn->contains(QLatin1String(":express:"))) {
        auto stored = m_store->history(*arn);
        if (!stored)
            return stored.error();
        events = *stored;
    } else {
        return noExecution(*arn);
    }
    if (reverse.value_or(false))
        std::reverse(events.begin(), events.end());
    auto range = page(f, int(events.size()));
    if (!range)
        return range.error();
    Json list = Json::array();
    for (int i = range->first; i < range->second; ++i) {
        const SfnHistoryEvent &e = events[i];
        Json item = {{"timestamp", epochSeconds(e.timestampMs)}, {"type", toStd(e.type)},
            {"id", e.id}, {"previousEventId", e.previousId}};
        if (e.details.is_object()) {
            for (const auto &[k, v] : e.details.items()) {
                Json details = v;
                if (!includeData.value_or(true) && details.is_object()) {
                    details.erase("input");
                    details.erase("output");
                }
                item[k] = details;
            }
        }
        list.push_back(std::move(item));
    }
    Json out = {{"events", list}};
    if (range->second < events.size())
        out["nextToken"] = std::to_string(range->second);
    return out;
}

Result<Json> SfnModule::describeMapRun(const Json &body) const
{
    JsonFields f(body);
    auto arn = requiredArn(f, "mapRunArn");
    if (!arn)
        return arn.error();
    std::optional<SfnMapRun> r = m_executor->mapRun(*arn);
    if (!r) {
        const auto it = m_mapRuns.constFind(*arn);
        if (it == m_mapRuns.cend())
            return noMapRun(*arn);
        r = *it;
    }
    Json out = {{"mapRunArn", toStd(r->arn)}, {"executionArn", toStd(r->executionArn)},
        {"status", toStd(r->status)}, {"startDate", epochSeconds(r->startMs)},
        {"maxConcurrency", r->maxConcurrency},
        {"toleratedFailurePercentage", r->toleratedFailurePercentage},
        {"toleratedFailureCount", r->toleratedFailureCount}, {"itemCounts", r->items.toJson()},
        {"executionCounts", r->executions.toJson()}, {"redriveCount", 0}};
    if (r->status != QLatin1String("RUNNING") && r->stopMs > 0)
        out["stopDate"] = epochSeconds(r->stopMs);
    return out;
}

Result<Json> SfnModule::listMapRuns(const Json &body) const
{
    JsonFields f(body);
    auto arn = requiredArn(f, "executionArn");
    if (!arn)
        return arn.error();
    if (!m_executions.contains(*arn) && !m_executor->running(*arn))
        return noExecution(*arn);
    QList<const SfnMapRun *> runs;
    for (const QString &id : m_mapRunOrder) {
        const auto it = m_mapRuns.constFind(id);
        if (it != m_mapRuns.cend() && it->executionArn == *arn)
            runs.append(&*it);
    }
    auto range = page(f, int(runs.size()));
    if (!range)
        return range.error();
    Json list = Json::array();
    for (int i = range->first; i < range->second; ++i) {
        const SfnMapRun &r = *runs[i];
        Json item = {{"executionArn", toStd(r.executionArn)}, {"mapRunArn", toStd(r.arn)},
            {"stateMachineArn", toStd(r.machineArn)}, {"startDate", epochSeconds(r.startMs)}};
        if (r.status != QLatin1String("RUNNING") && r.stopMs > 0)
            item["stopDate"] = epochSeconds(r.stopMs);
        list.push_back(std::move(item));
    }
    Json out = {{"mapRuns", list}};
    if (range->second < runs.size())
        out["nextToken"] = std::to_string(range->second);
    return out;
}

Result<Json> SfnModule::updateMapRun(const Json &body)
{
    JsonFields f(body);
    auto arn = requiredArn(f, "mapRunArn");
    if (!arn)
        return arn.error();
    const auto concurrency = f.integer("maxConcurrency");
    const auto percent = f.number("toleratedFailurePercentage");
    const auto count = f.number("toleratedFailureCount");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (!concurrency && !percent && !count)
        return invalid("ValidationException",
            QStringLiteral("At least one of maxConcurrency, toleratedFailurePercentage and "
                           "toleratedFailureCount must be given"));
    if (concurrency && *concurrency < 0)
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value '%1' at 'maxConcurrency' failed "
                           "to satisfy constraint: Member must have value greater than or equal "
                           "to 0")
                .arg(*concurrency));
    if (percent && !(*percent >= 0 && *percent <= 100))
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value at 'toleratedFailurePercentage' "
                           "failed to satisfy constraint: Member must have value between 0 and "
                           "100"));
    if (count && !(*count >= 0 && *count == std::floor(*count) && *count < 1e15))
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value at 'toleratedFailureCount' "
                           "failed to satisfy constraint: Member must be a whole number greater "
                           "than or equal to 0"));
    if (!m_executor->updateMapRun(*arn, concurrency, percent,
            count ? std::optional<qint64>(qint64(*count)) : std::nullopt)) {
        if (!m_mapRuns.contains(*arn))
            return noMapRun(*arn);
        return invalid("ValidationException",
            QStringLiteral("The Map Run %1 has ended: it cannot be updated")
                .arg(arn->section(u':', -1)));
    }
    return Json::object();
}

Result<Json> SfnModule::sendTask(const QString &operation, const Json &body)
{
    JsonFields f(body);
    auto token = required(f, "taskToken");
    if (!token)
        return token.error();
    if (operation == QLatin1String("SendTaskSuccess")) {
        auto output = required(f, "output");
        if (!output)
            return output.error();
        auto parsed = parseJson(output->toUtf8());
        if (!parsed)
            return invalid("InvalidOutput", QStringLiteral("Invalid Output: 'Unexpected output'"));
        if (auto r = m_executor->sendTaskSuccess(*token, *parsed); !r)
            return r.error();
        return Json::object();
    }
    if (operation == QLatin1String("SendTaskFailure")) {
        const auto error = f.string("error");
        const auto cause = f.string("cause");
        if (!f.ok())
            return invalid("ValidationException", f.error()->message());
        if (auto r = m_executor->sendTaskFailure(
                *token, error.value_or(QString()), cause.value_or(QString()));
            !r)
            return r.error();
        return Json::object();
    }
    if (auto r = m_executor->sendTaskHeartbeat(*token); !r)
        return r.error();
    return Json::object();
}

Result<Json> SfnModule::validateDefinition(const Json &body) const
{
    JsonFields f(body);
    auto definition = required(f, "definition");
    if (!definition)
        return definition.error();
    const AslValidation v = validateAslDefinition(definition->toUtf8());
    Json diagnostics = Json::array();
    for (const AslDiagnostic &d : v.diagnostics) {
        Json item = {{"severity", toStd(d.severity)}, {"code", toStd(d.code)},
            {"message", toStd(d.message)}};
        if (!d.location.isEmpty())
            item["location"] = toStd(d.location);
        diagnostics.push_back(std::move(item));
    }
    return Json {
        {"result", v.ok() ? "OK" : "FAIL"}, {"diagnostics", diagnostics}, {"truncated", false}};
}

Result<void> SfnModule::testState(const Json &body, std::function<void(const Result<Json> &)> done)
{
    JsonFields f(body);
    auto definitionText = required(f, "definition");
    if (!definitionText)
        return definitionText.error();
    const auto stateName = f.string("stateName");
    const auto input = f.string("input");
    const auto level = f.string("inspectionLevel");
    const auto variables = f.string("variables");
    const auto context = f.string("context");
    f.string("roleArn");
    f.boolean("revealSecrets");
    JsonFields mock = f.object("mock");
    const auto mockResult = mock.string("result");
    JsonFields mockError = mock.object("errorOutput");
    const auto mockErrorName = mockError.string("error");
    const auto mockCause = mockError.string("cause");
    mock.string("fieldValidationMode");
    JsonFields config = f.object("stateConfiguration");
    const auto retryCount = config.integer("retrierRetryCount");
    if (!f.ok())
        return invalid("ValidationException", f.error()->message());
    if (level && *level != QLatin1String("INFO") && *level != QLatin1String("DEBUG")
        && *level != QLatin1String("TRACE"))
        return invalid("ValidationException",
            QStringLiteral("1 validation error detected: Value '%1' at 'inspectionLevel' failed "
                           "to satisfy constraint: Member must satisfy enum value set: [INFO, "
                           "DEBUG, TRACE]")
                .arg(level->left(100)));
    const auto invalidDefinition = [](const QString &why) {
        return invalid(
            "InvalidDefinition", QStringLiteral("Invalid State Machine Definition: '%1'").arg(why));
    };
    auto definition = parseJson(definitionText->toUtf8());
    if (!definition || !definition->is_object())
        return invalidDefinition(
            QStringLiteral("INVALID_JSON_DESCRIPTION: the definition is not a JSON object"));
    // A whole state machine and the state's name in it, or one state on its own.
    Json stateJson;
    QString name = stateName.value_or(QStringLiteral("TestState"));
    QString language = QStringLiteral("JSONPath");
    if (const auto states = definition->find("States"); states != definition->end()) {
        if (!stateName)
            return invalid("ValidationException",
                QStringLiteral("stateName is required when the definition is a state machine"));
        const auto found = states->is_object() ? states->find(toStd(name)) : states->end();
        if (!states->is_object() || found == states->end())
            return invalid("ValidationException",
                QStringLiteral("The state machine has no state named %1").arg(name.left(100)));
        stateJson = *found;
        if (const auto q = definition->find("QueryLanguage");
            q != definition->end() && q->is_string())
            language = fromStd(q->get<std::string>());
    } else {
        stateJson = *definition;
    }
    if (!stateJson.is_object())
        return invalidDefinition(
            QStringLiteral("SCHEMA_VALIDATION_FAILED: a State must be an OBJECT"));
    // The states it may go to, as states that end: the state is validated as in a machine.
    Json states = Json::object();
    const auto target = [&](const Json &v) {
        if (v.is_string() && v.get<std::string>() != toStd(name))
            states[v.get<std::string>()] = {{"Type", "Succeed"}};
    };
    if (const auto n = stateJson.find("Next"); n != stateJson.end())
        target(*n);
    if (const auto d = stateJson.find("Default"); d != stateJson.end())
        target(*d);
    for (const char *list : {"Choices", "Catch"}) {
        const auto it = stateJson.find(list);
        if (it == stateJson.end() || !it->is_array())
            continue;
        for (const Json &rule : *it) {
            if (const auto n = rule.is_object() ? rule.find("Next") : rule.end();
                rule.is_object() && n != rule.end())
                target(*n);
        }
    }
    states[toStd(name)] = stateJson;
    const Json machineJson
        = {{"QueryLanguage", toStd(language)}, {"StartAt", toStd(name)}, {"States", states}};
    auto parsed = parseAslDefinition(toJsonBytes(machineJson));
    if (!parsed)
        return parsed.error();
    auto inputJson = parseJson(input.value_or(QStringLiteral("{}")).toUtf8());
    if (!inputJson)
        return invalid("InvalidExecutionInput",
            QStringLiteral("Invalid State Machine Execution Input: 'Unexpected input'"));
    SfnExecutor::TestOptions options;
    if (variables) {
        auto v = parseJson(variables->toUtf8());
        if (!v || !v->is_object())
            return invalid("ValidationException",
                QStringLiteral("variables must be a JSON object of variable names"));
        options.variables = std::move(*v);
    }
    if (context) {
        auto c = parseJson(context->toUtf8());
        if (!c || !c->is_object())
            return invalid("ValidationException", QStringLiteral("context must be a JSON object"));
        options.context = std::move(*c);
    }
    if (mockResult) {
        auto r = parseJson(mockResult->toUtf8());
        if (!r)
            return invalid("ValidationException", QStringLiteral("mock.result must be JSON"));
        options.mockResult = std::move(*r);
    } else if (mockError.isSet()) {
        options.mockError = {mockErrorName.value_or(QString()), mockCause.value_or(QString())};
    }
    options.retryCount = std::max(retryCount.value_or(0), 0);
    const bool debug = level && *level != QLatin1String("INFO");
    m_executor->testState(std::make_shared<const AslStateMachine>(std::move(*parsed)), name,
        *inputJson, std::move(options), [debug, done](SfnExecutor::TestResult r) {
            Json out = {{"status", toStd(r.status)}};
            if (r.status == QLatin1String("SUCCEEDED") || r.status == QLatin1String("CAUGHT_ERROR"))
                out["output"] = toJsonBytes(r.output).toStdString();
            if (!r.error.isEmpty() || r.status == QLatin1String("FAILED")
                || r.status == QLatin1String("RETRIABLE")) {
                out["error"] = toStd(r.error);
                out["cause"] = toStd(r.cause);
            }
            if (!r.nextState.isEmpty())
                out["nextState"] = toStd(r.nextState);
            if (debug)
                out["inspectionData"] = std::move(r.inspection);
            done(out);
        });
    return {};
}

QList<const ResourceType *> SfnModule::resourceTypes() const
{
    return sfnresources::types();
}

Result<void> SfnModule::putResource(const StackResource &resource, const StackResource *previous)
{
    Q_UNUSED(previous);
    auto spec = sfnresources::stateMachineSpec(resource);
    if (!spec) {
        // A definition Tarmac cannot read (in S3) is in the fidelity report already.
        if (spec.error().code == QLatin1String("Unsupported"))
            return {};
        return spec.error();
    }
    const QString arn = machineArn(spec->name);
    SfnMachine row;
    if (const Machine *existing = machine(arn))
        row = existing->row;
    else
        row.createdMs = m_clock->nowMs();
    row.arn = arn;
    row.name = spec->name;
    row.type = spec->type.isEmpty() ? QStringLiteral("STANDARD") : spec->type;
    row.definition = spec->definition;
    // SAM makes <LogicalId>Role when the template names no role.
    row.roleArn = spec->roleArn.isEmpty()
        ? QStringLiteral("arn:aws:iam::%1:role/%2Role").arg(m_accountId, resource.logicalId)
        : spec->roleArn;
    row.logicalId = resource.logicalId;
    row.updatedMs = m_clock->nowMs();
    return putMachine(row);
}

Result<QString> SfnModule::deleteResource(const StackResource &resource)
{
    auto spec = sfnresources::stateMachineSpec(resource);
    if (!spec)
        return spec.error().code == QLatin1String("Unsupported") ? Result<QString>(QString())
                                                                 : Result<QString>(spec.error());
    const QString arn = machineArn(spec->name);
    if (auto r = m_store->deleteMachine(arn); !r)
        return r.error();
    m_machines.remove(arn);
    return QStringLiteral("state machine %1 deleted").arg(spec->name);
}

Result<QString> SfnModule::runActionWith(const QString &kind, const QString &name,
    const QString &action, const QMap<QString, QString> &fields)
{
    if (kind != QLatin1String("stateMachine") || action != kStartExecution)
        return ServiceModule::runActionWith(kind, name, action, fields);
    const auto it = std::find_if(m_machines.cbegin(), m_machines.cend(),
        [&](const Machine &m) { return m.row.name == name; });
    if (it == m_machines.cend())
        return noMachine(name);
    Json body = {{"stateMachineArn", toStd(it->row.arn)},
        {"input", toStd(fields.value(QStringLiteral("input"), QStringLiteral("{}")))}};
    if (const QString given = fields.value(QStringLiteral("name")).trimmed(); !given.isEmpty())
        body["name"] = toStd(given);
    auto started = startExecution(body, QByteArray(), false,
        [this](const SfnExecution &e) { m_executions.insert(e.arn, e); });
    if (!started)
        return started.error();
    return QStringLiteral("started %1").arg(started->arn);
}

QList<CatalogKind> SfnModule::catalogKinds() const
{
    return {{QStringLiteral("stateMachine"), QStringLiteral("State machines"),
        QStringLiteral("Create one with `aws stepfunctions create-state-machine`, or an "
                       "AWS::Serverless::StateMachine in the template.")}};
}

QList<CatalogEntry> SfnModule::catalog() const
{
    QHash<QString, std::pair<int, int>> counts; // running, all
    for (const SfnExecution &e : m_executions) {
        auto &c = counts[e.machineArn];
        ++c.second;
        if (e.status == QLatin1String("RUNNING"))
            ++c.first;
    }
    QList<CatalogEntry> out;
    for (const Machine &m : m_machines) {
        CatalogEntry entry;
        entry.kind = QStringLiteral("stateMachine");
        entry.name = m.row.name;
        entry.arn = m.row.arn;
        entry.physicalId = m.row.arn;
        const auto c = counts.value(m.row.arn);
        entry.counts.insert(QStringLiteral("executions"), c.second);
        entry.counts.insert(QStringLiteral("running"), c.first);
        entry.status = QStringLiteral("%1 · %2 execution(s), %3 running")
                           .arg(m.row.type)
                           .arg(c.second)
                           .arg(c.first);
        entry.properties = {{QStringLiteral("Type"), m.row.type},
            {QStringLiteral("States"), QString::number(m.parsed->states.size())}};
        entry.actions = {kStartExecution};
        entry.actionFields.insert(kStartExecution,
            {{QStringLiteral("name"), QStringLiteral("Name"),
                 QStringLiteral("a unique name, or empty for a UUID"), {}},
                {QStringLiteral("input"), QStringLiteral("Input"), QStringLiteral("{}"), {},
                    QStringLiteral("{}"), true}});
        out.append(std::move(entry));
    }
    std::sort(out.begin(), out.end(),
        [](const CatalogEntry &a, const CatalogEntry &b) { return a.name < b.name; });
    return out;
}

} // namespace tarmac
