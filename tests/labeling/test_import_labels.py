"""Existing labels brought in with one upload: Label Studio exports, mapped label columns, Doccano."""

import io
import json
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from config.errors import DomainError
from conftest import wait_for
from datasets.models import Batch, Item
from labeling.imports.parse import LabelMapping
from labeling.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    GoldLabel,
    ItemState,
    Prediction,
    PredictionSet,
    StagedLabel,
)
from projects.models import Membership
from quality.pipeline import services
from tests.factories import ProjectFactory, UserFactory, add_member


@pytest.fixture
def team(project):
    """Two annotators: one the exports name by email, one by username."""
    ann = UserFactory(username="ann", email="ann@example.com")
    bob = UserFactory(username="bob", email="bob@corp.example")
    for user in (ann, bob):
        add_member(project, user, "annotator")
    return ann, bob


def upload(project, user, name: str, content: bytes | str, **mapping) -> Batch:
    data = content.encode() if isinstance(content, str) else content
    return services.batch_upload(
        project=project,
        user=user,
        uploaded=SimpleUploadedFile(name, data),
        enqueue=False,
        label_mapping=LabelMapping(**mapping),
    )


def run(batch: Batch) -> Batch:
    services.batch_import(batch_id=str(batch.pk))
    batch.refresh_from_db()
    return batch


def imported(batch: Batch) -> dict:
    return next(r for r in batch.results if r["check"] == "import")


def choice(label: str, kind: str = "choices", to_name: str = "text") -> dict:
    return {"type": kind, "from_name": "label", "to_name": to_name, "value": {"choices": [label]}}


def labelstudio_export() -> list[dict]:
    """Label Studio's "Export -> JSON", trimmed to what matters here."""
    return [
        {
            "id": 101,
            "data": {"text": "great film"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": {"id": 7, "email": "ann@example.com", "first_name": "", "last_name": ""},
                    "result": [choice("positive")],
                    "was_cancelled": False,
                    "ground_truth": True,
                    "created_at": "2024-03-01T10:00:00.000000Z",
                    "updated_at": "2024-03-02T11:00:00.000000Z",
                },
                {
                    "id": 2,
                    "completed_by": "bob",
                    "result": [choice("positive")],
                    "was_cancelled": False,
                    "ground_truth": False,
                },
            ],
            "predictions": [{"model_version": "bert-v2", "score": 0.8, "result": [choice("positive")]}],
        },
        {
            "id": 102,
            "data": {"text": "a dull evening"},
            "annotations": [
                {"completed_by": {"email": "ann@example.com"}, "result": [], "was_cancelled": True},
                {
                    "completed_by": {"email": "bob@corp.example"},
                    "result": [
                        choice("negative"),
                        {"type": "rectanglelabels", "value": {"x": 1, "y": 2, "rectanglelabels": ["x"]}},
                    ],
                },
            ],
            "predictions": [{"model_version": "bert-v2", "result": [choice("negative")]}],
        },
        {
            "id": 103,
            "data": {"text": "only a relation here"},
            "annotations": [{"completed_by": "ann", "result": [{"type": "relation", "from_id": "a", "to_id": "b"}]}],
        },
    ]


