#include "services/stepfunctions/sfnexecutor.h"

#include "base/jsonwriter.h"
#include "functions/delivery.h"
#include "services/edgecalls.h"
#include "services/stepfunctions/aslchoice.h"
#include "services/stepfunctions/aslitemio.h"
#include "services/stepfunctions/jsonata.h"
#include "trace/span.h"
#include "trace/tracecontext.h"
#include "trace/tracer.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrlQuery>
#include <QUuid>

#include <cctype>
#include <cmath>

namespace tarmac {

namespace {

constexpr int kKeepFinished = 1000; // finished executions whose history stays in memory
constexpr qint64 kNsPerSecond = 1'000'000'000;

// ISO 8601 in UTC with milliseconds ("2026-12-04T21:00:00.123Z"), as Qt::ISODateWithMs
// writes it, without QDateTime's cost (every state's context has one).
std::string iso(qint64 ms)
{
    const qint64 floorMs = ms >= 0 ? ms : ms - 999;
    const time_t seconds = time_t(floorMs / 1000);
    tm t {};
    gmtime_r(&seconds, &t);
    char text[40];
    const int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
        int(ms - qint64(seconds) * 1000));
    return std::string(text, size_t(std::max(n, 0)));
}

QString text(const Json &v)
{
    return QString::fromUtf8(toJsonBytes(v));
}

// The event type's prefix for a state ("Task", "Pass", …).
QString typeName(const AslState &s)
{
    return aslStateTypeName(s.type);
}

QString newToken()
{
    QByteArray bytes(48, Qt::Uninitialized);
    for (char &c : bytes)
        c = char(QRandomGenerator::global()->bounded(256));
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding));
}

// Form fields for a Query-protocol call (SNS): nested members flattened as the SDKs do.
void flatten(QUrlQuery &query, const QString &prefix, const Json &value)
{
    if (value.is_object()) {
        int entry = 1;
        const bool isMap = prefix.endsWith(QLatin1String("MessageAttributes"));
        for (const auto &[k, v] : value.items()) {
            if (isMap) {
                const QString e = prefix + QStringLiteral(".entry.%1").arg(entry++);
                query.addQueryItem(e + QStringLiteral(".Name"), fromStd(k));
                flatten(query, e + QStringLiteral(".Value"), v);
            } else {
                flatten(query, prefix.isEmpty() ? fromStd(k) : prefix + u'.' + fromStd(k), v);
            }
        }
        return;
    }
    if (value.is_array()) {
        int i = 1;
        for (const Json &v : value)
            flatten(query, prefix + QStringLiteral(".member.%1").arg(i++), v);
        return;
    }
    query.addQueryItem(prefix, value.is_string() ? fromStd(value.get<std::string>()) : text(value));
}

// An XML element's text ("<MessageId>…</MessageId>").
QString xmlElement(const QByteArray &xml, const char *name)
{
    const QByteArray open = QByteArray("<") + name + '>';
    const QByteArray close = QByteArray("</") + name + '>';
    const qsizetype from = xml.indexOf(open);
    const qsizetype to = xml.indexOf(close);
    if (from < 0 || to < from)
        return {};
    return QString::fromUtf8(xml.mid(from + open.size(), to - from - open.size()));
}

Json jsonOrText(const QByteArray &bytes)
{
    auto parsed = parseJson(bytes);
    return parsed ? *parsed : Json(bytes.toStdString());
}

// A JSON object with the first letter of each member's name changed: Step Functions' own API
// names its members in camelCase, its integrations (and the SDKs' names) in PascalCase.
Json recase(const Json &object, bool upper)
{
    if (!object.is_object())
        return object;
    Json out = Json::object();
    for (const auto &[k, v] : object.items()) {
        std::string key = k;
        if (!key.empty()) {
            const auto c = static_cast<unsigned char>(key[0]);
            key[0] = char(upper ? std::toupper(c) : std::tolower(c));
        }
        out[key] = v;
    }
    return out;
}

// The optimized integrations take JSON where the API takes a string (a message body, an
// event's Detail) and serialise it, as Step Functions does; the aws-sdk ones do not.
Json optimizedParameters(const QString &service, const QString &action, Json p)
{
    if (!p.is_object())
        return p;
    const auto stringify = [](Json &object, const char *key) {
        const auto it = object.find(key);
        if (it != object.end() && !it->is_string() && !it->is_null())
            *it = toJsonBytes(*it).toStdString();
    };
    if (service == QLatin1String("sqs") && action == QLatin1String("sendMessage"))
        stringify(p, "MessageBody");
    if (service == QLatin1String("sns") && action == QLatin1String("publish"))
        stringify(p, "Message");
    if (service == QLatin1String("states") && action.startsWith(QLatin1String("startExecution")))
        stringify(p, "Input");
    if (service == QLatin1String("events") && action == QLatin1String("putEvents")) {
        auto entries = p.find("Entries");
        if (entries != p.end() && entries->is_array()) {
            for (Json &entry : *entries) {
                if (entry.is_object())
                    stringify(entry, "Detail");
            }
        }
    }
    return p;
}

// An error of a JSONata state, worded as Step Functions words it: "An error occurred while
// executing the state 'NAME'. WHAT".
Error stateError(const AslState &state, const QString &what,
    const QString &code = QString(AslErrors::QueryEvaluationError))
{
    return makeError(code,
        QStringLiteral("An error occurred while executing the state '%1'. %2")
            .arg(state.name, what));
}

// A JSONata field whose expression gave a value of the wrong kind.
Error wrongValue(const AslState &state, QLatin1String field, const char *wanted, const Json &value)
{
    return stateError(state,
        QStringLiteral("The field '%1' must be %2, not %3")
            .arg(field, QLatin1String(wanted), aslJsonText(value).left(200)));
}

// A Choice rule as a line for the state's span: "$.n NumericGreaterThan 10".
QString describeRule(const AslChoiceRule &rule)
{
    switch (rule.kind) {
    case AslChoiceRule::Kind::Comparison:
        return rule.variable + u' ' + aslComparisonName(rule.comparison, rule.valueIsPath) + u' '
            + (rule.valueIsPath && rule.value.is_string() ? fromStd(rule.value.get<std::string>())
                                                          : aslJsonText(rule.value));
    case AslChoiceRule::Kind::Not:
        return QStringLiteral("Not (")
            + (rule.rules.empty() ? QString() : describeRule(rule.rules.front())) + u')';
    case AslChoiceRule::Kind::And:
    case AslChoiceRule::Kind::Or: {
        QStringList parts;
        for (const AslChoiceRule &r : rule.rules)
            parts.append(u'(' + describeRule(r) + u')');
        return parts.join(
            rule.kind == AslChoiceRule::Kind::And ? QLatin1String(" And ") : QLatin1String(" Or "));
    }
    }
    return {};
}

// What a span shows of a state's input or output: its JSON, cut at 4 KB.
QString spanJson(const QByteArray &json)
{
    constexpr int kMax = 4096;
    return json.size() <= kMax ? QString::fromUtf8(json)
                               : QString::fromUtf8(json.left(kMax)) + QStringLiteral("…");
}

// The saved marks a resumed execution goes on from: those of branches and iterations of
// `topState`, each inside a branch or iteration that was (still running) in the state its key
// names. The others are left from states the execution had already left.
QHash<QString, SfnScopeMark> resumableMarks(
    const QList<SfnScopeMark> &marks, const QString &topState)
{
    const QChar separator(SfnScopeMark::separator);
    QHash<QString, const SfnScopeMark *> byKey;
    for (const SfnScopeMark &m : marks)
        byKey.insert(m.key, &m);
    QHash<QString, SfnScopeMark> out;
    for (const SfnScopeMark &m : marks) {
        const QStringList parts = m.key.split(separator);
        if (parts.size() < 2 || parts.size() % 2 != 0 || parts.first() != topState)
            continue;
        bool valid = true;
        for (qsizetype j = 2; j < parts.size() && valid; j += 2) {
            const SfnScopeMark *parent = byKey.value(parts.mid(0, j).join(separator));
            valid = parent && parent->outcome.isEmpty() && parent->state == parts[j];
        }
        if (valid)
            out.insert(m.key, m);
    }
    return out;
}

// How long progress (history events, checkpoints) waits to be saved with other executions'.
// An execution killed in that window resumes from an earlier state (which runs again).
constexpr int kFlushDelayMs = 5;

} // namespace

struct SfnExecutor::Outcome
{
    bool ok = true;
    Json output;
    QString error;
    QString cause;
    Json assigned; // the variables the state set (Assign), for its StateExited event
    QString choice; // a Choice state: the rule that chose where to go, for its span

    static Outcome failed(QString error, QString cause)
    {
        Outcome o;
        o.ok = false;
        o.error = std::move(error);
        o.cause = std::move(cause);
        return o;
    }
    static Outcome failed(const Error &e) { return failed(e.code, e.message); }
};

// A branch of work that may be called off: a Parallel branch or a Map iteration whose
// sibling failed, or the whole execution when it ends.
struct SfnExecutor::Scope
{
    std::shared_ptr<Scope> parent;
    bool cancelled = false;
    QByteArray parentSpanId; // the span states in this scope nest under
    // Workflow variables assigned in this scope: a Parallel branch or Map iteration sees its
    // parents' and keeps its own.
    Json variables = Json::object();
    // A branch's or iteration's name in the checkpoint (SfnScopeMark::key); empty for the
    // execution's own scope.
    QString key;
    // The state it is in has branches or iterations with marks: they go when it leaves it.
    bool childrenMarked = false;

    bool isCancelled() const { return cancelled || (parent && parent->isCancelled()); }
};

struct SfnExecutor::Run
{
    SfnExecution execution;
    SfnMachine machine;
    std::shared_ptr<const AslStateMachine> parsed;
    bool express = false;
    bool done = false;
    std::shared_ptr<Scope> root = std::make_shared<Scope>();
    QByteArray spanId;
    qint64 startNs = 0;
    Finished finished;
    int events = 0; // history events so far (the last one's id)
    QString lastType; // the last event's type and previousEventId
    int lastPrevious = 0;
    // An express execution's history; a standard one's is in the store once saved, and in
    // `unsaved` until then (so that no event is built twice or kept in memory twice). Both are
    // history lines (appendHistoryLine).
    QByteArray history;
    QByteArray unsaved;
    int firstUnsaved = 0; // the id of unsaved's first event
    // Where the branches and iterations of the top-level state stand (standard executions),
    // not saved yet; clearMarks: the saved ones are out of date (the top-level state changed).
    QList<SfnScopeMark> unsavedMarks;
    bool clearMarks = false;
    // Saved marks under these keys go (a branch left a Parallel or Map: its branches' marks
    // would be taken for those of its next visit).
    QStringList clearPrefixes;
    bool marksSaved = false; // the store may hold marks of this execution
    // A resumed execution's marks, each taken when its branch or iteration starts again.
    QHash<QString, SfnScopeMark> resumeMarks;
    bool flushPosted = false; // in m_dirty
    bool finishPending = false; // ended: `finished` is told once that is saved
    int inFlight = 0; // tasks, calls and posted transitions
    QSet<Clock::TimerId> timers;
    QString currentState;
    bool timedOut = false;
    bool readsInput = false; // the definition names $$.Execution.Input
    // The definition can read the context object ($$, $states.context, a task token): else
    // states get an empty one, which nothing reads.
    bool readsContext = true;
    // Workflow variables can be set (the definition has Assign, or TestState gives some):
    // JSONPath `$name` paths are given them.
    bool usesVariables = true;
    // TestState: one state, then stop; what it saw and how it ended.
    struct Test
    {
        TestOptions options;
        QString status;
        QString nextState;
        Json inspection = Json::object();
    };
    std::shared_ptr<Test> test;
    bool checkpointDirty = false; // the checkpoint changed since the last save
    // A distributed Map's child execution: its execution span nests under the Map state's.
    QByteArray parentSpanId;
    // Its distributed Maps' child executions running, and its Map Runs in progress: both end
    // (ABORTED) when it does.
    QSet<QString> children;
    QSet<QString> mapRuns;
    // A resumed execution's Map Runs that were in progress, by SfnMapRun::stateKey: the
    // distributed Map goes on with its Map Run (taken once).
    QHash<QString, SfnMapRun> resumeMapRuns;
};

struct SfnExecutor::MapRunState
{
    SfnMapRun row;
    // UpdateMapRun's new settings, for the Map state in progress.
    std::function<void(std::optional<int>, std::optional<double>, std::optional<qint64>)> update;
};

struct SfnExecutor::TokenWait
{
    std::shared_ptr<Run> run;
    Done done;
    Clock::TimerId heartbeat = 0;
    int heartbeatSeconds = 0;
    std::function<void()> onHeartbeat;
};

SfnExecutor::SfnExecutor(Context context, QObject *parent)
    : QObject(parent)
    , m_context(std::move(context))
    , m_http(new QNetworkAccessManager(this))
{ }

SfnExecutor::~SfnExecutor()
{
    stopAll();
}

void SfnExecutor::post(const std::shared_ptr<Run> &run, std::function<void()> fn)
{
    ++run->inFlight;
    QMetaObject::invokeMethod(
        this,
        [run, fn = std::move(fn)] {
            --run->inFlight;
            if (!run->done)
                fn();
        },
        Qt::QueuedConnection);
}

QByteArray SfnExecutor::authorization(const char *scope) const
{
    return edgeAuthorization("stepfunctions", m_context.region, scope);
}

qint64 SfnExecutor::schedule(
    const std::shared_ptr<Run> &run, qint64 delayNs, std::function<void()> fn)
{
    auto id = std::make_shared<Clock::TimerId>(0);
    *id = m_context.clock->scheduleAfter(std::max<qint64>(delayNs, 0), this, [run, id, fn] {
        run->timers.remove(*id);
        if (!run->done)
            fn();
    });
    run->timers.insert(*id);
    return qint64(*id);
}

Json SfnExecutor::contextObject(
    const std::shared_ptr<Run> &run, const QString &state, int retryCount) const
{
    if (run->test && run->test->options.context)
        return *run->test->options.context; // TestState's own
    if (!run->readsContext)
        return Json::object();
    // The execution's input only for definitions that read it ($$.Execution.Input): every
    // state (every Map iteration) gets a copy of the context.
    Json input = Json::object();
    if (run->readsInput) {
        if (auto parsed = parseJson(run->execution.input))
            input = std::move(*parsed);
    }
    return Json {{"Execution",
                     {{"Id", toStd(run->execution.arn)}, {"Name", toStd(run->execution.name)},
                         {"Input", std::move(input)}, {"RoleArn", toStd(run->machine.roleArn)},
                         {"StartTime", iso(run->execution.startMs)}}},
        {"StateMachine", {{"Id", toStd(run->machine.arn)}, {"Name", toStd(run->machine.name)}}},
        {"State",
            {{"Name", toStd(state)}, {"EnteredTime", iso(m_context.clock->nowMs())},
                {"RetryCount", retryCount}}}};
}

