"""RFC 9530 digest fields on blob downloads, shared by the Glare and Glance doors.

A client asks for a verified download with ``Want-Repr-Digest: sha-256=1`` (any non-zero
preference): the answer carries ``Repr-Digest: sha-256=:<base64>:`` (the digest recorded at
upload) and the engine checks the bytes against it as they stream (see
:mod:`artifacts.engine.verification`). Other algorithms in the field are ignored, as RFC 9530
allows; a malformed field is ignored too, rather than failing a download over a hint.
"""

from __future__ import annotations

import base64
import re

import falcon

from artifacts.engine.verification import VERIFIABLE

_MEMBER = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*(\d+)\s*$")


def wants_verified(req: falcon.Request) -> bool:
    """Whether the request asks for a digest this service verifies downloads against."""
    field = req.get_header("Want-Repr-Digest")
    if not field:
        return False
    for member in field.split(","):
        match = _MEMBER.match(member.lower())
        if match and match.group(1) in VERIFIABLE and int(match.group(2)) > 0:
            return True
    return False


def set_repr_digest(resp: falcon.Response, sha256_hex: str | None) -> None:
    """Send the blob's recorded SHA-256 as RFC 9530's ``Repr-Digest``."""
    if sha256_hex:
        encoded = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
        resp.set_header("Repr-Digest", f"sha-256=:{encoded}:")
