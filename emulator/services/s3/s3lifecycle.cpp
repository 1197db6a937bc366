#include "services/s3/s3lifecycle.h"

#include "services/s3/s3errors.h"

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QSet>
#include <QUuid>
#include <QXmlStreamWriter>

#include <algorithm>
#include <climits>
#include <limits>

namespace tarmac::s3lifecycle {

namespace {

constexpr qint64 kNsPerSecond = 1'000'000'000;
constexpr qint64 kNsPerDay = 86'400 * kNsPerSecond;
// A time no rule reaches: far enough that a day more cannot overflow.
constexpr qint64 kNever = std::numeric_limits<qint64>::max() / 2;

// Down the waterfall: a transition only ever goes to a colder class than the version's.
int storageClassRank(QByteArrayView storageClass)
{
    static const char *const order[] = {"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA",
        "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"};
    if (storageClass.isEmpty())
        return 0;
    for (int i = 0; i < int(std::size(order)); ++i) {
        if (storageClass == order[i])
            return i;
    }
    return 0; // REDUCED_REDUNDANCY and the like sit with STANDARD
}

bool isTransitionClass(const QString &storageClass)
{
    static const QSet<QString> classes = {QStringLiteral("GLACIER"), QStringLiteral("STANDARD_IA"),
        QStringLiteral("ONEZONE_IA"), QStringLiteral("INTELLIGENT_TIERING"),
        QStringLiteral("DEEP_ARCHIVE"), QStringLiteral("GLACIER_IR")};
    return classes.contains(storageClass);
}

bool isInfrequentAccess(const QString &storageClass)
{
    return storageClass == QLatin1String("STANDARD_IA")
        || storageClass == QLatin1String("ONEZONE_IA");
}

// An element's integer, or MalformedXML.
Result<qint64> integer(const XmlElement &element)
{
    bool ok = false;
    const qint64 value = element.text.trimmed().toLongLong(&ok);
    if (!ok)
        return s3errors::malformedXml(element.name + QStringLiteral(" must be an integer"));
    return value;
}

// A lifecycle Date: ISO 8601 with a zone; must be midnight UTC.
Result<qint64> midnightDate(const XmlElement &element)
{
    static const QRegularExpression pattern(
        QStringLiteral("^(\\d{4}-\\d{2}-\\d{2})(?:T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?"
                       "(Z|[+-]\\d{2}:?\\d{2}))?$"));
    const QString text = element.text.trimmed();
    const QRegularExpressionMatch m = pattern.match(text);
    const QDate date = m.hasMatch() ? QDate::fromString(m.captured(1), Qt::ISODate) : QDate();
    if (!date.isValid())
        return s3errors::malformedXml(QStringLiteral("Date must be an ISO 8601 date"));
    const bool midnight = !m.hasCaptured(2)
        || (m.capturedView(2) == u"00" && m.capturedView(3) == u"00" && m.capturedView(4) == u"00"
            && m.capturedView(5).count(u'0') == m.capturedView(5).size()
            && (m.capturedView(6) == u"Z" || m.capturedView(6).sliced(1).count(u'0') >= 4));
    if (!midnight)
        return s3errors::invalidArgument(QStringLiteral("'Date' must be at midnight GMT"));
    // Tarmac keeps times in nanoseconds, which reach the year 2262: it refuses dates it could
    // not keep (S3 would take them).
    const qint64 seconds = QDateTime(date, QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
    if (seconds < 0 || seconds >= kNever / kNsPerSecond)
        return s3errors::invalidArgument(
            QStringLiteral("'Date' must be between 1970 and 2116 here (Tarmac's clock)"));
    return seconds * kNsPerSecond;
}

Result<qint64> sizeBound(const XmlElement &element)
{
    auto value = integer(element);
    if (value && *value < 0)
        return s3errors::invalidArgument(element.name + QStringLiteral(" must be non-negative"));
    return value;
}

Result<s3xml::Tag> tag(const XmlElement &element)
{
    const XmlElement *key = element.child(u"Key");
    const XmlElement *value = element.child(u"Value");
    if (!key || !value)
        return s3errors::malformedXml(QStringLiteral("a Tag needs Key and Value"));
    return s3xml::Tag {key->text, value->text};
}

Result<Filter> parseFilter(const XmlElement &element)
{
    Filter out;
    int conditions = 0;
    for (const XmlElement &c : element.children) {
        ++conditions;
        if (c.name == QLatin1String("Prefix")) {
            out.form = Filter::Form::Prefix;
            out.prefix = c.text;
        } else if (c.name == QLatin1String("Tag")) {
            out.form = Filter::Form::Tag;
            auto t = tag(c);
            if (!t)
                return t.error();
            out.tags.append(*t);
        } else if (c.name == QLatin1String("ObjectSizeGreaterThan")) {
            out.form = Filter::Form::SizeGreaterThan;
            auto v = sizeBound(c);
            if (!v)
                return v.error();
            out.sizeGreaterThan = *v;
        } else if (c.name == QLatin1String("ObjectSizeLessThan")) {
            out.form = Filter::Form::SizeLessThan;
            auto v = sizeBound(c);
            if (!v)
                return v.error();
            out.sizeLessThan = *v;
        } else if (c.name == QLatin1String("And")) {
            out.form = Filter::Form::And;
            for (const XmlElement &a : c.children) {
                if (a.name == QLatin1String("Prefix")) {
                    out.prefix = a.text;
                } else if (a.name == QLatin1String("Tag")) {
                    auto t = tag(a);
                    if (!t)
                        return t.error();
                    out.tags.append(*t);
                } else if (a.name == QLatin1String("ObjectSizeGreaterThan")
                    || a.name == QLatin1String("ObjectSizeLessThan")) {
                    auto v = sizeBound(a);
                    if (!v)
                        return v.error();
                    (a.name == QLatin1String("ObjectSizeLessThan") ? out.sizeLessThan
                                                                   : out.sizeGreaterThan)
                        = *v;
                } else {
                    return s3errors::malformedXml(
                        QStringLiteral("unknown element in And: ") + a.name);
                }
            }
        } else {
            return s3errors::malformedXml(QStringLiteral("unknown element in Filter: ") + c.name);
        }
    }
    if (conditions > 1)
        return s3errors::malformedXml(
            QStringLiteral("a Filter has one of Prefix, Tag, ObjectSizeGreaterThan, "
                           "ObjectSizeLessThan and And"));
    QSet<QString> keys;
    for (const s3xml::Tag &t : std::as_const(out.tags)) {
        if (keys.contains(t.key))
            return s3errors::invalidRequest(QStringLiteral("Duplicate Tag Keys are not allowed."));
        keys.insert(t.key);
    }
    if (out.sizeGreaterThan && out.sizeLessThan && *out.sizeGreaterThan >= *out.sizeLessThan)
        return s3errors::invalidArgument(
            QStringLiteral("ObjectSizeGreaterThan must be less than ObjectSizeLessThan"));
    return out;
}

Result<int> positiveDays(const XmlElement &element, const QString &message)
{
    auto value = integer(element);
    if (!value)
        return value.error();
    if (*value <= 0 || *value > INT_MAX)
        return s3errors::invalidArgument(message);
    return int(*value);
}

Result<Rule> parseRule(const XmlElement &element)
{
    Rule rule;
    const XmlElement *status = element.child(u"Status");
    if (!status)
        return s3errors::malformedXml(QStringLiteral("a Rule needs a Status"));
    if (status->text == QLatin1String("Enabled"))
        rule.status = Status::Enabled;
    else if (status->text == QLatin1String("Disabled"))
        rule.status = Status::Disabled;
    else
        return s3errors::malformedXml(QStringLiteral("Status must be Enabled or Disabled"));

    if (const XmlElement *id = element.child(u"ID")) {
        if (id->text.size() > kMaxIdLength)
            return s3errors::invalidArgument(
                QStringLiteral("ID length should not exceed allowed limit of 255"));
        rule.id = id->text;
    }

    const XmlElement *legacyPrefix = element.child(u"Prefix");
    const XmlElement *filter = element.child(u"Filter");
    if (bool(legacyPrefix) == bool(filter))
        return s3errors::malformedXml(QStringLiteral("a Rule has a Filter or a Prefix"));
    if (legacyPrefix) {
        rule.filter.form = Filter::Form::LegacyPrefix;
        rule.filter.prefix = legacyPrefix->text;
    } else {
        auto parsed = parseFilter(*filter);
        if (!parsed)
            return parsed.error();
        rule.filter = *parsed;
    }

    bool hasAction = false;
    for (const XmlElement &c : element.children) {
        if (c.name == QLatin1String("Expiration")) {
            hasAction = true;
            const XmlElement *days = c.child(u"Days");
            const XmlElement *date = c.child(u"Date");
            const XmlElement *marker = c.child(u"ExpiredObjectDeleteMarker");
            if (marker) {
                const QString v = marker->text.trimmed();
                if (v != QLatin1String("true") && v != QLatin1String("false"))
                    return s3errors::malformedXml(
                        QStringLiteral("ExpiredObjectDeleteMarker must be a boolean"));
                rule.expiredObjectDeleteMarker = v == QLatin1String("true");
            }
            if (int(bool(days)) + int(bool(date)) + int(bool(marker)) != 1)
                return s3errors::malformedXml(QStringLiteral(
                    "an Expiration has one of Days, Date and ExpiredObjectDeleteMarker"));
            if (days) {
                auto d = positiveDays(*days,
                    QStringLiteral("'Days' for Expiration action must be a positive integer"));
                if (!d)
                    return d.error();
                rule.expirationDays = *d;
            } else if (date) {
                auto d = midnightDate(*date);
                if (!d)
                    return d.error();
                rule.expirationDateNs = *d;
            }
        } else if (c.name == QLatin1String("Transition")) {
            hasAction = true;
            Transition t;
            t.storageClass = c.childText(u"StorageClass").trimmed();
            if (!isTransitionClass(t.storageClass))
                return s3errors::malformedXml(QStringLiteral("StorageClass is not valid"));
            const XmlElement *days = c.child(u"Days");
            const XmlElement *date = c.child(u"Date");
            if (bool(days) == bool(date))
                return s3errors::malformedXml(QStringLiteral("a Transition has Days or Date"));
            if (days) {
                auto d = integer(*days);
                if (!d)
                    return d.error();
                if (*d < 0 || *d > INT_MAX)
                    return s3errors::invalidArgument(
                        QStringLiteral("'Days' in Transition action must be a non-negative "
                                       "integer"));
                if (isInfrequentAccess(t.storageClass) && *d < 30)
                    return s3errors::invalidArgument(
                        QStringLiteral("'Days' in Transition action must be greater than or "
                                       "equal to 30 for storageClass '%1'")
                            .arg(t.storageClass));
                t.days = int(*d);
            } else {
                auto d = midnightDate(*date);
                if (!d)
                    return d.error();
                t.dateNs = *d;
            }
            for (const Transition &other : std::as_const(rule.transitions)) {
                if (other.storageClass == t.storageClass)
                    return s3errors::invalidArgument(
                        QStringLiteral("'StorageClass' must be different for 'Transition' "
                                       "actions in same 'Rule'"));
            }
            rule.transitions.append(t);
        } else if (c.name == QLatin1String("NoncurrentVersionTransition")) {
            hasAction = true;
            NoncurrentTransition t;
            t.storageClass = c.childText(u"StorageClass").trimmed();
            if (!isTransitionClass(t.storageClass))
                return s3errors::malformedXml(QStringLiteral("StorageClass is not valid"));
            const XmlElement *days = c.child(u"NoncurrentDays");
            if (!days)
                return s3errors::malformedXml(
                    QStringLiteral("a NoncurrentVersionTransition needs NoncurrentDays"));
            auto d = integer(*days);
            if (!d)
                return d.error();
            if (*d < 0 || *d > INT_MAX)
                return s3errors::invalidArgument(
                    QStringLiteral("'NoncurrentDays' in NoncurrentVersionTransition action must "
                                   "be a non-negative integer"));
            if (isInfrequentAccess(t.storageClass) && *d < 30)
                return s3errors::invalidArgument(
                    QStringLiteral("'NoncurrentDays' in NoncurrentVersionTransition action must "
                                   "be greater than or equal to 30 for storageClass '%1'")
                        .arg(t.storageClass));
            t.noncurrentDays = int(*d);
            if (const XmlElement *newer = c.child(u"NewerNoncurrentVersions")) {
                auto n = positiveDays(*newer,
                    QStringLiteral("'NewerNoncurrentVersions' for NoncurrentVersionTransition "
                                   "action must be a positive integer"));
                if (!n)
                    return n.error();
                t.newerNoncurrentVersions = *n;
            }
            for (const NoncurrentTransition &other : std::as_const(rule.noncurrentTransitions)) {
                if (other.storageClass == t.storageClass)
                    return s3errors::invalidArgument(
                        QStringLiteral("'StorageClass' must be different for "
                                       "'NoncurrentVersionTransition' actions in same 'Rule'"));
            }
            rule.noncurrentTransitions.append(t);
        } else if (c.name == QLatin1String("NoncurrentVersionExpiration")) {
            hasAction = true;
            const XmlElement *days = c.child(u"NoncurrentDays");
            const XmlElement *newer = c.child(u"NewerNoncurrentVersions");
            if (!days && !newer)
                return s3errors::malformedXml(
                    QStringLiteral("a NoncurrentVersionExpiration needs NoncurrentDays or "
                                   "NewerNoncurrentVersions"));
            if (days) {
                auto d = positiveDays(*days,
                    QStringLiteral("'NoncurrentDays' for NoncurrentVersionExpiration action must "
                                   "be a positive integer"));
                if (!d)
                    return d.error();
                rule.noncurrentDays = *d;
            }
            if (newer) {
                auto n = positiveDays(*newer,
                    QStringLiteral("'NewerNoncurrentVersions' for NoncurrentVersionExpiration "
                                   "action must be a positive integer"));
                if (!n)
                    return n.error();
                rule.newerNoncurrentVersions = *n;
            }
        } else if (c.name == QLatin1String("AbortIncompleteMultipartUpload")) {
            hasAction = true;
            const XmlElement *days = c.child(u"DaysAfterInitiation");
            if (!days)
                return s3errors::malformedXml(
                    QStringLiteral("AbortIncompleteMultipartUpload needs DaysAfterInitiation"));
            auto d = positiveDays(*days,
                QStringLiteral("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action "
                               "must be a positive integer"));
            if (!d)
                return d.error();
            rule.abortDaysAfterInitiation = *d;
        }
    }
    if (!hasAction)
        return s3errors::invalidRequest(
            QStringLiteral("At least one action needs to be specified in a rule"));
    if (rule.filter.hasTags() && rule.abortDaysAfterInitiation)
        return s3errors::invalidRequest(
            QStringLiteral("AbortIncompleteMultipartUpload cannot be specified with Tags."));
    if (rule.filter.hasTags() && rule.expiredObjectDeleteMarker)
        return s3errors::invalidRequest(
            QStringLiteral("ExpiredObjectDeleteMarker cannot be specified with Tags."));
    return rule;
}

// The due time of a Days period counted from `startNs`.
qint64 afterDays(qint64 startNs, int days)
{
    if (startNs >= kNever || qint64(days) >= (kNever - startNs) / kNsPerDay)
        return kNever;
    return nextMidnight(startNs + qint64(days) * kNsPerDay);
}

bool filterNamesSize(const Filter &filter)
{
    return filter.sizeGreaterThan || filter.sizeLessThan;
}

// S3's default keeps small objects where they are; a size filter on the rule overrides it.
bool mayTransition(const Rule &rule, const ObjectVersion &version, const QString &storageClass,
    MinimumObjectSize minimumObjectSize)
{
    if (storageClassRank(storageClass.toLatin1()) <= storageClassRank(version.storageClass))
        return false;
    if (version.size >= kSmallObjectLimit || filterNamesSize(rule.filter))
        return true;
    return minimumObjectSize == MinimumObjectSize::VariesByStorageClass
        && (storageClass == QLatin1String("GLACIER")
            || storageClass == QLatin1String("DEEP_ARCHIVE"));
}

// Folds one candidate action into a decision: due ones compete by precedence, future ones only
// set nextDueNs.
struct Candidate
{
    Action action;
    qint64 dueNs;
    QByteArray storageClass;
    QString ruleId;
};

int precedence(const Candidate &c, bool versioned)
{
    switch (c.action) {
    case Action::ExpireNoncurrent:
    case Action::RemoveExpiredDeleteMarker:
        return 3;
    case Action::ExpireCurrent:
        // Unversioned, it removes the object for good; versioned, it only adds a delete marker,
        // which a transition outranks.
        return versioned ? 1 : 3;
    case Action::Transition:
        return 2;
    case Action::None:
        break;
    }
    return 0;
}

void fold(Decision &decision, const Candidate &c, const ObjectVersion &version, qint64 nowNs)
{
    if (c.dueNs > nowNs) {
        if (decision.nextDueNs == 0 || c.dueNs < decision.nextDueNs)
            decision.nextDueNs = c.dueNs;
        return;
    }
    const Candidate current {decision.action, 0, decision.storageClass, decision.ruleId};
    const int mine = precedence(c, version.versioned);
    const int theirs = precedence(current, version.versioned);
    const bool colder = c.action == Action::Transition && decision.action == Action::Transition
        && storageClassRank(c.storageClass) > storageClassRank(decision.storageClass);
    if (mine > theirs || colder) {
        decision.action = c.action;
        decision.storageClass = c.storageClass;
        decision.ruleId = c.ruleId;
    }
}

void collect(const Rule &rule, const ObjectVersion &version, qint64 nowNs,
    MinimumObjectSize minimumObjectSize, Decision &decision)
{
    if (rule.status != Status::Enabled
        || !matches(rule, version.key, version.tags, version.isDeleteMarker ? 0 : version.size))
        return;
    auto add = [&](Action action, qint64 dueNs, const QString &storageClass = {}) {
        fold(decision, {action, dueNs, storageClass.toLatin1(), rule.id}, version, nowNs);
    };

    if (version.isCurrent && version.isDeleteMarker) {
        // Expiration leaves a delete marker alone while versions sit under it; once it is the
        // only one left, ExpiredObjectDeleteMarker removes it at once, and Days or Date when it
        // is old enough.
        if (!version.onlyVersion)
            return;
        if (rule.expiredObjectDeleteMarker)
            add(Action::RemoveExpiredDeleteMarker, version.lastModifiedNs);
        else if (rule.expirationDays)
            add(Action::RemoveExpiredDeleteMarker,
                afterDays(version.lastModifiedNs, *rule.expirationDays));
        else if (rule.expirationDateNs)
            add(Action::RemoveExpiredDeleteMarker, *rule.expirationDateNs);
        return;
    }

    if (version.isCurrent) {
        if (rule.expirationDays)
            add(Action::ExpireCurrent, afterDays(version.lastModifiedNs, *rule.expirationDays));
        if (rule.expirationDateNs)
            add(Action::ExpireCurrent, *rule.expirationDateNs);
        for (const Transition &t : rule.transitions) {
            if (!mayTransition(rule, version, t.storageClass, minimumObjectSize))
                continue;
            add(Action::Transition, t.days ? afterDays(version.lastModifiedNs, *t.days) : *t.dateNs,
                t.storageClass);
        }
        return;
    }

    // Noncurrent versions (noncurrent delete markers are removed like any other version).
    if (rule.noncurrentDays || rule.newerNoncurrentVersions) {
        const bool enoughNewer = !rule.newerNoncurrentVersions
            || version.newerNoncurrentVersions >= *rule.newerNoncurrentVersions;
        if (enoughNewer)
            add(Action::ExpireNoncurrent,
                rule.noncurrentDays ? afterDays(version.noncurrentSinceNs, *rule.noncurrentDays)
                                    : version.noncurrentSinceNs);
    }
    if (version.isDeleteMarker)
        return;
    for (const NoncurrentTransition &t : rule.noncurrentTransitions) {
        if (t.newerNoncurrentVersions
            && version.newerNoncurrentVersions < *t.newerNoncurrentVersions)
            continue;
        if (!mayTransition(rule, version, t.storageClass, minimumObjectSize))
            continue;
        add(Action::Transition, afterDays(version.noncurrentSinceNs, t.noncurrentDays),
            t.storageClass);
    }
}

QString httpDate(qint64 ns)
{
    return QLocale::c().toString(QDateTime::fromSecsSinceEpoch(ns / kNsPerSecond, Qt::UTC),
        QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
}

} // namespace

qint64 nextMidnight(qint64 ns)
{
    const qint64 days = ns / kNsPerDay + (ns % kNsPerDay > 0 ? 1 : 0);
    return days * kNsPerDay;
}

Result<Configuration> parseConfiguration(
    const QByteArray &document, const QByteArray &minimumObjectSizeHeader)
{
    Configuration out;
    if (!minimumObjectSizeHeader.isNull()) {
        if (minimumObjectSizeHeader == "varies_by_storage_class")
            out.minimumObjectSize = MinimumObjectSize::VariesByStorageClass;
        else if (minimumObjectSizeHeader != "all_storage_classes_128K")
            return s3errors::invalidRequest(
                QStringLiteral("Invalid TransitionDefaultMinimumObjectSize found: ")
                + QString::fromLatin1(minimumObjectSizeHeader));
    }
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("LifecycleConfiguration"))
        return s3errors::malformedXml(
            QStringLiteral("the root element must be LifecycleConfiguration"));
    QSet<QString> ids;
    for (const XmlElement &c : root->children) {
        if (c.name != QLatin1String("Rule"))
            continue;
        if (out.rules.size() == kMaxRules)
            return s3errors::malformedXml(QStringLiteral("at most 1000 rules"));
        auto rule = parseRule(c);
        if (!rule)
            return rule.error();
        if (rule->id.isEmpty())
            rule->id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (ids.contains(rule->id))
            return s3errors::invalidArgument(
                QStringLiteral("Rule ID must be unique. Found same ID for more than one rule"));
        ids.insert(rule->id);
        out.rules.append(*rule);
    }
    if (out.rules.isEmpty())
        return s3errors::malformedXml(QStringLiteral("at least one Rule"));
    return out;
}

QByteArray minimumObjectSizeHeader(const Configuration &configuration)
{
    return configuration.minimumObjectSize == MinimumObjectSize::VariesByStorageClass
        ? QByteArrayLiteral("varies_by_storage_class")
        : QByteArrayLiteral("all_storage_classes_128K");
}

QByteArray renderConfiguration(const Configuration &configuration)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("LifecycleConfiguration"));
    auto writeTag = [&w](const s3xml::Tag &t) {
        w.writeStartElement(QStringLiteral("Tag"));
        w.writeTextElement(QStringLiteral("Key"), t.key);
        w.writeTextElement(QStringLiteral("Value"), t.value);
        w.writeEndElement();
    };
    auto writeDate
        = [&w](qint64 ns) { w.writeTextElement(QStringLiteral("Date"), s3xml::isoTime(ns)); };
    for (const Rule &r : configuration.rules) {
        w.writeStartElement(QStringLiteral("Rule"));
        if (r.expirationDays || r.expirationDateNs || r.expiredObjectDeleteMarker) {
            w.writeStartElement(QStringLiteral("Expiration"));
            if (r.expirationDays)
                w.writeTextElement(QStringLiteral("Days"), QString::number(*r.expirationDays));
            else if (r.expirationDateNs)
                writeDate(*r.expirationDateNs);
            else
                w.writeTextElement(
                    QStringLiteral("ExpiredObjectDeleteMarker"), QStringLiteral("true"));
            w.writeEndElement();
        }
        w.writeTextElement(QStringLiteral("ID"), r.id);
        const Filter &f = r.filter;
        if (f.form == Filter::Form::LegacyPrefix) {
            w.writeTextElement(QStringLiteral("Prefix"), f.prefix);
        } else {
            w.writeStartElement(QStringLiteral("Filter"));
            switch (f.form) {
            case Filter::Form::Prefix:
                w.writeTextElement(QStringLiteral("Prefix"), f.prefix);
                break;
            case Filter::Form::Tag:
                writeTag(f.tags.value(0));
                break;
            case Filter::Form::SizeGreaterThan:
                w.writeTextElement(QStringLiteral("ObjectSizeGreaterThan"),
                    QString::number(f.sizeGreaterThan.value_or(0)));
                break;
            case Filter::Form::SizeLessThan:
                w.writeTextElement(QStringLiteral("ObjectSizeLessThan"),
                    QString::number(f.sizeLessThan.value_or(0)));
                break;
            case Filter::Form::And:
                w.writeStartElement(QStringLiteral("And"));
                if (!f.prefix.isEmpty())
                    w.writeTextElement(QStringLiteral("Prefix"), f.prefix);
                for (const s3xml::Tag &t : f.tags)
                    writeTag(t);
                if (f.sizeGreaterThan)
                    w.writeTextElement(QStringLiteral("ObjectSizeGreaterThan"),
                        QString::number(*f.sizeGreaterThan));
                if (f.sizeLessThan)
                    w.writeTextElement(
                        QStringLiteral("ObjectSizeLessThan"), QString::number(*f.sizeLessThan));
                w.writeEndElement();
                break;
            case Filter::Form::Empty:
            case Filter::Form::LegacyPrefix:
                break;
            }
            w.writeEndElement();
        }
        w.writeTextElement(QStringLiteral("Status"),
            r.status == Status::Enabled ? QStringLiteral("Enabled") : QStringLiteral("Disabled"));
        for (const Transition &t : r.transitions) {
            w.writeStartElement(QStringLiteral("Transition"));
            if (t.days)
                w.writeTextElement(QStringLiteral("Days"), QString::number(*t.days));
            else if (t.dateNs)
                writeDate(*t.dateNs);
            w.writeTextElement(QStringLiteral("StorageClass"), t.storageClass);
            w.writeEndElement();
        }
        for (const NoncurrentTransition &t : r.noncurrentTransitions) {
            w.writeStartElement(QStringLiteral("NoncurrentVersionTransition"));
            w.writeTextElement(QStringLiteral("NoncurrentDays"), QString::number(t.noncurrentDays));
            w.writeTextElement(QStringLiteral("StorageClass"), t.storageClass);
            if (t.newerNoncurrentVersions)
                w.writeTextElement(QStringLiteral("NewerNoncurrentVersions"),
                    QString::number(*t.newerNoncurrentVersions));
            w.writeEndElement();
        }
        if (r.noncurrentDays || r.newerNoncurrentVersions) {
            w.writeStartElement(QStringLiteral("NoncurrentVersionExpiration"));
            if (r.noncurrentDays)
                w.writeTextElement(
                    QStringLiteral("NoncurrentDays"), QString::number(*r.noncurrentDays));
            if (r.newerNoncurrentVersions)
                w.writeTextElement(QStringLiteral("NewerNoncurrentVersions"),
                    QString::number(*r.newerNoncurrentVersions));
            w.writeEndElement();
        }
        if (r.abortDaysAfterInitiation) {
            w.writeStartElement(QStringLiteral("AbortIncompleteMultipartUpload"));
            w.writeTextElement(QStringLiteral("DaysAfterInitiation"),
                QString::number(*r.abortDaysAfterInitiation));
            w.writeEndElement();
        }
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return out;
}

bool matches(const Rule &rule, const QByteArray &key, const QList<s3xml::Tag> &tags, qint64 size)
{
    const Filter &f = rule.filter;
    if (!key.startsWith(f.prefix.toUtf8()))
        return false;
    for (const s3xml::Tag &wanted : f.tags) {
        if (!tags.contains(wanted))
            return false;
    }
    if (f.sizeGreaterThan && !(size > *f.sizeGreaterThan))
        return false;
    if (f.sizeLessThan && !(size < *f.sizeLessThan))
        return false;
    return true;
}

Decision evaluate(const Rule &rule, const ObjectVersion &version, qint64 nowNs,
    MinimumObjectSize minimumObjectSize)
{
    Decision decision;
    collect(rule, version, nowNs, minimumObjectSize, decision);
    return decision;
}

Decision evaluate(const Configuration &configuration, const ObjectVersion &version, qint64 nowNs)
{
    Decision decision;
    for (const Rule &rule : configuration.rules)
        collect(rule, version, nowNs, configuration.minimumObjectSize, decision);
    return decision;
}

AbortDecision evaluateUpload(
    const Configuration &configuration, const QByteArray &key, qint64 initiatedNs, qint64 nowNs)
{
    AbortDecision out;
    for (const Rule &rule : configuration.rules) {
        if (rule.status != Status::Enabled || !rule.abortDaysAfterInitiation
            || rule.filter.hasTags() || filterNamesSize(rule.filter)
            || !key.startsWith(rule.filter.prefix.toUtf8()))
            continue;
        const qint64 due = afterDays(initiatedNs, *rule.abortDaysAfterInitiation);
        if (out.dueNs == 0 || due < out.dueNs) {
            out.dueNs = due;
            out.ruleId = rule.id;
        }
    }
    out.due = out.dueNs != 0 && out.dueNs <= nowNs;
    return out;
}

QByteArray expirationHeader(const Configuration &configuration, const ObjectVersion &version)
{
    if (version.isDeleteMarker)
        return {};
    qint64 earliest = 0;
    QString ruleId;
    for (const Rule &rule : configuration.rules) {
        if (rule.status != Status::Enabled
            || !matches(rule, version.key, version.tags, version.size))
            continue;
        qint64 due = 0;
        if (version.isCurrent) {
            if (rule.expirationDays)
                due = afterDays(version.lastModifiedNs, *rule.expirationDays);
            else if (rule.expirationDateNs)
                due = *rule.expirationDateNs;
        } else if (rule.noncurrentDays
            && (!rule.newerNoncurrentVersions
                || version.newerNoncurrentVersions >= *rule.newerNoncurrentVersions)) {
            due = afterDays(version.noncurrentSinceNs, *rule.noncurrentDays);
        }
        if (due != 0 && (earliest == 0 || due < earliest)) {
            earliest = due;
            ruleId = rule.id;
        }
    }
    if (earliest == 0)
        return {};
    return "expiry-date=\"" + httpDate(earliest).toLatin1() + "\", rule-id=\"" + ruleId.toUtf8()
        + '"';
}

} // namespace tarmac::s3lifecycle
