// The `tarmac` and `tarmac-desktop` executables: the command-line tools and the desktop app
// (DESIGN.md, "Command line"; app/desktoplauncher.h: why two). Parsing and wiring only; the
// engine does the work.
#include "app/desktoplauncher.h"
#include "base/json.h"
#include "base/terminationsignals.h"
#include "engine/dispatcher.h"
#include "engine/engine.h"
#include "engine/stackapplier.h"
#include "engine/stackcommands.h"
#include "engine/stackloader.h"
#include "engine/traceapi.h"
#include "functions/delivery.h"
#include "functions/functionrunner.h"
#include "ide/ideservice.h"
#include "replay/replayer.h"
#include "trace/otlpexport.h"
#include "trace/tracequery.h"
#include "trace/tracer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcessEnvironment>
#include <QSet>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unistd.h>

using namespace tarmac;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1; // a command ran and failed
constexpr int kExitUsage = 2; // bad arguments, or the engine could not start

void printErr(const QString &line)
{
    std::fprintf(stderr, "tarmac: %s\n", qPrintable(line));
    std::fflush(stderr);
}

const char kMainHelp[]
    = R"(Usage: tarmac [PROJECT] [options]            the desktop app (serve when there is no display)
       tarmac <command> [arguments]

Tarmac runs a serverless application locally: AWS service APIs on one edge port, the
application's HTTP routes on an API port, functions as child processes, state in SQLite.

Commands:
  serve [PROJECT] [options]      run everything headless until SIGINT/SIGTERM
  invoke FUNCTION [PROJECT]      run one invocation; result on stdout, logs on stderr
  check [PROJECT]                list what of the template Tarmac does not emulate
  build [PROJECT]                install functions' dependencies, bundle esbuild functions
  events generate SOURCE         print a sample event (tarmac events generate --help lists them)
  traces export [options]        write stored traces and logs (OTLP/JSON) to stdout
  replay CAPTURE [PROJECT]       replay captured events and check their expectations
  record export [PROJECT]        write a running Tarmac's deliveries as a replay capture
  logs export [PROJECT]          write stored log lines as `aws logs filter-log-events` does

PROJECT is a folder holding template.yaml, or a template file; without one Tarmac starts
empty and resources are created through the APIs.

Run `tarmac <command> --help` for a command's options.
Exit status: 0 success, 1 the command failed, 2 bad arguments or Tarmac could not start.
)";

// How the template is read: serve, invoke, check and the desktop app take these alike.
void addTemplateOptions(QCommandLineParser &p)
{
    p.addOption({QStringLiteral("parameter-overrides"),
        QStringLiteral("Template parameter values, K=V (repeatable)."), QStringLiteral("K=V")});
    p.addOption({QStringLiteral("layer"),
        QStringLiteral("A local folder for a layer the template names by ARN (Powertools and "
                       "other public layers); ARN without :VERSION matches every version "
                       "(repeatable)."),
        QStringLiteral("ARN=DIR")});
    p.addOption({QStringLiteral("stack-name"),
        QStringLiteral("The stack's name (AWS::StackName; generated names start with it). "
                       "Default: samconfig.toml's stack_name, else the project folder's name."),
        QStringLiteral("NAME")});
}

void addServeOptions(QCommandLineParser &p)
{
    p.addOption(
        {QStringLiteral("port"), QStringLiteral("Edge port for the AWS APIs (0: any free port)."),
            QStringLiteral("N"), QStringLiteral("4566")});
    p.addOption({QStringLiteral("api-port"), QStringLiteral("API Gateway port (0: any free port)."),
        QStringLiteral("N"), QStringLiteral("3000")});
    p.addOption(
        {QStringLiteral("ide-port"), QStringLiteral("IDE WebSocket port (0: any free port)."),
            QStringLiteral("N"), QStringLiteral("4567")});
    p.addOption({QStringLiteral("state"), QStringLiteral("State folder (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("ephemeral"),
        QStringLiteral("Keep state in a temporary folder, removed at exit.")});
    p.addOption({QStringLiteral("host"), QStringLiteral("Address to bind (default 127.0.0.1)."),
        QStringLiteral("ADDR"), QStringLiteral("127.0.0.1")});
    addTemplateOptions(p);
    p.addOption({QStringLiteral("io-threads"), QStringLiteral("Edge port I/O threads (default 2)."),
        QStringLiteral("N"), QStringLiteral("2")});
    p.addOption({QStringLiteral("verify-signatures"),
        QStringLiteral("Check S3 requests' signatures (SigV4 and SigV2, signed within 15 minutes "
                       "of now) against --credentials, and enforce S3 ACLs, bucket policies and "
                       "public access blocks per account.")});
    p.addOption({QStringLiteral("credentials"),
        QStringLiteral("Credentials file ([profile] aws_access_key_id / "
                       "aws_secret_access_key, aws_account_id for the profile's account) for "
                       "--verify-signatures."),
        QStringLiteral("FILE")});
    p.addOption({QStringLiteral("log-level"),
        QStringLiteral("What stderr shows: quiet, errors, info (every request and function "
                       "line; serve's default) or debug (also Tarmac's own requests and every "
                       "delivery). The desktop app's default is errors."),
        QStringLiteral("LEVEL")});
    p.addOption({QStringLiteral("log-format"),
        QStringLiteral("text (coloured on a terminal unless NO_COLOR is set) or json (one "
                       "object per line)."),
        QStringLiteral("FORMAT"), QStringLiteral("text")});
    p.addOption({QStringLiteral("otlp-endpoint"),
        QStringLiteral("Stream spans and logs over OTLP/HTTP to this collector (a base URL: "
                       "/v1/traces and /v1/logs are added; e.g. http://127.0.0.1:4318). "
                       "Default: $OTEL_EXPORTER_OTLP_ENDPOINT; headers from "
                       "$OTEL_EXPORTER_OTLP_HEADERS, http/json with "
                       "OTEL_EXPORTER_OTLP_PROTOCOL=http/json."),
        QStringLiteral("URL")});
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("Folder with template.yaml, or a template file."),
        QStringLiteral("[PROJECT]"));
    p.addHelpOption();
}

// Parses a command's arguments. Returns the exit status when the command ends here: bad
// arguments (reported), or --help (printed).
std::optional<int> parseCommandLine(
    QCommandLineParser &p, const QStringList &given, const QString &command)
{
    // SAM CLI's form `--parameter-overrides K1=V1 K2=V2`: the words after the option that
    // hold "=" (and are not options or existing paths) are more overrides.
    QStringList args;
    for (qsizetype i = 0; i < given.size(); ++i) {
        args.append(given[i]);
        if (given[i] != QLatin1String("--parameter-overrides"))
            continue;
        if (i + 1 < given.size())
            args.append(given[++i]);
        while (i + 1 < given.size() && !given[i + 1].startsWith(u'-')
            && given[i + 1].indexOf(u'=') > 0 && !QFileInfo::exists(given[i + 1])) {
            args.append(QStringLiteral("--parameter-overrides"));
            args.append(given[++i]);
        }
    }
    if (!p.parse(args)) {
        printErr(p.errorText());
        return kExitUsage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        // Qt names the program by its path; the usage line should name the command.
        QString help = p.helpText();
        const qsizetype end = help.indexOf(QLatin1String(" ["));
        if (help.startsWith(QLatin1String("Usage: ")) && end > 0)
            help.replace(7, end - 7, QStringLiteral("tarmac ") + command);
        std::fputs(qPrintable(help), stdout);
        return kExitOk;
    }
    return std::nullopt;
}

bool parsePort(const QString &text, int *port)
{
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < 0 || v > 65535)
        return false;
    *port = v;
    return true;
}

// --layer ARN=DIR items; an error line for a malformed one.
Result<QHash<QString, QString>> layerFolders(const QCommandLineParser &p)
{
    QHash<QString, QString> out;
    for (const QString &item : p.values(QStringLiteral("layer"))) {
        const qsizetype eq = item.indexOf(u'=');
        if (eq <= 0 || !item.startsWith(QLatin1String("arn:")) || eq == item.size() - 1)
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("--layer takes ARN=DIR, not '%1'").arg(item));
        out.insert(item.left(eq), QFileInfo(item.mid(eq + 1)).absoluteFilePath());
    }
    return out;
}

