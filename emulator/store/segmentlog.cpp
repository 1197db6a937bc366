#include "store/segmentlog.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

namespace tarmac {

namespace {

constexpr char kMagic[4] = {'T', 'S', 'L', '1'};

Error logError(const QString &message)
{
    return makeError(QStringLiteral("StoreError"), message, 500);
}

Error errnoError(const QString &what, const QString &path, int error)
{
    return logError(
        what + u' ' + path + QStringLiteral(": ") + QString::fromLocal8Bit(std::strerror(error)));
}

quint32 crcOf(const char *data, qint64 size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        const uInt n = uInt(qMin<qint64>(size, 1 << 30));
        crc = crc32(crc, reinterpret_cast<const Bytef *>(data), n);
        data += n;
        size -= n;
    }
    return quint32(crc);
}

void putU32(char *at, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        at[i] = char((v >> (8 * i)) & 0xFF);
}

quint32 getU32(const char *at)
{
    quint32 v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | quint32(static_cast<unsigned char>(at[i]));
    return v;
}

} // namespace

SegmentLog::Segment::~Segment()
{
    ::close(m_fd);
}

SegmentLog::SegmentLog(QString dir, qint64 segmentLimit)
    : m_dir(std::move(dir))
    , m_limit(segmentLimit)
{ }

QString SegmentLog::pathOf(qint64 id) const
{
    return m_dir + u'/' + QStringLiteral("%1.seg").arg(id, 8, 10, QLatin1Char('0'));
}

Result<void> SegmentLog::open()
{
    if (!QDir().mkpath(m_dir))
        return logError(QStringLiteral("cannot create ") + m_dir);
    std::lock_guard lock(m_mutex);
    static const QRegularExpression name(QStringLiteral("^([0-9]{8})\\.seg$"));
    const QStringList files = QDir(m_dir).entryList(QDir::Files);
    for (const QString &file : files) {
        const auto match = name.match(file);
        if (!match.hasMatch())
            continue;
        const qint64 id = match.captured(1).toLongLong();
        if (id <= 0)
            continue;
        const QString path = pathOf(id);
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return errnoError(QStringLiteral("cannot open"), path, errno);
        m_segments[id] = std::make_shared<Segment>(id, fd);
    }
    if (m_segments.empty())
        return startSegment(1);
    m_active = m_segments.rbegin()->first;
    const int fd = m_segments.rbegin()->second->fd();
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0)
        return errnoError(QStringLiteral("cannot stat"), pathOf(m_active), errno);
    // A record torn by a crash may end the file. Nothing names it; cut it off, so the next
    // record follows the last whole one and a scan never stops short of later records.
    auto end = wholeRecordsEnd(fd, st.st_size);
    if (!end)
        return end.error();
    if (*end < st.st_size && ::ftruncate(fd, off_t(*end)) != 0)
        return errnoError(QStringLiteral("cannot truncate"), pathOf(m_active), errno);
    m_end = *end;
    return {};
}

namespace {

// Reads a segment front to back through a buffer (a scan of 64 MiB makes 256 reads).
class SegmentReader
{
public:
    SegmentReader(int fd, qint64 fileSize)
        : m_fd(fd)
        , m_size(fileSize)
    { }

    // The bytes at [offset, offset + n), or an empty view when the file ends first.
    Result<QByteArrayView> at(qint64 offset, qint64 n)
    {
        if (offset < 0 || n < 0 || offset + n > m_size)
            return QByteArrayView();
        if (offset < m_start || offset + n > m_start + m_buffer.size()) {
            m_buffer.resize(qMax<qint64>(n, kChunk));
            m_start = offset;
            qint64 done = 0;
            const qint64 want = qMin<qint64>(m_buffer.size(), m_size - offset);
            while (done < want) {
                const ssize_t r = ::pread(
                    m_fd, m_buffer.data() + done, size_t(want - done), off_t(offset + done));
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0)
                    return errnoError(
                        QStringLiteral("cannot read"), QStringLiteral("segment"), errno);
                if (r == 0)
                    break;
                done += r;
            }
            m_buffer.resize(done);
            if (done < n)
                return QByteArrayView();
        }
        return QByteArrayView(m_buffer.constData() + (offset - m_start), n);
    }

private:
    static constexpr qint64 kChunk = 256 * 1024;
    int m_fd;
    qint64 m_size;
    qint64 m_start = 0;
    QByteArray m_buffer;
};

