#include "services/stepfunctions/aslitemio.h"

#include "services/stepfunctions/aslpath.h"

#include <QDateTime>
#include <QSet>
#include <QUrl>
#include <QXmlStreamReader>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tarmac {

namespace {

Error runtimeError(QString message)
{
    return makeError(QString(AslErrors::Runtime), std::move(message));
}

Error readerError(QString message)
{
    return makeError(QString(AslErrors::ItemReaderFailed), std::move(message));
}

Error writerError(QString message)
{
    return makeError(QString(AslErrors::ResultWriterFailed), std::move(message));
}

// A member of `object`, or null when `object` is not an object or has no such member: every
// read below goes through here, so no nlohmann accessor ever sees an unexpected type.
const Json *member(const Json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

std::optional<QString> stringMember(const Json &object, const char *key)
{
    const Json *v = member(object, key);
    if (!v || !v->is_string())
        return std::nullopt;
    return fromStd(v->get_ref<const std::string &>());
}

// A JSON number with no fraction (3 and 3.0, not 3.5), within qint64.
std::optional<qint64> wholeNumber(const Json &v)
{
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        return u > std::uint64_t(std::numeric_limits<qint64>::max())
            ? std::optional<qint64>()
            : std::optional<qint64>(qint64(u));
    }
    if (v.is_number_integer())
        return qint64(v.get<std::int64_t>());
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18)
            return qint64(d);
    }
    return std::nullopt;
}

// Strings from S3 objects are bytes; a JSON string must be UTF-8, so what is not becomes U+FFFD
// here rather than an exception when the item is serialized.
std::string utf8String(QByteArrayView bytes)
{
    return QString::fromUtf8(bytes).toStdString();
}

// The API action of an optimized S3 integration ARN, "arn:<partition>:states:::s3:<action>";
// empty for anything else.
QString s3Action(const QString &resource)
{
    const QStringList parts = resource.split(QLatin1Char(':'));
    if (parts.size() != 7 || parts[0] != QLatin1String("arn") || parts[1].isEmpty()
        || parts[2] != QLatin1String("states") || !parts[3].isEmpty() || !parts[4].isEmpty()
        || parts[5] != QLatin1String("s3"))
        return QString();
    return parts[6];
}

// Resource and Parameters of an ItemReader or ResultWriter: the action, and the parameters
// evaluated against the input.
struct S3Call
{
    QString action;
    Json parameters = Json::object();
};

Result<S3Call> s3Call(const Json &object, const char *field, const Json &input, const Json &context)
{
    S3Call call;
    const std::optional<QString> resource = stringMember(object, "Resource");
    if (!resource)
        return runtimeError(QStringLiteral("The field 'Resource' of %1 must be a STRING")
                                .arg(QLatin1String(field)));
    call.action = s3Action(*resource);
    if (member(object, "Arguments"))
        return runtimeError(
            QStringLiteral("%1 'Arguments' (JSONata) is not supported; use 'Parameters'")
                .arg(QLatin1String(field)));
    if (const Json *parameters = member(object, "Parameters")) {
        if (!parameters->is_object())
            return runtimeError(QStringLiteral("The field 'Parameters' of %1 must be an OBJECT")
                                    .arg(QLatin1String(field)));
        auto evaluated = applyPayloadTemplate(*parameters, input, context);
        if (!evaluated)
            return evaluated.error();
        if (!evaluated->is_object())
            return runtimeError(QStringLiteral("The Parameters of %1 must give an OBJECT")
                                    .arg(QLatin1String(field)));
        call.parameters = std::move(*evaluated);
    }
    return call;
}

const QStringList &csvDelimiterNames()
{
    static const QStringList names = {QStringLiteral("COMMA"), QStringLiteral("PIPE"),
        QStringLiteral("SEMICOLON"), QStringLiteral("SPACE"), QStringLiteral("TAB")};
    return names;
}

char csvDelimiterChar(const QString &name)
{
    if (name == QLatin1String("PIPE"))
        return '|';
    if (name == QLatin1String("SEMICOLON"))
        return ';';
    if (name == QLatin1String("SPACE"))
        return ' ';
    if (name == QLatin1String("TAB"))
        return '\t';
    return ',';
}

// ReaderConfig.MaxItems or MaxItemsPath: nullopt for no limit.
Result<std::optional<qint64>> maxItems(
    const Json &readerConfig, const Json &input, const Json &context)
{
    const Json *fixed = member(readerConfig, "MaxItems");
    const Json *path = member(readerConfig, "MaxItemsPath");
    if (fixed && path)
        return runtimeError(
            QStringLiteral("ReaderConfig cannot have both 'MaxItems' and 'MaxItemsPath'"));
    qint64 value = 0;
    if (fixed) {
        const std::optional<qint64> n = wholeNumber(*fixed);
        if (!n || *n < 0 || *n > kAslMaxItemsCeiling)
            return runtimeError(QStringLiteral("The value for the field 'MaxItems' must be an "
                                               "integer from 0 to %1")
                                    .arg(kAslMaxItemsCeiling));
        value = *n;
    } else if (path) {
        if (!path->is_string())
            return runtimeError(
                QStringLiteral("The value for the field 'MaxItemsPath' must be a STRING"));
        const QString text = fromStd(path->get_ref<const std::string &>());
        auto selected = selectReferencePath(text, input, context);
        if (!selected)
            return selected.error();
        const std::optional<qint64> n = wholeNumber(*selected);
        if (!n)
            return readerError(QStringLiteral("The MaxItemsPath field refers to value '%1' "
                                              "which is not a valid integer: %2")
                                   .arg(aslJsonText(*selected), text));
        if (*n < 0)
            return readerError(QStringLiteral("field MaxItems must be positive"));
        value = std::min(*n, kAslMaxItemsCeiling);
    }
    return value == 0 ? std::optional<qint64>() : std::optional<qint64>(value);
}