// Returns the options, or an error line. `logLevel`: the console's level unless --log-level.
Result<Engine::Options> engineOptions(
    const QCommandLineParser &p, ConsoleLog::Level logLevel = ConsoleLog::Level::Info)
{
    Engine::Options o;
    o.ide = makeIdePort;
    ConsoleLog::Options console;
    console.level = logLevel;
    if (p.isSet(QStringLiteral("log-level"))) {
        const auto level = ConsoleLog::parseLevel(p.value(QStringLiteral("log-level")));
        if (!level)
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("--log-level takes quiet, errors, info or debug, not '%1'")
                    .arg(p.value(QStringLiteral("log-level"))));
        console.level = *level;
    }
    const auto format = ConsoleLog::parseFormat(p.value(QStringLiteral("log-format")));
    if (!format)
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("--log-format takes text or json, not '%1'")
                .arg(p.value(QStringLiteral("log-format"))));
    console.format = *format;
    console.colour = console.format == ConsoleLog::Format::Text && ::isatty(STDERR_FILENO)
        && qEnvironmentVariableIsEmpty("NO_COLOR") && qgetenv("TERM") != QByteArrayLiteral("dumb");
    o.console = console;
    auto otlp = OtlpExporter::fromSettings(
        p.value(QStringLiteral("otlp-endpoint")), QProcessEnvironment::systemEnvironment());
    if (!otlp)
        return otlp.error();
    o.otlp = std::move(*otlp);
    if (o.otlp && console.level == ConsoleLog::Level::Quiet)
        o.otlp->report = [](const QString &) {};
    const QStringList positional = p.positionalArguments();
    if (positional.size() > 1)
        return makeError(QStringLiteral("Usage"), QStringLiteral("more than one PROJECT given"));
    if (!positional.isEmpty()) {
        o.projectPath = QFileInfo(positional.first()).absoluteFilePath();
        if (!QFileInfo::exists(o.projectPath))
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("no such project: %1").arg(positional.first()));
    }
    int apiPort = 0; // the API Gateway module's port ("api")
    const std::pair<const char *, int *> ports[]
        = {{"port", &o.edgePort}, {"api-port", &apiPort}, {"ide-port", &o.idePort}};
    for (const auto &[name, target] : ports) {
        const QString opt = QString::fromLatin1(name);
        if (!parsePort(p.value(opt), target))
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("--%1 takes a port number from 0 to 65535, not '%2'")
                    .arg(opt, p.value(opt)));
    }
    o.ports.insert(QStringLiteral("api"), apiPort);
    if (!o.host.setAddress(p.value(QStringLiteral("host")))) {
        if (p.value(QStringLiteral("host")) == QLatin1String("localhost"))
            o.host = QHostAddress(QHostAddress::LocalHost);
        else
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("--host takes an IP address, not '%1'")
                    .arg(p.value(QStringLiteral("host"))));
    }
    o.stateDir = p.value(QStringLiteral("state"));
    o.ephemeral = p.isSet(QStringLiteral("ephemeral"));
    if (o.ephemeral && !o.stateDir.isEmpty())
        return makeError(
            QStringLiteral("Usage"), QStringLiteral("--ephemeral and --state exclude each other"));
    o.parameterOverrides = p.values(QStringLiteral("parameter-overrides"));
    o.stackName = p.value(QStringLiteral("stack-name"));
    auto layers = layerFolders(p);
    if (!layers)
        return layers.error();
    o.layerFolders = *layers;
    if (p.isSet(QStringLiteral("stack-name"))) {
        if (auto r = StackLoader::checkStackName(o.stackName); !r)
            return makeError(
                QStringLiteral("Usage"), QStringLiteral("--stack-name: ") + r.error().message);
    }
    bool ok = false;
    o.ioThreads = p.value(QStringLiteral("io-threads")).toInt(&ok);
    if (!ok || o.ioThreads < 0 || o.ioThreads > 64)
        return makeError(QStringLiteral("Usage"), QStringLiteral("--io-threads takes 0 to 64"));
    if (p.isSet(QStringLiteral("verify-signatures"))) {
        const QString credentials = p.value(QStringLiteral("credentials"));
        if (credentials.isEmpty() || !QFileInfo(credentials).isReadable())
            return makeError(QStringLiteral("Usage"),
                QStringLiteral("--verify-signatures needs a readable --credentials FILE"));
        o.serviceOptions.insert(
            QStringLiteral("s3.signatureCredentials"), QFileInfo(credentials).absoluteFilePath());
    }
    return o;
}

void installSignalHandlers(QCoreApplication &app, Engine &engine)
{
    onTerminationSignals(&app, [&engine, &app](int count) {
        if (count > 1) {
            printErr(QStringLiteral("second signal: exiting at once"));
            std::_Exit(kExitFailure);
        }
        engine.stop();
        // In-flight requests get a bounded grace period.
        QTimer::singleShot(10'000, &app, [] {
            printErr(QStringLiteral("requests still running after 10 s: exiting"));
            QCoreApplication::exit(kExitFailure);
        });
    });
}

int runServe(QCoreApplication &app, const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Run Tarmac headless until SIGINT or SIGTERM. When every port listens it prints one "
        "line to stdout:\n  tarmac ready edge=http://HOST:PORT api=http://HOST:PORT "
        "ide=ws://HOST:PORT\n"
        "GET /_tarmac/health on the edge port answers each service's state."));
    addServeOptions(p);
    p.addOption({QStringLiteral("exit-on-function-error"),
        QStringLiteral("Stop with exit status 1 after the first function error (smoke tests).")});
    p.addOption({QStringLiteral("fail-on-unsupported"),
        QStringLiteral("Refuse to start (exit status 1) when the template's fidelity report "
                       "lists anything unsupported.")});
    if (auto done = parseCommandLine(p, args, QStringLiteral("serve")))
        return *done;
    auto options = engineOptions(p);
    if (!options) {
        printErr(options.error().message);
        return kExitUsage;
    }
    Engine engine(std::move(*options));
    if (auto r = engine.start(); !r) {
        printErr(r.error().message);
        return kExitUsage;
    }
    if (p.isSet(QStringLiteral("fail-on-unsupported")) && engine.stack() && engine.stack()->stack()
        && engine.stack()->stack()->report.hasUnsupported()) {
        printErr(QStringLiteral("tarmac: --fail-on-unsupported: the template has %1 "
                                "unsupported item(s), listed above; not starting")
                     .arg(engine.stack()->stack()->report.count(FidelityItem::Level::Unsupported)));
        return kExitFailure;
    }
    installSignalHandlers(app, engine);
    int exitCode = kExitOk;
    QObject::connect(
        &engine, &Engine::stopped, &app, [&exitCode] { QCoreApplication::exit(exitCode); });
    if (p.isSet(QStringLiteral("exit-on-function-error"))) {
        Dispatcher *dispatcher = engine.dispatcher();
        QObject::connect(
            dispatcher, &Dispatcher::finished, &engine,
            [&engine, &exitCode, dispatcher](const QByteArray &id, const QString &status) {
                if (status != QLatin1String("failed") || exitCode != kExitOk)
                    return;
                exitCode = kExitFailure;
                QString what = QStringLiteral("a function failed");
                if (auto record = dispatcher->record(id)) {
                    what = QStringLiteral("%1 failed (%2: %3)")
                               .arg(record->functionName, record->errorType,
                                   record->errorMessage.left(200));
                }
                printErr(
                    QStringLiteral("tarmac: --exit-on-function-error: %1; stopping").arg(what));
                engine.stop();
            },
            Qt::QueuedConnection);
    }
    engine.console()->message(LogSeverityInfo, QStringLiteral("tarmac: ") + engine.stateLine());
    if (const auto &otlp = engine.options().otlp) {
        engine.console()->message(LogSeverityInfo,
            QStringLiteral("tarmac: streaming spans to %1 and logs to %2 (OTLP/HTTP, %3)")
                .arg(otlp->tracesUrl.toString(), otlp->logsUrl.toString(),
                    otlp->json ? QStringLiteral("JSON") : QStringLiteral("protobuf")));
    }
    engine.console()->message(LogSeverityInfo,
        QStringLiteral("tarmac: IDE console %1/_tarmac/ide/#token=%2 (STATE/ide.json and "
                       "STATE/ide-token for editors)")
            .arg(engine.edgeUrl().toString(), engine.ideToken()));
    QByteArray line = engine.readyLine() + '\n';
    if (engine.stack())
        line += engine.stack()->outputsText();
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
    return app.exec();
}

