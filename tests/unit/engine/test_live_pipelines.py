"""Digest state kept between appends: it goes on exactly, and only from the offset it reached."""

from __future__ import annotations

import hashlib

from artifacts.engine.blobs.live import LivePipelines, Pipeline, fresh
from artifacts.engine.digests import Digester


def _fed(pipeline: Pipeline, data: bytes) -> Pipeline:
    digester = pipeline.digester()
    digester.update(data)
    return Pipeline(pipeline.offset + len(data), digester.pause(), pipeline.checks)


def test_digests_go_on_across_pauses_as_over_one_stream() -> None:
    data = bytes(range(256)) * 5000
    pipeline = fresh(None)
    for start in range(0, len(data), 300_001):
        pipeline = _fed(pipeline, data[start : start + 300_001])
    whole = Digester()
    whole.update(data)
    assert pipeline.result() == whole.digests()
    assert pipeline.result().sha256 == hashlib.sha256(data).hexdigest()
    assert pipeline.offset == len(data)


def test_a_pipeline_is_taken_once_and_only_at_its_offset() -> None:
    pipelines = LivePipelines()
    pipelines.keep("u", _fed(fresh(None), b"abc"))
    assert pipelines.take("u", 2) is None  # another offset: dropped, not kept for later
    assert pipelines.take("u", 3) is None
    pipelines.keep("u", _fed(fresh(None), b"abc"))
    taken = pipelines.take("u", 3)
    assert taken is not None
    assert taken.offset == 3
    assert pipelines.take("u", 3) is None


def test_the_least_recently_kept_pipelines_go_first() -> None:
    pipelines = LivePipelines(capacity=2)
    for name in ("a", "b", "c"):
        pipelines.keep(name, fresh(None))
    assert pipelines.take("a", 0) is None
    assert pipelines.take("b", 0) is not None
    assert pipelines.take("c", 0) is not None
