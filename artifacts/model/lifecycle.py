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

#: Who sees an artifact (the rule itself lives in ``artifacts.db.visibility.visible_to``):
#: private: its owner's project; shared: also member projects that accepted (and, by id, those
#: still pending); community: any project asking by id or filtering for community artifacts;
#: public: everyone, anonymous readers included.
PRIVATE: Final = "private"
SHARED: Final = "shared"
COMMUNITY: Final = "community"
PUBLIC: Final = "public"
VISIBILITIES: Final = (PRIVATE, SHARED, COMMUNITY, PUBLIC)
#: Visibilities under which memberships grant access.
MEMBER_VISIBILITIES: Final = frozenset({SHARED, COMMUNITY})

#: A membership's answer, set by the member project: new ones wait for it.
PENDING: Final = "pending"
ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
MEMBER_STATUSES: Final = (PENDING, ACCEPTED, REJECTED)

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


def can_transition(current: str, target: object) -> bool:
    """Return whether ``current → target`` is a legal PATCH transition.

    ``target`` comes from a patch, so it may be any JSON value (a list is not hashable).
    """
    return isinstance(target, str) and target in TRANSITIONS.get(current, frozenset())


def is_immutable(status: str) -> bool:
    """Return whether only ``mutable`` fields may change in this status."""
    return status != DRAFTED
