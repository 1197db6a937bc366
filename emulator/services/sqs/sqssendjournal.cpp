#include "services/sqs/sqssendjournal.h"

#include <QFile>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace tarmac {

namespace {

constexpr char kMagic[8] = {'T', 'a', 'r', 'm', 'S', 'Q', 'S', '1'};
constexpr int kFields = 7;

struct FileHead
{
    char magic[8];
    quint64 epoch;
};

struct RecordHead
{
    quint64 check; // of the rest of the head; stored last
    quint64 epoch;
    qint64 seq;
    qint64 sentMs;
    qint64 visibleMs;
    quint32 lengths[kFields];
    quint32 reserved;
};
static_assert(sizeof(RecordHead) == 72 && sizeof(RecordHead) % 8 == 0);

quint64 mix(quint64 x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Of the head's words after the check: a head of zeros, or one written in part, does not match.
quint64 checkOf(const RecordHead &head)
{
    quint64 words[(sizeof(RecordHead) - 8) / 8];
    std::memcpy(words, reinterpret_cast<const char *>(&head) + 8, sizeof(words));
    quint64 h = 0x5153'5365'6e64'7321ull;
    for (const quint64 w : words)
        h = mix(h ^ w);
    return h;
}

std::array<QByteArrayView, kFields> fieldsOf(const SqsSendJournal::Entry &e)
{
    return {e.queue, e.messageId, e.body, e.attributes, e.systemAttributes, e.groupId,
        e.deduplicationId};
}

qsizetype padded(qsizetype bytes)
{
    return (bytes + 7) & ~qsizetype(7);
}

Error journalError(const QString &what, const QString &path)
{
    return makeError(QStringLiteral("InternalError"),
        QStringLiteral("cannot %1 %2: %3")
            .arg(what, path, QString::fromLocal8Bit(std::strerror(errno))),
        500);
}

} // namespace

SqsSendJournal::~SqsSendJournal()
{
    if (m_map)
        ::munmap(m_map, size_t(m_capacity));
}

Result<char *> mapJournalFile(const QString &path, qsizetype bytes)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return journalError(QStringLiteral("open"), path);
    if (::ftruncate(fd, off_t(bytes)) != 0) {
        auto e = journalError(QStringLiteral("size"), path);
        ::close(fd);
        return e;
    }
    void *map = ::mmap(nullptr, size_t(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        auto e = journalError(QStringLiteral("map"), path);
        ::close(fd);
        return e;
    }
    ::close(fd); // the mapping keeps the file
    return static_cast<char *>(map);
}

Result<void> SqsSendJournal::open(const QString &path, qsizetype capacity)
{
    auto map = mapJournalFile(path, capacity);
    if (!map)
        return map.error();
    m_map = *map;
    m_capacity = capacity;
    FileHead head;
    std::memcpy(&head, m_map, sizeof(head));
    if (std::memcmp(head.magic, kMagic, sizeof(kMagic)) != 0) {
        // A new file: nothing in it.
        m_epoch = 0;
        clear();
        return {};
    }
    m_epoch = head.epoch;
    m_end = kHeadBytes;
    Entry entry;
    while (m_end < m_capacity && read(m_end, &entry))
        m_end += recordBytes(entry);
    return {};
}

qsizetype SqsSendJournal::recordBytes(const Entry &entry)
{
    qsizetype bytes = sizeof(RecordHead);
    for (const QByteArrayView field : fieldsOf(entry))
        bytes += field.size();
    return padded(bytes);
}

void SqsSendJournal::append(const Entry &entry)
{
    Q_ASSERT(m_map && fits(recordBytes(entry)));
    char *const at = m_map + m_end;
    RecordHead head = {};
    head.epoch = m_epoch;
    head.seq = entry.seq;
    head.sentMs = entry.sentMs;
    head.visibleMs = entry.visibleMs;
    char *out = at + sizeof(RecordHead);
    int i = 0;
    for (const QByteArrayView field : fieldsOf(entry)) {
        head.lengths[i++] = quint32(field.size());
        if (!field.isEmpty())
            std::memcpy(out, field.data(), size_t(field.size()));
        out += field.size();
    }
    const quint64 check = checkOf(head);
    // The fields and the head first, the check last: a record that checks out is whole.
    std::memcpy(at + 8, reinterpret_cast<const char *>(&head) + 8, sizeof(RecordHead) - 8);
    std::atomic_ref<quint64>(*reinterpret_cast<quint64 *>(at))
        .store(check, std::memory_order_release);
    m_end += recordBytes(entry);
}

bool SqsSendJournal::read(qsizetype at, Entry *entry) const
{
    if (at + qsizetype(sizeof(RecordHead)) > m_capacity)
        return false;
    RecordHead head;
    std::memcpy(&head, m_map + at, sizeof(head));
    if (head.epoch != m_epoch || head.check != checkOf(head))
        return false;
    const char *field = m_map + at + sizeof(RecordHead);
    const char *const end = m_map + m_capacity;
    QByteArrayView fields[kFields];
    for (int i = 0; i < kFields; ++i) {
        if (head.lengths[i] > quint64(end - field))
            return false;
        fields[i] = QByteArrayView(field, qsizetype(head.lengths[i]));
        field += head.lengths[i];
    }
    entry->seq = head.seq;
    entry->sentMs = head.sentMs;
    entry->visibleMs = head.visibleMs;
    entry->queue = fields[0];
    entry->messageId = fields[1];
    entry->body = fields[2];
    entry->attributes = fields[3];
    entry->systemAttributes = fields[4];
    entry->groupId = fields[5];
    entry->deduplicationId = fields[6];
    return true;
}

void SqsSendJournal::clear()
{
    ++m_epoch;
    m_end = kHeadBytes;
    // One aligned store: the records of the old epoch stop checking out all at once.
    std::atomic_ref<quint64>(reinterpret_cast<FileHead *>(m_map)->epoch)
        .store(m_epoch, std::memory_order_release);
    std::memcpy(m_map, kMagic, sizeof(kMagic)); // the same but for a new file
}

} // namespace tarmac
