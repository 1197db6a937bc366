#include "services/sns/snssigner.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdint>

namespace tarmac {

namespace {

template<auto Free>
struct OpenSslFree
{
    template<typename T>
    void operator()(T *p) const
    {
        Free(p);
    }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free>>;
using MdPtr = std::unique_ptr<EVP_MD, OpenSslFree<EVP_MD_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;

// RSA 1024 for keys made now: signing one message with RSA 2048 took 0.62 ms, 60% of a publish
// to ten queues, where 1024 takes 0.09 ms. The key signs messages that never leave the machine
// and protects nothing; verifiers (sns-validator, the SDKs' validators) check the signature,
// not the key's size. A 2048-bit key already in a state folder is used as it is.
constexpr int keyBits = 1024;
constexpr int validDays = 3650;
constexpr qint64 maxPemSize = 1 << 20;
const char *const commonName = "sns.amazonaws.com";

// PEM files Tarmac writes are never encrypted; without a callback OpenSSL would prompt for a
// passphrase on the terminal when it meets an encrypted one.
int noPassphrase(char *, int, int, void *)
{
    return 0;
}

Error internalError(const QString &message)
{
    return makeError(QStringLiteral("InternalServerError"), message, 500);
}

QByteArray bioBytes(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 && data ? QByteArray(data, qsizetype(size)) : QByteArray();
}

BioPtr readBio(const QByteArray &bytes)
{
    return BioPtr(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

QByteArray keyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio
        || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return bioBytes(bio.get());
}

QByteArray certificateToPem(X509 *certificate)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1)
        return {};
    return bioBytes(bio.get());
}

PkeyPtr keyFromPem(const QByteArray &pem)
{
    BioPtr bio = readBio(pem);
    return PkeyPtr(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
}

X509Ptr certificateFromPem(const QByteArray &pem)
{
    BioPtr bio = readBio(pem);
    return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr) : nullptr);
}

QByteArray readSmallFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.read(maxPemSize);
}

// An RSA key of at least keyBits, a certificate for it, and the certificate still valid.
bool usable(EVP_PKEY *key, X509 *certificate)
{
    return EVP_PKEY_is_a(key, "RSA") == 1 && EVP_PKEY_get_bits(key) >= keyBits
        && X509_check_private_key(certificate, key) == 1
        && X509_cmp_current_time(X509_get0_notAfter(certificate)) > 0;
}

bool addExtension(X509 *certificate, int nid, const char *value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

// Self-signed, CN=sns.amazonaws.com, valid from a day ago (verifiers on a machine whose clock
// lags a little still accept it) for ten years.
X509Ptr makeCertificate(EVP_PKEY *key)
{
    X509Ptr certificate(X509_new());
    std::uint64_t serial = 0;
    if (!certificate
        || RAND_bytes(reinterpret_cast<unsigned char *>(&serial), int(sizeof serial)) != 1)
        return {};
    serial &= 0x7fffffffffffffffULL; // a positive serial number
    if (serial == 0)
        serial = 1;
    X509 *c = certificate.get();
    X509_NAME *name = X509_get_subject_name(c); // owned by the certificate
    const bool ok = X509_set_version(c, X509_VERSION_3) == 1
        && ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial) == 1
        && X509_gmtime_adj(X509_getm_notBefore(c), -24L * 60 * 60) != nullptr
        && X509_time_adj_ex(X509_getm_notAfter(c), validDays, 0, nullptr) != nullptr
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
               reinterpret_cast<const unsigned char *>(commonName), -1, -1, 0)
            == 1
        && X509_set_issuer_name(c, name) == 1 && X509_set_pubkey(c, key) == 1
        && addExtension(c, NID_basic_constraints, "critical,CA:FALSE")
        && addExtension(c, NID_key_usage, "critical,digitalSignature")
        && X509_sign(c, key, EVP_sha256()) > 0;
    return ok ? std::move(certificate) : X509Ptr();
}

Result<void> writeFile(const QString &path, const QByteArray &bytes, bool ownerOnly)
{
    constexpr QFileDevice::Permissions owner = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return internalError(
            QStringLiteral("Cannot write ") % path % QStringLiteral(": ") % file.errorString());
    // Restricted before the key is written into the temporary file, and again once renamed.
    if (ownerOnly && !file.setPermissions(owner)) {
        file.cancelWriting();
        return internalError(QStringLiteral("Cannot restrict the permissions of ") % path);
    }
    if (file.write(bytes) != bytes.size() || !file.commit())
        return internalError(
            QStringLiteral("Cannot write ") % path % QStringLiteral(": ") % file.errorString());
    if (ownerOnly && !QFile::setPermissions(path, owner))
        return internalError(QStringLiteral("Cannot restrict the permissions of ") % path);
    return {};
}

QByteArray signBytes(EVP_PKEY *key, const EVP_MD *digest, const QByteArray &data)
{
    // One context per call: a shared EVP_PKEY is read-only here, which OpenSSL 3 allows from
    // several threads at once.
    MdCtxPtr context(EVP_MD_CTX_new());
    const int maxSize = EVP_PKEY_get_size(key);
    if (!context || maxSize <= 0
        || EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key) != 1) {
        ERR_clear_error();
        return {};
    }
    QByteArray signature(maxSize, Qt::Uninitialized);
    std::size_t size = std::size_t(maxSize);
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char *>(signature.data()), &size,
            reinterpret_cast<const unsigned char *>(data.constData()), std::size_t(data.size()))
        != 1) {
        ERR_clear_error();
        return {};
    }
    signature.truncate(qsizetype(size));
    return signature;
}

