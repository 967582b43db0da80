"""The uncertainty order: stored in the sort key by one UPDATE whose SQL agrees with the Python
margin, applied after full overlap and priority, following new models, new items and the setting."""

import uuid

import numpy as np
import pytest

from datasets.models import Item
from labeling import services
from labeling.models import ItemState, Prediction, PredictionSet
from labeling.suggestions.uncertainty import queue_order_apply
from labeling.suggestions.values import uncertainty, uncertainty_rank
from tests.factories import ProjectFactory
from tests.labeling.conftest import import_rows

pytestmark = pytest.mark.django_db


def _keys(project) -> dict[int, str]:
    return dict(ItemState.objects.filter(project=project).values_list("item_id", "sort_key"))


@pytest.mark.parametrize("task_type", ["classification", "multilabel"])
def test_the_sql_margin_agrees_with_the_python_one(manager, task_type):
    project = ProjectFactory(user=manager, task_type=task_type, labels=["a", "b", "c", "d"], queue_order="uncertainty")
    import_rows(project, manager, [{"id": f"r{n}", "text": f"row {n}"} for n in range(40)])
    services.queue_sync(project=project)
    items = list(Item.objects.filter(project=project).order_by("id"))
    rng = np.random.default_rng(11)
    rows = rng.dirichlet(np.ones(4), size=len(items)) if task_type == "classification" else rng.random((len(items), 4))
    rows[0] = [0.25, 0.25, 0.25, 0.25]  # a tie: margin 0
    prediction_set = PredictionSet.objects.create(
        project=project, model_name="m", labels=project.label_names, created_by=manager
    )
    # The last item gets none; one gets its list under a "probabilities" key.
    stored = {item.pk: [round(float(p), 6) for p in row] for item, row in zip(items[:-1], rows, strict=False)}
    shapes = {pk: ({"probabilities": p} if index == 1 else p) for index, (pk, p) in enumerate(stored.items())}
    Prediction.objects.bulk_create(
        Prediction(prediction_set=prediction_set, item_id=k, probabilities=v) for k, v in shapes.items()
    )
    queue_order_apply(project=project)
    keys = _keys(project)
    hashes = dict(Item.objects.filter(project=project).values_list("id", "content_hash"))
    for item in items:
        margin = uncertainty(task_type=task_type, prediction=stored.get(item.pk))
        assert keys[item.pk] == uncertainty_rank(margin) + hashes[item.pk], (item.pk, stored.get(item.pk))
    assert keys[items[-1].pk].startswith("9999")


def test_the_queue_serves_the_least_sure_first_after_full_overlap(loaded_project, manager, annotators, api_client):
    boss = api_client(manager)
    items = list(Item.objects.filter(project=loaded_project).order_by("id"))
    margins = [0.9, 0.1, 0.5, 0.3, 0.7, 0.05]
    body = {
        "model": "m",
        "predictions": [
            {"item": item.pk, "probabilities": [(1 + m) / 2, (1 - m) / 2, 0]}
            for item, m in zip(items, margins, strict=True)
        ],
    }
    assert (
        boss.patch(f"/api/projects/{loaded_project.pk}/", {"queue_order": "uncertainty"}, format="json").status_code
        == 200
    )
    assert boss.post(f"/api/projects/{loaded_project.pk}/predictions/", body, format="json").status_code == 201
    by_margin = [item.pk for _, item in sorted(zip(margins, items, strict=True), key=lambda pair: pair[0])]
    first = api_client(annotators[0])
    got = first.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]["id"]
    assert got == by_margin[0]
    # Full overlap first: the second annotator gets the started item, not the next least sure.
    assert api_client(annotators[1]).get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]["id"] == got
    first.post(f"/api/items/{got}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json")
    assert first.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]["id"] == by_margin[1]
    # Back to the default order: the bare content hash again.
    boss.patch(f"/api/projects/{loaded_project.pk}/", {"queue_order": "default"}, format="json")
    hashes = dict(Item.objects.filter(project=loaded_project).values_list("id", "content_hash"))
    assert _keys(loaded_project) == hashes


def test_items_taken_in_later_get_the_order_too(loaded_project, manager):
    services.project_settings_update(project=loaded_project, queue_order="uncertainty")
    services.queue_sync(project=loaded_project)
    assert all(key.startswith("9999") for key in _keys(loaded_project).values())
    import_rows(loaded_project, manager, [{"id": "late", "text": "a later item"}], name="late.csv")
    services.queue_sync(project=loaded_project)
    keys = _keys(loaded_project)
    assert len(keys) == 7 and all(len(key) == 68 and key.startswith("9999") for key in keys.values())