Json SfnExecutor::visibleVariables(const std::shared_ptr<Scope> &scope)
{
    // Inner scopes' over outer ones'.
    std::vector<const Scope *> chain;
    for (const Scope *sc = scope.get(); sc; sc = sc->parent.get())
        chain.push_back(sc);
    Json variables = Json::object();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        for (auto v = (*it)->variables.begin(); v != (*it)->variables.end(); ++v)
            variables[v.key()] = v.value();
    }
    return variables;
}

std::optional<Json> SfnExecutor::pathVariables(
    const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope)
{
    if (!run->usesVariables)
        return std::nullopt;
    return visibleVariables(scope);
}

void SfnExecutor::prepareJsonata()
{
    if (!m_jsonata) {
        m_jsonata = std::make_unique<JsonataEvaluator>();
        m_jsonata->prestart();
    }
}

Result<Json> SfnExecutor::jsonata(const std::shared_ptr<Scope> &scope, const AslState &state,
    const QString &field, const Json &value, const Json &states)
{
    if (!JsonataEvaluator::hasExpressions(value))
        return value;
    if (!m_jsonata)
        m_jsonata = std::make_unique<JsonataEvaluator>();
    // The variables in scope and $states.
    Json bindings = visibleVariables(scope);
    bindings["states"] = states;
    auto result = m_jsonata->evaluate(value, bindings, field);
    if (!result)
        return stateError(state, result.error().message, result.error().code);
    return result;
}

Result<Json> SfnExecutor::assign(const std::shared_ptr<Scope> &scope, const AslState &state,
    const std::optional<Json> &assign, const Json &states, const Json &value, const Json &context)
{
    if (!assign || !assign->is_object() || assign->empty())
        return Json();
    Json values;
    if (state.isJsonata()) {
        auto v = jsonata(scope, state, QStringLiteral("Assign"), *assign, states);
        if (!v)
            return v.error();
        values = std::move(*v);
    } else {
        auto v = applyPayloadTemplate(*assign, value, context);
        if (!v)
            return v.error();
        values = std::move(*v);
    }
    if (!values.is_object())
        return Json();
    Json listed = Json::object();
    for (auto it = values.begin(); it != values.end(); ++it) {
        listed[it.key()] = toJsonBytes(it.value()).toStdString();
        scope->variables[it.key()] = it.value();
    }
    return listed;
}

void SfnExecutor::inspect(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
    const char *what, const Json &value)
{
    if (run->test && scope == run->root) // the state tested, not those in its branches
        run->test->inspection[what] = toJsonBytes(value).toStdString();
}

void SfnExecutor::testState(std::shared_ptr<const AslStateMachine> machine,
    const QString &stateName, const Json &input, TestOptions options,
    std::function<void(TestResult)> done)
{
    auto run = std::make_shared<Run>();
    run->express = true; // nothing saved, no history kept
    run->parsed = std::move(machine);
    run->machine.name = QStringLiteral("TestState");
    run->machine.arn = QStringLiteral("arn:aws:states:%1:%2:stateMachine:TestState")
                           .arg(m_context.region, m_context.accountId);
    run->execution.name = QStringLiteral("TestState");
    run->execution.arn = QStringLiteral("arn:aws:states:%1:%2:execution:TestState:%3")
                             .arg(m_context.region, m_context.accountId,
                                 QUuid::createUuid().toString(QUuid::WithoutBraces));
    run->execution.input = toJsonBytes(input);
    run->execution.startMs = m_context.clock->nowMs();
    run->execution.traceId = TraceContext::newTrace(*m_context.clock).traceId;
    run->readsInput = true;
    run->spanId = TraceContext::newSpanId();
    run->startNs = m_context.clock->nowNs();
    run->root->parentSpanId = run->spanId;
    run->root->variables = options.variables.is_object() ? options.variables : Json::object();
    run->test = std::make_shared<Run::Test>();
    run->test->options = std::move(options);
    post(run, [this, run, stateName, input, done]() {
        enterState(
            run, run->root, run->parsed.get(), stateName, input, [this, run, done](Outcome o) {
                if (run->done)
                    return;
                run->done = true;
                run->root->cancelled = true;
                for (Clock::TimerId id : std::as_const(run->timers))
                    m_context.clock->cancel(id);
                TestResult r;
                r.status = !run->test->status.isEmpty() ? run->test->status
                    : o.ok                              ? QStringLiteral("SUCCEEDED")
                                                        : QStringLiteral("FAILED");
                r.output = std::move(o.output);
                r.error = o.error;
                r.cause = o.cause;
                r.nextState = run->test->nextState;
                r.inspection = std::move(run->test->inspection);
                r.inspection["variables"] = toJsonBytes(run->root->variables).toStdString();
                done(std::move(r));
            });
    });
}

void SfnExecutor::addEvent(const std::shared_ptr<Run> &run, const QString &type, Json details)
{
    addEventJson(run, type, toJsonBytes(details));
}

void SfnExecutor::addEventJson(
    const std::shared_ptr<Run> &run, const QString &type, QByteArrayView details)
{
    const int id = ++run->events;
    const qint64 timestampMs = m_context.clock->nowMs();
    // previousEventId as AWS's histories have it: the event before, but 0 for the first
    // state's entry; an Exited after a Map's or Parallel's Succeeded, a Map's next iteration
    // after one that succeeded, and a Map's failure after its iteration's, have what that
    // event had.
    int previous = id - 1;
    if (id == 2 && type.endsWith(QLatin1String("StateEntered"))) {
        previous = 0;
    } else if ((run->lastType.endsWith(QLatin1String("StateSucceeded"))
                   && type.endsWith(QLatin1String("StateExited")))
        || (run->lastType == QLatin1String("MapIterationSucceeded")
            && type == QLatin1String("MapIterationStarted"))
        || (run->lastType == QLatin1String("MapIterationFailed")
            && type == QLatin1String("MapStateFailed"))) {
        previous = run->lastPrevious;
    }
    run->lastType = type;
    run->lastPrevious = previous;
    if (run->express) {
        appendHistoryLine(run->history, id, timestampMs, type, details, previous);
        return;
    }
    if (run->unsaved.isEmpty())
        run->firstUnsaved = id;
    appendHistoryLine(run->unsaved, id, timestampMs, type, details, previous);
    markDirty(run);
}

void SfnExecutor::markDirty(const std::shared_ptr<Run> &run)
{
    if (run->flushPosted)
        return;
    run->flushPosted = true;
    m_dirty.push_back(run);
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QTimer::singleShot(kFlushDelayMs, this, [this] { flushDirty(); });
    }
}

void SfnExecutor::markScope(const std::shared_ptr<Run> &run, SfnScopeMark mark)
{
    if (run->express || !m_context.store || mark.key.isEmpty())
        return;
    for (SfnScopeMark &m : run->unsavedMarks) {
        if (m.key == mark.key) {
            m = std::move(mark);
            markDirty(run);
            return;
        }
    }
    run->unsavedMarks.append(std::move(mark));
    markDirty(run);
}

QString SfnExecutor::childKey(
    const std::shared_ptr<Scope> &scope, const QString &state, qsizetype index)
{
    QString key = scope->key;
    if (!key.isEmpty())
        key += QChar(SfnScopeMark::separator);
    return key + state + QChar(SfnScopeMark::separator) + QString::number(index);
}

std::optional<SfnScopeMark> SfnExecutor::takeResumeMark(
    const std::shared_ptr<Run> &run, const QString &key)
{
    if (key.isEmpty())
        return std::nullopt;
    const auto it = run->resumeMarks.find(key);
    if (it == run->resumeMarks.end())
        return std::nullopt;
    SfnScopeMark mark = std::move(*it);
    run->resumeMarks.erase(it);
    if (!mark.outcome.isEmpty())
        markScope(run, mark); // saved again: the restart cleared the marks
    return mark;
}

void SfnExecutor::goOnFrom(const SfnScopeMark &mark, const AslStateMachine &machine, Scope &scope,
    QString &startAt, Json &input)
{
    if (!mark.outcome.isEmpty() || !machine.state(mark.state))
        return;
    auto saved = parseJson(mark.input);
    auto variables = parseJson(mark.variables);
    startAt = mark.state;
    input = saved ? std::move(*saved) : Json::object();
    if (variables && variables->is_object())
        scope.variables = std::move(*variables);
}

void SfnExecutor::flushDirty(bool notify)
{
    m_flushScheduled = false;
    std::vector<std::shared_ptr<Run>> runs;
    QList<SfnStore::Progress> progress;
    for (const auto &weak : m_dirty) {
        auto run = weak.lock();
        if (!run || !run->flushPosted)
            continue; // gone, or listed twice
        run->flushPosted = false;
        if (run->unsaved.isEmpty() && !run->checkpointDirty && run->unsavedMarks.isEmpty()
            && !run->clearMarks && run->clearPrefixes.isEmpty())
            continue;
        progress.append({&run->execution.arn, &run->unsaved, run->firstUnsaved,
            run->checkpointDirty ? &run->execution : nullptr, run->clearMarks, &run->unsavedMarks,
            &run->clearPrefixes});
        runs.push_back(std::move(run));
    }
    m_dirty.clear();
    if (progress.isEmpty() || !m_context.store)
        return;
    if (const auto saved = m_context.store->saveProgress(progress); !saved)
        qWarning("tarmac: stepfunctions: history not saved: %s", qPrintable(saved.error().message));
    for (const auto &run : runs) {
        run->unsaved.clear();
        run->checkpointDirty = false;
        if (run->clearMarks)
            run->marksSaved = false;
        if (!run->unsavedMarks.isEmpty())
            run->marksSaved = true;
        run->unsavedMarks.clear();
        run->clearMarks = false;
        run->clearPrefixes.clear();
    }
    for (const auto &run : runs) {
        if (!run->finishPending)
            continue;
        run->finishPending = false;
        if (notify && run->finished) {
            auto f = std::move(run->finished);
            f(run->execution);
        }
    }
}

void SfnExecutor::recordSpan(const std::shared_ptr<Run> &run, const QByteArray &spanId,
    const QByteArray &parent, const QString &name, const QString &operation, qint64 startNs,
    const QString &error, Attributes attributes)
{
    if (!m_context.tracer)
        return;
    attributes.append({QStringLiteral("aws.stepfunctions.execution_arn"), run->execution.arn});
    m_context.tracer->record(makeSpan({.traceId = run->execution.traceId,
        .spanId = spanId,
        .parentSpanId = parent,
        .service = QStringLiteral("stepfunctions"),
        .operation = operation,
        .name = name,
        .kind = SpanKindInternal,
        .startNs = startNs,
        .endNs = m_context.clock->nowNs(),
        .error = error,
        .attributes = std::move(attributes)}));
}

void SfnExecutor::start(SfnExecution execution, const SfnMachine &machine,
    std::shared_ptr<const AslStateMachine> parsed, bool resume, Finished finished)
{
    startRun(std::move(execution), machine, std::move(parsed), resume, std::move(finished),
        QByteArray());
}

std::shared_ptr<SfnExecutor::Run> SfnExecutor::startRun(SfnExecution execution,
    const SfnMachine &machine, std::shared_ptr<const AslStateMachine> parsed, bool resume,
    Finished finished, const QByteArray &parentSpanId)
{
    auto run = std::make_shared<Run>();
    run->parentSpanId = parentSpanId;
    run->execution = std::move(execution);
    run->machine = machine;
    run->parsed = std::move(parsed);
    run->express = machine.type == QLatin1String("EXPRESS");
    run->readsInput = machine.definition.contains("Execution.Input");
    run->usesVariables = machine.definition.contains("\"Assign\"");
    run->readsContext = machine.definition.contains("$$")
        || machine.definition.contains("states.context")
        || machine.definition.contains(".waitForTaskToken");
    run->finished = std::move(finished);
    run->spanId = TraceContext::newSpanId();
    run->startNs = m_context.clock->nowNs();
    if (run->execution.traceId.isEmpty())
        run->execution.traceId = TraceContext::newTrace(*m_context.clock).traceId;
    run->root->parentSpanId = run->spanId;
    m_runs.insert(run->execution.arn, run);

    QString state = run->parsed->startAt;
    QByteArray inputText = run->execution.input;
    if (resume && !run->execution.checkpointState.isEmpty()) {
        state = run->execution.checkpointState;
        inputText = run->execution.checkpointInput;
        if (auto vars = parseJson(run->execution.checkpointVariables); vars && vars->is_object())
            run->root->variables = std::move(*vars);
        if (m_context.store) {
            if (auto h = m_context.store->history(run->execution.arn); h && !h->isEmpty()) {
                run->events = h->last().id;
                run->lastType = h->last().type;
                run->lastPrevious = h->last().previousId;
            }
            if (auto marks = m_context.store->scopeMarks(run->execution.arn)) {
                run->marksSaved = !marks->isEmpty();
                run->resumeMarks = resumableMarks(*marks, state);
            }
            if (auto mapRuns = m_context.store->mapRuns()) {
                for (const SfnMapRun &r : std::as_const(*mapRuns)) {
                    if (r.executionArn == run->execution.arn
                        && r.status == QLatin1String("RUNNING"))
                        run->resumeMapRuns.insert(r.stateKey, r);
                }
            }
        }
    } else {
        addEvent(run, QStringLiteral("ExecutionStarted"),
            {{"executionStartedEventDetails",
                {{"input", run->execution.input.toStdString()},
                    {"inputDetails", {{"truncated", false}}},
                    {"roleArn", toStd(machine.roleArn)}}}});
        if (!run->express && m_context.store) {
            if (auto r = m_context.store->saveExecution(run->execution); !r)
                qWarning("tarmac: stepfunctions: %s", qPrintable(r.error().message));
        }
    }
    if (run->parsed->timeoutSeconds && *run->parsed->timeoutSeconds > 0) {
        const qint64 elapsedNs = (m_context.clock->nowMs() - run->execution.startMs) * 1'000'000;
        schedule(run, qint64(*run->parsed->timeoutSeconds) * kNsPerSecond - elapsedNs, [this, run] {
            run->timedOut = true;
            Outcome o = Outcome::failed(QString(AslErrors::Timeout),
                QStringLiteral("The execution timed out after %1 seconds")
                    .arg(*run->parsed->timeoutSeconds));
            finish(run, o);
        });
    }
    auto input = parseJson(inputText);
    const AslStateMachine *top = run->parsed.get();
    post(run, [this, run, top, state, input = input ? *input : Json::object()]() mutable {
        enterState(run, run->root, top, state, std::move(input),
            [this, run](Outcome o) { finish(run, o); });
    });
    return run;
}

