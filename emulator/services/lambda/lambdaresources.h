#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/resourcetype.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

struct StackResource;

// Lambda's part of templates: AWS::Serverless::Function and AWS::Lambda::Function (code from a
// local folder or inline, runtime, handler, memory, timeout, environment, tags, layers,
// EventInvokeConfig), the two LayerVersion types (a local folder), and AWS::Lambda::Permission
// (accepted: invoke permissions are not checked). What the checks make of a function is kept
// with its resource (StackResource::details) as a FunctionSpec, which LambdaModule::putResource
// defines in the model.
namespace lambdaresources {

QList<const ResourceType *> types();

struct FunctionSpec
{
    bool runnable = true; // false: reported as not emulated (an image, code in S3, a runtime
                          // Tarmac does not run) and not created
    QString runtime;
    QString handler;
    QString codeDir; // absolute folder; empty when the code is inline
    // The folder as the template names it (CodeUri). The same as codeDir unless the function
    // is built: with Metadata.BuildMethod esbuild, codeDir is the bundle's folder
    // (STATE/build/LOGICALID), made from sourceDir with buildProperties.
    QString sourceDir;
    QString buildMethod; // "esbuild", or empty
    Json buildProperties;
    QString autoPublishAlias; // SAM: the alias (and version 1) invocations may name
    QByteArray inlineCode; // InlineCode / Code.ZipFile
    QString description;
    // The execution role's ARN: Role, or that of the role the SAM transform made ({Id}Role).
    // IAM is not enforced; GetFunction shows it.
    QString role;
    int timeoutSeconds = 3;
    int memoryMb = 128;
    int ephemeralStorageMb = 512;
    QMap<QString, QString> environment;
    QStringList layerDirs; // absolute folders, in the order the template lists the layers
    std::optional<int> reservedConcurrency;
    QMap<QString, QString> tags;

    struct InvokeConfig
    {
        std::optional<int> maximumRetryAttempts; // 0–2; AWS default 2
        std::optional<int> maximumEventAgeSeconds; // 60–21600; AWS default 21600
        QString onSuccessType, onSuccess; // destination type ("Lambda", "SQS", …) and ARN
        QString onFailureType, onFailure;
        friend bool operator==(const InvokeConfig &, const InvokeConfig &) = default;
    };
    std::optional<InvokeConfig> eventInvokeConfig;
    // DeadLetterConfig.TargetArn (SAM: DeadLetterQueue.TargetArn): where asynchronous events
    // whose retries are spent go; empty when none.
    QString deadLetterTarget;

    Json toJson() const;
    static FunctionSpec fromJson(const Json &json);
    friend bool operator==(const FunctionSpec &, const FunctionSpec &) = default;
};

// The spec of a function resource as its check made it (StackResource::details), or nullopt
// for another type.
std::optional<FunctionSpec> functionSpec(const StackResource &resource);
bool isFunctionType(const QString &type);

} // namespace lambdaresources

} // namespace tarmac
