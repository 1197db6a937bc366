#!/usr/bin/env python3
"""Capture the HTTP requests real botocore clients send, without sending them.

The edge router's unit test (tests/unit/http/tst_servicedetector.cpp) builds its table rows from
the file this script writes, so the router is checked against what clients really put on the
wire, not against what we believe they do. Regenerate after a botocore upgrade; never edit the
output by hand:

    python3 tools/capture-botocore-requests.py > tests/unit/http/data/botocore-requests.json

Each client gets a `before-send` handler that records the prepared request and returns a dummy
200 response, so nothing leaves the process. Every record carries the expectation the router
must meet (service, operation, region, protocol and, for S3, the bucket); requests made with
signing disabled check the fingerprint rules that apply when there is no credential scope.
"""

import base64
import copy
import json
import os
import sys
import tempfile
import urllib.parse

import boto3
import botocore
import botocore.session
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse
from botocore.config import Config

EDGE = "http://127.0.0.1:4566"
EDGE_NAME = "http://localhost:4566"
ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"

# The protocol the router should report for each service (what the service model says,
# except SQS, which is decided per request).
PROTOCOLS = {
    "s3": "rest-xml",
    "sqs": "json",
    "dynamodb": "json",
    "dynamodbstreams": "json",
    "lambda": "rest-json",
    "sts": "query",
    "iam": "query",
    "events": "json",
    "logs": "json",
    "scheduler": "rest-json",
}


class _Raw:
    """Just enough of a urllib3 response for botocore to read a body from."""

    def __init__(self, body):
        self._body = body

    def stream(self, **kwargs):
        yield self._body

    def read(self, *args, **kwargs):
        body, self._body = self._body, b""
        return body


def _body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None:
            body.seek(position)
        return data if isinstance(data, bytes) else data.encode("utf-8")
    return bytes(body)


def _encode_body(record, data):
    if not data:
        return
    try:
        record["body"] = data.decode("utf-8")
    except UnicodeDecodeError:
        record["bodyBase64"] = base64.b64encode(data).decode("ascii")


def _with_transport_headers(url, headers, body):
    """Adds what http.client adds on the wire: botocore signs Host but never sets it."""
    out = dict(headers)
    lower = {k.lower() for k in out}
    if "host" not in lower:
        parts = urllib.parse.urlsplit(url)
        default_port = 443 if parts.scheme == "https" else 80
        host = parts.hostname if ":" not in (parts.hostname or "") else "[%s]" % parts.hostname
        out["Host"] = host if parts.port in (None, default_port) else "%s:%d" % (host, parts.port)
    if body and "content-length" not in lower and "transfer-encoding" not in lower:
        out["Content-Length"] = str(len(body))
    return out


class Recorder:
    def __init__(self):
        self.records = []
        self._pending = None

    def handler(self, protocol):
        def on_before_send(request, **kwargs):
            if self._pending is not None and "method" not in self._pending:
                body = _body_bytes(request.body)
                headers = {k: (v.decode("latin-1") if isinstance(v, bytes) else v)
                           for k, v in request.headers.items()}
                self._pending["method"] = request.method
                self._pending["url"] = request.url
                self._pending["headers"] = _with_transport_headers(request.url, headers, body)
                _encode_body(self._pending, body)
            # A body the response parser accepts, so the call ends quietly.
            reply = b"{}" if protocol in ("json", "rest-json") else b""
            return AWSResponse(request.url, 200, {}, _Raw(reply))

        return on_before_send

    def capture(self, name, expect, call):
        self._pending = {"name": name, "expect": expect}
        error = None
        try:
            call()
        except Exception as e:  # the dummy response may not parse; the request is what we keep
            error = e
        record, self._pending = self._pending, None
        if "method" not in record:
            raise SystemExit("no request captured for %r: %r" % (name, error))
        self.records.append(record)

    def add_url(self, name, expect, method, url, headers=None):
        """A request that is not made by a client call (presigned URLs, function URLs)."""
        record = {"name": name, "expect": expect, "method": method, "url": url,
                  "headers": _with_transport_headers(url, headers or {}, b"")}
        self.records.append(record)