bool validItemsPointer(const QString &pointer)
{
    if (pointer.isEmpty())
        return true;
    if (!pointer.startsWith(QLatin1Char('/')))
        return false;
    for (qsizetype i = 0; i < pointer.size(); ++i) {
        if (pointer[i] == QLatin1Char('~')
            && (i + 1 >= pointer.size()
                || (pointer[i + 1] != QLatin1Char('0') && pointer[i + 1] != QLatin1Char('1'))))
            return false;
    }
    return true;
}

Result<void> readReaderConfig(
    AslItemReaderPlan &plan, const Json &config, const Json &input, const Json &context)
{
    if (!config.is_object())
        return runtimeError(QStringLiteral("The value for the field 'ReaderConfig' must be an "
                                           "OBJECT"));
    for (const char *key :
        {"InputType", "CSVHeaderLocation", "CSVDelimiter", "ItemsPointer", "Transformation"}) {
        const Json *v = member(config, key);
        if (v && !v->is_string())
            return runtimeError(QStringLiteral("The value for the field '%1' must be a STRING")
                                    .arg(QLatin1String(key)));
    }
    const bool listing = plan.action == QLatin1String("listObjectsV2");
    const QString transformation = stringMember(config, "Transformation").value_or(QString());
    if (!transformation.isEmpty() && transformation != QLatin1String("NONE"))
        return runtimeError(QStringLiteral("ReaderConfig Transformation '%1' is not supported")
                                .arg(transformation));

    const QString inputType = stringMember(config, "InputType").value_or(QString());
    if (listing) {
        if (!inputType.isEmpty())
            return runtimeError(
                QStringLiteral("InputType is only allowed with arn:aws:states:::s3:getObject"));
    } else if (inputType.isEmpty()) {
        return runtimeError(QStringLiteral("An ItemReader with arn:aws:states:::s3:getObject "
                                           "needs ReaderConfig.InputType"));
    } else if (inputType == QLatin1String("PARQUET")) {
        return readerError(QStringLiteral("InputType PARQUET is not supported by Tarmac"));
    } else if (inputType != QLatin1String("JSON") && inputType != QLatin1String("JSONL")
        && inputType != QLatin1String("CSV") && inputType != QLatin1String("MANIFEST")) {
        return runtimeError(QStringLiteral("The value for the field 'InputType' must be one of "
                                           "CSV, JSON, JSONL, PARQUET, MANIFEST, not '%1'")
                                .arg(inputType));
    }
    plan.inputType = inputType;

    const bool csv = inputType == QLatin1String("CSV");
    const std::optional<QString> location = stringMember(config, "CSVHeaderLocation");
    const Json *headers = member(config, "CSVHeaders");
    const std::optional<QString> delimiter = stringMember(config, "CSVDelimiter");
    if (!csv && (location || headers || delimiter))
        return runtimeError(QStringLiteral("CSVHeaderLocation, CSVHeaders and CSVDelimiter are "
                                           "only allowed with InputType CSV"));
    if (csv) {
        plan.csvHeaderLocation = location.value_or(QStringLiteral("FIRST_ROW"));
        if (plan.csvHeaderLocation != QLatin1String("FIRST_ROW")
            && plan.csvHeaderLocation != QLatin1String("GIVEN"))
            return runtimeError(QStringLiteral("The value for the field 'CSVHeaderLocation' must "
                                               "be FIRST_ROW or GIVEN, not '%1'")
                                    .arg(plan.csvHeaderLocation));
        const bool given = plan.csvHeaderLocation == QLatin1String("GIVEN");
        if (given != (headers != nullptr))
            return runtimeError(given ? QStringLiteral("CSVHeaderLocation GIVEN needs CSVHeaders")
                                      : QStringLiteral("CSVHeaders is only allowed with "
                                                       "CSVHeaderLocation GIVEN"));
        if (headers) {
            if (!headers->is_array() || headers->empty())
                return runtimeError(QStringLiteral("The value for the field 'CSVHeaders' must be "
                                                   "a non-empty array of strings"));
            for (const Json &h : *headers) {
                if (!h.is_string())
                    return runtimeError(QStringLiteral("The value for the field 'CSVHeaders' "
                                                       "must be a non-empty array of strings"));
                plan.csvHeaders.append(fromStd(h.get_ref<const std::string &>()));
            }
        }
        plan.csvDelimiter = delimiter.value_or(QStringLiteral("COMMA"));
        if (!csvDelimiterNames().contains(plan.csvDelimiter))
            return runtimeError(QStringLiteral("The value for the field 'CSVDelimiter' must be "
                                               "one of COMMA, PIPE, SEMICOLON, SPACE, TAB, not "
                                               "'%1'")
                                    .arg(plan.csvDelimiter));
    }

    if (const std::optional<QString> pointer = stringMember(config, "ItemsPointer")) {
        if (inputType != QLatin1String("JSON"))
            return runtimeError(QStringLiteral("ItemsPointer is only allowed with InputType JSON"));
        if (!validItemsPointer(*pointer))
            return runtimeError(
                QStringLiteral("ItemsPointer '%1' is not a JSON pointer").arg(*pointer));
        plan.itemsPointer = *pointer;
    }

    auto limit = maxItems(config, input, context);
    if (!limit)
        return limit.error();
    plan.maxItems = *limit;
    return {};
}

QString objectName(const AslItemReaderPlan &plan)
{
    return QStringLiteral("s3://%1/%2").arg(plan.bucket, plan.key);
}

bool reachedLimit(const Json &items, const std::optional<qint64> &limit)
{
    return limit && qint64(items.size()) >= *limit;
}

