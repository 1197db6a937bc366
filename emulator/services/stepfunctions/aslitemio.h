#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace tarmac {

// The data side of a Distributed Map state, as pure functions of plain values: what its
// ItemReader asks of S3 and how the answer becomes items, how ItemBatcher groups the items into
// child inputs, and what ResultWriter puts back into S3 and returns. Nothing here talks to S3 or
// runs on an event loop: the executor makes the requests these plans describe and hands the
// bytes back.
//
// Errors carry Step Functions' names (AslErrors, in aslpath.h): "States.Runtime" for a path that
// selects nothing or a field the States language does not allow (a definition Step Functions would
// have refused), "States.ItemReaderFailed" for a data set that cannot be read,
// "States.ResultWriterFailed" for results that cannot be written.
//
// Known limits: Parameters only (no JSONata Arguments); InputType PARQUET is refused; MANIFEST
// reads S3 Inventory manifests whose files are CSV, gzipped as S3 Inventory writes them or
// plain (not ORC or Parquet, and not Athena manifests); the result files hold Standard child
// executions' records (Express children's records, which AWS shapes differently, are written the
// same way).

// Step Functions' ceiling for MaxItems; 0 (or no MaxItems) means no limit.
inline constexpr qint64 kAslMaxItemsCeiling = 100000000;
// Step Functions' ceiling for MaxInputBytesPerBatch, and the largest child input: 256 KiB.
inline constexpr qint64 kAslMaxInputBytesPerBatch = 262144;

// What an ItemReader reads, its Parameters evaluated against the Map state's effective input.
struct AslItemReaderPlan
{
    QString action; // "getObject" or "listObjectsV2"
    // Every evaluated parameter, for the S3 request (ExpectedBucketOwner, StartAfter, ...).
    Json parameters = Json::object();
    QString bucket;
    QString key; // getObject
    QString versionId; // getObject; empty for the current version
    QString prefix; // listObjectsV2
    QString inputType; // getObject: JSON, JSONL, CSV or MANIFEST; empty for listObjectsV2
    QString csvHeaderLocation; // CSV: FIRST_ROW (the default) or GIVEN
    QStringList csvHeaders; // CSV with GIVEN, or an inventory's fileSchema
    QString csvDelimiter; // CSV: COMMA (the default), PIPE, SEMICOLON, SPACE or TAB
    // JSON: an RFC 6901 pointer (ReaderConfig.ItemsPointer) to the array inside an object;
    // empty when the document itself is the array.
    QString itemsPointer;
    // At most this many items (MaxItems or MaxItemsPath, capped at kAslMaxItemsCeiling);
    // nullopt for no limit. A reader that reads several S3 responses (pages, inventory files)
    // counts across all of them.
    std::optional<qint64> maxItems;
    // An S3 Inventory's data file: gunzipped first when it is gzip (S3 writes `*.csv.gz`).
    bool inventoryFile = false;
};

// An ItemReader object as the definition has it: Resource "arn:aws:states:::s3:getObject" or
// "arn:aws:states:::s3:listObjectsV2" (any partition), Parameters (a payload template: ".$"
// fields are paths into `effectiveInput`, or `context` for "$$"), and ReaderConfig (InputType,
// CSVHeaderLocation, CSVHeaders, CSVDelimiter, ItemsPointer, MaxItems or MaxItemsPath).
Result<AslItemReaderPlan> aslItemReaderPlan(
    const Json &itemReader, const Json &effectiveInput, const Json &context = Json());

// The items of a getObject plan's object: a JSON array (or the array its ItemsPointer points
// at); JSON Lines, one value per non-blank line; or CSV per RFC 4180 (quoted fields may hold
// the delimiter, doubled quotes and line breaks; CRLF, LF or CR ends a record; blank lines are
// skipped), each row an object of strings keyed by the headers, a missing value "" and a
// value past the last header dropped. At most plan.maxItems items. "States.ItemReaderFailed"
// for a body that does not parse, duplicate CSV headers, or an InputType it cannot read
// (MANIFEST: see aslInventoryPlans).
Result<Json> aslReadItems(const AslItemReaderPlan &plan, const QByteArray &objectBody);

// A MANIFEST plan's object, an S3 Inventory manifest.json: one plan per data file it lists
// (getObject from the inventory's destination bucket, InputType CSV with the manifest's
// fileSchema as GIVEN headers, MaxItems carried over). The caller fetches each file and reads
// it with aslReadItems (which gunzips it), counting MaxItems across the files; each item is a row,
// {"Bucket": ..., "Key": ..., ...} as the schema names the columns. "States.ItemReaderFailed"
// for a manifest that is not one, or an inventory in ORC or Parquet.
Result<std::vector<AslItemReaderPlan>> aslInventoryPlans(
    const AslItemReaderPlan &plan, const QByteArray &manifestBody);

// A gzip member's bytes (RFC 1952; several members one after the other, as `cat a.gz b.gz`
// makes, are read as one), at most `maxBytes` of them: "States.ItemReaderFailed" for bytes
// that are not gzip, a truncated or corrupt stream, or more than `maxBytes` inflated.
Result<QByteArray> aslGunzip(QByteArrayView gzip, qint64 maxBytes = qint64(1) << 30);

