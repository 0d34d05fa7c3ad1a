"""Tests inside a JSON document column, on PostgreSQL (JSONB operators) and SQLite (json_each).

Every value and key stays a bound parameter: nothing a client sends is spliced into a JSON path.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB


def has_other(dialect: str, document: Any, value: Any) -> ColumnElement[bool]:
    """The JSON array holds an element other than ``value``."""
    if dialect == "postgresql":
        text = func.jsonb_array_elements_text(type_coerce(document, JSONB))
        elements = text.table_valued("value")
        element = elements.c.value != (value if isinstance(value, str) else json.dumps(value))
    else:
        elements = func.json_each(document).table_valued("value")
        element = elements.c.value != value
    return select(literal(1)).select_from(elements).where(element).exists()


def contains(dialect: str, document: Any, value: Any) -> ColumnElement[bool]:
    """The JSON array holds ``value`` (PostgreSQL: ``@>``, which a GIN index serves)."""
    if dialect == "postgresql":
        contains: ColumnElement[bool] = type_coerce(document, JSONB).contains([value])
        return contains
    elements = func.json_each(document).table_valued("value")
    return select(literal(1)).select_from(elements).where(elements.c.value == value).exists()


def has_key(dialect: str, document: Any, key: str) -> ColumnElement[bool]:
    """The JSON object has the key ``key``."""
    if dialect == "postgresql":
        return type_coerce(document, JSONB).has_key(key)
    entries = func.json_each(document).table_valued("key", "value")
    return select(literal(1)).select_from(entries).where(entries.c.key == key).exists()