def expect(service, operation="", region=DEFAULT_REGION, protocol=None, bucket=None):
    out = {
        "service": service,
        "operation": operation,
        "region": region,
        "protocol": protocol or PROTOCOLS[service],
    }
    if bucket is not None:
        out["bucket"] = bucket
    return out


def make_session(data_path=None):
    session = botocore.session.get_session()
    if data_path:
        loader = session.get_component("data_loader")
        loader.search_paths.insert(0, data_path)
    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", botocore_session=session)


def make_client(recorder, session, service, region, endpoint=EDGE, **config):
    config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
    client = session.client(service, region_name=region, endpoint_url=endpoint,
                            config=Config(**config))
    client.meta.events.register("before-send", recorder.handler(PROTOCOLS.get(service, "json")))
    return client


def query_sqs_data_path():
    """A data folder whose SQS model speaks the query protocol, as botocore < 1.34.90 did."""
    loader = botocore.session.get_session().get_component("data_loader")
    version = loader.determine_latest_version("sqs", "service-2")
    model = copy.deepcopy(loader.load_service_model("sqs", "service-2", version))
    model["metadata"]["protocol"] = "query"
    model["metadata"]["protocols"] = ["query"]
    model["metadata"].pop("jsonVersion", None)
    model["metadata"].pop("targetPrefix", None)
    folder = tempfile.mkdtemp(prefix="tarmac-sqs-query-")
    target = os.path.join(folder, "sqs", version)
    os.makedirs(target)
    with open(os.path.join(target, "service-2.json"), "w") as f:
        json.dump(model, f)
    return folder


