"""Reads of batches, scoped to the caller's memberships."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from projects.models import Project
from projects.selectors import project_get_for_user
from quality.models import Batch


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
