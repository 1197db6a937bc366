#include "services/dynamodb/ddbexpression.h"

#include "services/dynamodb/ddbnumber.h"
#include "services/dynamodb/ddbvalue.h"

#include <QByteArray>

#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

// The grammar and the order of the checks are DynamoDB's as its answers show them; where the
// public record disagrees (dynalite's and Alternator's tests against DynamoDB, DynamoDB Local,
// moto), the more recent observation of DynamoDB itself wins.
namespace tarmac {

// ---- The parsed tree ----

struct DdbExprNode
{
    enum Kind { Or, And, Not, Compare, Between, In, Call, Path, Value, Arith, Paren };

    // One step of a path as written: a name, a #placeholder or a list index's digits.
    struct Part
    {
        QString text;
        bool placeholder = false;
        bool index = false;
    };

    Kind kind = Value;
    QString op; // Compare's comparator, Call's function, Arith's "+" or "-"
    std::vector<std::unique_ptr<DdbExprNode>> kids; // operands, in order
    std::vector<Part> parts; // Path, as written
    DdbPath path; // Path, resolved by the checks
    QString valueName; // Value: ":v"
    Json value; // Value: its AttributeValue, copied by the checks
    bool asCondition = false; // a Call standing as a condition
};

namespace {

using Node = DdbExprNode;
using NodePtr = std::unique_ptr<Node>;

// ---- Limits and messages ----

constexpr qsizetype kMaxExpressionBytes = 4096;
constexpr int kMaxOperators = 300;
constexpr int kMaxInOperands = 100;
constexpr int kMaxPathDepth = 32;
constexpr qint64 kMaxListIndex = std::numeric_limits<qint32>::max();
// Parentheses, NOTs and function calls nested this deep end parsing with a syntax error where
// the next level starts, which keeps the recursive descent's stack small. (4 KB of text can
// nest about 1,000 levels; DynamoDB's own limit, if any, is not documented.)
constexpr int kMaxParseNesting = 400;

const QString kMissingAttribute = QStringLiteral(
    "The provided expression refers to an attribute that does not exist in the item");
const QString kIncorrectType
    = QStringLiteral("An operand in the update expression has an incorrect data type");
const QString kInvalidPath
    = QStringLiteral("The document path provided in the update expression is invalid for update");

Error validation(const QString &message)
{
    return makeError(QStringLiteral("ValidationException"), message, 400);
}

Error invalid(DdbExpressionKind kind, const QString &message)
{
    return validation(
        QStringLiteral("Invalid ") + ddbExpressionParameter(kind) + QStringLiteral(": ") + message);
}

// ---- Reserved words ----

// The developer guide's "Reserved words in DynamoDB", in ASCII order.
constexpr const char *kReservedWords[] = {
    "ABORT",
    "ABSOLUTE",
    "ACTION",
    "ADD",
    "AFTER",
    "AGENT",
    "AGGREGATE",
    "ALL",
    "ALLOCATE",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANY",
    "ARCHIVE",
    "ARE",
    "ARRAY",
    "AS",
    "ASC",
    "ASCII",
    "ASENSITIVE",
    "ASSERTION",
    "ASYMMETRIC",
    "AT",
    "ATOMIC",
    "ATTACH",
    "ATTRIBUTE",
    "AUTH",
    "AUTHORIZATION",
    "AUTHORIZE",
    "AUTO",
    "AVG",
    "BACK",
    "BACKUP",
    "BASE",
    "BATCH",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BIT",
    "BLOB",
    "BLOCK",
    "BOOLEAN",
    "BOTH",
    "BREADTH",
    "BUCKET",
    "BULK",
    "BY",
    "BYTE",
    "CALL",
    "CALLED",
    "CALLING",
    "CAPACITY",
    "CASCADE",
    "CASCADED",
    "CASE",
    "CAST",
    "CATALOG",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "CLASS",
    "CLOB",
    "CLOSE",
    "CLUSTER",
    "CLUSTERED",
    "CLUSTERING",
    "CLUSTERS",
    "COALESCE",
    "COLLATE",
    "COLLATION",
    "COLLECTION",
    "COLUMN",
    "COLUMNS",
    "COMBINE",
    "COMMENT",
    "COMMIT",
    "COMPACT",
    "COMPILE",
    "COMPRESS",
    "CONDITION",
    "CONFLICT",
    "CONNECT",
    "CONNECTION",
    "CONSISTENCY",
    "CONSISTENT",
    "CONSTRAINT",
    "CONSTRAINTS",
    "CONSTRUCTOR",
    "CONSUMED",
    "CONTINUE",
    "CONVERT",
    "COPY",
    "CORRESPONDING",
    "COUNT",
    "COUNTER",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT",
    "CURSOR",
    "CYCLE",
    "DATA",
    "DATABASE",
    "DATE",
    "DATETIME",
    "DAY",
    "DEALLOCATE",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DEFINE",
    "DEFINED",
    "DEFINITION",
    "DELETE",
    "DELIMITED",
    "DEPTH",
    "DEREF",
    "DESC",
    "DESCRIBE",
    "DESCRIPTOR",
    "DETACH",
    "DETERMINISTIC",
    "DIAGNOSTICS",
    "DIRECTORIES",
    "DISABLE",
    "DISCONNECT",
    "DISTINCT",
    "DISTRIBUTE",
    "DO",
    "DOMAIN",
    "DOUBLE",
    "DROP",
    "DUMP",
    "DURATION",
    "DYNAMIC",
    "EACH",
    "ELEMENT",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENABLE",
    "END",
    "EQUAL",
    "EQUALS",
    "ERROR",
    "ESCAPE",
    "ESCAPED",
    "EVAL",
    "EVALUATE",
    "EXCEEDED",
    "EXCEPT",
    "EXCEPTION",
    "EXCEPTIONS",
    "EXCLUSIVE",
    "EXEC",
    "EXECUTE",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "EXPLODE",
    "EXPORT",
    "EXPRESSION",
    "EXTENDED",
    "EXTERNAL",
    "EXTRACT",
    "FAIL",
    "FALSE",
    "FAMILY",
    "FETCH",
    "FIELDS",
    "FILE",
    "FILTER",
    "FILTERING",
    "FINAL",
    "FINISH",
    "FIRST",
    "FIXED",
    "FLATTERN",
    "FLOAT",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FORMAT",
    "FORWARD",
    "FOUND",
    "FREE",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUNCTIONS",
    "GENERAL",
    "GENERATE",
    "GET",
    "GLOB",
    "GLOBAL",
    "GO",
    "GOTO",
    "GRANT",
    "GREATER",
    "GROUP",
    "GROUPING",
    "HANDLER",
    "HASH",
    "HAVE",
    "HAVING",
    "HEAP",
    "HIDDEN",
    "HOLD",
    "HOUR",
    "IDENTIFIED",
    "IDENTITY",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IMPORT",
    "IN",
    "INCLUDING",
    "INCLUSIVE",
    "INCREMENT",
    "INCREMENTAL",
    "INDEX",
    "INDEXED",
    "INDEXES",
    "INDICATOR",
    "INFINITE",
    "INITIALLY",
    "INLINE",
    "INNER",
    "INNTER",
    "INOUT",
    "INPUT",
    "INSENSITIVE",
    "INSERT",
    "INSTEAD",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "INVALIDATE",
    "IS",
    "ISOLATION",
    "ITEM",
    "ITEMS",
    "ITERATE",
    "JOIN",
    "KEY",
    "KEYS",
    "LAG",
    "LANGUAGE",
    "LARGE",
    "LAST",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LENGTH",
    "LESS",
    "LEVEL",
    "LIKE",
    "LIMIT",
    "LIMITED",
    "LINES",
    "LIST",
    "LOAD",
    "LOCAL",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCATION",
    "LOCATOR",
    "LOCK",
    "LOCKS",
    "LOG",
    "LOGED",
    "LONG",
    "LOOP",
    "LOWER",
    "MAP",
    "MATCH",
    "MATERIALIZED",
    "MAX",
    "MAXLEN",
    "MEMBER",
    "MERGE",
    "METHOD",
    "METRICS",
    "MIN",
    "MINUS",
    "MINUTE",
    "MISSING",
    "MOD",
    "MODE",
    "MODIFIES",
    "MODIFY",
    "MODULE",
    "MONTH",
    "MULTI",
    "MULTISET",
    "NAME",
    "NAMES",
    "NATIONAL",
    "NATURAL",
    "NCHAR",
    "NCLOB",
    "NEW",
    "NEXT",
    "NO",
    "NONE",
    "NOT",
    "NULL",
    "NULLIF",
    "NUMBER",
    "NUMERIC",
    "OBJECT",
    "OF",
    "OFFLINE",
    "OFFSET",
    "OLD",
    "ON",
    "ONLINE",
    "ONLY",
    "OPAQUE",
    "OPEN",
    "OPERATOR",
    "OPTION",
    "OR",
    "ORDER",
    "ORDINALITY",
    "OTHER",
    "OTHERS",
    "OUT",
    "OUTER",
    "OUTPUT",
    "OVER",
    "OVERLAPS",
    "OVERRIDE",
    "OWNER",
    "PAD",
    "PARALLEL",
    "PARAMETER",
    "PARAMETERS",
    "PARTIAL",
    "PARTITION",
    "PARTITIONED",
    "PARTITIONS",
    "PATH",
    "PERCENT",
    "PERCENTILE",
    "PERMISSION",
    "PERMISSIONS",
    "PIPE",
    "PIPELINED",
    "PLAN",
    "POOL",
    "POSITION",
    "PRECISION",
    "PREPARE",
    "PRESERVE",
    "PRIMARY",
    "PRIOR",
    "PRIVATE",
    "PRIVILEGES",
    "PROCEDURE",
    "PROCESSED",
    "PROJECT",
    "PROJECTION",
    "PROPERTY",
    "PROVISIONING",
    "PUBLIC",
    "PUT",
    "QUERY",
    "QUIT",
    "QUORUM",
    "RAISE",
    "RANDOM",
    "RANGE",
    "RANK",
    "RAW",
    "READ",
    "READS",
    "REAL",
    "REBUILD",
    "RECORD",
    "RECURSIVE",
    "REDUCE",
    "REF",
    "REFERENCE",
    "REFERENCES",
    "REFERENCING",
    "REGEXP",
    "REGION",
    "REINDEX",
    "RELATIVE",
    "RELEASE",
    "REMAINDER",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUEST",
    "RESET",
    "RESIGNAL",
    "RESOURCE",
    "RESPONSE",
    "RESTORE",
    "RESTRICT",
    "RESULT",
    "RETURN",
    "RETURNING",
    "RETURNS",
    "REVERSE",
    "REVOKE",
    "RIGHT",
    "ROLE",
    "ROLES",
    "ROLLBACK",
    "ROLLUP",
    "ROUTINE",
    "ROW",
    "ROWS",
    "RULE",
    "RULES",
    "SAMPLE",
    "SATISFIES",
    "SAVE",
    "SAVEPOINT",
    "SCAN",
    "SCHEMA",
    "SCOPE",
    "SCROLL",
    "SEARCH",
    "SECOND",
    "SECTION",
    "SEGMENT",
    "SEGMENTS",
    "SELECT",
    "SELF",
    "SEMI",
    "SENSITIVE",
    "SEPARATE",
    "SEQUENCE",
    "SERIALIZABLE",
    "SESSION",
    "SET",
    "SETS",
    "SHARD",
    "SHARE",
    "SHARED",
    "SHORT",
    "SHOW",
    "SIGNAL",
    "SIMILAR",
    "SIZE",
    "SKEWED",
    "SMALLINT",
    "SNAPSHOT",
    "SOME",
    "SOURCE",
    "SPACE",
    "SPACES",
    "SPARSE",
    "SPECIFIC",
    "SPECIFICTYPE",
    "SPLIT",
    "SQL",
    "SQLCODE",
    "SQLERROR",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "START",
    "STATE",
    "STATIC",
    "STATUS",
    "STORAGE",
    "STORE",
    "STORED",
    "STREAM",
    "STRING",
    "STRUCT",
    "STYLE",
    "SUB",
    "SUBMULTISET",
    "SUBPARTITION",
    "SUBSTRING",
    "SUBTYPE",
    "SUM",
    "SUPER",
    "SYMMETRIC",
    "SYNONYM",
    "SYSTEM",
    "TABLE",
    "TABLESAMPLE",
    "TEMP",
    "TEMPORARY",
    "TERMINATED",
    "TEXT",
    "THAN",
    "THEN",
    "THROUGHPUT",
    "TIME",
    "TIMESTAMP",
    "TIMEZONE",
    "TINYINT",
    "TO",
    "TOKEN",
    "TOTAL",
    "TOUCH",
    "TRAILING",
    "TRANSACTION",
    "TRANSFORM",
    "TRANSLATE",
    "TRANSLATION",
    "TREAT",
    "TRIGGER",
    "TRIM",
    "TRUE",
    "TRUNCATE",
    "TTL",
    "TUPLE",
    "TYPE",
    "UNDER",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNIT",
    "UNKNOWN",
    "UNLOGGED",
    "UNNEST",
    "UNPROCESSED",
    "UNSIGNED",
    "UNTIL",
    "UPDATE",
    "UPPER",
    "URL",
    "USAGE",
    "USE",
    "USER",
    "USERS",
    "USING",
    "UUID",
    "VACUUM",
    "VALUE",
    "VALUED",
    "VALUES",
    "VARCHAR",
    "VARIABLE",
    "VARIANCE",
    "VARINT",
    "VARYING",
    "VIEW",
    "VIEWS",
    "VIRTUAL",
    "VOID",
    "WAIT",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "WORK",
    "WRAPPED",
    "WRITE",
    "YEAR",
    "ZONE",
};

// ---- AttributeValues ----

// The one member of an AttributeValue: its type and its content; empty for anything else.
struct Av
{
    std::string_view type;
    const Json *content = nullptr;
};

Av av(const Json &value)
{
    if (!value.is_object() || value.size() != 1)
        return {};
    const auto it = value.begin();
    return {it.key(), &it.value()};
}

const std::string *stringContent(const Av &a)
{
    return a.content && a.content->is_string() ? &a.content->get_ref<const std::string &>()
                                               : nullptr;
}

const Json::array_t *arrayContent(const Av &a)
{
    return a.content && a.content->is_array() ? &a.content->get_ref<const Json::array_t &>()
                                              : nullptr;
}

bool isSetType(std::string_view type)
{
    return type == "SS" || type == "NS" || type == "BS";
}

QByteArray decodeBase64(const std::string &text)
{
    return QByteArray::fromBase64(QByteArray::fromRawData(text.data(), qsizetype(text.size())));
}

// A string's length as DynamoDB's size() counts it: UTF-16 code units.
qint64 utf16Length(const std::string &utf8)
{
    qint64 units = 0;
    for (const char ch : utf8) {
        const auto byte = static_cast<unsigned char>(ch);
        if ((byte & 0xC0) != 0x80)
            units += byte >= 0xF0 ? 2 : 1;
    }
    return units;
}

// size(): S in UTF-16 units, B in bytes, sets and lists in elements, maps in members; nothing
// for a number, a boolean or null.
std::optional<qint64> sizeOf(const Json &value)
{
    const Av a = av(value);
    if (a.type == "S") {
        if (const std::string *s = stringContent(a))
            return utf16Length(*s);
    } else if (a.type == "B") {
        if (const std::string *s = stringContent(a))
            return decodeBase64(*s).size();
    } else if (a.type == "M") {
        if (a.content->is_object())
            return qint64(a.content->size());
    } else if (a.type == "L" || isSetType(a.type)) {
        if (const Json::array_t *list = arrayContent(a))
            return qint64(list->size());
    }
    return std::nullopt;
}

bool sameNumber(const std::string &a, const std::string &b)
{
    const auto x = DdbNumber::parse(QString::fromStdString(a));
    const auto y = DdbNumber::parse(QString::fromStdString(b));
    return x.ok() && y.ok() && x.value().compare(y.value()) == 0;
}

// Two members of a set of the given type.
bool sameSetElement(std::string_view type, const Json &x, const Json &y)
{
    if (!x.is_string() || !y.is_string())
        return false;
    const auto &a = x.get_ref<const std::string &>();
    const auto &b = y.get_ref<const std::string &>();
    if (type == "NS")
        return a == b || sameNumber(a, b);
    if (type == "BS")
        return a == b || decodeBase64(a) == decodeBase64(b);
    return a == b;
}

bool setHas(std::string_view type, const Json::array_t &set, const Json &element)
{
    return std::any_of(set.begin(), set.end(),
        [&](const Json &member) { return sameSetElement(type, member, element); });
}

// ---- Document paths in items ----

// The value at the first `count` steps of a path, or null.
const Json *resolve(const Json &item, const DdbPath &path, size_t count)
{
    if (!item.is_object() || path.empty() || count == 0)
        return nullptr;
    const auto top = item.find(path[0].key);
    if (top == item.end())
        return nullptr;
    const Json *current = &*top;
    for (size_t i = 1; i < count; ++i) {
        const Av a = av(*current);
        if (path[i].isIndex()) {
            const Json::array_t *list = a.type == "L" ? arrayContent(a) : nullptr;
            if (!list || path[i].index >= qint64(list->size()))
                return nullptr;
            current = &(*list)[size_t(path[i].index)];
        } else {
            if (a.type != "M" || !a.content->is_object())
                return nullptr;
            const auto member = a.content->find(path[i].key);
            if (member == a.content->end())
                return nullptr;
            current = &*member;
        }
    }
    return current;
}

const Json *resolve(const Json &item, const DdbPath &path)
{
    return resolve(item, path, path.size());
}

Json *resolveMutable(Json &item, const DdbPath &path, size_t count)
{
    return const_cast<Json *>(resolve(item, path, count));
}

// Whether a path's last step fits its parent: a member of a map, an element of a list.
bool fitsParent(const Json &parent, const DdbPathElement &last)
{
    const Av a = av(parent);
    if (last.isIndex())
        return a.type == "L" && a.content->is_array();
    return a.type == "M" && a.content->is_object();
}

// Whether an update can write the path: a top-level attribute, or its parent is there and is
// a map (for a name) or a list (for an index).
bool writable(const Json &item, const DdbPath &path)
{
    if (path.size() == 1)
        return true;
    const Json *parent = resolve(item, path, path.size() - 1);
    return parent && fitsParent(*parent, path.back());
}

// ---- Tokens ----

enum class T {
    Id,
    Name,
    Value,
    Int,
    And,
    Or,
    Not,
    Between,
    In,
    Set,
    Remove,
    Add,
    Delete,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Plus,
    Minus,
    Bad,
    Eof
};

struct Token
{
    T kind;
    qsizetype start;
    qsizetype end;
};

bool isLetter(char16_t c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isDigit(char16_t c)
{
    return c >= u'0' && c <= u'9';
}

bool isWordChar(char16_t c)
{
    return isLetter(c) || isDigit(c) || c == u'_';
}

T keywordOrId(QStringView word)
{
    static constexpr std::pair<char16_t const *, T> kKeywords[] = {{u"AND", T::And}, {u"OR", T::Or},
        {u"NOT", T::Not}, {u"BETWEEN", T::Between}, {u"IN", T::In}, {u"SET", T::Set},
        {u"REMOVE", T::Remove}, {u"ADD", T::Add}, {u"DELETE", T::Delete}};
    for (const auto &[text, kind] : kKeywords) {
        if (word.compare(QStringView(text), Qt::CaseInsensitive) == 0)
            return kind;
    }
    return T::Id;
}

// DynamoDB's lexer: names start with a letter, #names and :values take letters, digits and
// underscores, a list index is 0 or digits not starting with 0, and any other character is a
// token of its own that no rule accepts.
std::vector<Token> tokenize(QStringView s)
{
    std::vector<Token> tokens;
    qsizetype i = 0;
    const qsizetype n = s.size();
    while (i < n) {
        const char16_t c = s[i].unicode();
        if (c == u' ' || c == u'\t' || c == u'\n' || c == u'\r') {
            ++i;
            continue;
        }
        const qsizetype start = i;
        T kind = T::Bad;
        if (isLetter(c)) {
            while (i < n && isWordChar(s[i].unicode()))
                ++i;
            kind = keywordOrId(s.sliced(start, i - start));
        } else if (c == u'#' || c == u':') {
            ++i;
            while (i < n && isWordChar(s[i].unicode()))
                ++i;
            kind = i == start + 1 ? T::Bad : (c == u'#' ? T::Name : T::Value);
        } else if (isDigit(c)) {
            ++i;
            if (c != u'0') {
                while (i < n && isDigit(s[i].unicode()))
                    ++i;
            }
            kind = T::Int;
        } else if (c == u'<' || c == u'>') {
            ++i;
            if (i < n && s[i] == u'=') {
                ++i;
                kind = c == u'<' ? T::Le : T::Ge;
            } else if (c == u'<' && i < n && s[i] == u'>') {
                ++i;
                kind = T::Ne;
            } else {
                kind = c == u'<' ? T::Lt : T::Gt;
            }
        } else {
            ++i;
            switch (c) {
            case u'=':
                kind = T::Eq;
                break;
            case u'(':
                kind = T::LParen;
                break;
            case u')':
                kind = T::RParen;
                break;
            case u'[':
                kind = T::LBracket;
                break;
            case u']':
                kind = T::RBracket;
                break;
            case u',':
                kind = T::Comma;
                break;
            case u'.':
                kind = T::Dot;
                break;
            case u'+':
                kind = T::Plus;
                break;
            case u'-':
                kind = T::Minus;
                break;
            default:
                if (QChar::isHighSurrogate(c) && i < n && s[i].isLowSurrogate())
                    ++i;
                break;
            }
        }
        tokens.push_back({kind, start, i});
    }
    tokens.push_back({T::Eof, n, n});
    return tokens;
}

bool isComparator(T kind)
{
    return kind == T::Eq || kind == T::Ne || kind == T::Lt || kind == T::Le || kind == T::Gt
        || kind == T::Ge;
}

// ---- Functions ----

struct FunctionInfo
{
    const char16_t *name;
    int operands;
    bool condition; // stands as a condition (attribute_exists...), not an operand (size)
    bool update; // an UpdateExpression's
};

constexpr FunctionInfo kFunctions[] = {
    {u"attribute_exists", 1, true, false},
    {u"attribute_not_exists", 1, true, false},
    {u"attribute_type", 2, true, false},
    {u"begins_with", 2, true, false},
    {u"contains", 2, true, false},
    {u"size", 1, false, false},
    {u"if_not_exists", 2, false, true},
    {u"list_append", 2, false, true},
};

const FunctionInfo *findFunction(const QString &name)
{
    for (const FunctionInfo &f : kFunctions) {
        if (name == QStringView(f.name))
            return &f;
    }
    return nullptr;
}

const Node &unwrap(const Node &node)
{
    const Node *n = &node;
    while (n->kind == Node::Paren)
        n = n->kids[0].get();
    return *n;
}

// ---- The parser ----

// Recursive descent over DynamoDB's grammar. Where it has a choice (a parenthesis opening a
// condition or an operand; an update's value in parentheses or not) it tries both and keeps
// the one that read further, so that a syntax error names the token where reading really
// stopped. Redundant parentheses, "((x))", end parsing at once: DynamoDB reports them before
// any later syntax error.
class Parser
{
public:
    struct UpdateAction
    {
        int clause = 0; // DdbUpdate::Action::Clause
        int clauseIndex = 0;
        int clauseToken = 0;
        NodePtr target;
        NodePtr value;
    };

    Parser(const QString &text)
        : m_text(text)
        , m_tokens(tokenize(text))
    { }

    NodePtr parseCondition()
    {
        NodePtr n = condition();
        if (n && !expect(T::Eof))
            return nullptr;
        return n;
    }

    bool parseUpdate(std::vector<UpdateAction> &actions)
    {
        int clauseIndex = 0;
        do {
            const T kind = peek().kind;
            const int clauseToken = m_pos;
            int clause = 0;
            if (kind == T::Set)
                clause = 0;
            else if (kind == T::Remove)
                clause = 1;
            else if (kind == T::Add)
                clause = 2;
            else if (kind == T::Delete)
                clause = 3;
            else
                return failed();
            ++m_pos;
            do {
                UpdateAction action;
                action.clause = clause;
                action.clauseIndex = clauseIndex;
                action.clauseToken = clauseToken;
                action.target = path();
                if (!action.target)
                    return false;
                if (clause == 0) {
                    if (!expect(T::Eq))
                        return false;
                    action.value = setValue();
                    if (!action.value)
                        return false;
                } else if (clause >= 2) {
                    if (!is(T::Value))
                        return failed();
                    action.value = leaf(Node::Value);
                }
                actions.push_back(std::move(action));
            } while (is(T::Comma) && (++m_pos, true));
            ++clauseIndex;
        } while (!is(T::Eof));
        return true;
    }

    bool parseProjection(std::vector<NodePtr> &paths)
    {
        do {
            NodePtr p = path();
            if (!p)
                return false;
            paths.push_back(std::move(p));
        } while (is(T::Comma) && (++m_pos, true));
        return expect(T::Eof);
    }

    // What ended parsing, without the "Invalid X: " prefix.
    QString errorMessage() const
    {
        if (m_hard)
            return *m_hard;
        const int at = std::max(0, m_failAt);
        const Token &token = m_tokens[size_t(at)];
        const qsizetype from = at > 0 ? m_tokens[size_t(at) - 1].start : 0;
        const qsizetype to
            = size_t(at) + 1 < m_tokens.size() ? m_tokens[size_t(at) + 1].end : token.end;
        return QStringLiteral("Syntax error; token: \"%1\", near: \"%2\"")
            .arg(tokenText(at), m_text.mid(from, to - from));
    }

private:
    QString tokenText(int at) const
    {
        const Token &t = m_tokens[size_t(at)];
        if (t.kind == T::Eof)
            return QStringLiteral("<EOF>");
        return m_text.mid(t.start, t.end - t.start);
    }

    const Token &peek() const { return m_tokens[std::min(size_t(m_pos), m_tokens.size() - 1)]; }
    bool is(T kind) const { return peek().kind == kind; }

    NodePtr fail()
    {
        m_failAt = m_pos;
        return nullptr;
    }
    bool failed()
    {
        m_failAt = m_pos;
        return false;
    }
    bool expect(T kind)
    {
        if (!is(kind))
            return failed();
        ++m_pos;
        return true;
    }

    // Guards the depth of the recursion; false (a syntax error here) past the limit.
    bool enter()
    {
        if (m_nesting >= kMaxParseNesting) {
            m_failAt = m_pos;
            return false;
        }
        ++m_nesting;
        return true;
    }
    void leave() { --m_nesting; }

    NodePtr leaf(Node::Kind kind)
    {
        auto n = std::make_unique<Node>();
        n->kind = kind;
        const Token &t = peek();
        if (kind == Node::Value)
            n->valueName = m_text.mid(t.start, t.end - t.start);
        ++m_pos;
        return n;
    }

    static NodePtr binary(Node::Kind kind, QString op, NodePtr a, NodePtr b)
    {
        auto n = std::make_unique<Node>();
        n->kind = kind;
        n->op = std::move(op);
        n->kids.push_back(std::move(a));
        if (b)
            n->kids.push_back(std::move(b));
        return n;
    }

    NodePtr paren(NodePtr inner)
    {
        if (inner->kind == Node::Paren) {
            m_hard = QStringLiteral("The expression has redundant parentheses;");
            return nullptr;
        }
        return binary(Node::Paren, {}, std::move(inner), nullptr);
    }

    // Tries `first`, then `second` from the same token. When both succeed, keeps the one that
    // read further (the first on a tie): "(size(a)) = :v" reads as a parenthesized condition
    // "(size(a))" first, but the comparison reads the whole. When both fail, keeps the failure
    // that read further (the first one's on a tie).
    template<typename A, typename B>
    NodePtr either(A first, B second)
    {
        const int start = m_pos;
        NodePtr n = (this->*first)();
        if (m_hard)
            return nullptr;
        if (n) {
            const int firstEnd = m_pos;
            const int firstFail = m_failAt;
            m_pos = start;
            NodePtr other = (this->*second)();
            if (other && m_pos > firstEnd)
                return other;
            m_hard.reset();
            m_pos = firstEnd;
            m_failAt = firstFail;
            return n;
        }
        const int firstFail = m_failAt;
        m_pos = start;
        n = (this->*second)();
        if (n || m_hard)
            return n;
        m_failAt = std::max(firstFail, m_failAt);
        m_pos = start;
        return nullptr;
    }

    // condition: and-condition (OR and-condition)*
    NodePtr condition()
    {
        NodePtr left = andCondition();
        while (left && is(T::Or)) {
            ++m_pos;
            NodePtr right = andCondition();
            if (!right)
                return nullptr;
            left = binary(Node::Or, {}, std::move(left), std::move(right));
        }
        return left;
    }

    NodePtr andCondition()
    {
        NodePtr left = notCondition();
        while (left && is(T::And)) {
            ++m_pos;
            NodePtr right = notCondition();
            if (!right)
                return nullptr;
            left = binary(Node::And, {}, std::move(left), std::move(right));
        }
        return left;
    }

    // NOT binds tighter than AND: "NOT a < b AND c" is "(NOT a < b) AND c".
    NodePtr notCondition()
    {
        int nots = 0;
        while (is(T::Not)) {
            if (!enter()) {
                m_nesting -= nots;
                return nullptr;
            }
            ++nots;
            ++m_pos;
        }
        NodePtr n = primary();
        m_nesting -= nots;
        for (; n && nots > 0; --nots)
            n = binary(Node::Not, {}, std::move(n), nullptr);
        return n;
    }

    // A parenthesis here opens either a condition or an operand: "(a < b) AND c", "(a) < b".
    NodePtr primary()
    {
        if (!is(T::LParen))
            return comparison();
        if (!enter())
            return nullptr;
        NodePtr n = either(&Parser::parenthesizedCondition, &Parser::comparison);
        leave();
        return n;
    }

    NodePtr parenthesizedCondition()
    {
        if (!expect(T::LParen))
            return nullptr;
        NodePtr inner = condition();
        if (!inner || !expect(T::RParen))
            return nullptr;
        return paren(std::move(inner));
    }

    // operand comparator operand | operand BETWEEN operand AND operand |
    // operand IN (operand, ...) | function(...)
    NodePtr comparison()
    {
        NodePtr a = operand();
        if (!a)
            return nullptr;
        const T kind = peek().kind;
        if (isComparator(kind)) {
            const Token &t = peek();
            QString op = m_text.mid(t.start, t.end - t.start);
            ++m_pos;
            NodePtr b = operand();
            if (!b)
                return nullptr;
            return binary(Node::Compare, std::move(op), std::move(a), std::move(b));
        }
        if (kind == T::Between) {
            ++m_pos;
            NodePtr low = operand();
            if (!low || !expect(T::And))
                return nullptr;
            NodePtr high = operand();
            if (!high)
                return nullptr;
            NodePtr n = binary(Node::Between, {}, std::move(a), std::move(low));
            n->kids.push_back(std::move(high));
            return n;
        }
        if (kind == T::In) {
            ++m_pos;
            if (!expect(T::LParen))
                return nullptr;
            NodePtr n = binary(Node::In, {}, std::move(a), nullptr);
            do {
                NodePtr item = operand();
                if (!item)
                    return nullptr;
                n->kids.push_back(std::move(item));
            } while (is(T::Comma) && (++m_pos, true));
            if (!expect(T::RParen))
                return nullptr;
            return n;
        }
        if (a->kind == Node::Call) {
            a->asCondition = true;
            return a;
        }
        return fail();
    }

    // :value | ( operand ) | function(operand, ...) | path
    NodePtr operand()
    {
        const Token &t = peek();
        if (t.kind == T::Value)
            return leaf(Node::Value);
        if (t.kind == T::LParen) {
            if (!enter())
                return nullptr;
            ++m_pos;
            NodePtr inner = operand();
            leave();
            if (!inner || !expect(T::RParen))
                return nullptr;
            return paren(std::move(inner));
        }
        if (t.kind == T::Id && size_t(m_pos) + 1 < m_tokens.size()
            && m_tokens[size_t(m_pos) + 1].kind == T::LParen)
            return call();
        if (t.kind == T::Id || t.kind == T::Name)
            return path();
        return fail();
    }

    NodePtr call()
    {
        const Token &t = peek();
        auto n = std::make_unique<Node>();
        n->kind = Node::Call;
        n->op = m_text.mid(t.start, t.end - t.start);
        m_pos += 2; // the name and "("
        if (!enter())
            return nullptr;
        do {
            NodePtr arg = operand();
            if (!arg) {
                leave();
                return nullptr;
            }
            n->kids.push_back(std::move(arg));
        } while (is(T::Comma) && (++m_pos, true));
        leave();
        if (!expect(T::RParen))
            return nullptr;
        return n;
    }

    // name-or-#name ( . name-or-#name | [ digits ] )*
    NodePtr path()
    {
        if (!is(T::Id) && !is(T::Name))
            return fail();
        auto n = std::make_unique<Node>();
        n->kind = Node::Path;
        auto addPart = [&](bool index) {
            const Token &t = peek();
            n->parts.push_back({m_text.mid(t.start, t.end - t.start), t.kind == T::Name, index});
            ++m_pos;
        };
        addPart(false);
        while (is(T::Dot) || is(T::LBracket)) {
            if (is(T::Dot)) {
                ++m_pos;
                if (!is(T::Id) && !is(T::Name))
                    return fail();
                addPart(false);
            } else {
                ++m_pos;
                if (!is(T::Int))
                    return fail();
                addPart(true);
                if (!expect(T::RBracket))
                    return nullptr;
            }
        }
        return n;
    }

    // An update's value: operand, operand + operand, operand - operand, or one of those in
    // parentheses ("SET n = (n - :one)").
    NodePtr setValue() { return either(&Parser::arithmetic, &Parser::parenthesizedArithmetic); }

    NodePtr arithmetic()
    {
        NodePtr a = operand();
        if (!a)
            return nullptr;
        if (!is(T::Plus) && !is(T::Minus))
            return a;
        QString op = is(T::Plus) ? QStringLiteral("+") : QStringLiteral("-");
        ++m_pos;
        NodePtr b = operand();
        if (!b)
            return nullptr;
        return binary(Node::Arith, std::move(op), std::move(a), std::move(b));
    }

    NodePtr parenthesizedArithmetic()
    {
        if (!expect(T::LParen))
            return nullptr;
        NodePtr inner = arithmetic();
        if (!inner || !expect(T::RParen))
            return nullptr;
        return paren(std::move(inner));
    }

    const QString &m_text;
    std::vector<Token> m_tokens;
    int m_pos = 0;
    int m_failAt = -1;
    int m_nesting = 0;
    std::optional<QString> m_hard;
};

// ---- Checks ----

QString longTypeName(const QString &type)
{
    static const std::pair<const char16_t *, const char16_t *> kNames[]
        = {{u"S", u"STRING"}, {u"N", u"NUMBER"}, {u"B", u"BINARY"}, {u"BOOL", u"BOOLEAN"},
            {u"NULL", u"NULL"}, {u"L", u"LIST"}, {u"M", u"MAP"}, {u"SS", u"STRING_SET"},
            {u"NS", u"NUMBER_SET"}, {u"BS", u"BINARY_SET"}};
    for (const auto &[shortName, longName] : kNames) {
        if (type == QStringView(shortName))
            return QString::fromUtf16(longName);
    }
    return type;
}

// A BETWEEN bound as DynamoDB prints it: "AttributeValue: {N:10}".
QString boundText(const Json &value)
{
    const Av a = av(value);
    const QString type = QString::fromUtf8(a.type.data(), qsizetype(a.type.size()));
    const std::string *s = stringContent(a);
    if (a.type == "B" && s) {
        const qsizetype n = decodeBase64(*s).size();
        return QStringLiteral("AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=%1 cap=%1]}")
            .arg(n);
    }
    const QString content = s ? QString::fromStdString(*s)
                              : QString::fromUtf8(toJsonBytes(a.content ? *a.content : Json()));
    return QStringLiteral("AttributeValue: {%1:%2}").arg(type, content);
}

// The checks of one expression, pass by pass as DynamoDB makes them: first, in the order the
// expression is written, reserved words, list indexes, function names and where functions
// stand; then the placeholders, path depths, operand counts and types.
class Checker
{
public:
    Checker(DdbExpressionKind kind, DdbExpressionContext &ctx, std::vector<DdbPath> *paths)
        : m_kind(kind)
        , m_ctx(ctx)
        , m_paths(paths)
    { }

    Error error(const QString &message) const { return invalid(m_kind, message); }

    enum class Place { Condition, Operand };

    Result<void> names(const Node &n)
    {
        if (n.kind == Node::Path) {
            for (const auto &part : n.parts) {
                if (part.placeholder && !lookupName(part.text))
                    return undefinedName(part.text);
            }
        }
        for (const auto &kid : n.kids) {
            if (auto r = names(*kid); !r.ok())
                return r;
        }
        return {};
    }

    Result<void> firstPass(const Node &n, Place place)
    {
        switch (n.kind) {
        case Node::Path:
            for (const auto &part : n.parts) {
                if (part.index) {
                    if (part.text.size() > 10 || part.text.toLongLong() > kMaxListIndex)
                        return error(QStringLiteral(
                            "List index is not within the allowable range; index: [%1]")
                                         .arg(part.text));
                } else if (!part.placeholder && ddbIsReservedWord(part.text)) {
                    return error(
                        QStringLiteral("Attribute name is a reserved keyword; reserved keyword: ")
                        + part.text);
                }
            }
            return {};
        case Node::Call: {
            const FunctionInfo *f = findFunction(n.op);
            if (!f)
                return error(QStringLiteral("Invalid function name; function: ") + n.op);
            if (m_kind == DdbExpressionKind::Update) {
                if (!f->update)
                    return error(
                        QStringLiteral(
                            "The function is not allowed in an update expression; function: ")
                        + n.op);
                // DynamoDB refuses list_append(list_append(...), ...).
                for (const auto &arg : n.kids) {
                    const Node &a = unwrap(*arg);
                    if (n.op == u"list_append" && a.kind == Node::Call && a.op == n.op)
                        return misused(n.op);
                }
            } else {
                if (f->update)
                    return error(
                        QStringLiteral(
                            "The function is not allowed in a condition expression; function: ")
                        + n.op);
                if ((place == Place::Condition) != f->condition)
                    return misused(n.op);
            }
            for (const auto &arg : n.kids) {
                if (auto r = firstPass(*arg, Place::Operand); !r.ok())
                    return r;
            }
            return {};
        }
        case Node::Paren:
            return firstPass(*n.kids[0], place);
        case Node::Or:
        case Node::And:
        case Node::Not:
            for (const auto &kid : n.kids) {
                if (auto r = firstPass(*kid, Place::Condition); !r.ok())
                    return r;
            }
            return {};
        default:
            for (const auto &kid : n.kids) {
                if (auto r = firstPass(*kid, Place::Operand); !r.ok())
                    return r;
            }
            return {};
        }
    }

    static int operators(const Node &n)
    {
        int count = 0;
        if (n.kind == Node::Compare || n.kind == Node::Between || n.kind == Node::In
            || n.kind == Node::Call || n.kind == Node::Arith)
            count = 1;
        for (const auto &kid : n.kids)
            count += operators(*kid);
        return count;
    }

    Result<void> checkOperators(int count) const
    {
        if (count > kMaxOperators)
            return error(
                QStringLiteral("The expression contains too many operators; operator count: %1")
                    .arg(count));
        return {};
    }

    // Resolves a path's #names (marking them used) and checks its depth.
    Result<void> resolvePath(Node &n)
    {
        n.path.clear();
        for (const auto &part : n.parts) {
            DdbPathElement element;
            if (part.index) {
                element.index = part.text.toLongLong();
            } else if (part.placeholder) {
                const Json *name = lookupName(part.text);
                if (!name)
                    return undefinedName(part.text);
                m_ctx.usedNames.insert(part.text);
                element.name = QString::fromStdString(name->get_ref<const std::string &>());
            } else {
                element.name = part.text;
            }
            if (!element.isIndex())
                element.key = element.name.toStdString();
            n.path.push_back(std::move(element));
        }
        if (n.path.size() > size_t(kMaxPathDepth))
            return error(
                QStringLiteral("The document path has too many nesting levels; nesting levels: %1")
                    .arg(n.path.size()));
        if (m_paths)
            m_paths->push_back(n.path);
        return {};
    }

    Result<void> secondPass(Node &n)
    {
        switch (n.kind) {
        case Node::Path:
            return resolvePath(n);
        case Node::Value: {
            const Json *value = nullptr;
            if (m_ctx.values && m_ctx.values->is_object()) {
                const auto it = m_ctx.values->find(n.valueName.toStdString());
                if (it != m_ctx.values->end())
                    value = &*it;
            }
            if (!value)
                return error(QStringLiteral("An expression attribute value used in expression is "
                                            "not defined; attribute value: ")
                    + n.valueName);
            m_ctx.usedValues.insert(n.valueName);
            n.value = *value;
            return {};
        }
        default:
            break;
        }
        for (auto &kid : n.kids) {
            if (auto r = secondPass(*kid); !r.ok())
                return r;
        }
        switch (n.kind) {
        case Node::Compare:
            if (auto r = distinct(n.op, n, 1); !r.ok())
                return r;
            if (n.op != u"=" && n.op != u"<>")
                return orderable(n.op, n, 0);
            return {};
        case Node::Between: {
            if (auto r = distinct(QStringLiteral("BETWEEN"), n, 1); !r.ok())
                return r;
            if (auto r = orderable(QStringLiteral("BETWEEN"), n, 0); !r.ok())
                return r;
            const Node &low = unwrap(*n.kids[1]);
            const Node &high = unwrap(*n.kids[2]);
            if (low.kind == Node::Value && high.kind == Node::Value) {
                const QString lowType = typeOf(low.value);
                if (lowType != typeOf(high.value))
                    return error(QStringLiteral("The BETWEEN operator requires same data type for "
                                                "lower and upper bounds; lower bound operand: %1, "
                                                "upper bound operand: %2")
                                     .arg(boundText(low.value), boundText(high.value)));
                const auto order = compareValues(low.value, high.value);
                if (order && *order > 0)
                    return error(QStringLiteral("The BETWEEN operator requires upper bound to be "
                                                "greater than or equal to lower bound; lower bound "
                                                "operand: %1, upper bound operand: %2")
                                     .arg(boundText(low.value), boundText(high.value)));
            }
            return {};
        }
        case Node::In:
            if (n.kids.size() - 1 > size_t(kMaxInOperands))
                return error(QStringLiteral("The IN operator is provided with too many operands; "
                                            "number of operands: %1")
                                 .arg(n.kids.size() - 1));
            return distinct(QStringLiteral("IN"), n, 1);
        case Node::Call:
            return checkCall(n);
        case Node::Arith:
            for (const auto &kid : n.kids) {
                const QString type = staticType(*kid);
                if (!type.isEmpty() && type != u"N")
                    return operandType(n.op, type);
            }
            return {};
        default:
            return {};
        }
    }

    Result<void> undefinedName(const QString &name) const
    {
        return error(QStringLiteral("An expression attribute name used in the document path is "
                                    "not defined; attribute name: ")
            + name);
    }

    Error operandType(const QString &op, const QString &type) const
    {
        return error(QStringLiteral("Incorrect operand type for operator or function; operator or "
                                    "function: %1, operand type: %2")
                         .arg(op, type));
    }

private:
    const Json *lookupName(const QString &placeholder) const
    {
        if (!m_ctx.names || !m_ctx.names->is_object())
            return nullptr;
        const auto it = m_ctx.names->find(placeholder.toStdString());
        if (it == m_ctx.names->end() || !it->is_string())
            return nullptr;
        return &*it;
    }

    Error misused(const QString &function) const
    {
        return error(QStringLiteral("The function is not allowed to be used this way in an "
                                    "expression; function: ")
            + function);
    }

    // The type an operand has whatever the item: a :value's, N for size(); empty for a path.
    static QString staticType(const Node &node)
    {
        const Node &n = unwrap(node);
        if (n.kind == Node::Value)
            return typeOf(n.value);
        if (n.kind == Node::Call && n.op == u"size")
            return QStringLiteral("N");
        return {};
    }

    // Ordering operators take S, N and B operands.
    Result<void> orderable(const QString &op, const Node &n, size_t from) const
    {
        for (size_t i = from; i < n.kids.size(); ++i) {
            const QString type = staticType(*n.kids[i]);
            if (!type.isEmpty() && type != u"S" && type != u"N" && type != u"B")
                return operandType(op, type);
        }
        return {};
    }

    // "a = a": the first operand, a path, may not be repeated among the others.
    Result<void> distinct(const QString &op, const Node &n, size_t from) const
    {
        const Node &first = unwrap(*n.kids[0]);
        if (first.kind != Node::Path)
            return {};
        for (size_t i = from; i < n.kids.size(); ++i) {
            const Node &other = unwrap(*n.kids[i]);
            if (other.kind == Node::Path && other.path == first.path)
                return error(QStringLiteral("The first operand must be distinct from the remaining "
                                            "operands for this operator or function; operator: "
                                            "%1, first operand: %2")
                                 .arg(op, ddbPathText(first.path)));
        }
        return {};
    }

    Result<void> checkCall(const Node &n) const
    {
        const FunctionInfo *f = findFunction(n.op);
        if (!f)
            return {};
        if (int(n.kids.size()) != f->operands)
            return error(QStringLiteral("Incorrect number of operands for operator or function; "
                                        "operator or function: %1, number of operands: %2")
                             .arg(n.op)
                             .arg(n.kids.size()));
        const bool needsPath = n.op == u"attribute_exists" || n.op == u"attribute_not_exists"
            || n.op == u"if_not_exists";
        if (needsPath && unwrap(*n.kids[0]).kind != Node::Path)
            return error(QStringLiteral("Operator or function requires a document path; operator "
                                        "or function: ")
                + n.op);
        if (n.op != u"size" && n.op != u"list_append") {
            if (auto r = distinct(n.op, n, 1); !r.ok())
                return r;
        }
        if (n.op == u"size") {
            const QString type = staticType(*n.kids[0]);
            static const QStringList kSized = {QStringLiteral("S"), QStringLiteral("B"),
                QStringLiteral("SS"), QStringLiteral("NS"), QStringLiteral("BS"),
                QStringLiteral("L"), QStringLiteral("M")};
            if (!type.isEmpty() && !kSized.contains(type))
                return operandType(n.op, type);
        } else if (n.op == u"begins_with") {
            for (const auto &arg : n.kids) {
                const QString type = staticType(*arg);
                if (!type.isEmpty() && type != u"S" && type != u"B")
                    return operandType(n.op, type);
            }
        } else if (n.op == u"list_append") {
            for (const auto &arg : n.kids) {
                const QString type = staticType(*arg);
                if (!type.isEmpty() && type != u"L")
                    return operandType(n.op, type);
            }
        } else if (n.op == u"attribute_type") {
            const Node &second = unwrap(*n.kids[1]);
            if (second.kind != Node::Value)
                return operandType(n.op,
                    second.kind == Node::Call && second.op == u"size"
                        ? QStringLiteral("N")
                        : QStringLiteral("{SS,M,DECIMAL,DOUBLESET,HDS,N,B,DICT,"
                                         "INTSET,BOOL,HD,BS,INT,DECIMALSET,NULL,"
                                         "FLOAT,FS,S,L,NS,DOUBLE}"));
            const QString type = typeOf(second.value);
            if (type != u"S")
                return operandType(n.op, type);
            const Av a = av(second.value);
            const QString name = QString::fromStdString(*stringContent(a));
            static const QStringList kTypes = {QStringLiteral("S"), QStringLiteral("N"),
                QStringLiteral("B"), QStringLiteral("SS"), QStringLiteral("NS"),
                QStringLiteral("BS"), QStringLiteral("M"), QStringLiteral("L"),
                QStringLiteral("NULL"), QStringLiteral("BOOL")};
            if (!kTypes.contains(name))
                return error(QStringLiteral("Invalid attribute type name found; type: %1, valid "
                                            "types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}")
                                 .arg(name));
        }
        return {};
    }

    DdbExpressionKind m_kind;
    DdbExpressionContext &m_ctx;
    std::vector<DdbPath> *m_paths;
};

// The empty expression and the 4 KB limit, before anything is read.
std::optional<Error> checkText(const QString &text, DdbExpressionKind kind)
{
    if (text.isEmpty())
        return invalid(kind, QStringLiteral("The expression can not be empty;"));
    const qsizetype bytes = text.toUtf8().size();
    if (bytes > kMaxExpressionBytes) {
        // Only these two say the size (as DynamoDB answers).
        const bool withSize
            = kind == DdbExpressionKind::Condition || kind == DdbExpressionKind::Filter;
        return invalid(kind,
            QStringLiteral("Expression size has exceeded the maximum allowed size;")
                + (withSize ? QStringLiteral(" expression size: %1").arg(bytes) : QString()));
    }
    return std::nullopt;
}

// The first overlap of two paths, else the first conflict, as DynamoDB reports them.
std::optional<QString> overlapOrConflict(const std::vector<const DdbPath *> &paths)
{
    std::optional<QString> conflict;
    for (size_t j = 1; j < paths.size(); ++j) {
        for (size_t i = 0; i < j; ++i) {
            const DdbPath &a = *paths[i];
            const DdbPath &b = *paths[j];
            const size_t common = std::min(a.size(), b.size());
            bool differ = false;
            for (size_t k = 0; k < common && !differ; ++k) {
                if (a[k].isIndex() != b[k].isIndex()) {
                    if (!conflict)
                        conflict = QStringLiteral(
                            "Two document paths conflict with each other; must remove "
                            "or rewrite one of these paths; path one: %1, path two: %2")
                                       .arg(ddbPathText(a), ddbPathText(b));
                    differ = true;
                } else if (!(a[k] == b[k])) {
                    differ = true;
                }
            }
            if (!differ)
                return QStringLiteral("Two document paths overlap with each other; must remove or "
                                      "rewrite one of these paths; path one: %1, path two: %2")
                    .arg(ddbPathText(a), ddbPathText(b));
        }
    }
    return conflict;
}

// A ConditionExpression, FilterExpression or KeyConditionExpression parsed and checked.
Result<NodePtr> parseConditionTree(const QString &text, DdbExpressionContext &ctx,
    DdbExpressionKind kind, std::vector<DdbPath> *paths)
{
    if (auto e = checkText(text, kind))
        return *e;
    Parser parser(text);
    NodePtr root = parser.parseCondition();
    if (!root)
        return invalid(kind, parser.errorMessage());
    Checker checker(kind, ctx, paths);
    if (auto r = checker.firstPass(*root, Checker::Place::Condition); !r.ok())
        return r.error();
    if (auto r = checker.checkOperators(Checker::operators(*root)); !r.ok())
        return r.error();
    if (auto r = checker.secondPass(*root); !r.ok())
        return r.error();
    return Result<NodePtr>(std::move(root));
}

// ---- Evaluation ----

// An operand's value for an item: a pointer into the item or the expression, or `scratch`
// holding a computed one (size()); null when there is none.
const Json *operandValue(const Node &node, const Json &item, Json &scratch)
{
    const Node &n = unwrap(node);
    switch (n.kind) {
    case Node::Value:
        return &n.value;
    case Node::Path:
        return resolve(item, n.path);
    case Node::Call:
        if (n.op == u"size") {
            Json inner;
            const Json *value = operandValue(*n.kids[0], item, inner);
            const auto size = value ? sizeOf(*value) : std::nullopt;
            if (!size)
                return nullptr;
            scratch = Json::object({{"N", std::to_string(*size)}});
            return &scratch;
        }
        return nullptr;
    default:
        return nullptr;
    }
}

bool beginsWith(const Json &a, const Json &b)
{
    const Av x = av(a);
    const Av y = av(b);
    const std::string *s = stringContent(x);
    const std::string *prefix = stringContent(y);
    if (!s || !prefix || x.type != y.type)
        return false;
    if (x.type == "S")
        return std::string_view(*s).substr(0, prefix->size()) == *prefix;
    if (x.type == "B")
        return decodeBase64(*s).startsWith(decodeBase64(*prefix));
    return false;
}

bool contains(const Json &a, const Json &b)
{
    const Av x = av(a);
    const Av y = av(b);
    if (!x.content || !y.content)
        return false;
    if (x.type == "S") {
        const std::string *s = stringContent(x);
        const std::string *part = stringContent(y);
        return s && part && y.type == "S" && s->find(*part) != std::string::npos;
    }
    if (x.type == "B") {
        const std::string *s = stringContent(x);
        const std::string *part = stringContent(y);
        return s && part && y.type == "B" && decodeBase64(*s).contains(decodeBase64(*part));
    }
    if (isSetType(x.type)) {
        const Json::array_t *set = arrayContent(x);
        const std::string_view element = x.type.substr(0, 1);
        return set && y.type == element && setHas(x.type, *set, *y.content);
    }
    if (x.type == "L") {
        const Json::array_t *list = arrayContent(x);
        return list && std::any_of(list->begin(), list->end(), [&](const Json &element) {
            return equalValues(element, b);
        });
    }
    return false;
}

bool holds(const Node &n, const Json &item)
{
    switch (n.kind) {
    case Node::Paren:
        return holds(*n.kids[0], item);
    case Node::Or:
        return holds(*n.kids[0], item) || holds(*n.kids[1], item);
    case Node::And:
        return holds(*n.kids[0], item) && holds(*n.kids[1], item);
    case Node::Not:
        return !holds(*n.kids[0], item);
    case Node::Compare: {
        Json s1, s2;
        const Json *a = operandValue(*n.kids[0], item, s1);
        const Json *b = operandValue(*n.kids[1], item, s2);
        if (n.op == u"=")
            return a && b && equalValues(*a, *b);
        if (n.op == u"<>")
            return !(a && b && equalValues(*a, *b));
        const auto order = a && b ? compareValues(*a, *b) : std::nullopt;
        if (!order)
            return false;
        if (n.op == u"<")
            return *order < 0;
        if (n.op == u"<=")
            return *order <= 0;
        if (n.op == u">")
            return *order > 0;
        return *order >= 0;
    }
    case Node::Between: {
        Json s1, s2, s3;
        const Json *a = operandValue(*n.kids[0], item, s1);
        const Json *low = operandValue(*n.kids[1], item, s2);
        const Json *high = operandValue(*n.kids[2], item, s3);
        if (!a || !low || !high)
            return false;
        const auto x = compareValues(*low, *a);
        const auto y = compareValues(*a, *high);
        return x && y && *x <= 0 && *y <= 0;
    }
    case Node::In: {
        Json s1;
        const Json *a = operandValue(*n.kids[0], item, s1);
        if (!a)
            return false;
        for (size_t i = 1; i < n.kids.size(); ++i) {
            Json s2;
            const Json *b = operandValue(*n.kids[i], item, s2);
            if (b && equalValues(*a, *b))
                return true;
        }
        return false;
    }
    case Node::Call: {
        Json s1, s2;
        const Json *a = operandValue(*n.kids[0], item, s1);
        if (n.op == u"attribute_exists")
            return a != nullptr;
        if (n.op == u"attribute_not_exists")
            return a == nullptr;
        const Json *b = n.kids.size() > 1 ? operandValue(*n.kids[1], item, s2) : nullptr;
        if (!a || !b)
            return false;
        if (n.op == u"attribute_type") {
            const std::string *type = stringContent(av(*b));
            return type && av(*a).type == *type;
        }
        if (n.op == u"begins_with")
            return beginsWith(*a, *b);
        if (n.op == u"contains")
            return contains(*a, *b);
        return false;
    }
    default:
        return false;
    }
}

// ---- Java's HashSet order ----

// DynamoDB lists several unused placeholders in the order of a java.util.HashSet made from all
// of the map's keys: by bucket of String.hashCode(), then in the order they were added.
QStringList javaHashSetOrder(const QStringList &keys, qsizetype total)
{
    quint32 capacity = 1;
    const qint64 wanted = std::max<qint64>(qint64(float(total) / 0.75f) + 1, 16);
    while (capacity < wanted)
        capacity <<= 1;
    std::vector<std::pair<quint32, qsizetype>> order;
    for (qsizetype i = 0; i < keys.size(); ++i) {
        quint32 hash = 0;
        for (const QChar c : keys[i])
            hash = 31 * hash + c.unicode();
        order.push_back({(hash ^ (hash >> 16)) & (capacity - 1), i});
    }
    std::stable_sort(
        order.begin(), order.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    QStringList sorted;
    for (const auto &entry : order)
        sorted.append(keys[entry.second]);
    return sorted;
}

bool isPlaceholderKey(const std::string &key, char first)
{
    if (key.size() < 2 || key[0] != first)
        return false;
    return std::all_of(key.begin() + 1, key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_';
    });
}

// ---- Updates ----

void collectPaths(const Node &n, std::vector<DdbPath> &paths)
{
    if (n.kind == Node::Path)
        paths.push_back(n.path);
    for (const auto &kid : n.kids)
        collectPaths(*kid, paths);
}

// A SET's value from the item as it was.
Result<Json> setValue(const Node &node, const Json &item)
{
    const Node &n = unwrap(node);
    switch (n.kind) {
    case Node::Value:
        return n.value;
    case Node::Path: {
        const Json *value = resolve(item, n.path);
        if (!value)
            return validation(kMissingAttribute);
        return *value;
    }
    case Node::Arith: {
        std::optional<DdbNumber> operands[2];
        for (int i = 0; i < 2; ++i) {
            Result<Json> value = setValue(*n.kids[size_t(i)], item);
            if (!value.ok())
                return value;
            const Av a = av(value.value());
            const std::string *text = stringContent(a);
            if (a.type != "N" || !text)
                return validation(kIncorrectType);
            auto number = DdbNumber::parse(QString::fromStdString(*text));
            if (!number.ok())
                return number.error();
            operands[i] = number.value();
        }
        auto result
            = n.op == u"+" ? operands[0]->add(*operands[1]) : operands[0]->subtract(*operands[1]);
        if (!result.ok())
            return result.error();
        return Json::object({{"N", result.value().toString().toStdString()}});
    }
    case Node::Call:
        if (n.op == u"if_not_exists") {
            if (const Json *current = resolve(item, unwrap(*n.kids[0]).path))
                return *current;
            return setValue(*n.kids[1], item);
        }
        if (n.op == u"list_append") {
            Json list = Json::array();
            for (const auto &kid : n.kids) {
                Result<Json> value = setValue(*kid, item);
                if (!value.ok())
                    return value;
                const Av a = av(value.value());
                const Json::array_t *elements = a.type == "L" ? arrayContent(a) : nullptr;
                if (!elements)
                    return validation(kIncorrectType);
                for (const Json &element : *elements)
                    list.push_back(element);
            }
            return Json::object({{"L", std::move(list)}});
        }
        return validation(kIncorrectType);
    default:
        return validation(kIncorrectType);
    }
}

} // namespace

// ---- Public functions ----

QString ddbExpressionParameter(DdbExpressionKind kind)
{
    switch (kind) {
    case DdbExpressionKind::Condition:
        return QStringLiteral("ConditionExpression");
    case DdbExpressionKind::Filter:
        return QStringLiteral("FilterExpression");
    case DdbExpressionKind::KeyCondition:
        return QStringLiteral("KeyConditionExpression");
    case DdbExpressionKind::Projection:
        return QStringLiteral("ProjectionExpression");
    case DdbExpressionKind::Update:
        return QStringLiteral("UpdateExpression");
    }
    return {};
}

QString ddbPathText(const DdbPath &path)
{
    QStringList parts;
    for (const DdbPathElement &element : path)
        parts.append(element.isIndex() ? QStringLiteral("[%1]").arg(element.index) : element.name);
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

bool ddbIsReservedWord(QStringView name)
{
    if (name.isEmpty() || name.size() > 16)
        return false;
    char upper[17] = {};
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char16_t c = name[i].unicode();
        if (c >= 0x80)
            return false;
        upper[i] = char(c >= u'a' && c <= u'z' ? c - (u'a' - u'A') : c);
    }
    // Listed, but DynamoDB takes them as attribute names.
    if (std::strcmp(upper, "SIZE") == 0 || std::strcmp(upper, "CONVERT") == 0)
        return false;
    const auto end = std::end(kReservedWords);
    const auto it = std::lower_bound(std::begin(kReservedWords), end, upper,
        [](const char *a, const char *b) { return std::strcmp(a, b) < 0; });
    return it != end && std::strcmp(*it, upper) == 0;
}

Result<void> checkExpressionAttributeMaps(const DdbExpressionContext &ctx)
{
    if (ctx.names) {
        if (!ctx.names->is_object() || ctx.names->empty())
            return validation(QStringLiteral("ExpressionAttributeNames must not be empty"));
        for (auto it = ctx.names->begin(); it != ctx.names->end(); ++it) {
            const QString key = QString::fromStdString(it.key());
            if (it.key().size() > 255)
                return validation(QStringLiteral("ExpressionAttributeNames contains invalid key: "
                                                 "The expression attribute map contains a key "
                                                 "that is too long; size of key: %1")
                                      .arg(it.key().size()));
            if (!isPlaceholderKey(it.key(), '#'))
                return validation(QStringLiteral("ExpressionAttributeNames contains invalid key: "
                                                 "Syntax error; key: \"%1\"")
                                      .arg(key));
            if (!it->is_string())
                return validation(QStringLiteral("ExpressionAttributeNames contains invalid value: "
                                                 "the name for key %1 is not a string")
                                      .arg(key));
            if (it->get_ref<const std::string &>().empty())
                return validation(QStringLiteral("ExpressionAttributeNames contains invalid value: "
                                                 "Empty attribute name for key %1")
                                      .arg(key));
        }
    }
    if (ctx.values) {
        if (!ctx.values->is_object() || ctx.values->empty())
            return validation(QStringLiteral("ExpressionAttributeValues must not be empty"));
        for (auto it = ctx.values->begin(); it != ctx.values->end(); ++it) {
            if (it.key().size() > 255)
                return validation(QStringLiteral("ExpressionAttributeValues contains invalid key: "
                                                 "The expression attribute map contains a key "
                                                 "that is too long;"));
            if (!isPlaceholderKey(it.key(), ':'))
                return validation(QStringLiteral("ExpressionAttributeValues contains invalid key: "
                                                 "Syntax error; key: \"%1\"")
                                      .arg(QString::fromStdString(it.key())));
            if (!it->is_object())
                return validation(QStringLiteral("ExpressionAttributeValues contains invalid "
                                                 "value: Supplied AttributeValue is empty, must "
                                                 "contain exactly one of the supported datatypes "
                                                 "for key %1")
                                      .arg(QString::fromStdString(it.key())));
        }
    }
    return {};
}

Result<void> checkAllUsed(const DdbExpressionContext &ctx)
{
    const auto unused = [](const Json *map, const QSet<QString> &used, const QString &what) {
        QStringList keys;
        if (!map || !map->is_object())
            return Result<void>();
        for (auto it = map->begin(); it != map->end(); ++it) {
            const QString key = QString::fromStdString(it.key());
            if (!used.contains(key))
                keys.append(key);
        }
        if (keys.isEmpty())
            return Result<void>();
        return Result<void>(validation(
            QStringLiteral("Value provided in %1 unused in expressions: keys: {%2}")
                .arg(what,
                    javaHashSetOrder(keys, qsizetype(map->size())).join(QStringLiteral(", ")))));
    };
    if (auto r = unused(ctx.names, ctx.usedNames, QStringLiteral("ExpressionAttributeNames"));
        !r.ok())
        return r;
    return unused(ctx.values, ctx.usedValues, QStringLiteral("ExpressionAttributeValues"));
}

// ---- DdbCondition ----

Result<DdbCondition> DdbCondition::parse(
    const QString &text, DdbExpressionContext &ctx, DdbExpressionKind kind)
{
    DdbCondition condition;
    Result<NodePtr> root = parseConditionTree(text, ctx, kind, &condition.m_paths);
    if (!root.ok())
        return root.error();
    condition.m_root = std::shared_ptr<const Node>(std::move(root).value());
    return condition;
}

Result<bool> DdbCondition::evaluate(const Json &item) const
{
    if (!m_root)
        return true;
    return holds(*m_root, item);
}

QStringList DdbCondition::topLevelNames() const
{
    QStringList names;
    for (const DdbPath &path : m_paths) {
        if (!path.empty() && !names.contains(path[0].name))
            names.append(path[0].name);
    }
    return names;
}

// ---- Key conditions ----

Result<DdbKeyCondition> parseKeyCondition(
    const QString &text, DdbExpressionContext &ctx, const QString &hashKey, const QString &rangeKey)
{
    Result<NodePtr> parsed
        = parseConditionTree(text, ctx, DdbExpressionKind::KeyCondition, nullptr);
    if (!parsed.ok())
        return parsed.error();
    const Node &root = *parsed.value();

    struct Part
    {
        QString name;
        DdbKeyCondition::Op op = DdbKeyCondition::None;
        Json values[2];
    };
    std::vector<Part> parts;
    std::optional<Error> problem;
    const auto fail = [&problem](const QString &message) {
        if (!problem)
            problem = validation(message);
    };
    const auto operatorName = [](const Node &n) -> QString {
        switch (n.kind) {
        case Node::Or:
            return QStringLiteral("OR");
        case Node::Not:
            return QStringLiteral("NOT");
        case Node::In:
            return QStringLiteral("IN");
        case Node::Compare:
            return n.op == u"<>" ? n.op : QString();
        case Node::Call:
            return n.op == u"begins_with" ? QString() : n.op;
        default:
            return {};
        }
    };
    // Depth first, as DynamoDB walks it: operators a key condition can't have, then each
    // condition's operands.
    std::function<void(const Node &)> visit = [&](const Node &node) {
        if (problem)
            return;
        const Node &n = unwrap(node);
        if (const QString op = operatorName(n); !op.isEmpty())
            return fail(QStringLiteral("Invalid operator used in KeyConditionExpression: ") + op);
        if (n.kind == Node::And) {
            visit(*n.kids[0]);
            visit(*n.kids[1]);
            return;
        }
        const bool between = n.kind == Node::Between;
        if ((between || n.kind == Node::Call) && unwrap(*n.kids[0]).kind != Node::Path)
            return fail(QStringLiteral("Invalid condition in KeyConditionExpression: %1 operator "
                                       "must have the key attribute as its first operand")
                            .arg(between ? QStringLiteral("BETWEEN") : n.op));
        Part part;
        int pathAt = -1;
        std::vector<const Node *> values;
        for (size_t i = 0; i < n.kids.size(); ++i) {
            const Node &operand = unwrap(*n.kids[i]);
            if (operand.kind == Node::Call)
                return fail(
                    QStringLiteral("KeyConditionExpressions cannot contain nested operations"));
            if (operand.kind == Node::Path) {
                if (pathAt >= 0)
                    return fail(QStringLiteral("Invalid condition in KeyConditionExpression: "
                                               "Multiple attribute names used in one condition"));
                if (operand.path.size() > 1)
                    return fail(QStringLiteral(
                        "KeyConditionExpressions cannot have conditions on nested attributes"));
                pathAt = int(i);
                part.name = operand.path[0].name;
            } else {
                values.push_back(&operand);
            }
        }
        if (pathAt < 0)
            return fail(QStringLiteral(
                "Invalid condition in KeyConditionExpression: No key attribute specified"));
        if (std::any_of(
                parts.begin(), parts.end(), [&](const Part &p) { return p.name == part.name; }))
            return fail(QStringLiteral("KeyConditionExpressions must only contain one condition "
                                       "per key"));
        if (n.kind == Node::Between) {
            part.op = DdbKeyCondition::Between;
        } else if (n.kind == Node::Call) {
            part.op = DdbKeyCondition::BeginsWith;
        } else {
            // ":v < sk" is "sk > :v".
            const bool flipped = pathAt != 0;
            if (n.op == u"=")
                part.op = DdbKeyCondition::Eq;
            else if (n.op == u"<")
                part.op = flipped ? DdbKeyCondition::Gt : DdbKeyCondition::Lt;
            else if (n.op == u"<=")
                part.op = flipped ? DdbKeyCondition::Ge : DdbKeyCondition::Le;
            else if (n.op == u">")
                part.op = flipped ? DdbKeyCondition::Lt : DdbKeyCondition::Gt;
            else
                part.op = flipped ? DdbKeyCondition::Le : DdbKeyCondition::Ge;
        }
        for (size_t i = 0; i < values.size() && i < 2; ++i)
            part.values[i] = values[i]->value;
        parts.push_back(std::move(part));
    };
    visit(root);
    if (problem)
        return *problem;
    if (parts.size() != 1 && parts.size() != 2)
        return validation(QStringLiteral("Conditions can be of length 1 or 2 only"));

    const auto find = [&parts](const QString &name) -> const Part * {
        for (const Part &p : parts) {
            if (p.name == name)
                return &p;
        }
        return nullptr;
    };
    if (rangeKey.isEmpty() && parts.size() > 1)
        return validation(QStringLiteral("Query key condition not supported"));
    const Part *hash = find(hashKey);
    if (!hash)
        return validation(QStringLiteral("Query condition missed key schema element: ") + hashKey);
    if (hash->op != DdbKeyCondition::Eq)
        return validation(QStringLiteral("Query key condition not supported"));
    const Part *range = parts.size() > 1 ? find(rangeKey) : nullptr;
    if (parts.size() > 1 && !range)
        return validation(QStringLiteral("Query condition missed key schema element: ") + rangeKey);

    DdbKeyCondition key;
    key.partitionName = hash->name;
    key.partitionValue = hash->values[0];
    if (range) {
        key.sortName = range->name;
        key.op = range->op;
        key.sortValue = range->values[0];
        key.sortValue2 = range->values[1];
    }
    return key;
}

// ---- DdbProjection ----

Result<DdbProjection> DdbProjection::parse(const QString &text, DdbExpressionContext &ctx)
{
    constexpr auto kind = DdbExpressionKind::Projection;
    if (auto e = checkText(text, kind))
        return *e;
    Parser parser(text);
    std::vector<NodePtr> nodes;
    if (!parser.parseProjection(nodes))
        return invalid(kind, parser.errorMessage());
    DdbProjection projection;
    Checker checker(kind, ctx, &projection.m_paths);
    for (const NodePtr &n : nodes) {
        if (auto r = checker.firstPass(*n, Checker::Place::Operand); !r.ok())
            return r.error();
    }
    for (const NodePtr &n : nodes) {
        if (auto r = checker.secondPass(*n); !r.ok())
            return r.error();
    }
    std::vector<const DdbPath *> paths;
    for (const DdbPath &p : projection.m_paths)
        paths.push_back(&p);
    if (auto clash = overlapOrConflict(paths))
        return invalid(kind, *clash);
    return projection;
}

DdbProjection DdbProjection::fromPaths(std::vector<DdbPath> paths)
{
    DdbProjection projection;
    projection.m_paths = std::move(paths);
    return projection;
}

namespace {

// The projection's paths as a tree: what to keep below each step. (Keys and subtrees in
// parallel vectors: a std::pair of the still incomplete type does not compile with clang.)
struct ProjectionTree
{
    bool whole = false;
    std::vector<std::string> memberKeys;
    std::vector<ProjectionTree> members;
    std::vector<qint64> elementIndexes;
    std::vector<ProjectionTree> elements;

