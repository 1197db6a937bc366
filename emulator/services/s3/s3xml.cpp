#include "services/s3/s3xml.h"

#include "services/s3/s3errors.h"

#include <QDateTime>
#include <QSet>
#include <QUrl>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

namespace tarmac {

const XmlElement *XmlElement::child(QStringView childName) const
{
    for (const XmlElement &c : children) {
        if (c.name == childName)
            return &c;
    }
    return nullptr;
}

QString XmlElement::childText(QStringView childName) const
{
    const XmlElement *c = child(childName);
    return c ? c->text : QString();
}

namespace s3xml {

namespace {

const QString kNamespace = QStringLiteral("http://s3.amazonaws.com/doc/2006-03-01/");

Result<XmlElement> parseRoot(const QByteArray &document, QStringView expectedRoot)
{
    auto root = parse(document);
    if (!root)
        return root;
    if (root->name != expectedRoot)
        return s3errors::malformedXml(QStringLiteral("the root element must be ") + expectedRoot);
    return root;
}

bool parseBool(const QString &text, bool *ok)
{
    const QString t = text.trimmed().toLower();
    *ok = t == QLatin1String("true") || t == QLatin1String("false");
    return t == QLatin1String("true");
}

} // namespace

Result<XmlElement> parse(const QByteArray &document)
{
    QXmlStreamReader reader(document);
    std::vector<XmlElement> stack;
    XmlElement root;
    bool haveRoot = false;
    int elements = 0;
    while (!reader.atEnd()) {
        switch (reader.readNext()) {
        case QXmlStreamReader::DTD:
        case QXmlStreamReader::EntityReference:
            return s3errors::malformedXml(QStringLiteral("DTDs and entities are not accepted"));
        case QXmlStreamReader::StartElement:
            if (haveRoot && stack.empty())
                return s3errors::malformedXml(QStringLiteral("more than one root element"));
            if (++elements > kMaxElements || int(stack.size()) >= kMaxDepth)
                return s3errors::malformedXml(QStringLiteral("the document is too large"));
            stack.push_back(XmlElement {reader.name().toString(), QString(), {}});
            break;
        case QXmlStreamReader::Characters:
            if (!stack.empty())
                stack.back().text += reader.text();
            break;
        case QXmlStreamReader::EndElement: {
            XmlElement done = std::move(stack.back());
            stack.pop_back();
            if (stack.empty()) {
                root = std::move(done);
                haveRoot = true;
            } else {
                stack.back().children.push_back(std::move(done));
            }
            break;
        }
        default:
            break;
        }
    }
    if (reader.hasError() || !haveRoot)
        return s3errors::malformedXml(reader.hasError() ? reader.errorString() : QString());
    return root;
}

Result<DeleteRequest> parseDelete(const QByteArray &document)
{
    auto root = parseRoot(document, u"Delete");
    if (!root)
        return root.error();
    DeleteRequest out;
    for (const XmlElement &c : root->children) {
        if (c.name == QLatin1String("Quiet")) {
            bool ok = false;
            out.quiet = parseBool(c.text, &ok);
            if (!ok)
                return s3errors::malformedXml(QStringLiteral("Quiet must be true or false"));
        } else if (c.name == QLatin1String("Object")) {
            const XmlElement *key = c.child(u"Key");
            if (!key)
                return s3errors::malformedXml(QStringLiteral("an Object without a Key"));
            out.keys.append(key->text.toUtf8());
            const XmlElement *version = c.child(u"VersionId");
            out.versionIds.append(version ? version->text.toUtf8() : QByteArray());
        }
    }
    if (out.keys.isEmpty() || out.keys.size() > 1000)
        return s3errors::malformedXml(QStringLiteral("a Delete names 1 to 1000 objects"));
    return out;
}

Result<S3Versioning> parseVersioning(const QByteArray &document)
{
    auto root = parseRoot(document, u"VersioningConfiguration");
    if (!root)
        return root.error();
    const XmlElement *mfa = root->child(u"MfaDelete");
    if (mfa && mfa->text != QLatin1String("Disabled")) {
        if (mfa->text != QLatin1String("Enabled"))
            return s3errors::malformedXml();
        return s3errors::invalidRequest(QStringLiteral("MFA Delete is not available: requests "
                                                       "carry no MFA token here"));
    }
    const XmlElement *status = root->child(u"Status");
    if (!status)
        return s3errors::malformedXml(QStringLiteral("no Status"));
    if (status->text == QLatin1String("Enabled"))
        return S3Versioning::Enabled;
    if (status->text == QLatin1String("Suspended"))
        return S3Versioning::Suspended;
    return s3errors::malformedXml();
}

Result<QList<S3CompletedPart>> parseCompleteMultipartUpload(const QByteArray &document)
{
    auto root = parseRoot(document, u"CompleteMultipartUpload");
    if (!root)
        return root.error();
    QList<S3CompletedPart> parts;
    for (const XmlElement &c : root->children) {
        if (c.name != QLatin1String("Part"))
            continue;
        bool ok = false;
        const int number = c.childText(u"PartNumber").trimmed().toInt(&ok);
        const XmlElement *etag = c.child(u"ETag");
        if (!ok || !etag)
            return s3errors::malformedXml(QStringLiteral("a Part needs PartNumber and ETag"));
        QByteArray e = etag->text.trimmed().toUtf8();
        if (e.startsWith("&quot;"))
            e = e.mid(6, e.size() - 12);
        if (e.size() >= 2 && e.startsWith('"') && e.endsWith('"'))
            e = e.mid(1, e.size() - 2);
        parts.append({number, e});
    }
    if (parts.isEmpty())
        return s3errors::malformedXml(QStringLiteral("no parts"));
    return parts;
}

Result<QString> parseCreateBucketConfiguration(const QByteArray &document)
{
    if (document.trimmed().isEmpty())
        return QString();
    auto root = parseRoot(document, u"CreateBucketConfiguration");
    if (!root)
        return root.error();
    return root->childText(u"LocationConstraint").trimmed();
}

Result<QList<Tag>> parseTagging(const QByteArray &document, int maxTags)
{
    auto root = parseRoot(document, u"Tagging");
    if (!root)
        return root.error();
    const XmlElement *set = root->child(u"TagSet");
    if (!set)
        return s3errors::malformedXml(QStringLiteral("Tagging needs a TagSet"));
    QList<Tag> tags;
    QSet<QString> seen;
    for (const XmlElement &t : set->children) {
        if (t.name != QLatin1String("Tag"))
            continue;
        const XmlElement *key = t.child(u"Key");
        const XmlElement *value = t.child(u"Value");
        if (!key || !value)
            return s3errors::malformedXml(QStringLiteral("a Tag needs Key and Value"));
        if (key->text.isEmpty() || key->text.size() > 128 || value->text.size() > 256)
            return s3errors::invalidTag(
                QStringLiteral("The TagKey or TagValue you have provided is "
                               "too long or too short"));
        if (seen.contains(key->text))
            return s3errors::invalidTag(
                QStringLiteral("Cannot provide multiple Tags with the same key"));
        seen.insert(key->text);
        tags.append({key->text, value->text});
    }
    if (tags.size() > maxTags)
        return s3errors::invalidTag(
            QStringLiteral("Object tags cannot be greater than %1").arg(maxTags));
    return tags;
}

Result<QList<Tag>> parseTaggingHeader(const QByteArray &header)
{
    QList<Tag> tags;
    if (header.isEmpty())
        return tags;
    QSet<QString> seen;
    for (const QByteArray &pair : header.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray k = eq < 0 ? pair : pair.left(eq);
        QByteArray v = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        k.replace('+', ' ');
        v.replace('+', ' ');
        const QString key = QString::fromUtf8(QByteArray::fromPercentEncoding(k));
        const QString value = QString::fromUtf8(QByteArray::fromPercentEncoding(v));
        if (key.isEmpty() || key.size() > 128 || value.size() > 256 || seen.contains(key))
            return s3errors::invalidTag(
                QStringLiteral("The tag set in x-amz-tagging is not valid"));
        seen.insert(key);
        tags.append({key, value});
    }
    if (tags.size() > 10)
        return s3errors::invalidTag(QStringLiteral("Object tags cannot be greater than 10"));
    return tags;
}

QByteArray taggingToHeader(const QList<Tag> &tags)
{
    QByteArray out;
    for (const Tag &t : tags) {
        if (!out.isEmpty())
            out += '&';
        out += t.key.toUtf8().toPercentEncoding() + '=' + t.value.toUtf8().toPercentEncoding();
    }
    return out;
}

QByteArray renderTagging(const QList<Tag> &tags)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    beginDocument(w, QStringLiteral("Tagging"));
    w.writeStartElement(QStringLiteral("TagSet"));
    for (const Tag &t : tags) {
        w.writeStartElement(QStringLiteral("Tag"));
        w.writeTextElement(QStringLiteral("Key"), t.key);
        w.writeTextElement(QStringLiteral("Value"), t.value);
        w.writeEndElement();
    }
    w.writeEndElement();
    endDocument(w);
    return out;
}

Result<QList<CorsRule>> parseCors(const QByteArray &document)
{
    auto root = parseRoot(document, u"CORSConfiguration");
    if (!root)
        return root.error();
    QList<CorsRule> rules;
    static const QSet<QString> methods = {QStringLiteral("GET"), QStringLiteral("PUT"),
        QStringLiteral("POST"), QStringLiteral("DELETE"), QStringLiteral("HEAD")};
    for (const XmlElement &r : root->children) {
        if (r.name != QLatin1String("CORSRule"))
            continue;
        CorsRule rule;
        for (const XmlElement &c : r.children) {
            const QString text = c.text.trimmed();
            if (c.name == QLatin1String("ID"))
                rule.id = text;
            else if (c.name == QLatin1String("AllowedOrigin"))
                rule.allowedOrigins.append(text);
            else if (c.name == QLatin1String("AllowedMethod")) {
                if (!methods.contains(text))
                    return s3errors::invalidRequest(
                        QStringLiteral("Found unsupported HTTP method in CORS config: ") + text);
                rule.allowedMethods.append(text);
            } else if (c.name == QLatin1String("AllowedHeader"))
                rule.allowedHeaders.append(text);
            else if (c.name == QLatin1String("ExposeHeader"))
                rule.exposeHeaders.append(text);
            else if (c.name == QLatin1String("MaxAgeSeconds")) {
                bool ok = false;
                rule.maxAgeSeconds = text.toInt(&ok);
                if (!ok)
                    return s3errors::malformedXml(QStringLiteral("MaxAgeSeconds must be a number"));
            }
        }
        if (rule.allowedOrigins.isEmpty() || rule.allowedMethods.isEmpty())
            return s3errors::malformedXml(
                QStringLiteral("a CORSRule needs AllowedOrigin and AllowedMethod"));
        rules.append(rule);
    }
    if (rules.isEmpty() || rules.size() > 100)
        return s3errors::malformedXml(QStringLiteral("a CORSConfiguration has 1 to 100 rules"));
    return rules;
}

QByteArray renderCors(const QList<CorsRule> &rules)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    beginDocument(w, QStringLiteral("CORSConfiguration"));
    for (const CorsRule &r : rules) {
        w.writeStartElement(QStringLiteral("CORSRule"));
        if (!r.id.isEmpty())
            w.writeTextElement(QStringLiteral("ID"), r.id);
        for (const QString &h : r.allowedHeaders)
            w.writeTextElement(QStringLiteral("AllowedHeader"), h);
        for (const QString &m : r.allowedMethods)
            w.writeTextElement(QStringLiteral("AllowedMethod"), m);
        for (const QString &o : r.allowedOrigins)
            w.writeTextElement(QStringLiteral("AllowedOrigin"), o);
        for (const QString &h : r.exposeHeaders)
            w.writeTextElement(QStringLiteral("ExposeHeader"), h);
        if (r.maxAgeSeconds >= 0)
            w.writeTextElement(QStringLiteral("MaxAgeSeconds"), QString::number(r.maxAgeSeconds));
        w.writeEndElement();
    }
    endDocument(w);
    return out;
}

