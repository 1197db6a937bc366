#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <array>

namespace tarmac {

struct HttpRequest;

// What the edge port learned about a request before any service sees it.
struct ServiceMatch
{
    // "s3", "sqs", "dynamodb", "dynamodbstreams", "lambda", "sts", "iam", "events", "logs",
    // "scheduler", and a few services Tarmac does not emulate ("sns", "kinesis", "kms", …) so
    // the edge can refuse them in their own error shape. Empty when nothing matched.
    QString service;
    // The X-Amz-Target suffix (json) or the Action (query); empty for REST services, except
    // "InvokeFunctionUrl" for a Lambda function URL host, which is not a control-plane call.
    QString operation;
    // From the credential scope; the default region when the request carries none.
    QString region;
    // "rest-xml", "rest-json", "json", "query" or "smithy-rpc-v2-cbor". May be set while
    // service is empty (an unknown X-Amz-Target is still json), so the refusal can be shaped.
    QByteArray protocol;
    // The credential scope's service ("ses"), when the request is signed: it names a service
    // Tarmac does not know in the refusal.
    QByteArray signingName;

    bool isValid() const { return !service.isEmpty(); }
};

// Where the request's SigV4 credential scope says it is going, from the Authorization header
// or, for presigned URLs, the X-Amz-Credential query parameter. Empty fields when absent or
// unparseable; SigV4a scopes carry no region (it comes from X-Amz-Region-Set, if concrete).
// Views into the request's Authorization header (or query): valid while the request's head
// is unchanged.
struct CredentialScope
{
    QByteArrayView signingName;
    QByteArrayView region;
    // What the views point into when it is not the request's own head: the presigned URL's
    // decoded parameters.
    std::array<QByteArray, 2> decoded;

    bool isValid() const { return !signingName.isEmpty(); }
};

CredentialScope credentialScope(const HttpRequest &request);

// Picks the AWS service an edge-port request is for, the way LocalStack's service router does
// (PROTOCOLS.md §8.3): credential-scope signing name, then X-Amz-Target prefix, then path
// rules, host rules, the query Action/Version, and finally S3, which owns every other shape.
//
// It runs on every request, so it is pure and cheap: a few header look-ups and prefix tests, no
// regular expressions, and the body is read only when the content type is form-urlencoded (and
// then only its first kilobytes, where SDKs put Action and Version). It does not verify
// signatures, decide the account, or tell S3 operations apart; a signed request whose signing
// name Tarmac does not know is answered with an empty service rather than guessed at.
ServiceMatch detectService(const HttpRequest &request);

// The bucket and key an S3 request addresses: virtual-host style when the Host names a bucket,
// path style otherwise. Key is percent-decoded ('+' stays '+'); both empty for ListBuckets.
struct S3Address
{
    QString bucket;
    QString key;
    bool virtualHosted = false;
};

S3Address s3Address(const HttpRequest &request);

// The bucket named by a virtual-host style Host header ("bucket.localhost:4566",
// "bucket.s3.localhost", "bucket.s3.us-east-1.amazonaws.com",
// "bucket.s3.localhost.localstack.cloud"), or empty for IP literals, plain names and hosts that
// do not follow one of those forms (Tarmac cannot know other names the machine answers to).
QString s3BucketFromHost(QByteArrayView host);

} // namespace tarmac
