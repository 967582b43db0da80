"""Every write to projects, memberships and project images: validation first, one transaction."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import Conflict, DomainError, TooLarge
from projects.image_files import ImageFileError, ImageInfo, inspect_image
from projects.label_schema import LabelSchemaError, normalize_labels
from projects.models import ItemImage, LabelScale, Membership, Project, Role, TaskType

if TYPE_CHECKING:
    from quality.models import Batch

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


@transaction.atomic
def project_create(
    *,
    user: AbstractBaseUser,
    name: str,
    task_type: str,
    labels: Any,
    label_scale: str = LabelScale.NOMINAL,
    overlap: int = 1,
    guidelines: str = "",
) -> Project:
    """Create a project; its creator becomes its manager."""
    normalized = _check_project_fields(
        name=name, task_type=task_type, labels=labels, label_scale=label_scale, overlap=overlap
    )
    project = Project.objects.create(
        name=name.strip(),
        task_type=task_type,
        labels=normalized,
        label_scale=label_scale,
        overlap=overlap,
        guidelines=guidelines or "",
        created_by=user,
    )
    Membership.objects.create(project=project, user=user, role=Role.MANAGER)
    return project


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    """Change a project's settings. The task type is fixed once the project holds items."""
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
    dropped = set(project.label_names) - {label["name"] for label in labels}
    if dropped:
        from labeling.review.selectors import label_uses

        if uses := label_uses(project=project, names=sorted(dropped)):
            held = ", ".join(f"{name!r} ({count})" for name, count in uses.items())
            raise Conflict(
                f"labels in use cannot be removed: {held} annotations, final labels or gold answers hold them; "
                "keep them in the schema, or change those labels first"
            )
    project.labels = labels
    project.name = merged["name"].strip()
    project.task_type = merged["task_type"]
    project.label_scale = merged["label_scale"]
    overlap_changed = project.overlap != merged["overlap"]
    project.overlap = merged["overlap"]
    if "guidelines" in fields:
        project.guidelines = fields["guidelines"] or ""
    project.save()
    if overlap_changed:
        from labeling.services import queue_overlap_changed

        queue_overlap_changed(project=project)
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


def images_upload(
    *, project: Project, user: AbstractBaseUser, files: list[UploadedFile]
) -> list[tuple[ItemImage, bool]]:
    """Keep uploaded images for the project's image items; returns (image, created) per file.

    Every file is checked before any is kept, so one bad file stores nothing; the same image
    uploaded twice is stored once, so a retried upload is harmless.
    """
    if project.task_type != TaskType.IMAGE:
        raise DomainError("only image projects take image uploads")
    if not files:
        raise DomainError("send one or more image files in the multipart field 'file'")
    if len(files) > settings.GROUNDWORK_MAX_IMAGES_PER_REQUEST:
        raise TooLarge(f"{len(files)} files in one request; the limit is {settings.GROUNDWORK_MAX_IMAGES_PER_REQUEST}")
    limit = settings.GROUNDWORK_MAX_IMAGE_BYTES
    checked = []
    for uploaded in files:
        name = Path(uploaded.name or "image").name[:255]
        if uploaded.size is not None and uploaded.size > limit:
            raise TooLarge(f"{name} is {uploaded.size:,} bytes; the limit for an image is {limit:,}")
        try:
            checked.append((name, uploaded, inspect_image(uploaded, max_pixels=settings.GROUNDWORK_MAX_IMAGE_PIXELS)))
        except ImageFileError as exc:
            raise DomainError(f"{name}: {exc}") from None
    return [_image_keep(project=project, user=user, name=name, uploaded=up, info=info) for name, up, info in checked]


def _image_keep(
    *, project: Project, user: AbstractBaseUser, name: str, uploaded: UploadedFile, info: ImageInfo
) -> tuple[ItemImage, bool]:
    existing = ItemImage.objects.filter(project=project, sha256=info.sha256).first()
    if existing is not None:
        return existing, False
    image = ItemImage(
        project=project,
        sha256=info.sha256,
        extension=info.extension,
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        size=uploaded.size or 0,
        original_name=name,
        uploaded_by=user,
    )
    image.file.save(f"{info.sha256}.{info.extension}", uploaded, save=False)
    try:
        with transaction.atomic():
            image.save()
    except IntegrityError:  # the same image arrived in a concurrent request
        image.file.delete(save=False)
        return ItemImage.objects.get(project=project, sha256=info.sha256), False
    return image, True


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def is_image_name(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_EXTENSIONS


def images_batch_upload(*, project: Project, user: AbstractBaseUser, files: list[UploadedFile]) -> "Batch":
    """Images dropped on the project page: keep them, then queue a batch with one item per image.

    The batch is an ordinary JSON Lines batch (``id`` = file name, ``image`` = the image's
    address), so it is validated and versioned like any other.
    """
    from quality.services import batch_upload

    stored = images_upload(project=project, user=user, files=files)
    lines = [json.dumps({"id": image.original_name, "image": image.url}) for image, _ in stored]
    name = f"images-{timezone.now():%Y%m%d-%H%M%S}.jsonl"
    return batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode()), fmt="jsonl"
    )