def test_a_labelstudio_export_brings_annotations_skips_gold_and_predictions(project, manager, team):
    ann, _ = team
    batch = run(upload(project, manager, "project-7-at-2024.json", json.dumps(labelstudio_export())))
    assert batch.status == "accepted", batch.error
    items = {i.external_id: i for i in Item.objects.filter(project=project)}
    assert set(items) == {"101", "102", "103"}
    assert "__labelstudio__" not in json.dumps([i.metadata for i in items.values()])

    values = {
        (a.item.external_id, a.annotator.username): a.value
        for a in Annotation.objects.select_related("item", "annotator")
    }
    assert values == {("101", "ann"): "positive", ("101", "bob"): "positive", ("102", "bob"): "negative"}
    first = Annotation.objects.get(item=items["101"], annotator=ann)
    assert first.created_at.isoformat().startswith("2024-03-01T10:00")
    assert first.updated_at.isoformat().startswith("2024-03-02T11:00")
    assert AnnotationRevision.objects.filter(annotation__project=project).count() == 3

    skip = Assignment.objects.get(item=items["102"], annotator=ann)
    assert skip.status == "skipped"
    assert not Annotation.objects.filter(item=items["102"], annotator=ann).exists()

    assert GoldLabel.objects.get(item=items["101"]).value == "positive"
    prediction_set = PredictionSet.objects.get(project=project)
    assert prediction_set.model_name == "bert-v2" and prediction_set.count == 2
    probabilities = {p.item.external_id: p.probabilities for p in Prediction.objects.select_related("item")}
    assert probabilities["101"] == pytest.approx([0.8, 0.1, 0.1])
    assert probabilities["102"] == pytest.approx([0.0, 1.0, 0.0])

    labels = imported(batch)["labels"]
    assert (labels["annotations"], labels["skips"], labels["gold"], labels["predictions"]) == (3, 1, 1, 2)
    assert labels["unsupported"] == 2
    assert {t["task"] for t in labels["unsupported_tasks"]} == {"102", "103"}
    assert "2 result(s) not imported" in imported(batch)["message"]

    state = ItemState.objects.get(item=items["101"])
    assert (state.submitted, state.is_open, state.started) == (2, False, True)  # overlap 2: full
    assert ItemState.objects.get(item=items["102"]).submitted == 1
    assert set(Annotation.objects.values_list("origin", "import_batch")) == {("imported", batch.pk)}
    assert not StagedLabel.objects.exists()


def test_a_batch_that_fails_after_its_labels_were_staged_leaves_none(project, manager, team, settings):
    """Labels staged with an earlier chunk, on an item the dataset held already, go with the failure."""
    assert run(upload(project, manager, "b.csv", "text\ngreat film\n")).status == "accepted"
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 1
    export = labelstudio_export()
    export[1]["annotations"][1]["result"] = [choice("furious")]
    batch = run(upload(project, manager, "ls.json", json.dumps(export)))
    assert batch.status == "failed" and "row 2" in batch.error
    assert not StagedLabel.objects.exists()
    assert not Annotation.objects.exists() and not Assignment.objects.exists() and not GoldLabel.objects.exists()
    assert Item.objects.filter(project=project).count() == 1


def test_our_own_export_fields_gold_without_an_annotation_and_every_probability(project, manager, team):
    task = {
        "id": 9,
        "data": {"text": "fine"},
        "meta": {"gold": "neutral"},
        "annotations": [{"completed_by": "ann", "result": [choice("positive")]}],
        "predictions": [
            {"model_version": "m", "score": 0.5, "result": [choice("negative")],
             "probabilities": {"positive": 0.2, "negative": 0.5, "neutral": 0.3}},
            {"model_version": "odd", "result": [choice("negative")], "probabilities": {"furious": 1.0}},
        ],
    }  # fmt: skip
    batch = run(upload(project, manager, "ls.json", json.dumps([task])))
    assert batch.status == "accepted", batch.error
    assert GoldLabel.objects.get(item__external_id="9").value == "neutral"
    assert Prediction.objects.get(prediction_set__model_name="m").probabilities == pytest.approx([0.2, 0.5, 0.3])
    assert imported(batch)["labels"]["unsupported_tasks"][0]["not_imported"] == [
        "prediction: furious not a label of this project"
    ]


def test_the_queue_takes_in_the_imported_items_without_losing_their_counts(project, manager, team, api_client):
    ann, _ = team
    run(upload(project, manager, "ls.json", json.dumps(labelstudio_export())))
    client = api_client(ann)
    seen = set()
    for _ in range(6):
        response = client.get(f"/api/projects/{project.pk}/next/")
        if response.status_code != 200:
            break
        item_id = response.json()["item"]["id"]
        seen.add(Item.objects.get(pk=item_id).external_id)
        client.post(f"/api/items/{item_id}/skip/", {}, format="json")
    # 101 is full and labeled by ann; 102 was skipped by ann (it may come back last); 103 is new to her.
    assert "101" not in seen and "103" in seen
    assert ItemState.objects.get(item__external_id="101").submitted == 2


