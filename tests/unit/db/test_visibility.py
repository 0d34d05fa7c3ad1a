"""The visibility rule's two forms (SQL for queries, Python for a loaded row) agree everywhere."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from artifacts.db import visibility as rule
from artifacts.db.models import ArtifactRow, MemberRow
from artifacts.db.session import Database
from artifacts.model import lifecycle

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CALLERS = [("p-owner", False), ("p-member", False), ("p-other", False), (None, False), (None, True)]


def _artifact(visibility: str, status: str | None) -> tuple[ArtifactRow, MemberRow | None]:
    artifact_id = f"{visibility}-{status}"
    row = ArtifactRow(
        id=artifact_id,
        type_name="widgets",
        name=artifact_id,
        version="1.0.0",
        version_key="1",
        owner="p-owner",
        visibility=visibility,
        status="active",
        tags=[],
        metadata_={},
        properties={},
        created_at=NOW,
        updated_at=NOW,
        revision=1,
    )
    member = None
    if status is not None:
        member = MemberRow(
            artifact_id=artifact_id,
            project_id="p-member",
            status=status,
            created_at=NOW,
            updated_at=NOW,
        )
    return row, member


def test_sql_and_python_forms_agree_for_every_visibility_caller_and_membership(
    database: Database,
) -> None:
    statuses = [None, *lifecycle.MEMBER_STATUSES]
    with database.write() as session:
        for visibility, status in itertools.product(lifecycle.VISIBILITIES, statuses):
            row, member = _artifact(visibility, status)
            session.add(row)
            session.flush()
            if member is not None:
                session.add(member)
        session.flush()
        rows = list(session.scalars(select(ArtifactRow)))
        for project_id, is_admin in CALLERS:
            by_sql = set(
                session.scalars(
                    select(ArtifactRow.id).where(rule.visible_to(project_id, is_admin, by_id=True))
                )
            )
            by_python = {
                row.id for row in rows if rule.is_visible(session, row, project_id, is_admin)
            }
            assert by_sql == by_python, (project_id, is_admin)


@pytest.mark.parametrize(
    ("community", "expected"),
    [
        (False, {"shared-accepted", "community-accepted", "public-None", "public-pending"}),
        (
            True,
            {
                "shared-accepted",
                "community-accepted",
                "public-None",
                "public-pending",
                "community-None",
                "community-pending",
                "community-rejected",
            },
        ),
    ],
)
def test_lists_hold_accepted_shares_and_community_only_when_asked(
    database: Database, community: bool, expected: set[str]
) -> None:
    with database.write() as session:
        for visibility, status in [
            ("private", "accepted"),
            ("shared", "accepted"),
            ("shared", "pending"),
            ("community", "accepted"),
            ("community", None),
            ("community", "pending"),
            ("community", "rejected"),
            ("public", None),
            ("public", "pending"),
        ]:
            row, member = _artifact(visibility, status)
            session.add(row)
            session.flush()
            if member is not None:
                session.add(member)
        session.flush()
        listed = set(
            session.scalars(
                select(ArtifactRow.id).where(
                    rule.visible_to("p-member", False, community=community)
                )
            )
        )
    assert listed == expected
