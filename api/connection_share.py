"""How many connections each worker of one server holds, so that new ones go to the fewest.

Every gunicorn worker listens on the same socket, and the kernel wakes whichever is waiting
when a client connects: often the same one, several times in a row. A kept-alive connection
then stays with that worker for its whole life, so with 32 clients one worker may hold 16 and
queue their requests on its three threads while another holds 6 and idles, and past a few
clients throughput stops growing and the tail stretches.

This table, one slot per live worker in memory shared by the master and its workers, lets a
worker stop accepting while another holds fewer connections than it does: new clients then
land on the least loaded worker, and a steady set of keep-alive clients is spread evenly. The
least loaded worker always accepts, so nothing waits on the table; a worker that finds no
free slot (or a stale one) simply accepts as gunicorn does.
"""

from __future__ import annotations

import mmap
import os
import struct
import time

_ROW = struct.Struct("=qq")  # pid (0: free, -1: reserved for a worker being forked), connections
_FREE = 0
_RESERVED = -1
#: The count of a slot that no accepting worker holds: never fewer than anyone's.
_UNCLAIMED = 2**62
#: Seconds a worker found alive is taken to be alive without asking the kernel again.
ALIVE_FOR = 1.0


class ConnectionShare:
    """The table, created in the master before the first fork and inherited by every worker."""

    def __init__(self, slots: int) -> None:
        self._slots = slots
        self._map = mmap.mmap(-1, slots * _ROW.size)  # anonymous and shared across fork
        self._rows = memoryview(self._map).cast("q")
        self._counts = self._rows[1::2]
        for slot in range(slots):
            self._counts[slot] = _UNCLAIMED
        # pid -> when it was last found alive: the table is read on every turn of a worker's
        # loop, and a signal per peer per turn would cost more than the rest of the check.
        self._seen_alive: dict[int, float] = {}

    def reserve(self) -> int | None:
        """In the master, before a fork: a slot for the new worker (None when all are taken)."""
        rows = self._rows
        for slot in range(self._slots):
            pid = rows[2 * slot]
            if pid == _FREE or (pid > 0 and not _alive(pid)):
                rows[2 * slot] = _RESERVED
                rows[2 * slot + 1] = _UNCLAIMED
                return slot
        return None

    def claim(self, slot: int) -> None:
        """In the new worker: the slot is now this process's."""
        self._rows[2 * slot + 1] = 0
        self._rows[2 * slot] = os.getpid()

    def release(self, slot: int) -> None:
        """A worker leaving frees its slot at once (a crashed one's is freed by ``reserve``)."""
        self._rows[2 * slot] = _FREE
        self._rows[2 * slot + 1] = _UNCLAIMED

    def publish(self, slot: int, connections: int) -> None:
        self._rows[2 * slot + 1] = connections

    def fewer_elsewhere(self, slot: int) -> bool:
        """Whether another live worker holds fewer connections than ``slot`` does."""
        return self.ahead(slot, self._counts[slot], 1)

    def ahead(self, slot: int, mine: int, by: int) -> bool:
        """Whether ``mine`` is at least ``by`` more than the fewest another live worker holds."""
        counts = self._counts
        if mine - min(counts) < by:  # the usual answer, found without a loop in Python
            return False
        rows = self._rows
        for other, count in enumerate(counts):
            if other != slot and mine - count >= by:
                pid = rows[2 * other]
                if pid > 0 and self._alive(pid):
                    return True
        return False

    def _alive(self, pid: int) -> bool:
        """Whether ``pid`` runs, asking the kernel at most once per :data:`ALIVE_FOR`."""
        now = time.monotonic()
        if now - self._seen_alive.get(pid, -ALIVE_FOR) < ALIVE_FOR:
            return True
        if _alive(pid):
            self._seen_alive[pid] = now
            return True
        self._seen_alive.pop(pid, None)
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