def capture_s3(rec, session):
    for region in (DEFAULT_REGION, "eu-west-1"):
        s3 = make_client(rec, session, "s3", region)
        tag = "s3 path %s " % region
        rec.capture(tag + "ListBuckets", expect("s3", region=region, bucket=""),
                    lambda: s3.list_buckets())
        rec.capture(tag + "CreateBucket", expect("s3", region=region, bucket="demo-bucket"),
                    lambda: s3.create_bucket(Bucket="demo-bucket", **(
                        {} if region == DEFAULT_REGION else
                        {"CreateBucketConfiguration": {"LocationConstraint": region}})))
        rec.capture(tag + "PutObject", expect("s3", region=region, bucket="demo-bucket"),
                    lambda: s3.put_object(Bucket="demo-bucket", Key="dir/hello world.txt",
                                          Body=b"hello"))
        rec.capture(tag + "GetObject", expect("s3", region=region, bucket="demo-bucket"),
                    lambda: s3.get_object(Bucket="demo-bucket", Key="dir/hello world.txt"))
        rec.capture(tag + "ListObjectsV2", expect("s3", region=region, bucket="demo-bucket"),
                    lambda: s3.list_objects_v2(Bucket="demo-bucket", Prefix="dir/"))
        rec.capture(tag + "DeleteObjects", expect("s3", region=region, bucket="demo-bucket"),
                    lambda: s3.delete_objects(Bucket="demo-bucket", Delete={
                        "Objects": [{"Key": "a.txt"}, {"Key": "b.txt"}]}))
        # A bucket name that looks like an SQS account id must stay S3 when signed for s3.
        rec.capture(tag + "GetObject digits bucket",
                    expect("s3", region=region, bucket="123456789012"),
                    lambda: s3.get_object(Bucket="123456789012", Key="queue"))

    virtual = make_client(rec, session, "s3", DEFAULT_REGION, endpoint=EDGE_NAME,
                          s3={"addressing_style": "virtual"})
    tag = "s3 virtual "
    rec.capture(tag + "ListBuckets", expect("s3", bucket=""), lambda: virtual.list_buckets())
    rec.capture(tag + "CreateBucket", expect("s3", bucket="demo-bucket"),
                lambda: virtual.create_bucket(Bucket="demo-bucket"))
    rec.capture(tag + "PutObject", expect("s3", bucket="demo-bucket"),
                lambda: virtual.put_object(Bucket="demo-bucket", Key="k.txt", Body=b"x"))
    rec.capture(tag + "GetObject", expect("s3", bucket="demo-bucket"),
                lambda: virtual.get_object(Bucket="demo-bucket", Key="k.txt"))
    rec.capture(tag + "ListObjectsV2", expect("s3", bucket="demo-bucket"),
                lambda: virtual.list_objects_v2(Bucket="demo-bucket"))
    rec.capture(tag + "DeleteObjects", expect("s3", bucket="demo-bucket"),
                lambda: virtual.delete_objects(Bucket="demo-bucket",
                                               Delete={"Objects": [{"Key": "k.txt"}]}))
    rec.capture(tag + "GetObject dotted bucket", expect("s3", bucket="my.dotted.bucket"),
                lambda: virtual.get_object(Bucket="my.dotted.bucket", Key="k.txt"))
    virtual_eu = make_client(rec, session, "s3", "eu-west-1", endpoint=EDGE_NAME,
                             s3={"addressing_style": "virtual"})
    rec.capture("s3 virtual eu-west-1 GetObject",
                expect("s3", region="eu-west-1", bucket="demo-bucket"),
                lambda: virtual_eu.get_object(Bucket="demo-bucket", Key="k.txt"))

    # Presigned URLs have no Authorization. With a custom endpoint botocore presigns with
    # SigV2 query auth unless told s3v4; the SigV4 ones carry the credential scope in the query.
    for region in (DEFAULT_REGION, "eu-west-1"):
        s3 = make_client(rec, session, "s3", region)
        url = s3.generate_presigned_url("get_object",
                                        Params={"Bucket": "demo-bucket", "Key": "a b.txt"})
        rec.add_url("s3 presigned sigv2 path %s GetObject" % region,
                    expect("s3", bucket="demo-bucket"), "GET", url)
        s3 = make_client(rec, session, "s3", region, signature_version="s3v4")
        url = s3.generate_presigned_url("get_object", ExpiresIn=3600,
                                        Params={"Bucket": "demo-bucket", "Key": "a b.txt"})
        rec.add_url("s3 presigned path %s GetObject" % region,
                    expect("s3", region=region, bucket="demo-bucket"), "GET", url)
        url = s3.generate_presigned_url("put_object", ExpiresIn=600,
                                        Params={"Bucket": "demo-bucket", "Key": "up.bin"})
        rec.add_url("s3 presigned path %s PutObject" % region,
                    expect("s3", region=region, bucket="demo-bucket"), "PUT", url)
    virtual = make_client(rec, session, "s3", DEFAULT_REGION, endpoint=EDGE_NAME,
                          s3={"addressing_style": "virtual"}, signature_version="s3v4")
    url = virtual.generate_presigned_url("get_object",
                                         Params={"Bucket": "demo-bucket", "Key": "k.txt"})
    rec.add_url("s3 presigned virtual GetObject", expect("s3", bucket="demo-bucket"), "GET", url)

    unsigned = make_client(rec, session, "s3", DEFAULT_REGION, signature_version=UNSIGNED)
    rec.capture("s3 unsigned path GetObject", expect("s3", bucket="demo-bucket"),
                lambda: unsigned.get_object(Bucket="demo-bucket", Key="k.txt"))
    rec.capture("s3 unsigned path ListBuckets", expect("s3", bucket=""),
                lambda: unsigned.list_buckets())
    rec.capture("s3 unsigned path PutObject", expect("s3", bucket="demo-bucket"),
                lambda: unsigned.put_object(Bucket="demo-bucket", Key="k.txt", Body=b"x"))
    unsigned_virtual = make_client(rec, session, "s3", DEFAULT_REGION, endpoint=EDGE_NAME,
                                   signature_version=UNSIGNED, s3={"addressing_style": "virtual"})
    rec.capture("s3 unsigned virtual GetObject", expect("s3", bucket="demo-bucket"),
                lambda: unsigned_virtual.get_object(Bucket="demo-bucket", Key="k.txt"))
    rec.capture("s3 unsigned virtual ListObjectsV2", expect("s3", bucket="demo-bucket"),
                lambda: unsigned_virtual.list_objects_v2(Bucket="demo-bucket"))
    unsigned_s3_host = make_client(rec, session, "s3", DEFAULT_REGION,
                                   endpoint="http://s3.localhost:4566",
                                   signature_version=UNSIGNED, s3={"addressing_style": "virtual"})
    rec.capture("s3 unsigned virtual s3.localhost GetObject", expect("s3", bucket="demo-bucket"),
                lambda: unsigned_s3_host.get_object(Bucket="demo-bucket", Key="k.txt"))


