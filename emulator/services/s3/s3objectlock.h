#pragma once

#include "base/result.h"
#include "services/s3/s3store.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace tarmac::s3objectlock {

// S3 Object Lock's documents and rules: the bucket's ObjectLockConfiguration, a version's
// Retention and LegalHold (bodies and x-amz-object-lock-* headers), and the decisions S3 makes
// with them, as pure functions of the version's lock, the time and whether the request sent
// x-amz-bypass-governance-retention: true. Times are nanoseconds since the epoch (the caller's
// Clock).
//
// What it does not do: keep state, know versions or buckets (whether the bucket has Object Lock
// and versioning is the caller's: see the errors below), check the s3:BypassGovernanceRetention
// permission (every request may bypass, as every request may do everything), or take the
// event holds of 2026-09 (EventHold, DefaultEventHold).

enum class Mode { None, Governance, Compliance };

QByteArray modeName(Mode mode); // "GOVERNANCE", "COMPLIANCE"; empty for None
// Case matters: S3 refuses "governance".
std::optional<Mode> modeFromName(QStringView name);

// The bucket's default retention: exactly one of days and years.
struct DefaultRetention
{
    Mode mode = Mode::None;
    int days = 0;
    int years = 0;

    friend bool operator==(const DefaultRetention &, const DefaultRetention &) = default;
};

// ObjectLockConfiguration. ObjectLockEnabled can only be Enabled; a configuration without a
// Rule removes the default retention.
struct Configuration
{
    std::optional<DefaultRetention> defaultRetention;

    friend bool operator==(const Configuration &, const Configuration &) = default;
};

// The longest default retention S3 takes: 100 years, in days or years.
constexpr int kMaxDays = 36500;
constexpr int kMaxYears = 100;

// PutObjectLockConfiguration's body. MalformedXML for a document that does not fit the schema:
// ObjectLockEnabled missing or not Enabled, an empty Rule or DefaultRetention, a Mode that is
// not GOVERNANCE or COMPLIANCE, neither or both of Days and Years, a period that is not a
// number. InvalidArgument for a period that is not positive or longer than 100 years (ceph's
// s3-tests expect InvalidRetentionPeriod there, a code S3 does not have).
Result<Configuration> parseConfiguration(const QByteArray &document);
QByteArray renderConfiguration(const Configuration &configuration);

// A version's retention. A Retention with no mode is none (PutObjectRetention's empty
// document removes one, which only bypassing GOVERNANCE may do).
struct Retention
{
    Mode mode = Mode::None;
    qint64 retainUntilNs = 0;

    bool isSet() const { return mode != Mode::None; }
    // Whether it still protects the version at `nowNs`.
    bool isActive(qint64 nowNs) const { return isSet() && retainUntilNs > nowNs; }

    friend bool operator==(const Retention &, const Retention &) = default;
};

// PutObjectRetention's body: Mode and RetainUntilDate both or neither. MalformedXML for one
// without the other, an unknown mode or a date that is not ISO 8601 with a zone;
// InvalidArgument for a date that is not after `nowNs`.
Result<Retention> parseRetention(const QByteArray &document, qint64 nowNs);
// GetObjectRetention's answer; the date with milliseconds, as S3 writes it.
QByteArray renderRetention(const Retention &retention);

// PutObjectLegalHold's body: Status ON or OFF, else MalformedXML.
Result<bool> parseLegalHold(const QByteArray &document);
QByteArray renderLegalHold(bool on);

// All of a version's lock.
struct ObjectLock
{
    Retention retention;
    // Unset while the version never had a legal hold: S3 then leaves the header out.
    std::optional<bool> legalHold;

    bool isLegalHoldOn() const { return legalHold.value_or(false); }
    friend bool operator==(const ObjectLock &, const ObjectLock &) = default;
};