bool headerIsWhole(QByteArrayView h)
{
    return std::memcmp(h.data(), kMagic, 4) == 0 && getU32(h.data() + 12) == crcOf(h.data(), 12);
}

} // namespace

Result<qint64> SegmentLog::wholeRecordsEnd(int fd, qint64 fileSize)
{
    SegmentReader reader(fd, fileSize);
    qint64 offset = 0;
    for (;;) {
        auto header = reader.at(offset, kHeaderSize);
        if (!header)
            return header.error();
        if (header->isEmpty() || !headerIsWhole(*header))
            return offset;
        const qint64 next = offset + kHeaderSize + getU32(header->data() + 4);
        if (next > fileSize)
            return offset;
        offset = next;
    }
}

Result<void> SegmentLog::scan(
    const Location &from, const std::function<void(const Location &, const QByteArray &)> &f) const
{
    std::vector<std::shared_ptr<Segment>> segments;
    qint64 activeEnd = 0;
    qint64 active = 0;
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_segments.lower_bound(from.segment); it != m_segments.end(); ++it)
            segments.push_back(it->second);
        activeEnd = m_end;
        active = m_active;
    }
    for (const auto &segment : segments) {
        qint64 size = activeEnd;
        if (segment->id() != active) {
            struct stat st
            {
            };
            if (::fstat(segment->fd(), &st) != 0)
                return errnoError(QStringLiteral("cannot stat"), pathOf(segment->id()), errno);
            size = st.st_size;
        }
        SegmentReader reader(segment->fd(), size);
        qint64 offset = segment->id() == from.segment ? from.offset : 0;
        for (;;) {
            auto header = reader.at(offset, kHeaderSize);
            if (!header)
                return header.error();
            if (header->isEmpty() || !headerIsWhole(*header))
                break;
            const qint64 length = getU32(header->data() + 4);
            const quint32 crc = getU32(header->data() + 8);
            auto payload = reader.at(offset + kHeaderSize, length);
            if (!payload)
                return payload.error();
            if (payload->size() != length)
                break;
            if (crc == crcOf(payload->data(), length))
                f(Location {segment->id(), offset}, payload->toByteArray());
            offset += kHeaderSize + length;
        }
    }
    return {};
}

SegmentLog::Location SegmentLog::end() const
{
    std::lock_guard lock(m_mutex);
    return {m_active, m_end};
}

Result<void> SegmentLog::seal()
{
    std::lock_guard lock(m_mutex);
    if (m_end == 0)
        return {};
    return startSegment(m_active + 1);
}

Result<void> SegmentLog::adopt(qint64 id)
{
    std::lock_guard lock(m_mutex);
    if (m_segments.count(id))
        return {};
    if (id <= 0 || id >= m_active)
        return logError(
            QStringLiteral("segment %1 cannot be taken back: it is not sealed").arg(id));
    const QString path = pathOf(id);
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errnoError(QStringLiteral("cannot open"), path, errno);
    m_segments[id] = std::make_shared<Segment>(id, fd);
    return {};
}

Result<void> SegmentLog::startSegment(qint64 id)
{
    const QString path = pathOf(id);
    const int fd
        = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errnoError(QStringLiteral("cannot create"), path, errno);
    m_segments[id] = std::make_shared<Segment>(id, fd);
    m_active = id;
    m_end = 0;
    return {};
}

