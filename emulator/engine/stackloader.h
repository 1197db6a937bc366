#pragma once

#include "base/result.h"
#include "template/resourcetype.h"
#include "template/stack.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace tarmac {

// Turns an AWS SAM / CloudFormation template into a Stack, the way CloudFormation would
// before creating anything: Transform and Globals, Parameters (defaults, AllowedValues,
// AllowedPattern, lengths and ranges, overrides), Mappings, Conditions on resources,
// properties and outputs, pseudo parameters, resources in dependency order (DependsOn and
// references; a cycle is an error that names it), intrinsic functions, the SAM expansion
// of the types Tarmac runs (implicit roles, S3 events → bucket notifications), Outputs,
// and the fidelity report of everything Tarmac does not emulate, with positions.
//
// Errors are what CloudFormation or the SAM transform would refuse, as one line with the
// position: "template.yaml:12:5: …". Pure: it reads the template (and checks that code
// folders exist) and starts nothing; StackApplier runs the result.
class StackLoader
{
public:
    struct Options
    {
        QString stackName; // empty: defaultStackName()
        QString region = QStringLiteral("us-east-1");
        QString accountId = QStringLiteral("000000000000");
        // "Key=Value" items (each may hold several, space separated, as SAM CLI takes
        // them), or "ParameterKey=K,ParameterValue=V".
        QStringList parameterOverrides;
        // Layer version ARNs (or ARNs without the version) → local folders (`--layer`).
        QHash<QString, QString> layerFolders;
        // Where builds go (ResourceCheck::buildRoot): STATE/build.
        QString buildRoot;
        // The edge URL the services are served on (StackNaming::endpoint), or empty.
        QString endpoint;
        // The types and SAM event types the services offer (ServiceModule::resourceTypes(),
        // functionEventTypes()); they come before the engine's own table.
        QList<const ResourceType *> resourceTypes;
        QList<const FunctionEventType *> eventTypes;
        // The ARN services whose resources take messages (ServiceModule::
        // messageTargetServices()): "sqs".
        QStringList messageServices;
        // The ARN services whose resources are event sources for functions (ServiceModule::
        // eventSourceServices()): "sqs", "dynamodb".
        QStringList eventSourceServices;
    };

    // The template of a project: the file itself, or in the folder .aws-sam/build/template.yaml
    // (what `sam build` made, served as `sam local` serves it), else template.yaml /
    // template.yml / template.json. Empty when there is none.
    static QString findTemplate(const QString &projectPath);
    // The project folder of a template: its own folder, or the one `sam build` ran in.
    static QString projectFolder(const QString &templatePath);
    // Where `tarmac build` puts builds for a project without --state: PROJECT/.tarmac/build.
    static QString defaultBuildRoot(const QString &templatePath);
    // samconfig.toml's [default.deploy.parameters] stack_name next to the template, as SAM
    // CLI reads it, else the project folder's name made a valid stack name.
    static QString defaultStackName(const QString &templatePath);
    // An error line unless `name` is a valid stack name (a letter, then letters, digits and
    // hyphens, at most 128), as CloudFormation requires.
    static Result<void> checkStackName(const QString &name);
    // A string value of samconfig.toml (in `dir`) from a table ("default.deploy.parameters"),
    // or nothing. Reads the TOML SAM CLI writes: [tables] and key = "string" lines.
    static std::optional<QString> samconfigValue(
        const QString &dir, const QString &table, const QString &key);
    static Result<QMap<QString, QString>> parseParameterOverrides(const QStringList &overrides);

    static Result<Stack> loadFile(const QString &templatePath, const Options &options);
    // `templatePath` names the file in errors and anchors relative code folders.
    static Result<Stack> load(
        const QByteArray &text, const QString &templatePath, const Options &options);
};

} // namespace tarmac