void SfnExecutor::finish(const std::shared_ptr<Run> &run, const Outcome &o)
{
    if (run->done)
        return;
    run->done = true;
    run->root->cancelled = true;
    for (Clock::TimerId id : std::as_const(run->timers))
        m_context.clock->cancel(id);
    run->timers.clear();
    for (auto it = m_tokens.begin(); it != m_tokens.end();) {
        if ((*it)->run == run) {
            if ((*it)->heartbeat)
                m_context.clock->cancel((*it)->heartbeat);
            it = m_tokens.erase(it);
        } else {
            ++it;
        }
    }
    // Its distributed Maps end with it, ABORTED, and their children still running with them.
    for (const QString &arn : std::exchange(run->mapRuns, {})) {
        if (const auto mapRun = m_mapRuns.value(arn))
            endMapRun(run, mapRun->row, QStringLiteral("ABORTED"), Outcome(),
                QStringLiteral("The parent execution %1 ended")
                    .arg(run->execution.arn.section(u':', -1)));
    }
    SfnExecution &e = run->execution;
    e.stopMs = m_context.clock->nowMs();
    if (o.ok) {
        e.status = QStringLiteral("SUCCEEDED");
        e.output = toJsonBytes(o.output);
        addEvent(run, QStringLiteral("ExecutionSucceeded"),
            {{"executionSucceededEventDetails",
                {{"output", e.output.toStdString()}, {"outputDetails", {{"truncated", false}}}}}});
    } else if (o.error == QLatin1String("States.Aborted")) {
        e.status = QStringLiteral("ABORTED"); // StopExecution set error and cause
        addEvent(run, QStringLiteral("ExecutionAborted"),
            {{"executionAbortedEventDetails",
                {{"error", toStd(e.error)}, {"cause", toStd(e.cause)}}}});
    } else {
        e.status = run->timedOut ? QStringLiteral("TIMED_OUT") : QStringLiteral("FAILED");
        e.error = o.error;
        e.cause = o.cause;
        const bool timedOut = e.status == QLatin1String("TIMED_OUT");
        addEvent(run,
            timedOut ? QStringLiteral("ExecutionTimedOut") : QStringLiteral("ExecutionFailed"),
            {{timedOut ? "executionTimedOutEventDetails" : "executionFailedEventDetails",
                {{"error", toStd(e.error)}, {"cause", toStd(e.cause)}}}});
    }
    e.checkpointState.clear();
    e.checkpointInput.clear();
    run->checkpointDirty = true;
    run->clearMarks = run->marksSaved; // nothing resumes any more
    run->unsavedMarks.clear();
    // A standard execution's end is saved with the others' progress; who waits for it is told
    // once it is (what DescribeExecution answers then is durable).
    const bool deferred = m_context.store && !run->express;
    if (deferred) {
        run->finishPending = true;
        markDirty(run);
    }
    // The terminal's line (ConsoleLog): how the execution ended, an error for a failure (a
    // distributed Map's children: only a failure, not a line per item).
    if (m_context.tracer && (e.mapRunArn.isEmpty() || e.status != QLatin1String("SUCCEEDED"))) {
        LogRecord line;
        line.timeNs = m_context.clock->nowNs();
        line.traceId = e.traceId;
        line.spanId = run->spanId;
        line.source = run->machine.name;
        line.requestId = e.name;
        const bool succeeded = e.status == QLatin1String("SUCCEEDED");
        line.severity = succeeded                  ? LogSeverityInfo
            : e.status == QLatin1String("ABORTED") ? LogSeverityWarn
                                                   : LogSeverityError;
        line.text = succeeded ? QStringLiteral("execution %1 SUCCEEDED in %2 ms")
                                    .arg(e.name)
                                    .arg(e.stopMs - e.startMs)
                              : QStringLiteral("execution %1 %2: %3: %4")
                                    .arg(e.name, e.status, e.error, e.cause.left(500));
        m_context.tracer->record(std::move(line));
    }
    recordSpan(run, run->spanId, run->parentSpanId,
        QStringLiteral("%1 execution").arg(run->machine.name), QStringLiteral("Execution"),
        run->startNs,
        e.status == QLatin1String("SUCCEEDED") ? QString()
                                               : QStringLiteral("%1: %2").arg(e.status, e.error),
        {{QStringLiteral("aws.stepfunctions.state_machine"), run->machine.name},
            {QStringLiteral("aws.stepfunctions.status"), e.status}});
    m_runs.remove(e.arn);
    m_finished.insert(e.arn, run);
    m_finishedOrder.append(e.arn);
    while (m_finishedOrder.size() > kKeepFinished) // the oldest finished one goes
        m_finished.remove(m_finishedOrder.takeFirst());
    if (run->finished && !deferred) {
        auto f = std::move(run->finished);
        f(e);
    }
}

bool SfnExecutor::stop(const QString &executionArn, const QString &error, const QString &cause)
{
    auto run = m_runs.value(executionArn);
    if (!run)
        return false;
    run->execution.error = error;
    run->execution.cause = cause;
    finish(run, Outcome::failed(QStringLiteral("States.Aborted"), cause));
    flushDirty(); // StopExecution answers once the end is saved
    return true;
}

void SfnExecutor::stopAll()
{
    for (const auto &run : std::as_const(m_runs)) {
        run->done = true;
        run->root->cancelled = true;
        for (Clock::TimerId id : std::as_const(run->timers))
            m_context.clock->cancel(id);
        markDirty(run);
    }
    m_runs.clear();
    m_tokens.clear();
    // Every run's progress and the ended ones not saved yet: saved, no one told (Tarmac stops).
    flushDirty(false);
}

void SfnExecutor::flushAll()
{
    for (const auto &run : std::as_const(m_runs))
        markDirty(run);
    flushDirty(); // also the ended ones not saved yet
}

std::optional<SfnExecution> SfnExecutor::running(const QString &executionArn) const
{
    auto run = m_runs.value(executionArn);
    if (!run)
        return std::nullopt;
    return run->execution;
}

std::optional<QList<SfnHistoryEvent>> SfnExecutor::history(const QString &executionArn)
{
    auto run = m_runs.value(executionArn);
    if (!run)
        run = m_finished.value(executionArn);
    if (!run)
        return std::nullopt;
    if (run->express) {
        QMap<int, SfnHistoryEvent> byId;
        readHistoryLines(run->history, byId);
        return QList<SfnHistoryEvent>(byId.begin(), byId.end());
    }
    // A standard execution's: what is not saved yet is saved now, then all of it is read.
    if (!run->unsaved.isEmpty() || run->checkpointDirty) {
        markDirty(run);
        flushDirty();
    }
    if (!m_context.store)
        return QList<SfnHistoryEvent> {};
    auto stored = m_context.store->history(executionArn);
    if (!stored)
        return std::nullopt;
    return *stored;
}

QList<BusyItem> SfnExecutor::busy(bool includeFuture) const
{
    QList<BusyItem> out;
    for (const auto &run : std::as_const(m_runs)) {
        if (run->inFlight == 0 && !(includeFuture && !run->timers.isEmpty()))
            continue;
        out.append({QStringLiteral("execution"), run->machine.name, run->execution.arn,
            run->startNs,
            run->currentState.isEmpty() ? QString()
                                        : QStringLiteral("in state %1").arg(run->currentState)});
    }
    return out;
}