    ProjectionTree &member(const std::string &key)
    {
        for (size_t i = 0; i < memberKeys.size(); ++i) {
            if (memberKeys[i] == key)
                return members[i];
        }
        memberKeys.push_back(key);
        members.emplace_back();
        return members.back();
    }
    ProjectionTree &element(qint64 index)
    {
        for (size_t i = 0; i < elementIndexes.size(); ++i) {
            if (elementIndexes[i] == index)
                return elements[i];
        }
        elementIndexes.push_back(index);
        elements.emplace_back();
        return elements.back();
    }
};

// The parts of a value the tree keeps, or nothing when none of them is there.
std::optional<Json> project(const Json &value, const ProjectionTree &tree)
{
    if (tree.whole)
        return value;
    const Av a = av(value);
    if (a.type == "M" && a.content->is_object() && !tree.members.empty()) {
        Json members = Json::object();
        for (size_t i = 0; i < tree.members.size(); ++i) {
            const std::string &key = tree.memberKeys[i];
            const auto it = a.content->find(key);
            if (it == a.content->end())
                continue;
            if (auto kept = project(*it, tree.members[i]))
                members[key] = std::move(*kept);
        }
        if (members.empty())
            return std::nullopt;
        return Json::object({{"M", std::move(members)}});
    }
    const Json::array_t *list = a.type == "L" ? arrayContent(a) : nullptr;
    if (list && !tree.elements.empty()) {
        std::vector<std::pair<qint64, const ProjectionTree *>> wanted;
        for (size_t i = 0; i < tree.elements.size(); ++i)
            wanted.push_back({tree.elementIndexes[i], &tree.elements[i]});
        std::sort(wanted.begin(), wanted.end(),
            [](const auto &x, const auto &y) { return x.first < y.first; });
        Json elements = Json::array();
        for (const auto &[index, sub] : wanted) {
            if (index >= qint64(list->size()))
                continue;
            if (auto kept = project((*list)[size_t(index)], *sub))
                elements.push_back(std::move(*kept));
        }
        if (elements.empty())
            return std::nullopt;
        return Json::object({{"L", std::move(elements)}});
    }
    return std::nullopt;
}

} // namespace

Json DdbProjection::apply(const Json &item) const
{
    Json out = Json::object();
    if (!item.is_object())
        return out;
    ProjectionTree tree;
    for (const DdbPath &path : m_paths) {
        if (path.empty() || path[0].isIndex())
            continue;
        ProjectionTree *node = &tree.member(path[0].key);
        for (size_t i = 1; i < path.size(); ++i)
            node = path[i].isIndex() ? &node->element(path[i].index) : &node->member(path[i].key);
        node->whole = true;
    }
    for (size_t i = 0; i < tree.members.size(); ++i) {
        const std::string &key = tree.memberKeys[i];
        const auto it = item.find(key);
        if (it == item.end())
            continue;
        if (auto kept = project(*it, tree.members[i]))
            out[key] = std::move(*kept);
    }
    return out;
}

// ---- DdbUpdate ----

struct DdbUpdate::Action
{
    enum Clause { Set, Remove, Add, Delete } clause = Set;
    int clauseIndex = 0; // the clause's place in the expression
    DdbPath path;
    std::shared_ptr<const Node> value; // SET's value
    Json operand; // ADD's and DELETE's :value
};

Result<DdbUpdate> DdbUpdate::parse(const QString &text, DdbExpressionContext &ctx)
{
    constexpr auto kind = DdbExpressionKind::Update;
    if (auto e = checkText(text, kind))
        return *e;
    Parser parser(text);
    std::vector<Parser::UpdateAction> parsed;
    if (!parser.parseUpdate(parsed))
        return invalid(kind, parser.errorMessage());

    DdbUpdate update;
    Checker checker(kind, ctx, nullptr);
    // Section by section, in the order each first appears: the first pass over its actions,
    // then whether it appears twice.
    static const char16_t *const kClauseNames[] = {u"SET", u"REMOVE", u"ADD", u"DELETE"};
    std::vector<int> sections;
    for (const auto &action : parsed) {
        if (std::find(sections.begin(), sections.end(), action.clause) == sections.end())
            sections.push_back(action.clause);
    }
    int operatorCount = 0;
    for (const int section : sections) {
        std::vector<int> clauseIndexes;
        for (const auto &action : parsed) {
            if (action.clause != section)
                continue;
            if (auto r = checker.firstPass(*action.target, Checker::Place::Operand); !r.ok())
                return r.error();
            if (action.value) {
                if (auto r = checker.firstPass(*action.value, Checker::Place::Operand); !r.ok())
                    return r.error();
                operatorCount += Checker::operators(*action.value);
            }
            if (std::find(clauseIndexes.begin(), clauseIndexes.end(), action.clauseIndex)
                == clauseIndexes.end())
                clauseIndexes.push_back(action.clauseIndex);
        }
        if (clauseIndexes.size() > 1)
            return checker.error(
                QStringLiteral("The \"%1\" section can only be used once in an update expression;")
                    .arg(QString::fromUtf16(kClauseNames[section])));
    }
    if (auto r = checker.checkOperators(operatorCount); !r.ok())
        return r.error();

    // The paths written: their #names, then whether two overlap.
    Checker targets(kind, ctx, nullptr);
    for (auto &action : parsed) {
        if (auto r = targets.resolvePath(*action.target); !r.ok())
            return r.error();
    }
    std::vector<const DdbPath *> written;
    for (const auto &action : parsed)
        written.push_back(&action.target->path);
    if (auto clash = overlapOrConflict(written))
        return invalid(kind, *clash);

    // Then from the last action to the first: every #name, then values, operands and types.
    for (auto it = parsed.rbegin(); it != parsed.rend(); ++it) {
        if (it->value) {
            if (auto r = checker.names(*it->value); !r.ok())
                return r.error();
        }
    }
    for (auto it = parsed.rbegin(); it != parsed.rend(); ++it) {
        if (!it->value)
            continue;
        if (auto r = checker.secondPass(*it->value); !r.ok())
            return r.error();
        if (it->clause == Action::Add || it->clause == Action::Delete) {
            const QString type = typeOf(it->value->value);
            const bool add = it->clause == Action::Add;
            const bool allowed
                = type == u"SS" || type == u"NS" || type == u"BS" || (add && type == u"N");
            if (!type.isEmpty() && !allowed)
                return checker.error(
                    QStringLiteral("Incorrect operand type for operator or "
                                   "function; operator: %1, operand type: %2, "
                                   "typeSet: ALLOWED_FOR_%1_OPERAND")
                        .arg(add ? QStringLiteral("ADD") : QStringLiteral("DELETE"),
                            longTypeName(type)));
        }
    }
    for (const auto &action : parsed) {
        if (action.value)
            collectPaths(*action.value, update.m_readPaths);
    }

    auto actions = std::make_shared<std::vector<Action>>();
    for (auto &p : parsed) {
        Action action;
        action.clause = Action::Clause(p.clause);
        action.clauseIndex = p.clauseIndex;
        action.path = p.target->path;
        if (action.clause == Action::Set)
            action.value = std::shared_ptr<const Node>(std::move(p.value));
        else if (p.value)
            action.operand = p.value->value;
        actions->push_back(std::move(action));
    }
    update.m_actions = std::move(actions);
    return update;
}

QStringList DdbUpdate::updatedTopLevelNames() const
{
    QStringList names;
    if (!m_actions)
        return names;
    for (const Action &action : *m_actions) {
        if (!action.path.empty() && !names.contains(action.path[0].name))
            names.append(action.path[0].name);
    }
    return names;
}

std::vector<DdbPath> DdbUpdate::updatedPaths() const
{
    std::vector<DdbPath> paths;
    if (m_actions) {
        for (const Action &action : *m_actions)
            paths.push_back(action.path);
    }
    return paths;
}

Result<Json> DdbUpdate::apply(const Json &item, bool itemExists) const
{
    const Json base = item.is_object() ? item : Json::object();
    if (!m_actions)
        return base;
    const std::vector<Action> &actions = *m_actions;

    // A parent that is there but is not the map or list the path needs.
    for (const Action &action : actions) {
        if (action.path.size() < 2)
            continue;
        const Json *parent = resolve(base, action.path, action.path.size() - 1);
        if (parent && !fitsParent(*parent, action.path.back()))
            return validation(kInvalidPath);
    }

    // Values and types, from the item as it was. An attribute a SET reads that is missing is
    // reported after the paths that can't be written.
    std::vector<std::optional<Json>> values(actions.size());
    std::vector<std::optional<Error>> missing(actions.size());
    for (size_t i = 0; i < actions.size(); ++i) {
        const Action &action = actions[i];
        if (action.clause == Action::Set) {
            Result<Json> value = setValue(*action.value, base);
            if (value.ok())
                values[i] = std::move(value).value();
            else if (value.error().message == kMissingAttribute)
                missing[i] = value.error();
            else
                return value.error();
            continue;
        }
        if (action.clause == Action::Remove)
            continue;
        const Json *current = writable(base, action.path) ? resolve(base, action.path) : nullptr;
        if (!current)
            continue;
        const Av now = av(*current);
        const Av given = av(action.operand);
        const bool add = action.clause == Action::Add;
        const bool numbers = add && now.type == "N" && given.type == "N";
        const bool sets = now.type == given.type && isSetType(now.type);
        if (!numbers && !sets)
            return validation(kIncorrectType);
        if (numbers) {
            const std::string *x = stringContent(now);
            const std::string *y = stringContent(given);
            if (!x || !y)
                return validation(kIncorrectType);
            auto a = DdbNumber::parse(QString::fromStdString(*x));
            if (!a.ok())
                return a.error();
            auto b = DdbNumber::parse(QString::fromStdString(*y));
            if (!b.ok())
                return b.error();
            auto sum = a.value().add(b.value());
            if (!sum.ok())
                return sum.error();
            values[i] = Json::object({{"N", sum.value().toString().toStdString()}});
        }
    }

    // Paths that can't be written, then missing attributes, clause by clause from the last.
    int lastClause = 0;
    for (const Action &action : actions)
        lastClause = std::max(lastClause, action.clauseIndex);
    for (int clause = lastClause; clause >= 0; --clause) {
        for (const Action &action : actions) {
            if (action.clauseIndex != clause || writable(base, action.path))
                continue;
            // DynamoDB lets a new item's REMOVE of a.b pass.
            if (action.clause == Action::Remove && !itemExists)
                continue;
            return validation(kInvalidPath);
        }
        for (size_t i = 0; i < actions.size(); ++i) {
            if (actions[i].clauseIndex == clause && missing[i])
                return *missing[i];
        }
    }

    // What each action writes, worked out from the item as it was.
    struct Write
    {
        const DdbPath *path;
        bool remove;
        Json value;
    };
    std::vector<Write> writes;
    for (size_t i = 0; i < actions.size(); ++i) {
        const Action &action = actions[i];
        if (!writable(base, action.path))
            continue; // a new item's REMOVE below a missing attribute
        switch (action.clause) {
        case Action::Set:
            writes.push_back({&action.path, false, std::move(*values[i])});
            break;
        case Action::Remove:
            writes.push_back({&action.path, true, Json()});
            break;
        case Action::Add: {
            const Json *current = resolve(base, action.path);
            if (!current) {
                writes.push_back({&action.path, false, action.operand});
            } else if (values[i]) {
                writes.push_back({&action.path, false, std::move(*values[i])});
            } else {
                const Av now = av(*current);
                const Json::array_t *added = arrayContent(av(action.operand));
                Json merged = *current;
                Json &set = merged[std::string(now.type)];
                if (!added || !set.is_array())
                    return validation(kIncorrectType);
                for (const Json &element : *added) {
                    if (!setHas(now.type, set.get_ref<const Json::array_t &>(), element))
                        set.push_back(element);
                }
                writes.push_back({&action.path, false, std::move(merged)});
            }
            break;
        }
        case Action::Delete: {
            const Json *current = resolve(base, action.path);
            if (!current)
                break;
            const Av now = av(*current);
            const Json::array_t *removed = arrayContent(av(action.operand));
            const Json::array_t *members = arrayContent(now);
            if (!removed || !members)
                return validation(kIncorrectType);
            Json kept = Json::array();
            for (const Json &element : *members) {
                if (!setHas(now.type, *removed, element))
                    kept.push_back(element);
            }
            if (kept.empty())
                writes.push_back({&action.path, true, Json()});
            else
                writes.push_back({&action.path, false,
                    Json::object({{std::string(now.type), std::move(kept)}})});
            break;
        }
        }
    }

    // Attributes and map members first; then lists, the deepest first so that the indexes of
    // a list inside another refer to the item as it was. Within a list, replaced elements keep
    // their place, removed ones go by their old index, and new ones past the end are appended
    // in the order of their indexes.
    Json out = base;
    struct ListWrites
    {
        DdbPath parent;
        std::vector<const Write *> writes;
    };
    std::vector<ListWrites> lists;
    for (const Write &w : writes) {
        const DdbPath &path = *w.path;
        if (path.size() == 1) {
            if (w.remove)
                out.erase(path[0].key);
            else
                out[path[0].key] = w.value;
            continue;
        }
        if (path.back().isIndex()) {
            const DdbPath parent(path.begin(), path.end() - 1);
            auto it = std::find_if(lists.begin(), lists.end(),
                [&](const ListWrites &l) { return l.parent == parent; });
            if (it == lists.end()) {
                lists.push_back({parent, {}});
                it = lists.end() - 1;
            }
            it->writes.push_back(&w);
            continue;
        }
        Json *parent = resolveMutable(out, path, path.size() - 1);
        if (!parent || !fitsParent(*parent, path.back()))
            continue;
        Json &members = (*parent)["M"];
        if (w.remove)
            members.erase(path.back().key);
        else
            members[path.back().key] = w.value;
    }
    std::stable_sort(lists.begin(), lists.end(),
        [](const ListWrites &a, const ListWrites &b) { return a.parent.size() > b.parent.size(); });
    for (const ListWrites &list : lists) {
        Json *parent = resolveMutable(out, list.parent, list.parent.size());
        if (!parent || !fitsParent(*parent, list.writes.front()->path->back()))
            continue;
        Json &elements = (*parent)["L"];
        const qint64 size = qint64(elements.size());
        std::vector<bool> removed(size_t(size), false);
        std::vector<std::pair<qint64, const Json *>> appended;
        for (const Write *w : list.writes) {
            const qint64 index = w->path->back().index;
            if (w->remove) {
                if (index < size)
                    removed[size_t(index)] = true;
            } else if (index < size) {
                elements[size_t(index)] = w->value;
            } else {
                appended.push_back({index, &w->value});
            }
        }
        std::stable_sort(appended.begin(), appended.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
        Json rebuilt = Json::array();
        for (qint64 i = 0; i < size; ++i) {
            if (!removed[size_t(i)])
                rebuilt.push_back(std::move(elements[size_t(i)]));
        }
        for (const auto &entry : appended)
            rebuilt.push_back(*entry.second);
        elements = std::move(rebuilt);
    }
    return out;
}

} // namespace tarmac