Result<NotificationConfiguration> parseNotification(const QByteArray &document)
{
    NotificationConfiguration out;
    if (document.trimmed().isEmpty())
        return out;
    auto root = parseRoot(document, u"NotificationConfiguration");
    if (!root)
        return root.error();
    static const QStringList validPrefixes = {
        QStringLiteral("s3:ObjectCreated:"),
        QStringLiteral("s3:ObjectRemoved:"),
        QStringLiteral("s3:ObjectRestore:"),
        QStringLiteral("s3:ReducedRedundancyLostObject"),
        QStringLiteral("s3:Replication:"),
        QStringLiteral("s3:LifecycleExpiration:"),
        QStringLiteral("s3:LifecycleTransition"),
        QStringLiteral("s3:IntelligentTiering"),
        QStringLiteral("s3:ObjectTagging:"),
        QStringLiteral("s3:ObjectAcl:"),
    };
    for (const XmlElement &c : root->children) {
        NotificationTarget t;
        QString arnElement;
        if (c.name == QLatin1String("CloudFunctionConfiguration")
            || c.name == QLatin1String("LambdaFunctionConfiguration")) {
            t.kind = QStringLiteral("CloudFunction");
            arnElement = c.child(u"CloudFunction") ? QStringLiteral("CloudFunction")
                                                   : QStringLiteral("LambdaFunctionArn");
        } else if (c.name == QLatin1String("QueueConfiguration")) {
            t.kind = QStringLiteral("Queue");
            arnElement = c.child(u"Queue") ? QStringLiteral("Queue") : QStringLiteral("QueueArn");
        } else if (c.name == QLatin1String("TopicConfiguration")) {
            t.kind = QStringLiteral("Topic");
            arnElement = c.child(u"Topic") ? QStringLiteral("Topic") : QStringLiteral("TopicArn");
        } else if (c.name == QLatin1String("EventBridgeConfiguration")) {
            out.eventBridge = true;
            continue;
        } else {
            continue;
        }
        t.id = c.childText(u"Id").trimmed();
        t.arn = c.childText(arnElement).trimmed();
        if (t.arn.isEmpty())
            return s3errors::malformedXml(QStringLiteral("a notification target needs an ARN"));
        for (const XmlElement &e : c.children) {
            if (e.name != QLatin1String("Event"))
                continue;
            const QString name = e.text.trimmed();
            bool valid = false;
            for (const QString &p : validPrefixes)
                valid = valid || name.startsWith(p) || name == QStringView(p).chopped(1);
            if (!valid)
                return s3errors::invalidArgument(QStringLiteral("The event is not supported for "
                                                                "notifications: ")
                    + name);
            t.events.append(name);
        }
        if (t.events.isEmpty())
            return s3errors::malformedXml(QStringLiteral("a notification target needs an Event"));
        if (const XmlElement *filter = c.child(u"Filter")) {
            if (const XmlElement *key = filter->child(u"S3Key")) {
                for (const XmlElement &rule : key->children) {
                    if (rule.name != QLatin1String("FilterRule"))
                        continue;
                    const QString name = rule.childText(u"Name").trimmed().toLower();
                    const QString value = rule.childText(u"Value");
                    if (name == QLatin1String("prefix") && t.prefix.isEmpty())
                        t.prefix = value;
                    else if (name == QLatin1String("suffix") && t.suffix.isEmpty())
                        t.suffix = value;
                    else
                        return s3errors::invalidArgument(
                            QStringLiteral("FilterRule names are prefix and suffix, once each"));
                }
            }
        }
        if (t.id.isEmpty())
            t.id = QStringLiteral("notification-%1").arg(out.targets.size() + 1);
        out.targets.append(t);
    }
    return out;
}

