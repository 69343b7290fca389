//! Amazon SNS message signatures: the server's RSA key and self-signed certificate, the
//! string AWS signs for each message type, and its `SignatureVersion` 1 (`SHA1withRSA`) and
//! 2 (`SHA256withRSA`) signatures, so that SNS signature verifiers accept what we send.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::{Signature, SigningKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{Keypair, SignatureEncoding, Signer as _};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

/// The certificate's subject (and issuer: it is self-signed), as on AWS's own SNS certificate.
const SUBJECT: &str = "CN=sns.amazonaws.com";
/// The certificate is valid from a day ago (clients with a slow clock) ...
const BACKDATE: Duration = Duration::from_secs(24 * 60 * 60);
/// ... to ten years from now.
const LIFETIME: Duration = Duration::from_secs(10 * 366 * 24 * 60 * 60);

/// `SignatureVersion` of a topic: 1 = `SHA1withRSA` (AWS's default), 2 = `SHA256withRSA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// `"1"`: RSA PKCS#1 v1.5 over a SHA-1 digest, what AWS topics use unless told otherwise.
    #[default]
    V1,
    /// `"2"`: RSA PKCS#1 v1.5 over a SHA-256 digest.
    V2,
}

impl SignatureVersion {
    /// The version named by a topic's `SignatureVersion` attribute: `"1"` or `"2"`, else `None`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "1" => Some(Self::V1),
            "2" => Some(Self::V2),
            _ => None,
        }
    }

    /// The attribute's and the message's `SignatureVersion` value: `"1"` or `"2"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1",
            Self::V2 => "2",
        }
    }
}

/// The server's signing key and its self-signed certificate, made once per process.
pub struct Signer {
    sha1: SigningKey<Sha1>,
    sha256: SigningKey<Sha256>,
    certificate_pem: String,
    certificate_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("Signer")
            .field("certificate_id", &self.certificate_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The process's signer, made on first use (key generation happens once; later calls are free).
    ///
    /// # Panics
    ///
    /// If [`Signer::generate`] fails, which it does only when the operating system cannot
    /// supply random bytes or memory: nothing the server could carry on without.
    pub fn shared() -> &'static Signer {
        static SHARED: OnceLock<Signer> = OnceLock::new();
        SHARED.get_or_init(|| {
            Signer::generate().expect("SNS signing key: the OS gave no random bytes or memory")
        })
    }