Result<SegmentLog::Location> SegmentLog::append(const char *data, qint64 size)
{
    if (size < 0 || size > 0xFFFFFFFFLL)
        return logError(QStringLiteral("record too large for the segment log"));
    char header[kHeaderSize];
    std::memcpy(header, kMagic, 4);
    putU32(header + 4, quint32(size));
    putU32(header + 8, crcOf(data, size));
    putU32(header + 12, crcOf(header, 12));

    std::lock_guard lock(m_mutex);
    if (m_end > 0 && m_end + kHeaderSize + size > m_limit) {
        if (auto r = startSegment(m_active + 1); !r)
            return r.error();
    }
    const int fd = m_segments[m_active]->fd();
    const qint64 total = kHeaderSize + size;
    for (qint64 done = 0; done < total;) {
        ssize_t n;
        if (done < kHeaderSize) {
            iovec parts[2] = {{header + done, size_t(kHeaderSize - done)},
                {const_cast<char *>(data), size_t(size)}};
            n = ::pwritev(fd, parts, 2, off_t(m_end + done));
        } else {
            n = ::pwrite(
                fd, data + (done - kHeaderSize), size_t(total - done), off_t(m_end + done));
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) // nothing names the partial record; the next append writes over it
            return errnoError(
                QStringLiteral("cannot append to"), pathOf(m_active), n < 0 ? errno : ENOSPC);
        done += n;
    }
    const Location at {m_active, m_end};
    m_end += total;
    m_unsynced.insert(m_active);
    return at;
}

std::shared_ptr<const SegmentLog::Segment> SegmentLog::segment(qint64 id) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_segments.find(id);
    return it == m_segments.end() ? nullptr : it->second;
}

Result<QByteArray> SegmentLog::read(const Segment &segment, qint64 offset, qint64 size)
{
    if (offset < 0 || size < 0)
        return logError(QStringLiteral("bad segment log location"));
    QByteArray buffer(kHeaderSize + size, Qt::Uninitialized);
    qint64 done = 0;
    while (done < buffer.size()) {
        const ssize_t n = ::pread(
            segment.fd(), buffer.data() + done, size_t(buffer.size() - done), off_t(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return logError(QStringLiteral("segment %1: record at %2 is cut short")
                                .arg(segment.id())
                                .arg(offset));
        done += n;
    }
    const char *h = buffer.constData();
    if (std::memcmp(h, kMagic, 4) != 0 || getU32(h + 12) != crcOf(h, 12)
        || getU32(h + 4) != quint32(size) || getU32(h + 8) != crcOf(h + kHeaderSize, size))
        return logError(
            QStringLiteral("segment %1: record at %2 is damaged").arg(segment.id()).arg(offset));
    buffer.remove(0, kHeaderSize);
    return buffer;
}

Result<QByteArray> SegmentLog::read(const Location &at, qint64 size) const
{
    const auto s = segment(at.segment);
    if (!s)
        return logError(QStringLiteral("segment %1 does not exist").arg(at.segment));
    return read(*s, at.offset, size);
}

qint64 SegmentLog::activeSegment() const
{
    std::lock_guard lock(m_mutex);
    return m_active;
}

QList<qint64> SegmentLog::sealedSegments() const
{
    std::lock_guard lock(m_mutex);
    QList<qint64> ids;
    for (const auto &[id, segment] : m_segments) {
        if (id != m_active)
            ids.append(id);
    }
    return ids;
}

qint64 SegmentLog::segmentSize(qint64 id) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_segments.find(id);
    if (it == m_segments.end())
        return -1;
    if (id == m_active)
        return m_end;
    struct stat st
    {
    };
    return ::fstat(it->second->fd(), &st) == 0 ? qint64(st.st_size) : -1;
}

Result<void> SegmentLog::remove(qint64 id)
{
    std::lock_guard lock(m_mutex);
    if (id == m_active)
        return logError(QStringLiteral("the active segment cannot be removed"));
    if (m_segments.erase(id) == 0)
        return {};
    m_unsynced.erase(id);
    const QString path = pathOf(id);
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        return errnoError(QStringLiteral("cannot remove"), path, errno);
    return {};
}

Result<void> SegmentLog::sync()
{
    std::vector<std::shared_ptr<Segment>> dirty;
    {
        std::lock_guard lock(m_mutex);
        for (const qint64 id : m_unsynced) {
            if (const auto it = m_segments.find(id); it != m_segments.end())
                dirty.push_back(it->second);
        }
        m_unsynced.clear();
    }
    for (const auto &segment : dirty) {
        if (::fdatasync(segment->fd()) != 0) {
            const int error = errno;
            std::lock_guard lock(m_mutex);
            m_unsynced.insert(segment->id());
            return errnoError(QStringLiteral("cannot sync"), pathOf(segment->id()), error);
        }
    }
    return {};
}

} // namespace tarmac
