"""Keyset pagination: the condition on rows that come after a marker row in a list's order.

The order is total (the id breaks ties) and NULL sorts as the smallest value in both
directions, as the list's ORDER BY says (see ``listing.ListCompiler.order_by``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_, true, tuple_


def after(
    exprs: Sequence[SQLColumnExpression[Any]],
    found: Sequence[Any],
    descending: Sequence[bool],
    not_null: Sequence[bool],
    missing: Sequence[bool],
) -> ColumnElement[bool]:
    """Rows after the one whose sort values (``exprs``) are ``found``.

    ``found`` holds the marker row's values or bind parameters for them; ``missing`` says
    which of them are NULL (the condition's structure depends on it, not on the values).
    ``descending`` and ``not_null`` say, per sort key, its direction and whether its expression
    can never be NULL.
    """
    if all(not_null) and len(set(descending)) == 1:
        # One direction, no NULLs: a row-value comparison, which PostgreSQL turns into an
        # index range on (…, id) rather than a filter.
        row, at_marker = tuple_(*exprs), tuple_(*found)
        return row < at_marker if descending[0] else row > at_marker
    alternatives = []
    for i, desc in enumerate(descending):
        equal_before = [_equals(exprs[j], found[j], missing[j]) for j in range(i)]
        alternatives.append(and_(*equal_before, _beyond(exprs[i], found[i], desc, missing[i])))
    # The same condition once more, loosened to the first key alone, which an index on that
    # key can serve as a range bound (the OR above it cannot).
    at_or_beyond = _at_or_beyond(
        exprs[0], found[0], descending[0], nullable=not not_null[0], missing=missing[0]
    )
    return and_(at_or_beyond, or_(*alternatives))


def _equals(expr: SQLColumnExpression[Any], value: Any, missing: bool) -> ColumnElement[bool]:
    return expr.is_(None) if missing else expr == value


def _beyond(
    expr: SQLColumnExpression[Any], value: Any, descending: bool, missing: bool
) -> ColumnElement[bool]:
    """Rows strictly after ``value`` in the order, with NULL as the smallest value."""
    if descending:
        return false() if missing else or_(expr < value, expr.is_(None))
    return expr.is_not(None) if missing else expr > value


def _at_or_beyond(
    expr: SQLColumnExpression[Any], value: Any, descending: bool, *, nullable: bool, missing: bool
) -> ColumnElement[bool]:
    """Rows at or after ``value`` in the order, with NULL as the smallest value."""
    if missing:
        return expr.is_(None) if descending else true()
    if descending:
        return or_(expr <= value, expr.is_(None)) if nullable else expr <= value
    return expr >= value
