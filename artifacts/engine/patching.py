"""JSON patches applied as Glare applies them: one operation at a time, each one checked.

Glare's clients send patches that Glare accepted or refused operation by operation, and its
answers depend on that order: ``[add /disk_format, replace /status active]`` activates an image
that ``[replace /status active, add /disk_format]`` cannot (activation looks at the fields as
they are when its operation runs). So every operation is applied to the working document, then
judged by the field it writes:

- the artifact itself (path ``""``), a blob field, and removing a whole field are refused (400:
  blobs have their own API, and a field always has a value);
- a field the type does not declare cannot be added (400);
- ``status`` and ``visibility`` follow the lifecycle rules below, with their policy rules;
- any other field changes only while the artifact is drafted or active, never if the server sets
  it, and once active only if it is mutable (403);
- the new value is coerced (:meth:`Field.coerce_input`) and validated (400).

A ``move`` also takes its source away, so the source field is judged too; a ``test`` is judged as
a write of the field it reads, as Glare does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonpatch
import jsonpointer

from artifacts.errors import (
    ActivationRequirementsMissing,
    Forbidden,
    ImmutableField,
    InvalidInput,
    InvalidPatch,
    InvalidTransition,
    InvalidValue,
    ReadOnlyField,
    UnknownField,
)
from artifacts.model import fields as f
from artifacts.model import lifecycle

#: Enforce a named policy rule on the artifact being patched.
Enforce = Callable[[str], None]
#: Validate a whole working document (the type's JSON schema); raises InvalidValue.
Validate = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class Step:
    """One operation of a patch, with the top-level fields it touches."""

    op: str
    #: The field the operation writes (or tests); None for the artifact itself.
    field: str | None
    #: For ``move``: the field it takes its value from.
    source: str | None
    #: Whether the operation removes a whole field (``remove /name``, a move from ``/name``).
    removes_field: bool
    _patch: jsonpatch.JsonPatch

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        try:
            patched: dict[str, Any] = self._patch.apply(document, in_place=False)
        except jsonpatch.JsonPatchTestFailed as exc:
            raise InvalidPatch(f"JSON patch test failed: {exc}") from None
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise InvalidPatch(f"JSON patch cannot be applied: {exc}") from None
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise InvalidPatch(f"JSON patch cannot be applied: {exc}") from None
        return patched


def parse_patch(patch: Any) -> list[Step]:
    """Split an RFC 6902 patch into steps; a malformed one is refused before anything is read.

    An empty object counts as an empty patch, as Glare reads one.
    """
    if patch == {}:
        return []
    if not isinstance(patch, list) or not all(isinstance(op, dict) for op in patch):
        raise InvalidPatch("A JSON patch is a list of operation objects (RFC 6902).")
    steps = []
    for operation in patch:
        try:
            single = jsonpatch.JsonPatch([operation])
        except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException, TypeError) as exc:
            raise InvalidPatch(f"Invalid JSON patch: {exc}") from None
        op = operation["op"]
        if op in ("move", "copy") and not isinstance(operation.get("from"), str):
            raise InvalidPatch(f"The {op} operation does not contain a 'from' member.")
        parts = jsonpointer.JsonPointer(operation["path"]).parts
        source = None
        removes = op == "remove" and len(parts) == 1
        if op == "move":
            from_parts = jsonpointer.JsonPointer(operation["from"]).parts
            source = from_parts[0] if from_parts else None
            removes = removes or len(from_parts) == 1
        steps.append(Step(op, parts[0] if parts else None, source, removes, single))
    return steps


def visibility_rule(visibility: str) -> str:
    """The policy rule that decides making an artifact ``visibility``."""
    if visibility not in lifecycle.VISIBILITIES:
        raise InvalidValue(f"Unknown artifact visibility: {visibility!r}.")
    return "artifact:publicize" if visibility == lifecycle.PUBLIC else "artifact:share"


class PatchRules:
    """The per-operation rules of one patch of one artifact (see the module docstring)."""

    def __init__(
        self,
        fields: Mapping[str, f.Field],
        *,
        enforce: Enforce,
        validate: Validate,
        read_only: frozenset[str] = frozenset(),
        drafts_may_share: bool = False,
    ) -> None:
        self._fields = fields
        self._enforce = enforce
        self._validate = validate
        #: Names a document carries that no patch may write (e.g. ``display_type_name``).
        self._read_only = read_only
        #: Whether a drafted artifact may already be shared or public (Glance's images may;
        #: Glare's artifacts stay private until active).
        self._drafts_may_share = drafts_may_share

    def apply(self, steps: list[Step], document: dict[str, Any]) -> dict[str, Any]:
        """Apply every step in order, checking each; return the patched document."""
        for step in steps:
            patched = step.apply(document)
            self._check(step, document, patched)
            document = patched
        return document

    def _check(self, step: Step, before: dict[str, Any], after: dict[str, Any]) -> None:
        name = step.field
        if name is None:
            raise InvalidPatch("A JSON patch may not replace the artifact itself; name a field.")
        for touched in (name, step.source):
            field = self._fields.get(touched) if touched else None
            if field is not None and field.is_blob:
                raise InvalidInput(
                    f"Blob field {touched!r} cannot be changed with PATCH; use its blob path."
                )
        if step.removes_field:
            removed = name if step.op == "remove" else step.source
            raise InvalidInput(f"Cannot remove field {removed!r} from the artifact.")
        if name == "visibility":
            self._visibility(before, after)
        elif name == "status":
            self._status(before, after)
        else:
            self._changeable(name, before["status"])
            if step.source is not None and step.source != name:
                self._changeable(step.source, before["status"])
            if after[name] != before.get(name):
                after[name] = self._fields[name].coerce_input(after[name])
                self._validate(after)

    def _changeable(self, name: str, status: str) -> None:
        if name in self._read_only:
            raise ReadOnlyField(f"Field {name!r} is set by the server.")
        field = self._fields.get(name)
        if field is None:
            raise UnknownField(f"Cannot add new field {name!r} to the artifact.")
        if status not in (lifecycle.DRAFTED, lifecycle.ACTIVE):
            raise Forbidden(
                f"Field {name!r} cannot change while the artifact is {status}; "
                "an administrator must reactivate it first."
            )
        if field.system:
            raise ReadOnlyField(f"Field {name!r} is set by the server.")
        if status == lifecycle.ACTIVE and not field.mutable:
            raise ImmutableField(
                f"Field {name!r} cannot change once the artifact is active; only mutable "
                "fields can."
            )

    def _status(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        current, wanted = before["status"], after["status"]
        if current == lifecycle.DELETED:
            raise Forbidden("A deleted artifact's status cannot change.")
        if not isinstance(wanted, str) or wanted not in lifecycle.STATUSES:
            raise InvalidValue(f"Unknown artifact status: {wanted!r}.")
        if wanted == lifecycle.ACTIVE:
            if current == lifecycle.DEACTIVATED:
                self._enforce("artifact:reactivate")
                return
            if current == lifecycle.DRAFTED:
                self._check_activation(after)
            self._enforce("artifact:activate")
        elif wanted == lifecycle.DRAFTED:
            if current != lifecycle.DRAFTED:
                raise InvalidTransition(f"A {current} artifact cannot become drafted again.")
        elif wanted == lifecycle.DEACTIVATED:
            if current not in (lifecycle.ACTIVE, lifecycle.DEACTIVATED):
                raise Forbidden(f"Only an active artifact can be deactivated, not a {current} one.")
            self._enforce("artifact:deactivate")
        else:
            raise Forbidden("An artifact is deleted with DELETE, not by a PATCH of its status.")

    def _check_activation(self, document: Mapping[str, Any]) -> None:
        missing = [
            name
            for name, field in self._fields.items()
            if field.required_on_activate and document.get(name) is None
        ]
        if missing:
            raise ActivationRequirementsMissing(
                f"Cannot activate: required fields are not set: {', '.join(missing)}."
            )

    def _visibility(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        current, wanted = before["visibility"], after["visibility"]
        if not isinstance(wanted, str) or wanted not in lifecycle.VISIBILITIES:
            raise InvalidValue(f"Unknown artifact visibility: {wanted!r}.")
        if wanted == current == lifecycle.PRIVATE:
            return
        allowed = (
            (lifecycle.ACTIVE, lifecycle.DRAFTED) if self._drafts_may_share else (lifecycle.ACTIVE,)
        )
        if wanted != lifecycle.PRIVATE and before["status"] not in allowed:
            raise Forbidden(f"Only an active artifact can be made {wanted}.")
        if lifecycle.PUBLIC in (wanted, current):
            # Withdrawing a public artifact breaks its consumers just as publishing it exposes
            # it: both are the publicize decision.
            self._enforce(visibility_rule(lifecycle.PUBLIC))
        elif wanted != current:
            self._enforce(visibility_rule(wanted))
