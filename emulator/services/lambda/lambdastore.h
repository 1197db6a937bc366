#pragma once

#include "base/json.h"
#include "base/result.h"
#include "functions/delivery.h"
#include "functions/functionconfig.h"

#include <QMap>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

class Clock;
class FunctionRunner;
class Store;

// A function as the Lambda API sees it: the runner's FunctionConfig plus the API's own
// metadata.
struct LambdaFunction
{
    FunctionConfig config;
    QString arn;
    QString role;
    QString description;
    QString codeSha256; // base64 SHA-256 of the deployment package
    qint64 codeSize = 0;
    QByteArray zipBlob; // the package in the blob store (hex SHA-256); empty for local code
    bool localCode = false; // code is a project folder (SAM, GUI, tarmac invoke), not a package
    bool persistent = true; // written to the state; definitions from a template are not
    QString revisionId;
    qint64 lastModifiedNs = 0;
    QMap<QString, QString> tags;
    QStringList architectures {QStringLiteral("x86_64")};
    int ephemeralStorageMb = 512;
    QString tracingMode = QStringLiteral("PassThrough");
    std::optional<EventInvokeConfig> eventInvokeConfig;
    QString deadLetterTarget; // DeadLetterConfig.TargetArn, or empty
    // Qualifiers besides $LATEST that name this function's code: the alias and version a
    // template's AutoPublishAlias publishes ("live", "1"), always the newest code.
    QStringList qualifiers;

    bool accepts(const QString &qualifier) const
    {
        return qualifier.isEmpty() || qualifier == QLatin1String("$LATEST")
            || qualifiers.contains(qualifier);
    }
};

// The Lambda service's model: the functions, their deployment packages and configuration,
// kept in the state database (table lambda_functions) and handed to the FunctionRunner,
// which runs them. Typed operations returning Result with Lambda's error codes; the wire
// API (LambdaRestApi) only translates. Thread-safe.
//
// Known limits: no published versions or aliases (only $LATEST, and the alias a template's
// AutoPublishAlias names, which runs the newest code), no layers, no container images, no
// VPC or file systems, no resource policies; deployment packages from S3 only when the S3
// service offers a way to read objects (it does not yet in this build).
class LambdaStore : public EventInvokeConfigs
{
public:
    LambdaStore(Store *store, const Clock *clock, FunctionRunner *runner, QString stateDir,
        QString region, QString accountId);

    // Creates the tables, loads the functions and defines them in the runner.
    Result<void> open();
    // The rows were replaced underneath (a reset, a snapshot restored): the stored functions
    // become the rows' (defined, redefined or removed in the runner); the ones kept in memory
    // only (a template's, the GUI's) stay. Answers the names of the functions that went.
    Result<QStringList> reload();

    QString arnFor(const QString &name) const override;
    // "my-fn", "my-fn:qualifier", "arn:aws:lambda:r:acct:function:my-fn[:q]" or
    // "acct:function:my-fn[:q]": the name and qualifier ("" when none).
    static Result<std::pair<QString, QString>> parseFunctionName(const QString &raw);

    // CreateFunction with a zip package. `function.config.codeDir` is ignored.
    Result<LambdaFunction> create(LambdaFunction function, const QByteArray &zip);
    // A function whose code is a folder on disk (the SAM loader, the GUI, tarmac invoke):
    // created or replaced, hot-reloaded (config.watchCode), and, unless `persistent`, kept
    // in memory only, since the project defines it again on every start.
    Result<LambdaFunction> putLocalFunction(LambdaFunction function);
    Result<LambdaFunction> get(const QString &name) const;
    QList<LambdaFunction> list() const;
    Result<void> remove(const QString &name);
    Result<LambdaFunction> updateCode(const QString &name, const QByteArray &zip);
    // Applies `change` to a copy, validates it, and keeps it.
    Result<LambdaFunction> updateConfiguration(
        const QString &name, const std::function<Result<void>(LambdaFunction &)> &change);
    // -1 removes the reservation.
    Result<LambdaFunction> setReservedConcurrency(const QString &name, int reserved);
    Result<EventInvokeConfig> setEventInvokeConfig(
        const QString &name, std::optional<EventInvokeConfig> config);
    std::optional<EventInvokeConfig> eventInvokeConfig(const QString &name) const override;

    // The zip bytes of a function's package, for GetFunction's download link.
    Result<QString> packagePath(const QString &name) const;

    // Rejects what Lambda rejects in a configuration (names, limits, reserved variables).
    static Result<void> validate(const LambdaFunction &function);

    Json configurationJson(const LambdaFunction &function) const;
    static Json eventInvokeConfigJson(const EventInvokeConfig &config, const QString &functionArn);

private:
    struct Package
    {
        QString codeDir;
        QByteArray blob;
        QString sha256Base64;
        qint64 size = 0;
    };
    Result<Package> storePackage(const QByteArray &zip);
    // The stored functions, their extracted code rebuilt where it is missing.
    Result<QList<LambdaFunction>> readFunctions();
    Result<void> persist(const LambdaFunction &function);
    Result<void> unpersist(const QString &name);
    Json toDocument(const LambdaFunction &function) const;
    LambdaFunction fromDocument(const Json &document) const;
    QString newRevision() const;

    Store *m_store;
    const Clock *m_clock;
    FunctionRunner *m_runner;
    const QString m_codeRoot;
    const QString m_region;
    const QString m_accountId;
    mutable QMutex m_mutex;
    QMap<QString, LambdaFunction> m_functions;
};

} // namespace tarmac
