"""Tests inside a JSON document column, on PostgreSQL (JSONB operators) and SQLite (json_each).

Every value and key stays a bound parameter: nothing a client sends is spliced into a JSON path.
The tests take the parameter (or the value itself); the ``*_value`` functions give the form the
parameter must carry, which differs between the databases.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    String,
    bindparam,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB


def other_value(dialect: str, value: Any) -> Any:
    """The parameter of :func:`has_other` for ``value``: PostgreSQL compares elements as text."""
    if dialect == "postgresql" and not isinstance(value, str):
        return json.dumps(value)
    return value


def has_other(dialect: str, document: Any, value: Any) -> ColumnElement[bool]:
    """The JSON array holds an element other than the one ``value`` binds (:func:`other_value`)."""
    if dialect == "postgresql":
        text = func.jsonb_array_elements_text(type_coerce(document, JSONB))
        elements = text.table_valued("value")
    else:
        elements = func.json_each(document).table_valued("value")
    element = elements.c.value != value
    return select(literal(1)).select_from(elements).where(element).exists()


def contains_value(dialect: str, value: Any) -> Any:
    """The parameter of :func:`contains` for ``value``: on PostgreSQL, a one-element array."""
    return [value] if dialect == "postgresql" else value


def contains(dialect: str, document: Any, value: Any) -> ColumnElement[bool]:
    """The JSON array holds the element ``value`` binds (PostgreSQL: ``@>``, GIN-served)."""
    if dialect == "postgresql":
        contains: ColumnElement[bool] = type_coerce(document, JSONB).contains(value)
        return contains
    elements = func.json_each(document).table_valued("value")
    return select(literal(1)).select_from(elements).where(elements.c.value == value).exists()


def has_key(dialect: str, document: Any, key: Any) -> ColumnElement[bool]:
    """The JSON object has the key ``key`` binds."""
    if dialect == "postgresql":
        if isinstance(key, BindParameter):  # a text key (``?`` has no JSONB operand)
            key = bindparam(key.key, key.value, type_=String(), unique=key.unique)
        return type_coerce(document, JSONB).has_key(key)
    entries = func.json_each(document).table_valued("key", "value")
    return select(literal(1)).select_from(entries).where(entries.c.key == key).exists()
