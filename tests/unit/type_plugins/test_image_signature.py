"""The image signature check: Glance's schemes verify, anything else is refused with a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from artifacts import plugin as p
from tests.signing import NOW, make_signer
from type_plugins.images import signature, signature_checks
from type_plugins.images.signature import KEY_TYPES, SignatureValidator

DATA = b"\x00disk image bytes\xff" * 5000


def validator(trust_store: Path | None) -> SignatureValidator:
    options = {} if trust_store is None else {"trust_store": str(trust_store)}
    return SignatureValidator().configure(options)


def run(check_with: SignatureValidator, fields: dict[str, Any], data: bytes = DATA) -> p.Verdict:
    upload = p.Upload(
        type_name="images",
        artifact_id="a",
        field="image",
        key="",
        content_type="application/octet-stream",
        content_length=len(data),
        artifact=fields,
        caller=p.Caller(),
        max_size=1 << 30,
    )
    check = check_with.start(upload)
    assert check is not None
    for start in range(0, len(data), 4096):
        check.feed(data[start : start + 4096])
    digests = {"sha256": hashlib.sha256(data).hexdigest()}
    return check.finish(p.StreamResult(size=len(data), digests=digests))


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("hash_method", ["SHA-224", "SHA-256", "SHA-384", "SHA-512"])
def test_glance_signatures_verify(tmp_path: Path, key_type: str, hash_method: str) -> None:
    signer = make_signer(tmp_path, key_type)
    assert run(validator(tmp_path), signer.properties(DATA, hash_method)) == p.ACCEPT


def test_tampered_data_is_refused(tmp_path: Path) -> None:
    signer = make_signer(tmp_path)
    with pytest.raises(p.BlobRejected, match="does not match its signature"):
        run(validator(tmp_path), signer.properties(DATA), DATA + b"x")


def test_a_signature_by_another_key_is_refused(tmp_path: Path) -> None:
    signer, other = make_signer(tmp_path), make_signer(tmp_path)
    fields = {**signer.properties(DATA), "img_signature": other.sign(DATA)}
    with pytest.raises(p.BlobRejected, match="does not match its signature"):
        run(validator(tmp_path), fields)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ((NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1)), "expired on"),
        ((NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30)), "is not valid before"),
    ],
)
def test_a_certificate_outside_its_validity_is_refused(
    tmp_path: Path, window: tuple[dt.datetime, dt.datetime], message: str
) -> None:
    signer = make_signer(tmp_path, not_before=window[0], not_after=window[1])
    with pytest.raises(p.BlobRejected, match=message):
        validator(tmp_path).start(_upload(signer.properties(DATA)))


def test_a_certificate_not_for_signing_is_refused(tmp_path: Path) -> None:
    signer = make_signer(tmp_path, digital_signature=False)
    with pytest.raises(p.BlobRejected, match="digitalSignature"):
        validator(tmp_path).start(_upload(signer.properties(DATA)))


def test_a_key_of_another_type_is_refused(tmp_path: Path) -> None:
    signer = make_signer(tmp_path, "ECC_SECP384R1")
    fields = {**signer.properties(DATA), "img_signature_key_type": "ECC_SECP521R1"}
    with pytest.raises(p.BlobRejected, match="needs an EC key on secp521r1"):
        validator(tmp_path).start(_upload(fields))
    as_rsa = {**signer.properties(DATA), "img_signature_key_type": "RSA-PSS"}
    with pytest.raises(p.BlobRejected, match="needs an RSA key"):
        validator(tmp_path).start(_upload(as_rsa))


def test_dsa_is_refused_clearly_once_cryptography_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = make_signer(tmp_path, "DSA")
    monkeypatch.setattr(signature_checks, "_DSA_PUBLIC_KEY", None)
    with pytest.raises(p.BlobRejected, match="no longer has DSA"):
        validator(tmp_path).start(_upload(signer.properties(DATA)))


def test_a_certificate_key_cryptography_cannot_load_is_refused() -> None:
    class Unloadable:
        def public_key(self) -> None:
            raise UnsupportedAlgorithm("no such key type here")

    certificate = cast(x509.Certificate, Unloadable())
    with pytest.raises(p.BlobRejected, match="cannot use"):
        signature_checks.public_key(certificate, "0c6b3d6e-7d2c-4b35-9a5e-2c5b1f0e9a11")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"img_signature_certificate_uuid": "0c6b3d6e-7d2c-4b35-9a5e-2c5b1f0e9a11"}, "not in"),
        ({"img_signature": "not base64!"}, "not base64"),
        ({"img_signature_key_type": None}, "missing img_signature_key_type"),
    ],
)
def test_unusable_signature_fields_are_refused(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    signer = make_signer(tmp_path)
    with pytest.raises(p.BlobRejected, match=message):
        validator(tmp_path).start(_upload({**signer.properties(DATA), **change}))


def test_without_a_trust_store_a_signed_image_is_refused(tmp_path: Path) -> None:
    signer = make_signer(tmp_path)
    with pytest.raises(p.BlobRejected, match="no trust store"):
        validator(None).start(_upload(signer.properties(DATA)))


def test_an_unsigned_image_costs_no_check(tmp_path: Path) -> None:
    assert validator(tmp_path).start(_upload({"disk_format": "raw"})) is None


def test_the_trust_store_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trust_store"):
        SignatureValidator().configure({"trust_store": str(tmp_path / "missing")})
    with pytest.raises(ValueError, match="unknown options"):
        SignatureValidator().configure({"truststore": str(tmp_path)})


@pytest.mark.parametrize(("version", "offered"), [("49.0.1", True), ("50.0.2", False)])
def test_the_binary_curves_are_offered_by_cryptographys_release(
    monkeypatch: pytest.MonkeyPatch, version: str, offered: bool
) -> None:
    monkeypatch.setattr(signature.importlib.metadata, "version", lambda name: version)
    assert ("SECT571K1" in signature._binary_curves()) is offered


def test_a_curve_missing_from_cryptography_is_refused_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = make_signer(tmp_path, "ECC_SECP384R1")
    monkeypatch.setitem(signature_checks.CURVES, "ECC_SECP384R1", "SECT9999")
    with pytest.raises(p.BlobRejected, match="has no curve SECT9999"):
        validator(tmp_path).start(_upload(signer.properties(DATA)))


def _upload(fields: dict[str, Any]) -> p.Upload:
    return p.Upload(
        type_name="images",
        artifact_id="a",
        field="image",
        key="",
        content_type="application/octet-stream",
        content_length=None,
        artifact=fields,
        caller=p.Caller(),
        max_size=1 << 30,
    )
