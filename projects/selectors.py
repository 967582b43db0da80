"""Reads, always scoped to the caller's memberships: another project's ids are a 404."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest

from config.errors import DomainError
from config.raw_rows import columns, fetch_one
from projects.models import Membership, Project, Role


class RoleRequired(DomainError):
    status_code = 403


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    return Project.objects.filter(memberships__user=user)


def with_latest_version(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each project with its newest version's number and item count, in the same query.

    Versions form a chain that only grows, so the newest has the highest number and the most items.
    """
    return projects.annotate(
        latest_version_number=Max("versions__number"), latest_item_count=Max("versions__item_count")
    )


def projects_listed(user: AbstractBaseUser) -> QuerySet[Project]:
    """The caller's projects as their list shows them: ``with_latest_version``, and ``member_role``
    (the caller's role in each), all in one query."""
    role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    return with_latest_version(projects_for_user(user)).annotate(member_role=Subquery(role))


MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ProjectAccess:
    """A project and the caller's role in it: what every request that names a project asks first."""

    project: Project
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_annotator(self) -> bool:
        return self.role == Role.ANNOTATOR

    def require(self, roles: Iterable[str] | None) -> "ProjectAccess":
        """This access, if the role is one of ``roles`` (None: any role); 403 otherwise."""
        if roles is not None and self.role not in set(roles):
            raise RoleRequired(f"this needs the role {' or '.join(roles)}; you are {self.role}")
        return self


def project_id_or_404(project_id: object) -> int:
    """A project id from a URL or a body, as a database key; anything else is a 404, never a 500."""
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < project_id <= MAX_ID:
        raise Http404
    return project_id


# Every project request asks it first, so it is raw SQL: the ORM would spend longer
# building the query than the database answering it.
_PROJECT_FOR_USER = f"""
    SELECT {columns(Project, "p")}, m.role
    FROM {Project._meta.db_table} p JOIN {Membership._meta.db_table} m ON m.project_id = p.id
    WHERE p.id = %s AND m.user_id = %s
"""


def project_access(*, user: AbstractBaseUser, project_id: object, roles: Iterable[str] | None = None) -> ProjectAccess:
    """The project and the caller's role if the caller is a member (404 otherwise) with one of
    ``roles`` (403 otherwise)."""
    project_id = project_id_or_404(project_id)
    if user.pk is None:
        raise Http404
    found = fetch_one(Project, _PROJECT_FOR_USER, [project_id, user.pk])
    if found is None:
        raise Http404
    project, (role,) = found
    return ProjectAccess(project=project, role=role).require(roles)


def project_get_for_user(*, user: AbstractBaseUser, project_id: object, roles: Iterable[str] | None = None) -> Project:
    """``project_access`` for callers that need only the project."""
    return project_access(user=user, project_id=project_id, roles=roles).project


def project_access_for_page(
    request: HttpRequest, project_id: object, roles: Iterable[str] | None = None
) -> ProjectAccess:
    """``project_access`` for a page: 404 for a non-member, 403 (an error page) without one of ``roles``."""
    try:
        return project_access(user=request.user, project_id=project_id, roles=roles)
    except RoleRequired as exc:
        raise PermissionDenied(exc.message) from None


def project_for_page(request: HttpRequest, project_id: object, roles: Iterable[str] | None = None) -> Project:
    """``project_access_for_page`` for pages that need only the project."""
    return project_access_for_page(request, project_id, roles).project


MANAGERS = (Role.MANAGER,)
REVIEWERS = (Role.MANAGER, Role.REVIEWER)


def members_list(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")
