"""Transcripts of HTTP conversations, normalised so two servers' answers can be compared.

What legitimately varies between runs and servers is replaced by stable placeholders, the same way
on both sides:

- ids: a UUID first seen in a *response* becomes ``<id-N>`` (N counts first appearances within the
  scenario); later requests that use it carry the placeholder and the replay puts back its own id.
  A UUID first seen in a request (a made-up, missing id) stays literal.
- request ids (``req-<uuid>``) become ``<request-id>``;
- the server's own base URL in links (``http://127.0.0.1:PORT``) becomes ``<base>``;
- timestamps in Glare's form (``2026-12-01T23:38:26Z``, a whole string) become ``<datetime>``;
- ``tags`` of an artifact are a set in Glare (its order follows Python's per-process string
  hashing), so they are compared sorted;
- ``error.message`` of a fault body (``message`` of a Glance fault) is prose no client parses:
  kept in the recording for the reader, ignored by the comparison.

Only the response headers that clients read are kept (:data:`RESPONSE_HEADERS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
REQUEST_ID = re.compile(r"req-" + UUID.pattern)
PLACEHOLDER = re.compile(r"<id-\d+>")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
#: The server's own base URL in links (a loopback peer, or falcon's test host).
BASE_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|falconframework\.org)(?::\d+)?(?=/|$)")

#: Response headers a Glare client reads (lower case). ``location`` counts only on redirects, and
#: ``content-length`` only for bodies that are not JSON documents (blob downloads, redirects).
RESPONSE_HEADERS = (
    "content-type",
    "allow",
    "openstack-api-version",
    "vary",
    "location",
    "content-length",
    "content-md5",
    "x-openstack-glare-content-sha1",
    "x-openstack-glare-content-sha256",
)
#: Header values compared case-insensitively (tokens, not text).
CASELESS_HEADERS = frozenset({"vary", "content-type"})
IGNORED = "<message>"


@dataclass
class IdMap:
    """The two-way mapping between one server's real ids and a scenario's placeholders."""

    real_to_token: dict[str, str] = field(default_factory=dict)
    token_to_real: dict[str, str] = field(default_factory=dict)

    def learn_request(self, text: str) -> None:
        """Keep UUIDs a request invents literal, so their echo in a response stays literal."""
        for found in UUID.findall(text):
            self.real_to_token.setdefault(found, found)

    def token_for(self, real: str) -> str:
        token = self.real_to_token.get(real)
        if token is None:
            token = f"<id-{len(self.token_to_real) + 1}>"
            self.real_to_token[real] = token
            self.token_to_real[token] = real
        return token

    def to_tokens(self, text: str) -> str:
        """Replace known real ids in a request (path or body) by their placeholders."""
        return UUID.sub(lambda m: self.real_to_token.get(m.group(), m.group()), text)

    def to_real(self, text: str) -> str:
        """Put this server's ids back into a recorded request."""

        def real(m: re.Match[str]) -> str:
            try:
                return self.token_to_real[m.group()]
            except KeyError:
                raise KeyError(f"{m.group()} is used before any response produced it") from None

        return PLACEHOLDER.sub(real, text)

    def normalize_text(self, text: str) -> str:
        text = REQUEST_ID.sub("<request-id>", text)
        text = BASE_URL.sub("<base>", text)
        text = UUID.sub(lambda m: self.token_for(m.group()), text)
        return "<datetime>" if DATETIME.match(text) else text

    def normalize(self, value: Any) -> Any:
        """Normalise a decoded JSON value (response side)."""
        if isinstance(value, str):
            return self.normalize_text(value)
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        if isinstance(value, dict):
            return {self.normalize_text(k): self.normalize(v) for k, v in value.items()}
        return value

    def request_value(self, value: Any, convert: Any) -> Any:
        """Apply ``convert`` (to_tokens or to_real) to every string of a request body."""
        if isinstance(value, str):
            return convert(value)
        if isinstance(value, list):
            return [self.request_value(v, convert) for v in value]
        if isinstance(value, dict):
            return {convert(k): self.request_value(v, convert) for k, v in value.items()}
        return value


def response_record(
    ids: IdMap, status: int, headers: dict[str, str], content: bytes
) -> dict[str, Any]:
    """The normalised form of one response: status, the headers clients read and the body."""
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    record: dict[str, Any] = {"status": status, "headers": {}}
    body: dict[str, Any] = {}
    if content:
        if "json" in content_type:
            import json

            try:
                body = {"json": ids.normalize(json.loads(content))}
            except ValueError:
                body = {"text": content.decode("utf-8", "replace")}
        else:
            try:
                body = {"text": ids.normalize_text(content.decode("utf-8"))}
            except UnicodeDecodeError:
                body = {"bytes": len(content)}
    for name in RESPONSE_HEADERS:
        if name not in lowered:
            continue
        if name == "location" and not 300 <= status < 400:
            continue
        if name == "content-length" and ("json" in body or "html" in content_type):
            continue
        value = ids.normalize_text(lowered[name])
        record["headers"][name] = value
    record.update(body)
    return record


def comparable(response: dict[str, Any]) -> dict[str, Any]:
    """The parts of a response record that must be equal: fault messages and header case aside."""
    import copy

    out = copy.deepcopy(response)
    out["headers"] = {
        k: (v.lower().replace(" ", "") if k in CASELESS_HEADERS else v)
        for k, v in out.get("headers", {}).items()
        # A 204 has no body to describe: Glance still names one (text/html, length 0), which
        # PEP 3333 forbids and no client reads.
        if not (out.get("status") == 204 and k in ("content-type", "content-length"))
    }
    body = out.get("json")
    _sort_tags(body)
    error = body.get("error") if isinstance(body, dict) and "code" in body else None
    if isinstance(error, dict) and "message" in error:
        error["message"] = IGNORED
    if isinstance(body, dict) and set(body) == {"message", "code", "title"}:
        # A Glance fault: its message is prose too.
        body["message"] = IGNORED
    content_type = out["headers"].get("content-type", "")
    if "text" in out and "html" in content_type:
        out["text"] = IGNORED
    if "text" in out and "text/plain" in content_type and out.get("status", 0) >= 400:
        # Glance's plain-text faults: prose, and so is their length.
        out["text"] = IGNORED
        out["headers"].pop("content-length", None)
    return out


def _sort_tags(value: Any) -> None:
    """Sort the ``tags`` of every artifact document in a body, in place."""
    if isinstance(value, list):
        for item in value:
            _sort_tags(item)
    elif isinstance(value, dict):
        tags = value.get("tags")
        if "id" in value and isinstance(tags, list) and all(isinstance(t, str) for t in tags):
            value["tags"] = sorted(tags)
        for item in value.values():
            if isinstance(item, list | dict):
                _sort_tags(item)


def expected_for_us(exchange: dict[str, Any]) -> dict[str, Any]:
    """Glare's response with a marked deviation's ``expected_ours`` parts laid over it."""
    expected = dict(exchange["response"])
    ours = exchange.get("expected_ours")
    if not ours:
        return expected
    headers = dict(expected.get("headers", {}))
    for name, value in ours.get("headers", {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    expected["headers"] = headers
    if "status" in ours:
        expected["status"] = ours["status"]
    if any(k in ours for k in ("json", "text", "bytes")):
        for k in ("json", "text", "bytes"):
            expected.pop(k, None)
        for k in ("json", "text", "bytes"):
            if k in ours:
                expected[k] = ours[k]
    return expected
