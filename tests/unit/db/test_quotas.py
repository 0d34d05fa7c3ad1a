"""Quota counters on both databases: concurrent charges never overshoot, a recount repairs."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update

from artifacts.db import quotas as q
from artifacts.db.models import ArtifactRow, BlobRow, QuotaUsageRow
from artifacts.db.session import Database
from artifacts.engine.services import Services

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _limit(database: Database, **limits: int) -> None:
    with database.write() as session:
        q.set_limits(session, "p1", {q.TOTAL: q.Limits(**limits)}, NOW)


def _charge(database: Database, **amounts: int) -> bool:
    try:
        with database.write() as session:
            limits = q.effective(session, "p1", "widgets")
            q.charge(session, "p1", "widgets", limits=limits, **amounts)
    except q.QuotaRefusal:
        return False
    return True


def test_concurrent_reservations_stop_exactly_at_the_limit(database: Database) -> None:
    _limit(database, max_bytes=10 * 7)
    outcomes: list[bool] = []
    barrier = threading.Barrier(16)

    def reserve() -> None:
        barrier.wait()
        outcomes.append(_charge(database, reserved=7))

    threads = [threading.Thread(target=reserve) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(True) == 10
    with database.read() as session:
        assert q.usage_of(session, "p1")[q.TOTAL] == q.Usage(0, 0, 70)
        assert q.usage_of(session, "p1")["widgets"] == q.Usage(0, 0, 70)


def test_a_refusal_at_the_type_scope_undoes_the_project_scope(database: Database) -> None:
    with database.write() as session:
        q.set_limits(session, "p1", {"widgets": q.Limits(max_artifacts=1)}, NOW)
    assert _charge(database, artifacts=1)

    assert not _charge(database, artifacts=1)

    with database.read() as session:
        assert q.usage_of(session, "p1")[q.TOTAL].artifacts == 1


def test_the_project_limit_wins_over_the_default_limit_by_limit(database: Database) -> None:
    with database.write() as session:
        q.set_limits(session, q.DEFAULT_PROJECT, {q.TOTAL: q.Limits(1, 100, 50)}, NOW)
        q.set_limits(session, "p1", {q.TOTAL: q.Limits(max_bytes=7)}, NOW)

        found = q.effective(session, "p1", "widgets")

    assert found.total == q.Limits(max_artifacts=1, max_bytes=7, max_blob_size=50)
    assert found.max_blob_size == (q.TOTAL, 50)


@pytest.mark.parametrize("drift", [5, -3])
def test_a_recount_finds_and_repairs_drift(
    database: Database, services: Services, drift: int
) -> None:
    with database.write() as session:
        session.add(
            ArtifactRow(
                id="a1", type_name="widgets", name="w", version="1.0.0", version_key="k",
                owner="p1", visibility="private", status="drafted", tags=[], metadata_={},
                properties={}, created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        session.flush()
        session.add(
            BlobRow(
                artifact_id="a1", field="manual", key="", status="active", size=9,
                store="default", location="x", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        q.charge(session, "p1", "widgets", artifacts=1, bytes_=9)
    with database.write() as session:
        session.execute(
            update(QuotaUsageRow)
            .where(QuotaUsageRow.type_name == "widgets")
            .values(bytes=QuotaUsageRow.bytes + drift)
        )

    with database.read() as session:
        stored = q.stored_usage(session)
        recorded = q.recorded_usage(session)
    assert stored[("p1", "widgets")] == q.Usage(1, 9, 0)
    assert recorded[("p1", "widgets")] == q.Usage(1, 9 + drift, 0)
    assert recorded[("p1", q.TOTAL)] == stored[("p1", q.TOTAL)]

    found = services.quotas.check()
    assert [(d.project_id, d.type_name, d.stored) for d in found] == [
        ("p1", "widgets", q.Usage(1, 9, 0))
    ]
    assert len(services.quotas.check(repair=True)) == 1
    assert services.quotas.check() == []
