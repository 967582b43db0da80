"""A batch run's lease: the heartbeat that proves it, and the thread that keeps it while the run is alive.

A run owns its batch while its ``run_token`` is the batch's and its heartbeat is younger
than ``GROUNDWORK_BATCH_LEASE_SECONDS``; past that the recovery sweep or another claim
takes the batch over, and the run's next write raises ``LeaseLost``.
"""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from datasets.models import Batch, BatchStatus


class LeaseLost(Exception):
    """Another worker took this batch over; this run must stop writing."""


def lease_cutoff() -> datetime:
    """Heartbeats older than this belong to runs that are gone."""
    return timezone.now() - timedelta(seconds=settings.GROUNDWORK_BATCH_LEASE_SECONDS)


def heartbeat(batch_id: str, token: uuid.UUID, **fields: object) -> None:
    """Renew the lease (and write ``fields``) only while this run still owns the batch."""
    updated = Batch.objects.filter(pk=batch_id, run_token=token, status=BatchStatus.VALIDATING).update(
        heartbeat_at=timezone.now(), **fields
    )
    if not updated:
        raise LeaseLost(batch_id)


class Progress:
    """Progress of one run: monotonic, written with the heartbeat at most once a second.

    ``listener`` hears every value as it is reported (a management command's progress line),
    validation included, with no database write. The rows read only grow too: validation and
    then the import each read the file from its first row, and people watch one count.
    """

    def __init__(
        self, batch_id: str, token: uuid.UUID, every: float = 1.0, listener: Callable[[float], None] | None = None
    ) -> None:
        self.batch_id, self.token, self.every = batch_id, token, every
        self.listener = listener
        self.value = 0.0
        self.rows_total = 0
        self.written_at = 0.0

    def report(self, value: float, *, force: bool = False, **fields: object) -> None:
        self.value = max(self.value, min(round(value, 4), 0.99))
        if "rows_total" in fields:
            self.rows_total = fields["rows_total"] = max(self.rows_total, int(fields["rows_total"]))
        if self.listener is not None:
            self.listener(self.value)
        now = time.monotonic()
        if force or fields or now - self.written_at >= self.every:
            heartbeat(self.batch_id, self.token, progress=self.value, **fields)
            self.written_at = now


class LeaseKeeper:
    """Renews the run's lease from a thread while validation runs a step with no chunk to heartbeat on.

    GX on a whole column of a large batch can take longer than the lease; without this the sweep
    would hand a live run to another worker. A paused or killed process pauses this thread too,
    so a dead run still loses its lease. The thread has its own database connection, so it is
    used only where the batch row is committed (the worker), never inside a test's transaction.
    """

    def __init__(self, batch_id: str, token: uuid.UUID) -> None:
        self.batch_id, self.token = batch_id, token
        self.every = max(settings.GROUNDWORK_BATCH_LEASE_SECONDS / 4, 0.5)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="batch-lease", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.every):
                try:
                    renewed = Batch.objects.filter(
                        pk=self.batch_id, run_token=self.token, status=BatchStatus.VALIDATING
                    ).update(heartbeat_at=timezone.now())
                except (OperationalError, InterfaceError):  # a locked or lost database: the next tick tries again
                    continue
                if not renewed:  # taken over: the run finds out at its next write
                    return
        finally:
            connection.close()

    def __enter__(self) -> "LeaseKeeper":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join()
