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
        Ignored, // accepted and deliberately without effect locally (IAM, encryption, …)
    };
    enum class Kind { ResourceType, Property, EventType, Intrinsic, Section, Value };

    Level level = Level::Unsupported;
    Kind kind = Kind::Property;
    QString subject; // "AWS::SQS::Queue", "Tracing", "Kinesis", "Fn::ImportValue"
    QString path; // "Resources.Fn.Properties.Tracing"
    QString note; // what Tarmac does instead, or why
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

// One resource of the template after conditions, Globals and intrinsic functions.
struct StackResource
{
    QString logicalId;
    QString type;
    Json properties = Json::object(); // resolved; AWS::NoValue removed
    QStringList dependsOn; // logical ids: DependsOn plus references
    QString physicalId; // what Ref returns
    QString deletionPolicy;
    bool implicit = false; // made by the SAM transform (FunctionRole, …)
    TemplateLocation location;
    // What the service that offers the type made of it when the template was loaded
    // (ResourceType::check: a function's absolute code folder, …), for putResource.
    Json details;
    QString noun; // the type's noun ("function", "bucket"), or empty
    Json metadata; // the resource's Metadata as written (BuildMethod, …), or null
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
    QString name; // AWS::StackName
    QString id; // AWS::StackId
    QString region;
    QString accountId;
    QString templatePath; // absolute
    QString baseDir; // relative CodeUri / ContentUri start here
    QMap<QString, Json> parameters;

    QList<StackResource> resources; // dependency order
    QList<StackOutput> outputs; // template order
    FidelityReport report;

    const StackResource *resource(const QString &logicalId) const;
    // The resources whose type has that noun ("function"), in dependency order.
    QList<const StackResource *> resourcesOf(const QString &noun) const;
    // How many resources the template declares, and how many the SAM transform made of them
    // (roles, permissions): "4 resource(s)" or "4 resource(s) (+4 made by the SAM
    // transform)", the one count the CLI and the window show.
    qsizetype declaredCount() const;
    QString countText() const;
};

} // namespace tarmac
