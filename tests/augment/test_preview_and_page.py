"""The preview (API and the version page's Augment form) makes exactly what the job makes; the form starts a job."""

import uuid

import pytest

from datasets.models import Item
from labeling import services as labeling
from quality.augment import services as augment_services
from quality.models import AugmentationJob
from tests.projects.helpers import import_file

REQUEST = {"version": 1, "method": "keyboard_typos", "params": {"rate": 0.4}, "copies_per_item": 2, "seed": 5}


@pytest.fixture
def originals(project, manager, annotator):
    content = b"text,channel\na fine day,email\na rainy day,chat\nthe best of times,email\n"
    assert import_file(project, manager, "first.csv", content).status == "accepted"
    items = {item.data["text"]: item for item in Item.objects.filter(project=project)}
    labeling.annotation_submit(
        item=items["the best of times"], user=annotator, request_uuid=uuid.uuid4(), value="positive"
    )
    return items


def _job_rows(project, manager, item_filter=None) -> list[tuple[int, str, dict]]:
    job = augment_services.augmentation_job_start(
        project=project,
        user=manager,
        version=1,
        method=REQUEST["method"],
        params=REQUEST["params"],
        copies_per_item=REQUEST["copies_per_item"],
        seed=REQUEST["seed"],
        item_filter=item_filter or {},
        label_policy="relabel",
    )
    return [
        (row["source_item"], row["text"], row["augmentation_params"]) for row in augment_services.generated_rows(job)
    ]


def test_the_preview_api_shows_what_the_job_makes_and_stores_nothing(api_client, project, manager, originals):
    response = api_client(manager).post(f"/api/projects/{project.pk}/augmentations/preview/", REQUEST, format="json")
    assert response.status_code == 200, response.json()
    pairs = response.json()["pairs"]
    assert not AugmentationJob.objects.exists() and Item.objects.filter(project=project).count() == 3
    shown = [(p["source_item"], p["augmented"], p["params"]) for p in pairs]
    assert len(shown) == 6 and shown == _job_rows(project, manager)
    assert pairs[0]["source"] == "a fine day" and pairs[0]["params"]["rate"] == 0.4


def test_the_preview_follows_the_filter(api_client, project, manager, originals):
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/augmentations/preview/"
    by_label = client.post(url, {**REQUEST, "filter": {"label": "positive"}}, format="json").json()["pairs"]
    assert {p["source"] for p in by_label} == {"the best of times"}
    assert [p["augmented"] for p in by_label] == [row[1] for row in _job_rows(project, manager, {"label": "positive"})]
    by_channel = client.post(url, {**REQUEST, "filter": {"metadata": {"channel": "chat"}}}, format="json").json()
    assert {p["source"] for p in by_channel["pairs"]} == {"a rainy day"}


@pytest.mark.parametrize(
    "body, status",
    [
        ({**REQUEST, "method": "blur"}, 400),
        ({**REQUEST, "params": {"rate": 2}}, 400),
        ({**REQUEST, "params": "{not json"}, 400),
        ({**REQUEST, "version": 7}, 404),
    ],
)
def test_the_preview_refuses_bad_requests(api_client, project, manager, originals, body, status):
    response = api_client(manager).post(f"/api/projects/{project.pk}/augmentations/preview/", body, format="json")
    assert response.status_code == status


def test_the_preview_is_for_managers_of_the_project(api_client, project, annotator, outsider, originals):
    url = f"/api/projects/{project.pk}/augmentations/preview/"
    assert api_client(annotator).post(url, REQUEST, format="json").status_code == 403
    assert api_client(outsider).post(url, REQUEST, format="json").status_code == 404


def _form(**fields) -> dict:
    return {
        "method": "keyboard_typos", "keyboard_typos__rate": "0.4", "copies_per_item": "2", "seed": "5",
        "label": "", "metadata": "", "label_policy": "inherit", **fields,
    }  # fmt: skip


def test_the_version_page_form_previews_then_generates(client, project, manager, annotator, originals):
    client.force_login(manager)
    url = f"/projects/{project.pk}/versions/1/"
    page = client.get(url).content.decode()
    assert 'id="augment-form"' in page and 'name="word_dropout__rate"' in page and 'value="0.1"' in page
    preview = client.post(url, _form(action="preview"))
    assert preview.status_code == 200 and not AugmentationJob.objects.exists()
    shown = [pair.augmented for pair in preview.context["augment_preview"]]
    assert shown == [row[1] for row in _job_rows(project, manager)]
    AugmentationJob.objects.all().delete()
    started = client.post(url, _form(action="generate", metadata="channel=email"))
    assert started.status_code == 302
    job = AugmentationJob.objects.get()
    assert (job.method, job.params, job.copies_per_item, job.seed) == ("keyboard_typos", {"rate": 0.4}, 2, 5)
    assert (job.label_policy, job.filter) == ("inherit", {"metadata": {"channel": "email"}})
    assert 'id="augment-jobs"' in client.get(url).content.decode()


def test_the_form_refuses_bad_input_and_annotators(client, project, manager, annotator, originals):
    client.force_login(manager)
    url = f"/projects/{project.pk}/versions/1/"
    assert client.post(url, _form(action="generate", keyboard_typos__rate="3")).status_code == 400
    assert client.post(url, _form(action="generate", metadata="no equals sign")).status_code == 400
    assert not AugmentationJob.objects.exists()
    client.force_login(annotator)
    page = client.get(url)
    assert page.status_code == 200 and 'id="augment-form"' not in page.content.decode()
    assert client.post(url, _form(action="generate")).status_code == 403
    assert not AugmentationJob.objects.exists()
