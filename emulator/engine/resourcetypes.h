#pragma once

#include "base/json.h"

#include <QList>
#include <QMap>
#include <QString>

namespace tarmac {

// What Tarmac does with a resource type or a property of one.
enum class Support {
    Emulated,    // runs as on AWS
    Ignored,     // accepted, deliberately without effect locally (IAM, encryption, …)
    Unsupported, // not emulated
};

struct PropertySupport
{
    const char *name;
    Support support;
    const char *note; // for Ignored: what happens instead
};

// One CloudFormation / SAM resource type as Tarmac knows it: whether it is emulated, and for
// emulated types which properties are (anything not listed is unsupported). Each service
// issue adds its types here. It does not create anything.
struct ResourceTypeInfo
{
    const char *type;
    Support support;
    const char *note;
    QList<PropertySupport> properties;

    const PropertySupport *property(const QString &name) const;
};

// The type, or null for a type Tarmac has never heard of (unsupported, and its attributes
// unknown).
const ResourceTypeInfo *resourceTypeInfo(const QString &type);

struct StackNaming
{
    QString stackName;
    QString stackId;
    QString region;
    QString accountId;
};

// What `Ref` and `Fn::GetAtt` give for a resource, the values AWS gives for its type.
struct ResourceIdentity
{
    QString physicalId;
    Json ref;
    QMap<QString, Json> attributes;
    bool attributesKnown = true; // false for unknown types: any attribute is accepted
};

ResourceIdentity resourceIdentity(const QString &type, const QString &logicalId, const Json &properties,
                                  const StackNaming &naming);

// The name CloudFormation gives a resource that does not name itself:
// "{stack}-{logicalId}-{13 characters}", cut to maxLength, lower-cased for buckets. The
// suffix is derived from the stack and logical id, so the name (and the data behind it)
// stays the same from one start to the next.
QString generatedPhysicalName(const StackNaming &naming, const QString &logicalId, int maxLength,
                              bool lowerCase);

} // namespace tarmac
