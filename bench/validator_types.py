"""The artifact type ``bench/validators.py`` installs into its server: one blob per variant.

Not part of the product: a plugin distribution made on the fly (entry point on PYTHONPATH) so
the benchmark measures the upload pipeline with and without streaming validators on one server.
"""

from __future__ import annotations

import hashlib

from artifacts import plugin as p

SIZE = 4 * 1024**3


class NoOp(p.StreamValidator):
    """Sees every chunk and does nothing: the pipeline's own cost of a validator."""

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return p.StreamCheck()


class _Sha512Check(p.StreamCheck):
    def __init__(self) -> None:
        self._hash = hashlib.sha512()

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def finish(self, result: p.StreamResult) -> p.Verdict:
        return p.Verdict(fields={"sha512": self._hash.hexdigest()})


class Sha512(p.StreamValidator):
    """Hashes every chunk (a validator that does real work on every byte, like a signature)."""

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _Sha512Check()


class BenchBlobs(p.BaseArtifact):
    TYPE = "bench_blobs"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "plain": p.Blob(max_size=SIZE),
        "noop": p.Blob(max_size=SIZE, stream_validators=[NoOp()]),
        "sha512_check": p.Blob(max_size=SIZE, stream_validators=[Sha512()]),
        "sha512": p.String(system=True, max_length=128),
    }
