"""Exports written to a file by a worker: the API, the service, and a real worker."""

import json
from dataclasses import replace

import pytest
from django.core.files.storage import default_storage

from conftest import wait_for
from labeling import exports
from labeling.exports import job_run, records, rows
from labeling.exports.job_run import export_job_run
from labeling.models import ExportJob
from tests.factories import UserFactory, add_member


def start(client, project, number: int, query: str):
    return client.post(f"/api/projects/{project.pk}/versions/{number}/export/?{query}")


def streamed(client, project, number: int, query: str) -> bytes:
    response = client.get(f"/api/projects/{project.pk}/versions/{number}/export/?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def downloaded(client, job_id: str) -> bytes:
    response = client.get(f"/api/exports/{job_id}/file/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("query", ["format=csv&layout=flat&metadata=channel=chat", "format=parquet", "format=jsonl"])
def test_a_job_writes_the_file_a_download_streams(explored, manager, api_client, django_capture_on_commit_callbacks,
                                                  query):  # fmt: skip
    client = api_client(manager)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:  # the worker's part runs below
        response = start(client, explored.project, 2, query)
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["progress"], job["download_url"]) == ("queued", 0, None)
    assert response["Location"] == job["url"] == f"/api/exports/{job['id']}/"
    assert len(enqueued) == 1
    assert client.get(job["url"]).json()["status"] == "queued"

    export_job_run(job_id=job["id"])
    done = client.get(job["url"]).json()
    assert (done["status"], done["progress"], done["error"]) == ("done", 1, "")
    assert done["items_written"] == (2 if "chat" in query else 5)
    assert downloaded(client, job["id"]) == streamed(client, explored.project, 2, query)
    assert done["size"] == len(streamed(client, explored.project, 2, query))
    export_job_run(job_id=job["id"])  # a second run leaves the finished job as it is
    assert client.get(job["url"]).json()["finished_at"] == done["finished_at"]


def test_bad_options_store_no_job(explored, manager, api_client):
    client = api_client(manager)
    for query, status in [("format=xlsx", 400), ("format=csv&colour=red", 400), ("format=conll", 400),
                          ("format=jsonl&layout=flat", 400), ("format=csv&label=furious", 400)]:  # fmt: skip
        assert start(client, explored.project, 2, query).status_code == status, query
    assert start(client, explored.project, 9, "format=csv").status_code == 404
    assert not ExportJob.objects.exists()


def test_who_may_start_and_follow_jobs(explored, manager, api_client, django_capture_on_commit_callbacks):
    project = explored.project
    annotator = UserFactory(username="annotator-x")
    add_member(project, annotator, "annotator")
    outsider = UserFactory(username="stranger")
    assert start(api_client(annotator), project, 1, "format=csv").status_code == 403
    assert start(api_client(outsider), project, 1, "format=csv").status_code == 404
    with django_capture_on_commit_callbacks(execute=False):
        job = start(api_client(manager), project, 1, "format=csv").json()
    export_job_run(job_id=job["id"])
    reviewer = UserFactory(username="reviewer-x")
    add_member(project, reviewer, "reviewer")
    assert api_client(reviewer).get(job["url"]).status_code == 200
    for user, status in [(annotator, 403), (outsider, 404)]:
        assert api_client(user).get(job["url"]).status_code == status
        assert api_client(user).get(f"{job['url']}file/").status_code == status
    assert api_client(manager).get("/api/exports/not-a-uuid/").status_code == 404
    assert api_client(manager).get("/api/exports/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_job_whose_filters_no_longer_hold_fails_with_the_reason(explored, manager, api_client,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    client = api_client(manager)
    with django_capture_on_commit_callbacks(execute=False):
        job = start(client, explored.project, 2, "format=csv&annotator=ann2").json()
    UserFactory._meta.model.objects.filter(username="ann2").update(username="ann2-renamed")
    export_job_run(job_id=job["id"])
    failed = client.get(job["url"]).json()
    assert failed["status"] == "failed" and "no user named ann2" in failed["error"]
    assert failed["download_url"] is None
    assert client.get(f"{job['url']}file/").status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_file(celery_worker_process, explored, manager, api_client):
    client = api_client(manager)
    job = start(client, explored.project, 2, "format=jsonl&label=negative").json()
    done = wait_for(lambda: (body := client.get(job["url"]).json())["status"] in ("done", "failed") and body,
                    timeout=120, what="the export job")  # fmt: skip
    assert done["status"] == "done", (done, celery_worker_process.log())
    body = downloaded(client, job["id"])
    assert [json.loads(line)["external_id"] for line in body.splitlines()] == ["e1", "c2"]
    assert body == streamed(client, explored.project, 2, "format=jsonl&label=negative")
    assert default_storage.exists(ExportJob.objects.get(pk=job["id"]).file)
    assert celery_worker_process.succeeded("labeling.tasks.export_job_run_task")


def test_the_export_page_starts_a_job_for_its_selection(explored, manager, client, django_capture_on_commit_callbacks):
    project = explored.project
    url = f"/projects/{project.pk}/versions/2/export/?metadata=channel%3Demail&q="
    annotator = UserFactory(username="annotator-y")
    add_member(project, annotator, "annotator")
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200
    assert b"metadata=channel=email" in page.content
    assert client.post(url, {"format": "xlsx", "layout": "flat"}).status_code == 200  # the form says what is wrong
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(url, {"format": "parquet", "layout": "nested"})
    assert response.status_code == 302 and len(enqueued) == 1
    job = ExportJob.objects.get()
    assert (job.format, job.layout, job.filters) == ("parquet", "nested", {"metadata": "channel=email"})
    assert job.requested_by == manager
    assert response["Location"].endswith(f"#job-{job.pk}")
    assert client.get(f"/projects/{project.pk}/versions/2/export/?label=furious").status_code == 400


@pytest.mark.parametrize("export_format", ["jsonl", "parquet", "csv"])
def test_a_job_reports_its_progress_as_it_writes(explored, manager, monkeypatch, export_format):
    """Progress is saved while the file is written, chunk by chunk, not only at the end."""
    monkeypatch.setattr(records, "CHUNK_SIZE", 2)  # chunks of two items, whichever path reads them
    monkeypatch.setattr(rows, "CHUNK_SIZE", 2)
    monkeypatch.setitem(exports.FORMATS, "parquet", replace(exports.FORMATS["parquet"], rows_chunk_size=2))
    monkeypatch.setattr(job_run, "PROGRESS_EVERY_SECONDS", 0)
    job = ExportJob.objects.create(project=explored.project, version=2, requested_by=manager, format=export_format)
    seen = []
    saved = job_run._Progress.chunk_written

    def watched(self, count: int, last_id: int) -> None:
        saved(self, count, last_id)
        seen.append(ExportJob.objects.values_list("progress", "items_written").get(pk=job.pk))

    monkeypatch.setattr(job_run._Progress, "chunk_written", watched)
    export_job_run(job_id=str(job.pk))
    assert [written for _, written in seen] == [2, 4, 5]  # five items, two a chunk, saved after each
    shares = [progress for progress, _ in seen]
    assert shares == sorted(shares) and 0 < shares[0] < 1 and shares[-1] < 1
    assert ExportJob.objects.values_list("status", "progress").get(pk=job.pk) == ("done", 1)
