"""A large project's queue order is applied by a real Celery worker, after the setting's commit."""

import pytest

from conftest import wait_for
from datasets.models import Item
from labeling.models import ItemState
from labeling.services import project_settings_update, queue_sync

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_large_projects_new_order_is_applied_by_a_worker(settings, celery_worker_process, loaded_project):
    settings.GROUNDWORK_QUEUE_ORDER_INLINE_MAX = 0  # every project counts as large here
    queue_sync(project=loaded_project)
    project_settings_update(project=loaded_project, queue_order="uncertainty")
    wait_for(
        lambda: all(key.startswith("9999") for key in ItemState.objects.values_list("sort_key", flat=True)),
        timeout=90,
        what="the worker's reorder",
    )
    succeeded = celery_worker_process.succeeded("labeling.suggestions.tasks.queue_order_apply_task")
    assert len(succeeded) == 1, celery_worker_process.log()
    hashes = dict(Item.objects.filter(project=loaded_project).values_list("id", "content_hash"))
    assert dict(ItemState.objects.values_list("item_id", "sort_key")) == {k: "9999" + h for k, h in hashes.items()}
