"""DynamoDB scenarios that run unchanged against any endpoint: Tarmac's edge, moto_server,
DynamoDB Local or AWS itself. Each scenario is a function of one endpoint URL; it creates the
tables it needs under names of its own (so scenarios can share a server and run again), drives
them with boto3's low-level client or raw JSON over HTTP, deletes its tables, and raises
AssertionError with a message saying what differed. What they expect is what AWS documents (the
DynamoDB Developer Guide and API Reference); where an emulator differs, the scenario fails on
it, and bench/dynamodb/conformance shows which.

Covered: tables (CreateTable with S/N/B keys, hash and hash+range, on-demand and provisioned;
DescribeTable with its index descriptions; ListTables pages; UpdateTable adding an index and a
stream; DeleteTable), TTL settings, tags; PutItem, GetItem (projections of nested paths),
UpdateItem (every action and every ReturnValues), DeleteItem, conditions and
ReturnValuesOnConditionCheckFailure; BatchGetItem, BatchWriteItem, TransactWriteItems
(cancellation reasons, idempotency tokens), TransactGetItems; Query (each key condition,
direction, pages, COUNT, filters, projections), Scan (filters, parallel segments); exact
decimal numbers and their order; a single-table design with sparse, KEYS_ONLY and INCLUDE
global indexes, a local index; DynamoDB Streams read directly; and the errors: missing tables,
existing tables, ValidationExceptions for bad keys and bad expressions, wrong JSON types.

    import ddb_scenarios
    for name, run in ddb_scenarios.SCENARIOS.items():
        run("http://127.0.0.1:4566")   # raises AssertionError on a difference
"""
import json
import random
import re
import time
import urllib.error
import urllib.request
import uuid

import boto3
import botocore.config
import botocore.exceptions

REGION = "us-east-1"
ACCOUNT = r"\d{12}"
SCENARIOS = {}  # name -> function(endpoint); in the order they are defined


def client(endpoint, service="dynamodb", validate=True):
    """A boto3 client for endpoint; validate=False lets values botocore would refuse through
    (a Limit of 0), for the server to refuse."""
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      read_timeout=30, connect_timeout=10,
                                                      parameter_validation=validate))


# ---------------------------------------------------------------------------------------------
# Helpers

def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def B(v):
    return {"B": v}


_soft = None  # a list while a scenario runs with every_failure=True


def fail(message):
    if _soft is not None:
        _soft.append(message)
        return
    raise AssertionError(message)


def check(condition, message):
    if not condition:
        fail(message)


def eq(actual, expected, what):
    if actual != expected:
        fail("%s: expected %s, got %s" % (what, short(expected), short(actual)))