// The value an RFC 6901 pointer names, or null when a step finds nothing.
const Json *followPointer(const Json &document, const QString &pointer)
{
    const Json *at = &document;
    if (pointer.isEmpty())
        return at;
    const QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
    for (QString token : tokens) {
        token.replace(QLatin1String("~1"), QLatin1String("/"));
        token.replace(QLatin1String("~0"), QLatin1String("~"));
        if (at->is_object()) {
            const auto it = at->find(token.toStdString());
            if (it == at->end())
                return nullptr;
            at = &*it;
        } else if (at->is_array()) {
            // Digits only, without leading zeros.
            const bool canonical = !token.isEmpty()
                && std::all_of(token.begin(), token.end(), [](QChar c) { return c.isDigit(); })
                && (token.size() == 1 || !token.startsWith(QLatin1Char('0')));
            bool ok = false;
            const qsizetype index = canonical ? token.toLongLong(&ok) : -1;
            if (!ok || index >= qsizetype(at->size()))
                return nullptr;
            at = &(*at)[size_t(index)];
        } else {
            return nullptr;
        }
    }
    return at;
}

Result<Json> readJson(const AslItemReaderPlan &plan, QByteArrayView body)
{
    auto document = parseJson(std::string_view(body.data(), size_t(body.size())));
    if (!document)
        return readerError(QStringLiteral("The object %1 is not valid JSON").arg(objectName(plan)));
    const Json *items = followPointer(*document, plan.itemsPointer);
    if (!items)
        return readerError(QStringLiteral("ItemsPointer '%1' does not point at a value in %2")
                               .arg(plan.itemsPointer, objectName(plan)));
    if (!items->is_array())
        return readerError(plan.itemsPointer.isEmpty()
                ? QStringLiteral("The object %1 does not hold a JSON array").arg(objectName(plan))
                : QStringLiteral("ItemsPointer '%1' does not point at an array in %2")
                      .arg(plan.itemsPointer, objectName(plan)));
    if (!plan.maxItems || qint64(items->size()) <= *plan.maxItems)
        return *items;
    Json first = Json::array();
    for (const Json &item : *items) {
        if (reachedLimit(first, plan.maxItems))
            break;
        first.push_back(item);
    }
    return first;
}

Result<Json> readJsonLines(const AslItemReaderPlan &plan, QByteArrayView body)
{
    Json items = Json::array();
    qsizetype start = 0;
    qint64 line = 0;
    while (start < body.size() && !reachedLimit(items, plan.maxItems)) {
        qsizetype end = body.indexOf('\n', start);
        if (end < 0)
            end = body.size();
        ++line;
        const QByteArrayView text = body.sliced(start, end - start).trimmed();
        start = end + 1;
        if (text.isEmpty())
            continue;
        auto value = parseJson(std::string_view(text.data(), size_t(text.size())));
        if (!value)
            return readerError(
                QStringLiteral("Line %1 of %2 is not valid JSON").arg(line).arg(objectName(plan)));
        items.push_back(std::move(*value));
    }
    return items;
}

// RFC 4180 records, one at a time, over bytes: the delimiter and the quote are ASCII, so a field
// is cut out whole before it is decoded.
class CsvReader
{
public:
    CsvReader(QByteArrayView data, char delimiter)
        : m_data(data)
        , m_delimiter(delimiter)
    { }

    enum class Status { Record, Blank, End, Malformed };

    // The next record's fields. Blank for an empty line, Malformed (with error()) for a quote
    // that never closes or text after a closing quote.
    Status next(QList<QByteArray> &fields)
    {
        fields.clear();
        if (m_pos >= m_data.size())
            return Status::End;
        m_recordLine = m_line;
        bool blank = true;
        while (true) {
            QByteArray field;
            if (m_pos < m_data.size() && m_data[m_pos] == '"') {
                blank = false;
                const qint64 opened = m_line;
                ++m_pos;
                while (true) {
                    if (m_pos >= m_data.size()) {
                        m_error = QStringLiteral("a quoted field opened on line %1 does not close")
                                      .arg(opened);
                        return Status::Malformed;
                    }
                    const char c = m_data[m_pos];
                    if (c == '"') {
                        if (m_pos + 1 < m_data.size() && m_data[m_pos + 1] == '"') {
                            field.append('"');
                            m_pos += 2;
                            continue;
                        }
                        ++m_pos;
                        break;
                    }
                    if (c == '\n' || (c == '\r' && !nextIs(m_pos + 1, '\n')))
                        ++m_line;
                    field.append(c);
                    ++m_pos;
                }
                if (m_pos < m_data.size() && m_data[m_pos] != m_delimiter && m_data[m_pos] != '\r'
                    && m_data[m_pos] != '\n') {
                    m_error = QStringLiteral("line %1 has text after a closing quote").arg(m_line);
                    return Status::Malformed;
                }
            } else {
                const qsizetype begin = m_pos;
                while (m_pos < m_data.size() && m_data[m_pos] != m_delimiter
                    && m_data[m_pos] != '\r' && m_data[m_pos] != '\n')
                    ++m_pos;
                field = m_data.sliced(begin, m_pos - begin).toByteArray();
                if (!field.isEmpty())
                    blank = false;
            }
            fields.append(field);
            if (m_pos >= m_data.size())
                break;
            const char c = m_data[m_pos];
            if (c == m_delimiter) {
                blank = false;
                ++m_pos;
                continue;
            }
            m_pos += (c == '\r' && nextIs(m_pos + 1, '\n')) ? 2 : 1;
            ++m_line;
            break;
        }
        return blank ? Status::Blank : Status::Record;
    }

