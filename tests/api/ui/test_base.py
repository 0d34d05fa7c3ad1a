"""Redirect targets taken from forms stay inside the catalog."""

from __future__ import annotations

import pytest

from api.ui.base import local_target


@pytest.mark.parametrize("target", ["/ui", "/ui/shares", "/ui?done=x", "/ui/types/images/1"])
def test_catalog_paths_are_kept(target: str) -> None:
    assert local_target(target, "/ui") == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/ui",
        "//evil.example/ui",
        "/uix",
        "/ui@evil.example",
        "/ui/\\evil",
        "/ui/\r\nSet-Cookie: x=1",
        "/ui/ x",
        "/artifacts/images",
    ],
)
def test_anything_else_falls_back(target: str | None) -> None:
    assert local_target(target, "/ui/shares") == "/ui/shares"