struct HttpAnswer
{
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-case names
};

// One HTTP request, synchronously; an error line when nothing answered.
Result<HttpAnswer> httpCall(const QByteArray &method, const QUrl &url,
    const QByteArray &body = QByteArray(),
    const QList<std::pair<QByteArray, QByteArray>> &headers = {}, int timeoutMs = 60'000)
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    HttpAnswer answer;
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (answer.status == 0)
        return makeError(QStringLiteral("Unreachable"),
            QStringLiteral("cannot reach %1: %2").arg(url.toString(), reply->errorString()));
    answer.body = reply->readAll();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        answer.headers.insert(name.toLower(), value);
    return answer;
}

// GET url, synchronously: the body of a 200, or an error line (the answer's message).
Result<QByteArray> httpGet(const QUrl &url)
{
    auto answer = httpCall("GET", url);
    if (!answer)
        return answer.error();
    if (answer->status != 200) {
        QString message = QString::fromUtf8(answer->body);
        if (auto json = parseJson(answer->body); json && json->is_object()
            && json->contains("message") && (*json)["message"].is_string())
            message = fromStd((*json)["message"].get<std::string>());
        return makeError(QStringLiteral("Http%1").arg(answer->status), message);
    }
    return answer->body;
}

int runTracesExport(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Write the stored traces and logs to stdout: from the state folder, or with --edge "
        "from a running Tarmac (whose state may be a temporary folder). Exit status 1 when "
        "--trace names a trace that is not stored."));
    p.addOption({QStringLiteral("format"), QStringLiteral("Output format: otlp-json."),
        QStringLiteral("FORMAT"), QStringLiteral("otlp-json")});
    p.addOption({QStringLiteral("state"), QStringLiteral("State folder (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("edge"),
        QStringLiteral("Ask the Tarmac running at this edge URL (http://127.0.0.1:4566)."),
        QStringLiteral("URL")});
    p.addOption({QStringLiteral("trace"), QStringLiteral("Only this trace id (32 hex digits)."),
        QStringLiteral("ID")});
    p.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The project folder."),
        QStringLiteral("[PROJECT]"));
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("traces export")))
        return *done;
    if (p.value(QStringLiteral("format")) != QLatin1String("otlp-json")) {
        printErr(QStringLiteral("unknown format '%1' (known: otlp-json)")
                     .arg(p.value(QStringLiteral("format"))));
        return kExitUsage;
    }
    const QByteArray traceId = p.value(QStringLiteral("trace")).toLatin1().toLower();
    if (p.isSet(QStringLiteral("trace")) && !isTraceId(traceId)) {
        printErr(QStringLiteral("--trace takes a trace id of 32 hex digits, not '%1'")
                     .arg(p.value(QStringLiteral("trace"))));
        return kExitUsage;
    }
    if (p.isSet(QStringLiteral("edge"))) {
        if (p.isSet(QStringLiteral("state")) || !p.positionalArguments().isEmpty()) {
            printErr(QStringLiteral("--edge asks a running Tarmac: give no --state or PROJECT"));
            return kExitUsage;
        }
        QUrl url(p.value(QStringLiteral("edge")));
        if (!url.isValid() || url.scheme() != QLatin1String("http") || url.host().isEmpty()) {
            printErr(QStringLiteral("--edge takes the edge URL Tarmac printed "
                                    "(http://127.0.0.1:4566), not '%1'")
                         .arg(p.value(QStringLiteral("edge"))));
            return kExitUsage;
        }
        url.setPath(QStringLiteral("/_tarmac/traces"));
        if (!traceId.isEmpty())
            url.setQuery(QStringLiteral("trace=") + QString::fromLatin1(traceId));
        auto body = httpGet(url);
        if (!body) {
            printErr(body.error().message);
            return kExitFailure;
        }
        std::fwrite(body->constData(), 1, size_t(body->size()), stdout);
        std::fputc('\n', stdout);
        return kExitOk;
    }
    QString state = p.value(QStringLiteral("state"));
    if (state.isEmpty()) {
        QString project = p.positionalArguments().value(0, QDir::currentPath());
        if (!QFileInfo::exists(project)) {
            printErr(QStringLiteral("no such project: %1").arg(project));
            return kExitUsage;
        }
        if (QFileInfo(project).isFile())
            project = QFileInfo(project).absolutePath();
        state = QDir(project).absoluteFilePath(QStringLiteral(".tarmac"));
    }
    const QString path = QDir(state).absoluteFilePath(QStringLiteral("traces.db"));
    if (!QFileInfo::exists(path)) {
        printErr(QStringLiteral("no traces at %1").arg(path));
        return kExitFailure;
    }
    auto tracer = Tracer::open(path);
    if (!tracer) {
        printErr(tracer.error().message);
        return kExitFailure;
    }
    Tracer::Query q;
    q.traceId = traceId;
    auto spans = (*tracer)->spans(q);
    auto logs = (*tracer)->logs(q);
    if (!spans || !logs) {
        printErr(spans ? logs.error().message : spans.error().message);
        return kExitFailure;
    }
    if (!traceId.isEmpty() && spans->isEmpty() && logs->isEmpty()) {
        printErr(QStringLiteral("no trace %1 in %2").arg(QString::fromLatin1(traceId), path));
        return kExitFailure;
    }
    QFile out;
    if (!out.open(stdout, QIODevice::WriteOnly)) {
        printErr(QStringLiteral("cannot write to stdout"));
        return kExitFailure;
    }
    if (auto r = otlp::writeDocument(&out, *spans, *logs); !r) {
        printErr(r.error().message);
        return kExitFailure;
    }
    out.write("\n");
    return kExitOk;
}

// The edge URL of the Tarmac that holds the state folder's lock, or nothing when none does.
std::optional<QUrl> runningEdge(const QString &stateDir)
{
    const QString lockPath = QDir(stateDir).filePath(QStringLiteral("lock"));
    if (!QFileInfo::exists(lockPath))
        return std::nullopt;
    QLockFile lock(lockPath);
    lock.setStaleLockTime(0);
    if (lock.tryLock(0))
        return std::nullopt; // nobody holds it (it is released when `lock` goes)
    QFile file(QDir(stateDir).filePath(QStringLiteral("edge-url")));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QUrl url(QString::fromUtf8(file.readAll().trimmed()));
    if (!url.isValid() || url.scheme() != QLatin1String("http"))
        return std::nullopt;
    return url;
}

