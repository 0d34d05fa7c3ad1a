"""etc/gunicorn.conf.py gives gunicorn the same settings ``artifacts serve`` would."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from api import gunicorn_hooks
from api.gunicorn_hooks import child_exit, post_worker_init
from artifacts.cli import _gunicorn_command
from artifacts.config import load_settings

CONF = Path(__file__).resolve().parents[2] / "etc" / "gunicorn.conf.py"


def test_sample_gunicorn_config_matches_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ARTIFACTS_CONFIG", "ARTIFACTS_WORKERS", "ARTIFACTS_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARTIFACTS_DATA_DIR", str(tmp_path))
    metrics_dir = tmp_path / "metrics" / "here"
    metrics_dir.mkdir(parents=True)
    (metrics_dir / "counter_1.db").write_bytes(b"from the last run")
    # setenv, so the variable is restored after the test (the config file sets it too).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))

    conf = runpy.run_path(str(CONF))

    settings = load_settings()
    command = _gunicorn_command(settings, settings.bind, settings.workers, settings.threads)
    flags = dict(zip(command[3:-1:2], command[4:-1:2], strict=True))
    assert conf["worker_class"] == flags["--worker-class"]
    assert str(conf["workers"]) == flags["--workers"]
    assert str(conf["threads"]) == flags["--threads"]
    assert str(conf["timeout"]) == flags["--timeout"]
    assert str(conf["graceful_timeout"]) == flags["--graceful-timeout"]
    assert str(conf["keepalive"]) == flags["--keep-alive"]
    assert str(conf["max_requests"]) == flags["--max-requests"]
    assert str(conf["max_requests_jitter"]) == flags["--max-requests-jitter"]
    assert conf["child_exit"] is child_exit
    assert conf["post_worker_init"] is post_worker_init
    assert conf["accesslog"] is None
    assert conf["control_socket_disable"] is gunicorn_hooks.control_socket_disable is True
    assert list(metrics_dir.iterdir()) == []  # emptied at start
