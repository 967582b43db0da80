"""A worker killed with SIGKILL while it validates a batch: the next worker validates it again, results are
stored once and no item is written twice; a batch whose worker keeps dying ends ``failed`` after three attempts.
"""

from collections import Counter

import pytest
from django.db.models import Count

from datasets.models import Batch, DatasetVersion, Item
from tests.reliability.helpers import WORKER_ENV, csv_of, upload, wait_batch

FIRST_BATCH = 100
ROWS = 200_000
SUITE = {
    "name": "big",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "text"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "channel", "value_set": ["web", "app"]}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "text", "min_value": 2}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "id", "regex": "^r[0-9]+$"}},
    ],
}


def is_validating(batch: Batch) -> bool:
    return batch.status == "validating" and batch.stage == "validating" and batch.progress > 0


def finished(batch: Batch) -> bool:
    return batch.status not in ("queued", "validating")


def put_suite(api_client, project, manager) -> None:
    response = api_client(manager).put(f"/api/projects/{project.pk}/suite/", SUITE, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.worker
def test_kill_9_mid_validation_validates_again_and_stores_results_once(project, manager, api_client, worker_factory):
    put_suite(api_client, project, manager)
    distinct = ROWS * 3 // 4
    first = worker_factory(**WORKER_ENV)
    small = upload(project, manager, csv_of((0, FIRST_BATCH)), name="first.csv")
    wait_batch(small.pk, lambda b: b.status == "accepted", first, what="the first batch to be accepted", timeout=120)

    big = upload(project, manager, csv_of((0, ROWS), distinct), name="big.csv")
    wait_batch(big.pk, is_validating, first, what="the validation to be under way", timeout=120)
    first.kill()

    # The dead run wrote nothing: no results, no item, no version.
    batch = Batch.objects.get(pk=big.pk)
    assert (batch.status, batch.results, batch.summary) == ("validating", [], {})
    assert not Item.objects.filter(batch_id=big.pk).exists()

    second = worker_factory(**WORKER_ENV)
    batch = wait_batch(big.pk, finished, second, what="the batch to be validated again", timeout=300)
    assert batch.status == "accepted", (batch.error, batch.results)
    assert batch.attempts == 2
    # Each check once, the import once.
    keys = Counter((r["check"], r["type"], r.get("column")) for r in batch.results)
    assert max(keys.values()) == 1, keys
    assert [r["check"] for r in batch.results].count("import") == 1
    assert batch.summary["rows"] == ROWS and batch.summary["checks"] == len(batch.results) - 1
    duplicates = next(r for r in batch.results if r["type"] == "duplicates_in_batch")
    assert duplicates["unexpected_count"] == ROWS - distinct and len(duplicates["samples"]) == 20

    added = distinct - FIRST_BATCH
    assert (batch.rows_total, batch.rows_added, batch.rows_duplicate) == (ROWS, added, ROWS - added)
    assert list(DatasetVersion.objects.filter(project=project).values_list("number", flat=True)) == [2, 1]
    assert Item.objects.filter(project=project).count() == distinct
    assert not Item.objects.filter(project=project).values("content_hash").annotate(n=Count("id")).filter(n__gt=1)


@pytest.mark.worker
def test_a_batch_whose_worker_dies_in_validation_three_times_ends_failed(project, manager, api_client, worker_factory):
    put_suite(api_client, project, manager)
    batch = upload(project, manager, csv_of((0, ROWS)), name="deadly.csv")
    for attempt in (1, 2, 3):
        worker = worker_factory(**WORKER_ENV)
        wait_batch(
            batch.pk,
            lambda b, attempt=attempt: is_validating(b) and b.attempts == attempt,
            worker,
            what=f"validation attempt {attempt} to be under way",
            timeout=120,
        )
        worker.kill()

    last = worker_factory(**WORKER_ENV)
    failed = wait_batch(batch.pk, finished, last, what="the batch to be given up on", timeout=120)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in failed.error
    assert failed.results == [] and failed.version is None
    assert not Item.objects.filter(project=project).exists()