def short(value, limit=400):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def strip_metadata(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def unordered(items, key=lambda i: json.dumps(i, sort_keys=True, default=str)):
    return sorted(items, key=key)


class Ctx:
    """One scenario's clients, its tables (deleted afterwards) and its assertions on errors."""

    def __init__(self, endpoint, scenario):
        self.endpoint = endpoint
        self.scenario = scenario
        self.ddb = client(endpoint)
        self.loose = client(endpoint, validate=False)
        self._streams = None
        self.tables = []
        self.prefix = "%s-%s" % (scenario.replace("_", "-")[:40], uuid.uuid4().hex[:6])

    @property
    def streams(self):
        if self._streams is None:
            self._streams = client(self.endpoint, "dynamodbstreams")
        return self._streams

    def name(self, suffix="t"):
        return "%s-%s" % (self.prefix, suffix)

    def create(self, suffix="t", hash_key=("pk", "S"), range_key=None, attributes=(), **kw):
        """CreateTable (on-demand unless told) and wait until it is ACTIVE; returns its name."""
        name = self.name(suffix)
        definitions = {hash_key[0]: hash_key[1]}
        schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
        if range_key:
            definitions[range_key[0]] = range_key[1]
            schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        definitions.update(dict(attributes))
        kw.setdefault("BillingMode", "PAY_PER_REQUEST")
        self.ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": t} for a, t in definitions.items()], **kw)
        self.tables.append(name)
        self.wait_active(name)
        return name

    def wait_active(self, name, index=None, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            table = self.ddb.describe_table(TableName=name)["Table"]
            statuses = [table["TableStatus"]]
            for i in table.get("GlobalSecondaryIndexes", []):
                if index is None or i["IndexName"] == index:
                    statuses.append(i.get("IndexStatus", "ACTIVE"))
            if index is not None and len(statuses) == 1:
                statuses.append("missing")
            if all(s == "ACTIVE" for s in statuses):
                return table
            if time.monotonic() > deadline:
                fail("table %s (index %s) not ACTIVE after %d s: %s"
                     % (name, index, timeout, statuses))
            time.sleep(0.2)

    def wait_gone(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ddb.describe_table(TableName=name)
            except botocore.exceptions.ClientError as e:
                eq(e.response["Error"]["Code"], "ResourceNotFoundException",
                   "DescribeTable of a deleted table")
                return
            if time.monotonic() > deadline:
                fail("table %s still described %d s after DeleteTable" % (name, timeout))
            time.sleep(0.2)

    def error(self, call, code, message=None, what=None, **kw):
        """Calls call(**kw), which must fail with `code` (and a message containing each of
        `message`, a str or a list of them). Returns the error response."""
        what = what or "%s(%s)" % (getattr(call, "__name__", call), short(kw, 200))
        try:
            result = call(**kw)
        except botocore.exceptions.ClientError as e:
            got = e.response["Error"]
            if got.get("Code") != code:
                fail("%s: expected %s, got %s: %s" % (what, code, got.get("Code"),
                                                      got.get("Message")))
            else:
                for part in ([message] if isinstance(message, str) else message or []):
                    if part not in (got.get("Message") or ""):
                        fail("%s: %s's message should contain %r, got %r"
                             % (what, code, part, got.get("Message")))
                status = e.response["ResponseMetadata"]["HTTPStatusCode"]
                check(status == 400, "%s: %s should be HTTP 400, got %s" % (what, code, status))
            return e.response
        fail("%s: expected %s, but it succeeded: %s"
             % (what, code, short(strip_metadata(result))))
        return {}

    def put(self, table, **attributes):
        self.ddb.put_item(TableName=table, Item=attributes)

    def get(self, table, **key):
        return self.ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def query_all(self, **kw):
        items, pages = [], 0
        while True:
            page = self.ddb.query(**kw)
            items += page.get("Items", [])
            pages += 1
            if "LastEvaluatedKey" not in page:
                return items
            check(pages < 1000, "Query never stopped paging")
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan_all(self, **kw):
        items, pages = [], 0
        while True:
            page = self.ddb.scan(**kw)
            items += page.get("Items", [])
            pages += 1
            if "LastEvaluatedKey" not in page:
                return items
            check(pages < 1000, "Scan never stopped paging")
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def raw(self, target, body, prefix="DynamoDB_20120810"):
        """A JSON 1.0 call as bytes on the wire: (status, parsed body or the raw text)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + "/", data=data, method="POST", headers={
            "X-Amz-Target": "%s.%s" % (prefix, target),
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Date": "20240101T000000Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/"
                             "aws4_request, SignedHeaders=host;x-amz-date, Signature=0"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        try:
            return status, json.loads(payload or b"{}")
        except ValueError:
            return status, payload.decode("utf-8", "replace")

    def cleanup(self):
        for name in self.tables:
            try:
                self.ddb.delete_table(TableName=name)
            except Exception:
                pass


def scenario(fn):
    name = fn.__name__

    def run(endpoint, every_failure=False):
        """Runs the scenario against endpoint; raises AssertionError at the first difference,
        or with every_failure, carries on past differences and raises one listing them all."""
        global _soft
        ctx = Ctx(endpoint, name)
        _soft = [] if every_failure else None
        try:
            fn(ctx)
        except AssertionError:
            raise
        except Exception as e:
            if _soft is None:
                raise
            _soft.append("stopped by %s: %s" % (type(e).__name__, short(str(e), 300)))
        finally:
            found, _soft = _soft, None
            ctx.cleanup()
        if found:
            raise AssertionError(" | ".join(found))

    run.__name__ = name
    run.__doc__ = fn.__doc__
    SCENARIOS[name] = run
    return run


def key_schema(hash_key, range_key=None):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def definitions(**types):
    return [{"AttributeName": a, "AttributeType": t} for a, t in types.items()]


def by_name(entries, what):
    check(isinstance(entries, list), "%s should be a list, got %s" % (what, short(entries)))
    return {e["IndexName"]: e for e in entries}


# ---------------------------------------------------------------------------------------------
# Tables

@scenario
def create_table_key_types_and_billing(c):
    """CreateTable with S, N and B keys, hash and hash+range, PAY_PER_REQUEST and PROVISIONED;
    the TableDescription it answers; items with each key type go in and come out."""
    name = c.name("s")
    created = c.ddb.create_table(TableName=name, KeySchema=key_schema("pk"),
                                 AttributeDefinitions=definitions(pk="S"),
                                 BillingMode="PAY_PER_REQUEST")["TableDescription"]
    c.tables.append(name)
    eq(created["TableName"], name, "TableDescription.TableName")
    check(created["TableStatus"] in ("CREATING", "ACTIVE"),
          "CreateTable's TableStatus: %s" % created["TableStatus"])
    check(re.fullmatch(r"arn:aws:dynamodb:us-east-1:%s:table/%s" % (ACCOUNT, re.escape(name)),
                       created.get("TableArn", "")), "TableArn: %r" % created.get("TableArn"))
    check(created.get("TableId"), "CreateTable answers a TableId")
    check("CreationDateTime" in created, "CreateTable answers CreationDateTime")
    eq(created["KeySchema"], key_schema("pk"), "KeySchema")
    eq(created["AttributeDefinitions"], definitions(pk="S"), "AttributeDefinitions")
    eq(created.get("BillingModeSummary", {}).get("BillingMode"), "PAY_PER_REQUEST",
       "BillingModeSummary.BillingMode of an on-demand table")
    throughput = created.get("ProvisionedThroughput", {})
    eq((throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")), (0, 0),
       "ProvisionedThroughput (read, write) of an on-demand table")
    eq((created.get("ItemCount"), created.get("TableSizeBytes")), (0, 0),
       "ItemCount and TableSizeBytes of a new table")
    c.wait_active(name)

    nb = c.create("nb", hash_key=("id", "N"), range_key=("blob", "B"), BillingMode="PROVISIONED",
                  ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    table = c.ddb.describe_table(TableName=nb)["Table"]
    throughput = table["ProvisionedThroughput"]
    eq((throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]), (5, 7),
       "ProvisionedThroughput of a provisioned table")
    eq(table["KeySchema"], key_schema("id", "blob"), "KeySchema of a hash+range table")
    eq(unordered(table["AttributeDefinitions"]), unordered(definitions(id="N", blob="B")),
       "AttributeDefinitions of a hash+range table")
    c.ddb.put_item(TableName=nb, Item={"id": N(42), "blob": B(b"\x00\x01\xff"), "v": S("x")})
    got = c.get(nb, id=N(42), blob=B(b"\x00\x01\xff"))
    eq(got, {"id": N(42), "blob": B(b"\x00\x01\xff"), "v": S("x")}, "item with N and B keys")
    eq(c.get(nb, id=N("42.0"), blob=B(b"\x00\x01\xff")), got,
       "GetItem with the number key written 42.0")

    bb = c.create("b", hash_key=("k", "B"))
    c.ddb.put_item(TableName=bb, Item={"k": B(b"\xfe"), "n": N(1)})
    eq(c.get(bb, k=B(b"\xfe")), {"k": B(b"\xfe"), "n": N(1)}, "item with a B hash key")
    raw_item = c.raw("GetItem", {"TableName": bb, "Key": {"k": {"B": "/g=="}}})
    eq(raw_item, (200, {"Item": {"k": {"B": "/g=="}, "n": {"N": "1"}}}),
       "GetItem on the wire: B as base64")

    c.error(c.ddb.create_table, "ValidationException", what="PROVISIONED without throughput",
            TableName=c.name("bad1"), KeySchema=key_schema("pk"),
            AttributeDefinitions=definitions(pk="S"), BillingMode="PROVISIONED")
    c.error(c.ddb.create_table, "ValidationException",
            what="PAY_PER_REQUEST with ProvisionedThroughput",
            TableName=c.name("bad2"), KeySchema=key_schema("pk"),
            AttributeDefinitions=definitions(pk="S"), BillingMode="PAY_PER_REQUEST",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    c.error(c.ddb.create_table, "ValidationException",
            what="an attribute definition no key or index uses",
            TableName=c.name("bad3"), KeySchema=key_schema("pk"),
            AttributeDefinitions=definitions(pk="S", other="S"), BillingMode="PAY_PER_REQUEST")
    c.error(c.ddb.create_table, "ValidationException", what="a key with no attribute definition",
            TableName=c.name("bad4"), KeySchema=key_schema("pk", "sk"),
            AttributeDefinitions=definitions(pk="S"), BillingMode="PAY_PER_REQUEST")


@scenario
def describe_table_with_indexes(c):
    """DescribeTable: ACTIVE, the key schema, ItemCount, and the descriptions of global indexes
    (ALL, KEYS_ONLY, INCLUDE) and a local index."""
    name = c.create("t", range_key=("sk", "S"),
                    attributes={"owner": "S", "created": "N", "rank": "N"}.items(),
                    GlobalSecondaryIndexes=[
                        {"IndexName": "by-owner", "KeySchema": key_schema("owner", "created"),
                         "Projection": {"ProjectionType": "ALL"}},
                        {"IndexName": "owner-keys", "KeySchema": key_schema("owner"),
                         "Projection": {"ProjectionType": "KEYS_ONLY"}},
                        {"IndexName": "owner-title", "KeySchema": key_schema("owner"),
                         "Projection": {"ProjectionType": "INCLUDE",
                                        "NonKeyAttributes": ["title"]}}],
                    LocalSecondaryIndexes=[
                        {"IndexName": "by-rank", "KeySchema": key_schema("pk", "rank"),
                         "Projection": {"ProjectionType": "ALL"}}])
    table = c.ddb.describe_table(TableName=name)["Table"]
    eq(table["TableStatus"], "ACTIVE", "TableStatus")
    eq(table["KeySchema"], key_schema("pk", "sk"), "KeySchema")
    eq(table.get("ItemCount"), 0, "ItemCount of an empty table")
    arn = table["TableArn"]
    gsis = by_name(table.get("GlobalSecondaryIndexes"), "GlobalSecondaryIndexes")
    eq(sorted(gsis), ["by-owner", "owner-keys", "owner-title"], "global index names")
    for index_name, schema, projection in (
            ("by-owner", key_schema("owner", "created"), {"ProjectionType": "ALL"}),
            ("owner-keys", key_schema("owner"), {"ProjectionType": "KEYS_ONLY"}),
            ("owner-title", key_schema("owner"),
             {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]})):
        index = gsis[index_name]
        eq(index["KeySchema"], schema, "%s KeySchema" % index_name)
        eq(index["Projection"], projection, "%s Projection" % index_name)
        eq(index.get("IndexStatus"), "ACTIVE", "%s IndexStatus" % index_name)
        eq(index.get("IndexArn"), arn + "/index/" + index_name, "%s IndexArn" % index_name)
        check(isinstance(index.get("ItemCount"), int), "%s ItemCount: %r"
              % (index_name, index.get("ItemCount")))
    lsis = by_name(table.get("LocalSecondaryIndexes"), "LocalSecondaryIndexes")
    eq(sorted(lsis), ["by-rank"], "local index names")
    eq(lsis["by-rank"]["KeySchema"], key_schema("pk", "rank"), "by-rank KeySchema")
    eq(lsis["by-rank"]["Projection"], {"ProjectionType": "ALL"}, "by-rank Projection")
    eq(lsis["by-rank"].get("IndexArn"), arn + "/index/by-rank", "by-rank IndexArn")
    eq(unordered(table["AttributeDefinitions"]),
       unordered(definitions(pk="S", sk="S", owner="S", created="N", rank="N")),
       "AttributeDefinitions")
    for i in range(3):
        c.put(name, pk=S("p"), sk=S("s%d" % i), owner=S("o"), created=N(i))
    count = c.ddb.describe_table(TableName=name)["Table"]["ItemCount"]
    # AWS refreshes ItemCount about every six hours; an emulator may count at once.
    check(count in (0, 3), "ItemCount after three puts: %r" % count)
    c.error(c.ddb.describe_table, "ResourceNotFoundException", TableName=c.name("missing"))


@scenario
def list_tables_pages(c):
    """ListTables with Limit: pages of at most Limit names, LastEvaluatedTableName is the last
    name of its page and starts the next, every table exactly once; Limit outside 1-100."""
    mine = [c.create("t%d" % i) for i in range(3)]
    seen, pages, start = [], 0, None
    while True:
        kw = {"Limit": 2}
        if start:
            kw["ExclusiveStartTableName"] = start
        page = c.ddb.list_tables(**kw)
        names = page["TableNames"]
        check(len(names) <= 2, "a page of Limit 2 held %d names" % len(names))
        check(all(isinstance(n, str) for n in names), "TableNames: %s" % short(names))
        seen += names
        pages += 1
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
        eq(start, names[-1], "LastEvaluatedTableName (the page's last name)")
        check(pages < 500, "ListTables never stopped paging")
    eq(len(seen), len(set(seen)), "tables listed twice: %s" % short(seen))
    for name in mine:
        check(name in seen, "%s missing from ListTables' pages" % name)
    everything = c.ddb.list_tables()
    if "LastEvaluatedTableName" not in everything:  # at most 100 tables: all in one answer
        eq(sorted(everything["TableNames"]), sorted(seen), "one ListTables call against the pages")
    after = c.ddb.list_tables(ExclusiveStartTableName=mine[0], Limit=100)["TableNames"]
    check(mine[0] not in after, "ExclusiveStartTableName is excluded")
    for limit in (0, 101):
        c.error(c.loose.list_tables, "ValidationException", what="ListTables Limit=%d" % limit,
                Limit=limit)


@scenario
def update_table_adds_global_index(c):
    """UpdateTable creating a global index: it becomes ACTIVE, holds the items written before
    (backfilled), only those with its key (sparse), and is queryable."""
    name = c.create()
    c.put(name, pk=S("a"), email=S("a@x"), n=N(1))
    c.put(name, pk=S("b"), email=S("b@x"), n=N(2))
    c.put(name, pk=S("c"), n=N(3))
    answer = c.ddb.update_table(
        TableName=name, AttributeDefinitions=definitions(pk="S", email="S"),
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by-email", "KeySchema": key_schema("email"),
            "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
    gsis = by_name(answer.get("GlobalSecondaryIndexes"), "UpdateTable's GlobalSecondaryIndexes")
    check("by-email" in gsis, "UpdateTable's answer lists the new index")
    c.wait_active(name, index="by-email")
    got = c.ddb.query(TableName=name, IndexName="by-email", KeyConditionExpression="email = :e",
                      ExpressionAttributeValues={":e": S("b@x")})
    eq(got["Items"], [{"pk": S("b"), "email": S("b@x"), "n": N(2)}],
       "Query on the added index (items written before it)")
    keys = sorted(i["pk"]["S"] for i in c.scan_all(TableName=name, IndexName="by-email"))
    eq(keys, ["a", "b"], "Scan of the added (sparse) index")
    c.put(name, pk=S("d"), email=S("b@x"))
    got = c.ddb.query(TableName=name, IndexName="by-email", KeyConditionExpression="email = :e",
                      ExpressionAttributeValues={":e": S("b@x")})
    eq(sorted(i["pk"]["S"] for i in got["Items"]), ["b", "d"],
       "Query on the index after a put (non-unique index keys)")


@scenario
def update_table_enables_stream(c):
    """UpdateTable enabling a stream: StreamSpecification, LatestStreamArn (table ARN +
    /stream/ + label) and LatestStreamLabel; enabling it again is a ValidationException."""
    name = c.create()
    table = c.ddb.describe_table(TableName=name)["Table"]
    check("LatestStreamArn" not in table, "a table without a stream has no LatestStreamArn")
    answer = c.ddb.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    eq(answer.get("StreamSpecification"),
       {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
       "UpdateTable's StreamSpecification")
    table = c.wait_active(name)
    eq(table.get("StreamSpecification"),
       {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
       "DescribeTable's StreamSpecification")
    label = table.get("LatestStreamLabel", "")
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", label),
          "LatestStreamLabel: %r" % label)
    eq(table.get("LatestStreamArn"), table["TableArn"] + "/stream/" + label, "LatestStreamArn")
    c.error(c.ddb.update_table, "ValidationException", "already has an enabled stream",
            what="enabling a stream twice",
            TableName=name, StreamSpecification={"StreamEnabled": True,
                                                 "StreamViewType": "KEYS_ONLY"})


@scenario
def delete_table(c):
    """DeleteTable answers the description with TableStatus DELETING; the table then goes
    (ResourceNotFoundException), and leaves ListTables."""
    name = c.create()
    c.put(name, pk=S("a"))
    described = c.ddb.delete_table(TableName=name)["TableDescription"]
    eq(described["TableName"], name, "DeleteTable's TableName")
    eq(described["TableStatus"], "DELETING", "DeleteTable's TableStatus")
    c.wait_gone(name)
    check(name not in c.ddb.list_tables(Limit=100)["TableNames"], "deleted table still listed")
    c.error(c.ddb.delete_table, "ResourceNotFoundException", TableName=name)
    c.error(c.ddb.get_item, "ResourceNotFoundException", TableName=name, Key={"pk": S("a")})


@scenario
def time_to_live_settings(c):
    """UpdateTimeToLive / DescribeTimeToLive: DISABLED at first, then the attribute enabled;
    enabling it again is a ValidationException; a missing table is ResourceNotFound."""
    name = c.create()
    got = c.ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    eq(got, {"TimeToLiveStatus": "DISABLED"}, "TimeToLiveDescription of a new table")
    answer = c.ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "expires"})
    eq(answer["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "expires"},
       "UpdateTimeToLive's TimeToLiveSpecification")
    got = c.ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    check(got.get("TimeToLiveStatus") in ("ENABLING", "ENABLED"),
          "TimeToLiveStatus after enabling: %r" % got)
    eq(got.get("AttributeName"), "expires", "TimeToLiveDescription.AttributeName")
    c.error(c.ddb.update_time_to_live, "ValidationException", "already enabled",
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    c.error(c.ddb.describe_time_to_live, "ResourceNotFoundException", TableName=c.name("none"))


@scenario
def tags(c):
    """TagResource, ListTagsOfResource, UntagResource on the table's ARN; tags given to
    CreateTable; a missing table's ARN."""
    name = c.create(Tags=[{"Key": "made", "Value": "create"}])
    arn = c.ddb.describe_table(TableName=name)["Table"]["TableArn"]

    def tags_now():
        return sorted((t["Key"], t["Value"])
                      for t in c.ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", []))

    eq(tags_now(), [("made", "create")], "tags from CreateTable")
    c.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"},
                                              {"Key": "env", "Value": "dev"}])
    eq(tags_now(), [("env", "dev"), ("made", "create"), ("team", "a")], "tags after TagResource")
    c.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    eq(tags_now(), [("env", "dev"), ("made", "create"), ("team", "b")],
       "TagResource overwrites a key's value")
    c.ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "made", "never-there"])
    eq(tags_now(), [("team", "b")], "tags after UntagResource")
    missing = arn.rsplit("/", 1)[0] + "/" + c.name("missing")
    c.error(c.ddb.list_tags_of_resource, "ResourceNotFoundException", ResourceArn=missing)
    c.error(c.ddb.tag_resource, "ResourceNotFoundException", ResourceArn=missing,
            Tags=[{"Key": "k", "Value": "v"}])


