#pragma once

#include "base/json.h"
#include "base/result.h"
#include "template/resourcetype.h"

namespace tarmac::ddbresources {

// DynamoDB's part of templates: AWS::DynamoDB::Table (Ref: its name; Arn, StreamArn), SAM's
// AWS::Serverless::SimpleTable (a table of one partition key), and SAM's `DynamoDB` function
// event, which the SAM transform turns into an AWS::Lambda::EventSourceMapping on the
// table's stream.
const ResourceType &tableType();
const ResourceType &simpleTableType();
const FunctionEventType &dynamoDbEventType();

// What CreateTable is sent for a resource of either type (properties resolved), and the TTL
// attribute its TimeToLiveSpecification enables (empty: none).
Result<Json> createTableRequest(const QString &type, const QString &name, const Json &properties);
QString ttlAttribute(const Json &properties);
// The stream label a template's table gets: stable from one start to the next, so that the
// StreamArn its Fn::GetAtt gives stays the one the table has.
QString streamLabel(const QString &arnOrStackKey);

} // namespace tarmac::ddbresources
