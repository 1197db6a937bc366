#pragma once

#include "base/result.h"

#include <QString>

namespace tarmac {

struct XmlElement;

// The bucket configurations S3 keeps and gives back without Tarmac acting on them (website,
// server access logging, requester pays, transfer acceleration, replication): the checks of
// a parsed document beyond its root element, with S3's codes, shared by the API's Put… calls
// and the template's properties. What needs the store (a logging target bucket that exists,
// replication's versioning) is the caller's.
namespace s3configs {

Result<void> checkWebsite(const XmlElement &root);
// LoggingEnabled, when there, names a TargetBucket and has a TargetPrefix.
Result<void> checkLogging(const XmlElement &root);
Result<void> checkRequestPayment(const XmlElement &root);
Result<void> checkAccelerate(const XmlElement &root, const QString &bucket);
// A Role and at least one Rule.
Result<void> checkReplication(const XmlElement &root);

} // namespace s3configs

} // namespace tarmac
