"""Record scenarios against a live Glare 5.0.1 or Glance 33 into ``recordings/<protocol>/``.

    /work/shared/tools/start_glare_peer.sh 9610 noauth     # and, for "trusted" scenarios,
    /work/shared/tools/start_glare_peer.sh 9611 trusted
    /work/shared/tools/start_glance_peer.sh 9612            # for the "glance" scenarios
    python -m tests.compat.record --noauth http://127.0.0.1:9610 \
        --trusted http://127.0.0.1:9611 --glance http://127.0.0.1:9612 [NAME...]

Before each scenario every artifact on the peer is deleted (as an admin, unrecorded), so a
scenario starts from an empty repository, as its replay does. Re-recording keeps the
``expected_ours`` of exchanges that are still marked with the same deviation.

    python -m tests.compat.record --fill-ours [NAME...]

replays recordings against our server (in process, on a scratch SQLite database) and writes,
for every exchange marked with a deviation, what our answer differs in as its ``expected_ours``.
Review that diff: it is what the replay test will hold us to.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import requests

from tests.compat import scenarios as scenario_package
from tests.compat.replay import RECORDINGS
from tests.compat.scenario import ADMIN, ALICE, REGISTERED, Actor, Reply, Scenario
from tests.compat.transcript import IdMap, response_record

PEERS = {"glare": "Glare 5.0.1", "glance": "Glance 33.0.0"}


def load_scenarios() -> list[Scenario]:
    for module in pkgutil.iter_modules(scenario_package.__path__):
        importlib.import_module(f"{scenario_package.__name__}.{module.name}")
    names = [s.name for s in REGISTERED]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"scenario names used twice: {sorted(duplicates)}")
    return list(REGISTERED)


class RecordingSession:
    """A :class:`~tests.compat.scenario.Session` that talks to Glare and writes down everything."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")
        self.ids = IdMap()
        self.exchanges: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        as_: Actor | None = ALICE,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        deviation: str | None = None,
    ) -> Reply:
        sent = dict(as_.headers() if as_ else {})
        body = b""
        recorded: dict[str, Any] = {"method": method, "path": self.ids.to_tokens(path)}
        if json is not None:
            sent["Content-Type"] = "application/json"
            body = _dumps(json).encode()
            recorded["json"] = self.ids.request_value(json, self.ids.to_tokens)
        elif data is not None:
            body = data.encode() if isinstance(data, str) else data
            try:
                recorded["data"] = self.ids.to_tokens(body.decode())
            except UnicodeDecodeError:
                # Binary data (an archive) carries no ids: kept as it was sent.
                recorded["data_base64"] = base64.b64encode(body).decode()
        sent.update(headers or {})
        self.ids.learn_request(path + body.decode("utf-8", "replace"))
        recorded["headers"] = {k: self.ids.to_tokens(v) for k, v in sent.items()}
        # requests adds Accept, User-Agent and friends unless told not to; send only ours.
        prepared = requests.Request(method, self._base + path, headers=sent, data=body).prepare()
        for name in ("Accept", "User-Agent", "Accept-Encoding", "Connection"):
            if name not in sent:
                prepared.headers.pop(name, None)
        # A connection per request: uWSGI (the Glance peer) closes idle ones under our feet.
        with requests.Session() as http:
            response = http.send(prepared, allow_redirects=False)
        headers_got = dict(response.headers)
        exchange: dict[str, Any] = {
            "request": recorded,
            "response": response_record(
                self.ids, response.status_code, headers_got, response.content
            ),
        }
        if deviation:
            exchange["deviation"] = deviation
        self.exchanges.append(exchange)
        return Reply(response.status_code, headers_got, response.content)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Reply:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Reply:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Reply:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


def _dumps(value: Any) -> str:
    return json.dumps(value)


def empty_glance(base_url: str) -> None:
    """Delete every image on a Glance peer (every request there runs as an admin)."""
    base = base_url.rstrip("/")
    for _ in range(20):
        listing = requests.get(f"{base}/v2/images?limit=1000", timeout=30)
        listing.raise_for_status()
        images = listing.json()["images"]
        if not images:
            return
        for image in images:
            url = f"{base}/v2/images/{image['id']}"
            if image.get("protected"):
                patch = [{"op": "replace", "path": "/protected", "value": False}]
                media = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
                requests.patch(url, json=patch, headers=media, timeout=30)
            requests.delete(url, timeout=30)
    raise RuntimeError(f"{base_url} still holds images after 20 rounds of deletion")


def empty_peer(base_url: str, flavor: str) -> None:
    """Delete every artifact (as an admin), so the next scenario starts from nothing."""
    if flavor == "trusted":
        headers = {"X-Auth-Token": f"{ADMIN.user}:{ADMIN.project}:admin"}
    else:
        headers = ADMIN.headers()
    base = base_url.rstrip("/")
    for _ in range(20):
        listing = requests.get(f"{base}/artifacts/all?limit=1000", headers=headers, timeout=30)
        listing.raise_for_status()
        items = listing.json()["artifacts"]
        if not items:
            return
        for item in items:
            url = f"{base}/artifacts/{item['type_name']}/{item['id']}"
            requests.delete(url, headers=headers, timeout=30)
    raise RuntimeError(f"{base_url} still holds artifacts after 20 rounds of deletion")


