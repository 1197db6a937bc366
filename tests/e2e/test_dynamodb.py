"""DynamoDB and DynamoDB Streams with the real clients: every scenario of ddb_scenarios.py
(tables, items, expressions, batches, transactions, queries and scans, indexes, numbers,
streams, the errors; the same scenarios bench/dynamodb/conformance runs against moto) with
boto3's client; boto3's resource API (Table, Key and Attr conditions, batch_writer); the aws
CLI; the AWS SDK for JavaScript v3 with its document client; each field of the wrong JSON type
on the wire; items expiring by TTL on an advanced clock, with the REMOVE record the TTL
process writes; and a stream feeding a Python function through an event-source mapping.

TARMAC_E2E_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT runs the scenarios and the client tests
against that server instead (e.g. moto_server); the tests that need Tarmac itself (its clock,
its functions) are skipped then."""
import json
import os
import shutil
import subprocess
import time
import unittest
import uuid
from decimal import Decimal

import boto3
import botocore.config
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary

import ddb_scenarios
from harness import Tarmac, boto3_client
from lambda_support import python_function, tarmac_json, wait_for

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
ENDPOINT = os.environ.get("TARMAC_E2E_DYNAMODB_ENDPOINT")


def client_env(edge):
    return dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                AWS_ENDPOINT_URL=edge)