def capture_sqs(rec, session, query_session):
    queue_url = "%s/%s/orders" % (EDGE, ACCOUNT)
    for region in (DEFAULT_REGION, "eu-west-1"):
        sqs = make_client(rec, session, "sqs", region)
        tag = "sqs json %s " % region
        rec.capture(tag + "CreateQueue", expect("sqs", "CreateQueue", region),
                    lambda: sqs.create_queue(QueueName="orders"))
        rec.capture(tag + "SendMessage", expect("sqs", "SendMessage", region),
                    lambda: sqs.send_message(QueueUrl=queue_url, MessageBody="hello"))
        rec.capture(tag + "ReceiveMessage", expect("sqs", "ReceiveMessage", region),
                    lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0))
        rec.capture(tag + "ListQueues", expect("sqs", "ListQueues", region),
                    lambda: sqs.list_queues())

        query = make_client(rec, query_session, "sqs", region)
        tag = "sqs query %s " % region
        q = lambda op: expect("sqs", op, region, protocol="query")
        rec.capture(tag + "CreateQueue", q("CreateQueue"),
                    lambda: query.create_queue(QueueName="orders"))
        rec.capture(tag + "SendMessage", q("SendMessage"),
                    lambda: query.send_message(QueueUrl=queue_url, MessageBody="hello & bye"))
        rec.capture(tag + "ReceiveMessage", q("ReceiveMessage"),
                    lambda: query.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=5))
        rec.capture(tag + "GetQueueUrl", q("GetQueueUrl"),
                    lambda: query.get_queue_url(QueueName="orders"))

    unsigned = make_client(rec, session, "sqs", DEFAULT_REGION, signature_version=UNSIGNED)
    rec.capture("sqs unsigned json SendMessage", expect("sqs", "SendMessage"),
                lambda: unsigned.send_message(QueueUrl=queue_url, MessageBody="hi"))
    unsigned_query = make_client(rec, query_session, "sqs", DEFAULT_REGION,
                                 signature_version=UNSIGNED)
    rec.capture("sqs unsigned query form SendMessage",
                expect("sqs", "SendMessage", protocol="query"),
                lambda: unsigned_query.send_message(QueueUrl=queue_url, MessageBody="hi"))
    rec.capture("sqs unsigned query form ListQueues",
                expect("sqs", "ListQueues", protocol="query"),
                lambda: unsigned_query.list_queues())
    # Old SDKs post to the queue URL itself; that path is the fingerprint.
    unsigned_queue = make_client(rec, query_session, "sqs", DEFAULT_REGION,
                                 endpoint="%s/%s/orders" % (EDGE, ACCOUNT),
                                 signature_version=UNSIGNED)
    rec.capture("sqs unsigned query queue path ReceiveMessage",
                expect("sqs", "ReceiveMessage", protocol="query"),
                lambda: unsigned_queue.receive_message(QueueUrl=queue_url))
    host_sqs = make_client(rec, session, "sqs", DEFAULT_REGION,
                           endpoint="http://sqs.us-east-1.localhost.localstack.cloud:4566",
                           signature_version=UNSIGNED)
    rec.capture("sqs unsigned json sqs. host ListQueues", expect("sqs", "ListQueues"),
                lambda: host_sqs.list_queues())


