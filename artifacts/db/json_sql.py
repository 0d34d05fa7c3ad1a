"""Tests inside a JSON document column, on PostgreSQL (JSONB operators) and SQLite (json_each).

Every value and key stays a bound parameter: nothing a client sends is spliced into a JSON path.
The tests take the parameter (or the value itself); the ``*_value`` functions give the form the
parameter must carry, which differs between the databases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    String,
    and_,
    bindparam,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

#: Printable ASCII but the quote, the backslash and the slash (:func:`_plain_json_text`).
_PLAIN = re.compile(r"[ !#-.0-\[\]-~]*")


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


def contains_values(dialect: str, value: Any) -> list[Any]:
    """The parameters of :func:`contains` for ``value``, in the order it takes them.

    PostgreSQL: a one-element array. SQLite: the element's JSON text where it is certain
    (:func:`_plain_json_text`; None elsewhere), then the element.
    """
    if dialect == "postgresql":
        return [[value]]
    return [_plain_json_text(value), value]


def contains(dialect: str, document: Any, params: Iterator[Any]) -> ColumnElement[bool]:
    """The JSON array holds the element the next parameters bind (:func:`contains_values`).

    PostgreSQL: ``@>``, GIN-served. SQLite has no index of array elements, so a list tests
    ``json_each`` on every row it walks, ~1 µs each; before it, ``instr`` looks for the
    element's JSON text in the document's, a tenth of that, and rejects the rows that lack it
    (the element cannot be in an array whose text does not hold its text). A NULL text (an
    element whose spelling is not certain) passes every row on to ``json_each``.
    """
    if dialect == "postgresql":
        contains: ColumnElement[bool] = type_coerce(document, JSONB).contains(next(params))
        return contains
    text, value = next(params), next(params)
    elements = func.json_each(document).table_valued("value")
    holds = select(literal(1)).select_from(elements).where(elements.c.value == value).exists()
    return and_(func.coalesce(func.instr(document, text), 1) > 0, holds)


def has_key(dialect: str, document: Any, key: Any) -> ColumnElement[bool]:
    """The JSON object has the key ``key`` binds."""
    if dialect == "postgresql":
        if isinstance(key, BindParameter):  # a text key (``?`` has no JSONB operand)
            key = bindparam(key.key, key.value, type_=String(), unique=key.unique)
        return type_coerce(document, JSONB).has_key(key)
    entries = func.json_each(document).table_valued("key", "value")
    return select(literal(1)).select_from(entries).where(entries.c.key == key).exists()


def _plain_json_text(value: Any) -> str | None:
    """The JSON text of a string every JSON writer spells alike, or None.

    JSON may escape any character (``\\u0075`` is ``u``), but writers escape only what they
    must or choose to: the quote, the backslash, control characters, often the slash (``\\/``)
    and non-ASCII. The rest of printable ASCII is written as itself between quotes, by
    ``json.dumps`` (which wrote the stored documents) as by SQLite's JSON functions; any other
    string is left to ``json_each`` alone.
    """
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return f'"{value}"'
    return None