class DynamoDbTest(unittest.TestCase):
    """One server for the scenarios and the clients: each makes tables of its own."""

    @classmethod
    def setUpClass(cls):
        cls.t = None
        if ENDPOINT:
            cls.edge = ENDPOINT
        else:
            cls.t = Tarmac().start()
            cls.edge = cls.t.edge
        cls.ddb = ddb_scenarios.client(cls.edge)

    @classmethod
    def tearDownClass(cls):
        if cls.t:
            cls.t.stop()

    def table_name(self, prefix):
        return "%s-%s" % (prefix, uuid.uuid4().hex[:8])

    def test_every_field_of_the_wrong_type(self):
        ddb_scenarios.SCENARIOS["wrong_json_types"](self.edge)
        # The server stayed up through all of it.
        self.assertIn("TableNames", self.ddb.list_tables(Limit=1))
        if self.t:
            self.assertEqual(self.t.get_json("/_tarmac/health")[1]["services"]["dynamodb"],
                             "running")

    def test_search_a_table_over_the_ide_port(self):
        """The desktop's table search, as the IDE API offers it: the table's search fields in
        its catalog entry, resources.search running Query and Scan (an index, a filter, plain
        values, order, pages with `next`), and DynamoDB's own errors."""
        if not self.t:
            self.skipTest("needs Tarmac's IDE port")
        from test_serve import ws_connect, ws_recv, ws_send_text
        name = self.table_name("search")
        self.ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("pk", "sk", "state")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "byState",
                                     "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        for i in range(25):
            self.ddb.put_item(TableName=name, Item={
                "pk": {"S": "p%d" % (i % 2)}, "sk": {"S": "%02d" % i},
                "state": {"S": "open" if i % 5 else "done"}, "n": {"N": str(i)}})
        token = open(os.path.join(self.t.state, "ide-token")).read().strip()
        s, _ = ws_connect(self.t.ide, token=token)
        self.addCleanup(s.close)

        def call(method, **params):
            ws_send_text(s, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                        "params": params}))
            return json.loads(ws_recv(s)[1])
        entry = call("resources.get", kind="table", name=name)["result"]
        fields = {f["id"]: f for f in entry["search"]}
        self.assertEqual(list(fields), ["operation", "index", "key", "filter", "values", "order"])
        self.assertEqual(fields["operation"]["choices"], ["Scan", "Query"])
        self.assertEqual(fields["index"]["choices"], [name, "byState"])

        def search(**fields_and_page):
            page = {k: fields_and_page.pop(k) for k in ("after", "max") if k in fields_and_page}
            return call("resources.search", kind="table", name=name, fields=fields_and_page,
                        **page)

        def keys(result):
            return [json.loads(i["key"])["sk"]["S"] for i in result["result"]["items"]]
        # Query, newest first, with a filter; the values are plain JSON.
        got = search(operation="Query", key="#pk = :p AND #sk BETWEEN :a AND :b",
                     filter="#n >= :min", values='{":p": "p1", ":a": "03", ":b": "15", ":min": 9}',
                     order="descending")
        self.assertEqual(keys(got), ["15", "13", "11", "09"])
        self.assertFalse(got["result"]["truncated"])
        self.assertEqual(got["result"]["items"][0]["detail"], 'n: 15, state: "done"')
        # The index (keys only), a page at a time.
        first = search(operation="Query", index="byState", key="#state = :s",
                       values='{":s": "done"}', max=3)
        self.assertEqual(len(first["result"]["items"]), 3)
        self.assertTrue(first["result"]["truncated"])
        rest = search(operation="Query", index="byState", key="#state = :s",
                      values='{":s": "done"}', max=3, after=first["result"]["next"])
        self.assertEqual(sorted(keys(first) + keys(rest)), ["00", "05", "10", "15", "20"])
        self.assertNotIn("next", rest["result"])
        # A Scan with a typed value.
        got = search(operation="Scan", filter="contains(#sk, :one)", values='{":one": {"S": "1"}}')
        self.assertEqual(sorted(keys(got)), ["01", "10", "11", "12", "13", "14", "15", "16",
                                             "17", "18", "19", "21"])
        # DynamoDB's errors, as DynamoDB words them.
        bad = search(operation="Query", key="#pk = :p", values="{}")["error"]
        self.assertEqual((bad["code"], bad["data"]["type"]), (-32000, "ValidationException"))
        self.assertIn("is not defined; attribute value: :p", bad["message"])
        bad = search(operation="Query", key="#nope = :p", values='{":p": "x"}')["error"]
        self.assertEqual(bad["data"]["type"], "ValidationException")
        bad = search(operation="Query", index="nope", key="pk = :p")["error"]
        self.assertEqual(bad["data"]["type"], "ValidationException")
        self.assertEqual(call("resources.search", kind="table", name=name,
                              fields={"bogus": "x"})["error"]["code"], -32602)
        self.assertEqual(call("resources.search", kind="table", name=name,
                              fields={"key": 5})["error"]["code"], -32602)
        self.assertEqual(call("resources.search", kind="table", name=name,
                              after=json.dumps({"pk": 1}), fields={})["error"]["data"]["type"],
                         "SerializationException")  # as DynamoDB answers such a start key
        nothing = call("resources.search", kind="queue", name="nope")["error"]
        self.assertEqual(nothing["data"]["type"], "ResourceNotFoundException")
        self.assertEqual(self.t.get_json("/_tarmac/health")[1]["status"], "ok")

    def test_boto3_resource_api(self):
        resource = boto3.resource("dynamodb", endpoint_url=self.edge, region_name="us-east-1",
                                  aws_access_key_id="test", aws_secret_access_key="test",
                                  config=botocore.config.Config(retries={"max_attempts": 1}))
        name = self.table_name("resource")
        table = resource.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        try:
            table.wait_until_exists(WaiterConfig={"Delay": 1, "MaxAttempts": 30})
            self.assertEqual(table.table_status, "ACTIVE")
            item = {"pk": "user#1", "sk": "profile", "name": "Ada", "age": 36,
                    "balance": Decimal("12.50"), "tags": {"a", "b"}, "scores": {1, 2},
                    "blob": Binary(b"\x00\xff"), "nested": {"list": [1, "two", None, True],
                                                            "map": {"deep": "x"}}}
            table.put_item(Item=item)
            got = table.get_item(Key={"pk": "user#1", "sk": "profile"}, ConsistentRead=True)["Item"]
            self.assertEqual(got, dict(item, balance=Decimal("12.5"), age=Decimal(36),
                                       scores={Decimal(1), Decimal(2)},
                                       nested={"list": [Decimal(1), "two", None, True],
                                               "map": {"deep": "x"}}))
            self.assertNotIn("Item", table.get_item(Key={"pk": "user#1", "sk": "nothing"}))
            with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for i in range(30):  # more than one BatchWriteItem's 25
                    batch.put_item(Item={"pk": "user#1", "sk": "order#%03d" % i, "total": i,
                                         "status": "open" if i % 3 else "closed"})
                batch.put_item(Item={"pk": "user#1", "sk": "order#029", "total": 290,
                                     "status": "open"})  # replaces the one before it
            orders = table.query(KeyConditionExpression=Key("pk").eq("user#1")
                                 & Key("sk").begins_with("order#"))
            self.assertEqual(orders["Count"], 30)
            self.assertEqual(orders["Items"][-1]["total"], 290)
            closed = table.query(KeyConditionExpression=Key("pk").eq("user#1")
                                 & Key("sk").between("order#000", "order#009"),
                                 FilterExpression=Attr("status").eq("closed")
                                 & Attr("total").gte(3))
            self.assertEqual([i["sk"] for i in closed["Items"]],
                             ["order#003", "order#006", "order#009"])
            self.assertEqual(closed["ScannedCount"], 10)
            newest = table.query(KeyConditionExpression=Key("pk").eq("user#1"),
                                 ScanIndexForward=False, Limit=2)
            self.assertEqual([i["sk"] for i in newest["Items"]], ["profile", "order#029"])
            self.assertEqual(newest["LastEvaluatedKey"], {"pk": "user#1", "sk": "order#029"})
            scanned = table.scan(FilterExpression=Attr("tags").contains("a")
                                 & Attr("missing").not_exists() & Attr("age").lt(40))
            self.assertEqual([i["sk"] for i in scanned["Items"]], ["profile"])
            updated = table.update_item(
                Key={"pk": "user#1", "sk": "profile"},
                UpdateExpression="SET balance = balance + :inc REMOVE nested.#m",
                ExpressionAttributeNames={"#m": "map"},
                ExpressionAttributeValues={":inc": Decimal("0.25")},
                ConditionExpression=Attr("balance").gte(0), ReturnValues="UPDATED_NEW")
            self.assertEqual(updated["Attributes"]["balance"], Decimal("12.75"))
            with self.assertRaises(resource.meta.client.exceptions.ConditionalCheckFailedException):
                table.delete_item(Key={"pk": "user#1", "sk": "profile"},
                                  ConditionExpression=Attr("age").gt(100))
            gone = table.delete_item(Key={"pk": "user#1", "sk": "profile"}, ReturnValues="ALL_OLD")
            self.assertEqual(gone["Attributes"]["nested"],
                             {"list": [Decimal(1), "two", None, True]})
        finally:
            table.delete()

    def aws(self, *args, check=True):
        r = subprocess.run(["aws", "dynamodb", *args, "--output", "json",
                            "--endpoint-url", self.edge], env=client_env(self.edge),
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else {}
        return r

    def test_aws_cli(self):
        if not shutil.which("aws"):
            self.skipTest("the aws CLI is not installed")
        name = self.table_name("cli")
        created = self.aws("create-table", "--table-name", name,
                           "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                           "AttributeName=sk,AttributeType=N",
                           "--key-schema", "AttributeName=pk,KeyType=HASH",
                           "AttributeName=sk,KeyType=RANGE", "--billing-mode", "PAY_PER_REQUEST")
        self.assertEqual(created["TableDescription"]["TableName"], name)
        try:
            self.aws("wait", "table-exists", "--table-name", name)
            self.assertIn(name, self.aws("list-tables")["TableNames"])
            for i in range(1, 6):
                self.aws("put-item", "--table-name", name, "--item", json.dumps(
                    {"pk": {"S": "cli"}, "sk": {"N": str(i)}, "v": {"S": "v%d" % i}}))
            got = self.aws("get-item", "--table-name", name, "--key",
                           '{"pk": {"S": "cli"}, "sk": {"N": "3"}}')
            self.assertEqual(got["Item"], {"pk": {"S": "cli"}, "sk": {"N": "3"}, "v": {"S": "v3"}})
            self.assertEqual(self.aws("get-item", "--table-name", name, "--key",
                                      '{"pk": {"S": "cli"}, "sk": {"N": "9"}}'), {})
            queried = self.aws("query", "--table-name", name,
                               "--key-condition-expression", "pk = :p AND sk > :s",
                               "--expression-attribute-values",
                               '{":p": {"S": "cli"}, ":s": {"N": "2"}}', "--no-scan-index-forward")
            self.assertEqual([i["sk"]["N"] for i in queried["Items"]], ["5", "4", "3"])
            # The CLI pages by itself: pages of 2 (LastEvaluatedKey -> ExclusiveStartKey).
            paged = self.aws("scan", "--table-name", name, "--page-size", "2")
            self.assertEqual(sorted(i["sk"]["N"] for i in paged["Items"]),
                             ["1", "2", "3", "4", "5"])
            first = self.aws("scan", "--table-name", name, "--max-items", "3", "--page-size", "2")
            self.assertEqual(len(first["Items"]), 3)
            rest = self.aws("scan", "--table-name", name, "--page-size", "2",
                            "--starting-token", first["NextToken"])
            self.assertEqual(len(rest["Items"]), 2)
            counted = self.aws("scan", "--table-name", name, "--select", "COUNT")
            self.assertEqual(counted["Count"], 5)
            updated = self.aws("update-item", "--table-name", name, "--key",
                               '{"pk": {"S": "cli"}, "sk": {"N": "1"}}', "--update-expression",
                               "SET v = :v ADD n :one", "--expression-attribute-values",
                               '{":v": {"S": "changed"}, ":one": {"N": "1"}}',
                               "--return-values", "ALL_NEW")
            self.assertEqual(updated["Attributes"], {"pk": {"S": "cli"}, "sk": {"N": "1"},
                                                     "v": {"S": "changed"}, "n": {"N": "1"}})
            deleted = self.aws("delete-item", "--table-name", name, "--key",
                               '{"pk": {"S": "cli"}, "sk": {"N": "1"}}',
                               "--return-values", "ALL_OLD")
            self.assertEqual(deleted["Attributes"]["v"], {"S": "changed"})
            failed = self.aws("put-item", "--table-name", name, "--item",
                              '{"pk": {"S": "cli"}, "sk": {"N": "2"}}', "--condition-expression",
                              "attribute_not_exists(pk)", check=False)
            self.assertNotEqual(failed.returncode, 0)
            self.assertIn("ConditionalCheckFailedException", failed.stderr)
            self.assertEqual(self.aws("describe-table", "--table-name", name)["Table"][
                "TableStatus"], "ACTIVE")
        finally:
            self.aws("delete-table", "--table-name", name, check=False)
        missing = self.aws("describe-table", "--table-name", name + "-never", check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("ResourceNotFoundException", missing.stderr)

    def test_javascript_sdk_v3(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "lib-dynamodb")):
            self.skipTest("run tools/install-deps --with-tests to install the JS clients")
        env = dict(os.environ, TARMAC_EDGE=self.edge, AWS_ACCESS_KEY_ID="test",
                   AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        r = subprocess.run(["node", "ddb-sdk.js"], cwd=JS_DIR, env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"^ok \d+")


def _scenario_test(run):
    def test(self):
        run(self.edge)
    test.__doc__ = (run.__doc__ or "").strip().split("\n")[0]
    return test


for _name, _run in ddb_scenarios.SCENARIOS.items():
    if _name != "wrong_json_types":  # test_every_field_of_the_wrong_type runs it
        setattr(DynamoDbTest, "test_scenario_" + _name, _scenario_test(_run))


def stream_records(streams, arn, predicate, timeout=30):
    """Every record of the stream (all shards, from TRIM_HORIZON) once predicate(records)."""
    deadline = time.monotonic() + timeout
    iterators, records = {}, []
    while True:
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in iterators:
                iterators[shard["ShardId"]] = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for shard_id, iterator in list(iterators.items()):
            if iterator:
                got = streams.get_records(ShardIterator=iterator)
                records += got["Records"]
                iterators[shard_id] = got.get("NextShardIterator")
        records.sort(key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
        if predicate(records):
            return records
        if time.monotonic() > deadline:
            raise AssertionError("stream records after %d s: %s" % (
                timeout, [(r["eventName"], r["dynamodb"].get("Keys")) for r in records]))
        time.sleep(0.2)


@unittest.skipIf(ENDPOINT, "needs Tarmac's clock")
class DynamoDbTimeToLiveTest(unittest.TestCase):
    def clock(self, action=None, body=None):
        status, state = tarmac_json(self.t, "/_tarmac/clock" + ("/" + action if action else ""),
                                    method="POST" if action else "GET", body=body, timeout=60)
        self.assertEqual(status, 200, state)
        return state

    def test_items_expire_on_an_advanced_clock(self):
        with Tarmac() as t:
            self.t = t
            ddb, streams = boto3_client(t, "dynamodb"), boto3_client(t, "dynamodbstreams")
            name = "ttl-table"
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True,
                                                  "StreamViewType": "NEW_AND_OLD_IMAGES"})
            arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": "expires"})
            try:
                now = self.clock("freeze")["nowMs"] // 1000
                items = {
                    "soon": {"pk": {"S": "soon"}, "expires": {"N": str(now + 60)}},
                    "later": {"pk": {"S": "later"}, "expires": {"N": str(now + 3600)}},
                    "never": {"pk": {"S": "never"}},
                    "text": {"pk": {"S": "text"}, "expires": {"S": str(now)}},  # not a number
                }
                for item in items.values():
                    ddb.put_item(TableName=name, Item=item)
                time.sleep(0.5)  # the frozen clock has not moved
                self.assertIn("Item", ddb.get_item(TableName=name, Key={"pk": {"S": "soon"}}))
                self.clock("advance", {"seconds": 120})
                wait_for(lambda: "Item" not in ddb.get_item(TableName=name,
                                                            Key={"pk": {"S": "soon"}}),
                         timeout=30, what="the expired item to go")
                left = sorted(i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"])
                self.assertEqual(left, ["later", "never", "text"])
                records = stream_records(streams, arn, lambda rs: any(
                    r["eventName"] == "REMOVE" for r in rs))
                self.assertEqual([r["eventName"] for r in records], ["INSERT"] * 4 + ["REMOVE"])
                removed = records[-1]
                # GetRecords' Identity shape spells its members PrincipalId and Type
                # (Lambda's events: principalId and type).
                self.assertEqual(removed["userIdentity"], {"Type": "Service",
                                                           "PrincipalId": "dynamodb.amazonaws.com"})
                self.assertEqual(removed["dynamodb"]["Keys"], {"pk": {"S": "soon"}})
                self.assertEqual(removed["dynamodb"]["OldImage"], items["soon"])
                self.assertNotIn("NewImage", removed["dynamodb"])
                for r in records[:4]:
                    self.assertNotIn("userIdentity", r)  # written by a user, not by TTL
                # A delete by a user is not the TTL process's.
                ddb.delete_item(TableName=name, Key={"pk": {"S": "never"}})
                records = stream_records(streams, arn, lambda rs: len(rs) >= 6)
                self.assertEqual(records[-1]["eventName"], "REMOVE")
                self.assertNotIn("userIdentity", records[-1])
            finally:
                self.clock("resume")


STREAM_RECORDER = """
import json
import boto3

s3 = boto3.client("s3")  # no endpoint: AWS_ENDPOINT_URL comes from the environment


def handler(event, context):
    for record in event["Records"]:
        s3.put_object(Bucket="ddb-stream-seen", Key=record["dynamodb"]["SequenceNumber"],
                      Body=json.dumps(record).encode())
    return {}
"""


@unittest.skipIf(ENDPOINT, "needs Tarmac's functions")
class DynamoDbStreamToFunctionTest(unittest.TestCase):
    def test_stream_feeds_a_python_function(self):
        with Tarmac() as t:
            ddb, lam, s3 = (boto3_client(t, s, read_timeout=60)
                            for s in ("dynamodb", "lambda", "s3"))
            python_function(self, t, "stream-recorder", STREAM_RECORDER)
            s3.create_bucket(Bucket="ddb-stream-seen")
            ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True,
                                                  "StreamViewType": "NEW_AND_OLD_IMAGES"})
            arn = ddb.describe_table(TableName="orders")["Table"]["LatestStreamArn"]
            mapping = lam.create_event_source_mapping(
                FunctionName="stream-recorder", EventSourceArn=arn,
                StartingPosition="TRIM_HORIZON", BatchSize=10)
            self.assertEqual(mapping["EventSourceArn"], arn)
            self.assertEqual(mapping["StartingPosition"], "TRIM_HORIZON")
            ddb.put_item(TableName="orders", Item={"pk": {"S": "o1"}, "status": {"S": "new"}})
            ddb.update_item(TableName="orders", Key={"pk": {"S": "o1"}},
                            UpdateExpression="SET #s = :s",
                            ExpressionAttributeNames={"#s": "status"},
                            ExpressionAttributeValues={":s": {"S": "paid"}})

            def seen():
                listed = s3.list_objects_v2(Bucket="ddb-stream-seen").get("Contents", [])
                return listed if len(listed) >= 2 else None

            listed = wait_for(seen, timeout=60, what="two records through the function")
            records = sorted(
                (json.loads(s3.get_object(Bucket="ddb-stream-seen", Key=o["Key"])["Body"].read())
                 for o in listed), key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
            self.assertEqual([r["eventName"] for r in records], ["INSERT", "MODIFY"])
            insert, modify = records
            for r in records:
                self.assertEqual(r["eventSource"], "aws:dynamodb")
                self.assertEqual(r["eventSourceARN"], arn)
                self.assertEqual(r["awsRegion"], "us-east-1")
                self.assertTrue(r["eventID"])
                self.assertRegex(r["eventVersion"], r"^\d+\.\d+$")
                self.assertEqual(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
                self.assertEqual(r["dynamodb"]["Keys"], {"pk": {"S": "o1"}})
                self.assertIsInstance(r["dynamodb"]["ApproximateCreationDateTime"], (int, float))
                self.assertGreater(r["dynamodb"]["SizeBytes"], 0)
            self.assertEqual(insert["dynamodb"]["NewImage"], {"pk": {"S": "o1"},
                                                               "status": {"S": "new"}})
            self.assertNotIn("OldImage", insert["dynamodb"])
            self.assertEqual(modify["dynamodb"]["OldImage"], {"pk": {"S": "o1"},
                                                               "status": {"S": "new"}})
            self.assertEqual(modify["dynamodb"]["NewImage"], {"pk": {"S": "o1"},
                                                               "status": {"S": "paid"}})
            got = lam.get_event_source_mapping(UUID=mapping["UUID"])
            self.assertEqual(got["State"], "Enabled")
            listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
            self.assertEqual([m["UUID"] for m in listed], [mapping["UUID"]])


if __name__ == "__main__":
    unittest.main()


@unittest.skipIf(ENDPOINT, "kills Tarmac")
class DynamoDbDurabilityTest(unittest.TestCase):
    """Every write acknowledged survives kill -9, with its index entries and stream records;
    a transaction is there whole or not at all."""

    def test_kill9_during_write_burst(self):
        import tempfile
        import threading
        tmp = tempfile.TemporaryDirectory(prefix="tarmac-ddb-kill9-")
        self.addCleanup(tmp.cleanup)
        state = os.path.join(tmp.name, "state")
        t = Tarmac(state=state).start()
        ddb = boto3_client(t, "dynamodb")
        ddb.create_table(
            TableName="burst", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                                  for a in ("pk", "sk", "g")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "byG", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        acknowledged, pairs = {}, []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n):
            client = boto3_client(t, "dynamodb")
            i = 0
            while not stop.is_set():
                pk, value = "w%d" % n, "v%05d" % i
                try:
                    if i % 5 == 4:  # a transaction of two items, both or neither
                        client.transact_write_items(TransactItems=[
                            {"Put": {"TableName": "burst", "Item": {
                                "pk": {"S": pk}, "sk": {"S": "t%05d-a" % i}, "g": {"S": "tx"}}}},
                            {"Put": {"TableName": "burst", "Item": {
                                "pk": {"S": pk}, "sk": {"S": "t%05d-b" % i}, "g": {"S": "tx"}}}}])
                        with lock:
                            pairs.append((pk, "t%05d" % i))
                    else:
                        client.put_item(TableName="burst", Item={
                            "pk": {"S": pk}, "sk": {"S": value}, "g": {"S": pk},
                            "pad": {"S": "x" * (i * 7919 % 3000)}})
                        with lock:
                            acknowledged[(pk, value)] = True
                except Exception:
                    return  # the server died under us
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for th in threads:
            th.start()
        time.sleep(2.0)
        t.kill9()
        stop.set()
        for th in threads:
            th.join(30)
        self.assertGreater(len(acknowledged), 20)
        with Tarmac(state=state) as t2:
            ddb = boto3_client(t2, "dynamodb")
            items = ddb.get_paginator("scan").paginate(TableName="burst").build_full_result()
            keys = {(i["pk"]["S"], i["sk"]["S"]) for i in items["Items"]}
            for key in acknowledged:
                self.assertIn(key, keys, "acknowledged %s lost" % (key,))
            for pk, prefix in pairs:
                self.assertIn((pk, prefix + "-a"), keys)
                self.assertIn((pk, prefix + "-b"), keys)
            halves = {(pk, sk[:-2]) for pk, sk in keys if sk.startswith("t")}
            for pk, prefix in halves:
                self.assertEqual({(pk, prefix + "-a"), (pk, prefix + "-b")} & keys,
                                 {(pk, prefix + "-a"), (pk, prefix + "-b")},
                                 "half a transaction: %s %s" % (pk, prefix))
            # The index and the stream hold exactly the committed writes.
            indexed = ddb.get_paginator("query").paginate(
                TableName="burst", IndexName="byG", KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": "tx"}}).build_full_result()
            self.assertEqual(len(indexed["Items"]), 2 * len(halves))
            streams = boto3_client(t2, "dynamodbstreams")
            arn = ddb.describe_table(TableName="burst")["Table"]["LatestStreamArn"]
            records = stream_records(streams, arn, lambda rs: len(rs) >= len(keys))
            self.assertEqual(len(records), len(keys))
            self.assertEqual({(r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["S"])
                              for r in records}, keys)