def capture_dynamodb(rec, session):
    for region in (DEFAULT_REGION, "eu-west-1"):
        ddb = make_client(rec, session, "dynamodb", region)
        tag = "dynamodb %s " % region
        rec.capture(tag + "PutItem", expect("dynamodb", "PutItem", region),
                    lambda: ddb.put_item(TableName="orders", Item={"id": {"S": "1"}}))
        rec.capture(tag + "GetItem", expect("dynamodb", "GetItem", region),
                    lambda: ddb.get_item(TableName="orders", Key={"id": {"S": "1"}}))
        rec.capture(tag + "ListTables", expect("dynamodb", "ListTables", region),
                    lambda: ddb.list_tables())
    streams = make_client(rec, session, "dynamodbstreams", DEFAULT_REGION)
    rec.capture("dynamodbstreams ListStreams", expect("dynamodbstreams", "ListStreams"),
                lambda: streams.list_streams())
    unsigned = make_client(rec, session, "dynamodb", DEFAULT_REGION, signature_version=UNSIGNED)
    rec.capture("dynamodb unsigned Query", expect("dynamodb", "Query"),
                lambda: unsigned.query(TableName="orders", KeyConditionExpression="id = :v",
                                       ExpressionAttributeValues={":v": {"S": "1"}}))
    unsigned_streams = make_client(rec, session, "dynamodbstreams", DEFAULT_REGION,
                                   signature_version=UNSIGNED)
    rec.capture("dynamodbstreams unsigned GetRecords", expect("dynamodbstreams", "GetRecords"),
                lambda: unsigned_streams.get_records(ShardIterator="x" * 16))


def capture_lambda(rec, session):
    for region in (DEFAULT_REGION, "eu-west-1"):
        lam = make_client(rec, session, "lambda", region)
        tag = "lambda %s " % region
        rec.capture(tag + "Invoke", expect("lambda", region=region),
                    lambda: lam.invoke(FunctionName="hello", Payload=b'{"a":1}'))
        rec.capture(tag + "ListFunctions", expect("lambda", region=region),
                    lambda: lam.list_functions())
        rec.capture(tag + "CreateFunction", expect("lambda", region=region),
                    lambda: lam.create_function(
                        FunctionName="hello", Runtime="python3.12", Handler="app.handler",
                        Role="arn:aws:iam::%s:role/r" % ACCOUNT, Code={"ZipFile": b"PK\x05\x06"}))
    lam = make_client(rec, session, "lambda", DEFAULT_REGION)
    rec.capture("lambda CreateEventSourceMapping", expect("lambda"),
                lambda: lam.create_event_source_mapping(
                    FunctionName="hello", EventSourceArn="arn:aws:sqs:us-east-1:%s:q" % ACCOUNT))
    rec.capture("lambda ListLayers", expect("lambda"), lambda: lam.list_layers())
    rec.capture("lambda GetAccountSettings", expect("lambda"),
                lambda: lam.get_account_settings())
    rec.capture("lambda ListTags", expect("lambda"),
                lambda: lam.list_tags(Resource="arn:aws:lambda:us-east-1:%s:function:hello"
                                      % ACCOUNT))

    unsigned = make_client(rec, session, "lambda", DEFAULT_REGION, signature_version=UNSIGNED)
    rec.capture("lambda unsigned Invoke", expect("lambda"),
                lambda: unsigned.invoke(FunctionName="hello", Payload=b"{}"))
    rec.capture("lambda unsigned ListFunctions", expect("lambda"),
                lambda: unsigned.list_functions())
    rec.capture("lambda unsigned ListEventSourceMappings", expect("lambda"),
                lambda: unsigned.list_event_source_mappings())
    rec.capture("lambda unsigned GetFunctionUrlConfig", expect("lambda"),
                lambda: unsigned.get_function_url_config(FunctionName="hello"))
    rec.capture("lambda unsigned ListLayers", expect("lambda"), lambda: unsigned.list_layers())
    host = make_client(rec, session, "lambda", DEFAULT_REGION, signature_version=UNSIGNED,
                       endpoint="http://lambda.us-east-1.localhost.localstack.cloud:4566")
    rec.capture("lambda unsigned lambda. host ListFunctions", expect("lambda"),
                lambda: host.list_functions())
    # A function URL is plain HTTP from any client; only its host name says Lambda.
    rec.add_url("lambda function url GET",
                expect("lambda", "InvokeFunctionUrl", protocol="rest-json"), "GET",
                "http://a1b2c3d4e5f6g7h8.lambda-url.us-east-1.localhost:4566/orders/7?x=1")


