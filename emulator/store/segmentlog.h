#pragma once

#include "base/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace tarmac {

// Append-only files of small records, for bodies too small to be worth a blob file of their
// own: DIR/00000001.seg, DIR/00000002.seg, … Appending is one pwritev at the end of the
// newest (active) segment, with no sync: like a SQLite commit with synchronous=NORMAL, the
// bytes survive the process being killed, and sync() (called before each WAL checkpoint)
// makes them survive a power loss before the rows naming them reach the database file.
//
// A record is a 16-byte header (magic "TSL1", payload size, CRC-32 of the payload, CRC-32 of
// the first 12 header bytes) and the payload. A Location names a record's header; read()
// checks the header and the payload's CRC, so a torn or foreign record is an error, never
// wrong bytes. The log keeps no index: the rows that name records are the index, and the
// owner reclaims space by copying the live records of a sealed segment to the active one and
// removing the segment (see S3Store::compactLog).
//
// Thread-safe. A Segment handle keeps its file open after remove(), so a reader that took the
// handle before a segment was compacted away still reads it.
class SegmentLog
{
public:
    static constexpr qint64 kHeaderSize = 16;
    static constexpr qint64 kDefaultSegmentLimit = 64LL * 1024 * 1024;

    struct Location
    {
        qint64 segment = 0; // numbered from 1; 0: none
        qint64 offset = 0; // of the record's header
    };

    class Segment
    {
    public:
        Segment(qint64 id, int fd)
            : m_id(id)
            , m_fd(fd)
        { }
        ~Segment();
        Segment(const Segment &) = delete;
        Segment &operator=(const Segment &) = delete;
        qint64 id() const { return m_id; }
        int fd() const { return m_fd; }

    private:
        qint64 m_id;
        int m_fd;
    };

    explicit SegmentLog(QString dir, qint64 segmentLimit = kDefaultSegmentLimit);

    // Creates DIR, opens every segment; appends continue after the newest segment's last whole
    // record (a record torn by a crash ends the file: it is cut off).
    Result<void> open();
    QString dir() const { return m_dir; }

    Result<Location> append(const char *data, qint64 size);
    Result<Location> append(const QByteArray &data)
    {
        return append(data.constData(), data.size());
    }

    // The open segment, or null when there is no such segment.
    std::shared_ptr<const Segment> segment(qint64 id) const;
    // The payload of the record at `offset`, which must hold `size` bytes.
    static Result<QByteArray> read(const Segment &segment, qint64 offset, qint64 size);
    Result<QByteArray> read(const Location &at, qint64 size) const;

    // Calls f(location, payload) for each whole record from `from` to the end of the log, in
    // order, across segments (a removed segment is skipped). A damaged record is skipped when
    // its header still gives its length; otherwise the rest of its segment is.
    Result<void> scan(const Location &from,
        const std::function<void(const Location &, const QByteArray &)> &f) const;
    // Where the next record will go.
    Location end() const;

    qint64 activeSegment() const;
    // Segments no append will ever write again (all but the active one), oldest first.
    QList<qint64> sealedSegments() const;
    // A segment's size in bytes, live records and garbage; -1 when there is no such segment.
    qint64 segmentSize(qint64 id) const;
    // Closes (once no reader holds it) and deletes a sealed segment.
    Result<void> remove(qint64 id);
    // Syncs every segment appended to since the last sync.
    Result<void> sync();
    // Starts a new active segment unless the active one is empty, so that every record so
    // far is in a sealed segment, which a snapshot can link (never appended to again).
    Result<void> seal();
    // A segment's file (DIR/NNNNNNNN.seg), for a snapshot's links.
    QString fileOf(qint64 id) const { return pathOf(id); }
    // Takes a sealed segment's file back that was linked into DIR again (a snapshot restored
    // after compaction removed it). Nothing when the log has the segment already.
    Result<void> adopt(qint64 id);

private:
    QString pathOf(qint64 id) const;
    // Where the whole records at the start of a segment file end.
    static Result<qint64> wholeRecordsEnd(int fd, qint64 fileSize);
    Result<void> startSegment(qint64 id); // with m_mutex held

    QString m_dir;
    qint64 m_limit;
    mutable std::mutex m_mutex;
    std::map<qint64, std::shared_ptr<Segment>> m_segments;
    qint64 m_active = 0;
    qint64 m_end = 0; // where the next record of the active segment goes
    std::set<qint64> m_unsynced;
};

} // namespace tarmac
