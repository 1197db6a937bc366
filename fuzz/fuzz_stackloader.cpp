// libFuzzer target for the template loader: TemplateDocument (yaml-cpp, short-form tags,
// positions), IntrinsicResolver and StackLoader on whatever bytes arrive.
//
// The input is the template text itself. Whatever it holds, loading must end with a Stack
// or an Error (never a crash, a hang or an exception escaping), and what it returns must
// hold together: an error names the template file; a stack's resources, functions and
// buckets agree with each other; every report item has a level and a subject. Relative
// code folders resolve against a temporary folder holding src/ and layer/, so templates
// that name them get past the folder checks.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash.

#include "engine/stackloader.h"
#include "template/templatedocument.h"

#include "fuzzsupport.h"

#include <QDir>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace tarmac;

namespace {

std::unique_ptr<QTemporaryDir> projectDir;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    projectDir = std::make_unique<QTemporaryDir>();
    QDir(projectDir->path()).mkpath(QStringLiteral("demo/src"));
    QDir(projectDir->path()).mkpath(QStringLiteral("demo/layer"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString templatePath = projectDir->path() + QStringLiteral("/demo/template.yaml");

    const StackLoader::Options options;
    Result<Stack> stack = StackLoader::load(text, templatePath, options);
    if (!stack) {
        FUZZ_CHECK(stack.error().code == QLatin1String("ValidationError"));
        FUZZ_CHECK(stack.error().message.startsWith(QLatin1String("template.yaml")));
        return 0;
    }
    FUZZ_CHECK(stack->name == QLatin1String("demo"));
    FUZZ_CHECK(!stack->resources.isEmpty());
    for (const FunctionSpec &f : stack->functions) {
        const StackResource *r = stack->resource(f.logicalId);
        FUZZ_CHECK(r && r->physicalId == f.name);
        FUZZ_CHECK(f.timeoutSeconds >= 1 && f.timeoutSeconds <= 900);
        FUZZ_CHECK(!f.codeDir.isEmpty() || !f.inlineCode.isNull());
    }
    for (const BucketSpec &b : stack->buckets) {
        const StackResource *r = stack->resource(b.logicalId);
        FUZZ_CHECK(r && r->physicalId == b.name);
    }
    for (const BucketNotification &n : stack->notifications)
        FUZZ_CHECK(stack->bucket(n.bucketLogicalId) != nullptr);
    // Each resource comes after everything it depends on.
    for (qsizetype i = 0; i < stack->resources.size(); ++i) {
        for (const QString &d : stack->resources[i].dependsOn) {
            bool before = false;
            for (qsizetype j = 0; j < i; ++j)
                before = before || stack->resources[j].logicalId == d;
            FUZZ_CHECK(before);
        }
    }
    for (const FidelityItem &item : stack->report.items)
        FUZZ_CHECK(!item.subject.isNull());
    (void)stack->report.lines();
    (void)toJsonBytes(stack->report.toJson());
    return 0;
}
