"""The demo's labels: three simulated annotators of different care, gold answers and two model versions' predictions.

They go through the same services as people and models do, so the demo's agreement
dashboard, review queue and label issues show what a real project would: a careful
annotator, a hasty one who confuses "mixed" with the neighbouring labels, items on which
they tie, and labels spread over the last three weeks.
"""

import json
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from datasets.models import Item
from datasets.selectors import version_latest
from demo.data import demo_tone
from labeling import services
from labeling.models import Annotation
from labeling.review import services as review_services
from labeling.review.services.results import review_result_compute
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
TODAY_SHARE = 0.06  # of the annotations, made today


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


def _sittings(rng: random.Random, made: list[Annotation], *, now: datetime) -> None:
    """Each annotator labels a day's items in one sitting, seconds apart, and a few items today:
    the team page then has a pace and a day's work to show."""
    today = [annotation for annotation in made if rng.random() < TODAY_SHARE]
    for annotation in today:
        annotation.created_at = now - timedelta(hours=1)
    sittings: dict[tuple[int, date], list[Annotation]] = defaultdict(list)
    for annotation in made:
        sittings[(annotation.annotator_id, annotation.created_at.date())].append(annotation)
    for (_, day), annotations in sorted(sittings.items()):
        annotations.sort(key=lambda annotation: annotation.created_at)
        gaps = [timedelta(seconds=rng.uniform(6, 45)) for _ in annotations]
        start = datetime.combine(day, time(9), tzinfo=UTC) + timedelta(minutes=rng.uniform(0, 240))
        moment = min(start, now - sum(gaps, timedelta()))
        for annotation, gap in zip(annotations, gaps, strict=True):
            moment += gap
            annotation.created_at = annotation.updated_at = moment


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
    _sittings(random.Random(seed + 1), made, now=now)
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
    # Ranked now, so the explorer's "flagged as a label issue" filter has a ranking to read.
    version = version_latest(project=project)
    review_result_compute(project=project, version=version.number, kind="label_issues")
    return {"annotations": len(made), "gold": GOLD_ITEMS, "predictions": len(predictions)}


LABELSTUDIO_TASKS = 12


def demo_labelstudio_export(project: Project) -> bytes:
    """A Label Studio "Export -> JSON" of reviews the project holds but nobody labeled yet, as a team
    moving over would upload it: two annotators' choices (one cancelled), ground truth on a few,
    a model's predictions, and a rectangle the project cannot hold (reported, not imported)."""
    rng = random.Random(23)
    unlabeled = Item.objects.filter(project=project, source__isnull=True, annotations__isnull=True).order_by(
        "external_id"
    )[:LABELSTUDIO_TASKS]
    tasks = []
    for number, item in enumerate(unlabeled, start=1):
        text = item.data[project.content_column]
        truth = demo_tone(text)
        choice = {"type": "choices", "from_name": "sentiment", "to_name": "text", "origin": "manual"}
        annotations = [
            {
                "id": number * 10 + person,
                "completed_by": {"id": person, "email": f"annotator{person}@example.com"},
                "result": [{**choice, "id": f"r{number}-{person}", "value": {"choices": [truth]}}],
                "was_cancelled": person == 2 and number % 5 == 0,
                "ground_truth": person == 1 and number % 6 == 0,
                "created_at": f"2024-03-{number:02d}T10:00:00.000000Z",
                "updated_at": f"2024-03-{number:02d}T10:0{person}:00.000000Z",
            }
            for person in (1, 2)
        ]
        if number == 1:
            box = {"x": 10, "y": 10, "width": 30, "height": 20, "rectanglelabels": ["logo"]}
            annotations[0]["result"].append({"type": "rectanglelabels", "from_name": "box", "value": box})
        guess = truth if rng.random() < 0.8 else rng.choice(project.label_names)
        tasks.append(
            {
                "id": 7000 + number,
                "data": {"text": text, **item.metadata},
                "annotations": annotations,
                "predictions": [
                    {
                        "model_version": "labelstudio-ml-backend-v3",
                        "score": round(rng.uniform(0.55, 0.95), 2),
                        "result": [{**choice, "origin": "prediction", "value": {"choices": [guess]}}],
                    }
                ],
            }
        )
    return json.dumps(tasks).encode()