void SfnExecutor::enterState(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
    const AslStateMachine *machine, const QString &name, Json inputValue, Done done, bool released)
{
    if (run->done || scope->isCancelled())
        return;
    // The input's text, once: the stepper's payload (a breakpoint's condition reads it), the
    // checkpoint's and the StateEntered event's.
    const QByteArray inputText = toJsonBytes(inputValue);
    // The stepper: while delivery is paused, or a breakpoint matches the state (its name is
    // MACHINE/STATE, its origin "stepfunctions.state"), the state waits before it starts, as
    // a delivery the developer steps, and runs on the input as released (edited, perhaps).
    if (!released && !run->test && m_context.deliveries) {
        Delivery d;
        d.functionName = run->machine.name + u'/' + name;
        d.origin = QStringLiteral("stepfunctions.state");
        d.traceId = run->execution.traceId;
        d.parentSpanId = scope->parentSpanId;
        d.faultsApplied = true; // not a function's: no faults
        d.payload = inputText;
        if (m_context.deliveries->wouldHold(d)) {
            ++run->inFlight;
            QPointer<SfnExecutor> self(this);
            const auto goOn = [self, run, scope, machine, name, done](
                                  std::optional<QByteArray> payload) {
                if (!self)
                    return; // the executor is gone (Tarmac stopped)
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, run, scope, machine, name, done, payload] {
                        --run->inFlight;
                        if (run->done || scope->isCancelled())
                            return;
                        if (!payload) {
                            done(Outcome::failed(QStringLiteral("Tarmac.Dropped"),
                                QStringLiteral("The state %1 was dropped in the stepper")
                                    .arg(name)));
                            return;
                        }
                        auto input = parseJson(*payload);
                        if (!input) {
                            done(Outcome::failed(QString(AslErrors::Runtime),
                                QStringLiteral("The input released for the state %1 is not "
                                               "JSON: %2")
                                    .arg(name, input.error().message)));
                            return;
                        }
                        self->enterState(run, scope, machine, name, std::move(*input), done, true);
                    },
                    Qt::QueuedConnection);
            };
            d.runLocally = [goOn](const QByteArray &payload) { goOn(payload); };
            d.done = [goOn](const DeliveryResult &r) {
                if (!r.delivered) // dropped, or Tarmac stopping
                    goOn(std::nullopt);
            };
            m_context.deliveries->submit(std::move(d));
            return;
        }
    }
    // The state's input and context, shared by what runs later (no copy per callback).
    const auto inputShared = std::make_shared<const Json>(std::move(inputValue));
    const Json &input = *inputShared;
    const AslState *found = machine->state(name);
    if (!found) {
        done(Outcome::failed(
            QString(AslErrors::Runtime), QStringLiteral("No state named %1").arg(name)));
        return;
    }
    const AslState &s = *found;
    const bool top = machine == run->parsed.get();
    if (top) {
        run->currentState = name;
        if (!run->express) {
            // Saved with the history events (flushDirty), in one transaction.
            run->execution.checkpointState = name;
            run->execution.checkpointInput = inputText;
            run->execution.checkpointVariables = toJsonBytes(run->root->variables);
            run->checkpointDirty = true;
            // The branches and iterations of the state before are over.
            run->clearMarks = run->marksSaved;
            run->unsavedMarks.clear();
            run->clearPrefixes.clear();
        }
    } else if (!run->express && !scope->key.isEmpty()) {
        if (scope->childrenMarked) {
            scope->childrenMarked = false;
            const QString prefix = scope->key + QChar(SfnScopeMark::separator);
            run->unsavedMarks.removeIf(
                [&prefix](const SfnScopeMark &m) { return m.key.startsWith(prefix); });
            run->clearPrefixes.append(prefix);
        }
        markScope(run,
            {scope->key, name, inputText, toJsonBytes(scope->variables), QString(), QByteArray()});
    }
    const QString type = typeName(s);
    {
        JsonWriter w(inputText.size() + 128);
        w.beginObject().key("stateEnteredEventDetails").beginObject();
        w.key("name").string(name).key("input").string(inputText);
        w.key("inputDetails").beginObject().key("truncated").boolean(false).endObject();
        w.endObject().endObject();
        addEventJson(run, type + QStringLiteral("StateEntered"), w.take());
    }
    const QByteArray spanId = TraceContext::newSpanId();
    const qint64 startNs = m_context.clock->nowNs();
    const auto contextShared = std::make_shared<const Json>(contextObject(run, name, 0));
    const Json &context = *contextShared;
    // `$name` paths read the variables this state sees.
    const std::optional<Json> variables = pathVariables(run, scope);
    const AslVariables variablesInPlace(variables ? &*variables : nullptr);

    // The state is over: its span, its exit event, and the next state or the end.
    auto leave = [this, run, scope, machine, found, type, spanId, startNs, inputText, done](
                     Outcome o, std::optional<QString> next) {
        if (run->done || scope->isCancelled())
            return;
        const AslState &st = *found;
        // The span shows what the state took and gave, and for a Choice, what chose.
        const QByteArray outputText = o.ok ? toJsonBytes(o.output) : QByteArray();
        Attributes attributes {{QStringLiteral("aws.stepfunctions.state"), st.name},
            {QStringLiteral("aws.stepfunctions.state_type"), type},
            {QStringLiteral("aws.stepfunctions.input"), spanJson(inputText)}};
        if (o.ok)
            attributes.append({QStringLiteral("aws.stepfunctions.output"), spanJson(outputText)});
        if (!o.choice.isEmpty())
            attributes.append({QStringLiteral("aws.stepfunctions.choice"), o.choice});
        recordSpan(run, spanId, scope->parentSpanId, QString(type + u' ' + st.name), type, startNs,
            o.ok ? QString() : QStringLiteral("%1: %2").arg(o.error, o.cause.left(300)),
            std::move(attributes));
        if (!o.ok) {
            done(std::move(o));
            return;
        }
        if (st.type != AslState::Type::Fail) {
            JsonWriter w(outputText.size() + 128);
            w.beginObject().key("stateExitedEventDetails").beginObject();
            w.key("name").string(st.name).key("output").string(outputText);
            w.key("outputDetails").beginObject().key("truncated").boolean(false).endObject();
            if (o.assigned.is_object()) {
                w.key("assignedVariables").value(o.assigned);
                w.key("assignedVariablesDetails").beginObject();
                w.key("truncated").boolean(false).endObject();
            }
            w.endObject().endObject();
            addEventJson(run, type + QStringLiteral("StateExited"), w.take());
        }
        // A Catcher's (or a Choice rule's) Next goes on even from a state that would end.
        const std::optional<QString> target = next ? next : st.next;
        if (run->test && scope == run->root) { // TestState: the state tested is over
            if (target && !(st.end && !next))
                run->test->nextState = *target;
            done(std::move(o));
            return;
        }
        if (!target || (st.end && !next) || st.type == AslState::Type::Succeed) {
            done(std::move(o));
            return;
        }
        post(
            run, [this, run, scope, machine, target, output = std::move(o.output), done]() mutable {
                enterState(run, scope, machine, *target, std::move(output), done);
            });
    };
    const auto fail = [leave](const Error &e) { leave(Outcome::failed(e), std::nullopt); };
    // How a state that did its work ends: JSONPath: ResultPath and OutputPath on `result`;
    // JSONata: Output (`result` when the state has none) evaluated with $states.result. Then
    // Assign, evaluated before any variable changes, as Output is. `assignValue`: what a
    // JSONPath Assign's paths read.
    const bool jsonataState = s.isJsonata();
    const auto exit
        = [this, run, scope, found, inputShared, contextShared, jsonataState](const Json &result,
              bool hasResult, const Json &assignValue, const std::optional<Json> &outputField,
              const std::optional<Json> &assignField) -> Result<Outcome> {
        const AslState &st = *found;
        const Json &input = *inputShared;
        const Json &context = *contextShared;
        Json states; // $states, for JSONata
        if (jsonataState) {
            states = {{"input", input}, {"context", context}};
            if (hasResult)
                states["result"] = result;
        }
        Outcome o;
        if (jsonataState) {
            if (outputField) {
                auto v = jsonata(scope, st, QStringLiteral("Output"), *outputField, states);
                if (!v)
                    return v.error();
                o.output = std::move(*v);
            } else {
                o.output = result;
            }
        } else {
            auto merged = applyResultPath(input, result, st.resultPath);
            if (!merged)
                return merged.error();
            inspect(run, scope, "afterResultPath", *merged);
            auto out = applyOutputPath(*merged, st.outputPath, context);
            if (!out)
                return out.error();
            o.output = std::move(*out);
        }
        auto assigned = assign(scope, st, assignField, states, assignValue, context);
        if (!assigned)
            return assigned.error();
        o.assigned = std::move(*assigned);
        return o;
    };
    const auto field = [&s](const char *key) -> std::optional<Json> {
        if (!s.isJsonata())
            return std::nullopt;
        const auto it = s.jsonata.find(key);
        return it == s.jsonata.end() ? std::nullopt : std::optional<Json>(*it);
    };
    const auto statesInput = [&input, &context] {
        return Json {{"input", input}, {"context", context}};
    };

    Json effectiveInput = input;
    if (!jsonataState) {
        auto effective = applyInputPath(input, s.inputPath, context);
        if (!effective) {
            fail(effective.error());
            return;
        }
        effectiveInput = std::move(*effective);
        inspect(run, scope, "afterInputPath", effectiveInput);
    }
    inspect(run, scope, "input", input);
    const Json &effective = effectiveInput;
    switch (s.type) {
    case AslState::Type::Pass: {
        Json result = effective;
        if (s.result) {
            result = *s.result;
        } else if (s.parameters) {
            auto p = applyPayloadTemplate(*s.parameters, effective, context);
            if (!p) {
                fail(p.error());
                return;
            }
            result = *p;
            inspect(run, scope, "afterParameters", result);
        }
        // A JSONata Pass state's Output reads $states.input; it has no result.
        auto o = exit(result, false, result, field("Output"), s.assign);
        if (!o)
            fail(o.error());
        else
            leave(std::move(*o), std::nullopt);
        return;
    }
    case AslState::Type::Succeed: {
        if (jsonataState) {
            auto o = exit(input, false, input, field("Output"), std::nullopt);
            if (!o)
                fail(o.error());
            else
                leave(std::move(*o), std::nullopt);
            return;
        }
        auto out = applyOutputPath(effective, s.outputPath, context);
        if (!out)
            fail(out.error());
        else
            leave({true, *out, {}, {}, {}}, std::nullopt);
        return;
    }
    case AslState::Type::Fail: {
        QString error = s.error.value_or(QString());
        QString cause = s.cause.value_or(QString());
        if (jsonataState) {
            for (auto [key, slot] : {std::pair {"Error", &error}, std::pair {"Cause", &cause}}) {
                const auto value = field(key);
                if (!value)
                    continue;
                auto v = jsonata(scope, s, QLatin1String(key), *value, statesInput());
                if (!v) {
                    fail(v.error());
                    return;
                }
                if (!v->is_string()) {
                    fail(wrongValue(s, QLatin1String(key), "a string", *v));
                    return;
                }
                *slot = fromStd(v->get<std::string>());
            }
        }
        if (s.errorPath) {
            auto v = evaluatePathOrIntrinsic(*s.errorPath, input, context);
            if (v && v->is_string())
                error = fromStd(v->get<std::string>());
        }
        if (s.causePath) {
            auto v = evaluatePathOrIntrinsic(*s.causePath, input, context);
            if (v && v->is_string())
                cause = fromStd(v->get<std::string>());
        }
        leave(Outcome::failed(error, cause), std::nullopt);
        return;
    }
    case AslState::Type::Choice: {
        if (jsonataState) {
            // The first rule whose Condition is true; its Output and Assign, else the state's.
            std::optional<QString> next = s.defaultState;
            std::optional<Json> outputField = field("Output");
            std::optional<Json> assignField = s.assign;
            bool matched = false;
            QString choice;
            const auto choices = s.jsonata.find("Choices");
            for (size_t i = 0; choices != s.jsonata.end() && choices->is_array()
                 && i < choices->size() && !matched;
                 ++i) {
                const Json &rule = (*choices)[i];
                const auto condition = rule.find("Condition");
                if (!rule.is_object() || condition == rule.end())
                    continue;
                auto v = jsonata(scope, s, QStringLiteral("Condition"), *condition, statesInput());
                if (!v) {
                    fail(v.error());
                    return;
                }
                if (!v->is_boolean()) {
                    fail(stateError(s,
                        QStringLiteral("The Condition of Choices[%1] must evaluate to a boolean, "
                                       "not %2")
                            .arg(i)
                            .arg(aslJsonText(*v).left(200))));
                    return;
                }
                if (!v->get<bool>())
                    continue;
                matched = true;
                next = s.choices.size() > i ? std::optional<QString>(s.choices[i].next)
                                            : std::nullopt;
                choice = QStringLiteral("Choices[%1]: %2 → %3")
                             .arg(i)
                             .arg(condition->is_string() ? fromStd(condition->get<std::string>())
                                                         : aslJsonText(*condition),
                                 next.value_or(QString()));
                if (const auto o = rule.find("Output"); o != rule.end())
                    outputField = *o;
                if (const auto a = rule.find("Assign"); a != rule.end())
                    assignField = *a;
            }
            if (!next) {
                fail(makeError(QString(AslErrors::NoChoiceMatched),
                    QStringLiteral("No Choice Rule matched and no Default is specified")));
                return;
            }
            if (!matched)
                choice = QStringLiteral("Default → %1").arg(next.value_or(QString()));
            auto o = exit(input, false, input, outputField, assignField);
            if (!o) {
                fail(o.error());
                return;
            }
            o->choice = choice;
            leave(std::move(*o), next);
            return;
        }
        // The first rule that holds, else the Default (selectChoice's order, with the index).
        std::optional<QString> next;
        QString choice;
        for (size_t i = 0; i < s.choices.size() && !next; ++i) {
            auto holds = evaluateChoiceRule(s.choices[i], effective, context);
            if (!holds) {
                fail(holds.error());
                return;
            }
            if (*holds) {
                next = s.choices[i].next;
                choice = QStringLiteral("Choices[%1]: %2 → %3")
                             .arg(i)
                             .arg(describeRule(s.choices[i]), *next);
            }
        }
        if (!next && s.defaultState) {
            next = s.defaultState;
            choice = QStringLiteral("Default → %1").arg(*next);
        }
        if (!next) {
            fail(makeError(QString(AslErrors::NoChoiceMatched),
                QStringLiteral("No choice rule matched the input and the Choice state has no "
                               "Default: %1")
                    .arg(aslJsonText(effective).left(500))));
            return;
        }
        auto out = applyOutputPath(effective, s.outputPath, context);
        if (!out) {
            fail(out.error());
            return;
        }
        Outcome o {true, *out, {}, {}, {}};
        o.choice = choice;
        auto assigned = assign(scope, s, s.assign, Json(), effective, context);
        if (!assigned) {
            fail(assigned.error());
            return;
        }
        o.assigned = std::move(*assigned);
        leave(std::move(o), *next);
        return;
    }
    case AslState::Type::Wait: {
        qint64 dueNs = 0;
        const qint64 now = m_context.clock->nowNs();
        std::optional<double> seconds = s.seconds;
        std::optional<QString> timestamp = s.timestamp;
        if (jsonataState) {
            if (const auto v = field("Seconds"); v && v->is_string()) {
                auto e = jsonata(scope, s, QStringLiteral("Seconds"), *v, statesInput());
                if (!e || !e->is_number() || e->get<double>() < 0) {
                    fail(!e ? e.error()
                            : wrongValue(s, QLatin1String("Seconds"), "a non-negative number", *e));
                    return;
                }
                seconds = e->get<double>();
            }
            if (const auto v = field("Timestamp"); v && v->is_string()) {
                auto e = jsonata(scope, s, QStringLiteral("Timestamp"), *v, statesInput());
                if (!e) {
                    fail(e.error());
                    return;
                }
                timestamp = e->is_string() ? fromStd(e->get<std::string>()) : QString();
            }
        }
        if (seconds) {
            dueNs = now + qint64(*seconds * double(kNsPerSecond));
        } else if (s.secondsPath) {
            auto v = selectReferencePath(*s.secondsPath, effective, context);
            if (!v || !v->is_number() || v->get<double>() < 0) {
                fail(makeError(QString(AslErrors::Runtime),
                    QStringLiteral("The SecondsPath parameter does not reference a valid "
                                   "non-negative integer value: %1")
                        .arg(*s.secondsPath)));
                return;
            }
            dueNs = now + qint64(v->get<double>() * double(kNsPerSecond));
        } else {
            QString stamp = timestamp.value_or(QString());
            if (s.timestampPath) {
                auto v = selectReferencePath(*s.timestampPath, effective, context);
                stamp = v && v->is_string() ? fromStd(v->get<std::string>()) : QString();
            }
            const auto at = parseAslTimestamp(stamp);
            if (!at) {
                fail(makeError(
                    QString(jsonataState ? AslErrors::QueryEvaluationError : AslErrors::Runtime),
                    QStringLiteral(
                        "The TimestampPath parameter does not reference a valid ISO-8601 "
                        "extended offset date-time format string: %1")
                        .arg(s.timestampPath.value_or(stamp))));
                return;
            }
            dueNs = *at;
        }
        Result<Outcome> o = Outcome();
        if (jsonataState) {
            o = exit(input, false, input, field("Output"), s.assign);
        } else {
            auto out = applyOutputPath(effective, s.outputPath, context);
            if (!out) {
                fail(out.error());
                return;
            }
            Outcome waited {true, *out, {}, {}, {}};
            auto assigned = assign(scope, s, s.assign, Json(), effective, context);
            if (assigned)
                waited.assigned = std::move(*assigned);
            o = assigned ? Result<Outcome>(std::move(waited)) : Result<Outcome>(assigned.error());
        }
        if (!o) {
            fail(o.error());
            return;
        }
        schedule(
            run, dueNs - now, [leave, result = std::move(*o)] { leave(result, std::nullopt); });
        return;
    }
    case AslState::Type::Task:
    case AslState::Type::Parallel:
    case AslState::Type::Map:
        break;
    }

    // Task, Parallel and Map: the work, then Retry and Catch on its error, then ResultSelector,
    // ResultPath and OutputPath (JSONata: Output) on its result, and Assign.
    struct Attempt
    {
        std::vector<int> retries; // per retrier
        int count = 0;
    };
    auto attempt = std::make_shared<Attempt>();
    attempt->retries.assign(s.retry.size(), 0);
    auto runOnce = std::make_shared<std::function<void()>>();
    const auto originalShared = inputShared;
    // The function holds itself weakly (no cycle): what is in flight (a task's callback, a
    // retry's timer) holds it while it may run again.
    std::weak_ptr<std::function<void()>> weakRunOnce = runOnce;
    *runOnce = [this, run, scope, found, originalShared, contextShared, spanId, attempt,
                   weakRunOnce, leave, exit, field, jsonataState]() {
        const auto runOnce = weakRunOnce.lock();
        if (!runOnce)
            return;
        const AslState &st = *found;
        const Json &original = *originalShared;
        const Json &context = *contextShared;
        const std::optional<Json> variables = pathVariables(run, scope);
        const AslVariables variablesInPlace(variables ? &*variables : nullptr);
        Json ctx = context;
        ctx["State"]["RetryCount"] = attempt->count;
        Result<Json> eff = original;
        if (!jsonataState)
            eff = applyInputPath(original, st.inputPath, ctx);
        const auto onResult = [this, run, scope, found, originalShared, ctx, attempt, runOnce,
                                  leave, exit, field, jsonataState](Outcome o) {
            if (run->done || scope->isCancelled())
                return;
            const AslState &st = *found;
            const Json &original = *originalShared;
            const std::optional<Json> variables = pathVariables(run, scope);
            const AslVariables variablesInPlace(variables ? &*variables : nullptr);
            if (o.ok) {
                Json result = o.output;
                inspect(run, scope, "result", result);
                if (st.resultSelector) {
                    auto selected = applyPayloadTemplate(*st.resultSelector, result, ctx);
                    if (!selected) {
                        leave(Outcome::failed(selected.error()), std::nullopt);
                        return;
                    }
                    result = *selected;
                    inspect(run, scope, "afterResultSelector", result);
                }
                auto out = exit(result, true, result, field("Output"), st.assign);
                if (!out) {
                    leave(Outcome::failed(out.error()), std::nullopt);
                    return;
                }
                leave(std::move(*out), std::nullopt);
                return;
            }
            // Retry: the first retrier that names the error, while it has attempts left.
            for (size_t i = 0; i < st.retry.size(); ++i) {
                if (!aslErrorMatches(st.retry[i].errorEquals, o.error))
                    continue;
                const int before = run->test ? run->test->options.retryCount : 0;
                const auto delay
                    = aslRetryDelaySeconds(st.retry[i], attempt->retries[i] + 1 + before);
                if (!delay)
                    break;
                if (run->test && scope == run->root) { // TestState: it would be retried
                    run->test->status = QStringLiteral("RETRIABLE");
                    leave(std::move(o), std::nullopt);
                    return;
                }
                ++attempt->retries[i];
                ++attempt->count;
                schedule(run, qint64(*delay * double(kNsPerSecond)), [runOnce] { (*runOnce)(); });
                return;
            }
            if (const AslCatcher *c = findCatcher(st.catchers, o.error)) {
                const Json errorOutput = {{"Error", toStd(o.error)}, {"Cause", toStd(o.cause)}};
                const Json states
                    = {{"input", original}, {"context", ctx}, {"errorOutput", errorOutput}};
                Outcome caught;
                if (jsonataState) {
                    caught.output = errorOutput;
                    if (c->output) {
                        auto v = jsonata(scope, st, QStringLiteral("Output"), *c->output, states);
                        if (!v) {
                            leave(Outcome::failed(v.error()), std::nullopt);
                            return;
                        }
                        caught.output = std::move(*v);
                    }
                } else {
                    auto merged = applyResultPath(original, errorOutput, c->resultPath);
                    if (!merged) {
                        leave(Outcome::failed(merged.error()), std::nullopt);
                        return;
                    }
                    caught.output = std::move(*merged);
                }
                auto assigned = assign(scope, st, c->assign, states, errorOutput, ctx);
                if (!assigned) {
                    leave(Outcome::failed(assigned.error()), std::nullopt);
                    return;
                }
                caught.assigned = std::move(*assigned);
                if (run->test && scope == run->root)
                    run->test->status = QStringLiteral("CAUGHT_ERROR");
                leave(std::move(caught), c->next);
                return;
            }
            leave(std::move(o), std::nullopt);
        };
        if (!eff) {
            onResult(Outcome::failed(eff.error()));
            return;
        }
        switch (st.type) {
        case AslState::Type::Task:
            runTask(run, scope, st, *eff, ctx, spanId, onResult);
            return;
        case AslState::Type::Parallel: {
            // JSONata: Arguments, when given, is what every branch starts with.
            if (const auto args = field("Arguments")) {
                auto v = jsonata(scope, st, QStringLiteral("Arguments"), *args,
                    {{"input", original}, {"context", ctx}});
                if (!v) {
                    onResult(Outcome::failed(v.error()));
                    return;
                }
                eff = std::move(*v);
            }
            runParallel(run, scope, st, *eff, spanId, onResult);
            return;
        }
        default:
            runMap(run, scope, st, *eff, ctx, spanId, onResult);
            return;
        }
    };
    (*runOnce)();
}

