// libFuzzer target for ZipArchive, the reader of deployment packages (CreateFunction's
// ZipFile, UpdateFunctionCode): the input is the zip. Small limits make the size checks
// reachable. Every entry the reader accepts must have a clean relative name, and reading an
// entry never yields more bytes than allowed. Extraction runs for small archives, into a
// fresh folder, and must never create anything outside it.
#include "functions/ziparchive.h"

#include "fuzzsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    tarmac::ZipArchive::Limits limits;
    limits.maxTotalSize = 256 * 1024;
    limits.maxEntries = 64;
    auto archive = tarmac::ZipArchive::open(bytes, limits);
    if (!archive)
        return 0;
    FUZZ_CHECK(archive->entries().size() <= limits.maxEntries);
    for (const auto &entry : archive->entries()) {
        FUZZ_CHECK(!entry.name.isEmpty());
        FUZZ_CHECK(!entry.name.startsWith(u'/'));
        for (const QString &part : entry.name.split(u'/'))
            FUZZ_CHECK(
                !part.isEmpty() && part != QLatin1String(".") && part != QLatin1String(".."));
        if (entry.isDir)
            continue;
        auto content = archive->read(entry, 64 * 1024);
        if (content)
            FUZZ_CHECK(content->size() <= 64 * 1024);
    }
    if (archive->entries().size() <= 8) {
        static QTemporaryDir parent;
        QTemporaryDir dir(parent.path() + QStringLiteral("/x-XXXXXX"));
        if (!parent.isValid() || !dir.isValid())
            return 0; // an empty path would have been the working directory
        (void)archive->extractTo(dir.path());
        // Nothing outside the folder: the parent holds only the folder itself.
        FUZZ_CHECK(QDir(parent.path())
                       .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)
                       .size()
            == 1);
        QDirIterator it(dir.path(),
            QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
            QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            FUZZ_CHECK(it.fileInfo().absoluteFilePath().startsWith(dir.path() + u'/'));
        }
    }
    return 0;
}
