"""Timing list requests over HTTP, as ``bench/queries.py`` does: one keep-alive connection,
one request at a time, every response checked outside the timed call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: The caller of every timed request: project ``p1`` (its own rows plus public ones).
CALLER = {"X-Project-Id": "p1", "X-User-Id": "bench"}


@dataclass
class Result:
    name: str
    query: str
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    items: int


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def timed(session: Any, path: str, query: str) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    response = session.get(f"{path}?{query}", headers=CALLER, timeout=60)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}?{query} -> {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


def measure(
    name: str,
    session: Any,
    base: str,
    queries: list[str],
    runs: int,
    warmup: int,
    check: Callable[[dict[str, Any]], None],
) -> Result:
    """Time ``runs`` requests cycling through ``queries`` (after ``warmup`` untimed ones)."""
    path = f"{base}/artifacts/images"
    for i in range(warmup):
        timed(session, path, queries[i % len(queries)])
    samples: list[float] = []
    items = 0
    for i in range(runs):
        elapsed, body = timed(session, path, queries[i % len(queries)])
        check(body)
        samples.append(elapsed)
        items = len(body["artifacts"])
    return Result(
        name,
        queries[0],
        runs,
        round(statistics.median(samples), 2),
        round(percentile(samples, 0.99), 2),
        round(max(samples), 2),
        items,
    )


def measure_paging(session: Any, base: str, walks: int, depth: int) -> tuple[Result, float]:
    """Walk ``depth`` pages of 25 by ``next`` links, ``walks`` times; time every page."""
    path = f"{base}/artifacts/images"
    samples: list[float] = []
    walk_ms: list[float] = []
    for w in range(walks + 1):
        url = f"{path}?limit=25"
        seen: set[str] = set()
        total = 0.0
        for _ in range(depth):
            parts = urlsplit(url)
            elapsed, body = timed(session, f"{base}{parts.path}", parts.query)
            ids = [item["id"] for item in body["artifacts"]]
            assert not seen & set(ids), "pages overlap"
            seen |= set(ids)
            total += elapsed
            if w:  # the first walk warms up
                samples.append(elapsed)
            if "next" not in body:  # a small table: fewer than ``depth`` pages
                assert len(ids) <= 25, "a page ran long"
                break
            assert len(ids) == 25, "a page ran short"
            url = base + body["next"]
        if w:
            walk_ms.append(total)
    result = Result(
        f"paging {depth} pages deep",
        "limit=25&marker=…",
        len(samples),
        round(statistics.median(samples), 2),
        round(percentile(samples, 0.99), 2),
        round(max(samples), 2),
        25,
    )
    return result, round(statistics.median(walk_ms), 1)


def ordered_by(key: Callable[[dict[str, Any]], Any], reverse: bool) -> Callable[[dict], None]:
    def check(body: dict[str, Any]) -> None:
        values = [key(item) for item in body["artifacts"]]
        assert values == sorted(values, reverse=reverse), "wrong order"

    return check