void SfnExecutor::runTask(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
    const AslState &state, const Json &effective, Json context, const QByteArray &spanId, Done done)
{
    QString resource = state.resource;
    const bool waitForToken = resource.endsWith(QLatin1String(".waitForTaskToken"));
    QString token;
    if (waitForToken) {
        resource.chop(int(qstrlen(".waitForTaskToken")));
        token = newToken();
        context["Task"] = {{"Token", toStd(token)}};
    }
    Json parameters = effective;
    std::optional<int> timeoutSeconds = state.timeoutSeconds;
    std::optional<int> heartbeatSeconds = state.heartbeatSeconds;
    if (state.isJsonata()) {
        // Arguments (the state's input when it has none) and TimeoutSeconds may be JSONata.
        const Json states = {{"input", effective}, {"context", context}};
        if (const auto args = state.jsonata.find("Arguments"); args != state.jsonata.end()) {
            auto p = jsonata(scope, state, QStringLiteral("Arguments"), *args, states);
            if (!p) {
                done(Outcome::failed(p.error()));
                return;
            }
            parameters = std::move(*p);
        }
        for (auto [field, slot] : {std::pair {"TimeoutSeconds", &timeoutSeconds},
                 std::pair {"HeartbeatSeconds", &heartbeatSeconds}}) {
            const auto t = state.jsonata.find(field);
            if (t == state.jsonata.end() || !t->is_string())
                continue;
            auto v = jsonata(scope, state, QLatin1String(field), *t, states);
            if (!v || !v->is_number_integer() || v->get<qint64>() <= 0) {
                done(Outcome::failed(!v
                        ? v.error()
                        : wrongValue(state, QLatin1String(field), "a positive integer", *v)));
                return;
            }
            *slot = int(std::min<qint64>(v->get<qint64>(), 99999999));
        }
    } else {
        // TimeoutSecondsPath and HeartbeatSecondsPath: a positive integer in the input.
        for (auto [field, path, slot] :
            {std::tuple {"TimeoutSecondsPath", &state.timeoutSecondsPath, &timeoutSeconds},
                std::tuple {
                    "HeartbeatSecondsPath", &state.heartbeatSecondsPath, &heartbeatSeconds}}) {
            if (!*path)
                continue;
            auto v = selectReferencePath(**path, effective, context);
            if (!v || !v->is_number_integer() || v->get<qint64>() <= 0) {
                done(Outcome::failed(QString(AslErrors::Runtime),
                    QStringLiteral("The %1 parameter does not reference a valid positive "
                                   "integer value: %2")
                        .arg(QLatin1String(field), **path)));
                return;
            }
            *slot = int(std::min<qint64>(v->get<qint64>(), 99999999));
        }
    }
    if (!state.isJsonata() && state.parameters) {
        auto p = applyPayloadTemplate(*state.parameters, effective, context);
        if (!p) {
            done(Outcome::failed(p.error().code, p.error().message));
            return;
        }
        parameters = *p;
    }
    inspect(run, scope, state.isJsonata() ? "afterArguments" : "afterParameters", parameters);
    if (run->test && scope == run->root
        && (run->test->options.mockResult || run->test->options.mockError)) {
        // TestState's mock: the task answers without calling its resource.
        const auto &options = run->test->options;
        post(run, [options, done] {
            if (options.mockError)
                done(Outcome::failed(options.mockError->first, options.mockError->second));
            else
                done({true, *options.mockResult, {}, {}, {}});
        });
        return;
    }
    // TimeoutSeconds: States.Timeout when the task has not answered in time.
    auto settled = std::make_shared<bool>(false);
    Done once = [settled, scope, done](Outcome o) {
        if (*settled || scope->isCancelled())
            return;
        *settled = true;
        done(std::move(o));
    };
    if (timeoutSeconds && *timeoutSeconds > 0) {
        const int seconds = *timeoutSeconds;
        schedule(run, qint64(seconds) * kNsPerSecond, [once, seconds] {
            once(Outcome::failed(QString(AslErrors::Timeout),
                QStringLiteral("Task timed out after %1 seconds").arg(seconds)));
        });
    }
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]: the effective input is the
    // payload, the function's answer the result.
    if (resource.startsWith(QLatin1String("arn:aws:lambda:"))) {
        const QString function = resource.section(u':', 6);
        invokeLambda(run, state, function, toJsonBytes(parameters), false, false, {},
            heartbeatSeconds, spanId, once);
        return;
    }
    const QLatin1String integration("arn:aws:states:::");
    if (!resource.startsWith(integration)) {
        once(Outcome::failed(QString(AslErrors::TaskFailed),
            QStringLiteral("Tarmac does not run the task resource %1").arg(resource)));
        return;
    }
    const QString rest = resource.mid(integration.size());
    const QString service = rest.section(u':', 0, 0);
    QString action = rest.section(u':', 1);
    int sync = 0; // .sync: 1, .sync:2 (the nested output as JSON): 2
    if (action.endsWith(QLatin1String(".sync:2")) || action.endsWith(QLatin1String(".sync"))) {
        sync = action.endsWith(QLatin1String(":2")) ? 2 : 1;
        action = action.section(u'.', 0, 0);
    }
    if (service == QLatin1String("lambda") && action == QLatin1String("invoke")) {
        if (!parameters.is_object() || !parameters.contains("FunctionName")
            || !parameters["FunctionName"].is_string()) {
            once(Outcome::failed(QString(AslErrors::Runtime),
                QStringLiteral("lambda:invoke takes Parameters with a FunctionName")));
            return;
        }
        QString function = fromStd(parameters["FunctionName"].get<std::string>());
        if (function.startsWith(QLatin1String("arn:")))
            function = function.section(u':', 6);
        const auto payload = parameters.find("Payload");
        const QByteArray bytes = payload == parameters.end() ? QByteArray("{}")
            : payload->is_string() ? QByteArray::fromStdString(payload->get<std::string>())
                                   : toJsonBytes(*payload);
        invokeLambda(
            run, state, function, bytes, true, waitForToken, token, heartbeatSeconds, spanId, once);
        return;
    }
    if (waitForToken) {
        // Any other integration with a token: the call is made, then the task waits for it.
        auto wait = std::make_shared<TokenWait>();
        wait->run = run;
        wait->done = once;
        m_tokens.insert(token, wait);
        callService(
            run, state, service, action, parameters, 0, spanId, [this, token, once](Outcome o) {
                if (!o.ok) {
                    m_tokens.remove(token);
                    once(std::move(o));
                }
            });
        return;
    }
    QString service2 = service;
    if (service == QLatin1String("aws-sdk")) {
        service2 = action.section(u':', 0, 0);
        action = action.section(u':', 1);
    } else {
        parameters = optimizedParameters(service, action, std::move(parameters));
    }
    callService(run, state, service2, action, parameters, sync, spanId, once);
}

void SfnExecutor::invokeLambda(const std::shared_ptr<Run> &run, const AslState &state,
    const QString &function, const QByteArray &payload, bool wrapped, bool waitForToken,
    const QString &token, std::optional<int> heartbeatSeconds, const QByteArray &spanId, Done done)
{
    const QString name = function.section(u':', 0, 0);
    const QString qualifier = function.section(u':', 1, 1);
    if (wrapped) {
        addEvent(run, QStringLiteral("TaskScheduled"),
            {{"taskScheduledEventDetails",
                {{"resourceType", "lambda"},
                    {"resource", waitForToken ? "invoke.waitForTaskToken" : "invoke"},
                    {"region", toStd(m_context.region)},
                    {"parameters",
                        toJsonBytes(Json {{"FunctionName", toStd(function)},
                                        {"Payload", jsonOrText(payload)}})
                            .toStdString()}}}});
        addEvent(run, QStringLiteral("TaskStarted"),
            {{"taskStartedEventDetails", {{"resourceType", "lambda"}, {"resource", "invoke"}}}});
    } else {
        JsonWriter w(payload.size() + state.resource.size() + 128);
        w.beginObject().key("lambdaFunctionScheduledEventDetails").beginObject();
        w.key("resource").string(state.resource).key("input").string(payload);
        w.key("inputDetails").beginObject().key("truncated").boolean(false).endObject();
        w.endObject().endObject();
        addEventJson(run, QStringLiteral("LambdaFunctionScheduled"), w.take());
        addEventJson(run, QStringLiteral("LambdaFunctionStarted"), "{}");
    }
    if (waitForToken) {
        auto wait = std::make_shared<TokenWait>();
        wait->run = run;
        wait->done = done;
        if (heartbeatSeconds && *heartbeatSeconds > 0) {
            wait->heartbeatSeconds = *heartbeatSeconds;
            std::weak_ptr<TokenWait> weak = wait;
            wait->onHeartbeat = [this, token, weak] {
                auto w = weak.lock();
                if (!w)
                    return;
                m_tokens.remove(token);
                w->done(Outcome::failed(QString(AslErrors::HeartbeatTimeout),
                    QStringLiteral("Task heartbeat timed out")));
            };
            wait->heartbeat = Clock::TimerId(
                schedule(run, qint64(wait->heartbeatSeconds) * kNsPerSecond, wait->onHeartbeat));
        }
        m_tokens.insert(token, wait);
    }
    ++run->inFlight;
    Delivery d;
    d.functionName = name;
    d.qualifier = qualifier;
    d.payload = payload;
    d.origin = QStringLiteral("stepfunctions");
    d.traceId = run->execution.traceId;
    d.parentSpanId = spanId;
    QPointer<SfnExecutor> self(this);
    d.done = [self, run, done, wrapped, waitForToken, token](const DeliveryResult &r) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, run, done, wrapped, waitForToken, token, r] {
                --run->inFlight;
                if (!self || run->done)
                    return;
                Outcome o;
                auto parsed = parseJson(r.payload);
                Json response = parsed ? std::move(*parsed) : Json(r.payload.toStdString());
                if (!r.delivered) {
                    o = Outcome::failed(
                        QStringLiteral("Lambda.%1")
                            .arg(r.errorType.isEmpty() ? QStringLiteral("ServiceException")
                                                       : r.errorType),
                        r.errorMessage);
                } else if (r.functionError) {
                    QString type = r.errorType;
                    if (response.is_object() && response.contains("errorType")
                        && response["errorType"].is_string())
                        type = fromStd(response["errorType"].get<std::string>());
                    o = Outcome::failed(type.isEmpty() ? QStringLiteral("Lambda.Unknown") : type,
                        QString::fromUtf8(r.payload));
                } else if (wrapped) {
                    o.output = {{"ExecutedVersion", "$LATEST"}, {"Payload", response},
                        {"SdkHttpMetadata",
                            {{"HttpHeaders",
                                 {{"X-Amz-Executed-Version", "$LATEST"},
                                     {"x-amzn-RequestId", r.requestId.toStdString()}}},
                                {"HttpStatusCode", 200}}},
                        {"SdkResponseMetadata", {{"RequestId", r.requestId.toStdString()}}},
                        {"StatusCode", 200}};
                } else if (!r.payload.isEmpty()) {
                    o.output = std::move(response);
                }
                if (waitForToken) {
                    // The function ran; the task goes on when its token comes back (or fails
                    // now, with the invocation's error).
                    if (!o.ok) {
                        if (auto w = self->m_tokens.take(token)) {
                            if (w->heartbeat)
                                self->m_context.clock->cancel(w->heartbeat);
                            w->done(std::move(o));
                        }
                    } else {
                        self->addEvent(run, QStringLiteral("TaskSubmitted"),
                            {{"taskSubmittedEventDetails",
                                {{"resourceType", "lambda"},
                                    {"resource", "invoke.waitForTaskToken"},
                                    {"output", toJsonBytes(o.output).toStdString()}}}});
                    }
                    return;
                }
                if (wrapped) {
                    self->taskEnded(run, QStringLiteral("lambda"), QStringLiteral("invoke"), o);
                } else if (o.ok) {
                    // The function's answer as it came (it parsed to the output).
                    const QByteArray output
                        = r.payload.isEmpty() ? QByteArrayLiteral("null") : r.payload;
                    JsonWriter w(output.size() + 96);
                    w.beginObject().key("lambdaFunctionSucceededEventDetails").beginObject();
                    w.key("output").string(parsed ? output : toJsonBytes(o.output));
                    w.key("outputDetails")
                        .beginObject()
                        .key("truncated")
                        .boolean(false)
                        .endObject();
                    w.endObject().endObject();
                    self->addEventJson(run, QStringLiteral("LambdaFunctionSucceeded"), w.take());
                } else {
                    self->addEvent(run, QStringLiteral("LambdaFunctionFailed"),
                        {{"lambdaFunctionFailedEventDetails",
                            {{"error", toStd(o.error)}, {"cause", toStd(o.cause)}}}});
                }
                done(std::move(o));
            },
            Qt::QueuedConnection);
    };
    m_context.deliveries->submit(std::move(d));
}

