"""The plans of the SQL the service issues for the list benchmark's queries."""

from __future__ import annotations

from typing import Any


def explain(url: str, queries: dict[str, str], marker_depth: int) -> dict[str, str]:
    """EXPLAIN the SQL the service's compiler issues for each query.

    PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite: ``EXPLAIN QUERY PLAN``.
    """
    from urllib.parse import parse_qsl

    from sqlalchemy import event

    from artifacts.db.session import Database, build_engine
    from artifacts.engine.artifacts import ArtifactService
    from artifacts.engine.context import RequestContext
    from artifacts.engine.policy import Policy
    from artifacts.engine.registry import TypeRegistry, discover_types

    engine = build_engine(url)
    service = ArtifactService(Database(engine), TypeRegistry(list(discover_types())), Policy())
    ctx = RequestContext(project_id="p1", user_id="bench", request_id="bench")
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if (
            statement.lstrip().upper().startswith("SELECT ARTIFACTS.ID")
            or "FROM artifacts" in statement
        ):
            captured.append((statement, parameters))

    plans: dict[str, str] = {}
    for title, query in queries.items():
        params = parse_qsl(query, keep_blank_values=True)
        if "marker" in title:
            # Walk to the page asked for, or to the last one a small data set has.
            page = service.list(ctx, "images", params)
            for _ in range(marker_depth - 2):
                if page.next_marker is None:
                    break
                page = service.list(ctx, "images", [*params, ("marker", page.next_marker)])
            if page.next_marker is not None:
                params = [*params, ("marker", page.next_marker)]
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            # Counted, as every list through the Glare door is.
            service.list(ctx, "images", params, count=True)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        # Every statement of the list: its page (one per group of a grouped page) and count.
        explained = []
        for statement, parameters in captured:
            with engine.connect() as conn:
                if engine.dialect.name == "sqlite":
                    sql = "EXPLAIN QUERY PLAN " + statement
                    rows = conn.exec_driver_sql(sql, parameters).all()
                    explained.append("\n".join(str(row[-1]) for row in rows))
                else:
                    sql = "EXPLAIN (ANALYZE, BUFFERS) " + statement
                    rows = conn.exec_driver_sql(sql, parameters).all()
                    explained.append("\n".join(row[0] for row in rows))
        plans[title] = "\n\n".join(
            f"[statement {i} of {len(explained)}]\n{plan}" for i, plan in enumerate(explained, 1)
        )
    engine.dispose()
    return plans
