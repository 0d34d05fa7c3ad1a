"""Schema versions of a type, and the plugin's steps between them.

Every stored artifact records the ``VERSION`` of the type it was written with. A plugin that
changes its fields bumps ``VERSION`` and declares, in ``MIGRATIONS``, one :class:`Migration` per
step (``1.0 → 1.1 → 2.0``): plain functions over the type-specific field values *as stored*
(JSON values: datetimes are ISO 8601 strings, versions canonical SemVer strings), reviewed
like any other code of the plugin::

    def _size_in_mb(values):
        values = dict(values)
        size = values.pop("size", None)
        values["size_mb"] = None if size is None else size // 1024
        return values

    MIGRATIONS = [p.Migration("1.0", "2.0", upgrade=_size_in_mb, backport=_size_in_kb)]

``upgrade`` turns values of ``source`` into values of ``target``; reads and writes of an older
row see it upgraded, and ``artifacts db migrate-types`` rewrites stored rows. ``backport`` turns
``target`` values back into ``source`` ones (oslo.versionedobjects' ``obj_make_compatible``): a
row written at ``target`` carries its backport, so nodes still running the previous plugin
version keep reading it during a rolling upgrade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Type-specific field values as stored, in and out of a migration step.
Values = Mapping[str, Any]
Step = Callable[[Values], Values]


@dataclass(frozen=True)
class Migration:
    """One step between two consecutive schema versions of a type."""

    source: str
    target: str
    upgrade: Step
    #: Values of ``target`` made readable by a node still on ``source``; None if it cannot be.
    backport: Step | None = None


class UnknownSchemaVersion(ValueError):
    """A stored version the type's migrations do not lead from."""


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.10"`` → ``(1, 10)``, so versions compare as numbers, not strings."""
    return tuple(int(part) for part in version.split("."))


class SchemaHistory:
    """A type's current version and the chain of steps that lead to it."""

    def __init__(self, version: str, migrations: Sequence[Migration]) -> None:
        self.version = version
        self._steps: dict[str, Migration] = {}
        previous: Migration | None = None
        for step in migrations:
            if version_tuple(step.target) <= version_tuple(step.source):
                raise ValueError(f"migration {step.source} → {step.target} does not go forward")
            if previous is not None and step.source != previous.target:
                raise ValueError(
                    f"migration {step.source} → {step.target} does not follow "
                    f"{previous.source} → {previous.target}"
                )
            self._steps[step.source] = step
            previous = step
        if previous is not None and previous.target != version:
            raise ValueError(
                f"the last migration leads to {previous.target}, but VERSION is {version}"
            )
        #: The version a row without a recorded one was written with (before versions were
        #: stored, every row was written at the type's first version).
        self.oldest = migrations[0].source if migrations else version
        self.previous: Migration | None = previous

    def effective(self, stored: str | None) -> str:
        return stored or self.oldest

    def is_newer(self, stored: str | None) -> bool:
        """Whether a row was written by a newer plugin than this one."""
        return version_tuple(self.effective(stored)) > version_tuple(self.version)

    def upgrade(self, values: Values, stored: str | None) -> dict[str, Any]:
        """Bring values of the ``stored`` version up to the current one, step by step."""
        at = self.effective(stored)
        out = dict(values)
        while at != self.version:
            step = self._steps.get(at)
            if step is None:
                raise UnknownSchemaVersion(
                    f"no migration leads from version {at} to {self.version}"
                )
            out = dict(step.upgrade(out))
            at = step.target
        return out

    def backport(self, values: Values) -> tuple[str, dict[str, Any]] | None:
        """Values of the current version as the previous version reads them, if declared."""
        step = self.previous
        if step is None or step.backport is None:
            return None
        return step.source, dict(step.backport(values))


__all__ = ["Migration", "SchemaHistory", "UnknownSchemaVersion", "version_tuple"]
