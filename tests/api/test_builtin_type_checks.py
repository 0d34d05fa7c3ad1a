"""The built-in types check what is uploaded: Heat and TOSCA YAML, Murano zip packages."""

from __future__ import annotations

import io
import zipfile

import falcon.testing
import pytest

from tests import factories as fx

OWNER = fx.identity()

HOT = b"heat_template_version: 2021-04-16\nresources:\n  server:\n    type: OS::Nova::Server\n"
TOSCA = b"tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template: {}\n"
MANIFEST = b"""Format: 1.0
Type: Application
FullName: io.example.Web
Name: Example web server
Tags: [web, http]
Classes:
  io.example.Web: Web.yaml
"""


def upload(
    client: falcon.testing.TestClient, type_name: str, artifact: dict, blob: str, data: bytes
) -> falcon.testing.Result:
    return client.simulate_put(
        f"/artifacts/{type_name}/{artifact['id']}/{blob}",
        body=data,
        headers={**OWNER, "Content-Type": "application/octet-stream"},
    )


def package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(result: falcon.testing.Result) -> str:
    assert result.status_code == 400, result.text
    assert result.json["error"]["type"] == "BlobRejected"
    return str(result.json["error"]["message"])


def test_a_heat_template_is_parsed_and_activates(client: falcon.testing.TestClient) -> None:
    template = fx.create(client, "heat_templates", name="t")
    assert upload(client, "heat_templates", template, "template", HOT).status_code == 200
    assert fx.activate(client, "heat_templates", template["id"])["status"] == "active"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"heat_template_version: 2021-04-16\nresources: [\n", "not valid YAML at line 3"),
        (b"resources: {}\n", "no heat_template_version"),
        (b"- just\n- a list\n", "must be a YAML mapping, not a list"),
        (b"\xff\xfe binary", "not UTF-8"),
    ],
)
def test_a_heat_template_heat_would_refuse_is_a_400_saying_why(
    client: falcon.testing.TestClient, data: bytes, reason: str
) -> None:
    template = fx.create(client, "heat_templates", name="t")
    explanation = refusal(upload(client, "heat_templates", template, "template", data))
    assert reason in explanation
    assert "'template'" in explanation
    shown = client.simulate_get(f"/artifacts/heat_templates/{template['id']}", headers=OWNER)
    assert shown.json["template"] is None


def test_nested_templates_are_checked_too(client: falcon.testing.TestClient) -> None:
    template = fx.create(client, "heat_templates", name="t")
    bad = upload(client, "heat_templates", template, "nested_templates/a.yaml", b"x: [")
    assert "'nested_templates/a.yaml'" in refusal(bad)
    good = upload(client, "heat_templates", template, "nested_templates/a.yaml", HOT)
    assert good.status_code == 200


def test_a_heat_environment_names_only_heat_sections(client: falcon.testing.TestClient) -> None:
    env = fx.create(client, "heat_environments", name="e")
    bad = upload(client, "heat_environments", env, "environment", b"paramters: {a: 1}\n")
    assert "unknown sections paramters" in refusal(bad)
    good = upload(client, "heat_environments", env, "environment", b"parameters: {a: 1}\n")
    assert good.status_code == 200


def test_a_tosca_template_needs_its_header(client: falcon.testing.TestClient) -> None:
    template = fx.create(client, "tosca_templates", name="t", template_format="yaml")
    bad = upload(client, "tosca_templates", template, "template", b"topology_template: {}\n")
    assert "no TOSCA header" in refusal(bad)
    assert upload(client, "tosca_templates", template, "template", TOSCA).status_code == 200
    assert fx.activate(client, "tosca_templates", template["id"])["status"] == "active"


def test_a_murano_package_is_opened_and_its_manifest_recorded(
    client: falcon.testing.TestClient,
) -> None:
    artifact = fx.create(client, "murano_packages", name="web")
    data = package({"manifest.yaml": MANIFEST, "Classes/Web.yaml": b"Name: Web\n"})
    result = upload(client, "murano_packages", artifact, "package", data)
    assert result.status_code == 200, result.text
    assert result.json["display_name"] == "Example web server"
    assert result.json["class_definitions"] == ["io.example.Web"]
    assert result.json["keywords"] == ["http", "web"]
    assert result.json["package"]["status"] == "active"
    assert fx.activate(client, "murano_packages", artifact["id"])["status"] == "active"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not a zip", "not a zip archive"),
        (b"PK\x03\x04 truncated", "not a readable zip archive"),
        (package({"README": b"hi"}), "no manifest.yaml"),
        (package({"manifest.yaml": b"Format: [1\n"}), "member manifest.yaml is not valid YAML"),
        (package({"manifest.yaml": b"Format: 1.0\nType: Application\n"}), "'FullName'"),
        (
            package({"manifest.yaml": MANIFEST}),
            "class io.example.Web names Classes/Web.yaml, which the package lacks",
        ),
    ],
)
def test_a_murano_package_that_is_not_one_is_a_400_naming_the_member(
    client: falcon.testing.TestClient, data: bytes, reason: str
) -> None:
    artifact = fx.create(client, "murano_packages", name="web")
    assert reason in refusal(upload(client, "murano_packages", artifact, "package", data))
    shown = client.simulate_get(f"/artifacts/murano_packages/{artifact['id']}", headers=OWNER)
    assert shown.json["package"] is None
    assert shown.json["display_name"] is None
