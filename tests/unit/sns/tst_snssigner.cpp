#include "services/sns/snssigner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace tarmac;

namespace {

struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parseCertificate(const QByteArray &pem)
{
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    if (!bio)
        return {};
    X509Ptr certificate(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    return certificate;
}

// The way a receiver checks it: the public key from the certificate, the string to sign it
// builds itself, the digest its SignatureVersion names.
bool verifies(const QByteArray &certificatePem, const QByteArray &data,
    const QByteArray &signatureBase64, const EVP_MD *digest)
{
    X509Ptr certificate = parseCertificate(certificatePem);
    if (!certificate)
        return false;
    EVP_PKEY *key = X509_get0_pubkey(certificate.get()); // owned by the certificate
    const QByteArray signature = QByteArray::fromBase64(signatureBase64);
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    const bool ok = key && context
        && EVP_DigestVerifyInit(context, nullptr, digest, nullptr, key) == 1
        && EVP_DigestVerify(context, reinterpret_cast<const unsigned char *>(signature.constData()),
               std::size_t(signature.size()),
               reinterpret_cast<const unsigned char *>(data.constData()), std::size_t(data.size()))
            == 1;
    EVP_MD_CTX_free(context);
    return ok;
}

Json notification()
{
    return Json {
        {"Type", "Notification"},
        {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
        {"TopicArn", "arn:aws:sns:us-east-1:000000000000:orders"},
        {"Subject", "New order"},
        {"Message", "{\"id\":42,\n\"note\":\"caf\xc3\xa9\"}"},
        {"Timestamp", "2024-05-01T12:00:00.000Z"},
        {"SignatureVersion", "1"},
        {"SigningCertURL", "http://localhost:4566/_tarmac/sns/signing-cert.pem"},
        {"UnsubscribeURL", "http://localhost:4566/?Action=Unsubscribe"},
        {"MessageAttributes", {{"k", {{"Type", "String"}, {"Value", "v"}}}}},
    };
}

Json confirmation(const char *type)
{
    return Json {
        {"Type", type},
        {"MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"},
        {"Token", "2336412f37"},
        {"TopicArn", "arn:aws:sns:us-east-1:000000000000:orders"},
        {"Message", "You have chosen to subscribe to the topic orders.\nTo confirm, visit it."},
        {"SubscribeURL", "http://localhost:4566/?Action=ConfirmSubscription&Token=2336412f37"},
        {"Timestamp", "2024-05-01T12:00:00.000Z"},
        {"SignatureVersion", "2"},
        {"SigningCertURL", "http://localhost:4566/_tarmac/sns/signing-cert.pem"},
    };
}

} // namespace

class TestSnsSigner : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto signer = SnsSigner::open(m_dir.filePath(QStringLiteral("shared")));
        QVERIFY2(signer.ok(), qPrintable(signer.ok() ? QString() : signer.error().message));
        m_signer = std::move(signer.value());
        auto other = SnsSigner::open(m_dir.filePath(QStringLiteral("other")));
        QVERIFY(other.ok());
        m_otherSigner = std::move(other.value());
    }

    void openCreatesKeyAndCertificate()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString dir = tmp.filePath(QStringLiteral("state/sns")); // does not exist yet
        auto signer = SnsSigner::open(dir);
        QVERIFY2(signer.ok(), qPrintable(signer.ok() ? QString() : signer.error().message));

        const QString keyPath = dir + QStringLiteral("/signing-key.pem");
        const QString certificatePath = dir + QStringLiteral("/signing-cert.pem");
        QVERIFY(QFile::exists(keyPath));
        QVERIFY(QFile::exists(certificatePath));
        const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup
            | QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::WriteOther
            | QFileDevice::ExeOther;
        QCOMPARE(QFileInfo(keyPath).permissions() & others, QFileDevice::Permissions());
        QVERIFY(QFileInfo(keyPath).permissions() & QFileDevice::ReadOwner);

        QFile key(keyPath);
        QVERIFY(key.open(QIODevice::ReadOnly));
        QVERIFY(key.readAll().startsWith("-----BEGIN PRIVATE KEY-----"));

        const QByteArray pem = (*signer)->certificatePem();
        QVERIFY(pem.startsWith("-----BEGIN CERTIFICATE-----"));
        QFile certificateFile(certificatePath);
        QVERIFY(certificateFile.open(QIODevice::ReadOnly));
        QCOMPARE(certificateFile.readAll(), pem);