# ---------------------------------------------------------------------------------------------
# Items

@scenario
def put_item_conditions_and_return_values(c):
    """PutItem: attribute_not_exists as create-only, ReturnValues ALL_OLD (nothing for a new
    item, the whole old item on a replace), an optimistic-lock condition, a refused
    ReturnValues, ConditionalCheckFailedException with ALL_OLD's Item."""
    name = c.create()
    first = c.ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(1), "tags": {"SS": ["x"]}},
                           ConditionExpression="attribute_not_exists(pk)", ReturnValues="ALL_OLD")
    check("Attributes" not in first, "ALL_OLD on a new item answers no Attributes: %s"
          % short(strip_metadata(first)))
    err = c.error(c.ddb.put_item, "ConditionalCheckFailedException",
                  "The conditional request failed", TableName=name,
                  Item={"pk": S("a"), "v": N(2)}, ConditionExpression="attribute_not_exists(pk)")
    check("Item" not in err, "no Item without ReturnValuesOnConditionCheckFailure")
    err = c.error(c.ddb.put_item, "ConditionalCheckFailedException", TableName=name,
                  Item={"pk": S("a"), "v": N(2)}, ConditionExpression="v = :old",
                  ExpressionAttributeValues={":old": N(7)},
                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
    eq(err.get("Item"), {"pk": S("a"), "v": N(1), "tags": {"SS": ["x"]}},
       "ConditionalCheckFailedException's Item (ALL_OLD)")
    replaced = c.ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(2)},
                              ConditionExpression="v = :old",
                              ExpressionAttributeValues={":old": N(1)}, ReturnValues="ALL_OLD")
    eq(replaced.get("Attributes"), {"pk": S("a"), "v": N(1), "tags": {"SS": ["x"]}},
       "ALL_OLD of a replaced item")
    eq(c.get(name, pk=S("a")), {"pk": S("a"), "v": N(2)}, "the replacing item (whole item)")
    none = c.ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(3)}, ReturnValues="NONE")
    check("Attributes" not in none, "ReturnValues NONE answers no Attributes")
    for bad in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
        c.error(c.ddb.put_item, "ValidationException", what="PutItem ReturnValues " + bad,
                TableName=name, Item={"pk": S("a")}, ReturnValues=bad)
    c.ddb.put_item(TableName=name, Item={"pk": S("b"), "status": S("open")},
                   ConditionExpression="attribute_not_exists(#s) OR #s <> :closed",
                   ExpressionAttributeNames={"#s": "status"},
                   ExpressionAttributeValues={":closed": S("closed")})
    eq(c.get(name, pk=S("b")), {"pk": S("b"), "status": S("open")}, "put with a reserved word")


@scenario
def get_item_projection_and_missing(c):
    """GetItem: a missing item answers no Item key; ProjectionExpression picks nested paths
    (a.b[1].c keeps the map/list shape, the list holding only the picked element), names
    through #placeholders; ConsistentRead."""
    name = c.create()
    missing = c.ddb.get_item(TableName=name, Key={"pk": S("nope")})
    eq(strip_metadata(missing), {}, "GetItem of a missing item")
    item = {
        "pk": S("a"),
        "a": {"M": {"b": {"L": [{"M": {"c": N(1), "d": N(2)}},
                                {"M": {"c": S("picked"), "d": S("not")}},
                                {"M": {"c": N(3)}}]},
                    "z": S("z")}},
        "name": S("reserved"),
        "other": S("o"),
        "arr": {"L": [S("l0"), S("l1"), S("l2")]},
    }
    c.ddb.put_item(TableName=name, Item=item)
    got = c.ddb.get_item(TableName=name, Key={"pk": S("a")}, ConsistentRead=True)["Item"]
    eq(got, item, "GetItem of the whole item")
    got = c.ddb.get_item(TableName=name, Key={"pk": S("a")},
                         ProjectionExpression="a.b[1].c, #n, arr[2], arr[0], nothere",
                         ExpressionAttributeNames={"#n": "name"})["Item"]
    eq(got, {"a": {"M": {"b": {"L": [{"M": {"c": S("picked")}}]}}}, "name": S("reserved"),
             "arr": {"L": [S("l0"), S("l2")]}},
       "ProjectionExpression a.b[1].c, #n, arr[2], arr[0], nothere")
    got = c.ddb.get_item(TableName=name, Key={"pk": S("a")},
                         ProjectionExpression="a.b[0].d, a.b[0].c, a.b[9]")
    eq(got["Item"], {"a": {"M": {"b": {"L": [{"M": {"c": N(1), "d": N(2)}}]}}}},
       "ProjectionExpression a.b[0].d, a.b[0].c, a.b[9] (one element, merged)")
    got = c.ddb.get_item(TableName=name, Key={"pk": S("a")}, ProjectionExpression="a.z, pk")
    eq(got["Item"], {"pk": S("a"), "a": {"M": {"z": S("z")}}}, "ProjectionExpression a.z, pk")
    c.error(c.ddb.get_item, "ValidationException", what="a reserved word unescaped",
            TableName=name, Key={"pk": S("a")}, ProjectionExpression="name")
    c.error(c.ddb.get_item, "ValidationException", what="overlapping projection paths",
            TableName=name, Key={"pk": S("a")}, ProjectionExpression="a, a.z")


@scenario
def update_item_actions(c):
    """UpdateItem: SET with if_not_exists, list_append (both ends), arithmetic; REMOVE (an
    attribute and a list element); ADD to a number and to a set (creating both when missing);
    DELETE from a set (the attribute goes with its last element); an update creates a missing
    item (upsert)."""
    name = c.create()
    c.ddb.put_item(TableName=name, Item={
        "pk": S("a"), "count": N(5), "tags": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2"]},
        "l": {"L": [N(1)]}, "gone": S("bye"), "keep": S("kept"), "m": {"M": {"x": N(1)}},
        "solo": {"SS": ["last"]}, "lst": {"L": [S("d0"), S("d1"), S("d2")]}})
    got = c.ddb.update_item(
        TableName=name, Key={"pk": S("a")},
        UpdateExpression="SET #c = #c + :one, created = if_not_exists(created, :now), "
                         "keep = if_not_exists(keep, :now), l = list_append(l, :tail), "
                         "front = list_append(:head, l), diff = :ten - :one, m.y = :one "
                         "REMOVE gone, lst[1] ADD hits :five, tags :more, newset :more "
                         "DELETE nums :oneset, solo :lastset",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": N(1), ":now": S("now"), ":tail": {"L": [N(2)]},
                                   ":head": {"L": [N(0)]}, ":ten": N(10), ":five": N(5),
                                   ":more": {"SS": ["y", "z"]}, ":oneset": {"NS": ["1"]},
                                   ":lastset": {"SS": ["last"]}},
        ReturnValues="ALL_NEW")["Attributes"]
    want = {"pk": S("a"), "count": N(6), "created": S("now"), "keep": S("kept"),
            "l": {"L": [N(1), N(2)]}, "front": {"L": [N(0), N(1)]}, "diff": N(9),
            "m": {"M": {"x": N(1), "y": N(1)}}, "lst": {"L": [S("d0"), S("d2")]},
            "hits": N(5), "tags": {"SS": ["x", "y", "z"]}, "newset": {"SS": ["y", "z"]},
            "nums": {"NS": ["2"]}}

    def canonical(item):
        out = {}
        for k, v in item.items():
            kind, value = next(iter(v.items()))
            out[k] = {kind: sorted(value)} if kind in ("SS", "NS", "BS") else v
        return out

    eq(canonical(got), canonical(want), "ALL_NEW after SET/REMOVE/ADD/DELETE")
    eq(canonical(c.get(name, pk=S("a"))), canonical(want), "the item after the update")
    created = c.ddb.update_item(TableName=name, Key={"pk": S("new")},
                                UpdateExpression="SET v = :v ADD n :one",
                                ExpressionAttributeValues={":v": S("x"), ":one": N(1)},
                                ReturnValues="ALL_NEW")["Attributes"]
    eq(created, {"pk": S("new"), "v": S("x"), "n": N(1)}, "UpdateItem on a missing item")
    c.error(c.ddb.update_item, "ValidationException", what="arithmetic on a string",
            TableName=name, Key={"pk": S("a")}, UpdateExpression="SET keep = keep + :one",
            ExpressionAttributeValues={":one": N(1)})
    c.error(c.ddb.update_item, "ValidationException", what="ADD of a string",
            TableName=name, Key={"pk": S("a")}, UpdateExpression="ADD keep :s",
            ExpressionAttributeValues={":s": S("x")})
    c.error(c.ddb.update_item, "ValidationException", what="SET to an empty set",
            TableName=name, Key={"pk": S("a")}, UpdateExpression="SET e = :e",
            ExpressionAttributeValues={":e": {"SS": []}})
    c.error(c.ddb.update_item, "ValidationException", what="two actions on one path",
            TableName=name, Key={"pk": S("a")}, UpdateExpression="SET v = :v REMOVE v",
            ExpressionAttributeValues={":v": S("x")})


