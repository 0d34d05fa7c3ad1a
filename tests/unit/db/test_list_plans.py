"""Which lists PostgreSQL plans for their values rather than with a generic plan."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from artifacts.db.list_plans import plan_for_values
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from artifacts.model.query import ListQuery, parse_filters
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields


def _query(raw: str) -> ListQuery:
    params = [(k, v) for k, v in (part.split("=", 1) for part in raw.split("&") if part)]
    return ListQuery(filters=parse_filters(params, FIELDS), sort=[], limit=25)


def _plan_mode(database: Database, raw: str) -> str | None:
    with database.read() as session:
        plan_for_values(session.connection(), database.dialect, _query(raw))
        if database.dialect != "postgresql":
            return None
        return str(session.execute(text("SHOW plan_cache_mode")).scalar())


@pytest.mark.parametrize(
    ("raw", "per_value"),
    [
        ("", False),
        ("name=w1", False),
        ("name=w1&version=1.0.0", False),
        ("tags=a", True),
        ("status=drafted", True),
        ("name=w1&tags=a", True),
        ("version=1.0.0", True),
    ],
)
def test_lists_whose_best_plan_depends_on_values_are_planned_for_them(
    database: Database, raw: str, per_value: bool
) -> None:
    mode = _plan_mode(database, raw)
    if database.dialect != "postgresql":
        assert mode is None  # SQLite plans every statement it prepares: nothing to change
        return
    assert mode == ("force_custom_plan" if per_value else "auto")


def test_the_setting_ends_with_the_lists_transaction(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    _plan_mode(database, "tags=a")
    with database.read() as session:
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