// `tarmac invoke` through the Tarmac at `edge`: Lambda's Invoke with the log tail, the
// function named as that Tarmac's template names it.
int invokeThrough(
    const QUrl &edge, const QString &logicalId, const QString &physical, const QByteArray &event)
{
    QString name = physical;
    if (auto health = httpGet(edge.resolved(QUrl(QStringLiteral("/_tarmac/health"))))) {
        if (auto json = parseJson(*health)) {
            const Json *resources = nullptr;
            if (json->is_object() && json->contains("template") && (*json)["template"].is_object()
                && (*json)["template"].contains("resources"))
                resources = &(*json)["template"]["resources"];
            if (resources && resources->is_array()) {
                for (const Json &r : *resources) {
                    if (r.is_object() && r.value("logicalId", std::string()) == toStd(logicalId)
                        && r.contains("physicalId") && r["physicalId"].is_string())
                        name = fromStd(r["physicalId"].get<std::string>());
                }
            }
        }
    }
    printErr(QStringLiteral("invoking %1 through the Tarmac serving this project at %2")
                 .arg(logicalId, edge.toString()));
    const QUrl url
        = edge.resolved(QUrl(QStringLiteral("/2015-03-31/functions/%1/invocations")
                                 .arg(QString::fromUtf8(QUrl::toPercentEncoding(name)))));
    auto answer = httpCall("POST", url, event,
        {{"content-type", "application/json"}, {"x-amz-log-type", "Tail"},
            {"authorization",
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/"
                "aws4_request, SignedHeaders=host, Signature=0"}},
        15 * 60 * 1000 + 30'000);
    if (!answer) {
        printErr(answer.error().message);
        return kExitFailure;
    }
    const QByteArray tail = QByteArray::fromBase64(answer->headers.value("x-amz-log-result"));
    std::fwrite(tail.constData(), 1, size_t(tail.size()), stderr);
    QByteArray out = answer->body + '\n';
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    std::fflush(stdout);
    if (answer->status != 200) {
        printErr(QStringLiteral("the invocation failed with HTTP %1").arg(answer->status));
        return kExitFailure;
    }
    return answer->headers.contains("x-amz-function-error") ? kExitFailure : kExitOk;
}

// `tarmac invoke FUNCTION [PROJECT]`: one invocation in an engine of its own (ephemeral
// state, ports chosen by the system), so that calls the function makes to AWS services reach
// this Tarmac. The function comes from the project's template, or from the command line.
// An engine of its own for a one-off command (invoke, replay): the project's whole stack,
// created empty in a temporary state folder, on free ports.
Engine::Options oneOffEngineOptions(
    const QCommandLineParser &p, const QString &templatePath, const QHash<QString, QString> &layers)
{
    Engine::Options options;
    options.ephemeral = true;
    options.edgePort = options.idePort = 0;
    options.ports.insert(QStringLiteral("api"), 0);
    options.ioThreads = 1;
    options.projectPath = templatePath;
    options.parameterOverrides = p.values(QStringLiteral("parameter-overrides"));
    options.stackName = p.value(QStringLiteral("stack-name"));
    options.layerFolders = layers;
    return options;
}

// A file's bytes, or standard input's for "-"; `what` names it in the error.
Result<QByteArray> readInput(const QString &source, const QString &what)
{
    QFile in;
    const bool opened = source == QLatin1String("-")
        ? in.open(stdin, QIODevice::ReadOnly)
        : (in.setFileName(source), in.open(QIODevice::ReadOnly));
    if (!opened)
        return makeError(QStringLiteral("Usage"),
            QStringLiteral("cannot read the %1 %2: %3").arg(what, source, in.errorString()));
    return in.readAll();
}

int runInvoke(QCoreApplication &app, const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Invoke a function once. The event comes from --event (a file, or - for stdin; {} "
        "when absent); the function's result is printed on stdout, its logs on stderr. "
        "Exit status 1 when the function fails.\n"
        "When a Tarmac is serving the project (its state folder is locked), the invocation "
        "goes through it: the function sees what that Tarmac holds, and its trace is on that "
        "Tarmac's timeline. Otherwise (or with --alone) it runs in an engine of its own, "
        "with the whole stack created empty in a temporary state folder."));
    p.addPositionalArgument(
        QStringLiteral("FUNCTION"), QStringLiteral("Logical id or name of the function."));
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("Folder with template.yaml, or a template (default: here)."),
        QStringLiteral("[PROJECT]"));
    p.addOption({QStringLiteral("event"), QStringLiteral("The event: a JSON file, or - for stdin."),
        QStringLiteral("FILE")});
    p.addOption({QStringLiteral("runtime"),
        QStringLiteral(
            "Define the function here: its runtime (python3.12, nodejs20.x, provided.al2023)."),
        QStringLiteral("RUNTIME")});
    p.addOption({QStringLiteral("handler"), QStringLiteral("… its handler (app.handler)."),
        QStringLiteral("HANDLER")});
    p.addOption(
        {QStringLiteral("code"), QStringLiteral("… its code folder."), QStringLiteral("DIR")});
    p.addOption({QStringLiteral("timeout"), QStringLiteral("… its timeout in seconds (3)."),
        QStringLiteral("S"), QStringLiteral("3")});
    p.addOption({QStringLiteral("memory"), QStringLiteral("… its memory in MB (128)."),
        QStringLiteral("MB"), QStringLiteral("128")});
    p.addOption({QStringLiteral("env"), QStringLiteral("… an environment variable (repeatable)."),
        QStringLiteral("K=V")});
    addTemplateOptions(p);
    p.addOption({QStringLiteral("state"),
        QStringLiteral("The state folder of the Tarmac to go through (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("alone"),
        QStringLiteral("Run in an engine of its own even when a Tarmac serves the project.")});
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("invoke")))
        return *done;
    const QStringList positional = p.positionalArguments();
    if (positional.isEmpty() || positional.size() > 2) {
        printErr(QStringLiteral("usage: tarmac invoke FUNCTION [PROJECT] [--event FILE|-] "
                                "[--runtime R --handler H --code DIR]"));
        return kExitUsage;
    }

    const auto layers = layerFolders(p);
    if (!layers) {
        printErr(layers.error().message);
        return kExitUsage;
    }
    const bool defineHere = p.isSet(QStringLiteral("code")) || p.isSet(QStringLiteral("runtime"));
    for (const char *name : {"timeout", "memory"}) {
        const QString opt = QString::fromLatin1(name);
        bool ok = false;
        const int v = p.value(opt).toInt(&ok);
        if (!ok || v <= 0) {
            printErr(QStringLiteral("--%1 takes a whole number above 0, not '%2'")
                         .arg(opt, p.value(opt)));
            return kExitUsage;
        }
        if (p.isSet(opt) && !defineHere) {
            printErr(QStringLiteral("--%1 is for a function defined with --runtime and --code; "
                                    "a template's function takes its %2 from the template")
                         .arg(opt,
                             opt == QLatin1String("timeout") ? QStringLiteral("Timeout")
                                                             : QStringLiteral("MemorySize")));
            return kExitUsage;
        }
    }

    FunctionConfig config;
    config.name = positional[0];
    QString logicalId;
    QString projectTemplate; // the whole stack runs, so that the function finds its resources
    if (defineHere) {
        config.runtime = p.value(QStringLiteral("runtime"));
        config.handler = p.value(QStringLiteral("handler"));
        config.codeDir = QFileInfo(p.value(QStringLiteral("code"))).absoluteFilePath();
        if (config.runtime.isEmpty() || p.value(QStringLiteral("code")).isEmpty()) {
            printErr(QStringLiteral(
                "--runtime and --code go together (and --handler, except for provided runtimes)"));
            return kExitUsage;
        }
        bool ok1 = false, ok2 = false;
        config.timeoutSeconds = p.value(QStringLiteral("timeout")).toInt(&ok1);
        config.memoryMb = p.value(QStringLiteral("memory")).toInt(&ok2);
        if (!ok1 || !ok2) {
            printErr(QStringLiteral("--timeout and --memory take numbers"));
            return kExitUsage;
        }
        for (const QString &kv : p.values(QStringLiteral("env"))) {
            const qsizetype eq = kv.indexOf(u'=');
            if (eq <= 0) {
                printErr(QStringLiteral("--env takes K=V, not '%1'").arg(kv));
                return kExitUsage;
            }
            config.environment.insert(kv.left(eq), kv.mid(eq + 1));
        }
    } else {
        const QString project = positional.value(1, QDir::currentPath());
        const QString templatePath = StackLoader::findTemplate(project);
        if (templatePath.isEmpty()) {
            printErr(
                QStringLiteral("no template in %1 (give PROJECT, or --runtime/--handler/--code)")
                    .arg(project));
            return kExitUsage;
        }
        auto stack = loadStack(templatePath, p.values(QStringLiteral("parameter-overrides")),
            p.value(QStringLiteral("stack-name")), *layers);
        if (!stack) {
            printErr(stack.error().message);
            return kExitUsage;
        }
        // By logical id, else by the function's name.
        const QList<const StackResource *> functions
            = stack->resourcesOf(QStringLiteral("function"));
        const StackResource *spec = nullptr;
        for (const StackResource *f : functions) {
            if (f->logicalId == config.name)
                spec = f;
        }
        for (const StackResource *f : functions) {
            if (!spec && f->physicalId == config.name)
                spec = f;
        }
        if (!spec) {
            QStringList names;
            for (const StackResource *f : functions)
                names.append(f->logicalId);
            printErr(QStringLiteral("%1 has no function %2 (it has: %3)")
                         .arg(templatePath, config.name, names.join(QStringLiteral(", "))));
            return kExitUsage;
        }
        // The engine runs the whole stack, which defines the function exactly as `serve`
        // does (inline code, layers, environment): only its physical name is needed here.
        config.name = spec->physicalId.isEmpty() ? spec->logicalId : spec->physicalId;
        projectTemplate = templatePath;
        logicalId = spec->logicalId;
    }

    QByteArray event = QByteArrayLiteral("{}");
    if (p.isSet(QStringLiteral("event"))) {
        const QString source = p.value(QStringLiteral("event"));
        auto bytes = readInput(source, QStringLiteral("event"));
        if (!bytes) {
            printErr(bytes.error().message);
            return kExitUsage;
        }
        event = *bytes;
        if (!parseJson(event)) {
            printErr(QStringLiteral("the event %1 is not JSON").arg(source));
            return kExitUsage;
        }
    }

    if (!projectTemplate.isEmpty() && !p.isSet(QStringLiteral("alone"))) {
        QString state = p.value(QStringLiteral("state"));
        if (state.isEmpty())
            state = QDir(QFileInfo(projectTemplate).absolutePath())
                        .absoluteFilePath(QStringLiteral(".tarmac"));
        if (auto edge = runningEdge(state))
            return invokeThrough(*edge, logicalId, config.name, event);
    }

    Engine engine(oneOffEngineOptions(p, projectTemplate, *layers));
    if (auto r = engine.start(); !r) {
        printErr(r.error().message);
        return kExitUsage;
    }
    if (projectTemplate.isEmpty()) {
        if (auto r = engine.functionRunner()->defineFunction(config); !r) {
            printErr(r.error().message);
            return kExitUsage;
        }
    }
    QObject::connect(
        engine.functionRunner(), &FunctionRunner::logRecorded, &app, [](const LogRecord &record) {
            const QByteArray line = record.text.toUtf8() + '\n';
            std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
        });
    installSignalHandlers(app, engine);

    int status = kExitFailure;
    bool finished = false;
    Delivery d;
    d.functionName = config.name;
    d.payload = event;
    d.origin = QStringLiteral("invoke");
    d.done = [&status, &finished, &engine](const DeliveryResult &result) {
        QByteArray out = result.payload;
        if (!result.delivered && out.isEmpty())
            out = toJsonBytes(Json {{"errorType", toStd(result.errorType)},
                {"errorMessage", toStd(result.errorMessage)}});
        out += '\n';
        std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
        std::fflush(stdout);
        status = result.delivered && !result.functionError ? kExitOk : kExitFailure;
        finished = true;
        QMetaObject::invokeMethod(
            &engine, [&engine] { engine.stop(); }, Qt::QueuedConnection);
    };
    QObject::connect(&engine, &Engine::stopped, &app, [] { QCoreApplication::exit(0); });
    engine.deliverySink()->submit(std::move(d));
    app.exec();
    return finished ? status : kExitFailure;
}

