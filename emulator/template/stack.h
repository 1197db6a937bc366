#pragma once

#include "base/json.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

// A place in a template file; line and column count from 1. Invalid (line 0) when the
// template was read without positions (a JSON file that only the JSON parser accepted).
struct TemplateLocation
{
    QString file;
    int line = 0;
    int column = 0;

    bool isValid() const { return line > 0; }
    // "template.yaml:12:5", or just the file name without a position.
    QString toString() const;

    friend bool operator==(const TemplateLocation &, const TemplateLocation &) = default;
};

// One thing in a template that Tarmac does not run the way AWS would.
struct FidelityItem
{
    enum class Level {
        Unsupported, // not emulated: the app may behave differently here than on AWS
        Ignored,     // accepted and deliberately without effect locally (IAM, encryption, …)
    };
    enum class Kind { ResourceType, Property, EventType, Intrinsic, Section, Value };

    Level level = Level::Unsupported;
    Kind kind = Kind::Property;
    QString subject; // "AWS::SQS::Queue", "Tracing", "Kinesis", "Fn::ImportValue"
    QString path;    // "Resources.Fn.Properties.Tracing"
    QString note;    // what Tarmac does instead, or why
    TemplateLocation location;

    friend bool operator==(const FidelityItem &, const FidelityItem &) = default;
};

// The loud list of everything Tarmac does not emulate in one template: printed at start,
// served in /_tarmac/health, shown by `tarmac check`. Nothing the loader skips is left out.
struct FidelityReport
{
    QList<FidelityItem> items;

    int count(FidelityItem::Level level) const;
    bool hasUnsupported() const { return count(FidelityItem::Level::Unsupported) > 0; }
    // Adds an item unless the same one (subject, path) is there already.
    void add(FidelityItem item);
    // One line per item, "  template.yaml:12:5  unsupported property Tracing (Resources.Fn…)".
    QStringList lines() const;
    Json toJson() const;
};

// An S3 → function trigger: from a SAM `S3` event or a bucket's
// NotificationConfiguration.LambdaConfigurations.
struct BucketNotification
{
    QString id;              // configuration id, stable across reloads
    QString bucketLogicalId;
    QString bucketName;
    QString functionArn;     // as written (the function may be outside this stack)
    QString functionName;    // resolved from the ARN
    QStringList events;      // "s3:ObjectCreated:*", …
    QString prefix;
    QString suffix;
    TemplateLocation location;

    friend bool operator==(const BucketNotification &, const BucketNotification &) = default;
};

struct FunctionSpec
{
    QString logicalId;
    QString type;         // AWS::Serverless::Function or AWS::Lambda::Function
    QString name;         // the physical FunctionName
    QString arn;
    QString runtime;
    QString handler;
    QString codeDir;      // absolute folder; empty when the code is inline
    QByteArray inlineCode; // InlineCode / Code.ZipFile
    QString description;
    int timeoutSeconds = 3;
    int memoryMb = 128;
    int ephemeralStorageMb = 512;
    QMap<QString, QString> environment;
    QStringList layerDirs;  // absolute folders, in the order the template lists the layers
    std::optional<int> reservedConcurrency;
    QMap<QString, QString> tags;

    struct InvokeConfig
    {
        std::optional<int> maximumRetryAttempts;   // 0–2; AWS default 2
        std::optional<int> maximumEventAgeSeconds;  // 60–21600; AWS default 21600
        QString onSuccessType, onSuccess;           // destination type ("Lambda", "SQS", …) and ARN
        QString onFailureType, onFailure;
        friend bool operator==(const InvokeConfig &, const InvokeConfig &) = default;
    };
    std::optional<InvokeConfig> eventInvokeConfig;
    TemplateLocation location;

    friend bool operator==(const FunctionSpec &, const FunctionSpec &) = default;
};

struct BucketSpec
{
    QString logicalId;
    QString name;
    QString arn;
    Json corsRules = Json::array(); // CorsConfiguration.CorsRules, as the template has them
    QMap<QString, QString> tags;
    std::optional<bool> versioning; // VersioningConfiguration.Status Enabled / Suspended
    bool retainOnDelete = false;    // DeletionPolicy: Retain
    TemplateLocation location;

    friend bool operator==(const BucketSpec &, const BucketSpec &) = default;
};

// One resource of the template after conditions, Globals and intrinsic functions.
struct StackResource
{
    QString logicalId;
    QString type;
    Json properties = Json::object(); // resolved; AWS::NoValue removed
    QStringList dependsOn;            // logical ids: DependsOn plus references
    QString physicalId;               // what Ref returns
    QString deletionPolicy;
    bool implicit = false;            // made by the SAM transform (FunctionRole, …)
    TemplateLocation location;
};

struct StackOutput
{
    QString name;
    QString value;
    QString description;
    QString exportName;
};

// A loaded template: what the resources are, in the order they are created, with every
// property resolved. Pure data: StackLoader makes it, StackApplier runs it. It does not know
// whether anything is running.
struct Stack
{
    QString name;         // AWS::StackName
    QString id;           // AWS::StackId
    QString region;
    QString accountId;
    QString templatePath; // absolute
    QString baseDir;      // relative CodeUri / ContentUri start here
    QMap<QString, Json> parameters;

    QList<StackResource> resources; // dependency order
    QList<FunctionSpec> functions;  // dependency order
    QList<BucketSpec> buckets;
    QList<BucketNotification> notifications;
    QList<StackOutput> outputs;     // template order
    FidelityReport report;

    const StackResource *resource(const QString &logicalId) const;
    const FunctionSpec *function(const QString &logicalId) const;
    const BucketSpec *bucket(const QString &logicalId) const;
    // Every folder whose files make up the app's code (CodeUri, layers), for live reload.
    QStringList codeDirs() const;
};

} // namespace tarmac
