"""What a PATCH means for an artifact's lifecycle: its timestamps and the hook events it fires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from artifacts.model import fields as f
from artifacts.model import lifecycle


def stamp_times(
    before: Mapping[str, Any], after: dict[str, Any], changed: Iterable[str], now: dt.datetime
) -> None:
    """Set ``updated_at``, and ``activated_at`` on the first activation (it is kept after)."""
    after["updated_at"] = f.format_datetime(now)
    if "status" in changed and after["status"] == lifecycle.ACTIVE:
        after["activated_at"] = before["activated_at"] or f.format_datetime(now)


def update_events(after: Mapping[str, Any], changed: Iterable[str]) -> list[str]:
    """The hook events of one accepted PATCH: always "update", then the lifecycle ones."""
    events = ["update"]
    if "status" in changed:
        if after["status"] == lifecycle.ACTIVE:
            events.append("activate")
        elif after["status"] == lifecycle.DEACTIVATED:
            events.append("deactivate")
    if "visibility" in changed and after["visibility"] == lifecycle.PUBLIC:
        events.append("publish")
    return events
