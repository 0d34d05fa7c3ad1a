"""``artifacts worker``: claim tasks from the database and run them, one at a time.

The loop claims a task (:meth:`TaskQueue.claim`), runs it while a thread renews its lease and
records progress every ``lease / 3``, and records the outcome: success, a retry later for a
passing failure (the store or the source down), or failure with the reason as the task's
message. ``stop`` (SIGTERM, SIGINT) lets the running task finish and then returns; a worker
killed mid-task simply stops renewing, and the task is claimed again once its lease lapses.

Several workers may run, on several nodes, against one PostgreSQL database: claims skip rows
another worker has locked. On SQLite claims are serialised by the database's write lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping

from artifacts.engine.tasks import Claim, LeaseLost, TaskQueue
from artifacts.errors import ArtifactError, ServiceUnavailable
from artifacts.store.base import StoreError

LOG = logging.getLogger(__name__)

#: Runs one claimed task: given the claim and a progress callback, returns the result document.
Runner = Callable[[Claim, Callable[[int], None]], Mapping[str, object]]


def worker_name() -> str:
    """Unique per process and node, and readable in the ``tasks`` table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        queue: TaskQueue,
        runners: Mapping[str, Runner],
        *,
        name: str | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self._queue = queue
        self._runners = dict(runners)
        self.name = name or worker_name()
        self._poll = poll_interval
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run_forever(self) -> None:
        """Work until :meth:`stop`; waiting ``poll_interval`` whenever the queue is empty."""
        LOG.info("worker %s started", self.name)
        while not self._stopping.is_set():
            try:
                worked = self.run_once()
            except ServiceUnavailable as exc:
                LOG.warning("worker %s: %s", self.name, exc.message)
                worked = False
            if not worked:
                self._stopping.wait(self._poll)
        LOG.info("worker %s stopped", self.name)

    def run_pending(self) -> int:
        """Run tasks until none is runnable now; return how many ran (tests, one-off runs)."""
        count = 0
        while self.run_once():
            count += 1
        return count

    def run_once(self) -> bool:
        """Claim and run one task; return False if none was runnable."""
        claim = self._queue.claim(self.name, tuple(self._runners))
        if claim is None:
            return False
        renewer = _Renewer(self._queue, claim, self.name)
        renewer.start()
        try:
            result = self._runners[claim.type](claim, renewer.report)
        except LeaseLost:
            LOG.warning("worker %s lost task %s to another worker", self.name, claim.id)
            return True
        except (ServiceUnavailable, StoreError) as exc:
            message = exc.message if isinstance(exc, ArtifactError) else str(exc)
            self._failed(claim, message, retryable=True)
            return True
        except ArtifactError as exc:
            self._failed(claim, exc.message, retryable=False)
            return True
        except Exception as exc:
            LOG.exception("worker %s: task %s failed unexpectedly", self.name, claim.id)
            self._failed(claim, f"Unexpected error: {exc}", retryable=False)
            return True
        finally:
            renewer.finish()
        try:
            self._queue.succeed(claim, self.name, dict(result))
        except LeaseLost:
            LOG.warning("worker %s finished task %s after losing it", self.name, claim.id)
        return True

    def _failed(self, claim: Claim, message: str, *, retryable: bool) -> None:
        try:
            again = self._queue.fail(claim, self.name, message, retryable=retryable)
        except LeaseLost:
            return
        LOG.info(
            "task %s attempt %d failed%s: %s",
            claim.id,
            claim.attempts,
            ", will retry" if again else "",
            message,
        )


class _Renewer:
    """Renew a claim's lease (with the latest progress) until the task ends."""

    def __init__(self, queue: TaskQueue, claim: Claim, worker: str) -> None:
        self._queue = queue
        self._claim = claim
        self._worker = worker
        self._done = threading.Event()
        self._progress = 0
        self._thread = threading.Thread(
            target=self._loop, name=f"task-lease-{claim.id[:8]}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def report(self, done: int) -> None:
        self._progress = done

    def finish(self) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        interval = self._queue.settings.lease.total_seconds() / 3
        while not self._done.wait(interval):
            try:
                self._queue.renew(self._claim, self._worker, progress=self._progress)
            except LeaseLost:
                return
            except ServiceUnavailable as exc:
                LOG.warning("renewing task %s failed: %s", self._claim.id, exc.message)