@scenario
def update_item_return_values(c):
    """UpdateItem's ReturnValues: NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW (only the
    attributes the update touched; a removed attribute has an old value and no new one), and
    ALL_OLD of an upsert (no Attributes)."""
    name = c.create()
    old = {"pk": S("a"), "a": N(1), "b": N(2), "c": N(3)}
    expression = dict(UpdateExpression="SET a = :ten, d = :four REMOVE b",
                      ExpressionAttributeValues={":ten": N(10), ":four": N(4)})
    want = {
        "NONE": None,
        "ALL_OLD": old,
        "UPDATED_OLD": {"a": N(1), "b": N(2)},
        "ALL_NEW": {"pk": S("a"), "a": N(10), "c": N(3), "d": N(4)},
        "UPDATED_NEW": {"a": N(10), "d": N(4)},
    }
    for rv, attributes in want.items():
        c.ddb.put_item(TableName=name, Item=old)
        got = c.ddb.update_item(TableName=name, Key={"pk": S("a")}, ReturnValues=rv, **expression)
        eq(got.get("Attributes"), attributes, "ReturnValues " + rv)
    got = c.ddb.update_item(TableName=name, Key={"pk": S("fresh")}, ReturnValues="ALL_OLD",
                            **expression)
    check("Attributes" not in got, "ALL_OLD of an upsert: %s" % short(strip_metadata(got)))
    got = c.ddb.update_item(TableName=name, Key={"pk": S("fresh2")}, ReturnValues="UPDATED_OLD",
                            **expression)
    check("Attributes" not in got, "UPDATED_OLD of an upsert: %s" % short(strip_metadata(got)))
    c.error(c.ddb.update_item, "ValidationException", what="ReturnValues ALL",
            TableName=name, Key={"pk": S("a")}, ReturnValues="ALL", **expression)


