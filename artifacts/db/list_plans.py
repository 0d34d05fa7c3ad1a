"""Whether PostgreSQL plans a list's statements for their values or reuses a generic plan.

psycopg prepares a statement it has sent five times, and PostgreSQL may then keep one generic
plan for every value. Which plan is right for a filter on a type field, a tag, metadata or a
common column depends on how many rows have the value: on a million artifacts,
``disk_format=qcow2&tags=ubuntu`` newest first is a walk of the ``disk_format`` index that
stops after ~2,400 rows (3 ms), but its generic plan reads every tagged ``qcow2`` image and
sorts them (20 ms). A list filtered by name (and version) is served by the name index whatever
the values, and keeps the cheaper generic plan, as a list with no filter does.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from artifacts.model.query import ListQuery

#: Filters whose best plan is the same for every value, when a name filter is among them.
_NAME_FIELDS = frozenset({"name", "version"})


def plan_for_values(connection: Connection, dialect: str, query: ListQuery) -> None:
    """Plan the transaction's statements for their values, where the values decide the plan.

    ``plan_cache_mode`` is set for this transaction only; it costs each of its statements its
    planning (0.4-0.7 ms on a million rows).
    """
    if dialect != "postgresql":
        return
    fields = {flt.field for flt in query.filters}
    if not fields or ("name" in fields and fields <= _NAME_FIELDS):
        return
    connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
