#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include "store/digest.h"

#include <memory>

namespace tarmac {

// S3's flexible checksums (PROTOCOLS.md §4.5): the algorithms a client may name in
// x-amz-checksum-<alg> / x-amz-sdk-checksum-algorithm, computed incrementally so a body is
// read once. Values on the wire are base64 of the raw digest, CRCs big-endian.
enum class ChecksumAlgorithm { None, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256 };

// "CRC32" / "crc32" → Crc32; None for anything unknown.
ChecksumAlgorithm checksumAlgorithmFromName(QByteArrayView name);
QByteArray checksumAlgorithmName(ChecksumAlgorithm algorithm); // "CRC32"
QByteArray checksumHeaderName(ChecksumAlgorithm algorithm); // "x-amz-checksum-crc32"
QByteArray checksumXmlElementName(ChecksumAlgorithm algorithm); // "ChecksumCRC32"
// The raw digest size of an algorithm (4 for CRC32, 32 for SHA-256); 0 for None.
int checksumSize(ChecksumAlgorithm algorithm);

// One-shot functions, for tests and small inputs. The CRCs take the running value so that
// a caller may feed several pieces; start from 0.
quint32 crc32(quint32 crc, const char *data, qsizetype size);
quint32 crc32c(quint32 crc, const char *data, qsizetype size);
quint64 crc64nvme(quint64 crc, const char *data, qsizetype size);

// The digest of one algorithm, fed piece by piece. Copyable only by moving.
class Checksum
{
public:
    explicit Checksum(ChecksumAlgorithm algorithm = ChecksumAlgorithm::None);
    ~Checksum();
    Checksum(Checksum &&other) noexcept;
    Checksum &operator=(Checksum &&other) noexcept;

    ChecksumAlgorithm algorithm() const { return m_algorithm; }
    void add(const char *data, qsizetype size);
    void add(QByteArrayView data) { add(data.data(), data.size()); }
    // The raw digest; the object must not be fed afterwards.
    QByteArray result();
    QByteArray resultBase64() { return result().toBase64(); }

    static QByteArray compute(ChecksumAlgorithm algorithm, QByteArrayView data);

private:
    ChecksumAlgorithm m_algorithm;
    quint64 m_crc = 0;
    void *m_evp = nullptr; // EVP_MD_CTX for the SHA algorithms
};

// Everything S3 wants to know about a body, in one pass: its size, MD5 (the ETag), SHA-256
// (the blob's name, and x-amz-content-sha256), and optionally one flexible checksum.
// SHA-256 comes from OpenSSL (it uses the CPU's SHA extensions; Qt 6.4's own is ~8x slower).
class BodyDigest
{
public:
    explicit BodyDigest(ChecksumAlgorithm checksum = ChecksumAlgorithm::None);
    ~BodyDigest();
    BodyDigest(const BodyDigest &) = delete;
    BodyDigest &operator=(const BodyDigest &) = delete;

    void add(const char *data, qsizetype size);
    void add(QByteArrayView data) { add(data.data(), data.size()); }
    // Ends the digest; call once, then read the results.
    void finish();

    qint64 size() const { return m_size; }
    const QByteArray &md5() const { return m_md5Result; } // raw 16 bytes
    const QByteArray &sha256Hex() const { return m_sha256Hex; } // 64 lower-case hex
    ChecksumAlgorithm checksumAlgorithm() const { return m_checksum.algorithm(); }
    const QByteArray &checksum() const { return m_checksumResult; } // raw digest

private:
    Digest m_md5 {Digest::Algorithm::Md5};
    Checksum m_sha256 {ChecksumAlgorithm::Sha256};
    Checksum m_checksum;
    qint64 m_size = 0;
    QByteArray m_md5Result;
    QByteArray m_sha256Hex;
    QByteArray m_checksumResult;
};

QByteArray sha256Hex(QByteArrayView data);
QByteArray hmacSha256(QByteArrayView key, QByteArrayView data);
// Compares signatures without leaking, through timing, how many leading bytes matched.
bool constantTimeEqual(QByteArrayView a, QByteArrayView b);

} // namespace tarmac