@scenario
def delete_item(c):
    """DeleteItem: ALL_OLD, a missing item (no error, no Attributes), a failed condition (with
    ALL_OLD's Item), a refused ReturnValues."""
    name = c.create()
    c.put(name, pk=S("a"), v=N(1))
    c.put(name, pk=S("b"), v=N(2))
    got = c.ddb.delete_item(TableName=name, Key={"pk": S("a")}, ReturnValues="ALL_OLD")
    eq(got.get("Attributes"), {"pk": S("a"), "v": N(1)}, "DeleteItem ALL_OLD")
    eq(c.get(name, pk=S("a")), None, "the deleted item")
    got = c.ddb.delete_item(TableName=name, Key={"pk": S("a")}, ReturnValues="ALL_OLD")
    check("Attributes" not in got, "DeleteItem of a missing item: %s"
          % short(strip_metadata(got)))
    err = c.error(c.ddb.delete_item, "ConditionalCheckFailedException", TableName=name,
                  Key={"pk": S("b")}, ConditionExpression="v = :one",
                  ExpressionAttributeValues={":one": N(1)},
                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
    eq(err.get("Item"), {"pk": S("b"), "v": N(2)}, "DeleteItem's failed condition's Item")
    c.error(c.ddb.delete_item, "ConditionalCheckFailedException", TableName=name,
            Key={"pk": S("zz")}, ConditionExpression="attribute_exists(pk)")
    c.error(c.ddb.delete_item, "ValidationException", what="DeleteItem ReturnValues ALL_NEW",
            TableName=name, Key={"pk": S("b")}, ReturnValues="ALL_NEW")
    c.ddb.delete_item(TableName=name, Key={"pk": S("b")}, ConditionExpression="v = :two",
                      ExpressionAttributeValues={":two": N(2)})
    eq(c.get(name, pk=S("b")), None, "deleted under a true condition")


@scenario
def update_item_condition_failure_returns_item(c):
    """UpdateItem with a false condition: ConditionalCheckFailedException, the item unchanged,
    and with ReturnValuesOnConditionCheckFailure=ALL_OLD the item in the error; an
    attribute_exists condition on a missing item fails without creating it."""
    name = c.create()
    c.put(name, pk=S("a"), version=N(3), v=S("x"))
    err = c.error(c.ddb.update_item, "ConditionalCheckFailedException",
                  "The conditional request failed", TableName=name, Key={"pk": S("a")},
                  UpdateExpression="SET v = :v, version = version + :one",
                  ConditionExpression="version = :expected",
                  ExpressionAttributeValues={":v": S("y"), ":one": N(1), ":expected": N(2)},
                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
    eq(err.get("Item"), {"pk": S("a"), "version": N(3), "v": S("x")}, "the error's Item")
    eq(c.get(name, pk=S("a")), {"pk": S("a"), "version": N(3), "v": S("x")},
       "the item after a failed update")
    err = c.error(c.ddb.update_item, "ConditionalCheckFailedException", TableName=name,
                  Key={"pk": S("none")}, UpdateExpression="SET v = :v",
                  ConditionExpression="attribute_exists(pk)",
                  ExpressionAttributeValues={":v": S("y")},
                  ReturnValuesOnConditionCheckFailure="ALL_OLD")
    check("Item" not in err, "no Item in the error for a missing item: %s" % short(err))
    eq(c.get(name, pk=S("none")), None, "a failed conditional update creates nothing")


# ---------------------------------------------------------------------------------------------
# Batches and transactions

@scenario
def batch_get_item(c):
    """BatchGetItem over two tables: found items (in any order), missing keys left out,
    ProjectionExpression, UnprocessedKeys {}; duplicate keys and a missing table refused."""
    one = c.create("one")
    two = c.create("two", hash_key=("id", "N"))
    for i in range(3):
        c.put(one, pk=S("k%d" % i), v=N(i), extra=S("e"))
        c.put(two, id=N(i), w=S("w%d" % i))
    got = c.ddb.batch_get_item(RequestItems={
        one: {"Keys": [{"pk": S("k0")}, {"pk": S("k2")}, {"pk": S("missing")}],
              "ProjectionExpression": "pk, v"},
        two: {"Keys": [{"id": N(1)}], "ConsistentRead": True}})
    eq(got.get("UnprocessedKeys"), {}, "UnprocessedKeys")
    eq(sorted(got["Responses"]), sorted([one, two]), "tables in Responses")
    eq(unordered(got["Responses"][one]),
       unordered([{"pk": S("k0"), "v": N(0)}, {"pk": S("k2"), "v": N(2)}]), "Responses[one]")
    eq(got["Responses"][two], [{"id": N(1), "w": S("w1")}], "Responses[two]")
    c.error(c.ddb.batch_get_item, "ValidationException", "duplicates",
            what="BatchGetItem with a key twice",
            RequestItems={one: {"Keys": [{"pk": S("k0")}, {"pk": S("k0")}]}})
    c.error(c.ddb.batch_get_item, "ResourceNotFoundException", what="BatchGetItem missing table",
            RequestItems={c.name("missing"): {"Keys": [{"pk": S("k0")}]}})
    c.error(c.ddb.batch_get_item, "ValidationException", what="BatchGetItem of 101 keys",
            RequestItems={one: {"Keys": [{"pk": S("k%d" % i)} for i in range(101)]}})


@scenario
def batch_write_item_25(c):
    """BatchWriteItem of 25 puts (UnprocessedItems {}), then deletes and puts mixed; 26
    requests, a key twice in one batch, and an empty batch are ValidationExceptions."""
    name = c.create()
    got = c.ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": S("k%02d" % i), "n": N(i)}}} for i in range(25)]})
    eq(got.get("UnprocessedItems"), {}, "UnprocessedItems of 25 puts")
    items = c.scan_all(TableName=name, ConsistentRead=True)
    eq(sorted(i["pk"]["S"] for i in items), ["k%02d" % i for i in range(25)], "the 25 items")
    got = c.ddb.batch_write_item(RequestItems={name: [
        {"DeleteRequest": {"Key": {"pk": S("k%02d" % i)}}} for i in range(20)]
        + [{"PutRequest": {"Item": {"pk": S("new%d" % i)}}} for i in range(5)]})
    eq(got.get("UnprocessedItems"), {}, "UnprocessedItems of a mixed batch")
    keys = sorted(i["pk"]["S"] for i in c.scan_all(TableName=name, ConsistentRead=True))
    eq(keys, ["k%02d" % i for i in range(20, 25)] + ["new%d" % i for i in range(5)],
       "items after deletes and puts")
    c.error(c.ddb.batch_write_item, "ValidationException", what="BatchWriteItem of 26",
            RequestItems={name: [{"PutRequest": {"Item": {"pk": S("x%d" % i)}}}
                                 for i in range(26)]})
    c.error(c.ddb.batch_write_item, "ValidationException", "duplicates",
            what="BatchWriteItem with a key twice",
            RequestItems={name: [{"PutRequest": {"Item": {"pk": S("d")}}},
                                 {"DeleteRequest": {"Key": {"pk": S("d")}}}]})
    c.error(c.ddb.batch_write_item, "ValidationException", what="BatchWriteItem of nothing",
            RequestItems={})
    eq(len(c.scan_all(TableName=name)), 10, "refused batches wrote nothing")


@scenario
def transact_write_items(c):
    """TransactWriteItems: Put, Update, Delete and ConditionCheck together; a false condition
    cancels all with one CancellationReason per action (None / ConditionalCheckFailed, with
    the item when asked); two actions on one item refused."""
    name = c.create()
    c.put(name, pk=S("upd"), n=N(1))
    c.put(name, pk=S("del"))
    c.put(name, pk=S("guard"), ok={"BOOL": True})
    c.ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": S("put"), "v": S("x")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": name, "Key": {"pk": S("upd")}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
        {"Delete": {"TableName": name, "Key": {"pk": S("del")}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": S("guard")},
                            "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}}])
    eq(c.get(name, pk=S("put")), {"pk": S("put"), "v": S("x")}, "the transaction's Put")
    eq(c.get(name, pk=S("upd")), {"pk": S("upd"), "n": N(2)}, "the transaction's Update")
    eq(c.get(name, pk=S("del")), None, "the transaction's Delete")

    err = c.error(c.ddb.transact_write_items, "TransactionCanceledException", TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": S("never")}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": S("guard")},
                            "ConditionExpression": "ok = :f",
                            "ExpressionAttributeValues": {":f": {"BOOL": False}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Update": {"TableName": name, "Key": {"pk": S("upd")}, "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": N(1)}}}])
    reasons = err.get("CancellationReasons")
    check(isinstance(reasons, list) and len(reasons) == 3,
          "CancellationReasons: one per action, got %s" % short(reasons))
    eq([r.get("Code") for r in reasons], ["None", "ConditionalCheckFailed", "None"],
       "CancellationReasons codes")
    eq(reasons[1].get("Message"), "The conditional request failed", "the failed reason's Message")
    eq(reasons[1].get("Item"), {"pk": S("guard"), "ok": {"BOOL": True}},
       "the failed reason's Item (ALL_OLD)")
    check("ConditionalCheckFailed" in err["Error"]["Message"],
          "the message names the reasons: %r" % err["Error"]["Message"])
    eq(c.get(name, pk=S("never")), None, "a cancelled transaction's Put")
    eq(c.get(name, pk=S("upd")), {"pk": S("upd"), "n": N(2)}, "a cancelled transaction's Update")
    c.error(c.ddb.transact_write_items, "ValidationException", what="two actions on one item",
            TransactItems=[{"Put": {"TableName": name, "Item": {"pk": S("twice")}}},
                           {"Delete": {"TableName": name, "Key": {"pk": S("twice")}}}])
    c.error(c.ddb.transact_write_items, "ResourceNotFoundException", what="a missing table",
            TransactItems=[{"Put": {"TableName": c.name("missing"), "Item": {"pk": S("x")}}}])


@scenario
def transact_write_idempotency(c):
    """TransactWriteItems with a ClientRequestToken: the same request twice is applied once;
    the token with a different request is IdempotentParameterMismatchException."""
    name = c.create()
    token = uuid.uuid4().hex
    request = [{"Update": {"TableName": name, "Key": {"pk": S("n")}, "UpdateExpression":
                           "ADD n :one", "ExpressionAttributeValues": {":one": N(1)}}}]
    c.ddb.transact_write_items(TransactItems=request, ClientRequestToken=token)
    c.ddb.transact_write_items(TransactItems=request, ClientRequestToken=token)
    eq(c.get(name, pk=S("n")), {"pk": S("n"), "n": N(1)}, "an idempotent retry applied once")
    c.ddb.transact_write_items(TransactItems=request, ClientRequestToken=uuid.uuid4().hex)
    eq(c.get(name, pk=S("n")), {"pk": S("n"), "n": N(2)}, "another token applies again")
    other = [{"Put": {"TableName": name, "Item": {"pk": S("other")}}}]
    c.error(c.ddb.transact_write_items, "IdempotentParameterMismatchException",
            TransactItems=other, ClientRequestToken=token)
    eq(c.get(name, pk=S("other")), None, "a mismatched token writes nothing")


@scenario
def transact_get_items(c):
    """TransactGetItems: one response per Get, in order; an empty response for a missing item;
    ProjectionExpression."""
    name = c.create()
    c.put(name, pk=S("a"), v=N(1), w=N(2))
    c.put(name, pk=S("b"), v=N(3), w=N(4))
    got = c.ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": name, "Key": {"pk": S("b")}}},
        {"Get": {"TableName": name, "Key": {"pk": S("missing")}}},
        {"Get": {"TableName": name, "Key": {"pk": S("a")}, "ProjectionExpression": "#w",
                 "ExpressionAttributeNames": {"#w": "w"}}}])
    eq(got["Responses"], [{"Item": {"pk": S("b"), "v": N(3), "w": N(4)}}, {},
                          {"Item": {"w": N(2)}}], "TransactGetItems Responses")
    c.error(c.ddb.transact_get_items, "ResourceNotFoundException", what="a missing table",
            TransactItems=[{"Get": {"TableName": c.name("missing"), "Key": {"pk": S("a")}}}])


# ---------------------------------------------------------------------------------------------
# Query and Scan

@scenario
def query_key_conditions(c):
    """Query: =, <, <=, >, >=, BETWEEN and begins_with on the sort key, in sort-key order
    (UTF-8 bytes); ScanIndexForward false; another partition never leaks in."""
    name = c.create(range_key=("sk", "S"))
    sort_keys = ["a", "b", "ba", "bb", "c", "d", "e"]
    for sk in random.sample(sort_keys, len(sort_keys)):
        c.put(name, pk=S("p"), sk=S(sk), v=S("v-" + sk))
        c.put(name, pk=S("other"), sk=S(sk))

    def q(condition, values, **kw):
        items = c.query_all(TableName=name, KeyConditionExpression="pk = :p" + condition,
                            ExpressionAttributeValues=dict({":p": S("p")}, **values), **kw)
        return [i["sk"]["S"] for i in items]

    eq(q("", {}), sort_keys, "pk = :p")
    eq(q(" AND sk = :s", {":s": S("ba")}), ["ba"], "sk = :s")
    eq(q(" AND sk < :s", {":s": S("c")}), ["a", "b", "ba", "bb"], "sk < c")
    eq(q(" AND sk <= :s", {":s": S("c")}), ["a", "b", "ba", "bb", "c"], "sk <= c")
    eq(q(" AND sk > :s", {":s": S("bb")}), ["c", "d", "e"], "sk > bb")
    eq(q(" AND sk >= :s", {":s": S("bb")}), ["bb", "c", "d", "e"], "sk >= bb")
    eq(q(" AND sk BETWEEN :lo AND :hi", {":lo": S("b"), ":hi": S("c")}),
       ["b", "ba", "bb", "c"], "sk BETWEEN b AND c")
    eq(q(" AND begins_with(sk, :s)", {":s": S("b")}), ["b", "ba", "bb"], "begins_with(sk, b)")
    eq(q(" AND begins_with(sk, :s)", {":s": S("b")}, ScanIndexForward=False),
       ["bb", "ba", "b"], "begins_with(sk, b), ScanIndexForward false")
    eq(q("", {}, ScanIndexForward=False), sort_keys[::-1], "ScanIndexForward false")
    eq(q(" AND sk > :s", {":s": S("z")}), [], "an empty range")
    got = c.ddb.query(TableName=name, KeyConditionExpression="#k = :p AND #s = :s",
                      ExpressionAttributeNames={"#k": "pk", "#s": "sk"},
                      ExpressionAttributeValues={":p": S("p"), ":s": S("d")})
    eq((got["Items"], got["Count"], got["ScannedCount"]),
       ([{"pk": S("p"), "sk": S("d"), "v": S("v-d")}], 1, 1), "names for the keys")
    got = c.ddb.query(TableName=name, KeyConditionExpression="sk = :s AND pk = :p",
                      ExpressionAttributeValues={":p": S("p"), ":s": S("d")})
    eq(got["Count"], 1, "the sort-key condition first")
    c.error(c.ddb.query, "ValidationException", what="no partition key condition",
            TableName=name, KeyConditionExpression="sk = :s",
            ExpressionAttributeValues={":s": S("a")})
    c.error(c.ddb.query, "ValidationException", what="the partition key with <",
            TableName=name, KeyConditionExpression="pk < :p",
            ExpressionAttributeValues={":p": S("p")})
    c.error(c.ddb.query, "ValidationException", what="a non-key attribute",
            TableName=name, KeyConditionExpression="pk = :p AND v = :v",
            ExpressionAttributeValues={":p": S("p"), ":v": S("v-a")})
    c.error(c.ddb.query, "ValidationException", what="OR in a key condition",
            TableName=name, KeyConditionExpression="pk = :p OR sk = :s",
            ExpressionAttributeValues={":p": S("p"), ":s": S("a")})
    c.error(c.ddb.query, "ValidationException", what="a key value of the wrong type",
            TableName=name, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": N(1)})


@scenario
def query_pages_count_filter_projection(c):
    """Query: Limit with ExclusiveStartKey pages (LastEvaluatedKey is the last item's key;
    the last, short page has none), in both directions; Select COUNT; FilterExpression after
    Limit (Count vs ScannedCount); ProjectionExpression."""
    name = c.create(range_key=("n", "N"))
    for i in range(7):
        c.put(name, pk=S("p"), n=N(i), even=({"BOOL": i % 2 == 0}), body=S("b%d" % i),
              extra=S("x"))
    for forward in (True, False):
        kw = dict(TableName=name, KeyConditionExpression="pk = :p", Limit=2,
                  ExpressionAttributeValues={":p": S("p")}, ScanIndexForward=forward)
        pages = []
        while True:
            page = c.ddb.query(**kw)
            pages.append([int(i["n"]["N"]) for i in page["Items"]])
            if "LastEvaluatedKey" not in page:
                break
            eq(page["LastEvaluatedKey"], {"pk": S("p"), "n": page["Items"][-1]["n"]},
               "LastEvaluatedKey")
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            check(len(pages) < 20, "Query never stopped paging")
        want = [[0, 1], [2, 3], [4, 5], [6]]
        if not forward:
            want = [[6, 5], [4, 3], [2, 1], [0]]
        eq(pages, want, "pages of Limit 2 (ScanIndexForward %s)" % forward)
    got = c.ddb.query(TableName=name, KeyConditionExpression="pk = :p", Select="COUNT",
                      ExpressionAttributeValues={":p": S("p")})
    check("Items" not in got, "Select COUNT answers no Items")
    eq((got["Count"], got["ScannedCount"]), (7, 7), "Select COUNT (Count, ScannedCount)")
    got = c.ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      FilterExpression="even = :t", ExpressionAttributeValues={
                          ":p": S("p"), ":t": {"BOOL": True}})
    eq([i["n"]["N"] for i in got["Items"]], ["0", "2", "4", "6"], "FilterExpression")
    eq((got["Count"], got["ScannedCount"]), (4, 7), "FilterExpression (Count, ScannedCount)")
    got = c.ddb.query(TableName=name, KeyConditionExpression="pk = :p AND n >= :one",
                      FilterExpression="even = :t", Limit=3, ExpressionAttributeValues={
                          ":p": S("p"), ":t": {"BOOL": True}, ":one": N(1)})
    eq([i["n"]["N"] for i in got["Items"]], ["2"], "Limit counts items before the filter")
    eq((got["Count"], got["ScannedCount"]), (1, 3), "Limit 3 with a filter (Count, Scanned)")
    eq(got.get("LastEvaluatedKey"), {"pk": S("p"), "n": N(3)}, "LastEvaluatedKey with a filter")
    got = c.ddb.query(TableName=name, KeyConditionExpression="pk = :p AND n < :two",
                      ProjectionExpression="body, #n", ExpressionAttributeNames={"#n": "n"},
                      ExpressionAttributeValues={":p": S("p"), ":two": N(2)})
    eq(got["Items"], [{"body": S("b0"), "n": N(0)}, {"body": S("b1"), "n": N(1)}],
       "ProjectionExpression in a Query")
    got = c.ddb.query(TableName=name, KeyConditionExpression="pk = :p", Select="COUNT",
                      FilterExpression="body IN (:a, :b) AND size(extra) = :one",
                      ExpressionAttributeValues={":p": S("p"), ":a": S("b1"), ":b": S("b5"),
                                                 ":one": N(1)})
    eq(got["Count"], 2, "COUNT with IN and size() in a filter")
    c.error(c.ddb.query, "ValidationException", what="a filter on a key attribute",
            TableName=name, KeyConditionExpression="pk = :p", FilterExpression="n > :one",
            ExpressionAttributeValues={":p": S("p"), ":one": N(1)})
    c.error(c.ddb.query, "ValidationException", what="Select COUNT with a projection",
            TableName=name, KeyConditionExpression="pk = :p", Select="COUNT",
            ProjectionExpression="body", ExpressionAttributeValues={":p": S("p")})


@scenario
def scan_filter_and_segments(c):
    """Scan: FilterExpression (Count vs ScannedCount); Limit pages; parallel segments whose
    union is the whole table with no item twice; a segment out of range refused."""
    name = c.create(hash_key=("id", "N"))
    c.ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"id": N(i), "n": N(i % 10), "t": S("x" * (i % 3))}}}
        for i in range(25)]})
    c.ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"id": N(i), "n": N(i % 10)}}} for i in range(25, 40)]})
    everything = c.scan_all(TableName=name)
    eq(sorted(int(i["id"]["N"]) for i in everything), list(range(40)), "a full scan")
    got = c.ddb.scan(TableName=name, FilterExpression="n > :x",
                     ExpressionAttributeValues={":x": N(6)})
    eq(sorted(int(i["id"]["N"]) for i in got["Items"]),
       [i for i in range(40) if i % 10 > 6], "Scan FilterExpression n > 6")
    eq((got["Count"], got["ScannedCount"]), (12, 40), "Scan (Count, ScannedCount)")
    got = c.ddb.scan(TableName=name, FilterExpression="attribute_not_exists(t)", Select="COUNT")
    eq(got["Count"], 15, "attribute_not_exists in a Scan filter")
    got = c.ddb.scan(TableName=name, FilterExpression="begins_with(t, :x) AND size(t) > :one",
                     ExpressionAttributeValues={":x": S("x"), ":one": N(1)})
    eq(sorted(int(i["id"]["N"]) for i in got["Items"]), [i for i in range(25) if i % 3 == 2],
       "begins_with and size in a Scan filter")
    pages = 0
    kw = {"TableName": name, "Limit": 7}
    while True:
        page = c.ddb.scan(**kw)
        check(len(page["Items"]) <= 7, "a Scan page of Limit 7 held %d" % len(page["Items"]))
        pages += 1
        if "LastEvaluatedKey" not in page:
            break
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        check(pages < 50, "Scan never stopped paging")
    check(pages >= 6, "40 items in pages of 7 took %d pages" % pages)
    for total in (1, 3, 4, 7):
        seen = []
        for segment in range(total):
            seen += [int(i["id"]["N"]) for i in c.scan_all(
                TableName=name, Segment=segment, TotalSegments=total, Limit=5)]
        eq(len(seen), len(set(seen)), "items in two of %d segments" % total)
        eq(sorted(seen), list(range(40)), "the union of %d segments" % total)
    c.error(c.ddb.scan, "ValidationException", what="Segment 4 of 4",
            TableName=name, Segment=4, TotalSegments=4)
    c.error(c.ddb.scan, "ValidationException", what="Segment without TotalSegments",
            TableName=name, Segment=0)