def test_spans_multilabel_and_image_results_map_onto_their_task_types(manager):
    ann = UserFactory(username="ann", email="ann@example.com")
    spans = ProjectFactory(user=manager, task_type="spans", labels=["PER", "ORG"], overlap=1)
    add_member(spans, ann, "annotator")
    region = {"type": "labels", "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}}
    org = {"type": "labels", "value": {"start": 8, "end": 12, "text": "ACME", "labels": ["ORG"]}}
    task = {"data": {"text": "Ada met ACME"}, "annotations": [{"completed_by": "ann", "result": [org, region]}]}
    assert run(upload(spans, manager, "s.json", json.dumps([task]))).status == "accepted"
    assert Annotation.objects.get(project=spans).value == [
        {"start": 0, "end": 3, "label": "PER"},
        {"start": 8, "end": 12, "label": "ORG"},
    ]

    multi = ProjectFactory(user=manager, task_type="multilabel", labels=["a", "b", "c"], overlap=1)
    add_member(multi, ann, "annotator")
    result = {"type": "choices", "value": {"choices": ["c", "a"]}}
    task = {"data": {"text": "two of them"}, "annotations": [{"completed_by": "ann", "result": [result]}]}
    assert run(upload(multi, manager, "m.json", json.dumps([task]))).status == "accepted"
    assert Annotation.objects.get(project=multi).value == ["a", "c"]

    image = ProjectFactory(user=manager, task_type="image", labels=["cat", "dog"], overlap=1)
    add_member(image, ann, "annotator")
    task = {
        "data": {"image": "https://example.com/1.jpg"},
        "annotations": [{"completed_by": "ann", "result": [choice("dog", to_name="image")]}],
        "predictions": [{"model_version": "resnet", "result": [{**choice("cat", to_name="image"), "score": 0.7}]}],
    }
    assert run(upload(image, manager, "i.json", json.dumps([task]))).status == "accepted"
    assert Annotation.objects.get(project=image).value == "dog"
    assert Prediction.objects.get(prediction_set__project=image).probabilities == pytest.approx([0.7, 0.3])


def test_unmatched_annotators_are_named_before_anything_is_kept(project, manager, team):
    export = labelstudio_export()
    export[0]["annotations"][1]["completed_by"] = {"email": "carol@elsewhere.example"}
    with pytest.raises(DomainError, match=r"carol@elsewhere\.example") as raised:
        upload(project, manager, "ls.json", json.dumps(export))
    assert raised.value.status_code == 400
    assert not Batch.objects.filter(project=project).exists()

    batch = run(upload(project, manager, "ls.json", json.dumps(export), unmatched="skip"))
    assert batch.status == "accepted"
    assert imported(batch)["labels"]["unmatched_skipped"] == 1
    assert not get_user_model().objects.filter(email="carol@elsewhere.example").exists()
    assert Annotation.objects.filter(project=project).count() == 2


def test_unmatched_annotators_can_join_as_annotators_who_never_log_in(project, manager, team, outsider):
    export = labelstudio_export()
    export[0]["annotations"][1]["completed_by"] = {"email": "carol@elsewhere.example"}
    export[2]["annotations"] = [{"completed_by": "outsider", "result": [choice("neutral")]}]
    batch = run(upload(project, manager, "ls.json", json.dumps(export), unmatched="add_as_annotators"))
    assert batch.status == "accepted", batch.error
    carol = get_user_model().objects.get(email="carol@elsewhere.example")
    assert not carol.is_active and not carol.has_usable_password()
    assert Membership.objects.get(project=project, user=carol).role == "annotator"
    assert Annotation.objects.get(annotator=carol).value == "positive"
    # A name that belongs to a real user who is not a member gets a new account, never theirs.
    assert not Membership.objects.filter(project=project, user=outsider).exists()
    assert Annotation.objects.get(item__external_id="103").annotator.username == "outsider-imported"
    assert sorted(imported(batch)["labels"]["added_annotators"]) == ["carol@elsewhere.example", "outsider"]


def test_a_label_outside_the_schema_fails_the_batch_naming_the_row(project, manager, team):
    export = labelstudio_export()
    export[1]["annotations"][1]["result"] = [choice("furious")]
    batch = run(upload(project, manager, "ls.json", json.dumps(export)))
    assert batch.status == "failed"
    assert "row 2" in batch.error and "annotation 2" in batch.error
    assert not Item.objects.filter(project=project).exists()
    assert not Annotation.objects.exists() and not GoldLabel.objects.exists() and not PredictionSet.objects.exists()


def test_label_columns_of_a_csv(project, manager, team):
    content = (
        "id,text,label,annotator,gold,channel\n"
        "1,great,positive,ann@example.com,positive,web\n"
        "1,great,negative,bob,,web\n"
        "2,awful,negative,ann,,app\n"
        "3,no label yet,,,,app\n"
    )
    batch = run(upload(project, manager, "b.csv", content, label_column="label", annotator_column="annotator",
                       gold_column="gold"))  # fmt: skip
    assert batch.status == "accepted", batch.error
    assert batch.rows_added == 3
    item = Item.objects.get(project=project, external_id="1")
    assert item.metadata == {"channel": "web"}
    values = {(a.item.external_id, a.annotator.username): a.value for a in Annotation.objects.all()}
    assert values == {("1", "ann"): "positive", ("1", "bob"): "negative", ("2", "ann"): "negative"}
    assert GoldLabel.objects.get(item=item).value == "positive"


def test_a_csv_label_outside_the_schema_is_quarantined_with_its_row(project, manager, team):
    content = "text,label,annotator\ngreat,positive,ann\nmeh,furious,bob\n"
    batch = run(upload(project, manager, "b.csv", content, label_column="label", annotator_column="annotator"))
    assert batch.status == "quarantined"
    labels = next(r for r in batch.results if r["check"] == "labels")
    assert labels["samples"][0]["row"] == 2
    assert not Annotation.objects.exists()


def test_a_file_without_a_mapping_uploads_as_today(project, manager, team):
    batch = run(upload(project, manager, "b.csv", "text,label,annotator\ngreat,positive,ann\n"))
    assert batch.status == "accepted"
    assert Item.objects.get(project=project).metadata == {"label": "positive", "annotator": "ann"}
    assert not Annotation.objects.exists()
    assert "labels" not in imported(batch)


def test_multilabel_jsonl_and_parquet_label_columns(manager):
    ann = UserFactory(username="ann", email="ann@example.com")
    project = ProjectFactory(user=manager, task_type="multilabel", labels=["a", "b", "c"], overlap=1)
    add_member(project, ann, "annotator")
    lines = [{"text": "one", "tags": ["b", "a"], "who": "ann"}, {"text": "two", "tags": "c;a", "who": "ann"}]
    content = "\n".join(json.dumps(line) for line in lines) + "\n"
    batch = run(upload(project, manager, "m.jsonl", content, label_column="tags", annotator_column="who"))
    assert batch.status == "accepted", batch.error
    assert sorted(a.value for a in Annotation.objects.filter(project=project)) == [["a", "b"], ["a", "c"]]

    table = pa.table({"text": ["three", "four"], "tags": [["c"], ["a", "b"]], "gold": [["c"], None]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    batch = run(upload(project, manager, "m.parquet", buffer.getvalue(), label_column="tags", gold_column="gold"))
    assert batch.status == "accepted", batch.error
    # No annotator column: the labels are the uploader's.
    assert sorted(a.value for a in Annotation.objects.filter(project=project, annotator=manager)) == [["a", "b"], ["c"]]
    assert GoldLabel.objects.get(item__data__text="three").value == ["c"]


def test_a_doccano_export(manager):
    project = ProjectFactory(user=manager, task_type="spans", labels=["PER", "ORG"], overlap=1)
    lines = [
        {"id": 1, "text": "Ada met ACME", "label": [[0, 3, "PER"], [8, 12, "ORG"]]},
        {"id": 2, "text": "nobody here", "label": []},
    ]
    content = "\n".join(json.dumps(line) for line in lines) + "\n"
    batch = run(upload(project, manager, "doccano.jsonl", content, label_column="label"))
    assert batch.status == "accepted", batch.error
    values = {a.item.external_id: a.value for a in Annotation.objects.filter(project=project)}
    assert values["1"] == [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 12, "label": "ORG"}]

    bad = [{"text": "Ada again", "label": [[0, 30, "PER"]]}]
    batch = run(upload(project, manager, "bad.jsonl", json.dumps(bad[0]) + "\n", label_column="label"))
    assert batch.status == "failed" and "row 1" in batch.error


def test_annotations_beyond_the_overlap_are_kept_and_the_item_marked_full(project, manager, team):
    carol = UserFactory(username="carol")
    add_member(project, carol, "annotator")
    content = "text,label,who\ngreat,positive,ann\ngreat,positive,bob\ngreat,neutral,carol\n"
    batch = run(upload(project, manager, "b.csv", content, label_column="label", annotator_column="who"))
    assert imported(batch)["labels"]["over_overlap"] == 1
    state = ItemState.objects.get(item__project=project)
    assert state.submitted == 3 and not state.is_open
    assert "more annotations than the overlap" in imported(batch)["message"]


def test_the_same_file_twice_stores_its_labels_once(project, manager, team):
    export = json.dumps(labelstudio_export())
    run(upload(project, manager, "ls.json", export))
    again = run(upload(project, manager, "ls-again.json", export))
    assert again.status == "accepted"
    assert imported(again)["labels"]["already_labeled"] == 4
    assert Annotation.objects.filter(project=project).count() == 3


def test_a_run_killed_while_storing_labels_loses_nothing_and_doubles_nothing(project, manager, team, monkeypatch):
    batch = upload(project, manager, "ls.json", json.dumps(labelstudio_export()))
    real = services.imported_labels_store

    def store_then_die(**kwargs):
        real(**kwargs)
        raise OperationalError("the worker's connection went away")

    monkeypatch.setattr(services, "imported_labels_store", store_then_die)
    with pytest.raises(OperationalError):
        services.batch_import(batch_id=str(batch.pk))
    assert not Annotation.objects.exists() and not GoldLabel.objects.exists() and not PredictionSet.objects.exists()
    monkeypatch.setattr(services, "imported_labels_store", real)

    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert services.batch_recover_stale() == [str(batch.pk)]
    assert run(batch).status == "accepted"
    assert services.batch_import(batch_id=str(batch.pk)) is None  # a duplicated task: nothing more
    assert Annotation.objects.filter(project=project).count() == 3
    assert PredictionSet.objects.filter(project=project).count() == 1
    assert Prediction.objects.count() == 2 and GoldLabel.objects.count() == 1


def test_our_labelstudio_export_comes_back_with_the_same_annotations(project, manager, team, api_client):
    run(upload(project, manager, "ls.json", json.dumps(labelstudio_export())))
    response = api_client(manager).get(f"/api/projects/{project.pk}/versions/1/export/?format=labelstudio")
    assert response.status_code == 200
    exported = b"".join(response.streaming_content) if response.streaming else response.content
    other = ProjectFactory(user=manager, name="Copy")
    for user in team:
        add_member(other, user, "annotator")
    assert run(upload(other, manager, "back.json", exported)).status == "accepted"

    def annotations(p):
        return sorted((a.item.external_id, a.annotator.username, a.value) for a in Annotation.objects.filter(project=p))

    assert annotations(other) == annotations(project)


# -- the API ----------------------------------------------------------------------------------
def post(client, project, name: str, content: bytes, **fields):
    return client.post(
        f"/api/projects/{project.pk}/batches/",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def test_api_upload_with_label_columns(project, manager, team, api_client, annotator, outsider):
    content = b"text,label,who\ngreat,positive,ann\nawful,negative,carol\n"
    response = post(api_client(manager), project, "b.csv", content, label_column="label", annotator_column="who")
    assert response.status_code == 400 and "carol" in response.json()["detail"]

    response = post(api_client(manager), project, "b.csv", content, annotator_column="who")
    assert response.status_code == 400 and "annotator_column" in response.json()

    fields = {"label_column": "label", "annotator_column": "who", "unmatched": "skip"}
    response = post(api_client(manager), project, "b.csv", content, **fields)
    assert response.status_code == 202
    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.label_mapping == fields
    assert api_client(manager).get(f"/api/batches/{batch.pk}/").json()["label_mapping"] == fields

    assert post(api_client(annotator), project, "b.csv", content, **fields).status_code == 403
    assert post(api_client(outsider), project, "b.csv", content, **fields).status_code == 404


def test_api_reads_an_imported_gold_answer(project, manager, team, api_client, annotator, reviewer, outsider):
    run(upload(project, manager, "ls.json", json.dumps(labelstudio_export())))
    item = Item.objects.get(project=project, external_id="101")
    for user in (manager, reviewer):
        response = api_client(user).get(f"/api/items/{item.pk}/gold/")
        assert response.status_code == 200
        assert response.json()["value"] == "positive" and response.json()["set_by"] == "manager"
    no_gold = Item.objects.get(project=project, external_id="103")
    assert api_client(manager).get(f"/api/items/{no_gold.pk}/gold/").status_code == 404
    assert api_client(annotator).get(f"/api/items/{item.pk}/gold/").status_code == 403
    assert api_client(outsider).get(f"/api/items/{item.pk}/gold/").status_code == 404


def test_an_export_that_names_annotators_by_label_studio_id_only(project, manager):
    task = {"id": 5, "data": {"text": "fine"}, "annotations": [{"completed_by": 1, "result": [choice("neutral")]}]}
    with pytest.raises(DomainError, match="labelstudio-user-1"):
        upload(project, manager, "ls.json", json.dumps([task]))
    batch = run(upload(project, manager, "ls.json", json.dumps([task]), unmatched="add_as_annotators"))
    assert Annotation.objects.get(project=project).annotator.username == "labelstudio-user-1"
    assert imported(batch)["labels"]["added_annotators"] == ["labelstudio-user-1"]


def test_the_upload_form_takes_the_label_columns(project, manager, team, client):
    client.force_login(manager)
    url = f"/projects/{project.pk}/batches/"
    content = b"text,label,who\ngreat,positive,ann\n"
    fields = {"label_column": "label", "annotator_column": "who"}
    client.post(url, {"file": SimpleUploadedFile("b.csv", content), **fields})
    assert Batch.objects.get(project=project).label_mapping == fields
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", content), "annotator_column": "who"}, follow=True)
    assert "name the label column" in response.content.decode()
    assert Batch.objects.filter(project=project).count() == 1


@pytest.mark.worker
def test_a_real_worker_imports_a_labelstudio_export_with_its_labels(project, manager, team, celery_worker_process):
    batch = services.batch_upload(
        project=project,
        user=manager,
        uploaded=SimpleUploadedFile("ls.json", json.dumps(labelstudio_export()).encode()),
    )
    batch = wait_for(
        lambda: Batch.objects.filter(pk=batch.pk, status__in=["accepted", "failed"]).first(),
        timeout=60,
        what=f"the batch to finish; worker log:\n{celery_worker_process.log()}",
    )
    assert batch.status == "accepted", batch.error
    assert Annotation.objects.filter(project=project).count() == 3
    assert imported(batch)["labels"]["unsupported"] == 2
