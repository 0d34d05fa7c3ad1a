"""A server worker loads only what serving needs: not oslo.messaging (and with it eventlet,
oslo.service and dnspython), which oslo.versionedobjects would pull in, nor Alembic, nor
requests (oslo.policy's http check plugin), nor boto3 without an S3 store, nor Jinja2 before
the catalog renders a page, nor cryptography before an image signature is verified."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from api.wsgi import create_wsgi_app
create_wsgi_app()
loaded = sorted({name.split(".")[0] for name in sys.modules})
import oslo_messaging  # code that wants the real package still gets it
print(json.dumps({"loaded": loaded, "real": hasattr(oslo_messaging, "get_rpc_transport")}))
"""


def test_a_worker_app_is_built_without_what_it_does_not_serve(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env["ARTIFACTS_DATA_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "artifacts.cli", "db", "upgrade"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, check=True, capture_output=True
    )
    found = json.loads(done.stdout)
    loaded = set(found["loaded"])
    unwanted = {"oslo_messaging", "eventlet", "oslo_service", "dns", "alembic", "mako", "requests"}
    unwanted |= {"boto3", "botocore", "s3transfer", "jinja2", "cryptography"}
    assert not loaded & unwanted
    assert found["real"]