QByteArray renderNotification(const NotificationConfiguration &configuration)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    beginDocument(w, QStringLiteral("NotificationConfiguration"));
    for (const NotificationTarget &t : configuration.targets) {
        w.writeStartElement(t.kind + QStringLiteral("Configuration"));
        w.writeTextElement(QStringLiteral("Id"), t.id);
        w.writeTextElement(t.kind, t.arn);
        for (const QString &e : t.events)
            w.writeTextElement(QStringLiteral("Event"), e);
        if (!t.prefix.isEmpty() || !t.suffix.isEmpty()) {
            w.writeStartElement(QStringLiteral("Filter"));
            w.writeStartElement(QStringLiteral("S3Key"));
            const std::pair<const char *, const QString *> rules[]
                = {{"prefix", &t.prefix}, {"suffix", &t.suffix}};
            for (const auto &[name, value] : rules) {
                if (value->isEmpty())
                    continue;
                w.writeStartElement(QStringLiteral("FilterRule"));
                w.writeTextElement(QStringLiteral("Name"), QString::fromLatin1(name));
                w.writeTextElement(QStringLiteral("Value"), *value);
                w.writeEndElement();
            }
            w.writeEndElement();
            w.writeEndElement();
        }
        w.writeEndElement();
    }
    if (configuration.eventBridge)
        w.writeEmptyElement(QStringLiteral("EventBridgeConfiguration"));
    endDocument(w);
    return out;
}

bool eventMatches(const QString &configured, const QString &eventName)
{
    // "s3:ObjectCreated:*" matches "ObjectCreated:Put"; "s3:ObjectCreated:Put" only itself.
    const QStringView c = QStringView(configured).startsWith(u"s3:")
        ? QStringView(configured).sliced(3)
        : QStringView(configured);
    if (c.endsWith(u'*'))
        return QStringView(eventName).startsWith(c.chopped(1));
    return c == eventName;
}

void beginDocument(QXmlStreamWriter &w, const QString &root)
{
    w.writeStartDocument();
    w.writeStartElement(root);
    w.writeDefaultNamespace(kNamespace);
}

void endDocument(QXmlStreamWriter &w)
{
    w.writeEndElement();
    w.writeEndDocument();
}

QString isoTime(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace s3xml
} // namespace tarmac