@scenario
def numbers_exact_and_ordered(c):
    """Numbers are decimals: 0.1 + 0.2 by ADD (and by SET +) is exactly 0.3; numbers come back
    in DynamoDB's canonical form; a Query orders N sort keys numerically (-1, 0, 1.5, 10, 100);
    more than 38 significant digits is a ValidationException."""
    name = c.create()
    c.ddb.update_item(TableName=name, Key={"pk": S("sum")}, UpdateExpression="ADD n :a",
                      ExpressionAttributeValues={":a": N("0.1")})
    got = c.ddb.update_item(TableName=name, Key={"pk": S("sum")}, UpdateExpression="ADD n :b",
                            ExpressionAttributeValues={":b": N("0.2")}, ReturnValues="UPDATED_NEW")
    eq(got["Attributes"], {"n": N("0.3")}, "0.1 + 0.2 by ADD")
    got = c.ddb.update_item(TableName=name, Key={"pk": S("set")},
                            UpdateExpression="SET n = :a + :b",
                            ExpressionAttributeValues={":a": N("0.1"), ":b": N("0.2")},
                            ReturnValues="ALL_NEW")
    eq(got["Attributes"]["n"], N("0.3"), "0.1 + 0.2 by SET")
    c.put(name, pk=S("canon"), a=N("01.50"), b=N("1E2"), c=N("-0.0"), d=N("12345678901234567890"
                                                                         "123456789012345678"))
    eq(c.get(name, pk=S("canon")), {"pk": S("canon"), "a": N("1.5"), "b": N("100"), "c": N("0"),
                                     "d": N("12345678901234567890123456789012345678")},
       "numbers in canonical form")
    c.error(c.ddb.put_item, "ValidationException", "significant digits",
            what="39 significant digits", TableName=name,
            Item={"pk": S("x"), "n": N("1234567890123456789012345678901234567891")})
    c.error(c.ddb.put_item, "ValidationException", what="a number that is not one",
            TableName=name, Item={"pk": S("x"), "n": N("1.2.3")})
    ordered = c.create("ord", range_key=("n", "N"))
    values = ["-1", "0", "1.5", "10", "100"]
    for v in ["100", "1.5", "-1", "10", "0"]:
        c.put(ordered, pk=S("p"), n=N(v))
    got = c.ddb.query(TableName=ordered, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("p")})
    eq([i["n"]["N"] for i in got["Items"]], values, "N sort keys in a Query")
    got = c.ddb.query(TableName=ordered, KeyConditionExpression="pk = :p AND n BETWEEN :a AND :b",
                      ExpressionAttributeValues={":p": S("p"), ":a": N("-0.5"), ":b": N("1E1")},
                      ScanIndexForward=False)
    eq([i["n"]["N"] for i in got["Items"]], ["10", "1.5", "0"], "N BETWEEN -0.5 AND 1E1, reversed")
    got = c.ddb.update_item(TableName=name, Key={"pk": S("big")},
                            UpdateExpression="SET n = :a - :b",
                            ExpressionAttributeValues={":a": N("1E+30"), ":b": N("1")},
                            ReturnValues="ALL_NEW")
    eq(got["Attributes"]["n"], N("9" * 30), "10^30 - 1, exactly")


# ---------------------------------------------------------------------------------------------
# Indexes

@scenario
def single_table_design_with_global_indexes(c):
    """A single-table design: a global index queried by a begins_with prefix in sort order,
    with LastEvaluatedKey holding the table's and the index's keys; a sparse KEYS_ONLY index
    (only items with its key, only key attributes); an INCLUDE index; refusals (a consistent
    read of a global index, an unknown index)."""
    name = c.create(range_key=("sk", "S"),
                    attributes={"gsi1pk": "S", "gsi1sk": "S", "open": "S"}.items(),
                    GlobalSecondaryIndexes=[
                        {"IndexName": "gsi1", "KeySchema": key_schema("gsi1pk", "gsi1sk"),
                         "Projection": {"ProjectionType": "ALL"}},
                        {"IndexName": "open-orders", "KeySchema": key_schema("open", "sk"),
                         "Projection": {"ProjectionType": "KEYS_ONLY"}},
                        {"IndexName": "titles", "KeySchema": key_schema("gsi1pk"),
                         "Projection": {"ProjectionType": "INCLUDE",
                                        "NonKeyAttributes": ["title"]}}])
    items = [
        {"pk": S("USER#1"), "sk": S("PROFILE"), "gsi1pk": S("ORG#1"), "gsi1sk": S("USER#1"),
         "title": S("Ada")},
        {"pk": S("USER#1"), "sk": S("ORDER#2024-03"), "gsi1pk": S("ORG#1"),
         "gsi1sk": S("ORDER#2024-03"), "open": S("Y"), "total": N(30), "title": S("third")},
        {"pk": S("USER#1"), "sk": S("ORDER#2024-01"), "gsi1pk": S("ORG#1"),
         "gsi1sk": S("ORDER#2024-01"), "total": N(10), "title": S("first")},
        {"pk": S("USER#2"), "sk": S("ORDER#2024-02"), "gsi1pk": S("ORG#1"),
         "gsi1sk": S("ORDER#2024-02"), "open": S("Y"), "total": N(20)},
        {"pk": S("USER#3"), "sk": S("ORDER#2024-05"), "gsi1pk": S("ORG#2"),
         "gsi1sk": S("ORDER#2024-05"), "open": S("Y")},
        {"pk": S("USER#4"), "sk": S("PROFILE"), "title": S("no index keys")},
    ]
    for item in items:
        c.ddb.put_item(TableName=name, Item=item)
    got = c.query_all(TableName=name, IndexName="gsi1",
                      KeyConditionExpression="gsi1pk = :o AND begins_with(gsi1sk, :pre)",
                      ExpressionAttributeValues={":o": S("ORG#1"), ":pre": S("ORDER#")})
    eq([i["gsi1sk"]["S"] for i in got], ["ORDER#2024-01", "ORDER#2024-02", "ORDER#2024-03"],
       "orders of ORG#1 through gsi1")
    eq(got[0], items[2], "an ALL index projects the whole item")
    page = c.ddb.query(TableName=name, IndexName="gsi1", Limit=1,
                       KeyConditionExpression="gsi1pk = :o AND begins_with(gsi1sk, :pre)",
                       ExpressionAttributeValues={":o": S("ORG#1"), ":pre": S("ORDER#")})
    eq(page.get("LastEvaluatedKey"), {"pk": S("USER#1"), "sk": S("ORDER#2024-01"),
                                      "gsi1pk": S("ORG#1"), "gsi1sk": S("ORDER#2024-01")},
       "LastEvaluatedKey of an index query")
    nxt = c.ddb.query(TableName=name, IndexName="gsi1", Limit=1,
                      ExclusiveStartKey=page["LastEvaluatedKey"],
                      KeyConditionExpression="gsi1pk = :o AND begins_with(gsi1sk, :pre)",
                      ExpressionAttributeValues={":o": S("ORG#1"), ":pre": S("ORDER#")})
    eq([i["gsi1sk"]["S"] for i in nxt["Items"]], ["ORDER#2024-02"], "the index's next page")
    sparse = c.scan_all(TableName=name, IndexName="open-orders")
    eq(unordered(sparse), unordered([
        {"pk": S("USER#1"), "sk": S("ORDER#2024-03"), "open": S("Y")},
        {"pk": S("USER#2"), "sk": S("ORDER#2024-02"), "open": S("Y")},
        {"pk": S("USER#3"), "sk": S("ORDER#2024-05"), "open": S("Y")}]),
       "a sparse KEYS_ONLY index")
    got = c.ddb.query(TableName=name, IndexName="open-orders",
                      KeyConditionExpression="#o = :y AND sk < :s",
                      ExpressionAttributeNames={"#o": "open"},
                      ExpressionAttributeValues={":y": S("Y"), ":s": S("ORDER#2024-04")},
                      ScanIndexForward=False)
    eq([i["sk"]["S"] for i in got["Items"]], ["ORDER#2024-03", "ORDER#2024-02"],
       "query of the sparse index")
    got = c.query_all(TableName=name, IndexName="titles", KeyConditionExpression="gsi1pk = :o",
                      ExpressionAttributeValues={":o": S("ORG#2")})
    eq(got, [{"pk": S("USER#3"), "sk": S("ORDER#2024-05"), "gsi1pk": S("ORG#2")}],
       "an INCLUDE index item without the included attribute")
    got = c.query_all(TableName=name, IndexName="titles", KeyConditionExpression="gsi1pk = :o",
                      ExpressionAttributeValues={":o": S("ORG#1")})
    eq(unordered(got), unordered([
        {"pk": i["pk"], "sk": i["sk"], "gsi1pk": i["gsi1pk"], **(
            {"title": i["title"]} if "title" in i else {})} for i in items[:4]]),
       "an INCLUDE index projects keys and title")
    c.ddb.delete_item(TableName=name, Key={"pk": S("USER#2"), "sk": S("ORDER#2024-02")})
    c.ddb.update_item(TableName=name, Key={"pk": S("USER#3"), "sk": S("ORDER#2024-05")},
                      UpdateExpression="REMOVE #o", ExpressionAttributeNames={"#o": "open"})
    eq(len(c.scan_all(TableName=name, IndexName="open-orders")), 1,
       "the sparse index after a delete and a REMOVE of its key")
    c.error(c.ddb.query, "ValidationException", what="ConsistentRead on a global index",
            TableName=name, IndexName="gsi1", ConsistentRead=True,
            KeyConditionExpression="gsi1pk = :o", ExpressionAttributeValues={":o": S("ORG#1")})
    c.error(c.ddb.query, "ValidationException", "specified index", what="an unknown index",
            TableName=name, IndexName="nope", KeyConditionExpression="gsi1pk = :o",
            ExpressionAttributeValues={":o": S("ORG#1")})
    c.error(c.ddb.put_item, "ValidationException", what="an index key of the wrong type",
            TableName=name, Item={"pk": S("x"), "sk": S("y"), "gsi1pk": N(1)})


