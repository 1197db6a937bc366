#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

namespace tarmac {

// A function as the runner needs it to start instances: what to run, where its code is, and
// its limits. The Lambda API builds one from CreateFunction, the SAM loader from a template's
// AWS::Serverless::Function, the GUI from a form; all of them hand it to
// LambdaModule::putFunction() (or FunctionRunner::defineFunction() directly, without the
// Lambda API's records). It says nothing about how the function was created or about its
// API-level metadata (revision, tags, event invoke configuration): the Lambda service keeps
// those.
struct FunctionConfig
{
    QString name; // "my-fn": letters, digits, '-' and '_', up to 64
    QString runtime; // "python3.12", "nodejs20.x", "provided.al2023"
    QString handler; // "app.handler"; provided.* runtimes get it in _HANDLER but need none
    QString codeDir; // absolute folder with the code: LAMBDA_TASK_ROOT and the working folder
    int timeoutSeconds = 3;
    int memoryMb = 128;
    QMap<QString, QString> environment; // the function's own variables
    // Layer folders, each laid out as Lambda extracts a layer to /opt (python/, nodejs/,
    // bin/, lib/): put on the runtime's search paths in this order.
    QStringList layerDirs;
    // Reserved concurrency: the most instances at once. -1: not reserved (the runner's
    // default, 10 locally); 0: every invocation is throttled.
    int reservedConcurrency = -1;
    QString version = QStringLiteral("$LATEST");
    // Restart instances when a file under codeDir changes (hot reload). For code Tarmac
    // extracted itself from a zip this is pointless; for a project's folder it is the point.
    bool watchCode = false;

    friend bool operator==(const FunctionConfig &, const FunctionConfig &) = default;
};

} // namespace tarmac
