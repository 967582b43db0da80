"""Reads of batches, versions, items and images, always within a project the caller may see."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from datasets.models import Batch, DatasetVersion, Item, ItemImage
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
