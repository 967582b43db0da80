"""The validation step through a real Celery worker and broker: accepted, quarantined, and a manager's decisions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Batch, DatasetVersion, Item
from quality.models import ValidationSuite
from tests.reliability.helpers import wait_batch

pytestmark = pytest.mark.worker

SUITE = {
    "name": "reviews",
    "expectations": [
        {"type": "expect_column_to_exist", "kwargs": {"column": "rating"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "lang", "value_set": ["en", "de"]},
            "severity": "warning",
        },
    ],
}


def csv_rows(rows: list[tuple[str, int, str]], start: int = 0) -> bytes:
    lines = ["id,text,rating,lang"] + [f"r{start + n},{t},{r},{lang}" for n, (t, r, lang) in enumerate(rows)]
    return ("\n".join(lines) + "\n").encode()


GOOD = csv_rows([(f"good review {n}", 1 + n % 5, "en" if n % 2 else "de") for n in range(40)])
# Rows 3 and 7 (file rows, 1-based) rate 9 and 0; row 5 is in French, which only warns.
BAD_ROWS = [(f"later review {n}", 3, "en") for n in range(10)]
BAD_ROWS[2] = ("later review 2", 9, "en")
BAD_ROWS[6] = ("later review 6", 0, "en")
BAD_ROWS[4] = ("later review 4", 4, "fr")
BAD = csv_rows(BAD_ROWS, start=100)


def post_batch(client, project, name: str, content: bytes) -> str:
    response = client.post(
        f"/api/projects/{project.pk}/batches/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def finished(batch: Batch) -> bool:
    return batch.status not in ("queued", "validating")


def test_good_batch_accepted_bad_batch_quarantined_then_accepted_anyway(
    api_client, project, manager, celery_worker_process
):
    client = api_client(manager)
    assert client.put(f"/api/projects/{project.pk}/suite/", SUITE, format="json").status_code == 200

    good = post_batch(client, project, "good.csv", GOOD)
    batch = wait_batch(good, finished, celery_worker_process, what="the good batch to finish", timeout=120)
    assert batch.status == "accepted", batch.results
    assert batch.version.number == 1 and batch.rows_added == 40
    detail = client.get(f"/api/batches/{good}/").json()
    by_check = {(r["check"], r["type"]): r for r in detail["results"]}
    assert by_check[("expectation", "expect_column_values_to_be_between")]["success"] is True
    assert detail["results"][-1]["check"] == "import"
    assert detail["summary"]["critical_failed"] == 0

    bad = post_batch(client, project, "bad.csv", BAD)
    batch = wait_batch(bad, finished, celery_worker_process, what="the bad batch to finish", timeout=120)
    assert batch.status == "quarantined", batch.error
    assert batch.version is None and batch.error == ""
    assert not Item.objects.filter(batch=batch).exists()
    assert Item.objects.filter(project=project).count() == 40
    detail = client.get(f"/api/batches/{bad}/").json()
    between = next(r for r in detail["results"] if r["type"] == "expect_column_values_to_be_between")
    assert (between["success"], between["severity"], between["unexpected_count"]) == (False, "critical", 2)
    assert sorted((s["row"], s["value"]) for s in between["samples"]) == [(3, 9), (7, 0)]
    in_set = next(r for r in detail["results"] if r["type"] == "expect_column_values_to_be_in_set")
    assert (in_set["success"], in_set["severity"], [s["row"] for s in in_set["samples"]]) == (False, "warning", [5])
    assert detail["summary"]["critical_failed"] == 1 and detail["summary"]["rows"] == 10

    response = client.post(f"/api/batches/{bad}/accept/", {"reason": "0 and 9 are legacy scales"}, format="json")
    assert response.status_code == 200, response.content
    batch = wait_batch(bad, finished, celery_worker_process, what="the accepted batch to import", timeout=120)
    assert batch.status == "accepted" and batch.accepted_anyway
    assert (batch.version.number, batch.version.item_count, batch.rows_added) == (2, 50, 10)
    assert (batch.decided_by, batch.decision_reason) == (manager, "0 and 9 are legacy scales")
    # The validation that quarantined it is still what the batch shows, once, with the import after it.
    assert [r["type"] for r in batch.results].count("expect_column_values_to_be_between") == 1
    assert batch.results[-1]["check"] == "import" and batch.results[-1]["added"] == 10
    assert list(DatasetVersion.objects.filter(project=project).values_list("number", flat=True)) == [2, 1]


def test_reject_then_revalidate_after_the_suite_changed(api_client, project, manager, celery_worker_process):
    client = api_client(manager)
    assert client.put(f"/api/projects/{project.pk}/suite/", SUITE, format="json").status_code == 200
    bad = post_batch(client, project, "bad.csv", BAD)
    batch = wait_batch(bad, finished, celery_worker_process, what="the bad batch to finish", timeout=120)
    assert batch.status == "quarantined"

    response = client.post(f"/api/batches/{bad}/reject/", {"reason": "wrong export"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    assert not Item.objects.filter(project=project).exists()

    # The scale really is 0..9: widen the expectation and validate the rejected batch again.
    wider = {**SUITE, "expectations": [dict(e) for e in SUITE["expectations"]]}
    wider["expectations"][1] = {
        **wider["expectations"][1],
        "kwargs": {"column": "rating", "min_value": 0, "max_value": 9},
    }
    assert client.put(f"/api/projects/{project.pk}/suite/", wider, format="json").status_code == 200
    assert ValidationSuite.objects.get(project=project).suite["expectations"][1]["kwargs"]["max_value"] == 9
    response = client.post(f"/api/batches/{bad}/revalidate/", {}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "queued")
    batch = wait_batch(bad, finished, celery_worker_process, what="the batch to be validated again", timeout=120)
    assert batch.status == "accepted", batch.results
    assert not batch.accepted_anyway and batch.decided_by is None
    assert batch.version.number == 1 and batch.rows_added == 10
    between = next(r for r in batch.results if r["type"] == "expect_column_values_to_be_between")
    assert between["success"] is True and between["kwargs"]["max_value"] == 9
    in_set = next(r for r in batch.results if r["type"] == "expect_column_values_to_be_in_set")
    assert in_set["success"] is False  # a warning still shows on an accepted batch