@scenario
def local_secondary_index_query(c):
    """A local index: a Query by its sort key (numeric order, a range), sparse (items without
    its key are not in it), ConsistentRead allowed, LastEvaluatedKey with the table's and the
    index's keys."""
    name = c.create(range_key=("sk", "S"), attributes={"score": "N"}.items(),
                    LocalSecondaryIndexes=[
                        {"IndexName": "by-score", "KeySchema": key_schema("pk", "score"),
                         "Projection": {"ProjectionType": "ALL"}}])
    for sk, score in (("a", 30), ("b", 5), ("c", 100), ("d", None), ("e", -2)):
        item = {"pk": S("p"), "sk": S(sk)}
        if score is not None:
            item["score"] = N(score)
        c.ddb.put_item(TableName=name, Item=item)
    c.put(name, pk=S("q"), sk=S("a"), score=N(1))
    got = c.ddb.query(TableName=name, IndexName="by-score", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("p")}, ConsistentRead=True)
    eq([i["sk"]["S"] for i in got["Items"]], ["e", "b", "a", "c"], "the local index's order")
    got = c.ddb.query(TableName=name, IndexName="by-score",
                      KeyConditionExpression="pk = :p AND score BETWEEN :lo AND :hi",
                      ExpressionAttributeValues={":p": S("p"), ":lo": N(0), ":hi": N(50)},
                      Limit=1)
    eq(got["Items"], [{"pk": S("p"), "sk": S("b"), "score": N(5)}], "a range on the local index")
    eq(got.get("LastEvaluatedKey"), {"pk": S("p"), "sk": S("b"), "score": N(5)},
       "LastEvaluatedKey of a local index query")


# ---------------------------------------------------------------------------------------------
# Streams

