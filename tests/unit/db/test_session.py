"""Engine settings that belong to every connection the service opens."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from artifacts.db.session import build_engine, load_json


def test_postgresql_connections_run_without_jit(pg_url: str) -> None:
    # JIT compiles a LIMITed list whose estimate is large, costing far more than the rows read.
    engine = build_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
    engine.dispose()


@pytest.mark.parametrize(
    "stored",
    ['"qcow2"', "[]", '{"a": [1, 2.5, null], "b": "\\u00e9"}', "512", "null", " [1] ", "[1]\n"],
)
def test_json_columns_read_as_json_loads_reads_them(stored: str) -> None:
    assert load_json(stored) == json.loads(stored)


@pytest.mark.parametrize("stored", ["", "[1] x", "{", "tru"])
def test_json_columns_that_are_not_json_fail_as_json_loads_fails(stored: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        load_json(stored)
