"""Reads of batches, versions, items and images, always within a project the caller may see."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404

from datasets.models import Augmentation, Batch, DatasetVersion, Item, ItemImage
from projects.models import Project
from projects.selectors import project_get_for_user


def versions_list(*, project: Project) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(project=project).select_related("parent", "batch").order_by("-number")


def version_latest(*, project: Project) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(project=project).order_by("-number").first()


def version_get(*, project: Project, number: int) -> DatasetVersion:
    try:
        return DatasetVersion.objects.select_related("parent", "batch").get(project=project, number=number)
    except (DatasetVersion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def items_in_version(*, project: Project, number: int) -> QuerySet[Item]:
    """Items of version ``number``: those of every batch accepted into a version <= number."""
    return Item.objects.filter(project=project, batch__version__number__lte=number).order_by("id")


def image_get(*, project: Project, sha256: str, extension: str) -> ItemImage:
    image = ItemImage.objects.filter(project=project, sha256=sha256, extension=extension).first()
    if image is None:
        raise Http404("no such image")
    return image


def batches_for_project(*, project: Project) -> QuerySet[Batch]:
    return (
        Batch.objects.filter(project=project)
        .select_related("version", "uploaded_by", "decided_by")
        .order_by("-created_at")
    )


def batch_get_for_user(*, user: AbstractBaseUser, batch_id: str, roles: Iterable[str] | None = None) -> Batch:
    try:
        batch = Batch.objects.select_related("version", "uploaded_by", "decided_by").get(pk=batch_id)
    except (Batch.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
    project_get_for_user(user=user, project_id=batch.project_id, roles=roles)
    return batch


@dataclass(frozen=True)
class LineageNode:
    """One item of a family; the augmentation fields are empty for the original."""

    id: int
    external_id: str
    source: int | None
    generation: int
    method: str = ""
    params: dict[str, Any] | None = None
    seed: int | None = None
    library: str = ""
    library_version: str = ""
    config_hash: str = ""
    label_policy: str = ""
    batch: str | None = None
    job: str | None = None
    created_by: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class Lineage:
    item: LineageNode
    root: int
    ancestors: list[LineageNode]  # the source first, the root last
    descendants: list[LineageNode]  # breadth first: generation by generation


def item_lineage(*, user: AbstractBaseUser, item_id: int) -> Lineage:
    """An item's ancestors and descendants, read in two queries whatever the family's size."""
    item = Item.objects.filter(pk=item_id, batch__version__isnull=False).select_related("augmentation").first()
    if item is None:
        raise Http404
    project_get_for_user(user=user, project_id=item.project_id)
    augmentation = getattr(item, "augmentation", None)
    root_id = augmentation.root_id if augmentation else item.pk
    family = (
        Augmentation.objects.filter(root_id=root_id, item__batch__version__isnull=False)
        .select_related("item", "created_by")
        .order_by("generation", "item_id")
    )
    nodes = {a.item_id: _node(a) for a in family}
    root = Item.objects.only("id", "external_id").get(pk=root_id)
    nodes[root.pk] = LineageNode(id=root.pk, external_id=root.external_id, source=None, generation=0)
    ancestors, current = [], nodes[item.pk].source
    while current is not None and current in nodes:
        ancestors.append(nodes[current])
        current = nodes[current].source
    children: dict[int, list[int]] = {}
    for node in nodes.values():
        if node.source is not None:
            children.setdefault(node.source, []).append(node.id)
    descendants, frontier = [], [item.pk]
    while frontier:
        frontier = [child for parent in frontier for child in sorted(children.get(parent, []))]
        descendants.extend(nodes[child] for child in frontier)
    return Lineage(item=nodes[item.pk], root=root_id, ancestors=ancestors, descendants=descendants)


def _node(augmentation: Augmentation) -> LineageNode:
    return LineageNode(
        id=augmentation.item_id,
        external_id=augmentation.item.external_id,
        source=augmentation.item.source_id,
        generation=augmentation.generation,
        method=augmentation.method,
        params=augmentation.params,
        seed=augmentation.seed,
        library=augmentation.library,
        library_version=augmentation.library_version,
        config_hash=augmentation.config_hash,
        label_policy=augmentation.label_policy,
        batch=str(augmentation.batch_id),
        job=str(augmentation.job_id) if augmentation.job_id else None,
        created_by=augmentation.created_by.username,
        created_at=augmentation.created_at,
    )


@dataclass(frozen=True)
class MethodShare:
    method: str
    items: int
    share: float  # of the version's items


def augmentation_shares(*, version: DatasetVersion) -> list[MethodShare]:
    """How many of the version's items each augmentation method made, most first."""
    rows = (
        Augmentation.objects.filter(
            item__project_id=version.project_id, item__batch__version__number__lte=version.number
        )
        .values("method")
        .annotate(items=Count("item"))
        .order_by("-items", "method")
    )
    total = version.item_count or 1
    return [MethodShare(method=r["method"], items=r["items"], share=r["items"] / total) for r in rows]
