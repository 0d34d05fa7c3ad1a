"""The compatibility figures the README states, computed from the recordings.

    python -m tests.compat.figures                 # print them
    python -m tests.compat.figures --replay        # and replay every exchange to check them
    python -m tests.compat.figures --write-readme  # refresh the block in README.md

An exchange is *identical* when our answer must equal the peer's (normalised as in
:mod:`tests.compat.transcript`), and a *deviation* when it is marked with a listed deviation id;
the replay tests hold us to both, so while they pass the figures are measured, not claimed.
``--replay`` runs the same comparison on a scratch SQLite database and counts what it finds.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.compat.replay import GLOBAL_DEVIATIONS, RECORDINGS, load, recordings

README = Path(__file__).parents[2] / "README.md"
BEGIN, END = "<!-- compat-figures -->", "<!-- /compat-figures -->"
PEERS = {"glare": "Glare 5.0.1", "glance": "Glance 33"}
DOCS = {"glare": "docs/glare-v1-wire.md", "glance": "docs/glance-v2.md"}


@dataclass(frozen=True)
class Figures:
    protocol: str
    scenarios: int
    exchanges: int
    deviating: int
    deviation_ids: int

    @property
    def identical(self) -> int:
        return self.exchanges - self.deviating


def count(protocol: str) -> Figures:
    """Count scenarios, exchanges and marked deviations in ``recordings/<protocol>/``."""
    paths = recordings(protocol)
    exchanges = [e for path in paths for e in load(path)["exchanges"]]
    marked = [e["deviation"] for e in exchanges if "deviation" in e]
    ids = set(marked) | (set(GLOBAL_DEVIATIONS) if protocol == "glare" else set())
    return Figures(protocol, len(paths), len(exchanges), len(marked), len(ids))


def replayed_differences(protocol: str) -> int:
    """Replay every recording on a scratch SQLite database; count answers that differ."""
    from artifacts.db import migrate
    from artifacts.db.session import Database, build_engine
    from tests.compat import ours
    from tests.compat.replay import replay

    if protocol != "glare":
        raise SystemExit("--replay covers the Glare recordings (test_replay_glance.py the rest)")
    problems = 0
    for path in recordings(protocol):
        with tempfile.TemporaryDirectory() as scratch:
            engine = build_engine(f"sqlite:///{scratch}/figures.db")
            migrate.upgrade(engine)
            sender = ours.sender(Database(engine), ours.glare_types(), Path(scratch))
            problems += len(replay(load(path), sender))
            engine.dispose()
    return problems


def readme_block(figures: list[Figures]) -> str:
    lines = [
        BEGIN,
        "| recorded against | scenarios | exchanges | replayed identically | deliberate "
        "deviations (exchanges / listed reasons) |",
        "|---|---|---|---|---|",
    ]
    for fig in figures:
        lines.append(
            f"| {PEERS[fig.protocol]} | {fig.scenarios} | {fig.exchanges} | {fig.identical} | "
            f"{fig.deviating} / {fig.deviation_ids} ([{DOCS[fig.protocol]}]"
            f"({DOCS[fig.protocol]}#deviations)) |"
        )
    lines.append(END)
    return "\n".join(lines)


def current_block(text: str) -> str | None:
    found = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, flags=re.DOTALL)
    return found.group(0) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replay", action="store_true", help="replay the Glare recordings too")
    parser.add_argument("--write-readme", action="store_true", help="refresh README.md's block")
    args = parser.parse_args(argv)
    figures = [count(p) for p in PEERS if (RECORDINGS / p).is_dir()]
    print(json.dumps([{**vars(f), "identical": f.identical} for f in figures], indent=1))
    if args.replay:
        differing = replayed_differences("glare")
        print(f"glare: {differing} answers differ from the recordings on replay")
        if differing:
            return 1
    if args.write_readme:
        text = README.read_text()
        block = current_block(text)
        if block is None:
            raise SystemExit(f"README.md has no {BEGIN} … {END} block to refresh")
        README.write_text(text.replace(block, readme_block(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
