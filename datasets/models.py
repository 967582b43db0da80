"""The data itself: batches as received files, the items they brought, and immutable versions.

How the pieces relate (see the README's architecture section):

- Every item enters through a ``Batch`` and points at it. A batch that is accepted gets
  exactly one ``DatasetVersion``; version *n* of a project holds the items of every batch
  whose version number is <= *n*. Versions form a chain, each the previous one plus one
  batch, so membership needs no per-version copy of the item list and creating a version
  touches one row, whatever its size.
- Items are immutable and unique per project by content hash. Labels (annotations,
  adjudications) point at items, not versions, so they carry over to every later version.
- Augmented items point at their ``source`` item, which keeps lineage inside the same
  table and the same version rules.

The tables keep the names they were created with (``quality_batch``, ``projects_item``...):
these models moved here without copying a row.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from projects.models import Project


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
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=batch_upload_path, max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField()
    format = models.CharField(max_length=10, choices=BatchFormat.choices)
    # Which columns hold labels ({label_column, annotator_column, gold_column}) and what to do with
    # annotators who are not members ({unmatched}), as the manager said at upload; the worker reads it.
    label_mapping = models.JSONField(default=dict, blank=True)

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
        "DatasetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="batch"
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
        db_table = "quality_batch"
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


class DatasetVersion(models.Model):
    """One immutable state of a project's dataset: the parent's items plus one batch's."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    item_count = models.PositiveIntegerField()
    added_count = models.PositiveIntegerField()
    duplicate_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "projects_datasetversion"
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="version_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


class Item(models.Model):
    """One thing to label. Rows are written in bulk by the batch importer (COPY on PostgreSQL)."""

    # No index of its own: the unique (project, content_hash) index serves project lookups,
    # and every index costs time on each row a batch writes.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    # Indexed with the id (``item_batch_id``) rather than alone: one batch's items come in id order.
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="items", db_index=False)
    external_id = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField()
    metadata = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    source = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived", db_index=False
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "projects_item"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="item_unique_content"),
        ]
        # Partial: most items have no source, many no external id; those rows stay out of the index.
        indexes = [
            models.Index(
                fields=["project", "external_id"], name="item_external_id", condition=~models.Q(external_id="")
            ),
            models.Index(fields=["source"], name="item_source", condition=models.Q(source__isnull=False)),
            models.Index(fields=["batch", "id"], name="item_batch_id"),
        ]

    def __str__(self) -> str:
        return self.external_id or f"item {self.pk}"


def item_image_path(instance: "ItemImage", filename: str) -> str:
    # Stored by content hash; the uploader's file name is kept only as a label.
    return f"images/{instance.project_id}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class ItemImage(models.Model):
    """An image uploaded to a project, for image items to point at by its address.

    The server checks it is an image (Pillow) and serves it only to the project's members.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=5)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=item_image_path, max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "projects_itemimage"
        constraints = [models.UniqueConstraint(fields=["project", "sha256"], name="itemimage_unique_content")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def url(self) -> str:
        return f"/projects/{self.project_id}/images/{self.sha256}.{self.extension}"


class LabelPolicy(models.TextChoices):
    # The source's final label is carried over, marked inherited; no person's annotation.
    INHERIT = "inherit"
    # Labeled by people like any other item.
    RELABEL = "relabel"


def inherit_check_chosen(content_hash: str, share: float) -> bool:
    """Whether an ``inherit`` item is in the sample people still label: stable for the same content."""
    return int(content_hash[:8], 16) < share * 16**8


class Augmentation(models.Model):
    """How an augmented item was made: enough to make it again and to trace it to its original.

    ``item.source`` is the item it was made from; ``root`` is the original at the top of the
    chain and ``generation`` how many steps below it, so a whole family is one indexed query.
    """

    item = models.OneToOneField(Item, on_delete=models.CASCADE, primary_key=True, related_name="augmentation")
    root = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="augmented_family")
    generation = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=100)
    library = models.CharField(max_length=100, blank=True, default="")
    library_version = models.CharField(max_length=50, blank=True, default="")
    # The values actually used (sampled), not the ranges they were drawn from.
    params = models.JSONField(default=dict, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # SHA-256 of the method's whole configuration (method, library, version, params asked for).
    config_hash = models.CharField(max_length=64, blank=True, default="")
    label_policy = models.CharField(max_length=10, choices=LabelPolicy.choices, default=LabelPolicy.RELABEL)
    # An ``inherit`` item chosen (by content hash, at the project's ``inherit_check_share``) to be
    # labeled by people all the same, to measure how often they agree with the inherited label.
    label_check = models.BooleanField(default=False)
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="+")
    # The generation job (quality floor) that wrote the batch, when one did.
    job_id = models.UUIDField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(generation__gte=1), name="augmentation_generation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.method} of {self.root_id} (generation {self.generation})"


class SplitName(models.TextChoices):
    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


class SplitStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Split(models.Model):
    """One request to split a version (ratios, seed) and its outcome (sizes, balance).

    The assignment itself lives in ``ItemSplit``, one row per item for the whole project,
    so a later version inherits every earlier item's split and only new groups are assigned.
    """

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, related_name="split")
    train = models.FloatField()
    dev = models.FloatField()
    test = models.FloatField()
    seed = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=SplitStatus.choices, default=SplitStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True, default="")
    # Sizes per split, left-out augmented items, the balance per label and the tolerance it met.
    report = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(train__gte=0, dev__gte=0, test__gte=0), name="split_ratios_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=1), name="split_progress_range"),
        ]

    def __str__(self) -> str:
        return f"split of {self.version}"

    @property
    def ratios(self) -> dict[str, float]:
        return {"train": self.train, "dev": self.dev, "test": self.test}


class ItemSplit(models.Model):
    """Which split an item is in, decided once for good; ``split`` null means left out.

    An augmented copy of a dev or test item is left out of every split: in train it
    would leak its source, and augmented items belong nowhere else.
    """

    item = models.OneToOneField(Item, on_delete=models.CASCADE, primary_key=True, related_name="split_assignment")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    split = models.CharField(max_length=5, choices=SplitName.choices, null=True, blank=True)
    # The version whose split request decided this item.
    decided_in = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["project", "split"], name="itemsplit_project_split")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.split or 'left out'}"
