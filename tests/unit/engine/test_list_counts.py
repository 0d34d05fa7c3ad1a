"""A bounded total_count: exact up to the bound, the bound itself beyond it."""

from __future__ import annotations

from typing import Any

import falcon.testing
from sqlalchemy import event

from artifacts.engine.context import RequestContext
from artifacts.engine.services import Services
from tests.factories import create


def test_count_up_to_stops_counting_at_the_bound(
    client: falcon.testing.TestClient, services: Services
) -> None:
    for n in range(5):
        create(client, name=f"w{n}", version="1.0.0")
    create(client, project="p2", name="hidden", version="1.0.0")
    ctx = RequestContext(project_id="p1")
    params = [("total_count", "true"), ("limit", "2")]

    exact = services.artifacts.list(ctx, "widgets", params)
    bounded = services.artifacts.list(ctx, "widgets", params, count_up_to=3)
    roomy = services.artifacts.list(ctx, "widgets", params, count_up_to=10)
    filtered = services.artifacts.list(
        ctx, "widgets", [*params, ("name", "in:w1,w2")], count_up_to=3
    )

    assert (exact.total_count, bounded.total_count, roomy.total_count) == (5, 3, 5)
    assert filtered.total_count == 2
    assert len(bounded.items) == 2
    assert bounded.next_marker is not None


def test_a_first_page_holding_every_match_is_its_own_count(
    client: falcon.testing.TestClient, services: Services
) -> None:
    for n in range(3):
        create(client, name=f"w{n}", version="1.0.0")
    ctx = RequestContext(project_id="p1")
    counts: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT"):
            counts.append(statement)

    engine = services.artifacts._db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        whole = services.artifacts.list(ctx, "widgets", [("total_count", "true")])
        bounded = services.artifacts.list(ctx, "widgets", [("total_count", "true")], count_up_to=2)
        assert counts == []
        paged = services.artifacts.list(ctx, "widgets", [("total_count", "true"), ("limit", "2")])
        assert len(counts) == 1
    finally:
        event.remove(engine, "before_cursor_execute", note)

    assert (whole.total_count, bounded.total_count, paged.total_count) == (3, 2, 3)
    assert whole.next_marker is None
