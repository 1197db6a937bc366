"""The demo app (fixtures/demo) tested with pytest and the Tarmac plugin: an upload is summarised,
indexed and counted; the HTTP API reads the summaries; every test starts from the same seeded
state (a snapshot restored before it); faults make S3 throttle and a delivery repeat; settle
names what it waits for.

    TARMAC_BIN=build/bin/tarmac python3 -m pytest tests/e2e/testkit/pytest_demo

One Tarmac serves the whole run (the fixture's scope is the session unless --tarmac-scope says
otherwise); boto3 finds it through AWS_ENDPOINT_URL, which the fixture sets.
"""
import json

import botocore.config
import pytest
from botocore.exceptions import ClientError

from pytest_tarmac import TarmacNotSettled, tarmac_scope

UPLOADS = "demo-uploads"
SUMMARIES = "demo-summaries"
STATS = "demo-stats"

SEED_KEY = "notes/seed.txt"
SEED = b"the quick brown fox\njumps over the lazy dog\n"  # 2 lines, 9 words


@pytest.fixture(scope=tarmac_scope)
def seeded(tarmac):
    """Once per Tarmac: one upload through the whole pipeline, then a snapshot of that state."""
    tarmac.client("s3").put_object(Bucket=UPLOADS, Key=SEED_KEY, Body=SEED)
    tarmac.settle()
    tarmac.snapshot("seeded")
    return "seeded"


@pytest.fixture(autouse=True)
def fresh(tarmac, seeded):
    """Before each test: back to the seeded state, whatever the previous test left."""
    tarmac.restore(seeded)
    yield
    # Faults and held deliveries are not part of the state a snapshot restores.
    tarmac.faults.clear()
    tarmac.dispatch.clear()


@pytest.fixture
def s3(tarmac):
    return tarmac.client("s3")


