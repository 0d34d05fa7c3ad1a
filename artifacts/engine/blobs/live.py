"""Digests and streaming checks of resumable uploads, kept alive between their requests.

A session's digests and its validators' checks see each appended byte as it arrives; between
two appends they wait in the process that ran the last one, with the offset they reached.
The next append that lands in that process at that offset goes on with them, so finishing
the upload reads nothing back. An append anywhere else (another worker, another node, a
restarted process), or at another offset (bytes cut off after a store failure), finds no
state: the pipeline is dropped and the upload's finish reads the stored bytes back through
new digests and checks, once. Either way every byte passes each pipeline exactly once.

hashlib's OpenSSL contexts cannot be serialized, so the state cannot move to the database
or another process; a bounded number of pipelines is kept, the least recently used dropped
first (their uploads fall back to the read-back).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from artifacts.engine.digests import Digester, Digests, DigestState
from artifacts.engine.validation import RunningChecks

#: Pipelines one process keeps; each is a few hundred bytes of hash state plus the checks'.
CAPACITY = 256


@dataclass(frozen=True)
class Pipeline:
    """What has seen the first ``offset`` bytes of an upload: digests, and checks if any."""

    offset: int
    digests: DigestState
    checks: RunningChecks | None

    def digester(self) -> Digester:
        """A digester going on from here, feeding the checks too."""
        watch = self.checks.feed if self.checks is not None else None
        return Digester(watch=watch, state=self.digests)

    def result(self) -> Digests:
        """The digests of all the bytes seen."""
        state = self.digests
        return Digests(state.md5.hexdigest(), state.sha1.hexdigest(), state.sha256.hexdigest())


def fresh(checks: RunningChecks | None) -> Pipeline:
    """The pipeline of an upload that has no byte yet."""
    return Pipeline(0, Digester().pause(), checks)


class LivePipelines:
    """The pipelines of this process, by upload id; at most :data:`CAPACITY` of them."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._pipelines: OrderedDict[str, Pipeline] = OrderedDict()

    def keep(self, upload_id: str, pipeline: Pipeline) -> None:
        with self._lock:
            self._pipelines[upload_id] = pipeline
            self._pipelines.move_to_end(upload_id)
            while len(self._pipelines) > self._capacity:
                self._pipelines.popitem(last=False)

    def take(self, upload_id: str, offset: int) -> Pipeline | None:
        """Remove and return the upload's pipeline if it reached exactly ``offset``."""
        with self._lock:
            pipeline = self._pipelines.pop(upload_id, None)
        if pipeline is None or pipeline.offset != offset:
            return None
        return pipeline

    def drop(self, upload_id: str) -> None:
        with self._lock:
            self._pipelines.pop(upload_id, None)
