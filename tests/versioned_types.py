"""Two versions of one plugin type, as a plugin author would ship them in two releases.

Version 2.0 renames ``size`` to ``size_kb`` and retypes ``weight`` from a string of digits to
an integer; its migration says how to go forward and how to read 2.0 rows as 1.0 (backport).
The functional tests install each version in its own server process (``entry_points``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p


class BoxV1(p.BaseArtifact):
    TYPE = "boxes"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "size": p.Integer(sortable=True, mutable=True),
        "weight": p.String(max_length=16, mutable=True),
        "label": p.String(mutable=True),
    }


def _to_2_0(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["size_kb"] = out.pop("size", None)
    weight = out.get("weight")
    out["weight"] = int(weight) if isinstance(weight, str) and weight.isdigit() else None
    return out


def _back_to_1_0(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["size"] = out.pop("size_kb", None)
    weight = out.get("weight")
    out["weight"] = None if weight is None else str(weight)
    return out


class BoxV2(p.BaseArtifact):
    TYPE = "boxes"
    VERSION = "2.0"
    MIGRATIONS = (p.Migration("1.0", "2.0", upgrade=_to_2_0, backport=_back_to_1_0),)

    fields = {  # noqa: RUF012 - see BoxV1
        "size_kb": p.Integer(sortable=True, mutable=True),
        "weight": p.Integer(sortable=True, mutable=True),
        "label": p.String(mutable=True),
    }


class BoxV2NoBackport(p.BaseArtifact):
    TYPE = "boxes"
    VERSION = "2.0"
    MIGRATIONS = (p.Migration("1.0", "2.0", upgrade=_to_2_0),)

    fields = BoxV2.fields
