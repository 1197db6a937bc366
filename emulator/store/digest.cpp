#include "store/digest.h"

#include <openssl/evp.h>

#include <utility>

namespace tarmac {

namespace {

// Fetched once: EVP_MD_fetch resolves the provider's implementation, which the legacy
// EVP_md5()-style getters would otherwise look up again on every EVP_DigestInit_ex.
const EVP_MD *evpFor(Digest::Algorithm algorithm)
{
    static EVP_MD *const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    static EVP_MD *const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static EVP_MD *const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    switch (algorithm) {
    case Digest::Algorithm::Md5:
        return md5 ? md5 : EVP_md5();
    case Digest::Algorithm::Sha1:
        return sha1 ? sha1 : EVP_sha1();
    case Digest::Algorithm::Sha256:
        break;
    }
    return sha256 ? sha256 : EVP_sha256();
}

} // namespace

Digest::Digest(Algorithm algorithm)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, evpFor(algorithm), nullptr);
    m_ctx = ctx;
}

Digest::~Digest()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx));
}

Digest::Digest(Digest &&other) noexcept
    : m_ctx(std::exchange(other.m_ctx, nullptr))
{ }

Digest &Digest::operator=(Digest &&other) noexcept
{
    std::swap(m_ctx, other.m_ctx);
    return *this;
}

void Digest::add(const char *data, qsizetype size)
{
    if (size > 0)
        EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_ctx), data, size_t(size));
}

QByteArray Digest::result()
{
    auto *ctx = static_cast<EVP_MD_CTX *>(m_ctx);
    QByteArray out(EVP_MD_CTX_get_size(ctx), Qt::Uninitialized);
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char *>(out.data()), &n);
    out.truncate(qsizetype(n));
    return out;
}

QByteArray Digest::hash(Algorithm algorithm, QByteArrayView data)
{
    Digest d(algorithm);
    d.add(data);
    return d.result();
}

} // namespace tarmac
