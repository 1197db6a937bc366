// Step Functions: the interpreter's own cost per state transition, without HTTP or a client.
//
// SfnExecutor runs executions of the benchmark's workflows (bench/stepfunctions/run's): the
// 10-state Pass workflow (each state a Pass with a small Parameters, a constant and one `.$`
// path) and the 5-task Lambda workflow (each state a Task whose Resource is a function's ARN;
// here the Dispatcher is one that answers every invoke at once with `{}`, so the figure is the
// Task states' own cost, the function's excluded) on this process's event loop, as the engine's
// thread runs them, with what it has in Tarmac: the system clock, a Tracer writing every state's
// span to SQLite on its own thread, and for STANDARD executions the state store (history and
// checkpoint saved every turn). --executions of them are run, --concurrency at a time, after a
// warm-up; the figures are the CPU of the event loop's thread (CLOCK_THREAD_CPUTIME_ID) and of the
// whole process (getrusage: the tracer's and SQLite's threads too) per state transition, and
// transitions per second.
//
//   build/bin/bench_sfn_transitions [--executions 20000] [--concurrency 8] [--reps 3]
//
// The goal (issue 23): <= 50 µs of Tarmac's CPU per transition. bench/stepfunctions/run gives
// the whole figure through the API, HTTP included.

#include "base/clock.h"
#include "functions/delivery.h"
#include "services/stepfunctions/sfnexecutor.h"
#include "services/stepfunctions/sfnstore.h"
#include "store/store.h"
#include "trace/tracer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace tarmac;

