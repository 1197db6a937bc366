// libFuzzer target for the template loader: TemplateDocument (yaml-cpp, short-form tags,
// positions), IntrinsicResolver and StackLoader on whatever bytes arrive.
//
// The input is the template text itself. Whatever it holds, loading must end with a Stack
// or an Error (never a crash, a hang or an exception escaping), and what it returns must
// hold together: an error names the template file; every function has a spec within
// Lambda's limits; a bucket that loaded is one S3 can apply; resources come after what they
// depend on; every report item has a level and a subject. Lambda's and S3's types and S3's
// event are offered as the engine offers them. Relative
// code folders resolve against a temporary folder holding src/ and layer/, so templates
// that name them get past the folder checks.
//
// Any broken invariant calls __builtin_trap(), which libFuzzer reports as a crash.

#include "engine/stackloader.h"
#include "services/lambda/lambdaresources.h"
#include "services/s3/s3resources.h"
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

    StackLoader::Options options;
    options.resourceTypes = lambdaresources::types();
    options.resourceTypes += {&s3resources::bucketType(), &s3resources::bucketPolicyType()};
    options.eventTypes = {&s3resources::s3EventType()};
    Result<Stack> stack = StackLoader::load(text, templatePath, options);
    if (!stack) {
        FUZZ_CHECK(stack.error().code == QLatin1String("ValidationError"));
        FUZZ_CHECK(stack.error().message.startsWith(QLatin1String("template.yaml")));
        return 0;
    }
    FUZZ_CHECK(stack->name == QLatin1String("demo"));
    FUZZ_CHECK(!stack->resources.isEmpty());
    for (const StackResource *r : stack->resourcesOf(QStringLiteral("function"))) {
        const auto f = lambdaresources::functionSpec(*r);
        FUZZ_CHECK(f && !r->physicalId.isEmpty());
        if (!f->runnable)
            continue;
        FUZZ_CHECK(f->timeoutSeconds >= 1 && f->timeoutSeconds <= 900);
        FUZZ_CHECK(!f->codeDir.isEmpty() || !f->inlineCode.isNull());
    }
    for (const StackResource &r : stack->resources) {
        if (r.type == QLatin1String("AWS::S3::Bucket"))
            FUZZ_CHECK(s3resources::readBucket(r.logicalId, r.properties, nullptr));
    }
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