def keys(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def stats(tarmac):
    item = tarmac.client("dynamodb").get_item(TableName=STATS, Key={"name": {"S": "notes"}}).get("Item")
    return {"notes": int(item["notes"]["N"]), "words": int(item["words"]["N"])} if item else None


def test_upload_is_summarised(tarmac, s3):
    s3.put_object(Bucket=UPLOADS, Key="notes/a.txt", Body=b"hello world\nhello tarmac\n")
    tarmac.settle()
    assert "(25 bytes)" in tarmac.wait_for_log("summarised s3://demo-uploads/notes/a.txt")
    summary = s3.get_object(Bucket=SUMMARIES, Key="summaries/notes/a.txt.txt")["Body"].read().decode()
    assert "lines: 2" in summary
    assert "words: 4" in summary
    assert "top words: hello (2), world (1), tarmac (1)" in summary


def test_summary_is_indexed(tarmac, s3):
    s3.put_object(Bucket=UPLOADS, Key="notes/b.txt", Body=b"one two three")
    tarmac.settle()  # the summariser, then the indexer behind the queue
    entry = json.loads(s3.get_object(Bucket=SUMMARIES, Key="index/notes/b.txt.json")["Body"].read())
    assert entry["summary"] == "summaries/notes/b.txt.txt"
    assert entry["source"] == "s3://demo-uploads/notes/b.txt"
    assert entry["words"] == 3


def test_stats_count_every_note(tarmac, s3):
    assert stats(tarmac) == {"notes": 1, "words": 9}  # the seed's, restored
    s3.put_object(Bucket=UPLOADS, Key="notes/c.txt", Body=b"one two three")
    tarmac.settle()  # the summariser, the notes table's stream, the counter
    assert stats(tarmac) == {"notes": 2, "words": 12}


def test_http_api_uploads_and_reads_summaries(tarmac):
    status, _, body = tarmac.api_request("PUT", "/uploads/notes/api.txt", b"via the api\n")
    assert status == 202, body
    assert json.loads(body)["uploaded"] == "s3://demo-uploads/notes/api.txt"
    tarmac.settle()
    status, _, body = tarmac.api_request("GET", "/summaries")
    assert status == 200
    assert sorted(json.loads(body)) == ["notes/api.txt.txt", "notes/seed.txt.txt"]
    status, _, body = tarmac.api_request("GET", "/summaries/notes/api.txt.txt")
    assert (status, body.decode().splitlines()[:2]) == (200, ["lines: 1", "words: 3"])


def test_each_test_starts_from_the_snapshot(tarmac, s3):
    # Whatever the tests before this one uploaded is gone; the seed's results are there.
    assert keys(s3, UPLOADS) == [SEED_KEY]
    assert keys(s3, SUMMARIES) == ["index/notes/seed.txt.json", "summaries/notes/seed.txt.txt"]
    assert stats(tarmac) == {"notes": 1, "words": 9}
    assert "seeded" in tarmac.snapshots()


def test_reset_leaves_nothing_behind(tarmac, s3):
    s3.put_object(Bucket=UPLOADS, Key="notes/d.txt", Body=b"soon gone")
    tarmac.settle()
    assert tarmac.deliveries()
    tarmac.reset()
    # The template's resources exist again, empty; no delivery of before is listed.
    assert keys(s3, UPLOADS) == []
    assert keys(s3, SUMMARIES) == []
    assert stats(tarmac) is None
    assert tarmac.deliveries() == []


def test_throttled_put_is_retried_by_the_sdk(tarmac):
    """Three SlowDown answers to PutObject on the uploads bucket: a client without retries
    gets the first; boto3's standard retry mode takes the other two and succeeds."""
    fault = {"service": "s3", "operation": "PutObject", "resource": UPLOADS, "count": 3}
    with tarmac.faults.inject(fault, {"type": "error", "code": "SlowDown", "status": 503}):
        no_retries = tarmac.client("s3", config=botocore.config.Config(retries={"total_max_attempts": 1}))
        with pytest.raises(ClientError) as refused:
            no_retries.put_object(Bucket=UPLOADS, Key="notes/e.txt", Body=b"throttled at first")
        assert refused.value.response["Error"]["Code"] == "SlowDown"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

        standard = tarmac.client("s3", config=botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": 5}))
        answer = standard.put_object(Bucket=UPLOADS, Key="notes/e.txt", Body=b"throttled at first")
        assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    tarmac.settle()
    assert keys(standard, SUMMARIES, "summaries/") == ["summaries/notes/e.txt.txt", "summaries/notes/seed.txt.txt"]


def test_duplicate_delivery_is_harmless(tarmac, s3):
    """At-least-once made visible: the summariser gets the upload's event twice; the summary and
    the index entry are written (twice, the same), nothing fails."""
    decoy = tarmac.faults.add(match={"function": "NoSuchFunction"}, effect={"type": "duplicate"})
    fault = tarmac.faults.add(match={"function": "SummarizeFunction", "count": 1},
                              effect={"type": "duplicate"})
    assert {decoy, fault} <= {f["id"] for f in tarmac.faults.list()}
    tarmac.faults.remove(decoy)
    assert decoy not in {f["id"] for f in tarmac.faults.list()}

    start = tarmac.now_ns()
    s3.put_object(Bucket=UPLOADS, Key="notes/f.txt", Body=b"twice told tale")
    tarmac.settle()
    summarised = tarmac.deliveries(function="SummarizeFunction", since_ns=start)
    assert [d["status"] for d in summarised] == ["succeeded", "succeeded"]
    assert "index/notes/f.txt.json" in keys(s3, SUMMARIES, "index/")
    assert not [d for d in tarmac.deliveries(since_ns=start) if d["status"] != "succeeded"]


def test_settle_names_a_held_delivery(tarmac, s3):
    """A breakpoint holds the summariser's delivery: settle gives up after its timeout (408)
    and names it; released, the pipeline finishes."""
    tarmac.dispatch.breakpoint(function="SummarizeFunction")
    s3.put_object(Bucket=UPLOADS, Key="notes/g.txt", Body=b"held for a moment")
    held = tarmac.dispatch.wait_pending(1)[0]
    with pytest.raises(TarmacNotSettled) as waited:
        tarmac.settle(timeout_ms=300)
    busy = waited.value.busy
    assert any(b["kind"] == "held" and b["id"] == held["id"]
               and "SummarizeFunction" in (b.get("logicalId", "") + b["resource"]) for b in busy), busy
    assert "SummarizeFunction" in str(waited.value)

    tarmac.dispatch.clear()  # the breakpoint removed, the held delivery delivered
    assert tarmac.settle()["settled"] is True
    assert "summaries/notes/g.txt.txt" in keys(s3, SUMMARIES, "summaries/")


def test_one_trace_follows_the_upload(tarmac, s3):
    start = tarmac.now_ns()
    s3.put_object(Bucket=UPLOADS, Key="notes/h.txt", Body=b"traced from end to end")
    tarmac.settle()
    by_function = {d["logicalId"]: d for d in tarmac.deliveries(since_ns=start)}
    assert set(by_function) == {"SummarizeFunction", "IndexFunction", "CounterFunction"}
    trace_ids = {d["traceId"] for d in by_function.values()}
    assert len(trace_ids) == 1  # the upload's trace, carried through the queue and the stream
    spans = tarmac.spans(trace_id=trace_ids.pop())
    puts = [s["attrs"].get("url.path") for s in spans if s["name"] == "s3 PutObject"]
    assert "/demo-uploads/notes/h.txt" in puts  # the test's own request, where the trace starts
    invoked = {s["service"] for s in spans if s["name"].endswith(" invoke")}
    assert len(invoked) == 3, invoked
