"""``artifacts scrub`` and ``artifacts gc [--dry-run]``: remove what no one references, while the
service runs.

``artifacts scrub`` is the quick pass to run often (abandoned uploads, recorded orphans,
temporary files); ``gc`` is the whole one (``artifacts.engine.gc``): it also removes content
whose delete delay has passed and lists every store for objects that no row names.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from artifacts.config import Settings
from artifacts.engine.services import build_services


def add_commands(commands: Any) -> None:
    scrub = commands.add_parser(
        "scrub", help="abandon stale uploads and delete blob data nothing references any more"
    )
    scrub.set_defaults(handler=_scrub)
    gc = commands.add_parser(
        "gc", help="remove unreferenced blob data, abandoned uploads and unnamed store objects"
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="list what would be removed and why; remove nothing"
    )
    gc.set_defaults(handler=_gc)


def _scrub(settings: Settings, _args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        abandoned = services.blobs.sweep_stale_uploads()
        removed, failing = services.remover.scrub()
        swept = 0
        for store in services.stores.values():
            sweep = getattr(store, "sweep_temporary", None)
            if sweep is not None:
                # Abandoned uploads' partial files went with their orphaned keys above; this
                # catches what no record names, once older than any request may run.
                swept += sweep(dt.timedelta(seconds=settings.timeout))
    finally:
        services.close()
    print(
        f"abandoned uploads: {abandoned}; orphaned data removed: {removed}, "
        f"still failing: {failing}; temporary files removed: {swept}"
    )
    return 0 if failing == 0 else 1


def _gc(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        report = services.gc.run(dry_run=args.dry_run)
    finally:
        services.close()
    print("kind\tstore\tlocation\tsize\treason")
    for item in report.found:
        size = "" if item.size is None else str(item.size)
        print(f"{item.kind}\t{item.store}\t{item.location}\t{size}\t{item.reason}")
    total = sum(item.size or 0 for item in report.found)
    if args.dry_run:
        print(f"would remove {len(report.found)} items ({total} bytes known)")
        return 0
    print(f"removed {report.removed}, still failing {report.failed} (recorded as orphans)")
    return 0 if report.failed == 0 else 1
