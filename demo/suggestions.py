"""The demo's model in the loop: a third model version whose suggestions the annotators see
while labeling (preselected, a fifth of the items held out), and who follow it more when they
see it, so the agreement page's anchoring figures have something to show."""

import random
import uuid

from django.contrib.auth.models import AbstractBaseUser

from datasets.models import Item
from demo.data import demo_tone
from demo.labels import PROFILES, given_label, model_probabilities
from labeling import services
from labeling.review import services as review_services
from labeling.suggestions.serve import suggestion_serve
from projects.models import Project

PER_ANNOTATOR = 40
FOLLOWS_SHOWN = 0.5  # how often a shown suggestion is taken as it is, whatever the annotator thought


def demo_suggest(
    *, project: Project, annotators: dict[str, AbstractBaseUser], manager: AbstractBaseUser, seed: int = 5
) -> dict[str, int]:
    """Upload the model's predictions for every item, switch suggestions on (uncertainty order),
    and let each annotator label a few items through the queue as a person would."""
    rng = random.Random(seed)
    labels = project.label_names
    items = list(Item.objects.filter(project=project).order_by("id"))
    truths = {item.pk: demo_tone(item.data[project.content_column]) for item in items}
    predictions = [
        {"item": item.pk, "probabilities": model_probabilities(rng, truths[item.pk], labels)} for item in items
    ]
    review_services.predictions_store(
        project=project, user=manager, model_name="demo-sentiment-v3", predictions=predictions
    )
    project = services.project_settings_update(
        project=project, suggestions="preselect", suggestion_holdout=0.2, queue_order="uncertainty"
    )
    made = 0
    for _ in range(PER_ANNOTATOR):
        for username, user in annotators.items():
            item = services.next_item(project=project, user=user)
            if item is None:
                continue
            served = suggestion_serve(project=project, user=user, item=item)
            if served.suggestion and rng.random() < FOLLOWS_SHOWN:
                value = served.suggestion["value"]
            else:
                value = given_label(rng, truths[item.pk], PROFILES[username], labels)
            services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)
            made += 1
    return {"predictions": len(predictions), "annotations": made}
