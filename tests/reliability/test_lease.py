"""A run that stalled past its lease and was taken over writes nothing more (no worker needed)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conftest import wait_for
from datasets.models import Batch, DatasetVersion, Item
from quality.pipeline import services
from quality.pipeline.lease import heartbeat
from tests.reliability.helpers import csv_of, upload

CHUNK = 10


def expire_lease(batch_id) -> None:
    Batch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize("taken_by", ["claim", "sweep"])
def test_a_run_that_lost_its_lease_cannot_commit_another_chunk(project, manager, settings, taken_by):
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = CHUNK
    batch = upload(project, manager, csv_of((0, 5 * CHUNK)), enqueue=False)
    chunks_seen = []

    def take_over_after_first_chunk(progress: float) -> None:
        chunks_seen.append(progress)
        if len(chunks_seen) == 1:  # the run stalls here, past its lease, and someone takes over
            expire_lease(batch.pk)
            if taken_by == "claim":
                services.batch_claim(batch_id=str(batch.pk))
            else:
                services.batch_recover_stale()

    with pytest.raises(services.LeaseLost):
        services.batch_import(batch_id=str(batch.pk), on_progress=take_over_after_first_chunk)

    assert len(chunks_seen) == 1
    # A new claim deletes the first chunk; the sweep leaves it, invisible, for the next claim.
    # Either way the stalled run's second chunk was rolled back.
    assert Item.objects.filter(batch=batch).count() == (0 if taken_by == "claim" else CHUNK)

    expire_lease(batch.pk)
    batch = services.batch_import(batch_id=str(batch.pk))
    assert (batch.status, batch.rows_total, batch.rows_added) == ("accepted", 5 * CHUNK, 5 * CHUNK)
    assert batch.version.item_count == Item.objects.filter(project=project).count() == 5 * CHUNK


def test_a_newer_batch_waits_for_an_older_one(project, manager):
    older = upload(project, manager, csv_of((0, 30)), name="older.csv", enqueue=False)
    newer = upload(project, manager, csv_of((20, 40)), name="newer.csv", enqueue=False)
    Batch.objects.filter(pk=newer.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    with pytest.raises(services.ProjectBusy):
        services.batch_claim(batch_id=str(newer.pk))
    newer.refresh_from_db()
    assert newer.status == "queued" and newer.attempts == 0
    assert newer.heartbeat_at > timezone.now() - timedelta(minutes=1), "a waiting message keeps its batch alive"
    assert services.batch_recover_stale() == []

    assert services.batch_import(batch_id=str(older.pk)).version.number == 1
    newer = services.batch_import(batch_id=str(newer.pk))
    assert (newer.version.number, newer.rows_added, newer.rows_duplicate) == (2, 10, 10)
    assert DatasetVersion.objects.get(number=2, project=project).item_count == 40


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first snapshot only
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_claim_does_not_deadlock_with_the_running_import_s_chunk(project, manager):
    """A chunk updates the batch row, and its rows' foreign keys (deferred) lock the project row at commit.

    A claim holding the project row exclusively while it waits for the batch row would
    deadlock with that commit; it must wait its turn, see the live lease and leave the batch.
    """
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite locks the whole database instead")
    batch = upload(project, manager, csv_of((0, 10)), enqueue=False)
    token = services.batch_claim(batch_id=str(batch.pk))
    outcome: list[object] = []

    def duplicate_claim() -> None:
        try:
            outcome.append(services.batch_claim(batch_id=str(batch.pk)))
        except Exception as exc:  # PostgreSQL's deadlock detector picked this claim
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=duplicate_claim)
    with transaction.atomic():  # the import's chunk: its rows, then the heartbeat that proves the lease
        Item.objects.create(project=project, batch=batch, data={"text": "x"}, content_hash="x")
        heartbeat(str(batch.pk), token, progress=0.5)
        thread.start()
        wait_for(_waiting_on_a_lock, timeout=10, what="the duplicate claim to wait for the chunk")
    thread.join(timeout=30)

    assert outcome == [None]
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.progress) == ("validating", 1, 0.5)
    assert Item.objects.filter(batch=batch).count() == 1
