"""When the queue order must follow a new model or a new setting: now for a small project, by a
worker for a large one (one UPDATE over every item: about 30 s per 200,000 items on PostgreSQL)."""

from django.conf import settings
from django.db import transaction

from datasets.selectors import version_latest
from labeling.suggestions.tasks import queue_order_apply_task
from labeling.suggestions.uncertainty import queue_order_apply
from projects.models import Project, QueueOrder


def queue_order_refresh(*, project: Project, order_changed: bool = False) -> None:
    """Reorder the queue after new predictions (under the uncertainty order) or a new order setting."""
    if project.queue_order != QueueOrder.UNCERTAINTY and not order_changed:
        return  # the default order does not read predictions
    latest = version_latest(project=project)
    if latest is None or latest.item_count < settings.GROUNDWORK_QUEUE_ORDER_INLINE_MAX:
        queue_order_apply(project=project)
        return
    transaction.on_commit(lambda: queue_order_apply_task.delay(project.pk))