    qint64 recordLine() const { return m_recordLine; }
    QString error() const { return m_error; }

private:
    bool nextIs(qsizetype at, char c) const { return at < m_data.size() && m_data[at] == c; }

    QByteArrayView m_data;
    char m_delimiter;
    qsizetype m_pos = 0;
    qint64 m_line = 1;
    qint64 m_recordLine = 1;
    QString m_error;
};

Result<Json> readCsv(const AslItemReaderPlan &plan, QByteArrayView body)
{
    CsvReader reader(body, csvDelimiterChar(plan.csvDelimiter));
    QStringList headers = plan.csvHeaders;
    const bool headerRow = plan.csvHeaderLocation != QLatin1String("GIVEN");
    std::vector<std::string> keys;
    bool haveHeaders = false;
    const auto takeHeaders = [&]() -> Result<void> {
        if (QSet<QString>(headers.begin(), headers.end()).size() != headers.size())
            return readerError(QStringLiteral("CSV headers cannot contain duplicates."));
        for (const QString &h : std::as_const(headers))
            keys.push_back(h.toStdString());
        haveHeaders = true;
        return {};
    };
    if (!headerRow) {
        if (headers.isEmpty())
            return runtimeError(QStringLiteral("CSVHeaderLocation GIVEN needs CSVHeaders"));
        if (auto ok = takeHeaders(); !ok)
            return ok.error();
    }

    Json items = Json::array();
    QList<QByteArray> fields;
    while (!reachedLimit(items, plan.maxItems)) {
        const CsvReader::Status status = reader.next(fields);
        if (status == CsvReader::Status::End)
            break;
        if (status == CsvReader::Status::Malformed)
            return readerError(QStringLiteral("The object %1 is not valid CSV: %2")
                                   .arg(objectName(plan), reader.error()));
        if (status == CsvReader::Status::Blank)
            continue;
        if (!haveHeaders) {
            headers.clear();
            for (const QByteArray &f : std::as_const(fields))
                headers.append(QString::fromUtf8(f));
            if (auto ok = takeHeaders(); !ok)
                return ok.error();
            continue;
        }
        Json item = Json::object();
        for (size_t i = 0; i < keys.size(); ++i)
            item[keys[i]]
                = i < size_t(fields.size()) ? utf8String(fields[qsizetype(i)]) : std::string();
        items.push_back(std::move(item));
    }
    return items;
}

} // namespace

Result<AslItemReaderPlan> aslItemReaderPlan(
    const Json &itemReader, const Json &effectiveInput, const Json &context)
{
    if (!itemReader.is_object())
        return runtimeError(QStringLiteral("The value for the field 'ItemReader' must be an "
                                           "OBJECT"));
    auto call = s3Call(itemReader, "ItemReader", effectiveInput, context);
    if (!call)
        return call.error();
    AslItemReaderPlan plan;
    plan.action = call->action;
    if (plan.action != QLatin1String("getObject") && plan.action != QLatin1String("listObjectsV2"))
        return runtimeError(QStringLiteral("An ItemReader's Resource must be "
                                           "arn:aws:states:::s3:getObject or "
                                           "arn:aws:states:::s3:listObjectsV2, not '%1'")
                                .arg(stringMember(itemReader, "Resource").value_or(QString())));
    plan.parameters = std::move(call->parameters);

    const bool listing = plan.action == QLatin1String("listObjectsV2");
    const std::optional<QString> bucket = stringMember(plan.parameters, "Bucket");
    if (!bucket || bucket->isEmpty())
        return readerError(QStringLiteral("The ItemReader's Parameters need a Bucket (a "
                                          "non-empty string), got %1")
                               .arg(aslJsonText(plan.parameters)));
    plan.bucket = *bucket;
    for (const char *key : {"Key", "VersionId", "Prefix"}) {
        const Json *v = member(plan.parameters, key);
        if (v && !v->is_string())
            return readerError(QStringLiteral("The ItemReader's parameter '%1' must be a string, "
                                              "got %2")
                                   .arg(QLatin1String(key), aslJsonText(*v)));
    }
    if (listing) {
        plan.prefix = stringMember(plan.parameters, "Prefix").value_or(QString());
    } else {
        const std::optional<QString> key = stringMember(plan.parameters, "Key");
        if (!key || key->isEmpty())
            return readerError(QStringLiteral("The ItemReader's Parameters need a Key (a "
                                              "non-empty string), got %1")
                                   .arg(aslJsonText(plan.parameters)));
        plan.key = *key;
        plan.versionId = stringMember(plan.parameters, "VersionId").value_or(QString());
    }

    if (const Json *config = member(itemReader, "ReaderConfig")) {
        if (auto ok = readReaderConfig(plan, *config, effectiveInput, context); !ok)
            return ok.error();
    } else if (!listing) {
        return runtimeError(QStringLiteral("An ItemReader with arn:aws:states:::s3:getObject "
                                           "needs ReaderConfig.InputType"));
    }
    return plan;
}

Result<Json> aslReadItems(const AslItemReaderPlan &plan, const QByteArray &objectBody)
{
    if (plan.action != QLatin1String("getObject"))
        return runtimeError(QStringLiteral("aslReadItems reads the object of an s3:getObject "
                                           "ItemReader; listings go through aslListedItems"));
    QByteArrayView body(objectBody);
    QByteArray inflated;
    if (plan.inventoryFile && body.startsWith("\x1F\x8B")) {
        auto unzipped = aslGunzip(body);
        if (!unzipped)
            return readerError(QStringLiteral("The S3 Inventory file %1: %2")
                                   .arg(objectName(plan), unzipped.error().message));
        inflated = std::move(*unzipped);
        body = inflated;
    }
    if (body.startsWith("\xEF\xBB\xBF"))
        body = body.sliced(3);
    if (plan.inputType == QLatin1String("JSON"))
        return readJson(plan, body);
    if (plan.inputType == QLatin1String("JSONL"))
        return readJsonLines(plan, body);
    if (plan.inputType == QLatin1String("CSV"))
        return readCsv(plan, body);
    if (plan.inputType == QLatin1String("MANIFEST"))
        return runtimeError(QStringLiteral("A MANIFEST is read with aslInventoryPlans, then each "
                                           "of its files with aslReadItems"));
    return readerError(
        QStringLiteral("InputType '%1' is not supported by Tarmac").arg(plan.inputType));
}

