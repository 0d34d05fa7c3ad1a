"""A type's schema history: the chain of migrations from its first version to its current one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from artifacts.model.versions import Migration, SchemaHistory, UnknownSchemaVersion


def _add(key: str, value: Any) -> Any:
    def step(values: Mapping[str, Any]) -> dict[str, Any]:
        return {**values, key: value}

    return step


CHAIN = (
    Migration("1.0", "1.1", upgrade=_add("a", 1)),
    Migration("1.1", "2.0", upgrade=_add("b", 2), backport=_add("back", True)),
)


def test_values_climb_every_step_from_the_stored_version() -> None:
    history = SchemaHistory("2.0", CHAIN)
    assert history.upgrade({"x": 0}, "1.0") == {"x": 0, "a": 1, "b": 2}
    assert history.upgrade({"x": 0}, "1.1") == {"x": 0, "b": 2}
    assert history.upgrade({"x": 0}, "2.0") == {"x": 0}


def test_a_row_without_a_version_is_at_the_first_one() -> None:
    history = SchemaHistory("2.0", CHAIN)
    assert history.oldest == "1.0"
    assert history.upgrade({}, None) == {"a": 1, "b": 2}
    assert SchemaHistory("1.3", ()).oldest == "1.3"


def test_versions_compare_as_numbers() -> None:
    history = SchemaHistory("1.9", ())
    assert history.is_newer("1.10")
    assert not history.is_newer("1.2")
    assert not history.is_newer(None)


def test_the_backport_is_the_last_steps() -> None:
    assert SchemaHistory("2.0", CHAIN).backport({"b": 2}) == ("1.1", {"b": 2, "back": True})
    assert SchemaHistory("1.1", CHAIN[:1]).backport({}) is None


def test_an_unknown_stored_version_is_said_so() -> None:
    with pytest.raises(UnknownSchemaVersion, match=r"no migration leads from version 0\.9"):
        SchemaHistory("2.0", CHAIN).upgrade({}, "0.9")


@pytest.mark.parametrize(
    ("version", "chain", "message"),
    [
        ("2.0", (CHAIN[1], CHAIN[0]), "does not follow"),
        ("3.0", CHAIN, r"leads to 2\.0, but VERSION is 3\.0"),
        ("1.0", (Migration("1.1", "1.0", upgrade=_add("a", 1)),), "does not go forward"),
    ],
)
def test_a_broken_chain_is_refused(
    version: str, chain: tuple[Migration, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SchemaHistory(version, chain)
