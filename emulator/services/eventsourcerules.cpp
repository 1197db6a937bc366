#include "services/eventsourcemappings.h"

#include "functions/delivery.h"
#include "services/eventpattern.h"

#include <QSet>

// AWS's rules for event-source mappings that need no state: the model's limits, the kinds of
// source, a function's answer to a batch, filter patterns. Apart from the registry, so that
// fuzz/fuzz_lambdaapi.cpp compiles them without the store and the meta-object compiler.
namespace tarmac {

namespace {

const QString kReportBatchItemFailures = QStringLiteral("ReportBatchItemFailures");

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

// AWS's wording for a value outside its model's range.
Result<void> checkRange(const std::optional<int> &value, const char *member, int min, int max)
{
    if (!value)
        return {};
    const auto message = [&](const QString &constraint) {
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at '%2' failed to "
                                      "satisfy constraint: Member must have value %3")
                           .arg(*value)
                           .arg(QLatin1String(member), constraint));
    };
    if (*value < min)
        return message(QStringLiteral("greater than or equal to %1").arg(min));
    if (*value > max)
        return message(QStringLiteral("less than or equal to %1").arg(max));
    return {};
}

} // namespace

bool EventSourceMapping::reportsBatchItemFailures() const
{
    return functionResponseTypes.contains(kReportBatchItemFailures);
}

