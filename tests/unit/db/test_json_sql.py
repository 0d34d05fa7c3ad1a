"""Element tests inside JSON arrays on SQLite: the ``instr`` look-ahead never loses a match."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.dialects import sqlite

from artifacts.db import json_sql

# Documents as json.dumps writes them (non-ASCII escaped), and as SQLite's own JSON functions
# or a hand-made row would (UTF-8 as it is, a space less): both spellings must match.
DOCUMENTS = {
    "plain": '["ubuntu", "x"]',
    "longer": '["xubuntu", "ubuntu-22"]',
    "upper": '["UBUNTU"]',
    "escaped": '["caf\\u00e9"]',
    "utf8": '["café"]',
    "quote": '["a\\"b"]',
    "backslash": '["back\\\\slash"]',
    "slash": '["a\\/b"]',
    "empty-string": '[""]',
    "tight": '["x","ubuntu"]',
    "no-tags": "[]",
    "null": None,
}


@pytest.fixture
def conn() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE docs (name TEXT, doc TEXT)")
    db.executemany("INSERT INTO docs VALUES (?, ?)", DOCUMENTS.items())
    return db


def _holding(conn: sqlite3.Connection, value: Any) -> set[str]:
    docs = table("docs", column("name"), column("doc"))
    params = iter(json_sql.contains_values("sqlite", value))
    query = select(docs.c.name).where(json_sql.contains("sqlite", docs.c.doc, params))
    compiled = query.compile(dialect=sqlite.dialect())
    values = [compiled.params[key] for key in compiled.positiontup or ()]
    return {name for (name,) in conn.execute(str(compiled), values)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ubuntu", {"plain", "tight"}),
        ("ubuntu-22", {"longer"}),
        ("UBUNTU", {"upper"}),
        ("café", {"escaped", "utf8"}),
        ('a"b', {"quote"}),
        ("back\\slash", {"backslash"}),
        ("a/b", {"slash"}),
        ("", {"empty-string"}),
        ("nowhere", set()),
    ],
)
def test_an_array_holds_exactly_the_documents_with_the_element(
    conn: sqlite3.Connection, value: str, expected: set[str]
) -> None:
    assert _holding(conn, value) == expected


def test_only_plain_ascii_elements_get_a_text_to_look_for() -> None:
    assert json_sql.contains_values("sqlite", "ubuntu") == ['"ubuntu"', "ubuntu"]
    assert json_sql.contains_values("sqlite", "café") == [None, "café"]
    assert json_sql.contains_values("sqlite", 'a"b') == [None, 'a"b']
    assert json_sql.contains_values("sqlite", "a\\b") == [None, "a\\b"]
    assert json_sql.contains_values("sqlite", "a/b") == [None, "a/b"]
    assert json_sql.contains_values("sqlite", "tab\there") == [None, "tab\there"]
    assert json_sql.contains_values("sqlite", 5) == [None, 5]
    assert json_sql.contains_values("postgresql", "ubuntu") == [["ubuntu"]]