// A replay's status as /_tarmac/replays answers it, as the Replayer's results (for the
// terminal's lines and the JUnit report).
QList<Replayer::Result> replayResults(const Json &status)
{
    QList<Replayer::Result> out;
    const auto results = status.find("results");
    if (results == status.end() || !results->is_array())
        return out;
    for (const Json &item : *results) {
        if (!item.is_object())
            continue;
        JsonFields f(item);
        Replayer::Result r;
        r.record.index = f.integer("event").value_or(0);
        r.function = f.string("function").value_or(QString());
        r.kind = f.string("kind").value_or(QString());
        r.traceId = f.string("traceId").value_or(QString()).toLatin1();
        r.durationMs = f.number("durationMs").value_or(0);
        const QString status = f.string("status").value_or(QString());
        r.outcome.delivered = status != QLatin1String("undelivered");
        r.outcome.functionError = status == QLatin1String("failed");
        r.outcome.errorType = f.string("errorType").value_or(QString());
        r.mismatches = f.stringList("mismatches").value_or(QStringList());
        out.append(std::move(r));
    }
    return out;
}

// `tarmac replay --edge URL`: the capture played by the running Tarmac (POST /_tarmac/replays),
// its results followed until it is done. Returns the results, or an error line.
Result<QList<Replayer::Result>> replayThroughEdge(
    const QUrl &edge, const QByteArray &capture, const Json &options, bool reset)
{
    const QList<std::pair<QByteArray, QByteArray>> json = {{"Content-Type", "application/json"}};
    if (reset) {
        auto r = httpCall(
            "POST", QUrl(edge.toString() + QStringLiteral("/_tarmac/reset")), "{}", json);
        if (!r)
            return r.error();
        if (r->status != 200)
            return makeError(QStringLiteral("ResetFailed"),
                QStringLiteral("the reset answered %1: %2")
                    .arg(r->status)
                    .arg(QString::fromUtf8(r->body.left(300))));
        printErr(QStringLiteral("replay: the state of %1 was reset").arg(edge.toString()));
    }
    Json body = options;
    body["capture"] = capture.toStdString();
    auto started = httpCall("POST", QUrl(edge.toString() + QStringLiteral("/_tarmac/replays")),
        toJsonBytes(body), json);
    if (!started)
        return started.error();
    auto doc = parseJson(started->body);
    if (started->status != 201 || !doc || !doc->is_object() || !(*doc)["id"].is_string())
        return makeError(QStringLiteral("ReplayRefused"),
            QStringLiteral("%1 answered %2: %3")
                .arg(edge.toString())
                .arg(started->status)
                .arg(QString::fromUtf8(started->body.left(300))));
    const QString id = fromStd((*doc)["id"].get<std::string>());
    const QUrl statusUrl(edge.toString() + QStringLiteral("/_tarmac/replays/") + id);
    qsizetype shown = 0;
    for (;;) {
        auto answer = httpCall("GET", statusUrl);
        if (!answer)
            return answer.error();
        auto status = parseJson(answer->body);
        if (answer->status != 200 || !status || !status->is_object())
            return makeError(QStringLiteral("ReplayLost"),
                QStringLiteral("%1 answered %2").arg(statusUrl.toString()).arg(answer->status));
        const QList<Replayer::Result> results = replayResults(*status);
        if (results.size() > shown) {
            const QByteArray lines = textReport(results.mid(shown));
            std::fwrite(lines.constData(), 1, size_t(lines.size()), stdout);
            std::fflush(stdout);
            shown = results.size();
        }
        const auto state = status->find("state");
        if (state != status->end() && *state == "done")
            return results;
        QThread::msleep(50);
    }
}

