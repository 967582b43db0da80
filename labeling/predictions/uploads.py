"""Receiving a predictions file: keep it and queue the worker that checks and writes it."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from config.errors import DomainError, TooLarge
from labeling.models import PredictionUpload
from labeling.predictions.services import UPLOAD_DIR, model_name_checked
from labeling.tasks import prediction_upload_task
from projects.models import Project


def prediction_upload_create(
    *, project: Project, user: AbstractBaseUser, model_name: str, uploaded: UploadedFile
) -> PredictionUpload:
    """Keep a JSONL file of predictions (one ``{"item": id, ...}`` a line) and queue its processing."""
    model_name = model_name_checked(model_name)
    limit = settings.GROUNDWORK_MAX_UPLOAD_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise TooLarge(f"the file is {uploaded.size:,} bytes; the limit is {limit:,}")
    if not uploaded.size:
        raise DomainError("the file is empty")
    stored = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}.jsonl", uploaded)
    with transaction.atomic():
        upload = PredictionUpload.objects.create(
            project=project, model_name=model_name, created_by=user, file_name=stored
        )
        transaction.on_commit(lambda: prediction_upload_task.delay(upload.pk))
    return upload
