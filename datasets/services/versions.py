"""Making versions: each one is its parent plus the items of one batch, written once and never changed."""

from datasets.models import Batch, DatasetVersion


def version_create(*, batch: Batch, added: int, duplicates: int) -> DatasetVersion:
    """The project's next version, holding ``batch``'s items; the caller holds the project's lock.

    Only the counts are written: membership follows from the batch's link to the version.
    """
    parent = DatasetVersion.objects.filter(project_id=batch.project_id).order_by("-number").first()
    version = DatasetVersion.objects.create(
        project_id=batch.project_id,
        number=(parent.number + 1) if parent else 1,
        parent=parent,
        item_count=(parent.item_count if parent else 0) + added,
        added_count=added,
        duplicate_count=duplicates,
    )
    batch.version = version
    return version
