#pragma once

#include "base/result.h"
#include "services/s3/s3xml.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace tarmac::s3lifecycle {

// S3 lifecycle configurations (PutBucketLifecycleConfiguration's LifecycleConfiguration) and
// the arithmetic S3 does with them: which rule applies to an object, which action is due for a
// version or a multipart upload at a given time, when the next one will be (so that the caller
// can arm one Clock timer for the earliest), and the x-amz-expiration header.
//
// Times are nanoseconds since the epoch. A Days period is counted from the object's creation
// (a noncurrent period from when the version became noncurrent, an upload's from its
// initiation) and rounded up to the next midnight UTC, as S3 documents ("How Amazon S3
// calculates object expiration"); a Date applies from that midnight on.
//
// What it does not do: act (it decides; the store removes, marks or re-classes), know about
// Object Lock (a locked version is not expired whatever this says: ask s3objectlock), or the
// DelMarkerExpiration action of directory buckets.

enum class Status { Enabled, Disabled };

// A rule's filter. With none of its conditions set it matches every object (an empty Filter, or
// an empty legacy Prefix). `form` keeps which element the client used, so that
// GetBucketLifecycleConfiguration answers the same shape.
struct Filter
{
    enum class Form { LegacyPrefix, Empty, Prefix, Tag, SizeGreaterThan, SizeLessThan, And };
    Form form = Form::Empty;
    QString prefix;
    QList<s3xml::Tag> tags;
    std::optional<qint64> sizeGreaterThan; // bytes, exclusive
    std::optional<qint64> sizeLessThan; // bytes, exclusive

    bool hasTags() const { return !tags.isEmpty(); }
};

struct Transition
{
    std::optional<int> days;
    std::optional<qint64> dateNs; // a midnight UTC
    QString storageClass;
};

struct NoncurrentTransition
{
    int noncurrentDays = 0;
    std::optional<int> newerNoncurrentVersions;
    QString storageClass;
};

struct Rule
{
    QString id;
    Status status = Status::Enabled;
    Filter filter;
    // Expiration: Days or Date for current versions, or ExpiredObjectDeleteMarker.
    std::optional<int> expirationDays;
    std::optional<qint64> expirationDateNs;
    bool expiredObjectDeleteMarker = false;
    QList<Transition> transitions;
    QList<NoncurrentTransition> noncurrentTransitions;
    // NoncurrentVersionExpiration.
    std::optional<int> noncurrentDays;
    std::optional<int> newerNoncurrentVersions;
    // AbortIncompleteMultipartUpload.
    std::optional<int> abortDaysAfterInitiation;
};

// x-amz-transition-default-minimum-object-size: objects under 128 KiB are not transitioned
// unless a rule's filter names a size (all_storage_classes_128K, S3's default since September
// 2024), or are transitioned to GLACIER and DEEP_ARCHIVE only (varies_by_storage_class).
enum class MinimumObjectSize { AllStorageClasses128K, VariesByStorageClass };

struct Configuration
{
    QList<Rule> rules;
    MinimumObjectSize minimumObjectSize = MinimumObjectSize::AllStorageClasses128K;
};

constexpr int kMaxRules = 1000;
constexpr int kMaxIdLength = 255;
constexpr qint64 kSmallObjectLimit = 128 * 1024;

// PutBucketLifecycleConfiguration's body and its x-amz-transition-default-minimum-object-size
// header (null when absent). MalformedXML for what does not fit the schema: no rule or more than
// 1000, a Status other than Enabled or Disabled, neither or both of a legacy Prefix and a Filter,
// a Filter with more than one condition, an Expiration with neither or both of Days and Date or
// with ExpiredObjectDeleteMarker next to either, an unknown storage class, a number that is not
// one. InvalidArgument, with S3's messages, for periods that are not positive, a Date not at
// midnight UTC, a duplicate ID or one longer than 255 characters, a transition to STANDARD_IA or
// ONEZONE_IA before 30 days, two transitions to one class. InvalidRequest for a rule without an
// action, duplicate tag keys, and AbortIncompleteMultipartUpload or ExpiredObjectDeleteMarker in
// a rule that filters on tags. A rule without an ID gets a random one, as S3 gives it.
Result<Configuration> parseConfiguration(
    const QByteArray &document, const QByteArray &minimumObjectSizeHeader = {});
// GetBucketLifecycleConfiguration's body; its header is minimumObjectSizeHeader().
QByteArray renderConfiguration(const Configuration &configuration);
QByteArray minimumObjectSizeHeader(const Configuration &configuration);

// Whether a rule's filter takes an object: the key starts with the prefix, every tag of the
// filter is among the object's, and the size is within the bounds. Says nothing of Status.
bool matches(const Rule &rule, const QByteArray &key, const QList<s3xml::Tag> &tags, qint64 size);

// One object version as the lifecycle sees it.
struct ObjectVersion
{
    QByteArray key;
    QList<s3xml::Tag> tags;
    qint64 size = 0;
    QByteArray storageClass; // empty: STANDARD
    qint64 lastModifiedNs = 0; // creation of this version
    bool isCurrent = true;
    bool isDeleteMarker = false;
    // Whether the bucket has (or had) versioning: a current version's expiration then adds a
    // delete marker instead of removing it, and ranks below a transition.
    bool versioned = false;
    qint64 noncurrentSinceNs = 0; // when a newer version replaced it (noncurrent only)
    // A current delete marker with no other version of its key: an expired delete marker.
    bool onlyVersion = false;
    int newerNoncurrentVersions = 0; // noncurrent versions of the key newer than this one
};

enum class Action {
    None,
    ExpireCurrent, // remove it (unversioned) or add a delete marker (versioned)
    ExpireNoncurrent, // remove this noncurrent version for good
    RemoveExpiredDeleteMarker,
    Transition, // to `storageClass`
};

struct Decision
{
    Action action = Action::None;
    QByteArray storageClass; // for Transition
    QString ruleId;
    // The earliest time after `nowNs` at which an action of these rules becomes due for this
    // version; 0 when none will without something else changing (a newer version, a tag).
    qint64 nextDueNs = 0;
};

// What one rule asks of a version at `nowNs` (nothing while the rule is Disabled or does not
// match).
Decision evaluate(const Rule &rule, const ObjectVersion &version, qint64 nowNs,
    MinimumObjectSize minimumObjectSize = MinimumObjectSize::AllStorageClasses128K);
// What the whole configuration asks, with S3's precedence: a permanent removal over a
// transition, a transition over adding a delete marker, and among transitions the coldest class
// (GLACIER over STANDARD_IA). Transitions only go down the waterfall from the version's class.
Decision evaluate(const Configuration &configuration, const ObjectVersion &version, qint64 nowNs);

// An incomplete multipart upload against AbortIncompleteMultipartUpload: due when a matching
// rule's days since initiation (rounded up to midnight UTC) have passed. Rules that filter on
// tags or size never match an upload (it has neither yet).
struct AbortDecision
{
    bool due = false;
    QString ruleId;
    qint64 dueNs = 0; // when it is or will be due; 0 when no rule applies
};
AbortDecision evaluateUpload(
    const Configuration &configuration, const QByteArray &key, qint64 initiatedNs, qint64 nowNs);

// The x-amz-expiration header of GET, HEAD and PUT for a version some rule will expire:
// `expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"`, naming the
// earliest. Empty when no rule expires it (delete markers included).
QByteArray expirationHeader(const Configuration &configuration, const ObjectVersion &version);

// The midnight UTC at or after `ns` (S3's rounding of Days periods).
qint64 nextMidnight(qint64 ns);

} // namespace tarmac::s3lifecycle
