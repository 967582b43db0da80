"""Batches (an uploaded file on its way to becoming a dataset version) and each project's validation suite."""

import uuid

from django.conf import settings
from django.db import models


class BatchStatus(models.TextChoices):
    QUEUED = "queued"
    VALIDATING = "validating"
    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    REJECTED = "rejected"


class BatchFormat(models.TextChoices):
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"
    PARQUET = "parquet"


ACTIVE_STATUSES = (BatchStatus.QUEUED, BatchStatus.VALIDATING)


def batch_upload_path(instance: "Batch", filename: str) -> str:
    # The stored name comes from the content hash, never from the uploader.
    return f"batches/{instance.file_sha256[:2]}/{instance.file_sha256}.{instance.format}"


class Batch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=batch_upload_path, max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField()
    format = models.CharField(max_length=10, choices=BatchFormat.choices)

    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    stage = models.CharField(max_length=40, blank=True, default="")
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    results = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker that owns the batch renews its lease with each chunk; a batch whose
    # lease ran out belongs to a dead worker and is handed to the next one.
    run_token = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    rows_total = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    version = models.OneToOneField(
        "projects.DatasetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="batch"
    )
    # The validation's counts ({rows, checks, failed, critical_failed, warnings}); ``results`` holds each check.
    summary = models.JSONField(default=dict, blank=True)
    # A manager's decision on a quarantined batch: accepted anyway (imported without
    # validating again) or rejected, with who, when and why.
    accepted_anyway = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"
        indexes = [models.Index(fields=["project", "status"], name="batch_project_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=1), name="batch_progress_range"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ValidationSuite(models.Model):
    """A project's Great Expectations suite, stored as GX serializes it, and its built-in check settings."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="validation_suite")
    suite = models.JSONField(default=dict, blank=True)
    # ``quality.validation.CheckSettings`` as a dict; only the keys a person changed need be here.
    check_settings = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"suite of {self.project}"
