#include "services/sqs/sqsquery.h"

#include "http/awserror.h"
#include "services/sqs/sqsrequests.h"

#include <QSet>

#include <map>

namespace tarmac::sqsquery {

namespace {

const QSet<QString> &operations()
{
    static const QSet<QString> ops = {QStringLiteral("CreateQueue"), QStringLiteral("GetQueueUrl"),
        QStringLiteral("ListQueues"), QStringLiteral("DeleteQueue"),
        QStringLiteral("GetQueueAttributes"), QStringLiteral("SetQueueAttributes"),
        QStringLiteral("SendMessage"), QStringLiteral("SendMessageBatch"),
        QStringLiteral("ReceiveMessage"), QStringLiteral("DeleteMessage"),
        QStringLiteral("DeleteMessageBatch"), QStringLiteral("ChangeMessageVisibility"),
        QStringLiteral("ChangeMessageVisibilityBatch"), QStringLiteral("PurgeQueue"),
        QStringLiteral("TagQueue"), QStringLiteral("UntagQueue"), QStringLiteral("ListQueueTags"),
        QStringLiteral("ListDeadLetterSourceQueues"), QStringLiteral("StartMessageMoveTask"),
        QStringLiteral("CancelMessageMoveTask"), QStringLiteral("ListMessageMoveTasks"),
        QStringLiteral("AddPermission"), QStringLiteral("RemovePermission")};
    return ops;
}

// The operations whose answer has a <…Result> element.
bool hasResult(const QString &op)
{
    static const QSet<QString> without
        = {QStringLiteral("DeleteQueue"), QStringLiteral("SetQueueAttributes"),
            QStringLiteral("DeleteMessage"), QStringLiteral("ChangeMessageVisibility"),
            QStringLiteral("PurgeQueue"), QStringLiteral("TagQueue"), QStringLiteral("UntagQueue"),
            QStringLiteral("AddPermission"), QStringLiteral("RemovePermission")};
    return !without.contains(op);
}

bool isIntegerField(const std::string &name)
{
    return name == "DelaySeconds" || name == "MaxNumberOfMessages" || name == "VisibilityTimeout"
        || name == "WaitTimeSeconds" || name == "MaxResults"
        || name == "MaxNumberOfMessagesPerSecond";
}

// Form fields as a tree: "A.1.B" → {"A": {"1": {"B": value}}}. A key that is both a value and
// a parent ("A=x&A.1=y") keeps the first.
struct Node
{
    std::optional<QString> value;
    std::map<std::string, Node> children;
};

void insert(Node &root, const QByteArray &key, const QString &value)
{
    Node *node = &root;
    for (const QByteArray &part : key.split('.')) {
        if (node->value)
            return;
        // As UTF-8 (a malformed sequence becomes U+FFFD): the names become JSON keys, and
        // nlohmann throws when it writes a string that is not UTF-8.
        node = &node->children[QString::fromUtf8(part).toStdString()];
    }
    if (!node->value && node->children.empty())
        node->value = value;
}

bool isIndex(const std::string &s)
{
    if (s.empty() || s.size() > 6)
        return false;
    for (const char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// The numbered children of a list node, in number order ("member.N" lists are the same).
std::vector<const Node *> items(const Node &node)
{
    std::vector<std::pair<int, const Node *>> numbered;
    for (const auto &[key, child] : node.children) {
        if (isIndex(key))
            numbered.emplace_back(std::stoi(key), &child);
        else if (key == "member") // boto2's "Name.member.N"
            return items(child);
    }
    std::sort(numbered.begin(), numbered.end(),
        [](const auto &a, const auto &b) { return a.first < b.first; });
    std::vector<const Node *> out;
    out.reserve(numbered.size());
    for (const auto &n : numbered)
        out.push_back(n.second);
    return out;
}

const Node *child(const Node &node, const char *name)
{
    const auto it = node.children.find(name);
    return it == node.children.end() ? nullptr : &it->second;
}

Error malformed(const std::string &name)
{
    return sqsrequests::sqsError(QStringLiteral("InvalidParameterValue"),
        QStringLiteral("The parameter %1 is malformed.").arg(QString::fromStdString(name)));
}

Result<Json> convert(const Node &node);

// The JSON name of a numbered list of strings ("AttributeName.N" → AttributeNames), or null.
const char *stringListName(const std::string &name)
{
    static const std::map<std::string, const char *> names
        = {{"AttributeName", "AttributeNames"}, {"MessageAttributeName", "MessageAttributeNames"},
            {"MessageSystemAttributeName", "MessageSystemAttributeNames"}, {"TagKey", "TagKeys"},
            {"StringListValue", "StringListValues"}, {"BinaryListValue", "BinaryListValues"},
            {"AWSAccountId", "AWSAccountIds"}, {"ActionName", "Actions"}};
    const auto it = names.find(name);
    return it == names.end() ? nullptr : it->second;
}

// A scalar or a structure.
Result<Json> convertValue(const std::string &name, const Node &node)
{
    if (node.value) {
        if (isIntegerField(name)) {
            bool ok = false;
            const qlonglong n = node.value->toLongLong(&ok);
            if (ok)
                return Json(n);
        }
        return Json(node.value->toStdString());
    }
    return convert(node);
}

// {Name|Key, Value} entries as a map; Value converted when it is a structure.
Result<Json> entryMap(const std::string &name, const Node &list, const char *keyName)
{
    Json out = Json::object();
    for (const Node *entry : items(list)) {
        const Node *key = child(*entry, keyName);
        const Node *value = child(*entry, "Value");
        if (!key || !key->value || !value)
            return malformed(name);
        auto v = convertValue("Value", *value);
        if (!v)
            return v.error();
        out[key->value->toStdString()] = std::move(*v);
    }
    return out;
}

Result<Json> convert(const Node &node)
{
    Json out = Json::object();
    for (const auto &[name, child] : node.children) {
        if (name == "Attribute" || name == "MessageAttribute" || name == "MessageSystemAttribute") {
            auto map = entryMap(name, child, "Name");
            if (!map)
                return map.error();
            out[name + "s"] = std::move(*map);
        } else if (name == "Tag") {
            auto map = entryMap(name, child, "Key");
            if (!map)
                return map.error();
            out["Tags"] = std::move(*map);
        } else if (const char *listName = stringListName(name)) {
            Json list = Json::array();
            for (const Node *item : items(child)) {
                if (!item->value)
                    return malformed(name);
                list.push_back(item->value->toStdString());
            }
            out[listName] = std::move(list);
        } else if (name.ends_with("RequestEntry")) {
            Json list = Json::array();
            for (const Node *item : items(child)) {
                auto entry = convert(*item);
                if (!entry)
                    return entry.error();
                list.push_back(std::move(*entry));
            }
            out["Entries"] = std::move(list);
        } else {
            auto v = convertValue(name, child);
            if (!v)
                return v.error();
            out[name] = std::move(*v);
        }
    }
    return out;
}

QByteArray decode(QByteArray part)
{
    part.replace('+', ' ');
    return QByteArray::fromPercentEncoding(part);
}

void appendText(QByteArray &out, const QByteArray &text)
{
    // A carriage return too: XML would read it as a line end.
    out += xmlEscape(text).replace('\r', "&#xD;");
}

void appendScalar(QByteArray &out, const Json &value)
{
    if (value.is_string())
        appendText(out, QByteArray::fromStdString(value.get<std::string>()));
    else if (value.is_boolean())
        out += value.get<bool>() ? "true" : "false";
    else if (!value.is_null())
        out += QByteArray::fromStdString(
            value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void appendElement(
    QByteArray &out, const std::string &name, const Json &value, const QString &operation);

void appendMembers(QByteArray &out, const Json &object, const QString &operation)
{
    for (auto it = object.begin(); it != object.end(); ++it)
        appendElement(out, it.key(), it.value(), operation);
}

// The element name of a flattened list's items.
std::string itemName(const std::string &list, const QString &operation)
{
    if (list == "QueueUrls" || list == "queueUrls")
        return "QueueUrl";
    if (list == "Messages")
        return "Message";
    if (list == "Successful")
        return operation.toStdString() + "ResultEntry";
    if (list == "Failed")
        return "BatchResultErrorEntry";
    if (list == "Results")
        return operation.toStdString() + "ResultEntry";
    if (list == "StringListValues")
        return "StringListValue";
    if (list == "BinaryListValues")
        return "BinaryListValue";
    return list;
}

void appendElement(
    QByteArray &out, const std::string &name, const Json &value, const QString &operation)
{
    const QByteArray tag = QByteArray::fromStdString(name);
    if (value.is_object()
        && (name == "Attributes" || name == "MessageAttributes" || name == "Tags")) {
        const QByteArray entry = name == "Attributes" ? "Attribute"
            : name == "Tags"                          ? "Tag"
                                                      : "MessageAttribute";
        const char *keyTag = name == "Tags" ? "Key" : "Name";
        for (auto it = value.begin(); it != value.end(); ++it) {
            out += "<" + entry + "><" + keyTag + ">";
            appendText(out, QByteArray::fromStdString(it.key()));
            out += "</" + QByteArray(keyTag) + "><Value>";
            if (it.value().is_object())
                appendMembers(out, it.value(), operation);
            else
                appendScalar(out, it.value());
            out += "</Value></" + entry + ">";
        }
        return;
    }
    if (value.is_array()) {
        const QByteArray item = QByteArray::fromStdString(itemName(name, operation));
        for (const Json &v : value)
            appendElement(out, item.toStdString(), v, operation);
        return;
    }
    out += "<" + tag + ">";
    if (value.is_object())
        appendMembers(out, value, operation);
    else
        appendScalar(out, value);
    out += "</" + tag + ">";
}

constexpr const char *kNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";

} // namespace

Result<Request> toJsonRequest(
    const QByteArray &form, const QByteArray &urlQuery, const QString &path)
{
    Node root;
    QString action;
    for (const QByteArray &source : {form, urlQuery}) {
        for (const QByteArray &pair : source.split('&')) {
            if (pair.isEmpty())
                continue;
            const qsizetype eq = pair.indexOf('=');
            const QByteArray key = decode(eq < 0 ? pair : pair.left(eq));
            const QString value
                = QString::fromUtf8(eq < 0 ? QByteArray() : decode(pair.mid(eq + 1)));
            if (key == "Action") {
                if (action.isEmpty())
                    action = value;
            } else if (key != "Version" && !key.isEmpty() && key.size() <= 256) {
                insert(root, key, value);
            }
        }
    }
    if (action.isEmpty())
        return sqsrequests::missing("Action");
    if (!operations().contains(action))
        return sqsrequests::sqsError(QStringLiteral("InvalidAction"),
            QStringLiteral("The action %1 is not valid for this endpoint.").arg(action.left(128)));
    auto body = convert(root);
    if (!body)
        return body.error();
    if (action == QLatin1String("CreateQueue") && body->contains("Tags")) {
        (*body)["tags"] = std::move((*body)["Tags"]);
        body->erase("Tags");
    }
    if (!body->contains("QueueUrl") && path.count(u'/') >= 2 && path.size() > 2)
        (*body)["QueueUrl"] = path.toStdString();
    return Request {action, std::move(*body)};
}

QByteArray toXml(const QString &operation, const Json &result, const QByteArray &requestId)
{
    const QByteArray op = operation.toUtf8();
    QByteArray out = "<?xml version=\"1.0\"?>\n<" + op + "Response xmlns=\"" + kNamespace + "\">";
    if (hasResult(operation)) {
        out += "<" + op + "Result>";
        if (result.is_object())
            appendMembers(out, result, operation);
        out += "</" + op + "Result>";
    }
    out += "<ResponseMetadata><RequestId>";
    appendText(out, requestId);
    out += "</RequestId></ResponseMetadata></" + op + "Response>";
    return out;
}

QByteArray errorXml(
    const QByteArray &code, const QString &message, bool sender, const QByteArray &requestId)
{
    QByteArray out = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" + QByteArray(kNamespace)
        + "\"><Error><Type>" + (sender ? "Sender" : "Receiver") + "</Type><Code>";
    appendText(out, code);
    out += "</Code><Message>";
    appendText(out, message.toUtf8());
    out += "</Message><Detail/></Error><RequestId>";
    appendText(out, requestId);
    out += "</RequestId></ErrorResponse>";
    return out;
}

} // namespace tarmac::sqsquery