def stream_records(c, stream_arn, want, timeout=20):
    """Every record of every shard from TRIM_HORIZON, until at least `want` arrived."""
    deadline = time.monotonic() + timeout
    records = []
    iterators = {}
    while True:
        shards = c.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in iterators:
                iterators[shard["ShardId"]] = c.streams.get_shard_iterator(
                    StreamArn=stream_arn, ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for shard_id, iterator in list(iterators.items()):
            if iterator is None:
                continue
            got = c.streams.get_records(ShardIterator=iterator)
            records += got["Records"]
            iterators[shard_id] = got.get("NextShardIterator")
        if len(records) >= want:
            return sorted(records, key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
        if time.monotonic() > deadline:
            fail("%d stream records after %d s, wanted %d: %s"
                 % (len(records), timeout, want, short([r["eventName"] for r in records])))
        time.sleep(0.2)


@scenario
def streams_read_directly(c):
    """DynamoDB Streams: ListStreams, DescribeStream (ENABLED, view type, key schema, shards),
    GetShardIterator TRIM_HORIZON and GetRecords: INSERT, MODIFY, REMOVE in order with
    NEW_AND_OLD_IMAGES; a put that changes nothing writes no record."""
    name = c.create(range_key=("sk", "N"), StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    table = c.ddb.describe_table(TableName=name)["Table"]
    arn = table["LatestStreamArn"]
    listed = c.streams.list_streams(TableName=name)["Streams"]
    eq(listed, [{"StreamArn": arn, "TableName": name, "StreamLabel": table["LatestStreamLabel"]}],
       "ListStreams(TableName)")
    check(any(s["StreamArn"] == arn for s in c.streams.list_streams(Limit=100)["Streams"]),
          "ListStreams without a table lists the stream")
    described = c.streams.describe_stream(StreamArn=arn)["StreamDescription"]
    eq(described["StreamArn"], arn, "DescribeStream StreamArn")
    eq(described["StreamStatus"], "ENABLED", "StreamStatus")
    eq(described["StreamViewType"], "NEW_AND_OLD_IMAGES", "StreamViewType")
    eq(described["TableName"], name, "DescribeStream TableName")
    eq(described["KeySchema"], key_schema("pk", "sk"), "DescribeStream KeySchema")
    check(described["Shards"] and all("ShardId" in s and "SequenceNumberRange" in s
                                      for s in described["Shards"]),
          "DescribeStream shards: %s" % short(described["Shards"]))

    key = {"pk": S("a"), "sk": N(1)}
    c.ddb.put_item(TableName=name, Item=dict(key, v=S("one")))
    c.ddb.put_item(TableName=name, Item=dict(key, v=S("one")))  # no change: no record
    c.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",
                      ExpressionAttributeValues={":v": S("two")})
    c.ddb.delete_item(TableName=name, Key=key)
    c.ddb.delete_item(TableName=name, Key=key)  # nothing to delete: no record
    records = stream_records(c, arn, 3)
    time.sleep(0.5)
    records = stream_records(c, arn, 3)
    eq([r["eventName"] for r in records], ["INSERT", "MODIFY", "REMOVE"], "eventNames")
    insert, modify, remove = (records + [{"dynamodb": {}}] * 3)[:2] + records[-1:]
    eq(insert["dynamodb"].get("NewImage"), dict(key, v=S("one")), "INSERT NewImage")
    check("OldImage" not in insert["dynamodb"], "INSERT has no OldImage")
    eq(modify["dynamodb"].get("OldImage"), dict(key, v=S("one")), "MODIFY OldImage")
    eq(modify["dynamodb"].get("NewImage"), dict(key, v=S("two")), "MODIFY NewImage")
    eq(remove["dynamodb"].get("OldImage"), dict(key, v=S("two")), "REMOVE OldImage")
    check("NewImage" not in remove["dynamodb"], "REMOVE has no NewImage")
    for r in records:
        eq(r["dynamodb"]["Keys"], key, "%s Keys" % r["eventName"])
        eq(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES", "record StreamViewType")
        eq(r.get("eventSource"), "aws:dynamodb", "eventSource")
        eq(r.get("awsRegion"), REGION, "awsRegion")
        # AWS writes "1.1" today, and says clients must not rely on the value.
        check(re.fullmatch(r"\d+\.\d+", r.get("eventVersion") or ""),
              "eventVersion: %r" % r.get("eventVersion"))
        check(r.get("eventID"), "eventID")
        check(isinstance(r["dynamodb"].get("SizeBytes"), int) and r["dynamodb"]["SizeBytes"] > 0,
              "SizeBytes: %r" % r["dynamodb"].get("SizeBytes"))
        check("ApproximateCreationDateTime" in r["dynamodb"], "ApproximateCreationDateTime")
    c.error(c.streams.describe_stream, "ResourceNotFoundException",
            what="DescribeStream of a missing stream",
            StreamArn=arn.rsplit("/stream/", 1)[0] + "x/stream/2024-01-01T00:00:00.000")


@scenario
def streams_view_types(c):
    """Each StreamViewType's images: KEYS_ONLY (Keys only), NEW_IMAGE, OLD_IMAGE."""
    for view, has_new, has_old in (("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False),
                                   ("OLD_IMAGE", False, True)):
        name = c.create(view.lower().replace("_", "-"), StreamSpecification={
            "StreamEnabled": True, "StreamViewType": view})
        arn = c.ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        c.put(name, pk=S("k"), v=N(1))
        c.put(name, pk=S("k"), v=N(2))
        records = stream_records(c, arn, 2)
        eq([r["eventName"] for r in records], ["INSERT", "MODIFY"], view + " eventNames")
        modify = records[1]["dynamodb"]
        eq(modify["Keys"], {"pk": S("k")}, view + " Keys")
        eq(modify.get("NewImage"), {"pk": S("k"), "v": N(2)} if has_new else None,
           view + " NewImage")
        eq(modify.get("OldImage"), {"pk": S("k"), "v": N(1)} if has_old else None,
           view + " OldImage")


# ---------------------------------------------------------------------------------------------
# Errors

@scenario
def missing_table_errors(c):
    """A table that does not exist: ResourceNotFoundException from every item and table call."""
    missing = c.name("missing")
    calls = [
        (c.ddb.describe_table, {"TableName": missing}),
        (c.ddb.get_item, {"TableName": missing, "Key": {"pk": S("a")}}),
        (c.ddb.put_item, {"TableName": missing, "Item": {"pk": S("a")}}),
        (c.ddb.update_item, {"TableName": missing, "Key": {"pk": S("a")},
                             "UpdateExpression": "SET v = :v",
                             "ExpressionAttributeValues": {":v": S("x")}}),
        (c.ddb.delete_item, {"TableName": missing, "Key": {"pk": S("a")}}),
        (c.ddb.query, {"TableName": missing, "KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": S("a")}}),
        (c.ddb.scan, {"TableName": missing}),
        (c.ddb.delete_table, {"TableName": missing}),
        (c.ddb.update_table, {"TableName": missing, "StreamSpecification": {
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}}),
        (c.ddb.batch_write_item, {"RequestItems": {missing: [
            {"PutRequest": {"Item": {"pk": S("a")}}}]}}),
    ]
    for call, kw in calls:
        c.error(call, "ResourceNotFoundException", "Requested resource not found",
                what="%s of a missing table" % call.__name__, **kw)


@scenario
def create_existing_table(c):
    """CreateTable of a name already taken: ResourceInUseException, the table unchanged."""
    name = c.create()
    c.put(name, pk=S("kept"))
    c.error(c.ddb.create_table, "ResourceInUseException", "Table already exists",
            TableName=name, KeySchema=key_schema("other"),
            AttributeDefinitions=definitions(other="N"), BillingMode="PAY_PER_REQUEST")
    eq(c.get(name, pk=S("kept")), {"pk": S("kept")}, "the existing table's item")


@scenario
def validation_errors(c):
    """ValidationException for: a key not matching the schema (wrong name, wrong type, a
    missing or extra key attribute), an empty string key value, an unused
    ExpressionAttributeValues or ExpressionAttributeNames entry, an undefined placeholder, a
    syntax error, an update of a key attribute, a value with two types, an empty set."""
    name = c.create(range_key=("sk", "N"))
    c.put(name, pk=S("a"), sk=N(1), v=S("x"))
    schema = "The provided key element does not match the schema"
    for key, what in (({"pk": S("a")}, "a missing sort key"),
                      ({"pk": S("a"), "sk": S("1")}, "a sort key of the wrong type"),
                      ({"id": S("a"), "sk": N(1)}, "a wrong key name"),
                      ({"pk": S("a"), "sk": N(1), "v": S("x")}, "an extra attribute")):
        c.error(c.ddb.get_item, "ValidationException", schema, what="GetItem with " + what,
                TableName=name, Key=key)
    c.error(c.ddb.delete_item, "ValidationException", schema, what="DeleteItem, wrong type",
            TableName=name, Key={"pk": N(1), "sk": N(1)})
    c.error(c.ddb.put_item, "ValidationException", what="PutItem without the sort key",
            TableName=name, Item={"pk": S("a"), "v": S("x")})
    c.error(c.ddb.put_item, "ValidationException", "empty string",
            what="PutItem with an empty string key", TableName=name,
            Item={"pk": S(""), "sk": N(1)})
    c.error(c.ddb.get_item, "ValidationException", "empty string",
            what="GetItem with an empty string key", TableName=name,
            Key={"pk": S(""), "sk": N(1)})
    c.error(c.ddb.put_item, "ValidationException",
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
            what="an unused value", TableName=name, Item={"pk": S("a"), "sk": N(2)},
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":unused": S("x")})
    c.error(c.ddb.put_item, "ValidationException",
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
            what="an unused name", TableName=name, Item={"pk": S("a"), "sk": N(2)},
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeNames={"#unused": "x"})
    c.error(c.ddb.update_item, "ValidationException",
            "An expression attribute value used in expression is not defined; "
            "attribute value: :missing", what="an undefined value",
            TableName=name, Key={"pk": S("a"), "sk": N(1)},
            UpdateExpression="SET v = :missing")
    c.error(c.ddb.update_item, "ValidationException",
            "An expression attribute name used in the document path is not defined; "
            "attribute name: #missing", what="an undefined name",
            TableName=name, Key={"pk": S("a"), "sk": N(1)}, UpdateExpression="SET #missing = :v",
            ExpressionAttributeValues={":v": S("y")})
    c.error(c.ddb.update_item, "ValidationException",
            "Invalid UpdateExpression: Syntax error; token:", what="a syntax error",
            TableName=name, Key={"pk": S("a"), "sk": N(1)}, UpdateExpression="SET v = = :v",
            ExpressionAttributeValues={":v": S("y")})
    c.error(c.ddb.query, "ValidationException", "Invalid FilterExpression:",
            what="a syntax error in a filter", TableName=name,
            KeyConditionExpression="pk = :p", FilterExpression="v = :v AND",
            ExpressionAttributeValues={":p": S("a"), ":v": S("x")})
    c.error(c.ddb.update_item, "ValidationException",
            "Cannot update attribute pk. This attribute is part of the key",
            what="SET of the partition key", TableName=name, Key={"pk": S("a"), "sk": N(1)},
            UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": S("b")})
    c.error(c.ddb.update_item, "ValidationException",
            "Cannot update attribute sk. This attribute is part of the key",
            what="REMOVE of the sort key", TableName=name, Key={"pk": S("a"), "sk": N(1)},
            UpdateExpression="REMOVE sk")
    c.error(c.ddb.update_item, "ValidationException", "reserved keyword",
            what="a reserved word as a name", TableName=name, Key={"pk": S("a"), "sk": N(1)},
            UpdateExpression="SET status = :v", ExpressionAttributeValues={":v": S("b")})
    c.error(c.ddb.put_item, "ValidationException", what="a value with two types",
            TableName=name, Item={"pk": S("a"), "sk": N(3), "v": {"S": "x", "N": "1"}})
    c.error(c.ddb.put_item, "ValidationException", what="an empty string set",
            TableName=name, Item={"pk": S("a"), "sk": N(3), "v": {"SS": []}})
    c.error(c.ddb.put_item, "ValidationException", what="a string set with duplicates",
            TableName=name, Item={"pk": S("a"), "sk": N(3), "v": {"SS": ["x", "x"]}})
    eq(c.get(name, pk=S("a"), sk=N(1)), {"pk": S("a"), "sk": N(1), "v": S("x")},
       "the item after every refusal")


WRONG_TYPES = {"number": 7, "string": "text", "bool": True, "list": [1, "x"],
               "object": {"x": {"y": 1}}, "null": None}


def json_kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


SHAPE_KINDS = {"string": "string", "blob": "string", "integer": "number", "long": "number",
               "double": "number", "float": "number", "timestamp": "number", "boolean": "bool",
               "list": "list", "structure": "object", "map": "object"}


@scenario
def wrong_json_types(c):
    """Each top-level field of PutItem, Query, UpdateItem and CreateTable (every member of
    botocore's model) sent in a valid request, as raw JSON over HTTP, as each JSON type it is
    not: HTTP 400 with a SerializationException or ValidationException (a null stands for an
    absent field, so an optional one may be accepted), never a 5xx or a dropped connection;
    garbage bodies and an unknown operation are refused; the server still answers."""
    name = c.create(range_key=("sk", "S"))
    minimal = {
        "PutItem": lambda: {"TableName": name, "Item": {"pk": S("a"), "sk": S("b")}},
        "Query": lambda: {"TableName": name, "KeyConditionExpression": "pk = :p",
                          "ExpressionAttributeValues": {":p": S("a")}},
        "UpdateItem": lambda: {"TableName": name, "Key": {"pk": S("a"), "sk": S("b")}},
        "CreateTable": lambda: {"TableName": c.name("types%d" % len(c.tables)),
                                "AttributeDefinitions": definitions(pk="S"),
                                "KeySchema": key_schema("pk"), "BillingMode": "PAY_PER_REQUEST"},
    }
    model = c.ddb.meta.service_model
    problems = []
    for operation, make in minimal.items():
        shape = model.operation_model(operation).input_shape
        required = set(shape.required_members)
        for field, member in shape.members.items():
            for kind, value in WRONG_TYPES.items():
                if kind == SHAPE_KINDS[member.type_name]:
                    continue
                body = dict(make(), **{field: value})
                try:
                    status, answer = c.raw(operation, body)
                except Exception as e:  # a dropped connection, a timeout
                    problems.append("%s.%s=%s: %s" % (operation, field, kind, e))
                    continue
                if operation == "CreateTable" and status == 200:
                    c.tables.append(body["TableName"])
                error = answer.get("__type", "") if isinstance(answer, dict) else ""
                refused = status == 400 and error.split("#")[-1] in (
                    "SerializationException", "ValidationException")
                if refused or (kind == "null" and field not in required and status < 500):
                    continue
                problems.append("%s.%s=%s: HTTP %s %s" % (operation, field, kind, status,
                                                          short(answer, 100)))
    for garbage in (b"", b"[]", b"not json", b'{"TableName": '):
        try:
            status, answer = c.raw("PutItem", garbage)
        except Exception as e:
            problems.append("PutItem body %r: %s" % (garbage, e))
            continue
        if status != 400:
            problems.append("PutItem body %r: HTTP %s %s" % (garbage, status, short(answer, 160)))
    status, answer = c.raw("NoSuchOperation", {})
    if status != 400 or "UnknownOperationException" not in str(answer):
        problems.append("an unknown operation: HTTP %s %s" % (status, short(answer, 160)))
    eq(c.raw("DescribeTable", {"TableName": name})[0], 200, "DescribeTable afterwards")
    if problems:
        # One entry per field: "PutItem.Limit=number,string: HTTP 200 {}" (the first answer).
        fields = {}
        for problem in problems:
            where, _, answer = problem.partition(": ")
            field, _, kind = where.partition("=")
            fields.setdefault(field, ([], answer))[0].append(kind)
        fail("%d wrong-type requests not refused as AWS refuses them, in %d fields: %s"
             % (len(problems), len(fields), "; ".join(
                 "%s=%s: %s" % (field, ",".join(kinds), short(answer, 100))
                 for field, (kinds, answer) in fields.items())))
