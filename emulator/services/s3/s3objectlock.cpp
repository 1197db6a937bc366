#include "services/s3/s3objectlock.h"

#include "services/s3/s3errors.h"
#include "services/s3/s3xml.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QXmlStreamWriter>

#include <limits>

namespace tarmac::s3objectlock {

namespace {

constexpr qint64 kNsPerSecond = 1'000'000'000;
constexpr qint64 kNsPerDay = 86'400 * kNsPerSecond;

Error lockedVersion()
{
    return s3errors::accessDenied(
        QStringLiteral("Access Denied because object protected by object lock."));
}

Error retainUntilNotInFuture()
{
    return s3errors::invalidArgument(
        QStringLiteral("The retain until date must be in the future!"));
}

// An ISO 8601 date and time with a zone (Z or ±hh:mm), seconds required, any fraction: what
// botocore and the SDKs send. Nanoseconds since the epoch; nullopt for anything else (a time
// without a zone would depend on where the emulator runs).
std::optional<qint64> parseIsoTime(QStringView text)
{
    static const QRegularExpression pattern(
        QStringLiteral("^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?"
                       "(Z|[+-]\\d{2}:?\\d{2})$"));
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const QDate date(
        m.capturedView(1).toInt(), m.capturedView(2).toInt(), m.capturedView(3).toInt());
    const QTime time(
        m.capturedView(4).toInt(), m.capturedView(5).toInt(), m.capturedView(6).toInt());
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    // Nanoseconds reach the year 2262: a later date is one Tarmac cannot keep (a day's margin
    // for the zone offset below).
    const qint64 seconds = QDateTime(date, time, Qt::UTC).toSecsSinceEpoch();
    if (seconds < 0 || seconds > std::numeric_limits<qint64>::max() / kNsPerSecond - 86'400)
        return std::nullopt;
    qint64 ns = seconds * kNsPerSecond;
    if (m.hasCaptured(7)) {
        QString fraction = m.captured(7);
        fraction = fraction.leftJustified(9, u'0');
        ns += fraction.toLongLong();
    }
    const QStringView zone = m.capturedView(8);
    if (zone != u"Z") {
        const int hours = zone.sliced(1, 2).toInt();
        const int minutes = zone.last(2).toInt();
        const qint64 offset = (hours * 3600 + minutes * 60) * kNsPerSecond;
        ns += zone.startsWith(u'+') ? -offset : offset;
    }
    return ns;
}

bool isInteger(const QString &text, qint64 *value)
{
    bool ok = false;
    *value = text.trimmed().toLongLong(&ok);
    return ok;
}

} // namespace

QByteArray modeName(Mode mode)
{
    switch (mode) {
    case Mode::None:
        return {};
    case Mode::Governance:
        return QByteArrayLiteral("GOVERNANCE");
    case Mode::Compliance:
        return QByteArrayLiteral("COMPLIANCE");
    }
    return {};
}

std::optional<Mode> modeFromName(QStringView name)
{
    if (name == u"GOVERNANCE")
        return Mode::Governance;
    if (name == u"COMPLIANCE")
        return Mode::Compliance;
    return std::nullopt;
}

Result<Configuration> parseConfiguration(const QByteArray &document)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("ObjectLockConfiguration"))
        return s3errors::malformedXml(QStringLiteral("the root element must be "
                                                     "ObjectLockConfiguration"));
    const XmlElement *enabled = root->child(u"ObjectLockEnabled");
    if (!enabled || enabled->text.trimmed() != QLatin1String("Enabled"))
        return s3errors::malformedXml(QStringLiteral("ObjectLockEnabled must be Enabled"));

    Configuration out;
    const XmlElement *rule = root->child(u"Rule");
    if (!rule)
        return out;
    const XmlElement *retention = rule->child(u"DefaultRetention");
    if (!retention)
        return s3errors::malformedXml(QStringLiteral("a Rule needs a DefaultRetention"));
    const XmlElement *mode = retention->child(u"Mode");
    const XmlElement *days = retention->child(u"Days");
    const XmlElement *years = retention->child(u"Years");
    const auto parsedMode = mode ? modeFromName(mode->text.trimmed()) : std::nullopt;
    if (!parsedMode)
        return s3errors::malformedXml(QStringLiteral("Mode must be GOVERNANCE or COMPLIANCE"));
    if (bool(days) == bool(years))
        return s3errors::malformedXml(QStringLiteral("a DefaultRetention has Days or Years"));
    const XmlElement *period = days ? days : years;
    qint64 value = 0;
    if (!isInteger(period->text, &value))
        return s3errors::malformedXml(period->name + QStringLiteral(" must be an integer"));
    if (value <= 0)
        return s3errors::invalidArgument(
            QStringLiteral("Default retention period must be a positive integer value."));
    if (value > (days ? kMaxDays : kMaxYears))
        return s3errors::invalidArgument(QStringLiteral("Default retention period too large."));
    DefaultRetention defaults;
    defaults.mode = *parsedMode;
    (days ? defaults.days : defaults.years) = int(value);
    out.defaultRetention = defaults;
    return out;
}

