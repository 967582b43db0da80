"""The queue order's task: a large project's reorder runs on a worker, not in a request."""

from celery import shared_task

from labeling.suggestions.uncertainty import queue_order_apply
from projects.models import Project


@shared_task(acks_late=True, reject_on_worker_lost=True)
def queue_order_apply_task(project_id: int) -> None:
    """Store the project's current queue order; safe to run twice (the same keys again)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:
        queue_order_apply(project=project)
