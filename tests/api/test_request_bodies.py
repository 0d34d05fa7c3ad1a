"""Request bodies on create: only a JSON object of a bounded size, in JSON's own numbers."""

from __future__ import annotations

import json
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
from tests.factories import assert_error, identity, post


@pytest.mark.parametrize("body", ["[]", '["name"]', '"bolt"', "42", "null", "true"])
def test_create_refuses_a_body_that_is_not_an_object(
    client: falcon.testing.TestClient, body: str
) -> None:
    assert_error(post(client, body), 400, "BadRequest")


@pytest.mark.parametrize("body", ["{", "{'name': 'bolt'}", '{"name": "bolt",}', "", b"\xff\xfe"])
def test_create_refuses_a_body_that_is_not_json(
    client: falcon.testing.TestClient, body: str | bytes
) -> None:
    assert_error(post(client, body), 400, "BadRequest")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_create_refuses_numbers_json_does_not_have(
    client: falcon.testing.TestClient, constant: str
) -> None:
    result = post(client, '{"name": "bolt", "weight": CONSTANT}'.replace("CONSTANT", constant))

    assert_error(result, 400)


@pytest.mark.parametrize(("field", "number"), [("weight", "1e400"), ("size", "-2e308")])
def test_create_refuses_numbers_too_large_for_a_float(
    client: falcon.testing.TestClient, field: str, number: str
) -> None:
    # Python would read them as infinity, which an integer field cannot hold and JSON cannot say.
    result = post(client, f'{{"name": "bolt", "{field}": {number}}}')

    assert_error(result, 400, "BadRequest")
    assert number in result.json["error"]["message"]


def test_create_refuses_a_deeply_nested_body(client: falcon.testing.TestClient) -> None:
    depth = 100_000

    assert_error(post(client, "[" * depth + "]" * depth), 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json-patch+json", "application/x-www-form-urlencoded", None],
)
def test_create_refuses_other_content_types(
    client: falcon.testing.TestClient, content_type: str | None
) -> None:
    headers = identity() if content_type is None else {**identity(), "Content-Type": content_type}

    result = client.simulate_post(
        "/artifacts/widgets", body=json.dumps({"name": "bolt"}), headers=headers
    )

    assert_error(result, 415, "UnsupportedMediaType")


def test_create_accepts_json_with_a_charset(client: falcon.testing.TestClient) -> None:
    result = post(
        client, {"name": "bolt"}, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert result.status_code == 201, result.text


def test_create_refuses_a_body_larger_than_the_limit(tmp_path: Any, services: Services) -> None:
    small = falcon.testing.TestClient(
        create_app(Settings(data_dir=tmp_path, max_json_body=64), services)
    )
    fits = {"name": "bolt"}
    too_big = {"name": "bolt", "description": "d" * 64}

    assert post(small, fits).status_code == 201
    assert_error(post(small, too_big), 413, "RequestEntityTooLarge")
