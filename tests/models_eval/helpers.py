"""A small classification project labeled by four people, with a model's predictions, built
through the real services; and the settled labels and human references recomputed by loops."""

import json
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


TOPICS = ["sports", "politics", "science"]
ENTITIES = ["PER", "LOC"]


def multilabel_with_model(make_project, manager, reviewer, *, n_items: int = 40, seed: int = 3, name: str = "m1"):
    """A multi-label project labeled by four people (noisy copies of a true label set per item),
    one item adjudicated, and a model's per-label probabilities for all items but two."""
    rng = np.random.default_rng(seed)
    rows = [{"id": f"r{n}", "text": f"row {n}", "region": "north" if n % 3 else "south"} for n in range(n_items)]
    project = make_project("multilabel", TOPICS, rows)
    users = [UserFactory(username=f"ml{seed}n{n}") for n in range(4)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)
    truth = rng.random((n_items, len(TOPICS))) < 0.4
    annotations = []
    for index, item in enumerate(items):
        for a, user in enumerate(users):
            if a and rng.random() < 0.25:
                continue
            chosen = truth[index] ^ (rng.random(len(TOPICS)) < 0.1 + 0.05 * a)
            annotations.append((item, user, [t for t, yes in zip(TOPICS, chosen, strict=True) if yes]))
    bulk_annotate(project, annotations)
    review_services.adjudication_create(item=items[0], reviewer=reviewer, value=["science"])
    noisy = np.clip(truth + rng.normal(0, 0.35, truth.shape), 0, 1).round(4)
    predictions = [{"item": item.pk, "probabilities": p.tolist()} for item, p in zip(items, noisy, strict=True)][:-2]
    predictions_store(project=project, user=manager, model_name=name, predictions=predictions)
    return project


def spans_with_model(make_project, manager, reviewer, *, n_items: int = 30, seed: int = 4, name: str = "ner"):
    """A span project: four people mark names and places, mostly alike; a model's spans with scores."""
    rng = np.random.default_rng(seed)
    text = "Ada met Bob in Paris and Rome"
    gold = [(0, 3, "PER"), (8, 11, "PER"), (15, 20, "LOC"), (25, 29, "LOC")]
    rows = [{"id": f"s{n}", "text": f"{text} {n}", "kind": "a" if n % 2 else "b"} for n in range(n_items)]
    project = make_project("spans", ENTITIES, rows)
    users = [UserFactory(username=f"sp{seed}n{n}") for n in range(4)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)

    def noisy(share: float) -> list[dict]:
        kept = [s for s in gold if rng.random() > share]
        if rng.random() < share:
            kept.append((4, 7, "PER"))  # "met": a wrong span
        return [{"start": s, "end": e, "label": label} for s, e, label in kept]

    truth = [noisy(0.3) for _ in items]
    annotations = []
    for index, item in enumerate(items):
        for a, user in enumerate(users):
            annotations.append((item, user, truth[index] if rng.random() < 0.8 - 0.1 * a else noisy(0.3)))
    bulk_annotate(project, annotations)
    review_services.adjudication_create(item=items[0], reviewer=reviewer, value=[])
    predictions = [
        {"item": item.pk, "spans": [{**s, "score": round(float(rng.uniform(0.5, 1)), 3)} for s in noisy(0.3)]}
        for item in items
    ]
    predictions_store(project=project, user=manager, model_name=name, predictions=predictions)
    return project


def settled_values(project) -> dict[int, object]:
    """Each item's settled value by plain loops: the newest adjudication, else the strict majority
    of its annotations compared whole."""
    votes: dict[int, list[str]] = {}
    for item_id, value in Annotation.objects.filter(project=project).values_list("item_id", "value"):
        votes.setdefault(item_id, []).append(json.dumps(value, sort_keys=True))
    settled = {}
    for item_id, texts in votes.items():
        ranked = Counter(texts).most_common()
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            settled[item_id] = json.loads(ranked[0][0])
    for adjudication in project.adjudications.filter(action="label").order_by("id"):
        settled[adjudication.item_id] = adjudication.value
    return settled