QByteArray renderConfiguration(const Configuration &configuration)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("ObjectLockConfiguration"));
    w.writeTextElement(QStringLiteral("ObjectLockEnabled"), QStringLiteral("Enabled"));
    if (const auto &d = configuration.defaultRetention) {
        w.writeStartElement(QStringLiteral("Rule"));
        w.writeStartElement(QStringLiteral("DefaultRetention"));
        w.writeTextElement(QStringLiteral("Mode"), QString::fromLatin1(modeName(d->mode)));
        if (d->days > 0)
            w.writeTextElement(QStringLiteral("Days"), QString::number(d->days));
        else
            w.writeTextElement(QStringLiteral("Years"), QString::number(d->years));
        w.writeEndElement();
        w.writeEndElement();
    }
    s3xml::endDocument(w);
    return out;
}

Result<Retention> parseRetention(const QByteArray &document, qint64 nowNs)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("Retention"))
        return s3errors::malformedXml(QStringLiteral("the root element must be Retention"));
    const XmlElement *mode = root->child(u"Mode");
    const XmlElement *until = root->child(u"RetainUntilDate");
    Retention out;
    if (!mode && !until)
        return out;
    if (!mode || !until)
        return s3errors::malformedXml(QStringLiteral("Mode and RetainUntilDate go together"));
    const auto parsedMode = modeFromName(mode->text.trimmed());
    if (!parsedMode)
        return s3errors::malformedXml(QStringLiteral("Mode must be GOVERNANCE or COMPLIANCE"));
    const auto untilNs = parseIsoTime(until->text.trimmed());
    if (!untilNs)
        return s3errors::malformedXml(QStringLiteral("RetainUntilDate must be an ISO 8601 time"));
    if (*untilNs <= nowNs)
        return retainUntilNotInFuture();
    out.mode = *parsedMode;
    out.retainUntilNs = *untilNs;
    return out;
}

QByteArray renderRetention(const Retention &retention)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("Retention"));
    if (retention.isSet()) {
        w.writeTextElement(QStringLiteral("Mode"), QString::fromLatin1(modeName(retention.mode)));
        w.writeTextElement(
            QStringLiteral("RetainUntilDate"), s3xml::isoTime(retention.retainUntilNs));
    }
    s3xml::endDocument(w);
    return out;
}

Result<bool> parseLegalHold(const QByteArray &document)
{
    auto root = s3xml::parse(document);
    if (!root)
        return root.error();
    if (root->name != QLatin1String("LegalHold"))
        return s3errors::malformedXml(QStringLiteral("the root element must be LegalHold"));
    const QString status = root->childText(u"Status").trimmed();
    if (status == QLatin1String("ON"))
        return true;
    if (status == QLatin1String("OFF"))
        return false;
    return s3errors::malformedXml(QStringLiteral("Status must be ON or OFF"));
}

QByteArray renderLegalHold(bool on)
{
    QByteArray out;
    QXmlStreamWriter w(&out);
    s3xml::beginDocument(w, QStringLiteral("LegalHold"));
    w.writeTextElement(QStringLiteral("Status"), on ? QStringLiteral("ON") : QStringLiteral("OFF"));
    s3xml::endDocument(w);
    return out;
}

