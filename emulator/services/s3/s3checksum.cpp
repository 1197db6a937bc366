#include "services/s3/s3checksum.h"

#include <QStringBuilder>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tarmac {

namespace {

constexpr quint32 kCrc32cPoly = 0x82F63B78u; // reflected Castagnoli
constexpr quint64 kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ull; // reflected NVMe polynomial

template<typename T, T Poly>
constexpr std::array<T, 256> crcTable()
{
    std::array<T, 256> table {};
    for (unsigned i = 0; i < 256; ++i) {
        T c = T(i);
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ Poly : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto kCrc32cTable = crcTable<quint32, kCrc32cPoly>();
constexpr auto kCrc64Table = crcTable<quint64, kCrc64NvmePoly>();

quint32 crc32cSoftware(quint32 crc, const unsigned char *p, qsizetype n)
{
    for (qsizetype i = 0; i < n; ++i)
        crc = kCrc32cTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) quint32 crc32cHardware(
    quint32 crc, const unsigned char *p, qsizetype n)
{
    quint64 c = crc;
    while (n >= 8) {
        quint64 v;
        std::memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    quint32 c32 = quint32(c);
    while (n-- > 0)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif

// Fetched once: OpenSSL 3 would otherwise look the implementation up again on every init,
// which costs more than hashing a small object.
const EVP_MD *evpFor(ChecksumAlgorithm algorithm)
{
    static EVP_MD *const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static EVP_MD *const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (algorithm == ChecksumAlgorithm::Sha1)
        return sha1 ? sha1 : EVP_sha1();
    return sha256 ? sha256 : EVP_sha256();
}

bool isSha(ChecksumAlgorithm algorithm)
{
    return algorithm == ChecksumAlgorithm::Sha1 || algorithm == ChecksumAlgorithm::Sha256;
}

QByteArray bigEndian(quint64 value, int bytes)
{
    QByteArray out(bytes, Qt::Uninitialized);
    for (int i = 0; i < bytes; ++i)
        out[i] = char(value >> (8 * (bytes - 1 - i)));
    return out;
}

} // namespace

ChecksumAlgorithm checksumAlgorithmFromName(QByteArrayView name)
{
    const QByteArray upper = name.toByteArray().toUpper();
    if (upper == "CRC32")
        return ChecksumAlgorithm::Crc32;
    if (upper == "CRC32C")
        return ChecksumAlgorithm::Crc32c;
    if (upper == "CRC64NVME")
        return ChecksumAlgorithm::Crc64Nvme;
    if (upper == "SHA1")
        return ChecksumAlgorithm::Sha1;
    if (upper == "SHA256")
        return ChecksumAlgorithm::Sha256;
    return ChecksumAlgorithm::None;
}

QByteArray checksumAlgorithmName(ChecksumAlgorithm algorithm)
{
    switch (algorithm) {
    case ChecksumAlgorithm::Crc32:
        return QByteArrayLiteral("CRC32");
    case ChecksumAlgorithm::Crc32c:
        return QByteArrayLiteral("CRC32C");
    case ChecksumAlgorithm::Crc64Nvme:
        return QByteArrayLiteral("CRC64NVME");
    case ChecksumAlgorithm::Sha1:
        return QByteArrayLiteral("SHA1");
    case ChecksumAlgorithm::Sha256:
        return QByteArrayLiteral("SHA256");
    case ChecksumAlgorithm::None:
        break;
    }
    return {};
}

QByteArray checksumHeaderName(ChecksumAlgorithm algorithm)
{
    if (algorithm == ChecksumAlgorithm::None)
        return {};
    return "x-amz-checksum-" + checksumAlgorithmName(algorithm).toLower();
}

QByteArray checksumXmlElementName(ChecksumAlgorithm algorithm)
{
    if (algorithm == ChecksumAlgorithm::None)
        return {};
    return "Checksum" + checksumAlgorithmName(algorithm);
}

int checksumSize(ChecksumAlgorithm algorithm)
{
    switch (algorithm) {
    case ChecksumAlgorithm::Crc32:
    case ChecksumAlgorithm::Crc32c:
        return 4;
    case ChecksumAlgorithm::Crc64Nvme:
        return 8;
    case ChecksumAlgorithm::Sha1:
        return 20;
    case ChecksumAlgorithm::Sha256:
        return 32;
    case ChecksumAlgorithm::None:
        break;
    }
    return 0;
}

quint32 crc32(quint32 crc, const char *data, qsizetype size)
{
    // zlib takes at most uInt bytes per call.
    const auto *p = reinterpret_cast<const Bytef *>(data);
    while (size > 0) {
        const uInt n = uInt(qMin<qsizetype>(size, 1 << 30));
        crc = quint32(::crc32(crc, p, n));
        p += n;
        size -= n;
    }
    return crc;
}

quint32 crc32c(quint32 crc, const char *data, qsizetype size)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
#if defined(__x86_64__)
    if (kHasSse42)
        return ~crc32cHardware(~crc, p, size);
#endif
    return ~crc32cSoftware(~crc, p, size);
}

quint64 crc64nvme(quint64 crc, const char *data, qsizetype size)
{
    const auto *p = reinterpret_cast<const unsigned char *>(data);
    crc = ~crc;
    for (qsizetype i = 0; i < size; ++i)
        crc = kCrc64Table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

Checksum::Checksum(ChecksumAlgorithm algorithm)
    : m_algorithm(algorithm)
{
    if (isSha(algorithm)) {
        auto *ctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(ctx, evpFor(algorithm), nullptr);
        m_evp = ctx;
    }
}

Checksum::~Checksum()
{
    if (m_evp)
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_evp));
}

Checksum::Checksum(Checksum &&other) noexcept
    : m_algorithm(other.m_algorithm)
    , m_crc(other.m_crc)
    , m_evp(std::exchange(other.m_evp, nullptr))
{ }

Checksum &Checksum::operator=(Checksum &&other) noexcept
{
    if (this != &other) {
        if (m_evp)
            EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_evp));
        m_algorithm = other.m_algorithm;
        m_crc = other.m_crc;
        m_evp = std::exchange(other.m_evp, nullptr);
    }
    return *this;
}