    /// A new RSA 2048 key and its self-signed certificate, in memory only.
    ///
    /// The key comes from aws-lc-rs (fast even in debug builds) and is handed, as PKCS#8, to
    /// the `rsa` crate, which alone can sign with SHA-1 (aws-lc-rs signs RSA with SHA-256 and up).
    ///
    /// # Errors
    ///
    /// If the operating system's random source fails, or (never in practice) if the key or
    /// certificate cannot be encoded.
    pub fn generate() -> anyhow::Result<Self> {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .context("generating the RSA 2048 key")?;
        let pkcs8 = pair.as_der().context("encoding the RSA key as PKCS#8")?;
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8.as_ref()).context("reading the RSA key")?;
        let sha256 = SigningKey::<Sha256>::new(key.clone());
        let certificate = self_signed_certificate(&sha256)?;
        let der = certificate.to_der().context("encoding the certificate")?;
        let certificate_pem = certificate
            .to_pem(LineEnding::LF)
            .context("encoding the certificate as PEM")?;
        Ok(Self {
            sha1: SigningKey::<Sha1>::new(key),
            sha256,
            certificate_pem,
            certificate_id: hex::encode(&Sha256::digest(&der)[..16]),
        })
    }

    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`), to serve at `SigningCertURL`.
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// A short stable id of the certificate (hex of the first 16 bytes of a SHA-256 of its
    /// DER: 32 characters) for the URL path `/SimpleNotificationService-<id>.pem`.
    #[must_use]
    pub fn certificate_id(&self) -> &str {
        &self.certificate_id
    }

    /// The base64 signature of `string_to_sign` with the version's digest (RSA PKCS#1 v1.5).
    ///
    /// # Panics
    ///
    /// Never for any input: the signed block is a fixed-size digest, which always fits a
    /// 2048-bit key, so the only failure left is the crate's re-check of its own result.
    #[must_use]
    pub fn sign(&self, string_to_sign: &str, version: SignatureVersion) -> String {
        let signed = match version {
            SignatureVersion::V1 => self.sha1.try_sign(string_to_sign.as_bytes()),
            SignatureVersion::V2 => self.sha256.try_sign(string_to_sign.as_bytes()),
        };
        let signature = signed.expect("an RSA 2048 PKCS#1 v1.5 signature of a digest");
        STANDARD.encode(signature.to_bytes())
    }
}

/// A self-signed end-entity certificate for the key: subject = issuer = `CN=sns.amazonaws.com`,
/// random positive 128-bit serial, valid from a day ago for ten years, signed `SHA256withRSA`.
fn self_signed_certificate(key: &SigningKey<Sha256>) -> anyhow::Result<x509_cert::Certificate> {
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).context("random serial number")?;
    serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and always 16 bytes long
    let now = SystemTime::now();
    let validity = Validity {
        not_before: Time::try_from(now.checked_sub(BACKDATE).context("clock before 1970")?)?,
        not_after: Time::try_from(now.checked_add(LIFETIME).context("clock past the end")?)?,
    };
    let subject = Name::from_str(SUBJECT)?;
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let public_key = SubjectPublicKeyInfoOwned::from_key(key.verifying_key())?;
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::new(&serial)?,
        validity,
        subject,
        public_key,
        key,
    )?;
    Ok(builder.build::<Signature>()?)
}

/// "Name\nValue\n" for each present field, in the order given.
fn string_to_sign(fields: &[(&str, Option<&str>)]) -> String {
    let mut text = String::new();
    for (name, value) in fields {
        if let Some(value) = value {
            for part in [name, "\n", value, "\n"] {
                text.push_str(part);
            }
        }
    }
    text
}

// What AWS signs, from the SNS Developer Guide, "Verifying the signatures of Amazon SNS
// messages" (awsdocs/amazon-sns-developer-guide, doc_source/sns-verify-signature-of-message.md):
// "name-value pairs ... listed in byte-sort order"; Notification: Message, MessageId, Subject
// (if included), Timestamp, TopicArn, Type; SubscriptionConfirmation and UnsubscribeConfirmation:
// Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type. AWS's own validators agree
// (aws/aws-php-sns-message-validator MessageValidator::getStringToSign, aws/aws-js-sns-message-
// validator signableKeysFor*): each present key of that sorted list adds "Key\nValue\n".

/// The string AWS signs for a `Notification`: `Message`, `MessageId`, `Subject` (only if
/// present), `Timestamp`, `TopicArn` and `Type`, each as `"Name\nValue\n"`.
#[must_use]
pub fn notification_string_to_sign(
    message: &str,
    message_id: &str,
    subject: Option<&str>,
    timestamp: &str,
    topic_arn: &str,
) -> String {
    string_to_sign(&[
        ("Message", Some(message)),
        ("MessageId", Some(message_id)),
        ("Subject", subject),
        ("Timestamp", Some(timestamp)),
        ("TopicArn", Some(topic_arn)),
        ("Type", Some("Notification")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPublicKey;
    use rsa::pkcs1v15::VerifyingKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use x509_cert::Certificate;
    use x509_cert::der::DecodePem;

    /// The public key a verifier would use: the one in the PEM certificate.
    fn public_key(pem: &str) -> RsaPublicKey {
        let certificate = Certificate::from_pem(pem).unwrap();
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        RsaPublicKey::from_public_key_der(&spki).unwrap()
    }

    fn verifies(pem: &str, text: &str, signature: &str, version: SignatureVersion) -> bool {
        let public = public_key(pem);
        let bytes = STANDARD.decode(signature).unwrap();
        let signature = Signature::try_from(bytes.as_slice()).unwrap();
        match version {
            SignatureVersion::V1 => {
                VerifyingKey::<Sha1>::new(public).verify(text.as_bytes(), &signature)
            }
            SignatureVersion::V2 => {
                VerifyingKey::<Sha256>::new(public).verify(text.as_bytes(), &signature)
            }
        }
        .is_ok()
    }

    #[test]
    fn signatures_verify_with_the_certificates_key_and_changes_do_not() {
        let signer = Signer::shared();
        let text = notification_string_to_sign(
            "hello\nworld",
            "id-1",
            None,
            "2024-01-01T00:00:00.000Z",
            "arn:t",
        );
        let v1 = signer.sign(&text, SignatureVersion::V1);
        let v2 = signer.sign(&text, SignatureVersion::V2);
        assert_ne!(v1, v2);
        for (signature, version) in [(&v1, SignatureVersion::V1), (&v2, SignatureVersion::V2)] {
            assert!(verifies(
                signer.certificate_pem(),
                &text,
                signature,
                version
            ));
            let changed = text.replace("hello", "hellO");
            assert!(!verifies(
                signer.certificate_pem(),
                &changed,
                signature,
                version
            ));
        }
        // A V1 signature is not a V2 one.
        assert!(!verifies(
            signer.certificate_pem(),
            &text,
            &v1,
            SignatureVersion::V2
        ));
    }

    #[test]
    fn the_certificate_is_self_signed_for_sns_and_valid_now() {
        let pem = Signer::shared().certificate_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        let certificate = Certificate::from_pem(pem).unwrap();
        let tbs = &certificate.tbs_certificate;
        assert_eq!(tbs.subject.to_string(), "CN=sns.amazonaws.com");
        assert_eq!(tbs.issuer, tbs.subject);
        let now = SystemTime::now();
        assert!(
            tbs.validity.not_before.to_system_time() < now
                && now < tbs.validity.not_after.to_system_time()
        );
        let signature = Signature::try_from(certificate.signature.raw_bytes()).unwrap();
        VerifyingKey::<Sha256>::new(public_key(pem))
            .verify(&tbs.to_der().unwrap(), &signature)
            .unwrap();
    }

    #[test]
    fn the_shared_signer_is_made_once() {
        assert_eq!(
            Signer::shared().certificate_pem(),
            Signer::shared().certificate_pem()
        );
        let id = Signer::shared().certificate_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn signature_versions_parse_and_print() {
        assert_eq!(SignatureVersion::parse("1"), Some(SignatureVersion::V1));
        assert_eq!(SignatureVersion::parse("2"), Some(SignatureVersion::V2));
        assert_eq!(SignatureVersion::parse("3"), None);
        assert_eq!(SignatureVersion::parse(" 1"), None);
        assert_eq!(SignatureVersion::default().as_str(), "1");
        assert_eq!(SignatureVersion::V2.as_str(), "2");
    }

    #[test]
    fn notification_strings_to_sign() {
        let arn = "arn:aws:sns:us-east-2:123456789012:MyTopic";
        let with = notification_string_to_sign(
            "My Test Message",
            "4d4d",
            Some("My subject"),
            "2019-01-31T04:37:04.321Z",
            arn,
        );
        assert_eq!(
            with,
            "Message\nMy Test Message\nMessageId\n4d4d\nSubject\nMy subject\n\
             Timestamp\n2019-01-31T04:37:04.321Z\nTopicArn\narn:aws:sns:us-east-2:123456789012:MyTopic\n\
             Type\nNotification\n"
        );
        let without = notification_string_to_sign(
            "My Test Message",
            "4d4d",
            None,
            "2019-01-31T04:37:04.321Z",
            arn,
        );
        assert_eq!(
            without,
            "Message\nMy Test Message\nMessageId\n4d4d\n\
             Timestamp\n2019-01-31T04:37:04.321Z\nTopicArn\narn:aws:sns:us-east-2:123456789012:MyTopic\n\
             Type\nNotification\n"
        );
    }
}
