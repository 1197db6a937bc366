// libFuzzer target for the data a Distributed Map reads from S3 (emulator/services/stepfunctions/
// aslitemio): an object's bytes read as CSV (each delimiter, header row or given headers),
// JSON Lines, a JSON array behind an ItemsPointer, or an S3 Inventory manifest; and the bytes as
// a ListObjectsV2 answer. What is read is then batched by bytes and by count. The first byte
// picks the reader's options; the rest is the body. Nothing may crash or throw.
#include "services/stepfunctions/aslitemio.h"

#include "fuzzsupport.h"

#include <cstddef>
#include <cstdint>

namespace {

void batch(const tarmac::Json &items)
{
    using namespace tarmac;
    const Json batcher
        = {{"MaxItemsPerBatch", 3}, {"MaxInputBytesPerBatch", 64}, {"BatchInput", {{"k", 1}}}};
    auto batches = aslBatchItems(batcher, items, Json::object(), Json::object());
    if (batches) {
        FUZZ_CHECK(batches->is_array());
        size_t count = 0;
        for (const Json &b : *batches) {
            FUZZ_CHECK(b.is_object() && b.contains("Items") && b["Items"].is_array());
            FUZZ_CHECK(!b["Items"].empty() && b["Items"].size() <= 3);
            count += b["Items"].size();
        }
        FUZZ_CHECK(count == items.size());
    } else {
        FUZZ_CHECK(!batches.error().code.isEmpty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace tarmac;
    if (size == 0)
        return 0;
    const uint8_t options = data[0];
    const QByteArray body(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    static const char *const delimiters[] = {"COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"};
    AslItemReaderPlan plan;
    plan.action = QStringLiteral("getObject");
    plan.bucket = QStringLiteral("b");
    plan.key = QStringLiteral("k");
    if (options & 0x80)
        plan.maxItems = 1 + (options & 0x7);
    switch ((options >> 3) & 0x3) {
    case 0:
        plan.inputType = QStringLiteral("CSV");
        plan.csvDelimiter = QString::fromLatin1(delimiters[(options & 0x7) % 5]);
        plan.csvHeaderLocation
            = (options & 0x40) ? QStringLiteral("GIVEN") : QStringLiteral("FIRST_ROW");
        if (options & 0x40)
            plan.csvHeaders = {QStringLiteral("a"), QStringLiteral("b")};
        break;
    case 1:
        plan.inputType = QStringLiteral("JSONL");
        break;
    case 2:
        plan.inputType = QStringLiteral("JSON");
        if (options & 0x40)
            plan.itemsPointer = QStringLiteral("/items");
        break;
    default:
        plan.inputType = QStringLiteral("MANIFEST");
        break;
    }

    if (plan.inputType == QLatin1String("MANIFEST")) {
        auto plans = aslInventoryPlans(plan, body);
        if (plans) {
            for (const AslItemReaderPlan &part : *plans)
                FUZZ_CHECK(part.inputType == QLatin1String("CSV") && !part.csvHeaders.isEmpty());
        }
    } else {
        // An inventory's file (gzip when it starts as gzip does): a CSV plan with GIVEN headers.
        plan.inventoryFile = plan.inputType == QLatin1String("CSV") && (options & 0x40);
        auto items = aslReadItems(plan, body);
        if (items) {
            FUZZ_CHECK(items->is_array());
            if (plan.maxItems)
                FUZZ_CHECK(qint64(items->size()) <= *plan.maxItems);
            (void)toJsonBytes(*items);
            batch(*items);
        } else {
            FUZZ_CHECK(!items.error().code.isEmpty());
        }
    }

    // Any bytes through gunzip, with a small ceiling (a bomb stops at it).
    auto inflated = aslGunzip(body, 1 << 20);
    FUZZ_CHECK(inflated ? inflated->size() <= (1 << 20) : !inflated.error().code.isEmpty());

    auto page = aslListedItems(body, plan.maxItems);
    if (page) {
        FUZZ_CHECK(page->items.is_array());
        if (plan.maxItems)
            FUZZ_CHECK(qint64(page->items.size()) <= *plan.maxItems);
        (void)toJsonBytes(page->items);
    }
    return 0;
}
