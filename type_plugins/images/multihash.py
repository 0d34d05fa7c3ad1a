"""Glance's multihash: ``os_hash_algo`` and ``os_hash_value``, computed as the image uploads.

md5, sha1 and sha256 are the blob's own digests (the Glare API shows them); Glance clients
expect one more, stronger digest on the image itself, under the algorithm the deployment
chose. It is computed over the same single pass as everything else, on the checks' lane, so it
costs no second read. ``[validators.os_hash] algorithm`` picks it (default sha512) from
hashlib's fixed-length algorithms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p

DEFAULT_ALGORITHM = "sha512"
#: Fixed-length digests hashlib offers on every platform (the shake family has no fixed length).
ALGORITHMS = frozenset(
    name for name in hashlib.algorithms_guaranteed if not name.startswith("shake")
)


class MultihashValidator(p.StreamValidator):
    name = "os_hash"

    def __init__(self, algorithm: str = DEFAULT_ALGORITHM) -> None:
        self.algorithm = algorithm

    def configure(self, options: Mapping[str, Any]) -> MultihashValidator:
        unknown = set(options) - {"algorithm"}
        if unknown:
            raise ValueError(f"unknown options {', '.join(sorted(unknown))}")
        algorithm = options.get("algorithm", DEFAULT_ALGORITHM)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(sorted(ALGORITHMS))}")
        return MultihashValidator(algorithm)

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _HashCheck(self.algorithm)


class _HashCheck(p.StreamCheck):
    def __init__(self, algorithm: str) -> None:
        self._algorithm = algorithm
        self._hash = hashlib.new(algorithm)

    def feed(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def finish(self, result: p.StreamResult) -> p.Verdict:
        return p.Verdict(
            fields={"os_hash_algo": self._algorithm, "os_hash_value": self._hash.hexdigest()}
        )
