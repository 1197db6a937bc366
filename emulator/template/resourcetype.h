#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/stack.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace tarmac {

// What Tarmac does with a resource type or a property of one.
enum class Support {
    Emulated, // runs as on AWS
    Ignored, // accepted, deliberately without effect locally (IAM, encryption, …)
    Unsupported, // not emulated
};

struct PropertySupport
{
    const char *name;
    Support support;
    const char *note; // for Ignored: what happens instead
};

// One CloudFormation / SAM resource type as Tarmac knows it: whether it is emulated, and for
// emulated types which properties are (anything not listed is unsupported). It does not
// create anything.
struct ResourceTypeInfo
{
    const char *type;
    Support support;
    const char *note;
    QList<PropertySupport> properties;
    const char *noun = nullptr; // "bucket": "bucket Photos added"; null: "Photos added"

    const PropertySupport *property(const QString &name) const;
};

struct StackNaming
{
    QString stackName;
    QString stackId;
    QString region;
    QString accountId;
    // The edge URL Tarmac serves the services on ("http://127.0.0.1:4566"), for values AWS
    // gives as URLs that clients call (a queue's URL): empty when nothing is served (`tarmac
    // check`), where AWS's own form is given.
    QString endpoint;

    // "arn:aws:{service}:{region}:{account}:{resource}"
    QString arn(const char *service, const QString &resource) const;
};

// What `Ref` and `Fn::GetAtt` give for a resource, the values AWS gives for its type.
struct ResourceIdentity
{
    QString physicalId;
    Json ref;
    QMap<QString, Json> attributes;
    bool attributesKnown = true; // false for unknown types: any attribute is accepted
};

// The name CloudFormation gives a resource that does not name itself:
// "{stack}-{logicalId}-{13 characters}", cut to maxLength, lower-cased for buckets. The
// suffix is derived from the stack and logical id, so the name (and the data behind it)
// stays the same from one start to the next.
QString generatedPhysicalName(
    const StackNaming &naming, const QString &logicalId, int maxLength, bool lowerCase);
// `length` characters of base 36 derived from `seed`: the same seed gives the same text.
QString stableSuffix(const QString &seed, int length, bool lowerCase);
// The string property `name`, or empty.
QString stringProperty(const Json &properties, const char *name);
// A whole number as CloudFormation takes one: a number without a fraction, or its text ("30").
bool wholeNumber(const Json &value, qint64 *out);

class FunctionEventType;

// What a ResourceType's check() may say about a resource while the template is loaded. A
// property is a path of keys and list indexes from Properties: {"Tags", "0", "Key"}.
class ResourceCheck
{
public:
    virtual ~ResourceCheck();
    // An item of the fidelity report (something Tarmac does not emulate) at the property:
    // the property itself, or (`value`) a value of it ("Runtime: java21").
    virtual void unsupported(const QString &subject, const QStringList &property,
        const QString &note, bool value = false)
        = 0;
    // An item of the report that Tarmac accepts and deliberately leaves without effect
    // locally (an observability layer, …), with what happens instead.
    virtual void ignored(const QString &subject, const QStringList &property, const QString &note,
        bool value = false);
    // The error CloudFormation would give for the property (the resource itself when empty),
    // with its position.
    virtual Error error(const QStringList &property, const QString &message) const = 0;
    // The folder relative code and content paths start from (the template's).
    virtual QString baseDir() const = 0;
    // A code or content path of the template as a local path: relative paths start from
    // baseDir(). A path such as ":src" is a relative one here, not one of Qt's resources.
    QString localPath(const QString &path) const;
    // A resource loaded before this one (everything it refers to is), by physical id (what
    // Ref gives: a layer version's ARN), or null.
    virtual const StackResource *loaded(const QString &physicalId) const = 0;
    // What Fn::GetAtt gives for an attribute of a resource loaded before this one, by logical
    // id (the Arn of the role the SAM transform made for it), or null.
    virtual Json attribute(const QString &logicalId, const QString &name) const
    {
        Q_UNUSED(logicalId);
        Q_UNUSED(name);
        return Json();
    }
    // The ARN of the role the SAM transform made for a function or state machine that names
    // none ({Id}Role), as attribute() gives it, or empty.
    QString madeRoleArn(const QString &logicalId) const;
    // The local folder given for a layer version ARN that is not in the template (a public
    // layer: `--layer ARN=DIR`; an ARN without its version matches every version), or empty.
    virtual QString layerFolder(const QString &arn) const
    {
        Q_UNUSED(arn);
        return {};
    }
    // Where builds of the project go, one folder per logical id (`tarmac build`, esbuild at
    // start): STATE/build; empty when there is no state folder.
    virtual QString buildRoot() const { return {}; }
    // Whether a running service takes messages for this ARN's kind (an SQS queue: a
    // function's destination or a bucket's notification target may name it).
    virtual bool takesMessages(const QString &arn) const
    {
        Q_UNUSED(arn);
        return false;
    }
    // Whether a running service offers this ARN's kind as an event source for functions (an
    // SQS queue, a DynamoDB stream): an event-source mapping may name it.
    virtual bool offersEventSource(const QString &arn) const
    {
        Q_UNUSED(arn);
        return false;
    }
};

