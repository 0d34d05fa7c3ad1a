"""SemVer 2.0 parsing and a sort key that databases order by version precedence.

The key is plain ASCII compared bytewise (SQLite's BINARY collation, PostgreSQL's ``COLLATE "C"``)::

    1.10.0-rc.1+build   →   01 1 . 02 10 . 01 0 - # 01 1 ! a rc ! ~?
    └ major ┘└ minor ┘└ patch┘  pre-release ids, each terminated by "!"

    number      := <2-digit length><digits>     so 9 < 10 < 100 and any size works
    release     := "~"                          "~" > "-": 1.0.0 sorts above 1.0.0-anything
    pre-release := "-" ( id "!" )+
    id          := "#" number                   numeric ids: compared numerically, and
                 | "a" text                     "#" < "a": below alphanumeric ones (by ASCII)
    build metadata is dropped: it does not take part in precedence.

The terminator "!" sorts below every character an identifier may contain, so ``alpha`` < ``alpha1``
and ``[alpha]`` < ``[alpha, 1]`` (a shorter identifier list ranks lower when all else is equal).
"""

from __future__ import annotations

import re

import semantic_version

_MAX_DIGITS = 99
_PARTIAL = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$")


class InvalidVersion(ValueError):
    """The value is not a semantic version (or a partial one such as "1" or "1.2")."""


def parse_version(value: str | int | float) -> semantic_version.Version:
    """Parse a SemVer 2.0 string, completing "1" and "1.2" as users mean them (1.0.0, 1.2.0)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidVersion(f"{value!r} is not a version")
    text = str(value).strip() if not isinstance(value, str) else value
    partial = _PARTIAL.match(text)
    if partial:
        text = f"{partial.group(1)}.{partial.group(2) or 0}.0"
    try:
        version = semantic_version.Version(text)
    except ValueError:
        raise InvalidVersion(
            f"{value!r} is not a semantic version (expected MAJOR.MINOR.PATCH[-pre][+build])"
        ) from None
    too_long = [n for n in (version.major, version.minor, version.patch) if len(str(n)) > 99]
    if too_long:
        raise InvalidVersion(f"{value!r} has a number of more than {_MAX_DIGITS} digits")
    return version


def normalize_version(value: str | int | float) -> str:
    """Return the canonical text of a version ("1" → "1.0.0")."""
    return str(parse_version(value))


def sort_key(version: semantic_version.Version | str) -> str:
    """Return the bytewise-sortable precedence key of a version (see the module docstring)."""
    parsed = version if isinstance(version, semantic_version.Version) else parse_version(version)
    key = _number(parsed.major) + _number(parsed.minor) + _number(parsed.patch)
    if not parsed.prerelease:
        return key + "~"
    parts = []
    for identifier in parsed.prerelease:
        if identifier.isdigit():
            parts.append("#" + _number(int(identifier)) + "!")
        else:
            parts.append("a" + identifier + "!")
    return key + "-" + "".join(parts)


def _number(value: int) -> str:
    digits = str(value)
    if len(digits) > _MAX_DIGITS:
        raise InvalidVersion(f"version number {value} has more than {_MAX_DIGITS} digits")
    return f"{len(digits):02d}{digits}"