int runReplay(QCoreApplication &app, const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Replay captured events against the project, in an engine of its own (the whole stack, "
        "created empty in a temporary state folder), and check each against its expectation "
        "(docs/replay.md). CAPTURE: JSON Lines of {target, event, time?, expect?} (as `tarmac "
        "record export` writes them), `aws logs filter-log-events` output whose messages hold "
        "`EVENT {json}`, `aws sqs receive-message` output, or one event. Exit status 0 when "
        "every expectation holds, 1 when one does not, 2 when the capture or the project "
        "cannot be read."));
    p.addPositionalArgument(
        QStringLiteral("CAPTURE"), QStringLiteral("The capture file (- for stdin)."));
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("Folder with template.yaml, or a template (default: here)."),
        QStringLiteral("[PROJECT]"));
    p.addOption({QStringLiteral("target"),
        QStringLiteral("The function (logical id, name or ARN) for events that name none."),
        QStringLiteral("FUNCTION")});
    p.addOption({QStringLiteral("report"), QStringLiteral("Write a JUnit XML report to FILE."),
        QStringLiteral("FILE")});
    p.addOption({QStringLiteral("speed"),
        QStringLiteral("Replay at the recorded pace divided by N (default: as fast as possible)."),
        QStringLiteral("N")});
    p.addOption({QStringLiteral("map"),
        QStringLiteral("Replace OLD with NEW in every string of the events (repeatable): account "
                       "ids, regions, ARNs, bucket and queue names."),
        QStringLiteral("OLD=NEW")});
    p.addOption({QStringLiteral("settle"),
        QStringLiteral("Before each event, wait until what the earlier ones set going has "
                       "finished (POST /_tarmac/settle): an event that reads what an earlier one "
                       "caused finds it, as it did when it was recorded.")});
    p.addOption({QStringLiteral("edge"),
        QStringLiteral("Replay against the Tarmac running at this edge URL (its state, its "
                       "timeline) instead of an engine of the command's own."),
        QStringLiteral("URL")});
    p.addOption({QStringLiteral("reset"),
        QStringLiteral("With --edge: reset the running Tarmac's state first (POST "
                       "/_tarmac/reset), so the capture replays from the state it was "
                       "recorded from.")});
    addTemplateOptions(p);
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("replay")))
        return *done;
    const QStringList positional = p.positionalArguments();
    if (positional.isEmpty() || positional.size() > 2) {
        printErr(QStringLiteral("usage: tarmac replay CAPTURE [PROJECT | --edge URL [--reset]] "
                                "[--target FUNCTION] [--report FILE] [--speed N] [--settle] "
                                "[--map OLD=NEW]..."));
        return kExitUsage;
    }
    const auto layers = layerFolders(p);
    if (!layers) {
        printErr(layers.error().message);
        return kExitUsage;
    }
    Replayer::Options ro;
    ro.defaultTarget = p.value(QStringLiteral("target"));
    if (p.isSet(QStringLiteral("speed"))) {
        bool ok = false;
        ro.speed = p.value(QStringLiteral("speed")).toDouble(&ok);
        if (!ok || !(ro.speed > 0) || ro.speed > 1e6) {
            printErr(QStringLiteral("--speed takes a number above 0, not '%1'")
                         .arg(p.value(QStringLiteral("speed"))));
            return kExitUsage;
        }
    }
    for (const QString &kv : p.values(QStringLiteral("map"))) {
        const qsizetype eq = kv.indexOf(u'=');
        if (eq <= 0) {
            printErr(QStringLiteral("--map takes OLD=NEW, not '%1'").arg(kv));
            return kExitUsage;
        }
        ro.mappings.append(Mapping {kv.left(eq), kv.mid(eq + 1)});
    }
    ro.settle = p.isSet(QStringLiteral("settle"));
    const bool throughEdge = p.isSet(QStringLiteral("edge"));
    if (throughEdge && positional.size() > 1) {
        printErr(QStringLiteral("--edge replays against a running Tarmac: give no PROJECT"));
        return kExitUsage;
    }
    if (p.isSet(QStringLiteral("reset")) && !throughEdge) {
        printErr(QStringLiteral("--reset goes with --edge (an engine of the command's own "
                                "starts empty)"));
        return kExitUsage;
    }
    const QString source = positional[0];
    auto bytes = readInput(source, QStringLiteral("capture"));
    if (!bytes) {
        printErr(bytes.error().message);
        return kExitUsage;
    }
    auto capture = readCapture(*bytes);
    if (!capture) {
        printErr(QStringLiteral("%1: %2").arg(source, capture.error().message));
        return kExitUsage;
    }
    const auto writeReport = [&p, &source](const QList<Replayer::Result> &results) {
        if (!p.isSet(QStringLiteral("report")))
            return true;
        QFile report(p.value(QStringLiteral("report")));
        if (!report.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            printErr(
                QStringLiteral("cannot write %1: %2").arg(report.fileName(), report.errorString()));
            return false;
        }
        report.write(junitReport(results, QFileInfo(source).fileName()));
        return true;
    };
    const auto exitStatus = [](const QList<Replayer::Result> &results) {
        int failed = 0;
        for (const auto &r : results)
            failed += r.mismatches.isEmpty() ? 0 : 1;
        printErr(QStringLiteral("replay: %1 of %2 event(s) held their expectations")
                     .arg(results.size() - failed)
                     .arg(results.size()));
        return failed > 0 || results.isEmpty() ? kExitFailure : kExitOk;
    };
    if (throughEdge) {
        const QUrl edge(p.value(QStringLiteral("edge")));
        if (!edge.isValid() || edge.scheme() != QLatin1String("http")) {
            printErr(QStringLiteral("--edge takes the running Tarmac's edge URL, such as "
                                    "http://127.0.0.1:4566"));
            return kExitUsage;
        }
        Json options = {{"settle", ro.settle}};
        if (!ro.defaultTarget.isEmpty())
            options["target"] = toStd(ro.defaultTarget);
        if (ro.speed > 0)
            options["speed"] = ro.speed;
        Json map = Json::object();
        for (const Mapping &m : ro.mappings)
            map[toStd(m.from)] = toStd(m.to);
        if (!map.empty())
            options["map"] = map;
        printErr(QStringLiteral("replay: %1 event(s) from %2 (%3) against %4")
                     .arg(capture->records.size())
                     .arg(source, capture->format, edge.toString()));
        auto results = replayThroughEdge(edge, *bytes, options, p.isSet(QStringLiteral("reset")));
        if (!results) {
            printErr(results.error().message);
            return kExitFailure;
        }
        if (!writeReport(*results))
            return kExitUsage;
        return exitStatus(*results);
    }
    const QString project = positional.value(1, QDir::currentPath());
    const QString templatePath = StackLoader::findTemplate(project);
    if (templatePath.isEmpty()) {
        printErr(QStringLiteral("no template in %1").arg(project));
        return kExitUsage;
    }

    Engine engine(oneOffEngineOptions(p, templatePath, *layers));
    if (auto r = engine.start(); !r) {
        printErr(r.error().message);
        return kExitUsage;
    }
    installSignalHandlers(app, engine);
    printErr(QStringLiteral("replay: %1 event(s) from %2 (%3)")
                 .arg(capture->records.size())
                 .arg(source, capture->format));
    Replayer replayer(&engine, std::move(*capture), ro);
    QObject::connect(&replayer, &Replayer::replayed, &app, [&replayer](int index) {
        const QByteArray line = textReport({replayer.results().at(index)});
        std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
        std::fflush(stdout);
    });
    QObject::connect(&replayer, &Replayer::finished, &engine, [&engine] { engine.stop(); });
    QObject::connect(&engine, &Engine::stopped, &app, [] { QCoreApplication::exit(0); });
    replayer.start();
    app.exec();

    const auto &results = replayer.results();
    for (const Mapping &m : replayer.mappings())
        printErr(QStringLiteral("replay: --map %1=%2 replaced %3 string(s)")
                     .arg(m.from, m.to)
                     .arg(m.replaced));
    if (!writeReport(results))
        return kExitUsage;
    return exitStatus(results);
}