// The items of one ListObjectsV2 page, and where the next page starts.
struct AslListedPage
{
    Json items = Json::array();
    // The token for the next page's request; empty when this was the last page.
    QString nextContinuationToken;
};

// One page of an S3 ListObjectsV2 answer (the XML body) as ItemReader items, at most `limit` of
// them (nullopt: all). Each object becomes {"Etag": "\"...\"", "Key": ..., "LastModified":
// epoch seconds, "Size": bytes, "StorageClass": ...}, as Step Functions lists them; keys of an
// EncodingType=url answer are decoded. "States.ItemReaderFailed" for XML that is not a
// ListBucketResult (an S3 <Error> document gives its Code and Message).
Result<AslListedPage> aslListedItems(
    const QByteArray &listObjectsV2Xml, std::optional<qint64> limit = std::nullopt);

// The child inputs an ItemBatcher makes of `items` (already through ItemSelector): an array of
// {"BatchInput": ..., "Items": [...]} ("BatchInput" only when the batcher has one; its payload
// template evaluated once against `effectiveInput`). A batch closes at MaxItemsPerBatch items,
// or before its input (the compact JSON of that object) would pass MaxInputBytesPerBatch bytes;
// each may come from a ...Path (a positive integer in the input). "States.Runtime" for a bad
// batcher or path; "States.DataLimitExceeded" for an item that alone is too large for a batch
// (AWS does not document this case; the executor's 256 KiB input limit fails the same way).
Result<Json> aslBatchItems(const Json &itemBatcher, const Json &items, const Json &effectiveInput,
    const Json &context = Json());

// What a ResultWriter asks for. Resource "arn:aws:states:::s3:putObject" with Parameters
// (Bucket, Prefix; a payload template) exports the Map Run's results to S3; WriterConfig
// (Transformation NONE | COMPACT | FLATTEN, OutputType JSON | JSONL) formats them, with or
// without the export.
struct AslResultWriterPlan
{
    bool exportToS3 = false;
    QString bucket;
    QString prefix; // as given; the keys add "/" when it has none
    // NONE (each child's record, the default when exporting), COMPACT (each child's output, the
    // default otherwise), FLATTEN (COMPACT, with array outputs spliced into the list).
    QString transformation;
    QString outputType; // JSON (one array per file, the default) or JSONL (one value per line)
};
Result<AslResultWriterPlan> aslResultWriterPlan(
    const Json &resultWriter, const Json &effectiveInput, const Json &context = Json());

// One child workflow execution of a Map Run, as the result files record it.
struct AslChildExecution
{
    QString executionArn;
    QString name;
    QString stateMachineArn; // the Map Run's: ...:stateMachine:<machine>/<map label>
    // SUCCEEDED; FAILED, TIMED_OUT or ABORTED (the FAILED files); anything else, such as
    // PENDING or RUNNING, is a child the Map Run never finished (the PENDING files).
    QString status;
    Json input;
    Json output; // SUCCEEDED
    QString error; // FAILED, TIMED_OUT, ABORTED
    QString cause;
    qint64 startDateMs = 0; // epoch milliseconds
    qint64 stopDateMs = 0;
};

// One object for the caller to put into S3.
struct AslResultObject
{
    QString key;
    QByteArray body;
};

// What aslWriteResults gives back: the objects to put, and the Map state's result.
struct AslWrittenResults
{
    QString bucket; // where the objects go
    // The result files, then "manifest.json", the last to be written: a reader that finds the
    // manifest finds every file it lists. Empty when the plan does not export.
    std::vector<AslResultObject> objects;
    // The Map state's result: {"MapRunArn": ..., "ResultWriterDetails": {"Bucket": ...,
    // "Key": ".../manifest.json"}} when exporting, else the transformed results (an array).
    Json stateResult;
};

// The objects a ResultWriter writes for a Map Run and the Map state's result. Keys are
// "<Prefix>/<map run id>/manifest.json", "SUCCEEDED_0.json", "FAILED_0.json",
// "PENDING_0.json" (the id is the last field of the Map Run ARN); a file holds the children of
// one status in the order given, and a new file (SUCCEEDED_1.json, ...) starts before one
// would pass `maxFileBytes` (AWS: 5 GB). manifest.json is {"DestinationBucket", "MapRunArn",
// "ResultFiles": {"FAILED": [...], "PENDING": [...], "SUCCEEDED": [{"Key", "Size"}]}}. A
// failed child's record is never transformed. Without the export, nothing is written and the
// result is the list of every child's entry. "States.ResultWriterFailed" when the Map Run ARN
// has no id.
Result<AslWrittenResults> aslWriteResults(const AslResultWriterPlan &plan, const QString &mapRunArn,
    const std::vector<AslChildExecution> &children,
    qint64 maxFileBytes = qint64(5) * 1000 * 1000 * 1000);

// A child's record as Transformation NONE writes it: {"ExecutionArn", "Input" (the JSON as a
// string), "InputDetails": {"Included": true}, "Name", "Output", "OutputDetails", "RedriveCount",
// "RedriveStatus", "StartDate", "StateMachineArn", "Status", "StopDate"}, with "Error" and
// "Cause" instead of the output for a child that did not succeed.
Json aslChildExecutionRecord(const AslChildExecution &child);

} // namespace tarmac
