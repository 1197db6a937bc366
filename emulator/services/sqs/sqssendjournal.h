#pragma once

#include "base/result.h"

#include <QByteArrayView>
#include <QString>

#include <cstddef>

namespace tarmac {

// Opens `path` (made when it is not there), sizes it to `bytes` (pages never written take no
// disk) and maps it shared, read-write: what both SQS journals are kept in. The mapping keeps
// the file; munmap() it.
Result<char *> mapJournalFile(const QString &path, qsizetype bytes);

// The sends journal (`sqs-sends`, next to the database): a file mapped into memory where a
// sent message is acknowledged once its record is stored, its row written later by the
// queue's write-behind. A store into a shared mapping is in the file system's cache at once,
// and so survives a kill -9 as a committed transaction does (neither is synced to the disk).
//
// The file: a 64-byte head holding the epoch, then records one after another. A record is
// a fixed head (a check, the epoch, the message's sequence and times, its fields' lengths)
// and the fields' bytes, padded to 8. The fields are written first and the check last, so a
// record whose check holds is whole; the first one that does not (zeros, a write cut short,
// a record of an earlier epoch) ends the journal. clear() moves to the next epoch: the old
// records stay in the file, written over by new ones, and no longer check out. Not
// thread-safe: its owner's lock guards it.
class SqsSendJournal
{
public:
    // What a record holds: the row of a message just sent.
    struct Entry
    {
        qint64 seq = 0;
        qint64 sentMs = 0;
        qint64 visibleMs = 0;
        QByteArrayView queue; // UTF-8
        QByteArrayView messageId;
        QByteArrayView body;
        QByteArrayView attributes; // the column's text
        QByteArrayView systemAttributes;
        QByteArrayView groupId;
        QByteArrayView deduplicationId;
    };

    SqsSendJournal() = default;
    ~SqsSendJournal();
    SqsSendJournal(const SqsSendJournal &) = delete;
    SqsSendJournal &operator=(const SqsSendJournal &) = delete;

    // Maps the file (made, or sized to `capacity` bytes, when it is not) and finds the end of
    // what it holds: the records a crash left stay readable until clear().
    Result<void> open(const QString &path, qsizetype capacity);

    // Bytes a record of `entry` takes.
    static qsizetype recordBytes(const Entry &entry);
    // Whether records of `bytes` in all fit after the ones stored.
    bool fits(qsizetype bytes) const { return m_end + bytes <= m_capacity; }
    // Stores a record; the caller checked that it fits.
    void append(const Entry &entry);
    bool isEmpty() const { return m_end == kHeadBytes; }
    qsizetype bytesUsed() const { return m_end; }

    // Calls `f` with each record stored, in order (after open(): what a crash left). The
    // entry's bytes are the file's, valid until the next clear().
    template<typename F>
    void forEach(F &&f) const
    {
        qsizetype at = kHeadBytes;
        Entry entry;
        while (at < m_end && read(at, &entry)) {
            f(entry);
            at += recordBytes(entry);
        }
    }

    // The records are applied: the next epoch begins, and new records go over the old.
    void clear();

    static constexpr qsizetype kHeadBytes = 64;

private:
    bool read(qsizetype at, Entry *entry) const;

    char *m_map = nullptr;
    qsizetype m_capacity = 0;
    qsizetype m_end = kHeadBytes; // where the next record goes
    quint64 m_epoch = 0;
};

} // namespace tarmac
