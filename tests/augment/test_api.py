"""Registering and generating augmented items through the API, and reading their lineage."""

import json

import pytest

from datasets.models import Augmentation, Batch, Item
from quality.augment import services as augment_services
from quality.models import AugmentationJob
from quality.pipeline import services as pipeline
from tests.projects.helpers import csv_bytes, import_file


@pytest.fixture
def originals(project, manager):
    batch = import_file(project, manager, "first.csv", csv_bytes("a fine day", "a rainy day", "the best of times"))
    assert batch.status == "accepted"
    return {item.external_id: item for item in Item.objects.filter(project=project)}


def _run(batch_id) -> Batch:
    pipeline.batch_import(batch_id=str(batch_id))
    return Batch.objects.get(pk=batch_id)


def register_url(project) -> str:
    return f"/api/projects/{project.pk}/augmentations/"


def test_register_then_lineage_through_two_generations(api_client, project, manager, originals):
    client = api_client(manager)
    source = originals["r1"]
    response = client.post(
        register_url(project),
        {
            "items": [
                {
                    "source_item": source.pk,
                    "data": {"text": "a fine dya"},
                    "method": "typo",
                    "params": {"position": 8},
                    "seed": 3,
                    "library": "nlpaug",
                    "library_version": "1.1.11",
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    batch = _run(response.json()["id"])
    assert batch.status == "accepted" and batch.version.number == 2
    child = Item.objects.get(project=project, data={"text": "a fine dya"})
    assert child.source_id == source.pk and child.metadata == {}
    aug = child.augmentation
    assert (aug.root_id, aug.generation, aug.method, aug.params, aug.seed) == (source.pk, 1, "typo", {"position": 8}, 3)
    assert (aug.library, aug.library_version, aug.created_by, aug.batch_id) == ("nlpaug", "1.1.11", manager, batch.pk)
    assert len(aug.config_hash) == 64

    # A second generation by file, naming the source by id.
    content = f"text,source_item,augmentation_method,augmentation_params\nA FINE DYA,{child.pk},upper,{{}}\n".encode()
    second = import_file(project, manager, "second.csv", content)
    assert second.status == "accepted", second.results
    grandchild = Item.objects.get(project=project, data={"text": "A FINE DYA"})
    assert (grandchild.augmentation.root_id, grandchild.augmentation.generation) == (source.pk, 2)

    body = client.get(f"/api/items/{child.pk}/lineage/").json()
    assert body["root"] == source.pk
    assert [a["id"] for a in body["ancestors"]] == [source.pk]
    assert [(d["id"], d["method"], d["generation"]) for d in body["descendants"]] == [(grandchild.pk, "upper", 2)]
    assert body["item"]["params"] == {"position": 8}
    root = client.get(f"/api/items/{source.pk}/lineage/").json()
    assert [d["id"] for d in root["descendants"]] == [child.pk, grandchild.pk] and root["ancestors"] == []


def test_a_file_names_sources_by_external_id(project, manager, originals):
    row = {"text": "rainy day, a", "source": "r2", "augmentation_method": "swap", "augmentation_params": '{"i": 1}'}
    content = (json.dumps(row) + "\n").encode()
    batch = import_file(project, manager, "aug.jsonl", content)
    assert batch.status == "accepted", batch.error
    item = Item.objects.get(project=project, data={"text": "rainy day, a"})
    assert item.source_id == originals["r2"].pk and item.augmentation.params == {"i": 1}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"text,source,augmentation_method\nx,nope,m\n", "row 1: no item of this project has id 'nope'"),
        (b"text,source_item,augmentation_method\nx,999999,m\n", "row 1: source item 999999 is not in this project"),
        (
            b"text,source,augmentation_method,augmentation_params\nx,r1,m,{oops\n",
            "row 1: 'augmentation_params' is not JSON",
        ),
    ],
)
def test_a_bad_lineage_row_fails_the_batch_and_keeps_nothing(project, manager, originals, content, message):
    batch = import_file(project, manager, "bad.csv", content)
    assert batch.status == "failed" and message in batch.error
    assert Item.objects.filter(project=project).count() == 3 and not Augmentation.objects.exists()


@pytest.mark.parametrize(
    "item, message",
    [
        ({"source_item": 999999, "data": {"text": "x"}, "method": "m"}, "row 1: source item 999999"),
        ({"data": {"text": "x"}, "method": "m"}, "source_item"),
        ({"source_item": 1, "data": {"text": "x"}, "method": "m", "params": "{not json"}, "not JSON"),
        ({"source_item": 1, "data": {"text": "x"}, "method": "m", "params": [1]}, "JSON object"),
        ({"source_item": 1, "data": {"txt": "x"}, "method": "m"}, "'text'"),
    ],
)
def test_register_refuses_bad_rows_and_stores_nothing(api_client, project, manager, originals, item, message):
    if item.get("source_item") == 1:
        item = {**item, "source_item": originals["r1"].pk}
    response = api_client(manager).post(register_url(project), {"items": [item]}, format="json")
    assert response.status_code == 400 and message in str(response.json())
    assert Batch.objects.filter(project=project).count() == 1


def test_another_projects_item_is_not_a_source(api_client, project, manager, outsider, originals):
    other = outsider.projects.get()
    response = api_client(outsider).post(
        register_url(other),
        {"items": [{"source_item": originals["r1"].pk, "data": {"text": "x"}, "method": "m"}]},
        format="json",
    )
    assert response.status_code == 400 and "row 1" in response.json()["detail"]


def test_endpoints_refuse_strangers_and_other_projects(
    api_client, client, project, manager, annotator, outsider, originals
):
    urls = [
        (
            "post",
            register_url(project),
            {"items": [{"source_item": originals["r1"].pk, "data": {"text": "x"}, "method": "m"}]},
        ),
        ("post", f"/api/projects/{project.pk}/augmentations/generate/", {"version": 1, "method": "case_noise"}),
        ("get", f"/api/projects/{project.pk}/augmentations/methods/", None),
        ("get", f"/api/items/{originals['r1'].pk}/lineage/", None),
    ]
    for verb, url, body in urls:
        assert getattr(client, verb)(url, body, content_type="application/json").status_code in (401, 403)
        assert getattr(api_client(outsider), verb)(url, body, format="json").status_code == 404
    # Annotators may read, not write.
    assert api_client(annotator).post(urls[0][1], urls[0][2], format="json").status_code in (403, 404)
    assert api_client(annotator).get(urls[2][1]).status_code == 200
    assert Batch.objects.filter(project=project).count() == 1 and not AugmentationJob.objects.exists()


def test_methods_fit_the_task_type(api_client, project, manager):
    methods = api_client(manager).get(f"/api/projects/{project.pk}/augmentations/methods/").json()["methods"]
    names = [m["name"] for m in methods]
    assert "word_dropout" in names and "blur" not in names
    dropout = next(m for m in methods if m["name"] == "word_dropout")
    assert dropout["params"][0]["name"] == "rate" and dropout["params"][0]["default"] == 0.1


def generate(client, project, **body):
    return client.post(f"/api/projects/{project.pk}/augmentations/generate/", body, format="json")


@pytest.mark.parametrize(
    "body, status",
    [
        ({"version": 1, "method": "blur"}, 400),
        ({"version": 1, "method": "word_dropout", "params": {"rate": 5}}, 400),
        ({"version": 1, "method": "word_dropout", "params": "{bad"}, 400),
        ({"version": 1, "method": "word_dropout", "filter": {"label": "nope"}}, 400),
        ({"version": 1, "method": "word_dropout", "filter": {"metadata": {"a__b": 1}}}, 400),
        ({"version": 9, "method": "word_dropout"}, 404),
        ({"method": "word_dropout"}, 400),
    ],
)
def test_generate_refuses_bad_requests(api_client, project, manager, originals, body, status):
    assert generate(api_client(manager), project, **body).status_code == status
    assert not AugmentationJob.objects.exists()


def _generated_texts(project, manager, seed: int) -> list[tuple[str, dict]]:
    job = augment_services.augmentation_job_start(
        project=project,
        user=manager,
        version=1,
        method="keyboard_typos",
        params={"rate": 0.3},
        copies_per_item=2,
        seed=seed,
        item_filter={},
        label_policy="relabel",
    )
    job = augment_services.augmentation_job_run(job_id=str(job.pk))
    assert job.status == "batched" and job.rows == 6
    _run(job.batch_id)
    return sorted(
        (a.item.data["text"], a.params) for a in Augmentation.objects.filter(job_id=job.pk).select_related("item")
    )


def test_the_same_request_gives_byte_identical_items(project, manager, originals, django_user_model):
    from tests.factories import ProjectFactory

    first = _generated_texts(project, manager, seed=11)
    twin = ProjectFactory(user=manager, name="Twin")
    import_file(twin, manager, "first.csv", csv_bytes("a fine day", "a rainy day", "the best of times"))
    # Another project, other item ids, the same data: the generators are seeded by content, not ids.
    second = _generated_texts(twin, manager, seed=11)
    assert [p["replaced"] for _, p in first] and first == second
    again = augment_services.generated_rows(AugmentationJob.objects.filter(project=project).get())
    regenerated = sorted((row["text"], row["augmentation_params"]) for row in again)
    assert [row for row in regenerated if row in first] == first
    # A copy the noise left unchanged is its source again: the batch skipped it as a duplicate.
    assert all(not params["replaced"] for row in regenerated if row not in first for params in [row[1]])


def test_span_projects_refuse_methods_that_move_offsets(api_client, manager):
    from tests.factories import ProjectFactory

    spans = ProjectFactory(user=manager, task_type="spans", labels=["PER", "ORG"])
    import_file(spans, manager, "s.csv", csv_bytes("Ada met Bob"))
    response = generate(api_client(manager), spans, version=1, method="word_swap")
    assert response.status_code == 400 and "offsets" in response.json()["detail"]
    assert generate(api_client(manager), spans, version=1, method="case_noise").status_code == 202


def test_items_list_carries_lineage_and_filters_by_augmented(api_client, project, manager, originals):
    source = originals["r1"]
    content = (
        "text,source_item,augmentation_method,augmentation_params,augmentation_seed\n"
        f'a fine dya,{source.pk},typo,"{{""at"": 8}}",3\n'
    ).encode()
    assert import_file(project, manager, "aug.csv", content).status == "accepted"
    child = Item.objects.get(project=project, data={"text": "a fine dya"})
    client = api_client(manager)
    items_url = f"/api/projects/{project.pk}/items/"
    body = client.get(items_url, {"augmented": "true"}).json()
    assert [item["id"] for item in body["results"]] == [child.pk] and body["count"] is None
    [made] = body["results"]
    assert (made["source"], made["root"], made["split"]) == (source.pk, source.pk, None)
    assert made["augmentation"] == {
        "method": "typo", "params": {"at": 8}, "seed": 3, "generation": 1, "library": "", "library_version": "",
        "config_hash": child.augmentation.config_hash, "label_policy": "relabel",
    }  # fmt: skip
    plain = client.get(items_url, {"augmented": "false"}).json()["results"]
    assert sorted(item["id"] for item in plain) == sorted(item.pk for item in originals.values())
    assert all(item["source"] is None and item["root"] is None and item["augmentation"] is None for item in plain)
    assert client.get(items_url, {"augmented": "true", "split": "train"}).json()["results"] == []
    refused = client.get(items_url, {"augmented": "yes"})
    assert refused.status_code == 400 and "augmented" in refused.json()
