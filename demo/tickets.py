"""The demo's multi-label project: support tickets tagged with every topic they touch, by three
annotators of different care, and a tagging model's per-label probabilities, so the model's
evaluation page shows the multi-label figures (per-label F1 and kappa, Hamming loss, subset
accuracy) against the people."""

import random
import uuid
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser

from datasets.models import Item
from labeling import services
from labeling.models_eval.services import model_evaluation_compute
from labeling.predictions.services import predictions_store
from labeling.review import services as review_services
from projects import services as project_services
from projects.models import Project

NAME = "Support tickets"
TOPICS = ["billing", "shipping", "account", "bug"]
MODEL = "ticket-tagger-v1"
PHRASES = {
    "billing": ["I was charged twice this month", "the refund never reached my card", "my invoice shows the wrong VAT"],
    "shipping": ["the parcel is a week late", "the courier left it at the wrong door", "tracking has not moved"],
    "account": ["I cannot log in since the reset", "please change the email on my account", "two-factor codes fail"],
    "bug": ["the app crashes when I open my orders", "the checkout button does nothing", "search shows a blank page"],
}
# Per annotator: the chance of missing a topic the ticket has, and of adding one it does not.
CARE = {"annotator1": (0.04, 0.02), "annotator2": (0.1, 0.04), "annotator3": (0.2, 0.08)}


def tickets(n: int, seed: int) -> list[dict[str, object]]:
    """Tickets of one to three topics, their true topics kept in ``topics`` (not uploaded)."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, n + 1):
        topics = sorted(rng.sample(TOPICS, rng.choice([1, 1, 1, 2, 2, 3])), key=TOPICS.index)
        text = f"Order {48_000 + 37 * number}: " + ". ".join(rng.choice(PHRASES[t]) for t in topics) + "."
        rows.append({"id": f"t{number:04d}", "text": text, "plan": rng.choice(["free", "pro"]), "topics": topics})
    return rows


def demo_tickets(
    *, manager: AbstractBaseUser, reviewer: AbstractBaseUser, annotators: dict[str, AbstractBaseUser],
    upload: Callable[[Project, str, list[dict[str, object]]], None], seed: int = 17,
) -> Project:  # fmt: skip
    """Create the project, upload the tickets through ``upload`` (the real pipeline), let each
    annotator tag every ticket through the queue, settle two by a reviewer, and evaluate the model."""
    project = project_services.project_create(
        user=manager,
        name=NAME,
        task_type="multilabel",
        labels=[{"name": t, "hotkey": str(n)} for n, t in enumerate(TOPICS, start=1)],
        overlap=3,
        guidelines="Tag every topic the ticket raises: one ticket can be about billing and a bug at once.",
    )
    project_services.membership_set(project=project, username=reviewer.username, role="reviewer")
    for username in annotators:
        project_services.membership_set(project=project, username=username, role="annotator")
    rows = tickets(90, seed)
    upload(project, "tickets.csv", [{k: v for k, v in row.items() if k != "topics"} for row in rows])
    truth = {row["id"]: row["topics"] for row in rows}
    rng = random.Random(seed)
    for username, user in annotators.items():
        miss, add = CARE[username]
        while (item := services.next_item(project=project, user=user)) is not None:
            wanted = truth[item.external_id]
            topics = [t for t in TOPICS if (t in wanted) != (rng.random() < (miss if t in wanted else add))]
            services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=topics)
    items = list(Item.objects.filter(project=project).order_by("id"))
    for item in items[:2]:
        review_services.adjudication_create(item=item, reviewer=reviewer, value=truth[item.external_id])
    predictions = []
    for item in items:
        wanted = truth[item.external_id]
        predictions.append({"item": item.pk, "probabilities": [
            round(min(0.99, max(0.01, (0.8 if t in wanted else 0.15) + rng.gauss(0, 0.18))), 3) for t in TOPICS
        ]})  # fmt: skip
    prediction_set = predictions_store(project=project, user=manager, model_name=MODEL, predictions=predictions)
    model_evaluation_compute(project=project, prediction_set=prediction_set)
    return project