// `tarmac record export`: the deliveries a running Tarmac recorded, as a replay capture.
int runRecordExport(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Write the deliveries a running Tarmac recorded as a capture for `tarmac replay`: JSON "
        "Lines of {target, event, time, expect}, oldest first, each expecting the response (or "
        "the error) it had."));
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("The project whose Tarmac to ask (default: here)."),
        QStringLiteral("[PROJECT]"));
    p.addOption({QStringLiteral("state"),
        QStringLiteral("The state folder of the running Tarmac (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("edge"), QStringLiteral("Ask the Tarmac at this edge URL."),
        QStringLiteral("URL")});
    p.addOption({QStringLiteral("function"), QStringLiteral("Only this function's deliveries."),
        QStringLiteral("FUNCTION")});
    p.addOption({QStringLiteral("origin"),
        QStringLiteral("Only deliveries of these origins (comma-separated: apigateway, invoke, s3, "
                       "sqs, dynamodb, events, scheduler, sns, …). `--origin apigateway` keeps the "
                       "requests that came from outside: replayed with --settle, they set the "
                       "rest going again."),
        QStringLiteral("ORIGINS")});
    p.addOption({QStringLiteral("since"),
        QStringLiteral("Only deliveries submitted at or after TIME (RFC 3339)."),
        QStringLiteral("TIME")});
    p.addOption({QStringLiteral("limit"), QStringLiteral("At most N deliveries (10000)."),
        QStringLiteral("N"), QStringLiteral("10000")});
    p.addOption({QStringLiteral("redact"),
        QStringLiteral("Field names (comma-separated, any depth, case-insensitive) whose values "
                       "are replaced by \"REDACTED\" in events and responses, so that a capture "
                       "can be shared (default: authorization,cookie,set-cookie,password,secret,"
                       "token,x-api-key,email; \"\" for none)."),
        QStringLiteral("FIELDS"),
        QStringLiteral("authorization,cookie,set-cookie,password,secret,token,x-api-key,email")});
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("record export")))
        return *done;
    std::optional<qint64> sinceMs;
    if (p.isSet(QStringLiteral("since"))) {
        const QDateTime t
            = QDateTime::fromString(p.value(QStringLiteral("since")), Qt::ISODateWithMs);
        if (!t.isValid()) {
            printErr(QStringLiteral("--since takes an RFC 3339 time, not '%1'")
                         .arg(p.value(QStringLiteral("since"))));
            return kExitUsage;
        }
        sinceMs = t.toMSecsSinceEpoch();
    }
    bool limitOk = false;
    const int limit = p.value(QStringLiteral("limit")).toInt(&limitOk);
    if (!limitOk || limit < 1 || limit > 10000) {
        printErr(QStringLiteral("--limit takes a whole number from 1 to 10000"));
        return kExitUsage;
    }
    QUrl edge(p.value(QStringLiteral("edge")));
    if (!p.isSet(QStringLiteral("edge"))) {
        const QString project = p.positionalArguments().value(0, QDir::currentPath());
        QString state = p.value(QStringLiteral("state"));
        if (state.isEmpty())
            state = QDir(QFileInfo(project).isDir() ? project : QFileInfo(project).absolutePath())
                        .absoluteFilePath(QStringLiteral(".tarmac"));
        auto running = runningEdge(state);
        if (!running) {
            printErr(QStringLiteral("no Tarmac is running with the state folder %1 (start `tarmac "
                                    "serve`, or give --edge URL)")
                         .arg(state));
            return kExitFailure;
        }
        edge = *running;
    }
    QUrl url(edge.toString() + QStringLiteral("/_tarmac/dispatch/deliveries"));
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("bodies"), QStringLiteral("1"));
    query.addQueryItem(QStringLiteral("limit"), QString::number(limit));
    if (p.isSet(QStringLiteral("function")))
        query.addQueryItem(QStringLiteral("function"), p.value(QStringLiteral("function")));
    url.setQuery(query);
    auto answer = httpCall("GET", url);
    if (!answer) {
        printErr(answer.error().message);
        return kExitFailure;
    }
    auto doc = parseJson(answer->body);
    if (answer->status != 200 || !doc || !doc->is_object() || !(*doc)["deliveries"].is_array()) {
        printErr(QStringLiteral("%1 answered %2").arg(url.toString()).arg(answer->status));
        return kExitFailure;
    }
    const Json &deliveries = (*doc)["deliveries"];
    QSet<QString> redacted;
    for (const QString &f : p.value(QStringLiteral("redact")).split(u',', Qt::SkipEmptyParts))
        redacted.insert(f.trimmed().toLower());
    const auto redact = [&redacted](const Json &v) { return redactFields(v, redacted); };
    QSet<QString> origins;
    for (const QString &o : p.value(QStringLiteral("origin")).split(u',', Qt::SkipEmptyParts))
        origins.insert(o.trimmed());
    QByteArray out;
    int written = 0;
    for (auto it = deliveries.rbegin(); it != deliveries.rend(); ++it) {
        const Json &d = *it;
        const std::string status = d.value("status", "");
        if (status != "succeeded" && status != "failed")
            continue; // held, dropped, undelivered: nothing to expect
        if (sinceMs && d.value("submittedNs", qint64(0)) / 1'000'000 < *sinceMs)
            continue;
        if (!origins.isEmpty() && !origins.contains(fromStd(d.value("origin", std::string()))))
            continue;
        Json expect = Json::object();
        if (status == "failed")
            expect["error"]
                = d.value("errorType", std::string()).empty() ? Json(true) : d["errorType"];
        else
            expect["error"] = false;
        if (d.contains("result"))
            expect["response"] = d["result"];
        else if (d.contains("resultText"))
            expect["response"] = d["resultText"];
        if (expect.contains("response"))
            expect["response"] = redact(expect["response"]);
        Json line = {{"target", d.value("logicalId", d.value("function", std::string()))},
            {"event",
                redact(d.contains("payload") ? d["payload"] : d.value("payloadText", Json()))},
            {"time", d.value("submittedAt", std::string())}, {"expect", expect},
            {"origin", d.value("origin", std::string())}};
        out += toJsonBytes(line) + '\n';
        ++written;
    }
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    printErr(QStringLiteral("record export: %1 delivery(ies)").arg(written));
    return kExitOk;
}

// `tarmac logs export --format cloudwatch`: a function's log lines as `aws logs
// filter-log-events` prints them, so that what works on AWS's output (tarmac replay of a
// capture layer's EVENT lines) works on Tarmac's.
int runLogsExport(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Write stored log lines to stdout in the shape `aws logs filter-log-events` prints "
        "({\"events\": [{\"logStreamName\", \"timestamp\", \"message\", \"ingestionTime\", "
        "\"eventId\"}]}), oldest first."));
    p.addOption({QStringLiteral("format"), QStringLiteral("Output format: cloudwatch."),
        QStringLiteral("FORMAT"), QStringLiteral("cloudwatch")});
    p.addOption({QStringLiteral("state"), QStringLiteral("State folder (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addOption({QStringLiteral("function"),
        QStringLiteral("Only this function's lines (its name, or its logical id)."),
        QStringLiteral("FUNCTION")});
    p.addOption({QStringLiteral("filter"), QStringLiteral("Only lines that contain TEXT."),
        QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("limit"), QStringLiteral("At most N lines, the newest (10000)."),
        QStringLiteral("N"), QStringLiteral("10000")});
    p.addPositionalArgument(QStringLiteral("PROJECT"), QStringLiteral("The project folder."),
        QStringLiteral("[PROJECT]"));
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("logs export")))
        return *done;
    if (p.value(QStringLiteral("format")) != QLatin1String("cloudwatch")) {
        printErr(QStringLiteral("unknown format '%1' (known: cloudwatch)")
                     .arg(p.value(QStringLiteral("format"))));
        return kExitUsage;
    }
    bool limitOk = false;
    const int limit = p.value(QStringLiteral("limit")).toInt(&limitOk);
    if (!limitOk || limit < 1 || limit > 1'000'000) {
        printErr(QStringLiteral("--limit takes a whole number from 1 to 1000000"));
        return kExitUsage;
    }
    QString state = p.value(QStringLiteral("state"));
    if (state.isEmpty()) {
        const QString project = p.positionalArguments().value(0, QDir::currentPath());
        state = QDir(QFileInfo(project).isDir() ? project : QFileInfo(project).absolutePath())
                    .absoluteFilePath(QStringLiteral(".tarmac"));
    }
    auto query = TraceQuery::open(QDir(state).filePath(QStringLiteral("traces.db")));
    if (!query) {
        printErr(
            QStringLiteral("cannot read the traces in %1: %2").arg(state, query.error().message));
        return kExitFailure;
    }
    TraceQuery::LogQuery q;
    q.limit = limit;
    q.newest = true;
    q.text = p.value(QStringLiteral("filter"));
    const QString function = p.value(QStringLiteral("function"));
    auto logs = (*query)->logs(q);
    if (!logs) {
        printErr(logs.error().message);
        return kExitFailure;
    }
    Json events = Json::array();
    for (const LogRecord &l : *logs) {
        // A function's own name, or the name the template made from its logical id.
        if (!function.isEmpty() && l.source != function
            && !l.source.contains(QString(u'-' + function + u'-')))
            continue;
        const qint64 ms = l.timeNs / 1'000'000;
        const QString stream
            = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy/MM/dd"))
            + QStringLiteral("/[$LATEST]") + QString::fromLatin1(l.traceId.left(32));
        events.push_back(Json {{"logStreamName", toStd(stream)}, {"timestamp", ms},
            {"message", toStd(l.text) + "\n"}, {"ingestionTime", ms},
            {"eventId", std::to_string(l.timeNs)}});
    }
    const QByteArray out
        = toJsonBytes(Json {{"events", events}, {"searchedLogStreams", Json::array()}}, 2) + '\n';
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    return kExitOk;
}

int printResult(const CommandResult &r)
{
    std::fwrite(r.out.constData(), 1, size_t(r.out.size()), stdout);
    std::fwrite(r.err.constData(), 1, size_t(r.err.size()), stderr);
    return r.status;
}

// A command on one PROJECT with the template options (check, build): parsed, at most one
// project, --layer items read into `layers`. The exit status when it ends here.
std::optional<int> parseProjectCommand(QCommandLineParser &p, const QStringList &args,
    const QString &command, const QString &usage, QHash<QString, QString> *layers)
{
    if (auto done = parseCommandLine(p, args, command))
        return done;
    if (p.positionalArguments().size() > 1) {
        printErr(QStringLiteral("usage: tarmac %1 %2").arg(command, usage));
        return kExitUsage;
    }
    auto folders = layerFolders(p);
    if (!folders) {
        printErr(folders.error().message);
        return kExitUsage;
    }
    *layers = *folders;
    return std::nullopt;
}

