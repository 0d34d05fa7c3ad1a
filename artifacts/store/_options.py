"""Read a driver's options from plain settings, with errors that name the store and option.

Settings come from TOML or the environment, so values arrive as strings, numbers or booleans;
each driver states what it takes and this helper refuses anything else, including unknown
(usually misspelt) options, before a single byte is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifacts.store.base import StoreConfigError


class Options:
    """Take options one by one; ``finish`` refuses whatever was not taken."""

    def __init__(self, store: str, driver: str, raw: Mapping[str, Any]) -> None:
        self._store = store
        self._driver = driver
        self._raw = dict(raw)
        self._taken: set[str] = set()

    def error(self, message: str) -> StoreConfigError:
        return StoreConfigError(f"store {self._store!r} ({self._driver} driver): {message}")

    def _take(self, name: str) -> Any:
        self._taken.add(name)
        return self._raw.get(name)

    def required_str(self, name: str) -> str:
        value = self._take(name)
        if value is None or value == "":
            raise self.error(f"option {name!r} is required")
        if not isinstance(value, str):
            raise self.error(f"option {name!r} must be a string, not {type(value).__name__}")
        return value

    def optional_str(self, name: str, default: str | None = None) -> str | None:
        value = self._take(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(f"option {name!r} must be a string, not {type(value).__name__}")
        return value

    def optional_int(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # from an environment variable
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"option {name!r} must be an integer, not {value!r}")
        if value < minimum:
            raise self.error(f"option {name!r} must be at least {minimum}, not {value}")
        return value

    def optional_bool(self, name: str, default: bool) -> bool:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")  # from an environment variable
        if not isinstance(value, bool):
            raise self.error(f"option {name!r} must be true or false, not {value!r}")
        return value

    def optional_float(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self._take(name)
        if value is None:
            return default
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self.error(f"option {name!r} must be a number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"option {name!r} must be a number, not {value!r}")
        if value < minimum:
            raise self.error(f"option {name!r} must be at least {minimum}, not {value}")
        return float(value)

    def finish(self) -> None:
        unknown = sorted(set(self._raw) - self._taken)
        if unknown:
            raise self.error(f"unknown option(s) {', '.join(map(repr, unknown))}")
