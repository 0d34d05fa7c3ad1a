"""A bounded total_count: exact up to the bound, the bound itself beyond it."""

from __future__ import annotations

import falcon.testing

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