// The x-amz-object-lock-mode, -retain-until-date and -legal-hold headers of PutObject,
// CopyObject and CreateMultipartUpload (null when absent). InvalidArgument, with S3's
// messages, for a mode without a date or the reverse, an unknown mode, a date that is not
// ISO 8601 or not in the future, and a legal hold that is not ON or OFF. S3 answers these
// before it looks at the bucket; whether the bucket has Object Lock is the caller's next
// question (missingConfiguration()).
Result<ObjectLock> parseHeaders(const QByteArray &mode, const QByteArray &retainUntilDate,
    const QByteArray &legalHold, qint64 nowNs);
// GetObject and HeadObject's headers (names as S3 writes them).
QList<std::pair<QByteArray, QByteArray>> responseHeaders(const ObjectLock &lock);

// The lock a new version gets: the request's retention when it named one (its legal hold in
// any case), else the bucket's default counted from the version's creation. S3 counts a year
// as 365 days.
ObjectLock lockForNewVersion(
    const ObjectLock &requested, const Configuration &bucket, qint64 createdNs);
Retention defaultRetention(const Configuration &bucket, qint64 createdNs);

// x-amz-bypass-governance-retention: "true" in any case.
bool isBypassRequested(const QByteArray &headerValue);

// May this version be removed for good (DeleteObject or DeleteObjects naming its version id,
// or a lifecycle expiration, which never bypasses)? A legal hold or an active COMPLIANCE
// retention: never; an active GOVERNANCE retention: only with bypass. 403 AccessDenied
// otherwise. A simple DELETE, which only adds a delete marker, is always allowed, and delete
// markers themselves are never protected.
Result<void> checkDelete(const ObjectLock &version, qint64 nowNs, bool bypassGovernance);

// May `current` be replaced by `requested` (PutObjectRetention)? Once a retention has passed
// anything goes. While it is active: anyone may extend it in the same mode; COMPLIANCE can
// never be shortened, removed or turned into GOVERNANCE; GOVERNANCE can be shortened, removed
// or changed (to COMPLIANCE too, as ceph's s3-tests expect) only with bypass. 403 AccessDenied
// otherwise.
Result<void> checkRetentionChange(
    const Retention &current, const Retention &requested, qint64 nowNs, bool bypassGovernance);

// The errors around Object Lock that the caller answers, with S3's codes and messages.
Error missingConfiguration(); // 400 InvalidRequest: retention or legal hold without Object Lock
Error configurationNotFound(); // 404 ObjectLockConfigurationNotFoundError
Error noSuchObjectLockConfiguration(); // 404: the version has no retention or legal hold
Error bypassNotApplicable(); // 400 InvalidArgument: the bypass header without Object Lock
Error versioningNotEnabled(); // 409 InvalidBucketState: a configuration without versioning
Error versioningCannotChange(); // 409 InvalidBucketState: suspending versioning under a lock

// A version's retention and legal hold, kept as its system values (lock-mode, lock-until,
// legal-hold). Inline: the documents above need nothing of the store's.
inline ObjectLock lockOf(const S3Object &version)
{
    ObjectLock lock;
    if (version.system.isEmpty())
        return lock;
    const QByteArray mode = version.systemValue("lock-mode");
    if (!mode.isEmpty()) {
        lock.retention.mode = modeFromName(QString::fromLatin1(mode)).value_or(Mode::None);
        lock.retention.retainUntilNs = version.systemValue("lock-until").toLongLong();
    }
    const QByteArray hold = version.systemValue("legal-hold");
    if (!hold.isEmpty())
        lock.legalHold = hold == "ON";
    return lock;
}

inline void setLock(S3Object &version, const ObjectLock &lock)
{
    version.setSystemValue("lock-mode", modeName(lock.retention.mode));
    version.setSystemValue("lock-until",
        lock.retention.isSet() ? QByteArray::number(lock.retention.retainUntilNs) : QByteArray());
    version.setSystemValue("legal-hold",
        lock.legalHold ? (*lock.legalHold ? QByteArray("ON") : QByteArray("OFF")) : QByteArray());
}

} // namespace tarmac::s3objectlock
