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
``DSA`` and the binary ECC curves while the installed ``cryptography`` still has them (release
50 removed the curves, release 51 deprecated DSA).

Certificates come from the operator's trust store, a directory of PEM (or DER) files named
``<uuid>.pem`` (``[validators.image_signature] trust_store``): trust is the operator's decision,
and a certificate a user could upload next to the image would prove nothing about who signed
it. Files are read per upload, so certificates are added and retired without a restart.

What needs ``cryptography`` is in :mod:`.signature_checks`, imported by the first signed upload:
importing it adds ~8 MB to every worker, most of which never verifies a signature.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import importlib.metadata
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artifacts import plugin as p

if TYPE_CHECKING:
    from cryptography import x509

SIGNATURE = "img_signature"
HASH_METHOD = "img_signature_hash_method"
KEY_TYPE = "img_signature_key_type"
CERTIFICATE = "img_signature_certificate_uuid"
FIELDS = (SIGNATURE, HASH_METHOD, KEY_TYPE, CERTIFICATE)

#: Glance's hash methods → the hashlib (and cryptography) hash of the same name.
HASHES: Mapping[str, str] = {
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
HASH_METHODS = tuple(HASHES)


def _binary_curves() -> tuple[str, ...]:
    """Glance's binary (SECT) curves, while the installed ``cryptography`` has them.

    Its release 50 removed them; its version is read from its metadata, so that naming the key
    types does not import it.
    """
    major = int(importlib.metadata.version("cryptography").split(".")[0])
    if major >= 50:
        return ()
    return ("SECT571K1", "SECT409K1", "SECT571R1", "SECT409R1")


#: Glance's ECC key types, each ``ECC_<curve>`` after the curve the certificate's key must be
#: on, and the curve's name in ``cryptography``.
CURVES: Mapping[str, str] = {
    f"ECC_{name}": name for name in (*_binary_curves(), "SECP521R1", "SECP384R1")
}
KEY_TYPES = ("RSA-PSS", "DSA", *CURVES)

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
        from type_plugins.images import signature_checks

        return signature_checks.load_certificate(data, uuid)


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
        certificate = self._trust_store.certificate(named[CERTIFICATE])
        from type_plugins.images import signature_checks

        signature_checks.check_certificate(certificate, named[CERTIFICATE], self._clock())
        key = signature_checks.public_key(certificate, named[CERTIFICATE])
        signature_checks.check_key_type(key, named[KEY_TYPE])
        return signature_checks.SignatureCheck(
            HASHES[named[HASH_METHOD]], key, signature, named[KEY_TYPE]
        )