def record(scenario: Scenario, base_url: str) -> Path:
    if scenario.protocol == "glance":
        empty_glance(base_url)
    else:
        empty_peer(base_url, scenario.flavor)
    session = RecordingSession(base_url)
    scenario.run(session)
    target = RECORDINGS / scenario.protocol / f"{scenario.name}.json"
    _keep_expected_ours(target, session.exchanges)
    document = {
        "scenario": scenario.name,
        "description": scenario.description,
        "module": scenario.module.rsplit(".", 1)[-1],
        "peer": f"{PEERS[scenario.protocol]} ({scenario.flavor})",
        "flavor": scenario.flavor,
        "exchanges": session.exchanges,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return target


def _keep_expected_ours(target: Path, exchanges: list[dict[str, Any]]) -> None:
    if not target.exists():
        return
    old = json.loads(target.read_text())["exchanges"]
    for new, previous in zip(exchanges, old, strict=False):
        same = (
            new["request"]["method"] == previous["request"]["method"]
            and new["request"]["path"] == previous["request"]["path"]
            and new.get("deviation") == previous.get("deviation")
        )
        if same and new.get("deviation") and "expected_ours" in previous:
            new["expected_ours"] = previous["expected_ours"]


def fill_expected_ours(path: Path) -> int:
    """Set ``expected_ours`` of the deviation-marked exchanges of one recording from our answers."""
    import tempfile

    from artifacts.db import migrate
    from artifacts.db.session import Database, build_engine
    from tests.compat import ours
    from tests.compat.replay import load, replay

    document = load(path)
    with tempfile.TemporaryDirectory() as scratch:
        engine = build_engine(f"sqlite:///{scratch}/replay.db")
        migrate.upgrade(engine)
        answers: list[dict[str, Any]] = []
        database = Database(engine)
        if path.parent.name == "glance":
            send = ours.glance_sender(database, Path(scratch))
        else:
            send = ours.sender(database, ours.glare_types(), Path(scratch))
        replay(document, send, answers)
        engine.dispose()
    filled = 0
    for exchange, answer in zip(document["exchanges"], answers, strict=True):
        if not exchange.get("deviation"):
            continue
        exchange["expected_ours"] = _difference(exchange["response"], answer)
        filled += 1
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return filled


def _difference(glare_raw: dict[str, Any], ours_raw: dict[str, Any]) -> dict[str, Any]:
    from tests.compat.transcript import comparable, expected_for_us

    glare, ours = comparable(glare_raw), comparable(ours_raw)
    out: dict[str, Any] = {}
    if glare["status"] != ours["status"]:
        out["status"] = ours["status"]
    # Raw names too: a header the comparison ignores for Glare's answer (a plain-text fault's
    # length) still has to be absent from what ours is held to.
    names = set(glare_raw["headers"]) | set(ours_raw["headers"])
    headers = {
        name: ours_raw["headers"].get(name)
        for name in sorted(names)
        if glare["headers"].get(name) != ours["headers"].get(name)
        or (name in glare_raw["headers"]) != (name in ours_raw["headers"])
    }
    if headers:
        out["headers"] = headers
    bodies = ("json", "text", "bytes")
    if any(glare.get(k) != ours.get(k) for k in bodies):
        out.update({k: ours_raw[k] for k in bodies if k in ours_raw})
        if not any(k in ours_raw for k in bodies):
            out["text"] = None  # no body at all (a 304, a HEAD)
    # A new body can change which headers count (a content length is compared for text only).
    expected = comparable(expected_for_us({"response": glare_raw, "expected_ours": out}))
    for name in sorted(set(expected["headers"]) | set(ours["headers"])):
        if expected["headers"].get(name) != ours["headers"].get(name):
            out.setdefault("headers", {})[name] = ours_raw["headers"].get(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noauth", help="base URL of a Glare peer started with 'noauth'")
    parser.add_argument("--trusted", help="base URL of a Glare peer started with 'trusted'")
    parser.add_argument(
        "--fill-ours",
        action="store_true",
        help="write our answers into the deviation-marked exchanges instead of recording",
    )
    parser.add_argument("--glance", help="base URL of a Glance peer (start_glance_peer.sh)")
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    args = parser.parse_args(argv)
    if args.fill_ours:
        from tests.compat.replay import recordings

        for path in [*recordings("glare"), *recordings("glance")]:
            if not args.names or path.stem in args.names:
                print(f"{path.stem}: expected_ours set on {fill_expected_ours(path)} exchanges")
        return 0
    chosen = [s for s in load_scenarios() if not args.names or s.name in args.names]
    unknown = set(args.names) - {s.name for s in chosen}
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    for item in chosen:
        peer = "glance" if item.protocol == "glance" else item.flavor
        url = {"glance": args.glance, "trusted": args.trusted}.get(peer, args.noauth)
        if not url:
            print(f"skip {item.name}: no --{peer} peer given", file=sys.stderr)
            continue
        target = record(item, url)
        count = len(json.loads(target.read_text())["exchanges"])
        print(f"{item.name}: {count} exchanges -> {target.relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
