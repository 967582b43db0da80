"""Lineage in exports (inherited labels marked, never annotations) and generation through a real worker."""

import csv
import io
import json
import uuid

import pytest

from conftest import wait_for
from datasets.models import Augmentation, Item
from labeling import services as labeling
from quality.models import AugmentationJob
from tests.projects.helpers import csv_bytes, import_file


def test_exports_carry_lineage_and_inherited_labels(api_client, project, manager, annotator):
    import_file(project, manager, "first.csv", csv_bytes("a fine day", "a rainy day"))
    source = Item.objects.get(project=project, external_id="r1")
    labeling.annotation_submit(item=source, user=annotator, request_uuid=uuid.uuid4(), value="positive")
    content = (
        "text,source_item,augmentation_method,augmentation_params,augmentation_label_policy\n"
        f'a fine dya,{source.pk},typo,"{{""at"": 8}}",inherit\n'
        f"a rainy dya,{source.pk},typo,{{}},relabel\n"
    ).encode()
    assert import_file(project, manager, "aug.csv", content).status == "accepted"
    client = api_client(manager)
    lines = client.get(f"/api/projects/{project.pk}/versions/2/export/", {"format": "jsonl"})
    records = {r["data"]["text"]: r for r in map(json.loads, b"".join(lines.streaming_content).splitlines())}
    inherited = records["a fine dya"]
    assert (inherited["source"], inherited["root"]) == (source.pk, source.pk)
    assert inherited["augmentation"]["method"] == "typo" and inherited["augmentation"]["params"] == {"at": 8}
    assert (inherited["final"], inherited["final_source"], inherited["annotations"]) == ("positive", "inherited", [])
    relabel = records["a rainy dya"]
    assert (relabel["final"], relabel["augmentation"]["label_policy"]) == (None, "relabel")
    assert records["a fine day"]["augmentation"] is None and records["a fine day"]["source"] is None
    response = client.get(f"/api/projects/{project.pk}/versions/2/export/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r["text"] == "a fine dya")
    assert row["root"] == str(source.pk) and json.loads(row["augmentation"])["generation"] == 1

    client.force_login(manager)
    page = client.get(f"/projects/{project.pk}/versions/2/").content.decode()
    assert 'id="augmentation"' in page and "<td>typo</td><td>2</td><td>50%</td>" in page


@pytest.mark.worker
def test_a_real_worker_generates_and_imports(api_client, project, manager, celery_worker_process):
    import_file(project, manager, "first.csv", csv_bytes("a fine day", "a rainy day", "the best of times"))
    response = api_client(manager).post(
        f"/api/projects/{project.pk}/augmentations/generate/",
        {"version": 1, "method": "word_swap", "params": {"swaps": 2}, "copies_per_item": 2, "seed": 4},
        format="json",
    )
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    job = wait_for(
        lambda: AugmentationJob.objects.filter(pk=job_id, batch__status="accepted").first(),
        timeout=90,
        what=f"the job's batch to be accepted; worker log:\n{celery_worker_process.log()}",
    )
    body = api_client(manager).get(f"/api/augmentation-jobs/{job_id}/").json()
    assert body["status"] == "batched" and body["batch"]["status"] == "accepted" and body["rows"] == 6
    made = Augmentation.objects.filter(job_id=job.pk)
    assert made.count() == job.batch.rows_added > 0
    assert all(a.seed == 4 and a.method == "word_swap" and "swapped_words" in a.params for a in made)
