"""SemVer 2.0 parsing, and a sort key that databases order by version precedence.

Versions are stored as text, but ``ORDER BY version`` and ``version=gt:1.2`` must follow SemVer
precedence, not string order ("1.10.0" > "1.9.0", "1.0.0" > "1.0.0-rc.1"). So each version is
stored with a key as well: plain ASCII whose bytewise order (SQLite's BINARY collation,
PostgreSQL's ``COLLATE "C"``) is exactly SemVer precedence, which an ordinary index can serve::

    1.10.0-rc.1+build.5  ->  011 0210 010 - arc! #011!   (spaces added for reading only)
                             |   |    |   | |    |
                             |   |    |   | |    '-- numeric id 1: "#" + number + "!"
                             |   |    |   | '------- alphanumeric id "rc": "a" + text + "!"
                             |   |    |   '--------- pre-release follows; "+build.5" is dropped
                             '---'----'------------- major, minor, patch as numbers
    1.10.0               ->  011 0210 010 ~          "~" > "-": a release tops its pre-releases

    number  :=  2-digit length, then the digits      9 -> 019 < 10 -> 0210 < 100 -> 03100

Numbers are self-delimiting, so none of them needs a separator. "#" < "a" puts numeric
identifiers below alphanumeric ones. The terminator "!" sorts below every character an identifier
may contain ([0-9A-Za-z-]), so identifiers compare as ASCII text ("alpha" < "alpha-1" < "alpha1"),
and a list of identifiers that is a prefix of a longer one ranks lower. Build metadata does not
take part in precedence: versions differing only in it get the same key. The 2-digit length caps
numbers at 99 digits; parsing rejects longer ones. The key holds no quote or backslash, so it also
sorts correctly as a string inside JSON documents. It is at most 2.5 times as long as the version
without its build metadata.
"""

from __future__ import annotations

import math
import re

import semantic_version

__all__ = [
    "MAX_DIGITS",
    "PRERELEASE_MARK",
    "RELEASE_MARK",
    "InvalidVersion",
    "is_prerelease_key",
    "normalize_version",
    "parse_version",
    "release_prefix",
    "sort_key",
]

#: Numbers (major, minor, patch, numeric pre-release identifiers) may have at most this many
#: digits: the sort key spends two digits on their length.
MAX_DIGITS = 99

# The grammar of https://semver.org/#backusnaur-form-grammar-for-valid-semver-versions, spelled
# with explicit ASCII classes ("\d" would admit other scripts' digits) and used with fullmatch
# ("$" would admit a trailing newline).
_NUMBER = r"0|[1-9][0-9]*"
_PRE_ID = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?"
)

#: What follows major.minor.patch in a key: "~" for a release, "-" before pre-release identifiers.
RELEASE_MARK = "~"
PRERELEASE_MARK = "-"
_NUMERIC_ID = "#"
_ALPHANUMERIC_ID = "a"
_END_OF_ID = "!"

_SHOWN_CHARS = 80


class InvalidVersion(ValueError):
    """The value is not a semantic version (nor a partial one such as "1" or "1.2")."""


def parse_version(value: str | int | float) -> semantic_version.Version:
    """Read a version the way Glare does, and return it as canonical SemVer 2.0.

    Glare coerces what it is given (``semantic_version.Version.coerce``), and its clients rely
    on that: "1" is 1.0.0, "1.2-beta" is 1.2.0-beta, "01.02" is 1.2.0 and "1.2.3.4" is
    1.2.3+4. The same rules apply here, so every version a Glare client sends means the same
    thing to us; what comes out is always a valid SemVer 2.0 version, so only canonical text is
    stored and compared. Ints and floats are read as their text (2 -> 2.0.0, 1.5 -> 1.5.0).

    Raise InvalidVersion, naming the value, when it is not a version.
    """
    text = _as_text(value)
    try:
        canonical = str(semantic_version.Version.coerce(text))
    except ValueError:
        raise InvalidVersion(
            f"{_shown(value)} is not a semantic version "
            "(expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD])"
        ) from None
    match = _SEMVER.fullmatch(canonical)
    if match is None:
        raise InvalidVersion(f"{_shown(value)} is not a semantic version")
    numbers = [match["major"], match["minor"], match["patch"]]
    numbers += [i for i in (match["pre"] or "").split(".") if i.isdigit()]
    if any(len(number) > MAX_DIGITS for number in numbers):
        raise InvalidVersion(
            f"{_shown(value)} is not a supported semantic version: "
            f"a number has more than {MAX_DIGITS} digits"
        )
    return semantic_version.Version(canonical)


def normalize_version(value: str | int | float) -> str:
    """Return the canonical text of a version ("1" -> "1.0.0"), the form it is stored in."""
    return str(parse_version(value))


def sort_key(version: semantic_version.Version | str) -> str:
    """Return the ASCII key whose bytewise order is SemVer precedence (see the module docstring).

    A Version object is re-parsed from its text, so partial or otherwise lenient objects get the
    same checks (and the same key) as the text users send.
    """
    parsed = _reparsed(version)
    key = _triple(parsed)
    if not parsed.prerelease:
        return key + RELEASE_MARK
    parts = [key, PRERELEASE_MARK]
    for identifier in parsed.prerelease:
        if identifier.isdigit():
            parts.append(_NUMERIC_ID + _number(int(identifier)) + _END_OF_ID)
        else:
            parts.append(_ALPHANUMERIC_ID + identifier + _END_OF_ID)
    return "".join(parts)


def release_prefix(version: semantic_version.Version | str) -> str:
    """Return the major.minor.patch part of the version's key, which its keys all start with.

    The keys of X.Y.Z's pre-releases are exactly those from ``prefix + PRERELEASE_MARK``
    (inclusive) to ``prefix + RELEASE_MARK`` (exclusive), the key of X.Y.Z itself.
    """
    return _triple(_reparsed(version))


def is_prerelease_key(key: str) -> bool:
    """Whether a sort key is that of a pre-release (release keys end with RELEASE_MARK)."""
    return not key.endswith(RELEASE_MARK)


def _reparsed(version: semantic_version.Version | str) -> semantic_version.Version:
    return parse_version(str(version) if isinstance(version, semantic_version.Version) else version)


def _triple(parsed: semantic_version.Version) -> str:
    return _number(parsed.major) + _number(parsed.minor) + _number(parsed.patch)


def _as_text(value: object) -> str:
    """Return the text to parse, rejecting types whose text would be a guess."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # a bool is an int, but True is no version 1.0.0
        raise InvalidVersion(f"{value!r} is not a semantic version (a boolean)")
    if isinstance(value, int):
        if value < 0 or value >= 10**MAX_DIGITS:
            raise InvalidVersion(
                f"{_shown(value)} is not a semantic version "
                f"(negative, or more than {MAX_DIGITS} digits)"
            )
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0 or value >= 1e16:
            raise InvalidVersion(f"{value!r} is not a semantic version")
        return repr(float(value))  # shortest round-trip text: 1.5 -> "1.5", 2.0 -> "2.0"
    raise InvalidVersion(
        f"{_shown(value)} is not a semantic version (a {type(value).__name__}, not a string)"
    )


def _number(value: int) -> str:
    """Return a number's digits behind their 2-digit length, so shorter numbers sort first."""
    digits = str(value)  # parse_version has checked it has at most MAX_DIGITS digits
    return f"{len(digits):02d}{digits}"


def _shown(value: object) -> str:
    """Return the value's repr for an error message, cut short so huge input stays readable."""
    try:
        text = repr(value)
    except ValueError:  # an int too large for Python to print
        return "a huge integer"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
