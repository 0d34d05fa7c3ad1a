"""The table of connections per worker: who defers to whom, and by how many it is ahead."""

from __future__ import annotations

import os
import subprocess
import sys

from api.connection_share import ConnectionShare


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def _claimed(share: ConnectionShare, pid: int) -> int:
    slot = share.reserve()
    assert slot is not None
    share.claim(slot)
    share._rows[2 * slot] = pid  # the claim of another process, as the table shows it
    return slot


def test_a_worker_defers_only_to_a_live_worker_holding_fewer() -> None:
    share = ConnectionShare(6)
    mine = _claimed(share, os.getpid())
    other = _claimed(share, os.getppid())
    assert not share.fewer_elsewhere(mine)  # 0 and 0
    share.publish(mine, 2)
    share.publish(other, 1)
    assert share.fewer_elsewhere(mine)
    assert not share.fewer_elsewhere(other)
    assert share.ahead(mine, 2, 1)
    assert not share.ahead(mine, 2, 2)
    assert not share.ahead(other, 1, 1)


def test_slots_no_worker_accepts_on_are_never_the_fewest() -> None:
    share = ConnectionShare(6)
    mine = _claimed(share, os.getpid())
    share.publish(mine, 5)
    reserved = share.reserve()  # a worker being forked: not accepting yet
    assert reserved is not None
    assert not share.fewer_elsewhere(mine)
    assert not share.ahead(mine, 5, 1)
    gone = _claimed(share, os.getppid())
    share.release(gone)
    assert not share.fewer_elsewhere(mine)


def test_a_crashed_workers_stale_count_is_ignored() -> None:
    share = ConnectionShare(6)
    mine = _claimed(share, os.getpid())
    _claimed(share, _dead_pid())  # holds 0 connections on paper, and no longer runs
    share.publish(mine, 3)
    assert not share.fewer_elsewhere(mine)
    assert not share.ahead(mine, 3, 1)
