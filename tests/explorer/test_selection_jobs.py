"""Selections too large for a request: a job does what the request would, a chunk at a time,
resumes after a worker dies without doing or counting anything twice, and a real worker runs it."""

import pytest
from django.test import Client

from conftest import wait_for
from labeling.explorer import selection_run
from labeling.explorer.selection_jobs import job_outcome_text
from labeling.explorer.selection_run import selection_job_run
from labeling.models import Adjudication, ItemState, SelectionJob
from tests.explorer.conftest import Explored
from tests.factories import UserFactory, add_member


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(explored: Explored, query: str = "") -> str:
    return f"/projects/{explored.project.pk}/versions/2/items/selection/" + (f"?{query}" if query else "")


def api_url(explored: Explored, query: str = "") -> str:
    return f"/api/projects/{explored.project.pk}/versions/2/selection/" + (f"?{query}" if query else "")


def snapshot(explored: Explored) -> tuple[dict, list]:
    """The queue's rows and the send-back records of the project: what an action changes."""
    states = {s.item_id: (s.extra, s.is_open, s.priority) for s in ItemState.objects.filter(project=explored.project)}
    marks = sorted(
        Adjudication.objects.filter(project=explored.project, action="send_back").values_list(
            "item_id", "extra_labels", "note"
        )
    )
    return states, marks


def inline_reference(explored: Explored, client: Client, query: str, post: dict, settings) -> tuple[tuple, str]:
    """What the request does with the same selection, then undone: the reference a job must match."""
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 10_000
    before = snapshot(explored)
    response = client.post(page_url(explored, query), post)
    assert response.status_code == 302
    message = next(str(m) for m in response.wsgi_request._messages)
    after = snapshot(explored)
    # Undo: the rows as they were, the send-back records gone.
    Adjudication.objects.filter(project=explored.project, action="send_back").delete()
    for item_id, (extra, is_open, priority) in before[0].items():
        ItemState.objects.filter(item_id=item_id).update(extra=extra, is_open=is_open, priority=priority)
    assert snapshot(explored) == before
    return after, message


class WorkerDied(BaseException):
    """Not an ``Exception``: like a killed worker, nothing gets to mark the job failed."""


@pytest.mark.parametrize(
    ("query", "post"),
    # the last: two more labels would need more members than the project has, every item refused
    [("", {"count": "1", "note": "look again"}), ("label=negative", {"priority": "7"}), ("", {"count": "2"})],
)
def test_a_large_selection_becomes_a_job_that_does_what_the_request_would(
    explored, settings, monkeypatch, django_capture_on_commit_callbacks, query, post
):
    client = page_client(explored.project.created_by)
    reference, message = inline_reference(explored, client, query, post, settings)
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 1
    monkeypatch.setattr(selection_run, "CHUNK_SIZE", 2)  # five items: three chunks
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(page_url(explored, query), post)
    job = SelectionJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{explored.project.pk}/versions/2/items/selection/{job.pk}/"
    assert len(enqueued) == 1 and (job.status, job.touched) == ("queued", 0)
    page = client.get(response["Location"]).content.decode()
    assert 'data-active="1"' in page and "js/poll" in page

    selection_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("done", 1.0, "")
    assert snapshot(explored) == reference
    page = client.get(response["Location"]).content.decode()
    assert message in page.replace("&#x27;", "'") and 'data-active=""' in page
    assert ("kept as they were" in message) == ("2" in post.get("count", ""))
    selection_job_run(job_id=str(job.pk))  # a second run leaves the finished job and the items as they are
    again = SelectionJob.objects.get(pk=job.pk)
    assert snapshot(explored) == reference
    assert (again.touched, again.refused, again.finished_at) == (job.touched, job.refused, job.finished_at)


def test_a_run_killed_mid_chunk_resumes_and_counts_nothing_twice(explored, settings, monkeypatch):
    client = page_client(explored.project.created_by)
    reference, message = inline_reference(explored, client, "", {"count": "1"}, settings)
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    monkeypatch.setattr(selection_run, "CHUNK_SIZE", 2)
    client.post(page_url(explored), {"count": "1"})
    job = SelectionJob.objects.get()
    real = selection_run.items_send_back
    calls = []

    def dies_in_the_second_chunk(**kwargs):
        calls.append(1)
        outcome = real(**kwargs)
        if len(calls) == 2:  # the chunk's statements ran, its commit never comes
            raise WorkerDied
        return outcome

    monkeypatch.setattr(selection_run, "items_send_back", dies_in_the_second_chunk)
    with pytest.raises(WorkerDied):
        selection_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    first_chunk_end = sorted(explored.items[e].pk for e in explored.items)[1]
    assert (job.status, job.last_item_id) == ("running", first_chunk_end)
    assert 0 < job.progress < 1 and job.touched + job.refused == 2
    assert Adjudication.objects.filter(action="send_back", item_id__gt=first_chunk_end).count() == 0

    selection_job_run(job_id=str(job.pk))  # the task again, as the broker redelivers it
    job.refresh_from_db()
    assert job.status == "done" and len(calls) == 4  # the dead chunk again, then the last; the first not again
    assert snapshot(explored) == reference
    assert job.touched + job.refused == 5 and job_outcome_text(job) == message
    assert client.get(f"{page_url(explored)}{job.pk}/").status_code == 200


