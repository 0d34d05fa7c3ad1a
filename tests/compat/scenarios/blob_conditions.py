"""Blob downloads with ranges and preconditions, HEAD, and uploads that carry Content-Range."""

from __future__ import annotations

import hashlib

from tests.compat.scenario import Session, scenario

TEMPLATE = (
    b"heat_template_version: 2016-04-08\ndescription: ranged downloads\n"
    b"resources:\n  pad:\n    type: OS::Heat::None\n    properties: {}\n"
)
OCTETS = {"Content-Type": "application/octet-stream"}


@scenario("blob-downloads", "ranges, conditional GETs, HEAD and a Content-Range upload")
def blob_downloads(s: Session) -> None:
    created = s.post("/artifacts/heat_templates", json={"name": "ranged", "version": "1.0.0"})
    blob = f"/artifacts/heat_templates/{created.json['id']}/template"
    s.put(blob, data=TEMPLATE, headers=OCTETS)
    tag = f'"{hashlib.sha256(TEMPLATE).hexdigest()}"'
    stale = f'"{hashlib.sha256(b"other data").hexdigest()}"'
    s.get(blob)
    # Glare ignores Range and every precondition; we honour them (deviations below).
    s.get(blob, headers={"Range": "bytes=0-3"}, deviation="blob-ranges")
    s.get(blob, headers={"Range": "bytes=-5"}, deviation="blob-ranges")
    s.get(blob, headers={"Range": "bytes=1000-"}, deviation="blob-ranges")
    s.get(blob, headers={"Range": "bytes=0-3", "If-Range": tag}, deviation="blob-ranges")
    # Where we answer as Glare does: several ranges, a stale If-Range, a Range we cannot read.
    s.get(blob, headers={"Range": "bytes=0-3,5-6"})
    s.get(blob, headers={"Range": "bytes=0-3", "If-Range": stale})
    s.get(blob, headers={"Range": "items=0-3"})
    s.get(blob, headers={"If-None-Match": stale})
    s.get(blob, headers={"If-Match": tag})
    s.get(blob, headers={"If-None-Match": tag}, deviation="blob-preconditions")
    s.get(blob, headers={"If-None-Match": "*"}, deviation="blob-preconditions")
    s.get(blob, headers={"If-Match": stale}, deviation="blob-preconditions")
    s.request("HEAD", blob, deviation="blob-head")
    s.put(
        blob,
        data=TEMPLATE[:10],
        headers={**OCTETS, "Content-Range": f"bytes 0-9/{len(TEMPLATE)}"},
        deviation="blob-upload-content-range",
    )
    # Glare stored the ten bytes as the whole blob; we still have all of it.
    s.get(blob, deviation="blob-upload-content-range")
