r"""Who sees which artifact: the one statement of the rule, as SQL and as Python.

Two forms, kept side by side so they cannot drift: an SQL condition for lists and id lookups, and
a Python check for a row already loaded (``artifacts.model.lifecycle`` says the rule in words). A
test compares them over every visibility, caller and membership status.

  caller \ visibility    private   shared               community                public
  admin                  yes       yes                  yes                      yes
  owner's project        yes       yes                  yes                      yes
  member: accepted       -         yes                  yes                      yes
  member: pending        -         by id                by id, community filter  yes
  other project          -         -                    by id, community filter  yes
  anonymous              -         -                    -                        yes
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    String,
    and_,
    bindparam,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from artifacts.model.lifecycle import (
    ACCEPTED,
    COMMUNITY,
    MEMBER_VISIBILITIES,
    PENDING,
    PUBLIC,
    SHARED,
)
from artifacts.model.query import Filter

from .models import ArtifactRow, MemberRow
from .reads import ArtifactRecord


def visible_to(
    project_id: str | None,
    is_admin: bool,
    *,
    by_id: bool = False,
    community: bool = False,
    member_statuses: Sequence[str] = (ACCEPTED,),
) -> ColumnElement[bool]:
    """Condition on rows the caller may see.

    ``by_id`` is the rule for one artifact asked for by its id; otherwise the rule for lists,
    where ``community`` says the caller filtered for community artifacts explicitly (a default
    list holds only what the caller owns, accepted or may see publicly) and
    ``member_statuses`` which memberships bring shares into the list (accepted or pending: a
    rejected share is not visible at all).
    """
    return _visibility_condition(project_id, is_admin, by_id, community, tuple(member_statuses))


#: The caller's project in :func:`visible_to_caller`'s condition.
CALLER_PROJECT = bindparam("caller_project", type_=String())


def visible_to_caller(
    anonymous: bool,
    is_admin: bool,
    *,
    community: bool = False,
    member_statuses: Sequence[str] = (ACCEPTED,),
) -> ColumnElement[bool]:
    """The list rule of :func:`visible_to` with the caller's project a parameter.

    The condition names the project by the bind parameter ``caller_project``, whose value the
    statement is executed with, so one statement serves every caller of the same kind.
    """
    project = None if anonymous else CALLER_PROJECT
    return _visibility_condition(project, is_admin, False, community, tuple(member_statuses))


@functools.lru_cache(maxsize=4096)
def _visibility_condition(
    project_id: str | BindParameter[str] | None,
    is_admin: bool,
    by_id: bool,
    community: bool,
    member_statuses: tuple[str, ...],
) -> ColumnElement[bool]:
    # Built once per caller shape and process: constructing this condition costs ~0.35 ms of
    # SQLAlchemy work, as much as the rest of a list page's statement, and a clause element is
    # immutable, so statements may share it. It holds no data, only the caller's project id.
    if is_admin:
        return true()
    public = ArtifactRow.visibility == PUBLIC
    if project_id is None:
        return public
    conditions = [ArtifactRow.owner == project_id, public]
    if by_id:
        conditions.append(ArtifactRow.visibility == COMMUNITY)
        conditions.append(
            and_(ArtifactRow.visibility == SHARED, _membership(project_id, (ACCEPTED, PENDING)))
        )
    else:
        conditions.append(
            and_(
                one_of(ArtifactRow.visibility, MEMBER_VISIBILITIES),
                _membership(project_id, member_statuses),
            )
        )
        if community:
            conditions.append(ArtifactRow.visibility == COMMUNITY)
    return or_(*conditions)


def is_visible(
    session: Session | Connection,
    row: ArtifactRow | ArtifactRecord,
    project_id: str | None,
    is_admin: bool,
) -> bool:
    """Python twin of ``visible_to(..., by_id=True)`` for a row already loaded.

    The membership is looked up only when it decides the answer (a shared artifact of another
    project), so the common cases cost no query.
    """
    if is_admin or row.visibility == PUBLIC:
        return True
    if project_id is None:
        return False
    if row.owner == project_id or row.visibility == COMMUNITY:
        return True
    if row.visibility != SHARED:
        return False
    return membership_status(session, row.id, project_id) in (ACCEPTED, PENDING)


def membership_status(
    session: Session | Connection, artifact_id: str, project_id: str | None
) -> str | None:
    """Return the project's membership status for the artifact, or None without one."""
    if project_id is None:
        return None
    stmt = select(MemberRow.status).where(
        MemberRow.artifact_id == artifact_id, MemberRow.project_id == project_id
    )
    return session.scalars(stmt).one_or_none()


def one_of(
    column: ColumnElement[str] | InstrumentedAttribute[str], values: Iterable[str]
) -> ColumnElement[bool]:
    """``column IN (…)`` of fixed values, each its own bound parameter.

    ``in_()`` of a plain list makes an "expanding" parameter, which SQLAlchemy writes into the
    statement's text anew on every execution (~65 µs for a list page's statement). These
    values never change, so the text stays as it was compiled.
    """
    return column.in_([literal(value, String()) for value in sorted(values)])


def asks_for_community(filters: Sequence[Filter]) -> bool:
    """Return whether a list filters on ``visibility`` for community artifacts explicitly."""
    for flt in filters:
        if flt.field != "visibility" or flt.op not in ("eq", "in"):
            continue
        if COMMUNITY in flt.values:
            return True
    return False


def _membership(
    project_id: str | BindParameter[str], statuses: Sequence[str]
) -> ColumnElement[bool]:
    return (
        select(literal(1))
        .where(
            MemberRow.artifact_id == ArtifactRow.id,
            MemberRow.project_id == project_id,
            one_of(MemberRow.status, statuses),
        )
        .exists()
    )
