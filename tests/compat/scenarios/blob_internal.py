"""Internal locations: a blob pointed at a URL of the server's own store kind, not uploaded."""

from __future__ import annotations

from tests.compat.scenario import ADMIN, BOB, Session, scenario, send_patch

IMAGES = "/artifacts/images"
LOCATION = {"Content-Type": "application/vnd+openstack.glare-custom-location+json"}
V11 = {"OpenStack-API-Version": "artifact 1.1"}

#: A URL of a store kind Glare knows (its http store) that nothing listens on.
STORE_URL = "http://127.0.0.1:9/store/object"
MISSING = f"{IMAGES}/00000000-0000-4000-8000-000000000000"


def _image(s: Session, name: str) -> str:
    body = {"name": name, "container_format": "bare", "disk_format": "raw"}
    return f"{IMAGES}/{s.post(IMAGES, json=body).json['id']}"


def _internal(url: str, **digests: str) -> dict[str, str]:
    return {"url": url, **digests, "location_type": "internal"}


@scenario(
    "blob-internal-locations",
    "internal locations: store schemes refused to all, the admin-only rule, unknown schemes",
)
def blob_internal_locations(s: Session) -> None:
    image = _image(s, "internal")
    # The schemes of Glare's own stores are refused to everyone, before the artifact is read.
    for url in (
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file:/etc/passwd",
        " file:///etc/passwd",
        "filesystem:///var/lib/glare/images/x",
        "swift+config://ref1/container/object",
        "sql://00000000-0000-4000-8000-000000000000",
    ):
        s.put(f"{image}/image", json=_internal(url, md5="x"), headers=LOCATION)
        s.put(f"{image}/image", json=_internal(url, md5="x"), headers=LOCATION, as_=ADMIN)
    s.put(f"{MISSING}/image", json=_internal("file:///etc/passwd"), headers=LOCATION, as_=BOB)
    s.put(f"{image}/nosuchblob", json=_internal("file:///etc/passwd"), headers=LOCATION)
    # Schemes no store knows: a bad request, again before the artifact is read.
    for url in ("swift://host/container/object", "s3://bucket/key", "/blobs/x", "", "127.0.0.1/x"):
        s.put(f"{image}/image", json=_internal(url), headers=LOCATION)
    s.put(f"{MISSING}/image", json=_internal("s3://bucket/key"), headers=LOCATION, as_=ADMIN)
    # A store Glare knows (http): the admin-only rule, after the artifact is looked up.
    s.put(f"{image}/image", json=_internal(STORE_URL), headers=LOCATION)
    s.put(f"{image}/image", json=_internal(STORE_URL, md5="x"), headers=LOCATION)
    s.put(f"{image}/image", json=_internal("HTTPS://127.0.0.1:9/x", md5="x"), headers=LOCATION)
    s.put(f"{image}/image", json=_internal(STORE_URL), headers=LOCATION, as_=BOB)
    s.put(f"{image}/image", json=_internal(STORE_URL), headers=LOCATION, as_=None)
    s.put(f"{MISSING}/image", json=_internal(STORE_URL), headers=LOCATION)
    s.put(f"{image}/nosuchblob", json=_internal(STORE_URL), headers=LOCATION)
    s.put(f"{image}/image", json={**_internal(STORE_URL), "size": 3}, headers=LOCATION)
    template = s.post("/artifacts/heat_templates", json={"name": "internal"}).json["id"]
    nested = f"/artifacts/heat_templates/{template}/nested_templates/a.yaml"
    s.put(nested, json=_internal(STORE_URL), headers=LOCATION)
    s.put(nested, json=_internal("file:///etc/hosts"), headers=LOCATION)
    s.get(image)
    # The rule comes before the artifact's status and visibility are considered.
    public = _image(s, "public")
    send_patch(s, public, ("replace", "/status", "active"))
    s.put(f"{public}/image", json=_internal(STORE_URL), headers=LOCATION)
    send_patch(s, public, ("replace", "/visibility", "public"), as_=ADMIN)
    s.put(f"{public}/image", json=_internal(STORE_URL), headers=LOCATION)
    s.put(f"{public}/image", json=_internal(STORE_URL), headers=LOCATION, as_=BOB)
    s.put(f"{public}/image", json=_internal(STORE_URL), headers=LOCATION, as_=None)
    s.put(f"{public}/image", json=_internal(STORE_URL), headers=LOCATION, as_=ADMIN)
    # An administrator's internal location: Glare takes it, then fetches the URL itself on
    # download, cannot delete the blob, and fails deleting the artifact. We refuse it.
    adopted = _image(s, "adopted")
    s.put(
        f"{adopted}/image",
        json=_internal(STORE_URL),
        headers=LOCATION,
        as_=ADMIN,
        deviation="internal-locations",
    )
    s.get(adopted, as_=ADMIN, deviation="internal-locations")
    s.get(f"{adopted}/image", as_=ADMIN, deviation="internal-locations")
    s.delete(f"{adopted}/image", headers=V11, as_=ADMIN, deviation="internal-locations")
    # Last: Glare leaves the artifact behind in status "deleted".
    s.delete(adopted, as_=ADMIN, deviation="internal-locations")