Result<std::vector<AslItemReaderPlan>> aslInventoryPlans(
    const AslItemReaderPlan &plan, const QByteArray &manifestBody)
{
    if (plan.inputType != QLatin1String("MANIFEST"))
        return runtimeError(QStringLiteral("aslInventoryPlans reads the object of an ItemReader "
                                           "with InputType MANIFEST"));
    auto manifest = parseJson(manifestBody);
    if (!manifest || !manifest->is_object())
        return readerError(QStringLiteral("The object %1 is not an S3 Inventory manifest (a JSON "
                                          "object)")
                               .arg(objectName(plan)));
    const std::optional<QString> destination = stringMember(*manifest, "destinationBucket");
    const std::optional<QString> format = stringMember(*manifest, "fileFormat");
    const std::optional<QString> schema = stringMember(*manifest, "fileSchema");
    const Json *files = member(*manifest, "files");
    if (!destination || !format || !schema || !files || !files->is_array())
        return readerError(QStringLiteral("The S3 Inventory manifest %1 needs destinationBucket, "
                                          "fileFormat, fileSchema and files")
                               .arg(objectName(plan)));
    if (format->compare(QLatin1String("CSV"), Qt::CaseInsensitive) != 0)
        return readerError(QStringLiteral("The S3 Inventory %1 is in %2; Tarmac reads CSV "
                                          "inventories only")
                               .arg(objectName(plan), *format));
    // "arn:aws:s3:::bucket", or a bare name.
    QString bucket = *destination;
    if (bucket.startsWith(QLatin1String("arn:")))
        bucket = bucket.section(QLatin1Char(':'), 5);
    QStringList headers;
    for (const QString &column : schema->split(QLatin1Char(',')))
        headers.append(column.trimmed());
    if (bucket.isEmpty() || headers.contains(QString()))
        return readerError(QStringLiteral("The S3 Inventory manifest %1 has an empty "
                                          "destinationBucket or fileSchema column")
                               .arg(objectName(plan)));

    std::vector<AslItemReaderPlan> plans;
    for (const Json &file : *files) {
        const std::optional<QString> key = stringMember(file, "key");
        if (!key || key->isEmpty())
            return readerError(QStringLiteral("A file of the S3 Inventory manifest %1 has no key")
                                   .arg(objectName(plan)));
        AslItemReaderPlan part;
        part.action = QStringLiteral("getObject");
        part.bucket = bucket;
        part.key = *key;
        part.parameters = {{"Bucket", toStd(bucket)}, {"Key", toStd(*key)}};
        part.inputType = QStringLiteral("CSV");
        part.csvHeaderLocation = QStringLiteral("GIVEN");
        part.csvHeaders = headers;
        part.csvDelimiter = QStringLiteral("COMMA");
        part.maxItems = plan.maxItems;
        part.inventoryFile = true;
        plans.push_back(std::move(part));
    }
    return plans;
}

Result<QByteArray> aslGunzip(QByteArrayView gzip, qint64 maxBytes)
{
    if (!gzip.startsWith("\x1F\x8B"))
        return readerError(QStringLiteral("not gzip"));
    z_stream z {};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return readerError(QStringLiteral("zlib did not start"));
    QByteArray out;
    char chunk[65536];
    qsizetype at = 0;
    int rc = Z_OK;
    while (at < gzip.size()) {
        const qsizetype take = std::min<qsizetype>(gzip.size() - at, 1 << 30);
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(gzip.data() + at));
        z.avail_in = uInt(take);
        do {
            z.next_out = reinterpret_cast<Bytef *>(chunk);
            z.avail_out = sizeof chunk;
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END) {
                inflateEnd(&z);
                return readerError(QStringLiteral("the gzip stream is corrupt or cut short"));
            }
            out.append(chunk, qsizetype(sizeof chunk - z.avail_out));
            if (out.size() > maxBytes) {
                inflateEnd(&z);
                return readerError(
                    QStringLiteral("it inflates to more than %1 bytes").arg(maxBytes));
            }
        } while (z.avail_out == 0 && rc != Z_STREAM_END);
        at += take - qsizetype(z.avail_in);
        if (rc == Z_STREAM_END) {
            // Another member may follow (concatenated gzip files read as one).
            if (at < gzip.size() && gzip.sliced(at).startsWith("\x1F\x8B")) {
                inflateReset(&z);
                continue;
            }
            break;
        }
        if (z.avail_in == 0 && at >= gzip.size())
            break;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return readerError(QStringLiteral("the gzip stream is cut short"));
    return out;
}

