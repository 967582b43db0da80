"""Files coming in: batch files and images, checked at the door and kept by content hash."""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError, TooLarge
from datasets.files.images import ImageFileError, ImageInfo, inspect_image
from datasets.files.reader import BatchFileError, format_for_name, upload_check
from datasets.models import Batch, BatchFormat, ItemImage
from projects.models import Project, TaskType


def _file_sha256(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    for block in uploaded.chunks(1024 * 1024):
        digest.update(block)
    uploaded.seek(0)
    return digest.hexdigest()


def batch_store(*, project: Project, user: AbstractBaseUser, uploaded: UploadedFile, fmt: str | None = None) -> Batch:
    """Check an uploaded file's head and keep it, as a ``queued`` batch; what happens next is the caller's.

    The file is stored by content hash before the row exists, so a row never points at a missing file.
    """
    limit = settings.GROUNDWORK_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise TooLarge(f"the file is {uploaded.size:,} bytes; the limit is {limit:,}")
    name = Path(uploaded.name or "upload").name[:255]
    fmt = fmt or format_for_name(name)
    if fmt not in BatchFormat.values:
        raise DomainError("unsupported file type: upload .csv, .jsonl, .json or .parquet (or say which with 'format')")
    try:
        upload_check(
            uploaded,
            fmt,
            size=uploaded.size,
            content_column=project.content_column,
            max_columns=settings.GROUNDWORK_MAX_COLUMNS,
        )
    except BatchFileError as exc:
        raise DomainError(str(exc)) from None

    sha256 = _file_sha256(uploaded)
    batch = Batch(
        project=project,
        uploaded_by=user,
        original_name=name,
        file_sha256=sha256,
        file_size=uploaded.size,
        format=fmt,
    )
    stored_name = batch.file.field.generate_filename(batch, name)
    if not default_storage.exists(stored_name):
        default_storage.save(stored_name, File(uploaded))
    batch.file.name = stored_name
    batch.heartbeat_at = timezone.now()
    batch.save()
    return batch


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


def images_batch_store(*, project: Project, user: AbstractBaseUser, files: list[UploadedFile]) -> Batch:
    """Images dropped on the project page: keep them, then store a batch with one item per image.

    The batch is an ordinary JSON Lines batch (``id`` = file name, ``image`` = the image's
    address), so it is validated and versioned like any other. Call it in the caller's
    transaction, as ``batch_store``.
    """
    stored = images_upload(project=project, user=user, files=files)
    lines = [json.dumps({"id": image.original_name, "image": image.url}) for image, _ in stored]
    name = f"images-{timezone.now():%Y%m%d-%H%M%S}.jsonl"
    return batch_store(
        project=project, user=user, uploaded=SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode()), fmt="jsonl"
    )
