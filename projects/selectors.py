"""Reads, always scoped to the caller's memberships: another project's ids are a 404."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from config.errors import DomainError
from projects.models import DatasetVersion, Item, ItemImage, Membership, Project, Role


class RoleRequired(DomainError):
    status_code = 403


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user=user)


def with_latest_version(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each project with its newest version's number and item count, in the same query."""
    latest = DatasetVersion.objects.filter(project=OuterRef("pk")).order_by("-number")
    return projects.annotate(
        latest_version_number=Subquery(latest.values("number")[:1]),
        latest_item_count=Subquery(latest.values("item_count")[:1]),
    )


def membership_get(*, user: AbstractBaseUser, project_id: int) -> Membership:
    """The caller's membership, or 404 as if the project did not exist."""
    try:
        return Membership.objects.select_related("project").get(project_id=project_id, user=user)
    except (Membership.DoesNotExist, ValueError, TypeError, OverflowError):  # SQLite: an id beyond 64 bits
        raise Http404 from None


def project_get_for_user(*, user: AbstractBaseUser, project_id: int, roles: Iterable[str] | None = None) -> Project:
    """The project if the caller is a member (404 otherwise) with one of ``roles`` (403 otherwise)."""
    membership = membership_get(user=user, project_id=project_id)
    if roles is not None and membership.role not in set(roles):
        raise RoleRequired(f"this needs the role {' or '.join(roles)}; you are {membership.role}")
    project = membership.project
    project.caller_role = membership.role
    return project


MANAGERS = (Role.MANAGER,)
REVIEWERS = (Role.MANAGER, Role.REVIEWER)


def members_list(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")


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