Result<void> EventSourceMappings::checkRequest(const EventSourceMappingRequest &r)
{
    const std::pair<const std::optional<int> *, std::tuple<const char *, int, int>> ranges[] = {
        {&r.batchSize, {"batchSize", 1, 10000}},
        {&r.maximumBatchingWindowInSeconds, {"maximumBatchingWindowInSeconds", 0, 300}},
        {&r.parallelizationFactor, {"parallelizationFactor", 1, 10}},
        {&r.maximumRetryAttempts, {"maximumRetryAttempts", -1, 10000}},
        {&r.maximumRecordAgeInSeconds, {"maximumRecordAgeInSeconds", -1, 604800}},
        {&r.tumblingWindowInSeconds, {"tumblingWindowInSeconds", 0, 900}},
    };
    for (const auto &[value, limits] : ranges) {
        const auto &[member, min, max] = limits;
        if (auto c = checkRange(*value, member, min, max); !c)
            return c;
    }
    // ScalingConfig: {} removes the setting; a value must be within 2 to 1000.
    if (r.maximumConcurrency && *r.maximumConcurrency != 0) {
        if (auto c = checkRange(r.maximumConcurrency, "scalingConfig.maximumConcurrency", 2, 1000);
            !c)
            return c;
    }
    if (r.maximumRecordAgeInSeconds && *r.maximumRecordAgeInSeconds >= 0
        && *r.maximumRecordAgeInSeconds < 60)
        return invalid(QStringLiteral("1 validation error detected: Value '%1' at "
                                      "'maximumRecordAgeInSeconds' failed to satisfy constraint: "
                                      "Member must have value greater than or equal to 60, or -1")
                           .arg(*r.maximumRecordAgeInSeconds));
    if (r.startingPosition && *r.startingPosition != QLatin1String("TRIM_HORIZON")
        && *r.startingPosition != QLatin1String("LATEST")
        && *r.startingPosition != QLatin1String("AT_TIMESTAMP"))
        return invalid(
            QStringLiteral("1 validation error detected: Value '%1' at "
                           "'startingPosition' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
                .arg(r.startingPosition->left(100)));
    if (r.functionResponseTypes) {
        if (r.functionResponseTypes->size() > 1)
            return invalid(QStringLiteral("1 validation error detected: Value at "
                                          "'functionResponseTypes' failed to satisfy constraint: "
                                          "Member must have length less than or equal to 1"));
        for (const QString &type : *r.functionResponseTypes) {
            if (type != kReportBatchItemFailures)
                return invalid(QStringLiteral("1 validation error detected: Value '[%1]' at "
                                              "'functionResponseTypes' failed to satisfy "
                                              "constraint: Member must satisfy constraint: [Member "
                                              "must satisfy enum value set: "
                                              "[ReportBatchItemFailures]]")
                                   .arg(type.left(100)));
        }
    }
    if (r.filterPatterns) {
        for (const QString &pattern : *r.filterPatterns) {
            auto parsed = parseJson(pattern.toUtf8());
            if (pattern.size() > 4096 || !parsed || !parsed->is_object())
                return invalid(QStringLiteral("Invalid filter pattern definition."));
        }
    }
    if (r.onFailureDestination && !r.onFailureDestination->isEmpty()
        && !r.onFailureDestination->startsWith(QLatin1String("arn:")))
        return invalid(QStringLiteral("The destination ARN %1 is invalid.")
                           .arg(r.onFailureDestination->left(350)));
    return {};
}

// AWS's rules for the kind of source: defaults, and what a queue or a stream refuses.
Result<void> EventSourceMappings::applyKindRules(EventSourceMapping &m, EventSource::Kind kind)
{
    if (kind == EventSource::Kind::Queue) {
        if (!m.startingPosition.isEmpty() || m.startingPositionTimestamp)
            return invalid(QStringLiteral("StartingPosition is not valid for SQS event sources."));
        const std::pair<bool, const char *> streamOnly[] = {
            {m.parallelizationFactor.has_value(), "ParallelizationFactor"},
            {m.maximumRetryAttempts.has_value(), "MaximumRetryAttempts"},
            {m.maximumRecordAgeInSeconds.has_value(), "MaximumRecordAgeInSeconds"},
            {m.bisectBatchOnFunctionError.has_value(), "BisectBatchOnFunctionError"},
            {m.tumblingWindowInSeconds.has_value(), "TumblingWindowInSeconds"},
            {m.onFailureDestination.has_value(), "DestinationConfig"},
        };
        for (const auto &[set, name] : streamOnly) {
            if (set)
                return invalid(QStringLiteral("Unsupported %1 parameter for given event source "
                                              "mapping type.")
                                   .arg(QLatin1String(name)));
        }
        if (m.batchSize == 0)
            m.batchSize = 10;
        if (m.batchSize > 10 && m.maximumBatchingWindowInSeconds == 0)
            return invalid(QStringLiteral("Maximum batch window in seconds must be greater than 0 "
                                          "if maximum batch size is greater than 10"));
        return {};
    }
    if (m.startingPosition.isEmpty())
        return invalid(QStringLiteral("1 validation error detected: Value null at "
                                      "'startingPosition' failed to satisfy constraint: Member "
                                      "must not be null."));
    if (m.startingPosition == QLatin1String("AT_TIMESTAMP") && !m.startingPositionTimestamp)
        return invalid(QStringLiteral("StartingPositionTimestamp must be provided when "
                                      "StartingPosition is AT_TIMESTAMP."));
    if (m.maximumConcurrency != 0)
        return invalid(QStringLiteral("Unsupported ScalingConfig parameter for given event "
                                      "source mapping type."));
    if (m.batchSize == 0)
        m.batchSize = 100;
    m.parallelizationFactor = m.parallelizationFactor.value_or(1);
    m.maximumRetryAttempts = m.maximumRetryAttempts.value_or(-1);
    m.maximumRecordAgeInSeconds = m.maximumRecordAgeInSeconds.value_or(-1);
    m.bisectBatchOnFunctionError = m.bisectBatchOnFunctionError.value_or(false);
    m.tumblingWindowInSeconds = m.tumblingWindowInSeconds.value_or(0);
    m.onFailureDestination = m.onFailureDestination.value_or(QString());
    return {};
}

BatchOutcome batchOutcome(
    const EventSourceMapping &mapping, const EventBatch &batch, const DeliveryResult &result)
{
    BatchOutcome out;
    const auto failed = [&out](QString why) {
        out.status = BatchOutcome::Status::Failed;
        out.error = std::move(why);
        return out;
    };
    if (!result.delivered) {
        if (result.errorType == QLatin1String("Tarmac.Dropped"))
            return out;
        return failed(result.errorType.isEmpty() ? result.errorMessage : result.errorType);
    }
    if (result.functionError)
        return failed(result.errorType.isEmpty() ? QStringLiteral("Unhandled") : result.errorType);
    if (!mapping.reportsBatchItemFailures() || result.payload.trimmed().isEmpty())
        return out;
    auto response = parseJson(result.payload);
    if (!response)
        return failed(QStringLiteral("the function's response is not JSON"));
    if (response->is_null())
        return out;
    if (!response->is_object())
        return failed(QStringLiteral("the function's response is not a batch response"));
    const auto failures = response->find("batchItemFailures");
    if (failures == response->end() || failures->is_null())
        return out;
    if (!failures->is_array())
        return failed(QStringLiteral("batchItemFailures is not a list"));
    QSet<QString> known;
    for (const EventRecord &r : batch.records)
        known.insert(r.itemId);
    for (const Json &failure : *failures) {
        const auto id = failure.is_object() ? failure.find("itemIdentifier") : failure.end();
        if (!failure.is_object() || id == failure.end() || !id->is_string()
            || id->get<std::string>().empty())
            return failed(QStringLiteral("a batchItemFailures entry has no itemIdentifier"));
        const QString itemId = fromStd(id->get<std::string>());
        if (!known.contains(itemId))
            return failed(
                QStringLiteral("itemIdentifier %1 is not in the batch").arg(itemId.left(100)));
        if (!out.failedItemIds.contains(itemId))
            out.failedItemIds.append(itemId);
    }
    if (!out.failedItemIds.isEmpty())
        out.status = BatchOutcome::Status::PartiallyFailed;
    return out;
}

bool matchesFilters(const QStringList &patterns, const Json &record)
{
    if (patterns.isEmpty())
        return true;
    if (!record.is_object())
        return false;
    // Lambda's patterns are EventBridge's, read with its decoding of nested JSON strings.
    EventPattern::Options options;
    options.decodeNestedStrings = true;
    for (const QString &text : patterns) {
        auto pattern = parseJson(text.toUtf8());
        if (!pattern)
            continue;
        // {} filters nothing out (EventBridge refuses an empty pattern; Lambda's is kept).
        if (pattern->is_object() && pattern->empty())
            return true;
        auto compiled = EventPattern::fromJson(*pattern, options);
        if (compiled && compiled->matches(record))
            return true;
    }
    return false;
}

} // namespace tarmac
