"""List statements cached per query shape: shared across values and callers, never their values."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from artifacts.db import rows
from artifacts.db.list_shapes import StatementCache
from artifacts.db.listing import ListCompiler
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.registry import prepare_type
from artifacts.model.query import ListQuery, parse_filters, parse_sort
from tests.sample_types import Widget

FIELDS = prepare_type(Widget).fields
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _insert(session: Session, specs: list[dict[str, Any]]) -> None:
    for n, spec in enumerate(specs):
        values = {
            "id": str(uuid.uuid4()),
            "name": f"w{n}",
            "version": "1.0.0",
            "owner": "p1",
            "visibility": "private",
            "status": "drafted",
            "created_at": START + dt.timedelta(minutes=n),
            "updated_at": START,
            **spec,
        }
        session.add(ArtifactRow(**rows.row_values("widgets", values, FIELDS), revision=1))
    session.flush()


def _query(raw: str, *, limit: int = 25, marker: str | None = None) -> ListQuery:
    params = [tuple(part.split("=", 1)) for part in raw.split("&") if part]
    filters = [(k, v) for k, v in params if k != "sort"]
    sort = dict(params).get("sort")
    return ListQuery(
        filters=parse_filters(filters, FIELDS),
        sort=parse_sort(sort, FIELDS),
        limit=limit,
        marker=marker,
    )


def _names(
    compiler: ListCompiler, session: Session, query: ListQuery, project: str | None = "p1"
) -> list[str]:
    page, _ = compiler.select_page(
        session.connection(),
        type_names=["widgets"],
        query=query,
        project_id=project,
        is_admin=False,
    )
    return [row.name for row in page]


@pytest.fixture
def cached(database: Database) -> tuple[ListCompiler, StatementCache]:
    cache = StatementCache()
    return ListCompiler(database.dialect, FIELDS, statements=cache), cache


def test_lists_with_different_values_share_one_statement(
    database: Database, cached: tuple[ListCompiler, StatementCache]
) -> None:
    compiler, cache = cached
    with database.write() as session:
        _insert(session, [{"colour": c, "size": s} for c, s in [("red", 1), ("blue", 2)] * 3])
        red = _names(compiler, session, _query("colour=red&size=gte:1"))
        blue = _names(compiler, session, _query("colour=blue&size=gte:2"))
        nothing = _names(compiler, session, _query("colour=red&size=gte:2"))

    assert len(cache) == 1
    assert red == ["w4", "w2", "w0"]
    assert blue == ["w5", "w3", "w1"]
    assert nothing == []


def test_the_caller_is_a_parameter_of_the_shared_statement(
    database: Database, cached: tuple[ListCompiler, StatementCache]
) -> None:
    compiler, cache = cached
    with database.write() as session:
        _insert(
            session, [{"owner": "p1"}, {"owner": "p2"}, {"owner": "p3", "visibility": "public"}]
        )
        seen = {p: _names(compiler, session, _query(""), project=p) for p in ("p1", "p2")}
        p1_again = _names(compiler, session, _query(""), project="p1")
        anonymous = _names(compiler, session, _query(""), project=None)

    assert seen == {"p1": ["w2", "w0"], "p2": ["w2", "w1"]}
    assert p1_again == ["w2", "w0"]
    assert anonymous == ["w2"]
    assert len(cache) == 2  # a project's shape, and the anonymous one (public rows only)


def test_no_value_of_an_earlier_request_stays_in_the_cached_statement(
    database: Database, cached: tuple[ListCompiler, StatementCache]
) -> None:
    compiler, cache = cached
    earlier = "colour=in:red,green&labels.shelf=top&sizes=7&name=like:w%&size=or:lt:3"
    with database.write() as session:
        _insert(session, [{"colour": "red", "labels": {"shelf": "top"}, "sizes": [7]}])
        _names(compiler, session, _query(earlier))
        statement = next(iter(cache._statements.values()))
        later = compiler._values(
            _scope(),
            _query("colour=in:blue,black&labels.shelf=low&sizes=8&name=like:x%&size=or:lt:9"),
        )

    # Every parameter whose value came from the earlier request is given anew by the later one.
    sent = {"red", "green", "top", "shelf", "w%", 3, 7, "p1", "widgets"}
    carrying = [
        param for param in statement._generate_cache_key().bindparams if _holds(param.value, sent)
    ]
    # The five filters' values (on SQLite the dict's key apart from its value).
    assert len(carrying) == (5 if database.dialect == "postgresql" else 6)
    for param in carrying:
        assert param.key in later, f"{param.key}={param.value!r} would leak into other lists"
    # The caller and the type are never carried at all: every execution supplies them.
    by_name = {p.key: p for p in statement._generate_cache_key().bindparams}
    assert by_name["caller_project"].value is None
    assert by_name["type_name"].value is None


def test_marker_pages_share_statements_and_continue_where_the_last_ended(
    database: Database, cached: tuple[ListCompiler, StatementCache]
) -> None:
    compiler, cache = cached
    with database.write() as session:
        _insert(session, [{"size": n % 3} for n in range(7)] + [{"size": None}])
        walked: list[Any] = []
        marker = None
        while True:
            query = _query("sort=size:desc", limit=3, marker=marker)
            page, more = compiler.select_page(
                session.connection(),
                type_names=["widgets"],
                query=query,
                project_id="p1",
                is_admin=False,
            )
            walked += page
            if not more:
                break
            marker = page[-1].id

    assert len({row.id for row in walked}) == len(walked) == 8
    sizes = [row.properties["size"] for row in walked]
    # Descending, the missing size (the smallest value) last.
    assert sizes == [2, 2, 1, 1, 0, 0, 0, None]
    # The first page; the pages after a marker (one shape); the marker's lookup.
    assert len(cache) == 3


def test_a_version_range_is_built_per_request(
    database: Database, cached: tuple[ListCompiler, StatementCache]
) -> None:
    compiler, cache = cached
    with database.write() as session:
        _insert(session, [{"version": v} for v in ("1.0.0", "1.5.0", "2.0.0")])
        assert _names(compiler, session, _query("version=^1.0.0&sort=version:asc")) == ["w0", "w1"]
        assert _names(compiler, session, _query("version=~2.0&sort=version:asc")) == ["w2"]
    assert len(cache) == 0


def test_the_cache_keeps_the_most_recently_used_shapes() -> None:
    cache = StatementCache(size=2)
    built: list[str] = []

    def builder(name: str) -> Any:
        return lambda: built.append(name) or name

    for shape in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(shape, builder(shape)) == shape
    assert built == ["a", "b", "c", "b"]
    assert len(cache) == 2


def _scope() -> Any:
    from artifacts.db.listing import _Scope

    return _Scope(("widgets",), "p2", False, ("accepted",))


def _holds(value: Any, sent: set[Any]) -> bool:
    if isinstance(value, dict):
        return any(_holds(k, sent) or _holds(v, sent) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(v, sent) for v in value)
    try:
        return value in sent
    except TypeError:
        return False