void SfnExecutor::callService(const std::shared_ptr<Run> &run, const AslState &state,
    const QString &service, const QString &action, const Json &parameters, int sync,
    const QByteArray &spanId, Done done)
{
    Q_UNUSED(state);
    // The SDK's action name, camelCase in the ARN ("sendMessage"), is the API's operation.
    QString operation = action;
    if (!operation.isEmpty())
        operation[0] = operation[0].toUpper();
    const QString resourceName = action;
    addEvent(run, QStringLiteral("TaskScheduled"),
        {{"taskScheduledEventDetails",
            {{"resourceType", toStd(service)}, {"resource", toStd(resourceName)},
                {"region", toStd(m_context.region)},
                {"parameters", toJsonBytes(parameters).toStdString()}}}});
    addEvent(run, QStringLiteral("TaskStarted"),
        {{"taskStartedEventDetails",
            {{"resourceType", toStd(service)}, {"resource", toStd(resourceName)}}}});
    TraceContext trace;
    trace.traceId = run->execution.traceId;
    trace.parentSpanId = spanId;
    QNetworkRequest request(m_context.edgeUrl);
    request.setRawHeader("traceparent", trace.toTraceparent());
    QNetworkReply *reply = nullptr;
    QString errorPrefix;
    const EdgeJsonService *json = edgeJsonService(service);
    if (json) {
        errorPrefix = QLatin1String(json->errorPrefix);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray(json->contentType));
        request.setRawHeader("X-Amz-Target", QByteArray(json->targetPrefix) + operation.toUtf8());
        request.setRawHeader("Authorization", authorization(json->scope));
        const bool camel = QLatin1String(json->scope) == QLatin1String("states");
        const Json body = parameters.is_object() ? parameters : Json::object();
        reply = m_http->post(request, toJsonBytes(camel ? recase(body, false) : body));
    } else if (service == QLatin1String("sns")) {
        errorPrefix = QStringLiteral("SNS");
        QUrlQuery form;
        form.addQueryItem(QStringLiteral("Action"), operation);
        form.addQueryItem(QStringLiteral("Version"), QStringLiteral("2010-03-31"));
        if (parameters.is_object())
            flatten(form, QString(), parameters);
        request.setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArray("application/x-www-form-urlencoded"));
        request.setRawHeader("Authorization", authorization("sns"));
        reply = m_http->post(request, form.toString(QUrl::FullyEncoded).toUtf8());
    } else {
        Outcome o = Outcome::failed(QString(AslErrors::TaskFailed),
            QStringLiteral("Tarmac does not emulate the %1 integration (%2)").arg(service, action));
        taskEnded(run, service, resourceName, o);
        done(std::move(o));
        return;
    }
    ++run->inFlight;
    QPointer<SfnExecutor> self(this);
    connect(reply, &QNetworkReply::finished, this,
        [this, self, run, reply, service, resourceName, errorPrefix, sync, done] {
            reply->deleteLater();
            --run->inFlight;
            if (run->done)
                return;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            Outcome o;
            if (status >= 200 && status < 300) {
                if (service == QLatin1String("sns")) {
                    o.output = Json::object();
                    const QString id = xmlElement(body, "MessageId");
                    if (!id.isEmpty())
                        o.output["MessageId"] = toStd(id);
                    const QString seq = xmlElement(body, "SequenceNumber");
                    if (!seq.isEmpty())
                        o.output["SequenceNumber"] = toStd(seq);
                } else {
                    auto parsed = parseJson(body.isEmpty() ? QByteArray("{}") : body);
                    o.output = parsed ? *parsed : Json::object();
                }
            } else {
                QString code;
                QString message;
                if (auto parsed = parseJson(body); parsed && parsed->is_object()) {
                    for (const char *k : {"__type", "code"}) {
                        if (parsed->contains(k) && (*parsed)[k].is_string()) {
                            code = fromStd((*parsed)[k].get<std::string>()).section(u'#', -1);
                            break;
                        }
                    }
                    for (const char *k : {"message", "Message"}) {
                        if (parsed->contains(k) && (*parsed)[k].is_string()) {
                            message = fromStd((*parsed)[k].get<std::string>());
                            break;
                        }
                    }
                } else {
                    code = xmlElement(body, "Code");
                    message = xmlElement(body, "Message");
                }
                if (code.isEmpty())
                    code = status == 0 ? QStringLiteral("ServiceException")
                                       : QStringLiteral("Http%1").arg(status);
                if (message.isEmpty())
                    message = QString::fromUtf8(body.left(500));
                o = Outcome::failed(errorPrefix + u'.' + code,
                    QStringLiteral("%1 (Service: %2, Status Code: %3)")
                        .arg(message, errorPrefix)
                        .arg(status));
            }
            const bool camel
                = service == QLatin1String("states") || service == QLatin1String("sfn");
            // states:startExecution.sync: the nested execution's end is the task's.
            if (o.ok && sync > 0 && service == QLatin1String("states")
                && o.output.contains("executionArn") && o.output["executionArn"].is_string()) {
                const QString arn = fromStd(o.output["executionArn"].get<std::string>());
                auto poll = std::make_shared<std::function<void()>>();
                std::weak_ptr<std::function<void()>> weakPoll = poll; // held by what is in flight
                *poll = [this, self, run, arn, weakPoll, done, service, resourceName, sync]() {
                    const auto poll = weakPoll.lock();
                    if (!self || run->done || !poll)
                        return;
                    QNetworkRequest rq(m_context.edgeUrl);
                    rq.setHeader(QNetworkRequest::ContentTypeHeader,
                        QByteArray("application/x-amz-json-1.0"));
                    rq.setRawHeader("X-Amz-Target", "AWSStepFunctions.DescribeExecution");
                    rq.setRawHeader("Authorization", authorization("states"));
                    QNetworkReply *r
                        = m_http->post(rq, toJsonBytes(Json {{"executionArn", toStd(arn)}}));
                    ++run->inFlight;
                    connect(r, &QNetworkReply::finished, this,
                        [this, run, r, poll, done, service, resourceName, sync] {
                            r->deleteLater();
                            --run->inFlight;
                            if (run->done)
                                return;
                            auto d = parseJson(r->readAll());
                            const std::string status
                                = d && d->is_object() && (*d)["status"].is_string()
                                ? (*d)["status"].get<std::string>()
                                : std::string("FAILED");
                            if (status == "RUNNING") {
                                schedule(run, 50'000'000, [poll] { (*poll)(); });
                                return;
                            }
                            // DescribeExecution's answer with the names capitalised, as the
                            // task's result has them; .sync:2 gives Input and Output as JSON.
                            Json out = d && d->is_object() ? recase(*d, true) : Json::object();
                            for (const char *k : {"Input", "Output"}) {
                                if (sync == 2 && out.contains(k) && out[k].is_string()) {
                                    if (auto parsed = parseJson(
                                            QByteArray::fromStdString(out[k].get<std::string>())))
                                        out[k] = *parsed;
                                }
                            }
                            Outcome o;
                            if (status != "SUCCEEDED")
                                o = Outcome::failed(QStringLiteral("States.TaskFailed"),
                                    QString::fromUtf8(toJsonBytes(out)));
                            else
                                o.output = out;
                            taskEnded(run, service, resourceName, o);
                            done(std::move(o));
                        });
                };
                (*poll)();
                return;
            }
            if (o.ok && camel)
                o.output = recase(o.output, true);
            taskEnded(run, service, resourceName, o);
            done(std::move(o));
        });
}

void SfnExecutor::runParallel(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
    const AslState &state, const Json &effective, const QByteArray &spanId, Done done)
{
    addEvent(run, QStringLiteral("ParallelStateStarted"), Json::object());
    struct Join
    {
        Json results = Json::array();
        int left = 0;
        bool over = false;
        std::vector<std::shared_ptr<Scope>> scopes;
    };
    auto join = std::make_shared<Join>();
    const int n = int(state.branches.size());
    join->left = n;
    join->results = Json::array();
    for (int i = 0; i < n; ++i)
        join->results.push_back(nullptr);
    if (n == 0) {
        addEvent(run, QStringLiteral("ParallelStateSucceeded"), Json::object());
        done({true, join->results, {}, {}});
        return;
    }
    for (int i = 0; i < n; ++i) {
        // Each branch is a span (a lane of the timeline) holding its states.
        auto branchScope = std::make_shared<Scope>();
        branchScope->parent = scope;
        branchScope->parentSpanId = TraceContext::newSpanId();
        branchScope->key = childKey(scope, state.name, i);
        scope->childrenMarked = true;
        join->scopes.push_back(branchScope);
        const AslStateMachine *branch = &state.branches[size_t(i)];
        const qint64 branchStartNs = m_context.clock->nowNs();
        // A resumed execution: a branch that had ended is not run again; one that was running
        // goes on from the state it was in.
        QString startAt = branch->startAt;
        Json branchInput = effective;
        if (auto mark = takeResumeMark(run, branchScope->key)) {
            if (mark->outcome == QLatin1String("SUCCEEDED")) {
                auto output = parseJson(mark->output);
                join->results[size_t(i)] = output ? *output : Json();
                if (--join->left == 0) {
                    join->over = true;
                    addEvent(run, QStringLiteral("ParallelStateSucceeded"), Json::object());
                    done({true, std::move(join->results), {}, {}});
                    return;
                }
                continue;
            }
            goOnFrom(*mark, *branch, *branchScope, startAt, branchInput);
        }
        post(run,
            [this, run, branchScope, branch, startAt, branchInput = std::move(branchInput), join, i,
                spanId, branchStartNs, done] {
                enterState(run, branchScope, branch, startAt, branchInput,
                    [this, run, join, i, spanId, branchStartNs, span = branchScope->parentSpanId,
                        key = branchScope->key, done](Outcome o) {
                        if (join->over)
                            return;
                        recordSpan(run, span, spanId, QStringLiteral("Branch %1").arg(i + 1),
                            QStringLiteral("Branch"), branchStartNs,
                            o.ok ? QString()
                                 : QStringLiteral("%1: %2").arg(o.error, o.cause.left(300)),
                            {{QStringLiteral("aws.stepfunctions.branch"), QString::number(i)}});
                        if (!o.ok) {
                            join->over = true;
                            for (const auto &s : join->scopes)
                                s->cancelled = true;
                            addEvent(run, QStringLiteral("ParallelStateFailed"), Json::object());
                            done(std::move(o));
                            return;
                        }
                        markScope(run,
                            {key, QString(), QByteArray(), QByteArrayLiteral("{}"),
                                QStringLiteral("SUCCEEDED"), toJsonBytes(o.output)});
                        join->results[size_t(i)] = std::move(o.output);
                        if (--join->left == 0) {
                            join->over = true;
                            addEvent(run, QStringLiteral("ParallelStateSucceeded"), Json::object());
                            done({true, std::move(join->results), {}, {}});
                        }
                    });
            });
    }
}

Result<Json> SfnExecutor::jsonataS3Call(const std::shared_ptr<Scope> &scope, const AslState &state,
    const Json &object, const QString &field, const Json &effective, const Json &context)
{
    if (!state.isJsonata() || !object.is_object())
        return object;
    // A JSONata state's ItemReader or ResultWriter: Arguments (and ReaderConfig, WriterConfig)
    // evaluated, then read as the JSONPath form's literal Parameters.
    const Json states = {{"input", effective}, {"context", context}};
    Json out = object;
    for (const char *config : {"ReaderConfig", "WriterConfig"}) {
        if (const auto it = out.find(config); it != out.end()) {
            auto v = jsonata(scope, state, field + u'.' + QLatin1String(config), *it, states);
            if (!v)
                return v.error();
            *it = std::move(*v);
        }
    }
    if (const auto it = out.find("Arguments"); it != out.end()) {
        auto v = jsonata(scope, state, field + QStringLiteral(".Arguments"), *it, states);
        if (!v)
            return v.error();
        if (!v->is_object())
            return makeError(QString(AslErrors::Runtime),
                QStringLiteral("The Arguments of %1 must give an OBJECT").arg(field));
        // Literal values: a key ending in ".$" is not a path here.
        Json parameters = Json::object();
        for (auto m = v->begin(); m != v->end(); ++m) {
            std::string key = m.key();
            if (key.size() >= 2 && key.compare(key.size() - 2, 2, ".$") == 0)
                return makeError(QString(AslErrors::Runtime),
                    QStringLiteral("The Arguments of %1 name a field ending in '.$'").arg(field));
            parameters[std::move(key)] = m.value();
        }
        out.erase("Arguments");
        out["Parameters"] = std::move(parameters);
    }
    return out;
}