bool isString(const Json &value, const char *text)
{
    return value.is_string() && value.get_ref<const std::string &>() == text;
}

} // namespace

struct SnsSigner::Key
{
    PkeyPtr key;
    MdPtr sha1;
    MdPtr sha256;
};

SnsSigner::SnsSigner() = default;
SnsSigner::~SnsSigner() = default;

Result<std::unique_ptr<SnsSigner>> SnsSigner::open(const QString &dir)
{
    if (!QDir().mkpath(dir))
        return internalError(QStringLiteral("Cannot create the folder ") % dir);
    const QDir folder(dir);
    const QString keyPath = folder.filePath(QStringLiteral("signing-key.pem"));
    const QString certificatePath = folder.filePath(QStringLiteral("signing-cert.pem"));

    PkeyPtr key;
    X509Ptr certificate;
    if (QFile::exists(keyPath) && QFile::exists(certificatePath)) {
        key = keyFromPem(readSmallFile(keyPath));
        certificate = certificateFromPem(readSmallFile(certificatePath));
        if (!key || !certificate || !usable(key.get(), certificate.get())) {
            // Missing, corrupt or not a pair: made anew below.
            key.reset();
            certificate.reset();
        }
        ERR_clear_error();
    }
    if (!key) {
        key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(keyBits)));
        if (key)
            certificate = makeCertificate(key.get());
        QByteArray keyPem = key ? keyToPem(key.get()) : QByteArray();
        const QByteArray certificatePem
            = certificate ? certificateToPem(certificate.get()) : QByteArray();
        if (keyPem.isEmpty() || certificatePem.isEmpty()) {
            ERR_clear_error();
            return internalError(QStringLiteral("Cannot create the SNS signing key"));
        }
        Result<void> written = writeFile(keyPath, keyPem, true);
        OPENSSL_cleanse(keyPem.data(), std::size_t(keyPem.size()));
        if (written)
            written = writeFile(certificatePath, certificatePem, false);
        if (!written)
            return written.error();
    }

    std::unique_ptr<SnsSigner> signer(new SnsSigner);
    signer->m_key = std::make_unique<Key>();
    signer->m_key->key = std::move(key);
    signer->m_key->sha1.reset(EVP_MD_fetch(nullptr, "SHA1", nullptr));
    signer->m_key->sha256.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    signer->m_certificate = certificateToPem(certificate.get());
    // Signs once here, so that a key OpenSSL cannot use fails open() rather than every message
    // (and whatever OpenSSL caches on the key at first use is in place before other threads).
    const bool ok = signer->m_key->sha1 && signer->m_key->sha256 && !signer->m_certificate.isEmpty()
        && !signBytes(signer->m_key->key.get(), signer->m_key->sha1.get(), QByteArrayLiteral("x"))
                .isEmpty()
        && !signBytes(signer->m_key->key.get(), signer->m_key->sha256.get(), QByteArrayLiteral("x"))
                .isEmpty();
    ERR_clear_error();
    if (!ok)
        return internalError(QStringLiteral("Cannot use the SNS signing key in ") % dir);
    return signer;
}

QByteArray SnsSigner::certificatePem() const
{
    return m_certificate;
}

QByteArray SnsSigner::sign(const Json &message) const
{
    if (!m_key || !m_key->key)
        return {};
    const EVP_MD *digest = m_key->sha1.get();
    if (message.is_object()) {
        const auto version = message.find("SignatureVersion");
        if (version != message.end()
            && (isString(*version, "2") || (version->is_number_integer() && *version == 2)))
            digest = m_key->sha256.get();
    }
    return signBytes(m_key->key.get(), digest, stringToSign(message)).toBase64();
}

QByteArray SnsSigner::stringToSign(const Json &message)
{
    static constexpr std::array<const char *, 6> notificationFields {
        "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"};
    static constexpr std::array<const char *, 7> confirmationFields {
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
    if (!message.is_object())
        return {};
    const auto type = message.find("Type");
    const bool confirmation = type != message.end()
        && (isString(*type, "SubscriptionConfirmation")
            || isString(*type, "UnsubscribeConfirmation"));

    QByteArray text;
    // A field that is absent (Subject when the publisher gave none) is left out, name and all.
    const auto append = [&](const char *name) {
        const auto field = message.find(name);
        if (field == message.end() || field->is_null())
            return;
        text += name;
        text += '\n';
        if (field->is_string()) {
            const std::string &value = field->get_ref<const std::string &>();
            text.append(value.data(), qsizetype(value.size()));
        } else {
            text += QByteArray::fromStdString(
                field->dump(-1, ' ', false, Json::error_handler_t::replace));
        }
        text += '\n';
    };
    if (confirmation) {
        for (const char *name : confirmationFields)
            append(name);
    } else {
        for (const char *name : notificationFields)
            append(name);
    }
    return text;
}

LazySnsSigner::LazySnsSigner(QString dir)
    : m_dir(std::move(dir))
{ }

LazySnsSigner::~LazySnsSigner() = default;

const SnsSigner *LazySnsSigner::signer() const
{
    std::call_once(m_once, [this] {
        auto opened = SnsSigner::open(m_dir);
        if (opened)
            m_signer = std::move(*opened);
        else
            qWarning("tarmac: sns: messages go out unsigned: %s",
                qUtf8Printable(opened.error().message));
    });
    return m_signer.get();
}

QByteArray LazySnsSigner::sign(const Json &message) const
{
    const SnsSigner *s = signer();
    return s ? s->sign(message) : QByteArray();
}

QByteArray LazySnsSigner::certificatePem() const
{
    const SnsSigner *s = signer();
    return s ? s->certificatePem() : QByteArray();
}

} // namespace tarmac
