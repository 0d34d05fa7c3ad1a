"""Glance's image signatures: verify ``img_signature`` against the data as it uploads.

An image that names a signature (``img_signature``, ``img_signature_hash_method``,
``img_signature_key_type``, ``img_signature_certificate_uuid``, all four) is hashed on the
checks' lane under the named hash while it streams; at the end of the stream the signature is
verified over that digest with the certificate's public key, before the blob becomes active.
A signature that does not verify, a certificate that is unknown, not yet or no longer valid or
not meant for signing, or a key that is not of the named type is a refusal: 400, nothing kept.

The signature scheme is Glance's (python-cursive's), so an image signed for Glance verifies
here unchanged: ``img_signature`` is the base64 signature of the image data; ``RSA-PSS`` uses
MGF1 with the same hash and the largest salt; the ECC key types are ECDSA on the named curve;
``DSA``; the binary ECC curves while the installed ``cryptography`` still has them.

Certificates come from the operator's trust store, a directory of PEM (or DER) files named
``<uuid>.pem`` (``[validators.image_signature] trust_store``): trust is the operator's decision,
and a certificate a user could upload next to the image would prove nothing about who signed
it. Files are read per upload, so certificates are added and retired without a restart.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa, utils

from artifacts import plugin as p

SIGNATURE = "img_signature"
HASH_METHOD = "img_signature_hash_method"
KEY_TYPE = "img_signature_key_type"
CERTIFICATE = "img_signature_certificate_uuid"
FIELDS = (SIGNATURE, HASH_METHOD, KEY_TYPE, CERTIFICATE)

#: Glance's hash methods → (hashlib name, cryptography hash).
_HASHES: Mapping[str, tuple[str, Callable[[], hashes.HashAlgorithm]]] = {
    "SHA-224": ("sha224", hashes.SHA224),
    "SHA-256": ("sha256", hashes.SHA256),
    "SHA-384": ("sha384", hashes.SHA384),
    "SHA-512": ("sha512", hashes.SHA512),
}
HASH_METHODS = tuple(_HASHES)

#: Glance's ECC key types, each named after the curve the certificate's key must be on. The
#: binary (SECT) curves are offered while the installed ``cryptography`` still has them (its
#: release 50 removed them), like DSA.
_GLANCE_CURVES = (
    "SECT571K1",
    "SECT409K1",
    "SECT571R1",
    "SECT409R1",
    "SECP521R1",
    "SECP384R1",
)
_CURVES: Mapping[str, type[ec.EllipticCurve]] = {
    f"ECC_{name}": getattr(ec, name) for name in _GLANCE_CURVES if hasattr(ec, name)
}
KEY_TYPES = ("RSA-PSS", "DSA", *_CURVES)

_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TrustStore:
    """A directory of trusted signing certificates, each ``<uuid>.pem``."""

    directory: Path

    def certificate(self, uuid: str) -> x509.Certificate:
        if not _UUID.match(uuid):
            raise p.BlobRejected(f"{CERTIFICATE} {uuid!r} is not a UUID", field=CERTIFICATE)
        path = self.directory / f"{uuid.lower()}.pem"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise p.BlobRejected(
                f"certificate {uuid} is not in this service's trust store", field=CERTIFICATE
            ) from None
        try:
            if b"-----BEGIN" in data:
                return x509.load_pem_x509_certificate(data)
            return x509.load_der_x509_certificate(data)
        except ValueError:
            raise p.BlobRejected(
                f"certificate {uuid} in the trust store cannot be read", field=CERTIFICATE
            ) from None


class SignatureValidator(p.StreamValidator):
    name = "image_signature"

    def __init__(self, trust_store: TrustStore | None = None, clock: Clock = _utcnow) -> None:
        self._trust_store = trust_store
        self._clock = clock

    def configure(self, options: Mapping[str, Any]) -> SignatureValidator:
        unknown = set(options) - {"trust_store"}
        if unknown:
            raise ValueError(f"unknown options {', '.join(sorted(unknown))}")
        directory = options.get("trust_store")
        if directory is None:
            return SignatureValidator(None, self._clock)
        if not isinstance(directory, str) or not Path(directory).is_dir():
            raise ValueError("trust_store must name a directory of <uuid>.pem certificates")
        return SignatureValidator(TrustStore(Path(directory)), self._clock)

    def start(self, upload: p.Upload) -> p.StreamCheck | None:
        named = {name: upload.artifact.get(name) for name in FIELDS}
        if not any(named.values()):
            return None
        missing = [name for name, value in named.items() if not value]
        if missing:
            raise p.BlobRejected(
                f"a signed image needs all of {', '.join(FIELDS)}; missing {', '.join(missing)}"
            )
        if self._trust_store is None:
            raise p.BlobRejected(
                "this service has no trust store configured, so it cannot verify image signatures",
                field=SIGNATURE,
            )
        try:
            signature = base64.b64decode(named[SIGNATURE], validate=True)
        except (binascii.Error, ValueError):
            raise p.BlobRejected(f"{SIGNATURE} is not base64", field=SIGNATURE) from None
        hash_name, algorithm = _HASHES[named[HASH_METHOD]]
        certificate = self._trust_store.certificate(named[CERTIFICATE])
        _check_certificate(certificate, named[CERTIFICATE], self._clock())
        key = certificate.public_key()
        _check_key_type(key, named[KEY_TYPE])
        return _SignatureCheck(hash_name, algorithm(), key, signature, named[KEY_TYPE])


def _check_certificate(certificate: x509.Certificate, uuid: str, now: dt.datetime) -> None:
    if now < certificate.not_valid_before_utc:
        raise p.BlobRejected(
            f"certificate {uuid} is not valid before {certificate.not_valid_before_utc:%Y-%m-%d}",
            field=CERTIFICATE,
        )
    if now > certificate.not_valid_after_utc:
        raise p.BlobRejected(
            f"certificate {uuid} expired on {certificate.not_valid_after_utc:%Y-%m-%d}",
            field=CERTIFICATE,
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.digital_signature:
        raise p.BlobRejected(
            f"certificate {uuid} is not for signing (its key usage lacks digitalSignature)",
            field=CERTIFICATE,
        )


def _check_key_type(key: Any, key_type: str) -> None:
    if key_type == "RSA-PSS":
        expected: str | None = None if isinstance(key, rsa.RSAPublicKey) else "an RSA key"
    elif key_type == "DSA":
        expected = None if isinstance(key, dsa.DSAPublicKey) else "a DSA key"
    else:
        curve = _CURVES[key_type]
        matches = isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curve)
        expected = None if matches else f"an EC key on {curve.name}"
    if expected is not None:
        raise p.BlobRejected(
            f"{KEY_TYPE} {key_type} needs {expected}; the certificate holds another",
            field=KEY_TYPE,
        )


class _SignatureCheck(p.StreamCheck):
    def __init__(
        self,
        hash_name: str,
        algorithm: hashes.HashAlgorithm,
        key: Any,
        signature: bytes,
        key_type: str,
    ) -> None:
        self._hash = hashlib.new(hash_name)
        self._algorithm = algorithm
        self._key = key
        self._signature = signature
        self._key_type = key_type

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def finish(self, result: p.StreamResult) -> p.Verdict:
        digest = self._hash.digest()
        prehashed = utils.Prehashed(self._algorithm)
        try:
            if self._key_type == "RSA-PSS":
                pss = padding.PSS(
                    mgf=padding.MGF1(self._algorithm), salt_length=padding.PSS.MAX_LENGTH
                )
                self._key.verify(self._signature, digest, pss, prehashed)
            elif self._key_type == "DSA":
                self._key.verify(self._signature, digest, prehashed)
            else:
                self._key.verify(self._signature, digest, ec.ECDSA(prehashed))
        except InvalidSignature:
            raise p.BlobRejected(
                "the image data does not match its signature", field=SIGNATURE
            ) from None
        except (UnsupportedAlgorithm, ValueError) as exc:
            raise p.BlobRejected(
                f"the signature cannot be verified: {exc}", field=SIGNATURE
            ) from None
        return p.ACCEPT
