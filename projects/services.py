"""Every write to projects and memberships: validation first, one transaction."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.errors import DomainError
from projects.label_schema import LabelSchemaError, normalize_labels
from projects.models import LabelScale, Membership, Project, QueueOrder, Role, Suggestions, TaskType

MAX_OVERLAP = 50


def _check_project_fields(*, name: str, task_type: str, labels: Any, label_scale: str, overlap: int) -> list[dict]:
    if not isinstance(name, str) or not name.strip():
        raise DomainError("name must not be empty")
    if task_type not in TaskType.values:
        raise DomainError(f"task_type must be one of {', '.join(TaskType.values)}")
    if label_scale not in LabelScale.values:
        raise DomainError(f"label_scale must be one of {', '.join(LabelScale.values)}")
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 1 <= overlap <= MAX_OVERLAP:
        raise DomainError(f"overlap must be a whole number from 1 to {MAX_OVERLAP}")
    try:
        return normalize_labels(labels, label_scale=label_scale)
    except LabelSchemaError as exc:
        raise DomainError(str(exc)) from None


def _check_model_settings(*, suggestions: str, suggestion_holdout: Any, queue_order: str) -> None:
    if suggestions not in Suggestions.values:
        raise DomainError(f"suggestions must be one of {', '.join(Suggestions.values)}")
    if isinstance(suggestion_holdout, bool) or not isinstance(suggestion_holdout, int | float):
        raise DomainError("suggestion_holdout must be a number from 0 to 1")
    if not 0 <= suggestion_holdout <= 1:
        raise DomainError("suggestion_holdout must be a number from 0 to 1")
    if queue_order not in QueueOrder.values:
        raise DomainError(f"queue_order must be one of {', '.join(QueueOrder.values)}")


@transaction.atomic
def project_create(
    *,
    user: AbstractBaseUser,
    name: str,
    task_type: str,
    labels: Any,
    label_scale: str = LabelScale.NOMINAL,
    overlap: int = 1,
    inherit_check_share: float = 0.05,
    guidelines: str = "",
    suggestions: str = Suggestions.OFF,
    suggestion_holdout: float = 0.1,
    queue_order: str = QueueOrder.DEFAULT,
) -> Project:
    """Create a project; its creator becomes its manager."""
    normalized = _check_project_fields(
        name=name, task_type=task_type, labels=labels, label_scale=label_scale, overlap=overlap
    )
    _check_model_settings(suggestions=suggestions, suggestion_holdout=suggestion_holdout, queue_order=queue_order)
    project = Project.objects.create(
        name=name.strip(),
        task_type=task_type,
        labels=normalized,
        label_scale=label_scale,
        overlap=overlap,
        inherit_check_share=inherit_check_share,
        guidelines=guidelines or "",
        suggestions=suggestions,
        suggestion_holdout=float(suggestion_holdout),
        queue_order=queue_order,
        created_by=user,
    )
    Membership.objects.create(project=project, user=user, role=Role.MANAGER)
    return project


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    """Change a project's settings. The task type is fixed once the project holds items.

    Labels in use and the queue's reaction to a new overlap are labeling's rules:
    ``labeling.services.project_settings_update`` wraps this with them.
    """
    merged = {
        "name": project.name,
        "task_type": project.task_type,
        "labels": project.labels,
        "label_scale": project.label_scale,
        "overlap": project.overlap,
    }
    merged.update({key: value for key, value in fields.items() if key in merged})
    if merged["task_type"] != project.task_type and project.items.exists():
        raise DomainError("the task type cannot change once the project holds items")
    labels = _check_project_fields(**merged)
    model_settings = {key: getattr(project, key) for key in ("suggestions", "suggestion_holdout", "queue_order")}
    model_settings.update({key: value for key, value in fields.items() if key in model_settings})
    _check_model_settings(**model_settings)
    project.suggestions = model_settings["suggestions"]
    project.suggestion_holdout = float(model_settings["suggestion_holdout"])
    project.queue_order = model_settings["queue_order"]
    project.labels = labels
    project.name = merged["name"].strip()
    project.task_type = merged["task_type"]
    project.label_scale = merged["label_scale"]
    project.overlap = merged["overlap"]
    if "inherit_check_share" in fields:
        if not 0 <= fields["inherit_check_share"] <= 1:
            raise DomainError("inherit_check_share is a share: between 0 and 1")
        project.inherit_check_share = fields["inherit_check_share"]
    if "guidelines" in fields:
        project.guidelines = fields["guidelines"] or ""
    project.save()
    return project


@transaction.atomic
def membership_set(*, project: Project, username: str, role: str) -> Membership:
    """Add a user to a project, or change their role; a project keeps at least one manager."""
    if role not in Role.values:
        raise DomainError(f"role must be one of {', '.join(Role.values)}")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise DomainError(f"there is no user {username!r}")
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        return Membership.objects.create(project=project, user=user, role=role)
    if membership.role == Role.MANAGER and role != Role.MANAGER:
        managers = Membership.objects.filter(project=project, role=Role.MANAGER).count()
        if managers <= 1:
            raise DomainError("a project needs at least one manager")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, project: Project, username: str) -> None:
    membership = Membership.objects.select_for_update().filter(project=project, user__username=username).first()
    if membership is None:
        raise DomainError(f"{username!r} is not a member", status_code=404)
    if membership.role == Role.MANAGER and project.memberships.filter(role=Role.MANAGER).count() <= 1:
        raise DomainError("a project needs at least one manager")
    membership.delete()


IMPORTED_SUFFIX = "-imported"


@transaction.atomic
def inactive_annotators_add(*, project: Project, names: list[str]) -> dict[str, int]:
    """Add people named by an imported file as annotators who never log in; returns name -> user id.

    Each gets a new account, never an existing one found by name: a file cannot grant a real
    user access to the project. A name taken by someone else gets a suffix.
    """
    users = get_user_model()
    added: dict[str, int] = {}
    for name in names:
        base = name[:140]
        username, n = base, 1
        while users.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{IMPORTED_SUFFIX}" + (f"-{n - 1}" if n > 2 else "")
        user = users(username=username, email=name if "@" in name else "", is_active=False)
        user.set_unusable_password()
        user.save()
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
        added[name] = user.pk
    return added
