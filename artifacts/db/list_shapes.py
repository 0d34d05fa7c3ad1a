"""Compiled list statements, kept per query shape and reused with new values.

Building a list's SELECT (a tree of SQLAlchemy elements) and deriving SQLAlchemy's cache key from
it cost about as much Python as fetching and rendering the page. Lists repeat a few shapes with
different values ("images with disk_format = ?, newest first, after marker ?"), so the compiler
builds each shape once, with every value a client sends, and the caller's project, as a named
bind parameter, and executes the same statement object again with the new values: SQLAlchemy
then finds its compiled form at once, without building or traversing anything.

The shape is everything that changes the statement's structure and nothing else: the listed
types, whether the caller is an admin or anonymous, the membership statuses, per filter its
field, operator, key, combiner and the structure of its value (how many values, which are
missing, which versions carry build metadata), the sort keys, ``latest``, and for a marker
page which of the marker's sort values are NULL. Values never reach a cached statement: the
compiler gives each one a bind parameter whose name says where it comes from (``f0_1``: the
first filter's second value), and a statement built for one request is executed for another
only with that request's values for every name.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.types import NullType

from artifacts.model.query import Filter

#: Distinct shapes kept per service: a deployment's clients use a few dozen.
MAX_SHAPES = 512


class StatementCache:
    """A bounded, thread-safe map from a query shape to the statement built for it."""

    def __init__(self, size: int = MAX_SHAPES) -> None:
        self.size = size
        self._statements: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, shape: Hashable, build: Callable[[], Any]) -> Any:
        """The statement of ``shape``, built (outside the lock) the first time it is asked for."""
        with self._lock:
            found = self._statements.get(shape)
            if found is not None:
                self._statements.move_to_end(shape)
                return found
        statement = build()
        with self._lock:
            self._statements[shape] = statement
            while len(self._statements) > self.size:
                self._statements.popitem(last=False)
        return statement

    def __len__(self) -> int:
        return len(self._statements)


def value_shape(value: Any) -> Hashable:
    """What of a filter value shapes its SQL: its kind, NULL-ness, build metadata, count."""
    if isinstance(value, tuple):
        return tuple(value_shape(v) for v in value)
    return (type(value).__name__, value is None, isinstance(value, str) and "+" in value)


def filter_shape(flt: Filter) -> Hashable:
    return (
        flt.field,
        flt.op,
        flt.key is None,
        flt.key_exists,
        flt.combiner,
        flt.or_missing,
        value_shape(flt.value),
    )


def param(name: str, values: Mapping[str, Any]) -> Any:
    """The bind parameter ``name``, carrying this request's value (later ones bring theirs).

    Untyped, so that it takes the type of what it is compared with, as a plain value would.
    """
    return bindparam(name, values[name], type_=NullType())