        X509Ptr certificate = parseCertificate(pem);
        QVERIFY(certificate);
        char commonName[256] = {};
        QVERIFY(X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName,
                    commonName, int(sizeof commonName))
            > 0);
        QCOMPARE(QByteArray(commonName), QByteArray("sns.amazonaws.com"));
        QCOMPARE(X509_NAME_cmp(X509_get_subject_name(certificate.get()),
                     X509_get_issuer_name(certificate.get())),
            0);
        EVP_PKEY *publicKey = X509_get0_pubkey(certificate.get());
        QVERIFY(publicKey);
        QVERIFY(EVP_PKEY_is_a(publicKey, "RSA"));
        QCOMPARE(EVP_PKEY_get_bits(publicKey), 1024);
        QCOMPARE(X509_verify(certificate.get(), publicKey), 1); // self-signed

        // Valid now, and for about ten years.
        time_t nineYears = QDateTime::currentDateTimeUtc().addYears(9).toSecsSinceEpoch();
        time_t elevenYears = QDateTime::currentDateTimeUtc().addYears(11).toSecsSinceEpoch();
        QCOMPARE(X509_cmp_current_time(X509_get0_notBefore(certificate.get())), -1);
        QCOMPARE(X509_cmp_time(X509_get0_notAfter(certificate.get()), &nineYears), 1);
        QCOMPARE(X509_cmp_time(X509_get0_notAfter(certificate.get()), &elevenYears), -1);
    }

    void reopenLoadsTheSameCertificate()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString keyPath = tmp.filePath(QStringLiteral("signing-key.pem"));
        QByteArray certificate;
        QByteArray signature;
        QByteArray keyBytes;
        {
            auto first = SnsSigner::open(tmp.path());
            QVERIFY(first.ok());
            certificate = (*first)->certificatePem();
            signature = (*first)->sign(notification());
            QFile key(keyPath);
            QVERIFY(key.open(QIODevice::ReadOnly));
            keyBytes = key.readAll();
        }
        auto second = SnsSigner::open(tmp.path());
        QVERIFY(second.ok());
        QCOMPARE((*second)->certificatePem(), certificate);
        // PKCS#1 v1.5 signatures are deterministic: the same key signs the same way.
        QCOMPARE((*second)->sign(notification()), signature);
        QFile key(keyPath);
        QVERIFY(key.open(QIODevice::ReadOnly));
        QCOMPARE(key.readAll(), keyBytes);
    }

    void corruptFilesAreReplaced_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content"); // empty: the file is removed
        QTest::newRow("garbage key")
            << QStringLiteral("signing-key.pem") << QByteArray("not a key\n");
        QTest::newRow("truncated key") << QStringLiteral("signing-key.pem")
                                       << QByteArray("-----BEGIN PRIVATE KEY-----\nMIIE\n");
        QTest::newRow("garbage certificate")
            << QStringLiteral("signing-cert.pem") << QByteArray("\x00\x01\x02", 3);
        QTest::newRow("missing certificate") << QStringLiteral("signing-cert.pem") << QByteArray();
        QTest::newRow("missing key") << QStringLiteral("signing-key.pem") << QByteArray();
    }

    void corruptFilesAreReplaced()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QVERIFY(copyKeyFiles(QStringLiteral("shared"), tmp.path()));
        const QByteArray before = m_signer->certificatePem();
        const QString path = tmp.filePath(file);
        if (content.isEmpty()) {
            QVERIFY(QFile::remove(path));
        } else {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            QCOMPARE(f.write(content), content.size());
        }

        auto signer = SnsSigner::open(tmp.path());
        QVERIFY2(signer.ok(), qPrintable(signer.ok() ? QString() : signer.error().message));
        const QByteArray after = (*signer)->certificatePem();
        QVERIFY(after != before);
        const Json message = notification();
        QVERIFY(verifies(
            after, SnsSigner::stringToSign(message), (*signer)->sign(message), EVP_sha1()));
        // And what it wrote loads next time.
        auto again = SnsSigner::open(tmp.path());
        QVERIFY(again.ok());
        QCOMPARE((*again)->certificatePem(), after);
    }

    void certificateOfAnotherKeyIsReplaced()
    {
        // The key of "shared" with the certificate of "other".
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QVERIFY(copyKeyFiles(QStringLiteral("shared"), tmp.path()));
        const QString certificatePath = tmp.filePath(QStringLiteral("signing-cert.pem"));
        QVERIFY(QFile::remove(certificatePath));
        QVERIFY(
            QFile::copy(m_dir.filePath(QStringLiteral("other/signing-cert.pem")), certificatePath));
        auto signer = SnsSigner::open(tmp.path());
        QVERIFY(signer.ok());
        QVERIFY((*signer)->certificatePem() != m_signer->certificatePem());
        QVERIFY((*signer)->certificatePem() != m_otherSigner->certificatePem());
        const Json message = notification();
        QVERIFY(verifies((*signer)->certificatePem(), SnsSigner::stringToSign(message),
            (*signer)->sign(message), EVP_sha1()));
    }

    void openFailsWhenTheFolderCannotBeMade()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString file = tmp.filePath(QStringLiteral("plain-file"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto signer = SnsSigner::open(file + QStringLiteral("/sns"));
        QVERIFY(!signer.ok());
        QCOMPARE(signer.error().httpStatus, 500);
        QVERIFY(!signer.error().message.isEmpty());
    }

    void stringToSign_data()
    {
        QTest::addColumn<QByteArray>("message"); // JSON
        QTest::addColumn<QByteArray>("expected");

        QTest::newRow("notification with subject")
            << toJsonBytes(notification())
            << QByteArray("Message\n"
                          "{\"id\":42,\n\"note\":\"caf\xc3\xa9\"}\n"
                          "MessageId\n"
                          "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                          "Subject\n"
                          "New order\n"
                          "Timestamp\n"
                          "2024-05-01T12:00:00.000Z\n"
                          "TopicArn\n"
                          "arn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\n"
                          "Notification\n");

        Json noSubject = notification();
        noSubject.erase("Subject");
        QTest::newRow("notification without subject")
            << toJsonBytes(noSubject)
            << QByteArray("Message\n"
                          "{\"id\":42,\n\"note\":\"caf\xc3\xa9\"}\n"
                          "MessageId\n"
                          "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                          "Timestamp\n"
                          "2024-05-01T12:00:00.000Z\n"
                          "TopicArn\n"
                          "arn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\n"
                          "Notification\n");

        Json emptySubject = notification();
        emptySubject["Subject"] = "";
        emptySubject["Message"] = "hi";
        QTest::newRow("notification with an empty subject")
            << toJsonBytes(emptySubject)
            << QByteArray("Message\nhi\n"
                          "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                          "Subject\n\n"
                          "Timestamp\n2024-05-01T12:00:00.000Z\n"
                          "TopicArn\narn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\nNotification\n");

        QTest::newRow("subscription confirmation")
            << toJsonBytes(confirmation("SubscriptionConfirmation"))
            << QByteArray("Message\n"
                          "You have chosen to subscribe to the topic orders.\nTo confirm, visit "
                          "it.\n"
                          "MessageId\n"
                          "165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
                          "SubscribeURL\n"
                          "http://localhost:4566/?Action=ConfirmSubscription&Token=2336412f37\n"
                          "Timestamp\n"
                          "2024-05-01T12:00:00.000Z\n"
                          "Token\n"
                          "2336412f37\n"
                          "TopicArn\n"
                          "arn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\n"
                          "SubscriptionConfirmation\n");

        QTest::newRow("unsubscribe confirmation")
            << toJsonBytes(confirmation("UnsubscribeConfirmation"))
            << QByteArray("Message\n"
                          "You have chosen to subscribe to the topic orders.\nTo confirm, visit "
                          "it.\n"
                          "MessageId\n"
                          "165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
                          "SubscribeURL\n"
                          "http://localhost:4566/?Action=ConfirmSubscription&Token=2336412f37\n"
                          "Timestamp\n"
                          "2024-05-01T12:00:00.000Z\n"
                          "Token\n"
                          "2336412f37\n"
                          "TopicArn\n"
                          "arn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\n"
                          "UnsubscribeConfirmation\n");

        // A notification's string ignores a Token or SubscribeURL it might carry.
        Json extra = noSubject;
        extra["Token"] = "t";
        extra["SubscribeURL"] = "u";
        extra["Message"] = "m";
        QTest::newRow("notification ignores confirmation fields")
            << toJsonBytes(extra)
            << QByteArray("Message\nm\n"
                          "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
                          "Timestamp\n2024-05-01T12:00:00.000Z\n"
                          "TopicArn\narn:aws:sns:us-east-1:000000000000:orders\n"
                          "Type\nNotification\n");

        QTest::newRow("not an object") << QByteArray("[1,2]") << QByteArray();
    }

    void stringToSign()
    {
        QFETCH(QByteArray, message);
        QFETCH(QByteArray, expected);
        const auto json = parseJson(message);
        QVERIFY(json.ok());
        QCOMPARE(SnsSigner::stringToSign(*json), expected);
    }

    void signVerifies_data()
    {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<bool>("sha256");

        Json v1 = notification();
        QTest::newRow("notification, version 1") << toJsonBytes(v1) << false;
        Json v2 = notification();
        v2["SignatureVersion"] = "2";
        QTest::newRow("notification, version 2") << toJsonBytes(v2) << true;
        Json v2NoSubject = v2;
        v2NoSubject.erase("Subject");
        QTest::newRow("notification without subject, version 2")
            << toJsonBytes(v2NoSubject) << true;
        Json missing = notification();
        missing.erase("SignatureVersion");
        QTest::newRow("no SignatureVersion is version 1") << toJsonBytes(missing) << false;
        QTest::newRow("subscription confirmation, version 2")
            << toJsonBytes(confirmation("SubscriptionConfirmation")) << true;
        Json c1 = confirmation("UnsubscribeConfirmation");
        c1["SignatureVersion"] = "1";
        QTest::newRow("unsubscribe confirmation, version 1") << toJsonBytes(c1) << false;
    }

    void signVerifies()
    {
        QFETCH(QByteArray, message);
        QFETCH(bool, sha256);
        const auto parsed = parseJson(message);
        QVERIFY(parsed.ok());
        const Json &json = *parsed;
        const EVP_MD *digest = sha256 ? EVP_sha256() : EVP_sha1();
        const EVP_MD *otherDigest = sha256 ? EVP_sha1() : EVP_sha256();
        const QByteArray certificate = m_signer->certificatePem();

        const QByteArray signature = m_signer->sign(json);
        QVERIFY(!signature.isEmpty());
        QCOMPARE(QByteArray::fromBase64(signature).size(), 128); // RSA 1024
        QCOMPARE(QByteArray::fromBase64(signature).toBase64(), signature);
        QVERIFY(verifies(certificate, SnsSigner::stringToSign(json), signature, digest));
        QVERIFY(!verifies(certificate, SnsSigner::stringToSign(json), signature, otherDigest));

        // Fields outside the string to sign may change (the Signature itself is added later).
        Json withSignature = json;
        withSignature["Signature"] = signature.toStdString();
        withSignature["SigningCertURL"] = "http://elsewhere/cert.pem";
        QCOMPARE(m_signer->sign(withSignature), signature);

        // A tampered message does not verify against the original signature.
        const auto tamper = [&](const char *field, const char *value) {
            Json changed = json;
            changed[field] = value;
            return verifies(certificate, SnsSigner::stringToSign(changed), signature, digest);
        };
        QVERIFY(!tamper("Message", "something else"));
        QVERIFY(!tamper("TopicArn", "arn:aws:sns:us-east-1:000000000000:other"));
        QVERIFY(!tamper("Timestamp", "2024-05-01T12:00:00.001Z"));
        if (json.value("Type", std::string()) == "Notification") {
            QVERIFY(!tamper("Subject", "injected"));
        } else {
            QVERIFY(!tamper("Token", "forged"));
            QVERIFY(!tamper("SubscribeURL", "http://attacker/"));
        }

        // Nor with a different certificate's key.
        QTemporaryDir other;
        QVERIFY(other.isValid());
        auto otherSigner = SnsSigner::open(other.path());
        QVERIFY(otherSigner.ok());
        QVERIFY(!verifies(
            (*otherSigner)->certificatePem(), SnsSigner::stringToSign(json), signature, digest));
    }

    void numericSignatureVersion()
    {
        Json message = notification();
        message["SignatureVersion"] = 2;
        QVERIFY(verifies(m_signer->certificatePem(), SnsSigner::stringToSign(message),
            m_signer->sign(message), EVP_sha256()));
    }

    void signsFromSeveralThreads()
    {
        constexpr int threads = 4;
        constexpr int perThread = 25;
        const QByteArray certificate = m_signer->certificatePem();
        std::atomic<int> good {0};
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (int i = 0; i < perThread; ++i) {
                    Json message = notification();
                    message["Message"] = "message " + std::to_string(t) + "/" + std::to_string(i);
                    const bool v2 = (i % 2) == 1;
                    message["SignatureVersion"] = v2 ? "2" : "1";
                    if (verifies(certificate, SnsSigner::stringToSign(message),
                            m_signer->sign(message), v2 ? EVP_sha256() : EVP_sha1()))
                        ++good;
                }
            });
        }
        for (std::thread &worker : workers)
            worker.join();
        QCOMPARE(good.load(), threads * perThread);
    }

private:
    // Copies the files of the initTestCase() signer `name` (a key generation spared).
    bool copyKeyFiles(const QString &name, const QString &to) const
    {
        for (const QString &file :
            {QStringLiteral("signing-key.pem"), QStringLiteral("signing-cert.pem")}) {
            if (!QFile::copy(
                    m_dir.filePath(name + QLatin1Char('/') + file), QDir(to).filePath(file)))
                return false;
        }
        return true;
    }

    QTemporaryDir m_dir;
    std::unique_ptr<SnsSigner> m_signer;
    std::unique_ptr<SnsSigner> m_otherSigner; // a second key
};

QTEST_GUILESS_MAIN(TestSnsSigner)
#include "tst_snssigner.moc"