def test_a_job_whose_filters_no_longer_hold_fails_with_the_reason(explored, settings):
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    client = page_client(explored.project.created_by)
    client.post(page_url(explored, "annotator=ann2"), {"priority": "3"})
    job = SelectionJob.objects.get()
    UserFactory._meta.model.objects.filter(username="ann2").update(username="ann2-renamed")
    selection_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed" and "ann2" in job.error
    assert not ItemState.objects.filter(priority=3).exists()


def test_the_api_acts_at_once_on_a_small_selection(explored, api_client):
    client = api_client(explored.project.created_by)
    response = client.post(api_url(explored, "metadata=channel%3Dchat"), {"action": "send_back", "amount": 1})
    assert response.status_code == 200, response.content
    assert response.json() == {"action": "send_back", "status": "done", "touched": 2, "refused": 0}
    response = client.post(api_url(explored, "label=negative"), {"action": "priority", "amount": 4}, format="json")
    assert response.json()["touched"] == 2
    assert not SelectionJob.objects.exists()


def test_the_api_answers_202_with_the_job_and_follows_it(explored, api_client, settings,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    client = api_client(explored.project.created_by)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(api_url(explored, "metadata=channel%3Dchat"), {"action": "priority", "amount": 9})
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["url"] == f"/api/selections/{job['id']}/"
    assert (job["status"], job["progress"], job["filters"], job["amount"]) == (
        "queued", 0, {"metadata": "channel=chat"}, 9
    )  # fmt: skip
    assert len(enqueued) == 1
    selection_job_run(job_id=job["id"])
    done = client.get(job["url"]).json()
    assert (done["status"], done["progress"], done["touched"], done["refused"]) == ("done", 1, 2, 0)
    assert done["outcome"] == "2 items now have priority 9 or more."
    assert sorted(ItemState.objects.filter(priority=9).values_list("item_id", flat=True)) == sorted(
        [explored.items["c1"].pk, explored.items["c2"].pk]
    )


def test_the_api_refuses_bad_input_and_stores_nothing(explored, api_client, settings):
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    client = api_client(explored.project.created_by)
    for query, body in [
        ("colour=red", {"action": "priority", "amount": 3}),
        ("cursor=n3", {"action": "priority", "amount": 3}),
        ("label=furious", {"action": "priority", "amount": 3}),
        ("", {"action": "delete", "amount": 3}),
        ("", {"action": "priority", "amount": 0}),
        ("", {"action": "send_back", "amount": 99}),
        ("", {"action": "priority"}),
    ]:
        response = client.post(api_url(explored, query), body, format="json")
        assert response.status_code == 400, (query, body, response.content)
    assert client.post(f"/api/projects/{explored.project.pk}/versions/9/selection/", {"action": "priority",
                       "amount": 3}).status_code == 404  # fmt: skip
    assert not SelectionJob.objects.exists() and not ItemState.objects.filter(priority=3).exists()


def test_who_may_act_and_follow_jobs(explored, api_client, settings, outsider, django_capture_on_commit_callbacks):
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    project = explored.project
    reviewer = project.memberships.get(user__username="reviewer").user
    body = {"action": "priority", "amount": 3}
    assert api_client(reviewer).post(api_url(explored), body).status_code == 403
    assert api_client(outsider).post(api_url(explored), body).status_code == 404
    with django_capture_on_commit_callbacks(execute=False):
        job = api_client(project.created_by).post(api_url(explored), body).json()
    other = UserFactory(username="other-manager")
    add_member(project, other, "manager")
    assert api_client(other).get(job["url"]).status_code == 200
    for user, code in [(reviewer, 403), (outsider, 404)]:
        assert api_client(user).get(job["url"]).status_code == code
        assert page_client(user).get(job["page_url"]).status_code == code
    assert api_client(other).get("/api/selections/not-a-uuid/").status_code == 404
    assert api_client(other).get("/api/selections/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job(celery_worker_process, explored, api_client, settings):
    settings.GROUNDWORK_SELECTION_INLINE_MAX = 0
    client = api_client(explored.project.created_by)
    body = {"action": "send_back", "amount": 1, "note": "second look"}
    job = client.post(api_url(explored, "metadata=channel%3Dchat"), body, format="json").json()
    done = wait_for(lambda: (got := client.get(job["url"]).json())["status"] in ("done", "failed") and got,
                    timeout=120, what="the selection job")  # fmt: skip
    assert done["status"] == "done", (done, celery_worker_process.log())
    assert (done["touched"], done["refused"], done["progress"]) == (2, 0, 1)
    chat = sorted([explored.items["c1"].pk, explored.items["c2"].pk])
    assert sorted(ItemState.objects.filter(extra=1).values_list("item_id", flat=True)) == chat
    assert sorted(Adjudication.objects.filter(note="second look").values_list("item_id", flat=True)) == chat
    assert celery_worker_process.succeeded("labeling.tasks.selection_job_run_task")


def test_the_schema_describes_both_answers_and_the_job(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/projects/{project_id}/versions/{number}/selection/"]["post"]
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == ref("SelectionOutcome")
    assert operation["responses"]["202"]["content"]["application/json"]["schema"] == ref("SelectionJob")
    assert operation["requestBody"]["content"]["application/json"]["schema"] == ref("SelectionActionRequest")
    job = schema["paths"]["/api/selections/{job_id}/"]["get"]["responses"]["200"]
    assert job["content"]["application/json"]["schema"] == ref("SelectionJob")
    fields = schema["components"]["schemas"]["SelectionJob"]["properties"]
    assert {"status", "progress", "touched", "refused", "outcome", "url", "page_url"} <= set(fields)