// What building one resource did (`tarmac build`): a line to print, and whether it failed.
struct BuildOutcome
{
    bool failed = false;
    QString line; // "installed 3 packages from requirements.txt into …"
    QString output; // the build tool's output, shown when it failed
};

// A resource type a service runs, as the template engine needs it: what Tarmac emulates of
// it (for the fidelity report), what Ref and Fn::GetAtt give, and what CloudFormation
// refuses in its properties. The service that offers it creates, updates and deletes such
// resources (ServiceModule::putResource).
class ResourceType
{
public:
    virtual ~ResourceType();
    virtual const ResourceTypeInfo &info() const = 0;
    // Default: a type that takes no name and has no attributes (a permission, a policy): Ref
    // is a name CloudFormation would generate.
    virtual ResourceIdentity identity(
        const QString &logicalId, const Json &properties, const StackNaming &naming) const;
    // Checks the resolved properties when the template is loaded, so that a mistake is an
    // error with its position before anything is created. What it returns is kept with the
    // resource (StackResource::details) for putResource: what the check made of it that needs
    // the template (an absolute code folder); null when nothing.
    virtual Result<Json> check(const StackResource &resource, ResourceCheck &check) const
    {
        Q_UNUSED(resource);
        Q_UNUSED(check);
        return Json();
    }
    // `tarmac build`: installs what the resource declares (a function's requirements.txt or
    // package.json, an esbuild bundle) under `buildRoot`/LOGICALID, as `sam build` does for a
    // deployment. Nothing (nullopt) for a resource with nothing to build.
    virtual std::optional<BuildOutcome> build(
        const StackResource &resource, const QString &buildRoot) const
    {
        Q_UNUSED(resource);
        Q_UNUSED(buildRoot);
        return std::nullopt;
    }
    // The event types a SAM type takes in its own Events, for a type other than a function
    // (AWS::Serverless::StateMachine: Schedule, EventBridgeRule, …). The loader expands each
    // event as it expands a function's, the FunctionEvent naming this resource where it names
    // a function; an event of a type not listed is reported as not emulated. Empty: the
    // type's Events, if it has any, are not the resource type's to expand (a SAM function's
    // are the services' FunctionEventTypes).
    virtual QList<const FunctionEventType *> eventTypes() const { return {}; }
};

// An event a SAM function declares: `Events: {Name: {Type: SQS, Properties: …}}`.
struct FunctionEvent
{
    // The resource that declares it: a function, or a resource of a type that expands its
    // own events (ResourceType::eventTypes(): a state machine).
    QString functionLogicalId;
    QString name;
    Json properties = Json::object(); // as written: may hold intrinsic functions
    // The type of the template's resource of that logical id; empty when there is none.
    std::function<QString(const QString &logicalId)> typeOf;
    // Its properties as written (after Globals; may hold intrinsic functions), or {}.
    std::function<Json(const QString &logicalId)> propertiesOf;
};

// A resource the SAM transform makes of an event, as CloudFormation then gets it. Its
// properties may hold intrinsic functions; `{"Fn::GetAtt": [Fn, "Arn"]}` names the function.
struct ExpandedResource
{
    QString logicalId;
    QString type;
    Json properties = Json::object();
    // Made by the first event that needs it and shared by the others (the implicit API,
    // ServerlessRestApi, that every Api event without a RestApiId adds its route to); the
    // SAM transform's Globals and parts for its type (a SAM API's stage) come with it.
    bool shared = false;
};

// What the SAM transform makes of one event.
struct EventExpansion
{
    QList<ExpandedResource> resources; // new resources (an event source mapping, a permission)
    // Additions to a resource the template has (S3: the bucket's notification names the
    // function): `value` is appended to the list at `property` (a path of map keys), and
    // the resource then depends on the function and on `resources`. Skipped when the
    // resource's Condition leaves it out.
    struct Addition
    {
        QString logicalId;
        QStringList property;
        Json value;
    };
    QList<Addition> additions;
    // Properties of the event Tarmac does not know (for the fidelity report): name and note.
    QList<std::pair<QString, QString>> unsupported;
    // Said after a circular dependency that runs through an addition's resource: how to
    // break it.
    QString cycleHint;
};

// An event type SAM functions may declare, offered by the service whose resources it wires
// (SQS → an AWS::Lambda::EventSourceMapping): expands the event the way the SAM transform
// does. An error is a sentence CloudFormation would say; the loader adds the position.
class FunctionEventType
{
public:
    virtual ~FunctionEventType();
    virtual QString type() const = 0; // "SQS"
    // Whether it also expands the events of resources of this type, a type that expands its
    // own (ResourceType::eventTypes()) but leaves this event type to the service it wires (a
    // state machine's Api event is API Gateway's route). The expansion then finds the
    // resource's type through FunctionEvent::typeOf.
    virtual bool alsoFor(const QString &resourceType) const
    {
        Q_UNUSED(resourceType);
        return false;
    }
    virtual Result<EventExpansion> expand(const FunctionEvent &event) const = 0;
};

} // namespace tarmac