int runBuild(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Do what `sam build` does, for the local run: install each Python function's "
        "requirements.txt (pip, with the runtime's Python) and each Node.js function's "
        "package.json dependencies (npm ci, or npm install without a lock), and bundle esbuild "
        "functions (Metadata.BuildMethod: esbuild), into STATE/build. serve uses what is there "
        "(an --ephemeral serve too); the code folders stay as written. Exit status 1 when a "
        "build failed."));
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("Folder with template.yaml, or a template (default: here)."),
        QStringLiteral("[PROJECT]"));
    addTemplateOptions(p);
    p.addOption({QStringLiteral("state"), QStringLiteral("State folder (default PROJECT/.tarmac)."),
        QStringLiteral("DIR")});
    p.addHelpOption();
    QHash<QString, QString> layers;
    if (auto done = parseProjectCommand(
            p, args, QStringLiteral("build"), QStringLiteral("[PROJECT] [--state DIR]"), &layers))
        return *done;
    return printResult(buildProject(p.positionalArguments().value(0),
        p.values(QStringLiteral("parameter-overrides")), p.value(QStringLiteral("stack-name")),
        layers, p.value(QStringLiteral("state"))));
}

int runCheck(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Load the project's template as serve would and list every resource type, property, "
        "event and intrinsic function Tarmac does not emulate, with its place in the "
        "template. Exit status 1 when something is not emulated, 2 when the template does not "
        "load; what Tarmac accepts and ignores (IAM, …) is listed without failing. --json: "
        "{template, stack, resources, unsupported, ignored, items: [{level, kind, subject, path, "
        "note, line, column}]}, or {template, error}."));
    p.addPositionalArgument(QStringLiteral("PROJECT"),
        QStringLiteral("Folder with template.yaml, or a template (default: here)."),
        QStringLiteral("[PROJECT]"));
    addTemplateOptions(p);
    p.addOption({QStringLiteral("json"), QStringLiteral("Print the report as JSON.")});
    p.addHelpOption();
    QHash<QString, QString> layers;
    if (auto done = parseProjectCommand(
            p, args, QStringLiteral("check"), QStringLiteral("[PROJECT] [--json]"), &layers))
        return *done;
    return printResult(checkProject(p.positionalArguments().value(0),
        p.values(QStringLiteral("parameter-overrides")), p.isSet(QStringLiteral("json")),
        p.value(QStringLiteral("stack-name")), layers));
}

int runEventsGenerate(const QStringList &args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Print a sample event in the shape AWS delivers it. Sources: ")
        + sampleEventSources().join(QStringLiteral(", ")) + u'.');
    p.addPositionalArgument(QStringLiteral("SOURCE"), QStringLiteral("The kind of event."));
    // Every option any service's sample events take.
    QList<std::pair<QString, QString>> options;
    for (const SampleEvent &e : sampleEvents()) {
        for (const auto &option : e.options) {
            if (std::none_of(options.begin(), options.end(),
                    [&](const auto &o) { return o.first == option.first; }))
                options.append(option);
        }
    }
    for (const auto &[name, help] : options)
        p.addOption({name, help, QStringLiteral("VALUE")});
    p.addHelpOption();
    if (auto done = parseCommandLine(p, args, QStringLiteral("events generate")))
        return *done;
    if (p.positionalArguments().size() != 1) {
        printErr(QStringLiteral("usage: tarmac events generate SOURCE [options] (sources: %1)")
                     .arg(sampleEventSources().join(QStringLiteral(", "))));
        return kExitUsage;
    }
    QMap<QString, QString> values;
    for (const auto &[name, help] : options) {
        if (p.isSet(name))
            values.insert(name, p.value(name));
    }
    return printResult(generateSampleEvent(p.positionalArguments().first(), values));
}

bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY")
        || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

} // namespace

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args.append(QString::fromLocal8Bit(argv[i]));
    const QString command = args.value(1);

    if (command == QLatin1String("--help") || command == QLatin1String("-h")) {
        std::fputs(kMainHelp, stdout);
        return kExitOk;
    }
    if (command == QLatin1String("--version") || command == QLatin1String("-v")) {
        std::puts("tarmac " TARMAC_VERSION);
        return kExitOk;
    }
    if (command == QLatin1String("serve")) {
        // Qt's own UNIX event dispatcher costs less per socket event than the GLib one, and
        // a headless server has nothing that needs GLib's loop.
        qputenv("QT_NO_GLIB", "1");
        QCoreApplication app(argc, argv);
        args.removeAt(1);
        return runServe(app, args);
    }
    if (command == QLatin1String("traces")) {
        if (args.value(2) != QLatin1String("export")) {
            printErr(QStringLiteral(
                "usage: tarmac traces export [--format otlp-json] [--state DIR] [PROJECT]"));
            return kExitUsage;
        }
        QCoreApplication app(argc, argv);
        args.remove(1, 2);
        return runTracesExport(args);
    }
    if (command == QLatin1String("invoke")) {
        qputenv("QT_NO_GLIB", "1");
        QCoreApplication app(argc, argv);
        args.removeAt(1);
        return runInvoke(app, args);
    }
    if (command == QLatin1String("check")) {
        QCoreApplication app(argc, argv);
        args.removeAt(1);
        return runCheck(args);
    }
    if (command == QLatin1String("build")) {
        QCoreApplication app(argc, argv);
        args.removeAt(1);
        return runBuild(args);
    }
    if (command == QLatin1String("events")) {
        if (args.value(2) != QLatin1String("generate")) {
            printErr(QStringLiteral("usage: tarmac events generate SOURCE [options]"));
            return kExitUsage;
        }
        QCoreApplication app(argc, argv);
        args.remove(1, 2);
        return runEventsGenerate(args);
    }
    if (command == QLatin1String("replay")) {
        qputenv("QT_NO_GLIB", "1");
        QCoreApplication app(argc, argv);
        args.removeAt(1);
        return runReplay(app, args);
    }
    if (command == QLatin1String("logs")) {
        if (args.value(2) != QLatin1String("export")) {
            printErr(QStringLiteral("usage: tarmac logs export --format cloudwatch [--function F] "
                                    "[--state DIR] [PROJECT]"));
            return kExitUsage;
        }
        QCoreApplication app(argc, argv);
        args.remove(1, 2);
        return runLogsExport(args);
    }
    if (command == QLatin1String("record")) {
        if (args.value(2) != QLatin1String("export")) {
            printErr(QStringLiteral("usage: tarmac record export [PROJECT] [--state DIR | --edge "
                                    "URL] [--function F] [--since TIME]"));
            return kExitUsage;
        }
        QCoreApplication app(argc, argv);
        args.remove(1, 2);
        return runRecordExport(args);
    }
    if (!command.isEmpty() && !command.startsWith(u'-') && !QFileInfo::exists(command)) {
        printErr(
            QStringLiteral("unknown command or project '%1' (see tarmac --help)").arg(command));
        return kExitUsage;
    }

    // `tarmac [PROJECT] [options]`: the desktop app, or serve where there is no display.
    if (hasDisplay()) {
        if (!isDesktopExecutable()) {
            // Beside this executable, whatever name or link it was started through.
            const QString desktop
                = QFileInfo(QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath())
                      .absolutePath()
                + QStringLiteral("/tarmac-desktop");
            if (QFileInfo::exists(desktop)) {
                const QByteArray path = QFile::encodeName(desktop);
                execv(path.constData(), argv);
                printErr(QStringLiteral("cannot start the desktop app %1: %2")
                             .arg(desktop, QString::fromLocal8Bit(std::strerror(errno))));
                return kExitUsage;
            }
            printErr(QStringLiteral(
                "this build has no desktop app: running headless, as `tarmac serve`"));
        } else {
            // The desktop takes serve's options, checked the same way, and one of its own.
            QCommandLineParser p;
            addServeOptions(p);
            p.addOption({QStringLiteral("automation"),
                QStringLiteral("Take commands on standard input (screenshots, tests).")});
            if (auto done = parseCommandLine(p, args, QString()))
                return *done;
            auto options = engineOptions(p, ConsoleLog::Level::Errors);
            if (!options) {
                printErr(options.error().message);
                return kExitUsage;
            }
            return runDesktopApp(argc, argv, *options, p.isSet(QStringLiteral("automation")));
        }
    } else {
        printErr(QStringLiteral("no display: running headless, as `tarmac serve`"));
    }
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    return runServe(app, args);
}
