"""Verifying an image signature with ``cryptography``: the half of :mod:`.signature` that needs it.

Imported by the first signed upload (or certificate read) of a worker, not when the images type
is registered: ``cryptography`` adds ~8 MB to a process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import warnings
from collections.abc import Iterator
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.utils import CryptographyDeprecationWarning

from artifacts import plugin as p
from type_plugins.images.signature import CERTIFICATE, CURVES, KEY_TYPE, SIGNATURE

#: hashlib's name of a hash → cryptography's.
_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@contextlib.contextmanager
def _dsa_allowed() -> Iterator[None]:
    """Silence ``cryptography``'s warning that DSA is deprecated, for this block.

    Glance verifies DSA signatures, so an image signed for it must verify here too. Release 51
    of ``cryptography`` deprecated DSA, warning at every use of its names and at every DSA
    certificate's key, and will remove it; then a DSA signature is refused as the binary curves
    are. The filter is narrow (that category, that message): should two threads race through
    the global filter list and leave it in place, it silences DSA's warning and nothing else.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "DSA", CryptographyDeprecationWarning)
        yield


def _dsa_public_key() -> type | None:
    """``cryptography``'s DSA public key class, or None once it has no DSA."""
    with _dsa_allowed():
        try:
            from cryptography.hazmat.primitives.asymmetric import dsa
        except ImportError:
            return None
        return getattr(dsa, "DSAPublicKey", None)


_DSA_PUBLIC_KEY = _dsa_public_key()


def load_certificate(data: bytes, uuid: str) -> x509.Certificate:
    """A trust store's certificate file, PEM or DER."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise p.BlobRejected(
            f"certificate {uuid} in the trust store cannot be read", field=CERTIFICATE
        ) from None


def check_certificate(certificate: x509.Certificate, uuid: str, now: dt.datetime) -> None:
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


def public_key(certificate: x509.Certificate, uuid: str) -> Any:
    """The certificate's public key, or a refusal for a key ``cryptography`` cannot load."""
    try:
        with _dsa_allowed():
            return certificate.public_key()
    except (UnsupportedAlgorithm, ValueError):
        raise p.BlobRejected(
            f"certificate {uuid} holds a key this service's cryptography cannot use",
            field=CERTIFICATE,
        ) from None


def check_key_type(key: Any, key_type: str) -> None:
    if key_type == "RSA-PSS":
        expected: str | None = None if isinstance(key, rsa.RSAPublicKey) else "an RSA key"
    elif key_type == "DSA":
        if _DSA_PUBLIC_KEY is None:
            raise p.BlobRejected(
                f"{KEY_TYPE} DSA: this service's cryptography no longer has DSA", field=KEY_TYPE
            )
        expected = None if isinstance(key, _DSA_PUBLIC_KEY) else "a DSA key"
    else:
        name = CURVES[key_type]
        curve = getattr(ec, name, None)
        if curve is None:
            raise p.BlobRejected(
                f"{KEY_TYPE} {key_type}: this service's cryptography has no curve {name}",
                field=KEY_TYPE,
            )
        matches = isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curve)
        expected = None if matches else f"an EC key on {curve.name}"
    if expected is not None:
        raise p.BlobRejected(
            f"{KEY_TYPE} {key_type} needs {expected}; the certificate holds another",
            field=KEY_TYPE,
        )


class SignatureCheck(p.StreamCheck):
    """Hash the data as it streams; verify the signature over the digest at its end."""

    def __init__(self, hash_name: str, key: Any, signature: bytes, key_type: str) -> None:
        self._hash = hashlib.new(hash_name)
        self._algorithm = _ALGORITHMS[hash_name]()
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
