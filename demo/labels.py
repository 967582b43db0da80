"""The demo's labels: three simulated annotators of different care, gold answers and two model versions' predictions.

They go through the same services as people and models do, so the demo's agreement
dashboard, review queue and label issues show what a real project would: a careful
annotator, a hasty one who confuses "mixed" with the neighbouring labels, items on which
they tie, and labels spread over the last three weeks.
"""

import random
import uuid
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from datasets.models import Item
from demo.data import demo_tone
from labeling import services
from labeling.models import Annotation
from labeling.review import services as review_services
from projects.models import Project

# Per annotator: how often they give the true label, how many items they label, and which
# label they give instead when they do not (by true label).
PROFILES = {
    "annotator1": (0.93, 1.0, {"mixed": "neutral"}),
    "annotator2": (0.85, 1.0, {"mixed": "positive", "neutral": "mixed"}),
    "annotator3": (0.72, 0.8, {"mixed": "neutral", "neutral": "positive", "negative": "mixed"}),
}
LABELED_ITEMS = 160
GOLD_ITEMS = 12
DAYS = 21


def given_label(rng: random.Random, truth: str, profile: tuple, labels: list[str]) -> str:
    accuracy, _, confusions = profile
    if rng.random() < accuracy:
        return truth
    if truth in confusions and rng.random() < 0.7:
        return confusions[truth]
    return rng.choice([label for label in labels if label != truth])


def model_probabilities(rng: random.Random, truth: str, labels: list[str], accuracy: float = 0.85) -> list[float]:
    """A decent model: right about ``accuracy`` of the time, less sure when it is wrong."""
    predicted = truth if rng.random() < accuracy else rng.choice(labels)
    weights = [rng.uniform(0.02, 0.15) for _ in labels]
    weights[labels.index(predicted)] = rng.uniform(1.0, 3.0)
    total = sum(weights)
    return [round(w / total, 6) for w in weights]


def demo_label(
    *, project: Project, annotators: dict[str, AbstractBaseUser], manager: AbstractBaseUser, seed: int = 3
) -> dict[str, int]:
    """Label the first items of the demo project; returns how many annotations, gold items and predictions."""
    rng = random.Random(seed)
    labels = project.label_names
    items = list(Item.objects.filter(project=project).order_by("external_id")[:LABELED_ITEMS])
    truths = {item.pk: demo_tone(item.data[project.content_column]) for item in items}
    now = timezone.now()
    made: list[Annotation] = []
    for item in items:
        # An item's labels come within a couple of days of each other, as a queue hands them out.
        labeled_at = now - timedelta(days=rng.uniform(2, DAYS))
        for username, profile in PROFILES.items():
            if rng.random() >= profile[1]:
                continue
            value = given_label(rng, truths[item.pk], profile, labels)
            annotation, _ = services.annotation_submit(
                item=item, user=annotators[username], request_uuid=uuid.uuid4(), value=value
            )
            annotation.created_at = annotation.updated_at = labeled_at + timedelta(hours=rng.uniform(0, 48))
            made.append(annotation)
    # Back-dated in one statement per field set: the weekly agreement chart then has weeks to show.
    Annotation.objects.bulk_update(made, ["created_at", "updated_at"], batch_size=500)
    for item in rng.sample(items, GOLD_ITEMS):
        review_services.gold_set(item=item, user=manager, value=truths[item.pk])
    predictions = [
        {"item": item.pk, "probabilities": model_probabilities(rng, truths[item.pk], labels)} for item in items
    ]
    review_services.predictions_store(
        project=project, user=manager, model_name="demo-sentiment-v1", predictions=predictions
    )
    # A second, better model version: the evaluation page compares the two, side by side.
    newer = random.Random(seed + 100)
    better = [
        {"item": item.pk, "probabilities": model_probabilities(newer, truths[item.pk], labels, 0.93)} for item in items
    ]
    review_services.predictions_store(project=project, user=manager, model_name="demo-sentiment-v2", predictions=better)
    return {"annotations": len(made), "gold": GOLD_ITEMS, "predictions": len(predictions)}
