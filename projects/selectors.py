"""Reads, always scoped to the caller's memberships: another project's ids are a 404."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404

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


def project_for_user_sql(extra_columns: str = "") -> str:
    """The query of ``project_get_for_user``; ``extra_columns`` (over ``p``) ride along in its round trip.

    Every project request asks it first, so it is raw SQL: the ORM would spend longer
    building the query than the database answering it.
    """
    extra = f", {extra_columns}" if extra_columns else ""
    return f"""
        SELECT {columns(Project, "p")}, m.role{extra}
        FROM {Project._meta.db_table} p JOIN {Membership._meta.db_table} m ON m.project_id = p.id
        WHERE p.id = %s AND m.user_id = %s
    """


_PROJECT_FOR_USER = project_for_user_sql()
MAX_ID = 2**63 - 1


def project_get_for_user(
    *, user: AbstractBaseUser, project_id: int, roles: Iterable[str] | None = None, sql: str = _PROJECT_FOR_USER
) -> Project:
    """The project if the caller is a member (404 otherwise) with one of ``roles`` (403 otherwise);
    ``caller_role`` holds the caller's role, ``extra_columns`` the values a ``project_for_user_sql``
    query added."""
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < project_id <= MAX_ID or user.pk is None:
        raise Http404
    found = fetch_one(Project, sql, [project_id, user.pk])
    if found is None:
        raise Http404
    project, (role, *extra) = found
    project.caller_role = role
    project.extra_columns = tuple(extra)
    if roles is not None and project.caller_role not in set(roles):
        raise RoleRequired(f"this needs the role {' or '.join(roles)}; you are {project.caller_role}")
    return project


def project_for_page(request: object, project_id: int, roles: Iterable[str] | None = None) -> Project:
    """The project for a page: 404 for a non-member, 403 (an error page) for a member without one of ``roles``."""
    try:
        return project_get_for_user(user=request.user, project_id=project_id, roles=roles)
    except RoleRequired as exc:
        raise PermissionDenied(exc.message) from None


MANAGERS = (Role.MANAGER,)
REVIEWERS = (Role.MANAGER, Role.REVIEWER)


def members_list(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")
