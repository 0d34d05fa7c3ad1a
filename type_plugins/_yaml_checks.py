"""Streaming validators for YAML documents (Heat templates and environments, TOSCA templates).

A YAML document can only be judged whole, so the check keeps the bytes it is fed, bounded by
the blob field's own limit (10 MiB for these types; the pipeline refuses more before the check
sees it), and parses them once the stream ends. Errors name the line at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml

from artifacts import plugin as p

#: Judges a parsed document; returns the reason it is refused, or None to accept it.
DocumentRule = Callable[[Any], str | None]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(data: bytes, what: str) -> Any:
    """Parse one YAML (or JSON) document; refuse it with the line and the parser's reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise p.BlobRejected(f"the {what} is not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise p.BlobRejected(f"the {what} is not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise p.BlobRejected(f"the {what} is not valid YAML: {exc}") from None


class YamlDocument(p.StreamValidator):
    """Accept only a YAML mapping that ``rule`` accepts."""

    def __init__(self, what: str, rule: DocumentRule) -> None:
        self.what = what
        self.rule = rule

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _YamlCheck(self)


class _YamlCheck(p.StreamCheck):
    def __init__(self, validator: YamlDocument) -> None:
        self._validator = validator
        self._parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self._parts.append(chunk)

    def finish(self, result: p.StreamResult) -> p.Verdict:
        what = self._validator.what
        document = parse_yaml(b"".join(self._parts), what)
        self._parts.clear()
        if not isinstance(document, Mapping):
            raise p.BlobRejected(f"the {what} must be a YAML mapping, not {_kind(document)}")
        reason = self._validator.rule(document)
        if reason is not None:
            raise p.BlobRejected(reason)
        return p.ACCEPT


def _kind(document: Any) -> str:
    if document is None:
        return "an empty document"
    if isinstance(document, list):
        return "a list"
    return f"a {type(document).__name__}"
