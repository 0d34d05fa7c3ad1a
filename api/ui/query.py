"""The type page's search form, translated into the list query language of the API.

Every control becomes one query-language parameter, and the result is handed to the same
``ArtifactService.list`` the API calls, so the catalog filters, sorts and pages exactly as
``GET /artifacts/{type}`` does (and what it refuses, the engine refuses with its own message):

============================  ============================================
form                          query language
============================  ============================================
``q=cirros``                  ``name=like:%cirros%``
``version=^1.2``              ``version=^1.2`` (any version, operator or range)
``latest=1``                  ``latest=true``
``tags=a,b``                  ``tags=a,b`` (has both)
``field=disk_format&op=eq``   ``disk_format=eq:qcow2``
``&value=qcow2`` (repeated)
``sort=version:desc``         ``sort=version:desc``
``limit=50``, ``marker=…``    ``limit=50``, ``marker=…``
============================  ============================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from artifacts.model import fields as f
from artifacts.model.query import OPERATORS

#: Page sizes offered; the engine enforces the deployment's maximum.
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
DEFAULT_SORT = "created_at:desc"
#: Fields with a control of their own rather than a row in the field filters.
_OWN_CONTROLS = frozenset({"name", "version", "tags"})
#: How many empty field-filter rows a form offers (without scripts there is no "add row").
_EMPTY_ROWS = 1


@dataclass(frozen=True)
class FieldFilter:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class SearchForm:
    """What the visitor asked for, as submitted (so the form can show it again)."""

    q: str = ""
    version: str = ""
    latest: bool = False
    tags: str = ""
    filters: tuple[FieldFilter, ...] = ()
    sort: str = DEFAULT_SORT
    limit: int = DEFAULT_PAGE_SIZE
    marker: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def from_params(cls, params: Sequence[tuple[str, str]]) -> SearchForm:
        """Read the form; malformed page sizes fall back to the default, noted in ``errors``."""
        values: dict[str, str] = {}
        rows: dict[str, list[str]] = {"field": [], "op": [], "value": []}
        for key, value in params:
            if key in rows:
                rows[key].append(value.strip())
            else:
                values.setdefault(key, value.strip())
        errors = []
        limit = DEFAULT_PAGE_SIZE
        if values.get("limit"):
            try:
                limit = int(values["limit"])
            except ValueError:
                errors.append(f"The page size must be a number, not {values['limit']!r}.")
        filters = tuple(
            FieldFilter(name, op or "eq", value)
            for name, op, value in zip(rows["field"], rows["op"], rows["value"], strict=False)
            if name and value
        )
        return cls(
            q=values.get("q", ""),
            version=values.get("version", ""),
            latest=values.get("latest", "") in ("1", "true", "on"),
            tags=values.get("tags", ""),
            filters=filters,
            sort=values.get("sort") or DEFAULT_SORT,
            limit=limit,
            marker=values.get("marker", ""),
            errors=errors,
        )

    def query_params(self, *, with_marker: bool = True) -> list[tuple[str, str]]:
        """The API query parameters this form stands for (and the total, for the heading)."""
        params: list[tuple[str, str]] = []
        if self.q:
            params.append(("name", f"like:%{_like_literal(self.q)}%"))
        if self.version:
            params.append(("version", self.version))
        if self.latest:
            params.append(("latest", "true"))
        if self.tags:
            tags = ",".join(t.strip() for t in self.tags.split(",") if t.strip())
            if tags:
                params.append(("tags", tags))
        params.extend((row.field, f"{row.op}:{row.value}") for row in self.filters)
        if self.sort != DEFAULT_SORT:
            params.append(("sort", self.sort))
        params.append(("limit", str(self.limit)))
        if with_marker and self.marker:
            params.append(("marker", self.marker))
        return params

    def form_params(self, *, marker: str | None = None) -> list[tuple[str, str]]:
        """This form as catalog URL parameters (for the next-page link)."""
        params: list[tuple[str, str]] = []
        for key, value in (("q", self.q), ("version", self.version), ("tags", self.tags)):
            if value:
                params.append((key, value))
        if self.latest:
            params.append(("latest", "1"))
        for row in self.filters:
            params.extend((("field", row.field), ("op", row.op), ("value", row.value)))
        if self.sort != DEFAULT_SORT:
            params.append(("sort", self.sort))
        if self.limit != DEFAULT_PAGE_SIZE:
            params.append(("limit", str(self.limit)))
        if marker:
            params.append(("marker", marker))
        return params

    def rows(self) -> list[FieldFilter]:
        """The field-filter rows to show: the submitted ones and an empty one to add another."""
        return [*self.filters, *(FieldFilter("", "eq", "") for _ in range(_EMPTY_ROWS))]

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.version or self.latest or self.tags or self.filters)


@dataclass(frozen=True)
class Controls:
    """What the type's declarations allow the form to offer."""

    filter_fields: list[tuple[str, tuple[str, ...]]]
    operators: tuple[str, ...]
    sort_options: list[tuple[str, str]]
    has_tags: bool


def controls(fields: Mapping[str, f.Field]) -> Controls:
    """The field filters (with their operators) and sort keys a type's schema allows."""
    filterable = [
        (name, field.filter_ops)
        for name, field in fields.items()
        if field.filter_ops
        and not field.is_blob
        and not isinstance(field, f.Dict)
        and name not in _OWN_CONTROLS
    ]
    used = {op for _, ops in filterable for op in ops}
    sort_options = []
    for name, field in fields.items():
        if field.sortable:
            label = label_of(name)
            sort_options.append((f"{name}:desc", f"{label}, descending"))
            sort_options.append((f"{name}:asc", f"{label}, ascending"))
    return Controls(
        filter_fields=filterable,
        operators=tuple(op for op in OPERATORS if op in used),
        sort_options=sort_options,
        has_tags="tags" in fields,
    )


def label_of(name: str) -> str:
    """A field name as people read it: ``min_ram`` → ``Min ram``."""
    return name.replace("_", " ").capitalize()


def api_url(type_name: str, params: Sequence[tuple[str, str]]) -> str:
    """The API request that returns the same page, shown so users can script what they see."""
    query = urlencode(params)
    return f"/artifacts/{type_name}?{query}" if query else f"/artifacts/{type_name}"


def _like_literal(text: str) -> str:
    r"""Escape the query language's ``like`` wildcards so the search box is a plain substring."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