void SfnExecutor::runMap(const std::shared_ptr<Run> &run, const std::shared_ptr<Scope> &scope,
    const AslState &state, const Json &effective, const Json &context, const QByteArray &spanId,
    Done done, const Json *readItems)
{
    // An ItemReader: the items are read from S3 first.
    if (state.itemReader && !readItems) {
        auto reader = jsonataS3Call(
            scope, state, *state.itemReader, QStringLiteral("ItemReader"), effective, context);
        if (!reader) {
            done(Outcome::failed(reader.error()));
            return;
        }
        auto plan = aslItemReaderPlan(*reader, effective, context);
        if (!plan) {
            done(Outcome::failed(plan.error()));
            return;
        }
        const AslState *found = &state;
        readS3Items(run, *plan, spanId,
            [this, run, scope, found, effective, context, spanId, done](Result<Json> items) {
                if (!items) {
                    done(Outcome::failed(items.error()));
                    return;
                }
                runMap(run, scope, *found, effective, context, spanId, done, &*items);
            });
        return;
    }
    const std::optional<Json> variables = pathVariables(run, scope);
    const AslVariables variablesInPlace(variables ? &*variables : nullptr);
    Json items;
    const bool jsonataState = state.isJsonata();
    const Json statesInput
        = jsonataState ? Json {{"input", effective}, {"context", context}} : Json();
    if (readItems) {
        items = *readItems;
    } else if (jsonataState) {
        // Items: an array, or a JSONata expression giving one; the input when it is not given.
        items = effective;
        if (const auto it = state.jsonata.find("Items"); it != state.jsonata.end()) {
            auto v = jsonata(scope, state, QStringLiteral("Items"), *it, statesInput);
            if (!v) {
                done(Outcome::failed(v.error()));
                return;
            }
            items = std::move(*v);
        }
    } else if (state.itemsPath) {
        auto selected = selectReferencePath(*state.itemsPath, effective, context);
        if (!selected) {
            done(Outcome::failed(selected.error().code, selected.error().message));
            return;
        }
        items = *selected;
    } else {
        items = effective;
    }
    if (!items.is_array() && jsonataState) {
        done(Outcome::failed(wrongValue(state, QLatin1String("Items"), "an array", items)));
        return;
    }
    if (!items.is_array()) {
        done(Outcome::failed(QString(AslErrors::Runtime),
            QStringLiteral("Item Path %1 does not reference a JSON array: %2")
                .arg(state.itemsPath.value_or(QStringLiteral("$")), aslJsonText(items).left(200))));
        return;
    }
    const AslStateMachine *processor = state.itemProcessor();
    if (!processor) {
        done(Outcome::failed(
            QString(AslErrors::Runtime), QStringLiteral("The Map state has no ItemProcessor")));
        return;
    }
    int concurrency = state.maxConcurrency;
    if (jsonataState) {
        if (const auto m = state.jsonata.find("MaxConcurrency");
            m != state.jsonata.end() && m->is_string()) {
            auto v = jsonata(scope, state, QStringLiteral("MaxConcurrency"), *m, statesInput);
            if (!v) {
                done(Outcome::failed(v.error()));
                return;
            }
            if (v->is_number_integer())
                concurrency = int(std::clamp<qint64>(v->get<qint64>(), 0, 1000000));
        }
    }
    if (state.maxConcurrencyPath) {
        auto v = selectReferencePath(*state.maxConcurrencyPath, effective, context);
        if (v && v->is_number_integer())
            concurrency = int(v->get<qint64>());
    }
    const int configuredConcurrency = std::max(concurrency, 0);
    if (concurrency <= 0)
        concurrency = 1000; // no limit: every item at once, within reason
    std::optional<Json> selector = state.parameters;
    // An ItemBatcher: each iteration gets a batch of items (each through ItemSelector first).
    if (state.itemBatcher) {
        if (selector) {
            for (size_t i = 0; i < items.size(); ++i) {
                Json itemContext = context;
                itemContext["Map"] = {{"Item", {{"Index", i}, {"Value", items[i]}}}};
                auto selected = jsonataState
                    ? jsonata(scope, state, QStringLiteral("ItemSelector"), *selector,
                        {{"input", effective}, {"context", itemContext}})
                    : applyPayloadTemplate(*selector, effective, itemContext);
                if (!selected) {
                    done(Outcome::failed(selected.error()));
                    return;
                }
                items[i] = std::move(*selected);
            }
            selector.reset();
        }
        auto batches = aslBatchItems(*state.itemBatcher, items, effective, context);
        if (!batches) {
            done(Outcome::failed(batches.error()));
            return;
        }
        items = std::move(*batches);
    }
    // How many failed iterations the Map tolerates: the fields, their ...Path forms (JSONPath)
    // or expressions (JSONata).
    std::optional<int> toleratedCount = state.toleratedFailureCount;
    std::optional<double> toleratedPercent = state.toleratedFailurePercentage;
    for (const bool percent : {false, true}) {
        const char *field = percent ? "ToleratedFailurePercentage" : "ToleratedFailureCount";
        Result<Json> value = Json();
        QString what;
        if (jsonataState) {
            const auto it = state.jsonata.find(field);
            if (it == state.jsonata.end() || !it->is_string())
                continue;
            value = jsonata(scope, state, QLatin1String(field), *it, statesInput);
            what = QLatin1String(field);
        } else {
            const std::optional<QString> &path
                = percent ? state.toleratedFailurePercentagePath : state.toleratedFailureCountPath;
            if (!path)
                continue;
            value = selectReferencePath(*path, effective, context);
            what = QLatin1String(field) + QStringLiteral("Path ") + *path;
        }
        const double max = percent ? 100.0 : 99999999.0;
        if (!value || !value->is_number() || value->get<double>() < 0 || value->get<double>() > max
            || (!percent && !value->is_number_integer())) {
            done(Outcome::failed(jsonataState ? QString(AslErrors::QueryEvaluationError)
                                              : QString(AslErrors::Runtime),
                QStringLiteral("%1 does not give a valid %2 for the state '%3'%4")
                    .arg(what,
                        percent ? QStringLiteral("percentage (0 to 100)")
                                : QStringLiteral("non-negative integer"),
                        state.name,
                        value ? QString() : QStringLiteral(": ") + value.error().message)));
            return;
        }
        if (percent)
            toleratedPercent = value->get<double>();
        else
            toleratedCount = int(value->get<qint64>());
    }
    const bool distributed = state.processorMode == QLatin1String("DISTRIBUTED");
    struct Join
    {
        Json items;
        Json results = Json::array();
        std::vector<AslChildExecution> children; // for a ResultWriter
        size_t next = 0;
        size_t left = 0;
        int running = 0;
        int failures = 0;
        bool over = false;
        std::vector<std::shared_ptr<Scope>> scopes;
        int concurrency = 0;
        std::optional<int> toleratedCount;
        std::optional<double> toleratedPercent;
        // A distributed Map: its Map Run, and the children's state machine (the ItemProcessor).
        std::shared_ptr<MapRunState> mapRun;
        SfnMachine childMachine;
        std::shared_ptr<const AslStateMachine> childParsed;
        bool resumedRun = false; // the Map Run was in progress when Tarmac stopped
    };
    auto join = std::make_shared<Join>();
    join->items = std::move(items);
    join->left = join->items.size();
    join->concurrency = concurrency;
    join->toleratedCount = toleratedCount;
    join->toleratedPercent = toleratedPercent;
    for (size_t i = 0; i < join->items.size(); ++i)
        join->results.push_back(nullptr);
    if (state.resultWriter)
        join->children.resize(join->items.size());
    const bool batched = bool(state.itemBatcher);
    // How many items an iteration (a child execution) has: a batch's, or one.
    const auto itemsOf = [join, batched](size_t index) -> qint64 {
        const Json &v = join->items[index];
        if (batched && v.is_object()) {
            const auto it = v.find("Items");
            if (it != v.end() && it->is_array())
                return qint64(it->size());
        }
        return 1;
    };
    addEvent(run, QStringLiteral("MapStateStarted"),
        {{"mapStateStartedEventDetails", {{"length", join->items.size()}}}});
    if (distributed) {
        // A Map Run: each iteration a child workflow execution of the ItemProcessor. A resumed
        // execution goes on with the one it had started.
        // Without a Label, Step Functions makes one: here a UUID named by the state machine and
        // the state, so that a resumed execution's children keep their state machine's ARN.
        const QString label = state.label.isEmpty()
            ? QUuid::createUuidV5(QUuid(), run->machine.arn + u'/' + state.name)
                  .toString(QUuid::WithoutBraces)
            : state.label;
        const QString stateKey = scope->key.isEmpty()
            ? state.name
            : scope->key + QChar(SfnScopeMark::separator) + state.name;
        join->mapRun = std::make_shared<MapRunState>();
        SfnMapRun &row = join->mapRun->row;
        if (const auto it = run->resumeMapRuns.constFind(stateKey);
            it != run->resumeMapRuns.cend()) {
            row = *it;
            run->resumeMapRuns.erase(it);
            join->resumedRun = true;
        } else {
            row.arn = QStringLiteral("arn:aws:states:%1:%2:mapRun:%3/%4:%5")
                          .arg(m_context.region, m_context.accountId, run->machine.name, label,
                              QUuid::createUuid().toString(QUuid::WithoutBraces));
            row.startMs = m_context.clock->nowMs();
        }
        row.executionArn = run->execution.arn;
        row.stateKey = stateKey;
        row.machineArn = QStringLiteral("arn:aws:states:%1:%2:stateMachine:%3/%4")
                             .arg(m_context.region, m_context.accountId, run->machine.name, label);
        row.status = QStringLiteral("RUNNING");
        row.stopMs = 0;
        row.maxConcurrency = configuredConcurrency;
        row.toleratedFailurePercentage = toleratedPercent.value_or(0.0);
        row.toleratedFailureCount = toleratedCount.value_or(0);
        row.executions = {};
        row.executions.total = row.executions.pending = qint64(join->items.size());
        row.items = {};
        for (size_t i = 0; i < join->items.size(); ++i)
            row.items.total += itemsOf(i);
        row.items.pending = row.items.total;
        SfnMachine &child = join->childMachine;
        child.arn = row.machineArn;
        child.name = run->machine.name + u'/' + label;
        child.type
            = state.executionType.isEmpty() ? QStringLiteral("STANDARD") : state.executionType;
        child.definition = run->machine.definition; // what its states may read ($$, variables)
        child.roleArn = run->machine.roleArn;
        child.createdMs = child.updatedMs = row.startMs;
        join->childParsed = std::shared_ptr<const AslStateMachine>(run->parsed, processor);
        m_mapRuns.insert(row.arn, join->mapRun);
        run->mapRuns.insert(row.arn);
        addEvent(run, QStringLiteral("MapRunStarted"),
            {{"mapRunStartedEventDetails", {{"mapRunArn", toStd(row.arn)}}}});
        saveMapRun(row);
    }
    // The Map Run ends with the Map state.
    const auto closeMapRun = [this, run, join](const Outcome &o) {
        if (!join->mapRun || join->mapRun->row.status != QLatin1String("RUNNING"))
            return;
        const QString status = o.ok ? QStringLiteral("SUCCEEDED") : QStringLiteral("FAILED");
        endMapRun(run, join->mapRun->row, status, o, QStringLiteral("The Map Run ended ") + status);
    };
    // Every iteration is over: the results (through a ResultWriter: written to S3, and the
    // Map's result says where).
    const AslState *mapState = &state;
    const auto succeed = [this, run, scope, join, mapState, closeMapRun, effective, context, spanId,
                             done]() {
        const auto ended = [this, run, closeMapRun, done](Outcome o) {
            closeMapRun(o);
            addEvent(run,
                o.ok ? QStringLiteral("MapStateSucceeded") : QStringLiteral("MapStateFailed"),
                Json::object());
            done(std::move(o));
        };
        if (!mapState->resultWriter) {
            ended({true, std::move(join->results), {}, {}});
            return;
        }
        auto writer = jsonataS3Call(scope, *mapState, *mapState->resultWriter,
            QStringLiteral("ResultWriter"), effective, context);
        if (!writer) {
            ended(Outcome::failed(writer.error()));
            return;
        }
        auto plan = aslResultWriterPlan(*writer, effective, context);
        if (!plan) {
            ended(Outcome::failed(plan.error()));
            return;
        }
        const QString mapRunArn = join->mapRun ? join->mapRun->row.arn : QString();
        auto written = aslWriteResults(*plan, mapRunArn, join->children);
        if (!written) {
            ended(Outcome::failed(written.error()));
            return;
        }
        auto objects = std::make_shared<std::vector<AslResultObject>>(std::move(written->objects));
        const QString bucket = written->bucket;
        putS3Objects(run, bucket, objects, 0, spanId,
            [ended, join, result = std::move(written->stateResult)](Result<void> put) {
                if (!put) {
                    ended(Outcome::failed(
                        QString(AslErrors::ResultWriterFailed), put.error().message));
                    return;
                }
                if (join->mapRun) {
                    join->mapRun->row.executions.resultsWritten = qint64(join->children.size());
                    join->mapRun->row.items.resultsWritten = join->mapRun->row.items.total;
                }
                ended({true, result, {}, {}});
            });
    };
    if (join->left == 0) {
        join->over = true;
        succeed();
        return;
    }
    auto launch = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weakLaunch = launch; // no cycle: iterations hold it
    const QString name = state.name;
    // An iteration ended (inline: its states; distributed: its child execution).
    const auto iterationEnded = [this, run, join, weakLaunch, name, distributed, closeMapRun,
                                    succeed, done](size_t index, const QString &key, Outcome o) {
        if (join->over)
            return;
        --join->running;
        --join->left;
        const Json details = {{"name", toStd(name)}, {"index", index}};
        if (!o.ok) {
            if (!distributed)
                addEvent(run, QStringLiteral("MapIterationFailed"),
                    {{"mapIterationFailedEventDetails", details}});
            ++join->failures;
            const double total = double(join->items.size());
            const bool tolerated = (join->toleratedCount && join->failures <= *join->toleratedCount)
                || (join->toleratedPercent
                    && double(join->failures) * 100.0 / total <= *join->toleratedPercent);
            if (!tolerated) {
                join->over = true;
                for (const auto &s : join->scopes)
                    s->cancelled = true;
                if (join->toleratedCount || join->toleratedPercent)
                    o = Outcome::failed(QString(AslErrors::ExceedToleratedFailureThreshold),
                        QStringLiteral("The specified tolerated failure threshold was exceeded"));
                closeMapRun(o);
                addEvent(run, QStringLiteral("MapStateFailed"), Json::object());
                done(std::move(o));
                return;
            }
            join->results[index] = {{"Error", toStd(o.error)}, {"Cause", toStd(o.cause)}};
            markScope(run,
                {key, QString(), QByteArray(), QByteArrayLiteral("{}"), QStringLiteral("FAILED"),
                    toJsonBytes(join->results[index])});
        } else {
            if (!distributed)
                addEvent(run, QStringLiteral("MapIterationSucceeded"),
                    {{"mapIterationSucceededEventDetails", details}});
            markScope(run,
                {key, QString(), QByteArray(), QByteArrayLiteral("{}"), QStringLiteral("SUCCEEDED"),
                    toJsonBytes(o.output)});
            join->results[index] = std::move(o.output);
        }
        if (join->left == 0) {
            join->over = true;
            succeed();
            return;
        }
        if (const auto launch = weakLaunch.lock())
            (*launch)();
    };
    // A child execution's end, as an iteration's outcome (and its ResultWriter record).
    const auto childEnded = [join](size_t index, const SfnExecution &e) {
        const auto json = [](const QByteArray &text) {
            auto v = parseJson(text);
            return v ? std::move(*v) : Json();
        };
        if (!join->children.empty()) {
            AslChildExecution &child = join->children[index];
            child.name = e.name;
            child.executionArn = e.arn;
            child.stateMachineArn = e.machineArn;
            child.input = json(e.input);
            child.status = e.status;
            child.output = e.status == QLatin1String("SUCCEEDED") ? json(e.output) : Json();
            child.error = e.error;
            child.cause = e.cause;
            child.startDateMs = e.startMs;
            child.stopDateMs = e.stopMs;
        }
        if (e.status == QLatin1String("SUCCEEDED"))
            return Outcome {true, json(e.output), {}, {}};
        return Outcome::failed(
            e.error.isEmpty() ? QStringLiteral("States.") + e.status : e.error, e.cause);
    };
    // A distributed Map's iteration: a child execution of the ItemProcessor, named by the Map
    // Run and the item's index (so that a resumed Map Run finds the ones it had started).
    const auto startChild = [this, run, join, spanId, childEnded, iterationEnded, itemsOf](
                                size_t index, Json input,
                                const std::shared_ptr<std::function<void()>> &launch) {
        const auto mapRun = join->mapRun;
        const QString childName = QUuid::createUuidV5(
            QUuid::fromString(mapRun->row.arn.section(u':', -1)), QString::number(index))
                                      .toString(QUuid::WithoutBraces);
        const QString arn
            = QStringLiteral("arn:aws:states:%1:%2:execution:%3:%4")
                  .arg(m_context.region, m_context.accountId, join->childMachine.name, childName);
        const qint64 items = itemsOf(index);
        Finished finished = [this, run, mapRun, index, items, launch, childEnded, iterationEnded](
                                const SfnExecution &e) {
            run->children.remove(e.arn);
            mapRun->row.executions.move(QStringLiteral("RUNNING"), e.status);
            mapRun->row.items.move(QStringLiteral("RUNNING"), e.status, items);
            if (m_context.childExecutionChanged)
                m_context.childExecutionChanged(e);
            if (mapRun->row.status != QLatin1String("RUNNING")) {
                saveMapRun(mapRun->row); // its counts, after it ended
                return;
            }
            Q_UNUSED(launch); // held: the Map goes on when it ends
            iterationEnded(index, QString(), childEnded(index, e));
        };
        mapRun->row.executions.move(QStringLiteral("PENDING"), QStringLiteral("RUNNING"));
        mapRun->row.items.move(QStringLiteral("PENDING"), QStringLiteral("RUNNING"), items);
        std::optional<SfnExecution> before;
        if (join->resumedRun && m_context.store) {
            if (auto stored = m_context.store->execution(arn); stored && *stored)
                before = std::move(**stored);
        }
        if (before && before->status != QLatin1String("RUNNING")) {
            post(run, [finished, e = *before] { finished(e); }); // it ended before the restart
            return;
        }
        const bool resume = before.has_value();
        SfnExecution child;
        if (resume) {
            child = std::move(*before);
        } else {
            child.arn = arn;
            child.machineArn = join->childMachine.arn;
            child.name = childName;
            child.input = toJsonBytes(input);
            child.startMs = m_context.clock->nowMs();
            child.traceId = run->execution.traceId;
            child.mapRunArn = mapRun->row.arn;
        }
        run->children.insert(arn);
        const auto started = startRun(std::move(child), join->childMachine, join->childParsed,
            resume, std::move(finished), spanId);
        if (m_context.childExecutionChanged)
            m_context.childExecutionChanged(started->execution);
    };
    *launch = [this, run, scope, processor, spanId, join, weakLaunch, name, selector, effective,
                  context, jsonataState, found = &state, succeed, iterationEnded, childEnded,
                  startChild, distributed, done, closeMapRun] {
        const auto launch = weakLaunch.lock();
        if (!launch)
            return;
        const std::optional<Json> variables = pathVariables(run, scope);
        const AslVariables variablesInPlace(variables ? &*variables : nullptr);
        while (
            !join->over && join->running < join->concurrency && join->next < join->items.size()) {
            const size_t index = join->next++;
            // A resumed execution: an iteration that had ended is not run again; one that was
            // running goes on from the state it was in. A distributed Map's iterations are
            // child executions, which resume themselves.
            const QString key
                = distributed ? QString() : childKey(scope, found->name, qsizetype(index));
            scope->childrenMarked = scope->childrenMarked || !key.isEmpty();
            std::optional<SfnScopeMark> mark = takeResumeMark(run, key);
            if (mark && !mark->outcome.isEmpty()) {
                auto output = parseJson(mark->output);
                join->results[index] = output ? *output : Json();
                if (mark->outcome == QLatin1String("FAILED"))
                    ++join->failures;
                if (--join->left == 0) {
                    join->over = true;
                    succeed();
                    return;
                }
                continue;
            }
            ++join->running;
            Json itemContext = context;
            itemContext["Map"] = {{"Item", {{"Index", index}, {"Value", join->items[index]}}}};
            Json input = join->items[index];
            if (selector) {
                auto selected = jsonataState
                    ? jsonata(scope, *found, QStringLiteral("ItemSelector"), *selector,
                        {{"input", effective}, {"context", itemContext}})
                    : applyPayloadTemplate(*selector, effective, itemContext);
                if (!selected) {
                    join->over = true;
                    const Outcome failed = Outcome::failed(selected.error());
                    closeMapRun(failed); // the children already started end ABORTED
                    addEvent(run, QStringLiteral("MapStateFailed"), Json::object());
                    done(failed);
                    return;
                }
                input = *selected;
            }
            if (distributed) {
                startChild(index, std::move(input), launch);
                continue;
            }
            // Each iteration is a span (a lane of the timeline) holding its states.
            auto itemScope = std::make_shared<Scope>();
            itemScope->parent = scope;
            itemScope->parentSpanId = TraceContext::newSpanId();
            itemScope->key = key;
            join->scopes.push_back(itemScope);
            QString startAt = processor->startAt;
            if (mark)
                goOnFrom(*mark, *processor, *itemScope, startAt, input);
            const qint64 itemStartNs = m_context.clock->nowNs();
            addEvent(run, QStringLiteral("MapIterationStarted"),
                {{"mapIterationStartedEventDetails", {{"name", toStd(name)}, {"index", index}}}});
            if (!join->children.empty()) {
                AslChildExecution &child = join->children[index];
                child.name = QString::number(index);
                child.input = input;
                child.status = QStringLiteral("RUNNING");
                child.startDateMs = m_context.clock->nowMs();
            }
            post(run,
                [this, run, itemScope, processor, startAt, input = std::move(input), join, index,
                    launch, iterationEnded, spanId, itemStartNs]() mutable {
                    enterState(run, itemScope, processor, startAt, std::move(input),
                        [this, run, join, index, launch, iterationEnded, spanId, itemStartNs,
                            key = itemScope->key, span = itemScope->parentSpanId](Outcome o) {
                            if (join->over)
                                return;
                            recordSpan(run, span, spanId, QStringLiteral("Iteration %1").arg(index),
                                QStringLiteral("Iteration"), itemStartNs,
                                o.ok ? QString()
                                     : QStringLiteral("%1: %2").arg(o.error, o.cause.left(300)),
                                {{QStringLiteral("aws.stepfunctions.map_index"),
                                    QString::number(index)}});
                            if (!join->children.empty()) {
                                AslChildExecution &child = join->children[index];
                                child.status
                                    = o.ok ? QStringLiteral("SUCCEEDED") : QStringLiteral("FAILED");
                                child.output = o.ok ? o.output : Json();
                                child.error = o.error;
                                child.cause = o.cause;
                                child.stopDateMs = m_context.clock->nowMs();
                            }
                            iterationEnded(index, key, std::move(o));
                        });
                });
        }
    };
    if (join->mapRun) {
        // UpdateMapRun: the Map goes on with the new settings (more children at once now).
        std::weak_ptr<Join> weakJoin = join;
        join->mapRun->update = [weakJoin, weakLaunch](std::optional<int> concurrency,
                                   std::optional<double> percent, std::optional<qint64> count) {
            const auto join = weakJoin.lock();
            if (!join)
                return;
            if (concurrency)
                join->concurrency = *concurrency > 0 ? *concurrency : 1000;
            if (percent)
                join->toleratedPercent = *percent;
            if (count)
                join->toleratedCount = int(std::min<qint64>(*count, 99999999));
            if (const auto launch = weakLaunch.lock())
                (*launch)();
        };
    }
    (*launch)();
}

