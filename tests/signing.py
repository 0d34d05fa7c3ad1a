"""Sign image data as Glance's users do (python-cursive's scheme), with throw-away certificates.

A :class:`Signer` holds a key and its self-signed certificate, written into a trust store
directory as ``<uuid>.pem``; :meth:`Signer.properties` gives the four ``img_signature*`` values
for some data.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

HASHES = {"SHA-224": hashes.SHA224, "SHA-256": hashes.SHA256, "SHA-384": hashes.SHA384}
HASHES["SHA-512"] = hashes.SHA512
NOW = dt.datetime.now(dt.UTC)


def _key(key_type: str) -> Any:
    if key_type == "RSA-PSS":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "DSA":
        # Deprecated by cryptography 51, and still one of Glance's key types.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return dsa.generate_private_key(key_size=2048)
    curve = getattr(ec, key_type.removeprefix("ECC_"))
    return ec.generate_private_key(curve())


@dataclass
class Signer:
    key_type: str
    key: Any
    certificate_uuid: str

    def sign(self, data: bytes, hash_method: str = "SHA-256") -> str:
        algorithm = HASHES[hash_method]()
        if self.key_type == "RSA-PSS":
            pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.MAX_LENGTH)
            signature = self.key.sign(data, pss, algorithm)
        elif self.key_type == "DSA":
            signature = self.key.sign(data, algorithm)
        else:
            signature = self.key.sign(data, ec.ECDSA(algorithm))
        return base64.b64encode(signature).decode()

    def properties(self, data: bytes, hash_method: str = "SHA-256") -> dict[str, str]:
        return {
            "img_signature": self.sign(data, hash_method),
            "img_signature_hash_method": hash_method,
            "img_signature_key_type": self.key_type,
            "img_signature_certificate_uuid": self.certificate_uuid,
        }


def make_signer(
    trust_store: Path,
    key_type: str = "RSA-PSS",
    *,
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
    digital_signature: bool = True,
) -> Signer:
    """A new key with a self-signed certificate stored in ``trust_store``."""
    key = _key(key_type)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "image signer")])
    usage = x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not digital_signature,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_uuid = str(uuid.uuid4())
    trust_store.mkdir(parents=True, exist_ok=True)
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    (trust_store / f"{certificate_uuid}.pem").write_bytes(pem)
    return Signer(key_type, key, certificate_uuid)
