"""A project too large to compute in the request: 202, a real Celery worker computes it, then 200."""

import pytest

from conftest import wait_for
from labeling.review import compute_kinds
from tests.factories import UserFactory, add_member
from tests.review.conftest import bulk_annotate, items_of, random_labels

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_large_projects_are_computed_by_a_worker_and_cached(
    settings, celery_worker_process, make_project, reviewer, api_client
):
    settings.GROUNDWORK_REVIEW_INLINE_MAX = 0  # every project counts as large here
    project = make_project("classification", ["a", "b", "c"], [{"id": f"r{n}", "text": f"row {n}"} for n in range(40)])
    users = [UserFactory(username=f"w{n}") for n in range(4)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)
    rows = random_labels(40, 4, 3, seed=2, missing=0.25)
    bulk_annotate(project, [(items[i], users[a], ["a", "b", "c"][v]) for i, a, v in rows])
    client = api_client(reviewer)
    url = f"/api/projects/{project.pk}/agreement/"

    first = client.get(url)
    assert first.status_code == 202 and first.json()["status"] == "computing"
    assert client.get(url).status_code in (200, 202)  # asking again queues nothing new while it runs
    done = wait_for(lambda: (r := client.get(url)).status_code == 200 and r, timeout=90, what="the worker's report")
    body = done.json()
    expected = compute_kinds.compute_kind(project=project, version=1, kind="agreement")
    assert body["krippendorff_alpha"] == pytest.approx(expected["krippendorff_alpha"], abs=1e-12)
    assert body["annotations"] == len(rows)
    succeeded = celery_worker_process.succeeded("labeling.tasks.review_result_compute_task")
    assert len(succeeded) == 1, celery_worker_process.log()

    disagreements = client.get(f"/api/projects/{project.pk}/disagreements/")
    assert disagreements.status_code == 202  # the ranking is another result, computed on demand
    wait_for(
        lambda: client.get(f"/api/projects/{project.pk}/disagreements/").status_code == 200,
        timeout=90,
        what="the ranking",
    )
    assert client.get(url).json()["computed_at"] == body["computed_at"]  # still cached: no label changed
