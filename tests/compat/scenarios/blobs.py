"""Blobs: uploads, downloads and their headers, blob dicts, external and internal locations."""

from __future__ import annotations

import io
import zipfile

from tests.compat.scenario import ADMIN, BOB, Session, scenario, send_patch

IMAGES = "/artifacts/images"
OCTETS = {"Content-Type": "application/octet-stream"}
LOCATION = {"Content-Type": "application/vnd+openstack.glare-custom-location+json"}
V11 = {"OpenStack-API-Version": "artifact 1.1"}
#: An external location on loopback that nothing listens on: Glare never fetches it.
EXTERNAL = "http://127.0.0.1:9/blobs/disk.img"

HEAT_TEMPLATE = b"heat_template_version: 2018-08-31\nresources: {}\n"
HEAT_ENVIRONMENT = b"parameters:\n  size: 1\n"
TOSCA_TEMPLATE = b"tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template: {}\n"
MANIFEST = b"Format: 1.0\nType: Application\nFullName: io.example.App\nName: App\n"


def _murano_package() -> bytes:
    """A Murano package both servers accept: a zip with a manifest and no classes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("manifest.yaml", date_time=(2020, 1, 1, 0, 0, 0))
        archive.writestr(info, MANIFEST)
    return buffer.getvalue()


def _image(s: Session, name: str) -> str:
    body = {"name": name, "container_format": "bare", "disk_format": "raw"}
    return f"{IMAGES}/{s.post(IMAGES, json=body).json['id']}"


@scenario("blob-upload", "uploading image data: content types, sizes, re-uploads, statuses")
def blob_upload(s: Session) -> None:
    image = _image(s, "uploaded")
    s.put(f"{image}/image", data=b"first bytes", headers=OCTETS)
    s.get(f"{image}/image")
    s.put(f"{image}/image", data=b"second, longer bytes", headers=OCTETS)
    s.get(f"{image}/image")
    s.put(
        f"{image}/image",
        data=b"plain text",
        headers={"Content-Type": "text/plain"},
        deviation="reupload-content-type",
    )
    s.get(f"{image}/image", deviation="reupload-content-type")
    s.put(f"{image}/image", data=b"no content type")
    s.put(f"{image}/image", data=b"", headers=OCTETS)
    s.get(f"{image}/image")
    s.get(image)
    s.put(f"{image}/image/key", data=b"x", headers=OCTETS)
    s.put(f"{image}/nosuchblob", data=b"x", headers=OCTETS)
    s.put(f"{image}/name", data=b"x", headers=OCTETS)
    s.put(f"{image}/image", data=b"x", headers=OCTETS, as_=BOB)
    s.put(f"{image}/image", data=b"by admin", headers=OCTETS, as_=ADMIN)
    s.get(f"{image}/image", as_=BOB)
    s.get(f"{image}/image", as_=ADMIN)
    s.get(f"{image}/image/key")
    s.get(f"{image}/nosuchblob")
    s.get(f"{image}/name")
    typed = _image(s, "typed")
    s.put(f"{typed}/image", data=b"{}", headers={"Content-Type": "application/json"})
    s.get(f"{typed}/image")
    s.put(f"{typed}/image", data=b"x", headers=LOCATION, deviation="json-error-pages")
    empty = _image(s, "empty")
    s.get(f"{empty}/image")
    send_patch(s, empty, ("replace", "/status", "active"))
    s.put(f"{empty}/image", data=b"after activation", headers=OCTETS)
    send_patch(s, image, ("replace", "/status", "active"))
    s.put(f"{image}/image", data=b"after activation", headers=OCTETS)
    s.get(f"{image}/image")
    send_patch(s, image, ("replace", "/visibility", "public"), as_=ADMIN)
    s.get(image, as_=BOB)
    s.get(f"{image}/image", as_=BOB, deviation="public-download")
    s.get(f"{image}/image", as_=None, deviation="public-download")
    send_patch(s, image, ("replace", "/status", "deactivated"), as_=ADMIN)
    s.get(f"{image}/image")
    s.get(f"{image}/image", as_=ADMIN)
    s.get(f"{image}/image", as_=BOB)


@scenario("blob-types", "the blobs of heat, TOSCA and Murano artifacts, then activation")
def blob_types(s: Session) -> None:
    yaml = {"Content-Type": "application/x-yaml"}
    template = s.post("/artifacts/heat_templates", json={"name": "stack"}).json["id"]
    path = f"/artifacts/heat_templates/{template}"
    s.put(f"{path}/template", data=HEAT_TEMPLATE, headers=yaml)
    s.get(f"{path}/template")
    s.put(f"{path}/nested_templates/server.yaml", data=HEAT_TEMPLATE, headers=yaml)
    s.put(f"{path}/nested_templates/lib/net.yaml", data=HEAT_TEMPLATE, headers=yaml)
    s.get(f"{path}/nested_templates/server.yaml")
    s.get(f"{path}/nested_templates/lib/net.yaml")
    s.get(f"{path}/nested_templates/missing.yaml")
    s.get(f"{path}/nested_templates")
    s.put(f"{path}/nested_templates", data=HEAT_TEMPLATE, headers=yaml)
    s.put(f"{path}/template/key", data=HEAT_TEMPLATE, headers=yaml)
    s.put(f"{path}/nested_templates/server.yaml", data=HEAT_TEMPLATE, headers=yaml)
    s.put(f"{path}/nested_templates/", data=HEAT_TEMPLATE, headers=yaml)
    send_patch(s, path, ("replace", "/status", "active"))
    s.put(f"{path}/nested_templates/late.yaml", data=HEAT_TEMPLATE, headers=yaml)
    s.put(f"{path}/template", data=HEAT_TEMPLATE, headers=yaml)
    s.get(path)
    environment = s.post("/artifacts/heat_environments", json={"name": "env"}).json["id"]
    path = f"/artifacts/heat_environments/{environment}"
    s.put(f"{path}/environment", data=HEAT_ENVIRONMENT, headers=yaml)
    send_patch(s, path, ("replace", "/status", "active"))
    s.get(f"{path}/environment")
    tosca = s.post(
        "/artifacts/tosca_templates", json={"name": "tosca", "template_format": "yaml"}
    ).json["id"]
    path = f"/artifacts/tosca_templates/{tosca}"
    s.put(f"{path}/template", data=TOSCA_TEMPLATE, headers=yaml)
    send_patch(s, path, ("replace", "/status", "active"))
    s.get(f"{path}/template")
    # The package declares what the manifest says, so what our plugin reads from it changes
    # nothing.
    package = s.post(
        "/artifacts/murano_packages",
        json={"name": "app", "display_name": "App", "class_definitions": []},
    ).json["id"]
    path = f"/artifacts/murano_packages/{package}"
    s.put(f"{path}/package", data=_murano_package(), headers={"Content-Type": "application/zip"})
    send_patch(s, path, ("replace", "/status", "active"))
    s.get(f"{path}/package")
    s.get(path)


@scenario("blob-locations", "external and internal locations: adding, downloading, deleting")
def blob_locations(s: Session) -> None:
    image = _image(s, "external")
    s.put(f"{image}/image", json={"url": EXTERNAL, "md5": "not-a-digest"}, headers=LOCATION)
    # Glare sends the checksums a location lacks as the text "None"; we leave them out.
    s.get(f"{image}/image", deviation="absent-checksum-headers")
    s.get(f"{image}/image", headers=V11, deviation="absent-checksum-headers")
    s.put(f"{image}/image", json={"url": EXTERNAL, "md5": "again"}, headers=LOCATION)
    refused = _image(s, "refused")
    for body in (
        {"md5": "x"},
        {"url": EXTERNAL},
        {"url": "ftp://127.0.0.1/disk.img", "md5": "x"},
        {"url": "127.0.0.1/disk.img", "md5": "x"},
        {"url": EXTERNAL, "md5": "x", "location_type": "sideways"},
        {"url": "file:///etc/passwd", "md5": "x", "location_type": "internal"},
        {"url": "nosuch://x/y", "md5": "x", "location_type": "internal"},
    ):
        s.put(f"{refused}/image", json=body, headers=LOCATION)
        s.put(f"{refused}/image", json=body, headers=LOCATION, as_=ADMIN)
    s.put(
        f"{refused}/image",
        json={"url": EXTERNAL, "md5": "x", "sha1": "y", "sha256": "z"},
        headers=LOCATION,
        as_=BOB,
    )
    s.put(f"{refused}/image", data="{not json", headers=LOCATION, deviation="json-error-pages")
    s.put(f"{refused}/image", json=[EXTERNAL], headers=LOCATION)
    s.put(f"{refused}/image/key", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION)
    s.get(refused)
    full = _image(s, "digests")
    s.put(
        f"{full}/image",
        json={"url": EXTERNAL, "md5": "m", "sha1": "s1", "sha256": "s256"},
        headers=LOCATION,
    )
    s.get(f"{full}/image")
    s.delete(f"{full}/image")
    s.delete(f"{full}/image", headers=V11)
    s.delete(f"{full}/image", headers=V11)
    s.get(f"{full}/image")
    active = _image(s, "active")
    send_patch(s, active, ("replace", "/status", "active"))
    s.put(f"{active}/image", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION)
    s.put(f"{active}/image", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION, as_=ADMIN)
    uploaded = _image(s, "uploaded")
    s.put(f"{uploaded}/image", data=b"internal bytes", headers=OCTETS)
    s.delete(f"{uploaded}/image", headers=V11)
    s.put(f"{uploaded}/image", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION)
    external_active = _image(s, "external-active")
    s.put(f"{external_active}/image", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION)
    send_patch(s, external_active, ("replace", "/status", "active"))
    s.delete(f"{external_active}/image", headers=V11, deviation="active-external-delete")
    s.get(external_active, deviation="active-external-delete")
    template = s.post("/artifacts/heat_templates", json={"name": "nested"}).json["id"]
    path = f"/artifacts/heat_templates/{template}"
    s.put(f"{path}/nested_templates/a.yaml", json={"url": EXTERNAL, "md5": "x"}, headers=LOCATION)
    s.get(f"{path}/nested_templates/a.yaml", deviation="absent-checksum-headers")
    s.delete(f"{path}/nested_templates/a.yaml", headers=V11)
    s.delete(f"{path}/nested_templates/b.yaml", headers=V11)
    s.get(path)
    # Last: Glare's answer names a new store object, whose id would shift every later one.
    s.put(
        f"{image}/image",
        data=b"bytes over an external blob",
        headers=OCTETS,
        deviation="reupload-external",
    )