Result<AslListedPage> aslListedItems(
    const QByteArray &listObjectsV2Xml, std::optional<qint64> limit)
{
    QXmlStreamReader xml(listObjectsV2Xml);
    if (!xml.readNextStartElement())
        return readerError(QStringLiteral("The ListObjectsV2 answer is not XML: %1")
                               .arg(xml.hasError() ? xml.errorString() : QStringLiteral("empty")));
    if (xml.name() == QLatin1String("Error")) {
        QString code;
        QString message;
        while (xml.readNextStartElement()) {
            if (xml.name() == QLatin1String("Code"))
                code = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            else if (xml.name() == QLatin1String("Message"))
                message = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            else
                xml.skipCurrentElement();
        }
        return readerError(QStringLiteral("S3 ListObjectsV2 failed: %1: %2").arg(code, message));
    }
    if (xml.name() != QLatin1String("ListBucketResult"))
        return readerError(QStringLiteral("The ListObjectsV2 answer is a <%1>, not a "
                                          "<ListBucketResult>")
                               .arg(xml.name().toString()));

    AslListedPage page;
    bool urlEncoded = false;
    bool truncated = false;
    std::vector<QStringList> contents; // Key, LastModified, ETag, Size, StorageClass
    while (xml.readNextStartElement()) {
        const QStringView name = xml.name();
        if (name == QLatin1String("Contents")) {
            QStringList object(5);
            while (xml.readNextStartElement()) {
                static const QStringList fields = {QStringLiteral("Key"),
                    QStringLiteral("LastModified"), QStringLiteral("ETag"), QStringLiteral("Size"),
                    QStringLiteral("StorageClass")};
                const qsizetype at = fields.indexOf(xml.name().toString());
                if (at < 0)
                    xml.skipCurrentElement();
                else
                    object[at] = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            }
            contents.push_back(std::move(object));
        } else if (name == QLatin1String("NextContinuationToken")) {
            page.nextContinuationToken
                = xml.readElementText(QXmlStreamReader::IncludeChildElements);
        } else if (name == QLatin1String("IsTruncated")) {
            truncated = xml.readElementText(QXmlStreamReader::IncludeChildElements)
                == QLatin1String("true");
        } else if (name == QLatin1String("EncodingType")) {
            urlEncoded = xml.readElementText(QXmlStreamReader::IncludeChildElements)
                == QLatin1String("url");
        } else {
            xml.skipCurrentElement();
        }
    }
    if (xml.hasError())
        return readerError(
            QStringLiteral("The ListObjectsV2 answer is not well-formed XML: %1 (line %2)")
                .arg(xml.errorString())
                .arg(xml.lineNumber()));
    if (!truncated)
        page.nextContinuationToken.clear();

    for (const QStringList &object : contents) {
        if (limit && qint64(page.items.size()) >= *limit)
            break;
        QString key = object[0];
        if (urlEncoded)
            key = QUrl::fromPercentEncoding(key.toUtf8());
        const QDateTime modified = QDateTime::fromString(object[1], Qt::ISODateWithMs);
        bool sizeOk = false;
        const qint64 size = object[3].toLongLong(&sizeOk);
        if (key.isEmpty() || !modified.isValid() || !sizeOk || size < 0)
            return readerError(QStringLiteral("The ListObjectsV2 answer has an object without a "
                                              "valid Key, LastModified and Size ('%1')")
                                   .arg(key));
        page.items.push_back({{"Etag", toStd(object[2])}, {"Key", toStd(key)},
            {"LastModified", modified.toSecsSinceEpoch()}, {"Size", size},
            {"StorageClass", toStd(object[4].isEmpty() ? QStringLiteral("STANDARD") : object[4])}});
    }
    return page;
}

namespace {

// MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path): nullopt when neither is given.
Result<std::optional<qint64>> batchLimit(const Json &batcher, const char *field,
    const char *pathField, qint64 ceiling, const Json &input, const Json &context)
{
    const Json *fixed = member(batcher, field);
    const Json *path = member(batcher, pathField);
    if (fixed && path)
        return runtimeError(QStringLiteral("ItemBatcher cannot have both '%1' and '%2'")
                                .arg(QLatin1String(field), QLatin1String(pathField)));
    if (!fixed && !path)
        return std::optional<qint64>();
    const QString range = ceiling > 0 ? QStringLiteral("an integer from 1 to %1").arg(ceiling)
                                      : QStringLiteral("a positive integer");
    const auto inRange = [&](const std::optional<qint64> &n) {
        return n && *n >= 1 && (ceiling <= 0 || *n <= ceiling);
    };
    if (fixed) {
        const std::optional<qint64> n = wholeNumber(*fixed);
        if (!inRange(n))
            return runtimeError(QStringLiteral("The value for the field '%1' must be %2")
                                    .arg(QLatin1String(field), range));
        return n;
    }
    if (!path->is_string())
        return runtimeError(QStringLiteral("The value for the field '%1' must be a STRING")
                                .arg(QLatin1String(pathField)));
    const QString text = fromStd(path->get_ref<const std::string &>());
    auto selected = selectReferencePath(text, input, context);
    if (!selected)
        return selected.error();
    const std::optional<qint64> n = wholeNumber(*selected);
    if (!inRange(n))
        return runtimeError(
            QStringLiteral("The %1 field refers to value '%2' which is not %3: %4")
                .arg(QLatin1String(pathField), aslJsonText(*selected), range, text));
    return n;
}

qint64 compactSize(const Json &value)
{
    return toJsonBytes(value).size();
}

} // namespace

