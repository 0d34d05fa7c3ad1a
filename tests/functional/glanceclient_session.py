"""A life cycle through python-glanceclient's library, run by the clients' own interpreter.

    .venv-clients/bin/python tests/functional/glanceclient_session.py URL TOKEN FILE

Prints one JSON document of what it saw, for tests/functional/test_glance_clients.py to check.
glanceclient is not importable from the project's virtualenv (its pins are its own).
"""

import hashlib
import json
import sys

from glanceclient import Client


def main() -> None:
    url, token, path = sys.argv[1:4]
    glance = Client("2", endpoint=url, token=token)
    data = open(path, "rb").read()  # noqa: SIM115 - a short script
    created = glance.images.create(
        name="lib-image", disk_format="raw", container_format="bare", flavor="tiny"
    )
    with open(path, "rb") as stream:
        glance.images.upload(created.id, stream)
    shown = glance.images.get(created.id)
    downloaded = b"".join(glance.images.data(created.id))
    glance.images.update(created.id, name="lib-renamed", flavor="small", remove_props=[])
    glance.image_tags.update(created.id, "lib-tag")
    for name in ("page-a", "page-b", "page-c"):
        glance.images.create(name=name, disk_format="raw", container_format="bare")
    paged = [
        image.name for image in glance.images.list(page_size=2, sort_key="name", sort_dir="asc")
    ]
    tagged = [image.name for image in glance.images.list(filters={"tag": ["lib-tag"]})]
    by_property = [image.name for image in glance.images.list(filters={"flavor": "small"})]
    after = glance.images.get(created.id)
    glance.images.delete(created.id)
    remaining = [image.name for image in glance.images.list()]
    print(
        json.dumps(
            {
                "status": shown.status,
                "size": shown.size,
                "checksum": shown.checksum,
                "md5": hashlib.md5(data).hexdigest(),
                "same_data": downloaded == data,
                "paged": paged,
                "tagged": tagged,
                "by_property": by_property,
                "renamed": after.name,
                "flavor": after.flavor,
                "tags": list(after.tags),
                "remaining": sorted(remaining),
            }
        )
    )


if __name__ == "__main__":
    main()
