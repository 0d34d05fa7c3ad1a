"""The helm_charts type as its users meet it: through the API, with real chart archives."""

from __future__ import annotations

import io
import tarfile

import pytest
from artifact_helm_charts import HelmChart

from artifacts.testing import ArtifactsClient

CHART_YAML = (
    b"apiVersion: v2\nname: web\nversion: 1.2.3\nappVersion: 4.5.6\nkubeVersion: '>=1.25'\n"
)


def chart(files: dict[str, bytes]) -> bytes:
    """A .tgz as 'helm package' makes it: one top directory holding Chart.yaml."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def artifact_types() -> list[type]:
    return [HelmChart]


def test_a_chart_uploads_and_its_chart_yaml_fills_the_fields(
    artifacts_app: ArtifactsClient,
) -> None:
    created = artifacts_app.create("helm_charts", name="web", version="1.2.3")
    assert created.status == 201, created.body
    artifact_id = created.json["id"]
    data = chart({"web/Chart.yaml": CHART_YAML, "web/values.yaml": b"replicas: 1\n"})
    uploaded = artifacts_app.upload("helm_charts", artifact_id, "chart", data)
    assert uploaded.status == 200, uploaded.body
    assert uploaded.json["app_version"] == "4.5.6"
    assert uploaded.json["kube_version"] == ">=1.25"
    assert uploaded.json["chart"]["status"] == "active"
    assert artifacts_app.activate("helm_charts", artifact_id).json["status"] == "active"
    assert artifacts_app.download("helm_charts", artifact_id, "chart").body == data


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 a zip", "a chart is a gzip-compressed tar archive"),
        (chart({"web/README.md": b"hi"}), "has no <name>/Chart.yaml"),
        (chart({"web/Chart.yaml": b"apiVersion: [v2\n"}), "member web/Chart.yaml, line 2"),
        (chart({"web/Chart.yaml": b"apiVersion: v3\n"}), "needs apiVersion v1 or v2"),
    ],
)
def test_what_is_not_a_chart_is_refused_saying_why(
    artifacts_app: ArtifactsClient, data: bytes, reason: str
) -> None:
    artifact_id = artifacts_app.create("helm_charts", name="web").json["id"]
    refused = artifacts_app.upload("helm_charts", artifact_id, "chart", data)
    assert refused.status == 400
    assert reason in refused.json["error"]["message"]
    assert artifacts_app.show("helm_charts", artifact_id).json["chart"] is None


def test_a_deprecated_chart_is_never_made_public(artifacts_app: ArtifactsClient) -> None:
    artifact_id = artifacts_app.create("helm_charts", name="web", deprecated=True).json["id"]
    data = chart({"web/Chart.yaml": CHART_YAML})
    assert artifacts_app.upload("helm_charts", artifact_id, "chart", data).status == 200
    assert artifacts_app.activate("helm_charts", artifact_id).status == 200
    artifacts_app.identity["X-Roles"] = "admin"
    refused = artifacts_app.update("helm_charts", artifact_id, visibility="public")
    assert refused.status == 403
    assert refused.json["error"]["message"] == (
        "Field 'deprecated': a deprecated chart cannot be made public"
    )


def test_version_1_0_rows_read_with_home_renamed() -> None:
    (migration,) = HelmChart.MIGRATIONS
    assert migration.upgrade({"home": "https://example.org"}) == {"home_url": "https://example.org"}
    assert migration.backport is not None
    assert migration.backport({"home_url": "x"}) == {"home": "x"}


def test_the_installed_package_serves_the_type(artifacts_server: ArtifactsClient) -> None:
    created = artifacts_server.create("helm_charts", name="web", version="1.0.0")
    assert created.status == 201, created.body
    data = chart({"web/Chart.yaml": CHART_YAML})
    uploaded = artifacts_server.upload("helm_charts", created.json["id"], "chart", data)
    assert uploaded.status == 200, uploaded.body
    assert uploaded.json["app_version"] == "4.5.6"