void SfnExecutor::s3Call(const std::shared_ptr<Run> &run, const QByteArray &verb,
    const QString &bucket, const QString &key, const QUrlQuery &query, const QByteArray &body,
    const QByteArray &spanId, std::function<void(Result<QByteArray>)> done)
{
    QUrl url = m_context.edgeUrl;
    url.setPath(QStringLiteral("/%1/%2").arg(bucket, key), QUrl::DecodedMode);
    url.setQuery(query);
    TraceContext trace;
    trace.traceId = run->execution.traceId;
    trace.parentSpanId = spanId;
    QNetworkRequest request(url);
    request.setRawHeader("traceparent", trace.toTraceparent());
    request.setRawHeader("Authorization", authorization("s3"));
    request.setRawHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    QNetworkReply *reply = m_http->sendCustomRequest(request, verb, body);
    ++run->inFlight;
    connect(reply, &QNetworkReply::finished, this, [run, reply, bucket, key, done] {
        reply->deleteLater();
        --run->inFlight;
        if (run->done)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray answer = reply->readAll();
        if (status >= 200 && status < 300) {
            done(answer);
            return;
        }
        const QString code = xmlElement(answer, "Code");
        done(makeError(code.isEmpty() ? QStringLiteral("S3.Failed") : QStringLiteral("S3.") + code,
            QStringLiteral("s3://%1/%2: %3")
                .arg(bucket, key, status ? xmlElement(answer, "Message") : reply->errorString())));
    });
}

void SfnExecutor::readS3Items(const std::shared_ptr<Run> &run, const AslItemReaderPlan &plan,
    const QByteArray &spanId, std::function<void(Result<Json>)> done)
{
    const auto failed
        = [](const Error &e) { return makeError(QString(AslErrors::ItemReaderFailed), e.message); };
    if (plan.action == QLatin1String("listObjectsV2")) {
        listS3Items(run, plan, QString(), Json::array(), spanId, std::move(done));
        return;
    }
    QUrlQuery query;
    if (!plan.versionId.isEmpty())
        query.addQueryItem(QStringLiteral("versionId"), plan.versionId);
    s3Call(run, "GET", plan.bucket, plan.key, query, {}, spanId,
        [this, run, plan, spanId, done, failed](Result<QByteArray> body) {
            if (!body) {
                done(failed(body.error()));
                return;
            }
            if (plan.inputType != QLatin1String("MANIFEST")) {
                auto items = aslReadItems(plan, *body);
                done(items ? std::move(items) : Result<Json>(failed(items.error())));
                return;
            }
            // An S3 inventory: its manifest names the data files, read one after the other.
            auto files = aslInventoryPlans(plan, *body);
            if (!files) {
                done(failed(files.error()));
                return;
            }
            readS3Files(run,
                std::make_shared<const std::vector<AslItemReaderPlan>>(std::move(*files)), 0,
                Json::array(), plan.maxItems, spanId, done);
        });
}

void SfnExecutor::readS3Files(const std::shared_ptr<Run> &run,
    std::shared_ptr<const std::vector<AslItemReaderPlan>> files, size_t index, Json items,
    std::optional<qint64> maxItems, const QByteArray &spanId,
    std::function<void(Result<Json>)> done)
{
    if (index >= files->size() || (maxItems && qint64(items.size()) >= *maxItems)) {
        done(std::move(items));
        return;
    }
    const AslItemReaderPlan &file = (*files)[index];
    s3Call(run, "GET", file.bucket, file.key, {}, {}, spanId,
        [this, run, files, index, items = std::move(items), maxItems, spanId, done](
            Result<QByteArray> body) mutable {
            auto read = body ? aslReadItems((*files)[index], *body) : Result<Json>(body.error());
            if (!read) {
                done(makeError(QString(AslErrors::ItemReaderFailed), read.error().message));
                return;
            }
            for (Json &item : *read) {
                if (maxItems && qint64(items.size()) >= *maxItems)
                    break;
                items.push_back(std::move(item));
            }
            readS3Files(run, files, index + 1, std::move(items), maxItems, spanId, done);
        });
}

void SfnExecutor::listS3Items(const std::shared_ptr<Run> &run, const AslItemReaderPlan &plan,
    const QString &token, Json items, const QByteArray &spanId,
    std::function<void(Result<Json>)> done)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("list-type"), QStringLiteral("2"));
    if (!plan.prefix.isEmpty())
        query.addQueryItem(QStringLiteral("prefix"), plan.prefix);
    if (!token.isEmpty())
        query.addQueryItem(QStringLiteral("continuation-token"), token);
    s3Call(run, "GET", plan.bucket, QString(), query, {}, spanId,
        [this, run, plan, items = std::move(items), spanId, done](Result<QByteArray> body) mutable {
            std::optional<qint64> left;
            if (plan.maxItems)
                left = *plan.maxItems - qint64(items.size());
            auto page = body ? aslListedItems(*body, left) : Result<AslListedPage>(body.error());
            if (!page) {
                done(makeError(QString(AslErrors::ItemReaderFailed), page.error().message));
                return;
            }
            for (Json &item : page->items)
                items.push_back(std::move(item));
            const bool full = plan.maxItems && qint64(items.size()) >= *plan.maxItems;
            if (page->nextContinuationToken.isEmpty() || full) {
                done(std::move(items));
                return;
            }
            listS3Items(run, plan, page->nextContinuationToken, std::move(items), spanId, done);
        });
}

void SfnExecutor::putS3Objects(const std::shared_ptr<Run> &run, const QString &bucket,
    std::shared_ptr<std::vector<AslResultObject>> objects, size_t index, const QByteArray &spanId,
    std::function<void(Result<void>)> done)
{
    if (index >= objects->size()) {
        done({});
        return;
    }
    const AslResultObject &object = (*objects)[index];
    s3Call(run, "PUT", bucket, object.key, {}, object.body, spanId,
        [this, run, bucket, objects, index, spanId, done](Result<QByteArray> put) {
            if (!put) {
                done(put.error());
                return;
            }
            putS3Objects(run, bucket, objects, index + 1, spanId, done);
        });
}

std::optional<SfnMapRun> SfnExecutor::mapRun(const QString &mapRunArn) const
{
    const auto it = m_mapRuns.constFind(mapRunArn);
    if (it == m_mapRuns.cend())
        return std::nullopt;
    return (*it)->row;
}

bool SfnExecutor::updateMapRun(const QString &mapRunArn, std::optional<int> maxConcurrency,
    std::optional<double> toleratedFailurePercentage, std::optional<qint64> toleratedFailureCount)
{
    const auto it = m_mapRuns.constFind(mapRunArn);
    if (it == m_mapRuns.cend())
        return false;
    const std::shared_ptr<MapRunState> state = *it;
    if (maxConcurrency)
        state->row.maxConcurrency = *maxConcurrency;
    if (toleratedFailurePercentage)
        state->row.toleratedFailurePercentage = *toleratedFailurePercentage;
    if (toleratedFailureCount)
        state->row.toleratedFailureCount = *toleratedFailureCount;
    saveMapRun(state->row);
    if (state->update)
        state->update(maxConcurrency, toleratedFailurePercentage, toleratedFailureCount);
    return true;
}

void SfnExecutor::endMapRun(const std::shared_ptr<Run> &run, SfnMapRun &row, const QString &status,
    const Outcome &failure, const QString &childCause)
{
    row.status = status;
    row.stopMs = m_context.clock->nowMs();
    m_mapRuns.remove(row.arn);
    run->mapRuns.remove(row.arn);
    if (status == QLatin1String("SUCCEEDED"))
        addEvent(run, QStringLiteral("MapRunSucceeded"), Json::object());
    else if (status == QLatin1String("ABORTED"))
        addEvent(run, QStringLiteral("MapRunAborted"), Json::object());
    else
        addEvent(run, QStringLiteral("MapRunFailed"),
            {{"mapRunFailedEventDetails",
                {{"error", toStd(failure.error)}, {"cause", toStd(failure.cause)}}}});
    // Saved ended first: a child that ends at once (EXPRESS) then only counts there.
    saveMapRun(row);
    const QSet<QString> running = run->children;
    for (const QString &arn : running) {
        const auto child = m_runs.value(arn);
        if (!child || child->execution.mapRunArn != row.arn)
            continue;
        run->children.remove(arn);
        child->execution.cause = childCause;
        finish(child, Outcome::failed(QStringLiteral("States.Aborted"), QString()));
    }
}

void SfnExecutor::saveMapRun(const SfnMapRun &row)
{
    if (m_context.store) {
        if (auto r = m_context.store->saveMapRun(row); !r)
            qWarning("tarmac: stepfunctions: map run not saved: %s", qPrintable(r.error().message));
    }
    if (m_context.mapRunChanged)
        m_context.mapRunChanged(row);
}

Result<void> SfnExecutor::sendTaskSuccess(const QString &token, const Json &output)
{
    return resolveToken(token, {true, output, {}, {}});
}

Result<void> SfnExecutor::sendTaskFailure(
    const QString &token, const QString &error, const QString &cause)
{
    return resolveToken(token, Outcome::failed(error, cause));
}

Result<void> SfnExecutor::resolveToken(const QString &token, Outcome outcome)
{
    auto wait = m_tokens.take(token);
    if (!wait)
        return makeError(QStringLiteral("TaskDoesNotExist"),
            QStringLiteral("Task Token does not exist or has already been used"), 400);
    if (wait->heartbeat)
        m_context.clock->cancel(wait->heartbeat);
    taskEnded(
        wait->run, QStringLiteral("lambda"), QStringLiteral("invoke.waitForTaskToken"), outcome);
    auto done = wait->done;
    post(wait->run, [done, outcome = std::move(outcome)] { done(outcome); });
    return {};
}

void SfnExecutor::taskEnded(const std::shared_ptr<Run> &run, const QString &resourceType,
    const QString &resource, const Outcome &o)
{
    if (o.ok)
        addEvent(run, QStringLiteral("TaskSucceeded"),
            {{"taskSucceededEventDetails",
                {{"resourceType", toStd(resourceType)}, {"resource", toStd(resource)},
                    {"output", toJsonBytes(o.output).toStdString()},
                    {"outputDetails", {{"truncated", false}}}}}});
    else
        addEvent(run, QStringLiteral("TaskFailed"),
            {{"taskFailedEventDetails",
                {{"resourceType", toStd(resourceType)}, {"resource", toStd(resource)},
                    {"error", toStd(o.error)}, {"cause", toStd(o.cause)}}}});
}

Result<void> SfnExecutor::sendTaskHeartbeat(const QString &token)
{
    auto wait = m_tokens.value(token);
    if (!wait)
        return makeError(QStringLiteral("TaskDoesNotExist"),
            QStringLiteral("Task Token does not exist or has already been used"), 400);
    if (wait->heartbeat) {
        m_context.clock->cancel(wait->heartbeat);
        wait->run->timers.remove(wait->heartbeat);
        wait->heartbeat = Clock::TimerId(
            schedule(wait->run, qint64(wait->heartbeatSeconds) * kNsPerSecond, wait->onHeartbeat));
    }
    return {};
}

} // namespace tarmac
