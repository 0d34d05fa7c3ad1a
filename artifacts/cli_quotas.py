"""``artifacts quotas``: show and set limits, and check usage against what is stored.

Run on a server host (it opens the database from the configuration, as an administrator);
over HTTP, the same limits are Glare's ``/quotas`` and our ``/quotas/...`` documents.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from artifacts.config import Settings
from artifacts.engine.context import ADMIN_ROLE, RequestContext
from artifacts.engine.quotas import UNLIMITED
from artifacts.engine.services import build_services

#: The caller of these commands: whoever can read the server's configuration administers it.
_OPERATOR = RequestContext(user_id="artifacts-cli", roles=frozenset({ADMIN_ROLE}))
_LIMITS = ("max_artifacts", "max_bytes", "max_blob_size")


def add_commands(commands: Any) -> None:
    """Add ``quotas show|set|clear|check`` to the server's command parser."""
    quotas = commands.add_parser("quotas", help="project quotas: show, set, check usage")
    actions = quotas.add_subparsers(required=True, metavar="ACTION")
    show = actions.add_parser("show", help="a project's limits and usage (JSON)")
    show.add_argument("project", nargs="?", help="project id (default: the defaults)")
    show.set_defaults(handler=_show)
    set_ = actions.add_parser(
        "set", help="set limits of a project (or the defaults); other limits stay as they are"
    )
    set_.add_argument("project", nargs="?", help="project id (default: the defaults)")
    set_.add_argument("--type", dest="type_name", help="limits of this type only")
    for name in _LIMITS:
        set_.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=_limit,
            help="a whole number; 'unlimited' for no limit whatever the defaults say;"
            " or 'none' to unset it, so that the default applies",
        )
    set_.set_defaults(handler=_set)
    clear = actions.add_parser("clear", help="remove a project's own limits (defaults apply)")
    clear.add_argument("project")
    clear.set_defaults(handler=_clear)
    check = actions.add_parser(
        "check", help="recount usage from what is stored; report (and --repair) differences"
    )
    check.add_argument("--repair", action="store_true", help="set usage to the recount")
    check.set_defaults(handler=_check)


#: What ``none`` parses to: distinct from every limit, ``unlimited`` (-1) included.
_UNSET = -2


def _limit(raw: str) -> int:
    word = raw.strip().lower()
    if word == "none":
        return _UNSET
    if word == "unlimited":
        return UNLIMITED
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a whole number, 'unlimited' or 'none'"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("a limit is 0 or more")
    return value


def _show(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        if args.project:
            document = services.quotas.show(_OPERATOR, args.project)
        else:
            document = services.quotas.defaults(_OPERATOR)
    finally:
        services.close()
    print(json.dumps(document, indent=2, sort_keys=True))
    return 0


def _set(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        quotas = services.quotas
        current = (
            quotas.show(_OPERATOR, args.project) if args.project else quotas.defaults(_OPERATOR)
        )
        body = {
            "limits": current["limits"],
            "types": {
                name: {"limits": entry["limits"]} for name, entry in current["types"].items()
            },
        }
        scope = body["limits"]
        if args.type_name:
            scope = body["types"].setdefault(args.type_name, {"limits": {}})["limits"]
        for name in _LIMITS:
            value = getattr(args, name)
            if value is not None:
                scope[name] = None if value == _UNSET else value
        if args.project:
            document = quotas.set_project(_OPERATOR, args.project, body)
        else:
            document = quotas.set_defaults(_OPERATOR, body)
    finally:
        services.close()
    print(json.dumps(document, indent=2, sort_keys=True))
    return 0


def _clear(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        services.quotas.clear_project(_OPERATOR, args.project)
    finally:
        services.close()
    print(f"quotas of {args.project} cleared; the defaults apply")
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    services = build_services(settings)
    try:
        drifts = services.quotas.check(repair=args.repair)
    finally:
        services.close()
    for drift in drifts:
        scope = drift.type_name or "(project total)"
        print(
            f"{drift.project_id}\t{scope}\trecorded artifacts={drift.recorded.artifacts} "
            f"bytes={drift.recorded.bytes} reserved={drift.recorded.reserved}\tstored "
            f"artifacts={drift.stored.artifacts} bytes={drift.stored.bytes} "
            f"reserved={drift.stored.reserved}"
        )
    verb = "repaired" if args.repair else "found"
    print(f"usage differences {verb}: {len(drifts)}")
    return 1 if drifts and not args.repair else 0