namespace {

class NoFunctions : public DeliverySink
{
public:
    void submit(Delivery d) override
    {
        DeliveryResult r;
        r.delivered = true;
        r.payload = "{}";
        d.done(r);
    }
    Result<void> submitAsync(Delivery) override { return {}; }
};

QByteArray taskDefinition()
{
    QByteArray states;
    for (int i = 1; i <= 5; ++i) {
        if (i > 1)
            states += ',';
        states += QByteArray(R"("T)") + QByteArray::number(i)
            + R"(": {"Type": "Task", "Resource": )"
              R"("arn:aws:lambda:us-east-1:000000000000:function:Fn", )"
            + (i < 5 ? QByteArray(R"("Next": "T)") + QByteArray::number(i + 1) + '"'
                     : QByteArray(R"("End": true)"))
            + '}';
    }
    return R"({"Comment": "bench: 5 Lambda tasks", "StartAt": "T1", "States": {)" + states + "}}";
}

QByteArray passDefinition()
{
    QByteArray states;
    for (int i = 1; i <= 10; ++i) {
        if (i > 1)
            states += ',';
        states += QByteArray(R"("P)") + QByteArray::number(i)
            + R"(": {"Type": "Pass", "Parameters": {"step": )" + QByteArray::number(i)
            + R"(, "previous.$": "$.step"}, )"
            + (i < 10 ? QByteArray(R"("Next": "P)") + QByteArray::number(i + 1) + '"'
                      : QByteArray(R"("End": true)"))
            + '}';
    }
    return R"({"Comment": "bench: 10 Pass states", "StartAt": "P1", "States": {)" + states + "}}";
}

double threadCpuUs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

double processCpuUs()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6
        + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Figures
{
    double threadUsPerTransition = 0;
    double processUsPerTransition = 0;
    double transitionsPerSecond = 0;
};

Figures run(SfnExecutor &executor, const SfnMachine &machine,
    const std::shared_ptr<const AslStateMachine> &parsed, int executions, int concurrency,
    int transitionsEach, int *serial)
{
    QEventLoop loop;
    int started = 0;
    int ended = 0;
    std::function<void()> startOne = [&] {
        SfnExecution e;
        e.name = QStringLiteral("e%1").arg(++*serial);
        e.arn = machine.type == QLatin1String("EXPRESS")
            ? QStringLiteral("arn:aws:states:us-east-1:000000000000:express:bench:%1:x").arg(e.name)
            : QStringLiteral("arn:aws:states:us-east-1:000000000000:execution:bench:%1")
                  .arg(e.name);
        e.machineArn = machine.arn;
        e.input = R"({"step": 0})";
        e.startMs = QDateTime::currentMSecsSinceEpoch();
        ++started;
        executor.start(e, machine, parsed, false, [&](const SfnExecution &done) {
            if (done.status != QLatin1String("SUCCEEDED"))
                qFatal("execution %s: %s", qPrintable(done.status), qPrintable(done.cause));
            ++ended;
            if (started < executions)
                startOne();
            else if (ended == executions)
                loop.quit();
        });
    };
    QElapsedTimer wall;
    wall.start();
    const double thread0 = threadCpuUs();
    const double process0 = processCpuUs();
    for (int i = 0; i < std::min(concurrency, executions); ++i)
        startOne();
    loop.exec();
    const double transitions = double(executions) * transitionsEach;
    return {(threadCpuUs() - thread0) / transitions, (processCpuUs() - process0) / transitions,
        transitions / (double(wall.nsecsElapsed()) / 1e9)};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int executions = 20000;
    int concurrency = 8;
    int reps = 3;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--executions"))
            executions = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--concurrency"))
            concurrency = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--reps"))
            reps = args[i + 1].toInt();
    }
    executions = std::max(executions, 1);
    concurrency = std::max(concurrency, 1);
    QTemporaryDir dir;
    auto store = Store::open(dir.path());
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    SfnStore sfnStore(store->get());
    if (auto r = sfnStore.open(); !r)
        qFatal("%s", qPrintable(r.error().message));
    auto tracer = Tracer::open(dir.filePath(QStringLiteral("traces.db")));
    if (!tracer)
        qFatal("%s", qPrintable(tracer.error().message));
    SystemClock clock;
    NoFunctions functions;
    SfnExecutor executor({&clock, tracer->get(), &functions, &sfnStore, QUrl(),
        QStringLiteral("us-east-1"), QStringLiteral("000000000000")});
    std::printf("Step Functions interpreter: %d executions per run, %d at a time, median of %d "
                "runs\n\n",
        executions, concurrency, reps);
    std::printf("| workflow | type | transitions/s | engine thread CPU µs / transition | process "
                "CPU µs / transition | goal ≤ 50 µs |\n|---|---|---|---|---|---|\n");
    int serial = 0;
    struct Workflow
    {
        const char *name;
        QByteArray definition;
        int transitions;
    };
    for (const Workflow &w : {Workflow {"10-state Pass", passDefinition(), 10},
             Workflow {"5-task Lambda (invokes answered at once)", taskDefinition(), 5}}) {
        auto parsed = parseAslDefinition(w.definition);
        if (!parsed)
            qFatal("%s", qPrintable(parsed.error().message));
        const auto machineAsl = std::make_shared<const AslStateMachine>(std::move(*parsed));
        for (const char *type : {"EXPRESS", "STANDARD"}) {
            SfnMachine m;
            m.name = QStringLiteral("bench");
            m.arn = QStringLiteral("arn:aws:states:us-east-1:000000000000:stateMachine:bench");
            m.type = QString::fromLatin1(type);
            m.definition = w.definition;
            run(executor, m, machineAsl, std::max(executions / 10, concurrency), concurrency,
                w.transitions, &serial); // warm-up
            std::vector<Figures> figures;
            for (int r = 0; r < reps; ++r)
                figures.push_back(
                    run(executor, m, machineAsl, executions, concurrency, w.transitions, &serial));
            const auto median = [&](double Figures::*f) {
                std::vector<double> v;
                for (const Figures &x : figures)
                    v.push_back(x.*f);
                std::sort(v.begin(), v.end());
                return v[v.size() / 2];
            };
            const double process = median(&Figures::processUsPerTransition);
            std::printf("| %s | %s | %.0f | %.1f | %.1f | %s |\n", w.name, type,
                median(&Figures::transitionsPerSecond), median(&Figures::threadUsPerTransition),
                process, process <= 50 ? "✓" : "✗");
            std::fflush(stdout);
        }
    }
    (*tracer)->flush();
    return 0;
}
