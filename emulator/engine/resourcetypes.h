#pragma once

#include "template/resourcetype.h"

namespace tarmac {

// The resource types the engine itself knows (functions, layers, IAM, buckets until S3
// offers its own, and the types later services will take over): whether each is emulated,
// and what Ref and Fn::GetAtt give. Types a service offers (ServiceModule::resourceTypes())
// come first; this table answers the rest.

// The type, or null for a type Tarmac has never heard of (unsupported, and its attributes
// unknown).
const ResourceTypeInfo *resourceTypeInfo(const QString &type);

ResourceIdentity resourceIdentity(const QString &type, const QString &logicalId,
    const Json &properties, const StackNaming &naming);

} // namespace tarmac
