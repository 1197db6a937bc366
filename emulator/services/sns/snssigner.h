#pragma once

#include "base/json.h"
#include "base/result.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <mutex>

namespace tarmac {

// Signs what SNS sends (notifications, subscription confirmations) the way SNS does, with an
// RSA key Tarmac generates once per state folder, so that signature verifiers (the SDKs',
// `sns-validator`) pass locally once pointed at the certificate Tarmac serves at the
// message's SigningCertURL. Thread-safe after open().
class SnsSigner
{
public:
    // Loads DIR/signing-key.pem and DIR/signing-cert.pem, or creates them (RSA 1024, a
    // self-signed X.509 certificate for CN=sns.amazonaws.com valid for ten years) and writes
    // them (the key readable by the owner only).
    static Result<std::unique_ptr<SnsSigner>> open(const QString &dir);
    ~SnsSigner();

    QByteArray certificatePem() const;

    // The message's Signature field: base64 of the RSA signature of stringToSign(message),
    // with SHA1 for SignatureVersion "1" and SHA256 for "2" (taken from the message's
    // SignatureVersion field; "1" when it is missing).
    QByteArray sign(const Json &message) const;

    // SNS's string to sign (docs: sns-verify-signature-of-message): for a Notification the
    // lines "Message", its value, "MessageId", …, "Subject" (only when the message has one),
    // "Timestamp", "TopicArn", "Type", each followed by a newline; for SubscriptionConfirmation
    // and UnsubscribeConfirmation "Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
    // "TopicArn", "Type".
    static QByteArray stringToSign(const Json &message);

private:
    SnsSigner();
    struct Key;
    std::unique_ptr<Key> m_key;
    QByteArray m_certificate;
};

// The signer of a state folder, opened on first use: a new folder's RSA key takes a fraction of
// a second to generate, which every start would otherwise pay (every `--ephemeral` one) whether
// or not anything is ever signed. Thread-safe. When the key cannot be made or read, that is
// said once on stderr and messages go out with an empty Signature.
class LazySnsSigner
{
public:
    explicit LazySnsSigner(QString dir);
    ~LazySnsSigner();

    QByteArray sign(const Json &message) const; // SnsSigner::sign, or empty
    QByteArray certificatePem() const; // or empty

private:
    const SnsSigner *signer() const;

    QString m_dir;
    mutable std::once_flag m_once;
    mutable std::unique_ptr<SnsSigner> m_signer;
};

} // namespace tarmac
