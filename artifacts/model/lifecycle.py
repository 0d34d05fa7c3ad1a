"""The artifact status machine and visibility values.

``drafted → active ⇄ deactivated``, and any state → ``deleted`` (only through DELETE). Kept as data
so the engine, the schema and the tests read the same table.
"""

from __future__ import annotations

from typing import Final

DRAFTED: Final = "drafted"
ACTIVE: Final = "active"
DEACTIVATED: Final = "deactivated"
DELETED: Final = "deleted"
STATUSES: Final = (DRAFTED, ACTIVE, DEACTIVATED, DELETED)

PRIVATE: Final = "private"
PUBLIC: Final = "public"
VISIBILITIES: Final = (PRIVATE, PUBLIC)

#: Transitions a PATCH of ``/status`` may ask for; ``deleted`` is reached only by DELETE.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    DRAFTED: frozenset({ACTIVE}),
    ACTIVE: frozenset({DEACTIVATED}),
    DEACTIVATED: frozenset({ACTIVE}),
    DELETED: frozenset(),
}

#: Transitions that only an administrator may make (they hide or restore data others rely on).
ADMIN_ONLY: Final[frozenset[tuple[str, str]]] = frozenset(
    {(ACTIVE, DEACTIVATED), (DEACTIVATED, ACTIVE)}
)


def can_transition(current: str, target: str) -> bool:
    """Return whether ``current → target`` is a legal PATCH transition."""
    return target in TRANSITIONS.get(current, frozenset())


def is_immutable(status: str) -> bool:
    """Return whether only ``mutable`` fields may change in this status."""
    return status != DRAFTED