Result<Json> aslBatchItems(
    const Json &itemBatcher, const Json &items, const Json &effectiveInput, const Json &context)
{
    if (!itemBatcher.is_object())
        return runtimeError(QStringLiteral("The value for the field 'ItemBatcher' must be an "
                                           "OBJECT"));
    if (!items.is_array())
        return runtimeError(
            QStringLiteral("The items to batch must be an array, got %1").arg(aslJsonText(items)));
    auto maxItems = batchLimit(
        itemBatcher, "MaxItemsPerBatch", "MaxItemsPerBatchPath", 0, effectiveInput, context);
    if (!maxItems)
        return maxItems.error();
    auto maxBytes = batchLimit(itemBatcher, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath",
        kAslMaxInputBytesPerBatch, effectiveInput, context);
    if (!maxBytes)
        return maxBytes.error();
    if (!*maxItems && !*maxBytes)
        return runtimeError(QStringLiteral("ItemBatcher needs MaxItemsPerBatch, "
                                           "MaxItemsPerBatchPath, MaxInputBytesPerBatch or "
                                           "MaxInputBytesPerBatchPath"));

    Json batchInput;
    const Json *batchTemplate = member(itemBatcher, "BatchInput");
    if (batchTemplate) {
        if (!batchTemplate->is_object())
            return runtimeError(
                QStringLiteral("The value for the field 'BatchInput' must be an OBJECT"));
        auto evaluated = applyPayloadTemplate(*batchTemplate, effectiveInput, context);
        if (!evaluated)
            return evaluated.error();
        batchInput = std::move(*evaluated);
    }
    const auto emptyBatch = [&] {
        Json batch = Json::object();
        if (batchTemplate)
            batch["BatchInput"] = batchInput;
        batch["Items"] = Json::array();
        return batch;
    };
    // A batch's input is {"BatchInput":...,"Items":[a,b]}: the empty batch's bytes, each item's,
    // and a comma between items.
    const qint64 emptySize = compactSize(emptyBatch());

    Json batches = Json::array();
    Json batch = emptyBatch();
    qint64 batchSize = emptySize;
    for (const Json &item : items) {
        const qint64 itemSize = *maxBytes ? compactSize(item) : 0;
        if (*maxBytes && emptySize + itemSize > **maxBytes)
            return makeError(QString(AslErrors::DataLimitExceeded),
                QStringLiteral("An item of %1 bytes does not fit in a batch of at most %2 bytes "
                               "(MaxInputBytesPerBatch)")
                    .arg(itemSize)
                    .arg(**maxBytes));
        Json &batchItems = batch["Items"];
        const qint64 count = qint64(batchItems.size());
        const bool full = (*maxItems && count >= **maxItems)
            || (*maxBytes && count > 0 && batchSize + 1 + itemSize > **maxBytes);
        if (full) {
            batches.push_back(std::move(batch));
            batch = emptyBatch();
            batchSize = emptySize;
        }
        Json &into = batch["Items"];
        batchSize += itemSize + (into.empty() ? 0 : 1);
        into.push_back(item);
    }
    if (!batch["Items"].empty())
        batches.push_back(std::move(batch));
    return batches;
}

Result<AslResultWriterPlan> aslResultWriterPlan(
    const Json &resultWriter, const Json &effectiveInput, const Json &context)
{
    if (!resultWriter.is_object())
        return runtimeError(QStringLiteral("The value for the field 'ResultWriter' must be an "
                                           "OBJECT"));
    AslResultWriterPlan plan;
    const bool hasResource = member(resultWriter, "Resource") != nullptr;
    const bool hasParameters = member(resultWriter, "Parameters") != nullptr;
    const Json *config = member(resultWriter, "WriterConfig");
    if (hasResource != hasParameters)
        return runtimeError(QStringLiteral("A ResultWriter needs both Resource and Parameters, "
                                           "or neither"));
    if (!hasResource && !config)
        return runtimeError(QStringLiteral("A ResultWriter needs Resource and Parameters, "
                                           "WriterConfig, or all three"));
    if (hasResource) {
        auto call = s3Call(resultWriter, "ResultWriter", effectiveInput, context);
        if (!call)
            return call.error();
        if (call->action != QLatin1String("putObject"))
            return runtimeError(
                QStringLiteral("A ResultWriter's Resource must be "
                               "arn:aws:states:::s3:putObject, not '%1'")
                    .arg(stringMember(resultWriter, "Resource").value_or(QString())));
        const std::optional<QString> bucket = stringMember(call->parameters, "Bucket");
        if (!bucket || bucket->isEmpty())
            return writerError(QStringLiteral("The ResultWriter's Parameters need a Bucket (a "
                                              "non-empty string), got %1")
                                   .arg(aslJsonText(call->parameters)));
        const Json *prefix = member(call->parameters, "Prefix");
        if (prefix && !prefix->is_string())
            return writerError(
                QStringLiteral("The ResultWriter's parameter 'Prefix' must be a string, got %1")
                    .arg(aslJsonText(*prefix)));
        plan.exportToS3 = true;
        plan.bucket = *bucket;
        plan.prefix = stringMember(call->parameters, "Prefix").value_or(QString());
    }
    plan.transformation = plan.exportToS3 ? QStringLiteral("NONE") : QStringLiteral("COMPACT");
    plan.outputType = QStringLiteral("JSON");
    if (config) {
        if (!config->is_object())
            return runtimeError(
                QStringLiteral("The value for the field 'WriterConfig' must be an OBJECT"));
        const Json *transformation = member(*config, "Transformation");
        const Json *outputType = member(*config, "OutputType");
        if ((transformation && !transformation->is_string())
            || (outputType && !outputType->is_string()))
            return runtimeError(QStringLiteral("WriterConfig's Transformation and OutputType "
                                               "must be STRINGs"));
        if (transformation)
            plan.transformation = fromStd(transformation->get_ref<const std::string &>());
        if (outputType)
            plan.outputType = fromStd(outputType->get_ref<const std::string &>());
        if (plan.transformation != QLatin1String("NONE")
            && plan.transformation != QLatin1String("COMPACT")
            && plan.transformation != QLatin1String("FLATTEN"))
            return runtimeError(QStringLiteral("WriterConfig's Transformation must be NONE, "
                                               "COMPACT or FLATTEN, not '%1'")
                                    .arg(plan.transformation));
        if (plan.outputType != QLatin1String("JSON") && plan.outputType != QLatin1String("JSONL"))
            return runtimeError(
                QStringLiteral("WriterConfig's OutputType must be JSON or JSONL, not '%1'")
                    .arg(plan.outputType));
    }
    return plan;
}

