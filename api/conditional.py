"""Conditional requests on blob downloads (RFC 9110 section 13): what a GET or HEAD gets.

A blob's entity tag is its content digest (sha256; md5 for an external blob that has no
sha256), so it is a strong validator: equal tags mean equal bytes, and a blob replaced by other
bytes gets another tag. The preconditions are evaluated in the RFC's order before any store is
touched:

1. ``If-Match`` that matches no current tag (strong comparison): 412;
2. ``If-None-Match`` that matches (weak comparison): 304;
3. ``Range``, on GET only, honoured when there is no ``If-Range`` or when ``If-Range`` names the
   current tag (strong comparison); otherwise the whole blob is sent with 200, so a client
   resuming with a stale validator never splices two versions together. An ``If-Range`` date
   never matches: blob downloads carry no ``Last-Modified`` to compare it with.

Only a single byte range is answered with 206; a request for several ranges gets the whole
blob with 200 (RFC 9110 section 14.2 lets a server ignore ``Range``), which every client that
asks for several ranges handles, and which spares a ``multipart/byteranges`` body nobody
resuming a download wants.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from api.ranges import parse_range
from artifacts.engine.blobs import BlobInfo, ByteRange
from artifacts.errors import PreconditionFailed

#: One entity-tag of a list: ``"opaque"`` or ``W/"opaque"`` (RFC 9110 section 8.8.3).
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


class Answer(enum.Enum):
    """What a download request is answered with."""

    SEND = "send"
    NOT_MODIFIED = "not_modified"


@dataclass(frozen=True)
class Decision:
    answer: Answer
    #: The part to send (GET with a satisfiable single range); None for the whole blob.
    byte_range: ByteRange | None = None


def entity_tag(info: BlobInfo) -> str | None:
    """The blob's strong entity tag, quoted, or None when no digest is known."""
    digest = info.sha256 or info.md5
    return f'"{digest}"' if digest else None


def decide(
    info: BlobInfo,
    *,
    method: str,
    if_match: str | None,
    if_none_match: str | None,
    if_range: str | None,
    range_header: str | None,
) -> Decision:
    """Evaluate a download's preconditions and range against the blob; raise 412 if one fails."""
    tag = entity_tag(info)
    if if_match is not None and not _matches(if_match, tag, strong=True):
        raise PreconditionFailed("The blob does not match If-Match: it has other data now.")
    if if_none_match is not None and _matches(if_none_match, tag, strong=False):
        return Decision(Answer.NOT_MODIFIED)
    if method != "GET" or not range_header:
        return Decision(Answer.SEND)
    if if_range is not None and not _matches_one(if_range, tag):
        return Decision(Answer.SEND)
    return Decision(Answer.SEND, parse_range(range_header, info.size))


def _matches(header: str, tag: str | None, *, strong: bool) -> bool:
    """Whether a ``*`` or entity-tag list matches the current tag; a malformed list never does."""
    if header.strip() == "*":
        return tag is not None
    if tag is None:
        return False
    return any(f'"{opaque}"' == tag and not (strong and weak) for weak, opaque in _tags(header))


def _matches_one(header: str, tag: str | None) -> bool:
    """``If-Range``: a single strong entity tag equal to the current one (a date never is)."""
    tags = _tags(header)
    return tag is not None and len(tags) == 1 and not tags[0][0] and f'"{tags[0][1]}"' == tag


def _tags(header: str) -> list[tuple[bool, str]]:
    """The (weak, opaque) entity tags of a list; empty when the list is malformed."""
    found: list[tuple[bool, str]] = []
    position = 0
    text = header.strip()
    while position < len(text):
        match = _TAG.match(text, position)
        if match is None:
            return []
        found.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return found