void Checksum::add(const char *data, qsizetype size)
{
    switch (m_algorithm) {
    case ChecksumAlgorithm::Crc32:
        m_crc = crc32(quint32(m_crc), data, size);
        break;
    case ChecksumAlgorithm::Crc32c:
        m_crc = crc32c(quint32(m_crc), data, size);
        break;
    case ChecksumAlgorithm::Crc64Nvme:
        m_crc = crc64nvme(m_crc, data, size);
        break;
    case ChecksumAlgorithm::Sha1:
    case ChecksumAlgorithm::Sha256:
        EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_evp), data, size_t(size));
        break;
    case ChecksumAlgorithm::None:
        break;
    }
}

QByteArray Checksum::result()
{
    switch (m_algorithm) {
    case ChecksumAlgorithm::Crc32:
    case ChecksumAlgorithm::Crc32c:
        return bigEndian(m_crc, 4);
    case ChecksumAlgorithm::Crc64Nvme:
        return bigEndian(m_crc, 8);
    case ChecksumAlgorithm::Sha1:
    case ChecksumAlgorithm::Sha256: {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(m_evp), out, &n);
        return QByteArray(reinterpret_cast<const char *>(out), int(n));
    }
    case ChecksumAlgorithm::None:
        break;
    }
    return {};
}

QByteArray Checksum::compute(ChecksumAlgorithm algorithm, QByteArrayView data)
{
    Checksum c(algorithm);
    c.add(data);
    return c.result();
}

BodyDigest::BodyDigest(ChecksumAlgorithm checksum)
    : m_checksum(checksum)
{ }

BodyDigest::~BodyDigest() = default;

void BodyDigest::add(const char *data, qsizetype size)
{
    m_md5.add(data, size);
    m_sha256.add(data, size);
    m_checksum.add(data, size);
    m_size += size;
}

void BodyDigest::finish()
{
    m_md5Result = m_md5.result();
    m_sha256Hex = m_sha256.result().toHex();
    m_checksumResult = m_checksum.result();
}

QByteArray sha256Hex(QByteArrayView data)
{
    return Checksum::compute(ChecksumAlgorithm::Sha256, data).toHex();
}

bool constantTimeEqual(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), size_t(a.size())) == 0;
}

QByteArray hmacSha256(QByteArrayView key, QByteArrayView data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()),
        reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()), out, &n);
    return QByteArray(reinterpret_cast<const char *>(out), int(n));
}

} // namespace tarmac