namespace {

QString isoDate(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

enum class Bucket { Succeeded, Failed, Pending };

Bucket bucketOf(const QString &status)
{
    if (status == QLatin1String("SUCCEEDED"))
        return Bucket::Succeeded;
    if (status == QLatin1String("FAILED") || status == QLatin1String("TIMED_OUT")
        || status == QLatin1String("ABORTED"))
        return Bucket::Failed;
    return Bucket::Pending;
}

// A child's entries in the results: its record, or (COMPACT, FLATTEN) its output, or for
// FLATTEN the elements of an array output.
void appendResult(Json &into, const AslChildExecution &child, const QString &transformation)
{
    if (bucketOf(child.status) != Bucket::Succeeded || transformation == QLatin1String("NONE")) {
        into.push_back(aslChildExecutionRecord(child));
    } else if (transformation == QLatin1String("FLATTEN") && child.output.is_array()) {
        for (const Json &element : child.output)
            into.push_back(element);
    } else {
        into.push_back(child.output);
    }
}

} // namespace

Json aslChildExecutionRecord(const AslChildExecution &child)
{
    const Bucket bucket = bucketOf(child.status);
    Json record = {{"ExecutionArn", toStd(child.executionArn)},
        {"Input", toJsonBytes(child.input).toStdString()}, {"InputDetails", {{"Included", true}}},
        {"Name", toStd(child.name)}, {"RedriveCount", 0},
        {"StartDate", toStd(isoDate(child.startDateMs))},
        {"StateMachineArn", toStd(child.stateMachineArn)}, {"Status", toStd(child.status)}};
    if (bucket != Bucket::Pending)
        record["StopDate"] = toStd(isoDate(child.stopDateMs));
    if (bucket == Bucket::Succeeded) {
        record["Output"] = toJsonBytes(child.output).toStdString();
        record["OutputDetails"] = {{"Included", true}};
    } else {
        if (!child.error.isEmpty())
            record["Error"] = toStd(child.error);
        if (!child.cause.isEmpty())
            record["Cause"] = toStd(child.cause);
    }
    if (bucket == Bucket::Failed) {
        record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN";
    } else {
        record["RedriveStatus"] = "NOT_REDRIVABLE";
        record["RedriveStatusReason"]
            = toStd(QStringLiteral("Execution is %1 and cannot be redriven").arg(child.status));
    }
    return record;
}

Result<AslWrittenResults> aslWriteResults(const AslResultWriterPlan &plan, const QString &mapRunArn,
    const std::vector<AslChildExecution> &children, qint64 maxFileBytes)
{
    AslWrittenResults written;
    if (!plan.exportToS3) {
        Json results = Json::array();
        for (const AslChildExecution &child : children)
            appendResult(results, child, plan.transformation);
        written.stateResult = std::move(results);
        return written;
    }

    const QString runId = mapRunArn.section(QLatin1Char(':'), -1);
    if (!mapRunArn.startsWith(QLatin1String("arn:")) || runId.isEmpty())
        return writerError(QStringLiteral("'%1' is not a Map Run ARN").arg(mapRunArn));
    QString folder = plan.prefix;
    if (!folder.isEmpty() && !folder.endsWith(QLatin1Char('/')))
        folder += QLatin1Char('/');
    folder += runId + QLatin1Char('/');
    written.bucket = plan.bucket;

    const bool lines = plan.outputType == QLatin1String("JSONL");
    Json manifestFiles = Json::object();
    const std::pair<Bucket, const char *> groups[] = {
        {Bucket::Failed, "FAILED"}, {Bucket::Pending, "PENDING"}, {Bucket::Succeeded, "SUCCEEDED"}};
    for (const auto &named : groups) {
        // Not a structured binding: clang 14 cannot capture one in the lambda below.
        const Bucket group = named.first;
        const char *const name = named.second;
        Json listed = Json::array();
        QByteArray body;
        int files = 0;
        const auto flush = [&] {
            if (body.isEmpty())
                return;
            if (!lines)
                body = '[' + body + ']';
            const QString key = folder + QLatin1String(name) + QLatin1Char('_')
                + QString::number(files++) + QStringLiteral(".json");
            listed.push_back({{"Key", toStd(key)}, {"Size", qint64(body.size())}});
            written.objects.push_back({key, body});
            body.clear();
        };
        Json entries = Json::array();
        for (const AslChildExecution &child : children) {
            if (bucketOf(child.status) == group)
                appendResult(entries, child, plan.transformation);
        }
        for (const Json &entry : entries) {
            const QByteArray text = toJsonBytes(entry);
            // The file's size with this entry: JSON Lines ends each entry with a newline; a JSON
            // array adds its brackets and a comma before every entry but the first.
            const qint64 grown = body.size() + text.size() + (lines ? 1 : 3);
            if (!body.isEmpty() && grown > maxFileBytes)
                flush();
            if (!body.isEmpty() && !lines)
                body += ',';
            body += text;
            if (lines)
                body += '\n';
        }
        flush();
        manifestFiles[name] = std::move(listed);
    }

    const QString manifestKey = folder + QStringLiteral("manifest.json");
    const Json manifest = {{"DestinationBucket", toStd(plan.bucket)},
        {"MapRunArn", toStd(mapRunArn)}, {"ResultFiles", std::move(manifestFiles)}};
    written.objects.push_back({manifestKey, toJsonBytes(manifest)});
    written.stateResult = {{"MapRunArn", toStd(mapRunArn)},
        {"ResultWriterDetails", {{"Bucket", toStd(plan.bucket)}, {"Key", toStd(manifestKey)}}}};
    return written;
}

} // namespace tarmac
