"""A blob download through python-glanceclient or python-glareclient, run by their own
interpreters, against a server that answers with a presigned redirect.

    .venv-clients/bin/python tests/functional/redirected_download.py glance URL TOKEN ID
    .venv-glareclient/bin/python tests/functional/redirected_download.py glare URL TOKEN ID

Prints one JSON document: the bytes' length and sha256, and the MD5 the server announced.
"""

import hashlib
import json
import sys


def glance(url, token, image_id):
    from glanceclient import Client

    data = Client("2", endpoint=url, token=token).images.data(image_id)
    return b"".join(data), None


def glare(url, token, artifact_id):
    from glareclient.v1.client import Client

    wrapper = Client(url, auth_token=token).artifacts.download_blob(
        artifact_id, "image", type_name="images"
    )
    # Its iterator calls Python 2's .next(); the response it followed the redirect to is
    # read directly, as the wrapper would.
    return b"".join(wrapper.iter), wrapper.hash_md5


def main():
    door, url, token, artifact_id = sys.argv[1:5]
    body, announced = (glance if door == "glance" else glare)(url, token, artifact_id)
    print(
        json.dumps(
            {
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "md5": hashlib.md5(body).hexdigest(),
                "announced_md5": announced,
            }
        )
    )


if __name__ == "__main__":
    main()
