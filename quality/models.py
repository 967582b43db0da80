"""Each project's validation suite: the Great Expectations suite and the built-in checks' settings."""

import uuid

from django.conf import settings
from django.db import models

from datasets.models import Batch, DatasetVersion, LabelPolicy, SplitStatus
from projects.models import Project


class ValidationSuite(models.Model):
    """A project's Great Expectations suite, stored as GX serializes it, and its built-in check settings."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="validation_suite")
    suite = models.JSONField(default=dict, blank=True)
    # ``quality.validation.CheckSettings`` as a dict; only the keys a person changed need be here.
    check_settings = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"suite of {self.project}"


class AugmentationJobStatus(models.TextChoices):
    QUEUED = "queued"
    GENERATING = "generating"
    # The rows are written and handed to the batch pipeline: the batch tells the rest.
    BATCHED = "batched"
    FAILED = "failed"


class AugmentationJob(models.Model):
    """A request to generate augmented items with a built-in method; its rows enter as one batch."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="augmentation_jobs")
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=100)
    # The parameters with the method's defaults filled in.
    params = models.JSONField(default=dict)
    copies_per_item = models.PositiveSmallIntegerField(default=1)
    seed = models.BigIntegerField()
    filter = models.JSONField(default=dict, blank=True)
    label_policy = models.CharField(max_length=10, choices=LabelPolicy.choices, default=LabelPolicy.RELABEL)
    status = models.CharField(
        max_length=12, choices=AugmentationJobStatus.choices, default=AugmentationJobStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    rows = models.PositiveIntegerField(default=0)
    batch = models.OneToOneField(Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(copies_per_item__gte=1), name="augjob_copies_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.method} x{self.copies_per_item} on {self.version} ({self.status})"


class ReportStatus(models.TextChoices):
    COMPUTING = "computing"
    DONE = "done"
    FAILED = "failed"


# A leakage check runs through the same states as the split it checks.
LeakageStatus = SplitStatus


class VersionReport(models.Model):
    """The quality report of one dataset version, computed by a worker and cached.

    ``fingerprint`` describes the labels it was computed from, as the agreement cache's does:
    another fingerprint means the labels changed since, so the report is stale. A frozen
    report never changes again, and the reports of later versions diff against it.
    """

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="report")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.COMPUTING)
    fingerprint = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(null=True, blank=True)
    # Each item's final label when it was computed (a compressed numpy file): what the next version's diff reads.
    finals_file = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    note = models.TextField(blank=True, default="", max_length=10_000)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"report of {self.version} ({self.status})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class LeakageCheck(models.Model):
    """The newest leakage check of a version: exact and near duplicates across its splits.

    A rerun overwrites it: splits never change once made, so only the newest result matters.
    """

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="leakage_check")
    status = models.CharField(max_length=8, choices=LeakageStatus.choices, default=LeakageStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    # ``quality.leakage.services.LeakageResult`` as a dict: thresholds, counts, example pairs.
    result = models.JSONField(default=dict, blank=True)
    requested_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=1), name="leakage_progress_range"),
        ]

    def __str__(self) -> str:
        return f"leakage check of {self.version}"