Result<ObjectLock> parseHeaders(const QByteArray &mode, const QByteArray &retainUntilDate,
    const QByteArray &legalHold, qint64 nowNs)
{
    ObjectLock out;
    if (!mode.isNull() || !retainUntilDate.isNull()) {
        if (mode.isNull() || retainUntilDate.isNull())
            return s3errors::invalidArgument(
                QStringLiteral("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode "
                               "must both be supplied"));
        const auto parsedMode = modeFromName(QString::fromLatin1(mode.trimmed()));
        if (!parsedMode)
            return s3errors::invalidArgument(QStringLiteral("Unknown wormMode directive."));
        const auto untilNs = parseIsoTime(QString::fromLatin1(retainUntilDate.trimmed()));
        if (!untilNs)
            return s3errors::invalidArgument(
                QStringLiteral("The retain until date must be provided in ISO 8601 format"));
        if (*untilNs <= nowNs)
            return retainUntilNotInFuture();
        out.retention = {*parsedMode, *untilNs};
    }
    if (!legalHold.isNull()) {
        const QByteArray status = legalHold.trimmed();
        if (status != "ON" && status != "OFF")
            return s3errors::invalidArgument(
                QStringLiteral("Legal Hold must be either of 'ON' or 'OFF'"));
        out.legalHold = status == "ON";
    }
    return out;
}

QList<std::pair<QByteArray, QByteArray>> responseHeaders(const ObjectLock &lock)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    if (lock.retention.isSet()) {
        out.append({QByteArrayLiteral("x-amz-object-lock-mode"), modeName(lock.retention.mode)});
        out.append({QByteArrayLiteral("x-amz-object-lock-retain-until-date"),
            s3xml::isoTime(lock.retention.retainUntilNs).toLatin1()});
    }
    if (lock.legalHold)
        out.append({QByteArrayLiteral("x-amz-object-lock-legal-hold"),
            *lock.legalHold ? QByteArrayLiteral("ON") : QByteArrayLiteral("OFF")});
    return out;
}

Retention defaultRetention(const Configuration &bucket, qint64 createdNs)
{
    if (!bucket.defaultRetention)
        return {};
    const DefaultRetention &d = *bucket.defaultRetention;
    const qint64 days = d.days > 0 ? d.days : qint64(d.years) * 365;
    return {d.mode, createdNs + days * kNsPerDay};
}

ObjectLock lockForNewVersion(
    const ObjectLock &requested, const Configuration &bucket, qint64 createdNs)
{
    ObjectLock out = requested;
    // A version's own settings override the bucket's default.
    if (!out.retention.isSet())
        out.retention = defaultRetention(bucket, createdNs);
    return out;
}

bool isBypassRequested(const QByteArray &headerValue)
{
    return headerValue.trimmed().compare("true", Qt::CaseInsensitive) == 0;
}

Result<void> checkDelete(const ObjectLock &version, qint64 nowNs, bool bypassGovernance)
{
    // Bypassing governance does not lift a legal hold.
    if (version.isLegalHoldOn())
        return lockedVersion();
    if (!version.retention.isActive(nowNs))
        return {};
    if (version.retention.mode == Mode::Governance && bypassGovernance)
        return {};
    return lockedVersion();
}

Result<void> checkRetentionChange(
    const Retention &current, const Retention &requested, qint64 nowNs, bool bypassGovernance)
{
    if (!current.isActive(nowNs))
        return {};
    if (current.mode == Mode::Governance && bypassGovernance)
        return {};
    const bool sameMode = requested.mode == current.mode;
    const bool notShorter = requested.isSet() && requested.retainUntilNs >= current.retainUntilNs;
    if (sameMode && notShorter)
        return {};
    return lockedVersion();
}

Error missingConfiguration()
{
    return s3errors::invalidRequest(QStringLiteral("Bucket is missing Object Lock Configuration"));
}

Error configurationNotFound()
{
    return makeError(QStringLiteral("ObjectLockConfigurationNotFoundError"),
        QStringLiteral("Object Lock configuration does not exist for this bucket"), 404);
}

Error noSuchObjectLockConfiguration()
{
    return makeError(QStringLiteral("NoSuchObjectLockConfiguration"),
        QStringLiteral("The specified object does not have a ObjectLock configuration"), 404);
}

Error bypassNotApplicable()
{
    return s3errors::invalidArgument(
        QStringLiteral("x-amz-bypass-governance-retention is only applicable to Object Lock "
                       "enabled buckets."));
}

Error versioningNotEnabled()
{
    return makeError(QStringLiteral("InvalidBucketState"),
        QStringLiteral("Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                       "configuration"),
        409);
}

Error versioningCannotChange()
{
    return makeError(QStringLiteral("InvalidBucketState"),
        QStringLiteral("An Object Lock configuration is present on this bucket, so the "
                       "versioning state cannot be changed."),
        409);
}

} // namespace tarmac::s3objectlock
