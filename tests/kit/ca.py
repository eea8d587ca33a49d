"""A private certificate authority that issues Alexa-like signing certificates, so verification runs for real offline.

Root -> intermediate -> leaf (SAN echo-api.amazon.com, serverAuth), shaped like Amazon's chain, and a signer that
produces the headers Alexa sends. Used by the tests and the HTTP benchmark.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hamstring Test CA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=not ca,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _ca_cert(subject: str, key, issuer_name: x509.Name, issuer_key, not_before, not_after, path_length):
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class PrivateCA:
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey

    @classmethod
    def create(cls) -> PrivateCA:
        now = datetime.now(timezone.utc)
        root_key, intermediate_key = _key(), _key()
        root = _ca_cert("Test Root", root_key, _name("Test Root"), root_key,
                        now - timedelta(days=30), now + timedelta(days=3650), None)
        intermediate = _ca_cert("Test Intermediate", intermediate_key, root.subject, root_key,
                                now - timedelta(days=30), now + timedelta(days=1000), 0)
        return cls(root, root_key, intermediate, intermediate_key)

    def leaf(self, *, san: str = "echo-api.amazon.com", days_valid: tuple[int, int] = (-1, 90),
             issuer: str = "intermediate") -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        key = _key()
        now = datetime.now(timezone.utc)
        issuer_cert, issuer_key = (
            (self.intermediate, self.intermediate_key) if issuer == "intermediate" else (self.root, self.root_key)
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san)]))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=days_valid[0]))
            .not_valid_after(now + timedelta(days=days_valid[1]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
        return cert, key

    def chain_pem(self, leaf: x509.Certificate) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, self.intermediate))

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def sign(body: bytes, key: rsa.RSAPrivateKey, chain_url: str = CHAIN_URL) -> dict[str, str]:
    """The headers Alexa attaches to a request."""
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {
        "SignatureCertChainUrl": chain_url,
        "Signature-256": base64.b64encode(signature).decode(),
        "Content-Type": "application/json; charset=utf-8",
    }


def now_timestamp(offset_s: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def body_bytes(envelope: dict) -> bytes:
    return json.dumps(envelope).encode()