def capture_json_and_query(rec, session):
    for region in (DEFAULT_REGION, "eu-west-1"):
        sts = make_client(rec, session, "sts", region)
        rec.capture("sts %s GetCallerIdentity" % region,
                    expect("sts", "GetCallerIdentity", region),
                    lambda: sts.get_caller_identity())
        events = make_client(rec, session, "events", region)
        rec.capture("events %s PutEvents" % region, expect("events", "PutEvents", region),
                    lambda: events.put_events(Entries=[{
                        "Source": "app", "DetailType": "t", "Detail": "{}"}]))
        rec.capture("events %s PutRule" % region, expect("events", "PutRule", region),
                    lambda: events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)"))
        logs = make_client(rec, session, "logs", region)
        rec.capture("logs %s PutLogEvents" % region, expect("logs", "PutLogEvents", region),
                    lambda: logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[
                        {"timestamp": 1700000000000, "message": "hi"}]))
        rec.capture("logs %s FilterLogEvents" % region,
                    expect("logs", "FilterLogEvents", region),
                    lambda: logs.filter_log_events(logGroupName="g"))

    sts = make_client(rec, session, "sts", DEFAULT_REGION)
    rec.capture("sts AssumeRole", expect("sts", "AssumeRole"),
                lambda: sts.assume_role(RoleArn="arn:aws:iam::%s:role/r" % ACCOUNT,
                                        RoleSessionName="tarmac"))
    iam = make_client(rec, session, "iam", DEFAULT_REGION)
    rec.capture("iam CreateRole", expect("iam", "CreateRole"),
                lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}"))
    scheduler = make_client(rec, session, "scheduler", DEFAULT_REGION)
    rec.capture("scheduler CreateSchedule", expect("scheduler"),
                lambda: scheduler.create_schedule(
                    Name="tick", ScheduleExpression="rate(5 minutes)",
                    FlexibleTimeWindow={"Mode": "OFF"},
                    Target={"Arn": "arn:aws:lambda:us-east-1:%s:function:f" % ACCOUNT,
                            "RoleArn": "arn:aws:iam::%s:role/r" % ACCOUNT}))
    rec.capture("scheduler ListScheduleGroups", expect("scheduler"),
                lambda: scheduler.list_schedule_groups())

    def unsigned(service, endpoint=EDGE):
        return make_client(rec, session, service, DEFAULT_REGION, endpoint=endpoint,
                           signature_version=UNSIGNED)

    rec.capture("sts unsigned GetCallerIdentity", expect("sts", "GetCallerIdentity"),
                lambda: unsigned("sts").get_caller_identity())
    rec.capture("iam unsigned ListRoles", expect("iam", "ListRoles"),
                lambda: unsigned("iam").list_roles())
    rec.capture("events unsigned PutEvents", expect("events", "PutEvents"),
                lambda: unsigned("events").put_events(Entries=[{"Source": "app"}]))
    rec.capture("logs unsigned CreateLogGroup", expect("logs", "CreateLogGroup"),
                lambda: unsigned("logs").create_log_group(logGroupName="g"))
    rec.capture("scheduler unsigned GetSchedule", expect("scheduler"),
                lambda: unsigned("scheduler").get_schedule(Name="tick"))
    rec.capture("scheduler unsigned ListSchedules", expect("scheduler"),
                lambda: unsigned("scheduler").list_schedules())
    rec.capture("scheduler unsigned CreateScheduleGroup", expect("scheduler"),
                lambda: unsigned("scheduler").create_schedule_group(Name="g"))
    rec.capture("dynamodb unsigned dynamodb. host ListTables", expect("dynamodb", "ListTables"),
                lambda: unsigned("dynamodb", "http://dynamodb.localhost.localstack.cloud:4566")
                .list_tables())


def main():
    rec = Recorder()
    session = make_session()
    query_session = make_session(query_sqs_data_path())
    capture_s3(rec, session)
    capture_sqs(rec, session, query_session)
    capture_dynamodb(rec, session)
    capture_lambda(rec, session)
    capture_json_and_query(rec, session)
    out = {
        "generator": "tools/capture-botocore-requests.py (regenerate, never edit by hand)",
        "botocore": botocore.__version__,
        "requests": rec.records,
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
