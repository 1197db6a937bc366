#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace tarmac {

// A message digest fed piece by piece, from OpenSSL's libcrypto: its MD5 and SHA-256 use the
// CPU's instructions (SHA extensions, hand-scheduled MD5), where Qt 6.4's QCryptographicHash
// runs portable C at a fraction of the speed. Object uploads hash every byte with MD5 (the
// ETag) and SHA-256 (the blob's name), so this is on the hot path of every PUT.
class Digest
{
public:
    enum class Algorithm { Md5, Sha1, Sha256 };

    explicit Digest(Algorithm algorithm);
    ~Digest();
    Digest(Digest &&other) noexcept;
    Digest &operator=(Digest &&other) noexcept;
    Digest(const Digest &) = delete;
    Digest &operator=(const Digest &) = delete;

    void add(const char *data, qsizetype size);
    void add(QByteArrayView data) { add(data.data(), data.size()); }
    // The raw digest. Ends this digest: feed it no more afterwards.
    QByteArray result();

    static QByteArray hash(Algorithm algorithm, QByteArrayView data);

private:
    void *m_ctx = nullptr; // EVP_MD_CTX
};

} // namespace tarmac
