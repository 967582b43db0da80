"""Splits and the leakage check queued by the API and run by a real Celery worker over a real broker."""

import pytest

from conftest import wait_for
from datasets.models import Item, ItemSplit, Split
from quality.models import LeakageCheck
from tests.projects.helpers import csv_bytes, import_file
from tests.quality.test_splits_api import label_all, texts, url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_splits_a_version_then_checks_it_for_leakage(
    api_client, project, manager, annotator, celery_worker_process
):
    rows = texts(60, seed=5)
    rows.append(rows[1].upper())  # the same text once normalised: an exact pair, kept in one split
    assert import_file(project, manager, "v1.csv", csv_bytes(*rows)).status == "accepted"
    label_all(project, annotator)
    first = Item.objects.filter(project=project).order_by("id").first()
    content = f"text,source_item,augmentation_method\n{rows[0]} again,{first.pk},suffix\n".encode()
    assert import_file(project, manager, "aug.csv", content).status == "accepted"
    client = api_client(manager)
    response = client.post(
        url(project, 2), {"ratios": {"train": 0.6, "dev": 0.2, "test": 0.2}, "seed": 3}, format="json"
    )
    assert response.status_code == 202, response.content

    log = celery_worker_process.log
    wait_for(
        lambda: Split.objects.filter(version__number=2, status="done").exists(), timeout=120, what=f"split; {log()}"
    )
    check = wait_for(
        lambda: LeakageCheck.objects.filter(version__number=2, status="done").first(),
        timeout=120,
        what=f"leakage; {log()}",
    )
    body = client.get(url(project, 2)).json()
    assert sum(body["sizes"].values()) + body["left_out"] == 62
    assert ItemSplit.objects.filter(project=project).count() == 62
    copy = Item.objects.get(project=project, source__isnull=False)
    assert ItemSplit.objects.get(item=copy).split in ("train", None)  # never dev or test
    leakage = client.get(url(project, 2, "leakage")).json()
    assert leakage["status"] == "done" and leakage["items"] == 62 and check.result["items"] == 62
    assert leakage["per_split_pair"] == {k: {"exact": 0, "near": 0} for k in ("train-dev", "train-test", "dev-test")}
