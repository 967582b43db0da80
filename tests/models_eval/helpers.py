"""A small classification project labeled by four people, with a model's predictions, built
through the real services; and the settled labels and human references recomputed by loops."""

from collections import Counter

import numpy as np

from labeling.models import Annotation
from labeling.predictions.services import predictions_store
from labeling.review import services as review_services
from tests.factories import UserFactory, add_member
from tests.review.conftest import bulk_annotate, items_of, random_labels

LABELS = ["cat", "dog", "bird"]


def labeled_with_model(make_project, manager, reviewer, *, n_items: int = 40, seed: int = 5, name: str = "m1"):
    project = make_project(
        "classification",
        LABELS,
        [{"id": f"r{n}", "text": f"row {n}", "region": "north" if n % 3 else "south"} for n in range(n_items)],
    )
    users = [UserFactory(username=f"e{seed}n{n}") for n in range(4)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)
    rows = random_labels(n_items, 4, 3, seed=seed, missing=0.3)
    bulk_annotate(project, [(items[i], users[a], LABELS[v]) for i, a, v in rows])
    review_services.adjudication_create(item=items[0], reviewer=reviewer, value="bird")
    upload_model(project, manager, name=name, seed=seed)
    return project


def upload_model(project, manager, *, name: str, seed: int):
    rng = np.random.default_rng(seed + 100)
    probabilities = rng.dirichlet(np.ones(3), len(items_of(project)))
    predictions = [
        {"item": item.pk, "probabilities": p.tolist()} for item, p in zip(items_of(project), probabilities, strict=True)
    ][:-2]  # two items without a prediction
    return predictions_store(project=project, user=manager, model_name=name, predictions=predictions)


def settled_and_predicted(project, prediction_set) -> tuple[list[int], list[str], list[str], list[float]]:
    """(item ids, settled label, predicted label, confidence) of the items evaluated, by plain loops."""
    votes: dict[int, list[str]] = {}
    for item_id, value in Annotation.objects.filter(project=project).values_list("item_id", "value"):
        votes.setdefault(item_id, []).append(value)
    final = {a.item_id: a.value for a in project.adjudications.filter(action="label").order_by("id")}
    rows = []
    for prediction in prediction_set.predictions.order_by("item_id"):
        ranked = Counter(votes.get(prediction.item_id, [])).most_common()
        majority = None if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]) else ranked[0][0]
        settled = final.get(prediction.item_id, majority)
        if settled is None:
            continue
        best = int(np.argmax(prediction.probabilities))
        rows.append((prediction.item_id, settled, LABELS[best], max(prediction.probabilities)))
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
